"""Work that waits, in the model: deferred queues (email, back office) and campaign queues
as backlog flows instead of an agent count per interval.

A *flow* is one queue's work in model units (`UNITS` per agent-interval of net work):
``arrivals`` released per interval, ``capacity`` per scheduled agent per interval (net of
shrinkage; 0 where the queue cannot be worked: closed for deferred work, outside the
calling plan for a campaign), and a due interval per arrival interval. In the model

    backlog[i] = backlog[i-1] + arrivals[i] - done[i],   0 <= done[i] <= capacity[i] * agents[i]

with ``done`` eliminated, so per interval a ``backlog`` (carried to the next interval and
day) and an ``idle`` variable (capacity not used, priced as over-coverage) and, where work
can be past due, a ``late`` variable: the backlog less what is not yet due (worked first
in, first out, the oldest items are the past-due ones). Costs, all in the coverage
component (so the coverage bound covers them):

* deferred work: ``objective.deferred_past_due`` per agent-interval of work past due, at
  every interval it stays past due (under-service priced by its age);
* a campaign, at the end of each of its calling days: ``objective.outbound_carried`` per
  agent-interval carried to a later day (the carried-work variable of the campaign and
  day is its backlog at the day's last interval), and ``objective.outbound_short`` per
  agent-interval past its due (the day's target, or the list's ``complete_by``).

The same figures for a given schedule (`flow_cost`, `sync`) work the backlog greedily:
doing all the work the capacity allows as early as possible is optimal for this model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil, floor

import numpy as np
import pandas as pd

from wfm.config import CenterConfig
from wfm.schedule.linear import INF, LinearModel
from wfm.staffing.backlog import NOT_DUE

UNITS = 10  # model units per agent-interval of work (work is kept to a tenth)
DEFERRED = "deferred"
CAMPAIGN = "campaign"


@dataclass
class Flow:
    """One queue's waiting work over the horizon's intervals (see the module)."""

    queue: int
    kind: str  # DEFERRED or CAMPAIGN
    arrivals: np.ndarray  # int64 units released per interval
    capacity: np.ndarray  # units one scheduled agent works per interval (float)
    not_due: np.ndarray  # units released by the end of each interval not yet due then
    checkpoints: np.ndarray  # intervals where lateness is priced, ascending
    day_ends: np.ndarray  # campaign: last calling interval of each calling day


@dataclass
class FlowVars:
    """Model variables of one flow: per interval backlog and idle, late at checkpoints."""

    flow: Flow
    backlog: list[int] = field(default_factory=list)
    idle: list[int] = field(default_factory=list)
    late: dict[int, int] = field(default_factory=dict)
    served: dict[int, dict[int, float]] = field(default_factory=dict)  # interval -> terms
    rows: dict[int, list[int]] = field(default_factory=dict)  # interval -> its model rows


def build_flows(cfg: CenterConfig, requirements: pd.DataFrame, queue_ids: list[str],
                grid: pd.DataFrame, queue_closed: np.ndarray) -> list[Flow]:
    """The flows of the deferred and campaign queues of ``requirements``.

    Needs the rows' ``offered`` and ``aht_seconds`` (deferred work) or ``attempts`` and
    ``contacts`` (a campaign's plan; ``agents_needed`` for predictive dialing); a queue
    whose rows lack them is covered per interval like any other. ``grid`` is the horizon's
    interval grid (`interval_grid`).
    """
    from wfm.staffing.campaigns import campaign_due
    from wfm.staffing.deferred import _typical_aht, due_intervals
    from wfm.staffing.requirements import queue_open_mask, shrinkage_rates

    flows = []
    stamps = grid["interval_start"].reset_index(drop=True)
    n = len(stamps)
    shrink = shrinkage_rates(stamps, cfg)
    step_seconds = cfg.center.interval_minutes * 60.0
    for q, queue_id in enumerate(queue_ids):
        queue = cfg.queue(queue_id)
        campaign = cfg.campaign_for(queue_id)
        if not queue.deferred and campaign is None:
            continue
        rows = _rows_on_grid(requirements, queue_id, stamps)
        if rows is None:
            continue
        net = UNITS * (1.0 - shrink)
        if campaign is not None:
            planned = _campaign_work(campaign, rows, step_seconds * queue.max_occupancy)
            if planned is None:
                continue
            arrivals = np.round(planned * UNITS).astype(np.int64)
            calling = (arrivals > 0) & ~queue_closed[q]
            arrivals[~calling] = 0
            due = campaign_due(campaign, stamps.dt.date.to_numpy(), calling)
            capacity = np.where(calling, net, 0.0)
            days = stamps.dt.date.to_numpy()
            ends = [int(np.flatnonzero(calling & (days == d))[-1])
                    for d in sorted(set(days[calling]))]
            flows.append(Flow(q, CAMPAIGN, arrivals, capacity, _not_due(arrivals, due),
                              np.array(ends, dtype=np.int64), np.array(ends, dtype=np.int64)))
            continue
        if "offered" not in rows or "aht_seconds" not in rows:
            continue
        is_open = queue_open_mask(queue, cfg, stamps) & ~queue_closed[q]
        calls = np.where(is_open, rows["offered"].fillna(0.0).to_numpy(dtype=float), 0.0)
        aht = rows["aht_seconds"].to_numpy(dtype=float)
        handle = np.where(np.isfinite(aht) & (aht > 0), aht, 0.0)
        work_seconds = calls * handle
        if queue.starting_backlog > 0 and n:
            work_seconds[0] += queue.starting_backlog * _typical_aht(calls, handle)
        arrivals = np.round(work_seconds / (step_seconds * queue.max_occupancy) * UNITS
                            ).astype(np.int64)
        due = due_intervals(queue, cfg, stamps, is_open)
        not_due = _not_due(arrivals, due)
        checkpoints = np.flatnonzero(np.cumsum(arrivals) - not_due > 0)
        flows.append(Flow(q, DEFERRED, arrivals, np.where(is_open, net, 0.0), not_due,
                          checkpoints, np.array([], dtype=np.int64)))
    return flows


def _campaign_work(campaign, rows: pd.DataFrame, agent_seconds: float) -> np.ndarray | None:
    """A campaign's planned work per interval in agent-intervals (None without a plan).

    Preview and progressive dialing: the plan's attempts and contacts in agent-seconds
    (`wfm.staffing.campaigns`) over an agent's working seconds, so the model's work is
    the contacts the checker counts for the same agents. Predictive dialing: the plan's
    agents (Erlang B keeps the abandoned share under its cap; not linear in contacts).
    """
    if campaign.dialing == "predictive":
        if "agents_needed" not in rows:
            return None
        return rows["agents_needed"].fillna(0).to_numpy(dtype=float)
    if not {"attempts", "contacts"} <= set(rows.columns):
        return None
    attempts = rows["attempts"].fillna(0.0).to_numpy(dtype=float)
    contacts = rows["contacts"].fillna(0.0).to_numpy(dtype=float)
    seconds = (contacts * (campaign.aht_seconds + campaign.acw_seconds)
               + (attempts - contacts) * campaign.attempt_seconds + attempts * campaign.preview)
    return seconds / agent_seconds


def _rows_on_grid(requirements: pd.DataFrame, queue_id: str, stamps: pd.Series,
                  ) -> pd.DataFrame | None:
    """The queue's requirement rows aligned on the grid (missing intervals empty)."""
    mine = requirements[requirements["queue"] == queue_id]
    if mine.empty:
        return None
    keyed = mine.assign(_utc=pd.to_datetime(mine["interval_start"]).dt.tz_convert("UTC"))
    keyed = keyed.drop_duplicates("_utc").set_index("_utc")
    return keyed.reindex(pd.DatetimeIndex(stamps.dt.tz_convert("UTC"))).reset_index(drop=True)


def _not_due(arrivals: np.ndarray, due: np.ndarray) -> np.ndarray:
    """Units released by the end of each interval whose due interval is later (or beyond
    the horizon)."""
    n = arrivals.size
    released = np.cumsum(arrivals)
    due_by = np.zeros(n + 1, dtype=np.int64)
    judged = due != NOT_DUE
    np.add.at(due_by, np.minimum(due[judged], n), arrivals[judged])
    return released - np.cumsum(due_by[:n])


def add_flow(model: LinearModel, flow: Flow, served: dict[int, dict[int, float]],
             weights, component: str, roster: int) -> FlowVars:
    """The flow's backlog rows and costs; ``served`` maps an interval to the terms whose
    sum is the agents on the queue then (absent: none can be)."""
    fv = FlowVars(flow, served=served)
    total = int(flow.arrivals.sum())
    for i, arriving in enumerate(flow.arrivals):
        backlog = model.var(0, total, f"backlog(queue={flow.queue}, interval={i})")
        top = int(ceil(flow.capacity[i] * roster)) if served.get(i) else 0
        idle = model.var(0, top, f"idle(queue={flow.queue}, interval={i})")
        model.cost(component, idle, weights.over_coverage / UNITS)
        first_row = len(model.rows)
        worked = {v: -flow.capacity[i] * c for v, c in served.get(i, {}).items()}
        worked[backlog] = -1.0
        if fv.backlog:
            worked[fv.backlog[-1]] = 1.0
        # done = backlog[i-1] + arrivals - backlog[i]: at most the capacity, all but idle
        model.add(worked, -INF, -float(arriving), "backlog")
        model.add({**worked, idle: 1.0}, -float(arriving), INF, "backlog")
        fv.backlog.append(backlog)
        fv.idle.append(idle)
        fv.rows[i] = [first_row, first_row + 1]
    if flow.kind == CAMPAIGN:
        for i in flow.day_ends:
            model.cost(component, fv.backlog[i], weights.outbound_carried / UNITS)
    weight = (weights.deferred_past_due if flow.kind == DEFERRED else weights.outbound_short)
    for i in flow.checkpoints:
        late = model.var(0, total, f"late(queue={flow.queue}, interval={i})")
        fv.rows[int(i)].append(len(model.rows))
        model.add({late: 1.0, fv.backlog[i]: -1.0}, -float(flow.not_due[i]), INF, "late")
        model.cost(component, late, weight / UNITS)
        fv.late[int(i)] = late
    return fv


@dataclass
class FlowOutcome:
    """A flow worked greedily by given agents: per interval in model units."""

    backlog: np.ndarray
    idle: np.ndarray
    late: np.ndarray  # at checkpoints (0 elsewhere)
    cost: float


def work_flow(flow: Flow, agents: np.ndarray, weights) -> FlowOutcome:
    """The flow worked by ``agents`` per interval, all work done as early as capacity
    allows (the model's optimum for those agents), with its cost."""
    n = flow.arrivals.size
    backlog = np.zeros(n, dtype=np.int64)
    idle = np.zeros(n, dtype=np.int64)
    late = np.zeros(n, dtype=np.int64)
    waiting = 0
    for i in range(n):
        capacity = flow.capacity[i] * agents[i]
        done = min(int(floor(capacity + 1e-6)), waiting + int(flow.arrivals[i]))
        waiting += int(flow.arrivals[i]) - done
        backlog[i] = waiting
        idle[i] = max(0, int(ceil(capacity - done - 1e-6)))
    for i in flow.checkpoints:
        late[i] = max(0, int(ceil(backlog[i] - flow.not_due[i] - 1e-6)))
    cost = idle.sum() * weights.over_coverage / UNITS
    if flow.kind == CAMPAIGN:
        cost += backlog[flow.day_ends].sum() * weights.outbound_carried / UNITS
    weight = weights.deferred_past_due if flow.kind == DEFERRED else weights.outbound_short
    cost += late.sum() * weight / UNITS
    return FlowOutcome(backlog, idle, late, float(cost))


def flow_cost(flows: list[Flow], scheduled: dict[tuple[int, int], int], weights) -> float:
    """The flows' cost for a schedule's agents per (queue, interval)."""
    total = 0.0
    for flow in flows:
        agents = np.array([scheduled.get((flow.queue, i), 0)
                           for i in range(flow.arrivals.size)])
        total += work_flow(flow, agents, weights).cost
    return total


def sync(flow_vars: list[FlowVars], values: np.ndarray, weights) -> np.ndarray:
    """``values`` with every flow's variables set from the agents it serves (greedy, so
    the best for those agents): a search that changed queue counts stays consistent."""
    out = values.copy()
    for fv in flow_vars:
        n = fv.flow.arrivals.size
        agents = np.zeros(n)
        for i, terms in fv.served.items():
            agents[i] = round(sum(c * values[v] for v, c in terms.items()))
        found = work_flow(fv.flow, agents, weights)
        out[fv.backlog] = found.backlog
        out[fv.idle] = found.idle
        for i, v in fv.late.items():
            out[v] = found.late[i]
    return out


def flow_queues(flows: list[Flow]) -> set[int]:
    """Indices of the queues worked as flows."""
    return {f.queue for f in flows}


def protect_inbound(classes: list, required: np.ndarray, campaign_queues: set[int],
                    work: dict[tuple[int, int, int], int],
                    scheduled: dict[tuple[int, int], int],
                    deferred_queues: frozenset[int] = frozenset()) -> int:
    """Move blended agents from campaign queues to the live queues of their class that
    are below requirement in the same interval, in place (``work``: (class, interval,
    queue) -> agents; ``scheduled``: (queue, interval) -> agents). Returns the
    agent-intervals moved.

    An agent-interval goes to outbound only where the live queues the agent could serve
    instead are at or above requirement: the model's weights make this hold at its
    optimum, and this keeps it for any schedule a search returns. ``deferred_queues``
    (email, back office) are not protected so: their work waits in a backlog, and their
    interval rows are not what it needs (moved by those rows, 383 agent-intervals of a
    300-agent week left the campaign for idle e-mail and back-office time).
    """
    moved = 0
    for (c, i, o), count in sorted(work.items()):
        if o not in campaign_queues or count <= 0:
            continue
        for q in classes[c].queues:
            if q in campaign_queues or q in deferred_queues or count <= 0:
                continue
            short = int(required[q, i]) - scheduled.get((q, i), 0)
            if short <= 0:
                continue
            m = min(count, short)
            work[c, i, o] -= m
            work[c, i, q] = work.get((c, i, q), 0) + m
            scheduled[o, i] -= m
            scheduled[q, i] = scheduled.get((q, i), 0) + m
            count -= m
            moved += m
    return moved
