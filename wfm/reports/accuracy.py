"""Forecast accuracy over time: each published forecast against the actuals after it.

Every good nightly run keeps the forecast it published (``RUNS/<id>/forecast.csv``) and
its as-of date (``manifest.json``). `accuracy_report` scores each one on the history that
came after it, per queue and day of its horizon that has history rows (a day without rows
is a closed day or a gap in the history: it is not scored, so a run published before a
gap is scored on the days that have actuals). Alongside the published forecast it scores
the two baselines that would have been published the same night: the seasonal naive and
the 4-week mean of `wfm.forecast.models`, fit on the history before the run's horizon.

On the days scored, per queue and model:

- ``wmape`` = sum |forecast - actual| / sum actual, interval by interval;
- ``wmape_daily`` the same on daily totals; ``bias`` = sum (forecast - actual) / sum
  actual (positive: the forecast was too high);

by horizon (days ahead of the as-of date: 1 is the day after) and by run. Only offered
volume is scored. When several runs share an as-of date, the last one is scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from wfm.config import CenterConfig
from wfm.forecast.data import to_matrix
from wfm.forecast.models import SeasonalNaive, TooShort, WeekMean
from wfm.forecast.pipeline import prepare_queue
from wfm.io.inputs import PublishedForecast
from wfm.io.tables import ACCURACY_COLUMNS, ACCURACY_RUN_COLUMNS

PUBLISHED = "published"
BASELINES = (SeasonalNaive, WeekMean)
MODELS = (PUBLISHED, *(b.alias for b in BASELINES))
#: The horizons the summary shows (all are in the tables).
SHOWN_HORIZONS = (1, 7, 14)


@dataclass
class AccuracyReport:
    """Accuracy by horizon (`ACCURACY_COLUMNS`), by run (`ACCURACY_RUN_COLUMNS`), the
    daily errors behind them and notes on what was not scored."""

    by_horizon: pd.DataFrame
    by_run: pd.DataFrame
    daily: pd.DataFrame
    runs: list[str]
    notes: list[str] = field(default_factory=list)


def latest_per_night(runs: list[PublishedForecast]) -> tuple[list[PublishedForecast], list[str]]:
    """The last run of each as-of date, oldest night first, and the run ids left out."""
    kept: dict[date, PublishedForecast] = {}
    for run in sorted(runs, key=lambda r: r.run_id):
        kept[run.as_of] = run
    chosen = {id(r) for r in kept.values()}
    replaced = [r.run_id for r in runs if id(r) not in chosen]
    return [kept[d] for d in sorted(kept)], replaced


def _horizon_dates(run: PublishedForecast) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(run.start), periods=run.days, freq="D")


def _daily_errors(run: PublishedForecast, queue: str, actual: np.ndarray,
                  forecasts: dict[str, np.ndarray], dates: pd.DatetimeIndex) -> list[dict]:
    """One record per model and scored day: actual, forecast, absolute and signed errors."""
    records = []
    for model, matrix in forecasts.items():
        for i, day in enumerate(dates):
            a, f = actual[i], matrix[i]
            records.append({
                "run_id": run.run_id, "as_of": run.as_of, "queue": queue, "date": day.date(),
                "horizon_days": (day.date() - run.as_of).days, "model": model,
                "actual": float(a.sum()), "forecast": float(f.sum()),
                "abs_error": float(np.abs(f - a).sum()),
                "abs_error_daily": float(abs(f.sum() - a.sum())),
                "signed_error": float((f - a).sum()),
            })
    return records


def accuracy_report(cfg: CenterConfig, history: pd.DataFrame, runs: list[PublishedForecast],
                    special_days: pd.DataFrame | None = None) -> AccuracyReport:
    """Score each run's published forecast and the baselines of its night on ``history``.

    ``history`` is the history contract (`parse_history`), ``runs`` the published
    forecasts (`wfm.io.inputs.read_published_forecast`; the last of each as-of date is
    scored) and ``special_days`` the planning calendar the nightly run read (closures).
    """
    runs, replaced = latest_per_night(runs)
    notes = [f"run {r} replaced by a later run of the same night" for r in replaced]
    records: list[dict] = []
    interval = cfg.center.interval_minutes
    until = max((r.start + timedelta(days=r.days - 1) for r in runs), default=None)
    unscored_days = 0
    for queue in cfg.queues:
        data = prepare_queue(history, cfg, queue.id, until, special_days) if until else None
        if data is None:
            notes.append(f"{queue.id}: no history rows, nothing scored")
            continue
        for run in runs:
            dates = _horizon_dates(run)
            has = data.has_data.reindex(dates, fill_value=False).to_numpy()
            if not has.any():
                continue
            rows = run.forecast[run.forecast["queue"] == queue.id]
            if rows.empty:
                notes.append(f"run {run.run_id}: no forecast for {queue.id}")
                continue
            published = to_matrix(rows["interval_start"], rows["offered"], interval, dates[0],
                                  dates[-1]).fillna(0.0).to_numpy()
            forecasts = {PUBLISHED: published}
            head = data.before(pd.Timestamp(run.start))
            for baseline in BASELINES:
                try:
                    model = baseline().fit(head, calibrate=False)
                except TooShort:
                    break
                forecasts[baseline.alias] = model.predict(dates).mean.to_numpy()
            if len(forecasts) < len(MODELS):
                unscored_days += int(has.sum())
                continue
            actual = data.volume.reindex(dates).to_numpy()[has]
            records += _daily_errors(run, queue.id, actual,
                                     {m: f[has] for m, f in forecasts.items()}, dates[has])
    if unscored_days:
        notes.append(f"{unscored_days} queue-days not scored: the history before the run was "
                     "too short to fit a baseline")
    daily = pd.DataFrame(records, columns=[
        "run_id", "as_of", "queue", "date", "horizon_days", "model", "actual", "forecast",
        "abs_error", "abs_error_daily", "signed_error"])
    if daily.empty:
        notes.append("no run has actuals after it in the history: nothing scored")
    return AccuracyReport(_by_horizon(daily, cfg), _by_run(daily, cfg), daily,
                          [r.run_id for r in runs], notes)


def _pooled(daily: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = daily.groupby(keys, sort=False)
    table = grouped[["actual", "abs_error", "abs_error_daily", "signed_error"]].sum()
    table["days_scored"] = grouped.size()
    table["runs"] = grouped["run_id"].nunique()
    actual = table["actual"].where(table["actual"] > 0)
    table["wmape"] = table["abs_error"] / actual
    table["wmape_daily"] = table["abs_error_daily"] / actual
    table["bias"] = table["signed_error"] / actual
    return table.reset_index()


def _ordered(table: pd.DataFrame, cfg: CenterConfig | list[str], keys: list[str]
             ) -> pd.DataFrame:
    """Rows by queue (config order, or the order given), then ``keys``, then model."""
    queues = [q.id for q in cfg.queues] if isinstance(cfg, CenterConfig) else cfg
    queue_order = {q: i for i, q in enumerate(queues)}
    model_order = {m: i for i, m in enumerate(MODELS)}
    table = table.assign(_q=table["queue"].map(queue_order), _m=table["model"].map(model_order))
    return table.sort_values(["_q", *keys, "_m"], kind="stable").drop(columns=["_q", "_m"])


def _by_horizon(daily: pd.DataFrame, cfg: CenterConfig) -> pd.DataFrame:
    if daily.empty:
        return pd.DataFrame(columns=list(ACCURACY_COLUMNS))
    table = _pooled(daily, ["queue", "horizon_days", "model"])
    for baseline in BASELINES:
        base = table[table["model"] == baseline.alias].set_index(["queue", "horizon_days"])
        reference = pd.MultiIndex.from_frame(table[["queue", "horizon_days"]]).map(
            base["wmape"].to_dict()).to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            table[f"gain_vs_{baseline.alias}"] = np.where(reference > 0,
                                                          1 - table["wmape"] / reference, np.nan)
    return _ordered(table, cfg, ["horizon_days"]).reindex(columns=list(ACCURACY_COLUMNS))


def _by_run(daily: pd.DataFrame, cfg: CenterConfig) -> pd.DataFrame:
    if daily.empty:
        return pd.DataFrame(columns=list(ACCURACY_RUN_COLUMNS))
    table = _pooled(daily, ["run_id", "as_of", "queue", "model"])
    table = table.sort_values("as_of", kind="stable")
    return _ordered(table, cfg, ["as_of"]).reindex(columns=list(ACCURACY_RUN_COLUMNS))


def summary_lines(report: AccuracyReport) -> list[str]:
    """Per queue: interval wMAPE of the published forecast and the baselines 1, 7 and 14
    days ahead (where scored) and over every day ahead, with the days scored."""
    lines = [f"{'queue':<14}{'days ahead':>11}{'published':>11}{'seasonal naive':>16}"
             f"{'4-week mean':>13}{'days':>6}"]
    if report.daily.empty:
        return lines
    shown = report.by_horizon[report.by_horizon["horizon_days"].isin(SHOWN_HORIZONS)]
    every = _pooled(report.daily, ["queue", "model"]).assign(horizon_days="all")
    order = list(dict.fromkeys(report.by_horizon["queue"]))
    table = _ordered(pd.concat([shown, every], ignore_index=True), order, [])
    for (queue, horizon), part in table.groupby(["queue", "horizon_days"], sort=False):
        wmape = dict(zip(part["model"], part["wmape"], strict=True))
        days = int(part["days_scored"].iloc[0])

        def pct(model: str, values: dict = wmape) -> str:
            value = values.get(model)
            return "-" if value is None or pd.isna(value) else f"{value:.1%}"

        lines.append(f"{queue:<14}{horizon!s:>11}{pct(PUBLISHED):>11}"
                     f"{pct(SeasonalNaive.alias):>16}{pct(WeekMean.alias):>13}{days:>6}")
    return lines
