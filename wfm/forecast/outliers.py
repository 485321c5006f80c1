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
#: Robust z-score (on log ratios, MAD scale) beyond which a day is an outlier ...
Z_LIMIT = 5.0
#: ... provided it is also this far from its reference (ratio above, or below 1/this).
MIN_JUMP = 1.35
#: Expected contacts in an interval above which a zero there is a data gap.
GLITCH_MIN_EXPECTED = 5.0
#: Zero intervals (where calls were expected) that make a day a glitch.
GLITCH_ZERO_INTERVALS = 3


def reference_levels(daily: pd.Series, ordinary: pd.Series, span_weeks: int = 4) -> pd.Series:
    """Median of ordinary same-weekday totals within +-span_weeks of each day.

    Days that are not ordinary do not enter any median. Returns NaN where no such day
    exists. Units: contacts per day.
    """
    values = daily.where(ordinary)
    out = pd.Series(np.nan, index=daily.index)
    window = 2 * span_weeks + 1
    for weekday in range(7):
        same = values[values.index.day_of_week == weekday]
        if same.notna().sum() == 0:
            continue
        out.loc[same.index] = same.rolling(window, center=True, min_periods=1).median()
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
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (daily / reference).to_numpy()
        log_ratio = np.log(np.where(ratio > 0, ratio, np.nan))
    spread = log_ratio[ordinary.to_numpy() & np.isfinite(log_ratio)]
    center = float(np.median(spread)) if len(spread) else 0.0
    mad = float(np.median(np.abs(spread - center))) if len(spread) >= 10 else 0.0
    scale = 1.4826 * mad
    checked = (candidate & reference.notna() & (reference > 0)).to_numpy()
    no_post = (post == 0).to_numpy()
    z = (log_ratio - center) / scale if scale > 0 else np.zeros(len(ratio))
    # a deviation must also be far outside Poisson noise, so quiet days are not flagged
    expected_day = np.nan_to_num(reference.to_numpy())
    surprise = np.abs(daily.to_numpy() - expected_day) > 4 * np.sqrt(np.maximum(expected_day, 1))
    low = checked & (ratio < LOW_RATIO) & surprise
    high = checked & ~low & (ratio > HIGH_RATIO) & no_post & surprise
    # paydays and month starts move good days by 10-20%: only larger jumps are outliers
    large = (ratio < 1 / MIN_JUMP) | (ratio > MIN_JUMP)
    extreme = (checked & ~low & ~high & no_post & surprise & large
               & (np.abs(np.nan_to_num(z)) > Z_LIMIT))
    zeros = np.zeros(len(ratio), dtype=int)
    profile = _median_shares(data, ordinary)
    if profile is not None:
        shares = profile.reindex(range(7)).fillna(0.0).to_numpy()[index.day_of_week]
        expected = shares * np.nan_to_num(reference.to_numpy())[:, None]
        volume = data.volume.to_numpy()
        zeros = ((expected >= GLITCH_MIN_EXPECTED) & (volume == 0)).sum(axis=1)
    glitch = checked & ~low & ~high & ~extreme & (zeros >= GLITCH_ZERO_INTERVALS)
    rows = []
    for pos in np.flatnonzero(low | high | extreme | glitch):
        r = ratio[pos]
        if low[pos]:
            reason = f"volume {r:.0%} of weekday level (outage?)"
        elif high[pos]:
            reason = f"volume {r:.0%} of weekday level (spike)"
        elif extreme[pos]:
            reason = f"volume {r:.0%} of weekday level (robust z {z[pos]:+.1f})"
        else:
            reason = f"{zeros[pos]} empty intervals where calls were expected (data gap)"
        rows.append((index[pos], float(daily.iloc[pos]), float(reference.iloc[pos]), reason))
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
