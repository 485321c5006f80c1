"""The forecast-accuracy report's workbook (`wfm accuracy --xlsx`): by horizon, by run, and
a chart per queue of the interval wMAPE run after run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from wfm.config import CenterConfig
from wfm.reports.accuracy import MODELS, PUBLISHED, AccuracyReport
from wfm.reports.workbook.pages import Footer
from wfm.reports.workbook.report import Chart, Column, TableSheet, write_report

_SCORES = [
    Column("days_scored", "Days scored", "wfm_int", 9), Column("actual", "Actual", "wfm_dec", 11),
    Column("wmape", "wMAPE", "wfm_pct", 9), Column("wmape_daily", "wMAPE daily", "wfm_pct", 9),
    Column("bias", "Bias", "wfm_pct", 9),
]
HORIZON_COLUMNS = [
    Column("queue", "Queue", "wfm_text", 14), Column("horizon_days", "Days ahead", "wfm_int", 8),
    Column("model", "Model", "wfm_text", 15), Column("runs", "Runs", "wfm_int", 7), *_SCORES,
    Column("gain_vs_seasonal_naive", "Gain vs seasonal naive", "wfm_pct", 12),
    Column("gain_vs_week_mean4", "Gain vs 4-week mean", "wfm_pct", 12),
]
RUN_COLUMNS = [
    Column("run_id", "Run", "wfm_text", 19), Column("as_of", "As of", "wfm_date", 11),
    Column("queue", "Queue", "wfm_text", 14), Column("model", "Model", "wfm_text", 15), *_SCORES,
]
LABELS = {PUBLISHED: "Published", "seasonal_naive": "Seasonal naive",
          "week_mean4": "4-week mean"}
DEFINITIONS = (
    "wMAPE = sum |forecast - actual| / sum actual over the days scored, interval by interval "
    "(daily: on day totals); bias = sum (forecast - actual) / sum actual. A day is scored "
    "when the history has it; the baselines are the seasonal naive and 4-week mean fit on "
    "the history before each run's horizon.")


def over_time(by_run: pd.DataFrame) -> pd.DataFrame:
    """Interval wMAPE per queue and run, one column per model (for the charts)."""
    if by_run.empty:
        return pd.DataFrame(columns=["queue", "as_of", *MODELS])
    wide = by_run.pivot_table(index=["queue", "as_of"], columns="model", values="wmape",
                              aggfunc="first", sort=False).reset_index()
    order = list(dict.fromkeys(by_run["queue"]))
    wide["_q"] = wide["queue"].map({q: i for i, q in enumerate(order)})
    wide = wide.sort_values(["_q", "as_of"], kind="stable").drop(columns="_q")
    return wide.reindex(columns=["queue", "as_of", *MODELS])


def write_accuracy_workbook(path: str | Path, cfg: CenterConfig,
                            report: AccuracyReport) -> None:
    """Sheets By horizon, By run, Over time and its charts (one per queue)."""
    dates = report.daily["date"] if len(report.daily) else pd.Series(dtype=object)
    period = (f"{min(dates).isoformat()} to {max(dates).isoformat()}" if len(dates)
              else "nothing scored")
    runs = f"{len(report.runs)} runs"
    notes = [DEFINITIONS, *(report.notes or [])]
    sheets = [
        TableSheet("By horizon", f"Forecast accuracy by days ahead: {cfg.center.name}, {runs}",
                   report.by_horizon, HORIZON_COLUMNS, notes),
        TableSheet("By run", f"Forecast accuracy per run: {cfg.center.name}, {runs}",
                   report.by_run, RUN_COLUMNS, notes),
        TableSheet("Over time", f"Interval wMAPE run after run: {cfg.center.name}",
                   over_time(report.by_run),
                   [Column("queue", "Queue", "wfm_text", 14),
                    Column("as_of", "As of", "wfm_date", 11),
                    *[Column(m, LABELS[m], "wfm_pct", 14) for m in MODELS]],
                   [DEFINITIONS],
                   Chart(group="queue", x="as_of",
                         series=tuple((m, LABELS[m]) for m in MODELS),
                         y_title="Interval wMAPE", title="{group}: interval wMAPE by run")),
    ]
    write_report(path, f"Forecast accuracy {cfg.center.name}",
                 Footer(cfg.center.name, period), sheets)
