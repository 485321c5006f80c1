"""Every objective weight moves the schedule, on both solver methods.

Each case is a tiny center (one queue, hourly intervals, 8-hour shifts starting 08:00 to
12:00) whose requirements make one weight decide between two schedules; the case is
solved with the weight low and high, by the exact model and by the large-roster
(aggregate) method, and the figure the weight prices is recounted from the shifts.
A method that ignores the weight gives the same schedule both times and fails.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
import pytest

from wfm.config import CenterConfig, parse_config
from wfm.roster import Agent
from wfm.schedule.result import ScheduleResult
from wfm.schedule.solve import solve_schedule
from wfm.verify.check import check_schedule

MONDAY = date(2026, 2, 2)
WEEK = [MONDAY + timedelta(days=d) for d in range(7)]
METHODS = ("exact", "aggregate")

CENTER = {
    "center": {"name": "Weights", "timezone": "Europe/Madrid", "interval_minutes": 60,
               "opening_hours": {d: "08:00-20:00" for d in
                                 ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}},
    "queues": [{"id": "sales_es", "channel": "voice", "skill": "sales", "language": "es"}],
    "contracts": [
        {"id": "fixed", "min_weekly_hours": 40, "max_weekly_hours": 40,
         "max_working_days_per_week": 5},
        {"id": "flexible", "min_weekly_hours": 0, "max_weekly_hours": 40,
         "max_working_days_per_week": 5},
    ],
    "shift_templates": [
        {"id": "day8", "contracts": ["fixed", "flexible"], "length_minutes": 480,
         "earliest_start": "08:00", "latest_start": "12:00", "start_step_minutes": 60,
         "breaks": []},
    ],
    "labor_rules": {"min_rest_hours": 10, "max_consecutive_working_days": 6,
                    "min_days_off_per_week": 2, "min_consecutive_days_off": 1,
                    "max_shift_hours": 9, "min_break_spacing_minutes": 60},
    "objective": {"fairness": 0, "paid_hours": 0, "start_time_variation": 0,
                  "preferences": 0, "changes": 0},
    "solver": {"time_limit_seconds": 20, "workers": 2, "seed": 0},
}


@dataclass
class Case:
    """A center whose schedule one weight decides: solved at ``low`` and ``high``."""

    agents: list[Agent]
    hours: dict[int, dict[int, int]]  # day offset -> hour -> agents required
    low: dict[str, float]
    high: dict[str, float]
    objective: dict[str, float] = field(default_factory=dict)
    weekend: list[str] | None = None
    previous_hours: dict[int, dict[int, int]] | None = None  # requirements of the last plan
    activities: list[dict] | None = None  # off-phone activities of the config


def person(agent_id: str, contract: str = "fixed", days_off: frozenset[int] = frozenset(),
           ) -> Agent:
    return Agent(agent_id=agent_id, name=agent_id, team="T", skills={"sales": 1.0},
                 languages=("es",), contract=contract, preferred_days_off=days_off)


def config(case: Case, weights: dict[str, float]) -> CenterConfig:
    data = copy.deepcopy(CENTER)
    data["objective"].update({**case.objective, **weights})
    if case.weekend is not None:
        data["center"]["weekend"] = case.weekend
    if case.activities is not None:
        data["activities"] = case.activities
    return parse_config(data)


def requirements(cfg: CenterConfig, hours: dict[int, dict[int, int]]) -> pd.DataFrame:
    zone = cfg.center.timezone
    rows = []
    for d, day in enumerate(WEEK):
        for hour in range(8, 20):
            rows.append({"interval_start": pd.Timestamp(day).replace(hour=hour).tz_localize(zone),
                         "queue": "sales_es", "required": hours.get(d, {}).get(hour, 0)})
    return pd.DataFrame(rows)


def every_day(hours: dict[int, int]) -> dict[int, dict[int, int]]:
    return {d: dict(hours) for d in range(7)}


def span(first: int, last: int, agents: int = 1) -> dict[int, int]:
    """``agents`` required in each hour from ``first`` to ``last`` (inclusive)."""
    return dict.fromkeys(range(first, last + 1), agents)


def solve(cfg: CenterConfig, agents: list[Agent], need: pd.DataFrame, method: str,
          previous: pd.DataFrame | None = None) -> ScheduleResult:
    result = solve_schedule(cfg, agents, need, MONDAY, 7, previous=previous, method=method,
                            time_limit_seconds=20, workers=2, seed=0)
    violations = check_schedule(cfg, agents, result.shifts, result.activities,
                                requirements=need, start=MONDAY, days=7, previous=previous,
                                unplaced={e["session"]: e["reason"] for e in result.unplaced})
    assert violations == [], "\n".join(map(str, violations))
    return result


def starts(shifts: pd.DataFrame) -> list[int]:
    """Start hours of the shifts, in date order."""
    ordered = shifts.sort_values("date")
    return [pd.Timestamp(t).hour for t in ordered["shift_start"]]


def on_weekdays(shifts: pd.DataFrame, agent_id: str, weekdays: set[int]) -> int:
    dates = shifts.loc[shifts["agent_id"] == agent_id, "date"]
    return sum(pd.Timestamp(d).weekday() in weekdays for d in dates)


def agent_days(shifts: pd.DataFrame) -> dict[tuple[str, date], int | None]:
    """Per agent and date of the week, the start hour (None: a day off)."""
    found: dict[tuple[str, date], int | None] = {}
    for agent_id in shifts["agent_id"].unique():
        for day in WEEK:
            found[agent_id, day] = None
    for row in shifts.itertuples():
        found[row.agent_id, pd.Timestamp(row.date).date()] = pd.Timestamp(row.shift_start).hour
    return found


# Each case: its instance, and what the schedule at the low and at the high weight must show.

def under_coverage() -> Case:
    # One flexible agent, one agent needed 08:00-10:00: working pays 2 short hours off
    # against 6 hours over (at 50 each)
    return Case([person("a", "flexible")], every_day(span(8, 9)),
                low={"under_coverage": 10}, high={"under_coverage": 1000})


def over_coverage() -> Case:
    return Case([person("a", "flexible")], every_day(span(8, 9)),
                low={"over_coverage": 1}, high={"over_coverage": 1000})


def paid_hours() -> Case:
    return Case([person("a", "flexible")], every_day(span(8, 9)),
                low={"paid_hours": 0}, high={"paid_hours": 1000})


def under_coverage_growth() -> Case:
    # Two agents needed 08-11, one 12-20: an 08:00 start leaves 7 agent-hours one short,
    # a 12:00 start 6, but 3 of them as a second agent short in the same hour
    return Case([person("a")], every_day({**span(8, 10, 2), **span(12, 19)}),
                low={"under_coverage_growth": 0}, high={"under_coverage_growth": 1})


def preferences() -> Case:
    # Weekend days need 8 hours, weekdays 7: coverage would rather work the weekend the
    # agent wants off
    hours = {d: span(8, 15) if d >= 5 else span(8, 14) for d in range(7)}
    return Case([person("a", days_off=frozenset({5, 6}))], hours,
                low={"preferences": 0}, high={"preferences": 5000})


def start_time_variation() -> Case:
    # Monday, Wednesday and Friday want an 08:00 start, Tuesday and Thursday 12:00
    hours = {d: span(8, 15) if d in (0, 2, 4) else span(12, 19) for d in range(5)}
    return Case([person("a")], hours,
                low={"start_time_variation": 0}, high={"start_time_variation": 10000})


def fairness() -> Case:
    # A Friday-Saturday weekend needing one agent a day (the other days want a second one
    # at 08:00, so the weekend gets two shifts in all); b would rather have it off, so
    # without fairness a works both its days
    hours = {d: span(8, 15) if d in (4, 5) else {**span(8, 15), 8: 2} for d in range(7)}
    return Case([person("a"), person("b", days_off=frozenset({4, 5}))], hours,
                objective={"preferences": 1}, weekend=["fri", "sat"],
                low={"fairness": 0}, high={"fairness": 100})


def changes() -> Case:
    # The last plan started at 08:00 on weekdays; now coverage wants 12:00
    return Case([person("a")], {d: span(12, 19) for d in range(5)},
                previous_hours={d: span(8, 15) for d in range(5)},
                low={"changes": 0}, high={"changes": 100000})


def activity_missed() -> Case:
    # One agent needed all day every day: an hour of coaching costs an hour of coverage
    coaching = {"id": "coaching", "duration_minutes": 60, "frequency": "per_agent_week"}
    return Case([person("a")], {d: span(8, 19) for d in range(7)}, activities=[coaching],
                low={"activity_missed": 0}, high={"activity_missed": 100000})


def effect(name: str, case: Case, result: ScheduleResult, previous: pd.DataFrame | None):
    """The figure the weight ``name`` prices, recounted from the schedule."""
    shifts = result.shifts
    if name in ("under_coverage", "over_coverage", "paid_hours"):
        return len(shifts)
    if name == "under_coverage_growth":
        return sorted(set(starts(shifts)))
    if name == "preferences":
        return on_weekdays(shifts, "a", {5, 6})
    if name == "start_time_variation":
        hours = starts(shifts)
        return max(hours) - min(hours)
    if name == "fairness":
        return max(on_weekdays(shifts, a.agent_id, {4, 5}) for a in case.agents)
    if name == "activity_missed":
        sessions = result.activities["session"].fillna("")
        return int(sessions.ne("").any())  # the week's coaching session placed
    if name == "changes":
        assert previous is not None
        before, after = agent_days(previous), agent_days(shifts)
        return sum(after[key] == hour for key, hour in before.items())
    raise AssertionError(name)


EXPECTED = {  # (at the low weight, at the high weight)
    "under_coverage": (0, 5),  # shifts worked
    "over_coverage": (5, 0),
    "paid_hours": (5, 0),
    "under_coverage_growth": ([12], [8]),  # start hours used
    "preferences": (2, 0),  # shifts on the preferred days off
    "start_time_variation": (4, 0),  # hours between the week's latest and earliest start
    "fairness": (2, 1),  # most Friday-Saturday shifts of one agent
    "changes": (2, 7),  # agent-days as in the last plan (the weekend off is kept either way)
    "activity_missed": (0, 1),  # the coaching session placed
}

CASES = {"under_coverage": under_coverage, "over_coverage": over_coverage,
         "paid_hours": paid_hours, "under_coverage_growth": under_coverage_growth,
         "preferences": preferences, "start_time_variation": start_time_variation,
         "fairness": fairness, "changes": changes, "activity_missed": activity_missed}


def test_every_objective_weight_has_a_case() -> None:
    from test_schedule_flows import FLOW_WEIGHT_TESTS  # on centers with backlog flows

    from wfm.config import ObjectiveWeights

    assert set(CASES) == set(EXPECTED)
    assert set(CASES) | set(FLOW_WEIGHT_TESTS) == set(ObjectiveWeights.model_fields)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", list(CASES))
def test_the_weight_moves_the_schedule(name: str, method: str) -> None:
    case = CASES[name]()
    found = []
    for weights in (case.low, case.high):
        cfg = config(case, weights)
        previous = None
        if case.previous_hours is not None:
            previous = solve(cfg, case.agents, requirements(cfg, case.previous_hours),
                             method).shifts
        result = solve(cfg, case.agents, requirements(cfg, case.hours), method, previous)
        found.append(effect(name, case, result, previous))
    assert tuple(found) == EXPECTED[name], (name, method, found)
