"""Benchmark of the schedule solver on seeded instances of the example center.

Instances: configs/example.yaml (6 queues of skill x language, 15-minute intervals,
Mon-Fri 08:00-21:00, Sat 09:00-15:00, Sunday closed, 3 shift templates with breaks and
lunch, 12 h rest, 2 consecutive days off, weekly hours per contract), one week from
2026-02-02, rosters from `wfm.schedule.synthetic` (cross-skilled agents with
proficiency, two languages, full/part-time, unavailable days, time windows, preferences)
and double-peaked requirements sized to 85% of the roster's hours.

For each size it runs the aggregate method (LP bound, CP-SAT on group counts, per-group
split) and the plain per-agent model (a boolean per agent, day and shift option, coverage
by sums, the same rules and objective), passes every schedule through the independent
checker and writes a Markdown table.

    python bench/schedule.py --sizes 100 300 1000 3000 --out bench/results/schedule.md
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wfm.errors import WfmError
from wfm.io.config_file import load_config
from wfm.samples.synthetic import synthetic_requirements, synthetic_roster, without_people
from wfm.schedule.solve import solve_schedule
from wfm.verify.check import check_schedule

START = date(2026, 2, 2)
DAYS = 7
LIMITS = {100: 60.0, 300: 120.0, 1000: 600.0, 3000: 600.0}


def run_one(size: int, method: str, limit: float, seed: int) -> dict:
    """Solve one instance with one method; returns the measured figures."""
    # the plain problem: bench/schedule_people.py measures the leaders and activities
    cfg = without_people(load_config(ROOT / "configs" / "example.yaml"))
    agents = synthetic_roster(cfg, size, START, DAYS, seed=seed)
    need = synthetic_requirements(cfg, agents, START, DAYS, seed=seed)
    started = time.monotonic()
    row = {"agents": size, "method": method, "limit_s": limit}
    try:
        result = solve_schedule(cfg, agents, need, START, DAYS, time_limit_seconds=limit,
                                workers=2, seed=0, method=method)
    except WfmError as exc:
        row.update(status=type(exc).__name__, final_s=time.monotonic() - started,
                   error=str(exc)[:200])
        return row
    violations = check_schedule(cfg, agents, result.shifts, result.activities,
                                requirements=need, start=START, days=DAYS)
    ratio = (result.coverage_objective / result.coverage_bound
             if result.coverage_bound > 0 else float("nan"))
    steps = result.milestones
    bound = result.coverage_bound
    row.update(
        status=result.status,
        first_valid_s=result.first_solution_seconds,
        first_valid_ratio=(steps["safe_coverage"] / bound
                           if "safe_coverage" in steps and bound > 0 else None),
        from_lp_s=steps.get("from_lp_seconds"),
        from_lp_ratio=(steps["from_lp_coverage"] / bound
                       if "from_lp_coverage" in steps and bound > 0 else None),
        lp_s=steps.get("lp_seconds"),
        final_s=time.monotonic() - started,
        coverage=result.coverage_objective,
        bound=result.coverage_bound,
        ratio=ratio,
        shortfall_h=result.penalties.get("shortfall_agent_hours"),
        required_h=result.penalties.get("required_agent_hours"),
        violations=len(violations),
        notes="; ".join(result.notes),
    )
    return row


def markdown(rows: list[dict]) -> str:
    head = ("| agents | method | limit s | status | first valid s (ratio) | LP s "
            "| first from LP s (ratio) | final s | coverage objective | lower bound | ratio "
            "| shortfall agent-h (of required) | checker |\n"
            "|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
    lines = []
    for r in rows:
        def f(key: str, fmt: str = "{:.1f}", r: dict = r) -> str:
            value = r.get(key)
            return "-" if value is None else fmt.format(value)
        checker = "-" if "violations" not in r else (
            "valid" if r["violations"] == 0 else f"{r['violations']} violations")
        def paired(seconds: str, ratio: str, r: dict = r) -> str:
            if r.get(ratio) is None:
                return f(seconds)
            return f"{f(seconds)} ({r[ratio]:.2f})"
        lines.append(
            f"| {r['agents']} | {r['method']} | {r['limit_s']:.0f} | {r['status']} | "
            f"{paired('first_valid_s', 'first_valid_ratio')} | {f('lp_s')} | "
            f"{paired('from_lp_s', 'from_lp_ratio')} | {f('final_s')} | "
            f"{f('coverage', '{:.0f}')} | "
            f"{f('bound', '{:.0f}')} | {f('ratio', '{:.3f}')} | "
            f"{f('shortfall_h')} ({f('required_h', '{:.0f}')}) | {checker} |")
    return head + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000, 3000])
    parser.add_argument("--methods", nargs="+", default=["aggregate", "exact"])
    parser.add_argument("--plain-limit", type=float, default=None,
                        help="time limit of the plain per-agent model (default: same)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--jsonl", type=Path, default=None)
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        for method in args.methods:
            limit = LIMITS.get(size, 600.0)
            if method == "exact" and args.plain_limit is not None:
                limit = args.plain_limit
            row = run_one(size, method, limit, args.seed)
            rows.append(row)
            print(json.dumps(row), flush=True)
            if args.jsonl:
                with open(args.jsonl, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(row) + "\n")
    table = markdown(rows)
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_suffix(".tmp")
        tmp.write_text(table, encoding="utf-8")
        os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
