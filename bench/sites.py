"""Benchmark: many sites in one night, on each engine, against running them one by one.

Makes ``--sites`` copies of the sample center (`configs/example.yaml`), each with its own
seeded history, roster and special days (`wfm.samples.center.write_sample_data`, seed
1, 2, ...; rosters of 110, 115, ... agents), then times, each with ``/usr/bin/time -v``:

- ``sequential``: one ``wfm run --config`` per site, one after another;
- ``local``: ``wfm run --sites`` on the local engine (processes, as many at once as the
  cores hold);
- ``ray``: the same on the Ray engine, Ray started on this machine.

Every run uses the same ``--as-of``, ``--time-limit`` and ``--workers``. With ``--big
AGENTS`` it also runs one sample center of that many agents through the whole chain, for
the per-site figures a larger unit needs (stage times, peak memory). The report goes to
``--out`` (Markdown).

    python bench/sites.py --sites 8 --time-limit 20 --workers 1 --big 1000 \
        --out bench/results/sites.md
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# the installed wfm (the benchmark runs its `wfm` command too)
from wfm.io.config_file import load_config
from wfm.run.folders import latest_run
from wfm.samples.center import write_sample_data

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-22"
FIRST_AGENTS = 110
AGENTS_STEP = 5
INPUTS = re.compile(r"^inputs:.*\Z", re.S | re.M)


def wfm() -> str:
    """The installed `wfm` next to this interpreter."""
    return str(Path(sys.executable).parent / "wfm")


def make_site(folder: Path, seed: int, agents: int) -> Path:
    """A copy of the sample center with its own seeded data in ``folder``; its config."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    if config.exists():
        return config
    text = (ROOT / "configs" / "example.yaml").read_text(encoding="utf-8")
    text = INPUTS.sub("inputs:\n  history: history.csv.gz\n  agents: agents.csv\n"
                      "  special_days: special_days.csv\n", text)
    text = text.replace("  seed: 0\n", f"  seed: {seed}\n")
    write_sample_data(load_config(ROOT / "configs" / "example.yaml"), folder, seed=seed,
                      agents=agents)
    config.write_text(text, encoding="utf-8")
    return config


def timed(command: list[str]) -> dict[str, Any]:
    """Run ``command`` under ``/usr/bin/time -v``: wall seconds, CPU seconds, peak RSS (MB
    of the largest process it waited for), exit code."""
    began = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - began
    report = done.stderr

    def number(label: str) -> float:
        match = re.search(rf"{re.escape(label)}: ([\d.]+)", report)
        return float(match.group(1)) if match else float("nan")

    return {"wall": wall, "cpu": number("User time (seconds)") + number("System time (seconds)"),
            "rss_mb": number("Maximum resident set size (kbytes)") / 1024,
            "code": done.returncode, "stdout": done.stdout.strip(),
            "tail": report.splitlines()[-30:] if done.returncode else []}


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def run_options(args: argparse.Namespace) -> list[str]:
    return ["--as-of", AS_OF, "--time-limit", str(args.time_limit), "--workers",
            str(args.workers), "--quiet", "--log-format", "json"]


def sequential(configs: dict[str, Path], runs: Path, args: argparse.Namespace) -> dict:
    """Each site's `wfm run`, one after another."""
    per_site = {}
    began = time.perf_counter()
    for site, config in configs.items():
        per_site[site] = timed([wfm(), "run", "--config", str(config), "--out",
                                str(runs / site), *run_options(args)])
        folder = latest_run(runs / site)
        manifest = json.loads((folder / "manifest.json").read_text()) if folder else {}
        per_site[site]["stages"] = {s["name"]: s["seconds"] for s in manifest.get("stages", [])}
        schedule = next((s for s in manifest.get("stages", []) if s["name"] == "schedule"), {})
        per_site[site]["figures"] = schedule.get("figures", {})
    return {"wall": time.perf_counter() - began, "sites": per_site}


def group(sites_file: Path, runs: Path, engine: str, args: argparse.Namespace) -> dict:
    """One `wfm run --sites` on ``engine``."""
    result = timed([wfm(), "run", "--sites", str(sites_file), "--out", str(runs),
                    "--engine", engine, *run_options(args)])
    manifests = sorted(runs.glob("group-*.json"))
    result["manifest"] = json.loads(manifests[-1].read_text()) if manifests else {}
    return result


PAIRED_MODES = ("sequential", "local", "ray")


def paired(configs: dict[str, Path], sites_file: Path, args: argparse.Namespace) -> list[dict]:
    """Rounds of two sites, each timed one by one and on each engine back to back (the
    order turns each round); returns each round's walls and loads."""
    rounds = []
    names = list(configs)
    for number in range(args.paired):
        pair = [names[(2 * number) % len(names)], names[(2 * number + 1) % len(names)]]
        modes = tuple(args.paired_modes)
        order = modes[number % len(modes):] + modes[:number % len(modes)]
        found: dict[str, Any] = {"sites": pair, "order": list(order)}
        for mode in order:
            runs = args.work / f"paired-{number}-{mode}"
            shutil.rmtree(runs, ignore_errors=True)
            before = load()
            if mode == "sequential":
                wall = sequential({site: configs[site] for site in pair}, runs, args)["wall"]
            else:
                result = timed([wfm(), "run", "--sites", str(sites_file), "--out", str(runs),
                                "--engine", mode, "--only", ",".join(pair),
                                *run_options(args)])
                wall = result["wall"] if result["code"] == 0 else float("nan")
            found[mode] = {"wall": wall, "load": before}
            print(f"paired {number} {mode}: {wall:.1f} s (load {before})", flush=True)
        rounds.append(found)
    return rounds


def big_site(work: Path, agents: int, args: argparse.Namespace) -> dict:
    """One sample center of ``agents`` agents through the whole chain."""
    config = make_site(work / f"big-{agents}", seed=11, agents=agents)
    runs = work / "runs-big"
    shutil.rmtree(runs, ignore_errors=True)
    result = timed([wfm(), "run", "--config", str(config), "--out", str(runs), "--as-of",
                    AS_OF, "--time-limit", str(args.big_time_limit), "--workers",
                    str(args.big_workers), "--quiet", "--log-format", "json"])
    folder = latest_run(runs)
    if result["code"] == 0 and folder is not None:
        manifest = json.loads((folder / "manifest.json").read_text())
        result["stages"] = {s["name"]: s["seconds"] for s in manifest["stages"]}
        result["figures"] = next(s for s in manifest["stages"]
                                 if s["name"] == "schedule")["figures"]
    result.update(agents=agents, load=load(), time_limit=args.big_time_limit,
                  workers=args.big_workers)
    return result


def _fmt(value: Any, digits: int = 1) -> str:
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return "" if value is None else str(value)


def report(args: argparse.Namespace, results: dict[str, Any], loads: dict[str, str],
           commands: list[list[str]] | None = None) -> str:
    """The Markdown section."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    total_memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [
        "# Many sites in one night", "",
        *(f"Command: `python bench/sites.py {' '.join(c)}`  " for c in
          (commands or [sys.argv[1:]])),
        f"Date: {now}  ",
        f"Machine: {platform.machine()}, nproc {os.cpu_count()}, {total_memory:.0f} GiB, "
        f"Python {platform.python_version()} (shared machine: times are noisy)", "",
        f"{args.sites} copies of the sample center (6 queues, 15-minute intervals, 2.2 years "
        f"of history, a week planned from {AS_OF}), each with its own seeded history and "
        f"roster ({FIRST_AGENTS} to {FIRST_AGENTS + AGENTS_STEP * (args.sites - 1)} agents); "
        f"every run `--time-limit {args.time_limit:g} --workers {args.workers}`. Peak memory "
        "and CPU are `/usr/bin/time -v`'s: peak memory of the largest single process it "
        "waited for, CPU of all of them (for Ray the driver alone: Ray's workers are not "
        "its children).", "",
        "| mode | wall s | speed-up over sequential | CPU s | peak RSS MB | exit | sites ok | "
        "load before |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    base = results["sequential"]["wall"] if "sequential" in results else None
    for mode in ("sequential", "local", "ray"):
        if mode not in results:
            continue
        found = results[mode]
        if mode == "sequential":
            sites = found["sites"].values()
            cpu = sum(s["cpu"] for s in sites)
            rss = max(s["rss_mb"] for s in sites)
            ok = sum(s["code"] == 0 for s in sites)
            code = max(s["code"] for s in sites)
        else:
            cpu, rss, code = found["cpu"], found["rss_mb"], found["code"]
            ok = (found["manifest"].get("summary") or {}).get("ok")
        ratio = f"{base / found['wall']:.2f}x" if base and mode != "sequential" else ""
        driver = " (driver)" if mode == "ray" else ""
        lines.append(f"| {mode} | {found['wall']:.1f} | {ratio} | {cpu:.0f}{driver} | "
                     f"{rss:.0f}{driver} | "
                     f"{code} | {ok}/{args.sites} | {loads[mode]} |")
    if "sequential" in results:
        lines += ["", "Per site, sequential runs (seconds; schedule figures from each run's "
                  "manifest):", "",
                  "| site | wall s | CPU s | peak RSS MB | validate | forecast | staff | "
                  "schedule | export | solver | shortfall h of required |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
        for site, found in results["sequential"]["sites"].items():
            st, fig = found.get("stages", {}), found.get("figures", {})
            lines.append(
                f"| {site} | {found['wall']:.1f} | {found['cpu']:.0f} | {found['rss_mb']:.0f} | "
                + " | ".join(_fmt(st.get(k)) for k in ("validate", "forecast", "staff",
                                                         "schedule", "export"))
                + f" | {fig.get('status', '')} | {_fmt(fig.get('shortfall_hours'))} of "
                f"{_fmt(fig.get('required_hours'))} |")
    for mode in ("local", "ray"):
        if mode not in results or not results[mode]["manifest"]:
            continue
        manifest = results[mode]["manifest"]
        lines += ["", f"Per site, {mode} engine (seconds from each site's start, from the group "
                  "manifest):", "", "| site | seconds | attempts | forecast | schedule | "
                  "status |", "|---|---:|---:|---:|---:|---|"]
        for entry in manifest["sites"]:
            st = entry["stage_seconds"]
            lines.append(f"| {entry['id']} | {_fmt(entry['seconds'])} | "
                         f"{len(entry['attempts'])} | {_fmt(st.get('forecast'))} | "
                         f"{_fmt(st.get('schedule'))} | {entry['status']} |")
    for key in sorted(k for k in results if k.startswith("paired")):
        lines += ["", *paired_lines(key, results[key])]
    if "big" in results:
        big = results["big"]
        st, fig = big.get("stages", {}), big.get("figures", {})
        lines += ["", f"One sample center of {big['agents']:,} agents, whole chain, "
                  f"`--time-limit {big['time_limit']:g} --workers {big['workers']}` "
                  f"(load before: {loads['big']}):", "",
                  "| wall s | CPU s | peak RSS MB | validate | forecast | staff | schedule | "
                  "export | solver | gap | shortfall h of required |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|",
                  f"| {big['wall']:.1f} | {big['cpu']:.0f} | {big['rss_mb']:.0f} | "
                  + " | ".join(_fmt(st.get(k)) for k in ("validate", "forecast", "staff",
                                                           "schedule", "export"))
                  + f" | {fig.get('status', '')} | {_fmt(fig.get('gap'), 4)} | "
                  f"{_fmt(fig.get('shortfall_hours'))} of {_fmt(fig.get('required_hours'))} |"]
    if "big" in results and results["big"].get("figures"):
        lines += ["", *cluster_estimate(results["big"], args)]
    return "\n".join(lines) + "\n"


def paired_lines(key: str, rounds: list[dict[str, Any]]) -> list[str]:
    """The Markdown table of one set of paired rounds."""
    engines = [m for m in ("local", "ray") if m in rounds[0]]
    lines = [f"Paired rounds (`{key}`): two sites timed one by one, then on "
             f"{' and '.join(engines)}, back to back (the order turns each round), so the "
             "load is about the same for each:", "",
             "| round | sites | order | one by one s | "
             + " | ".join(f"{m} s | {m} speed-up" for m in engines) + " | load at the start |",
             "|---|---|---|---:|" + "---:|---:|" * len(engines) + "---|"]
    ratios: dict[str, list[float]] = {m: [] for m in engines}
    for number, found in enumerate(rounds):
        base_wall = found["sequential"]["wall"]
        cells = []
        for mode in engines:
            ratio = base_wall / found[mode]["wall"]
            ratios[mode].append(ratio)
            cells.append(f"{found[mode]['wall']:.1f} | {ratio:.2f}x")
        lines.append(f"| {number + 1} | {', '.join(found['sites'])} | "
                     f"{', '.join(found['order'])} | {base_wall:.1f} | {' | '.join(cells)} | "
                     f"{found[found['order'][0]]['load']} |")
    lines += ["", "Median speed-up over one by one: " + ", ".join(
        f"{mode} {statistics.median(values):.2f}x" for mode, values in ratios.items())
        + f" ({len(rounds)} rounds)."]
    return lines


#: The solver time limit a 1,000-agent unit needs: bench/results/schedule.md reaches 3% of
#: the bound at 545-586 s of a 600 s limit.
LARGE_UNIT_LIMIT_SECONDS = 600.0


def cluster_estimate(big: dict[str, Any], args: argparse.Namespace, sites: int = 200,
                     windows_hours: tuple[float, ...] = (4.0, 1.0)) -> list[str]:
    """What ``sites`` units like the measured large one need on a cluster, as text lines.

    Per site: the measured time outside the solver (reading, forecast with its backtest,
    staffing, model building, checking, the workbook) plus the 600 s solve; CPU: the
    measured CPU outside the solver plus the solver's workers busy for 600 s; memory: the
    measured peak. Sites run ``big_workers`` cores each, as many at once as the window
    needs.
    """
    solver = float(big["figures"].get("solver_seconds") or 0.0)
    workers = big["workers"]
    outside_wall = big["wall"] - solver
    site_wall = outside_wall + LARGE_UNIT_LIMIT_SECONDS
    # a Ray task holds its num_cpus for its whole run
    core_hours = workers * site_wall / 3600
    rss_gb = big["rss_mb"] / 1024
    lines = [
        f"## What {sites} sites of {big['agents']:,} agents need on a cluster", "",
        f"From the {big['agents']:,}-agent site above: {outside_wall:.0f} s of wall time "
        f"outside the solver (read, forecast with its backtest, staffing, model building, "
        f"checking, workbook; measured at load {big['load']} on 2 cores, so an idle node is "
        f"faster) and {solver:.0f} s in it; peak memory {rss_gb:.1f} GB. At "
        f"{big['agents']:,} agents the solver needs its {LARGE_UNIT_LIMIT_SECONDS:.0f} s "
        "limit (bench/results/schedule.md: within 3% of the bound at 545-586 s), so one "
        f"site holds {workers} cores for about {site_wall / 60:.0f} min: "
        f"{core_hours:.2f} core-hours, and {sites} sites {sites * core_hours:.0f} "
        "core-hours a night:", "",
        "| window | sites at once | cores (Ray CPUs) | memory | nodes of 16 cores, 64 GB |",
        "|---|---:|---:|---:|---:|",
    ]
    for hours in windows_hours:
        at_once = math.ceil(sites * site_wall / (hours * 3600))
        cores = at_once * workers
        memory = at_once * rss_gb
        nodes = max(math.ceil(cores / 16), math.ceil(memory / 60))  # 4 GB left to the OS
        lines.append(f"| {hours:g} h | {at_once} | {cores} | {memory:.0f} GB | {nodes} |")
    lines += ["", "Each site is one Ray task with `num_cpus` = its solver workers, so Ray "
              "packs them onto the nodes; the driver only moves files (a site's inputs and "
              "run folder are a few MB) and writes the group manifest. A larger unit, or "
              "more solver workers per site, scales these figures with its solve time and "
              "memory."]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=8)
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--modes", nargs="*", default=["sequential", "local", "ray"],
                        choices=["sequential", "local", "ray"])
    parser.add_argument("--paired", type=int, default=0,
                        help="rounds of two sites timed one by one and on each engine, "
                             "back to back (ratios that a drifting load spoils less)")
    parser.add_argument("--paired-modes", nargs="+", default=list(PAIRED_MODES),
                        choices=PAIRED_MODES)
    parser.add_argument("--paired-key", default="paired",
                        help="where the rounds go in the results (several sets side by side)")
    parser.add_argument("--add", action="store_true",
                        help="keep the results already in WORK/results.json")
    parser.add_argument("--big", type=int, default=None, help="agents of one larger site")
    parser.add_argument("--big-time-limit", type=float, default=120.0)
    parser.add_argument("--big-workers", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/wfm-bench-sites"))
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite the report from WORK/results.json")
    args = parser.parse_args()

    args.work.mkdir(parents=True, exist_ok=True)
    saved = args.work / "results.json"
    if args.report_only:
        found = json.loads(saved.read_text())
        text = report(args, found["results"], found["loads"], found.get("commands"))
        print(text)
        if args.out:
            args.out.write_text(text, encoding="utf-8")
        return
    configs = {f"site{n}": make_site(args.work / f"site{n}", seed=n,
                                     agents=FIRST_AGENTS + AGENTS_STEP * (n - 1))
               for n in range(1, args.sites + 1)}
    sites_file = args.work / "sites.yaml"
    sites_file.write_text("sites:\n" + "".join(
        f"  - id: {site}\n    config: {config}\n" for site, config in configs.items()))
    results: dict[str, Any] = {}
    loads: dict[str, str] = {}
    commands: list[list[str]] = []
    if args.add and saved.exists():
        found = json.loads(saved.read_text())
        results, loads = found["results"], found["loads"]
        commands = found.get("commands", [])
    commands.append(sys.argv[1:])

    def save() -> None:
        saved.write_text(json.dumps({"results": results, "loads": loads,
                                     "commands": commands}, default=str))

    for mode in args.modes:
        runs = args.work / f"runs-{mode}"
        shutil.rmtree(runs, ignore_errors=True)
        loads[mode] = load()
        print(f"{mode}: starting (load {loads[mode]})", flush=True)
        results[mode] = (sequential(configs, runs, args) if mode == "sequential"
                         else group(sites_file, runs, mode, args))
        print(f"{mode}: {results[mode]['wall']:.1f} s", flush=True)
        save()
    if args.paired:
        results[args.paired_key] = paired(configs, sites_file, args)
        save()
    if args.big:
        loads["big"] = load()
        results["big"] = big_site(args.work, args.big, args)
        print(f"big: {results['big']['wall']:.1f} s", flush=True)
        save()
    text = report(args, results, loads, commands)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
