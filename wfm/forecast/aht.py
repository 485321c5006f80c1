"""Handle-time forecast per weekday and interval, volume-weighted and robust to empty slots."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wfm.forecast.data import QueueData

#: Same-weekday days the handle-time profile is taken from.
AHT_DAYS = 8
#: Calls of pseudo-volume at the weekday's mean AHT that every interval is shrunk with.
SHRINK_CALLS = 20.0


class AhtProfile:
    """AHT per weekday and slot: sum(aht * offered) / sum(offered) over recent same weekdays.

    Each interval is shrunk towards its weekday's volume-weighted AHT with `SHRINK_CALLS`
    pseudo-calls, so thin or empty intervals borrow from the day instead of jumping.
    """

    alias = "aht_profile"

    def fit(self, data: QueueData) -> AhtProfile:
        """Fit on history; a queue without handle times gets NaN (the caller decides)."""
        slots = data.volume.shape[1]
        self.table = {}
        if data.aht is None:
            self.overall = float("nan")
            return self
        ok = data.usable()
        volume = data.volume[ok].fillna(0.0)
        work = (data.aht[ok].fillna(0.0) * volume)
        total_vol = volume.to_numpy().sum()
        self.overall = float(work.to_numpy().sum() / total_vol) if total_vol > 0 else float("nan")
        for weekday in range(7):
            same = volume.index.day_of_week == weekday
            v = volume[same].iloc[-AHT_DAYS:].to_numpy().sum(axis=0)
            w = work[same].iloc[-AHT_DAYS:].to_numpy().sum(axis=0)
            day_mean = w.sum() / v.sum() if v.sum() > 0 else self.overall
            self.table[weekday] = (w + SHRINK_CALLS * day_mean) / (v + SHRINK_CALLS) \
                if np.isfinite(day_mean) else np.full(slots, np.nan)
        return self

    def predict(self, dates: pd.DatetimeIndex, slots: int) -> np.ndarray:
        """AHT in seconds per date and slot (NaN when the queue has no handle times)."""
        fallback = np.full(slots, self.overall)
        return np.array([self.table.get(d.day_of_week, fallback) for d in dates]).reshape(
            len(dates), slots)


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
