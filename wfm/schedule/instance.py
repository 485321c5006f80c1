"""The scheduling instance: days, weeks, intervals, shift options, agent groups and classes.

Everything the models need is precomputed here once, in real elapsed time: every instant
is an integer count of minutes since the first interval of the horizon in UTC
(``utc minute``), and every interval an index on the UTC-spaced grid of
`wfm.calendar.interval_grid`, so a DST day simply has 92 or 100 quarter-hours and rest is
measured between real instants.

Two levels of aggregation make large rosters tractable:

* a *group* holds agents that are interchangeable for every hard rule (same skills with
  proficiencies, languages, contract, availability and state left by ``previous``, and
  the same team when the config has a leader rule);
* a *class* holds groups that serve the same queues with the same proficiency order, so
  coverage, breaks and queue assignment are counted per class.

*Individuals* (`individual_ids`: team leaders, supervisors, trainers, quality analysts and
campaign leaders; every agent where each one's breaks must be known) form a group and a
class of their own, so the model knows when each of them is on a break. Classes of people
who are not agents are ``off_queue``: their time on shift not spent on queues, breaks or
activities is duty.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from math import ceil, floor
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from wfm.calendar import interval_grid, open_time, shift_span, workable_dates, workable_weekdays
from wfm.config import CenterConfig, ShiftTemplate
from wfm.errors import BadInput
from wfm.roster import Agent
from wfm.schedule.flows import build_flows

LATE_END_MINUTE = 20 * 60  # a shift ending after 20:00 wall clock counts as late (fairness)
NIGHT_START_MINUTE = 6 * 60  # a shift starting before 06:00 or ending after midnight: night


@dataclass(frozen=True)
class BreakSlot:
    """One break or lunch of a shift option: allowed offsets from the shift start."""

    activity: str
    offsets: tuple[int, ...]  # in intervals after the shift start, ascending
    duration: int  # in intervals
    paid: bool


@dataclass(frozen=True)
class ShiftOption:
    """One possible shift: a template started at one instant of one horizon day."""

    key: int
    day: int  # index into Instance.dates
    template: str
    start_minute: int  # utc minute of the start
    end_minute: int  # utc minute of the end (real elapsed length later)
    wall_start: int  # local wall-clock minutes after midnight of its date
    wall_end: int  # local wall-clock minutes after midnight of its date (may exceed 1440)
    first_interval: int
    n_intervals: int  # intervals of the shift inside the horizon: those coverage counts
    length_intervals: int  # intervals of the whole shift (past the horizon's end too)
    paid_minutes: int
    breaks: tuple[BreakSlot, ...]

    @property
    def is_late(self) -> bool:
        """True when the shift ends after `LATE_END_MINUTE` on the wall clock."""
        return self.wall_end > LATE_END_MINUTE

    @property
    def is_night(self) -> bool:
        """True when the shift starts before `NIGHT_START_MINUTE` or ends after midnight."""
        return self.wall_start < NIGHT_START_MINUTE or self.wall_end > 1440


@dataclass(frozen=True)
class Tail:
    """What a previous schedule leaves before the horizon: last shift end and worked streak."""

    last_end_minute: int | None = None  # utc minute (negative: before the horizon)
    worked_streak: int = 0  # consecutive worked days ending the day before the horizon
    # the calendar week the horizon starts in, before the horizon: weekdays known from the
    # previous schedule, weekdays worked and paid minutes worked
    week_known: frozenset[int] = frozenset()
    week_worked: frozenset[int] = frozenset()
    week_paid_minutes: int = 0


@dataclass
class Group:
    """Interchangeable agents: every hard rule treats them alike."""

    index: int
    agents: list[Agent]
    contract: str
    class_index: int
    tail: Tail
    options: dict[int, list[int]]  # day -> option keys the group may work

    @property
    def size(self) -> int:
        """Number of agents in the group."""
        return len(self.agents)


@dataclass
class CoverageClass:
    """Agents serving the same queues with the same preference order."""

    index: int
    queues: tuple[int, ...]  # queue indices, best first
    penalty: tuple[float, ...]  # per agent-interval cost of serving each queue (0 = best)
    groups: list[int] = field(default_factory=list)
    off_queue: bool = False  # may be on shift off the queues (duty): people who are not agents
    person: str | None = None  # the agent id of an individual's class


@dataclass
class Instance:
    """A prepared scheduling problem."""

    cfg: CenterConfig
    agents: list[Agent]
    dates: list[date]
    weeks: list[list[int]]  # day indices of each calendar week (Mon-Sun) in the horizon
    week_days_total: list[int]  # days of each week inside the horizon (7 when complete)
    interval_starts: pd.DatetimeIndex  # tz-aware, center zone
    queue_ids: list[str]
    required: np.ndarray  # [queue, interval] agents required
    queue_closed: np.ndarray  # [queue, interval] True where the queue alone is closed that day
    options: list[ShiftOption]
    options_by_day: list[list[int]]
    groups: list[Group]
    classes: list[CoverageClass]
    group_of_agent: dict[str, int]
    tails: dict[str, Tail]
    # (agent, day) -> option key in the previous schedule, None when off, -1 when its shift
    # is no option of this instance
    previous_same_dates: dict[tuple[str, int], int | None]
    utc0: datetime
    memo: dict = field(default_factory=dict)  # what later stages compute once per instance
    # deferred and campaign queues worked as backlog flows (`wfm.schedule.flows`)
    flows: list = field(default_factory=list)
    _workable: dict[str, tuple[set[int], set[date]]] = field(default_factory=dict, repr=False)

    @property
    def n_intervals(self) -> int:
        """Intervals in the horizon."""
        return len(self.interval_starts)

    def workable(self, contract_id: str) -> tuple[set[int], set[date]]:
        """The weekdays a shift of the contract fits the regular weekly hours, and the
        dates from the Monday of the first week to the horizon's end it fits the open time."""
        if contract_id not in self._workable:
            templates = self.cfg.templates_for(contract_id)
            monday = self.dates[0] - timedelta(days=self.dates[0].weekday())
            self._workable[contract_id] = (
                workable_weekdays(self.cfg.center, templates),
                workable_dates(self.cfg.center, templates, monday, self.dates[-1]))
        return self._workable[contract_id]

    def interval_date(self, interval: int) -> date:
        """The local date of an interval (past the horizon's end too)."""
        return self.instant(interval * self.cfg.center.interval_minutes).date()

    def instant(self, utc_minute: int) -> pd.Timestamp:
        """A utc minute as a tz-aware local timestamp."""
        stamp = pd.Timestamp(self.utc0 + timedelta(minutes=utc_minute))
        return stamp.tz_convert(self.cfg.center.timezone)


def agent_classes(inst: Instance) -> dict[str, int]:
    """The coverage class of each agent (by agent id)."""
    return {a.agent_id: inst.groups[inst.group_of_agent[a.agent_id]].class_index
            for a in inst.agents}


def coverage_instance(inst: Instance) -> Instance:
    """The instance with its classes merged by the set of queues they serve.

    For the coverage terms alone the proficiency order inside a class does not matter, and
    agents of classes with the same queues are interchangeable: the LP relaxation of the
    merged model has the same optimum (any point of it splits back into the classes, per
    option in proportion to the classes' counts and per interval by a transportation of
    the present agents onto the queues) with fewer break and queue variables. Classes that
    may be off the queues (people who are not agents) merge only among themselves. Groups
    are copied with their class index remapped; the rest is shared with ``inst``.
    """
    keys: dict[tuple, int] = {}
    classes: list[CoverageClass] = []
    groups: list[Group] = []
    for group in inst.groups:
        cls = inst.classes[group.class_index]
        queues = tuple(sorted(cls.queues))
        # people who are not agents may be off the queues: never merged with agents
        key = (queues, cls.off_queue)
        if key not in keys:
            keys[key] = len(classes)
            classes.append(CoverageClass(len(classes), queues, tuple(0.0 for _ in queues),
                                         off_queue=cls.off_queue))
        classes[keys[key]].groups.append(group.index)
        groups.append(Group(group.index, group.agents, group.contract, keys[key],
                            group.tail, group.options))
    return replace(inst, groups=groups, classes=classes)


def _minutes_between(a: datetime, b: datetime) -> int:
    return int(round((b - a).total_seconds() / 60))


def build_options(cfg: CenterConfig, dates: list[date], utc0: datetime, interval_minutes: int,
                  horizon_intervals: int) -> tuple[list[ShiftOption], list[list[int]]]:
    """Every shift option of every template on every day that lies inside the open time.

    A shift belongs to the date it starts on and lasts its template's length in real time
    (`wfm.calendar.shift_span`): it may run past midnight, and on the night clocks change
    it ends an hour earlier or later on the wall clock. Returns the options and, per day,
    the keys of its options.
    """
    zone = ZoneInfo(cfg.center.timezone)
    spacing = cfg.labor_rules.min_break_spacing_minutes
    spare = -(-max(t.length_minutes for t in cfg.shift_templates) // 1440)
    time = open_time(cfg.center, dates[0], dates[-1] + timedelta(days=spare))
    options: list[ShiftOption] = []
    by_day: list[list[int]] = [[] for _ in dates]
    for day_index, day in enumerate(dates):
        for template in cfg.shift_templates:
            length = template.length_minutes
            for wall_start in template.start_minutes:
                span = shift_span(day, wall_start, length, zone)
                if span is None or not time.covers(*span):
                    continue
                start_minute = _minutes_between(utc0, span[0])
                end_local = span[1].astimezone(zone)
                wall_end = ((end_local.date() - day).days * 1440 + end_local.hour * 60
                            + end_local.minute)
                first = start_minute // interval_minutes
                option = ShiftOption(
                    key=len(options), day=day_index, template=template.id,
                    start_minute=start_minute, end_minute=start_minute + length,
                    wall_start=wall_start, wall_end=wall_end, first_interval=first,
                    n_intervals=min(length // interval_minutes, horizon_intervals - first),
                    length_intervals=length // interval_minutes,
                    paid_minutes=template.paid_minutes,
                    breaks=_break_slots(template, spacing, interval_minutes),
                )
                options.append(option)
                by_day[day_index].append(option.key)
    return options, by_day


def _break_slots(template: ShiftTemplate, spacing: int, step: int) -> tuple[BreakSlot, ...]:
    """Break offsets allowed by their windows and by the spacing from the shift's ends."""
    slots = []
    for rule in sorted(template.breaks, key=lambda b: b.earliest_start_minutes):
        offsets = tuple(
            m // step
            for m in range(rule.earliest_start_minutes, rule.latest_start_minutes + 1, step)
            if m >= spacing and m + rule.duration_minutes <= template.length_minutes - spacing
        )
        slots.append(BreakSlot(rule.activity, offsets, rule.duration_minutes // step, rule.paid))
    return tuple(slots)


def option_allowed(agent: Agent, option: ShiftOption, cfg: CenterConfig, day: date) -> str | None:
    """The rule that forbids an agent an option, or None when it is allowed.

    Rules: ``shift_templates`` (contract), ``unavailable_dates``, ``available_window``,
    ``queue_closed`` (every queue the agent serves is closed that day).
    """
    template = next(t for t in cfg.shift_templates if t.id == option.template)
    if agent.contract not in template.contracts:
        return "shift_templates"
    if day in agent.unavailable_dates:
        return "unavailable_dates"
    served = [q for q in cfg.queues if agent.serves(q)]
    if agent.role == "agent" and any(q.closed_dates for q in served):
        # people who are not agents have their duty on any open day
        # every date the shift touches (a night shift's next day too) needs an open queue
        for later in range((option.wall_end - 1) // 1440 + 1):
            touched = day + timedelta(days=later)
            if all(touched in q.closed_dates for q in served):
                return "queue_closed"
    if not agent.window_holds(option.wall_start, option.wall_end):
        return "available_window"
    return None


def _tails(previous: pd.DataFrame | None, start: date, utc0: datetime,
           agents: list[Agent]) -> dict[str, Tail]:
    if previous is None or previous.empty:
        return {}
    tails: dict[str, Tail] = {}
    dates = pd.to_datetime(previous["date"]).dt.date
    before = previous[dates < start]
    if before.empty:
        return {}
    monday = start - timedelta(days=start.weekday())
    earliest = min(dates[dates < start])
    known = frozenset(d.weekday() for d in (monday + timedelta(days=i)
                                            for i in range(start.weekday()))
                      if d >= earliest)
    rows_of = {str(a): rows for a, rows in before.groupby("agent_id")}
    for agent in agents:
        rows = rows_of.get(agent.agent_id)
        if rows is None:
            tails[agent.agent_id] = Tail(week_known=known)
            continue
        ends = pd.to_datetime(rows["shift_end"])
        last_end = max(pd.Timestamp(e).to_pydatetime() for e in ends)
        worked_dates = list(pd.to_datetime(rows["date"]).dt.date)
        worked = set(worked_dates)
        streak = 0
        day = start - timedelta(days=1)
        while day in worked:
            streak += 1
            day -= timedelta(days=1)
        in_week = [i for i, d in enumerate(worked_dates) if d >= monday]
        paid = int(sum(int(rows["paid_minutes"].iloc[i]) for i in in_week))
        tails[agent.agent_id] = Tail(
            _minutes_between(utc0, last_end), streak, known,
            frozenset(worked_dates[i].weekday() for i in in_week), paid,
        )
    return tails


def _required_matrix(requirements: pd.DataFrame, queue_ids: list[str],
                     grid_utc: pd.DatetimeIndex) -> np.ndarray:
    missing = [c for c in ("interval_start", "queue", "required") if c not in requirements]
    if missing:
        raise BadInput(f"requirements: missing column {missing[0]!r}")
    required = np.zeros((len(queue_ids), len(grid_utc)), dtype=np.int64)
    if requirements.empty:
        return required
    stamps = pd.to_datetime(requirements["interval_start"])
    if stamps.dt.tz is None:
        raise BadInput("requirements: interval_start must be timezone-aware")
    position = pd.Index(grid_utc).get_indexer(stamps.dt.tz_convert("UTC"))
    queue_index = {q: i for i, q in enumerate(queue_ids)}
    unknown = set(requirements["queue"]) - set(queue_index)
    if unknown:
        raise BadInput(f"requirements: unknown queue {sorted(map(str, unknown))[0]!r}")
    values = pd.to_numeric(requirements["required"]).to_numpy()
    for q, i, v in zip(requirements["queue"], position, values, strict=True):
        if i >= 0 and v > 0:
            required[queue_index[q], i] = max(required[queue_index[q], i], int(round(v)))
    return required


def individual_ids(cfg: CenterConfig, agents: list[Agent],
                   everyone: bool = False) -> frozenset[str]:
    """Who needs a group and class of their own: people who are not agents and campaign
    leaders (the leader rule and the activities they run need their breaks), or
    ``everyone``."""
    if everyone:
        return frozenset(a.agent_id for a in agents)
    return frozenset(a.agent_id for a in agents if a.role != "agent" or a.is_campaign_leader)


def queues_worked(cfg: CenterConfig, agent: Agent) -> list[int]:
    """Indices of the queues a person may work: those served, none for a leader whose
    ``leadership.leader_queue_share`` is 0 (or without a leadership section)."""
    if agent.is_leader and (cfg.leadership is None or cfg.leadership.leader_queue_share <= 0):
        return []
    return [i for i, q in enumerate(cfg.queues) if agent.serves(q)]


def build_instance(cfg: CenterConfig, agents: list[Agent], requirements: pd.DataFrame,
                   start: date, days: int, previous: pd.DataFrame | None = None,
                   individuals: frozenset[str] | None = None) -> Instance:
    """Prepare a scheduling instance; raises BadInput on inconsistent inputs.

    ``individuals`` are the agents who get a group and class of their own (default:
    `individual_ids`)."""
    if days < 1:
        raise BadInput(f"days must be at least 1, got {days}")
    if not agents:
        raise BadInput("agents: no agents")
    step = cfg.center.interval_minutes
    dates = [start + timedelta(days=i) for i in range(days)]
    grid = interval_grid(cfg.center, start, days)
    local_index = pd.DatetimeIndex(grid["interval_start"])
    grid_utc = local_index.tz_convert("UTC")
    utc0 = grid_utc[0].to_pydatetime()
    options, by_day = build_options(cfg, dates, utc0, step, len(grid_utc))
    queue_ids = [q.id for q in cfg.queues]
    required = _required_matrix(requirements, queue_ids, grid_utc)
    queue_closed = np.array([grid["date"].isin(set(q.closed_dates)).to_numpy()
                             for q in cfg.queues], dtype=bool).reshape(len(queue_ids), -1)
    required[queue_closed] = 0

    weeks_map: dict[date, list[int]] = defaultdict(list)
    for i, day in enumerate(dates):
        weeks_map[day - timedelta(days=day.weekday())].append(i)
    weeks = [weeks_map[k] for k in sorted(weeks_map)]

    tails = _tails(previous, start, utc0, agents)
    previous_same: dict[tuple[str, int], int | None] = {}
    if previous is not None and not previous.empty:
        by_start = {(o.day, o.start_minute, o.template): o.key for o in options}
        prev_dates = pd.to_datetime(previous["date"]).dt.date
        for row, day in zip(previous.itertuples(index=False), prev_dates, strict=True):
            if start <= day < start + timedelta(days=days):
                minute = _minutes_between(utc0, pd.Timestamp(row.shift_start).to_pydatetime())
                template = getattr(row, "template", None)
                if not isinstance(template, str) or not template:
                    template = None
                key = next((k for (d, m, t), k in by_start.items()
                            if d == (day - start).days and m == minute
                            and (template is None or t == template)), -1)
                previous_same[(str(row.agent_id), (day - start).days)] = key
        first, last = prev_dates.min(), prev_dates.max()
        for agent in agents:
            for d, day in enumerate(dates):
                if first <= day <= last:  # inside the published period: no row means off
                    previous_same.setdefault((agent.agent_id, d), None)

    if individuals is None:
        individuals = individual_ids(cfg, agents)
    groups, classes, group_of_agent = _group_agents(cfg, agents, dates, options, by_day, tails,
                                                    individuals, cfg.leadership is not None)
    return Instance(
        cfg=cfg, agents=agents, dates=dates, weeks=weeks,
        week_days_total=[len(w) for w in weeks], interval_starts=local_index,
        queue_ids=queue_ids, required=required, queue_closed=queue_closed, options=options,
        options_by_day=by_day,
        groups=groups, classes=classes, group_of_agent=group_of_agent, tails=tails,
        previous_same_dates=previous_same, utc0=utc0,
        flows=build_flows(cfg, requirements, queue_ids, grid, queue_closed),
    )


def _group_agents(cfg: CenterConfig, agents: list[Agent], dates: list[date],
                  options: list[ShiftOption], by_day: list[list[int]],
                  tails: dict[str, Tail], individuals: frozenset[str] = frozenset(),
                  by_team: bool = False) -> tuple[list[Group], list[CoverageClass], dict]:
    horizon = set(dates)
    class_keys: dict[tuple, int] = {}
    classes: list[CoverageClass] = []
    group_keys: dict[tuple, int] = {}
    groups: list[Group] = []
    group_of_agent: dict[str, int] = {}
    for agent in agents:
        served = [(i, agent.proficiency(cfg.queues[i])) for i in queues_worked(cfg, agent)]
        served.sort(key=lambda item: (-item[1], item[0]))
        best = served[0][1] if served else 0.0
        person = agent.agent_id if agent.agent_id in individuals else None
        off_queue = agent.role != "agent"
        class_key = (tuple((i, round(best - p, 6)) for i, p in served), off_queue, person)
        if class_key not in class_keys:
            class_keys[class_key] = len(classes)
            classes.append(CoverageClass(len(classes), tuple(i for i, _ in served),
                                         tuple(float(gap) for _, gap in class_key[0]),
                                         off_queue=off_queue, person=person))
        class_index = class_keys[class_key]
        tail = tails.get(agent.agent_id, Tail())
        key = (class_index, agent.contract, frozenset(agent.unavailable_dates & horizon),
               agent.available_window, tail, person, agent.team if by_team else None)
        if key not in group_keys:
            group_keys[key] = len(groups)
            allowed = {
                d: [k for k in by_day[d]
                    if option_allowed(agent, options[k], cfg, dates[d]) is None]
                for d in range(len(dates))
            }
            groups.append(Group(len(groups), [], agent.contract, class_index, tail, allowed))
            classes[class_index].groups.append(len(groups) - 1)
        groups[group_keys[key]].agents.append(agent)
        group_of_agent[agent.agent_id] = group_keys[key]
    return groups, classes, group_of_agent


def with_individuals(inst: Instance, individuals: frozenset[str]) -> Instance:
    """The instance with its groups and classes rebuilt so that ``individuals`` (and the
    instance's own individuals) each have a group and class of their own."""
    own = frozenset(c.person for c in inst.classes if c.person is not None)
    groups, classes, group_of_agent = _group_agents(
        inst.cfg, inst.agents, inst.dates, inst.options, inst.options_by_day, inst.tails,
        own | individuals, inst.cfg.leadership is not None)
    return replace(inst, groups=groups, classes=classes, group_of_agent=group_of_agent,
                   memo={})


def counting_instance(inst: Instance) -> Instance:
    """The instance grouped for counting alone: no individuals, no team in the groups (the
    coverage bound and the large-roster start need no one's identity); the instance itself
    when it has neither."""
    if not any(c.person for c in inst.classes) and inst.cfg.leadership is None:
        return inst
    groups, classes, group_of_agent = _group_agents(
        inst.cfg, inst.agents, inst.dates, inst.options, inst.options_by_day, inst.tails)
    return replace(inst, groups=groups, classes=classes, group_of_agent=group_of_agent,
                   memo={})


def week_limits(inst: Instance, week: int, agent: Agent, tail: Tail) -> dict[str, int]:
    """Weekly bounds on the horizon days of one calendar week for one agent.

    Days of the week outside the horizon and outside the previous schedule count as days
    off without hours; days the previous schedule worked in the week the horizon starts in
    count as worked. The minimum paid hours are pro-rated: the known days of the week on
    which a shift of the contract fits the open time and the agent is not absent, as a
    share of the weekdays on which one fits the regular weekly hours
    (`wfm.calendar.workable_dates`, `workable_weekdays`; whatever the agent's own window:
    too narrow a window is a conflict to report), so holidays, short days and partial weeks
    lower it; the maximum is the contract's. Returns
    ``max_days`` (working days allowed on the horizon days), ``min_paid_minutes`` and
    ``max_paid_minutes`` (for the horizon days, integers rounded inward).
    """
    cfg = inst.cfg
    contract = cfg.contract(agent.contract)
    days = inst.weeks[week]
    first_week = week == 0 and inst.dates[0].weekday() > 0
    prior_days = len(tail.week_worked) if first_week else 0
    prior_paid = tail.week_paid_minutes if first_week else 0
    known = {inst.dates[d] for d in days}
    if first_week:
        monday = inst.dates[0] - timedelta(days=inst.dates[0].weekday())
        known |= {monday + timedelta(days=w) for w in tail.week_known}
    workable, workable_on = inst.workable(agent.contract)
    available = [d for d in known if d not in agent.unavailable_dates and d in workable_on]
    share = min(1.0, len(available) / len(workable)) if workable else 0.0
    rules = cfg.labor_rules
    return {
        "max_days": max(0, min(7 - rules.min_days_off_per_week,
                               contract.max_working_days_per_week) - prior_days),
        "min_paid_minutes": max(0, ceil(contract.min_weekly_hours * 60 * share - 1e-6)
                                - prior_paid),
        "max_paid_minutes": max(0, floor(contract.max_weekly_hours * 60 + 1e-6) - prior_paid),
    }


def week_worked_before(inst: Instance, week: int, tail: Tail) -> frozenset[int]:
    """Weekdays of a calendar week worked in the previous schedule (first week only)."""
    if week == 0 and inst.dates[0].weekday() > 0:
        return tail.week_worked
    return frozenset()
