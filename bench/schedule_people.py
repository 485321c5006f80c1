"""Benchmark of the schedule solver with the people around the phones: team leaders on
duty, weekly one-to-one coaching and weekly team meetings.

Instance: configs/example.yaml (its `leadership` rule: from 6 agents of a team on shift,
one of its team leaders on duty and not on a break; below that a team leader or a
campaign leader; leaders take contacts in at most a quarter of each shift) with two of its
activities, `coaching` (30 minutes per agent and week with a leader of the agent's team,
Mon-Fri 09:00-20:00, not in the first or last hour of a shift) and `team_meeting`
(30 minutes per team and week with a leader and at least 3 in 4 of the team together,
Tue-Thu 12:00-17:00); one week from 2026-02-02. Roster: `synthetic_roster` (seeded) put
into teams of 24 by `synthetic_people`, each with a team leader per 12 agents or part of
them (two; the last team, of 16, two as well) and two campaign leaders among its agents;
requirements from `synthetic_requirements` over the agents (85% of their hours).

Figures: coverage objective (under/over coverage as in bench/schedule.py plus
`objective.activity_missed` per attendee of each session not placed) against its lower
bound, the LP relaxation of the aggregate model extended to the new terms: the leaders as
coverage classes of their own, with their queue share as a row per class and day (the
intervals the class's leaders spend on queues at most the sum, over the options they
work that day, of ``floor(leader_queue_share * intervals)``: the sum of each leader's own
row, which every schedule keeps); every session as fractional placements per coverage
class that take the class's people off the queues for its length, and a missed variable
per session at ``objective.activity_missed`` per attendee. Every schedule maps to a point
of it with the same coverage and missed cost, so it stays a lower bound. The
leader-on-duty rule is left out of the relaxation (fewer rows still bound every schedule
from below, but the rule's cost, the agents kept to the hours their leaders watch, is not
in the bound). Then the checker's verdict on the final schedule (every hard rule,
the leader rule in every interval, each session's window, attendance and host), the
sessions placed and not placed (with their reasons), wall and CPU seconds, peak memory.

    /usr/bin/time -v python bench/schedule_people.py --agents 1000 --limit 600 \
        --out bench/results/schedule_people.md
    python bench/schedule_people.py --sample --out bench/results/schedule_people.md

``--sample`` solves the sample center with its people as the README's demo does
(configs/example.yaml, its time limit, sample_data/agents.csv, the requirements of the
week from 2026-11-23) three times in one run: as the solver does it; with the sessions
placed by the day-by-day model instead of on the plan (`activities.place_sessions`, the
way before `session_greedy`); and with the LP's counts split group by group without the
leaders in view (`split.split_from_lp`, the way before `team_split`), the repair of
`leaders.team_schedules` then doing the work.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wfm.errors import WfmError  # noqa: E402  (after the path setup)
from wfm.io.config_file import load_config  # noqa: E402
from wfm.samples.synthetic import (  # noqa: E402
    synthetic_people,
    synthetic_requirements,
    synthetic_roster,
)
from wfm.schedule.solve import solve_schedule  # noqa: E402
from wfm.verify.check import check_schedule  # noqa: E402

START = date(2026, 2, 2)
DAYS = 7
ACTIVITIES = ("coaching", "team_meeting")
TITLE = "Schedule solver with leaders, coaching and team meetings"
#: The solver as it is, then one step each the way it was before (``--sample``).
VARIANTS = ("as solved", "sessions by the day model", "split by group")


def synthetic(agents_count: int, seed: int) -> tuple:
    """Config, people, requirements and start of the synthetic instance."""
    base = load_config(ROOT / "configs" / "example.yaml")
    cfg = base.model_copy(update={"activities": [a for a in base.activities
                                                 if a.id in ACTIVITIES]})
    agents = synthetic_people(synthetic_roster(cfg, agents_count, START, DAYS, seed=seed))
    need = synthetic_requirements(cfg, [a for a in agents if a.role == "agent"], START, DAYS,
                                  seed=seed)
    return cfg, agents, need, START


def _group_split(inst, groups, counts, seed):  # noqa: ANN001, ANN202 (the old way's shape)
    """The LP's counts split group by group, the leaders not in view (before team_split)."""
    from wfm.schedule.split import split_from_lp

    shifts = {}
    for group in groups:
        shifts.update(split_from_lp(inst, group, {
            k: counts.get((group.index, k), 0.0) for keys in group.options.values()
            for k in keys}, seed))
    return shifts


def run(agents_count: int, limit: float | None, seed: int, method: str,
        sample: bool = False, variant: str = "as solved") -> dict:
    """Solve and check one instance; returns the measured figures. ``variant`` swaps one
    step for the way before (see the module)."""
    import wfm.schedule.solve as solve_module

    if sample:
        from schedule import SAMPLE_START, instance  # bench/schedule.py, beside this script

        cfg, agents, need, start = instance("sample")
        assert start == SAMPLE_START
    else:
        cfg, agents, need, start = synthetic(agents_count, seed)
    limit = limit if limit is not None else cfg.solver.time_limit_seconds
    kept = solve_module.placeable, solve_module.split_with_leaders
    if variant == "sessions by the day model":
        solve_module.placeable = lambda inst: False
    elif variant == "split by group":
        solve_module.split_with_leaders = _group_split
    load_start = os.getloadavg()
    started, cpu_started = time.monotonic(), time.process_time()
    def log(message: str) -> None:
        print(f"{time.monotonic() - started:7.1f}s {message}", file=sys.stderr, flush=True)

    head = {"agents": sum(a.role == "agent" for a in agents),
            "leaders": sum(a.role == "team_leader" for a in agents),
            "teams": len({a.team for a in agents}), "method": method, "limit_s": limit,
            "instance": "sample center" if sample else "synthetic", "variant": variant}
    try:
        result = solve_schedule(cfg, agents, need, start, DAYS, time_limit_seconds=limit,
                                workers=2, seed=0, method=method, log=log)
    except WfmError as exc:  # recorded as it happened: no schedule to check
        return {**head, "status": type(exc).__name__, "error": str(exc),
                "wall_s": round(time.monotonic() - started, 1),
                "cpu_s": round(time.process_time() - cpu_started, 1),
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "load_start": [round(x, 2) for x in load_start],
                "load_end": [round(x, 2) for x in os.getloadavg()]}
    finally:
        solve_module.placeable, solve_module.split_with_leaders = kept
    wall, cpu = time.monotonic() - started, time.process_time() - cpu_started
    unplaced = {e["session"]: e["reason"] for e in result.unplaced}
    violations = check_schedule(cfg, agents, result.shifts, result.activities,
                                requirements=need, start=start, days=DAYS, unplaced=unplaced)
    placed = result.activities[result.activities["session"].fillna("") != ""]
    ratio = (result.coverage_objective / result.coverage_bound
             if result.coverage_bound > 0 else float("nan"))
    return {
        **head, "status": result.status, "degraded": result.degraded,
        "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
        "first_valid_s": result.first_solution_seconds,
        "coverage": result.coverage_objective, "bound": result.coverage_bound,
        "ratio": ratio, "activities_missed_cost": result.penalties.get("activities_missed"),
        "shortfall_h": result.penalties.get("shortfall_agent_hours"),
        "required_h": result.penalties.get("required_agent_hours"),
        "sessions_placed": {a: int(n) for a, n in
                            placed.drop_duplicates("session")["activity"].value_counts().items()},
        "sessions_unplaced": len(unplaced),
        "unplaced_reasons": dict(Counter(unplaced.values()).most_common(3)),
        "violations": len(violations),
        "violation_rules": dict(Counter(v.rule for v in violations)),
        "sessions_seconds": next((float(n.split(" in ")[1].rstrip("s")) for n in result.notes
                                  if n.startswith("off-phone activities placed in")), None),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load_start": [round(x, 2) for x in load_start],
        "load_end": [round(x, 2) for x in os.getloadavg()],
        "notes": result.notes,
    }


def lines_of(row: dict) -> list[str]:
    """The result lines recorded for one run."""
    if "error" in row:
        return [
            f"{row['instance']} ({row['variant']}): "
            f"{row['agents']} agents, {row['leaders']} team leaders, {row['teams']} teams; "
            f"method {row['method']}, limit {row['limit_s']:.0f} s: {row['status']}",
            f"{row['error']}",
            f"wall {row['wall_s']:.1f} s, CPU {row['cpu_s']:.1f} s, peak memory "
            f"{row['peak_rss_mib']:.0f} MiB",
            f"load average at start {row['load_start']}, at end {row['load_end']}",
        ]
    checker = "valid" if row["violations"] == 0 else (
        f"{row['violations']} violations {row['violation_rules']}")
    seconds = row["sessions_seconds"]
    return [
        f"{row['instance']} ({row['variant']}): "
        f"{row['agents']} agents, {row['leaders']} team leaders, {row['teams']} teams; "
        f"method {row['method']}, limit {row['limit_s']:.0f} s, status {row['status']}"
        + (" (degraded: no better than the safe schedule)" if row["degraded"] else ""),
        f"wall {row['wall_s']:.1f} s, CPU {row['cpu_s']:.1f} s, first valid schedule at "
        f"{row['first_valid_s']:.1f} s, peak memory {row['peak_rss_mib']:.0f} MiB",
        f"coverage objective {row['coverage']:.0f}, lower bound {row['bound']:.0f}, "
        f"ratio {row['ratio']:.4f} ({(row['ratio'] - 1) * 100:.2f}% above the bound)",
        f"of which sessions not placed: {row['activities_missed_cost']:.0f}; shortfall "
        f"{row['shortfall_h']:.1f} agent-h of {row['required_h']:.0f} required",
        f"sessions placed {row['sessions_placed']}, not placed {row['sessions_unplaced']} "
        f"{row['unplaced_reasons']}"
        + (f"; placing them took {seconds:.1f} s" if seconds is not None else ""),
        f"checker: {checker}",
        f"load average at start {row['load_start']}, at end {row['load_end']}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--limit", type=float, default=None,
                        help="seconds (default 600; with --sample the config's limit)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--method", default="aggregate", choices=["aggregate", "exact"])
    parser.add_argument("--sample", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    limit = args.limit if args.limit is not None or args.sample else 600.0
    variants = VARIANTS if args.sample else VARIANTS[:1]
    lines: list[str] = []
    for variant in variants:
        row = run(args.agents, limit, args.seed, args.method, args.sample, variant)
        print(json.dumps(row, default=str), flush=True)
        lines += ([""] if lines else []) + lines_of(row)
    from timing import report  # bench/timing.py, beside this script

    intro = __doc__.split("\n\n", 1)[1].rsplit("\n\n", 2)[0]
    report(lines, args.out, TITLE, intro)


if __name__ == "__main__":
    main()
