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
) -> dict[str, tuple[np.ndarray, int]]:
    """Mean intraday share of past holidays / eves etc. per kind, where seen ``min_days``
    times: kind -> (shares over all slots, days it was taken from).

    ``days_with_kind`` maps history days to a kind ("" for ordinary days, ignored).
    """
    out: dict[str, tuple[np.ndarray, int]] = {}
    kinds = days_with_kind[days_with_kind != ""]
    for kind in kinds.unique():
        rows = volume.loc[kinds.index[kinds == kind]].dropna()
        rows = rows[rows.sum(axis=1) > 0]
        if len(rows) >= min_days:
            shares = rows.div(rows.sum(axis=1), axis=0).to_numpy()
            out[kind] = (_weighted_shape(shares, 1.0, PROFILE_SMOOTHING), len(rows))
    return out


#: Candidate settings for `fit_profiles`: weeks of history, shrinkage towards the profile
#: pooled over weekdays with the same hours (in days of data), passes of a 1-2-1 smoother.
PROFILE_WEEKS: tuple[int, ...] = (6, 12, 26)
PROFILE_SHRINK_DAYS: tuple[float, ...] = (0.0, 2.0, 8.0, np.inf)
PROFILE_SMOOTHINGS: tuple[int, ...] = (0, 1, 2, 4, 8)
#: Recent days held out to choose the profile settings.
PROFILE_HOLDOUT_DAYS = 14
#: Weight of a day one week older than another in a profile.
PROFILE_WEEKLY_DECAY = 0.97


def _raw_profiles(
    volume: np.ndarray, dates: pd.DatetimeIndex, last: pd.Timestamp, weeks: int,
    shrink_days: float, weekend: frozenset[int] = frozenset(),
) -> np.ndarray:
    """7 x slots matrix of volume-weighted shares per weekday, working days shrunk towards
    the profile pooled over the working days with the same open slots (a weekend day keeps
    its own); rows of weekdays without data take the profile pooled over all weekdays;
    all zero when there is no volume at all."""
    slots = volume.shape[1]
    age_weeks = (last - dates).days.to_numpy() / 7
    keep = age_weeks < weeks
    weights = PROFILE_WEEKLY_DECAY ** age_weeks
    weekday = dates.day_of_week.to_numpy()
    sums, days = {}, {}
    for w in range(7):
        rows = keep & (weekday == w)
        if rows.any():
            sums[w] = weights[rows] @ volume[rows]
            days[w] = float(weights[rows].sum())
    out = np.zeros((7, slots))
    if not sums:
        return out
    groups: dict[tuple, list[int]] = {}
    for w, total in sums.items():
        # weekend days differ from each other as much as from working days (a short day
        # and a quiet one): each is a group of its own
        groups.setdefault((w if w in weekend else -1, tuple(total > 0)), []).append(w)
    for members in groups.values():
        pooled = sum(sums[w] for w in members)
        pooled = pooled / pooled.sum() if pooled.sum() > 0 else pooled
        for w in members:
            own = sums[w] / sums[w].sum() if sums[w].sum() > 0 else pooled
            if np.isinf(shrink_days):
                out[w] = pooled
            else:
                out[w] = (days[w] * own + shrink_days * pooled) / (days[w] + shrink_days)
    everything = sum(sums.values())
    if everything.sum() > 0:
        for w in range(7):
            if w not in sums:
                out[w] = everything / everything.sum()
    return out


def smooth_rows(shapes: np.ndarray, passes: int, open_slots: np.ndarray | None = None
                ) -> np.ndarray:
    """Apply ``passes`` of a 1-2-1 moving average along each row, inside open slots.

    Slots that are zero in the input (outside hours) stay zero and lend nothing to their
    neighbours; rows are renormalised to sum to 1.
    """
    open_slots = shapes > 0 if open_slots is None else open_slots
    out = shapes.astype(float).copy()
    left_ok = np.zeros_like(open_slots)
    right_ok = np.zeros_like(open_slots)
    left_ok[:, 1:] = open_slots[:, :-1]
    right_ok[:, :-1] = open_slots[:, 1:]
    weight = 2 + left_ok + right_ok.astype(float)
    for _ in range(passes):
        total = 2 * out
        total[:, 1:] += np.where(left_ok[:, 1:], out[:, :-1], 0.0)
        total[:, :-1] += np.where(right_ok[:, :-1], out[:, 1:], 0.0)
        out = np.where(open_slots, total / weight, 0.0)
    sums = out.sum(axis=1, keepdims=True)
    return np.divide(out, sums, out=np.zeros_like(out), where=sums > 0)


def smooth_shape(shape: np.ndarray, passes: int) -> np.ndarray:
    """`smooth_rows` for one profile."""
    return smooth_rows(shape[None, :], passes)[0]


def fit_profiles(volume: pd.DataFrame, usable: pd.Series, weekend: frozenset[int] = frozenset()
                 ) -> tuple[dict[int, np.ndarray], str]:
    """Intraday profiles per weekday with settings chosen on the last weeks of history.

    ``weekend`` (weekday numbers) keeps weekend days out of the pooling: working days lend
    their shape to one another, a weekend day to none.

    Every combination of `PROFILE_WEEKS`, `PROFILE_SHRINK_DAYS` and `PROFILE_SMOOTHINGS`
    is fit on history before the last `PROFILE_HOLDOUT_DAYS` days and scored by the
    absolute error of the held-out intervals given each day's actual total; the best is
    refit on all history. Returns (weekday -> shares over all slots, settings label).
    """
    rows = volume[usable.reindex(volume.index, fill_value=False)].fillna(0.0)
    rows = rows[rows.sum(axis=1) > 0]
    if rows.empty:
        return {}, "none"
    matrix, dates = rows.to_numpy(), rows.index
    last = dates[-1]
    split = last - pd.Timedelta(days=PROFILE_HOLDOUT_DAYS)
    train, test = dates <= split, dates > split
    best = (PROFILE_WEEKS[1], 0.0, 1)
    if train.sum() >= 7 and test.sum() >= 3:
        actual = matrix[test]
        totals = actual.sum(axis=1)
        weekday = dates[test].day_of_week.to_numpy()
        best_score = np.inf
        passes = sorted(PROFILE_SMOOTHINGS)
        for weeks in PROFILE_WEEKS:
            for shrink in PROFILE_SHRINK_DAYS:
                shapes = _raw_profiles(matrix[train], dates[train], dates[train][-1], weeks,
                                       shrink, weekend)
                open_slots = shapes > 0
                done = 0
                for count in passes:
                    shapes = smooth_rows(shapes, count - done, open_slots)
                    done = count
                    score = np.abs(actual - shapes[weekday] * totals[:, None]).sum()
                    if score < best_score:
                        best_score, best = score, (weeks, shrink, count)
    weeks, shrink, count = best
    label = f"{weeks} weeks, shrink {shrink:g} days, {count} smoothing passes"
    shapes = smooth_rows(_raw_profiles(matrix, dates, last, weeks, shrink, weekend), count)
    return {w: shapes[w] for w in range(7)}, label
