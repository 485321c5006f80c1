"""Deferred work (email, back office) as a backlog: items wait, are worked first in, first
out in open hours, and are answered within their target or late.

Time is a sequence of intervals of one queue, in order. Items arriving in interval ``i``
may be worked from interval ``i`` on (the same convention as the staffing fluid model);
each arrival interval is a *cohort* with its own handle time and *due interval*: the
interval by whose end its items must be answered (`due_intervals`). Capacity is
agent-seconds of work per interval; the oldest cohort is worked first.

Targets, both measured on the center's open time (`wfm.calendar.interval_grid`):

- ``response_hours``: answered within that many open hours of the start of the arrival
  interval (items arriving while the center is closed wait for the next open interval);
- ``due_time``: answered by that time of day on the next open day after the arrival day.

A cohort whose due interval lies beyond the horizon cannot be judged inside it: it is
worked like any other, but it counts neither as answered within target nor as late.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

#: Due interval of a cohort that is not due inside the horizon.
NOT_DUE = -1


def response_due(is_open: np.ndarray, response_intervals: int) -> np.ndarray:
    """Due interval per arrival interval for a target of ``response_intervals`` open intervals.

    The window counts open intervals only, from the first open one at or after the
    arrival. `NOT_DUE` where the window ends beyond the horizon.
    """
    open_index = np.flatnonzero(is_open)
    first = np.searchsorted(open_index, np.arange(is_open.size), side="left")
    last = first + max(1, response_intervals) - 1
    due = np.full(is_open.size, NOT_DUE, dtype=np.int64)
    inside = last < open_index.size
    due[inside] = open_index[last[inside]]
    return due


def due_time_due(day_of_interval: np.ndarray, minute_of_day: np.ndarray, is_open: np.ndarray,
                 due_minute: int, interval_minutes: int) -> np.ndarray:
    """Due interval per arrival interval for "answered by ``due_minute`` on the next open day".

    ``day_of_interval`` numbers the local days (0, 1, ...); a day is open when any of its
    intervals is. The due interval is the last open interval of that next open day that
    ends at or before ``due_minute`` (the day's last open interval when it closes
    earlier). `NOT_DUE` when there is no next open day in the horizon.
    """
    due = np.full(is_open.size, NOT_DUE, dtype=np.int64)
    days = np.unique(day_of_interval)
    open_days = [d for d in days if is_open[day_of_interval == d].any()]
    last_before: dict[int, int] = {}
    for day in open_days:
        rows = np.flatnonzero((day_of_interval == day) & is_open)
        ends = minute_of_day[rows] + interval_minutes
        fitting = rows[ends <= due_minute]
        last_before[day] = int(fitting[-1]) if fitting.size else int(rows[-1])
    for day in days:
        later = [d for d in open_days if d > day]
        if later:
            due[day_of_interval == day] = last_before[later[0]]
    return due


@dataclass
class BacklogOutcome:
    """Per interval, in items: ``worked``, ``backlog`` (waiting at the interval's end),
    ``past_due`` (waiting at its end after their due interval), ``worked_seconds`` (agent
    seconds spent), and per arrival interval
    ``within`` (items of that cohort answered by their due interval; NaN when not due in
    the horizon) and ``judged`` (items of the cohort that can be judged: the cohort's
    arrivals when it is due in the horizon, else 0)."""

    worked: np.ndarray
    backlog: np.ndarray
    past_due: np.ndarray
    worked_seconds: np.ndarray
    within: np.ndarray
    judged: np.ndarray

    def share_within(self, rows: np.ndarray | slice = slice(None)) -> float:
        """Share of the judged items of these arrival intervals answered within target
        (NaN when none can be judged)."""
        judged = float(self.judged[rows].sum())
        if judged <= 0:
            return float("nan")
        return float(np.nansum(self.within[rows]) / judged)


def work_backlog(arrivals: np.ndarray, aht_seconds: np.ndarray, capacity_seconds: np.ndarray,
                 due: np.ndarray) -> BacklogOutcome:
    """Work a backlog first in, first out.

    ``arrivals`` (items, may be fractional), ``aht_seconds`` (per item of each arrival
    interval), ``capacity_seconds`` (agent-seconds of work available) and ``due`` (from
    `response_due` or `due_time_due`) are arrays over the same intervals.
    """
    n = arrivals.size
    worked = np.zeros(n)
    worked_seconds = np.zeros(n)
    backlog = np.zeros(n)
    past_due = np.zeros(n)
    within = np.zeros(n)
    waiting: deque[list[float]] = deque()  # [cohort, items left]
    for j in range(n):
        if arrivals[j] > 0:
            waiting.append([j, float(arrivals[j])])
        seconds = float(capacity_seconds[j])
        while waiting and seconds > 1e-9:
            cohort, left = waiting[0]
            cost = max(float(aht_seconds[int(cohort)]), 1e-9)
            done = min(left, seconds / cost)
            seconds -= done * cost
            worked[j] += done
            worked_seconds[j] += done * cost
            if due[int(cohort)] >= j:
                within[int(cohort)] += done
            left -= done
            if left <= 1e-9:
                waiting.popleft()
            else:
                waiting[0][1] = left
                break
        backlog[j] = sum(item[1] for item in waiting)
        past_due[j] = sum(item[1] for item in waiting if 0 <= due[int(item[0])] <= j)
    judged = np.where(due >= 0, arrivals, 0.0)
    within = np.where(due >= 0, within, np.nan)
    return BacklogOutcome(worked=worked, backlog=backlog, past_due=past_due,
                          worked_seconds=worked_seconds, within=within, judged=judged)
