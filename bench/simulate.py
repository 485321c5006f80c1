"""Benchmarks of `wfm simulate` and of staffing calibrated by simulation.

    python bench/simulate.py speed [--agents 1000] [--contacts 700000] [--interpreted]
    python bench/simulate.py demo --schedule runs/latest [--reps 20]
    python bench/simulate.py calibrate --instance sample|synthetic300 [--iterations 6]

``speed``: one replication of a synthetic week of the example center: a roster from
`wfm.samples.synthetic`, shifts with breaks and lunches from `bench/export.py`'s schedule
generator, and a forecast proportional to the agents at work, scaled to ``--contacts``
contacts at an occupancy near 85% of the agents left after shrinkage. Times the compiled
event loop (draws, loop and tallies) per replication, and with ``--interpreted`` the same
loop run by CPython (numba's ``py_func``), once.

``demo``: `wfm simulate` on a published schedule (the README's demo week) with 20
replications, timed as a subprocess, and the same schedule simulated by the deliberately
simple SimPy reference (`tests/sim_reference.py`); per-queue weekly service levels side
by side.

``calibrate``: `wfm.calibrate.calibrate_step` on the sample center's demo week, or on the
300-agent benchmark instance of `bench/schedule.py` (roster and requirements from
`wfm.samples.synthetic`, seed 1) with a forecast whose Erlang plan reproduces those
requirements (see `synthetic_forecast`); the Erlang plan's and the calibrated
requirements' agent-hours, the simulated service levels and the iterations.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.export import synthetic_schedule  # noqa: E402
from wfm.calendar import interval_grid  # noqa: E402
from wfm.io.config_file import load_config  # noqa: E402
from wfm.io.schedule_folder import ScheduleFolder  # noqa: E402
from wfm.samples.synthetic import synthetic_roster  # noqa: E402
from wfm.verify import simulate as sim  # noqa: E402
from wfm.verify import simulate_engine as engine  # noqa: E402

START = date(2026, 2, 2)
DAYS = 7


def machine() -> str:
    """Cores, memory and load, for the record."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    memory = subprocess.run(["free", "-g"], capture_output=True, text=True,
                            check=False).stdout.splitlines()[1].split()[1]
    return f"{os.cpu_count()} cores, {memory} GiB, load average {load}"


def speed_case(agents: int, contacts: int, seed: int = 0) -> tuple:
    """The config, roster, schedule and forecast of the speed benchmark."""
    cfg = load_config(ROOT / "configs" / "example.yaml")
    roster = synthetic_roster(cfg, agents, START, DAYS, seed=seed)
    shifts, activities = synthetic_schedule(cfg, roster, START, DAYS, seed)
    schedule = ScheduleFolder(shifts=shifts, activities=activities, start=START, days=DAYS)
    step = pd.Timedelta(minutes=cfg.center.interval_minutes)
    counts: dict[tuple, int] = {}
    for row in activities[activities["activity"] == "work"].itertuples(index=False):
        stamp = row.start
        while stamp < row.end:
            counts[(stamp, row.queue)] = counts.get((stamp, row.queue), 0) + 1
            stamp += step
    volume = pd.DataFrame([{"interval_start": s, "queue": q, "agents": n}
                           for (s, q), n in counts.items()])
    # Contacts arrive in opening hours only (the generator's shifts may run past them).
    grid = interval_grid(cfg.center, START, DAYS)
    volume = volume[volume["interval_start"].isin(
        set(grid.loc[grid["is_open"], "interval_start"]))]
    # Agent-seconds available after shrinkage, at 85% occupancy, shared out over contacts.
    seconds = volume["agents"].sum() * step.total_seconds() * 0.7 * 0.85
    aht = seconds / contacts
    concurrency = {q.id: q.concurrency if q.channel == "chat" else 1 for q in cfg.queues}
    volume["aht_seconds"] = aht * volume["queue"].map(concurrency)
    volume["offered"] = volume["agents"] * contacts / volume["agents"].sum()
    return cfg, roster, schedule, volume


def run_speed(args: argparse.Namespace) -> None:
    cfg, roster, schedule, volume = speed_case(args.agents, args.contacts)
    started = time.perf_counter()
    model = sim.build_model(cfg, roster, schedule, volume, START, DAYS)
    build = time.perf_counter() - started
    started = time.perf_counter()
    sim.compile_engine()
    compile_seconds = time.perf_counter() - started
    options = sim.SimulationOptions(reps=1)
    walls, cpus, contacts = [], [], 0.0
    for rep in range(args.repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        counts = sim.replicate(model, options, rep)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - started_cpu)
        contacts = float(counts["contacts"])
    lines = [f"{args.agents} agents, {len(schedule.shifts)} shifts, {contacts:.0f} contacts in "
             f"the last replication; model built in {build:.1f} s, engine compiled or loaded "
             f"from numba's cache in {compile_seconds:.1f} s",
             "one replication (draws, event loop, tallies), wall seconds: "
             + ", ".join(f"{t:.2f}" for t in walls) + f" (best {min(walls):.2f})",
             "  CPU seconds: " + ", ".join(f"{t:.2f}" for t in cpus)]
    draw = sim.draw_replication(model, options, np.random.default_rng(0))
    started = time.perf_counter()
    sim.run_draw(model, draw)
    lines.append(f"event loop alone, compiled: {time.perf_counter() - started:.2f} s wall")
    if args.interpreted:
        loop = engine.run_replication.py_func
        saved = {name: getattr(engine, name) for name in ("_push", "_pop", "_unlist",
                                                           "_relist", "_first_waiting",
                                                           "_next_window")}
        for name, compiled in saved.items():
            setattr(engine, name, compiled.py_func)
        queue = draw.queue.astype(np.int64)
        order = np.argsort(queue, kind="stable").astype(np.int64)
        queue_start = np.concatenate([[0], np.cumsum(np.bincount(queue, minlength=len(
            model.queue_ids)))]).astype(np.int64)
        started = time.perf_counter()
        loop(draw.arrival, queue, draw.handle, draw.deadline, order, queue_start,
             model.queue_kind, model.queue_concurrency, model.queue_groups_start["skills"],
             model.queue_groups["skills"], model.queue_groups_key["skills"],
             model.group_queues_start["skills"], model.group_queues["skills"],
             model.group_queues_key["skills"], model.group_of, draw.window_agent_start,
             draw.window_start, draw.window_end, draw.window_carry)
        lines.append(f"event loop alone, the same code interpreted by CPython: "
                     f"{time.perf_counter() - started:.1f} s wall")
        for name, compiled in saved.items():
            setattr(engine, name, compiled)
    record(args.record, "One replication of a 1,000-agent week",
           "python bench/simulate.py " + " ".join(sys.argv[1:]),
           "```\n" + "\n".join(lines) + "\n```\n")


def record(path: Path | None, title: str, command: str, body: str) -> None:
    """Append a section (command, date, machine, result) to a Markdown result file."""
    section = (f"## {title}\n\n```\n{command}\n```\n\n"
               f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit "
               f"{_commit()}; machine: {machine()}.\n\n{body.rstrip()}\n")
    print(section)
    if path is None:
        return
    text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n" if path.exists() else \
        "# Simulation benchmark\n\n"
    path.write_text(text + section, encoding="utf-8")


def _commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, cwd=ROOT, check=False).stdout.strip()


def run_demo(args: argparse.Namespace) -> None:
    """`wfm simulate` on a published folder, timed, beside the SimPy reference."""
    from tests.sim_reference import simulate_reference
    from wfm.io.inputs import read_agents, read_forecast
    from wfm.io.schedule_folder import read_schedule
    from wfm.verify.folder import folder_horizon
    from wfm.verify.simulate_report import simulate_schedule

    folder_path = Path(args.schedule)
    config = ROOT / "configs" / "example.yaml"
    out = Path(tempfile.mkdtemp()) / "simulation.csv"
    command = ["/usr/bin/time", "-v", str(Path(sys.executable).parent / "wfm"), "simulate",
               "--config", str(config), "--schedule", str(folder_path), "--forecast",
               str(folder_path / "forecast.csv"), "--reps", str(args.reps), "--out", str(out)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    if not out.exists():
        raise SystemExit(f"wfm simulate wrote no {out}:\n{done.stdout}\n{done.stderr}")
    wall = time.perf_counter() - started
    peak = next((line.split(":")[1].strip() for line in done.stderr.splitlines()
                 if "Maximum resident set size" in line), "?")
    cfg = load_config(config)
    agents = read_agents(ROOT / "sample_data" / "agents.csv", cfg)
    schedule = read_schedule(folder_path, cfg)
    start, days, _ = folder_horizon(schedule, folder_path)
    forecast = read_forecast(folder_path / "forecast.csv", cfg)
    started = time.perf_counter()
    reference = simulate_reference(cfg, agents, schedule.activities, schedule.shifts,
                                   forecast, start, days, args.reps, seed=args.seed)
    reference_seconds = time.perf_counter() - started
    # The CLI's figures again, in process (the same seed gives the same figures).
    ours_table = simulate_schedule(cfg, agents, schedule, forecast, start, days,
                                   sim.SimulationOptions(reps=args.reps)).queues
    ours_table = ours_table.set_index("queue")
    lines = ["| queue | wfm simulate SL (95% CI) | SimPy reference SL (95% CI) "
             "| difference, points |", "|---|---:|---:|---:|"]
    worst = 0.0
    for queue in cfg.queues:
        ours = (float(ours_table.loc[queue.id, "service_level"]),
                float(ours_table.loc[queue.id, "service_level_ci95"]))
        ref = reference[reference["queue"] == queue.id]
        theirs = _reference_level(ref)
        difference = (ours[0] - theirs[0]) * 100
        if queue.channel in ("voice", "chat"):
            worst = max(worst, abs(difference))
        lines.append(f"| {queue.id} | {ours[0]:.1%} (±{ours[1] * 100:.1f}) | "
                     f"{theirs[0]:.1%} (±{theirs[1] * 100:.1f}) | {difference:+.2f} |")
    summary = [line for line in done.stdout.splitlines() if "replications" in line]
    body = (f"`wfm simulate` ({args.reps} replications): {wall:.1f} s wall as a subprocess, "
            f"peak memory {peak} kB; its own line: {summary[0] if summary else '?'}. SimPy "
            f"reference ({args.reps} replications, its own random streams): "
            f"{reference_seconds:.0f} s.\n\n" + "\n".join(lines)
            + f"\n\nLargest difference on a voice or chat queue: {worst:.2f} points.\n"
            "Both weekly levels are the mean over replications of each replication's "
            "week (contacts answered in time over contacts offered; email: items finished "
            "by their due time over the items due in the week).\n")
    record(args.record, "Demo week: `wfm simulate` and the SimPy reference",
           "python bench/simulate.py " + " ".join(sys.argv[1:]), body)


def _reference_level(rows: pd.DataFrame) -> tuple[float, float]:
    per_rep = rows.groupby("rep")[["within", "judged"]].sum()
    values = (per_rep["within"] / per_rep["judged"]).to_numpy(float)
    half = 1.96 * values.std(ddof=1) / np.sqrt(len(values)) if len(values) > 1 else np.nan
    return float(values.mean()), float(half)


#: Handle times of the synthetic forecast, seconds, by channel.
SYNTHETIC_AHT = {"voice": 300.0, "chat": 600.0, "email": 420.0, "outbound": 240.0}


def synthetic_forecast(cfg, need: pd.DataFrame) -> pd.DataFrame:
    """A forecast whose Erlang plan gives back ``need`` (``interval_start, queue,
    required``: agents with shrinkage) as closely as whole contacts allow: per live
    interval the most contacts the queue's model sizes at or below the net agents; per
    deferred interval the workload of those agents at the queue's occupancy."""
    from wfm.staffing.live import size_live
    from wfm.staffing.requirements import shrinkage_rates

    minutes = cfg.center.interval_minutes
    parts = []
    for queue in cfg.queues:
        rows = need[need["queue"] == queue.id].reset_index(drop=True)
        if rows.empty:
            continue
        shrink = shrinkage_rates(rows["interval_start"], cfg)
        net = np.floor(rows["required"].to_numpy(float) * (1.0 - shrink) + 1e-9)
        aht = np.full(len(rows), SYNTHETIC_AHT[queue.channel])
        if queue.channel in ("voice", "chat"):
            low, high = np.zeros(len(rows)), net * minutes * 60.0 / aht * queue.concurrency
            for _ in range(40):
                middle = (low + high) / 2.0
                fits = size_live(queue, middle, aht, minutes) <= net
                low, high = np.where(fits, middle, low), np.where(fits, high, middle)
            offered = np.floor(low * 10.0) / 10.0
        else:
            offered = net * minutes * 60.0 * queue.max_occupancy / aht
        parts.append(pd.DataFrame({"interval_start": rows["interval_start"], "queue": queue.id,
                                   "offered": offered, "aht_seconds": aht}))
    return pd.concat(parts, ignore_index=True)


def calibration_case(instance: str) -> tuple:
    """Config, roster, Erlang plan (horizon rows), start and days of an instance."""
    from wfm.io.inputs import read_agents, read_forecast
    from wfm.plan import horizon_rows, staff_step
    from wfm.samples.synthetic import synthetic_requirements

    cfg = load_config(ROOT / "configs" / "example.yaml")
    if instance == "sample":
        start = date(2026, 11, 23)
        agents = read_agents(ROOT / "sample_data" / "agents.csv", cfg)
        forecast = read_forecast(Path(instance_forecast()), cfg)
    else:
        size = int(instance.removeprefix("synthetic"))
        start = START
        agents = synthetic_roster(cfg, size, START, DAYS, seed=1)
        need = synthetic_requirements(cfg, agents, START, DAYS, seed=1)
        forecast = synthetic_forecast(cfg, need)
    plan = horizon_rows(staff_step(cfg, forecast), start, DAYS)
    return cfg, agents, plan, start


def instance_forecast() -> str:
    """The demo's forecast: ``WFM_DEMO_FORECAST`` or runs/latest/forecast.csv."""
    return os.environ.get("WFM_DEMO_FORECAST", str(ROOT / "runs" / "latest" / "forecast.csv"))


def run_calibrate(args: argparse.Namespace) -> None:
    from wfm.calibrate import calibrate_step, calibration_lines

    cfg, agents, plan, start = calibration_case(args.instance)
    out = Path(tempfile.mkdtemp()) / "schedule"
    started = time.perf_counter()
    outcome = calibrate_step(cfg, agents, plan, start, DAYS, out,
                             sim.SimulationOptions(reps=args.reps),
                             max_iterations=args.iterations,
                             time_limit_seconds=args.time_limit, workers=2, seed=0,
                             log=lambda message: print(message, flush=True))
    wall = time.perf_counter() - started
    first, best = outcome.iterations[0], outcome.best
    days = outcome.simulation.days
    live = days[days["queue"].isin([q.id for q in cfg.queues if q.channel in ("voice", "chat")])
                & (days["offered"] > 0)]
    met = int((live["service_level"] >= live["service_level_target"]).sum())
    table = ["| iteration | required agent-h | voice+chat required | scheduled agent-h | "
             "paid h | short agent-h | voice and chat queue-days | lowest margin | "
             "simulated weekly SL per live queue |", "|---:|---:|---:|---:|---:|---:|---|---:|---|"]
    for i in outcome.iterations:
        verdict = "all met" if i.meets_targets else f"{len(i.queue_days_short)} short"
        levels = ", ".join(f"{q} {v:.1%}" for q, v in i.service_level.items())
        mark = " (published)" if i.iteration == outcome.chosen else ""
        table.append(f"| {i.iteration}{mark} | {i.required_hours:.1f} | "
                     f"{i.live_required_hours:.1f} | {i.scheduled_hours:.1f} | "
                     f"{i.paid_hours:.1f} | {i.shortfall_hours:.1f} | {verdict} | "
                     f"{i.lowest_margin:+.1%} | {levels} |")
    saved = outcome.erlang_live_hours - best.live_required_hours
    body = (f"Instance `{args.instance}`: {len(agents)} agents, {DAYS} days from {start}, "
            f"{args.reps} replications per simulation, solver time limit "
            f"{args.time_limit:.0f} s per schedule; {wall:.0f} s in all.\n\n"
            + "\n".join(table)
            + f"\n\nErlang plan (iteration 1): {outcome.erlang_hours:.1f} agent-hours, "
            f"{outcome.erlang_live_hours:.1f} on voice and chat. Published (iteration "
            f"{outcome.chosen}): {best.required_hours:.1f} agent-hours, "
            f"{best.live_required_hours:.1f} on voice and chat: {saved:.1f} fewer "
            f"({saved / outcome.erlang_live_hours:.1%} of the voice and chat plan; "
            f"{(outcome.erlang_hours - best.required_hours) / outcome.erlang_hours:.1%} of all "
            f"hours). Voice and chat queue-days at or above target in the published "
            f"schedule's simulation: {met} of {len(live)}. Scheduled agent-hours "
            f"{first.scheduled_hours:.1f} (Erlang plan's schedule) and {best.scheduled_hours:.1f}"
            f" (published); paid hours {first.paid_hours:.1f} and {best.paid_hours:.1f}.\n\n"
            "```\n" + "\n".join(calibration_lines(outcome)) + "\n```\n")
    record(args.record, f"Calibration by simulation: {args.instance}",
           "python bench/simulate.py " + " ".join(sys.argv[1:]), body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    speed = sub.add_parser("speed")
    speed.add_argument("--agents", type=int, default=1000)
    speed.add_argument("--contacts", type=int, default=700_000)
    speed.add_argument("--repeat", type=int, default=3)
    speed.add_argument("--interpreted", action="store_true")
    demo = sub.add_parser("demo")
    demo.add_argument("--schedule", required=True)
    demo.add_argument("--reps", type=int, default=20)
    demo.add_argument("--seed", type=int, default=11)
    calibrate = sub.add_parser("calibrate")
    calibrate.add_argument("--instance", default="sample",
                           help="sample (the demo week; WFM_DEMO_FORECAST names its forecast) "
                                "or synthetic300")
    calibrate.add_argument("--reps", type=int, default=20)
    calibrate.add_argument("--iterations", type=int, default=6)
    calibrate.add_argument("--time-limit", type=float, default=120.0)
    for command in (speed, demo, calibrate):
        command.add_argument("--record", type=Path, default=None)
    args = parser.parse_args()
    if args.command == "speed":
        run_speed(args)
    elif args.command == "demo":
        run_demo(args)
    else:
        run_calibrate(args)


if __name__ == "__main__":
    main()
