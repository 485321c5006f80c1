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

from wfm.calendar import interval_grid
from wfm.config import CenterConfig, Queue
from wfm.errors import BadInput
from wfm.io.tables import FORECAST_KEY_COLUMNS, LIVE_CHANNELS
from wfm.staffing import erlang
from wfm.staffing.deferred import project_deferred, size_deferred
from wfm.staffing.live import project_live, size_live
from wfm.staffing.outbound import project_outbound, size_outbound

_PROJECTORS = {"voice": project_live, "chat": project_live, "email": project_deferred,
               "outbound": project_outbound}


def _open_mask(frame: pd.DataFrame, cfg: CenterConfig) -> pd.Series:
    """True where an interval lies inside opening hours on an open day."""
    stamps = frame["interval_start"]
    first = stamps.min().date()
    days = (stamps.max().date() - first).days + 1
    grid = interval_grid(cfg.center, first, days)
    open_set = set(grid.loc[grid["is_open"], "interval_start"])
    return stamps.isin(open_set)


def shrinkage_rates(stamps: pd.Series, cfg: CenterConfig) -> np.ndarray:
    """Shrinkage per interval (fraction), by weekday and hour as configured."""
    wall = stamps.dt.tz_localize(None)
    keys = zip(wall.dt.day_of_week, wall.dt.hour, strict=True)
    return np.array([cfg.shrinkage.rate(day, hour) for day, hour in keys], dtype=float)






def project_metrics(
    queue: Queue, agents: np.ndarray, calls: np.ndarray, aht_seconds: np.ndarray, minutes: int
) -> dict[str, np.ndarray]:
    """Service level, ASA (seconds) and occupancy a queue gets with ``agents`` per interval.

    Arrays of the intervals' shape. Live queues (voice, chat) are projected with Erlang C
    or A; a value wfm does not model (service level and ASA of deferred and outbound work,
    any figure of an interval without contacts) is NaN.
    """
    agents = np.asarray(agents, dtype=float)
    calls = np.asarray(calls, dtype=float)
    aht_seconds = np.asarray(aht_seconds, dtype=float)
    project = _PROJECTORS[queue.channel]
    return project(queue, agents, calls, aht_seconds, minutes)


def service_level_modelled(queue: Queue) -> bool:
    """True when wfm projects a service level for the queue's channel (voice and chat)."""
    return queue.channel in LIVE_CHANNELS


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
        if rows.empty:
            continue
        calls = rows["offered"].to_numpy(dtype=float)
        aht = rows["aht_seconds"].fillna(0.0).to_numpy(dtype=float)
        is_open = (_open_mask(rows, cfg)
                   & ~rows["interval_start"].dt.date.isin(set(queue.closed_dates))).to_numpy()
        calls = np.where(is_open, calls, 0.0)
        safe_aht = np.where(calls > 0, aht, 1.0)
        if queue.channel == "email":
            sized = size_deferred(queue, calls, safe_aht, minutes, is_open)
        elif queue.channel == "outbound":
            sized = size_outbound(queue, calls, safe_aht, minutes)
        else:
            sized = size_live(queue, calls, safe_aht, minutes)
        needed = np.where(is_open, np.maximum(sized, queue.min_agents), 0)
        shrink = shrinkage_rates(rows["interval_start"], cfg)
        with_shrinkage = np.ceil(needed / (1.0 - shrink) - 1e-9).astype(np.int64)
        metrics = project_metrics(queue, needed, calls, safe_aht, minutes)
        parts.append(pd.DataFrame({
            "interval_start": rows["interval_start"].to_numpy(),
            "queue": queue.id,
            "offered": calls,
            "aht_seconds": np.where(calls > 0, aht, np.nan),
            "agents_needed": needed.astype(np.int64),
            "agents_with_shrinkage": with_shrinkage,
            "service_level": metrics["service_level"],
            "asa_seconds": metrics["asa_seconds"],
            "occupancy": metrics["occupancy"],
            "shrinkage": shrink,
        }))
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



