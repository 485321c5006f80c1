"""The checker's own coverage count: agents per queue and interval from ``work`` rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wfm.config import CenterConfig
from wfm.io.tables import WORK
from wfm.verify.check import COVERAGE, Violation, _utc_seconds


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


def check_coverage(cfg: CenterConfig, activities: pd.DataFrame, coverage: pd.DataFrame,
                   limit: int = 20) -> list[Violation]:
    """Rows of a coverage table that disagree with the activities or with themselves.

    ``scheduled`` must equal the recount from ``work`` activities and ``shortfall`` must be
    ``max(0, required - scheduled)``; at most ``limit`` rows are reported, then a count.
    """
    if coverage.empty:
        return []
    recount = scheduled_agents(cfg, activities, coverage["interval_start"])
    table = coverage.merge(recount.rename(columns={"scheduled": "recount"}),
                           on=["interval_start", "queue"], how="left")
    table["recount"] = table["recount"].fillna(0.0)
    scheduled = table["scheduled"].to_numpy(dtype=float)
    wrong_count = ~np.isclose(scheduled, table["recount"].to_numpy(dtype=float))
    expected = np.maximum(table["required"].to_numpy(dtype=float) - scheduled, 0.0)
    wrong_short = ~np.isclose(table["shortfall"].to_numpy(dtype=float), expected)
    found = []
    for i in np.flatnonzero(wrong_count | wrong_short):
        row = table.iloc[i]
        when = pd.Timestamp(row["interval_start"])
        if wrong_count[i]:
            message = (f"{when:%Y-%m-%dT%H:%M} {row['queue']}: scheduled {row['scheduled']:g} "
                       f"but the activities give {row['recount']:g}")
        else:
            message = (f"{when:%Y-%m-%dT%H:%M} {row['queue']}: shortfall {row['shortfall']:g} "
                       f"but required - scheduled gives {expected[i]:g}")
        found.append(Violation(COVERAGE, None, when.date(), message))
    if len(found) > limit:
        extra = len(found) - limit
        found = found[:limit] + [Violation(COVERAGE, None, None,
                                           f"{extra} more coverage rows disagree")]
    return found


