"""The backlog of deferred work, worked first in, first out: checked against hand counts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wfm.staffing.backlog import NOT_DUE, due_time_due, response_due, work_backlog


def test_response_windows_count_open_intervals_only():
    is_open = np.array([True, True, False, False, True, True, True])
    due = response_due(is_open, 3)
    # from interval 0: open 0, 1, 4 -> due 4; arrivals while closed wait for interval 4
    assert due.tolist() == [4, 5, 6, 6, 6, NOT_DUE, NOT_DUE]


def test_due_time_is_on_the_next_open_day():
    # two days of four 60-minute intervals 08:00-12:00, then a closed day, then an open one
    day = np.repeat([0, 1, 2, 3], 4)
    minute = np.tile([480, 540, 600, 660], 4)
    is_open = day != 2
    due = due_time_due(day, minute, is_open, due_minute=600, interval_minutes=60)
    # answered by 10:00 on the next open day: the interval 09:00-10:00 of that day
    assert due[:4].tolist() == [5] * 4
    assert due[4:8].tolist() == [13] * 4  # day 2 is closed: day 3
    assert due[8:12].tolist() == [13] * 4
    assert (due[12:] == NOT_DUE).all()


def test_first_in_first_out_by_hand():
    """Five items a interval for three intervals, capacity for four: the oldest go first."""
    arrivals = np.array([5.0, 5.0, 5.0, 0.0, 0.0])
    aht = np.full(5, 60.0)
    capacity = np.full(5, 240.0)  # four items of 60 s per interval
    due = np.array([1, 2, 3, 4, NOT_DUE])
    outcome = work_backlog(arrivals, aht, capacity, due)
    assert outcome.worked.tolist() == [4, 4, 4, 3, 0]
    assert outcome.backlog.tolist() == [1, 2, 3, 0, 0]
    # cohort 0: 4 done in 0, 1 done in 1 (due 1): all in time; cohort 1: 3 done in 1, 2 in 2
    # (due 2): in time; cohort 2: 2 in 2, 3 in 3 (due 3): in time
    assert outcome.within[:3].tolist() == [5, 5, 5]
    assert (outcome.past_due == 0).all()
    assert outcome.share_within() == pytest.approx(1.0)
    assert outcome.worked_seconds.sum() == pytest.approx(15 * 60.0)


def test_late_items_are_past_due_and_not_within():
    arrivals = np.array([6.0, 0.0, 0.0, 0.0])
    aht = np.full(4, 60.0)
    capacity = np.array([120.0, 120.0, 120.0, 0.0])  # two items per interval
    due = np.array([1, NOT_DUE, NOT_DUE, NOT_DUE])
    outcome = work_backlog(arrivals, aht, capacity, due)
    assert outcome.worked.tolist() == [2, 2, 2, 0]
    assert outcome.within[0] == 4  # answered in intervals 0 and 1
    assert outcome.past_due.tolist() == [0, 2, 0, 0]  # at the end of 1, two items are late
    assert outcome.share_within() == pytest.approx(4 / 6)
    assert math.isnan(outcome.within[1])  # a cohort not due in the horizon is not judged


def test_fractional_items_and_handle_times_of_each_cohort():
    arrivals = np.array([1.5, 2.0])
    aht = np.array([100.0, 50.0])
    outcome = work_backlog(arrivals, aht, np.array([100.0, 200.0]), np.array([1, 1]))
    # 1 of the first cohort in interval 0; 0.5 (50 s) then 2 of the second (100 s) in 1
    assert outcome.worked.tolist() == pytest.approx([1.0, 2.5])
    assert outcome.backlog.tolist() == pytest.approx([0.5, 0.0])
    assert outcome.share_within() == pytest.approx(1.0)
