"""The checker's rules about people: the leader on duty, the span of control, leaders' time
on queues, roles, and off-phone activity sessions (window, attendance, frequency, pay)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from tests.test_check import MONDAY, Plan, make_cfg
from wfm.io.inputs import parse_roster
from wfm.verify import check
from wfm.verify.check import check_schedule

BREAKS = ((105, "break", 15), (240, "lunch", 30))
LATER = ((135, "break", 15), (270, "lunch", 30))


def person(agent_id: str, role: str = "agent", team: str = "t", **extra: str) -> dict:
    takes = role in ("agent",) or extra.pop("skilled", "")
    return {"agent_id": agent_id, "name": agent_id.upper(), "team": team,
            "skills": "billing" if takes else "", "languages": "es" if takes else "",
            "contract": "full_time", "role": role, **extra}


def people(cfg, rows):
    return parse_roster(pd.DataFrame(rows).fillna(""), cfg, "agents.csv")


def rules(found) -> list[str]:
    return sorted(v.rule for v in found)


def one_day(cfg, rows, plan: Plan, **kwargs):
    shifts, activities = plan.tables()
    return check_schedule(cfg, people(cfg, rows), shifts, activities, start=MONDAY, days=1,
                          **kwargs)


LEAD = {"supervisor_from_agents": 6}
TEAM = [person(f"a{i}") for i in range(1, 8)]


def team_on_shift(plan: Plan, count: int = 7) -> Plan:
    for i in range(1, count + 1):
        plan.shift(f"a{i}", MONDAY, "09:00", breaks=BREAKS)
    return plan


def test_seven_agents_need_a_leader_on_duty_while_theirs_is_on_a_break() -> None:
    cfg = make_cfg(leadership=LEAD)
    rows = [*TEAM, person("tl", "team_leader")]
    plan = team_on_shift(Plan()).shift("tl", MONDAY, "09:00", breaks=BREAKS, queue="")
    found = one_day(cfg, rows, plan)
    assert rules(found) == [check.LEADER_COVERAGE] * 2
    assert "team 't': up to 7 of its agents on shift 10:45-11:00 and no team leader" \
        in found[0].message
    assert "13:00-13:30" in found[1].message
    # a supervisor of the team on duty while the team leader is on a break keeps the rule
    rows.append(person("sv", "supervisor", team="office", leads="t"))
    plan.shift("sv", MONDAY, "09:00", breaks=LATER, queue="")
    assert one_day(cfg, rows, plan) == []


def test_a_leader_on_a_day_off_leaves_the_team_uncovered() -> None:
    cfg = make_cfg(leadership=LEAD)
    rows = [*TEAM, person("tl", "team_leader")]
    found = [v for v in one_day(cfg, rows, team_on_shift(Plan()))
             if v.rule != check.MIN_WEEKLY_HOURS]  # the leader's own hours
    assert rules(found) == [check.LEADER_COVERAGE]
    assert "09:00-17:30" in found[0].message


def test_a_few_agents_need_a_leader_or_campaign_leader_on_duty() -> None:
    cfg = make_cfg(leadership=LEAD)
    rows = [*TEAM[:3], person("cl", leads="t")]
    plan = team_on_shift(Plan(), 3).shift("cl", MONDAY, "09:00", breaks=LATER)
    found = one_day(cfg, rows, plan)
    assert rules(found) == [check.LEADER_COVERAGE] * 2
    assert "none of its leaders or campaign leaders on duty" in found[0].message
    assert "11:15-11:30" in found[0].message  # the campaign leader's break
    # a team leader on duty through the campaign leader's break: valid
    rows.append(person("tl", "team_leader"))
    plan.shift("tl", MONDAY, "09:00", breaks=BREAKS, queue="")
    assert one_day(cfg, rows, plan) == []
    # a team no one leads breaks the rule whenever its agents work
    assert rules(one_day(cfg, TEAM[:3], team_on_shift(Plan(), 3))) == [check.LEADER_COVERAGE]


def test_span_of_control() -> None:
    cfg = make_cfg(leadership={**LEAD, "max_agents_per_leader": 4})
    rows = [*TEAM, person("tl", "team_leader"), person("sv", "supervisor", leads="t")]
    plan = team_on_shift(Plan()).shift("tl", MONDAY, "09:00", breaks=BREAKS, queue="")
    plan.shift("sv", MONDAY, "09:00", breaks=LATER, queue="")
    found = one_day(cfg, rows, plan)
    # 7 agents for 2 leaders is fine; for one (the other on a break) it is not
    # (the team leader's lunch and the supervisor's follow each other: one run)
    assert rules(found) == [check.SPAN_OF_CONTROL] * 3
    assert "for 1 leaders on duty (leadership.max_agents_per_leader 4)" in found[0].message


def test_leaders_take_contacts_only_within_their_share() -> None:
    rows = [person("tl", "team_leader", skilled="yes")]
    cfg = make_cfg(leadership={"leader_queue_share": 0.5})
    all_day = Plan().shift("tl", MONDAY, "09:00", breaks=BREAKS)
    found = one_day(cfg, rows, all_day)
    assert rules(found) == [check.LEADER_QUEUE_SHARE]
    assert "465 min on queues in shift 09:00-17:30 of 510 min" in found[0].message
    half = Plan().shift("tl", MONDAY, "09:00", breaks=(
        (0, "duty", 105), (105, "break", 15), (120, "duty", 120), (240, "lunch", 30)))
    assert one_day(cfg, rows, half) == []
    # without a leadership section leaders take no contacts at all
    assert rules(one_day(make_cfg(), rows, half)) == [check.LEADER_QUEUE_SHARE]


def test_roles_duty_and_contacts() -> None:
    cfg = make_cfg()
    rows = [person("a1"), person("tr", "trainer")]
    plan = Plan().shift("a1", MONDAY, "09:00", breaks=BREAKS, queue="")
    plan.shift("tr", MONDAY, "09:00", breaks=BREAKS)
    found = one_day(cfg, rows, plan)
    assert rules(found) == [check.ROLES] * 6
    assert any("an agent is on a queue, a break or an activity, never on duty" in v.message
               for v in found)
    assert any("a trainer takes no contacts" in v.message for v in found)


COACHING = {"id": "coaching", "name": "Coaching", "duration_minutes": 30,
            "frequency": "per_agent_week", "host": "leader", "window": "10:00-16:00",
            "days": ["mon", "tue", "wed", "thu", "fri"], "shift_edge_minutes": 60}
COACH_TEAM = [person("a1"), person("a2"), person("tl", "team_leader")]


def coaching_week(a1_offset: int = 150, host: bool = True, a2: bool = True,
                  session: str = "coaching:2026-03-16:a1", paid: int | None = None) -> Plan:
    plan = Plan()
    for agent in ("a1", "a2", "tl"):
        queue = "" if agent == "tl" else "billing_es"
        for day in range(1, 5):
            plan.shift(agent, MONDAY + timedelta(days=day), "09:00", breaks=BREAKS, queue=queue)
    a1 = (*BREAKS, (a1_offset, "coaching", 30, session))
    plan.shift("a1", MONDAY, "09:00", breaks=a1, paid=paid)
    coach = list(BREAKS)
    if host:
        coach.append((a1_offset, "coaching", 30, session))
    if a2:
        coach.append((330, "coaching", 30, "coaching:2026-03-16:a2"))
        plan.shift("a2", MONDAY, "09:00",
                   breaks=(*BREAKS, (330, "coaching", 30, "coaching:2026-03-16:a2")), paid=paid)
    else:
        plan.shift("a2", MONDAY, "09:00", breaks=BREAKS)
    plan.shift("tl", MONDAY, "09:00", breaks=tuple(coach), queue="")
    return plan


def week_check(cfg, plan: Plan, **kwargs):
    shifts, activities = plan.tables()
    return check_schedule(cfg, people(cfg, COACH_TEAM), shifts, activities, start=MONDAY,
                          days=7, **kwargs)


def test_coaching_sessions_in_their_window_with_their_coach() -> None:
    cfg = make_cfg(activities=[COACHING])
    assert week_check(cfg, coaching_week()) == []
    early = week_check(cfg, coaching_week(a1_offset=30))
    assert rules(early) == [check.ACTIVITY_WINDOW] * 3  # the window, and each one's edge
    assert "at 09:30-10:00, outside 10:00-16:00" in early[0].message
    assert "within 60 min of the edge of shift 09:00-17:30" in early[1].message
    alone = week_check(cfg, coaching_week(host=False))
    assert rules(alone) == [check.ACTIVITY_ATTENDANCE]
    assert "has nobody to run it (leader)" in alone[0].message


def test_every_session_is_placed_or_reported_with_a_reason() -> None:
    cfg = make_cfg(activities=[COACHING])
    missing = week_check(cfg, coaching_week(a2=False))
    assert rules(missing) == [check.ACTIVITY_FREQUENCY]
    assert "'coaching:2026-03-16:a2' is neither placed nor reported" in missing[0].message
    reason = {"coaching:2026-03-16:a2": "a2 is unavailable on every allowed day"}
    assert week_check(cfg, coaching_week(a2=False), unplaced=reason) == []
    blank = week_check(cfg, coaching_week(a2=False), unplaced={"coaching:2026-03-16:a2": " "})
    assert "without a reason" in blank[0].message
    both = week_check(cfg, coaching_week(), unplaced=reason)
    assert "reported as not placed, yet placed" in both[0].message
    invented = week_check(cfg, coaching_week(session="coaching:2026-03-16:zz"))
    assert rules(invented) == [check.ACTIVITY_FREQUENCY] * 2  # unknown, and a1's missing
    assert "'coaching:2026-03-16:zz' is not one the config's activities call" \
        in invented[0].message


def test_unpaid_activities_come_off_the_paid_minutes() -> None:
    cfg = make_cfg(activities=[{**COACHING, "paid": False}])
    found = week_check(cfg, coaching_week())
    assert rules(found) == [check.SHIFT_TEMPLATES] * 3  # a1, a2 and their coach
    assert "pays 480 less 30 min of unpaid activities" in found[0].message
    plan = coaching_week(paid=450)
    plan.shifts[-1]["paid_minutes"] = 450  # the coach's Monday: 480 less 2 x 30 minutes
    found = week_check(cfg, plan)
    assert rules(found) == [check.SHIFT_TEMPLATES]
    assert "pays 480 less 60 min" in found[0].message
    plan.shifts[-1]["paid_minutes"] = 420
    assert week_check(cfg, plan) == []


def test_a_team_meeting_needs_its_attendance() -> None:
    meeting = {"id": "meeting", "duration_minutes": 30, "frequency": "per_team_week",
               "host": "leader", "days": ["mon"]}
    cfg = make_cfg(activities=[meeting])
    session = "meeting:2026-03-16:t"
    plan = Plan()
    for agent in ("a1", "a2", "tl"):
        queue = "" if agent == "tl" else "billing_es"
        for day in range(1, 5):
            plan.shift(agent, MONDAY + timedelta(days=day), "09:00", breaks=BREAKS, queue=queue)
    plan.shift("a1", MONDAY, "09:00", breaks=(*BREAKS, (300, "meeting", 30, session)))
    plan.shift("a2", MONDAY, "09:00", breaks=BREAKS)
    plan.shift("tl", MONDAY, "09:00", breaks=(*BREAKS, (300, "meeting", 30, session)),
               queue="")
    found = week_check(cfg, plan)
    assert rules(found) == [check.ACTIVITY_ATTENDANCE]
    assert "has 1 of its 2 attendees; it needs 2" in found[0].message
    cfg = make_cfg(activities=[{**meeting, "attendance": 0.5}])
    assert week_check(cfg, plan) == []
    # the leader's row a quarter later than the attendee's
    quarter = pd.Timedelta(minutes=15)
    mine = [r for r in plan.activities if r["agent_id"] == "tl"][-3:]  # duty, meeting, duty
    assert [r["activity"] for r in mine] == ["duty", "meeting", "duty"]
    mine[0]["end"] += quarter
    mine[1]["start"] += quarter
    mine[1]["end"] += quarter
    mine[2]["start"] += quarter
    found = week_check(cfg, plan)
    assert rules(found) == [check.ACTIVITY_ATTENDANCE]
    assert "do not start and end together" in found[0].message
