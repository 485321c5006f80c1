"""One queue's history as a day x slot matrix, with its day table and fit mask.

The models work on a *volume matrix*: one row per local calendar day (midnight
Timestamps, contiguous), one column per slot of the local wall clock (slot = minutes
after midnight // interval_minutes). A day without any history row is all-NaN (closed
or missing); inside a day with data, a slot without a row is 0 (outside hours). On the
night clocks go back the repeated slots hold the sum of both intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd

from wfm.forecast.days import post_closure_index
from wfm.forecast.outliers import detect_outliers


def wall_clock(stamps: pd.Series) -> pd.Series:
    """Naive local wall-clock times for tz-aware (or already naive) timestamps."""
    stamps = pd.to_datetime(stamps)
    if stamps.dt.tz is not None:
        return stamps.dt.tz_localize(None)
    return stamps


def to_matrix(
    stamps: pd.Series, values: pd.Series, interval_minutes: int, first: pd.Timestamp,
    last: pd.Timestamp,
) -> pd.DataFrame:
    """Sum ``values`` into a day x slot matrix over [first, last] (days without rows NaN)."""
    wall = wall_clock(stamps)
    slots = 24 * 60 // interval_minutes
    frame = pd.DataFrame({
        "day": wall.dt.normalize().to_numpy(),
        "slot": ((wall.dt.hour * 60 + wall.dt.minute) // interval_minutes).to_numpy(),
        "value": pd.to_numeric(values).to_numpy(dtype=float),
    })
    table = frame.pivot_table(index="day", columns="slot", values="value", aggfunc="sum")
    table = table.reindex(columns=range(slots)).fillna(0.0)
    index = pd.date_range(first, last, freq="D")
    return table.reindex(index)


@dataclass(frozen=True)
class QueueData:
    """A queue's history prepared for the models.

    ``volume``: day x slot matrix of offered contacts up to the last history day.
    ``aht``: same shape, volume-weighted mean handle time in seconds (NaN where no calls);
    None when the history has no handle time for the queue.
    ``days``: day table (see `wfm.forecast.days`) covering history and horizon.
    ``outliers``: DataFrame of history days kept out of the fit and why.
    """

    queue: str
    interval_minutes: int
    volume: pd.DataFrame
    aht: pd.DataFrame | None
    days: pd.DataFrame
    outliers: pd.DataFrame

    @property
    def last_day(self) -> pd.Timestamp:
        """The last day of history."""
        return self.volume.index[-1]

    @cached_property
    def has_data(self) -> pd.Series:
        """True for history days with rows."""
        return self.volume.notna().all(axis=1)

    def closed(self) -> pd.Series:
        """Closed days over the day table (cached; see `_closed`)."""
        return self._closed

    @cached_property
    def _closed(self) -> pd.Series:
        """Closed days over the day table: known closures, and open weekdays missing in history."""
        days = self.days
        missing = pd.Series(False, index=days.index)
        has = self.has_data
        missing.loc[has.index] = (~has) & days.loc[has.index, "regular_open"]
        return days["closed_known"] | missing

    def post_closure(self) -> pd.Series:
        """k-th open day after a closure of a regular open day (0 = none), over the day table."""
        return self._post_closure

    @cached_property
    def _post_closure(self) -> pd.Series:
        values = post_closure_index(self.closed().to_numpy(), self.days["regular_open"].to_numpy())
        return pd.Series(values, index=self.days.index)

    def usable(self) -> pd.Series:
        """History days fit as ordinary: data present, open, no holiday kind, not an outlier."""
        return self._usable

    @cached_property
    def _usable(self) -> pd.Series:
        days = self.days.loc[self.volume.index]
        ok = self.has_data & ~self.closed().loc[self.volume.index]
        ok &= (days["kind"] == "") & (days["multiplier"] == 1.0)
        if len(self.outliers):
            ok &= ~self.volume.index.isin(self.outliers["date"])
        return ok

    def daily(self) -> pd.Series:
        """Daily totals of offered contacts (NaN on days without data)."""
        return self._daily

    @cached_property
    def _daily(self) -> pd.Series:
        return self.volume.sum(axis=1, min_count=1)

    def before(self, cutoff: pd.Timestamp) -> QueueData:
        """The same queue with history strictly before ``cutoff`` (outliers re-detected).

        Results are cached per cutoff: the backtest and the models' interval calibration
        ask for the same cuts.
        """
        cache = self.__dict__.setdefault("_before_cache", {})
        if cutoff not in cache:
            cache[cutoff] = self._cut(cutoff)
        return cache[cutoff]

    def _cut(self, cutoff: pd.Timestamp) -> QueueData:
        volume = self.volume.loc[self.volume.index < cutoff]
        # the history before the cutoff ends on its last day with rows, as when read fresh
        present = np.flatnonzero(volume.notna().all(axis=1).to_numpy())
        volume = volume.iloc[:present[-1] + 1] if present.size else volume.iloc[0:0]
        aht = None if self.aht is None else self.aht.loc[volume.index]
        data = replace(self, volume=volume, aht=aht, outliers=self.outliers.iloc[0:0])
        return replace(data, outliers=detect_outliers(data))


def queue_data(
    history: pd.DataFrame,
    queue: str,
    interval_minutes: int,
    days: pd.DataFrame,
    first: pd.Timestamp | None = None,
    last: pd.Timestamp | None = None,
) -> QueueData:
    """Build `QueueData` from history rows of one queue and a day table covering them."""
    rows = history[history["queue"] == queue]
    wall = wall_clock(rows["interval_start"])
    first = first if first is not None else wall.min().normalize()
    last = last if last is not None else wall.max().normalize()
    volume = to_matrix(rows["interval_start"], rows["offered"], interval_minutes, first, last)
    aht = None
    seconds = pd.to_numeric(rows["aht_seconds"], errors="coerce") if "aht_seconds" in rows \
        else pd.Series(np.nan, index=rows.index)
    timed = seconds.notna()
    if timed.any():
        # intervals without a handle time lend no calls to the weighted mean
        work = to_matrix(rows["interval_start"], (seconds * rows["offered"]).where(timed, 0.0),
                         interval_minutes, first, last)
        calls = to_matrix(rows["interval_start"], rows["offered"].where(timed, 0.0),
                          interval_minutes, first, last)
        with np.errstate(invalid="ignore", divide="ignore"):
            aht = work / calls.where(calls > 0)
    data = QueueData(queue, interval_minutes, volume, aht, days,
                     pd.DataFrame(columns=["date", "offered", "expected", "reason"]))
    return replace(data, outliers=detect_outliers(data))
