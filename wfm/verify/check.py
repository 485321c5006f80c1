"""The independent schedule checker: every hard rule, re-verified from the tables alone.

`check_schedule` takes the shifts and activities tables as re-read from the files (tz-aware
local timestamps) and returns a list of `Violation` (empty = valid). It shares no code with
the solver in ``wfm/schedule/`` on purpose: a rule misread by the model is caught here.
`wfm.verify.coverage` checks a written coverage table with its own count of the activities
and its own recomputation of the service level; `wfm.verify.folder` re-reads a schedule
folder and runs all of it (the rules on the folder as a whole are read below too).

How the rules are read (the solver must produce schedules that pass these):

- ``one_shift_per_day``: at most one shift per agent and local date; ``date`` is the local
  date the shift starts on. A shift that runs past midnight belongs to that date in every
  rule below (days worked, days off, weekly hours).
- ``horizon``: shifts lie on the horizon's dates ``[start, start + days)``. For a folder
  the horizon is the one asked for (``--start``/``--days``), else the one ``kpis.json``
  records; a folder with neither cannot be checked (an error), and one whose
  ``kpis.json`` records another horizon than the one asked for is flagged. Coverage rows
  lie on the horizon's interval grid, and every day of the horizon that needs coverage
  rows (see ``coverage``) has some.
- ``opening_hours``: not on a date without open time (`wfm.calendar.closed_dates`), and
  every interval the shift touches, in real time, is open (`wfm.calendar.interval_grid`:
  inside its date's opening ranges, or in a range of the day before that runs past
  midnight), so a night shift may run into the next date and a shift may not span the
  gap between two ranges of a day.
- ``shift_templates``: the template exists, the agent's contract may work it, the start is
  on the template's start grid (wall-clock minutes after midnight of its date; a window
  over midnight starts on either side of it), the length in real elapsed minutes equals
  the template's length and ``paid_minutes`` equals the length less unpaid breaks. So on
  the night clocks go back a 480-minute shift from 20:00 ends at 03:00 on the wall clock
  (8 hours worked and paid), and on the night they go forward at 05:00; a 20:00-04:00 shift
  on the first night lasts 540 minutes and is not a 480-minute template's. When the
  ``template`` cell is empty, the first template of the contract that fits is used.
- ``min_rest``: real elapsed time (UTC) from the end of a shift to the start of the
  agent's next one, including the last shift of ``previous`` before the horizon.
- ``max_consecutive_days``: runs of worked dates, with ``previous`` dates before the
  horizon; a run is flagged at the date it exceeds the limit.
- Weekly rules apply per calendar week (Monday to Sunday). A day is *known* when it lies
  in the horizon or in the part of ``previous`` before the horizon (from its first date).
  Days of a week outside what is known belong to another schedule: they are assumed off
  and without hours, so a partial week at an edge of the horizon is flagged only when no
  schedule of its unknown days could repair it -- except the minimum hours, which are
  pro-rated: ``min_weekly_hours * credited / workable`` (at most the full figure), where
  workable counts the weekdays on which a shift of the agent's contract fits the regular
  weekly opening hours (`wfm.calendar.workable_weekdays`), and credited counts the known
  days of the week on which a shift of the contract fits the open time of that date
  (`wfm.calendar.workable_dates`: seasons, holidays and their hours) and that are not in
  the agent's ``unavailable_dates``. Holidays, short days, absences and partial weeks
  lower the minimum by their share. The maximum hours are not pro-rated. (A full regular
  week with no absences gets exactly the contract figures.)
  - ``max_working_days_per_week``: worked days in the week <= the contract's figure.
  - ``min_days_off_per_week``: 7 - worked days >= ``labor_rules.min_days_off_per_week``.
  - ``min_consecutive_days_off``: when days off are required, some run of
    ``min_consecutive_days_off`` days inside Monday..Sunday has no shift.
  - ``min_weekly_hours`` / ``max_weekly_hours``: paid hours in the week within
    [pro-rated min, max].
- ``unavailable_dates``: no shift on one; ``available_window``: the shift starts and
  ends inside it (wall clock; a window over midnight, ``22:00-07:00``, holds a shift on
  either side of midnight, `wfm.roster.Agent.window_holds`).
- ``breaks``: the shift's break and lunch activities match the template's break rules one
  to one (activity, duration and start offset inside the rule's window, in real minutes).
- ``min_break_spacing``: at least ``labor_rules.min_break_spacing_minutes`` of non-break time
  from the shift start to the first break or lunch, between the end of one and the start
  of the next, and from the end of the last to the shift end.
- ``activities``: each shift is covered exactly by its activities (no gap, no overlap,
  nothing outside a shift); activity names are known.
- ``skills_languages``: every ``work`` activity names a queue whose skill the agent has and
  whose language the agent speaks.
- ``queue_closed``: no ``work`` activity touches a local date on which the special-days
  file named by the config's ``inputs.special_days`` (when it exists) closes the queue
  served (``multiplier`` closed for that queue) or the whole center (queue ``all``).
- ``coverage`` (`wfm.verify.coverage`): the coverage file exists; each row lies on the
  horizon's interval grid, names a configured queue and appears once; ``scheduled``
  equals the checker's own recount of the ``work`` activities (`scheduled_agents`) and
  ``shortfall = max(0, required - scheduled)``. A row exists wherever a requirement does
  and wherever the activities put agents at work: with a requirements file, for each of
  its rows inside the horizon; without one, for every configured queue at every open
  interval of the horizon grid (`wfm.calendar.interval_grid`: inside opening hours on a
  date that is not closed), as `wfm staff` sizes them. Closed intervals may be left out
  (a hand-made requirements file may skip them); a requirements file that leaves open
  intervals or queues out needs ``--requirements`` to check against.
- ``requirements`` (with a requirements file): each coverage row's ``required`` is the
  file's (``required``, else ``agents_with_shrinkage``, as `read_requirements` reads it),
  a row the file does not have requires 0, and ``offered`` and ``aht_seconds`` are the
  file's (empty where it has none).
- ``service_level``: each row's ``projected_service_level`` is recomputed with
  `wfm.staffing.requirements.project_metrics` for the queue from ``net = floor(scheduled
  * (1 - shrinkage))`` agents (the configured shrinkage of the interval's local weekday
  and hour; 1e-9 added before the floor against rounding; not floored on deferred and
  campaign queues, whose work waits in a backlog), ``offered`` and
  ``aht_seconds``, and must agree within 1e-6. It must be empty where none can be
  computed: an email or outbound queue, no ``offered`` value, nothing offered, or
  contacts offered without a positive ``aht_seconds``.
- ``inbound_first`` (`wfm.verify.blended`): a blended agent works a campaign's queue only
  in intervals where the other queues it serves are at or above their requirement.
- ``kpis``: ``kpis.json`` (when present) has per-queue figures for exactly the configured
  queues, and its per-queue and total ``required_hours``, ``scheduled_hours`` and
  ``shortfall_hours`` equal the coverage file's sums times the interval length.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import permutations

import numpy as np
import pandas as pd

from wfm.calendar import (
    OpenTime,
    closed_dates,
    day_hours,
    open_time,
    opening_label,
    workable_dates,
    workable_weekdays,
)
from wfm.config import CenterConfig, ShiftTemplate, format_clock
from wfm.io.tables import BREAK_ACTIVITIES, KNOWN_ACTIVITIES, WORK
from wfm.roster import Agent

ONE_SHIFT_PER_DAY = "one_shift_per_day"
HORIZON = "horizon"
UNKNOWN_AGENT = "unknown_agent"
OPENING_HOURS = "opening_hours"
SHIFT_TEMPLATES = "shift_templates"
MIN_REST = "min_rest"
MAX_CONSECUTIVE_DAYS = "max_consecutive_days"
MIN_DAYS_OFF_PER_WEEK = "min_days_off_per_week"
MIN_CONSECUTIVE_DAYS_OFF = "min_consecutive_days_off"
MIN_WEEKLY_HOURS = "min_weekly_hours"
MAX_WEEKLY_HOURS = "max_weekly_hours"
MAX_WORKING_DAYS_PER_WEEK = "max_working_days_per_week"
UNAVAILABLE_DATES = "unavailable_dates"
AVAILABLE_WINDOW = "available_window"
BREAKS = "breaks"
MIN_BREAK_SPACING = "min_break_spacing"
ACTIVITIES = "activities"
SKILLS_LANGUAGES = "skills_languages"
QUEUE_CLOSED = "queue_closed"
INBOUND_FIRST = "inbound_first"
COVERAGE = "coverage"
REQUIREMENTS = "requirements"
SERVICE_LEVEL = "service_level"
KPIS = "kpis"

RULES = (
    ONE_SHIFT_PER_DAY, HORIZON, UNKNOWN_AGENT, OPENING_HOURS, SHIFT_TEMPLATES, MIN_REST,
    MAX_CONSECUTIVE_DAYS, MIN_DAYS_OFF_PER_WEEK, MIN_CONSECUTIVE_DAYS_OFF, MIN_WEEKLY_HOURS,
    MAX_WEEKLY_HOURS, MAX_WORKING_DAYS_PER_WEEK, UNAVAILABLE_DATES, AVAILABLE_WINDOW, BREAKS,
    MIN_BREAK_SPACING, ACTIVITIES, SKILLS_LANGUAGES, QUEUE_CLOSED, COVERAGE, REQUIREMENTS,
    SERVICE_LEVEL, KPIS, INBOUND_FIRST,
)

#: The ``queue`` of a special day that closes the whole center.
ALL_QUEUES = "all"

_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


@dataclass(frozen=True)
class Violation:
    """One broken hard rule: which rule, for whom, on which local date, and why."""

    rule: str
    agent_id: str | None
    date: date | None
    message: str

    def __str__(self) -> str:
        who = self.agent_id if self.agent_id is not None else "-"
        when = self.date.isoformat() if self.date is not None else "-"
        return f"{self.rule}: agent {who}, {when}: {self.message}"


@dataclass
class _Shift:
    agent_id: str
    date: date
    start: int  # UTC seconds since the epoch
    end: int
    start_wall: int  # minutes after local midnight of ``date``
    end_wall: int
    paid_minutes: int
    template: str
    label: str  # wall-clock "HH:MM-HH:MM" for messages


@dataclass
class _Activity:
    agent_id: str
    start: int
    end: int
    activity: str
    queue: str
    label: str
    first_day: date  # local date of the start
    last_day: date  # local date of the last second


def _utc_seconds(values: pd.Series) -> np.ndarray:
    """Seconds since the epoch (UTC) of tz-aware timestamps."""
    stamps = pd.to_datetime(values)
    if stamps.dt.tz is None:
        raise ValueError("timestamps must be timezone-aware")
    delta = stamps.dt.tz_convert("UTC") - _EPOCH
    return (delta // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)


def _wall(values: pd.Series, zone: str) -> pd.Series:
    return pd.to_datetime(values).dt.tz_convert(zone).dt.tz_localize(None)


def _as_date(value: object) -> date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip()


def _shifts(table: pd.DataFrame, zone: str) -> list[_Shift]:
    if table.empty:
        return []
    starts = _utc_seconds(table["shift_start"])
    ends = _utc_seconds(table["shift_end"])
    wall_start = _wall(table["shift_start"], zone)
    wall_end = _wall(table["shift_end"], zone)
    dates = [_as_date(v) for v in table["date"]]
    result = []
    templates = table["template"] if "template" in table.columns else [""] * len(table)
    for i, (agent, day, template) in enumerate(zip(table["agent_id"], dates, templates,
                                                   strict=True)):
        midnight = pd.Timestamp(day)
        start_wall = int((wall_start.iloc[i] - midnight) // pd.Timedelta(minutes=1))
        end_wall = int((wall_end.iloc[i] - midnight) // pd.Timedelta(minutes=1))
        paid = table["paid_minutes"].iloc[i]
        result.append(_Shift(
            agent_id=str(agent), date=day, start=int(starts[i]), end=int(ends[i]),
            start_wall=start_wall, end_wall=end_wall,
            paid_minutes=int(paid) if not pd.isna(paid) else -1,
            template=_text(template),
            label=f"{wall_start.iloc[i]:%H:%M}-{wall_end.iloc[i]:%H:%M}"
                  + _days_later(end_wall),
        ))
    return result


def _days_later(wall_minute: int) -> str:
    """`` +1`` for a wall-clock minute on the next date (a shift over midnight), `` +2``..."""
    later = wall_minute // 1440 if wall_minute % 1440 else wall_minute // 1440 - 1
    return f" +{later}" if later > 0 else ""


def _activities(table: pd.DataFrame, zone: str) -> list[_Activity]:
    if table.empty:
        return []
    starts = _utc_seconds(table["start"])
    ends = _utc_seconds(table["end"])
    wall_start = _wall(table["start"], zone)
    wall_end = _wall(table["end"], zone)
    last_second = _wall(pd.to_datetime(table["end"]) - pd.Timedelta(seconds=1), zone)
    queues = table["queue"] if "queue" in table.columns else [""] * len(table)
    return [
        _Activity(agent_id=str(agent), start=int(starts[i]), end=int(ends[i]),
                  activity=_text(kind), queue=_text(queue),
                  label=f"{_text(kind)} {wall_start.iloc[i]:%H:%M}-{wall_end.iloc[i]:%H:%M}",
                  first_day=wall_start.iloc[i].date(),
                  last_day=max(wall_start.iloc[i].date(), last_second.iloc[i].date()))
        for i, (agent, kind, queue) in enumerate(zip(table["agent_id"], table["activity"],
                                                     queues, strict=True))
    ]


def _horizon(shifts: list[_Shift], requirements: pd.DataFrame | None, zone: str,
             start: date | None, days: int | None) -> tuple[date, int]:
    """The horizon's first date and length: given, else from requirements, else shifts.

    Raises ValueError when none of them gives one.
    """
    if start is not None and days is not None:
        return start, days
    if requirements is not None and not requirements.empty:
        local = pd.to_datetime(requirements["interval_start"]).dt.tz_convert(zone)
        first, last = local.min().date(), local.max().date()
    elif shifts:
        first, last = min(s.date for s in shifts), max(s.date for s in shifts)
    elif start is not None:
        return start, 1
    else:
        raise ValueError("no horizon: give start and days, requirements or shifts")
    first = start or first
    return first, days or (last - first).days + 1


def _match_breaks(acts: list[_Activity], template: ShiftTemplate, shift_start: int) -> bool:
    """True when the activities match the template's break rules one to one."""
    rules = template.breaks

    def fits(act: _Activity, rule_index: int) -> bool:
        rule = rules[rule_index]
        offset = act.start - shift_start
        return (act.activity == rule.activity
                and act.end - act.start == rule.duration_minutes * 60
                and rule.earliest_start_minutes * 60 <= offset <= rule.latest_start_minutes * 60)

    if len(acts) <= 7:
        return any(all(fits(a, r) for a, r in zip(acts, order, strict=True))
                   for order in permutations(range(len(rules))))
    # More than 7 breaks in one shift is unheard of; a greedy match is good enough.
    free = set(range(len(rules)))
    for act in acts:
        found = next((r for r in sorted(free) if fits(act, r)), None)
        if found is None:
            return False
        free.discard(found)
    return True


class _Checker:
    """Collects violations; one method per rule family."""

    def __init__(self, cfg: CenterConfig, agents: Iterable[Agent],
                 closed_queues: Mapping[date, Collection[str]] | None = None) -> None:
        self.cfg = cfg
        self.zone = cfg.center.timezone
        self.agents = {a.agent_id: a for a in agents}
        self.templates = {t.id: t for t in cfg.shift_templates}
        self.queues = {q.id: q for q in cfg.queues}
        self.closed_queues = closed_queues or {}
        self.found: list[Violation] = []
        self._workable: dict[str, tuple[set[int], set[date]]] = {}
        self.open_time: OpenTime | None = None

    def workable(self, contract_id: str, first: date, last: date
                 ) -> tuple[set[int], set[date]]:
        """The weekdays a shift of the contract fits the regular weekly hours, and the dates
        in [first, last] it fits the open time (the same span every call)."""
        if contract_id not in self._workable:
            templates = self.cfg.templates_for(contract_id)
            self._workable[contract_id] = (workable_weekdays(self.cfg.center, templates),
                                           workable_dates(self.cfg.center, templates, first,
                                                          last))
        return self._workable[contract_id]

    def flag(self, rule: str, agent_id: str | None, day: date | None, message: str) -> None:
        self.found.append(Violation(rule, agent_id, day, message))

    # --- one shift -------------------------------------------------------------------

    def shift_rules(self, shift: _Shift, first: date, last: date, closed: set[date]) -> None:
        agent = self.agents[shift.agent_id]
        a, d = shift.agent_id, shift.date
        if shift.end <= shift.start:
            self.flag(SHIFT_TEMPLATES, a, d, f"shift {shift.label} ends before it starts")
            return
        if not first <= d <= last:
            self.flag(HORIZON, a, d, f"shift on {d} is outside the horizon {first}..{last}")
        if shift.start_wall < 0 or shift.start_wall >= 24 * 60:
            self.flag(ONE_SHIFT_PER_DAY, a, d,
                      f"shift {shift.label} does not start on its date {d}")
        if d in closed:
            self.flag(OPENING_HOURS, a, d, f"shift {shift.label} on a closed day")
        elif self.open_time is not None and not self.open_time.covers(
                pd.Timestamp(shift.start, unit="s", tz="UTC"),
                pd.Timestamp(shift.end, unit="s", tz="UTC")):
            hours = opening_label(day_hours(self.cfg.center, d))
            self.flag(OPENING_HOURS, a, d,
                      f"shift {shift.label} outside opening hours ({hours} on {d})")
        self.template_rules(shift, agent)
        if d in agent.unavailable_dates:
            self.flag(UNAVAILABLE_DATES, a, d, f"shift {shift.label} on an unavailable date")
        if not agent.window_holds(shift.start_wall, shift.end_wall):
            low, high = agent.available_window
            self.flag(AVAILABLE_WINDOW, a, d,
                      f"shift {shift.label} outside the available window "
                      f"{format_clock(low)}-{format_clock(high % 1440 or 1440)}")

    def template_rules(self, shift: _Shift, agent: Agent) -> None:
        a, d = shift.agent_id, shift.date
        allowed = self.cfg.templates_for(agent.contract)
        if not shift.template:
            # A hand-made file may leave the template out: any allowed one that fits will do.
            fitting = [t for t in allowed
                       if (shift.end - shift.start) == t.length_minutes * 60
                       and shift.start_wall in t.start_minutes
                       and shift.paid_minutes == t.paid_minutes]
            if fitting:
                shift.template = fitting[0].id
                return
        template = self.templates.get(shift.template)
        if template is None:
            names = ", ".join(t.id for t in allowed)
            self.flag(SHIFT_TEMPLATES, a, d,
                      f"unknown shift template {shift.template!r}; allowed: {names}")
            return
        if template not in allowed:
            self.flag(SHIFT_TEMPLATES, a, d,
                      f"template {template.id!r} is not allowed for contract {agent.contract!r}")
        if shift.start_wall not in template.start_minutes:
            self.flag(SHIFT_TEMPLATES, a, d,
                      f"start {format_clock(shift.start_wall % 1440)} is not on template "
                      f"{template.id!r}'s grid {template.earliest_start}-{template.latest_start}"
                      f" every {template.start_step_minutes} min")
        length = (shift.end - shift.start) / 60
        if length != template.length_minutes:
            self.flag(SHIFT_TEMPLATES, a, d,
                      f"shift {shift.label} lasts {length:g} min; template {template.id!r} "
                      f"lasts {template.length_minutes}")
        if shift.paid_minutes != template.paid_minutes:
            self.flag(SHIFT_TEMPLATES, a, d,
                      f"paid_minutes {shift.paid_minutes} but template {template.id!r} pays "
                      f"{template.paid_minutes}")

    # --- activities inside one shift -------------------------------------------------------

    def activity_rules(self, shift: _Shift, acts: list[_Activity]) -> None:
        a, d = shift.agent_id, shift.date
        agent = self.agents[a]
        if not acts:
            self.flag(ACTIVITIES, a, d, f"shift {shift.label} has no activities")
            return
        cursor = shift.start
        for act in acts:
            if act.end <= act.start:
                self.flag(ACTIVITIES, a, d, f"{act.label} ends before it starts")
                continue
            if act.start > cursor:
                self.flag(ACTIVITIES, a, d, f"gap before {act.label} in shift {shift.label}")
            elif act.start < cursor:
                self.flag(ACTIVITIES, a, d, f"{act.label} overlaps another activity")
            if act.end > shift.end:
                self.flag(ACTIVITIES, a, d, f"{act.label} runs past the shift end {shift.label}")
            cursor = max(cursor, act.end)
            if act.activity not in KNOWN_ACTIVITIES:
                self.flag(ACTIVITIES, a, d, f"unknown activity {act.activity!r}; allowed: "
                                            f"{', '.join(KNOWN_ACTIVITIES)}")
            elif act.activity == WORK:
                queue = self.queues.get(act.queue)
                if queue is None:
                    self.flag(SKILLS_LANGUAGES, a, d,
                              f"{act.label} serves unknown queue {act.queue!r}")
                elif not agent.serves(queue):
                    self.flag(SKILLS_LANGUAGES, a, d,
                              f"{act.label} on queue {queue.id!r} needs skill {queue.skill!r} "
                              f"and language {queue.language!r}")
        if cursor < shift.end:
            self.flag(ACTIVITIES, a, d, f"activities end before the shift end {shift.label}")
        template = self.templates.get(shift.template)
        breaks = [x for x in acts if x.activity in BREAK_ACTIVITIES]
        if template is not None:
            if len(breaks) != len(template.breaks):
                self.flag(BREAKS, a, d,
                          f"{len(breaks)} breaks and lunches; template {template.id!r} has "
                          f"{len(template.breaks)}")
            elif not _match_breaks(breaks, template, shift.start):
                windows = "; ".join(
                    f"{r.activity} {r.duration_minutes} min starting "
                    f"{r.earliest_start_minutes}-{r.latest_start_minutes} min in"
                    for r in template.breaks)
                placed = ", ".join(x.label for x in breaks)
                self.flag(BREAKS, a, d, f"{placed} do not match template {template.id!r} "
                                        f"({windows})")
        spacing = self.cfg.labor_rules.min_break_spacing_minutes * 60
        if breaks and spacing:
            edges = [shift.start, *[v for x in breaks for v in (x.start, x.end)], shift.end]
            for gap_start, gap_end in zip(edges[0::2], edges[1::2], strict=True):
                if gap_end - gap_start < spacing:
                    self.flag(MIN_BREAK_SPACING, a, d,
                              f"only {(gap_end - gap_start) / 60:g} min between breaks or shift "
                              f"edges in shift {shift.label} (min "
                              f"{self.cfg.labor_rules.min_break_spacing_minutes})")
                    break

    def closure_rules(self, acts: list[_Activity]) -> None:
        """Work on a queue on a date the special days close it (or the whole center)."""
        for act in acts:
            if act.activity != WORK:
                continue
            day = act.first_day
            while day <= act.last_day:
                closed = self.closed_queues.get(day, ())
                if act.queue in closed or ALL_QUEUES in closed:
                    what = "the center" if ALL_QUEUES in closed else f"queue {act.queue!r}"
                    self.flag(QUEUE_CLOSED, act.agent_id, day,
                              f"{act.label} on queue {act.queue!r}, but the special days "
                              f"close {what} on {day}")
                day += timedelta(days=1)

    # --- across days ---------------------------------------------------------------------

    def rest_rules(self, agent_id: str, shifts: list[_Shift], first: date) -> None:
        minimum = self.cfg.labor_rules.min_rest_hours * 3600
        ordered = sorted(shifts, key=lambda s: s.start)
        for before, after in zip(ordered, ordered[1:], strict=False):
            if after.date < first:
                continue
            rest = after.start - before.end
            if rest < minimum:
                self.flag(MIN_REST, agent_id, after.date,
                          f"{rest / 3600:g} h rest after the shift of {before.date} "
                          f"(min {self.cfg.labor_rules.min_rest_hours:g} h)")

    def consecutive_rules(self, agent_id: str, worked: set[date], first: date) -> None:
        limit = self.cfg.labor_rules.max_consecutive_working_days
        run = 0
        flagged = False
        previous_day: date | None = None
        for day in sorted(worked):
            if previous_day is not None and day - previous_day == timedelta(1):
                run += 1
            else:
                run, flagged = 1, False
            previous_day = day
            # One violation per run, on its first day past the limit inside the horizon.
            if run > limit and day >= first and not flagged:
                flagged = True
                self.flag(MAX_CONSECUTIVE_DAYS, agent_id, day,
                          f"{run} consecutive working days (max {limit})")

    def week_rules(self, agent: Agent, monday: date, worked: dict[date, int],
                   known: set[date]) -> None:
        rules = self.cfg.labor_rules
        contract = self.cfg.contract(agent.contract)
        week = [monday + timedelta(i) for i in range(7)]
        days_worked = [d for d in week if d in worked]
        a = agent.agent_id
        label = f"week of {monday}"
        if len(days_worked) > contract.max_working_days_per_week:
            self.flag(MAX_WORKING_DAYS_PER_WEEK, a, monday,
                      f"{label}: {len(days_worked)} working days (max "
                      f"{contract.max_working_days_per_week} for {contract.id!r})")
        if 7 - len(days_worked) < rules.min_days_off_per_week:
            self.flag(MIN_DAYS_OFF_PER_WEEK, a, monday,
                      f"{label}: {7 - len(days_worked)} days off "
                      f"(min {rules.min_days_off_per_week})")
        elif rules.min_days_off_per_week > 0:
            longest = run = 0
            for day in week:
                run = 0 if day in worked else run + 1
                longest = max(longest, run)
            if longest < rules.min_consecutive_days_off:
                self.flag(MIN_CONSECUTIVE_DAYS_OFF, a, monday,
                          f"{label}: longest run of days off is {longest} "
                          f"(min {rules.min_consecutive_days_off})")
        paid = sum(worked[d] for d in days_worked)
        workable, workable_on = self.workable(agent.contract, min(known), max(known))
        available = [d for d in week if d in known and d not in agent.unavailable_dates
                     and d in workable_on]
        share = min(1.0, len(available) / len(workable)) if workable else 0.0
        minimum = contract.min_weekly_hours * 60 * share
        maximum = contract.max_weekly_hours * 60
        if paid > maximum + 1e-6:
            self.flag(MAX_WEEKLY_HOURS, a, monday,
                      f"{label}: {paid / 60:g} paid hours (max {contract.max_weekly_hours:g})")
        elif paid < minimum - 1e-6:
            prorated = "" if share == 1.0 else (
                f", pro-rated for {len(available)} of {len(workable)} workable days")
            self.flag(MIN_WEEKLY_HOURS, a, monday,
                      f"{label}: {paid / 60:g} paid hours (min {minimum / 60:.4g}{prorated})")


def check_schedule(
    cfg: CenterConfig,
    agents: Iterable[Agent],
    shifts: pd.DataFrame,
    activities: pd.DataFrame,
    requirements: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
    start: date | None = None,
    days: int | None = None,
    closed_queues: Mapping[date, Collection[str]] | None = None,
) -> list[Violation]:
    """Every broken hard rule of a schedule, in a stable order (empty list = valid).

    ``shifts`` and ``activities`` have the columns of the schedule files with tz-aware
    timestamps (as `wfm.io.schedule_folder.read_schedule` returns them). ``previous`` is the
    shifts table of the schedule before this one: its shifts dated before ``start`` count
    for rest, consecutive days and the weekly rules of a week the horizon starts inside.
    The horizon is ``start`` and ``days`` when given, else the dates of ``requirements``,
    else those of the shifts (ValueError when there is none). ``closed_queues`` maps a
    local date to the queue ids the special days close on it (``all``: the center). See
    the module docstring for how each rule is read.
    """
    checker = _Checker(cfg, agents, closed_queues)
    zone = cfg.center.timezone
    all_shifts = _shifts(shifts, zone)
    first, days = _horizon(all_shifts, requirements, zone, start, days)
    last = first + timedelta(days=days - 1)
    closed = closed_dates(cfg.center, first, last)
    if all_shifts:
        # the open time of every date a shift touches, and of the horizon's
        starts = [s.date for s in all_shifts]
        ends = [s.date + timedelta(days=max(s.end_wall - 1, 0) // 1440) for s in all_shifts]
        checker.open_time = open_time(cfg.center, min(first, *starts),
                                      max(last, *ends) + timedelta(days=1))

    before: list[_Shift] = []
    known: set[date] = {first + timedelta(i) for i in range(days)}
    if previous is not None and not previous.empty:
        before = [s for s in _shifts(previous, zone) if s.date < first]
        if before:
            earliest = min(s.date for s in before)
            known |= {earliest + timedelta(i) for i in range((first - earliest).days)}

    by_agent: dict[str, list[_Shift]] = defaultdict(list)
    for shift in all_shifts:
        if shift.agent_id not in checker.agents:
            checker.flag(UNKNOWN_AGENT, shift.agent_id, shift.date,
                         f"agent {shift.agent_id!r} is not in the roster")
            continue
        by_agent[shift.agent_id].append(shift)
    before_by_agent: dict[str, list[_Shift]] = defaultdict(list)
    for shift in before:
        before_by_agent[shift.agent_id].append(shift)
    acts_by_agent: dict[str, list[_Activity]] = defaultdict(list)
    for act in _activities(activities, zone):
        acts_by_agent[act.agent_id].append(act)
    for agent_id in sorted(set(acts_by_agent) - set(checker.agents)):
        checker.flag(UNKNOWN_AGENT, agent_id, None,
                     f"activities for agent {agent_id!r}, who is not in the roster")
    for agent_id in sorted(acts_by_agent):
        checker.closure_rules(acts_by_agent[agent_id])

    for agent_id, agent in checker.agents.items():
        mine = sorted(by_agent.get(agent_id, []), key=lambda s: s.start)
        seen: set[date] = set()
        for shift in mine:
            if shift.date in seen:
                checker.flag(ONE_SHIFT_PER_DAY, agent_id, shift.date,
                             f"more than one shift on {shift.date}")
            seen.add(shift.date)
            checker.shift_rules(shift, first, last, closed)
        # Activities belong to the shift their start falls in.
        acts = sorted(acts_by_agent.get(agent_id, []), key=lambda x: (x.start, x.end))
        inside: dict[int, list[_Activity]] = defaultdict(list)
        for act in acts:
            owner = next((i for i, s in enumerate(mine) if s.start <= act.start < s.end), None)
            if owner is None:
                checker.flag(ACTIVITIES, agent_id, None, f"{act.label} lies outside any shift")
            else:
                inside[owner].append(act)
        for i, shift in enumerate(mine):
            if shift.end > shift.start:
                checker.activity_rules(shift, inside.get(i, []))

        history = [s for s in before_by_agent.get(agent_id, [])]
        checker.rest_rules(agent_id, history + mine, first)
        worked: dict[date, int] = defaultdict(int)
        for shift in history + mine:
            worked[shift.date] += max(shift.paid_minutes, 0)
        checker.consecutive_rules(agent_id, set(worked), first)
        monday = first - timedelta(days=first.weekday())
        while monday <= last:
            checker.week_rules(agent, monday, worked, known)
            monday += timedelta(days=7)
    return checker.found




