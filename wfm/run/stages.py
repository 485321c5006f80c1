"""The stages of `wfm run`: validate -> forecast -> staff -> schedule -> export.

Each stage is a function ``(RunContext) -> figures``: it reads what earlier stages left in
``context.data``, writes its files into the run folder and returns JSON-able figures for
the manifest. Heavy libraries are imported inside the stages.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from wfm.errors import BadInput
from wfm.io.tables import (
    FORECAST_FILE,
    FORECAST_REPORT_FILE,
    REQUIREMENTS_FILE,
    WORKBOOK_FILE,
)
from wfm.run.manifest import describe_input
from wfm.run.runner import RunContext, RunOptions, Stage, run_pipeline

#: Where a run keeps a schedule the checker rejected, inside its (failed) run folder.
REJECTED_FOLDER = "rejected_schedule"


def _override(cfg: Any, options: RunOptions) -> Any:
    """The config with the command line's horizon, seed, time limit and workers applied."""
    from pydantic import ValidationError

    from wfm.config import Planning, SolverLimits

    planning = cfg.planning.model_dump()
    solver = cfg.solver.model_dump()
    pairs = [("--horizon-days", planning, "horizon_days", options.horizon_days),
             ("--seed", solver, "seed", options.seed),
             ("--time-limit", solver, "time_limit_seconds", options.time_limit_seconds),
             ("--workers", solver, "workers", options.workers)]
    for _, section, key, value in pairs:
        if value is not None:
            section[key] = value
    try:
        new_planning = Planning.model_validate(planning)
        new_solver = SolverLimits.model_validate(solver)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = str(error["loc"][0]) if error["loc"] else ""
        flag = next((flag for flag, _, k, _ in pairs if k == key), key)
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        raise BadInput(f"{flag}: {message} (got {error.get('input')!r})") from None
    return cfg.model_copy(update={"planning": new_planning, "solver": new_solver})


def _required_input(cfg: Any, key: str, config_path: Path) -> Path:
    path = getattr(cfg.inputs, key)
    if path is None:
        raise BadInput(f"{config_path}: inputs.{key}: not set (wfm run needs it)")
    if not Path(path).is_file():
        raise BadInput(f"{config_path}: inputs.{key}: no such file {path}")
    return Path(path)


def validate_stage(ctx: RunContext) -> dict[str, Any]:
    """Load the config, fix the horizon and read every input (history before the horizon).

    Sets ``ctx.cfg``, ``as_of``, ``start``, ``days``, ``seed`` and ``data['history']``,
    ``data['agents']``, ``data['special_days']`` (or None), ``data['previous']`` (or None).
    """
    import pandas as pd

    from wfm.io.config_file import load_config
    from wfm.plan import read_inputs

    options = ctx.options
    config_path = Path(options.config_path)
    ctx.inputs["config"] = describe_input(config_path.absolute())
    cfg = _override(load_config(config_path), options)
    ctx.cfg = cfg
    zone = ZoneInfo(cfg.center.timezone)
    ctx.as_of = options.as_of or datetime.now(zone).date()
    ctx.start = ctx.as_of + timedelta(days=1)
    ctx.days = cfg.planning.horizon_days
    ctx.seed = cfg.solver.seed

    paths = {key: _required_input(cfg, key, config_path)
             for key in ("history", "agents", "special_days", "previous_schedule")
             if key in ("history", "agents") or getattr(cfg.inputs, key) is not None}
    for key, path in paths.items():
        ctx.inputs[key] = describe_input(path)
    found = read_inputs(cfg, history=paths["history"], agents=paths["agents"],
                        special_days=paths.get("special_days"),
                        previous=paths.get("previous_schedule"))
    history = found.history
    horizon_start = pd.Timestamp(ctx.start).tz_localize(cfg.center.timezone)
    # Only what was known on the as-of date: re-running a past date gives the same plan.
    used = history[history["interval_start"] < horizon_start].reset_index(drop=True)
    if used.empty:
        raise BadInput(f"{paths['history']}: no history before the horizon start {ctx.start} "
                       f"(file starts {history['interval_start'].min():%Y-%m-%d})")
    agents, special, previous = found.agents, found.special_days, found.previous
    ctx.data.update(history=used, agents=agents, special_days=special, previous=previous)

    stamps = used["interval_start"].dt.tz_localize(None)
    ctx.events.emit("inputs", f"history {len(used)} rows to {stamps.max():%Y-%m-%d %H:%M}, "
                    f"{len(agents)} agents; planning {ctx.start} + {ctx.days} days",
                    as_of=ctx.as_of, start=ctx.start, days=ctx.days)
    return {
        "history_rows_used": len(used),
        "history_rows_ignored_after_as_of": len(history) - len(used),
        "history_first": stamps.min().isoformat(),
        "history_last": stamps.max().isoformat(),
        "agents": len(agents),
        "special_days": 0 if special is None else len(special),
        "previous_schedule_rows": 0 if previous is None else len(previous),
    }


def forecast_stage(ctx: RunContext) -> dict[str, Any]:
    """Forecast the horizon from the history; writes forecast.csv and forecast_report.csv.

    Figures: the chosen model and its backtest accuracy (interval wMAPE, bias) per queue,
    and the offered volume forecast in total.
    """
    from wfm.io.files import write_table
    from wfm.plan import forecast_step

    cfg = ctx.cfg

    # one message per backtest window and one per forecast, for each queue
    expected = len(cfg.queues) * (cfg.planning.backtest_windows + 1)
    done = [0]

    def progress(message: str) -> None:
        done[0] += 1
        ctx.events.emit("forecast_progress", f"forecast: {message}")
        ctx.events.progress("forecast", min(done[0], expected), expected)
        if ctx.stop.is_set():  # the backtest reports often: stop there rather than at the end
            raise ctx.stop.error("forecast")

    try:
        forecast_df, report_df = forecast_step(cfg, ctx.data["history"], ctx.start, ctx.days,
                                               ctx.data.get("special_days"), progress=progress)
    finally:
        ctx.events.end_progress()
    ctx.data["forecast"] = forecast_df
    ctx.data["forecast_report"] = report_df
    write_table(forecast_df, ctx.path(FORECAST_FILE))
    write_table(report_df, ctx.path(FORECAST_REPORT_FILE))
    return forecast_figures(forecast_df, report_df)


def forecast_figures(forecast_df: Any, report_df: Any) -> dict[str, Any]:
    """Offered volume and the chosen models' backtest accuracy per queue."""
    by_queue: dict[str, dict[str, Any]] = {}
    offered = forecast_df.groupby("queue")["offered"].sum()
    for queue, total in offered.items():
        by_queue[str(queue)] = {"offered": round(float(total), 1), "accuracy": {}}
    if report_df is not None and len(report_df) and "chosen" in report_df.columns:
        chosen = report_df[report_df["chosen"].astype(bool)]
        for row in chosen.to_dict("records"):
            entry = by_queue.setdefault(str(row.get("queue")), {"accuracy": {}})
            target = str(row.get("target", "offered"))
            entry["accuracy"][target] = {k: row.get(k) for k in
                             ("model", "windows", "wmape", "wmape_daily", "bias", "mase",
                              "coverage") if k in row}
    wmapes = [float(q["accuracy"]["offered"]["wmape"]) for q in by_queue.values()
              if q["accuracy"].get("offered", {}).get("wmape") is not None]
    wmapes = [w for w in wmapes if math.isfinite(w)]
    return {
        "offered_total": round(float(forecast_df["offered"].sum()), 1),
        "rows": len(forecast_df),
        "mean_wmape": round(sum(wmapes) / len(wmapes), 4) if wmapes else None,
        "queues": by_queue,
    }


def staff_stage(ctx: RunContext) -> dict[str, Any]:
    """Size every interval; writes requirements.csv.

    Figures: agent-hours (with shrinkage), peak agents, FTE and volume-weighted service
    level per queue, and the totals.
    """
    from wfm.io.files import write_table
    from wfm.plan import staff_step
    from wfm.staffing.requirements import summarize_requirements

    requirements = staff_step(ctx.cfg, ctx.data["forecast"])
    ctx.data["requirements"] = requirements
    write_table(requirements, ctx.path(REQUIREMENTS_FILE))
    summaries = summarize_requirements(requirements, ctx.cfg)
    return {
        "agent_hours_total": round(sum(s.agent_hours for s in summaries), 2),
        "fte_total": round(sum(s.fte for s in summaries), 2),
        "rows": len(requirements),
        "queues": {s.queue: {"peak_agents": s.peak_agents, "agent_hours": round(s.agent_hours, 2),
                             "fte": round(s.fte, 2), "offered": round(s.offered, 1),
                             "mean_service_level": (round(s.mean_service_level, 4)
                                                    if math.isfinite(s.mean_service_level)
                                                    else None)}
                   for s in summaries},
    }


def schedule_stage(ctx: RunContext) -> dict[str, Any]:
    """Solve, write and check the schedule (`wfm.plan.schedule_step`) into the run folder.

    A schedule the independent checker rejects fails the stage (and the run) with the
    broken rules; a degraded one (no better than the solver's safe schedule) is kept and
    marks the run degraded (``data['degraded']``, see `wfm.run.runner`). Emits a
    ``solving`` event as the solver starts. Figures: solver status, objective, bound and
    gap, the coverage (required, scheduled and shortfall agent-hours), the projected
    service level per queue, the soft goals, whether it is degraded and the checker's
    verdict.
    """
    from wfm.events import ticking
    from wfm.plan import horizon_rows, schedule_step

    cfg = ctx.cfg
    needed = horizon_rows(ctx.data["requirements"], ctx.start, ctx.days)
    limit = cfg.solver.time_limit_seconds
    agents = ctx.data["agents"]
    ctx.events.emit("solving", f"schedule: solving {len(agents)} agents over {ctx.days} days "
                    f"(time limit {limit:g}s)", agents=len(agents), days=ctx.days,
                    time_limit_seconds=limit, seed=cfg.solver.seed, workers=cfg.solver.workers)

    def log(message: str) -> None:
        ctx.events.emit("solver", f"schedule: {message}")

    with ticking(ctx.events, "solving", limit):
        outcome = schedule_step(cfg, agents, needed, ctx.start, ctx.days, ctx.run_dir,
                                previous=ctx.data.get("previous"), time_limit_seconds=limit,
                                workers=cfg.solver.workers, seed=cfg.solver.seed, log=log,
                                stop=ctx.stop, rejected_folder=ctx.path(REJECTED_FOLDER))
    ctx.data["schedule"] = outcome
    ctx.data["degraded"] = outcome.degraded
    kpis = outcome.report.kpis
    result = outcome.result
    ctx.events.emit("checker", f"schedule: checker valid ({outcome.checker['shifts_checked']} "
                    f"shifts)", **outcome.checker)
    if outcome.degraded:
        ctx.events.emit("degraded", "schedule: degraded, no better than the safe schedule "
                        "(every agent of a group on the same week)", level="warning")
    return {
        "status": result.status,
        "objective": result.objective,
        "best_bound": result.best_bound,
        "gap": result.gap,
        "coverage_objective": result.coverage_objective,
        "coverage_bound": result.coverage_bound,
        "coverage_gap": kpis["coverage_gap"],
        "solver_seconds": result.wall_seconds,
        "first_solution_seconds": result.first_solution_seconds,
        # one CP-SAT worker that finished before its time limit repeats itself exactly
        "reproducible": cfg.solver.workers == 1 and result.status == "OPTIMAL",
        "shifts": kpis["shifts"],
        "agents_scheduled": kpis["agents_scheduled"],
        "paid_hours": kpis["paid_hours"],
        "required_hours": kpis["required_hours"],
        "scheduled_hours": kpis["scheduled_hours"],
        "shortfall_hours": kpis["shortfall_hours"],
        "shortfall_intervals": kpis["intervals_short"],
        "projected_service_level": {q: v["projected_service_level"]
                                    for q, v in kpis["queues"].items()},
        "checker": outcome.checker,
        "degraded": outcome.degraded,
        "soft_goals": kpis.get("soft_goals"),
        "notes": list(result.notes),
    }


def export_stage(ctx: RunContext) -> dict[str, Any]:
    """Write the coordinators' workbook from the checked schedule (`wfm.plan.export_step`).

    Figures: its name and size in bytes.
    """
    from wfm.plan import export_step

    path = ctx.path(WORKBOOK_FILE)
    export_step(ctx.cfg, ctx.data["agents"], ctx.data["schedule"].folder, path,
                forecast=ctx.data.get("forecast"))
    return {"workbook": WORKBOOK_FILE, "bytes": path.stat().st_size}


def default_stages() -> list[Stage]:
    """validate -> forecast -> staff -> schedule -> export."""
    return [
        Stage("validate", validate_stage),
        Stage("forecast", forecast_stage),
        Stage("staff", staff_stage),
        Stage("schedule", schedule_stage),
        Stage("export", export_stage),
    ]


def run_nightly(options: RunOptions, events: Any = None, stop: Any = None) -> Any:
    """The nightly chain (`default_stages`) into a new run folder; see `run_pipeline`."""
    return run_pipeline(options, default_stages(), events=events, stop=stop)
