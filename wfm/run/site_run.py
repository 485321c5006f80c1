"""One site's night: the nightly chain (`run_nightly`) for one `SiteTask`, as a result.

Every engine's worker calls `run_site`; it never raises for the site's own failures (bad
input, rules that admit no schedule, a stop, a bug): the `SiteResult` says what happened,
with the run's exit code and message, the run folder and the headline figures from the
run's manifest.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wfm.errors import EXIT_INTERNAL, WfmError
from wfm.run.folders import latest_run
from wfm.run.manifest import MANIFEST_NAME
from wfm.run.runner import RunFailed, RunOptions, StopRequest, failure_reason
from wfm.run.sites import SiteTask
from wfm.run.stages import run_nightly

#: The figures of a run's manifest that the group manifest repeats, by stage; the schedule
#: stage's ``status`` is the solver's and is named ``solver_status`` there.
SITE_FIGURES = {
    "validate": ("agents",),
    "forecast": ("offered_total", "mean_wmape"),
    "staff": ("agent_hours_total", "fte_total"),
    "schedule": ("status", "objective", "gap", "coverage_gap", "required_hours",
                 "scheduled_hours", "shortfall_hours", "paid_hours", "shifts",
                 "solver_seconds"),
}


@dataclass
class SiteResult:
    """How one site's run ended.

    ``status`` is the run manifest's (``ok``, ``failed``...) or ``failed`` when no run
    folder was made (the lock was held, the runs folder unusable); ``published`` is true
    when the site's ``latest`` now points at this run. ``run_dir`` is the run folder,
    ``stage`` the stage that failed; ``figures`` and ``stage_seconds`` come from the run's
    manifest (absent for stages that did not run).
    """

    site_id: str
    status: str
    exit_code: int
    message: str | None = None
    stage: str | None = None
    run_id: str | None = None
    run_dir: str | None = None
    published: bool = False
    figures: dict[str, Any] = field(default_factory=dict)
    stage_seconds: dict[str, float | None] = field(default_factory=dict)
    started_utc: str | None = None
    finished_utc: str | None = None
    pid: int | None = None
    node: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data (for pipes and Ray)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SiteResult:
        """The result `to_dict` gave."""
        return cls(**data)


def _now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def manifest_figures(manifest: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `SITE_FIGURES` of a run manifest, and each stage's seconds."""
    figures: dict[str, Any] = {}
    seconds: dict[str, Any] = {}
    for stage in manifest.get("stages", []):
        name = stage.get("name")
        seconds[name] = stage.get("seconds")
        values = stage.get("figures") or {}
        for key in SITE_FIGURES.get(name, ()):
            if key in values:
                figures["solver_status" if key == "status" else key] = values[key]
    return figures, seconds


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def run_site(task: SiteTask, events: Any = None, stop: StopRequest | None = None) -> SiteResult:
    """Run the site's nightly chain into ``task.runs_dir`` exactly as `wfm run` does.

    Returns the result whatever happened; the run itself holds the site's lock, keeps a
    failed run as ``<id>.failed`` and moves ``latest`` only when every stage succeeded.
    """
    options = RunOptions(config_path=task.config, runs_dir=task.runs_dir, as_of=task.as_of,
                         horizon_days=task.horizon_days, seed=task.seed,
                         time_limit_seconds=task.time_limit_seconds, workers=task.workers)
    result = SiteResult(task.site_id, "failed", EXIT_INTERNAL, started_utc=_now_utc(),
                        pid=os.getpid(), node=socket.gethostname())
    folder: Path | None = None
    try:
        outcome = run_nightly(options, events=events, stop=stop)
        folder = outcome.run_dir
        result.exit_code = 0
    except RunFailed as exc:
        folder = exc.run_dir
        result.exit_code = exc.exit_code
        result.message = failure_reason(exc.cause)
        result.stage = exc.stage
    except WfmError as exc:  # before any run folder: the lock, the runs folder
        result.exit_code = exc.exit_code
        result.message = str(exc)
    except Exception as exc:
        result.message = failure_reason(exc)
    result.finished_utc = _now_utc()
    if folder is not None:
        manifest = _read_manifest(folder)
        result.status = manifest.get("status", result.status)
        result.run_id = manifest.get("run_id")
        result.run_dir = str(folder)
        result.figures, result.stage_seconds = manifest_figures(manifest)
        if result.exit_code == 0 and result.status != "ok":  # a run that published nothing
            failure = manifest.get("failure") or {}
            result.exit_code = failure.get("exit_code") or EXIT_INTERNAL
            result.message = failure.get("message")
    latest = latest_run(task.runs_dir) if folder is not None else None
    result.published = latest is not None and latest == Path(folder).resolve()
    return result


class RelayEvents:
    """Events sent on as plain dicts through ``send(record)`` (a pipe, a Ray actor).

    Progress bars are not relayed: the group shows its own progress. Safe to call from
    several threads.
    """

    def __init__(self, send: Any) -> None:
        self._send = send
        self._lock = threading.Lock()

    def emit(self, event: str, message: str = "", *, level: str = "info",
             **fields: Any) -> None:
        from wfm.run.manifest import json_ready

        record = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                  "event": event, "message": message, "level": level, **json_ready(fields)}
        with self._lock:
            self._send(record)

    def progress(self, label: str, done: float, total: float) -> None:
        return None

    def end_progress(self) -> None:
        return None
