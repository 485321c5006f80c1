"""What a schedule achieves: coverage, projected service level and KPIs.

Coverage counts the agents whose ``work`` activities serve each queue in each interval
(`wfm.check.scheduled_agents`, so the report and the checker agree by construction) and
compares them with the requirements: ``shortfall = max(0, required - scheduled)``.

The projected service level is computed back from the scheduled agents with the same
queueing math as the staffing stage (`wfm.staffing.project_metrics`): the agents on the
phones are ``net = floor(scheduled * (1 - shrinkage))`` with the interval's configured
shrinkage, and the queue's model and targets come from the config; the offered volume
and handle time come from the requirements' ``offered`` and ``aht_seconds`` columns.
Without them the service level is left empty (NaN). Per queue and day (and per queue
over the horizon) the service level is the offered-weighted mean of the intervals'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from wfm.calendar import interval_grid
from wfm.config import CenterConfig
from wfm.io.tables import COVERAGE_COLUMNS
from wfm.schedule.result import ScheduleResult
from wfm.verify.coverage import scheduled_agents

SUMMARY_COLUMNS = (
    "queue", "required_hours", "scheduled_hours", "shortfall_hours",
    "projected_service_level", "service_level_target",
)
DAILY_COLUMNS = (
    "queue", "date", "required_hours", "scheduled_hours", "shortfall_hours", "offered",
    "projected_service_level",
)


@dataclass
class ScheduleReport:
    """Coverage (file contract), per-queue-and-day figures, per-queue summary and KPIs.

    ``details`` is the coverage with ``offered``, ``aht_seconds``, ``shrinkage`` and
    ``net_agents`` besides the file columns. Hours are agent-hours.
    """

    coverage: pd.DataFrame
    details: pd.DataFrame
    daily: pd.DataFrame
    summary: pd.DataFrame
    kpis: dict


def _shrinkage(stamps: pd.Series, cfg: CenterConfig) -> np.ndarray:
    wall = stamps.dt.tz_localize(None)
    return np.array([cfg.shrinkage.rate(int(d), int(h))
                     for d, h in zip(wall.dt.day_of_week, wall.dt.hour, strict=True)], dtype=float)


def _service_levels(cfg: CenterConfig, table: pd.DataFrame) -> np.ndarray:
    """Projected service level per row of ``table`` (NaN without offered volume)."""
    levels = np.full(len(table), np.nan)
    if "offered" not in table.columns or table.empty:
        return levels
    try:
        from wfm.staffing.requirements import project_metrics
    except ImportError:  # the staffing stage is optional for reading a schedule
        return levels
    minutes = cfg.center.interval_minutes
    for queue in cfg.queues:
        rows = np.flatnonzero((table["queue"] == queue.id).to_numpy()
                              & table["offered"].notna().to_numpy())
        if rows.size == 0:
            continue
        part = table.iloc[rows]
        calls = part["offered"].to_numpy(dtype=float)
        aht = part["aht_seconds"].to_numpy(dtype=float) if "aht_seconds" in part.columns \
            else np.full(rows.size, np.nan)
        # Handle time is irrelevant where nothing is offered; keep the math finite there.
        aht = np.where((calls > 0) & np.isfinite(aht) & (aht > 0), aht, 1.0)
        metrics = project_metrics(queue, part["net_agents"].to_numpy(dtype=float), calls,
                                  aht, minutes)
        levels[rows] = metrics["service_level"]
    return levels


def coverage_details(
    cfg: CenterConfig,
    activities: pd.DataFrame,
    requirements: pd.DataFrame,
    start: date | None = None,
    days: int | None = None,
) -> pd.DataFrame:
    """Coverage per interval and queue with the figures behind it.

    Rows: every (interval, queue) of the requirements, plus any other interval of the
    horizon grid where agents are scheduled (required 0). Returns `COVERAGE_COLUMNS` plus
    ``offered``, ``aht_seconds`` (NaN when unknown), ``shrinkage`` and ``net_agents``,
    sorted by interval and queue.
    """
    zone = cfg.center.timezone
    stamps = [requirements["interval_start"]]
    if start is not None and days is not None:
        stamps.append(interval_grid(cfg.center, start, days)["interval_start"])
    intervals = pd.concat(stamps, ignore_index=True).dt.tz_convert(zone)
    counted = scheduled_agents(cfg, activities, intervals)
    keep = [c for c in ("interval_start", "queue", "required", "offered", "aht_seconds")
            if c in requirements.columns]
    needed = requirements[keep].copy()
    needed["interval_start"] = needed["interval_start"].dt.tz_convert(zone)
    table = counted.merge(needed, on=["interval_start", "queue"], how="left", indicator=True)
    table = table[(table["_merge"] == "both") | (table["scheduled"] > 0)].drop(columns="_merge")
    table["required"] = table["required"].fillna(0).astype(np.int64)
    scheduled = table["scheduled"].to_numpy(dtype=float)
    if np.allclose(scheduled, np.round(scheduled)):
        table["scheduled"] = np.round(scheduled).astype(np.int64)
    table["shortfall"] = np.maximum(table["required"] - table["scheduled"], 0)
    for column in ("offered", "aht_seconds"):
        if column not in table.columns:
            table[column] = np.nan
    table["shrinkage"] = _shrinkage(table["interval_start"], cfg)
    table["net_agents"] = np.floor(
        table["scheduled"].to_numpy(dtype=float) * (1.0 - table["shrinkage"].to_numpy())
        + 1e-9).astype(np.int64)
    table = table.reset_index(drop=True)
    table["projected_service_level"] = _service_levels(cfg, table)
    columns = [*COVERAGE_COLUMNS, "shrinkage", "net_agents"]
    return table[columns].sort_values(["interval_start", "queue"], kind="stable") \
        .reset_index(drop=True)


def _weighted_level(group: pd.DataFrame) -> float:
    """Offered-weighted mean service level; NaN when nothing is known."""
    known = group["projected_service_level"].notna() & group["offered"].notna()
    offered = group.loc[known, "offered"].to_numpy(dtype=float)
    levels = group.loc[known, "projected_service_level"].to_numpy(dtype=float)
    if offered.size == 0:
        return float("nan")
    if offered.sum() <= 0:
        return float(levels.mean())
    return float((levels * offered).sum() / offered.sum())


def _hours(group: pd.DataFrame, column: str, interval_hours: float) -> float:
    return float(group[column].sum() * interval_hours)


def daily_figures(cfg: CenterConfig, details: pd.DataFrame) -> pd.DataFrame:
    """Per queue and local date: agent-hours required, scheduled, short; projected SL."""
    hours = cfg.center.interval_minutes / 60.0
    rows = []
    dated = details.assign(date=details["interval_start"].dt.date)
    for (queue, day), group in dated.groupby(["queue", "date"], sort=True):
        rows.append({
            "queue": queue, "date": day,
            "required_hours": _hours(group, "required", hours),
            "scheduled_hours": _hours(group, "scheduled", hours),
            "shortfall_hours": _hours(group, "shortfall", hours),
            "offered": float(group["offered"].sum(min_count=1)),
            "projected_service_level": _weighted_level(group),
        })
    return pd.DataFrame(rows, columns=list(DAILY_COLUMNS))


def queue_summary(cfg: CenterConfig, details: pd.DataFrame) -> pd.DataFrame:
    """Per configured queue over the horizon: agent-hours, shortfall, SL vs target."""
    hours = cfg.center.interval_minutes / 60.0
    rows = []
    for queue in cfg.queues:
        group = details[details["queue"] == queue.id]
        rows.append({
            "queue": queue.id,
            "required_hours": _hours(group, "required", hours),
            "scheduled_hours": _hours(group, "scheduled", hours),
            "shortfall_hours": _hours(group, "shortfall", hours),
            "projected_service_level": _weighted_level(group) if len(group) else float("nan"),
            "service_level_target": queue.service_level_target,
        })
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def _json_number(value: object) -> object:
    """Floats for JSON: NaN and infinities become null."""
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) or math.isinf(number) else number


def schedule_kpis(
    result: ScheduleResult,
    summary: pd.DataFrame,
    daily: pd.DataFrame,
    start: date | None = None,
    days: int | None = None,
) -> dict:
    """The kpis.json mapping: solver figures, horizon, totals and per-queue figures.

    Objective figures are in the objective's weighted points; hours are agent-hours;
    service levels are fractions (null when no volume was given).
    """
    shifts = result.shifts
    coverage_gap = None
    if result.coverage_objective:
        coverage_gap = max(0.0, (result.coverage_objective - result.coverage_bound)
                           / abs(result.coverage_objective))
    elif result.coverage_objective == 0:
        coverage_gap = 0.0
    queues = {}
    for record in summary.to_dict("records"):
        by_day = daily[daily["queue"] == record["queue"]]
        queues[record["queue"]] = {
            "required_hours": _json_number(record["required_hours"]),
            "scheduled_hours": _json_number(record["scheduled_hours"]),
            "shortfall_hours": _json_number(record["shortfall_hours"]),
            "projected_service_level": _json_number(record["projected_service_level"]),
            "service_level_target": _json_number(record["service_level_target"]),
            "service_level_by_day": {
                d.isoformat(): _json_number(v)
                for d, v in zip(by_day["date"], by_day["projected_service_level"], strict=True)
            },
        }
    return {
        "status": result.status,
        "objective": _json_number(result.objective),
        "best_bound": _json_number(result.best_bound),
        "gap": _json_number(result.gap),
        "coverage_objective": _json_number(result.coverage_objective),
        "coverage_bound": _json_number(result.coverage_bound),
        "coverage_gap": _json_number(coverage_gap),
        "wall_seconds": _json_number(result.wall_seconds),
        "first_solution_seconds": _json_number(result.first_solution_seconds),
        "horizon": ({"start": start.isoformat(), "days": int(days)}
                    if start is not None and days is not None else None),
        "agents_scheduled": int(shifts["agent_id"].nunique()) if len(shifts) else 0,
        "shifts": len(shifts),
        "paid_hours": float(shifts["paid_minutes"].sum() / 60.0) if len(shifts) else 0.0,
        "required_hours": _json_number(summary["required_hours"].sum()),
        "scheduled_hours": _json_number(summary["scheduled_hours"].sum()),
        "shortfall_hours": _json_number(summary["shortfall_hours"].sum()),
        "queues": queues,
        "penalties": {k: _json_number(v) for k, v in result.penalties.items()},
        "notes": list(result.notes),
    }


def build_report(
    cfg: CenterConfig,
    result: ScheduleResult,
    requirements: pd.DataFrame,
    start: date | None = None,
    days: int | None = None,
) -> ScheduleReport:
    """Coverage, daily and per-queue figures and KPIs of a solved schedule.

    ``requirements`` has ``interval_start`` (tz-aware), ``queue``, ``required`` and
    optionally ``offered`` and ``aht_seconds`` (for the projected service level).
    """
    details = coverage_details(cfg, result.activities, requirements, start, days)
    daily = daily_figures(cfg, details)
    summary = queue_summary(cfg, details)
    kpis = schedule_kpis(result, summary, daily, start, days)
    return ScheduleReport(coverage=details[list(COVERAGE_COLUMNS)].copy(), details=details,
                          daily=daily, summary=summary, kpis=kpis)
