"""Deferred work (email, back office): agents to answer every item by its due interval,
and what a given staffing delivers, from the backlog worked first in, first out.

Sizing (`size_deferred`) spreads each arrival interval's workload evenly over the open
intervals from its arrival to its due interval (`wfm.staffing.backlog`: ``response_hours``
of open time, or ``due_time`` on the next open day), so every item is answered in time;
work due after the horizon is spread over the same window as if the horizon went on, so
it is not squeezed into the last intervals. The queue's ``starting_backlog`` is due from
the first interval as if it had just arrived.

Projection (`project_deferred`) works the backlog with the agents given, first in, first
out, at ``max_occupancy``: per interval the items worked, the backlog and the items past
due at its end, the occupancy, and, per arrival interval, the share of its items answered
within the target (the queue's service level; empty for items not due in the horizon).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wfm.config import CenterConfig, Queue, parse_clock_minutes
from wfm.staffing.backlog import NOT_DUE, BacklogOutcome, due_time_due, response_due, work_backlog


def due_intervals(queue: Queue, cfg: CenterConfig, stamps: pd.Series,
                  is_open: np.ndarray) -> np.ndarray:
    """Due interval of each arrival interval of ``stamps`` (consecutive grid intervals)."""
    minutes = cfg.center.interval_minutes
    if queue.response_hours is not None:
        return response_due(is_open, round(queue.response_hours * 60 / minutes))
    wall = stamps.dt.tz_localize(None)
    days = (wall.dt.normalize() - wall.dt.normalize().min()).dt.days.to_numpy()
    minute = (wall.dt.hour * 60 + wall.dt.minute).to_numpy()
    return due_time_due(days, minute, is_open, parse_clock_minutes(queue.due_time), minutes)


def _window_lengths(queue: Queue, cfg: CenterConfig, is_open: np.ndarray, due: np.ndarray,
                    first_open: np.ndarray) -> np.ndarray:
    """Open intervals each arrival's work is spread over (beyond the horizon included)."""
    open_index = np.flatnonzero(is_open)
    position = np.searchsorted(open_index, due)
    length = position - first_open + 1
    if queue.response_hours is not None:
        default = round(queue.response_hours * 60 / cfg.center.interval_minutes)
    else:  # a next day's open intervals up to the due time: the horizon's median open day
        per_day = max(1, int(np.median(np.bincount(np.cumsum(~is_open)[is_open]))))
        default = per_day
    return np.where(due == NOT_DUE, np.maximum(default, 1), np.maximum(length, 1))


def size_deferred(queue: Queue, cfg: CenterConfig, stamps: pd.Series, calls: np.ndarray,
                  aht_seconds: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    """Agents per interval (int64) that answer every item by its due interval."""
    minutes = cfg.center.interval_minutes
    agents = np.zeros(calls.shape, dtype=np.int64)
    open_index = np.flatnonzero(is_open)
    if open_index.size == 0:
        return agents
    workload = calls * aht_seconds
    if queue.starting_backlog > 0:
        workload = workload.copy()
        workload[0] += queue.starting_backlog * _typical_aht(calls, aht_seconds)
    due = due_intervals(queue, cfg, stamps, is_open)
    first_open = np.searchsorted(open_index, np.arange(calls.size), side="left")
    length = _window_lengths(queue, cfg, is_open, due, first_open)
    # spread each arrival's workload over its open window (positions in open time)
    horizon = open_index.size + int(length.max()) + 1
    per_position = np.zeros(horizon + 1)
    share = np.where(workload > 0, workload / length, 0.0)
    np.add.at(per_position, np.minimum(first_open, horizon), share)
    np.add.at(per_position, np.minimum(first_open + length, horizon), -share)
    spread = np.cumsum(per_position)[: open_index.size]
    capacity = minutes * 60.0 * queue.max_occupancy
    agents[open_index] = np.ceil(np.maximum(spread, 0.0) / capacity - 1e-9).astype(np.int64)
    return agents


def _typical_aht(calls: np.ndarray, aht_seconds: np.ndarray) -> float:
    """Volume-weighted handle time of the horizon (for the starting backlog's items)."""
    busy = calls > 0
    if not busy.any():
        return float(np.nanmean(aht_seconds)) if np.isfinite(aht_seconds).any() else 0.0
    return float((calls[busy] * aht_seconds[busy]).sum() / calls[busy].sum())


def project_deferred(queue: Queue, cfg: CenterConfig, stamps: pd.Series, agents: np.ndarray,
                     calls: np.ndarray, aht_seconds: np.ndarray, is_open: np.ndarray,
                     ) -> tuple[dict[str, np.ndarray], BacklogOutcome]:
    """What ``agents`` per interval deliver on a deferred queue, first in, first out.

    Returns per interval ``service_level`` (share of the interval's arrivals answered
    within target; NaN without arrivals or not due in the horizon), ``asa_seconds`` (NaN:
    not defined for deferred work), ``occupancy`` (worked seconds over capacity), and the
    backlog outcome (items worked, backlog and past due per interval).
    """
    minutes = cfg.center.interval_minutes
    arrivals = calls.astype(float).copy()
    handle = np.where(np.isfinite(aht_seconds) & (aht_seconds > 0), aht_seconds, 0.0)
    if queue.starting_backlog > 0 and arrivals.size:
        typical = _typical_aht(calls, handle)
        work = arrivals[0] * handle[0] + queue.starting_backlog * typical
        arrivals[0] += queue.starting_backlog
        handle = handle.copy()
        handle[0] = work / arrivals[0] if arrivals[0] > 0 else typical
    capacity = np.where(is_open, agents * minutes * 60.0 * queue.max_occupancy, 0.0)
    due = due_intervals(queue, cfg, stamps, is_open)
    outcome = work_backlog(arrivals, handle, capacity, due)
    judged = outcome.judged
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.where(judged > 0, outcome.within / judged, np.nan)
        present = np.where(is_open, agents * minutes * 60.0, 0.0)  # agent-seconds on shift
        occupancy = np.where(present > 0, outcome.worked_seconds / np.maximum(present, 1e-9),
                             np.where(is_open, 0.0, np.nan))
    return ({"service_level": level, "asa_seconds": np.full(calls.shape, np.nan),
             "occupancy": occupancy}, outcome)

