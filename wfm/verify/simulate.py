"""What a published schedule delivers: a seeded discrete-event simulation of its horizon.

The projection in coverage.csv sizes every queue alone with Erlang C or A, at the agents
the activities pin to it. A multi-skill center routes each contact to any idle agent
with the skill and language, so cross-skilled agents pool capacity the projection does
not see, while breaks, absence and chat concurrency take it away. This module replays
the schedule contact by contact and counts what happens; it is an independent check and
shares no code with the solver (`wfm.schedule`) or the staffing math
(`wfm.staffing.erlang`): its validation tests compare it with Erlang C and A.

The model (one replication):

- arrivals per queue and interval: Poisson at the forecast's ``offered``, uniform inside
  the interval; or, replaying a history, exactly its ``offered`` count. None where the
  center or the queue is closed (opening hours, holidays, ``closed_dates``);
- handle times at the interval's ``aht_seconds``: exponential, or lognormal with a given
  coefficient of variation. A chat lasts its handle time while sharing the agent with up
  to ``concurrency - 1`` others;
- patience: exponential with mean ``patience_seconds`` for queues that have one, else
  none; every live contact still waiting when the center closes (the end of the open
  period it arrived in) abandons then. Deferred work (email, back office, outbound) never
  abandons: it is a backlog worked in idle time, carried over closed hours, due as the
  staffing stage states (``response_hours`` or ``due_time``); a queue's
  ``starting_backlog`` arrives with its first open interval. Outbound queues are a
  backlog of their ``offered`` volume: the campaigns' dialing is not simulated;
- agents at work from ``activities.csv``: every ``work`` row makes the agent available
  for all the queues whose skill and language it has (the queue the row names is only
  used to attribute occupancy); breaks, lunch and other activities as scheduled, and the
  contact in hand is finished first (`wfm.verify.simulate_engine`);
- absence from the configured shrinkage ``s`` of each interval (weekday and hour): a
  share ``absence_day_share`` of the day's lowest rate is drawn as whole absent days per
  agent and shift (probability ``d``), the rest as absent intervals (probability
  ``1 - (1 - s) / (1 - d)``), so an agent is available with probability ``1 - s``;
- routing: `skills` (an arriving contact goes to the idle qualified agent with the fewest
  qualified queues, the longest idle among those; a freed agent takes the longest-waiting
  contact among its queues) or `priority` (the idle agent most proficient on the queue;
  a freed agent serves its best queues first). Live contacts before deferred work.

Engine. The event loop is our own (`simulate_engine`), compiled with numba. SimPy keeps
every agent and contact as a Python generator, and Ciw's server priorities cannot forbid a
server without the skill, so neither routes a multi-skill center as described without
Python code in every event. Measured on the 1,000-agent bench week (about 700,000
contacts, ``bench/simulate.py speed``, bench/results/simulate.md), one run of the event
loop took 43 s interpreted by CPython and 1.4 s compiled, on the same shared machine
(load 5 on 2 cores); a whole replication (draws, loop and tallies) takes about 1 s of CPU
compiled, and the SimPy reference (``tests/sim_reference.py``) about 13 s per replication
of the 120-agent demo week. numba is the one dependency this adds. Replications run in
parallel processes, each with its own random stream spawned from the seed, so the figures
do not depend on the number of processes.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from wfm.calendar import interval_grid
from wfm.config import CenterConfig, Queue, parse_clock_minutes
from wfm.errors import BadInput
from wfm.io.schedule_folder import ScheduleFolder
from wfm.io.tables import DEFERRED_CHANNELS, WORK
from wfm.roster import Agent
from wfm.verify import simulate_engine as engine

Routing = Literal["skills", "priority"]
HandleTimes = Literal["exponential", "lognormal"]
ROUTINGS: tuple[str, ...] = ("skills", "priority")
HANDLE_TIMES: tuple[str, ...] = ("exponential", "lognormal")

#: What each replication counts per interval and queue (arrays of intervals x queues).
TALLIES = ("offered", "answered", "abandoned", "within", "judged", "wait_seconds",
           "waits", "busy_seconds", "duty_seconds")

_KINDS = {"voice": engine.VOICE, "chat": engine.CHAT, "email": engine.DEFERRED,
          "backoffice": engine.DEFERRED, "outbound": engine.DEFERRED}


@dataclass(frozen=True)
class SimulationOptions:
    """How to simulate: replications, seed, routing, handle times and absence."""

    reps: int = 20
    seed: int = 0
    routing: Routing = "skills"
    handle_times: HandleTimes = "exponential"
    #: Coefficient of variation of lognormal handle times (exponential ones have 1).
    handle_cv: float = 1.0
    #: Share of the day's shrinkage drawn as whole absent days (the rest as intervals).
    absence_day_share: float = 0.25
    #: Processes for the replications (None: one per core, at most ``reps``).
    workers: int | None = None

    def __post_init__(self) -> None:
        if self.reps < 1:
            raise BadInput("reps must be at least 1")
        if self.routing not in ROUTINGS:
            raise BadInput(f"routing {self.routing!r}; allowed: {', '.join(ROUTINGS)}")
        if self.handle_times not in HANDLE_TIMES:
            raise BadInput(f"handle times {self.handle_times!r}; allowed: "
                           f"{', '.join(HANDLE_TIMES)}")
        if not (math.isfinite(self.handle_cv) and self.handle_cv > 0):
            raise BadInput("handle-time coefficient of variation must be above 0")
        if self.handle_times == "exponential" and self.handle_cv != 1.0:
            raise BadInput("a handle-time coefficient of variation other than 1 needs "
                           "lognormal handle times (exponential ones have 1)")
        if not 0.0 <= self.absence_day_share <= 1.0:
            raise BadInput("absence day share must be in [0, 1]")
        if self.workers is not None and self.workers < 1:
            raise BadInput("workers must be at least 1")


@dataclass
class CenterModel:
    """A schedule, its roster and its volume as flat arrays, ready to replicate.

    Times are seconds from the horizon's first local midnight (real elapsed time, so a
    DST day has 92 or 100 intervals); arrays over intervals have ``len(interval_starts)``
    rows and one column per queue of ``queue_ids`` (config order).
    """

    interval_starts: pd.Series  # tz-aware, local
    step_seconds: float
    queue_ids: list[str]
    queue_kind: np.ndarray
    queue_concurrency: np.ndarray
    answer_seconds: np.ndarray  # NaN for deferred queues
    patience_seconds: np.ndarray  # inf without patience
    due_at: np.ndarray  # per interval and queue: when deferred work arriving then is due
    backlog_items: np.ndarray  # per queue: deferred items waiting at the horizon start
    backlog_interval: np.ndarray  # per queue: its first open interval (they count there)
    offered: np.ndarray  # expected (forecast) or exact (replay) contacts per interval
    aht_seconds: np.ndarray
    replay: bool
    closes_at: np.ndarray  # per interval: end of the open period it lies in (seconds)
    agent_ids: list[str]
    group_of: np.ndarray
    queue_groups_start: dict[str, np.ndarray]
    queue_groups: dict[str, np.ndarray]
    queue_groups_key: dict[str, np.ndarray]
    group_queues_start: dict[str, np.ndarray]
    group_queues: dict[str, np.ndarray]
    group_queues_key: dict[str, np.ndarray]
    piece_agent: np.ndarray  # work time cut at interval boundaries, sorted by agent, start
    piece_shift: np.ndarray
    piece_start: np.ndarray
    piece_end: np.ndarray
    piece_absent: np.ndarray  # probability the piece's interval is lost to absence
    shift_absent: np.ndarray  # probability the whole shift is lost to absence
    queue_at: np.ndarray  # agents x intervals: the queue the activities name (-1: none)
    notes: list[str] = field(default_factory=list)

    @property
    def intervals(self) -> int:
        """Intervals in the horizon."""
        return len(self.interval_starts)


# --- building the model ------------------------------------------------------------------


def _seconds(stamps: pd.Series | pd.DatetimeIndex, origin: pd.Timestamp) -> np.ndarray:
    """Seconds from ``origin`` of tz-aware timestamps (real elapsed time)."""
    values = pd.DatetimeIndex(pd.to_datetime(stamps)).tz_convert("UTC")
    return ((values - origin.tz_convert("UTC")) / pd.Timedelta(seconds=1)).to_numpy(float)


def _volume_grid(cfg: CenterConfig, volume: pd.DataFrame, grid: pd.DataFrame,
                 open_by_queue: np.ndarray, replay: bool, source: str
                 ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Offered and handle time per interval and queue (zero where closed) and notes."""
    queue_ids = [q.id for q in cfg.queues]
    offered = np.zeros((len(grid), len(queue_ids)))
    aht = np.full((len(grid), len(queue_ids)), np.nan)
    notes: list[str] = []
    position = pd.Series(np.arange(len(grid)), index=pd.DatetimeIndex(grid["interval_start"]))
    stamps = pd.DatetimeIndex(pd.to_datetime(volume["interval_start"])).tz_convert(
        cfg.center.timezone)
    rows = position.reindex(stamps).to_numpy()
    inside = ~np.isnan(rows)
    column = volume["queue"].astype(str).map({q: i for i, q in enumerate(queue_ids)})
    inside &= column.notna().to_numpy()
    if not inside.any():
        raise BadInput(f"{source}: no rows inside the schedule's horizon")
    row_index = rows[inside].astype(np.int64)
    col_index = column.to_numpy()[inside].astype(np.int64)
    counts = volume["offered"].to_numpy(float)[inside]
    handle = volume["aht_seconds"].to_numpy(float)[inside]
    fractional = np.abs(counts - np.rint(counts)) > 1e-9
    if replay and fractional.any():
        first = int(np.flatnonzero(fractional)[0])
        stamp = grid["interval_start"].iloc[row_index[first]].tz_localize(None)
        raise BadInput(f"{source}: queue {queue_ids[col_index[first]]}, interval "
                       f"{stamp:%Y-%m-%dT%H:%M}: a replayed history needs whole contacts, "
                       f"got offered {counts[first]:g}")
    offered[row_index, col_index] = np.rint(counts) if replay else counts
    aht[row_index, col_index] = handle
    offered[~open_by_queue] = 0.0
    for j, queue_id in enumerate(queue_ids):
        busy = offered[:, j] > 0
        missing = busy & ~(np.isfinite(aht[:, j]) & (aht[:, j] > 0))
        if not missing.any():
            continue
        known = busy & ~missing
        if not known.any():
            raise BadInput(f"{source}: queue {queue_id}: contacts offered without a "
                           "positive aht_seconds")
        mean = float((offered[known, j] * aht[known, j]).sum() / offered[known, j].sum())
        aht[missing, j] = mean
        notes.append(f"{queue_id}: {int(missing.sum())} intervals with contacts but no "
                     f"aht_seconds take the queue's mean handle time {mean:.0f} s")
    return offered, aht, notes


def _closing_times(grid: pd.DataFrame, step: float) -> np.ndarray:
    """Per interval the end (seconds) of the open period it lies in."""
    is_open = grid["is_open"].to_numpy(bool)
    closes_at = np.zeros(len(grid))
    end = len(grid) * step
    for k in range(len(grid) - 1, -1, -1):
        if not is_open[k]:
            end = k * step
        closes_at[k] = end
    return closes_at


def _due_times(queue: Queue, grid: pd.DataFrame, is_open: np.ndarray, step: float
               ) -> np.ndarray:
    """When deferred work arriving in each interval is due (seconds; inf when after the
    horizon or not deferred), on the center's open time as the staffing stage states it:
    ``response_hours``: the end of the open interval that many open hours after the start
    of the first open interval at or after the arrival; ``due_time``: the end of the last
    open interval ending by that time of day on the next open day (its last open interval
    when it closes earlier)."""
    due = np.full(len(grid), np.inf)
    open_index = np.flatnonzero(is_open)
    if queue.response_hours is not None:
        count = max(1, round(queue.response_hours * 3600.0 / step))
        first = np.searchsorted(open_index, np.arange(len(grid)), side="left")
        last = first + count - 1
        inside = last < open_index.size
        due[inside] = (open_index[last[inside]] + 1) * step
    elif queue.due_time is not None:
        limit = parse_clock_minutes(queue.due_time)
        minute = grid["minute_of_day"].to_numpy()
        days = grid["date"].to_numpy()
        ends: dict[object, int] = {}
        for day in dict.fromkeys(days):
            rows = np.flatnonzero((days == day) & is_open)
            if rows.size:
                fitting = rows[minute[rows] + step / 60.0 <= limit]
                ends[day] = int(fitting[-1] if fitting.size else rows[-1])
        open_days = list(ends)
        for day in dict.fromkeys(days):
            later = [d for d in open_days if d > day]
            if later:
                due[days == day] = (ends[later[0]] + 1) * step
    return due


def _groups(cfg: CenterConfig, agents: Sequence[Agent], routing: Routing
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                       np.ndarray, np.ndarray]:
    """Skill groups and the routing keys between groups and queues (see the engine)."""
    signature: dict[tuple, int] = {}
    group_of = np.zeros(len(agents), dtype=np.int64)
    members: list[list[tuple[int, float]]] = []
    for a, agent in enumerate(agents):
        served = tuple((j, agent.proficiency(q)) for j, q in enumerate(cfg.queues)
                       if agent.serves(q))
        if served not in signature:
            signature[served] = len(members)
            members.append(list(served))
        group_of[a] = signature[served]
    by_queue: list[list[tuple[float, int]]] = [[] for _ in cfg.queues]
    group_rows: list[list[tuple[float, int]]] = []
    for g, served in enumerate(members):
        rows = []
        for j, proficiency in served:
            if routing == "skills":
                by_queue[j].append((float(len(served)), g))
                rows.append((0.0, j))
            else:
                by_queue[j].append((-proficiency, g))
                rows.append((-proficiency, j))
        group_rows.append(sorted(rows))
    for rows in by_queue:
        rows.sort()

    def flat(lists: list[list[tuple[float, int]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        start = np.zeros(len(lists) + 1, dtype=np.int64)
        start[1:] = np.cumsum([len(x) for x in lists])
        ids = np.array([i for x in lists for _, i in x], dtype=np.int64)
        keys = np.array([k for x in lists for k, _ in x], dtype=float)
        return start, ids, keys

    qs, qg, qk = flat(by_queue)
    gs, gq, gk = flat(group_rows)
    return group_of, qs, qg, qk, gs, gq, gk


def _work_pieces(cfg: CenterConfig, schedule: ScheduleFolder, agent_index: dict[str, int],
                 origin: pd.Timestamp, step: float, intervals: int
                 ) -> tuple[np.ndarray, ...]:
    """Work activities cut at interval boundaries: agent, shift, start, end, interval and
    queue of each piece, sorted by agent and start; and the shift of every piece."""
    acts = schedule.activities
    work = acts[acts["activity"].astype(str) == WORK]
    unknown = sorted(set(work["agent_id"].astype(str)) - set(agent_index))
    if unknown:
        raise BadInput(f"the schedule has work for agent {unknown[0]!r}, who is not in the "
                       "roster")
    queue_index = {q.id: j for j, q in enumerate(cfg.queues)}
    agent = work["agent_id"].astype(str).map(agent_index).to_numpy(np.int64)
    start = _seconds(work["start"], origin)
    end = _seconds(work["end"], origin)
    queue = work["queue"].astype(str).map(queue_index).to_numpy(np.int64)
    # The shift each work row lies in (an agent's shifts do not overlap): the last one
    # starting at or before the row, searched on (agent, start) as one sorted key.
    shifts = schedule.shifts
    shift_agent = shifts["agent_id"].astype(str).map(agent_index)
    if shift_agent.isna().any():
        missing = shifts["agent_id"].astype(str)[shift_agent.isna()].iloc[0]
        raise BadInput(f"the schedule has a shift for agent {missing!r}, who is not in the "
                       "roster")
    span = 1e8  # seconds: more than any horizon
    shift_key = (shift_agent.to_numpy(np.int64) * span
                 + _seconds(shifts["shift_start"], origin))
    shift_stop = shift_agent.to_numpy(np.int64) * span + _seconds(shifts["shift_end"], origin)
    order = np.argsort(shift_key, kind="stable")
    key = agent * span + start
    position = np.searchsorted(shift_key[order], key, side="right") - 1
    shift = order[np.maximum(position, 0)]
    valid = (position >= 0) & (key < shift_stop[shift])
    if (~valid).any():
        who = work["agent_id"].astype(str).iloc[int(np.flatnonzero(~valid)[0])]
        raise BadInput(f"activities.csv has work outside every shift of agent {who!r}")
    # Cut at interval boundaries.
    first = np.floor(start / step).astype(np.int64)
    last = np.ceil(end / step).astype(np.int64) - 1
    spans = np.maximum(last - first + 1, 0)
    row = np.repeat(np.arange(len(start)), spans)
    offset = np.arange(spans.sum()) - np.repeat(np.cumsum(spans) - spans, spans)
    interval = first[row] + offset
    piece_start = np.maximum(start[row], interval * step)
    piece_end = np.minimum(end[row], (interval + 1) * step)
    keep = (piece_end > piece_start) & (interval >= 0) & (interval < intervals)
    row, interval = row[keep], interval[keep]
    piece_start, piece_end = piece_start[keep], piece_end[keep]
    order = np.lexsort((piece_start, agent[row]))
    row, interval = row[order], interval[order]
    return (agent[row], shift[row], piece_start[order], piece_end[order], interval,
            queue[row])


def _shrinkage(cfg: CenterConfig, stamps: pd.Series) -> np.ndarray:
    """The configured shrinkage of each interval (local weekday and hour), a fraction."""
    wall = pd.to_datetime(stamps).dt.tz_localize(None)
    return np.array([cfg.shrinkage.rate(int(d), int(h))
                     for d, h in zip(wall.dt.day_of_week, wall.dt.hour, strict=True)])


def build_model(cfg: CenterConfig, agents: Sequence[Agent], schedule: ScheduleFolder,
                volume: pd.DataFrame, start: date, days: int,
                options: SimulationOptions = SimulationOptions(), replay: bool = False,
                source: str = "forecast") -> CenterModel:
    """The simulation model of a schedule over the horizon ``[start, start + days)``.

    ``volume`` has ``interval_start`` (tz-aware), ``queue``, ``offered`` and
    ``aht_seconds``: a forecast (Poisson arrivals at ``offered``) or, with ``replay``, a
    history (exactly ``offered`` contacts, which must be whole). Rows outside the horizon
    are ignored. ``options.absence_day_share`` sets the absence probabilities. Raises
    BadInput when the schedule names agents the roster lacks or the volume has no row in
    the horizon.
    """
    zone = cfg.center.timezone
    grid = interval_grid(cfg.center, start, days).reset_index(drop=True)
    step = cfg.center.interval_minutes * 60.0
    origin = pd.Timestamp(start).tz_localize(zone)
    queue_ids = [q.id for q in cfg.queues]
    open_by_queue = np.repeat(grid["is_open"].to_numpy(bool)[:, None], len(queue_ids), 1)
    for j, queue in enumerate(cfg.queues):
        open_by_queue[grid["date"].isin(set(queue.closed_dates)).to_numpy(), j] = False
    offered, aht, notes = _volume_grid(cfg, volume, grid, open_by_queue, replay, source)
    closes_at = _closing_times(grid, step)
    due_at = np.full(offered.shape, np.inf)
    backlog_items = np.zeros(len(queue_ids), dtype=np.int64)
    backlog_interval = np.zeros(len(queue_ids), dtype=np.int64)
    for j, queue in enumerate(cfg.queues):
        if queue.channel not in DEFERRED_CHANNELS:
            continue
        due_at[:, j] = _due_times(queue, grid, open_by_queue[:, j], step)
        opened = np.flatnonzero(open_by_queue[:, j])
        items = round(queue.starting_backlog)
        if items and opened.size:
            # Due from the first open interval as if just arrived, at the queue's mean
            # handle time over the horizon.
            backlog_items[j], backlog_interval[j] = items, opened[0]
            known = (offered[:, j] > 0) & np.isfinite(aht[:, j])
            if not known.any():
                raise BadInput(f"queues[{j}].starting_backlog: queue {queue.id} has no "
                               f"handle time in {source} to work its backlog at")
            mean = (offered[known, j] * aht[known, j]).sum() / offered[known, j].sum()
            if not offered[opened[0], j] > 0:
                aht[opened[0], j] = mean

    roster = list(agents)
    agent_index = {a.agent_id: i for i, a in enumerate(roster)}
    group_data = {routing: _groups(cfg, roster, routing) for routing in ROUTINGS}
    p_agent, p_shift, p_start, p_end, p_interval, p_queue = _work_pieces(
        cfg, schedule, agent_index, origin, step, len(grid))

    # Absence: whole shifts with probability d (a share of the lowest rate of the shift's
    # intervals), the rest interval by interval, so the agent is there with 1 - s.
    rate = _shrinkage(cfg, grid["interval_start"])[p_interval]
    shifts = len(schedule.shifts)
    lowest = np.ones(shifts)
    np.minimum.at(lowest, p_shift, rate)
    lowest[lowest == 1.0] = 0.0
    shift_absent = options.absence_day_share * lowest
    piece_absent = np.clip(1.0 - (1.0 - rate) / (1.0 - shift_absent[p_shift]), 0.0, 1.0)

    queue_at = np.full((len(roster), len(grid)), -1, dtype=np.int64)
    queue_at[p_agent, p_interval] = p_queue
    # Time finished past a work row (a contact overrunning into a break) counts for the
    # queue the agent worked last.
    filled = pd.DataFrame(np.where(queue_at >= 0, queue_at, np.nan)).ffill(axis=1)
    queue_at = filled.fillna(-1).to_numpy(np.int64)

    group_of = group_data["skills"][0]
    return CenterModel(
        interval_starts=grid["interval_start"],
        step_seconds=step,
        queue_ids=queue_ids,
        queue_kind=np.array([_KINDS[q.channel] for q in cfg.queues], dtype=np.int64),
        queue_concurrency=np.array([q.concurrency if q.channel == "chat" else 1
                                    for q in cfg.queues], dtype=np.int64),
        answer_seconds=np.array([q.answer_seconds if _KINDS[q.channel] != engine.DEFERRED
                                 else np.nan for q in cfg.queues]),
        patience_seconds=np.array([q.patience_seconds if q.patience_seconds is not None
                                   and _KINDS[q.channel] != engine.DEFERRED else np.inf
                                   for q in cfg.queues]),
        due_at=due_at, backlog_items=backlog_items, backlog_interval=backlog_interval,
        offered=offered, aht_seconds=aht, replay=replay, closes_at=closes_at,
        agent_ids=[a.agent_id for a in roster], group_of=group_of,
        queue_groups_start={r: d[1] for r, d in group_data.items()},
        queue_groups={r: d[2] for r, d in group_data.items()},
        queue_groups_key={r: d[3] for r, d in group_data.items()},
        group_queues_start={r: d[4] for r, d in group_data.items()},
        group_queues={r: d[5] for r, d in group_data.items()},
        group_queues_key={r: d[6] for r, d in group_data.items()},
        piece_agent=p_agent, piece_shift=p_shift, piece_start=p_start, piece_end=p_end,
        piece_absent=piece_absent, shift_absent=shift_absent, queue_at=queue_at,
        notes=notes,
    )


# --- one replication ---------------------------------------------------------------------


@dataclass
class Draw:
    """The random part of one replication: contacts (sorted by arrival) and windows."""

    arrival: np.ndarray
    queue: np.ndarray
    handle: np.ndarray
    deadline: np.ndarray  # inf: never abandons
    due: np.ndarray  # deferred work: when its answer window ends (inf: after the horizon)
    window_agent_start: np.ndarray
    window_start: np.ndarray
    window_end: np.ndarray
    window_carry: np.ndarray
    window_agent: np.ndarray
    absent_shifts: int = 0
    absent_intervals: float = 0.0


def _contacts(model: CenterModel, options: SimulationOptions, rng: np.random.Generator
              ) -> tuple[np.ndarray, ...]:
    """Arrival, queue, handle time, deadline and answer-window end of every contact."""
    step = model.step_seconds
    mean = model.offered.ravel()
    counts = np.rint(mean).astype(np.int64) if model.replay else rng.poisson(mean)
    # The backlog waiting at the horizon start arrives with the first open interval.
    queues = len(model.queue_ids)
    start_cells = model.backlog_interval * queues + np.arange(queues)
    counts[start_cells] += model.backlog_items
    cell = np.repeat(np.arange(mean.size), counts)
    interval, queue = cell // queues, cell % queues
    arrival = (interval + rng.random(cell.size)) * step
    waiting = np.zeros(cell.size, dtype=bool)
    ends = np.cumsum(counts)
    for j in np.flatnonzero(model.backlog_items):
        last = ends[start_cells[j]]
        waiting[last - model.backlog_items[j]:last] = True
    arrival[waiting] = interval[waiting] * step
    aht = model.aht_seconds.ravel()[cell]
    if options.handle_times == "exponential":
        handle = rng.exponential(aht)
    else:
        sigma2 = math.log1p(options.handle_cv ** 2)
        handle = rng.lognormal(np.log(aht) - sigma2 / 2.0, math.sqrt(sigma2))
    patience = model.patience_seconds[queue]
    finite = np.isfinite(patience)
    waited = np.full(cell.size, np.inf)
    waited[finite] = rng.exponential(patience[finite])
    deferred = model.queue_kind[queue] == engine.DEFERRED
    deadline = np.where(deferred, np.inf,
                        np.minimum(arrival + waited, model.closes_at[interval]))
    due = model.due_at.ravel()[cell]
    order = np.argsort(arrival, kind="stable")
    return (arrival[order], queue[order], handle[order], deadline[order], due[order])


def _windows(model: CenterModel, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Each agent's windows of work after absence: start, end, whether a delay carries into
    the next (same shift), the agent of each, per-agent offsets; absent shifts and
    intervals."""
    shift_gone = rng.random(model.shift_absent.size) < model.shift_absent
    piece_gone = rng.random(model.piece_absent.size) < model.piece_absent
    on_shift = ~shift_gone[model.piece_shift] if model.piece_shift.size else shift_gone[:0]
    keep = on_shift & ~piece_gone
    lost = on_shift & piece_gone
    absent_intervals = float(((model.piece_end - model.piece_start)[lost]).sum()
                             / model.step_seconds)
    agent = model.piece_agent[keep]
    shift = model.piece_shift[keep]
    start = model.piece_start[keep]
    end = model.piece_end[keep]
    begins = np.ones(agent.size, dtype=bool)
    if agent.size:
        begins[1:] = ((agent[1:] != agent[:-1]) | (shift[1:] != shift[:-1])
                      | (start[1:] > end[:-1] + 1e-6))
    first = np.flatnonzero(begins)
    last = np.append(first[1:], agent.size) - 1
    window_agent = agent[first]
    window_shift = shift[first]
    carry = np.zeros(first.size, dtype=np.bool_)
    if first.size > 1:
        carry[:-1] = ((window_agent[1:] == window_agent[:-1])
                      & (window_shift[1:] == window_shift[:-1]))
    agent_start = np.zeros(len(model.agent_ids) + 1, dtype=np.int64)
    np.add.at(agent_start, window_agent + 1, 1)
    agent_start = np.cumsum(agent_start)
    return (agent_start, start[first], end[last], carry, window_agent,
            int(shift_gone.sum()), absent_intervals)


def draw_replication(model: CenterModel, options: SimulationOptions,
                     rng: np.random.Generator) -> Draw:
    """Draw one replication's contacts and absences."""
    arrival, queue, handle, deadline, due = _contacts(model, options, rng)
    agent_start, w_start, w_end, carry, w_agent, shifts, intervals = _windows(model, rng)
    return Draw(arrival=arrival, queue=queue, handle=handle, deadline=deadline, due=due,
                window_agent_start=agent_start, window_start=w_start, window_end=w_end,
                window_carry=carry, window_agent=w_agent, absent_shifts=shifts,
                absent_intervals=intervals)


@dataclass
class Trace:
    """What happened to every contact and window of one replication (see the engine)."""

    status: np.ndarray
    answered_at: np.ndarray
    ended_at: np.ndarray
    agent: np.ndarray
    abandoned_at: np.ndarray
    duty_start: np.ndarray
    duty_end: np.ndarray


def run_draw(model: CenterModel, draw: Draw, routing: Routing = "skills") -> Trace:
    """Run the event loop on one draw."""
    queue = draw.queue.astype(np.int64)
    order = np.argsort(queue, kind="stable").astype(np.int64)
    queue_start = np.zeros(len(model.queue_ids) + 1, dtype=np.int64)
    np.add.at(queue_start, queue + 1, 1)
    queue_start = np.cumsum(queue_start)
    result = engine.run_replication(
        draw.arrival, queue, draw.handle, draw.deadline, order, queue_start,
        model.queue_kind, model.queue_concurrency,
        model.queue_groups_start[routing], model.queue_groups[routing],
        model.queue_groups_key[routing], model.group_queues_start[routing],
        model.group_queues[routing], model.group_queues_key[routing], model.group_of,
        draw.window_agent_start, draw.window_start, draw.window_end, draw.window_carry)
    return Trace(*result)


def tally(model: CenterModel, draw: Draw, trace: Trace) -> dict[str, np.ndarray]:
    """Counts per interval and queue of one replication (`TALLIES`, intervals x queues).

    Contacts count in the interval they arrived in. ``within``: live contacts answered
    within the queue's answer time, deferred items finished inside their answer window;
    ``judged``: the contacts that service level is taken over (every live contact;
    deferred items whose window ends inside the horizon). ``wait_seconds`` / ``waits``:
    time to answer or to abandon, over answered and abandoned contacts. ``busy_seconds``
    (a chat weighs 1 / concurrency) and ``duty_seconds`` (in a window or finishing a
    contact) are attributed to the queue the activities name for the agent.
    """
    shape = (model.intervals, len(model.queue_ids))
    queues = shape[1]
    cell = (draw.arrival // model.step_seconds).astype(np.int64) * queues + draw.queue
    size = shape[0] * queues

    def count(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = None if weights is None else weights[mask]
        return np.bincount(cell[mask], weights=w, minlength=size).reshape(shape).astype(float)

    answered = trace.status == engine.ANSWERED
    abandoned = trace.status == engine.ABANDONED
    deferred = model.queue_kind[draw.queue] == engine.DEFERRED
    wait = np.where(answered, trace.answered_at, trace.abandoned_at) - draw.arrival
    limit = model.answer_seconds[draw.queue]
    with np.errstate(invalid="ignore"):
        within_live = ~deferred & answered & (wait <= limit)
    judged = ~deferred | np.isfinite(draw.due)
    with np.errstate(invalid="ignore"):
        within_deferred = deferred & judged & answered & (trace.ended_at <= draw.due)
    waited = answered | abandoned
    out = {
        "offered": count(np.ones(cell.size, dtype=bool)),
        "answered": count(answered),
        "abandoned": count(abandoned),
        "within": count(within_live | within_deferred),
        "judged": count(judged),
        "wait_seconds": count(waited, np.nan_to_num(wait)),
        "waits": count(waited),
    }
    busy = np.zeros(shape)
    weight = np.where(model.queue_kind[draw.queue] == engine.CHAT,
                      1.0 / model.queue_concurrency[draw.queue], 1.0)
    engine.spread_over_intervals(trace.agent[answered].astype(np.int64),
                                 trace.answered_at[answered], trace.ended_at[answered],
                                 weight[answered], model.step_seconds, model.queue_at, busy)
    duty = np.zeros(shape)
    engine.spread_over_intervals(draw.window_agent.astype(np.int64), trace.duty_start,
                                 trace.duty_end, np.ones(draw.window_start.size),
                                 model.step_seconds, model.queue_at, duty)
    out["busy_seconds"] = busy
    out["duty_seconds"] = duty
    return out


def replicate(model: CenterModel, options: SimulationOptions, rep: int
              ) -> dict[str, np.ndarray]:
    """Tallies of replication ``rep`` (its own random stream, spawned from the seed)."""
    stream = np.random.SeedSequence(options.seed).spawn(rep + 1)[rep]
    rng = np.random.default_rng(stream)
    draw = draw_replication(model, options, rng)
    trace = run_draw(model, draw, options.routing)
    counts = tally(model, draw, trace)
    counts["absent_shifts"] = np.array(float(draw.absent_shifts))
    counts["absent_intervals"] = np.array(draw.absent_intervals)
    counts["contacts"] = np.array(float(draw.arrival.size))
    return counts


# --- replications in parallel ------------------------------------------------------------

_WORKER: dict[str, object] = {}


def _init_worker(model: CenterModel, options: SimulationOptions) -> None:
    _WORKER["model"] = model
    _WORKER["options"] = options


def _worker_rep(rep: int) -> dict[str, np.ndarray]:
    return replicate(_WORKER["model"], _WORKER["options"], rep)  # type: ignore[arg-type]


@dataclass
class SimulationRun:
    """Tallies of every replication: ``tallies[name]`` is reps x intervals x queues."""

    model: CenterModel
    options: SimulationOptions
    tallies: dict[str, np.ndarray]
    contacts: np.ndarray  # per replication
    absent_shifts: np.ndarray
    absent_intervals: np.ndarray
    seconds: float  # wall time of the replications
    workers: int


def compile_engine() -> None:
    """Compile the event loop (or load it from numba's cache) on a tiny input."""
    empty_f = np.zeros(0)
    empty_i = np.zeros(0, dtype=np.int64)
    one_i = np.zeros(1, dtype=np.int64)
    engine.run_replication(empty_f, empty_i, empty_f, empty_f, empty_i, one_i, empty_i,
                           empty_i, one_i, empty_i, empty_f, one_i, empty_i, empty_f,
                           empty_i, one_i, empty_f, empty_f, np.zeros(0, dtype=np.bool_))
    engine.spread_over_intervals(empty_i, empty_f, empty_f, empty_f, 1.0,
                                 np.zeros((0, 0), dtype=np.int64), np.zeros((0, 0)))


def simulate(model: CenterModel, options: SimulationOptions = SimulationOptions(),
             progress: Callable[[int, int], None] | None = None) -> SimulationRun:
    """Run ``options.reps`` replications, in parallel processes when there are several.

    ``progress(done, total)`` is called after each replication. The figures depend on the
    seed only, not on the number of processes.
    """
    compile_engine()
    workers = options.workers or min(options.reps, os.cpu_count() or 1)
    workers = max(1, min(workers, options.reps))
    started = time.perf_counter()
    results: list[dict[str, np.ndarray]] = [{}] * options.reps
    if workers == 1:
        for rep in range(options.reps):
            results[rep] = replicate(model, options, rep)
            if progress:
                progress(rep + 1, options.reps)
    else:
        context = multiprocessing.get_context("fork" if "fork" in
                                              multiprocessing.get_all_start_methods()
                                              else None)
        with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                 initializer=_init_worker, initargs=(model, options)) as pool:
            for rep, counts in enumerate(pool.map(_worker_rep, range(options.reps))):
                results[rep] = counts
                if progress:
                    progress(rep + 1, options.reps)
    seconds = time.perf_counter() - started
    tallies = {name: np.stack([r[name] for r in results]) for name in TALLIES}
    return SimulationRun(
        model=model, options=options, tallies=tallies,
        contacts=np.array([float(r["contacts"]) for r in results]),
        absent_shifts=np.array([float(r["absent_shifts"]) for r in results]),
        absent_intervals=np.array([float(r["absent_intervals"]) for r in results]),
        seconds=seconds, workers=workers)
