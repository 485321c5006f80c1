"""From forecast to requirements: the agents each queue needs in each interval.

One sizer per channel: `wfm.staffing.live` (voice and chat, Erlang C / A),
`wfm.staffing.deferred` (email: answered within ``response_hours`` of open time) and
`wfm.staffing.outbound` (workload over occupancy).

Then ``min_agents`` on every open interval, zero when the center or the queue is closed (a
queue's ``closed_dates``), and shrinkage:
``agents_with_shrinkage = ceil(agents_needed / (1 - shrinkage))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wfm.calendar import closed_dates, interval_grid
from wfm.config import CenterConfig, Queue
from wfm.errors import BadInput
from wfm.io.tables import FORECAST_KEY_COLUMNS, LIVE_CHANNELS
from wfm.staffing import erlang
from wfm.staffing.deferred import project_deferred, size_deferred
from wfm.staffing.live import project_live, size_live
from wfm.staffing.outbound import project_outbound, size_outbound

_PROJECTORS = {"voice": project_live, "chat": project_live, "outbound": project_outbound}
#: Requirement columns of deferred queues (items, from the backlog worked first in, first
#: out at the planned agents) and of campaign queues (attempts, contacts, abandoned).
DEFERRED_COLUMNS = ("worked", "backlog", "past_due")


def queue_open_mask(queue: Queue, cfg: CenterConfig, stamps: pd.Series) -> np.ndarray:
    """True where an interval lies inside opening hours on a day the center and the queue
    are open."""
    first = stamps.min().date()
    days = (stamps.max().date() - first).days + 1
    grid = interval_grid(cfg.center, first, days)
    open_set = set(grid.loc[grid["is_open"], "interval_start"])
    return (stamps.isin(open_set) & ~stamps.dt.date.isin(set(queue.closed_dates))).to_numpy()


def shrinkage_rates(stamps: pd.Series, cfg: CenterConfig) -> np.ndarray:
    """Shrinkage per interval (fraction), by weekday and hour as configured."""
    wall = stamps.dt.tz_localize(None)
    keys = zip(wall.dt.day_of_week, wall.dt.hour, strict=True)
    return np.array([cfg.shrinkage.rate(day, hour) for day, hour in keys], dtype=float)






def project_metrics(
    queue: Queue, agents: np.ndarray, calls: np.ndarray, aht_seconds: np.ndarray, minutes: int
) -> dict[str, np.ndarray]:
    """Service level, ASA (seconds) and occupancy of each interval on its own.

    Arrays of the intervals' shape. Live queues (voice, chat) are projected with Erlang C
    or A; outbound work has no service level or ASA (NaN). Deferred work depends on the
    intervals before it: use `project_queue`.
    """
    if queue.deferred:
        raise ValueError(f"queue {queue.id}: deferred work is projected over a whole series "
                         "(project_queue)")
    agents = np.asarray(agents, dtype=float)
    calls = np.asarray(calls, dtype=float)
    aht_seconds = np.asarray(aht_seconds, dtype=float)
    return _PROJECTORS[queue.channel](queue, agents, calls, aht_seconds, minutes)


def project_queue(queue: Queue, cfg: CenterConfig, stamps: pd.Series, agents: np.ndarray,
                  calls: np.ndarray, aht_seconds: np.ndarray) -> dict[str, np.ndarray]:
    """Service level, ASA, occupancy (and for deferred work ``worked``, ``backlog``,
    ``past_due`` in items) of one queue's consecutive intervals ``stamps`` in time order.

    Deferred queues are projected by working their backlog first in, first out
    (`wfm.staffing.deferred.project_deferred`): the service level is the share of each
    interval's arrivals answered within target. Other queues interval by interval.
    """
    agents = np.asarray(agents, dtype=float)
    calls = np.asarray(calls, dtype=float)
    aht_seconds = np.asarray(aht_seconds, dtype=float)
    campaign = cfg.campaign_for(queue.id)
    if campaign is not None:
        return _project_campaign(queue, campaign, cfg, stamps, agents, calls, aht_seconds)
    if not queue.deferred:
        return project_metrics(queue, agents, calls, aht_seconds, cfg.center.interval_minutes)
    metrics, outcome = project_deferred(queue, cfg, stamps, agents, calls, aht_seconds,
                                        queue_open_mask(queue, cfg, stamps))
    return {**metrics, "worked": outcome.worked, "backlog": outcome.backlog,
            "past_due": outcome.past_due}


def _project_campaign(queue: Queue, campaign, cfg: CenterConfig, stamps: pd.Series,
                      agents: np.ndarray, planned: np.ndarray, handle: np.ndarray,
                      ) -> dict[str, np.ndarray]:
    """A campaign's contacts made by ``agents``: the planned contacts (``planned``) worked
    as a backlog, first in, first out, at the contacts the agents can make, short ones
    carried to later calling intervals; due by ``complete_by`` (or the day's end)."""
    from wfm.staffing.backlog import work_backlog
    from wfm.staffing.campaigns import campaign_due, contact_capacity

    minutes = cfg.center.interval_minutes
    callee = stamps.dt.tz_convert(campaign.callee_timezone or cfg.center.timezone)
    rates = np.array([campaign.rate_at(int(h)) for h in callee.dt.hour])
    capacity = contact_capacity(campaign, agents, rates, minutes * 60.0, queue.max_occupancy)
    days = stamps.dt.date.to_numpy()
    outcome = work_backlog(planned, np.ones(planned.shape), capacity,
                           campaign_due(campaign, days, planned > 0))
    metrics = project_metrics(queue, agents, outcome.worked, handle, minutes)
    return {**metrics, "worked": outcome.worked, "backlog": outcome.backlog,
            "past_due": outcome.past_due}


def net_agents(cfg: CenterConfig, queues: pd.Series, scheduled: np.ndarray,
               shrinkage: np.ndarray) -> np.ndarray:
    """Agents at work net of shrinkage per row (float): ``floor(scheduled * (1 -
    shrinkage))`` on live queues, which answer with whole agents, and the unrounded
    ``scheduled * (1 - shrinkage)`` on deferred and campaign queues, whose work waits in a
    backlog (the schedule's backlog flows count capacity the same way)."""
    net = scheduled.astype(float) * (1.0 - shrinkage)
    waits = queues.astype(str).isin([q.id for q in cfg.queues
                                     if q.deferred or cfg.campaign_for(q.id) is not None])
    return np.where(waits.to_numpy(), net, np.floor(net + 1e-9))


def project_coverage(cfg: CenterConfig, table: pd.DataFrame) -> pd.DataFrame:
    """The projected figures of a coverage table, from its own columns.

    ``table`` has ``interval_start`` (tz-aware), ``queue``, ``net_agents`` (agents on the
    queue net of shrinkage), ``offered`` and ``aht_seconds``, sorted by interval; each
    deferred queue's rows must be consecutive intervals of the grid. Returns, on the same
    index, ``projected_service_level`` (NaN where it cannot be computed: no volume given,
    nothing offered, contacts without a handle time, outbound work) and for deferred
    queues ``worked``, ``backlog`` and ``past_due`` (items; NaN for other queues).
    """
    out = pd.DataFrame(np.nan, index=table.index,
                       columns=["projected_service_level", *DEFERRED_COLUMNS])
    for queue in cfg.queues:
        mine = table["queue"] == queue.id
        if queue.deferred or cfg.campaign_for(queue.id) is not None:
            rows = table.index[mine]
            if rows.empty or table.loc[rows, "offered"].isna().all():
                continue
            part = table.loc[rows]
            aht = part["aht_seconds"].to_numpy(dtype=float)
            metrics = project_queue(queue, cfg, part["interval_start"].reset_index(drop=True),
                                    part["net_agents"].to_numpy(dtype=float),
                                    part["offered"].fillna(0.0).to_numpy(dtype=float),
                                    np.where(np.isfinite(aht), aht, 0.0))
            for column in ("service_level", *DEFERRED_COLUMNS):
                target = "projected_service_level" if column == "service_level" else column
                out.loc[rows, target] = metrics[column]
            continue
        rows = table.index[mine & table["offered"].notna()]
        if rows.empty:
            continue
        part = table.loc[rows]
        calls = part["offered"].to_numpy(dtype=float)
        aht = part["aht_seconds"].to_numpy(dtype=float)
        known = np.isfinite(aht) & (aht > 0)
        # Handle time is irrelevant where nothing is offered; keep the math finite there.
        metrics = project_metrics(queue, part["net_agents"].to_numpy(dtype=float), calls,
                                  np.where(known, aht, 1.0), cfg.center.interval_minutes)
        # contacts offered without a handle time: the service level cannot be computed
        out.loc[rows, "projected_service_level"] = np.where(
            known | (calls <= 0), metrics["service_level"], np.nan)
    return out


def service_level_modelled(queue: Queue) -> bool:
    """True when wfm projects a service level for the queue: live queues (Erlang) and
    deferred work (answered within its target, from the backlog); not outbound."""
    return queue.channel in LIVE_CHANNELS or queue.deferred


def _check_forecast(forecast: pd.DataFrame, cfg: CenterConfig) -> None:
    missing = [c for c in FORECAST_KEY_COLUMNS if c not in forecast.columns]
    if missing:
        raise BadInput(f"forecast: missing column {missing[0]!r}")
    unknown = set(forecast["queue"]) - {q.id for q in cfg.queues}
    if unknown:
        raise BadInput(f"forecast: unknown queue {sorted(unknown)[0]!r}")
    if (forecast["offered"] < 0).any():
        raise BadInput("forecast: negative offered volume")
    busy = forecast["offered"] > 0
    if (forecast.loc[busy, "aht_seconds"].isna() | (forecast.loc[busy, "aht_seconds"] <= 0)).any():
        raise BadInput("forecast: aht_seconds must be positive where offered is above 0")


def _requirement_rows(cfg: CenterConfig, queue: Queue, stamps: pd.Series, calls: np.ndarray,
                      aht: np.ndarray, needed: np.ndarray, metrics: dict) -> pd.DataFrame:
    """The requirements contract's rows of one queue, shrinkage applied."""
    shrink = shrinkage_rates(stamps, cfg)
    return pd.DataFrame({
        "interval_start": stamps.to_numpy(),
        "queue": queue.id,
        "offered": calls,
        "aht_seconds": np.where(calls > 0, aht, np.nan),
        "agents_needed": needed.astype(np.int64),
        "agents_with_shrinkage": np.ceil(needed / (1.0 - shrink) - 1e-9).astype(np.int64),
        "service_level": metrics["service_level"],
        "asa_seconds": metrics["asa_seconds"],
        "occupancy": metrics["occupancy"],
        "shrinkage": shrink,
    })


def _campaign_rows(cfg: CenterConfig, queue: Queue, campaign, horizon: pd.Series
                   ) -> pd.DataFrame:
    """Requirement rows of a queue a campaign feeds: its plan over the forecast's days.

    ``offered`` holds the planned contacts and ``aht_seconds`` the handle time per contact
    (talk and after-call work); ``attempts``, ``contacts`` and ``abandoned`` the plan.
    """
    from wfm.staffing.campaigns import CAMPAIGN_COLUMNS, campaign_plan

    local = horizon.dt.tz_convert(cfg.center.timezone)
    first, last = local.min().date(), local.max().date()
    grid = interval_grid(cfg.center, first, (last - first).days + 1)
    closed = closed_dates(cfg.center, first, last)
    plan = campaign_plan(campaign, queue, grid, cfg.center.timezone,
                         cfg.center.interval_minutes, first, closed)
    stamps = pd.Series(grid["interval_start"].to_numpy()).dt.tz_convert(cfg.center.timezone)
    calls = plan["contacts"].to_numpy(dtype=float)
    handle = np.full(calls.shape, campaign.aht_seconds + campaign.acw_seconds)
    working = plan["agents_needed"].to_numpy() > 0
    needed = np.where(working, np.maximum(plan["agents_needed"].to_numpy(), queue.min_agents),
                      0)
    metrics = project_metrics(queue, needed, calls, handle, cfg.center.interval_minutes)
    part = _requirement_rows(cfg, queue, stamps, calls, handle, needed, metrics)
    for column in CAMPAIGN_COLUMNS:
        part[column] = plan[column].to_numpy()
    return part


def requirements_from_forecast(forecast: pd.DataFrame, cfg: CenterConfig) -> pd.DataFrame:
    """The requirements contract for every queue and interval of a forecast.

    ``forecast`` has tz-aware ``interval_start``, ``queue``, ``offered`` and
    ``aht_seconds``. Returns the columns of `REQUIREMENT_COLUMNS` (agents as ints,
    service level and occupancy as fractions, ASA in seconds) plus ``shrinkage``, in the
    forecast's row order grouped by queue.
    """
    _check_forecast(forecast, cfg)
    minutes = cfg.center.interval_minutes
    parts = []
    for queue in cfg.queues:
        rows = forecast[forecast["queue"] == queue.id].sort_values("interval_start")
        campaign = cfg.campaign_for(queue.id)
        if rows.empty and campaign is None:
            continue
        if campaign is not None:
            parts.append(_campaign_rows(cfg, queue, campaign, forecast["interval_start"]))
            continue
        stamps = rows["interval_start"].reset_index(drop=True)
        calls = rows["offered"].to_numpy(dtype=float)
        aht = rows["aht_seconds"].fillna(0.0).to_numpy(dtype=float)
        is_open = queue_open_mask(queue, cfg, stamps)
        calls = np.where(is_open, calls, 0.0)
        safe_aht = np.where(calls > 0, aht, 1.0)
        if queue.deferred:
            sized = size_deferred(queue, cfg, stamps, calls, safe_aht, is_open)
        elif queue.channel == "outbound":
            sized = size_outbound(queue, calls, safe_aht, minutes)
        else:
            sized = size_live(queue, calls, safe_aht, minutes)
        needed = np.where(is_open, np.maximum(sized, queue.min_agents), 0)
        metrics = project_queue(queue, cfg, stamps, needed, calls, safe_aht)
        part = _requirement_rows(cfg, queue, stamps, calls, aht, needed, metrics)
        if queue.deferred:
            for column in DEFERRED_COLUMNS:
                part[column] = metrics[column]
        parts.append(part)
    if not parts:
        raise BadInput("forecast: no rows for any configured queue")
    result = pd.concat(parts, ignore_index=True)
    result["interval_start"] = result["interval_start"].dt.tz_convert(cfg.center.timezone)
    return result


def estimate_patience(history: pd.DataFrame) -> dict[str, erlang.PatienceEstimate]:
    """Mean caller patience per queue from history with abandonment and waiting times.

    Needs the optional history columns ``abandoned`` and ``wait_seconds`` (mean time in
    queue over all offered contacts of the interval). Returns queue -> estimate, for the
    queues that have both; an estimate is infinite (with its reason) when nothing was
    abandoned.
    """
    if not {"abandoned", "wait_seconds"} <= set(history.columns):
        return {}
    estimates = {}
    for queue_id, rows in history.groupby("queue", sort=True):
        usable = rows.dropna(subset=["abandoned", "wait_seconds"])
        if usable.empty:
            continue
        estimates[str(queue_id)] = erlang.estimate_patience_seconds(
            usable["abandoned"].to_numpy(float), usable["offered"].to_numpy(float),
            usable["wait_seconds"].to_numpy(float),
        )
    return estimates


def with_estimated_patience(
    cfg: CenterConfig, estimates: dict[str, erlang.PatienceEstimate]
) -> CenterConfig:
    """The config with each voice queue's patience set from a finite estimate (Erlang A)."""
    queues = []
    for queue in cfg.queues:
        estimate = estimates.get(queue.id)
        if queue.channel == "voice" and estimate is not None and \
                np.isfinite(estimate.patience_seconds):
            queue = queue.model_copy(update={
                "patience_seconds": round(float(estimate.patience_seconds), 1),
                "erlang_model": "erlang_a",
            })
        queues.append(queue)
    return cfg.model_copy(update={"queues": queues})


def schedule_requirements(requirements: pd.DataFrame) -> pd.DataFrame:
    """What the scheduler covers: ``interval_start, queue, required`` (agents with shrinkage)."""
    return requirements[["interval_start", "queue"]].assign(
        required=requirements["agents_with_shrinkage"].astype(int)
    )


@dataclass
class QueueStaffingSummary:
    """Headline figures of one queue's requirements."""

    queue: str
    peak_agents: int
    agent_hours: float
    fte: float
    offered: float
    mean_service_level: float
    service_level_modelled: bool


def summarize_requirements(
    requirements: pd.DataFrame, cfg: CenterConfig, fte_weekly_hours: float = 40.0
) -> list[QueueStaffingSummary]:
    """Per queue: peak agents with shrinkage, agent-hours, FTE and volume-weighted SL (NaN
    when wfm does not model the queue's service level or nothing is offered).

    FTE = agent-hours / (weeks in the horizon * ``fte_weekly_hours``).
    """
    hours_per_interval = cfg.center.interval_minutes / 60.0
    days = requirements["interval_start"].dt.date.nunique()
    weeks = max(days, 1) / 7.0
    summaries = []
    for queue in cfg.queues:
        rows = requirements[requirements["queue"] == queue.id]
        if rows.empty:
            continue
        hours = float(rows["agents_with_shrinkage"].sum() * hours_per_interval)
        offered = float(rows["offered"].sum())
        known = rows["service_level"].notna() & (rows["offered"] > 0)
        weight = float(rows.loc[known, "offered"].sum())
        weighted = (float((rows.loc[known, "service_level"] * rows.loc[known, "offered"]).sum()
                          / weight) if weight > 0 else float("nan"))
        summaries.append(QueueStaffingSummary(
            queue=queue.id,
            peak_agents=int(rows["agents_with_shrinkage"].max()),
            agent_hours=hours,
            fte=hours / (weeks * fte_weekly_hours),
            offered=offered,
            mean_service_level=weighted,
            service_level_modelled=service_level_modelled(queue),
        ))
    return summaries



