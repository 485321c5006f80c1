"""Shifts across midnight: a 24x7 center planned over DST weeks and checked independently,
opening hours over midnight and in two ranges, and the checker's reading of night shifts.

A shift belongs to the date it starts on and lasts its template's length in real time, so
on the night clocks go back a 480-minute shift from 22:00 ends at 05:00 on the wall clock,
and on the night they go forward at 07:00.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from test_check import BASE_CONFIG, Plan, make_agents, make_cfg, rules_broken, stamp
from test_schedule_solver import agent, demand, make_config, solve_and_check

from wfm.config import CenterConfig, parse_config
from wfm.verify import check

ALL_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SPRING_MONDAY = date(2026, 3, 23)  # clocks go forward at 02:00 on Sunday 29 March (Madrid)
AUTUMN_MONDAY = date(2026, 10, 19)  # clocks go back at 03:00 on Sunday 25 October
MONDAY = date(2026, 3, 16)


def _break(first: int, last: int, activity: str = "break", paid: bool = True) -> dict:
    return {"activity": activity, "duration_minutes": 60, "paid": paid,
            "earliest_start_minutes": first, "latest_start_minutes": last}


def center_24x7(min_weekly_hours: float = 32, **center: object):
    """A 24x7 center on hourly intervals with day, evening and night templates; the night
    window runs over midnight (22:00, 23:00 or 00:00). ``center`` changes center keys."""
    return make_config(
        center={"name": "24x7", "timezone": "Europe/Madrid", "interval_minutes": 60,
                "opening_hours": dict.fromkeys(ALL_WEEK, "24h"), "weekend": ["fri", "sat"],
                **center},
        contracts=[{"id": "full", "min_weekly_hours": min_weekly_hours,
                    "max_weekly_hours": 40, "max_working_days_per_week": 5}],
        shift_templates=[
            {"id": "day", "contracts": ["full"], "length_minutes": 540,
             "earliest_start": "06:00", "latest_start": "08:00", "start_step_minutes": 60,
             "breaks": [_break(180, 300, "lunch", paid=False)]},
            {"id": "evening", "contracts": ["full"], "length_minutes": 480,
             "earliest_start": "14:00", "latest_start": "15:00", "start_step_minutes": 60,
             "breaks": [_break(120, 300)]},
            {"id": "night", "contracts": ["full"], "length_minutes": 480,
             "earliest_start": "22:00", "latest_start": "00:00", "start_step_minutes": 60,
             "breaks": [_break(120, 300)]},
        ],
        labor_rules={"min_rest_hours": 11, "max_consecutive_working_days": 6,
                     "min_days_off_per_week": 2, "min_consecutive_days_off": 2,
                     "max_shift_hours": 9, "min_break_spacing_minutes": 60},
        solver={"time_limit_seconds": 10, "workers": 1, "seed": 0, "relative_gap": 0.05},
    )


def _rest_hours(shifts: pd.DataFrame) -> list[float]:
    """Hours between each agent's consecutive shifts, counted here from the table."""
    gaps = []
    for _, mine in shifts.sort_values("shift_start").groupby("agent_id"):
        ends, starts = mine["shift_end"].iloc[:-1], mine["shift_start"].iloc[1:]
        gaps += [(b - a).total_seconds() / 3600 for a, b in zip(ends, starts, strict=True)]
    return gaps


@pytest.mark.parametrize("method", ["exact", "aggregate"])
@pytest.mark.parametrize(("monday", "night_end"), [(SPRING_MONDAY, 7), (AUTUMN_MONDAY, 5)])
def test_a_24x7_week_over_a_dst_change_is_planned_and_checked(monday, night_end,
                                                                method) -> None:
    cfg = center_24x7()
    agents = [agent(f"a{i}") for i in range(9)]
    need = demand(cfg, monday, [("sales_es", d, "00:00", "24:00", 1) for d in range(7)])
    result = solve_and_check(cfg, agents, need, monday, 7, method=method)
    shifts = result.shifts
    assert set(shifts["template"]) == {"day", "evening", "night"}
    # every shift lasts its template's length in real time, over midnight and DST too
    length = {"day": 540, "evening": 480, "night": 480}
    assert ((shifts["shift_end"] - shifts["shift_start"]).dt.total_seconds() / 60
            == shifts["template"].map(length)).all()
    nights = shifts[shifts["template"] == "night"]
    assert (nights["shift_end"].dt.date > nights["shift_start"].dt.date).any()
    assert (nights["date"] == nights["shift_start"].dt.date).all()  # its start date
    # the night of the change: a 22:00 shift of Saturday ends at 07:00 (spring) or 05:00
    saturday = monday + timedelta(days=5)
    change = nights[(nights["date"] == saturday) & (nights["shift_start"].dt.hour == 22)]
    if len(change):
        assert (change["shift_end"].dt.hour == night_end).all()
    # the rules, recounted here: rest across midnight, days off and weekly hours
    assert min(_rest_hours(shifts)) >= 11
    per_agent = shifts.groupby("agent_id")
    assert (per_agent["date"].nunique() <= 5).all()
    assert (per_agent["paid_minutes"].sum().between(32 * 60, 40 * 60)).all()
    # coverage at night: the hours after midnight are staffed, not only the evening's
    work = result.activities[result.activities["activity"] == "work"]
    small_hours = work[(work["start"].dt.hour < 5) & (work["start"].dt.date > monday)]
    assert len(small_hours)


def test_the_last_nights_shift_runs_past_the_horizon() -> None:
    cfg = center_24x7(min_weekly_hours=0)
    agents = [agent(f"a{i}") for i in range(3)]
    sunday = AUTUMN_MONDAY + timedelta(days=6)
    need = demand(cfg, sunday, [("sales_es", 0, "22:00", "24:00", 1)])
    result = solve_and_check(cfg, agents, need, sunday, 1)
    night = result.shifts
    assert list(night["shift_start"].dt.hour) == [22]
    # the activities cover the whole shift, its part on Monday too, with work on a queue
    mine = result.activities[result.activities["agent_id"] == night["agent_id"].iloc[0]]
    assert mine["end"].max() == night["shift_end"].iloc[0]
    after = mine[mine["start"].dt.date > sunday]
    assert set(after.loc[after["activity"] == "work", "queue"]) == {"sales_es"}
    # the coverage counts the horizon's intervals only
    assert (result.scheduled["interval_start"].dt.date == sunday).all()


def test_opening_hours_over_midnight_and_in_two_ranges_bound_every_option() -> None:
    hours = {**dict.fromkeys(ALL_WEEK, "closed"), "fri": "18:00-02:00",
             "sat": ["08:00-14:00", "17:00-23:00"]}
    cfg = center_24x7(min_weekly_hours=0, opening_hours=hours)
    cfg = cfg.model_copy(update={"shift_templates": [cfg.shift_templates[2].model_copy(
        update={"id": "late", "length_minutes": 300, "earliest_start": "17:00",
                "latest_start": "21:00", "breaks": []})]})
    friday = date(2026, 2, 6)
    agents = [agent(f"a{i}") for i in range(3)]
    need = demand(cfg, friday, [("sales_es", 0, "18:00", "24:00", 2),
                                ("sales_es", 1, "00:00", "02:00", 2),
                                ("sales_es", 1, "08:00", "23:00", 1)])
    result = solve_and_check(cfg, agents, need, friday, 2)
    shifts = result.shifts
    friday_shifts = shifts[shifts["date"] == friday]
    # Friday's range runs to 02:00 on Saturday: a 21:00 start ends at 02:00
    assert len(friday_shifts) and (friday_shifts["shift_end"]
                                   <= stamp(friday + timedelta(days=1), "02:00")).all()
    assert (friday_shifts["shift_end"] > stamp(friday + timedelta(days=1), "00:00")).any()
    # on Saturday every shift lies inside one range, never over the 14:00-17:00 gap
    for row in shifts[shifts["date"] == friday + timedelta(days=1)].itertuples():
        assert row.shift_start.hour >= 17 and row.shift_end.hour <= 23


# --- the checker on night shifts ------------------------------------------------------

def _night_cfg(labor_rules: dict | None = None, **center: object):
    return make_cfg(center={"opening_hours": dict.fromkeys(ALL_WEEK, "24h"), **center},
                    labor_rules=labor_rules or {},
                    shift_templates=[*BASE_CONFIG["shift_templates"], {
                        "id": "n8", "contracts": ["full_time"], "length_minutes": 480,
                        "earliest_start": "20:00", "latest_start": "02:00",
                        "start_step_minutes": 30,
                        "breaks": [{"activity": "break", "duration_minutes": 30, "paid": True,
                                    "earliest_start_minutes": 120,
                                    "latest_start_minutes": 300}]}])


def _nights(plan: Plan, agent_id: str, monday: date, weekdays: tuple[int, ...],
            clock: str = "22:00", length: int = 480) -> Plan:
    for weekday in weekdays:
        plan.shift(agent_id, monday + timedelta(days=weekday), clock, template="n8",
                   breaks=((180, "break", 30),), length=length)
    return plan


def _part_timer_week(plan: Plan, monday: date) -> Plan:
    return plan.week("a2", monday, clock="14:00", template="pt4",
                     breaks=((120, "break", 15),), queue="tech_es")


def test_a_week_of_nights_passes_the_checker() -> None:
    plan = _part_timer_week(_nights(Plan(), "a1", MONDAY, (0, 1, 2, 3, 4)), MONDAY)
    # a start window over midnight: a 01:00 start belongs to its own date
    assert rules_broken(plan, _night_cfg()) == set()
    plan = _part_timer_week(_nights(Plan(), "a1", MONDAY, (0, 1, 2, 3), clock="22:00"),
                            MONDAY)
    _nights(plan, "a1", MONDAY, (6,), clock="01:00")  # Friday and Saturday off
    assert rules_broken(plan, _night_cfg()) == set()


def test_rest_is_measured_across_midnight() -> None:
    plan = _part_timer_week(_nights(Plan(), "a1", MONDAY, (0,)), MONDAY)
    # ends Tuesday 06:00; a Tuesday shift at 09:00 leaves 3 hours of rest
    plan.week("a1", MONDAY, weekdays=(1, 2, 3, 4))
    found = check_schedule_of(plan, _night_cfg())
    rest = [v for v in found if v.rule == check.MIN_REST]
    assert len(rest) == 1 and rest[0].date == MONDAY + timedelta(days=1)
    assert rest[0].message.startswith("3 h rest")


def test_a_night_shift_counts_for_the_date_it_starts_on() -> None:
    # nights from Monday to Friday end on Tuesday to Saturday: Saturday and Sunday are
    # still the two days off in a row, and the week holds 5 working days
    plan = _part_timer_week(_nights(Plan(), "a1", MONDAY, (0, 1, 2, 3, 4)), MONDAY)
    assert rules_broken(plan, _night_cfg()) == set()
    # a second shift starting on Monday (00:00, then 22:00) is two shifts on one date
    cfg = _night_cfg(labor_rules={"min_rest_hours": 0})
    plan = _part_timer_week(_nights(Plan(), "a1", MONDAY, (0, 1, 2, 3)), MONDAY)
    plan.shift("a1", MONDAY, "00:00", template="n8", breaks=((180, "break", 30),),
               length=480)
    found = check_schedule_of(plan, cfg)
    assert [v.date for v in found if v.rule == check.ONE_SHIFT_PER_DAY] == [MONDAY]


def test_a_clock_shift_on_the_fall_back_night_is_not_the_templates_length() -> None:
    # 20:00-04:00 by the clock on the night clocks go back lasts 9 real hours
    saturday = AUTUMN_MONDAY + timedelta(days=5)
    start, end = stamp(saturday, "20:00"), stamp(saturday + timedelta(days=1), "04:00")
    assert (end - start) == pd.Timedelta(hours=9)
    plan = _part_timer_week(_nights(Plan(), "a1", AUTUMN_MONDAY, (0, 1, 2)), AUTUMN_MONDAY)
    _nights(plan, "a1", AUTUMN_MONDAY, (5,), clock="20:00", length=540)
    found = check_schedule_of(plan, _night_cfg(), start=AUTUMN_MONDAY)
    wrong = [v.message for v in found if v.rule == check.SHIFT_TEMPLATES]
    assert "shift 20:00-04:00 +1 lasts 540 min; template 'n8' lasts 480" in wrong
    assert "paid_minutes 540 but template 'n8' pays 480" in wrong
    assert {v.rule for v in found} == {check.SHIFT_TEMPLATES}
    # the same template started at 20:00 lasts 8 real hours: it ends at 03:00
    plan = _part_timer_week(_nights(Plan(), "a1", AUTUMN_MONDAY, (0, 1, 2, 5, 6),
                                    clock="20:00"), AUTUMN_MONDAY)
    assert rules_broken(plan, _night_cfg(), start=AUTUMN_MONDAY) == set()
    ends = {s["date"]: s["shift_end"] for s in plan.shifts if s["agent_id"] == "a1"}
    assert ends[saturday].hour == 3 and ends[saturday + timedelta(days=1)].hour == 4


def test_a_night_shift_into_a_closed_morning_is_outside_opening_hours() -> None:
    hours = {**dict.fromkeys(ALL_WEEK, "24h"), "tue": "08:00-24:00"}
    plan = _part_timer_week(_nights(Plan(), "a1", MONDAY, (2, 3, 4)), MONDAY)
    _nights(plan, "a1", MONDAY, (0,))  # Monday 22:00 to Tuesday 06:00
    found = check_schedule_of(plan, _night_cfg(opening_hours=hours))
    outside = [v for v in found if v.rule == check.OPENING_HOURS]
    assert len(outside) == 1 and outside[0].date == MONDAY
    assert "22:00-06:00 +1" in outside[0].message


def test_two_ranges_a_day_and_a_range_over_midnight_in_the_checker() -> None:
    hours = {**dict.fromkeys(ALL_WEEK, "closed"), "mon": ["06:00-12:00", "14:00-22:00"],
             "tue": "18:00-04:00"}
    cfg = _night_cfg(opening_hours=hours)
    agents = make_agents(cfg)
    # over the gap: 09:00 + 8.5 h; inside: 14:00-22:00 (the part-timer), Tuesday 20:00-04:00
    plan = Plan().shift("a1", MONDAY, "09:00")
    found = check_schedule_of(plan, cfg, agents)
    assert [v.message for v in found if v.rule == check.OPENING_HOURS] == [
        "shift 09:00-17:30 outside opening hours (06:00-12:00, 14:00-22:00 on 2026-03-16)"]
    plan = Plan().shift("a2", MONDAY, "14:00", template="pt4", breaks=((120, "break", 15),),
                        queue="tech_es")
    _nights(plan, "a1", MONDAY, (1,), clock="20:00")
    found = check_schedule_of(plan, cfg, agents)
    assert not [v for v in found if v.rule == check.OPENING_HOURS]
    # Wednesday is closed but its first hours are Tuesday's: 00:00-04:00 is open
    assert date(2026, 3, 18) not in _closed(cfg)


def _closed(cfg) -> set[date]:
    from wfm.calendar import closed_dates

    return closed_dates(cfg.center, MONDAY, MONDAY + timedelta(days=6))


def check_schedule_of(plan: Plan, cfg, agents=None, start: date = MONDAY):
    shifts, activities = plan.tables()
    return check.check_schedule(cfg, agents if agents is not None else make_agents(cfg),
                                shifts, activities, start=start, days=7)


def test_an_available_window_over_midnight() -> None:
    cfg = _night_cfg()
    agents = make_agents(cfg, available_window={"a1": "21:00-07:00"})
    assert agents[0].available_window == (21 * 60, 31 * 60)
    from wfm.io.inputs import roster_table

    assert roster_table(agents)["available_window"].iloc[0] == "21:00-07:00"
    # nights from 22:00 and a night from 23:00 fit; so does a start at 00:00 (the
    # window opened the evening before); a day shift does not
    plan = _part_timer_week(_nights(Plan(), "a1", MONDAY, (0, 1, 2, 3)), MONDAY)
    plan.shift("a1", MONDAY + timedelta(days=6), "00:00", template="n8",
               breaks=((180, "break", 30),), length=420)  # 00:00-07:00
    found = check_schedule_of(plan, cfg, agents)
    assert [v for v in found if v.rule == check.AVAILABLE_WINDOW] == []
    plan = _part_timer_week(_nights(Plan(), "a1", MONDAY, (0, 1, 2, 3)), MONDAY)
    plan.shift("a1", MONDAY + timedelta(days=6), "09:00")
    found = check_schedule_of(plan, cfg, agents)
    assert [v.message for v in found if v.rule == check.AVAILABLE_WINDOW] == [
        "shift 09:00-17:30 outside the available window 21:00-07:00"]
    # and the solver keeps to it
    solver_cfg = center_24x7(min_weekly_hours=0)
    owl = agent("owl", available_window=(21 * 60, 31 * 60))
    need = demand(solver_cfg, MONDAY, [("sales_es", d, "00:00", "24:00", 1) for d in range(3)])
    result = solve_and_check(solver_cfg, [owl], need, MONDAY, 3)
    assert len(result.shifts) and set(result.shifts["template"]) == {"night"}


# --- the solver's rules across midnight ---------------------------------------------------

def _previous_nights(cfg, agent_id: str, first: date, last: date) -> pd.DataFrame:
    """A published week of 22:00 nights from ``first`` to ``last`` (start dates)."""
    rows, day = [], first
    while day <= last:
        start = stamp(day, "22:00")
        rows.append({"agent_id": agent_id, "date": day, "shift_start": start,
                     "shift_end": start + pd.Timedelta(minutes=480), "paid_minutes": 480,
                     "template": "night"})
        day += timedelta(days=1)
    return pd.DataFrame(rows)


@pytest.mark.parametrize("method", ["exact", "aggregate"])
def test_rest_after_a_night_is_counted_across_midnight(method: str) -> None:
    # Sunday's night ends at 06:00 on Monday: with 11 h of rest the first Monday start is
    # 17:00, so a day or evening shift is out and Monday's shift is the night
    cfg = center_24x7(min_weekly_hours=0)
    monday = MONDAY
    previous = _previous_nights(cfg, "owl", monday - timedelta(days=1),
                                monday - timedelta(days=1))
    need = demand(cfg, monday, [("sales_es", 0, "06:00", "24:00", 1)])
    result = solve_and_check(cfg, [agent("owl")], need, monday, 1, previous=previous,
                             method=method)
    assert list(result.shifts["template"]) == ["night"]
    assert result.shifts["shift_start"].iloc[0] >= stamp(monday, "17:00")
    # without the night before, the agent takes the day shift from 06:00 that the morning
    # needs
    morning = demand(cfg, monday, [("sales_es", 0, "06:00", "15:00", 1)])
    free = solve_and_check(cfg, [agent("owl")], morning, monday, 1, method=method)
    assert list(free.shifts["shift_start"]) == [stamp(monday, "06:00")]


@pytest.mark.parametrize("method", ["exact", "aggregate"])
def test_consecutive_nights_count_by_their_start_dates(method: str) -> None:
    # max 6 days in a row. "six" worked nights from Tuesday to Sunday (the last one ends on
    # Monday at 06:00): Monday is a seventh day in a row only if a night counted for the
    # day it ends on; it does not, so Monday is its seventh start date and it is off.
    # "five" worked nights from Wednesday to Sunday: Monday night is its sixth.
    cfg = center_24x7(min_weekly_hours=0)
    sunday = MONDAY - timedelta(days=1)
    previous = pd.concat([_previous_nights(cfg, "six", sunday - timedelta(days=5), sunday),
                          _previous_nights(cfg, "five", sunday - timedelta(days=4), sunday)],
                         ignore_index=True)
    need = demand(cfg, MONDAY, [("sales_es", 0, "22:00", "24:00", 2),
                                ("sales_es", 1, "00:00", "06:00", 2)])
    agents = [agent("six"), agent("five")]
    result = solve_and_check(cfg, agents, need, MONDAY, 1, previous=previous, method=method)
    assert list(result.shifts["agent_id"]) == ["five"]
    assert result.shifts["shift_start"].iloc[0] == stamp(MONDAY, "22:00")


def _night_center(breaks: list[dict]) -> CenterConfig:
    """A 24x7 center on half-hour intervals with one 9-hour night template from 22:00."""
    data = center_24x7(min_weekly_hours=0, interval_minutes=30).model_dump(mode="json")
    night = {**data["shift_templates"][2], "length_minutes": 540, "earliest_start": "22:00",
             "latest_start": "22:00", "breaks": breaks}
    return parse_config({**data, "shift_templates": [night]})


@pytest.mark.parametrize("method", ["exact", "aggregate"])
def test_breaks_and_lunch_inside_night_shifts(method: str) -> None:
    # a paid break 2-3 h after the 22:00 start (before or after midnight) and an unpaid
    # lunch 4.5-5.5 h after it, in the small hours of the next date
    cfg = _night_center([
        {"activity": "break", "duration_minutes": 30, "paid": True,
         "earliest_start_minutes": 60, "latest_start_minutes": 150},
        {"activity": "lunch", "duration_minutes": 30, "paid": False,
         "earliest_start_minutes": 270, "latest_start_minutes": 330}])
    agents = [agent(f"n{i}") for i in range(3)]
    need = demand(cfg, MONDAY, [row for d in range(3) for row in (
        ("sales_es", d, "22:00", "24:00", 2), ("sales_es", d + 1, "00:00", "07:00", 2))])
    result = solve_and_check(cfg, agents, need, MONDAY, 3, method=method)
    assert len(result.shifts) and (result.shifts["paid_minutes"] == 510).all()
    acts = result.activities.merge(result.shifts[["agent_id", "date", "shift_start"]],
                                   on="agent_id")
    acts = acts[(acts["start"] >= acts["shift_start"])
                & (acts["start"] < acts["shift_start"] + pd.Timedelta(minutes=540))]
    after = (acts["start"] - acts["shift_start"]).dt.total_seconds() / 60
    for activity, low, high in (("break", 60, 150), ("lunch", 270, 330)):
        placed = after[acts["activity"] == activity]
        # one per shift, inside its window after the shift start
        assert len(placed) == len(result.shifts) and placed.between(low, high).all()
    lunches = acts[acts["activity"] == "lunch"]
    assert (lunches["start"].dt.date > lunches["date"]).all()  # after midnight
    assert (lunches["start"].dt.hour < 5).all()


@pytest.mark.slow
def test_a_large_24x7_roster_over_the_dst_week_takes_the_aggregate_path() -> None:
    """configs/center_24x7.yaml with 120 synthetic agents over the week its clocks go
    forward at midnight: too many agent-day-options for the exact model, so `auto` takes
    the aggregate one; every shift checked, nights among them."""
    from wfm.io.config_file import load_config
    from wfm.samples.synthetic import synthetic_requirements, synthetic_roster
    from wfm.schedule.instance import build_instance
    from wfm.schedule.solve import EXACT_MAX_BOOLEANS

    cfg = load_config("configs/center_24x7.yaml")
    monday = date(2026, 4, 20)
    agents = synthetic_roster(cfg, 120, monday, 7, seed=3, window_share=0.0)
    need = synthetic_requirements(cfg, agents, monday, 7, seed=3)
    inst = build_instance(cfg, agents, need, monday, 7)
    booleans = sum(len(k) for g in inst.groups for k in g.options.values() for _ in g.agents)
    assert booleans > EXACT_MAX_BOOLEANS
    result = solve_and_check(cfg, agents, need, monday, 7, time_limit_seconds=60, workers=2)
    shifts = result.shifts
    nights = shifts[shifts["template"] == "night"]
    assert (nights["shift_end"].dt.date > nights["date"]).any()  # from 22:00 or 23:00
    assert (nights["shift_start"].dt.date == nights["date"]).all()
    assert min(_rest_hours(shifts)) >= 11
    assert (shifts.groupby("agent_id")["date"].nunique() <= 5).all()
