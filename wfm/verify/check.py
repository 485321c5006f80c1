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
  ``paid_minutes`` is the template's paid minutes less the minutes of the shift's unpaid
  off-phone activities (``activities[].paid: false``).
- ``breaks``: the shift's break and lunch activities match the template's break rules one
  to one (activity, duration and start offset inside the rule's window, in real minutes).
- ``min_break_spacing``: at least ``labor_rules.min_break_spacing_minutes`` of non-break time
  from the shift start to the first break or lunch, between the end of one and the start
  of the next, and from the end of the last to the shift end.
- ``activities``: each shift is covered exactly by its activities (no gap, no overlap,
  nothing outside a shift); activity names are known (``work``, ``break``, ``lunch``,
  ``duty`` and the config's ``activities[].id``). So an off-phone activity is never on top
  of a break, and a person is in one activity at a time.
- ``roles``: an ``agent`` is never on ``duty``; a ``trainer`` or ``quality`` analyst never
  ``work``s a queue.
- ``leader_queue_share``: a team leader's or supervisor's ``work`` minutes in a shift are at
  most ``leadership.leader_queue_share`` (0 without a ``leadership`` section) of the shift's
  length.
- ``leader_coverage`` (with ``leadership``; `wfm.people` says who a team's agents, leaders
  and campaign leaders are): in each interval of the horizon grid, a team's agents *on
  shift* are those whose shift overlaps the interval; a person is *on duty* when a shift
  holds the whole interval and no break or lunch touches it (an off-phone activity is
  duty). With at least ``supervisor_from_agents`` agents on shift, one of the team's
  leaders is on duty; with at least one, one of its leaders or campaign leaders is. One
  violation per team and run of consecutive intervals.
- ``span_of_control`` (with ``leadership.max_agents_per_leader``): where some of a team's
  leaders or campaign leaders are on duty, its agents on shift are at most that many per
  leader on duty.
- Off-phone activity sessions (with ``activities``): the sessions the config calls for over
  the horizon are those of `wfm.people.activity_sessions`; rows of a configured activity
  carry a session id and rows of other activities none.
  - ``activity_frequency``: every session called for appears in the activities or is
    reported as not placed with a non-empty reason (kpis.json ``activities_unplaced``),
    not both; no other session id appears or is reported.
  - ``activity_window``: a session's rows last the activity's ``duration_minutes``, start
    on a date of its block and an allowed weekday, lie inside ``window`` on the wall clock,
    and each lies at least ``shift_edge_minutes`` from both ends of its person's shift.
  - ``activity_attendance``: a session's rows are all of its activity and start and end
    together; each person is in it once and is one of its attendees or hosts; at least
    ``need`` attendees are there, and, when the activity has a host, one who may run it
    (the attendee's or team's leader for ``leader``, else anyone with the host role).
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
    interval_grid,
    open_time,
    opening_label,
    workable_dates,
    workable_weekdays,
)
from wfm.config import WEEKDAYS, CenterConfig, ShiftTemplate, format_clock
from wfm.io.tables import BREAK_ACTIVITIES, BUILT_IN_ACTIVITIES, DUTY, WORK
from wfm.people import (
    Session,
    activity_sessions,
    campaign_leaders,
    team_agents,
    team_leaders,
)
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
ROLES = "roles"
LEADER_QUEUE_SHARE = "leader_queue_share"
LEADER_COVERAGE = "leader_coverage"
SPAN_OF_CONTROL = "span_of_control"
ACTIVITY_WINDOW = "activity_window"
ACTIVITY_ATTENDANCE = "activity_attendance"
ACTIVITY_FREQUENCY = "activity_frequency"
INBOUND_FIRST = "inbound_first"
COVERAGE = "coverage"
REQUIREMENTS = "requirements"
SERVICE_LEVEL = "service_level"
KPIS = "kpis"

RULES = (
    ONE_SHIFT_PER_DAY, HORIZON, UNKNOWN_AGENT, OPENING_HOURS, SHIFT_TEMPLATES, MIN_REST,
    MAX_CONSECUTIVE_DAYS, MIN_DAYS_OFF_PER_WEEK, MIN_CONSECUTIVE_DAYS_OFF, MIN_WEEKLY_HOURS,
    MAX_WEEKLY_HOURS, MAX_WORKING_DAYS_PER_WEEK, UNAVAILABLE_DATES, AVAILABLE_WINDOW, BREAKS,
    MIN_BREAK_SPACING, ACTIVITIES, SKILLS_LANGUAGES, QUEUE_CLOSED, ROLES, LEADER_QUEUE_SHARE,
    LEADER_COVERAGE, SPAN_OF_CONTROL, ACTIVITY_WINDOW, ACTIVITY_ATTENDANCE, ACTIVITY_FREQUENCY,
    COVERAGE, REQUIREMENTS, SERVICE_LEVEL, KPIS, INBOUND_FIRST,
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
    session: str = ""
    wall_start: int = 0  # minutes after local midnight of ``first_day``
    wall_end: int = 0  # minutes after local midnight of ``first_day`` (may pass 1440)


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
    sessions = table["session"] if "session" in table.columns else [""] * len(table)
    found = []
    for i, (agent, kind, queue, session) in enumerate(zip(
            table["agent_id"], table["activity"], queues, sessions, strict=True)):
        first_day = wall_start.iloc[i].date()
        midnight = pd.Timestamp(first_day)
        found.append(_Activity(
            agent_id=str(agent), start=int(starts[i]), end=int(ends[i]),
            activity=_text(kind), queue=_text(queue),
            label=f"{_text(kind)} {wall_start.iloc[i]:%H:%M}-{wall_end.iloc[i]:%H:%M}",
            first_day=first_day,
            last_day=max(first_day, last_second.iloc[i].date()), session=_text(session),
            wall_start=int((wall_start.iloc[i] - midnight) // pd.Timedelta(minutes=1)),
            wall_end=int((wall_end.iloc[i] - midnight) // pd.Timedelta(minutes=1))))
    return found


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
        self.activities = {a.id: a for a in cfg.activities}
        self.known_activities = (*BUILT_IN_ACTIVITIES, *self.activities)
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

    def shift_rules(self, shift: _Shift, first: date, last: date, closed: set[date],
                    unpaid_minutes: int = 0) -> None:
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
        self.template_rules(shift, agent, unpaid_minutes)
        if d in agent.unavailable_dates:
            self.flag(UNAVAILABLE_DATES, a, d, f"shift {shift.label} on an unavailable date")
        if not agent.window_holds(shift.start_wall, shift.end_wall):
            low, high = agent.available_window
            self.flag(AVAILABLE_WINDOW, a, d,
                      f"shift {shift.label} outside the available window "
                      f"{format_clock(low)}-{format_clock(high % 1440 or 1440)}")

    def template_rules(self, shift: _Shift, agent: Agent, unpaid_minutes: int = 0) -> None:
        a, d = shift.agent_id, shift.date
        allowed = self.cfg.templates_for(agent.contract)
        if not shift.template:
            # A hand-made file may leave the template out: any allowed one that fits will do.
            fitting = [t for t in allowed
                       if (shift.end - shift.start) == t.length_minutes * 60
                       and shift.start_wall in t.start_minutes
                       and shift.paid_minutes == t.paid_minutes - unpaid_minutes]
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
        if shift.paid_minutes != template.paid_minutes - unpaid_minutes:
            unpaid = (f" less {unpaid_minutes} min of unpaid activities" if unpaid_minutes
                      else "")
            self.flag(SHIFT_TEMPLATES, a, d,
                      f"paid_minutes {shift.paid_minutes} but template {template.id!r} pays "
                      f"{template.paid_minutes}{unpaid}")

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
            if act.activity not in self.known_activities:
                self.flag(ACTIVITIES, a, d, f"unknown activity {act.activity!r}; allowed: "
                                            f"{', '.join(self.known_activities)}")
            elif act.activity == DUTY and agent.role == "agent":
                self.flag(ROLES, a, d, f"{act.label}: an agent is on a queue, a break or an "
                                       "activity, never on duty off the phones")
            elif act.activity == WORK and not agent.takes_contacts:
                self.flag(ROLES, a, d, f"{act.label} on queue {act.queue!r}: a {agent.role} "
                                       "takes no contacts")
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
        if agent.is_leader:
            self.queue_share_rules(shift, acts)
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

    def queue_share_rules(self, shift: _Shift, acts: list[_Activity]) -> None:
        """A leader works queues in at most ``leadership.leader_queue_share`` of the shift."""
        lead = self.cfg.leadership
        share = lead.leader_queue_share if lead is not None else 0.0
        worked = sum(x.end - x.start for x in acts if x.activity == WORK)
        length = shift.end - shift.start
        if worked > share * length + 1e-6:
            self.flag(LEADER_QUEUE_SHARE, shift.agent_id, shift.date,
                      f"{worked / 60:g} min on queues in shift {shift.label} of "
                      f"{length / 60:g} min (leadership.leader_queue_share {share:g})")

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

    # --- people: the leader on duty --------------------------------------------------------

    def leader_rules(self, shifts: Mapping[str, list[_Shift]],
                     acts: Mapping[str, list[_Activity]], first: date, days: int) -> None:
        """Per team and interval: the leader-on-duty tiers and the span of control."""
        lead = self.cfg.leadership
        if lead is None:
            return
        grid = interval_grid(self.cfg.center, first, days)["interval_start"]
        slots = _utc_seconds(grid)
        step = self.cfg.center.interval_minutes * 60
        people = list(self.agents.values())

        def on_shift(agent_id: str) -> np.ndarray:
            found = np.zeros(len(slots), dtype=bool)
            for shift in shifts.get(agent_id, []):
                found |= (shift.start < slots + step) & (shift.end > slots)
            return found

        def on_duty(agent_id: str) -> np.ndarray:
            found = np.zeros(len(slots), dtype=bool)
            for shift in shifts.get(agent_id, []):
                found |= (shift.start <= slots) & (shift.end >= slots + step)
            for act in acts.get(agent_id, []):
                if act.activity in BREAK_ACTIVITIES:
                    found &= ~((act.start < slots + step) & (act.end > slots))
            return found

        leaders, campaign = team_leaders(people), campaign_leaders(people)
        for team, ids in sorted(team_agents(people).items()):
            count = sum((on_shift(a).astype(int) for a in ids), np.zeros(len(slots), int))
            first_tier = sum((on_duty(a).astype(int) for a in leaders.get(team, [])),
                             np.zeros(len(slots), int))
            any_tier = first_tier + sum((on_duty(a).astype(int)
                                         for a in campaign.get(team, [])),
                                        np.zeros(len(slots), int))
            need = lead.supervisor_from_agents
            without_leader = (count >= need) & (first_tier == 0)
            self._flag_runs(LEADER_COVERAGE, team, grid, without_leader, count,
                            f"and no team leader or supervisor of the team on duty "
                            f"(leadership.supervisor_from_agents {need})")
            self._flag_runs(LEADER_COVERAGE, team, grid,
                            (count >= 1) & (any_tier == 0) & ~without_leader, count,
                            "and none of its leaders or campaign leaders on duty")
            span = lead.max_agents_per_leader
            if span is not None:
                self._flag_runs(SPAN_OF_CONTROL, team, grid,
                                (any_tier > 0) & (count > span * any_tier), count,
                                f"for {'{leaders}'} leaders on duty (leadership."
                                f"max_agents_per_leader {span})", any_tier)

    def _flag_runs(self, rule: str, team: str, grid: pd.Series, bad: np.ndarray,
                   count: np.ndarray, why: str, leaders: np.ndarray | None = None) -> None:
        """One violation per run of consecutive bad intervals of a day."""
        step = pd.Timedelta(minutes=self.cfg.center.interval_minutes)
        index = np.flatnonzero(bad)
        if not len(index):
            return
        runs = np.split(index, np.flatnonzero(np.diff(index) > 1) + 1)
        for run in runs:
            begin, end = grid.iloc[run[0]], grid.iloc[run[-1]] + step
            most = int(count[run].max())
            text = why if leaders is None else why.replace("{leaders}",
                                                           str(int(leaders[run].min())))
            self.flag(rule, None, begin.date(),
                      f"team {team!r}: up to {most} of its agents on shift {begin:%H:%M}-"
                      f"{end:%H:%M} {text}")

    # --- people: off-phone activity sessions -------------------------------------------------

    def session_rules(self, sessions: list[Session], acts: Mapping[str, list[_Activity]],
                      shifts: Mapping[str, list[_Shift]], unplaced: Mapping[str, str]) -> None:
        """Every session the config calls for is placed once or reported as not placed with
        a reason; every placed one keeps its window and attendance."""
        expected = {s.id: s for s in sessions}
        rows: dict[str, list[_Activity]] = defaultdict(list)
        for agent_id in sorted(acts):
            for act in acts[agent_id]:
                if act.activity in self.activities:
                    if not act.session:
                        self.flag(ACTIVITY_ATTENDANCE, agent_id, act.first_day,
                                  f"{act.label} has no session id")
                    else:
                        rows[act.session].append(act)
                elif act.session:
                    self.flag(ACTIVITY_ATTENDANCE, agent_id, act.first_day,
                              f"{act.label} carries session {act.session!r} but is no "
                              "off-phone activity of the config")
        for session_id in sorted(rows):
            session = expected.get(session_id)
            first_row = rows[session_id][0]
            if session is None:
                self.flag(ACTIVITY_FREQUENCY, None, first_row.first_day,
                          f"session {session_id!r} is not one the config's activities call "
                          "for over the horizon")
                continue
            if session_id in unplaced:
                self.flag(ACTIVITY_FREQUENCY, None, first_row.first_day,
                          f"session {session_id!r} is reported as not placed, yet placed")
            self.one_session(session, rows[session_id], shifts)
        for session_id, session in expected.items():
            if session_id in rows:
                continue
            reason = unplaced.get(session_id)
            if reason is None:
                self.flag(ACTIVITY_FREQUENCY, None, session.dates[0],
                          f"session {session_id!r} is neither placed nor reported as not "
                          "placed (kpis.json activities.unplaced)")
            elif not reason.strip():
                self.flag(ACTIVITY_FREQUENCY, None, session.dates[0],
                          f"session {session_id!r} is reported as not placed without a reason")
        for session_id in sorted(set(unplaced) - set(expected)):
            self.flag(ACTIVITY_FREQUENCY, None, None,
                      f"session {session_id!r} is reported as not placed, but the config "
                      "calls for no such session")

    def one_session(self, session: Session, rows: list[_Activity],
                    shifts: Mapping[str, list[_Shift]]) -> None:
        activity = self.activities[session.activity]
        head = rows[0]
        who = session.attendees[0] if session.individual else None
        day = head.first_day
        if any(r.activity != session.activity for r in rows):
            self.flag(ACTIVITY_ATTENDANCE, who, day,
                      f"session {session.id!r} mixes activities "
                      f"{', '.join(sorted({r.activity for r in rows}))}")
        if any((r.start, r.end) != (head.start, head.end) for r in rows):
            self.flag(ACTIVITY_ATTENDANCE, who, day,
                      f"the rows of session {session.id!r} do not start and end together")
        length = (head.end - head.start) / 60
        if length != activity.duration_minutes:
            self.flag(ACTIVITY_WINDOW, who, day, f"session {session.id!r} lasts {length:g} "
                                                 f"min; {activity.id} lasts "
                                                 f"{activity.duration_minutes}")
        low, high = activity.window_minutes
        if day not in session.dates:
            self.flag(ACTIVITY_WINDOW, who, day,
                      f"session {session.id!r} on {day}, outside its block "
                      f"{session.dates[0]}..{session.dates[-1]}")
        elif day.weekday() not in activity.weekdays:
            self.flag(ACTIVITY_WINDOW, who, day,
                      f"session {session.id!r} on a {WEEKDAYS[day.weekday()]}; allowed: "
                      f"{', '.join(activity.days)}")
        if head.wall_start < low or head.wall_end > high:
            self.flag(ACTIVITY_WINDOW, who, day,
                      f"session {session.id!r} at {format_clock(head.wall_start % 1440)}-"
                      f"{format_clock(head.wall_end % 1440)}, outside {activity.window}")
        edge = activity.shift_edge_minutes * 60
        for row in rows:
            shift = next((x for x in shifts.get(row.agent_id, [])
                          if x.start <= row.start < x.end), None)
            if shift is not None and edge and (row.start - shift.start < edge
                                               or shift.end - row.end < edge):
                self.flag(ACTIVITY_WINDOW, row.agent_id, day,
                          f"session {session.id!r} within {activity.shift_edge_minutes} min "
                          f"of the edge of shift {shift.label}")
        present = [r.agent_id for r in rows]
        twice = sorted({a for a in present if present.count(a) > 1})
        if twice:
            self.flag(ACTIVITY_ATTENDANCE, twice[0], day,
                      f"{twice[0]} is in session {session.id!r} twice")
        attending = set(present) & set(session.attendees)
        hosting = set(present) & set(session.hosts)
        for other in sorted(set(present) - attending - hosting):
            self.flag(ACTIVITY_ATTENDANCE, other, day,
                      f"{other} is in session {session.id!r} but neither one of its "
                      f"attendees nor one who may run it ({activity.host})")
        if len(attending) < session.need:
            self.flag(ACTIVITY_ATTENDANCE, who, day,
                      f"session {session.id!r} has {len(attending)} of its "
                      f"{len(session.attendees)} attendees; it needs {session.need}")
        if activity.host != "none" and not hosting:
            self.flag(ACTIVITY_ATTENDANCE, who, day,
                      f"session {session.id!r} has nobody to run it ({activity.host})")

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
    unplaced: Mapping[str, str] | None = None,
) -> list[Violation]:
    """Every broken hard rule of a schedule, in a stable order (empty list = valid).

    ``shifts`` and ``activities`` have the columns of the schedule files with tz-aware
    timestamps (as `wfm.io.schedule_folder.read_schedule` returns them). ``previous`` is the
    shifts table of the schedule before this one: its shifts dated before ``start`` count
    for rest, consecutive days and the weekly rules of a week the horizon starts inside.
    The horizon is ``start`` and ``days`` when given, else the dates of ``requirements``,
    else those of the shifts (ValueError when there is none). ``closed_queues`` maps a
    local date to the queue ids the special days close on it (``all``: the center).
    ``unplaced`` maps the off-phone activity sessions reported as not placed to their
    reason (kpis.json ``activities.unplaced``). See the module docstring for how each rule
    is read.
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

    unpaid = {a.id for a in cfg.activities if not a.paid}
    for agent_id, agent in checker.agents.items():
        mine = sorted(by_agent.get(agent_id, []), key=lambda s: s.start)
        # Activities belong to the shift their start falls in.
        acts = sorted(acts_by_agent.get(agent_id, []), key=lambda x: (x.start, x.end))
        inside: dict[int, list[_Activity]] = defaultdict(list)
        for act in acts:
            owner = next((i for i, s in enumerate(mine) if s.start <= act.start < s.end), None)
            if owner is None:
                checker.flag(ACTIVITIES, agent_id, None, f"{act.label} lies outside any shift")
            else:
                inside[owner].append(act)
        seen: set[date] = set()
        for i, shift in enumerate(mine):
            if shift.date in seen:
                checker.flag(ONE_SHIFT_PER_DAY, agent_id, shift.date,
                             f"more than one shift on {shift.date}")
            seen.add(shift.date)
            unpaid_minutes = sum(x.end - x.start for x in inside.get(i, [])
                                 if x.activity in unpaid) // 60
            checker.shift_rules(shift, first, last, closed, unpaid_minutes)
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
    mine_by_agent = {a: by_agent.get(a, []) for a in checker.agents}
    checker.leader_rules(mine_by_agent, acts_by_agent, first, days)
    if cfg.activities:
        sessions = activity_sessions(cfg, list(checker.agents.values()), first, days)
        checker.session_rules(sessions, acts_by_agent, mine_by_agent, dict(unplaced or {}))
    return checker.found




