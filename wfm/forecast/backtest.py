"""Rolling-origin backtests, accuracy measures and model choice.

For each cutoff, every model is fit on history strictly before it and forecasts the next
``days`` days; scored days are those with history rows (closed and missing days are
skipped, never scored as zeros). Pooled figures sum errors over all windows:
wMAPE = sum |forecast - actual| / sum actual, at interval level and on daily totals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wfm.forecast.data import QueueData
from wfm.forecast.models import BASELINES, MODELS, REFERENCE_MODEL, TooShort, make_model

#: A fancier model must beat the best baseline by this relative margin to be chosen.
CHOICE_MARGIN = 0.02

WINDOW_COLUMNS = [
    "queue", "model", "cutoff", "days_scored", "actual", "wmape", "wmape_daily", "bias", "mase",
    "coverage", "abs_error", "abs_error_daily", "mase_scale",
]


def cutoffs(last_day: pd.Timestamp, windows: int, days: int, step: int) -> list[pd.Timestamp]:
    """Cutoff days, oldest first, ``step`` days apart, the last one ``days`` days before
    the last history day (its window ends the day before it). A window's first forecast
    day is its cutoff; the model sees history before it only."""
    final = last_day - pd.Timedelta(days=days)
    return [final - pd.Timedelta(days=step * k) for k in range(windows)][::-1]


def seasonal_scale(data: QueueData) -> float:
    """Mean absolute change between an interval and the same interval a week earlier.

    MASE denominator, over history days with data on both sides (contacts per interval).
    """
    volume = data.volume
    ok = data.has_data & ~data.closed().loc[volume.index]
    current = volume.where(ok, np.nan)
    previous = current.shift(7)
    diff = (current - previous).abs().to_numpy()
    both = ~np.isnan(diff)
    return float(diff[both].mean()) if both.any() else float("nan")


@dataclass
class WindowScore:
    """Absolute errors and counts of one model in one window (summed for pooling)."""

    abs_error: float
    abs_error_daily: float
    signed_error: float
    actual: float
    covered: int
    intervals: int
    days_scored: int


def score_window(
    actual: pd.DataFrame, prediction, scored: np.ndarray
) -> WindowScore:
    """Score one window's prediction on the rows of ``scored`` days."""
    a = actual.to_numpy()[scored]
    f = prediction.mean.to_numpy()[scored]
    lo = prediction.lo.to_numpy()[scored]
    hi = prediction.hi.to_numpy()[scored]
    # coverage is counted on intervals that are open (forecast or actual non-zero)
    active = (a > 0) | (f > 0)
    covered = int(((a >= lo) & (a <= hi) & active).sum())
    return WindowScore(
        abs_error=float(np.abs(f - a).sum()),
        abs_error_daily=float(np.abs(f.sum(axis=1) - a.sum(axis=1)).sum()),
        signed_error=float((f - a).sum()),
        actual=float(a.sum()),
        covered=covered,
        intervals=int(active.sum()),
        days_scored=int(scored.sum()),
    )


def run_backtest(
    data: QueueData,
    models: Iterable[str] = tuple(MODELS),
    windows: int = 8,
    days: int = 14,
    step: int = 7,
    level: float = 0.8,
    progress: Callable[[str], None] | None = None,
    at: Iterable[pd.Timestamp] | None = None,
) -> pd.DataFrame:
    """Per-window scores of each model for one queue (columns `WINDOW_COLUMNS` + ``note``).

    The windows are `cutoffs` of the history, or the cutoff days ``at`` when given. Models
    that cannot fit a window (history too short) get a row with NaN scores and the reason
    in ``note``. Windows whose cutoff leaves under a week of history are dropped.
    """
    rows = []
    first = data.volume.index[0]
    days_at = cutoffs(data.last_day, windows, days, step) if at is None else sorted(set(at))
    for cutoff in days_at:
        if cutoff - first < pd.Timedelta(days=7):
            continue
        head = data.before(cutoff)
        dates = pd.date_range(cutoff, periods=days, freq="D")
        dates = dates[dates <= data.last_day]
        actual = data.volume.reindex(dates)
        scored = (data.has_data.reindex(dates, fill_value=False)).to_numpy()
        scale = seasonal_scale(head)
        fitted: dict = {}
        for name in sorted(models, key=lambda m: m == "blend"):
            model = make_model(name)
            if name == "blend":
                model.fitted = fitted
            note = ""
            try:
                model.fit(head)
                fitted[name] = model
                prediction = model.predict(dates, level)
            except TooShort as exc:
                rows.append(_empty_row(data.queue, name, cutoff, str(exc)))
                continue
            s = score_window(actual.fillna(0.0), prediction, scored)
            rows.append({
                "queue": data.queue, "model": name, "cutoff": cutoff.date(),
                "days_scored": s.days_scored, "actual": s.actual,
                "wmape": _ratio(s.abs_error, s.actual),
                "wmape_daily": _ratio(s.abs_error_daily, s.actual),
                "bias": _ratio(s.signed_error, s.actual),
                "mase": _ratio(s.abs_error, max(s.intervals, 1) * scale),
                "coverage": _ratio(s.covered, s.intervals),
                "abs_error": s.abs_error, "abs_error_daily": s.abs_error_daily,
                "signed_error": s.signed_error, "mase_scale": scale,
                "covered": s.covered, "intervals": s.intervals, "note": note,
            })
        if progress is not None:
            progress(f"{data.queue}: window {cutoff.date()} done")
    return pd.DataFrame(rows)


def _empty_row(queue: str, name: str, cutoff: pd.Timestamp, note: str) -> dict:
    return {"queue": queue, "model": name, "cutoff": cutoff.date(), "note": note}


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den and np.isfinite(den) else float("nan")


def pool(per_window: pd.DataFrame) -> pd.DataFrame:
    """Pooled figures per queue and model over all windows the model could fit.

    Columns: queue, model, windows, wmape, wmape_daily, bias, mase, coverage, note.
    """
    rows = []
    if per_window.empty:
        return pd.DataFrame(columns=["queue", "model", "windows", "wmape", "wmape_daily",
                                     "bias", "mase", "coverage", "note"])
    for (queue, model), group in per_window.groupby(["queue", "model"], sort=False):
        done = group[group["actual"].notna()] if "actual" in group else group.iloc[0:0]
        notes = sorted({n for n in group.get("note", pd.Series(dtype=str)).dropna() if n})
        if done.empty:
            rows.append({"queue": queue, "model": model, "windows": 0,
                         "note": notes[0] if notes else "no window"})
            continue
        actual = done["actual"].sum()
        rows.append({
            "queue": queue, "model": model, "windows": len(done),
            "wmape": _ratio(done["abs_error"].sum(), actual),
            "wmape_daily": _ratio(done["abs_error_daily"].sum(), actual),
            "bias": _ratio(done["signed_error"].sum(), actual),
            "mase": _ratio(done["abs_error"].sum(),
                           (done["intervals"] * done["mase_scale"]).sum()),
            "coverage": _ratio(done["covered"].sum(), done["intervals"].sum()),
            "note": "; ".join(notes) if len(done) < len(group) else "",
        })
    return pd.DataFrame(rows)


def choose(pooled: pd.DataFrame, windows_required: int = 1) -> tuple[str, str]:
    """Pick a model for one queue from its pooled rows; returns (alias, reason).

    Among the models scored on the most windows, the lowest pooled interval wMAPE wins,
    but the reference (`REFERENCE_MODEL`, the calendar-aware 4-week mean) is kept unless
    the winner beats it by `CHOICE_MARGIN`. The baselines are never chosen when the
    reference is scored: a plain 4-week mean or last week, right after unusual weeks
    (festivals, a closure), carries them into ordinary days. Without the reference the
    best baseline plays its part.
    """
    scored = pooled[pooled["wmape"].notna()] if "wmape" in pooled else pooled.iloc[0:0]
    if scored.empty:
        return REFERENCE_MODEL, ("no backtest window could be scored (history too short or "
                                 "no volume)")
    full = scored[scored["windows"] == scored["windows"].max()]
    if REFERENCE_MODEL in set(full["model"]):
        candidates = full[~full["model"].isin(BASELINES)]
        base = candidates.loc[candidates["model"] == REFERENCE_MODEL].iloc[0]
        role = "the calendar-aware 4-week mean"
    else:
        candidates = full
        baselines = full[full["model"].isin(BASELINES)]
        if baselines.empty:
            best = full.loc[full["wmape"].idxmin()]
            return str(best["model"]), (f"lowest pooled wMAPE {best['wmape']:.4f} (no "
                                        "baseline scored)")
        base = baselines.loc[baselines["wmape"].idxmin()]
        role = "baseline"
    best = candidates.loc[candidates["wmape"].idxmin()]
    if best["model"] == base["model"]:
        return str(base["model"]), (
            f"{role} with lowest pooled wMAPE {base['wmape']:.4f}; no model beat it")
    gain = 1 - best["wmape"] / base["wmape"] if base["wmape"] > 1e-12 else 0.0
    if gain >= CHOICE_MARGIN:
        return str(best["model"]), (
            f"lowest pooled wMAPE {best['wmape']:.4f}, {gain:.1%} below {base['model']} "
            f"{base['wmape']:.4f} over {int(best['windows'])} windows")
    return str(base["model"]), (
        f"{best['model']} only {gain:.1%} below {base['model']} (needs {CHOICE_MARGIN:.0%}); "
        f"kept {role}")


def interval_scale(per_window: pd.DataFrame, model: str, level: float = 0.8) -> float:
    """Factor that would have made the model's backtest coverage equal ``level``.

    Approximated from the pooled coverage under a normal error model; 1.0 when unknown.
    """
    from scipy.stats import norm

    rows = per_window[(per_window["model"] == model) & per_window["intervals"].notna()] \
        if "intervals" in per_window else per_window.iloc[0:0]
    if rows.empty or rows["intervals"].sum() == 0:
        return 1.0
    coverage = rows["covered"].sum() / rows["intervals"].sum()
    coverage = float(np.clip(coverage, 0.05, 0.995))
    return float(norm.ppf(0.5 + level / 2) / norm.ppf(0.5 + coverage / 2))




#: The name of the backtest row that scores the forecast procedure itself.
AUTO = "auto"


def inner_cutoffs(data: QueueData, cutoff: pd.Timestamp, windows: int, days: int,
                  step: int) -> list[pd.Timestamp]:
    """The cutoffs of the backtest `wfm forecast` runs on the history before ``cutoff``."""
    head = data.before(cutoff)
    if head.volume.empty:
        return []
    return cutoffs(head.last_day, windows, days, step)


def auto_backtest(
    data: QueueData,
    outer: pd.DataFrame,
    inner: pd.DataFrame,
    choice: tuple[int, int, int],
) -> pd.DataFrame:
    """Score the forecast procedure on each outer window: the model its own backtest on
    the history before the cutoff would choose (`choose` over ``inner``, the scores of the
    candidate models at the inner cutoffs ``choice = (windows, days, step)``), scored on
    that window (``outer``: every candidate's score per outer cutoff).

    Returns one row per outer cutoff with ``model`` `AUTO` and the chosen model in
    ``note``, so `pool` gives what an external rolling-origin check of `wfm forecast`
    measures. A choice that cannot fit the window falls back as the forecast does: the
    calendar-aware 4-week mean, the 4-week mean, then the seasonal naive.
    """
    windows, days, step = choice
    rows = []
    for cutoff in sorted(set(outer["cutoff"])):
        stamp = pd.Timestamp(cutoff)
        wanted = {c.date() for c in inner_cutoffs(data, stamp, windows, days, step)}
        pooled = pool(inner[inner["cutoff"].isin(wanted)])
        name, _ = choose(pooled)
        here = outer[outer["cutoff"] == cutoff].set_index("model")
        for candidate in (name, REFERENCE_MODEL, "week_mean4", "seasonal_naive"):
            if candidate in here.index and pd.notna(here.loc[candidate].get("actual")):
                row = here.loc[candidate].to_dict()
                rows.append({**row, "model": AUTO, "note": candidate})
                break
    return pd.DataFrame(rows)
