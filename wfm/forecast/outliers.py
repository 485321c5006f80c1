"""Outlier days (outages, glitches, one-off spikes) to keep out of the fit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from wfm.forecast.data import QueueData

#: A day below this share of its same-weekday reference is a partial outage.
LOW_RATIO = 0.6
#: A day above this multiple of its reference is a spike (after closures excepted).
HIGH_RATIO = 1.8
#: Robust z-score (on log ratios, MAD scale) beyond which a day is an outlier.
Z_LIMIT = 5.0
#: Expected contacts in an interval above which a zero there is a data gap.
GLITCH_MIN_EXPECTED = 5.0
#: Zero intervals (where calls were expected) that make a day a glitch.
GLITCH_ZERO_INTERVALS = 3


def reference_levels(daily: pd.Series, ordinary: pd.Series, span_weeks: int = 4) -> pd.Series:
    """Median of ordinary same-weekday totals within +-span_weeks of each day (itself excluded).

    Returns NaN where no such day exists. Units: contacts per day.
    """
    values = daily.where(ordinary)
    out = pd.Series(np.nan, index=daily.index)
    for weekday in range(7):
        same = values[values.index.day_of_week == weekday]
        if same.notna().sum() == 0:
            continue
        stacked = [same.shift(k) for k in range(-span_weeks, span_weeks + 1) if k != 0]
        out.loc[same.index] = pd.concat(stacked, axis=1).median(axis=1, skipna=True)
    return out


def detect_outliers(data: QueueData) -> pd.DataFrame:
    """History days that do not look like their weekday: columns date, offered, expected, reason.

    Holidays, eves, special days and the days after a closure are explained effects, not
    outliers, and are left alone.
    """
    daily = data.daily()
    index = daily.index
    days = data.days.loc[index]
    closed = data.closed().loc[index]
    post = data.post_closure().loc[index]
    candidate = daily.notna() & ~closed & (days["kind"] == "") & (days["multiplier"] == 1.0)
    ordinary = candidate & (post == 0)
    reference = reference_levels(daily, ordinary)
    rows = []
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = daily / reference
        log_ratio = np.log(ratio.where(ratio > 0))
    spread = log_ratio[ordinary].dropna()
    mad = float(np.median(np.abs(spread - spread.median()))) if len(spread) >= 10 else np.nan
    scale = 1.4826 * mad if mad and np.isfinite(mad) else np.nan
    profile = _median_shares(data, ordinary)
    for day in index[candidate & reference.notna() & (reference > 0)]:
        r = ratio[day]
        reason = ""
        if r < LOW_RATIO:
            reason = f"volume {r:.0%} of weekday level (outage?)"
        elif r > HIGH_RATIO and post[day] == 0:
            reason = f"volume {r:.0%} of weekday level (spike)"
        elif np.isfinite(scale) and scale > 0 and post[day] == 0:
            z = (log_ratio[day] - spread.median()) / scale
            if abs(z) > Z_LIMIT:
                reason = f"volume {r:.0%} of weekday level (robust z {z:+.1f})"
        if not reason and profile is not None and day.day_of_week in profile.index:
            expected = profile.loc[day.day_of_week] * reference[day]
            row = data.volume.loc[day].to_numpy()
            zeros = int(((expected.to_numpy() >= GLITCH_MIN_EXPECTED) & (row == 0)).sum())
            if zeros >= GLITCH_ZERO_INTERVALS:
                reason = f"{zeros} empty intervals where calls were expected (data gap)"
        if reason:
            rows.append((day, float(daily[day]), float(reference[day]), reason))
    return pd.DataFrame(rows, columns=["date", "offered", "expected", "reason"])


def _median_shares(data: QueueData, ordinary: pd.Series) -> pd.DataFrame | None:
    """Median intraday share per weekday (rows weekday, columns slot), or None."""
    volume = data.volume[ordinary]
    if not len(volume):
        return None
    totals = volume.sum(axis=1)
    shares = volume[totals > 0].div(totals[totals > 0], axis=0)
    if not len(shares):
        return None
    return shares.groupby(shares.index.day_of_week).median()
