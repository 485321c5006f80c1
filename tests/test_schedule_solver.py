"""The schedule solver on small centers: rules held, optimality proven, checker clean."""

from __future__ import annotations

import copy
import time
from datetime import date, timedelta

import pandas as pd
import pytest

from wfm.config import CenterConfig, parse_config
from wfm.errors import InfeasibleRules
from wfm.roster import Agent
from wfm.schedule.result import ScheduleResult
from wfm.schedule.solve import solve_schedule
from wfm.verify.check import check_schedule

MONDAY = date(2026, 2, 2)

BASE = {
    "center": {
        "name": "Test", "timezone": "Europe/Madrid", "interval_minutes": 30,
        "opening_hours": {d: "08:00-20:00" for d in
                          ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    },
    "queues": [
        {"id": "sales_es", "channel": "voice", "skill": "sales", "language": "es"},
    ],
    "contracts": [
        {"id": "full", "min_weekly_hours": 0, "max_weekly_hours": 40,
         "max_working_days_per_week": 5},
    ],
    "shift_templates": [
        {"id": "t4", "contracts": ["full"], "length_minutes": 240, "earliest_start": "08:00",
         "latest_start": "16:00", "start_step_minutes": 60,
         "breaks": [{"activity": "break", "duration_minutes": 30, "paid": True,
                     "earliest_start_minutes": 60, "latest_start_minutes": 150}]},
    ],
    "labor_rules": {"min_rest_hours": 12, "max_consecutive_working_days": 6,
                    "min_days_off_per_week": 0, "min_consecutive_days_off": 1,
                    "max_shift_hours": 10, "min_break_spacing_minutes": 60},
    "solver": {"time_limit_seconds": 30, "workers": 1, "seed": 0},
}


def make_config(**changes: object) -> CenterConfig:
    """The base test center with top-level sections updated (dicts merged one level)."""
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return parse_config(data)


def agent(agent_id: str, skills: dict[str, float] | None = None,
          languages: tuple[str, ...] = ("es",), contract: str = "full", **extra: object) -> Agent:
    return Agent(agent_id=agent_id, name=agent_id, team="T", skills=skills or {"sales": 1.0},
                 languages=languages, contract=contract, **extra)


def demand(cfg: CenterConfig, start: date,
           rows: list[tuple[str, int, str, str, int]]) -> pd.DataFrame:
    """Requirements from (queue, day offset, from HH:MM, to HH:MM, agents) rows."""
    zone = cfg.center.timezone
    step = pd.Timedelta(minutes=cfg.center.interval_minutes)
    records = []
    for queue, offset, low, high, agents_needed in rows:
        day = pd.Timestamp(start + timedelta(days=offset))
        first = (day + pd.Timedelta(low + ":00")).tz_localize(zone)
        last = (day + pd.Timedelta(high + ":00")).tz_localize(zone)
        stamps = pd.date_range(first.tz_convert("UTC"), last.tz_convert("UTC"), freq=step,
                               inclusive="left").tz_convert(zone)
        records += [{"interval_start": t, "queue": queue, "required": agents_needed}
                    for t in stamps]
    return pd.DataFrame(records, columns=["interval_start", "queue", "required"])


def solve_and_check(cfg: CenterConfig, agents: list[Agent], requirements: pd.DataFrame,
                    start: date, days: int, previous: pd.DataFrame | None = None,
                    **kwargs: object) -> ScheduleResult:
    """Solve, then run the independent checker on the result; fail on any violation."""
    result = solve_schedule(cfg, agents, requirements, start, days, previous=previous,
                            **kwargs)
    violations = check_schedule(cfg, agents, result.shifts, result.activities,
                                requirements=requirements, previous=previous,
                                start=start, days=days)
    assert violations == [], "\n".join(map(str, violations))
    assert result.coverage_bound <= result.coverage_objective + 1e-6
    return result


def shifts_of(result: ScheduleResult, agent_id: str) -> pd.DataFrame:
    table = result.shifts[result.shifts["agent_id"] == agent_id]
    return table.sort_values("shift_start").reset_index(drop=True)


# ------------------------------------------------------------------ optimality, basics

def test_small_instance_is_solved_to_proven_optimality() -> None:
    cfg = make_config()
    agents = [agent("a1"), agent("a2")]
    need = demand(cfg, MONDAY, [("sales_es", 0, "08:00", "12:00", 1),
                                ("sales_es", 0, "14:00", "18:00", 1),
                                ("sales_es", 1, "10:00", "14:00", 2)])
    result = solve_and_check(cfg, agents, need, MONDAY, 2)
    assert result.status == "OPTIMAL"
    # every demanded slot can be covered except the breaks (one 30-minute break per shift)
    assert len(result.shifts) == 4
    assert result.penalties["shortfall_agent_hours"] <= 4 * 0.5 + 1e-9
    work = result.activities[result.activities["activity"] == "work"]
    assert set(work["queue"]) == {"sales_es"}


def test_breaks_respect_windows_and_spacing() -> None:
    cfg = make_config(shift_templates=[{
        "id": "t8", "contracts": ["full"], "length_minutes": 480, "earliest_start": "08:00",
        "latest_start": "08:00", "start_step_minutes": 60,
        "breaks": [
            {"activity": "break", "duration_minutes": 30, "paid": True,
             "earliest_start_minutes": 60, "latest_start_minutes": 120},
            {"activity": "lunch", "duration_minutes": 60, "paid": False,
             "earliest_start_minutes": 180, "latest_start_minutes": 270},
            {"activity": "break", "duration_minutes": 30, "paid": True,
             "earliest_start_minutes": 300, "latest_start_minutes": 390},
        ]}])
    agents = [agent(f"a{i}") for i in range(3)]
    # demand peaks where the break windows are: breaks must still be taken, spaced
    need = demand(cfg, MONDAY, [("sales_es", 0, "08:00", "16:00", 3)])
    result = solve_and_check(cfg, agents, need, MONDAY, 1)
    acts = result.activities
    for agent_id in ("a0", "a1", "a2"):
        mine = acts[acts["agent_id"] == agent_id].sort_values("start")
        pauses = mine[mine["activity"] != "work"]
        assert list(pauses["activity"]) == ["break", "lunch", "break"]
        shift = shifts_of(result, agent_id).iloc[0]
        assert shift["paid_minutes"] == 420
        edges = [shift["shift_start"], *sum(([p.start, p.end] for p in pauses.itertuples()),
                                            []), shift["shift_end"]]
        gaps = [(b - a).total_seconds() / 60 for a, b in zip(edges[::2], edges[1::2],
                                                              strict=True)]
        assert min(gaps) >= 60


# ------------------------------------------------------------------ each hard rule

def test_min_rest_binds_across_days() -> None:
    cfg = make_config()
    solo = [agent("a1")]
    # late demand on day 0 and early demand on day 1: 16:00-20:00 then 08:00 is 12 h rest
    # at most; rest of 13 h forbids doing both
    cfg13 = make_config(labor_rules={**BASE["labor_rules"], "min_rest_hours": 13})
    need = demand(cfg, MONDAY, [("sales_es", 0, "16:00", "20:00", 1),
                                ("sales_es", 1, "08:00", "12:00", 1)])
    loose = solve_and_check(cfg, solo, need, MONDAY, 2)
    starts = list(shifts_of(loose, "a1")["shift_start"].dt.hour)
    assert starts == [16, 8]  # 12 h rest is allowed: both peaks covered
    tight = solve_and_check(cfg13, solo, need, MONDAY, 2)
    rows = shifts_of(tight, "a1")
    if len(rows) == 2:
        rest = rows["shift_start"].iloc[1] - rows["shift_end"].iloc[0]
        assert rest >= pd.Timedelta(hours=13)
    assert tight.coverage_objective > loose.coverage_objective


def test_min_rest_against_previous_schedule() -> None:
    cfg = make_config()
    solo = [agent("a1")]
    zone = cfg.center.timezone
    sunday = MONDAY - timedelta(days=1)
    previous = pd.DataFrame([{
        "agent_id": "a1", "date": sunday,
        "shift_start": pd.Timestamp(f"{sunday} 16:00").tz_localize(zone),
        "shift_end": pd.Timestamp(f"{sunday} 20:00").tz_localize(zone),
        "paid_minutes": 240, "template": "t4"}])
    need = demand(cfg, MONDAY, [("sales_es", 0, "08:00", "12:00", 1)])
    cfg13 = make_config(labor_rules={**BASE["labor_rules"], "min_rest_hours": 13})
    result = solve_and_check(cfg13, solo, need, MONDAY, 1, previous=previous)
    rows = shifts_of(result, "a1")
    assert all(rows["shift_start"] >= previous["shift_end"].iloc[0] + pd.Timedelta(hours=13))
    free = solve_and_check(cfg13, solo, need, MONDAY, 1)
    assert list(shifts_of(free, "a1")["shift_start"].dt.hour) == [8]


def test_max_consecutive_days_counts_previous_days() -> None:
    rules = {**BASE["labor_rules"], "max_consecutive_working_days": 3}
    cfg = make_config(labor_rules=rules)
    solo = [agent("a1")]
    need = demand(cfg, MONDAY, [("sales_es", d, "08:00", "12:00", 1) for d in range(5)])
    result = solve_and_check(cfg, solo, need, MONDAY, 5)
    worked = sorted(shifts_of(result, "a1")["date"])
    assert len(worked) == 4  # 5 days of demand, 3 in a row at most: one day off
    zone = cfg.center.timezone
    previous = pd.DataFrame([{
        "agent_id": "a1", "date": MONDAY - timedelta(days=k),
        "shift_start": pd.Timestamp(f"{MONDAY - timedelta(days=k)} 08:00").tz_localize(zone),
        "shift_end": pd.Timestamp(f"{MONDAY - timedelta(days=k)} 12:00").tz_localize(zone),
        "paid_minutes": 240, "template": "t4"} for k in (1, 2)])
    carried = solve_and_check(cfg, solo, need, MONDAY, 5, previous=previous)
    worked = sorted(shifts_of(carried, "a1")["date"])
    # Saturday and Sunday worked before: Monday is the third day in a row, so Monday and
    # Tuesday cannot both be worked
    assert not {MONDAY, MONDAY + timedelta(days=1)} <= set(worked)
    assert len(worked) == 4


def test_days_off_per_week_and_consecutive_days_off() -> None:
    rules = {**BASE["labor_rules"], "min_days_off_per_week": 2, "min_consecutive_days_off": 2}
    cfg = make_config(labor_rules=rules, contracts=[{
        "id": "full", "min_weekly_hours": 0, "max_weekly_hours": 40,
        "max_working_days_per_week": 7}])
    solo = [agent("a1")]
    need = demand(cfg, MONDAY, [("sales_es", d, "08:00", "12:00", 1) for d in range(7)])
    result = solve_and_check(cfg, solo, need, MONDAY, 7)
    worked = {d.weekday() for d in shifts_of(result, "a1")["date"]}
    assert len(worked) == 5
    off = sorted(set(range(7)) - worked)
    assert off[1] - off[0] == 1  # the two days off are together


def test_max_working_days_per_week() -> None:
    cfg = make_config(contracts=[{"id": "full", "min_weekly_hours": 0, "max_weekly_hours": 40,
                                  "max_working_days_per_week": 3}])
    solo = [agent("a1")]
    need = demand(cfg, MONDAY, [("sales_es", d, "08:00", "12:00", 1) for d in range(7)])
    result = solve_and_check(cfg, solo, need, MONDAY, 7)
    assert len(shifts_of(result, "a1")) == 3


def test_weekly_hours_minimum_and_maximum() -> None:
    cfg = make_config(contracts=[{"id": "full", "min_weekly_hours": 12, "max_weekly_hours": 16,
                                  "max_working_days_per_week": 7}])
    solo = [agent("a1")]
    # no demand at all: the minimum still makes the agent work 3 shifts of 4 h
    idle = solve_and_check(cfg, solo, demand(cfg, MONDAY, []), MONDAY, 7)
    assert shifts_of(idle, "a1")["paid_minutes"].sum() == 12 * 60
    # demand every day: the maximum stops at 4 shifts
    need = demand(cfg, MONDAY, [("sales_es", d, "08:00", "12:00", 1) for d in range(7)])
    busy = solve_and_check(cfg, solo, need, MONDAY, 7)
    assert shifts_of(busy, "a1")["paid_minutes"].sum() == 16 * 60


def test_unavailable_dates_and_available_window() -> None:
    cfg = make_config()
    away = agent("a1", unavailable_dates=frozenset({MONDAY}))
    need = demand(cfg, MONDAY, [("sales_es", 0, "08:00", "12:00", 1),
                                ("sales_es", 1, "16:00", "20:00", 1)])
    result = solve_and_check(cfg, [away], need, MONDAY, 2)
    assert MONDAY not in set(shifts_of(result, "a1")["date"])
    early = agent("a1", available_window=(8 * 60, 14 * 60))
    result = solve_and_check(cfg, [early], need, MONDAY, 2)
    rows = shifts_of(result, "a1")
    assert all(rows["shift_end"].dt.hour * 60 + rows["shift_end"].dt.minute <= 14 * 60)


def test_opening_hours_and_closed_days() -> None:
    hours = {d: "08:00-20:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat")}
    cfg = make_config(center={**BASE["center"], "opening_hours": {**hours, "sun": "closed",
                                                                  "mon": "10:00-14:00"}})
    solo = [agent("a1")]
    need = demand(cfg, MONDAY - timedelta(days=1), [("sales_es", 0, "08:00", "12:00", 1),
                                                    ("sales_es", 1, "08:00", "12:00", 1)])
    result = solve_and_check(cfg, solo, need, MONDAY - timedelta(days=1), 2)
    rows = shifts_of(result, "a1")
    assert list(rows["date"]) == [MONDAY]
    assert rows["shift_start"].iloc[0].hour == 10


def test_agent_counts_only_for_matching_skill_and_language() -> None:
    queues = [{"id": "sales_es", "channel": "voice", "skill": "sales", "language": "es"},
              {"id": "sales_en", "channel": "voice", "skill": "sales", "language": "en"}]
    cfg = make_config(queues=queues)
    spanish = agent("a1")
    need = demand(cfg, MONDAY, [("sales_en", 0, "08:00", "12:00", 1)])
    result = solve_and_check(cfg, [spanish], need, MONDAY, 1)
    work = result.activities[result.activities["activity"] == "work"]
    assert "sales_en" not in set(work["queue"])
    assert result.penalties["shortfall_agent_hours"] == 4


def test_only_cross_skilled_agents_cover_a_queue() -> None:
    queues = [{"id": "sales_es", "channel": "voice", "skill": "sales", "language": "es"},
              {"id": "tech_es", "channel": "voice", "skill": "tech", "language": "es"}]
    cfg = make_config(queues=queues)
    agents = [agent("s1"), agent("s2"), agent("x1", skills={"sales": 1.0, "tech": 0.6})]
    need = demand(cfg, MONDAY, [("sales_es", 0, "08:00", "12:00", 2),
                                ("tech_es", 0, "08:00", "12:00", 1)])
    result = solve_and_check(cfg, agents, need, MONDAY, 1)
    work = result.activities[result.activities["activity"] == "work"]
    tech = work[work["queue"] == "tech_es"]
    assert set(tech["agent_id"]) == {"x1"}
    # x1 works 3.5 h (4 h less a break) and may relieve sales during the others' breaks
    assert (tech["end"] - tech["start"]).sum() >= pd.Timedelta(hours=2)
    # with nothing needed on tech, the cross-skilled agent serves its best skill first
    only_sales = demand(cfg, MONDAY, [("sales_es", 0, "08:00", "12:00", 3)])
    result = solve_and_check(cfg, agents, only_sales, MONDAY, 1)
    work = result.activities[result.activities["activity"] == "work"]
    assert set(work["queue"]) == {"sales_es"}


def test_infeasible_roster_names_agent_and_rule() -> None:
    cfg = make_config(contracts=[{"id": "full", "min_weekly_hours": 16,
                                  "max_weekly_hours": 40, "max_working_days_per_week": 5}])
    # only 06:00-10:00 is available: no 4-hour shift fits, yet 16 h a week are due
    narrow = agent("a7", available_window=(6 * 60, 10 * 60))
    with pytest.raises(InfeasibleRules) as caught:
        solve_schedule(cfg, [agent("a1"), narrow], demand(cfg, MONDAY, []), MONDAY, 7)
    message = str(caught.value)
    assert "a7" in message
    assert "available_window" in message and "min_weekly_hours" in message


def test_dst_week_real_elapsed_time() -> None:
    # last Sunday of October 2026: 25 Oct, clocks go back at 03:00 -> 02:00 in Madrid
    monday = date(2026, 10, 19)
    hours = {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    cfg = make_config(
        center={**BASE["center"], "opening_hours": hours},
        shift_templates=[{"id": "t8", "contracts": ["full"], "length_minutes": 480,
                          "earliest_start": "00:00", "latest_start": "16:00",
                          "start_step_minutes": 120, "breaks": []}],
        labor_rules={**BASE["labor_rules"], "min_rest_hours": 11},
    )
    agents = [agent("a1"), agent("a2")]
    need = demand(cfg, monday, [("sales_es", d, "00:00", "24:00", 1) for d in range(7)])
    result = solve_and_check(cfg, agents, need, monday, 7)
    sunday = result.shifts[result.shifts["date"] == date(2026, 10, 25)]
    assert not sunday.empty
    for row in result.shifts.itertuples():
        assert row.shift_end - row.shift_start == pd.Timedelta(hours=8)  # real time
    # the DST day has 25 hours: 8-hour shifts every 2 hours of wall clock still end in it
    assert (sunday["shift_end"].dt.date == date(2026, 10, 25)).all() or \
        (sunday["shift_end"].dt.hour == 0).all()


def test_same_seed_one_worker_same_schedule() -> None:
    cfg = make_config()
    agents = [agent(f"a{i}") for i in range(3)]
    need = demand(cfg, MONDAY, [("sales_es", d, "09:00", "19:00", 2) for d in range(3)])
    first = solve_schedule(cfg, agents, need, MONDAY, 3, workers=1, seed=7)
    second = solve_schedule(cfg, agents, need, MONDAY, 3, workers=1, seed=7)
    pd.testing.assert_frame_equal(first.shifts, second.shifts)
    pd.testing.assert_frame_equal(first.activities, second.activities)


def test_previous_schedule_is_kept_where_coverage_allows() -> None:
    cfg = make_config()
    agents = [agent("a1"), agent("a2")]
    need = demand(cfg, MONDAY, [("sales_es", 0, "08:00", "20:00", 1)])
    base = solve_and_check(cfg, agents, need, MONDAY, 1)
    # republish: the same demand; the previous schedule is the answer to keep
    again = solve_and_check(cfg, agents, need, MONDAY, 1, previous=base.shifts)
    keep = ["agent_id", "date", "shift_start"]
    pd.testing.assert_frame_equal(base.shifts[keep].reset_index(drop=True),
                                  again.shifts[keep].reset_index(drop=True))


def example_center(agents_count: int, start: date, days: int, seed: int,
                   ) -> tuple[CenterConfig, list[Agent], pd.DataFrame]:
    """The example config with a seeded synthetic roster and requirements."""
    from wfm.io.config_file import load_config
    from wfm.samples.synthetic import synthetic_requirements, synthetic_roster, without_people

    cfg = without_people(load_config("configs/example.yaml"))
    agents = synthetic_roster(cfg, agents_count, start, days, seed=seed)
    return cfg, agents, synthetic_requirements(cfg, agents, start, days, seed=seed)


def test_aggregate_method_gives_checker_valid_schedule() -> None:
    start = date(2026, 2, 2)
    cfg, agents, need = example_center(30, start, 7, seed=3)
    result = solve_and_check(cfg, agents, need, start, 7, method="aggregate",
                             time_limit_seconds=12, workers=2)
    assert result.shifts["agent_id"].nunique() == 30
    assert 0 <= result.coverage_bound <= result.coverage_objective


def test_aggregate_method_honours_the_relative_gap() -> None:
    """solver.relative_gap stops the large-roster search once it is that close to the bound."""
    start = date(2026, 2, 2)
    cfg, agents, need = example_center(20, start, 7, seed=5)
    found = {}
    for gap in (0.0, 0.999):
        gapped = cfg.model_copy(update={"solver": cfg.solver.model_copy(
            update={"relative_gap": gap})})
        # the search without a gap runs to its limit; with one it stops when it is met
        result = solve_and_check(gapped, agents, need, start, 7, method="aggregate",
                                 time_limit_seconds=20 if gap else 10, workers=2)
        found[gap] = result
    stopped = [n for n in found[0.999].notes if "solver.relative_gap" in n]
    assert stopped, found[0.999].notes
    assert not any("solver.relative_gap" in n for n in found[0.0].notes)
    assert found[0.999].objective <= found[0.999].coverage_bound / (1 - 0.999)


def test_exact_method_honours_the_relative_gap() -> None:
    """solver.relative_gap stops CP-SAT once its schedule is proven that close, and the
    result says so instead of calling it optimal."""
    start = date(2026, 2, 2)
    cfg, agents, need = example_center(8, start, 7, seed=5)  # not proven optimal in 20 s
    gapped = cfg.model_copy(update={"solver": cfg.solver.model_copy(
        update={"relative_gap": 0.5})})
    result = solve_and_check(gapped, agents, need, start, 7, method="exact",
                             time_limit_seconds=60, workers=2)
    assert result.wall_seconds < 60  # the gap ended the search, not the time limit
    assert any("search stopped within solver.relative_gap 50.00%" in n for n in result.notes)
    assert result.status == "FEASIBLE"
    assert result.objective <= result.best_bound / (1 - 0.5)


def test_aggregate_method_over_partial_weeks_across_dst() -> None:
    start = date(2026, 10, 21)  # a Wednesday: 10 days over three calendar weeks and 25 Oct
    cfg, agents, need = example_center(30, start, 10, seed=6)
    result = solve_and_check(cfg, agents, need, start, 10, method="aggregate",
                             time_limit_seconds=20, workers=2)
    assert "from_lp_seconds" in result.milestones
    assert result.coverage_objective <= result.milestones["from_lp_coverage"]


def test_aggregate_method_without_lp_falls_back_to_a_greedy_cover(monkeypatch) -> None:
    from wfm.schedule import solve as solver_module
    from wfm.schedule.linear import LpResult, LpSolver

    # no LP values and no safe schedule: the first solution comes from the greedy cover
    monkeypatch.setattr(LpSolver, "solve",
                        lambda self, *a, **k: LpResult("TIME_LIMIT", float("nan"), [], 0.0))
    monkeypatch.setattr(solver_module, "_safe_schedule", lambda ctx, weeks, lp_deadline: None)
    start = date(2026, 2, 2)
    cfg, agents, need = example_center(20, start, 7, seed=8)
    result = solve_and_check(cfg, agents, need, start, 7, method="aggregate",
                             time_limit_seconds=10, workers=2)
    assert any("greedy cover" in note for note in result.notes)
    assert result.coverage_bound == 0.0  # no LP, no bound claimed
    assert not result.degraded  # there is no safe schedule it could be no better than


def test_coverage_lp_keeps_the_point_of_its_best_bound(monkeypatch) -> None:
    from wfm.schedule.instance import build_instance
    from wfm.schedule.linear import LpResult, LpSolver
    from wfm.schedule.solve import coverage_lp

    # the interior point method stops at its limit near the optimum; the first-order
    # method run after it has a worse bound: its point must not replace the first one
    real_solve = LpSolver.solve
    points: dict[str, list[float]] = {}

    def solve(self, components, time_limit_seconds=None, method="ipm"):  # noqa: ANN001, ANN202
        found = real_solve(self, components, None, "ipm")
        if method == "ipm":
            points[method] = found.values
            return LpResult("TIME_LIMIT", found.objective, found.values, 0.0, found.bound,
                            method)
        points[method] = [value * 0.5 for value in found.values]
        return LpResult("TIME_LIMIT", found.objective * 0.5, points[method], 0.0,
                        found.bound - 1.0, method)

    monkeypatch.setattr(LpSolver, "solve", solve)
    start = date(2026, 2, 2)
    cfg, agents, need = example_center(20, start, 7, seed=8)
    lp = coverage_lp(build_instance(cfg, agents, need, start, 7), 30.0)
    assert [entry.split()[:2] for entry in lp.tried] == [["ipm", "TIME_LIMIT"],
                                                         ["pdlp", "TIME_LIMIT"]]
    assert sum(points["ipm"]) > 0 and points["ipm"] != points["pdlp"]
    assert lp.values == points["ipm"]
    assert lp.bound > 0


def test_coverage_lp_gives_the_next_method_only_time_the_first_left(monkeypatch) -> None:
    import time as clock

    from wfm.schedule.instance import build_instance
    from wfm.schedule.linear import LpResult, LpSolver
    from wfm.schedule.solve import coverage_lp

    # the interior point method is given all the LP's seconds and uses them: PDLP is not
    # run after it; one that fails at once leaves PDLP the rest
    asked: list[tuple[str, float]] = []

    def solve(self, components, time_limit_seconds=None, method="ipm"):  # noqa: ANN001, ANN202
        asked.append((method, time_limit_seconds))
        if method == "ipm" and used_up:
            clock.sleep(time_limit_seconds)
        return LpResult("TIME_LIMIT" if used_up else "NOT_SOLVED", float("nan"), [], 0.0)

    monkeypatch.setattr(LpSolver, "solve", solve)
    start = date(2026, 2, 2)
    cfg, agents, need = example_center(20, start, 7, seed=8)
    inst = build_instance(cfg, agents, need, start, 7)
    used_up = True
    lp = coverage_lp(inst, 3.0)
    assert [m for m, _ in asked] == ["ipm"] and asked[0][1] > 2.0
    assert lp.tried[-1] == "pdlp not run (no time left)"
    used_up, asked[:] = False, []
    coverage_lp(inst, 3.0)
    assert [m for m, _ in asked] == ["ipm", "pdlp"] and asked[1][1] > 2.0


def test_aggregate_method_with_nothing_found_is_no_solution(monkeypatch) -> None:
    from wfm.errors import NoSolution
    from wfm.schedule import solve as solver_module

    # no safe schedule and no start from the LP: exit 4 with what was tried, not a crash
    monkeypatch.setattr(solver_module, "_safe_schedule", lambda ctx, weeks, lp_deadline: None)
    monkeypatch.setattr(solver_module, "_improve_from_starts", lambda *a, **k: None)
    start = date(2026, 2, 2)
    cfg, agents, need = example_center(20, start, 7, seed=8)
    with pytest.raises(NoSolution, match="aggregate method: no schedule within the time limit"):
        solve_and_check(cfg, agents, need, start, 7, method="aggregate",
                        time_limit_seconds=20, workers=2)


def test_stopped_aggregate_run_returns_the_safe_schedule() -> None:
    import threading

    start = date(2026, 2, 2)
    cfg, agents, need = example_center(30, start, 7, seed=4)
    stop = threading.Event()
    stop.set()  # as if SIGTERM came at once: only the schedule found before the LP is left
    result = solve_and_check(cfg, agents, need, start, 7, method="aggregate",
                             time_limit_seconds=25, workers=2, stop=stop)
    assert result.shifts["agent_id"].nunique() == 30
    assert result.first_solution_seconds == result.milestones["safe_seconds"]
    assert result.coverage_objective == result.milestones["safe_coverage"]
    assert "from_lp_seconds" not in result.milestones


def test_infeasible_rule_combination_found_with_assumptions() -> None:
    # 20 h a week in 4-hour shifts needs 5 working days, but with at most 1 day in a row
    # only 4 of 7 days can be worked: the rules conflict only in combination
    cfg = make_config(
        contracts=[{"id": "full", "min_weekly_hours": 20, "max_weekly_hours": 40,
                    "max_working_days_per_week": 5}],
        labor_rules={**BASE["labor_rules"], "max_consecutive_working_days": 1},
    )
    with pytest.raises(InfeasibleRules) as caught:
        solve_schedule(cfg, [agent("a3")], demand(cfg, MONDAY, []), MONDAY, 7)
    message = str(caught.value)
    assert "a3" in message
    assert "max_consecutive_days" in message and "min_weekly_hours" in message


def test_one_shift_per_day() -> None:
    cfg = make_config()
    need = demand(cfg, MONDAY, [("sales_es", 0, "08:00", "12:00", 1),
                                ("sales_es", 0, "16:00", "20:00", 1)])
    result = solve_and_check(cfg, [agent("a1")], need, MONDAY, 1)
    assert len(shifts_of(result, "a1")) == 1  # two peaks would want two shifts
    assert result.penalties["shortfall_agent_hours"] >= 4


@pytest.mark.slow
def test_example_center_week_within_two_minutes() -> None:
    import time

    from wfm.io.config_file import load_config
    from wfm.io.inputs import read_agents
    from wfm.samples.synthetic import synthetic_requirements

    cfg = load_config("configs/example.yaml")
    agents = read_agents("sample_data/agents.csv", cfg)
    start = date(2026, 11, 30)
    need = synthetic_requirements(cfg, agents, start, 7, seed=0)
    started = time.monotonic()
    result = solve_and_check(cfg, agents, need, start, 7, time_limit_seconds=100, workers=2)
    assert time.monotonic() - started <= 120
    assert result.first_solution_seconds is not None


def test_solver_week_limits_follow_the_same_reading():
    from tests.test_check import MONDAY, make_agents, make_cfg
    from wfm.schedule.instance import Tail, build_instance, week_limits

    cfg = make_cfg(center={"holidays": {"extra_closed_dates": [MONDAY, MONDAY + timedelta(1)]}})
    agents = make_agents(cfg)
    required = pd.DataFrame(columns=["interval_start", "queue", "required"])
    inst = build_instance(cfg, agents, required, MONDAY, 7)
    limits = week_limits(inst, 0, agents[0], Tail())
    assert limits["min_paid_minutes"] == -(-32 * 60 * 5 // 7)  # ceil


@pytest.mark.parametrize("method", ["exact", "aggregate"])
def test_no_work_on_a_queue_on_the_day_it_is_closed(method: str) -> None:
    from wfm.verify.folder import special_closures

    cfg = make_config(queues=[
        {"id": "sales_es", "channel": "voice", "skill": "sales", "language": "es",
         "closed_dates": [MONDAY]},
        {"id": "sales_en", "channel": "voice", "skill": "sales", "language": "en"},
    ])
    agents = [agent("a1"), agent("a2", languages=("es", "en"))]
    need = demand(cfg, MONDAY, [("sales_es", 0, "08:00", "12:00", 2),
                                ("sales_en", 0, "08:00", "12:00", 1),
                                ("sales_es", 1, "08:00", "12:00", 1)])
    result = solve_schedule(cfg, agents, need, MONDAY, 2, method=method)
    violations = check_schedule(cfg, agents, result.shifts, result.activities,
                                requirements=need, start=MONDAY, days=2,
                                closed_queues=special_closures(cfg))
    assert violations == [], "\n".join(map(str, violations))
    work = result.activities[result.activities["activity"] == "work"]
    on_monday = work[work["start"].dt.date == MONDAY]
    assert set(on_monday["queue"]) == {"sales_en"}  # a2 serves the open queue
    assert MONDAY not in set(shifts_of(result, "a1")["date"])  # a1 serves no open queue
    assert "sales_es" in set(work[work["start"].dt.date == MONDAY + timedelta(days=1)]["queue"])


@pytest.mark.parametrize(("weekend", "expected"), [(["sat", "sun"], {5, 6}),
                                                   (["fri", "sat"], {4, 5})])
def test_fairness_counts_the_centers_own_weekend(weekend: list[str], expected: set[int]):
    from wfm.schedule.instance import build_instance
    from wfm.schedule.linear import LinearModel
    from wfm.schedule.preferences import add_agent_preferences
    from wfm.schedule.rules import agent_options

    cfg = make_config(center={**BASE["center"], "weekend": weekend})
    agents = [agent("a1")]
    inst = build_instance(cfg, agents, demand(cfg, MONDAY, []), MONDAY, 7)
    model = LinearModel()
    day_options, _ = agent_options(inst, agents[0], diagnose=False)
    y = {k: model.var(0, 1) for keys in day_options.values() for k in keys}
    counts = add_agent_preferences(model, inst, agents[0], y, day_options, {})
    weekend_vars = set(counts["weekend"])
    counted_days = {inst.dates[inst.options[k].day].weekday()
                    for k, v in y.items() if v in weekend_vars}
    assert counted_days == expected


@pytest.mark.parametrize("method", ["exact", "aggregate"])
@pytest.mark.parametrize(("weekend", "saturday_to"), [(["sat", "sun"], "a2"),
                                                      (["fri", "sat"], "a1")])
def test_the_centers_weekend_decides_who_works_saturday(weekend: list[str], saturday_to: str,
                                                        method: str) -> None:
    # one agent a day from Friday to Sunday; a1 prefers Friday off and a2 Sunday, so Friday
    # goes to a2 and Sunday to a1, and only the fairness goal places Saturday: with it on
    # the weekend of the one who already has a weekend shift, one of them would have two
    friday = MONDAY + timedelta(days=4)
    cfg = make_config(center={**BASE["center"], "weekend": weekend}, shift_templates=[
        {"id": "t4", "contracts": ["full"], "length_minutes": 240, "earliest_start": "08:00",
         "latest_start": "08:00", "start_step_minutes": 60, "breaks": []}])
    agents = [agent("a1", preferred_days_off=frozenset({4})),
              agent("a2", preferred_days_off=frozenset({6}))]
    need = demand(cfg, MONDAY, [("sales_es", d, "08:00", "12:00", 1) for d in (4, 5, 6)])
    result = solve_and_check(cfg, agents, need, MONDAY, 7, method=method)
    worked = {row.date: row.agent_id for row in result.shifts.itertuples()}
    assert worked == {friday: "a2", friday + timedelta(days=1): saturday_to,
                      friday + timedelta(days=2): "a1"}
    assert result.penalties["soft_goals"] == 0  # no preference broken, no unfair weekend


def thirty_agents_in_twelve_seconds() -> ScheduleResult:
    """The example center's week of 30 agents by the large-roster method in 12 s, checked."""
    start = date(2026, 2, 2)
    cfg, agents, need = example_center(30, start, 7, seed=4)
    return solve_and_check(cfg, agents, need, start, 7, method="aggregate",
                           time_limit_seconds=12, workers=2)


def test_a_start_not_placed_in_its_share_is_placed_again_with_the_time_left(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from wfm.schedule import solve as solve_module

    place_breaks, calls = solve_module.place_breaks, []

    def first_fails(solver, values, tags, components, deadline, *gap):  # noqa: ANN001, ANN202
        if components == solve_module.ALL_COMPONENTS:  # a start into the per-agent model
            calls.append(deadline - time.monotonic())
            if len(calls) == 1:
                return None  # as when its days are not placed in its share
        return place_breaks(solver, values, tags, components, deadline, *gap)

    monkeypatch.setattr(solve_module, "place_breaks", first_fails)
    result = thirty_agents_in_twelve_seconds()
    notes = " ".join(result.notes)
    assert "start from the LP: no placement" in notes
    assert "start from the LP placed at a second try" in notes
    assert calls[1] > calls[0]  # more time the second time
    assert "from_lp_seconds" in result.milestones  # the search ran from it


def test_a_final_split_that_leaves_no_time_to_place_its_breaks_is_dropped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from wfm.schedule import solve as solve_module

    split_all, placed_result = solve_module._split_all, solve_module._placed_result
    calls: list[str] = []

    def slow_final_split(ctx, counts, quick, budget_seconds, **kwargs):  # noqa: ANN001, ANN202
        shifts, moved = split_all(ctx, counts, quick, budget_seconds, **kwargs)
        if quick:
            return shifts, moved
        calls.append("final split")
        time.sleep(2 * budget_seconds)  # the split took all of the final split's time
        return shifts, moved + 1  # and moved a shift, so its breaks need placing

    def placing(ctx, shifts, moved=0, limit=None):  # noqa: ANN001, ANN202
        calls.append("placement")
        return placed_result(ctx, shifts, moved, limit)

    monkeypatch.setattr(solve_module, "_split_all", slow_final_split)
    monkeypatch.setattr(solve_module, "_placed_result", placing)
    start = date(2026, 2, 2)
    cfg, agents, need = example_center(30, start, 7, seed=4)
    # the search stops at its first schedule, leaving the final split its time
    cfg = cfg.model_copy(update={"solver": cfg.solver.model_copy(
        update={"relative_gap": 0.99})})
    result = solve_and_check(cfg, agents, need, start, 7, method="aggregate",
                             time_limit_seconds=12, workers=2)
    assert "final split" in calls
    assert calls[calls.index("final split") + 1:] == []  # no placement after it
    assert "final split kept" not in " ".join(result.notes)


def test_with_no_other_start_the_search_improves_the_safe_schedule(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from wfm.schedule import solve as solve_module

    monkeypatch.setattr(solve_module, "_starts_from_lp", lambda ctx, lp, tried: [])
    monkeypatch.setattr(solve_module, "greedy_cover", lambda inst, seed: None)
    result = thirty_agents_in_twelve_seconds()
    assert "no other start: the search starts from the safe schedule" in " ".join(result.notes)
    assert "from_start_seconds" in result.milestones  # the per-agent model ran from it
    assert result.coverage_objective < result.milestones["safe_coverage"]
    assert not result.degraded


@pytest.mark.parametrize("safe_placement_sleep", [0.0, 4.0], ids=["placed fast", "placed slowly"])
def test_a_start_is_placed_only_with_the_time_its_days_need(
        monkeypatch: pytest.MonkeyPatch, safe_placement_sleep: float) -> None:
    """The time a start's placement needs is measured on the safe schedule's placement, not
    only a second a day: placed fast, the LP's start is placed with much less time left than
    that (the solve of 30 agents in 12 s had stopped with 8.0 s left, degraded); placed
    slowly, with less time left than its days need, no start is placed (it would end past
    the limit): the safe schedule stands, marked degraded, within the limit."""
    from wfm.schedule import solve as solve_module

    monkeypatch.setattr(solve_module, "DAY_PLACEMENT_SECONDS", 1000.0)
    place_for_shifts, calls = solve_module._place_for_shifts, []

    def timed(ctx, *args, **kwargs):  # noqa: ANN001, ANN202
        calls.append((ctx.elapsed(), *args))
        if len(calls) == 1:  # the safe schedule's placement
            time.sleep(safe_placement_sleep)
        return place_for_shifts(ctx, *args, **kwargs)

    monkeypatch.setattr(solve_module, "_place_for_shifts", timed)
    result = thirty_agents_in_twelve_seconds()
    notes = " ".join(result.notes)
    assert result.wall_seconds <= 12.0
    # the safe schedule's days to their loose gap, in the LP's time beside it (40% of 12 s
    # from the start): more than the 2 s that 5% of the limit gives, unless it started late
    elapsed, _, limit, _, gap = calls[0]
    assert gap == solve_module.SAFE_PLACEMENT_GAP and limit <= 4.8
    assert limit > 2.0 or elapsed > 2.5
    if safe_placement_sleep:
        assert "no start placed" in notes
        assert result.degraded
    else:
        assert "first schedule from the LP" in notes
        assert not result.degraded


def test_the_search_keeps_at_least_one_builds_time_for_its_schedule(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The search ends early enough to build its schedule: at least one build's time is kept
    even where 30% of what is left is less (the sample center had kept 4.1 s for a build
    of 7.3 s and returned 6.5 s past its limit)."""
    from wfm.schedule import solve as solve_module

    agent_result, kept = solve_module._agent_result, []

    def slow_first_build(ctx, model, cover, values, placed=None):  # noqa: ANN001, ANN202
        if not kept:
            time.sleep(5.0)  # a first build of over 5 s
        kept.append(ctx.left())
        return agent_result(ctx, model, cover, values, placed)

    improve = solve_module.improve

    def recorded(solver, values, hoods, components, deadline, *args, **kwargs):  # noqa: ANN001, ANN202
        kept.append(deadline - time.monotonic())  # the search's own time
        return improve(solver, values, hoods, components, deadline, *args, **kwargs)

    monkeypatch.setattr(solve_module, "_agent_result", slow_first_build)
    monkeypatch.setattr(solve_module, "improve", recorded)
    lines: list[str] = []
    start = date(2026, 2, 2)
    cfg, agents, need = example_center(30, start, 7, seed=4)
    solve_schedule(cfg, agents, need, start, 7, method="aggregate", time_limit_seconds=20,
                   workers=2, log=lines.append)
    ended = next(line for line in lines if line.startswith("search ended"))
    reserve = float(ended.split("(")[1].split("s kept")[0])
    build = float(ended.split("one build took ")[1].rstrip("s)"))
    assert build >= 5.0
    assert reserve >= build + 1.0 - 0.05
    assert kept[1] <= kept[0] - build  # the search was given the time left less that
