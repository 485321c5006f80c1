"""Handle-time forecast per weekday and interval, volume-weighted and robust to empty slots."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wfm.forecast.data import QueueData

#: Weeks of history the intraday handle-time shape is taken from.
AHT_WEEKS = 8
#: Weeks of history the handle-time level is taken from.
LEVEL_WEEKS = 3
#: Calls of pseudo-volume at the mean AHT that every interval's shape is shrunk with.
SHRINK_CALLS = 50.0


class AhtProfile:
    """AHT per interval: the recent level times an intraday shape pooled over weekdays.

    The level is the volume-weighted AHT of the last `LEVEL_WEEKS` weeks per weekday
    group (weekdays with the same open slots); the shape is sum(aht * offered) /
    sum(offered) per slot over the last `AHT_WEEKS` weeks of the group, shrunk towards
    the level with `SHRINK_CALLS` pseudo-calls and smoothed over neighbouring slots, so
    thin or empty intervals borrow from the day instead of jumping.
    """

    alias = "aht_profile"

    def fit(self, data: QueueData) -> AhtProfile:
        """Fit on history; a queue without handle times gets NaN (the caller decides)."""
        slots = data.volume.shape[1]
        self.table = {}
        self.overall = float("nan")
        if data.aht is None:
            return self
        ok = data.usable() & (data.volume.index > data.last_day - pd.Timedelta(weeks=AHT_WEEKS))
        volume = data.volume[ok].fillna(0.0)
        work = data.aht[ok].fillna(0.0) * volume
        if volume.to_numpy().sum() <= 0:
            return self
        recent = volume.index > data.last_day - pd.Timedelta(weeks=LEVEL_WEEKS)
        self.overall = float(work[recent].to_numpy().sum() / max(volume[recent].to_numpy().sum(),
                                                                 1e-9)) \
            if volume[recent].to_numpy().sum() > 0 else float(work.to_numpy().sum()
                                                              / volume.to_numpy().sum())
        weekday = volume.index.day_of_week
        groups: dict[tuple, list[int]] = {}
        for w in range(7):
            rows = volume[weekday == w]
            if len(rows):
                groups.setdefault(tuple(rows.to_numpy().sum(axis=0) > 0), []).append(w)
        for members in groups.values():
            rows = np.isin(weekday, members)
            v = volume[rows].to_numpy().sum(axis=0)
            wk = work[rows].to_numpy().sum(axis=0)
            level_rows = rows & recent
            lv = volume[level_rows].to_numpy().sum()
            level = work[level_rows].to_numpy().sum() / lv if lv > 0 else wk.sum() / v.sum()
            shape = (wk + SHRINK_CALLS * (wk.sum() / v.sum())) / (v + SHRINK_CALLS)
            shape = shape / (wk.sum() / v.sum())
            smoothed = _smooth(shape, v > 0)
            for w in members:
                self.table[w] = level * smoothed
        for w in range(7):
            self.table.setdefault(w, np.full(slots, self.overall))
        return self

    def predict(self, dates: pd.DatetimeIndex, slots: int) -> np.ndarray:
        """AHT in seconds per date and slot (NaN when the queue has no handle times)."""
        fallback = np.full(slots, self.overall)
        return np.array([self.table.get(d.day_of_week, fallback) for d in dates]).reshape(
            len(dates), slots)


def _smooth(shape: np.ndarray, open_slots: np.ndarray, passes: int = 2) -> np.ndarray:
    """1-2-1 smoothing of a ratio shape inside open slots (closed slots keep 1.0)."""
    out = np.where(open_slots, shape, 1.0)
    for _ in range(passes):
        left = np.concatenate([[out[0]], out[:-1]])
        right = np.concatenate([out[1:], [out[-1]]])
        left = np.where(np.concatenate([[False], open_slots[:-1]]), left, out)
        right = np.where(np.concatenate([open_slots[1:], [False]]), right, out)
        out = np.where(open_slots, (left + 2 * out + right) / 4, 1.0)
    return out


class AhtFlat(AhtProfile):
    """Baseline: one volume-weighted AHT over the last 4 weeks for every interval."""

    alias = "aht_flat"

    def fit(self, data: QueueData) -> AhtFlat:
        self.table = {}
        self.overall = float("nan")
        if data.aht is None:
            return self
        ok = data.usable() & (data.volume.index > data.last_day - pd.Timedelta(weeks=4))
        volume = data.volume[ok].fillna(0.0).to_numpy()
        work = (data.aht[ok].fillna(0.0).to_numpy() * volume)
        if volume.sum() > 0:
            self.overall = float(work.sum() / volume.sum())
        return self


def aht_backtest(data: QueueData, cutoff_days: list[pd.Timestamp], days: int) -> pd.DataFrame:
    """Per-window AHT error of the profile and the flat baseline.

    ``wmape`` here is sum(offered * |aht_forecast - aht_actual|) / sum(offered * aht_actual):
    the share of actual workload mis-stated by the handle-time forecast.
    """
    rows = []
    if data.aht is None:
        return pd.DataFrame()
    for cutoff in cutoff_days:
        head = data.before(cutoff)
        if not head.usable().any():
            continue
        dates = pd.date_range(cutoff, periods=days, freq="D")
        dates = dates[dates <= data.last_day]
        scored = data.has_data.reindex(dates, fill_value=False).to_numpy()
        volume = data.volume.reindex(dates).fillna(0.0).to_numpy()[scored]
        actual = data.aht.reindex(dates).to_numpy()[scored]
        weight = np.where(np.isfinite(actual), volume, 0.0)
        actual = np.nan_to_num(actual)
        for model in (AhtProfile(), AhtFlat()):
            forecast = model.fit(head).predict(dates, data.volume.shape[1])[scored]
            forecast = np.nan_to_num(forecast, nan=model.overall)
            err = float((weight * np.abs(forecast - actual)).sum())
            signed = float((weight * (forecast - actual)).sum())
            den = float((weight * actual).sum())
            rows.append({"queue": data.queue, "model": model.alias, "cutoff": cutoff.date(),
                         "abs_error": err, "signed_error": signed, "actual_work": den})
    return pd.DataFrame(rows)


def pool_aht(per_window: pd.DataFrame) -> pd.DataFrame:
    """Pooled AHT figures per queue and model: wmape, bias (shares of actual workload)."""
    if per_window.empty:
        return pd.DataFrame(columns=["queue", "model", "windows", "wmape", "bias"])
    out = per_window.groupby(["queue", "model"], sort=False).agg(
        windows=("cutoff", "count"), abs_error=("abs_error", "sum"),
        signed_error=("signed_error", "sum"), actual_work=("actual_work", "sum")).reset_index()
    den = out["actual_work"].where(out["actual_work"] > 0)
    out["wmape"] = out["abs_error"] / den
    out["bias"] = out["signed_error"] / den
    return out[["queue", "model", "windows", "wmape", "bias"]]
