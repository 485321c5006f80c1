"""Off-phone activities in the models: sessions placed inside shifts where they cost least.

The sessions come from `wfm.people.activity_sessions`. For each one, `session_models`
finds its candidate starts (intervals on an allowed weekday of its block, inside the
window) and who could hold it at each (an option of their group holds it at least
``shift_edge_minutes`` from both ends); a session no schedule could hold is reported with
its reason and left out (`static_reason`).

`add_sessions` adds a session's decisions: ``x[t]`` (it starts at interval ``t``) or
``miss`` (not placed: ``objective.activity_missed`` per attendee who needed it), and per
person ``occupancy`` variables (an attendee, when all must come, or the host when only one
may, share ``x``). A person takes part only where a shift holds the session
(``shift_terms``: the shift variables whose sum must cover it, none when the shifts are
fixed), at least ``need`` attendees and one host take part, and their time is *away* from
the queues in the coverage rows. `add_session_rules` then keeps each person in one thing
at a time (a session or a break) and, for unpaid activities, the weekly minimum hours net of
the unpaid minutes. People in sessions must have classes of their own (their breaks known).

`add_class_layer` is the relaxation used where agents are counted by class (the coverage
bound and the large-roster search): per class and interval the agents in some activity,
at most those on an option that holds it inside its window, at most the class's attendee
slots per activity and block, and all the slots sessions need, less those missed at the
same price. Every schedule maps to it with the same coverage and missed cost (hosts'
time and the sessions' contiguity are relaxed), so the bound stays valid.

`place_sessions` places the sessions once the shifts are fixed: a day for each (the
cheapest start in an estimate of the coverage, group sessions first), then each day an
exact HiGHS model of that day's breaks, queues and sessions with their people as classes of
their own.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from wfm.config import Activity
from wfm.people import Session, activity_sessions
from wfm.schedule.coverage import COVERAGE, PROFICIENCY, CoverageVars, add_coverage
from wfm.schedule.extract import PlacedSession, assign_activities, plan_proficiency
from wfm.schedule.instance import Instance, agent_classes, week_limits, with_individuals
from wfm.schedule.linear import INF, LinearModel, LpSolver

MISSED = "activities_missed"
RETRIES = 3  # times a day's missed sessions are offered another day
LOAD_COST = 500.0  # per session a person already has that day, when choosing its day
ACTIVITIES = "activities"  # the rule name of the sessions' rows

#: shift_terms(person, start, length, edge): the shift variables whose sum must be 1 for
#: the person to hold a session there; [] when no variable is needed (fixed shifts hold
#: it), None when nothing can.
ShiftTerms = Callable[[str, int, int, int], list[int] | None]


@dataclass
class SessionModel:
    """A session ready for a model: its activity, length and candidate starts."""

    session: Session
    activity: Activity
    length: int  # intervals
    edge: int  # intervals from each end of a shift
    starts: list[int]  # candidate starts (allowed weekday of its block, inside the window)

    @property
    def people(self) -> tuple[str, ...]:
        return (*self.session.attendees, *self.session.hosts)


def unplaced_entry(session: Session, reason: str) -> dict:
    """A session not placed, as `ScheduleResult.unplaced` lists it (``need``: the attendees
    who had to be there, each costing ``objective.activity_missed``)."""
    return {"session": session.id, "activity": session.activity,
            "attendees": list(session.attendees), "need": session.need, "reason": reason}


def wall_clock(inst: Instance) -> tuple[list, list[int]]:
    """Per interval of the instance: its local date and wall-clock minute (computed once)."""
    if "wall_clock" not in inst.memo:
        stamps = inst.interval_starts
        inst.memo["wall_clock"] = (list(stamps.date),
                                   list(stamps.hour * 60 + stamps.minute))
    return inst.memo["wall_clock"]


def model_tags(model: LinearModel) -> dict[int, tuple[int, int]]:
    """The (day, class) tag of each session variable of ``model``, kept on the model so
    the search's neighbourhoods free them with their day and class (created if absent)."""
    if not hasattr(model, "tags_of"):
        model.tags_of = {}  # type: ignore[attr-defined]
    return model.tags_of  # type: ignore[attr-defined]


def interval_days(inst: Instance) -> list[int]:
    """Per interval of the instance: the index of its local date in the horizon (-1: none)."""
    index = {d: i for i, d in enumerate(inst.dates)}
    return [index.get(d, -1) for d in wall_clock(inst)[0]]


def candidate_starts(inst: Instance, activity: Activity, session: Session) -> list[int]:
    """The intervals at which a session may start: on a date of its block and an allowed
    weekday, with all of it inside the activity's window on that date's wall clock."""
    step = inst.cfg.center.interval_minutes
    length = activity.duration_minutes // step
    low, high = activity.window_minutes
    dates = {d for d in session.dates if d.weekday() in activity.weekdays}
    days, minutes = wall_clock(inst)
    found = []
    for t in range(inst.n_intervals - length + 1):
        last = t + length - 1
        if (days[t] in dates and days[last] == days[t] and low <= minutes[t]
                and minutes[last] + step <= high):
            found.append(t)
    return found


def option_holds(inst: Instance, key: int, start: int, length: int, edge: int) -> bool:
    """True when a shift option holds ``length`` intervals from ``start``, ``edge``
    intervals clear of both of its ends."""
    o = inst.options[key]
    return o.first_interval + edge <= start and start + length <= (
        o.first_interval + o.n_intervals - edge)


def group_terms(inst: Instance, y_of: dict[str, dict[int, int]]) -> ShiftTerms:
    """`ShiftTerms` over per-person option variables (``y_of[person][option]``): for each
    person and session shape, the start -> variables table is built once."""
    tables: dict[tuple[str, int, int], dict[int, list[int]]] = {}

    def terms(person: str, start: int, length: int, edge: int) -> list[int] | None:
        key = (person, length, edge)
        if key not in tables:
            table: dict[int, list[int]] = defaultdict(list)
            for k, v in y_of.get(person, {}).items():
                o = inst.options[k]
                for t in range(o.first_interval + edge,
                               o.first_interval + o.n_intervals - edge - length + 1):
                    table[t].append(v)
            tables[key] = dict(table)
        return tables[key].get(start)
    return terms


def fixed_terms(inst: Instance, shifts: dict[str, list[int]]) -> ShiftTerms:
    """`ShiftTerms` for fixed shifts: [] where a person's shift holds it, else None."""
    holds = group_terms(inst, {p: {k: k for k in keys} for p, keys in shifts.items()})

    def terms(person: str, start: int, length: int, edge: int) -> list[int] | None:
        return [] if holds(person, start, length, edge) is not None else None
    return terms


def session_models(inst: Instance) -> tuple[list[SessionModel], list[dict]]:
    """The sessions the horizon calls for that some schedule could hold, and those no
    schedule can, each with its reason (`static_reason`); computed once per instance."""
    if "sessions" not in inst.memo:
        inst.memo["sessions"] = _session_models(inst)
    models, unplaced = inst.memo["sessions"]
    return list(models), [dict(entry) for entry in unplaced]


def _session_models(inst: Instance) -> tuple[list[SessionModel], list[dict]]:
    step = inst.cfg.center.interval_minutes
    activities = {a.id: a for a in inst.cfg.activities}
    start, days = inst.dates[0], len(inst.dates)
    y_of = {a.agent_id: {k: k for keys in inst.groups[inst.group_of_agent[a.agent_id]]
                         .options.values() for k in keys} for a in inst.agents}
    possible = group_terms(inst, y_of)
    models, unplaced = [], []
    for session in activity_sessions(inst.cfg, inst.agents, start, days):
        activity = activities[session.activity]
        model = SessionModel(session, activity, activity.duration_minutes // step,
                             activity.shift_edge_minutes // step,
                             candidate_starts(inst, activity, session))
        reason = static_reason(inst, model, possible)
        if reason is None:
            models.append(model)
        else:
            unplaced.append(unplaced_entry(session, reason))
    return models, unplaced


def joint_starts(model: SessionModel, terms: ShiftTerms) -> list[int]:
    """The starts at which a host (when the activity has one) and ``need`` attendees can
    all hold the session."""
    found = []
    for t in model.starts:
        if model.activity.host != "none" and not any(
                terms(h, t, model.length, model.edge) is not None for h in model.session.hosts):
            continue
        able = sum(terms(a, t, model.length, model.edge) is not None
                   for a in model.session.attendees)
        if able >= model.session.need:
            found.append(t)
    return found


def static_reason(inst: Instance, model: SessionModel, terms: ShiftTerms) -> str | None:
    """Why no schedule can hold a session (None when some could): nobody may run it, no
    allowed time in its block, attendees or hosts who can work no shift holding it, or no
    time at which enough of them can."""
    session, activity = model.session, model.activity
    when = (f"{', '.join(activity.days)} {activity.window or 'any time'} from "
            f"{session.dates[0]} to {session.dates[-1]}")
    if activity.host != "none" and not session.hosts:
        return ("nobody may run it: no team leader or supervisor leads team "
                f"{_team_of(inst, session)!r}" if activity.host == "leader"
                else f"nobody may run it: the roster has no {activity.host}")
    if not model.starts:
        return f"no time allowed for it on an open day: {when}"
    edge = (f", {activity.shift_edge_minutes} min from the shift's ends"
            if activity.shift_edge_minutes else "")

    def unable(ids: tuple[str, ...]) -> list[str]:
        return [p for p in ids if not any(terms(p, t, model.length, model.edge) is not None
                                          for t in model.starts)]

    missing = unable(session.attendees)
    if len(session.attendees) - len(missing) < session.need:
        return (f"{_named(inst, missing, session, activity)} can work no shift that holds "
                f"it ({when}{edge})")
    if activity.host != "none" and len(unable(session.hosts)) == len(session.hosts):
        return (f"nobody who may run it ({activity.host}: "
                f"{_named(inst, list(session.hosts), session, activity)}) can work a shift "
                f"that holds it ({when}{edge})")
    if not joint_starts(model, terms):
        need = (f"{session.need} of its attendees" if session.need < len(session.attendees)
                else "its attendees")
        host = " and one who may run it" if activity.host != "none" else ""
        return f"no time at which {need}{host} can all be on shift ({when}{edge})"
    return None


def _team_of(inst: Instance, session: Session) -> str:
    if session.team is not None:
        return session.team
    agent = next(a for a in inst.agents if a.agent_id == session.attendees[0])
    return agent.team


def _named(inst: Instance, ids: list[str], session: Session, activity: Activity) -> str:
    """People by id, each unavailable on every allowed day said so (at most five)."""
    people = {a.agent_id: a for a in inst.agents}
    allowed = [d for d in session.dates if d.weekday() in activity.weekdays]
    parts = []
    for person in ids[:5]:
        away = allowed and all(d in people[person].unavailable_dates for d in allowed)
        parts.append(f"{person} (unavailable on every allowed day)" if away else person)
    more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
    return ", ".join(parts) + more


# ---------------------------------------------------------------- sessions in a model

@dataclass
class SessionVars:
    """A model's session variables, and the away terms its coverage must subtract."""

    sessions: list[SessionModel]
    x: dict[tuple[str, int], int] = field(default_factory=dict)  # (session, start)
    miss: dict[str, int] = field(default_factory=dict)
    occupancy: dict[tuple[str, str, int], int] = field(default_factory=dict)  # person, s, t
    away: dict[tuple[int, int], dict[int, float]] = field(default_factory=dict)


def add_sessions(model: LinearModel, inst: Instance, sessions: list[SessionModel],
                 terms: ShiftTerms, tag: bool = False) -> SessionVars:
    """Add each session's start, miss and occupancy variables (see the module); ``terms``
    says which shifts hold it for whom. Returns them with the away terms by (class,
    interval) for `add_coverage`. With ``tag`` the variables get the day and class the
    large-roster search frees them with (``model.tags_of``: a start belongs to its day, a
    person's part to their class, the miss to the class of whoever runs it)."""
    weight = inst.cfg.objective.activity_missed
    found = SessionVars(sessions)
    class_of = agent_classes(inst)
    tags_of: dict[int, tuple[int, int]] = getattr(model, "tags_of", {})
    if tag:
        model.tags_of = tags_of  # type: ignore[attr-defined]
    interval_day = interval_days(inst)
    for sm in sessions:
        s = sm.session
        miss = model.var(0, 1, f"missed({s.id})")
        model.cost(MISSED, miss, weight * s.need)
        found.miss[s.id] = miss
        if tag:
            tags_of[miss] = (-1, class_of[(s.hosts or s.attendees)[0]])
        row = {miss: 1.0}
        all_come = s.need == len(s.attendees)
        for t in joint_starts(sm, terms):
            x = model.var(0, 1, f"session({s.id}, start={t})")
            found.x[s.id, t] = x
            day = interval_day[t]
            if tag:
                tags_of[x] = (day, -1)
            row[x] = 1.0
            able = {p: terms(p, t, sm.length, sm.edge) for p in sm.people}
            takers = [a for a in s.attendees if able[a] is not None]
            if all_come:
                for a in takers:
                    _occupy(model, found, a, s.id, t, x, able[a])
            else:
                count = {x: -float(s.need)}
                for a in takers:
                    z = model.var(0, 1, f"attends({s.id}, {a}, start={t})")
                    if tag:
                        tags_of[z] = (day, class_of[a])
                    model.add({z: 1.0, x: -1.0}, -INF, 0, ACTIVITIES)
                    _occupy(model, found, a, s.id, t, z, able[a])
                    count[z] = 1.0
                model.add(count, 0, INF, ACTIVITIES)
            hosts = [h for h in s.hosts if able[h] is not None]
            if len(hosts) == 1:
                _occupy(model, found, hosts[0], s.id, t, x, able[hosts[0]])
            elif hosts:
                one = {x: -1.0}
                for h in hosts:
                    z = model.var(0, 1, f"runs({s.id}, {h}, start={t})")
                    if tag:
                        tags_of[z] = (day, class_of[h])
                    _occupy(model, found, h, s.id, t, z, able[h])
                    one[z] = 1.0
                model.add(one, 0, 0, ACTIVITIES)
        model.add(row, 1, 1, ACTIVITIES)
    lengths = {sm.session.id: sm.length for sm in sessions}
    for (person, s_id, t), v in found.occupancy.items():
        for i in range(t, t + lengths[s_id]):
            bucket = found.away.setdefault((class_of[person], i), {})
            bucket[v] = bucket.get(v, 0.0) + 1.0
    return found


def _occupy(model: LinearModel, found: SessionVars, person: str, session: str, t: int,
            v: int, shift: list[int] | None) -> None:
    """``person`` takes part in ``session`` from ``t`` when ``v`` is 1, which needs a shift
    among ``shift`` (none needed when empty)."""
    found.occupancy[person, session, t] = v
    if shift:
        model.add({v: 1.0, **{y: -1.0 for y in shift}}, -INF, 0, ACTIVITIES)


def break_cover(inst: Instance, cover: CoverageVars, classes: set[int],
                ) -> dict[tuple[int, int], list[int]]:
    """(class, interval) -> the break variables of the class that cover the interval."""
    found: dict[tuple[int, int], list[int]] = defaultdict(list)
    for (c, k, b_index), layer in cover.breaks.items():
        if c not in classes:
            continue
        o = inst.options[k]
        duration = o.breaks[b_index].duration
        for b, v in layer.items():
            for i in range(o.first_interval + b, o.first_interval + b + duration):
                found[c, i].append(v)
    return found


def add_session_rules(model: LinearModel, inst: Instance, sv: SessionVars,
                      cover: CoverageVars,
                      paid_terms: Callable[[str, int], tuple[dict[int, float], float]] | None,
                      ) -> None:
    """Each person in one session or break at a time; with unpaid activities, each
    person's weekly paid minutes net of them at least the week's minimum (``paid_terms``
    gives a person's paid minutes in a calendar week as terms and a constant)."""
    lengths = {sm.session.id: sm.length for sm in sv.sessions}
    class_of = agent_classes(inst)
    by_person: dict[tuple[str, int], list[int]] = defaultdict(list)
    for (person, s, t), v in sv.occupancy.items():
        for i in range(t, t + lengths[s]):
            by_person[person, i].append(v)
    breaks = break_cover(inst, cover, {class_of[p] for p, _ in by_person})
    for (person, i), taken in sorted(by_person.items()):
        if inst.classes[class_of[person]].person != person:
            raise ValueError(f"{person} is in a session but has no class of their own")
        terms = {v: 1.0 for v in taken}
        for v in breaks.get((class_of[person], i), ()):
            terms[v] = terms.get(v, 0.0) + 1.0
        if len(terms) > 1:
            model.add(terms, -INF, 1, ACTIVITIES)
    unpaid = {a.id for a in inst.cfg.activities if not a.paid}
    if not unpaid or paid_terms is None:
        return
    step = inst.cfg.center.interval_minutes
    activity_of = {sm.session.id: sm.activity.id for sm in sv.sessions}
    week_of_day = {d: w for w, days in enumerate(inst.weeks) for d in days}
    day_of = interval_days(inst)
    people = {a.agent_id: a for a in inst.agents}
    net: dict[tuple[str, int], dict[int, float]] = defaultdict(dict)
    for (person, s, t), v in sv.occupancy.items():
        if activity_of[s] in unpaid and day_of[t] >= 0:
            net[person, week_of_day[day_of[t]]][v] = -float(lengths[s] * step)
    for (person, w), minus in sorted(net.items()):
        agent = people[person]
        tail = inst.groups[inst.group_of_agent[person]].tail
        least = week_limits(inst, w, agent, tail)["min_paid_minutes"]
        terms, constant = paid_terms(person, w)
        model.add({**terms, **minus}, least - constant, INF, "min_weekly_hours")


def placed_sessions(sv: SessionVars, values: list[float] | np.ndarray,
                    ) -> tuple[list[PlacedSession], list[SessionModel]]:
    """The sessions a solution places (with who is in each) and those it misses."""
    lengths = {sm.session.id: sm for sm in sv.sessions}
    people: dict[tuple[str, int], list[str]] = defaultdict(list)
    for (person, s, t), v in sv.occupancy.items():
        if round(values[v]) == 1 and round(values[sv.x[s, t]]) == 1:
            people[s, t].append(person)
    placed = []
    for (s, t), v in sv.x.items():
        if round(values[v]) == 1:
            sm = lengths[s]
            placed.append(PlacedSession(s, sm.activity.id, t, sm.length,
                                        tuple(sorted(people[s, t]))))
    done = {p.session for p in placed}
    return placed, [sm for sm in sv.sessions if sm.session.id not in done]


def add_alignment(model: LinearModel, inst: Instance, sessions: list[SessionModel],
                  y_of: dict[str, dict[int, int]], every_minutes: int = 60,
                  ) -> dict[tuple[int, int], dict[int, float]]:
    """One-attendee sessions where agents have their own shift variables but share breaks
    (the large-roster search, the team models): a start ``x[t]`` on a coarser grid (every
    ``every_minutes``) or a miss, the attendee's and some host's shifts holding it; the
    host's choice and time are left to `place_sessions`. Returns the attendee's away terms
    by (class, interval); the variables are tagged like `add_sessions`' (the miss and the
    starts with the attendee's class)."""
    weight = inst.cfg.objective.activity_missed
    class_of = agent_classes(inst)
    interval_day = interval_days(inst)
    tags_of = model_tags(model)
    terms = group_terms(inst, y_of)
    stride = max(1, every_minutes // inst.cfg.center.interval_minutes)
    away: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
    for sm in sessions:
        s = sm.session
        attendee = s.attendees[0]
        c = class_of[attendee]
        miss = model.var(0, 1, f"missed({s.id})")
        model.cost(MISSED, miss, weight * s.need)
        tags_of[miss] = (-1, c)
        row = {miss: 1.0}
        for t in joint_starts(sm, terms)[::stride]:
            mine = terms(attendee, t, sm.length, sm.edge)
            hosts = [v for h in s.hosts for v in terms(h, t, sm.length, sm.edge) or ()]
            if mine is None or (s.hosts and not hosts):
                continue
            x = model.var(0, 1, f"session({s.id}, start={t})")
            tags_of[x] = (interval_day[t], c)
            row[x] = 1.0
            model.add({x: 1.0, **{v: -1.0 for v in mine}}, -INF, 0, ACTIVITIES)
            if hosts:
                model.add({x: 1.0, **{v: -1.0 for v in hosts}}, -INF, 0, ACTIVITIES)
            for i in range(t, t + sm.length):
                away[c, i][x] = 1.0
        model.add(row, 1, 1, ACTIVITIES)
    return dict(away)


# ---------------------------------------------------------------- the class layer

def clear_class_layer(model: LinearModel, values: np.ndarray) -> None:
    """Nobody in an activity in ``values`` (a start the search then fills day by day)."""
    layer = list(getattr(model, "tags_of", {}))
    values[layer] = 0.0


def add_class_layer(model: LinearModel, inst: Instance, sessions: list[SessionModel],
                    counts: dict[tuple[int, int], tuple[list[int], int]],
                    ) -> dict[tuple[int, int], dict[int, float]]:
    """The relaxation of the sessions over class counts (see the module). Returns the away
    terms by (class, interval)."""
    weight = inst.cfg.objective.activity_missed
    class_of = agent_classes(inst)
    interval_day = interval_days(inst)
    tags_of = model_tags(model)
    families: dict[tuple[str, object], list[SessionModel]] = defaultdict(list)
    for sm in sessions:
        families[sm.activity.id, sm.session.dates[0]].append(sm)
    options_of: dict[int, list[int]] = defaultdict(list)
    for c, k in counts:
        options_of[c].append(k)
    away: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
    for (activity_id, first), members in sorted(families.items(), key=lambda f: str(f[0])):
        sm0 = members[0]
        length, edge = sm0.length, sm0.edge
        slots: dict[int, int] = defaultdict(int)
        for sm in members:
            for a in sm.session.attendees:
                slots[class_of[a]] += 1
        intervals = sorted({i for sm in members for t in sm.starts
                            for i in range(t, t + length)})
        need = sum(sm.session.need for sm in members)
        total: dict[int, float] = {}
        label = f"{activity_id}, {first}"
        for c, slot_count in sorted(slots.items()):
            mine: dict[int, float] = {}
            for i in intervals:
                holding = [v for k in options_of[c]
                           if inst.options[k].first_interval + edge <= i
                           < inst.options[k].first_interval + inst.options[k].n_intervals - edge
                           for v in counts[c, k][0]]
                if not holding:
                    continue
                act = model.var(0, slot_count, f"in_activity({label}, class={c}, interval={i})")
                tags_of[act] = (interval_day[i], c)
                model.add({act: 1.0, **{v: -1.0 for v in holding}}, -INF, 0, ACTIVITIES)
                away[c, i][act] = away[c, i].get(act, 0.0) + 1.0
                mine[act] = 1.0
            if mine:
                model.add(mine, -INF, length * slot_count, ACTIVITIES)
                total.update(mine)
        miss = model.var(0, need, f"missed({label})")
        model.cost(MISSED, miss, weight)
        model.add({**total, miss: float(length)}, length * need, INF, ACTIVITIES)
    return dict(away)


# ---------------------------------------------------------------- fixed shifts

@dataclass
class Placement:
    """Breaks, queues and sessions for fixed shifts, per person and option."""

    plan: dict[tuple[str, int], list[tuple[str, int]]]
    sessions: list[PlacedSession]
    unplaced: list[dict]
    proficiency: float


def place_sessions(inst: Instance, shifts: dict[str, list[int]], deadline: float,
                   extra_rules: Callable[[LinearModel, Instance, CoverageVars,
                                          dict[str, list[int]]], None] | None = None,
                   ) -> Placement | None:
    """Every session placed in fixed shifts where it costs least, with breaks and queues
    re-placed day by day (see the module); ``extra_rules`` adds the day model's other rules
    (the leader on duty). None when some day finds no placement in time."""
    models, unplaced = session_models(inst)
    terms = fixed_terms(inst, shifts)
    day_of = choose_days(inst, shifts, models, terms)
    by_id = {sm.session.id: sm for sm in models}
    tried: dict[str, set[int]] = defaultdict(set)
    days = sorted({inst.options[k].day for keys in shifts.values() for k in keys})
    solved: dict[int, tuple] = {}
    todo = list(days)
    # days whose model misses a session hand it to another day, twice at most
    for attempt in range(RETRIES + 1):
        for position, d in enumerate(todo):
            budget = max(1.0, (deadline - time.monotonic()) / (len(todo) - position)
                         / (1 if attempt == RETRIES else 2))
            todays = [by_id[s] for s, day in sorted(day_of.items()) if day == d]
            day_shifts = {a: [k for k in keys if inst.options[k].day == d]
                          for a, keys in shifts.items()}
            found = _place_day(inst, {a: k for a, k in day_shifts.items() if k}, todays, d,
                               budget, extra_rules)
            if found is None:
                return None
            solved[d] = found
        missed = [(sm, d) for d, found in solved.items() for sm in found[2]]
        if not missed or attempt == RETRIES:
            break
        taken = [p for found in solved.values() for p in found[1]]
        for sm, d in missed:
            tried[sm.session.id].add(d)
            del day_of[sm.session.id]
        again = choose_days(inst, shifts, [sm for sm, _ in missed], terms, tried, taken)
        day_of.update(again)
        todo = sorted(set(again.values()))
        if not todo:
            break
    plan: dict[tuple[str, int], list[tuple[str, int]]] = {}
    placed_all: list[PlacedSession] = []
    proficiency = 0.0
    for d in sorted(solved):
        day_plan, placed, _, day_inst = solved[d]
        plan.update(day_plan)
        placed_all += placed
        proficiency += plan_proficiency(day_inst, day_plan)
    done = {p.session for p in placed_all}
    for sm in models:
        if sm.session.id in done:
            continue
        if tried.get(sm.session.id) or sm.session.id in day_of:
            days_tried = sorted(tried.get(sm.session.id, set()) | (
                {day_of[sm.session.id]} if sm.session.id in day_of else set()))
            on = ", ".join(str(inst.dates[d]) for d in days_tried)
            reason = (f"not placed: on {on} its people's breaks and other sessions left no "
                      "common time, or it would have cost more coverage than "
                      f"objective.activity_missed ({inst.cfg.objective.activity_missed:g} "
                      "per attendee)")
        else:
            reason = ("no time in its block at which its people are on shift together, clear "
                      "of the shifts' ends, inside the window (with the shifts chosen)")
        unplaced.append(unplaced_entry(sm.session, reason))
    return Placement(plan, placed_all, unplaced, proficiency)


def _place_day(inst: Instance, shifts: dict[str, list[int]], sessions: list[SessionModel],
               day: int, seconds: float,
               extra_rules: Callable | None) -> tuple | None:
    """One day's breaks, queues and sessions for fixed shifts, as an exact HiGHS model."""
    people = {p for sm in sessions for p in sm.people}
    # the flows' queues against their requirement rows: the days stay independent (as in
    # the placement of breaks for fixed shifts), the schedule priced with its flows after
    day_inst = with_individuals(replace(inst, flows=[]), frozenset(people))
    model = LinearModel()
    counts: dict[tuple[int, int], tuple[list[int], int]] = {}
    realized: dict[tuple[int, int], int] = defaultdict(int)
    for agent_id, keys in shifts.items():
        c = day_inst.groups[day_inst.group_of_agent[agent_id]].class_index
        for k in keys:
            realized[c, k] += 1
    for ck, value in sorted(realized.items()):
        counts[ck] = ([model.var(value, value, f"fixed{ck}")], value)
    interval_day = interval_days(inst)
    sessions = [replace(sm, starts=[t for t in sm.starts
                                    if interval_day[t] == day])
                for sm in sessions]
    sv = add_sessions(model, day_inst, sessions, fixed_terms(day_inst, shifts))
    cover = add_coverage(model, day_inst, counts, sv.away)
    add_session_rules(model, day_inst, sv, cover, _fixed_paid(day_inst, shifts))
    if extra_rules is not None:
        extra_rules(model, day_inst, cover, shifts)
    solver = LpSolver(model)
    values = np.array([lo for lo in model.lb], dtype=float)
    found = solver.solve_mip([COVERAGE, PROFICIENCY, MISSED], values,
                             np.ones(len(model.lb), dtype=bool), seconds)
    if not found.values:
        return None
    solution = [int(v) for v in np.round(found.values)]
    placed, missed = placed_sessions(sv, solution)
    break_counts = {key: {b: solution[v] for b, v in layer.items() if solution[v]}
                    for key, layer in cover.breaks.items()}
    work_counts = {key: solution[v] for key, v in cover.work.items() if solution[v]}
    plan = assign_activities(day_inst, shifts, break_counts, work_counts, placed)
    return plan, placed, missed, day_inst


def _fixed_paid(inst: Instance, shifts: dict[str, list[int]],
                ) -> Callable[[str, int], tuple[dict[int, float], float]]:
    """Paid minutes of a person's fixed shifts in a calendar week (all weeks' days known
    from the whole schedule, so the unpaid minutes never take a week below its minimum)."""
    def paid(person: str, week: int) -> tuple[dict[int, float], float]:
        days = set(inst.weeks[week])
        return {}, float(sum(inst.options[k].paid_minutes for k in shifts.get(person, ())
                             if inst.options[k].day in days))
    return paid


def choose_days(inst: Instance, shifts: dict[str, list[int]], sessions: list[SessionModel],
                terms: ShiftTerms, tried: dict[str, set[int]] | None = None,
                taken: list[PlacedSession] = ()) -> dict[str, int]:
    """A day for each session: its cheapest start in an estimate of the coverage (agents on
    shift by their best queue, less those already taken by sessions), its people free then;
    group sessions first, days in ``tried`` left out, people in ``taken`` sessions busy.
    Sessions with no such start get none."""
    weights = inst.cfg.objective
    on_shift = np.zeros((len(inst.queue_ids), inst.n_intervals))
    best: dict[str, int] = {}
    for agent_id, keys in shifts.items():
        cls = inst.classes[inst.groups[inst.group_of_agent[agent_id]].class_index]
        if not cls.queues:
            continue
        best[agent_id] = cls.queues[0]
        for k in keys:
            o = inst.options[k]
            on_shift[cls.queues[0], o.first_interval:o.first_interval + o.n_intervals] += 0.9
    slack = on_shift - inst.required
    busy: dict[str, set[int]] = defaultdict(set)
    for placed in taken:
        for person in placed.people:
            busy[person] |= set(range(placed.start, placed.start + placed.length))
    chosen: dict[str, int] = {}
    interval_day = interval_days(inst)
    tried = tried or {}
    load: dict[tuple[str, int], int] = defaultdict(int)  # sessions per person and day
    for placed in taken:
        for person in placed.people:
            load[person, interval_day[placed.start]] += 1

    def cost(person: str, t: int, length: int) -> float:
        q = best.get(person)
        if q is None:
            return 0.0
        window = slack[q, t:t + length]
        short = np.maximum(0.0, -window)
        return float(np.where(window >= 1, -weights.over_coverage, weights.under_coverage
                              * (1 + weights.under_coverage_growth * short)).sum())

    order = sorted(sessions, key=lambda sm: (-len(sm.session.attendees), sm.session.id))
    for sm in order:
        s = sm.session
        pick: tuple[float, int, list[str], str | None] | None = None
        for t in sm.starts:
            if interval_day[t] in tried.get(s.id, ()):
                continue
            span = set(range(t, t + sm.length))
            free = [a for a in s.attendees if terms(a, t, sm.length, sm.edge) is not None
                    and not busy[a] & span]
            if len(free) < s.need:
                continue
            host = None
            if sm.activity.host != "none":
                host = next((h for h in s.hosts if terms(h, t, sm.length, sm.edge) is not None
                             and not busy[h] & span), None)
                if host is None:
                    continue
            ranked = sorted(free, key=lambda a: cost(a, t, sm.length))
            taking = ranked if s.need == len(s.attendees) else ranked[:s.need]
            day = interval_day[t]
            # spread a person's sessions over their days: their breaks need room too
            value = sum(cost(a, t, sm.length) for a in taking) + LOAD_COST * sum(
                load[p, day] for p in [*taking, *([host] if host else [])])
            if pick is None or value < pick[0]:
                pick = (value, t, taking, host)
        if pick is None:
            continue
        _, t, taking, host = pick
        chosen[s.id] = interval_day[t]
        for person in [*taking, *([host] if host else [])]:
            busy[person] |= set(range(t, t + sm.length))
            load[person, chosen[s.id]] += 1
            if person in best:
                slack[best[person], t:t + sm.length] -= 1
    return chosen


def missed_cost(inst: Instance, entries: list[dict]) -> float:
    """The missed cost of sessions not placed: ``objective.activity_missed`` per attendee
    who had to be there."""
    return inst.cfg.objective.activity_missed * sum(entry["need"] for entry in entries)
