"""Benchmark: the forecast on a synthetic 24x7 center with its own weekend and calendar.

Run:  python bench/calendar_forecast.py [--windows 16] [--seed 1] [--out FILE.md]

The series is `wfm.samples.calendar_series.calendar_history` for the config
`configs/bank_24x7_fri_sat.yaml` (a Friday-Saturday weekend, holidays with eves, festival
days and days after from its country's calendar, 30-minute intervals at every hour, no
handle times, recorded on a clock without DST), one calendar year. It is checked with the
external rolling-origin protocol of `bench/external_backtest.py` (`wfm forecast` at each
cutoff on the history before it, against the seasonal naive and the 4-week mean), over
all windows and the last 8, next to `wfm backtest` on the same windows; the counting-noise
floor is the wMAPE of the true rate itself on the same days.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
from external_backtest import DAYS, STEP, emit, external, window_lines  # noqa: E402

from wfm.forecast import backtest  # noqa: E402
from wfm.io.config_file import load_config  # noqa: E402
from wfm.plan import read_inputs  # noqa: E402
from wfm.samples.calendar_series import calendar_history  # noqa: E402

CONFIG = REPO / "configs" / "bank_24x7_fri_sat.yaml"


def noise_floor(table: pd.DataFrame, history: pd.DataFrame, first: pd.Timestamp) -> float:
    """Pooled wMAPE of the true rate on the scored days (from ``first`` on)."""
    expected = np.asarray(table.attrs["expected"])
    day = pd.to_datetime(history["interval_start"].dt.tz_localize(None)).dt.normalize()
    scored = (day >= first).to_numpy()
    actual = history["offered"].to_numpy()
    return float(np.abs(expected - actual)[scored].sum() / actual[scored].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=16)
    parser.add_argument("--last", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=1999)
    parser.add_argument("--skip-external", action="store_true")
    parser.add_argument("--models", default=None, help="models for wfm backtest (default all)")
    parser.add_argument("--out", type=Path, default=None, help="append a markdown section")
    args = parser.parse_args()
    cfg = load_config(CONFIG)
    table = calendar_history(cfg, dt.date(args.year, 1, 1), dt.date(args.year, 12, 31),
                             seed=args.seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.csv"
        table.to_csv(path, index=False)
        history = read_inputs(cfg, history=path, complete_history=True).history
    load = os.getloadavg()[0]
    last = history["interval_start"].dt.tz_localize(None).max().normalize()
    first_cutoff = last - pd.Timedelta(days=DAYS + STEP * (args.windows - 1))
    lines = [f"### Synthetic 24x7 calendar center, seed {args.seed}, {args.year}, "
             f"{args.windows} windows\n",
             f"Command: `python bench/calendar_forecast.py --windows {args.windows} --seed "
             f"{args.seed} --year {args.year}`  ",
             f"Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; machine: "
             f"{platform.machine()}, nproc {os.cpu_count()}, Python "
             f"{platform.python_version()}; load average at start {load:.2f}\n",
             f"- counting-noise floor (true rate) over the scored days: "
             f"{noise_floor(table, history, first_cutoff):.4f}"]
    if not args.skip_external:
        began = time.perf_counter()
        frame = external(cfg, history, None, args.windows)
        lines.append(f"- external protocol ({time.perf_counter() - began:.0f} s):\n")
        lines += window_lines(frame, args.windows, args.last)
    began = time.perf_counter()
    models = args.models.split(",") if args.models else None
    per_window, report = backtest(history, cfg, windows=args.windows, days=DAYS, step=STEP,
                                  models=models)
    seconds = time.perf_counter() - began
    wide = per_window.pivot_table(index="cutoff", columns="model", values="wmape")
    lines.append(f"\n`wfm backtest --windows {args.windows}` ({seconds:.0f} s), interval wMAPE "
                 "per window:\n")
    lines.append("| cutoff | " + " | ".join(wide.columns) + " |")
    lines.append("|---|" + "---|" * len(wide.columns))
    for cutoff, row in wide.iterrows():
        lines.append(f"| {cutoff} | " + " | ".join(f"{v:.4f}" for v in row) + " |")
    lines.append("")
    volume = report[report["target"] == "offered"]
    cut = sorted(per_window["cutoff"].unique())[-args.last:]
    recent = per_window[per_window["cutoff"].isin(cut)]
    for row in volume.itertuples():
        mine = recent[recent["model"] == row.model]
        tail = mine["abs_error"].sum() / mine["actual"].sum() if len(mine) else float("nan")
        lines.append(f"- {row.model}: all windows {row.wmape:.4f} "
                     f"({row.gain_vs_week_mean4:+.1%} vs 4-week mean), last {args.last} "
                     f"{tail:.4f}{' (chosen)' if row.chosen is True else ''}")
    emit(lines, args.out)


if __name__ == "__main__":
    main()
