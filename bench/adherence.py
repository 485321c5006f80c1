"""Benchmark: `wfm adherence` for 1,000 agents over 7 days of one-second state logs.

Target: at most 10 s and under 2 GiB (peak resident memory of the whole command).
Builds a schedule folder for 1,000 agents (`wfm.samples.plans.sample_schedule`: five
8.5-hour shifts each, two breaks and a lunch, some coaching) and its state logs
(`wfm.samples.states.agent_state_logs`: work cycles of a contact every few minutes at
one-second resolution, with the usual deviations), writes them as files, then times the
installed command end to end (reading, measuring, writing --out and --exceptions) with
``/usr/bin/time -v``. Baseline in the same run: pandas reading the state log file alone.

    python bench/adherence.py [--agents 1000] [--days 7] [--repeat 3]
                              [--record bench/results/adherence.md]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import data_rows, report, summary, timed  # noqa: E402

from wfm.io.config_file import load_config  # noqa: E402
from wfm.io.files import write_table  # noqa: E402
from wfm.io.inputs import roster_table  # noqa: E402
from wfm.samples.plans import sample_schedule  # noqa: E402
from wfm.samples.states import agent_state_logs  # noqa: E402
from wfm.samples.synthetic import synthetic_roster  # noqa: E402

CONFIG = ROOT / "configs" / "example.yaml"
START = date(2026, 11, 23)


def build(folder: Path, agents_count: int, days: int, seed: int = 0) -> dict[str, object]:
    """Write the roster, the schedule folder and the state logs; returns their sizes."""
    cfg = load_config(CONFIG)
    agents = synthetic_roster(cfg, agents_count, START, days, seed=seed)
    shifts, activities = sample_schedule(cfg, agents, START, days, seed=seed)
    states, _ = agent_state_logs(cfg, shifts, activities, seed=seed)
    schedule = folder / "schedule"
    schedule.mkdir()
    write_table(shifts, schedule / "schedule.csv")
    write_table(activities, schedule / "activities.csv")
    (schedule / "kpis.json").write_text(json.dumps(
        {"horizon": {"start": START.isoformat(), "days": days}}), encoding="utf-8")
    roster_table(agents).to_csv(folder / "agents.csv", index=False)
    write_table(states, folder / "agent_states.csv")
    return {"shifts": len(shifts), "activities": len(activities), "state_rows": len(states),
            "state_mb": (folder / "agent_states.csv").stat().st_size / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--record", type=Path, default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="wfm-bench-adherence-"))
    try:
        started = time.perf_counter()
        sizes = build(folder, args.agents, args.days)
        built = time.perf_counter() - started
        wfm = shutil.which("wfm") or "wfm"
        command = [wfm, "adherence", "--config", str(CONFIG), "--schedule",
                   str(folder / "schedule"), "--actuals", str(folder / "agent_states.csv"),
                   "--agents", str(folder / "agents.csv"), "--out", str(folder / "out.csv"),
                   "--exceptions", str(folder / "exceptions.csv")]
        baseline = [sys.executable, "-c", "import sys, pandas; "
                    "pandas.read_csv(sys.argv[1], dtype=str)", str(folder / "agent_states.csv")]
        runs = [timed(command) for _ in range(args.repeat)]
        reads = [timed(baseline) for _ in range(args.repeat)]
        exceptions = data_rows(folder / "exceptions.csv")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    best, read = min(w for w, _, _ in runs), min(w for w, _, _ in reads)
    best_cpu = min(c for _, _, c in runs)
    lines = [
        f"agents={args.agents} days={args.days} shifts={sizes['shifts']} "
        f"activities={sizes['activities']} state rows={sizes['state_rows']} "
        f"({sizes['state_mb']:.0f} MB CSV; built in {built:.0f} s); {exceptions} exceptions",
        summary("wfm adherence (whole command)", runs),
        summary("baseline: pandas.read_csv of the state log alone", reads),
        f"ratio wfm adherence / read_csv (best wall of each): {best / read:.2f}",
        f"target: at most 10 s and under 2048 MiB: wall {'met' if best <= 10 else 'NOT met'}, "
        f"CPU {'met' if best_cpu <= 10 else 'NOT met'} ({best_cpu:.2f} s), memory "
        f"{'met' if max(r for _, r, _ in runs) < 2048 else 'NOT met'}",
    ]
    report(lines, args.record, "Adherence benchmark",
           "Target: `wfm adherence` for 1,000 agents over 7 days of one-second-resolution "
           "state logs in at most 10 s and under 2 GiB (see the script's docstring).")


if __name__ == "__main__":
    main()
