"""Schedule adherence on small hand-made schedules and state logs, answers worked out here."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from wfm.config import CenterConfig
from wfm.errors import BadInput
from wfm.reports.adherence import adherence_report
from wfm.roster import Agent

ZONE = "Europe/Madrid"
MONDAY = date(2026, 11, 23)


def at(day: date, clock: str) -> pd.Timestamp:
    return pd.Timestamp(f"{day.isoformat()} {clock}").tz_localize(ZONE)


def agent(agent_id: str, team: str) -> Agent:
    return Agent(agent_id=agent_id, name=f"Agent {agent_id}", team=team,
                 skills={"billing": 1.0, "technical": 1.0}, languages=("es",),
                 contract="full_time")


AGENTS = [agent("A1", "North"), agent("A2", "North"), agent("A3", "South"), agent("A4", "South")]

#: agent -> (shift date, [(start, end, activity, queue)]); ends after starts on that date.
PLAN = {
    "A1": (MONDAY, [("09:00", "11:00", "work", "billing_es"), ("11:00", "11:15", "break", ""),
                    ("11:15", "12:00", "work", "billing_es"), ("12:00", "12:30", "training", ""),
                    ("12:30", "13:00", "work", "billing_es")]),
    "A2": (MONDAY, [("09:00", "10:00", "work", "technical_es"),
                    ("10:00", "10:30", "coaching", ""),
                    ("10:30", "12:00", "work", "technical_es"), ("12:00", "12:30", "lunch", ""),
                    ("12:30", "14:00", "work", "technical_es")]),
    "A3": (MONDAY, [("09:00", "13:00", "work", "billing_es")]),
}


def schedule(plan: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    shifts, activities = [], []
    for agent_id, (day, parts) in plan.items():
        for start, end, activity, queue in parts:
            activities.append({"agent_id": agent_id, "start": at(day, start),
                               "end": at(day, end), "activity": activity, "queue": queue})
        shifts.append({"agent_id": agent_id, "date": day, "shift_start": at(day, parts[0][0]),
                       "shift_end": at(day, parts[-1][1]), "paid_minutes": 0, "template": "t"})
    return pd.DataFrame(shifts), pd.DataFrame(activities)


def logs(rows: list[tuple[str, str, pd.Timestamp, pd.Timestamp]]) -> pd.DataFrame:
    return pd.DataFrame({"agent_id": [r[0] for r in rows], "state": [r[1] for r in rows],
                         "category": [r[1] for r in rows], "start": [r[2] for r in rows],
                         "end": [r[3] for r in rows]})


def monday_logs() -> pd.DataFrame:
    def m(clock: str) -> pd.Timestamp:
        return at(MONDAY, clock)

    return logs([
        # A1 logs in 5 minutes late, comes back from break 5 minutes late, spends the
        # training in a neutral state (a system outage) and logs out 2 minutes early.
        ("A1", "available", m("09:05"), m("10:00")), ("A1", "on_contact", m("10:00"), m("11:00")),
        ("A1", "break", m("11:00"), m("11:20")), ("A1", "on_contact", m("11:20"), m("12:00")),
        ("A1", "neutral", m("12:00"), m("12:30")), ("A1", "available", m("12:30"), m("12:58")),
        # A2 logs in 5 minutes early, takes calls through the coaching session and logs out
        # for lunch (no record from 12:00 to 12:30: offline).
        ("A2", "available", m("08:55"), m("12:00")), ("A2", "on_contact", m("12:30"), m("14:00")),
        # A3 never logs in (a sick day).
    ])


def report(cfg: CenterConfig, grace: float, plan: dict = PLAN,
           states: pd.DataFrame | None = None, **kwargs):
    shifts, activities = schedule(plan)
    return adherence_report(cfg, AGENTS, shifts, activities,
                            monday_logs() if states is None else states,
                            grace_minutes=grace, **kwargs)


def by_agent(result) -> dict[str, pd.Series]:
    return {r.agent_id: r for r in result.agent_days.itertuples(index=False)}


def test_adherence_with_grace(example_cfg) -> None:
    result = report(example_cfg, grace=3)
    days = by_agent(result)
    a1 = days["A1"]
    # 240 scheduled minutes less 30 neutral; late login 5 and long break 5 count, the
    # 2-minute early logout is inside the grace
    assert (a1.scheduled_minutes, a1.neutral_minutes) == (210, 30)
    assert a1.out_of_adherence_minutes == 10
    assert a1.adherence == pytest.approx(1 - 10 / 210)
    # worked: 115 + 20 (break) + 40 + 28 minutes over 210 working minutes
    assert a1.worked_minutes == 203 and a1.conformance == pytest.approx(203 / 210)
    a2 = days["A2"]
    # the missed coaching is 30 minutes out of 300; offline at lunch is in adherence
    assert (a2.scheduled_minutes, a2.out_of_adherence_minutes) == (300, 30)
    assert a2.adherence == pytest.approx(0.9)
    # worked 185 + 90 minutes (the early 5 included) over 300 - 30 lunch
    assert a2.worked_minutes == 275 and a2.conformance == pytest.approx(275 / 270)
    assert a2.unscheduled_minutes == 5
    a3 = days["A3"]
    assert (a3.adherence, a3.conformance, a3.out_of_adherence_minutes) == (0, 0, 240)
    assert "A4" not in days  # neither scheduled nor logged in
    exceptions = [(e.agent_id, e.kind, e.start[11:16], e.end[11:16], e.minutes, e.scheduled,
                   e.actual) for e in result.exceptions.itertuples(index=False)]
    assert exceptions == [
        ("A1", "late_login", "09:00", "09:05", 5, "work", "offline"),
        ("A1", "long_break", "11:15", "11:20", 5, "work", "break"),
        ("A2", "unscheduled_work", "08:55", "09:00", 5, "", "work"),
        ("A2", "missed_training", "10:00", "10:30", 30, "coaching", "work"),
        ("A3", "absent", "09:00", "13:00", 240, "shift", "offline"),
    ]


def test_adherence_without_grace_counts_every_second(example_cfg) -> None:
    result = report(example_cfg, grace=0)
    a1 = by_agent(result)["A1"]
    assert a1.out_of_adherence_minutes == 12
    assert a1.adherence == pytest.approx(1 - 12 / 210)
    assert ("A1", "early_logout", 2.0) in {(e.agent_id, e.kind, e.minutes)
                                           for e in result.exceptions.itertuples(index=False)}
    assert "0 minutes or less are forgiven" in result.notes[0]


def test_grace_forgives_a_stretch_as_long_as_itself(example_cfg) -> None:
    assert by_agent(report(example_cfg, grace=5))["A1"].out_of_adherence_minutes == 0
    assert by_agent(report(example_cfg, grace=4.99))["A1"].out_of_adherence_minutes == 10


def test_totals_per_team_queue_and_day(example_cfg) -> None:
    totals = report(example_cfg, grace=3).totals
    got = {(t.scope, t.key): t for t in totals.itertuples(index=False)}
    north = got[("team", "North")]
    assert (north.agents, north.scheduled_minutes, north.out_of_adherence_minutes) == (2, 510, 40)
    assert north.conformance == pytest.approx(478 / 480)
    # billing_es: A1's 195 work minutes (10 out) and A3's 240 (all out)
    billing = got[("queue", "billing_es")]
    assert (billing.scheduled_minutes, billing.out_of_adherence_minutes) == (435, 250)
    assert billing.adherence == pytest.approx(1 - 250 / 435) and pd.isna(billing.conformance)
    assert got[("queue", "technical_es")].adherence == 1
    day = got[("day", "2026-11-23")]
    assert (day.scheduled_minutes, day.out_of_adherence_minutes, day.exceptions) == (750, 280, 5)
    assert got[("all", "all")].adherence == pytest.approx(1 - 280 / 750)


def test_custom_state_names(example_cfg) -> None:
    adherence = example_cfg.adherence.model_copy(update={"states": {"Ready": "available",
                                                                    "Pause": "break"}})
    cfg = example_cfg.model_copy(update={"adherence": adherence})
    states = logs([("A3", "Ready", at(MONDAY, "09:00"), at(MONDAY, "11:00")),
                   ("A3", "Pause", at(MONDAY, "11:00"), at(MONDAY, "11:10")),
                   ("A3", "Ready", at(MONDAY, "11:10"), at(MONDAY, "13:00"))])
    states["category"] = states["state"].map(cfg.adherence.states)
    a3 = by_agent(report(cfg, grace=3, states=states))["A3"]
    assert a3.out_of_adherence_minutes == 10  # a break the schedule did not have


def test_records_across_midnight_count_on_each_day(example_cfg) -> None:
    tuesday = date(2026, 11, 24)
    plan = {"A1": (MONDAY, [("22:00", "23:30", "work", "billing_es")])}
    states = logs([
        ("A1", "available", at(MONDAY, "22:00"), at(MONDAY, "23:30")),
        # A4 works 20 minutes across midnight on a day off
        ("A4", "available", at(MONDAY, "23:50"), at(tuesday, "00:10")),
    ])
    result = report(example_cfg, grace=3, plan=plan, states=states, start=MONDAY, days=2)
    a4 = [r for r in result.agent_days.itertuples(index=False) if r.agent_id == "A4"]
    assert [(r.date, r.unscheduled_minutes, r.worked_minutes) for r in a4] == [
        (MONDAY, 10, 10), (tuesday, 10, 10)]
    assert all(pd.isna(r.adherence) for r in a4)
    kinds = [(e.date, e.kind, e.minutes) for e in result.exceptions.itertuples(index=False)]
    assert kinds == [(MONDAY, "unscheduled_work", 10), (tuesday, "unscheduled_work", 10)]


def test_a_night_shift_belongs_to_its_start_date(example_cfg) -> None:
    tuesday = date(2026, 11, 24)
    shifts, activities = schedule({"A1": (MONDAY, [("22:00", "23:59", "work", "billing_es")])})
    end = at(tuesday, "02:00")
    shifts.loc[0, "shift_end"] = end
    activities.loc[0, "end"] = end
    states = logs([("A1", "available", at(MONDAY, "22:00"), at(tuesday, "01:30"))])
    result = adherence_report(example_cfg, AGENTS, shifts, activities, states, grace_minutes=3,
                              start=MONDAY, days=2)
    (day,) = result.agent_days.itertuples(index=False)
    assert (day.date, day.scheduled_minutes, day.out_of_adherence_minutes) == (MONDAY, 240, 30)
    (exception,) = result.exceptions.itertuples(index=False)
    assert (exception.kind, exception.date, exception.end) == (
        "early_logout", MONDAY, "2026-11-24T02:00:00")


def test_fall_back_night_counts_real_time(example_cfg) -> None:
    night = date(2026, 10, 25)  # 00:00 to 04:00 on the wall clock is five real hours
    start = at(night, "00:00")
    end = start + pd.Timedelta(hours=5)
    shifts = pd.DataFrame([{"agent_id": "A1", "date": night, "shift_start": start,
                            "shift_end": end, "paid_minutes": 300, "template": "t"}])
    activities = pd.DataFrame([{"agent_id": "A1", "start": start, "end": end,
                                "activity": "work", "queue": "billing_es"}])
    states = logs([("A1", "available", start + pd.Timedelta(minutes=10), end)])
    result = adherence_report(example_cfg, AGENTS, shifts, activities, states, grace_minutes=3)
    (day,) = result.agent_days.itertuples(index=False)
    assert (day.scheduled_minutes, day.out_of_adherence_minutes) == (300, 10)


def test_unknown_scheduled_agent_and_activity_are_refused(example_cfg) -> None:
    shifts, activities = schedule({"Z9": (MONDAY, [("09:00", "10:00", "work", "billing_es")])})
    with pytest.raises(BadInput, match="schedule.csv: row 2, column agent_id: agent 'Z9' is not "
                                       "on the roster"):
        adherence_report(example_cfg, AGENTS, shifts, activities, monday_logs())
    shifts, activities = schedule({"A1": (MONDAY, [("09:00", "10:00", "project", "")])})
    with pytest.raises(BadInput, match="activities.csv: row 2, column activity: adherence cannot "
                                       "measure activity 'project'"):
        adherence_report(example_cfg, AGENTS, shifts, activities, monday_logs())


def test_state_time_outside_the_horizon_is_left_out_and_said(example_cfg) -> None:
    states = pd.concat([monday_logs(), logs([
        ("A1", "available", at(date(2026, 11, 30), "09:00"), at(date(2026, 11, 30), "10:00"))])],
        ignore_index=True)
    result = report(example_cfg, grace=3, states=states, start=MONDAY, days=7)
    assert set(result.agent_days["date"]) == {MONDAY}
    assert any("60.0 logged-in minutes" in note for note in result.notes)


def test_a_lunch_taken_logged_out_that_runs_over_is_a_long_break(example_cfg) -> None:
    def m(clock: str) -> pd.Timestamp:
        return at(MONDAY, clock)

    # A2 logs out for lunch at 12:00 and is back at 12:40 instead of 12:30
    states = logs([("A2", "available", m("09:00"), m("10:00")),
                   ("A2", "coaching", m("10:00"), m("10:30")),
                   ("A2", "available", m("10:30"), m("12:00")),
                   ("A2", "on_contact", m("12:40"), m("14:00"))])
    result = report(example_cfg, grace=3, plan={"A2": PLAN["A2"]}, states=states)
    (exception,) = result.exceptions.itertuples(index=False)
    assert (exception.kind, exception.start[11:16], exception.minutes) == ("long_break",
                                                                           "12:30", 10)
    assert by_agent(result)["A2"].adherence == pytest.approx(1 - 10 / 300)


def test_an_absent_shift_with_a_lunch_is_one_exception(example_cfg) -> None:
    # A2 never logs in; offline during the lunch is in adherence and splits the shift in two
    states = logs([("A1", "available", at(MONDAY, "09:00"), at(MONDAY, "13:00"))])
    result = report(example_cfg, grace=3, plan={"A1": PLAN["A1"], "A2": PLAN["A2"]},
                    states=states)
    absent = result.exceptions[result.exceptions["kind"] == "absent"]
    assert [(e.start[11:16], e.end[11:16], e.minutes) for e in absent.itertuples()] == [
        ("09:00", "14:00", 270)]
    assert by_agent(result)["A2"].exceptions == 1
    assert result.totals.query("scope == 'all'")["exceptions"].iloc[0] == len(result.exceptions)
