"""From forecast to requirements: the agents each queue needs in each interval.

Channel rules:
- voice: Erlang C, or Erlang A when the queue has a patience; every target in the queue
  config holds together (service level, max ASA, max occupancy, max abandonment);
- chat: an agent works ``concurrency`` chats at once, so each chat occupies an agent for
  ``aht_seconds / concurrency`` and the queue is sized with Erlang C on that handle time;
- email and other deferred work: the workload is spread so every item is answered within
  ``response_hours`` of open time (`wfm.erlang.deferred_agents`);
- outbound: workload over occupancy (agents dial at their own pace).

Then ``min_agents`` on every open interval, zero when closed, and shrinkage:
``agents_with_shrinkage = ceil(agents_needed / (1 - shrinkage))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wfm import erlang
from wfm.calendar import interval_grid
from wfm.config import WEEKDAYS, CenterConfig, Queue
from wfm.errors import BadInput

FORECAST_COLUMNS = ("interval_start", "queue", "offered", "aht_seconds")
REQUIREMENT_COLUMNS = (
    "interval_start", "queue", "offered", "aht_seconds", "agents_needed",
    "agents_with_shrinkage", "service_level", "asa_seconds", "occupancy",
)


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


def _effective_aht(queue: Queue, aht: np.ndarray) -> np.ndarray:
    """Seconds of agent capacity one contact occupies (chat shares an agent)."""
    return aht / queue.concurrency


def _voice_like(queue: Queue, calls: np.ndarray, aht: np.ndarray, minutes: int) -> dict:
    """Agents and projected figures for a queue sized with Erlang C or A."""
    effective = _effective_aht(queue, aht)
    patience = queue.patience_seconds if queue.model == "erlang_a" else None
    agents = erlang.agents_needed(
        calls, effective, minutes,
        service_level_target=queue.service_level_target,
        answer_seconds=queue.answer_seconds,
        max_asa_seconds=queue.max_asa_seconds,
        max_occupancy=queue.max_occupancy,
        patience_seconds=patience,
        max_abandon=queue.max_abandon_rate if patience is not None else None,
    )
    metrics = project_metrics(queue, agents, calls, aht, minutes)
    return {"agents_needed": agents, **metrics}


def project_metrics(
    queue: Queue, agents: np.ndarray, calls: np.ndarray, aht: np.ndarray, minutes: int
) -> dict[str, np.ndarray]:
    """Service level, ASA (seconds) and occupancy a queue gets with ``agents`` per interval.

    Intervals without contacts report service level 1, ASA 0 and occupancy 0. For
    deferred work the service level is the share answered within the response time (1
    when the agents follow the workload plan) and ASA is not defined (NaN).
    """
    agents = np.asarray(agents, dtype=float)
    calls = np.asarray(calls, dtype=float)
    aht = np.asarray(aht, dtype=float)
    out = {
        "service_level": np.ones_like(calls),
        "asa_seconds": np.zeros_like(calls),
        "occupancy": np.zeros_like(calls),
    }
    busy = calls > 0
    if queue.channel in ("email", "outbound"):
        workload = calls * aht / (minutes * 60.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            occ = np.where(agents > 0, np.minimum(workload / np.maximum(agents, 1e-9), 1.0), 0.0)
        out["occupancy"] = np.where(busy, occ, 0.0)
        out["asa_seconds"] = np.where(busy, np.nan, 0.0)
        out["service_level"] = np.where(busy & (agents <= 0), 0.0, 1.0)
        return out
    if not busy.any():
        return out
    effective = _effective_aht(queue, aht[busy])
    n = np.maximum(agents[busy], 0.0)
    if queue.model == "erlang_a":
        metrics = erlang.erlang_a_metrics(n, calls[busy], effective, minutes,
                                          queue.patience_seconds, queue.answer_seconds)
    else:
        metrics = erlang.erlang_c_metrics(n, calls[busy], effective, minutes,
                                          queue.answer_seconds)
    out["service_level"][busy] = metrics.service_level
    out["asa_seconds"][busy] = metrics.asa_seconds
    out["occupancy"][busy] = metrics.occupancy
    return out


def _deferred(queue: Queue, calls: np.ndarray, aht: np.ndarray, minutes: int,
              is_open: np.ndarray) -> dict:
    """Agents for deferred work over the open intervals only (the clock runs when open)."""
    agents = np.zeros(calls.shape, dtype=np.int64)
    open_index = np.flatnonzero(is_open)
    if open_index.size:
        # Work arriving while closed waits for the next open interval.
        carried = np.zeros(open_index.size)
        slot = np.searchsorted(open_index, np.arange(calls.size), side="left")
        inside = slot < open_index.size
        np.add.at(carried, slot[inside], calls[inside] * aht[inside])
        # Work arriving near the end of the horizon is finished after it, at the same
        # pace: pad with empty intervals rather than squeeze it into the last ones.
        window = max(1, int(queue.response_hours * 60 // minutes))
        padded = np.concatenate([carried, np.zeros(window)])
        # Workload in seconds, passed as items of one second each.
        agents[open_index] = erlang.deferred_agents(
            padded, 1.0, minutes, queue.response_hours * 60.0, queue.max_occupancy
        )[: open_index.size]
    metrics = project_metrics(queue, agents, calls, aht, minutes)
    return {"agents_needed": agents, **metrics}


def _outbound(queue: Queue, calls: np.ndarray, aht: np.ndarray, minutes: int) -> dict:
    workload = calls * aht / (minutes * 60.0)
    agents = np.ceil(workload / queue.max_occupancy - 1e-9).astype(np.int64)
    metrics = project_metrics(queue, agents, calls, aht, minutes)
    return {"agents_needed": agents, **metrics}


def _check_forecast(forecast: pd.DataFrame, cfg: CenterConfig) -> None:
    missing = [c for c in FORECAST_COLUMNS if c not in forecast.columns]
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
        is_open = _open_mask(rows, cfg).to_numpy()
        calls = np.where(is_open, calls, 0.0)
        safe_aht = np.where(calls > 0, aht, 1.0)
        if queue.channel == "email":
            sized = _deferred(queue, calls, safe_aht, minutes, is_open)
        elif queue.channel == "outbound":
            sized = _outbound(queue, calls, safe_aht, minutes)
        else:
            sized = _voice_like(queue, calls, safe_aht, minutes)
        needed = np.where(is_open, np.maximum(sized["agents_needed"], queue.min_agents), 0)
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


def summarize_requirements(
    requirements: pd.DataFrame, cfg: CenterConfig, fte_weekly_hours: float = 40.0
) -> list[QueueStaffingSummary]:
    """Per queue: peak agents with shrinkage, agent-hours, FTE and volume-weighted SL.

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
        weighted = float((rows["service_level"] * rows["offered"]).sum() / offered) \
            if offered > 0 else 1.0
        summaries.append(QueueStaffingSummary(
            queue=queue.id,
            peak_agents=int(rows["agents_with_shrinkage"].max()),
            agent_hours=hours,
            fte=hours / (weeks * fte_weekly_hours),
            offered=offered,
            mean_service_level=weighted,
        ))
    return summaries


def explain_interval(forecast: pd.DataFrame, cfg: CenterConfig, queue_id: str,
                     interval_start: pd.Timestamp) -> list[tuple[str, str]]:
    """Every input and step from volume and handle time to the agents needed, in words.

    Returns (step, value) pairs an analyst can reproduce by hand.
    """
    queue = cfg.queue(queue_id)
    rows = forecast[forecast["queue"] == queue_id]
    stamp = interval_start if interval_start.tzinfo else interval_start.tz_localize(
        cfg.center.timezone, ambiguous=True)
    match = rows[rows["interval_start"] == stamp]
    if match.empty:
        raise BadInput(f"forecast: no row for queue {queue_id!r} at {interval_start}")
    req = requirements_from_forecast(rows, cfg)
    row = req[req["interval_start"] == stamp].iloc[0]
    minutes = cfg.center.interval_minutes
    calls = float(row["offered"])
    aht = float(match["aht_seconds"].iloc[0]) if calls > 0 else 0.0
    wall = stamp.tz_localize(None)
    shrink = float(row["shrinkage"])
    steps: list[tuple[str, str]] = [
        ("queue", f"{queue.id} ({queue.channel}, skill {queue.skill}, language {queue.language})"),
        ("interval", f"{wall:%Y-%m-%d %H:%M} {WEEKDAYS[wall.day_of_week]}, {minutes} minutes"),
        ("offered contacts", f"{calls:.2f}"),
        ("average handle time", f"{aht:.1f} s"),
    ]
    if queue.concurrency > 1:
        steps.append(("concurrency", f"{queue.concurrency} chats per agent -> effective handle "
                                     f"time {aht / queue.concurrency:.1f} s"))
    effective = aht / queue.concurrency
    traffic = calls * effective / (minutes * 60)
    steps.append(("traffic", f"{calls:.2f} x {effective:.1f} s / {minutes * 60} s = "
                             f"{traffic:.3f} erlangs"))
    if queue.channel == "email":
        steps.append(("method", f"deferred work answered within {queue.response_hours:g} open "
                                f"hours, max occupancy {queue.max_occupancy:.0%}"))
    elif queue.channel == "outbound":
        steps.append(("method", f"workload / max occupancy {queue.max_occupancy:.0%}"))
    else:
        model = "Erlang A" if queue.model == "erlang_a" else "Erlang C"
        targets = [f"service level {queue.service_level_target:.0%} in "
                   f"{queue.answer_seconds:g} s", f"max occupancy {queue.max_occupancy:.0%}"]
        if queue.max_asa_seconds:
            targets.append(f"ASA at most {queue.max_asa_seconds:g} s")
        if queue.model == "erlang_a":
            targets.append(f"patience {queue.patience_seconds:g} s")
        steps.append(("method", f"{model}; targets: " + "; ".join(targets)))
        if calls > 0:
            base = int(row["agents_needed"])
            for n in range(max(base - 2, 1), base + 2):
                m = project_metrics(queue, np.array([n]), np.array([calls]), np.array([aht]),
                                    minutes)
                mark = "  <- minimum meeting every target" if n == base else ""
                steps.append((f"with {n} agents",
                              f"SL {m['service_level'][0]:.1%}, ASA {m['asa_seconds'][0]:.1f} s, "
                              f"occupancy {m['occupancy'][0]:.1%}{mark}"))
    steps.append(("minimum staffed", f"{queue.min_agents} on every open interval"))
    steps.append(("agents needed", f"{int(row['agents_needed'])}"))
    steps.append(("shrinkage", f"{shrink:.0%} ({WEEKDAYS[wall.day_of_week]} {wall.hour:02d}h)"))
    steps.append(("agents with shrinkage",
                  f"ceil({int(row['agents_needed'])} / (1 - {shrink:.2f})) = "
                  f"{int(row['agents_with_shrinkage'])}"))
    return steps

