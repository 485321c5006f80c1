"""The checker's coverage rules: its own count of agents per queue and interval from the
``work`` rows, and a written coverage table checked against that count, the horizon, the
requirements, the queueing math and ``kpis.json`` (how each rule is read: `wfm.verify.check`).

Nothing here is shared with the report that writes the coverage (`wfm.reports.kpis`): the
count is `scheduled_agents` below, and the service level is recomputed from the file's
own columns with the staffing stage's queueing math.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta

import numpy as np
import pandas as pd

from wfm.calendar import interval_grid
from wfm.config import CenterConfig
from wfm.io.tables import COVERAGE_FILE, KPIS_FILE, WORK
from wfm.staffing.requirements import net_agents, project_coverage
from wfm.verify.check import (
    COVERAGE,
    HORIZON,
    KPIS,
    REQUIREMENTS,
    SERVICE_LEVEL,
    Violation,
    _utc_seconds,
)

#: The coverage columns kpis.json sums per queue and in total, as ``<column>_hours``.
HOUR_COLUMNS = ("required", "scheduled", "shortfall")
#: How far a written service level may lie from the recomputed one.
SERVICE_LEVEL_TOLERANCE = 1e-6
#: Items of deferred work are written with the file's float precision.
ITEMS_TOLERANCE = 1e-6
#: Coverage columns recomputed from the others by the staffing math.
PROJECTED_COLUMNS = ("projected_service_level", "worked", "backlog", "past_due")


def scheduled_agents(
    cfg: CenterConfig, activities: pd.DataFrame, intervals: pd.Series
) -> pd.DataFrame:
    """Agents serving each queue in each interval, recomputed from ``work`` activities.

    ``intervals`` are tz-aware interval starts on the center's grid (duplicates ignored).
    Returns ``interval_start, queue, scheduled`` for every interval and configured queue,
    where ``scheduled`` is the number of agents working that queue, counting an agent who
    works part of the interval by the share of it worked (so aligned schedules give whole
    numbers).
    """
    step = cfg.center.interval_minutes * 60
    zone = cfg.center.timezone
    stamps = pd.Series(pd.to_datetime(intervals).dt.tz_convert(zone).unique())
    stamps = stamps.sort_values().reset_index(drop=True)
    queue_ids = [q.id for q in cfg.queues]
    counts = np.zeros((len(stamps), len(queue_ids)))
    work = activities[activities["activity"].astype(str) == WORK] if len(activities) else activities
    if len(work) and len(stamps):
        grid = _utc_seconds(stamps)
        starts = _utc_seconds(work["start"])
        ends = _utc_seconds(work["end"])
        column = pd.Series(work["queue"].astype(str).to_numpy()).map(
            {q: i for i, q in enumerate(queue_ids)}).to_numpy()
        keep = ~pd.isna(column) & (ends > starts)
        starts, ends = starts[keep], ends[keep]
        column = column[keep].astype(np.int64)
        # Each activity touches the grid slots from the one holding its start to the one
        # holding its last second; the grid is regular in UTC, so DST needs no care.
        origin = int(grid[0])
        first_slot = np.floor_divide(starts - origin, step)
        last_slot = np.floor_divide(ends - 1 - origin, step)
        spans = np.maximum(last_slot - first_slot + 1, 0)
        which = np.repeat(np.arange(len(starts)), spans)
        slot = np.repeat(first_slot, spans) + (np.arange(spans.sum())
                                               - np.repeat(np.cumsum(spans) - spans, spans))
        slot_start = origin + slot * step
        overlap = (np.minimum(ends[which], slot_start + step)
                   - np.maximum(starts[which], slot_start)) / step
        position = np.searchsorted(grid, slot_start)
        on_grid = (position < len(grid)) & (grid[np.minimum(position, len(grid) - 1)]
                                            == slot_start)
        np.add.at(counts, (position[on_grid], column[which][on_grid]), overlap[on_grid])
    repeat = np.repeat(np.arange(len(stamps)), len(queue_ids))
    return pd.DataFrame({
        "interval_start": stamps.iloc[repeat].reset_index(drop=True),
        "queue": np.tile(queue_ids, len(stamps)),
        "scheduled": counts.reshape(-1).round(6),
    })


def _keyed(table: pd.DataFrame, zone: str) -> pd.DataFrame:
    """``table`` with ``key`` (interval start in UTC seconds, for exact joins) and ``day``
    (local date of the interval)."""
    local = pd.to_datetime(table["interval_start"]).dt.tz_convert(zone)
    keys = _utc_seconds(local) if len(table) else np.zeros(0, dtype=np.int64)
    return table.assign(key=keys, day=local.dt.date.to_numpy(), interval_start=local) \
        .reset_index(drop=True)


def _where(stamp: object, queue: object) -> str:
    """``2026-03-16T09:00 billing_es``: an interval and queue for messages."""
    return f"{pd.Timestamp(stamp):%Y-%m-%dT%H:%M} {queue}"


def _shown(value: object) -> str:
    """A number for messages; ``empty`` for a missing one."""
    number = float(value)  # type: ignore[arg-type]
    return "empty" if math.isnan(number) else f"{number:.10g}"


def _same(actual: np.ndarray, expected: np.ndarray, tolerance: float = 1e-9) -> np.ndarray:
    """True where two float arrays agree: both empty, or both numbers within tolerance."""
    both_empty = np.isnan(actual) & np.isnan(expected)
    with np.errstate(invalid="ignore"):
        close = np.abs(actual - expected) <= tolerance * np.maximum(1.0, np.abs(expected))
    return both_empty | close


def _capped(found: list[Violation], limit: int, what: str) -> list[Violation]:
    """The first ``limit`` violations, then one that counts the rest (``N more <what>``)."""
    if len(found) <= limit:
        return found
    extra = len(found) - limit
    return found[:limit] + [Violation(found[0].rule, None, None, f"{extra} more {what}")]


def requirements_in_horizon(requirements: pd.DataFrame, zone: str, start: date, days: int
                            ) -> pd.DataFrame:
    """The requirement rows on the horizon's local dates, keyed like `_keyed`."""
    table = _keyed(requirements, zone)
    inside = (table["day"] >= start) & (table["day"] < start + timedelta(days=days))
    return table[inside.to_numpy()].reset_index(drop=True)


def expected_projection(cfg: CenterConfig, coverage: pd.DataFrame) -> pd.DataFrame:
    """The projected figures each coverage row must carry (NaN: must be empty).

    Recomputed from the rows' own ``scheduled``, ``offered`` and ``aht_seconds`` with
    ``net = floor(scheduled * (1 - shrinkage))`` agents (unrounded on deferred and campaign
    queues: `net_agents`), the shrinkage configured for the interval's local weekday and
    hour, and the queue's model, by the staffing math
    (`wfm.staffing.requirements.project_coverage`): ``projected_service_level`` (NaN for
    outbound queues, without offered volume, with nothing offered, or with contacts
    offered and no positive handle time) and, for deferred queues, ``worked``,
    ``backlog`` and ``past_due`` (items, from the backlog worked first in, first out over
    the queue's rows in time order).
    """
    if coverage.empty:
        return pd.DataFrame(columns=PROJECTED_COLUMNS, dtype=float)
    stamps = pd.to_datetime(coverage["interval_start"]).dt.tz_convert(cfg.center.timezone)
    wall = stamps.dt.tz_localize(None)
    shrinkage = np.array([cfg.shrinkage.rate(int(day), int(hour)) for day, hour
                          in zip(wall.dt.day_of_week, wall.dt.hour, strict=True)], dtype=float)
    table = pd.DataFrame({
        "interval_start": stamps, "queue": coverage["queue"].astype(str),
        "net_agents": net_agents(cfg, coverage["queue"],
                                 coverage["scheduled"].to_numpy(dtype=float), shrinkage),
        "offered": coverage["offered"].to_numpy(dtype=float),
        "aht_seconds": coverage["aht_seconds"].to_numpy(dtype=float),
    }, index=coverage.index)
    ordered = table.sort_values("interval_start", kind="stable")
    return project_coverage(cfg, ordered).reindex(coverage.index)[list(PROJECTED_COLUMNS)]


class _CoverageChecker:
    """Collects the violations of one coverage table; one method per rule family."""

    def __init__(self, cfg: CenterConfig, coverage: pd.DataFrame, limit: int = 20) -> None:
        self.cfg = cfg
        self.zone = cfg.center.timezone
        self.table = _keyed(coverage, self.zone)
        self.limit = limit
        self.found: list[Violation] = []

    def add(self, found: list[Violation], what: str) -> None:
        self.found += _capped(found, self.limit, what)

    def recount(self, activities: pd.DataFrame, intervals: pd.Series | None = None
                ) -> pd.DataFrame:
        """`scheduled_agents` at the table's intervals and ``intervals``, keyed."""
        stamps = [self.table["interval_start"]] + ([intervals] if intervals is not None else [])
        return _keyed(scheduled_agents(self.cfg, activities, pd.concat(stamps)), self.zone)

    def rows(self, grid: pd.DataFrame, requirements: pd.DataFrame | None,
             recount: pd.DataFrame) -> None:
        """Rows on the horizon's interval grid (``grid``: `interval_grid`, keyed), each once,
        wherever a requirement exists or the activities (``recount``) put agents at work."""
        start, last = min(grid["day"]), max(grid["day"])
        self.placement(grid, start, last)
        needed = self.needed(grid, requirements, (last - start).days + 1)
        worked = recount[(recount["scheduled"].to_numpy() > 0)
                         & recount["key"].isin(set(grid["key"])).to_numpy()]
        worked = worked.assign(why=[f"the activities give {n:g} agents at work"
                                    for n in worked["scheduled"]])
        columns = ["key", "queue", "interval_start", "day", "why"]
        needed = pd.concat([needed[columns], worked[columns]], ignore_index=True) \
            .drop_duplicates(["key", "queue"])
        self.missing_rows(needed, start, last)

    def placement(self, grid: pd.DataFrame, start: date, last: date) -> None:
        """Rows outside the horizon (one violation a day), off the grid, of an unknown
        queue, or repeated."""
        table = self.table
        inside = ((table["day"] >= start) & (table["day"] <= last)).to_numpy()
        outside = table.loc[~inside, "day"].value_counts().sort_index()
        self.add([Violation(HORIZON, None, day, f"{COVERAGE_FILE} has {count} rows on {day}, "
                            f"outside the horizon {start}..{last}")
                  for day, count in outside.items()], "days outside the horizon")
        on_grid = table["key"].isin(set(grid["key"])).to_numpy()
        known = table["queue"].isin([q.id for q in self.cfg.queues]).to_numpy()
        twice = table.duplicated(["key", "queue"]).to_numpy()
        misplaced = []
        for i in np.flatnonzero(inside & (~on_grid | ~known | twice)):
            row = table.iloc[i]
            where = _where(row["interval_start"], row["queue"])
            if not on_grid[i]:
                why = f"is not on the {self.cfg.center.interval_minutes}-minute grid"
            elif not known[i]:
                why = "names a queue that is not configured"
            else:
                why = "appears more than once"
            misplaced.append(Violation(COVERAGE, None, row["day"], f"{where} {why}"))
        self.add(misplaced, f"misplaced {COVERAGE_FILE} rows")

    def needed(self, grid: pd.DataFrame, requirements: pd.DataFrame | None, days: int
               ) -> pd.DataFrame:
        """The rows a requirement asks for (keyed, with ``why``): the requirements' inside
        the horizon, or without them every configured queue at every open interval."""
        if requirements is not None:
            return requirements_in_horizon(requirements, self.zone, min(grid["day"]), days) \
                .assign(why="the requirements have one")
        queue_ids = [q.id for q in self.cfg.queues]
        open_grid = grid[grid["is_open"].to_numpy()]
        return open_grid.loc[open_grid.index.repeat(len(queue_ids))].assign(
            queue=np.tile(queue_ids, len(open_grid)), why="an open interval of a configured queue")

    def missing_rows(self, needed: pd.DataFrame, start: date, last: date) -> None:
        """Flag the rows of ``needed`` (keyed, with ``why`` they are needed) that the table
        lacks; a day of the horizon without any row is flagged once."""
        present = set(zip(self.table["key"], self.table["queue"], strict=True))
        lacking = np.array([(k, q) not in present for k, q
                            in zip(needed["key"], needed["queue"], strict=True)], dtype=bool)
        missing = needed[lacking].sort_values(["key", "queue"])
        covered_days = set(self.table["day"])
        empty_days = sorted(set(missing["day"]) - covered_days)
        self.add([Violation(HORIZON, None, day, f"{COVERAGE_FILE} has no rows on {day}, a day "
                            f"of the horizon {start}..{last}") for day in empty_days],
                 "days of the horizon without coverage rows")
        rows = missing[missing["day"].isin(covered_days).to_numpy()]
        self.add([Violation(COVERAGE, None, day, f"no row for {_where(stamp, queue)} ({why})")
                  for stamp, queue, day, why in zip(rows["interval_start"], rows["queue"],
                                                    rows["day"], rows["why"], strict=True)],
                 f"missing {COVERAGE_FILE} rows")

    def counts(self, recount: pd.DataFrame) -> None:
        """``scheduled`` as ``recount`` (keyed `scheduled_agents`) gives it, and
        ``shortfall = max(0, required - scheduled)``."""
        if self.table.empty:
            return
        merged = self.table.merge(recount[["key", "queue", "scheduled"]].rename(
            columns={"scheduled": "recount"}), on=["key", "queue"], how="left")
        merged["recount"] = merged["recount"].fillna(0.0)
        self.add(self.wrong_counts(merged), f"{COVERAGE_FILE} rows disagree")

    @staticmethod
    def wrong_counts(merged: pd.DataFrame) -> list[Violation]:
        scheduled = merged["scheduled"].to_numpy(dtype=float)
        wrong_count = ~np.isclose(scheduled, merged["recount"].to_numpy(dtype=float))
        expected = np.maximum(merged["required"].to_numpy(dtype=float) - scheduled, 0.0)
        wrong_short = ~np.isclose(merged["shortfall"].to_numpy(dtype=float), expected)
        found = []
        for i in np.flatnonzero(wrong_count | wrong_short):
            row = merged.iloc[i]
            where = _where(row["interval_start"], row["queue"])
            if wrong_count[i]:
                message = (f"{where}: scheduled {row['scheduled']:g} but the activities give "
                           f"{row['recount']:g}")
            else:
                message = (f"{where}: shortfall {row['shortfall']:g} but required - scheduled "
                           f"gives {expected[i]:g}")
            found.append(Violation(COVERAGE, None, row["day"], message))
        return found

    def requirements(self, requirements: pd.DataFrame, start: date, days: int) -> None:
        """``required``, ``offered`` and ``aht_seconds`` as the requirements give them."""
        needed = requirements_in_horizon(requirements, self.zone, start, days)
        columns = [c for c in ("required", "offered", "aht_seconds") if c in needed.columns]
        merged = self.table.merge(needed[["key", "queue", *columns]], on=["key", "queue"],
                                  how="left", suffixes=("", "_given"), indicator=True)
        listed = (merged["_merge"] == "both").to_numpy()
        found = []
        for column in ("required", "offered", "aht_seconds"):
            given = merged[f"{column}_given"].to_numpy(dtype=float) if column in columns \
                else np.full(len(merged), np.nan)
            if column == "required":
                given = np.where(listed, given, 0.0)
            actual = merged[column].to_numpy(dtype=float)
            for i in np.flatnonzero(~_same(actual, given)):
                row = merged.iloc[i]
                said = (f"the requirements give {_shown(given[i])}" if listed[i]
                        else "the requirements have no row here")
                found.append(Violation(REQUIREMENTS, None, row["day"],
                                       f"{_where(row['interval_start'], row['queue'])}: "
                                       f"{column} {_shown(actual[i])} but {said}"))
        found.sort(key=lambda v: v.date or date.min)
        self.add(found, f"{COVERAGE_FILE} rows disagree with the requirements")

    def service_levels(self) -> None:
        """The projected figures (service level; worked, backlog and past due of deferred
        work) as recomputed (`expected_projection`), on the rows of configured queues (an
        unknown queue is the placement rule's)."""
        expected = expected_projection(self.cfg, self.table)
        known = self.table["queue"].isin([q.id for q in self.cfg.queues]).to_numpy()
        found = []
        for column in PROJECTED_COLUMNS:
            want = expected[column].to_numpy(dtype=float)
            actual = self.table[column].to_numpy(dtype=float)
            tolerance = SERVICE_LEVEL_TOLERANCE if column == "projected_service_level" \
                else ITEMS_TOLERANCE
            for i in np.flatnonzero(known & ~_same(actual, want, tolerance)):
                row = self.table.iloc[i]
                why = ("none can be computed here" if np.isnan(want[i]) else
                       f"scheduled, offered and aht_seconds give {_shown(want[i])}")
                found.append(Violation(SERVICE_LEVEL, None, row["day"],
                                       f"{_where(row['interval_start'], row['queue'])}: "
                                       f"{column} {_shown(actual[i])} but {why}"))
        self.add(found, "projected figures disagree")

    def kpis(self, kpis: Mapping[str, object]) -> None:
        """Per-queue and total hours in kpis.json equal the table's sums."""
        queues = kpis.get("queues")
        if not isinstance(queues, Mapping):
            self.found.append(Violation(KPIS, None, None, f"{KPIS_FILE} has no per-queue "
                                                          "figures"))
            return
        configured = [q.id for q in self.cfg.queues]
        for name in sorted(set(queues) - set(configured)):
            self.found.append(Violation(KPIS, None, None, f"{KPIS_FILE} has figures for "
                                                          f"queue {name!r}, not configured"))
        for queue_id in configured:
            part = self.table[self.table["queue"] == queue_id]
            self.hour_figures(queues.get(queue_id), part, queue_id)
        self.hour_figures(kpis, self.table, "total")

    def hour_figures(self, figures: object, part: pd.DataFrame, label: str) -> None:
        if not isinstance(figures, Mapping):
            self.found.append(Violation(KPIS, None, None, f"{KPIS_FILE} has no {label} "
                                                          "figures"))
            return
        hours = self.cfg.center.interval_minutes / 60.0
        for column in HOUR_COLUMNS:
            key = f"{column}_hours"
            expected = float(part[column].sum()) * hours
            value = figures.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-6):
                self.found.append(Violation(KPIS, None, None,
                                            f"{KPIS_FILE}: {label} {key} {value} but "
                                            f"{COVERAGE_FILE} gives {expected:g}"))


def check_coverage(cfg: CenterConfig, activities: pd.DataFrame, coverage: pd.DataFrame,
                   limit: int = 20) -> list[Violation]:
    """Rows of a coverage table that disagree with the activities or with themselves.

    ``scheduled`` must equal the recount from ``work`` activities and ``shortfall`` must be
    ``max(0, required - scheduled)``; at most ``limit`` rows are reported, then a count.
    """
    checker = _CoverageChecker(cfg, coverage, limit)
    checker.counts(checker.recount(activities))
    return checker.found


def check_coverage_file(
    cfg: CenterConfig,
    activities: pd.DataFrame,
    coverage: pd.DataFrame,
    start: date,
    days: int,
    requirements: pd.DataFrame | None = None,
    kpis: Mapping[str, object] | None = None,
    limit: int = 20,
) -> list[Violation]:
    """Every coverage rule for a written coverage table over the horizon ``[start, start +
    days)`` (see `wfm.verify.check`): rows, counts, requirements (when ``requirements`` is
    given, as `read_requirements` returns it), service levels and the hours of ``kpis``
    (when given). Returns the violations, at most ``limit`` per kind and then a count.
    """
    checker = _CoverageChecker(cfg, coverage, limit)
    grid = _keyed(interval_grid(cfg.center, start, days), cfg.center.timezone)
    recount = checker.recount(activities, grid["interval_start"])
    checker.rows(grid, requirements, recount)
    checker.counts(recount)
    if requirements is not None:
        checker.requirements(requirements, start, days)
    checker.service_levels()
    if kpis:
        checker.kpis(kpis)
    return checker.found
