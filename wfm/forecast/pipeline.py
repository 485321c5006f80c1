"""Library entry points: `forecast` and `backtest` over history DataFrames and a config.

Both work queue by queue: build the day x slot history with the center's calendar
(opening weekdays, holidays, special days), backtest the models by rolling origin, pick
one per queue (`method="auto"`) and forecast every interval of the horizon.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import pandas as pd

from wfm.config import CenterConfig, Queue
from wfm.errors import BadInput
from wfm.forecast.aht import AhtFlat, AhtProfile, aht_backtest, pool_aht
from wfm.forecast.backtest import (
    AUTO,
    auto_backtest,
    choose,
    cutoffs,
    inner_cutoffs,
    interval_scale,
    pool,
    run_backtest,
)
from wfm.forecast.data import QueueData, queue_data, wall_clock
from wfm.forecast.days import day_table, special_for_queue
from wfm.forecast.models import (
    AUTO_MODELS,
    BASELINES,
    MODELS,
    REFERENCE_MODEL,
    TooShort,
    make_model,
)
from wfm.io.tables import FORECAST_COLUMNS, FORECAST_REPORT_COLUMNS

#: The report's name for a handle time taken from ``queues[].default_aht_seconds``.
DEFAULT_AHT = "default_aht"
#: Fewest history days a queue needs before anything is forecast.
MIN_HISTORY_DAYS = 7
#: Limits on the backtest-calibrated widening/narrowing of the prediction intervals.
SCALE_LIMITS = (0.5, 3.0)

Progress = Callable[[str], None]


def _history_bounds(history: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    wall = wall_clock(history["interval_start"])
    return wall.min().normalize(), wall.max().normalize()


def prepare_queue(
    history: pd.DataFrame,
    cfg: CenterConfig,
    queue: str,
    until: date,
    special_days: pd.DataFrame | None = None,
) -> QueueData | None:
    """A queue's `QueueData` with a day table reaching ``until``; None without history rows."""
    rows = _whole_days(history[history["queue"] == queue], cfg)
    if rows.empty:
        return None
    first, last = _history_bounds(rows)
    special = special_for_queue(special_days, queue)
    closed = cfg.queue(queue).closed_dates
    if closed:  # the queue's own closed days, as closures of a special-days table
        own = pd.DataFrame({"date": closed, "queue": queue, "multiplier": np.nan})
        special = own if special is None else pd.concat([special, own], ignore_index=True)
    table = day_table(first.date(), max(until, last.date()) + timedelta(days=7), cfg.center,
                      special=special)
    return queue_data(rows, queue, cfg.center.interval_minutes, table, first, last)


def _whole_days(rows: pd.DataFrame, cfg: CenterConfig) -> pd.DataFrame:
    """A queue's rows less a first or last day the history covers only in part (it starts
    after that day's first open interval, or ends before its last), which would read as
    a quiet day."""
    from wfm.calendar import interval_grid

    if rows.empty:
        return rows
    wall = wall_clock(rows["interval_start"])
    days = wall.dt.normalize()
    first, last = days.min(), days.max()
    grid = interval_grid(cfg.center, first.date(), (last - first).days + 1)
    grid = grid[grid["is_open"]]
    keep = pd.Series(True, index=rows.index)
    for day, clip in ((first, "start"), (last, "end")):
        open_stamps = grid.loc[grid["date"] == day.date(), "interval_start"]
        mine = rows["interval_start"][days == day]
        if open_stamps.empty or mine.empty:
            continue
        partial = mine.min() > open_stamps.min() if clip == "start" \
            else mine.max() < open_stamps.max()
        if partial:
            keep &= days != day
    return rows[keep]


def _check_length(data: QueueData) -> None:
    span = (data.last_day - data.volume.index[0]).days + 1
    if span < MIN_HISTORY_DAYS:
        raise BadInput(
            f"history: queue {data.queue} covers {span} days; at least {MIN_HISTORY_DAYS} "
            "are needed to forecast")


def backtest(
    history_df: pd.DataFrame,
    cfg: CenterConfig,
    windows: int = 8,
    days: int = 14,
    step: int = 7,
    models: list[str] | None = None,
    special_days: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rolling-origin backtest of every queue of the config.

    Returns ``(per_window, pooled)``. ``per_window``: one row per queue, model and cutoff
    (columns queue, model, cutoff, days_scored, actual, wmape, wmape_daily, bias, mase,
    coverage, note). ``pooled``: one row per queue, target (``offered`` or
    ``aht_seconds``) and model with the pooled figures, the gain against each baseline,
    the ``chosen`` flag and the ``reason`` for the choice. wMAPE, bias and coverage are
    fractions; MASE is relative to the in-sample same-interval-last-week error.
    """
    if windows < 1 or days < 1 or step < 1:
        raise ValueError("windows, days and step must be at least 1")
    names = list(models) if models else list(MODELS)
    for name in names:
        make_model(name)
    level = cfg.planning.prediction_level
    per_window, pooled_rows = [], []
    last_history = _history_bounds(history_df)[1].date() if len(history_df) else date.today()
    for queue in cfg.queues:
        data = prepare_queue(history_df, cfg, queue.id, last_history, special_days)
        if data is None:
            pooled_rows.append(pd.DataFrame([{
                "queue": queue.id, "target": "offered", "model": "", "windows": 0,
                "chosen": False, "reason": "no history rows for this queue"}]))
            continue
        _check_length(data)
        scores = run_backtest(data, _with_baselines([*names, *AUTO_MODELS]), windows, days,
                              step, level, progress)
        scores = pd.concat([scores, _procedure_scores(data, scores, cfg, progress)],
                           ignore_index=True)
        shown = scores[scores["model"].isin([*_with_baselines(names), AUTO])]
        per_window.append(shown)
        pooled_rows.append(_pooled_report(data, shown, windows, days, step, queue))
        if progress is not None:
            progress(f"{queue.id}: backtest done")
    per_window_df = pd.concat(per_window, ignore_index=True) if per_window else pd.DataFrame()
    pooled_df = pd.concat(pooled_rows, ignore_index=True) if pooled_rows else pd.DataFrame()
    return per_window_df, pooled_df.reindex(columns=list(FORECAST_REPORT_COLUMNS))


def _with_baselines(names: list[str]) -> list[str]:
    names = list(dict.fromkeys(names))
    return [*[b for b in BASELINES if b not in names], *names]


def _procedure_scores(data: QueueData, outer: pd.DataFrame, cfg: CenterConfig,
                      progress: Progress | None) -> pd.DataFrame:
    """Per outer window, the score of what `forecast` (``method="auto"``) would have
    chosen with the history before the cutoff (model `AUTO`; see `auto_backtest`)."""
    if outer.empty:
        return outer
    plan = cfg.planning
    choice = (plan.backtest_windows, plan.backtest_days, plan.backtest_step_days)
    wanted = sorted({c for cutoff in set(outer["cutoff"])
                     for c in inner_cutoffs(data, pd.Timestamp(cutoff), *choice)})
    inner = run_backtest(data, AUTO_MODELS, plan.backtest_windows, plan.backtest_days,
                         plan.backtest_step_days, plan.prediction_level, progress, at=wanted)
    candidates = outer[outer["model"].isin(AUTO_MODELS)]
    return auto_backtest(data, candidates, inner, choice)


def _pooled_report(
    data: QueueData, scores: pd.DataFrame, windows: int, days: int, step: int, queue: Queue,
) -> pd.DataFrame:
    """The report rows of one queue: pooled volume scores per model, the choice among
    them (the `AUTO` row, when scored, is the procedure and never a candidate) and the
    handle-time rows."""
    pooled = pool(scores)
    pooled.insert(1, "target", "offered")
    chosen, reason = choose(pooled[pooled["model"] != AUTO])
    for base in BASELINES:
        ref = pooled.loc[pooled["model"] == base, "wmape"]
        value = float(ref.iloc[0]) if len(ref) else float("nan")
        if value > 1e-12:
            pooled[f"gain_vs_{base}"] = 1 - pooled["wmape"] / value
        else:
            # a perfect baseline: equal scores are no gain, anything worse is not defined
            pooled[f"gain_vs_{base}"] = np.where(pooled["wmape"] <= 1e-12, 0.0, np.nan)
    pooled["chosen"] = pooled["model"] == chosen
    pooled["reason"] = np.where(pooled["chosen"], reason, pooled["note"].fillna(""))
    procedure = scores[scores["model"] == AUTO] if "model" in scores else scores
    if len(procedure):
        picks = procedure["note"].value_counts()
        pooled.loc[pooled["model"] == AUTO, "reason"] = (
            "wfm forecast as run at each cutoff (model chosen by its own backtest on the "
            "history before it): " + ", ".join(f"{m} {n}" for m, n in picks.items()))
    return pd.concat([pooled, _aht_report(data, windows, days, step, queue)],
                     ignore_index=True)


def _aht_report(data: QueueData, windows: int, days: int, step: int, queue: Queue
                ) -> pd.DataFrame:
    """Handle-time rows: the profile and flat backtests and the choice, or the queue's
    default AHT when the history has no handle times for it."""
    if data.aht is None:
        given = queue.default_aht_seconds
        return pd.DataFrame([{
            "queue": data.queue, "target": "aht_seconds", "model": DEFAULT_AHT, "windows": 0,
            "chosen": given is not None,
            "reason": (f"no handle times in the history: default_aht_seconds {given:g} s "
                       "from the config") if given is not None else
                      "no handle times in the history and no default_aht_seconds"}])
    aht = pool_aht(aht_backtest(data, cutoffs(data.last_day, windows, days, step), days))
    if not aht.empty:
        aht.insert(1, "target", "aht_seconds")
        scores = aht.set_index("model")["wmape"]
        profile, flat = scores.get(AhtProfile.alias), scores.get(AhtFlat.alias)
        if profile is not None and flat is not None and profile < flat:
            pick, why = AhtProfile.alias, f"interval profile {profile:.4f} beats flat {flat:.4f}"
        else:
            pick, why = AhtFlat.alias, "the interval profile did not beat one flat AHT"
        aht["chosen"] = aht["model"] == pick
        aht["reason"] = np.where(aht["chosen"], why, "")
    return aht


def forecast(
    history_df: pd.DataFrame,
    cfg: CenterConfig,
    start: date,
    days: int,
    method: str = "auto",
    special_days: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Forecast every queue and interval of ``days`` days from ``start``.

    Returns ``(forecast_df, report_df)``. ``forecast_df`` follows the forecast contract:
    interval_start (tz-aware, center zone), queue, offered (contacts per interval),
    aht_seconds, offered_low / offered_high (the ``cfg.planning.prediction_level``
    interval) and model; zero outside opening hours and on closed days. History on or
    after ``start`` is ignored. ``report_df`` is the pooled backtest of each queue (see
    `backtest`) with the chosen model flagged; ``report_df.attrs["outliers"]`` lists the
    history days kept out of the fit (queue, date, offered, expected, reason).
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    if method != "auto":
        make_model(method)
    from wfm.calendar import interval_grid

    plan = cfg.planning
    level = plan.prediction_level
    grid = interval_grid(cfg.center, start, days)
    dates = pd.date_range(pd.Timestamp(start), periods=days, freq="D")
    history_df = history_df[wall_clock(history_df["interval_start"]) < pd.Timestamp(start)]
    frames, reports, outliers = [], [], []
    for queue in cfg.queues:
        data = prepare_queue(history_df, cfg, queue.id, dates[-1].date(), special_days)
        if data is None:
            frames.append(_to_contract(grid, queue.id, None, None, "no_history", cfg))
            reports.append(pd.DataFrame([{
                "queue": queue.id, "target": "offered", "model": "no_history", "windows": 0,
                "chosen": True, "reason": "no history rows for this queue: zero forecast"}]))
            continue
        _check_length(data)
        names = list(AUTO_MODELS) if method == "auto" else _with_baselines([method])
        scores = run_backtest(data, names, plan.backtest_windows, plan.backtest_days,
                              plan.backtest_step_days, level, progress)
        report = _pooled_report(data, scores, plan.backtest_windows, plan.backtest_days,
                                plan.backtest_step_days, queue)
        volume = report[report["target"] == "offered"]
        if method == "auto":
            chosen = volume.loc[volume["chosen"].fillna(False).astype(bool)]
            name = str(chosen["model"].iloc[0]) if len(chosen) else REFERENCE_MODEL
            reason = str(chosen["reason"].iloc[0]) if len(chosen) else \
                "no backtest window could be scored (history too short)"
        else:
            name, reason = method, "requested with --method"
        model, name, note = _fit_with_fallback(data, name, method)
        report = _mark_choice(report, data.queue, name, note or reason)
        scale = interval_scale(scores, name, level) if "covered" in scores else 1.0
        model.interval_scale = float(np.clip(scale, *SCALE_LIMITS))
        prediction = model.predict(dates, level)
        aht_matrix = _aht_forecast(data, report, dates, queue)
        frames.append(_to_contract(grid, queue.id, prediction, aht_matrix, name, cfg))
        reports.append(report)
        if len(data.outliers):
            outliers.append(data.outliers.assign(queue=queue.id))
        if progress is not None:
            progress(f"{queue.id}: forecast with {name}")
    forecast_df = pd.concat(frames, ignore_index=True)[list(FORECAST_COLUMNS)]
    report_df = pd.concat(reports, ignore_index=True).reindex(columns=list(FORECAST_REPORT_COLUMNS))
    report_df.attrs["outliers"] = (
        pd.concat(outliers, ignore_index=True)[["queue", "date", "offered", "expected", "reason"]]
        if outliers else pd.DataFrame(columns=["queue", "date", "offered", "expected", "reason"]))
    return forecast_df, report_df


def _aht_forecast(data: QueueData, report: pd.DataFrame, dates: pd.DatetimeIndex,
                  queue: Queue) -> np.ndarray:
    """Handle time per date and slot (seconds): the model the report chose, or the queue's
    default AHT when the history has none."""
    slots = data.volume.shape[1]
    if data.aht is None:
        if queue.default_aht_seconds is None:
            raise BadInput(f"history: queue {queue.id!r} has no handle times; give "
                           "aht_seconds or the queue's default_aht_seconds")
        return np.full((len(dates), slots), float(queue.default_aht_seconds))
    aht_rows = report[(report["target"] == "aht_seconds") & report["chosen"].astype(bool)]
    use_flat = len(aht_rows) and aht_rows["model"].iloc[0] == AhtFlat.alias
    return (AhtFlat() if use_flat else AhtProfile()).fit(data).predict(dates, slots)


def _mark_choice(report: pd.DataFrame, queue: str, name: str, reason: str) -> pd.DataFrame:
    """Flag ``name`` as the chosen volume model (adding a row when it was not backtested)."""
    volume = report["target"] == "offered"
    if not ((report["model"] == name) & volume).any():
        extra = pd.DataFrame([{"queue": queue, "target": "offered", "model": name,
                               "windows": 0}])
        report = pd.concat([report, extra], ignore_index=True)
        volume = report["target"] == "offered"
    mine = volume & (report["model"] == name)
    report["chosen"] = np.where(volume, mine, report["chosen"].fillna(False)).astype(bool)
    report["reason"] = report["reason"].astype(object)
    report.loc[mine, "reason"] = reason
    return report


def _fit_with_fallback(data: QueueData, name: str, method: str):
    """Fit the chosen model; under auto, fall back to the 4-week mean when history is short."""
    try:
        return make_model(name).fit(data), name, ""
    except TooShort as exc:
        if method != "auto":
            raise BadInput(f"history: {exc}") from None
        for fallback in (REFERENCE_MODEL, "week_mean4", "seasonal_naive"):
            try:
                model = make_model(fallback).fit(data)
            except TooShort:
                continue
            return model, fallback, f"fallback: {exc}"
        raise BadInput(f"history: {exc}") from None


def _to_contract(
    grid: pd.DataFrame, queue: str, prediction, aht: np.ndarray | None, model: str,
    cfg: CenterConfig,
) -> pd.DataFrame:
    """Lay day x slot matrices onto the interval grid (repeated fall-back slots split)."""
    interval = cfg.center.interval_minutes
    out = pd.DataFrame({"interval_start": grid["interval_start"], "queue": queue})
    n = len(grid)
    if prediction is None:
        zeros = np.zeros(n)
        out["offered"], out["offered_low"], out["offered_high"] = zeros, zeros, zeros
        out["aht_seconds"] = zeros
        out["model"] = model
        return out
    day_pos = {d.date(): i for i, d in enumerate(prediction.mean.index)}
    rows = np.array([day_pos[d] for d in grid["date"]])
    slots = (grid["minute_of_day"].to_numpy() // interval).astype(int)
    keys = pd.Series(list(zip(grid["date"], slots, strict=True)))
    repeats = keys.map(keys.value_counts()).to_numpy()
    is_open = grid["is_open"].to_numpy()
    for column, matrix in (("offered", prediction.mean), ("offered_low", prediction.lo),
                           ("offered_high", prediction.hi)):
        values = matrix.to_numpy()[rows, slots] / repeats
        out[column] = np.where(is_open, values, 0.0)
    if aht is not None:
        values = aht[rows, slots]
        out["aht_seconds"] = np.where(is_open, np.nan_to_num(values), 0.0)
    else:
        out["aht_seconds"] = 0.0
    out["model"] = model
    return out
