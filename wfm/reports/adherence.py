"""Schedule adherence: what the agents did (state logs) against the published schedule.

Every second of an agent's time has a scheduled activity (from ``activities.csv``; none
outside shifts) and an actual state (from the state logs, mapped by the config's
``adherence.states``; *offline* where no record covers it, so gaps between records are
time logged out). The agent is *in adherence* when the state matches the activity:

- ``work``: available, on contact or after-contact work;
- ``break``, ``training``, ``meeting``, ``coaching``: the state of that name;
- ``lunch``: lunch or offline (logging out for an unpaid lunch is normal);
- no shift: offline.

Neutral states count neither way: their time is left out of every figure.

A stretch *out of adherence* is a run of consecutive seconds out of adherence in the same
kind of state (work, break, lunch, training, meeting, coaching, offline) on the same day
and on the same side of the shift's edges. A stretch of at most ``grace_minutes`` is
forgiven; a longer one counts in full and is listed as an exception:

- ``absent``: no logged-in time at all during the shift (one row for the shift);
- ``late_login`` / ``early_logout``: offline from the shift's start / until its end;
- ``long_break``: still in a break or lunch state (or still logged out after a lunch
  taken logged out) after the scheduled break or lunch;
- ``missed_training``: another state during scheduled training, a meeting or coaching;
- ``unscheduled_work``: logged in outside any shift (it counts in conformance, not in
  adherence);
- ``out_of_adherence``: any other stretch (a break at another time, a call into a
  break, logged out in the middle of the shift).

Per agent and day (the shift's date; time outside shifts counts on its own local date):

- adherence = 1 - out-of-adherence seconds / scheduled seconds (the shift, neutral time
  left out);
- conformance = worked seconds / scheduled working seconds: time logged in (any state
  but offline, lunch and neutral), in or out of the shift, over the shift less its
  scheduled lunch and neutral time.

Totals add agents up per team, per queue (the scheduled work on the queue: adherence only,
the logs do not say which queue an agent worked) and per day. Only the schedule's horizon
is measured; state time outside it is left out and counted in the notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from wfm.config import CenterConfig
from wfm.errors import BadInput
from wfm.io.files import TIMESTAMP_FORMAT
from wfm.io.tables import (
    ACTIVITIES_FILE,
    ADHERENCE_COLUMNS,
    ADHERENCE_TOTAL_COLUMNS,
    EXCEPTION_COLUMNS,
    KNOWN_ACTIVITIES,
    NEUTRAL,
    OFFLINE,
    OTHER_ACTIVITIES,
    SCHEDULE_FILE,
    STATE_CATEGORIES,
    WORK,
    WORK_STATES,
)
from wfm.roster import Agent

EXCEPTION_KINDS = ("absent", "late_login", "early_logout", "long_break", "missed_training",
                   "unscheduled_work", "out_of_adherence")

#: What an agent's state is, for matching: the work states are one kind, ``work``.
STATE_KINDS = (*KNOWN_ACTIVITIES, OFFLINE, NEUTRAL)
_KIND = {name: index for index, name in enumerate(STATE_KINDS)}
_ACTIVITY = {name: index for index, name in enumerate(KNOWN_ACTIVITIES)}
_NO_SHIFT = len(KNOWN_ACTIVITIES)  # the row of `_MATCH` for time outside every shift
_MS = 1_000_000  # nanoseconds in a millisecond
_DAY_MS = 86_400_000


def _match_table() -> np.ndarray:
    """``_MATCH[activity, kind]``: True where the state kind is in adherence."""
    table = np.zeros((len(KNOWN_ACTIVITIES) + 1, len(STATE_KINDS)), dtype=bool)
    for name, row in _ACTIVITY.items():
        table[row, _KIND[name]] = True
    table[_ACTIVITY["lunch"], _KIND[OFFLINE]] = True
    table[_NO_SHIFT, _KIND[OFFLINE]] = True
    return table


_MATCH = _match_table()


@dataclass
class AdherenceReport:
    """Adherence per agent and day, the exceptions, the totals and what was left out."""

    agent_days: pd.DataFrame
    exceptions: pd.DataFrame
    totals: pd.DataFrame
    grace_minutes: float
    first: date
    last: date
    notes: list[str] = field(default_factory=list)


def _ms(values: pd.Series) -> np.ndarray:
    """Tz-aware timestamps as int64 milliseconds since the epoch."""
    return pd.DatetimeIndex(values).as_unit("ns").asi8 // _MS


def _epoch_day(day: date) -> int:
    return (day - date(1970, 1, 1)).days


@dataclass
class _Spans:
    """Time spans of one table as sorted composite keys (agent * span + ms offset)."""

    start: np.ndarray
    end: np.ndarray
    order: np.ndarray  # the table rows in key order

    def find(self, points: np.ndarray) -> np.ndarray:
        """For each key, the table row whose span holds it, or -1."""
        if not len(self.start):
            return np.full(len(points), -1)
        at = np.searchsorted(self.start, points, side="right") - 1
        inside = (at >= 0) & (self.end[np.maximum(at, 0)] > points)
        return np.where(inside, self.order[np.maximum(at, 0)], -1)


class _Clock:
    """Composite keys: agents far apart, time in milliseconds from the first instant."""

    def __init__(self, times: list[np.ndarray], agents: int) -> None:
        known = [t for t in times if len(t)]
        self.origin = int(min(t.min() for t in known))
        self.span = int(max(t.max() for t in known)) - self.origin + 1
        if agents * self.span >= 2**62:
            raise BadInput("agent state logs: the period is too long to measure at once")

    def keys(self, agents: np.ndarray, ms: np.ndarray) -> np.ndarray:
        return agents.astype(np.int64) * self.span + (ms - self.origin)

    def spans(self, agents: np.ndarray, start_ms: np.ndarray, end_ms: np.ndarray) -> _Spans:
        start = self.keys(agents, start_ms)
        order = np.argsort(start, kind="stable")
        return _Spans(start[order], self.keys(agents, end_ms)[order], order)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending (sorting is far faster than numpy's hashed unique on
    millions of integers)."""
    ordered = np.sort(values)
    if not len(ordered):
        return ordered
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])]


def _positions(values: pd.Series, names: list[str]) -> np.ndarray:
    """The position of each value in ``names`` (-1 where absent), by hashing."""
    return pd.Index(names).get_indexer(values.astype(str))


def _agent_codes(ids: pd.Series, roster: list[str], source: str) -> np.ndarray:
    codes = _positions(ids, roster)
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0])
        raise BadInput(f"{source}: row {row + 2}, column agent_id: agent {ids.iloc[row]!r} is "
                       "not on the roster")
    return codes.astype(np.int64)


def _activity_codes(activities: pd.DataFrame, source: str) -> np.ndarray:
    codes = _positions(activities["activity"], list(KNOWN_ACTIVITIES))
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0])
        raise BadInput(f"{source}: row {row + 2}, column activity: adherence cannot measure "
                       f"activity {activities['activity'].iloc[row]!r} (it knows "
                       f"{', '.join(KNOWN_ACTIVITIES)})")
    return codes.astype(np.int64)


#: The matching kind of each state category: the work states are one kind.
_CATEGORY_KIND = np.array([_KIND[WORK if category in WORK_STATES else category]
                           for category in STATE_CATEGORIES], dtype=np.int64)


def _state_kinds(states: pd.DataFrame) -> np.ndarray:
    return _CATEGORY_KIND[_positions(states["category"], list(STATE_CATEGORIES))]


def horizon_of(shifts: pd.DataFrame, states: pd.DataFrame, start: date | None,
               days: int | None) -> tuple[date, date]:
    """The days measured: the schedule's horizon, else its shift dates, else the logs'."""
    if start is not None and days is not None:
        return start, start + timedelta(days=days - 1)
    if len(shifts):
        dates = [pd.Timestamp(d).date() for d in shifts["date"]]
        return min(dates), max(dates)
    return states["start"].min().date(), states["end"].max().date()


def adherence_report(
    cfg: CenterConfig,
    agents: list[Agent],
    shifts: pd.DataFrame,
    activities: pd.DataFrame,
    states: pd.DataFrame,
    grace_minutes: float | None = None,
    start: date | None = None,
    days: int | None = None,
    sources: tuple[str, str] = (SCHEDULE_FILE, ACTIVITIES_FILE),
) -> AdherenceReport:
    """Adherence, conformance and exceptions of ``states`` against a schedule.

    ``shifts`` and ``activities`` are a schedule folder's tables (tz-aware), ``states`` the
    parsed state logs (`wfm.io.inputs.parse_agent_states`), ``agents`` the roster (names and
    teams). ``grace_minutes`` defaults to ``adherence.grace_minutes``; ``start`` and
    ``days`` are the schedule's horizon (default: its shift dates). ``sources`` name the
    shift and activity files in messages. Raises BadInput for a scheduled agent not on
    the roster or an activity adherence cannot measure.
    """
    grace = cfg.adherence.grace_minutes if grace_minutes is None else float(grace_minutes)
    if grace < 0:
        raise BadInput("--grace-minutes: must be at least 0")
    roster = [a.agent_id for a in agents]
    shift_agent = _agent_codes(shifts["agent_id"], roster, sources[0])
    activity_agent = _agent_codes(activities["agent_id"], roster, sources[1])
    activity_code = _activity_codes(activities, sources[1])
    state_agent = _agent_codes(states["agent_id"], roster, "agent states")
    first, last = horizon_of(shifts, states, start, days)
    zone = cfg.center.timezone
    midnights = pd.DatetimeIndex([
        pd.Timestamp(first + timedelta(days=d)).tz_localize(zone, nonexistent="shift_forward",
                                                            ambiguous=False)
        for d in range((last - first).days + 2)])
    midnight_ms = midnights.as_unit("ns").asi8 // _MS
    times = {name: _ms(table[column]) for name, table, column in (
        ("shift_start", shifts, "shift_start"), ("shift_end", shifts, "shift_end"),
        ("activity_start", activities, "start"), ("activity_end", activities, "end"),
        ("state_start", states, "start"), ("state_end", states, "end"))}
    clock = _Clock([*times.values(), midnight_ms], len(agents))

    shift_spans = clock.spans(shift_agent, times["shift_start"], times["shift_end"])
    activity_spans = clock.spans(activity_agent, times["activity_start"], times["activity_end"])
    state_spans = clock.spans(state_agent, times["state_start"], times["state_end"])
    present = _sorted_unique(np.concatenate([shift_agent, state_agent]))
    points = _sorted_unique(np.concatenate([
        shift_spans.start, shift_spans.end, activity_spans.start, activity_spans.end,
        state_spans.start, state_spans.end,
        clock.keys(np.repeat(present, len(midnight_ms)), np.tile(midnight_ms, len(present)))]))
    # elementary segments: between consecutive points of the same agent
    seg_agent = points[:-1] // clock.span
    same = seg_agent == points[1:] // clock.span
    seg = _segments(points[:-1][same], points[1:][same], seg_agent[same], clock, shift_spans,
                    activity_spans, state_spans, shifts, activities, states, activity_code,
                    zone, cfg)
    inside = (seg["day"] >= _epoch_day(first)) & (seg["day"] <= _epoch_day(last))
    left_out = float(seg["duration"][~inside & (seg["kind"] != _KIND[OFFLINE])].sum())
    seg = {name: values[inside] for name, values in seg.items()}
    runs = _runs(seg, grace * 60_000, len(shifts))
    shift_keys = (clock.keys(shift_agent, times["shift_start"]),
                  clock.keys(shift_agent, times["shift_end"]))
    notes = [f"grace: stretches out of adherence of {grace:g} minutes or less are forgiven"]
    if left_out:
        notes.append(f"{left_out / 60_000:.1f} logged-in minutes of the state logs fall outside "
                     f"the schedule's horizon ({first} to {last}) and are left out")
    agent_days = _agent_days(seg, runs, agents, first)
    exceptions = _exceptions(runs, agents, cfg, zone, shift_keys, clock)
    totals = _totals(seg, runs, agent_days, agents, cfg, first)
    return AdherenceReport(agent_days, exceptions, totals, grace, first, last, notes)


def _segments(start: np.ndarray, end: np.ndarray, agent: np.ndarray, clock: _Clock,
              shift_spans: _Spans, activity_spans: _Spans, state_spans: _Spans,
              shifts: pd.DataFrame, activities: pd.DataFrame, states: pd.DataFrame,
              activity_code: np.ndarray, zone: str, cfg: CenterConfig) -> dict[str, np.ndarray]:
    """Per elementary segment: agent, key start/end, duration (ms), shift row, scheduled
    activity, queue, state kind, attribution day (epoch days) and adherence."""
    shift_row = shift_spans.find(start)
    activity_row = activity_spans.find(start)
    state_row = state_spans.find(start)
    in_shift = shift_row >= 0
    scheduled = np.where(activity_row >= 0, activity_code[np.maximum(activity_row, 0)],
                         _ACTIVITY[WORK])  # shift time that no activity names is work
    scheduled = np.where(in_shift, scheduled, _NO_SHIFT)
    kinds = _state_kinds(states)
    kind = np.where(state_row >= 0, kinds[np.maximum(state_row, 0)], _KIND[OFFLINE])
    queues = _positions(activities["queue"], [q.id for q in cfg.queues])
    queue = np.where((activity_row >= 0) & (scheduled == _ACTIVITY[WORK]),
                     queues[np.maximum(activity_row, 0)], -1)
    shift_day = np.array([_epoch_day(pd.Timestamp(d).date()) for d in shifts["date"]],
                         dtype=np.int64)
    day = np.where(in_shift, shift_day[np.maximum(shift_row, 0)] if len(shift_day) else 0, 0)
    outside = ~in_shift
    if outside.any():
        utc_ns = (start[outside] % clock.span + clock.origin) * _MS
        wall = pd.DatetimeIndex(utc_ns, tz="UTC").tz_convert(zone).tz_localize(None)
        day[outside] = wall.asi8 // (_DAY_MS * _MS)
    neutral = kind == _KIND[NEUTRAL]
    return {"agent": agent, "start": start, "end": end, "duration": end - start,
            "shift": shift_row, "scheduled": scheduled, "queue": queue, "kind": kind,
            "day": day, "neutral": neutral,
            "out": ~_MATCH[scheduled, kind] & ~neutral}


def _runs(seg: dict[str, np.ndarray], grace_ms: float, shift_count: int
          ) -> dict[str, np.ndarray]:
    """The stretches out of adherence, classified; ``counted`` marks those beyond grace
    (and every stretch of a shift the agent was absent from)."""
    out = seg["out"]
    n = len(out)
    joined = np.zeros(n, dtype=bool)
    if n > 1:
        joined[1:] = (out[:-1] & (seg["agent"][1:] == seg["agent"][:-1])
                      & (seg["start"][1:] == seg["end"][:-1])
                      & (seg["kind"][1:] == seg["kind"][:-1])
                      & (seg["day"][1:] == seg["day"][:-1])
                      & ((seg["shift"][1:] >= 0) == (seg["shift"][:-1] >= 0)))
    starts = np.flatnonzero(out & ~joined)
    run_of = np.cumsum(out & ~joined) - 1
    seg["run"] = np.where(out, run_of, -1)
    if not len(starts):
        return {"count": 0, "counted": np.zeros(0, dtype=bool)}
    members = np.flatnonzero(out)
    owner = run_of[members]
    duration = np.bincount(owner, weights=seg["duration"][members], minlength=len(starts))
    ends = np.zeros(len(starts), dtype=np.int64)
    np.maximum.at(ends, owner, seg["end"][members])
    other = np.isin(seg["scheduled"][members], [_ACTIVITY[a] for a in OTHER_ACTIVITIES])
    training = np.full(len(starts), -1)
    np.maximum.at(training, owner, np.where(other, seg["scheduled"][members], -1))
    shift = seg["shift"][starts]
    # A shift with no logged-in time: the agent was absent.
    logged = (seg["shift"] >= 0) & ~np.isin(seg["kind"], [_KIND[OFFLINE], _KIND[NEUTRAL]])
    logged_per_shift = np.bincount(seg["shift"][logged], weights=seg["duration"][logged],
                                   minlength=shift_count) if shift_count else np.zeros(0)
    absent = (shift >= 0) & (logged_per_shift[np.maximum(shift, 0)] == 0) if shift_count \
        else np.zeros(len(starts), dtype=bool)
    return {"count": len(starts), "first": starts, "agent": seg["agent"][starts],
            "day": seg["day"][starts], "start": seg["start"][starts], "end": ends,
            "duration": duration, "kind": seg["kind"][starts], "shift": shift,
            "scheduled": np.where(training >= 0, training, seg["scheduled"][starts]),
            "queue": seg["queue"][starts], "training": training >= 0, "absent": absent,
            "counted": (duration > grace_ms) | absent,
            # an absent shift is one exception however many stretches its lunch splits
            "listed": ((duration > grace_ms) & ~absent) | (absent & _first_of_shift(shift)),
            "after_break": _after_break(seg, starts)}


def _first_of_shift(shift: np.ndarray) -> np.ndarray:
    """True for the first stretch of each shift (stretches come in time order)."""
    first = np.ones(len(shift), dtype=bool)
    first[1:] = shift[1:] != shift[:-1]
    return first


def _after_break(seg: dict[str, np.ndarray], starts: np.ndarray) -> np.ndarray:
    """True where a stretch continues a scheduled break or lunch the agent was on (in a
    break or lunch state, or logged out for lunch)."""
    previous = np.maximum(starts - 1, 0)
    scheduled, kind = seg["scheduled"][previous], seg["kind"][previous]
    on_break = (np.isin(scheduled, [_ACTIVITY["break"], _ACTIVITY["lunch"]])
                & np.isin(kind, [_KIND["break"], _KIND["lunch"]]))
    out_to_lunch = (scheduled == _ACTIVITY["lunch"]) & (kind == _KIND[OFFLINE])
    return ((starts > 0) & (seg["agent"][previous] == seg["agent"][starts])
            & (seg["end"][previous] == seg["start"][starts]) & (on_break | out_to_lunch)
            & (kind == seg["kind"][starts]))


def _classify(runs: dict[str, np.ndarray], shift_start: np.ndarray, shift_end: np.ndarray
              ) -> np.ndarray:
    """The exception kind of each stretch (`EXCEPTION_KINDS`)."""
    kind = np.full(runs["count"], "out_of_adherence", dtype=object)
    in_shift = runs["shift"] >= 0
    offline = runs["kind"] == _KIND[OFFLINE]
    rest = in_shift.copy()
    at = np.maximum(runs["shift"], 0)
    rules = [
        ("absent", runs["absent"]),
        ("late_login", offline & (runs["start"] == shift_start[at])),
        ("early_logout", offline & (runs["end"] == shift_end[at])),
        ("long_break", runs["after_break"]),
        ("missed_training", runs["training"]),
    ]
    for name, mask in rules:
        hit = rest & mask
        kind[hit] = name
        rest &= ~hit
    kind[~in_shift] = "unscheduled_work"
    return kind


def _agent_days(seg: dict[str, np.ndarray], runs: dict[str, np.ndarray], agents: list[Agent],
                first: date) -> pd.DataFrame:
    """`ADHERENCE_COLUMNS` per agent and day with any scheduled or logged-in time."""
    base = _epoch_day(first)
    days = int(seg["day"].max() - base + 1) if len(seg["day"]) else 1
    pair = seg["agent"] * days + (seg["day"] - base)
    size = len(agents) * days
    in_shift = seg["shift"] >= 0
    logged = ~np.isin(seg["kind"], [_KIND[OFFLINE], _KIND[NEUTRAL]])
    counted_seg = seg["run"] >= 0
    if runs["count"]:
        counted_seg &= runs["counted"][np.maximum(seg["run"], 0)]

    def total(mask: np.ndarray) -> np.ndarray:
        return np.bincount(pair[mask], weights=seg["duration"][mask], minlength=size) / 60_000

    scheduled = total(in_shift & ~seg["neutral"])
    figures = {
        "scheduled_minutes": scheduled,
        "neutral_minutes": total(in_shift & seg["neutral"]),
        "out_of_adherence_minutes": total(counted_seg & in_shift),
        "working_minutes": total(in_shift & ~seg["neutral"]
                                 & (seg["scheduled"] != _ACTIVITY["lunch"])),
        "worked_minutes": total(logged & (seg["kind"] != _KIND["lunch"])),
        "unscheduled_minutes": total(~in_shift & logged),
    }
    exceptions = np.zeros(size)
    if runs["count"]:
        listed = runs["listed"]
        np.add.at(exceptions, runs["agent"][listed] * days + (runs["day"][listed] - base), 1)
    keep = np.flatnonzero((scheduled > 0) | (figures["worked_minutes"] > 0)
                          | (figures["unscheduled_minutes"] > 0))
    table = pd.DataFrame({
        "agent_id": [agents[i // days].agent_id for i in keep],
        "name": [agents[i // days].name for i in keep],
        "team": [agents[i // days].team for i in keep],
        "date": [first + timedelta(days=int(i % days)) for i in keep],
        **{name: values[keep] for name, values in figures.items()},
        "exceptions": exceptions[keep].astype(int),
    })
    _ratios(table)
    return _rounded(table).reindex(columns=list(ADHERENCE_COLUMNS))


def _rounded(table: pd.DataFrame) -> pd.DataFrame:
    """Minute columns to the hundredth (the ratios are computed before rounding)."""
    minutes = [c for c in table.columns if c.endswith("minutes") or c == "minutes"]
    table[minutes] = table[minutes].astype(float).round(2)
    return table


def _ratios(table: pd.DataFrame) -> None:
    """Adherence and conformance from the minute columns (empty without scheduled time)."""
    scheduled = table["scheduled_minutes"].astype(float)
    working = table["working_minutes"].astype(float)
    table["adherence"] = (1.0 - table["out_of_adherence_minutes"] / scheduled).where(scheduled > 0)
    table["conformance"] = (table["worked_minutes"] / working).where(working > 0)


def _local_text(ms: np.ndarray, zone: str) -> list[str]:
    stamps = pd.DatetimeIndex(ms * _MS, tz="UTC").tz_convert(zone).tz_localize(None)
    return list(stamps.strftime(TIMESTAMP_FORMAT))


def _exceptions(runs: dict[str, np.ndarray], agents: list[Agent], cfg: CenterConfig,
                zone: str, shift_keys: tuple[np.ndarray, np.ndarray], clock: _Clock
                ) -> pd.DataFrame:
    """`EXCEPTION_COLUMNS`: one row per stretch beyond grace (one per absent shift)."""
    if not runs["count"] or not runs["counted"].any():
        return pd.DataFrame(columns=list(EXCEPTION_COLUMNS))
    keep = np.flatnonzero(runs["counted"])
    picked = {name: values[keep] for name, values in runs.items()
              if isinstance(values, np.ndarray) and len(values) == runs["count"]}
    picked["count"] = len(keep)
    shift_start, shift_end = shift_keys
    kind = _classify(picked, shift_start, shift_end)

    def ms(keys: np.ndarray) -> np.ndarray:
        return keys % clock.span + clock.origin

    start_ms, end_ms = ms(picked["start"]), ms(picked["end"])
    queues = [q.id for q in cfg.queues]
    table = pd.DataFrame({
        "agent": picked["agent"], "day": picked["day"], "kind": kind, "start_ms": start_ms,
        "end_ms": end_ms, "minutes": picked["duration"] / 60_000,
        "scheduled": [(KNOWN_ACTIVITIES[s] if s < _NO_SHIFT else "") for s in picked["scheduled"]],
        "actual": [STATE_KINDS[k] for k in picked["kind"]],
        "queue": [queues[q] if q >= 0 else "" for q in picked["queue"]],
        "shift": picked["shift"],
    })
    absent = table["kind"] == "absent"
    if absent.any():  # one row per absent shift, over the whole shift
        whole = table[absent].groupby("shift", sort=False).agg(
            agent=("agent", "first"), day=("day", "first"), kind=("kind", "first"),
            minutes=("minutes", "sum"), scheduled=("scheduled", "first"),
            actual=("actual", "first"), queue=("queue", "first")).reset_index()
        whole["start_ms"] = ms(shift_start[whole["shift"]])
        whole["end_ms"] = ms(shift_end[whole["shift"]])
        whole["scheduled"] = "shift"
        table = pd.concat([table[~absent], whole], ignore_index=True)
    table = table.sort_values(["agent", "start_ms"], kind="stable").reset_index(drop=True)
    return pd.DataFrame({
        "agent_id": [agents[a].agent_id for a in table["agent"]],
        "name": [agents[a].name for a in table["agent"]],
        "team": [agents[a].team for a in table["agent"]],
        "date": [date(1970, 1, 1) + timedelta(days=int(d)) for d in table["day"]],
        "kind": table["kind"].to_numpy(),
        "start": _local_text(table["start_ms"].to_numpy(dtype=np.int64), zone),
        "end": _local_text(table["end_ms"].to_numpy(dtype=np.int64), zone),
        "minutes": table["minutes"].to_numpy(dtype=float).round(2),
        "scheduled": table["scheduled"].to_numpy(), "actual": table["actual"].to_numpy(),
        "queue": table["queue"].to_numpy(),
    }).reindex(columns=list(EXCEPTION_COLUMNS))


def _totals(seg: dict[str, np.ndarray], runs: dict[str, np.ndarray], agent_days: pd.DataFrame,
            agents: list[Agent], cfg: CenterConfig, first: date) -> pd.DataFrame:
    """`ADHERENCE_TOTAL_COLUMNS`: per team, per queue, per day and for everyone."""
    minutes = ["scheduled_minutes", "out_of_adherence_minutes", "working_minutes",
               "worked_minutes"]
    frames = []
    for scope, key in (("team", agent_days["team"]),
                       ("day", agent_days["date"].map(lambda d: d.isoformat()))):
        grouped = agent_days.groupby(key.to_numpy(), sort=True)
        part = grouped[minutes + ["exceptions"]].sum()
        part["agents"] = grouped["agent_id"].nunique()
        frames.append(part.reset_index(names="key").assign(scope=scope))
    frames.insert(1, _queue_totals(seg, runs, cfg))
    everyone = agent_days[minutes + ["exceptions"]].sum().to_frame().T
    everyone["agents"] = agent_days["agent_id"].nunique()
    frames.append(everyone.assign(scope="all", key="all"))
    table = pd.concat(frames, ignore_index=True)
    table["exceptions"] = table["exceptions"].astype(int)
    table["agents"] = table["agents"].astype(int)
    _ratios(table)
    return _rounded(table).reindex(columns=list(ADHERENCE_TOTAL_COLUMNS))


def _queue_totals(seg: dict[str, np.ndarray], runs: dict[str, np.ndarray], cfg: CenterConfig
                  ) -> pd.DataFrame:
    """Adherence over the scheduled work on each queue."""
    queues = len(cfg.queues)
    work = (seg["queue"] >= 0) & ~seg["neutral"]
    counted = seg["run"] >= 0
    if runs["count"]:
        counted &= runs["counted"][np.maximum(seg["run"], 0)]
    scheduled = np.bincount(seg["queue"][work], weights=seg["duration"][work],
                            minlength=queues) / 60_000
    out = np.bincount(seg["queue"][work & counted], weights=seg["duration"][work & counted],
                      minlength=queues) / 60_000
    agents = [len(_sorted_unique(seg["agent"][work & (seg["queue"] == q)]))
              for q in range(queues)]
    exceptions = np.zeros(queues)
    if runs["count"]:
        picked = runs["listed"] & (runs["queue"] >= 0)
        np.add.at(exceptions, runs["queue"][picked], 1)
    table = pd.DataFrame({"key": [q.id for q in cfg.queues], "scheduled_minutes": scheduled,
                          "out_of_adherence_minutes": out, "working_minutes": np.nan,
                          "worked_minutes": np.nan, "exceptions": exceptions.astype(int),
                          "agents": agents, "scope": "queue"})
    return table[table["scheduled_minutes"] > 0]


def summary_lines(report: AdherenceReport) -> list[str]:
    """The totals per team, queue and day, and the exceptions by kind, as printed."""
    lines = [f"adherence {report.first} to {report.last}; {note}" if i == 0 else f"note: {note}"
             for i, note in enumerate(report.notes)]
    lines.append(f"{'per':<7}{'':<16}{'agents':>7}{'scheduled h':>13}{'out h':>8}"
                 f"{'adherence':>11}{'conformance':>13}{'exceptions':>12}")
    for row in report.totals.itertuples(index=False):
        adherence = "-" if pd.isna(row.adherence) else f"{row.adherence:.1%}"
        conformance = "-" if pd.isna(row.conformance) else f"{row.conformance:.1%}"
        lines.append(f"{row.scope:<7}{str(row.key):<16}{row.agents:>7}"
                     f"{row.scheduled_minutes / 60:>13.1f}{row.out_of_adherence_minutes / 60:>8.1f}"
                     f"{adherence:>11}{conformance:>13}{row.exceptions:>12}")
    counts = report.exceptions["kind"].value_counts() if len(report.exceptions) else {}
    lines.append("exceptions: " + (", ".join(f"{kind} {int(counts[kind])}"
                                             for kind in EXCEPTION_KINDS if kind in counts)
                                   or "none"))
    return lines
