"""`wfm run`: every stage from one config into a run folder, with a manifest.

A run is a list of stages, each a function ``(RunContext) -> figures`` called in order
and timed. Stages put their tables in ``context.data`` for the next stage and write
their files into the run's folder; the figures (a JSON-able dict) go into the manifest.
The default stages are validate -> forecast -> staff -> schedule -> export
(`default_stages`); tests and other callers may pass their own list.

The run holds ``RUNS/.lock``, writes into ``RUNS/.<run id>.partial/`` and renames it to
``RUNS/<run id>/`` when every stage succeeded, then points ``RUNS/latest`` at it. A failed
or interrupted run is renamed ``<run id>.failed`` and its manifest says which stage failed
and why; ``latest`` is left alone. See `wfm.runlock` for the folder layout.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import platform
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from wfm.errors import EXIT_INTERNAL, BadInput, WfmError
from wfm.events import Events, NullEvents
from wfm.runlock import (
    final_dir,
    new_run_id,
    partial_dir,
    point_latest,
    run_id_of_partial,
    runs_lock,
    stale_partials,
)

MANIFEST_NAME = "manifest.json"
WORKBOOK_NAME = "schedule.xlsx"
MANIFEST_VERSION = 1
#: Packages whose versions every manifest records (a run is reproducible with these).
RECORDED_PACKAGES = ("wfm", "ortools", "pandas", "statsmodels", "numpy", "openpyxl", "pydantic")
#: Exit code of a run stopped by a signal: the shell convention 128 + signal number.
SIGNAL_EXIT_BASE = 128


class Interrupted(WfmError):
    """The run was stopped by a signal (SIGTERM, SIGINT) before it finished."""

    def __init__(self, message: str, exit_code: int = SIGNAL_EXIT_BASE + signal.SIGTERM) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class RunFailed(WfmError):
    """A stage of the run failed; the run folder was kept as ``<run id>.failed``."""

    def __init__(self, stage: str, cause: BaseException, run_dir: Path, exit_code: int) -> None:
        super().__init__(f"{failure_reason(cause)} (stage {stage}; run kept in {run_dir})")
        self.stage = stage
        self.cause = cause
        self.run_dir = run_dir
        self.exit_code = exit_code


def failure_reason(exc: BaseException) -> str:
    """One line for a failure: the message of a WfmError, type and message otherwise."""
    if isinstance(exc, WfmError):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {exc}"


class StopRequest(threading.Event):
    """A stop event that remembers which signal asked for the stop.

    Passed to the solver as its ``stop`` event; the pipeline checks it between stages.
    """

    def __init__(self) -> None:
        super().__init__()
        self.signal_name: str | None = None
        self.exit_code: int = SIGNAL_EXIT_BASE + signal.SIGTERM

    def request(self, signum: int) -> None:
        """Ask the run to stop because of signal ``signum``."""
        if not self.is_set():
            self.signal_name = signal.Signals(signum).name
            self.exit_code = SIGNAL_EXIT_BASE + int(signum)
        self.set()

    def error(self, stage: str) -> Interrupted:
        """The error that describes this stop during ``stage``."""
        cause = self.signal_name or "a stop request"
        return Interrupted(f"run stopped by {cause} during stage {stage}", self.exit_code)


@dataclass
class RunOptions:
    """What the caller asked for; None means the config's value (or today for as_of)."""

    config_path: Path
    runs_dir: Path
    as_of: date | None = None
    horizon_days: int | None = None
    seed: int | None = None
    time_limit_seconds: float | None = None
    workers: int | None = None


@dataclass
class RunContext:
    """Everything the stages share during one run.

    ``run_dir`` is the ``.partial`` folder every stage writes into. ``cfg``, ``as_of``,
    ``start`` (first planned day) and ``days`` are set by the validate stage. ``data`` holds
    the stages' tables by name (``history``, ``agents``, ``forecast``, ``requirements``...).
    ``inputs`` maps an input's name to its path, sha256 and size for the manifest.
    """

    options: RunOptions
    run_id: str
    run_dir: Path
    events: Events
    stop: StopRequest
    cfg: Any = None
    as_of: date | None = None
    start: date | None = None
    days: int | None = None
    seed: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def path(self, name: str) -> Path:
        """A file in the run folder."""
        return self.run_dir / name


StageFunction = Callable[[RunContext], dict[str, Any] | None]


@dataclass(frozen=True)
class Stage:
    """One named step of the run."""

    name: str
    run: StageFunction


@dataclass
class RunOutcome:
    """A finished, successful run: its id, folder and manifest."""

    run_id: str
    run_dir: Path
    manifest: dict[str, Any]

    @property
    def workbook(self) -> Path | None:
        """The coordinators' workbook, when the run wrote one."""
        path = self.run_dir / WORKBOOK_NAME
        return path if path.exists() else None


# ---------------------------------------------------------------- manifest helpers


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_input(path: Path) -> dict[str, Any]:
    """Path, sha256 and size in bytes of an input file (sha256 None when unreadable)."""
    path = Path(path)
    try:
        return {"path": str(path), "sha256": sha256_file(path), "bytes": path.stat().st_size}
    except OSError as exc:
        return {"path": str(path), "sha256": None, "error": exc.strerror}


def package_versions() -> dict[str, str | None]:
    """Installed versions of `RECORDED_PACKAGES` (None when one is missing)."""
    versions: dict[str, str | None] = {}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    from wfm import __version__

    versions["wfm"] = __version__
    return versions


def json_ready(value: Any) -> Any:
    """A copy of ``value`` that `json.dumps(allow_nan=False)` accepts.

    numpy scalars become Python numbers, NaN and infinities None, dates ISO strings, paths
    strings, tuples and sets lists.
    """
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [json_ready(v) for v in items]
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, str | bytes):
        try:
            value = value.item()  # numpy scalar
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` atomically: a temporary file, fsync, then rename over it."""
    text = json.dumps(json_ready(manifest), indent=2, allow_nan=False) + "\n"
    target = Path(run_dir) / MANIFEST_NAME
    temp = target.with_name(f".{MANIFEST_NAME}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(temp, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (best effort)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------- the runner


def recover_stale_runs(runs_dir: Path, events: Events) -> list[Path]:
    """Rename ``.partial`` folders of dead runs to ``<id>.failed`` (call under the lock).

    Their manifest (when there is one) is marked failed: the process died in the stage
    it was running. Returns the new folders.
    """
    recovered = []
    for folder in stale_partials(runs_dir):
        run_id = run_id_of_partial(folder)
        manifest_path = folder / MANIFEST_NAME
        manifest: dict[str, Any] = {"run_id": run_id, "stages": []}
        with contextlib.suppress(OSError, ValueError):
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        running = [s["name"] for s in manifest.get("stages", []) if s.get("status") == "running"]
        manifest["status"] = "failed"
        manifest["failure"] = {
            "stage": running[-1] if running else None,
            "error": "ProcessDied",
            "message": "the process running this stage died before the run finished "
                       "(killed or crashed); found by a later run",
            "exit_code": None,
        }
        write_manifest(folder, manifest)
        target = final_dir(runs_dir, run_id, ok=False)
        if target.exists():
            shutil.rmtree(target)
        os.replace(folder, target)
        events.emit("stale_run", f"found an unfinished run {run_id}; kept as {target.name}",
                    level="warning", run_id=run_id, folder=str(target))
        recovered.append(target)
    return recovered


def run_pipeline(
    options: RunOptions,
    stages: Sequence[Stage] | None = None,
    events: Events | None = None,
    stop: StopRequest | None = None,
    now: datetime | None = None,
) -> RunOutcome:
    """Run every stage into a new run folder under ``options.runs_dir``.

    Returns the outcome of a successful run (``latest`` now points at it). Raises
    `Locked` when another run is active (nothing touched), `RunFailed` (exit code of the
    cause: 2 bad input, 3 infeasible, 4 no schedule, 1 internal) or `Interrupted`-coded
    `RunFailed` (128 + signal) after keeping the folder as ``<run id>.failed``.
    """
    events = events or NullEvents()
    stop = stop or StopRequest()
    stages = list(default_stages() if stages is None else stages)
    runs_dir = Path(options.runs_dir)
    with runs_lock(runs_dir):
        recover_stale_runs(runs_dir, events)
        started = now or datetime.now(UTC)
        run_id = new_run_id(runs_dir, started)
        work = partial_dir(runs_dir, run_id)
        work.mkdir()
        ctx = RunContext(options=options, run_id=run_id, run_dir=work, events=events, stop=stop)
        manifest: dict[str, Any] = {
            "manifest_version": MANIFEST_VERSION,
            "run_id": run_id,
            "status": "running",
            "started_utc": started.astimezone(UTC).isoformat(timespec="seconds"),
            "finished_utc": None,
            "command": {"argv": sys.argv, "pid": os.getpid()},
            "options": {
                "config": str(options.config_path), "out": str(runs_dir),
                "as_of": options.as_of, "horizon_days": options.horizon_days,
                "seed": options.seed, "time_limit_seconds": options.time_limit_seconds,
                "workers": options.workers,
            },
            "as_of": None,
            "horizon": None,
            "seed": None,
            "inputs": {},
            "config": None,
            "versions": package_versions(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "stages": [],
            "outputs": {},
            "failure": None,
        }
        write_manifest(work, manifest)
        events.emit("run_start", f"run {run_id} started in {runs_dir}", run_id=run_id,
                    folder=str(work))
        failure = _run_stages(ctx, stages, manifest)
        if failure is None and stop.is_set():
            failure = ("finish", stop.error("finish"))
        if failure is not None:
            stage_name, exc = failure
            return _finish_failed(ctx, manifest, stage_name, exc)
        return _finish_ok(ctx, manifest)


def _sync_context(ctx: RunContext, manifest: dict[str, Any]) -> None:
    """Copy what the stages learned (dates, config, inputs) into the manifest."""
    manifest["as_of"] = ctx.as_of
    manifest["seed"] = ctx.seed
    if ctx.start is not None and ctx.days is not None:
        manifest["horizon"] = {
            "start": ctx.start, "end": ctx.start + timedelta(days=ctx.days - 1), "days": ctx.days,
        }
    if ctx.cfg is not None:
        manifest["config"] = ctx.cfg.model_dump(mode="json")
    manifest["inputs"] = ctx.inputs


def _run_stages(ctx: RunContext, stages: list[Stage],
                manifest: dict[str, Any]) -> tuple[str, BaseException] | None:
    """Call each stage in order; returns (stage, error) for the first failure, else None."""
    total = len(stages)
    for number, stage in enumerate(stages, start=1):
        if ctx.stop.is_set():
            return stage.name, ctx.stop.error(stage.name)
        record: dict[str, Any] = {"name": stage.name, "status": "running",
                                  "started_utc": _now_utc(), "seconds": None, "figures": {}}
        manifest["stages"].append(record)
        write_manifest(ctx.run_dir, manifest)
        ctx.events.emit("stage_start", f"[{number}/{total}] {stage.name}", stage=stage.name,
                        number=number, total=total)
        began = time.perf_counter()
        try:
            figures = stage.run(ctx) or {}
        except BaseException as exc:  # recorded, then re-raised by the caller
            record["seconds"] = round(time.perf_counter() - began, 3)
            record["status"] = "failed"
            _sync_context(ctx, manifest)
            if ctx.stop.is_set() and not isinstance(exc, Interrupted):
                # the solver gives up without a schedule when asked to stop: report the stop
                exc = ctx.stop.error(stage.name)
            return stage.name, exc
        record["seconds"] = round(time.perf_counter() - began, 3)
        record["figures"] = json_ready(figures)
        _sync_context(ctx, manifest)
        if ctx.stop.is_set():
            record["status"] = "interrupted"
            return stage.name, ctx.stop.error(stage.name)
        record["status"] = "ok"
        write_manifest(ctx.run_dir, manifest)
        ctx.events.emit("stage_ok", f"[{number}/{total}] {stage.name} done in "
                        f"{record['seconds']:.1f}s{_headline(figures)}", stage=stage.name,
                        seconds=record["seconds"], figures=record["figures"])
    return None


def _headline(figures: dict[str, Any]) -> str:
    """A few scalar figures of a stage for the human log line."""
    parts = [f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
             for k, v in figures.items()
             if (isinstance(v, int | float) and not isinstance(v, bool)) or k == "status"][:5]
    return f" ({', '.join(parts)})" if parts else ""


def _outputs(folder: Path) -> dict[str, dict[str, Any]]:
    """sha256 and size of every file the stages wrote (not the manifest)."""
    return {
        p.relative_to(folder).as_posix(): {"sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST_NAME and not p.name.startswith(".")
    }


def _finish_ok(ctx: RunContext, manifest: dict[str, Any]) -> RunOutcome:
    runs_dir = Path(ctx.options.runs_dir)
    manifest["status"] = "ok"
    manifest["outputs"] = _outputs(ctx.run_dir)
    manifest["finished_utc"] = _now_utc()
    write_manifest(ctx.run_dir, manifest)
    target = final_dir(runs_dir, ctx.run_id, ok=True)
    os.replace(ctx.run_dir, target)
    _fsync_dir(runs_dir)
    point_latest(runs_dir, ctx.run_id)
    _fsync_dir(runs_dir)
    ctx.events.emit("run_ok", f"run {ctx.run_id} ok: {target}", run_id=ctx.run_id,
                    folder=str(target))
    return RunOutcome(ctx.run_id, target, manifest)


def _finish_failed(ctx: RunContext, manifest: dict[str, Any], stage: str,
                   exc: BaseException) -> RunOutcome:
    runs_dir = Path(ctx.options.runs_dir)
    exit_code = getattr(exc, "exit_code", EXIT_INTERNAL) if isinstance(exc, WfmError) \
        else EXIT_INTERNAL
    if isinstance(exc, KeyboardInterrupt):
        exc = Interrupted(f"run stopped by SIGINT during stage {stage}",
                          SIGNAL_EXIT_BASE + signal.SIGINT)
        exit_code = exc.exit_code
    manifest["status"] = "failed"
    manifest["failure"] = {
        "stage": stage,
        "error": type(exc).__name__,
        "message": failure_reason(exc),
        "exit_code": exit_code,
    }
    manifest["outputs"] = _outputs(ctx.run_dir)
    manifest["finished_utc"] = _now_utc()
    write_manifest(ctx.run_dir, manifest)
    target = final_dir(runs_dir, ctx.run_id, ok=False)
    os.replace(ctx.run_dir, target)
    _fsync_dir(runs_dir)
    ctx.events.emit("run_failed", f"run {ctx.run_id} failed in stage {stage}: "
                    f"{failure_reason(exc)}",
                    level="error", run_id=ctx.run_id, stage=stage, folder=str(target),
                    exit_code=exit_code)
    if not isinstance(exc, Exception):
        raise exc
    raise RunFailed(stage, exc, target, exit_code) from exc


# ---------------------------------------------------------------- the stages


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

    from wfm.config import load_config
    from wfm.io import read_agents, read_history

    options = ctx.options
    config_path = Path(options.config_path)
    ctx.inputs["config"] = describe_input(config_path)
    cfg = _override(load_config(config_path), options)
    ctx.cfg = cfg
    zone = ZoneInfo(cfg.center.timezone)
    ctx.as_of = options.as_of or datetime.now(zone).date()
    ctx.start = ctx.as_of + timedelta(days=1)
    ctx.days = cfg.planning.horizon_days
    ctx.seed = cfg.solver.seed

    history_path = _required_input(cfg, "history", config_path)
    agents_path = _required_input(cfg, "agents", config_path)
    ctx.inputs["history"] = describe_input(history_path)
    ctx.inputs["agents"] = describe_input(agents_path)
    history = read_history(history_path, cfg)
    horizon_start = pd.Timestamp(ctx.start).tz_localize(cfg.center.timezone)
    # Only what was known on the as-of date: re-running a past date gives the same plan.
    used = history[history["interval_start"] < horizon_start].reset_index(drop=True)
    if used.empty:
        raise BadInput(f"{history_path}: no history before the horizon start {ctx.start} "
                       f"(file starts {history['interval_start'].min():%Y-%m-%d})")
    ctx.data["history"] = used
    agents = read_agents(agents_path, cfg)
    if not agents:
        raise BadInput(f"{agents_path}: no agents")
    ctx.data["agents"] = agents

    special = None
    if cfg.inputs.special_days is not None:
        special_path = _required_input(cfg, "special_days", config_path)
        ctx.inputs["special_days"] = describe_input(special_path)
        from wfm.forecast.days import read_special_days

        special = read_special_days(str(special_path), [q.id for q in cfg.queues])
    ctx.data["special_days"] = special

    previous = None
    if cfg.inputs.previous_schedule is not None:
        previous_path = _required_input(cfg, "previous_schedule", config_path)
        ctx.inputs["previous_schedule"] = describe_input(previous_path)
        previous = read_previous_schedule(previous_path, cfg)
    ctx.data["previous"] = previous

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


def read_previous_schedule(path: Path, cfg: Any) -> Any:
    """The shifts of a previous schedule (a schedule folder or its schedule.csv)."""
    from wfm.schedule_files import read_previous

    return read_previous(path, cfg)


def forecast_stage(ctx: RunContext) -> dict[str, Any]:
    """Forecast the horizon from the history; writes forecast.csv and forecast_report.csv.

    Figures: the chosen model and its backtest accuracy (interval wMAPE, bias) per queue,
    and the offered volume forecast in total.
    """
    from wfm.forecast import forecast
    from wfm.io import write_table

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
        forecast_df, report_df = forecast(
            ctx.data["history"], cfg, ctx.start, ctx.days, method=cfg.planning.forecast_method,
            special_days=ctx.data.get("special_days"), progress=progress,
        )
    finally:
        ctx.events.end_progress()
    ctx.data["forecast"] = forecast_df
    ctx.data["forecast_report"] = report_df
    write_table(forecast_df, ctx.path("forecast.csv"))
    write_table(report_df, ctx.path("forecast_report.csv"))
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
    from wfm.io import write_table
    from wfm.staffing import requirements_from_forecast, summarize_requirements

    requirements = requirements_from_forecast(ctx.data["forecast"], ctx.cfg)
    ctx.data["requirements"] = requirements
    write_table(requirements, ctx.path("requirements.csv"))
    summaries = summarize_requirements(requirements, ctx.cfg)
    return {
        "agent_hours_total": round(sum(s.agent_hours for s in summaries), 2),
        "fte_total": round(sum(s.fte for s in summaries), 2),
        "rows": len(requirements),
        "queues": {s.queue: {"peak_agents": s.peak_agents, "agent_hours": round(s.agent_hours, 2),
                             "fte": round(s.fte, 2), "offered": round(s.offered, 1),
                             "mean_service_level": round(s.mean_service_level, 4)}
                   for s in summaries},
    }


def default_stages() -> list[Stage]:
    """validate -> forecast -> staff -> schedule -> export."""
    return [
        Stage("validate", validate_stage),
        Stage("forecast", forecast_stage),
        Stage("staff", staff_stage),
        Stage("schedule", schedule_stage),
        Stage("export", export_stage),
    ]


def schedule_stage(ctx: RunContext) -> dict[str, Any]:
    """Solve the schedule; writes schedule.csv, activities.csv, coverage.csv and kpis.json.

    Emits a ``solving`` event as the solver starts. Figures: solver status, objective,
    bound and gap, and the coverage (required, scheduled and shortfall agent-hours).
    """
    from wfm.events import ticking
    from wfm.io import write_json, write_table
    from wfm.report import build_report
    from wfm.schedule.solve import solve_schedule
    from wfm.schedule_files import (
        ACTIVITIES_FILE,
        COVERAGE_FILE,
        KPIS_FILE,
        SCHEDULE_FILE,
        activities_for_file,
        coverage_for_file,
        shifts_for_file,
    )

    cfg = ctx.cfg
    requirements = ctx.data["requirements"]
    # the scheduler covers agents with shrinkage; offered and AHT stay for the report's SL
    needed = requirements.assign(required=requirements["agents_with_shrinkage"].astype(int))
    limit = cfg.solver.time_limit_seconds
    agents = ctx.data["agents"]
    ctx.events.emit("solving", f"schedule: solving {len(agents)} agents over {ctx.days} days "
                    f"(time limit {limit:g}s)", agents=len(agents), days=ctx.days,
                    time_limit_seconds=limit, seed=cfg.solver.seed, workers=cfg.solver.workers)

    def log(message: str) -> None:
        ctx.events.emit("solver", f"schedule: {message}")

    with ticking(ctx.events, "solving", limit):
        result = solve_schedule(cfg, agents, needed, ctx.start, ctx.days,
                                previous=ctx.data.get("previous"), time_limit_seconds=limit,
                                workers=cfg.solver.workers, seed=cfg.solver.seed, log=log,
                                stop=ctx.stop)
    report = build_report(cfg, result, needed, ctx.start, ctx.days)
    ctx.data["schedule"] = result
    ctx.data["report"] = report
    write_table(shifts_for_file(result.shifts), ctx.path(SCHEDULE_FILE))
    write_table(activities_for_file(result.activities), ctx.path(ACTIVITIES_FILE))
    write_table(coverage_for_file(report.coverage), ctx.path(COVERAGE_FILE))
    write_json(json_ready(report.kpis), ctx.path(KPIS_FILE))
    kpis = report.kpis
    coverage = report.coverage
    return {
        "status": result.status,
        "objective": result.objective,
        "best_bound": result.best_bound,
        "gap": result.gap,
        "coverage_objective": result.coverage_objective,
        "coverage_bound": result.coverage_bound,
        "coverage_gap": kpis.get("coverage_gap"),
        "solver_seconds": result.wall_seconds,
        "first_solution_seconds": result.first_solution_seconds,
        # one CP-SAT worker that finished before its time limit repeats itself exactly
        "reproducible": cfg.solver.workers == 1 and result.status == "OPTIMAL",
        "shifts": len(result.shifts),
        "agents_scheduled": kpis.get("agents_scheduled"),
        "paid_hours": kpis.get("paid_hours"),
        "required_hours": kpis.get("required_hours"),
        "scheduled_hours": kpis.get("scheduled_hours"),
        "shortfall_hours": kpis.get("shortfall_hours"),
        "shortfall_intervals": int((coverage["shortfall"] > 0).sum()),
        "projected_service_level": {q: v.get("projected_service_level")
                                    for q, v in kpis.get("queues", {}).items()},
        "notes": list(result.notes),
    }


def _same_time_unit(table: Any) -> Any:
    """The table with every timestamp column in nanoseconds.

    Tables from different stages may carry second or microsecond resolution, which pandas
    refuses to join (merge_asof) across.
    """
    import pandas as pd

    out = table.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype) or \
                pd.api.types.is_datetime64_dtype(out[column]):
            out[column] = out[column].dt.as_unit("ns")
    return out


def export_stage(ctx: RunContext) -> dict[str, Any]:
    """Write the coordinators' workbook schedule.xlsx. Figures: its size in bytes."""
    from wfm.excel import write_workbook

    result = ctx.data["schedule"]
    report = ctx.data["report"]
    path = ctx.path(WORKBOOK_NAME)
    write_workbook(path, ctx.cfg, ctx.data["agents"], _same_time_unit(result.shifts),
                   _same_time_unit(result.activities), _same_time_unit(report.coverage),
                   report.kpis, forecast=ctx.data.get("forecast"))
    return {"workbook": WORKBOOK_NAME, "bytes": path.stat().st_size}
