"""Leaders and off-phone activities in the solver: small centers solved to proven optimality,
every schedule written, re-read and passed by the independent checker."""

from __future__ import annotations

import copy
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wfm.config import CenterConfig, parse_config
from wfm.errors import InfeasibleRules
from wfm.io.tables import UNPLACED_KEY
from wfm.plan import ScheduleOutcome, schedule_step
from wfm.roster import Agent

MONDAY = date(2026, 2, 2)
TUESDAY = MONDAY + timedelta(days=1)
WEEK = [MONDAY + timedelta(days=d) for d in range(7)]
ZONE = "Europe/Madrid"

CENTER = {
    "center": {
        "name": "Small", "timezone": ZONE, "interval_minutes": 30,
        "opening_hours": {**{d: "08:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")},
                          "sat": "closed", "sun": "closed"},
    },
    "queues": [{"id": "sales_es", "channel": "voice", "skill": "sales", "language": "es"}],
    "contracts": [{"id": "full", "min_weekly_hours": 0, "max_weekly_hours": 40,
                   "max_working_days_per_week": 5}],
    "shift_templates": [
        {"id": "s6", "contracts": ["full"], "length_minutes": 360, "earliest_start": "08:00",
         "latest_start": "12:00", "start_step_minutes": 60,
         "breaks": [{"activity": "break", "duration_minutes": 30, "paid": True,
                     "earliest_start_minutes": 120, "latest_start_minutes": 210}]},
    ],
    "labor_rules": {"min_rest_hours": 12, "max_consecutive_working_days": 6,
                    "min_days_off_per_week": 0, "min_consecutive_days_off": 1,
                    "max_shift_hours": 10, "min_break_spacing_minutes": 60},
    "objective": {"paid_hours": 1, "over_coverage": 50},
    "solver": {"time_limit_seconds": 60, "workers": 2, "seed": 0},
}


def center(**changes: object) -> CenterConfig:
    data = copy.deepcopy(CENTER)
    for key, value in changes.items():
        data[key] = value
    return parse_config(data)


def person(agent_id: str, role: str = "agent", **extra: object) -> Agent:
    takes = role == "agent"
    return Agent(agent_id=agent_id, name=agent_id.upper(), team="T",
                 skills={"sales": 1.0} if takes else {}, languages=("es",) if takes else (),
                 contract="full", role=role, **extra)


def team_off_tuesday() -> list[Agent]:
    """Team T: its agents, two campaign leaders and its only team leader, off on Tuesday."""
    agents = [person(a) for a in TEAM]
    agents += [person("c1", leads=("T",)), person("c2", leads=("T",))]
    agents.append(person("tl", "team_leader", unavailable_dates=frozenset({TUESDAY})))
    return agents


def demand(cfg: CenterConfig, by_day: dict[int, list[tuple[str, str, int]]]) -> pd.DataFrame:
    """Requirements: per day offset, (from, to, agents) spans of the one queue."""
    step = pd.Timedelta(minutes=cfg.center.interval_minutes)
    rows = []
    for offset, spans in by_day.items():
        day = pd.Timestamp(MONDAY + timedelta(days=offset))
        for low, high, agents in spans:
            first = (day + pd.Timedelta(low + ":00")).tz_localize(ZONE)
            last = (day + pd.Timedelta(high + ":00")).tz_localize(ZONE)
            for t in pd.date_range(first, last, freq=step, inclusive="left"):
                rows.append({"interval_start": t, "queue": "sales_es", "required": agents})
    return pd.DataFrame(rows)


def solve(cfg: CenterConfig, agents: list[Agent], need: pd.DataFrame, tmp_path: Path,
          days: int = 5, method: str = "exact", seconds: float | None = None,
          ) -> ScheduleOutcome:
    """Solve, write, re-read and check (schedule_step raises on any violation)."""
    from wfm.schedule import solve as solve_module

    original = solve_module.EXACT_MAX_BOOLEANS
    if method == "aggregate":
        solve_module.EXACT_MAX_BOOLEANS = 0
    try:
        return schedule_step(cfg, agents, need, MONDAY, days, tmp_path / "out",
                             time_limit_seconds=seconds)
    finally:
        solve_module.EXACT_MAX_BOOLEANS = original


def on_shift(outcome: ScheduleOutcome, ids: list[str], day: date) -> np.ndarray:
    """Per half hour from 08:00 to 18:00 of ``day``: how many of ``ids`` are on shift."""
    shifts = outcome.folder.shifts
    stamps = pd.date_range(pd.Timestamp(day).tz_localize(ZONE) + pd.Timedelta(hours=8),
                           periods=20, freq="30min")
    mine = shifts[shifts["agent_id"].isin(ids)]
    return np.array([int(((mine["shift_start"] <= t) & (mine["shift_end"] > t)).sum())
                     for t in stamps])


LEAD = {"supervisor_from_agents": 6}
TEAM = [f"a{i}" for i in range(1, 9)]


def test_a_team_whose_only_leader_is_off_keeps_under_six_agents_on_shift(tmp_path) -> None:
    cfg = center(leadership=LEAD)
    agents = team_off_tuesday()
    # Monday and Tuesday want more than the team can give
    need = demand(cfg, {0: [("08:00", "18:00", 9)], 1: [("08:00", "18:00", 9)],
                        2: [("08:00", "18:00", 3)]})
    outcome = solve(cfg, agents, need, tmp_path, days=3)
    assert outcome.result.status == "OPTIMAL"
    tuesday = on_shift(outcome, TEAM, TUESDAY)
    assert tuesday.max() == 5  # six would need the team leader, who is off
    assert on_shift(outcome, ["tl"], TUESDAY).max() == 0
    # the campaign leaders cover the team's agents on Tuesday, one at a time on a break
    assert on_shift(outcome, ["c1", "c2"], TUESDAY).max() == 2
    # on Monday the team leader is there, and more than five agents work while on duty
    monday = on_shift(outcome, TEAM, MONDAY)
    assert monday.max() >= 6
    assert (on_shift(outcome, ["tl"], MONDAY)[monday >= 6] == 1).all()
    assert outcome.checker["valid"]


def test_infeasible_leader_rule_is_named(tmp_path) -> None:
    cfg = center(leadership=LEAD, contracts=[{
        "id": "full", "min_weekly_hours": 20, "max_weekly_hours": 40,
        "max_working_days_per_week": 5}])
    # the agents can work Tuesday only and must work then; their only leader cannot
    away = frozenset(d for d in WEEK if d != TUESDAY)
    agents = [person(a, unavailable_dates=away) for a in TEAM]
    agents.append(person("tl", "team_leader", unavailable_dates=frozenset({TUESDAY})))
    need = demand(cfg, {1: [("08:00", "18:00", 9)]})
    with pytest.raises(InfeasibleRules, match="leader_coverage") as caught:
        solve(cfg, agents, need, tmp_path)
    assert "team 'T'" in str(caught.value)
    assert "min_weekly_hours" in str(caught.value)


COACHING = {"id": "coaching", "name": "Coaching", "duration_minutes": 30,
            "frequency": "per_agent_week", "host": "leader", "shift_edge_minutes": 60}


def test_coaching_only_when_coach_and_agent_are_on_shift(tmp_path) -> None:
    cfg = center(activities=[COACHING])
    days_off = frozenset(WEEK[:3])  # the coach works Thursday and Friday only
    agents = [person("a1"), person("a2"), person("a3", unavailable_dates=frozenset(WEEK[3:5])),
              person("tl", "team_leader", unavailable_dates=days_off)]
    need = demand(cfg, {d: [("08:00", "18:00", 2)] for d in range(5)})
    outcome = solve(cfg, agents, need, tmp_path, days=7)
    assert outcome.result.status == "OPTIMAL"
    acts = outcome.folder.activities
    coaching = acts[acts["activity"] == "coaching"]
    sessions = coaching.groupby("session")["agent_id"].apply(sorted).to_dict()
    assert sessions == {"coaching:2026-02-02:a1": ["a1", "tl"],
                        "coaching:2026-02-02:a2": ["a2", "tl"]}
    assert set(coaching["start"].dt.date) <= set(WEEK[3:5])
    # a3 works only when the coach is off: reported with its reason, not dropped
    missed = outcome.report.kpis[UNPLACED_KEY]
    assert [m["session"] for m in missed] == ["coaching:2026-02-02:a3"]
    assert "no time at which its attendees and one who may run it can all be on shift" \
        in missed[0]["reason"]
    shifts = outcome.folder.shifts
    for row in coaching.itertuples():
        shift = shifts[(shifts["agent_id"] == row.agent_id)
                       & (shifts["shift_start"] <= row.start) & (shifts["shift_end"] >= row.end)]
        assert len(shift) == 1
        assert row.start - shift["shift_start"].iloc[0] >= pd.Timedelta(minutes=60)
        assert shift["shift_end"].iloc[0] - row.end >= pd.Timedelta(minutes=60)
    assert outcome.report.kpis["activities"]["by_activity"]["coaching"]["sessions_placed"] == 2


def test_team_meeting_with_everyone_at_the_quietest_time(tmp_path) -> None:
    meeting = {"id": "team_meeting", "duration_minutes": 60, "frequency": "per_team_week",
               "host": "leader", "days": ["wed"]}
    cfg = center(activities=[meeting])
    agents = [person(a) for a in ("a1", "a2", "a3", "a4")] + [person("tl", "team_leader")]
    busy = [("08:00", "18:00", 4)]
    quiet = [("08:00", "14:00", 4), ("15:00", "18:00", 4)]  # nothing needed 14:00-15:00
    need = demand(cfg, {0: busy, 1: busy, 2: quiet, 3: busy, 4: busy})
    outcome = solve(cfg, agents, need, tmp_path, days=7)  # a whole week: one meeting
    assert outcome.result.status == "OPTIMAL"
    acts = outcome.folder.activities
    rows = acts[acts["activity"] == "team_meeting"]
    assert sorted(rows["agent_id"]) == ["a1", "a2", "a3", "a4", "tl"]
    assert set(rows["session"]) == {"team_meeting:2026-02-02:T"}
    start = pd.Timestamp("2026-02-04 14:00").tz_localize(ZONE)
    assert set(rows["start"]) == {start} and set(rows["end"]) == {start + pd.Timedelta(hours=1)}
    assert outcome.report.kpis[UNPLACED_KEY] == []


def test_training_without_a_trainer_on_shift_is_reported_with_its_reason(tmp_path) -> None:
    training = {"id": "training", "name": "Product training", "duration_minutes": 120,
                "frequency": "once", "host": "trainer", "attendees": {"hired_within_days": 30}}
    cfg = center(activities=[training])
    agents = [person("a1", hire_date=MONDAY - timedelta(days=10)), person("a2"),
              person("tr", "trainer", unavailable_dates=frozenset(WEEK))]
    need = demand(cfg, {d: [("08:00", "18:00", 1)] for d in range(5)})
    outcome = solve(cfg, agents, need, tmp_path)
    missed = outcome.report.kpis[UNPLACED_KEY]
    assert missed == [{"session": "training:2026-02-02", "activity": "training",
                       "attendees": ["a1"], "need": 1, "reason": (
                           "nobody who may run it (trainer: tr (unavailable on every allowed "
                           "day)) can work a shift that holds it (mon, tue, wed, thu, fri, "
                           "sat, sun any time from 2026-02-02 to 2026-02-06)")}]
    assert not (outcome.folder.activities["activity"] == "training").any()
    assert outcome.checker["valid"]


def test_large_roster_method_keeps_the_leader_rule_and_places_sessions(tmp_path) -> None:
    meeting = {"id": "team_meeting", "duration_minutes": 60, "frequency": "per_team_week",
               "host": "leader", "days": ["wed"], "attendance": 0.75}
    cfg = center(leadership=LEAD, activities=[COACHING, meeting])
    agents = team_off_tuesday()
    # Wednesday, the meeting's day, asks for 6 agents: a schedule good for coverage has the
    # meeting's attendees on shift then (asked for 3, whether a schedule holding the
    # meeting won depended on the search's timing: it lost in 3 of 9 full test runs)
    need = demand(cfg, {0: [("08:00", "18:00", 9)], 1: [("08:00", "18:00", 9)],
                        2: [("08:00", "18:00", 6)], 3: [("08:00", "18:00", 5)],
                        4: [("08:00", "18:00", 5)]})
    outcome = solve(cfg, agents, need, tmp_path, days=7, method="aggregate", seconds=15)
    assert outcome.checker["valid"]  # leader rule, sessions' windows and attendance held
    assert on_shift(outcome, TEAM, TUESDAY).max() <= 5
    acts = outcome.folder.activities
    placed = set(acts.loc[acts["session"] != "", "session"])
    missed = outcome.report.kpis[UNPLACED_KEY]
    assert "team_meeting:2026-02-02:T" in placed, (missed, outcome.result.notes)
    assert len(placed) + len(missed) == 11  # ten coaching sessions and the meeting
    # each session not placed is reported with its reason (on this path some coaching may
    # be: the LP start's weeks are split without the sessions in view, and the search
    # trades them against coverage at objective.activity_missed)
    assert all(m["reason"] for m in missed) and len(missed) < len(placed)
    assert outcome.result.coverage_bound <= outcome.result.coverage_objective


@pytest.mark.parametrize("group_repair", ["not found", "moved little", "moved most"])
def test_lp_start_split_leaders_first_when_the_group_split_is_not_repaired(
        tmp_path, monkeypatch: pytest.MonkeyPatch, group_repair: str) -> None:
    from wfm.schedule import solve as solve_module

    repaired, names = solve_module._repaired, []

    def group_repair_as(ctx, shifts, name, tried, workers=None):  # noqa: ANN001, ANN202
        names.append(name)
        if name == "LP start (by group)" and group_repair == "not found":
            return None, 1.0  # as when no repair is found in time
        kept, _ = repaired(ctx, shifts, name, tried, workers)
        if name == "LP start (by group)" and group_repair == "moved most":
            return kept, 0.9  # the LP's shape lost
        return kept, 0.0  # every week kept as split: the LP's shape is there

    monkeypatch.setattr(solve_module, "_repaired", group_repair_as)
    cfg = center(leadership=LEAD)
    agents = team_off_tuesday()
    need = demand(cfg, {d: [("08:00", "18:00", 5)] for d in range(5)})
    outcome = solve(cfg, agents, need, tmp_path, days=7, method="aggregate", seconds=12)
    notes = " ".join(outcome.result.notes)
    if group_repair != "moved little":
        assert names[1:] == ["LP start (by group)", "LP start (leaders first)"]
        assert "LP counts split leaders first" in notes
        # the split made for the rule alone: the per-agent model starts from it
        assert "first schedule from the LP split leaders first" in notes
        assert ("the group split left out" in notes) == (group_repair == "moved most")
    else:  # the group split kept its shape: no second split
        assert names[1:] == ["LP start (by group)"]
        assert "LP counts split leaders first" not in notes
    assert "first schedule from the LP" in notes
    assert outcome.checker["valid"]
    assert on_shift(outcome, TEAM, TUESDAY).max() <= 5


def test_the_same_shifts_are_not_placed_twice(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The LP start's own shifts, placed first, are not placed again for the per-agent
    model's first schedule (the same shifts): the search gets that time."""
    from wfm.schedule import solve as solve_module

    place, placed = solve_module._place_for_shifts, []

    def recorded(ctx, realized, limit=None, shifts=None, *gap):  # noqa: ANN001, ANN202
        if shifts is not None:
            placed.append(tuple(sorted((a, tuple(sorted(k))) for a, k in shifts.items())))
        return place(ctx, realized, limit, shifts, *gap)

    monkeypatch.setattr(solve_module, "_place_for_shifts", recorded)
    repaired = solve_module._repaired
    # the group split kept as repaired: one start, whose own shifts are placed first
    monkeypatch.setattr(solve_module, "_repaired",
                        lambda ctx, shifts, name, tried, workers=None: (
                            repaired(ctx, shifts, name, tried, workers)[0], 0.0))
    cfg = center(leadership=LEAD, activities=[COACHING])
    agents = team_off_tuesday()
    need = demand(cfg, {d: [("08:00", "18:00", 5)] for d in range(5)})
    outcome = solve(cfg, agents, need, tmp_path, days=7, method="aggregate", seconds=12)
    notes = " ".join(outcome.result.notes)
    assert "the LP's own shifts placed" in notes
    assert "first schedule from the LP at" in notes
    assert len(placed) == len(set(placed)) >= 1
    assert outcome.checker["valid"]


@pytest.mark.parametrize("safe_placed", [True, False], ids=["safe placed", "safe not placed"])
def test_a_team_not_repaired_in_time_takes_the_safe_schedules_shifts_and_the_start_stands(
        tmp_path, monkeypatch: pytest.MonkeyPatch, safe_placed: bool) -> None:
    """A start whose leader-rule repair misses one set of teams keeps the others' repair and
    takes that set's people from the safe schedule (which keeps the rule), rather than lose
    the whole start (at 1,000 agents one team of 42 not found in 83 s had lost it); the safe
    schedule's shifts serve so even when its breaks were not placed in time (beside two busy
    processes the sample center's were not, and every start was lost)."""
    from wfm.schedule import solve as solve_module
    from wfm.schedule.leaders import Repair

    place_for_shifts, placements = solve_module._place_for_shifts, []

    def safe_not_placed(ctx, *args, **kwargs):  # noqa: ANN001, ANN202
        placements.append(args)
        if len(placements) == 1 and not safe_placed:  # the safe schedule's placement
            return None
        return place_for_shifts(ctx, *args, **kwargs)

    monkeypatch.setattr(solve_module, "_place_for_shifts", safe_not_placed)

    schedules, calls, kept = solve_module.team_schedules, [], {}
    lanes = []

    def team_u_not_found(inst, targets, seconds, workers, seed, retry_share=1.0):  # noqa: ANN001, ANN202
        repair = schedules(inst, targets, seconds, workers, seed, retry_share)
        calls.append(retry_share)
        lanes.append(workers)
        if len(calls) == 1:  # the safe schedule's own repair
            return repair
        people = frozenset(p for p, a in agents_by_id.items() if a.team == "U")
        kept.update({p: keys for p, keys in repair.shifts.items() if p not in people})
        return Repair(dict(kept), [["U"]])

    monkeypatch.setattr(solve_module, "team_schedules", team_u_not_found)
    cfg = center(leadership=LEAD)
    agents = team_off_tuesday() + [
        a.model_copy(update={"agent_id": f"u{a.agent_id}", "team": "U",
                             "leads": ("U",) if a.leads else ()}) for a in team_off_tuesday()]
    agents_by_id = {a.agent_id: a for a in agents}
    need = demand(cfg, {d: [("08:00", "18:00", 10)] for d in range(5)})
    outcome = solve(cfg, agents, need, tmp_path, days=7, method="aggregate", seconds=10)
    notes = " ".join(outcome.result.notes)
    assert "no repair keeping the leader rule found" in notes and "'U'" in notes
    assert "the people of 1 sets of teams on the safe schedule's shifts" in notes
    assert "first schedule from the LP" in notes  # the start stood
    assert ("safe schedule at" in notes) == safe_placed
    assert calls[1] == solve_module.FALLBACK_RETRY_SHARE  # with a fallback, less waiting
    # one team at a time beside the coverage LP (the safe schedule), then two
    assert lanes[0] == 1 and lanes[1] == 2
    assert outcome.checker["valid"]  # the rule held in both teams
    assert on_shift(outcome, TEAM, TUESDAY).max() <= 5
    assert on_shift(outcome, [f"u{a}" for a in TEAM], TUESDAY).max() <= 5


def test_the_time_kept_for_sessions_on_the_plan_follows_their_count() -> None:
    """Paid sessions go on the schedule's plan in milliseconds each: the time kept for them
    is a second and a hundredth of one per session, whatever the limit (at 1,000 agents 5%
    of 600 s kept 30 s for a placement of 2.6-4.4 s), and at most 5% of a short limit;
    sessions placed by a model of their own (unpaid) keep a fifth of it."""
    from wfm.schedule.instance import build_instance
    from wfm.schedule.solve import sessions_reserve

    cfg = center(leadership=LEAD, activities=[COACHING])
    need = demand(cfg, {d: [("08:00", "18:00", 5)] for d in range(5)})
    inst = build_instance(cfg, team_off_tuesday(), need, MONDAY, 7, None)
    coached = 10  # every agent, campaign leaders included
    assert sessions_reserve(inst, 600.0) == pytest.approx(1.0 + 0.01 * coached)
    assert sessions_reserve(inst, 6000.0) == sessions_reserve(inst, 600.0)
    assert sessions_reserve(inst, 10.0) == pytest.approx(0.5)
    unpaid = center(leadership=LEAD, activities=[{**COACHING, "paid": False}])
    assert sessions_reserve(build_instance(unpaid, team_off_tuesday(), need, MONDAY, 7, None),
                            600.0) == pytest.approx(120.0)


def test_the_searchs_schedule_keeps_its_own_breaks_and_queues(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With paid sessions, the schedule of the search's vector is built from its own breaks
    and queues (the time it keeps for sessions back on queues, then the sessions on the
    plan), not placed anew: placed anew within the time left, at 1,000 agents its coverage
    was 45.5 million against the search's 25.1. The search keeps the time of such a build,
    not of a placement. The search hands back a copy of its start (what it finds does not
    matter here, and waiting for a gain made the test load-sensitive). Checked by the
    checker."""
    from wfm.io.config_file import load_config
    from wfm.samples.synthetic import (
        synthetic_people,
        synthetic_requirements,
        synthetic_roster,
    )
    from wfm.schedule import solve as solve_module
    from wfm.schedule.solve import solve_schedule
    from wfm.verify.check import check_schedule

    base = load_config("configs/example.yaml")
    cfg = base.model_copy(update={"activities": [a for a in base.activities
                                                 if a.id in ("coaching", "team_meeting")]})
    agents = synthetic_people(synthetic_roster(cfg, 24, MONDAY, 7, seed=2))  # one team
    need = synthetic_requirements(cfg, [a for a in agents if a.role == "agent"], MONDAY, 7,
                                  seed=2)
    events: list[str] = []
    placed_result, agent_result = solve_module._placed_result, solve_module._agent_result

    def placing(ctx, shifts, moved=0, limit=None):  # noqa: ANN001, ANN202
        events.append("placed anew")
        return placed_result(ctx, shifts, moved, limit)

    def building(ctx, model, cover, values, placed=None):  # noqa: ANN001, ANN202
        events.append("build")
        found = agent_result(ctx, model, cover, values, placed)
        events.append("built")
        return found

    direct_result = solve_module._direct_result

    def slow_direct(*args):  # noqa: ANN002, ANN202
        time.sleep(3.0)  # the start's own shifts placed slowly: no measure of a build here
        return direct_result(*args)

    def searched(solver, values, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        return values.copy(), 0  # a vector of the search's, whatever it would have gained

    monkeypatch.setattr(solve_module, "_placed_result", placing)
    monkeypatch.setattr(solve_module, "_agent_result", building)
    monkeypatch.setattr(solve_module, "_direct_result", slow_direct)
    monkeypatch.setattr(solve_module, "improve", searched)
    monkeypatch.setattr(solve_module, "_final_split", lambda *args: None)  # not in question
    lines: list[str] = []
    result = solve_schedule(cfg, agents, need, MONDAY, 7, time_limit_seconds=40, workers=2,
                            seed=0, method="aggregate", log=lines.append)
    assert any(line.startswith("the search's schedule built") for line in lines)
    ended = next(line for line in lines if line.startswith("search ended"))
    assert float(ended.split("one build took ")[1].rstrip("s)")) < 3.0  # its own, measured
    assert events.count("build") == 2  # the first schedule's and the search's
    searched = events.index("build", events.index("build") + 1)
    assert events[searched:searched + 2] == ["build", "built"]  # nothing placed anew
    unplaced = {e["session"]: e["reason"] for e in result.unplaced}
    assert check_schedule(cfg, agents, result.shifts, result.activities, requirements=need,
                          start=MONDAY, days=7, unplaced=unplaced) == []
    placed = result.activities[result.activities["session"].fillna("") != ""]
    assert placed["session"].nunique() > len(unplaced)


@pytest.mark.parametrize("probe", ["moved most", "moved little"])
def test_a_repair_of_a_few_teams_decides_whether_the_group_split_is_repaired_whole(
        tmp_path, monkeypatch: pytest.MonkeyPatch, probe: str) -> None:
    """On large rosters the leader rule's repair of a few sets of teams comes first: when it
    moves most of their weeks, the group split is not repaired whole (at 1,000 agents that
    took 51-57 s to move 1,002 of 1,084) and the split made leaders first is the start."""
    from wfm.schedule import solve as solve_module
    from wfm.schedule.leaders import Repair

    monkeypatch.setattr(solve_module, "PROBE_FROM_SETS", 1)  # the one team is the probe
    monkeypatch.setattr(solve_module, "PROBE_SETS", 1)
    team_schedules, repaired, names, probes = (solve_module.team_schedules,
                                               solve_module._repaired, [], [])

    def probing(inst, targets, seconds, workers, seed, retry_share=1.0,  # noqa: ANN001, ANN202
                components=None):
        found = team_schedules(inst, targets, seconds, workers, seed, retry_share, components)
        if components is None:
            return found
        probes.append(components)
        if probe == "moved most":  # every one of its people on other shifts
            return Repair({p: [] for p in found.shifts}, [])
        return Repair(dict(targets), [])  # every week kept

    def recorded(ctx, shifts, name, tried, workers=None):  # noqa: ANN001, ANN202
        names.append(name)
        return repaired(ctx, shifts, name, tried, workers)

    monkeypatch.setattr(solve_module, "team_schedules", probing)
    monkeypatch.setattr(solve_module, "_repaired", recorded)
    cfg = center(leadership=LEAD)
    need = demand(cfg, {d: [("08:00", "18:00", 5)] for d in range(5)})
    outcome = solve(cfg, team_off_tuesday(), need, tmp_path, days=7, method="aggregate",
                    seconds=12)
    notes = " ".join(outcome.result.notes)
    assert probes == [[["T"]]]
    said = notes.split("LP start (by group): the repair of 1 of 1 sets of teams moved ")[1]
    said = said.split(";")[0]
    if probe == "moved most":
        assert said.endswith("the group split left out")
        assert "LP start (by group)" not in names  # not repaired whole
        assert "first schedule from the LP split leaders first" in notes
    else:
        assert said.startswith("0 of 11 people's weeks") and "left out" not in said
        assert names[1] == "LP start (by group)"
    assert outcome.checker["valid"]
    assert on_shift(outcome, TEAM, TUESDAY).max() <= 5


def test_the_leader_rules_lp_raises_the_bound_and_stays_below_the_optimum(tmp_path) -> None:
    """Team T's only leader is off on Tuesday, 8 agents asked for Monday to Wednesday: the
    coverage LP without the rule covers Tuesday in full (272,700); the leader rule's LP (a
    leader on shift counted as on duty) knows at most 5 can work then (341,300), at or
    below the proven optimum (347,400). The large-roster method reports the higher bound
    and says where it is from."""
    from wfm.schedule.instance import build_instance
    from wfm.schedule.solve import coverage_lp, leader_lp

    cfg = center(leadership=LEAD)
    agents = team_off_tuesday()
    need = demand(cfg, {d: [("08:00", "18:00", 8)] for d in range(3)})
    exact = solve(cfg, agents, need, tmp_path / "exact", days=3)
    assert exact.result.status == "OPTIMAL"
    inst = build_instance(cfg, agents, need, MONDAY, 3)
    plain = coverage_lp(inst, 30).coverage_bound
    with_rule = leader_lp(inst, 30)
    assert with_rule.tried == [t for t in with_rule.tried if "OPTIMAL" in t]
    assert plain + 1000 < with_rule.coverage_bound <= exact.result.coverage_objective + 1e-6
    large = solve(cfg, agents, need, tmp_path / "aggregate", days=3, method="aggregate",
                  seconds=12)
    assert large.result.coverage_bound == pytest.approx(
        min(with_rule.coverage_bound, large.result.coverage_objective), abs=1e-3)
    notes = " ".join(large.result.notes)
    assert "with the leader rule's rows" in notes and "the leader rule's LP: ipm" in notes


def test_the_leader_rules_lp_is_left_out_when_too_little_time_is_left() -> None:
    """The leader rule's LP follows the coverage LP only with three times its seconds left
    (on the sample center's 60 s it would not end in time): otherwise it says why."""
    from wfm.schedule.instance import build_instance
    from wfm.schedule.solve import CoverageBound

    cfg = center(leadership=LEAD)
    need = demand(cfg, {d: [("08:00", "18:00", 8)] for d in range(3)})
    inst = build_instance(cfg, team_off_tuesday(), need, MONDAY, 3)
    short = CoverageBound(inst, 10, final_deadline=time.monotonic() + 1.0)
    assert short.result().coverage_bound > 0
    why = short.leader_result()
    assert isinstance(why, str) and why.startswith("the leader rule's LP not run"), why
    roomy = CoverageBound(inst, 10, final_deadline=time.monotonic() + 60.0)
    assert roomy.leader_result().coverage_bound > roomy.result().coverage_bound
    assert CoverageBound(replace_leadership(inst), 10, time.monotonic() + 60).leader_result() \
        is None


def replace_leadership(inst):  # noqa: ANN001, ANN201
    """The instance without a leader rule."""
    from dataclasses import replace

    return replace(inst, cfg=inst.cfg.model_copy(update={"leadership": None}))


@pytest.mark.parametrize("lead", [{"supervisor_from_agents": 6, "max_agents_per_leader": 4},
                                  {"supervisor_from_agents": 3}],
                         ids=["span of four", "a leader from three"])
def test_the_leader_rules_lp_bound_holds_with_a_span_and_a_lower_threshold(tmp_path,
                                                                            lead) -> None:
    """The span-of-control rows and a lower threshold in the leader rule's LP: its bound
    above the one without the rule and at or below the proven optimum (measured: 114,233
    and 152,883 against 100,958 without, optima 123,900 and 292,250)."""
    from wfm.schedule.instance import build_instance
    from wfm.schedule.solve import coverage_lp, leader_lp

    cfg = center(leadership=lead)
    agents = team_off_tuesday()
    need = demand(cfg, {0: [("08:00", "18:00", 8)],
                        1: [("08:00", "13:00", 6), ("13:00", "18:00", 2)],
                        2: [("08:00", "18:00", 5)]})
    exact = solve(cfg, agents, need, tmp_path, days=3)
    assert exact.result.status == "OPTIMAL"
    inst = build_instance(cfg, agents, need, MONDAY, 3)
    plain = coverage_lp(inst, 30).coverage_bound
    with_rule = leader_lp(inst, 30).coverage_bound
    assert plain + 1000 < with_rule <= exact.result.coverage_objective + 1e-6
