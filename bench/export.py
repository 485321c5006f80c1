"""Benchmark: write the coordinators' workbook for a synthetic 300-agent week.

Builds a schedule shaped like the solver's output (shifts from the example center's
templates, breaks and lunches inside their windows, work blocks on queues the agent
serves), a coverage table and a forecast, then times `wfm.excel.write_workbook`.

    python bench/export.py [--agents 300] [--days 7] [--repeat 3] [--out /tmp/bench.xlsx]
                           [--record bench/results/export.md]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import machine  # noqa: E402

from wfm.calendar import interval_grid  # noqa: E402
from wfm.config import WEEKDAYS, WHOLE_DAY, CenterConfig  # noqa: E402
from wfm.io.config_file import load_config  # noqa: E402
from wfm.reports.kpis import schedule_figures  # noqa: E402
from wfm.reports.workbook.book import write_workbook  # noqa: E402
from wfm.roster import Agent  # noqa: E402

TEAMS = ("Atlas", "Boreal", "Cierzo", "Levante", "Poniente", "Tramontana")
FIRST = ("Lucía", "Martín", "Sofía", "Hugo", "O'Brien", "Zoë", "Ángel", "Chloé", "Iñigo", "Emma")
LAST = ("García", "López", "Martínez", "D'Souza", "Núñez", "Smith", "Fernández", "Müller")


def synthetic_agents(cfg: CenterConfig, count: int, rng: random.Random) -> list[Agent]:
    """``count`` agents with random skills and languages drawn from the config's queues."""
    skills = sorted({q.skill for q in cfg.queues})
    languages = sorted({q.language for q in cfg.queues})
    agents = []
    for i in range(count):
        own = rng.sample(skills, rng.randint(1, min(3, len(skills))))
        spoken = rng.sample(languages, rng.randint(1, len(languages)))
        agents.append(Agent(
            agent_id=f"A{i + 1:04d}",
            name=f"{rng.choice(FIRST)} {rng.choice(LAST)} {i + 1}",
            team=TEAMS[i % len(TEAMS)],
            skills={s: rng.choice((1.0, 1.0, 0.8, 0.6)) for s in own},
            languages=tuple(spoken),
            contract="full_time" if rng.random() < 0.7 else "part_time",
        ))
    return agents


def synthetic_schedule(cfg: CenterConfig, agents: list[Agent], start: date, days: int,
                       seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Shifts and activities in the solver's format for open days of the period."""
    rng = random.Random(seed)
    zone = cfg.center.timezone
    shifts, activities = [], []
    for agent in agents:
        queues = [q.id for q in cfg.queues if agent.serves(q)] or [cfg.queues[0].id]
        templates = cfg.templates_for(agent.contract)
        open_days = [start + timedelta(days=d) for d in range(days)
                     if cfg.center.hours_on((start + timedelta(days=d)).weekday())]
        for day in sorted(rng.sample(open_days, min(5, len(open_days)))):
            template = rng.choice(templates)
            hours = cfg.center.hours_on(day.weekday())
            starts = [m for m in template.start_minutes
                      if hours[0].open_minute <= m and m + template.length_minutes
                      <= hours[-1].close_minute + 120] or template.start_minutes[:1]
            begin_minute = rng.choice(starts)
            begin = pd.Timestamp(day).tz_localize(zone) + pd.Timedelta(minutes=begin_minute)
            end = begin + pd.Timedelta(minutes=template.length_minutes)
            shifts.append({"agent_id": agent.agent_id, "date": day, "shift_start": begin,
                           "shift_end": end, "paid_minutes": template.paid_minutes,
                           "template": template.id})
            cursor = begin
            step = cfg.center.interval_minutes
            for rule in template.breaks:
                offset = rng.randrange(rule.earliest_start_minutes,
                                       rule.latest_start_minutes + 1, step)
                pause = begin + pd.Timedelta(minutes=offset)
                if pause < cursor:
                    pause = cursor
                if pause > cursor:
                    middle = cursor + (pause - cursor) // 2
                    middle = middle.floor(f"{step}min")
                    for a, b in ((cursor, middle), (middle, pause)):
                        if b > a:
                            activities.append({"agent_id": agent.agent_id, "start": a, "end": b,
                                               "activity": "work", "queue": rng.choice(queues)})
                pause_end = pause + pd.Timedelta(minutes=rule.duration_minutes)
                activities.append({"agent_id": agent.agent_id, "start": pause, "end": pause_end,
                                   "activity": rule.activity, "queue": ""})
                cursor = pause_end
            if end > cursor:
                activities.append({"agent_id": agent.agent_id, "start": cursor, "end": end,
                                   "activity": "work", "queue": rng.choice(queues)})
    return pd.DataFrame(shifts), pd.DataFrame(activities)


def coverage_from(cfg: CenterConfig, activities: pd.DataFrame, start: date, days: int,
                  seed: int = 0) -> pd.DataFrame:
    """Scheduled agents per queue and interval from work activities; required is made up."""
    rng = np.random.default_rng(seed)
    grid = interval_grid(cfg.center, start, days)
    grid = grid[grid["is_open"]]
    step = pd.Timedelta(minutes=cfg.center.interval_minutes)
    counts: dict[tuple, int] = {}
    work = activities[activities["activity"] == "work"]
    for row in work.itertuples(index=False):
        stamp = row.start
        while stamp < row.end:
            counts[(stamp, row.queue)] = counts.get((stamp, row.queue), 0) + 1
            stamp = stamp + step
    rows = []
    for stamp in grid["interval_start"]:
        for queue in cfg.queues:
            scheduled = counts.get((stamp, queue.id), 0)
            required = max(0, scheduled + int(rng.integers(-2, 4)))
            shortfall = max(0, required - scheduled)
            level = 0.0 if required and not scheduled else min(
                0.99, queue.service_level_target + 0.04 * (scheduled - required))
            rows.append({"interval_start": stamp, "queue": queue.id, "required": required,
                         "scheduled": scheduled, "shortfall": shortfall,
                         "offered": required * 6.0, "aht_seconds": 300.0,
                         "projected_service_level": max(0.0, level)})
    return pd.DataFrame(rows)


def forecast_from(coverage: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """A forecast table on the coverage grid (volumes roughly proportional to required)."""
    rng = np.random.default_rng(seed)
    offered = coverage["required"].to_numpy() * 6.0 + rng.uniform(0, 3, len(coverage))
    return pd.DataFrame({
        "interval_start": coverage["interval_start"], "queue": coverage["queue"],
        "offered": offered.round(1), "aht_seconds": rng.uniform(180, 420, len(coverage)).round(),
        "offered_low": (offered * 0.85).round(1), "offered_high": (offered * 1.15).round(1),
        "model": "ets",
    })


def build_case(agents_count: int, days: int, seed: int = 0, all_day: bool = False) -> dict:
    """Every argument of `write_workbook` except the path, for a synthetic center.

    ``all_day`` opens the center 24 hours a day, 7 days a week: every day sheet then has
    96 interval columns and coverage has a row per quarter-hour (the heaviest case).
    """
    cfg = load_config(ROOT / "configs" / "example.yaml")
    if all_day:
        center = cfg.center.model_copy(update={
            "opening_hours": dict.fromkeys(WEEKDAYS, WHOLE_DAY),
            "holidays": cfg.center.holidays.model_copy(update={"closed": False})})
        cfg = cfg.model_copy(update={"center": center})
    rng = random.Random(seed)
    start = date(2026, 3, 23)  # a week that runs into the spring DST change (29 March)
    agents = synthetic_agents(cfg, agents_count, rng)
    shifts, activities = synthetic_schedule(cfg, agents, start, days, seed)
    coverage = coverage_from(cfg, activities, start, days, seed)
    kpis = {"status": "FEASIBLE", "gap": 0.0123, "objective": 12345.0, "best_bound": 12193.0,
            "wall_seconds": 60.2, **schedule_figures(cfg, coverage, shifts, start, days)}
    return {"cfg": cfg, "agents": agents, "shifts": shifts, "activities": activities,
            "coverage": coverage, "kpis": kpis, "forecast": forecast_from(coverage, seed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=300)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--all-day", action="store_true",
                        help="open 24/7: 96 interval columns per day sheet")
    parser.add_argument("--out", type=Path, default=Path("/tmp/wfm-bench-export.xlsx"))
    parser.add_argument("--record", type=Path, default=None,
                        help="write a Markdown result file here")
    args = parser.parse_args()
    started = time.perf_counter()
    case = build_case(args.agents, args.days, all_day=args.all_day)
    build_seconds = time.perf_counter() - started
    timings, cpu = [], []
    for _ in range(args.repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        write_workbook(args.out, **case)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    size_mb = args.out.stat().st_size / 1e6
    n_shifts, n_acts, n_cov = len(case["shifts"]), len(case["activities"]), len(case["coverage"])
    lines = [
        f"agents={args.agents} days={args.days} open={'24/7' if args.all_day else 'config'} "
        f"shifts={n_shifts} activities={n_acts} "
        f"coverage_rows={n_cov} (synthetic data built in {build_seconds:.1f} s)",
        "write_workbook seconds: " + ", ".join(f"{t:.2f}" for t in timings)
        + f" (best {min(timings):.2f}, median {sorted(timings)[len(timings) // 2]:.2f})",
        "process CPU seconds: " + ", ".join(f"{t:.2f}" for t in cpu),
        f"file size: {size_mb:.2f} MB",
    ]
    print("\n".join(lines))
    if args.record:
        command = "python bench/export.py " + " ".join(sys.argv[1:])
        section = (
            f"## `{command}`\n\n"
            f"Date: {time.strftime('%Y-%m-%d %H:%M %Z')}\n\n"
            f"Machine (shared with other jobs, so wall times are noisy):\n\n{machine()}\n"
            "Result:\n\n```\n" + "\n".join(lines) + "\n```\n"
        )
        args.record.parent.mkdir(parents=True, exist_ok=True)
        if args.record.exists():  # one section per recorded run
            text = args.record.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + section
        else:
            text = (
                "# Workbook export benchmark\n\n"
                "Target: `write_workbook` for 300 agents x 7 days at 15-minute intervals in at "
                "most 15 s. Synthetic schedule shaped like the solver's output (see the "
                "script's docstring).\n\n" + section
            )
        args.record.write_text(text, encoding="utf-8")

if __name__ == "__main__":
    main()
