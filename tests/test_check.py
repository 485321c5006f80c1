"""The independent checker: a valid week passes, and each broken rule is flagged alone.

The builders at the top (`make_cfg`, `make_agents`, `Plan`) are shared with the other
schedule tests (schedule files, report, CLI).
"""

from __future__ import annotations

import copy
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from wfm.config import CenterConfig, parse_config
from wfm.io.inputs import parse_roster
from wfm.roster import Agent
from wfm.verify import check
from wfm.verify.check import check_schedule
from wfm.verify.coverage import (
    check_coverage,
    check_coverage_file,
    expected_projection,
    scheduled_agents,
)

ZONE = "Europe/Madrid"
MONDAY = date(2026, 3, 16)  # an ordinary week; the next one ends on the DST Sunday
DST_MONDAY = date(2026, 3, 23)

BASE_CONFIG = {
    "center": {
        "name": "Test center",
        "timezone": ZONE,
        "interval_minutes": 15,
        "opening_hours": {day: "06:00-22:00" for day in
                          ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    },
    "queues": [
        {"id": "billing_es", "channel": "voice", "skill": "billing", "language": "es"},
        {"id": "billing_en", "channel": "voice", "skill": "billing", "language": "en"},
        {"id": "tech_es", "channel": "voice", "skill": "technical", "language": "es"},
    ],
    "shrinkage": 0.2,
    "contracts": [
        {"id": "full_time", "min_weekly_hours": 32, "max_weekly_hours": 40,
         "max_working_days_per_week": 5},
        {"id": "part_time", "min_weekly_hours": 16, "max_weekly_hours": 30,
         "max_working_days_per_week": 5},
    ],
    "shift_templates": [
        {"id": "ft8", "contracts": ["full_time"], "length_minutes": 510,
         "earliest_start": "06:00", "latest_start": "13:30", "start_step_minutes": 30,
         "breaks": [
             {"activity": "break", "duration_minutes": 15, "paid": True,
              "earliest_start_minutes": 90, "latest_start_minutes": 150},
             {"activity": "lunch", "duration_minutes": 30, "paid": False,
              "earliest_start_minutes": 210, "latest_start_minutes": 300},
         ]},
        {"id": "pt4", "contracts": ["part_time"], "length_minutes": 240,
         "earliest_start": "06:00", "latest_start": "18:00", "start_step_minutes": 30,
         "breaks": [
             {"activity": "break", "duration_minutes": 15, "paid": True,
              "earliest_start_minutes": 90, "latest_start_minutes": 150},
         ]},
    ],
    "labor_rules": {
        "min_rest_hours": 11, "max_consecutive_working_days": 6, "min_days_off_per_week": 2,
        "min_consecutive_days_off": 2, "max_shift_hours": 9, "min_break_spacing_minutes": 60,
    },
}

ROSTER = [
    {"agent_id": "a1", "name": "Ana", "team": "t", "skills": "billing", "languages": "es",
     "contract": "full_time"},
    {"agent_id": "a2", "name": "Ben", "team": "t", "skills": "billing;technical:0.7",
     "languages": "es;en", "contract": "part_time"},
]


def make_cfg(**overrides: dict) -> CenterConfig:
    """The test center; ``overrides`` update top-level sections (dicts merged one level)."""
    data = copy.deepcopy(BASE_CONFIG)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return parse_config(data, "test")


def make_agents(cfg: CenterConfig, **columns: dict[str, str]) -> list[Agent]:
    """The two test agents; ``columns={"a1": "value"}`` sets optional roster columns."""
    rows = copy.deepcopy(ROSTER)
    for column, per_agent in columns.items():
        for row in rows:
            row[column] = per_agent.get(row["agent_id"], "")
    return parse_roster(pd.DataFrame(rows), cfg)


def stamp(day: date, clock: str) -> pd.Timestamp:
    return pd.Timestamp(f"{day.isoformat()}T{clock}").tz_localize(ZONE)


class Plan:
    """Shifts and activities built by hand, in real elapsed minutes from each shift start."""

    def __init__(self) -> None:
        self.shifts: list[dict] = []
        self.activities: list[dict] = []

    def shift(self, agent: str, day: date, clock: str, template: str = "ft8",
              breaks: tuple = ((105, "break", 15), (240, "lunch", 30)),
              queue: str = "billing_es", length: int | None = None,
              paid: int | None = None) -> Plan:
        """Add a shift and activities tiling it: work on ``queue`` around ``breaks``.

        ``breaks`` are (offset_minutes, activity, minutes); defaults fit ft8.
        """
        length = length if length is not None else {"ft8": 510, "pt4": 240}[template]
        unpaid = sum(m for _, kind, m in breaks if kind == "lunch")
        start = stamp(day, clock)
        end = start + pd.Timedelta(minutes=length)
        self.shifts.append({"agent_id": agent, "date": day, "shift_start": start,
                            "shift_end": end,
                            "paid_minutes": paid if paid is not None else length - unpaid,
                            "template": template})
        cursor = 0
        for offset, kind, minutes in sorted(breaks):
            if offset > cursor:
                self.work(agent, start, cursor, offset, queue)
            self.activities.append({"agent_id": agent,
                                    "start": start + pd.Timedelta(minutes=offset),
                                    "end": start + pd.Timedelta(minutes=offset + minutes),
                                    "activity": kind, "queue": ""})
            cursor = offset + minutes
        if cursor < length:
            self.work(agent, start, cursor, length, queue)
        return self

    def work(self, agent: str, start: pd.Timestamp, begin: int, end: int, queue: str) -> None:
        self.activities.append({"agent_id": agent,
                                "start": start + pd.Timedelta(minutes=begin),
                                "end": start + pd.Timedelta(minutes=end),
                                "activity": "work", "queue": queue})

    def week(self, agent: str, monday: date, weekdays: tuple[int, ...] = (0, 1, 2, 3, 4),
             clock: str = "09:00", **kwargs) -> Plan:
        for weekday in weekdays:
            self.shift(agent, monday + timedelta(days=weekday), clock, **kwargs)
        return self

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        shifts = pd.DataFrame(self.shifts, columns=check_columns("shifts"))
        activities = pd.DataFrame(self.activities, columns=check_columns("activities"))
        for column in ("shift_start", "shift_end"):
            shifts[column] = pd.to_datetime(shifts[column]).dt.tz_convert(ZONE)
        for column in ("start", "end"):
            activities[column] = pd.to_datetime(activities[column]).dt.tz_convert(ZONE)
        return shifts, activities


def check_columns(kind: str) -> list[str]:
    from wfm.io.tables import ACTIVITY_COLUMNS, SHIFT_COLUMNS

    return list(SHIFT_COLUMNS if kind == "shifts" else ACTIVITY_COLUMNS)


def valid_plan(monday: date = MONDAY) -> Plan:
    """a1 full time Mon-Fri 09:00-17:30; a2 part time Mon-Fri 14:00-18:00 on tech_es."""
    plan = Plan().week("a1", monday)
    plan.week("a2", monday, clock="14:00", template="pt4", breaks=((120, "break", 15),),
              queue="tech_es")
    return plan


def rules_broken(plan: Plan, cfg: CenterConfig | None = None, agents=None,
                 start: date = MONDAY, days: int = 7, previous: Plan | None = None) -> set[str]:
    cfg = cfg or make_cfg()
    agents = agents if agents is not None else make_agents(cfg)
    shifts, activities = plan.tables()
    before = previous.tables()[0] if previous is not None else None
    found = check_schedule(cfg, agents, shifts, activities, previous=before, start=start,
                           days=days)
    return {v.rule for v in found}


# --- valid schedules ---------------------------------------------------------------------


def test_valid_week_passes():
    assert rules_broken(valid_plan()) == set()


def test_valid_week_passes_across_dst_sunday():
    plan = valid_plan(DST_MONDAY)
    # Saturday 12:00-20:30, Sunday (clocks go forward at 02:00) 09:00-17:30 for a2 instead.
    plan = Plan().week("a1", DST_MONDAY)
    plan.week("a2", DST_MONDAY, weekdays=(0, 1, 4, 5, 6), clock="14:00", template="pt4",
              breaks=((120, "break", 15),))
    assert rules_broken(plan, start=DST_MONDAY) == set()


def test_rule_names_are_listed():
    assert len(set(check.RULES)) == len(check.RULES)
    assert str(check.Violation("min_rest", "a1", MONDAY, "x")) == "min_rest: agent a1, " \
        "2026-03-16: x"


# --- each rule broken alone -------------------------------------------------------------------


def test_two_shifts_on_one_day():
    cfg = make_cfg(labor_rules={"min_rest_hours": 0})
    plan = valid_plan()
    # a2 (part time, 5 x 4 h) gets a second short shift on Monday evening: 24 h <= 30 h.
    plan.shift("a2", MONDAY, "18:00", template="pt4", breaks=((120, "break", 15),),
               queue="tech_es")
    assert rules_broken(plan, cfg) == {check.ONE_SHIFT_PER_DAY}


def test_shift_outside_horizon():
    plan = valid_plan()
    plan.shift("a2", MONDAY + timedelta(days=7), "14:00", template="pt4",
               breaks=((120, "break", 15),), queue="tech_es")
    assert rules_broken(plan) == {check.HORIZON}


def test_shift_before_opening():
    cfg = make_cfg(center={"opening_hours": {d: "07:00-22:00" for d in
                                             ("mon", "tue", "wed", "thu", "fri", "sat",
                                              "sun")}})
    plan = Plan().week("a1", MONDAY, weekdays=(0, 1, 2, 3))
    plan.shift("a1", MONDAY + timedelta(days=4), "06:30")
    plan.week("a2", MONDAY, clock="14:00", template="pt4", breaks=((120, "break", 15),),
              queue="tech_es")
    assert rules_broken(plan, cfg) == {check.OPENING_HOURS}


def test_shift_on_closed_day():
    wednesday = MONDAY + timedelta(days=2)
    cfg = make_cfg(center={"holidays": {"extra_closed_dates": [wednesday.isoformat()]}})
    assert rules_broken(valid_plan(), cfg) == {check.OPENING_HOURS}


@pytest.mark.parametrize("change", ["off_grid", "wrong_template", "length", "paid"])
def test_shift_not_matching_its_template(change):
    plan = Plan().week("a1", MONDAY, weekdays=(0, 1, 2, 3))
    friday = MONDAY + timedelta(days=4)
    if change == "off_grid":
        plan.shift("a1", friday, "09:15")
    elif change == "wrong_template":
        # A valid part-time shift, but a1's contract is full time.
        plan.shift("a1", friday, "09:00", template="pt4", breaks=((105, "break", 15),))
    elif change == "length":
        plan.shift("a1", friday, "09:00", length=480)
    else:
        plan.shift("a1", friday, "09:00", paid=450)
    plan.week("a2", MONDAY, clock="14:00", template="pt4", breaks=((120, "break", 15),),
              queue="tech_es")
    assert rules_broken(plan) == {check.SHIFT_TEMPLATES}


def test_short_rest_between_days():
    plan = Plan().shift("a1", MONDAY, "13:30").week("a1", MONDAY, weekdays=(1, 2, 3, 4),
                                                   clock="06:30")
    plan.week("a2", MONDAY, clock="14:00", template="pt4", breaks=((120, "break", 15),),
              queue="tech_es")
    # Monday ends 22:00, Tuesday starts 06:30: 8.5 h rest.
    assert rules_broken(plan) == {check.MIN_REST}


def test_rest_measured_in_real_time_across_dst_night():
    saturday, sunday = DST_MONDAY + timedelta(days=5), DST_MONDAY + timedelta(days=6)
    plan = Plan().week("a1", DST_MONDAY, weekdays=(0, 1, 2))
    # Saturday ends 22:00 CET (21:00 UTC); Sunday 09:00 CEST is 07:00 UTC: 10 h of rest,
    # though the wall clock shows 11 h.
    plan.shift("a1", saturday, "13:30").shift("a1", sunday, "09:00")
    plan.week("a2", DST_MONDAY, clock="14:00", template="pt4", breaks=((120, "break", 15),),
              queue="tech_es")
    cfg = make_cfg(labor_rules={"min_rest_hours": 10.5})
    found = rules_broken(plan, cfg, start=DST_MONDAY)
    assert found == {check.MIN_REST}
    # With 10 h required the same night is fine: nothing invented either.
    assert rules_broken(plan, make_cfg(labor_rules={"min_rest_hours": 10}),
                        start=DST_MONDAY) == set()


def test_rest_against_previous_schedule():
    previous = Plan().shift("a1", MONDAY - timedelta(days=3), "13:30")  # Friday until 22:00
    plan = Plan().week("a1", MONDAY, clock="06:30")
    plan.week("a2", MONDAY, clock="14:00", template="pt4", breaks=((120, "break", 15),),
              queue="tech_es")
    assert rules_broken(plan, previous=previous) == set()  # Friday to Monday: plenty
    late_sunday = Plan().shift("a1", MONDAY - timedelta(days=1), "13:30")
    assert rules_broken(plan, previous=late_sunday) == {check.MIN_REST}


def test_too_many_consecutive_days_across_weeks():
    # Wed..Sun then Mon..Fri: 5 days in each calendar week but 10 in a row.
    plan = Plan().week("a1", MONDAY, weekdays=(2, 3, 4, 5, 6))
    plan.week("a1", MONDAY + timedelta(days=7))
    for monday in (MONDAY, MONDAY + timedelta(days=7)):
        plan.week("a2", monday, clock="14:00", template="pt4", breaks=((120, "break", 15),),
                  queue="tech_es")
    assert rules_broken(plan, days=14) == {check.MAX_CONSECUTIVE_DAYS}


def test_consecutive_days_counted_from_previous():
    previous = Plan().week("a1", MONDAY - timedelta(days=7), weekdays=(3, 4, 5, 6))
    plan = valid_plan()
    assert rules_broken(plan, previous=previous) != set()
    assert check.MAX_CONSECUTIVE_DAYS in rules_broken(plan, previous=previous)


def test_too_few_days_off():
    cfg = make_cfg(contracts=[
        {"id": "full_time", "min_weekly_hours": 32, "max_weekly_hours": 40},
        {"id": "part_time", "min_weekly_hours": 16, "max_weekly_hours": 30,
         "max_working_days_per_week": 6},
    ])
    plan = Plan().week("a1", MONDAY)
    plan.week("a2", MONDAY, weekdays=(0, 1, 2, 3, 4, 5), clock="14:00", template="pt4",
              breaks=((120, "break", 15),), queue="tech_es")
    assert rules_broken(plan, cfg) == {check.MIN_DAYS_OFF_PER_WEEK}


def test_days_off_not_together():
    plan = Plan().week("a1", MONDAY)
    plan.week("a2", MONDAY, weekdays=(0, 1, 2, 4, 5), clock="14:00", template="pt4",
              breaks=((120, "break", 15),), queue="tech_es")
    assert rules_broken(plan) == {check.MIN_CONSECUTIVE_DAYS_OFF}


def test_too_few_weekly_hours():
    plan = Plan().week("a1", MONDAY, weekdays=(0, 1, 2))
    plan.week("a2", MONDAY, clock="14:00", template="pt4", breaks=((120, "break", 15),),
              queue="tech_es")
    assert rules_broken(plan) == {check.MIN_WEEKLY_HOURS}


def test_too_many_weekly_hours():
    cfg = make_cfg(contracts=[
        {"id": "full_time", "min_weekly_hours": 32, "max_weekly_hours": 40},
        {"id": "part_time", "min_weekly_hours": 8, "max_weekly_hours": 18},
    ])
    assert rules_broken(valid_plan(), cfg) == {check.MAX_WEEKLY_HOURS}


def test_too_many_working_days_in_week():
    cfg = make_cfg(contracts=[
        {"id": "full_time", "min_weekly_hours": 32, "max_weekly_hours": 40},
        {"id": "part_time", "min_weekly_hours": 8, "max_weekly_hours": 30,
         "max_working_days_per_week": 4},
    ])
    assert rules_broken(valid_plan(), cfg) == {check.MAX_WORKING_DAYS_PER_WEEK}


def test_shift_on_unavailable_date():
    cfg = make_cfg()
    agents = make_agents(cfg, unavailable_dates={"a1": (MONDAY + timedelta(days=2)).isoformat()})
    assert rules_broken(valid_plan(), cfg, agents) == {check.UNAVAILABLE_DATES}


def test_shift_outside_available_window():
    cfg = make_cfg()
    agents = make_agents(cfg, available_window={"a1": "08:00-17:00"})
    assert rules_broken(valid_plan(), cfg, agents) == {check.AVAILABLE_WINDOW}
    agents = make_agents(cfg, available_window={"a1": "09:00-17:30"})
    assert rules_broken(valid_plan(), cfg, agents) == set()


def test_unavailable_days_prorate_min_hours():
    cfg = make_cfg()
    days = ";".join((MONDAY + timedelta(days=i)).isoformat() for i in (3, 4))
    agents = make_agents(cfg, unavailable_dates={"a1": days})
    plan = Plan().week("a1", MONDAY, weekdays=(0, 1, 2))  # 24 h >= 32 * 5 / 7
    plan.week("a2", MONDAY, clock="14:00", template="pt4", breaks=((120, "break", 15),),
              queue="tech_es")
    assert rules_broken(plan, cfg, agents) == set()


@pytest.mark.parametrize("breaks", [
    ((105, "break", 15), (330, "lunch", 30)),  # lunch starts after its window
    ((105, "break", 15),),  # no lunch
    ((105, "break", 15), (240, "lunch", 45)),  # lunch too long
    ((105, "lunch", 15), (240, "break", 30)),  # kinds swapped
])
def test_breaks_not_matching_template(breaks):
    plan = Plan().week("a1", MONDAY, weekdays=(0, 1, 2, 3))
    plan.shift("a1", MONDAY + timedelta(days=4), "09:00", breaks=breaks, paid=480)
    plan.week("a2", MONDAY, clock="14:00", template="pt4", breaks=((120, "break", 15),),
              queue="tech_es")
    assert rules_broken(plan) == {check.BREAKS}


def test_breaks_too_close():
    plan = Plan().week("a1", MONDAY, weekdays=(0, 1, 2, 3))
    # Break 11:30-11:45 and lunch 12:30-13:00: both in their windows, 45 min apart.
    plan.shift("a1", MONDAY + timedelta(days=4), "09:00",
               breaks=((150, "break", 15), (210, "lunch", 30)))
    plan.week("a2", MONDAY, clock="14:00", template="pt4", breaks=((120, "break", 15),),
              queue="tech_es")
    assert rules_broken(plan) == {check.MIN_BREAK_SPACING}


def test_break_too_close_to_shift_end():
    cfg = make_cfg(labor_rules={"min_break_spacing_minutes": 90})
    plan = Plan().week("a1", MONDAY)
    # pt4 break at 150 min ends at 165: 75 min before the end of a 240-minute shift.
    plan.week("a2", MONDAY, clock="14:00", template="pt4", breaks=((150, "break", 15),),
              queue="tech_es")
    assert rules_broken(plan, cfg) == {check.MIN_BREAK_SPACING}


@pytest.mark.parametrize("damage", ["gap", "overlap", "outside", "unknown"])
def test_activities_not_tiling_shift(damage):
    plan = valid_plan()
    first_work = next(i for i, a in enumerate(plan.activities) if a["activity"] == "work")
    row = plan.activities[first_work]
    if damage == "gap":
        row["end"] = row["end"] - pd.Timedelta(minutes=15)
    elif damage == "overlap":
        row["end"] = row["end"] + pd.Timedelta(minutes=15)
    elif damage == "outside":
        plan.activities.append({**row, "start": row["start"] - pd.Timedelta(hours=3),
                                "end": row["start"] - pd.Timedelta(hours=2)})
    else:
        row["activity"] = "nap"
    assert rules_broken(plan) == {check.ACTIVITIES}


@pytest.mark.parametrize("queue", ["billing_en", "tech_es", "nope"])
def test_work_on_queue_agent_cannot_serve(queue):
    plan = Plan().week("a1", MONDAY, weekdays=(0, 1, 2, 3))
    plan.shift("a1", MONDAY + timedelta(days=4), "09:00", queue=queue)
    plan.week("a2", MONDAY, clock="14:00", template="pt4", breaks=((120, "break", 15),),
              queue="billing_en")
    assert rules_broken(plan) == {check.SKILLS_LANGUAGES}


def test_empty_template_cell_is_inferred():
    plan = valid_plan()
    for row in plan.shifts:
        row["template"] = ""
    assert rules_broken(plan) == set()
    plan.shifts[0]["paid_minutes"] = 470  # now no template of a1's contract fits
    assert rules_broken(plan) == {check.SHIFT_TEMPLATES}


def test_unknown_agent():
    plan = valid_plan().shift("zz", MONDAY, "09:00")
    assert rules_broken(plan) == {check.UNKNOWN_AGENT}


def test_agent_without_shifts_misses_min_hours():
    plan = Plan().week("a1", MONDAY)
    assert rules_broken(plan) == {check.MIN_WEEKLY_HOURS}


# --- partial weeks ------------------------------------------------------------------------


def test_partial_week_unknown_days_count_as_off():
    wednesday = MONDAY + timedelta(days=2)
    # Horizon Wednesday..Sunday, worked all five days: Monday and Tuesday belong to the
    # schedule before, assumed off; the minimum hours are pro-rated to 5/7.
    plan = Plan().week("a1", MONDAY, weekdays=(2, 3, 4, 5, 6))
    plan.week("a2", MONDAY, weekdays=(2, 3, 4), clock="14:00", template="pt4",
              breaks=((120, "break", 15),), queue="tech_es")
    assert rules_broken(plan, start=wednesday, days=5) == set()
    # With the previous schedule showing Monday and Tuesday worked, the week breaks.
    previous = Plan().week("a1", MONDAY, weekdays=(0, 1))
    found = rules_broken(plan, start=wednesday, days=5, previous=previous)
    assert {check.MIN_DAYS_OFF_PER_WEEK, check.MAX_WORKING_DAYS_PER_WEEK,
            check.MAX_WEEKLY_HOURS} <= found


def test_partial_week_min_hours_prorated():
    # Horizon Monday..Wednesday: the minimum is 32 * 3 / 7 = 13.7 h for a1, 6.9 h for a2.
    plan = Plan().week("a1", MONDAY, weekdays=(0,))
    plan.week("a2", MONDAY, weekdays=(0, 1), clock="14:00", template="pt4",
              breaks=((120, "break", 15),), queue="tech_es")
    assert rules_broken(plan, days=3) == {check.MIN_WEEKLY_HOURS}
    plan.week("a1", MONDAY, weekdays=(1,))
    assert rules_broken(plan, days=3) == set()


# --- coverage -----------------------------------------------------------------------------


def test_scheduled_agents_counts_work_per_interval_and_queue():
    cfg = make_cfg()
    shifts, activities = valid_plan().tables()
    intervals = pd.Series(pd.date_range(stamp(MONDAY, "08:00"), stamp(MONDAY, "20:00"),
                                        freq="15min", inclusive="left"))
    table = scheduled_agents(cfg, activities, intervals)
    assert len(table) == len(intervals) * 3
    at = table.set_index(["interval_start", "queue"])["scheduled"]
    assert at[(stamp(MONDAY, "09:00"), "billing_es")] == 1
    assert at[(stamp(MONDAY, "10:45"), "billing_es")] == 0  # a1's break
    assert at[(stamp(MONDAY, "13:15"), "billing_es")] == 0  # a1's lunch
    assert at[(stamp(MONDAY, "15:00"), "tech_es")] == 1
    assert at[(stamp(MONDAY, "16:00"), "tech_es")] == 0  # a2's break
    assert at[(stamp(MONDAY, "08:45"), "billing_es")] == 0
    # Every work minute lands in exactly one interval.
    work = activities[activities["activity"] == "work"]
    on_monday = work[work["start"].dt.date == MONDAY]
    minutes = ((on_monday["end"] - on_monday["start"]).dt.total_seconds() / 60).sum()
    assert table["scheduled"].sum() * 15 == pytest.approx(minutes)


def test_scheduled_agents_on_dst_day_and_partial_intervals():
    cfg = make_cfg()
    sunday = DST_MONDAY + timedelta(days=6)
    plan = Plan().shift("a1", sunday, "09:00")
    plan.activities[0]["end"] = plan.activities[0]["end"] + pd.Timedelta(minutes=5)
    _, activities = plan.tables()
    grid = pd.Series(pd.date_range(stamp(sunday, "00:00").tz_convert("UTC"),
                                   stamp(sunday + timedelta(days=1), "00:00").tz_convert("UTC"),
                                   freq="15min", inclusive="left").tz_convert(ZONE))
    assert len(grid) == 92
    table = scheduled_agents(cfg, activities, grid).set_index(["interval_start", "queue"])
    assert table.loc[(stamp(sunday, "10:45"), "billing_es"), "scheduled"] == pytest.approx(1 / 3)


def test_minimum_weekly_hours_shrink_with_closed_days():
    """A week with two closed weekdays: three full shifts meet the pro-rated minimum."""
    cfg = make_cfg(center={"holidays": {"extra_closed_dates": [MONDAY, MONDAY + timedelta(1)]}})
    plan = Plan().week("a1", MONDAY, weekdays=(2, 3, 4))
    plan.week("a2", MONDAY, weekdays=(2, 3, 4, 5), clock="14:00", template="pt4",
              breaks=((120, "break", 15),), queue="tech_es")
    # 3 x 8 h = 24 h against 32 h x 5/7 open weekdays: fine.
    assert rules_broken(plan, cfg=cfg) == set()
    # In an open week the same 24 h are short of 32.
    assert "min_weekly_hours" in rules_broken(plan)



# --- special-day closures --------------------------------------------------------------------


@pytest.mark.parametrize("closed, agent, count", [
    ({"billing_es"}, "a1", 3),  # a1's three work blocks on billing_es
    ({"tech_es"}, "a2", 2),  # a2's two blocks around the break
    ({"billing_en"}, None, 0),  # nobody works billing_en
    ({check.ALL_QUEUES}, None, 5),
])
def test_work_on_a_closed_queue(closed, agent, count):
    wednesday = MONDAY + timedelta(days=2)
    shifts, activities = valid_plan().tables()
    found = check_schedule(make_cfg(), make_agents(make_cfg()), shifts, activities,
                           start=MONDAY, days=7, closed_queues={wednesday: closed})
    assert len(found) == count
    assert {v.rule for v in found} <= {check.QUEUE_CLOSED}
    assert all(v.date == wednesday for v in found)
    if agent is not None:
        assert {v.agent_id for v in found} == {agent}


def test_closure_touches_work_that_crosses_midnight():
    cfg = make_cfg(center={"opening_hours": {d: "00:00-24:00" for d in
                                             ("mon", "tue", "wed", "thu", "fri", "sat",
                                              "sun")}})
    plan = Plan().shift("a2", MONDAY, "22:00", template="pt4", breaks=((120, "break", 15),),
                        queue="tech_es")
    shifts, activities = plan.tables()
    tuesday = MONDAY + timedelta(days=1)
    found = check_schedule(cfg, make_agents(cfg), shifts, activities, start=MONDAY, days=7,
                           closed_queues={tuesday: {"tech_es"}})
    closed = [v for v in found if v.rule == check.QUEUE_CLOSED]
    # 22:00-00:00 ends at midnight: untouched; 00:15-02:00 lies on Tuesday.
    assert [v.message.split(" on queue")[0] for v in closed] == ["work 00:15-02:00"]


def test_no_horizon_is_an_error():
    empty = valid_plan().tables()
    with pytest.raises(ValueError, match="no horizon"):
        check_schedule(make_cfg(), make_agents(make_cfg()), empty[0].iloc[:0],
                       empty[1].iloc[:0])


# --- a coverage table against the checker's own figures ------------------------------------


def coverage_of(plan: Plan, cfg: CenterConfig | None = None, days: int = 1) -> pd.DataFrame:
    """A coverage table counted by hand for ``days`` from MONDAY: one row per open interval
    and configured queue, required 1 on billing_es, 4 calls of 300 s everywhere."""
    from wfm.calendar import interval_grid

    cfg = cfg or make_cfg()
    _, activities = plan.tables()
    grid = interval_grid(cfg.center, MONDAY, days)
    grid = grid[grid["is_open"]]
    rows = []
    for stamp in grid["interval_start"]:
        for queue in cfg.queues:
            working = activities[(activities["activity"] == "work")
                                 & (activities["queue"] == queue.id)
                                 & (activities["start"] <= stamp) & (activities["end"] > stamp)]
            required = 1 if queue.id == "billing_es" else 0
            rows.append({"interval_start": stamp, "queue": queue.id, "required": required,
                         "scheduled": len(working),
                         "shortfall": max(0, required - len(working)), "offered": 4.0,
                         "aht_seconds": 300.0})
    table = pd.DataFrame(rows)
    projected = expected_projection(cfg, table)
    for column in projected.columns:
        table[column] = projected[column]
    return table


def test_the_checker_counts_with_its_own_code():
    """Nothing in wfm.verify imports the report that writes coverage.csv, or the solver."""
    from test_layout import _imports

    for name, targets in _imports().items():
        if name.startswith("wfm.verify"):
            assert not {t for t in targets if t.startswith(("wfm.reports", "wfm.schedule"))}, name
    assert scheduled_agents.__module__ == "wfm.verify.coverage"


def test_hand_counted_coverage_passes_and_counts_are_the_checkers_own():
    cfg = make_cfg()
    plan = valid_plan()
    _, activities = plan.tables()
    table = coverage_of(plan)
    assert table["scheduled"].sum() > 0
    assert check_coverage_file(cfg, activities, table, MONDAY, 1) == []
    # A counter that is a quarter-hour late: the checker's count disagrees twice.
    late = table.copy()
    at = late["queue"] == "billing_es"
    late.loc[at, "scheduled"] = late.loc[at, "scheduled"].shift(1, fill_value=0).to_numpy()
    found = check_coverage(cfg, activities, late)
    assert {v.rule for v in found} == {check.COVERAGE}
    assert len(found) == 2 * 3  # each of a1's three work blocks starts and ends a row off


def test_expected_service_levels_by_hand():
    """Live queues interval by interval; a lone email row has no judged items."""
    from wfm.staffing.requirements import project_metrics

    queues = [*BASE_CONFIG["queues"], {"id": "mail_es", "channel": "email",
                                       "skill": "billing", "language": "es",
                                       "response_hours": 8}]
    cfg = make_cfg(queues=queues, shrinkage={"default": 0.2, "by_weekday": {"mon": 0.3}})
    monday_nine = stamp(MONDAY, "09:00")
    table = pd.DataFrame({
        "interval_start": [monday_nine] * 5 + [stamp(MONDAY + timedelta(days=1), "09:00")],
        "queue": ["billing_es", "billing_es", "billing_es", "billing_es", "mail_es",
                  "billing_es"],
        "scheduled": [3, 3, 3, 3, 3, 3],
        "offered": [4.0, 0.0, float("nan"), 4.0, 4.0, 4.0],
        "aht_seconds": [300.0, 300.0, 300.0, float("nan"), 300.0, 300.0],
    })
    levels = expected_projection(cfg, table)["projected_service_level"].to_numpy()
    queue = cfg.queues[0]

    def level(net: int) -> float:
        return float(project_metrics(queue, [net], [4.0], [300.0], 15)["service_level"][0])

    assert levels[0] == pytest.approx(level(2))  # floor(3 * 0.7) on a Monday
    assert levels[5] == pytest.approx(level(2))  # floor(3 * 0.8 = 2.4) on a Tuesday
    assert level(2) != level(3)
    # nothing offered, no volume, no handle time, an email queue: no service level
    assert np.isnan(levels[1:5]).all()


@pytest.mark.parametrize("damage, rule, words", [
    ("duplicate", check.COVERAGE, "appears more than once"),
    ("off_grid", check.COVERAGE, "is not on the 15-minute grid"),
    ("unknown_queue", check.COVERAGE, "names a queue that is not configured"),
    ("outside", check.HORIZON, "outside the horizon"),
])
def test_misplaced_coverage_rows(damage, rule, words):
    plan = valid_plan()
    _, activities = plan.tables()
    table = coverage_of(plan)
    extra = table.iloc[[0]].copy()
    if damage == "off_grid":
        extra["interval_start"] += pd.Timedelta(minutes=5)
    elif damage == "unknown_queue":
        extra["queue"] = "nope"
    elif damage == "outside":
        extra["interval_start"] += pd.Timedelta(days=1)
    found = check_coverage_file(make_cfg(), activities, pd.concat([table, extra]), MONDAY, 1)
    assert [v.rule for v in found] == [rule]
    assert words in found[0].message


def test_requirements_give_required_offered_and_handle_time():
    cfg = make_cfg()
    plan = valid_plan()
    _, activities = plan.tables()
    table = coverage_of(plan)
    needed = table[["interval_start", "queue", "required", "offered", "aht_seconds"]].copy()
    assert check_coverage_file(cfg, activities, table, MONDAY, 1, requirements=needed) == []
    needed.loc[0, "offered"] = 5.0
    needed.loc[1, "required"] = 2
    found = check_coverage_file(cfg, activities, table, MONDAY, 1, requirements=needed)
    assert {v.rule for v in found} == {check.REQUIREMENTS}
    messages = sorted(v.message for v in found)
    assert any("offered 4 but the requirements give 5" in m for m in messages)
    assert any("required 0 but the requirements give 2" in m for m in messages)
    # Without offered volume in the requirements, the coverage must have none either.
    found = check_coverage_file(cfg, activities, table, MONDAY, 1,
                                requirements=needed.drop(columns=["offered", "aht_seconds"]))
    assert any("offered 4 but the requirements give empty" in v.message for v in found)
