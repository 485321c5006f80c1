"""The external rolling-origin check of `wfm forecast`, next to what `wfm backtest` reports.

Run:  python bench/external_backtest.py --config configs/us_bank.yaml \
          --history ../shared/data/us_bank_history_15min.csv --windows 8 [--out FILE.md]

The protocol, written here apart from wfm's own backtest code:

- cutoffs 7 days apart, the last one 14 days before the history's last day; for each
  cutoff, history strictly before it is all that is read;
- `wfm.plan.forecast_step` (the library step of `wfm forecast`, model chosen by its own
  backtest on that history) forecasts the 14 days from the cutoff;
- every interval of every day the history holds in the window is scored (a day absent
  from the history is neither scored nor used by a baseline; inside a present day an
  interval without a row counts as 0 contacts);
- pooled interval wMAPE = sum |forecast - actual| / sum actual over all windows, against
  the seasonal naive (the same interval on the most recent present same weekday) and the
  mean of the same interval over the 4 most recent present same weekdays.

Then `wfm.forecast.backtest` (what `wfm backtest` prints) runs on the whole history with
the same windows, and the script reports both figures for the chosen model.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from wfm.io.config_file import load_config  # noqa: E402
from wfm.plan import forecast_step, read_inputs  # noqa: E402

DAYS = 14
STEP = 7
BASELINE_WEEKS = 4


def wall(stamps: pd.Series) -> pd.Series:
    """Naive wall-clock times of tz-aware stamps."""
    return stamps.dt.tz_localize(None)


def actual_table(history: pd.DataFrame) -> pd.DataFrame:
    """History as (queue, day, wall-clock slot) -> offered, summed over repeated slots."""
    clock = wall(history["interval_start"])
    frame = pd.DataFrame({"queue": history["queue"].to_numpy(),
                          "day": clock.dt.normalize().to_numpy(),
                          "minute": (clock.dt.hour * 60 + clock.dt.minute).to_numpy(),
                          "offered": history["offered"].to_numpy(dtype=float)})
    return frame.groupby(["queue", "day", "minute"], as_index=False)["offered"].sum()


def baselines(train: pd.DataFrame, queue: str, day: pd.Timestamp) -> dict[str, pd.Series]:
    """Seasonal naive and 4-week mean for one queue and day (minute -> contacts)."""
    rows = train[(train["queue"] == queue) & (train["day"].dt.day_of_week == day.day_of_week)]
    present = sorted(rows["day"].unique())
    recent = present[-BASELINE_WEEKS:]
    if not recent:
        return {"seasonal_naive": pd.Series(dtype=float), "week_mean4": pd.Series(dtype=float)}
    naive = rows[rows["day"] == recent[-1]].set_index("minute")["offered"]
    wide = rows[rows["day"].isin(recent)].pivot_table(index="minute", columns="day",
                                                      values="offered", aggfunc="sum")
    mean = wide.fillna(0.0).mean(axis=1)
    return {"seasonal_naive": naive, "week_mean4": mean}


def external(cfg, history: pd.DataFrame, special, windows: int) -> pd.DataFrame:
    """Per cutoff and queue: absolute errors and actual sums of wfm and both baselines."""
    table = actual_table(history)
    last = table["day"].max()
    final = last - pd.Timedelta(days=DAYS)
    rows = []
    for k in range(windows - 1, -1, -1):
        cutoff = final - pd.Timedelta(days=STEP * k)
        head = history[wall(history["interval_start"]) < cutoff]
        began = time.perf_counter()
        forecast, report = forecast_step(cfg, head, cutoff.date(), DAYS, special)
        seconds = time.perf_counter() - began
        fc = actual_table(forecast.assign(offered=forecast["offered"]))
        train = table[table["day"] < cutoff]
        window = table[(table["day"] >= cutoff) & (table["day"] < cutoff + pd.Timedelta(days=DAYS))]
        chosen = report[(report["target"] == "offered") & report["chosen"].astype(bool)]
        for queue, actual in window.groupby("queue"):
            errors = {"wfm": 0.0, "seasonal_naive": 0.0, "week_mean4": 0.0}
            total = 0.0
            for day, day_rows in actual.groupby("day"):
                a = day_rows.set_index("minute")["offered"]
                f = fc[(fc["queue"] == queue) & (fc["day"] == day)].set_index("minute")["offered"]
                predictions = {"wfm": f, **baselines(train, queue, day)}
                for name, p in predictions.items():
                    index = a.index.union(p.index)
                    diff = p.reindex(index, fill_value=0.0) - a.reindex(index, fill_value=0.0)
                    errors[name] += float(np.abs(diff).sum())
                total += float(a.sum())
            model = chosen.loc[chosen["queue"] == queue, "model"]
            rows.append({"cutoff": cutoff.date(), "queue": queue, "actual": total,
                         "model": model.iloc[0] if len(model) else "",
                         "seconds": seconds, **{f"err_{n}": e for n, e in errors.items()}})
        print(f"cutoff {cutoff.date()}: {rows[-1]['model']} "
              f"wMAPE {rows[-1]['err_wfm'] / max(rows[-1]['actual'], 1e-9):.4f} "
              f"({seconds:.1f} s)", file=sys.stderr)
    return pd.DataFrame(rows)


def pooled(frame: pd.DataFrame) -> dict[str, float]:
    """Pooled wMAPE of wfm and the baselines, and wfm's gain on each."""
    total = frame["actual"].sum()
    out = {name: frame[f"err_{name}"].sum() / total
           for name in ("wfm", "seasonal_naive", "week_mean4")}
    out["gain_vs_week_mean4"] = 1 - out["wfm"] / out["week_mean4"]
    out["gain_vs_seasonal_naive"] = 1 - out["wfm"] / out["seasonal_naive"]
    return out


def internal(cfg, history: pd.DataFrame, special, windows: int) -> pd.DataFrame:
    """What `wfm backtest` reports on the same windows: its pooled rows (volume)."""
    from wfm.forecast import backtest

    _, report = backtest(history, cfg, windows=windows, days=DAYS, step=STEP,
                         special_days=special)
    return report[report["target"] == "offered"]


def window_lines(frame: pd.DataFrame, windows: int, last: int) -> list[str]:
    """Markdown: the per-cutoff table and the pooled figures over all and the last windows."""
    lines = ["| cutoff | model chosen | wfm | seasonal naive | 4-week mean |",
             "|---|---|---|---|---|"]
    for row in frame.itertuples():
        lines.append(f"| {row.cutoff} | {row.model} | {row.err_wfm / row.actual:.4f} | "
                     f"{row.err_seasonal_naive / row.actual:.4f} | "
                     f"{row.err_week_mean4 / row.actual:.4f} |")
    lines.append("")
    scopes = [("all", frame)]
    if last < windows:
        cut = sorted(frame["cutoff"].unique())[-last:]
        scopes.append((f"last {last}", frame[frame["cutoff"].isin(cut)]))
    for label, part in scopes:
        p = pooled(part)
        lines.append(f"- pooled over {label} windows: wfm **{p['wfm']:.4f}**, seasonal naive "
                     f"{p['seasonal_naive']:.4f}, 4-week mean {p['week_mean4']:.4f}: "
                     f"**{p['gain_vs_week_mean4']:.1%}** below the 4-week mean, "
                     f"{p['gain_vs_seasonal_naive']:.1%} below the seasonal naive")
    return lines


def emit(lines: list[str], out: Path | None) -> None:
    """Print the lines and append them to ``out`` when given."""
    text = "\n".join([*lines, ""])
    print(text)
    if out:
        with out.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--history", type=Path, required=True)
    parser.add_argument("--special-days", type=Path, default=None)
    parser.add_argument("--windows", type=int, default=8)
    parser.add_argument("--last", type=int, default=8,
                        help="also pool the last LAST windows alone")
    parser.add_argument("--skip-internal", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="append a markdown section")
    args = parser.parse_args()
    cfg = load_config(args.config)
    found = read_inputs(cfg, history=args.history, special_days=args.special_days,
                        complete_history=False)
    history, special = found.history, found.special_days
    load = os.getloadavg()[0]
    began = time.perf_counter()
    frame = external(cfg, history, special, args.windows)
    external_seconds = time.perf_counter() - began
    lines = [f"### External protocol: `{args.config}` on `{args.history.name}`, "
             f"{args.windows} windows\n",
             f"Command: `python bench/external_backtest.py --config {args.config} --history "
             f"{args.history} --windows {args.windows}`  ",
             f"Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; machine: "
             f"{platform.machine()}, nproc {os.cpu_count()}; load average at start {load:.2f}, "
             f"after the external loop {os.getloadavg()[0]:.2f}; external loop "
             f"{external_seconds:.0f} s\n",
             *window_lines(frame, args.windows, args.last)]
    if not args.skip_internal:
        began = time.perf_counter()
        report = internal(cfg, history, special, args.windows)
        seconds = time.perf_counter() - began
        lines.append(f"- `wfm backtest` on the same history and windows ({seconds:.0f} s):")
        for row in report.itertuples():
            mark = " (chosen)" if row.chosen is True else ""
            lines.append(f"  - {row.queue} {row.model}{mark}: {row.wmape:.4f}")
    emit(lines, args.out)


if __name__ == "__main__":
    main()
