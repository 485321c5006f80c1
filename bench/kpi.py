"""Benchmark: `wfm kpi` over two years of 15-minute history for 6 queues.

Target: at most 5 s for the whole command. Uses the committed sample history
(`sample_data/history.csv.gz`: 2024-09-09 to 2026-11-22, 6 queues, 189,000 rows with the
service-level columns) and times the installed command end to end (reading, measuring,
writing --out) with ``/usr/bin/time -v``, by day and by interval. Baseline in the same
run: `wfm validate` reading the same history.

    python bench/kpi.py [--repeat 3] [--record bench/results/kpi.md]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import data_rows, report, summary, timed  # noqa: E402

CONFIG = ROOT / "configs" / "example.yaml"
HISTORY = ROOT / "sample_data" / "history.csv.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--record", type=Path, default=None)
    args = parser.parse_args()
    wfm = shutil.which("wfm") or "wfm"
    folder = Path(tempfile.mkdtemp(prefix="wfm-bench-kpi-"))
    lines = []
    try:
        rows: dict[str, int] = {}
        best: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for by in ("day", "interval"):
            out = folder / f"kpi-{by}.csv"
            command = [wfm, "kpi", "--config", str(CONFIG), "--history", str(HISTORY),
                       "--by", by, "--out", str(out)]
            runs = [timed(command) for _ in range(args.repeat)]
            rows[by] = data_rows(out)
            lines.append(summary(f"wfm kpi --by {by} ({rows[by]} rows)", runs))
            best[by] = min(w for w, _, _ in runs)
            cpu[by] = min(c for _, _, c in runs)
        validate = [timed([wfm, "validate", "--config", str(CONFIG), "--history",
                           str(HISTORY)]) for _ in range(args.repeat)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    read = min(w for w, _, _ in validate)
    lines += [
        summary("baseline: wfm validate --history (the same read)", validate),
        f"ratio wfm kpi / wfm validate (best wall of each): day {best['day'] / read:.2f}, "
        f"interval {best['interval'] / read:.2f}",
        *(f"target at most 5 s, --by {by}: wall {'met' if best[by] <= 5 else 'NOT met'} "
          f"({best[by]:.2f} s), CPU {'met' if cpu[by] <= 5 else 'NOT met'} ({cpu[by]:.2f} s)"
          for by in best),
    ]
    report(lines, args.record, "KPI benchmark",
           "Target: `wfm kpi` over two years of 15-minute history for 6 queues in at most 5 s "
           "(see the script's docstring).")


if __name__ == "__main__":
    main()
