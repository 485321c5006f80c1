"""`wfm run --sites`: every site of a sites file planned in one night, on one engine.

Each site is its own nightly run (`wfm.run.site_run.run_site`) into ``RUNS/<site>/``, with
its own lock, run folders and ``latest``. The driver holds ``RUNS/.lock`` (one group at a
time per runs folder), starts sites as CPUs allow (the local engine: a site takes as many
CPUs as its solver has workers; Ray schedules by them itself) and at most
``max_parallel`` at once, ends a site still running `Sites.watchdog_margin_seconds` past
its solver time limit, and writes:

- ``RUNS/group-<timestamp>.json``: the group manifest, rewritten (atomically) as each site
  starts and ends: every site's status, exit code and message, attempts, times, headline
  figures and the path of its run (relative to ``RUNS``);
- ``RUNS/group-<timestamp>.log``: every event of every site's run, one JSON object per
  line with the site and attempt (what `wfm run` would print for each).

A site's failure (bad input, rules that admit no schedule, a crash) is its own: the others
go on. A stop (SIGTERM, SIGINT) stops every running site cleanly and marks the ones not
started yet failed; no ``latest`` moves for a site that did not finish.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from wfm.errors import EXIT_NO_SITE_OK, EXIT_OK, EXIT_SOME_SITES_FAILED, BadInput
from wfm.events import Events, NullEvents
from wfm.io.files import atomic_open
from wfm.run.backends import MAX_RETRIES, Engine, EngineMessage, check_engine
from wfm.run.folders import RUN_ID_FORMAT, runs_lock
from wfm.run.manifest import MANIFEST_VERSION, json_ready, sha256_file
from wfm.run.runner import SIGNAL_EXIT_BASE, StopRequest
from wfm.run.site_run import SiteResult
from wfm.run.sites import GroupOptions, SitesFile, SiteTask, load_sites, select_sites, site_task

GROUP_PREFIX = "group-"
#: After a stop request, how long a site may take to wind down before it is killed.
STOP_GRACE_SECONDS = 30.0
#: How often the driver looks at the engine, the watchdog and the stop request.
POLL_SECONDS = 0.2

SiteEventHook = Callable[[str, dict[str, Any]], None]


def _now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class SiteState:
    """What the driver knows of one site while the group runs."""

    task: SiteTask
    state: str = "pending"  # pending -> queued -> running -> done
    attempts: list[dict[str, Any]] = field(default_factory=list)
    stage: str | None = None
    began: float | None = None  # monotonic, first attempt
    attempt_began: float | None = None
    deadline: float | None = None
    stop_sent: float | None = None
    killed: bool = False
    watchdog: bool = False
    result: SiteResult | None = None
    started_utc: str | None = None
    finished_utc: str | None = None
    seconds: float | None = None

    @property
    def site_id(self) -> str:
        return self.task.site_id

    @property
    def attempt(self) -> int:
        return len(self.attempts)


@dataclass
class GroupOutcome:
    """A finished group: its manifest (and path) and the exit code it stands for."""

    manifest_path: Path
    manifest: dict[str, Any]
    exit_code: int

    @property
    def failed_sites(self) -> list[str]:
        """The ids of the sites that published nothing."""
        return [s["id"] for s in self.manifest["sites"] if s["status"] != "ok"]


def _sites(count: int) -> str:
    return f"{count} site" if count == 1 else f"{count} sites"


def new_group_id(runs_root: Path, now: datetime | None = None) -> str:
    """``<UTC timestamp>``, with ``-2``, ``-3``... when a group of that second exists."""
    base = (now or datetime.now(UTC)).astimezone(UTC).strftime(RUN_ID_FORMAT)
    group_id, counter = base, 1
    while (Path(runs_root) / f"{GROUP_PREFIX}{group_id}.json").exists():
        counter += 1
        group_id = f"{base}-{counter}"
    return group_id


def recover_dead_groups(runs_root: Path) -> list[Path]:
    """Mark group manifests still ``running`` (their driver died) failed; call under the
    runs folder's lock. Returns their paths."""
    found = []
    for path in sorted(Path(runs_root).glob(f"{GROUP_PREFIX}*.json")):
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if manifest.get("status") != "running":
            continue
        manifest["status"] = "failed"
        manifest["failure"] = ("the process driving this group died before the group "
                               "finished; found by a later group run")
        write_group_manifest(path, manifest)
        found.append(path)
    return found


def write_group_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Write the group manifest atomically."""
    text = json.dumps(json_ready(manifest), indent=2, allow_nan=False) + "\n"
    with atomic_open(path, "w", encoding="utf-8") as stream:
        stream.write(text)


def group_exit_code(states: list[SiteState], stop: StopRequest) -> tuple[str, int]:
    """The group's status and exit code: ``ok`` 0 (every site published), ``partial``
    `EXIT_SOME_SITES_FAILED`, ``failed`` `EXIT_NO_SITE_OK` (no site published), or
    ``interrupted`` with 128 + the stopping signal."""
    if stop.is_set():
        return "interrupted", stop.exit_code
    published = [s for s in states if s.result is not None and s.result.published]
    if len(published) == len(states):
        return "ok", EXIT_OK
    if published:
        return "partial", EXIT_SOME_SITES_FAILED
    return "failed", EXIT_NO_SITE_OK


class _Driver:
    """The group's loop: starts sites, reads the engine, runs the watchdog and the stop."""

    def __init__(self, sites: SitesFile, states: list[SiteState], engine: Engine,
                 runs_root: Path, manifest_path: Path, manifest: dict[str, Any],
                 log: IO[str], events: Events, stop: StopRequest, max_parallel: int | None,
                 on_site_event: SiteEventHook | None) -> None:
        self.sites = sites
        self.states = states
        self.by_id = {s.site_id: s for s in states}
        self.engine = engine
        self.runs_root = runs_root
        self.manifest_path = manifest_path
        self.manifest = manifest
        self.log = log
        self.events = events
        self.stop = stop
        self.max_parallel = max_parallel
        self.on_site_event = on_site_event
        self.pending = deque(states)
        self.active: dict[str, SiteState] = {}
        self.stopping = False

    # ------------------------------------------------------------ loop

    def run(self) -> None:
        self.save()
        while self.pending or self.active:
            if self.stop.is_set() and not self.stopping:
                self._stop_all()
            while self.pending and not self.stop.is_set() and self._can_start(self.pending[0]):
                self._submit(self.pending.popleft())
            for message in self.engine.poll(POLL_SECONDS):
                self._handle(message)
            self._watch(time.monotonic())

    def _can_start(self, state: SiteState) -> bool:
        if self.max_parallel is not None and len(self.active) >= self.max_parallel:
            return False
        slots = self.engine.cpu_slots()
        if slots is None or not self.active:
            return True
        used = sum(s.task.solver_workers for s in self.active.values())
        return used + state.task.solver_workers <= slots

    def _submit(self, state: SiteState) -> None:
        state.state = "queued"
        self.active[state.site_id] = state
        self.engine.submit(state.task)

    def _stop_all(self) -> None:
        self.stopping = True
        signum = self.stop.exit_code - SIGNAL_EXIT_BASE
        name = self.stop.signal_name or "a stop request"
        while self.pending:
            state = self.pending.popleft()
            self._finish(state, SiteResult(state.site_id, "failed", self.stop.exit_code,
                                           f"not started: the group was stopped by {name}"))
        now = time.monotonic()
        for state in self.active.values():
            self.engine.stop(state.site_id, signum)
            state.stop_sent = now

    def _watch(self, now: float) -> None:
        margin = self.sites.watchdog_margin_seconds
        for state in list(self.active.values()):
            if (state.deadline is not None and now > state.deadline
                    and state.stop_sent is None):
                state.watchdog = True
                state.stop_sent = now
                limit = state.task.solver_time_limit_seconds
                self.events.emit("site_watchdog", f"{state.site_id}: still running "
                                 f"{now - (state.attempt_began or now):.0f}s after it started "
                                 f"(time limit {limit:g}s + margin {margin:g}s): ending it",
                                 level="warning", site=state.site_id)
                self.engine.stop(state.site_id, signal.SIGTERM)
            elif (state.stop_sent is not None and not state.killed
                  and now - state.stop_sent > STOP_GRACE_SECONDS):
                state.killed = True
                self.engine.kill(state.site_id)

    # ------------------------------------------------------------ messages

    def _handle(self, message: EngineMessage) -> None:
        state = self.by_id[message.site_id]
        if message.kind == "started":
            self._started(state, message.data)
        elif message.kind == "retried":
            if state.attempts:
                state.attempts[-1]["ended"] = message.data["reason"]
            self.events.emit("site_retry", f"{state.site_id}: {message.data['reason']}; "
                             f"trying again (attempt {state.attempt + 1} of "
                             f"{MAX_RETRIES + 1})", level="warning", site=state.site_id,
                             attempt=state.attempt, reason=message.data["reason"])
            self.save()
        elif message.kind == "event":
            self._site_event(state, message.data)
        elif message.kind == "done":
            self._finish(state, message.data["result"])

    def _started(self, state: SiteState, data: dict[str, Any]) -> None:
        now = time.monotonic()
        state.state = "running"
        state.attempts.append({"attempt": data["attempt"], "pid": data.get("pid"),
                               "node": data.get("node"), "started_utc": _now_utc(),
                               "ended": None})
        state.began = state.began or now
        state.started_utc = state.started_utc or _now_utc()
        state.attempt_began = now
        state.deadline = now + state.task.solver_time_limit_seconds \
            + self.sites.watchdog_margin_seconds
        if self.stopping:  # a queued task that starts after the stop
            self.engine.stop(state.site_id, self.stop.exit_code - SIGNAL_EXIT_BASE)
        self.events.emit("site_start", f"{state.site_id}: started (attempt {state.attempt}, "
                         f"pid {data.get('pid')} on {data.get('node')})", site=state.site_id,
                         attempt=state.attempt, pid=data.get("pid"), node=data.get("node"))
        self.save()

    def _site_event(self, state: SiteState, record: dict[str, Any]) -> None:
        if record.get("event") == "stage_start":
            state.stage = record.get("stage")
        attempt = state.attempts[-1] if state.attempts else {}
        full = {"site": state.site_id, "attempt": attempt.get("attempt"),
                "pid": attempt.get("pid"), **record}
        self.log.write(json.dumps(json_ready(full), ensure_ascii=True) + "\n")
        self.log.flush()
        if self.on_site_event is not None:
            self.on_site_event(state.site_id, full)

    def _finish(self, state: SiteState, result: SiteResult) -> None:
        self.active.pop(state.site_id, None)
        state.state = "done"
        if state.attempts and state.attempts[-1]["ended"] is None:
            # a run that ended (well or not) finished; otherwise say how the attempt ended
            state.attempts[-1]["ended"] = "finished" if result.run_id else result.message
        if state.watchdog:
            margin = self.sites.watchdog_margin_seconds
            limit = state.task.solver_time_limit_seconds
            cause = f"ended by the watchdog (time limit {limit:g}s + margin {margin:g}s)"
            result.message = f"{cause}: {result.message}" if result.message else cause
            result.status = "failed"
            result.published = False
        state.result = result
        state.finished_utc = _now_utc()
        if state.began is not None:
            state.seconds = round(time.monotonic() - state.began, 1)
        if result.published:
            self.events.emit("site_end", f"{state.site_id}: ok in {state.seconds}s, "
                             f"{self._relative(result.run_dir)}", site=state.site_id,
                             status="ok", exit_code=0, seconds=state.seconds,
                             run=self._relative(result.run_dir))
        else:
            where = f" (stage {result.stage})" if result.stage else ""
            self.events.emit("site_end", f"{state.site_id}: failed, exit {result.exit_code}"
                             f"{where}: {result.message}", level="error", site=state.site_id,
                             status="failed", exit_code=result.exit_code,
                             seconds=state.seconds, run=self._relative(result.run_dir),
                             stage=result.stage)
        self.save()

    # ------------------------------------------------------------ manifest

    def _relative(self, path: str | None) -> str | None:
        if path is None:
            return None
        return os.path.relpath(path, self.runs_root)

    def site_entry(self, state: SiteState) -> dict[str, Any]:
        """The group manifest's entry for one site."""
        task, result = state.task, state.result
        status = state.state if result is None else ("ok" if result.published else "failed")
        return {
            "id": task.site_id,
            "config": str(task.config),
            "status": status,
            "exit_code": None if result is None else result.exit_code,
            "message": None if result is None else result.message,
            "stage": state.stage if result is None else result.stage,
            "run": None if result is None else self._relative(result.run_dir),
            "published": False if result is None else result.published,
            "started_utc": state.started_utc,
            "finished_utc": state.finished_utc,
            "seconds": state.seconds,
            "attempts": state.attempts,
            "stage_seconds": {} if result is None else result.stage_seconds,
            "figures": {} if result is None else result.figures,
            "options": {"seed": task.seed, "time_limit_seconds": task.time_limit_seconds,
                        "workers": task.workers, "solver_workers": task.solver_workers,
                        "solver_time_limit_seconds": task.solver_time_limit_seconds},
        }

    def save(self) -> None:
        self.manifest["sites"] = [self.site_entry(s) for s in self.states]
        write_group_manifest(self.manifest_path, self.manifest)


def make_engine(name: str, address: str | None = None, events: Events | None = None) -> Engine:
    """The engine called ``name`` (checked by `check_engine`); ``events`` gets the engine's
    own warnings."""
    check_engine(name, address)
    if name == "ray":
        from wfm.run.ray_engine import RayEngine

        return RayEngine(address, events=events)
    from wfm.run.local_engine import LocalEngine

    return LocalEngine()


def run_group(
    sites_path: str | Path,
    runs_root: str | Path,
    options: GroupOptions | None = None,
    only: list[str] | None = None,
    engine: str | Engine = "local",
    address: str | None = None,
    max_parallel: int | None = None,
    events: Events | None = None,
    stop: StopRequest | None = None,
    on_site_event: SiteEventHook | None = None,
) -> GroupOutcome:
    """Run every selected site of the sites file into ``runs_root/<site>/``.

    Returns the outcome whatever the sites did (its ``exit_code``: 0 all published,
    `EXIT_SOME_SITES_FAILED`, `EXIT_NO_SITE_OK`, or 128 + signal after a stop). Raises
    BadInput (a bad sites file, ``--only`` naming no site, an unusable engine) and Locked
    (another group holds ``runs_root``) before anything runs. ``on_site_event(site,
    record)`` sees every event of every site's run as it arrives.
    """
    events = events or NullEvents()
    stop = stop or StopRequest()
    options = options or GroupOptions()
    if max_parallel is not None and max_parallel < 1:
        raise BadInput(f"--max-parallel: must be at least 1 (got {max_parallel})")
    sites = load_sites(sites_path)
    chosen = select_sites(sites, only)
    if isinstance(engine, str):
        check_engine(engine, address)
    root = Path(runs_root).absolute()
    with runs_lock(root):
        recover_dead_groups(root)
        started = datetime.now(UTC)
        group_id = new_group_id(root, started)
        tasks = [site_task(sites, site, root, options, tuple(sys.argv)) for site in chosen]
        backend = make_engine(engine, address, events) if isinstance(engine, str) else engine
        manifest_path = root / f"{GROUP_PREFIX}{group_id}.json"
        log_path = root / f"{GROUP_PREFIX}{group_id}.log"
        manifest: dict[str, Any] = {
            "manifest_version": MANIFEST_VERSION,
            "group_id": group_id,
            "status": "running",
            "exit_code": None,
            "started_utc": started.isoformat(timespec="seconds"),
            "finished_utc": None,
            "seconds": None,
            "sites_file": {"path": str(sites.path), "sha256": sha256_file(sites.path)},
            "watchdog_margin_seconds": sites.watchdog_margin_seconds,
            "engine": {},
            "max_parallel": max_parallel,
            "options": {"as_of": options.as_of, "horizon_days": options.horizon_days,
                        "seed": options.seed, "time_limit_seconds": options.time_limit_seconds,
                        "workers": options.workers, "only": only},
            "command": {"argv": sys.argv, "pid": os.getpid()},
            "log": log_path.name,
            "sites": [],
            "summary": None,
        }
        states = [SiteState(task) for task in tasks]
        began = time.monotonic()
        try:
            manifest["engine"] = backend.describe()
            events.emit("group_start", f"{_sites(len(states))} on the {backend.name} engine "
                        f"into {root}", sites=[s.site_id for s in states],
                        engine=backend.name, manifest=str(manifest_path))
            with open(log_path, "a", encoding="utf-8") as log:
                driver = _Driver(sites, states, backend, root, manifest_path, manifest, log,
                                 events, stop, max_parallel, on_site_event)
                driver.run()
        finally:
            backend.close()
        status, code = group_exit_code(states, stop)
        failed = [s for s in states if s.result is None or not s.result.published]
        manifest.update({
            "status": status, "exit_code": code, "finished_utc": _now_utc(),
            "seconds": round(time.monotonic() - began, 1),
            "summary": {"sites": len(states), "ok": len(states) - len(failed),
                        "failed": len(failed),
                        "failed_sites": [s.site_id for s in failed]},
        })
        driver.save()
        listed = ", ".join(f"{s.site_id} (exit {s.result.exit_code if s.result else '?'})"
                           for s in failed)
        text = f"{_sites(len(states))}: {len(states) - len(failed)} ok, {len(failed)} failed"
        events.emit("group_end", text + (f": {listed}" if failed else ""),
                    level="error" if failed else "info", status=status, exit_code=code,
                    failed_sites=[s.site_id for s in failed], manifest=str(manifest_path))
        return GroupOutcome(manifest_path, manifest, code)

