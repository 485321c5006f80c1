"""Intraday profiles: the share of a day's contacts falling in each slot, by weekday."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Same-weekday days a profile is taken from, most recent first.
PROFILE_DAYS = 12
#: Weight of each older day relative to the next more recent one.
PROFILE_DECAY = 0.9
#: Share of a 3-slot moving average blended in, to damp Poisson noise in the shape.
PROFILE_SMOOTHING = 0.3


def weekday_profiles(
    volume: pd.DataFrame,
    usable: pd.Series,
    days: int = PROFILE_DAYS,
    decay: float = PROFILE_DECAY,
    smoothing: float = PROFILE_SMOOTHING,
) -> dict[int, np.ndarray]:
    """Recency-weighted intraday shares per weekday from the last ``days`` usable days.

    Returns weekday -> array of shares over all slots (sums to 1). Weekdays without usable
    days with volume get the profile pooled over all weekdays; if there is none at all,
    the dict is empty.
    """
    rows = volume[usable.reindex(volume.index, fill_value=False)]
    totals = rows.sum(axis=1)
    rows = rows[totals > 0]
    shares = rows.div(rows.sum(axis=1), axis=0)
    profiles: dict[int, np.ndarray] = {}
    for weekday in range(7):
        same = shares[shares.index.day_of_week == weekday].iloc[-days:]
        if not len(same):
            continue
        profiles[weekday] = _weighted_shape(same.to_numpy(), decay, smoothing)
    if len(shares) and len(profiles) < 7:
        pooled = _weighted_shape(shares.iloc[-days * 7:].to_numpy(), decay ** (1 / 7), smoothing)
        for weekday in range(7):
            profiles.setdefault(weekday, pooled)
    return profiles


def _weighted_shape(shares: np.ndarray, decay: float, smoothing: float) -> np.ndarray:
    """Weighted mean of share rows (last row weighted most), lightly smoothed, normalised."""
    weights = decay ** np.arange(len(shares))[::-1]
    shape = (shares * weights[:, None]).sum(axis=0) / weights.sum()
    if smoothing > 0 and len(shape) >= 3:
        padded = np.concatenate([[shape[0]], shape, [shape[-1]]])
        moving = (padded[:-2] + padded[1:-1] + padded[2:]) / 3
        # keep slots that never carry calls (outside hours) at exactly zero
        moving = np.where(shape > 0, moving, 0.0)
        shape = (1 - smoothing) * shape + smoothing * moving
    total = shape.sum()
    return shape / total if total > 0 else shape


def kind_profiles(
    volume: pd.DataFrame, days_with_kind: pd.Series, min_days: int = 2
) -> dict[str, np.ndarray]:
    """Mean intraday share of past holidays / eves etc. per kind, where seen ``min_days`` times.

    ``days_with_kind`` maps history days to a kind ("" for ordinary days, ignored).
    """
    out: dict[str, np.ndarray] = {}
    kinds = days_with_kind[days_with_kind != ""]
    for kind in kinds.unique():
        rows = volume.loc[kinds.index[kinds == kind]].dropna()
        rows = rows[rows.sum(axis=1) > 0]
        if len(rows) >= min_days:
            shares = rows.div(rows.sum(axis=1), axis=0).to_numpy()
            out[kind] = _weighted_shape(shares, 1.0, PROFILE_SMOOTHING)
    return out
