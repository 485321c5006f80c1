"""The simulation's figures beside the projection: per queue and interval, day and horizon.

Every figure is computed within each replication (a ratio of that replication's counts)
and then averaged over the replications that have it, with a 95% confidence half-width
``t(0.975, n - 1) * sd / sqrt(n)`` (empty with fewer than two). The figures:

- ``offered``, ``answered``, ``abandoned``: contacts per replication (by arrival interval);
- ``service_level``: live queues: contacts answered within the queue's answer time over
  all offered (abandoned ones count as missed, as in Erlang A); deferred queues (email,
  back office): items finished by their due time (``response_hours`` of open time or
  ``due_time`` on the next open day, as the staffing stage sets it) over the items due
  inside the horizon; empty for outbound (no target);
- ``asa_seconds``: mean time to answer or to abandon over the contacts answered or
  abandoned (the staffing math's definition, over all offered);
- ``abandon_rate``: abandoned over offered;
- ``occupancy``: the share of their time on duty the agents the activities put on the
  queue spent handling contacts of any queue (a chat weighs 1 / concurrency).

The projection is coverage.csv's ``projected_service_level``, per day and queue weighted
by offered contacts (the KPI engine's weighting). The projection disagrees beyond the
interval where it lies outside ``service_level +- service_level_ci95``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

from wfm.config import CenterConfig, Queue
from wfm.io.schedule_folder import ScheduleFolder
from wfm.io.tables import (
    DEFERRED_CHANNELS,
    LIVE_CHANNELS,
    SIMULATION_COLUMNS,
    SIMULATION_DAY_COLUMNS,
    SIMULATION_FIGURES,
)
from wfm.roster import Agent
from wfm.verify.simulate import SimulationOptions, SimulationRun, build_model, simulate

#: Each figure as numerator / denominator tallies (a count has no denominator).
_RATIOS = {
    "offered": ("offered", None),
    "answered": ("answered", None),
    "abandoned": ("abandoned", None),
    "service_level": ("within", "judged"),
    "asa_seconds": ("wait_seconds", "waits"),
    "abandon_rate": ("abandoned", "offered"),
    "occupancy": ("busy_seconds", "duty_seconds"),
}


def mean_and_half_width(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over the first axis (replications) ignoring NaN, and the 95% half-width of
    that mean (NaN with fewer than two values)."""
    finite = np.isfinite(values)
    n = finite.sum(axis=0)
    total = np.where(finite, values, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
        squares = np.where(finite, (values - mean) ** 2, 0.0).sum(axis=0)
        sd = np.sqrt(squares / np.maximum(n - 1, 1))
        quantile = stats.t.ppf(0.975, np.maximum(n - 1, 1))
        half = np.where(n >= 2, quantile * sd / np.sqrt(np.maximum(n, 1)), np.nan)
    return mean, half


def _figures(tallies: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each figure's mean and half-width from tallies (replications first)."""
    out = {}
    for figure in SIMULATION_FIGURES:
        top, bottom = _RATIOS[figure]
        values = tallies[top]
        if bottom is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                values = np.where(tallies[bottom] > 0, values / tallies[bottom], np.nan)
        out[figure] = mean_and_half_width(values)
    return out


def _projected(run: SimulationRun, coverage: pd.DataFrame | None) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """coverage.csv's projected service level and offered per interval and queue (NaN
    where the file has no row or no figure)."""
    model = run.model
    shape = (model.intervals, len(model.queue_ids))
    level = np.full(shape, np.nan)
    offered = np.full(shape, np.nan)
    if coverage is None or coverage.empty:
        return level, offered
    position = pd.Series(np.arange(model.intervals),
                         index=pd.DatetimeIndex(model.interval_starts))
    rows = position.reindex(pd.DatetimeIndex(coverage["interval_start"]).tz_convert(
        model.interval_starts.dt.tz)).to_numpy()
    column = coverage["queue"].astype(str).map(
        {q: j for j, q in enumerate(model.queue_ids)}).to_numpy()
    inside = ~pd.isna(rows) & ~pd.isna(column)
    r, c = rows[inside].astype(np.int64), column[inside].astype(np.int64)
    level[r, c] = coverage["projected_service_level"].to_numpy(float)[inside]
    offered[r, c] = coverage["offered"].to_numpy(float)[inside]
    return level, offered


def _target(queue: Queue) -> float:
    """The queue's service-level target (NaN for outbound, which has none)."""
    judged = (*LIVE_CHANNELS, *DEFERRED_CHANNELS)
    return queue.service_level_target if queue.channel in judged else np.nan


def _outside(figures: dict, projected: np.ndarray) -> np.ndarray:
    """True where the projection lies outside the simulated service level's CI."""
    level, half = figures["service_level"]
    with np.errstate(invalid="ignore"):
        return np.isfinite(projected) & np.isfinite(level) & np.isfinite(half) & (
            np.abs(projected - level) > half)


def interval_table(run: SimulationRun, coverage: pd.DataFrame | None) -> pd.DataFrame:
    """One row per interval and queue of the horizon: `SIMULATION_COLUMNS`."""
    model = run.model
    figures = _figures(run.tallies)
    level, _ = _projected(run, coverage)
    intervals, queues = model.intervals, len(model.queue_ids)
    table = pd.DataFrame({
        "interval_start": np.repeat(model.interval_starts.to_numpy(), queues),
        "queue": np.tile(model.queue_ids, intervals),
    })
    table["interval_start"] = table["interval_start"].dt.tz_convert(
        model.interval_starts.dt.tz)
    for figure, (mean, half) in figures.items():
        table[figure] = mean.ravel()
        table[f"{figure}_ci95"] = half.ravel()
    table["projected_service_level"] = level.ravel()
    return table[list(SIMULATION_COLUMNS)]


def _sum_by(tallies: dict[str, np.ndarray], labels: np.ndarray) -> dict[str, np.ndarray]:
    """Tallies summed over the intervals sharing a label: reps x labels x queues."""
    groups = labels.max() + 1 if labels.size else 0
    out = {}
    for name, values in tallies.items():
        summed = np.zeros((values.shape[0], groups, values.shape[2]))
        np.add.at(summed, (slice(None), labels, slice(None)), values)
        out[name] = summed
    return out


def _weighted(level: np.ndarray, offered: np.ndarray, labels: np.ndarray,
              groups: int) -> np.ndarray:
    """Offered-weighted mean projected level per label and queue (NaN: none known)."""
    known = np.isfinite(level) & np.isfinite(offered) & (offered > 0)
    top = np.zeros((groups, level.shape[1]))
    bottom = np.zeros((groups, level.shape[1]))
    np.add.at(top, labels, np.where(known, level * offered, 0.0))
    np.add.at(bottom, labels, np.where(known, offered, 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(bottom > 0, top / bottom, np.nan)


def day_table(cfg: CenterConfig, run: SimulationRun, coverage: pd.DataFrame | None
              ) -> pd.DataFrame:
    """One row per queue and day of the horizon: `SIMULATION_DAY_COLUMNS`.

    ``projection_outside_ci`` compares the day's projected service level with the day's
    simulated one; ``intervals_outside_ci`` counts the day's intervals where the
    projection lies outside the interval's CI, of ``intervals_compared`` (intervals with
    both figures).
    """
    model = run.model
    days = model.interval_starts.dt.date.to_numpy()
    dates = sorted(set(days))
    labels = np.array([dates.index(d) for d in days], dtype=np.int64)
    figures = _figures(_sum_by(run.tallies, labels))
    level, offered = _projected(run, coverage)
    day_level = _weighted(level, offered, labels, len(dates))
    day_outside = _outside(figures, day_level)
    interval_figures = _figures(run.tallies)
    outside = _outside(interval_figures, level).astype(float)
    compared = (np.isfinite(level) & np.isfinite(interval_figures["service_level"][0])
                & np.isfinite(interval_figures["service_level"][1])).astype(float)
    outside_days = np.zeros((len(dates), len(model.queue_ids)))
    compared_days = np.zeros_like(outside_days)
    np.add.at(outside_days, labels, outside)
    np.add.at(compared_days, labels, compared)
    targets = {q.id: _target(q) for q in cfg.queues}
    rows = []
    for d, day in enumerate(dates):
        for j, queue_id in enumerate(model.queue_ids):
            row: dict[str, object] = {"date": day, "queue": queue_id}
            for figure, (mean, half) in figures.items():
                row[figure] = mean[d, j]
                row[f"{figure}_ci95"] = half[d, j]
            row["projected_service_level"] = day_level[d, j]
            row["service_level_target"] = targets[queue_id]
            row["projection_outside_ci"] = bool(day_outside[d, j])
            row["intervals_outside_ci"] = int(outside_days[d, j])
            row["intervals_compared"] = int(compared_days[d, j])
            rows.append(row)
    return pd.DataFrame(rows, columns=list(SIMULATION_DAY_COLUMNS))


def queue_table(cfg: CenterConfig, run: SimulationRun, coverage: pd.DataFrame | None
                ) -> pd.DataFrame:
    """One row per queue over the whole horizon: the figures, the projection (offered-
    weighted) and the target."""
    model = run.model
    labels = np.zeros(model.intervals, dtype=np.int64)
    figures = _figures(_sum_by(run.tallies, labels))
    level, offered = _projected(run, coverage)
    projected = _weighted(level, offered, labels, 1)
    rows = []
    for j, queue in enumerate(cfg.queues):
        row: dict[str, object] = {"queue": queue.id}
        for figure, (mean, half) in figures.items():
            row[figure] = mean[0, j]
            row[f"{figure}_ci95"] = half[0, j]
        row["projected_service_level"] = projected[0, j]
        row["service_level_target"] = _target(queue)
        rows.append(row)
    return pd.DataFrame(rows)


def disagreements(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of `interval_table` where the projection lies outside the simulation's CI."""
    level = table["service_level"].to_numpy(float)
    half = table["service_level_ci95"].to_numpy(float)
    projected = table["projected_service_level"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        outside = (np.isfinite(projected) & np.isfinite(level) & np.isfinite(half)
                   & (np.abs(projected - level) > half))
    return table[outside].reset_index(drop=True)


def _pct(value: float, half: float | None = None) -> str:
    if not np.isfinite(value):
        return "-"
    text = f"{value:.1%}"
    if half is not None and np.isfinite(half):
        text += f" ±{half * 100:.1f}"
    return text


def summary_lines(cfg: CenterConfig, run: SimulationRun, days: pd.DataFrame,
                  queues: pd.DataFrame) -> list[str]:
    """The terminal summary: per queue and day, then per queue over the horizon."""
    lines = [f"{'date':<11}{'queue':<15}{'offered':>9}{'SL sim (95% CI)':>18}"
             f"{'SL proj':>9}{'target':>8}{'ASA s':>8}{'aband.':>8}{'occ.':>7}"
             f"  projection"]
    for row in days.itertuples(index=False):
        if not np.isfinite(row.offered) or row.offered <= 0:
            continue
        verdict = ("outside CI" if row.projection_outside_ci else
                   "inside CI" if np.isfinite(row.projected_service_level)
                   and np.isfinite(row.service_level_ci95) else "-")
        if row.intervals_compared:
            verdict += f"; {row.intervals_outside_ci}/{row.intervals_compared} intervals outside"
        lines.append(
            f"{row.date!s:<11}{row.queue:<15}{row.offered:>9.0f}"
            f"{_pct(row.service_level, row.service_level_ci95):>18}"
            f"{_pct(row.projected_service_level):>9}{_pct(row.service_level_target):>8}"
            f"{row.asa_seconds:>8.1f}{_pct(row.abandon_rate):>8}{_pct(row.occupancy):>7}"
            f"  {verdict}")
    lines.append("")
    lines.append(f"{'horizon':<11}{'queue':<15}{'offered':>9}{'SL sim (95% CI)':>18}"
                 f"{'SL proj':>9}{'target':>8}{'ASA s':>8}{'aband.':>8}{'occ.':>7}")
    for row in queues.itertuples(index=False):
        lines.append(
            f"{'':<11}{row.queue:<15}{row.offered:>9.0f}"
            f"{_pct(row.service_level, row.service_level_ci95):>18}"
            f"{_pct(row.projected_service_level):>9}{_pct(row.service_level_target):>8}"
            f"{row.asa_seconds:>8.1f}{_pct(row.abandon_rate):>8}{_pct(row.occupancy):>7}")
    options = run.options
    lines.append(
        f"{options.reps} replications (seed {options.seed}, {options.routing} routing, "
        f"{options.handle_times} handle times) in {run.seconds:.1f} s on {run.workers} "
        f"processes; {run.contacts.mean():.0f} contacts and {run.absent_shifts.mean():.1f} "
        f"absent shifts per replication")
    lines += [f"note: {note}" for note in run.model.notes]
    return lines


@dataclass
class SimulationReport:
    """A simulated schedule: the replications and every table shown or written."""

    run: SimulationRun
    intervals: pd.DataFrame  # SIMULATION_COLUMNS
    days: pd.DataFrame  # SIMULATION_DAY_COLUMNS
    queues: pd.DataFrame  # per queue over the horizon
    outside: pd.DataFrame  # interval rows whose projection lies outside the CI


def simulate_schedule(cfg: CenterConfig, agents: Sequence[Agent], schedule: ScheduleFolder,
                      volume: pd.DataFrame, start: date, days: int,
                      options: SimulationOptions = SimulationOptions(), replay: bool = False,
                      source: str = "forecast",
                      progress: Callable[[int, int], None] | None = None) -> SimulationReport:
    """Simulate a schedule folder over ``[start, start + days)`` and tabulate the figures
    beside its coverage's projection (see `wfm.verify.simulate.build_model` for
    ``volume`` and ``replay``)."""
    model = build_model(cfg, agents, schedule, volume, start, days, options, replay, source)
    run = simulate(model, options, progress)
    table = interval_table(run, schedule.coverage)
    return SimulationReport(run=run, intervals=table,
                            days=day_table(cfg, run, schedule.coverage),
                            queues=queue_table(cfg, run, schedule.coverage),
                            outside=disagreements(table))
