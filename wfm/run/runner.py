"""`wfm run`: every stage from one config into a run folder, with a manifest.

A run is a list of stages, each a function ``(RunContext) -> figures`` called in order
and timed. Stages put their tables in ``context.data`` for the next stage and write
their files into the run's folder; the figures (a JSON-able dict) go into the manifest.
The nightly stages are validate -> forecast -> staff -> schedule -> export
(`wfm.run.stages.run_nightly`); tests and other callers may pass their own list.

The run holds ``RUNS/.lock``, writes into ``RUNS/.<run id>.partial/`` and renames it to
``RUNS/<run id>/`` when every stage succeeded, then points ``RUNS/latest`` at it. A failed
or interrupted run is renamed ``<run id>.failed`` and its manifest says which stage failed
and why; ``latest`` is left alone. See `wfm.runlock` for the folder layout.
"""

from __future__ import annotations

import contextlib
import json
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
from pathlib import Path
from typing import Any

from wfm.errors import EXIT_INTERNAL, DegradedSchedule, WfmError
from wfm.events import Events, NullEvents
from wfm.io.tables import WORKBOOK_FILE
from wfm.run.folders import (
    final_dir,
    new_run_id,
    partial_dir,
    point_latest,
    run_id_of_partial,
    runs_lock,
    stale_partials,
)
from wfm.run.manifest import (
    MANIFEST_NAME,
    MANIFEST_VERSION,
    json_ready,
    package_versions,
    sha256_file,
    write_manifest,
)

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
        path = self.run_dir / WORKBOOK_FILE
        return path if path.exists() else None


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
    stages: Sequence[Stage],
    events: Events | None = None,
    stop: StopRequest | None = None,
    now: datetime | None = None,
) -> RunOutcome:
    """Run every stage into a new run folder under ``options.runs_dir``.

    Returns the outcome of a successful run (``latest`` now points at it). Raises
    `Locked` when another run is active (nothing touched), `RunFailed` (exit code of the
    cause: 2 bad input, 3 infeasible, 4 no schedule, 1 internal) or `Interrupted`-coded
    `RunFailed` (128 + signal) after keeping the folder as ``<run id>.failed``, and
    `RunFailed` with exit code 5 for a degraded schedule (see `_finish_degraded`).
    """
    events = events or NullEvents()
    stop = stop or StopRequest()
    stages = list(stages)
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
        if ctx.data.get("degraded"):
            return _finish_degraded(ctx, manifest)
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


def _seal(ctx: RunContext, manifest: dict[str, Any], ok: bool) -> Path:
    """Write the final manifest and rename the partial folder to its final name."""
    runs_dir = Path(ctx.options.runs_dir)
    manifest["outputs"] = _outputs(ctx.run_dir)
    manifest["finished_utc"] = _now_utc()
    write_manifest(ctx.run_dir, manifest)
    target = final_dir(runs_dir, ctx.run_id, ok=ok)
    os.replace(ctx.run_dir, target)
    _fsync_dir(runs_dir)
    return target


def _finish_ok(ctx: RunContext, manifest: dict[str, Any]) -> RunOutcome:
    runs_dir = Path(ctx.options.runs_dir)
    manifest["status"] = "ok"
    target = _seal(ctx, manifest, ok=True)
    point_latest(runs_dir, ctx.run_id)
    _fsync_dir(runs_dir)
    ctx.events.emit("run_ok", f"run {ctx.run_id} ok: {target}", run_id=ctx.run_id,
                    folder=str(target))
    return RunOutcome(ctx.run_id, target, manifest)


def _finish_degraded(ctx: RunContext, manifest: dict[str, Any]) -> RunOutcome:
    """A run whose every stage finished but whose schedule is degraded (no better than the
    solver's safe schedule): kept as ``<run id>`` with the manifest saying so, ``latest``
    left on the last good plan unless ``solver.publish_degraded``; raises RunFailed with
    exit code 5 either way, so the caller does not take it for a success."""
    runs_dir = Path(ctx.options.runs_dir)
    publish = bool(ctx.cfg is not None and ctx.cfg.solver.publish_degraded)
    manifest["status"] = "degraded"
    manifest["degraded"] = {
        "reason": "the schedule is no better than the solver's safe schedule (every agent "
                  "of a group on the same week)",
        "published": publish,
    }
    target = _seal(ctx, manifest, ok=True)
    if publish:
        point_latest(runs_dir, ctx.run_id)
        _fsync_dir(runs_dir)
    where = "latest points at it (solver.publish_degraded)" if publish else \
        "latest left on the last good plan"
    exc = DegradedSchedule(f"run {ctx.run_id} is degraded: its schedule is no better than "
                           f"the safe schedule; {where}")
    ctx.events.emit("run_degraded", str(exc), level="error", run_id=ctx.run_id,
                    folder=str(target), exit_code=exc.exit_code, published=publish)
    raise RunFailed("schedule", exc, target, exc.exit_code)


def _finish_failed(ctx: RunContext, manifest: dict[str, Any], stage: str,
                   exc: BaseException) -> RunOutcome:
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
        # a schedule the independent checker rejected: the rules it broke
        "violations": list(getattr(exc, "violations", [])),
    }
    target = _seal(ctx, manifest, ok=False)
    ctx.events.emit("run_failed", f"run {ctx.run_id} failed in stage {stage}: "
                    f"{failure_reason(exc)}",
                    level="error", run_id=ctx.run_id, stage=stage, folder=str(target),
                    exit_code=exit_code)
    if not isinstance(exc, Exception):
        raise exc
    raise RunFailed(stage, exc, target, exit_code) from exc
