"""Benchmark of the schedule solver: synthetic rosters of 100 to 5,000 agents and the
sample center, each run in its own process (peak memory per run).

Synthetic instances: configs/example.yaml (6 queues of skill x language, 15-minute
intervals, Mon-Fri 08:00-21:00, Sat 09:00-15:00, Sunday closed, 3 shift templates with
breaks and lunch, 12 h rest, 2 consecutive days off, weekly hours per contract), one week
from 2026-02-02, rosters from `wfm.samples.synthetic` (cross-skilled agents with
proficiency, two languages, full/part-time, unavailable days, time windows, preferences)
and double-peaked requirements sized to 85% of the roster's hours. The sample center:
configs/example.yaml with sample_data/agents.csv (130 agents) and the requirements of the
README's demo week (forecast and staffing of 2026-11-23 from sample_data/history.csv.gz).
The 24x7 center (``--sizes 24x7-N``): configs/center_24x7.yaml (open around the clock,
30-minute intervals, day, evening, night and part-time templates, nights across midnight,
a Friday-Saturday weekend) with N synthetic agents over the week from 2026-04-20, whose
clocks go forward at midnight on Friday and whose Saturday is a holiday with its own hours.

For each run: the coverage bound and its time, the coverage objective against it, the
time until a schedule within 10% (and 3%, 2%) of the bound was held, the soft goals as
recounted from the schedule, the peak memory (`/usr/bin/time -v` of the run's process;
its ru_maxrss without it), the load average before and after, and the independent
checker's verdict. ``--busy N`` runs N CPU-bound processes (``python -c 'while True:
pass'``) beside each run.

    python bench/schedule.py --sizes 100 300 1000 --out bench/results/schedule.md
    python bench/schedule.py --sizes sample --busy 2
    python bench/schedule.py --sizes 24x7-120 --limit 60
    python bench/schedule.py --sizes 300+flows 1000+flows

A ``+flows`` size adds the example config's back-office queue and collections campaign
(blended with Spanish billing) to the six queues, and gives the deferred and campaign
queues the work behind their curve, so the schedule works them as backlog flows; the
bound is then the coverage LP with the flows' terms (past-due, carried and idle work).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START = date(2026, 2, 2)
SAMPLE_START = date(2026, 11, 23)
NIGHTS_START = date(2026, 4, 20)  # the 24x7 center's week over its spring change
NIGHTS = "24x7-"
DAYS = 7
TIME_V = Path("/usr/bin/time")
LIMITS = {"sample": 60.0, 100: 60.0, 300: 120.0, 1000: 600.0, 3000: 600.0, 5000: 600.0}
#: A size ending so (``300+flows``): the example config's eight queues, its email and back
#: office queues and its collections campaign worked as backlog flows (their requirement
#: rows carry the work behind the curve: `wfm.samples.synthetic.with_flow_columns`).
FLOWS = "+flows"


def instance(size: str) -> tuple:
    """Config, agents, requirements and start of a synthetic size or the sample center."""
    from wfm.io.config_file import load_config

    cfg = load_config(ROOT / "configs" / "example.yaml")
    if size == "sample":  # as the nightly run reads it (wfm.run.stages.validate_stage)
        import pandas as pd

        from wfm.plan import forecast_step, horizon_rows, read_inputs, staff_step

        found = read_inputs(cfg, history=cfg.inputs.history, agents=cfg.inputs.agents,
                            special_days=cfg.inputs.special_days)
        agents, history = found.agents, found.history
        cut = pd.Timestamp(SAMPLE_START).tz_localize(cfg.center.timezone)
        forecast, _ = forecast_step(cfg, history[history["interval_start"] < cut],
                                    SAMPLE_START, DAYS, found.special_days)
        need = horizon_rows(staff_step(cfg, forecast), SAMPLE_START, DAYS)
        return cfg, agents, need, SAMPLE_START
    from wfm.samples.synthetic import (
        synthetic_requirements,
        synthetic_roster,
        with_flow_columns,
        without_people,
    )

    start = START
    flows = size.endswith(FLOWS)
    if size.startswith(NIGHTS):
        cfg = load_config(ROOT / "configs" / "center_24x7.yaml")
        start = NIGHTS_START
    elif not flows:  # the six live and email queues the benchmark has always had
        cfg = cfg.model_copy(update={"campaigns": [], "queues": [
            q for q in cfg.queues if q.channel != "backoffice"
            and cfg.campaign_for(q.id) is None]})
    cfg = without_people(cfg)  # the plain problem: bench/schedule_people.py has the people
    agents = synthetic_roster(cfg, _agents(size), start, DAYS, seed=1)
    need = synthetic_requirements(cfg, agents, start, DAYS, seed=1)
    if flows:
        need = with_flow_columns(cfg, need)
    return cfg, agents, need, start


def _agents(size: str) -> int:
    """The roster size of a synthetic instance (``300``, ``24x7-300`` or ``300+flows``)."""
    return int(size.removeprefix(NIGHTS).removesuffix(FLOWS))


def run_one(size: str, method: str, limit: float) -> dict:
    """Solve one instance in this process; returns the measured figures."""
    from wfm.errors import WfmError
    from wfm.schedule.solve import solve_schedule
    from wfm.verify.check import check_schedule

    cfg, agents, need, start = instance(size)
    row: dict = {"agents": len(agents), "instance": size, "method": method, "limit_s": limit,
                 "load_before": os.getloadavg()[0]}
    started = time.monotonic()
    try:
        result = solve_schedule(cfg, agents, need, start, DAYS, time_limit_seconds=limit,
                                workers=2, seed=0, method=method)
    except WfmError as exc:
        row.update(status=type(exc).__name__, final_s=time.monotonic() - started,
                   error=str(exc)[:200])
        return row
    final_s = time.monotonic() - started
    # the sessions reported not placed, as kpis.json gives them to the nightly checker
    unplaced = {e["session"]: e["reason"] for e in result.unplaced}
    violations = check_schedule(cfg, agents, result.shifts, result.activities,
                                requirements=need, start=start, days=DAYS, unplaced=unplaced)
    bound = result.coverage_bound
    steps = result.milestones
    goals = result.soft_goals
    prefs = goals["preferences"]
    row.update(
        status=result.status, degraded=result.degraded,
        lp_s=steps.get("lp_seconds"), bound=bound,
        safe_s=steps.get("safe_seconds"), safe_ratio=_ratio(steps.get("safe_coverage"), bound),
        first_s=steps.get("from_lp_seconds", steps.get("from_start_seconds")),
        first_ratio=_ratio(steps.get("from_lp_coverage", steps.get("from_start_coverage")),
                           bound),
        within_10pct_s=steps.get("within_10pct_seconds"),
        within_3pct_s=steps.get("within_3pct_seconds"),
        within_2pct_s=steps.get("within_2pct_seconds"),
        final_s=final_s, coverage=result.coverage_objective,
        ratio=_ratio(result.coverage_objective, bound),
        shortfall_h=result.penalties.get("shortfall_agent_hours"),
        required_h=result.penalties.get("required_agent_hours"),
        soft_cost=result.penalties.get("soft_goals"),
        days_off=f"{prefs['preferred_days_off']['met']}/{prefs['preferred_days_off']['stated']}",
        starts=f"{prefs['preferred_starts']['met']}/{prefs['preferred_starts']['stated']}",
        spread_h=goals["start_time_variation"]["hours"],
        fairness_above={k: goals["fairness"][k]["shifts_above_target"]
                        for k in ("weekend", "late", "night") if goals["fairness"][k]["agents"]},
        violations=len(violations), load_after=os.getloadavg()[0],
        peak_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        notes="; ".join(result.notes),
    )
    return row


def _ratio(value: float | None, bound: float) -> float | None:
    return None if value is None or bound <= 0 else value / bound


def markdown(rows: list[dict]) -> str:
    head = ("| instance | agents | limit s | load (before/after) | LP s | first from LP s "
            "(ratio) | within 10% s | within 3% s | within 2% s | final s | coverage "
            "objective | bound | ratio | shortfall agent-h (of required) | days off met "
            "| starts met | spread h | fairness above target | soft cost | peak MiB "
            "| checker |\n"
            "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
            "|---:|---|---:|---:|---|\n")
    lines = []
    for r in rows:
        def f(key: str, fmt: str = "{:.1f}", r: dict = r) -> str:
            value = r.get(key)
            return "-" if value is None else fmt.format(value)
        if "violations" not in r:
            lines.append(f"| {r['instance']} | {r['agents']} | {r['limit_s']:.0f} | "
                         f"{r['load_before']:.1f} | {r['status']}: {r.get('error', '')} |")
            continue
        checker = "valid" if r["violations"] == 0 else f"{r['violations']} violations"
        if r.get("degraded"):
            checker += ", DEGRADED"
        first = f(
            "first_s") + (f" ({r['first_ratio']:.3f})" if r.get("first_ratio") else "")
        fair = ", ".join(f"{k} {v}" for k, v in r["fairness_above"].items()) or "-"
        name = r["instance"] + (f" + {r['busy_processes']} busy" if r.get("busy_processes")
                                else "")
        lines.append(
            f"| {name} | {r['agents']} | {r['limit_s']:.0f} | "
            f"{r['load_before']:.1f}/{r['load_after']:.1f} | {f('lp_s')} | {first} | "
            f"{f('within_10pct_s')} | {f('within_3pct_s')} | {f('within_2pct_s')} | "
            f"{f('final_s')} | {f('coverage', '{:,.0f}')} | {f('bound', '{:,.0f}')} | "
            f"{f('ratio', '{:.3f}')} | {f('shortfall_h')} ({f('required_h', '{:,.0f}')}) | "
            f"{r['days_off']} | {r['starts']} | {f('spread_h')} | {fair} | "
            f"{f('soft_cost', '{:,.0f}')} | {f('peak_mib', '{:,.0f}')} | {checker} |")
    return head + "\n".join(lines) + "\n"


def in_subprocess(size: str, method: str, limit: float, busy: int) -> dict:
    """One run in a fresh process, with ``busy`` CPU-bound processes beside it."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(busy)]
    try:
        time.sleep(1.0 if busy else 0.0)
        command = [sys.executable, __file__, "--one", size, "--method", method,
                   "--limit", str(limit)]
        if TIME_V.exists():  # the run's peak resident memory as the house rules measure it
            command = [str(TIME_V), "-v", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"run {size} failed:\n{done.stderr[-2000:]}")
    row = json.loads(lines[-1])
    row["busy_processes"] = busy
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    if peak:
        row["peak_mib"] = int(peak.group(1)) / 1024
        row["peak_from"] = "/usr/bin/time -v"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["100", "300", "1000"],
                        help="roster sizes, or 'sample' for the sample center")
    parser.add_argument("--methods", nargs="+", default=["aggregate"])
    parser.add_argument("--limit", type=float, default=None, help="time limit (default: "
                        "60 s sample and 100, 120 s 300, 600 s from 1,000)")
    parser.add_argument("--busy", type=int, default=0,
                        help="CPU-bound processes beside each run")
    parser.add_argument("--jsonl", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--method", default="aggregate", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.method, args.limit)), flush=True)
        return
    rows = []
    for size in args.sizes:
        key = size if size == "sample" else _agents(size)
        for method in args.methods:
            limit = args.limit or LIMITS.get(key, 600.0)
            row = in_subprocess(size, method, limit, args.busy)
            rows.append(row)
            print(json.dumps(row), flush=True)
            if args.jsonl:
                with open(args.jsonl, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(row) + "\n")
    table = markdown(rows)
    print(table)
    if args.out:  # appended under the command and date: a results file keeps its history
        args.out.parent.mkdir(parents=True, exist_ok=True)
        command = "python bench/schedule.py " + " ".join(sys.argv[1:])
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        with open(args.out, "a", encoding="utf-8") as handle:
            handle.write(f"\n## `{command}`\n\nDate: {stamp}\n\n{table}\n")


if __name__ == "__main__":
    main()
