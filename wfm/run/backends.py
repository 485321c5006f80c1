"""Engines that run sites in parallel: a local process pool, or Ray tasks on a cluster.

Both run `wfm.run.site_run.run_site` (the nightly chain) for one `SiteTask` per worker and
stand behind one small interface, `Engine`: ``submit`` a task, ``poll`` for what happened
(`EngineMessage`: a site's attempt ``started``, was ``retried`` after its worker died,
relayed one of its run ``event``s, or is ``done`` with its `SiteResult`), ``stop`` a site
cleanly (as SIGTERM stops `wfm run`) or ``kill`` it, ``close``. The driver
(`wfm.run.group`) decides what to start when, and runs the watchdog.

- `LocalEngine`: one spawned process per site on this machine, writing straight into
  ``RUNS/<site>`` (its run holds the site's lock). A worker that dies without a result (a
  native solver can crash) is started again, up to `MAX_RETRIES` times.
- `RayEngine` (``pip install 'wfm[ray]'``): each site a Ray task with ``num_cpus`` equal to
  its solver workers and Ray's own retries when its worker dies. The driver ships the
  site's files as bytes and installs the run folder the task sends back (`wfm.run.transfer`),
  so no disk is shared; the driver holds the site's lock meanwhile. ``ray.init()`` starts
  Ray on this machine without an address, or joins the cluster at ``address`` (or
  ``RAY_ADDRESS``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from wfm.errors import EXIT_INTERNAL, BadInput, WfmError
from wfm.run.folders import FAILED_SUFFIX, latest_run, runs_lock
from wfm.run.interrupt import run_interruptible
from wfm.run.runner import SIGNAL_EXIT_BASE, StopRequest, recover_stale_runs
from wfm.run.site_run import RelayEvents, SiteResult, run_site
from wfm.run.sites import SiteTask
from wfm.run.transfer import (
    install_run,
    pack_files,
    pack_folder,
    staged,
    unpack_files,
    unstage_manifest,
    unstage_text,
)

#: A worker that dies without a result is started again at most this many times.
MAX_RETRIES = 2
ENGINES = ("local", "ray")

MessageKind = Literal["started", "retried", "event", "done"]


@dataclass
class EngineMessage:
    """Something that happened to a site.

    ``started``: ``data`` has ``attempt``, ``pid`` and ``node``; ``retried``: ``attempt``
    (the one that died) and ``reason``; ``event``: one event record of the site's run;
    ``done``: ``result``, a `SiteResult`.
    """

    kind: MessageKind
    site_id: str
    data: dict[str, Any] = field(default_factory=dict)


class Engine(Protocol):
    """Runs `SiteTask`s and reports what happens to them."""

    name: str

    def describe(self) -> dict[str, Any]:
        """What the group manifest records about the engine."""

    def cpu_slots(self) -> int | None:
        """CPUs the driver may fill with sites' solver workers; None when the engine
        schedules by CPUs itself."""

    def submit(self, task: SiteTask) -> None:
        """Start (or queue) the site's run."""

    def poll(self, timeout: float) -> list[EngineMessage]:
        """What happened since the last call, waiting up to ``timeout`` seconds for
        something."""

    def stop(self, site_id: str, signum: int) -> None:
        """Ask a site's run to stop cleanly, as ``signum`` stops `wfm run`."""

    def kill(self, site_id: str) -> None:
        """End a site's worker now."""

    def close(self) -> None:
        """End every worker and free the engine's resources."""


def check_engine(name: str, address: str | None = None) -> None:
    """BadInput for an unknown engine, an address without Ray, or Ray not installed."""
    if name not in ENGINES:
        raise BadInput(f"--engine: got {name!r}; allowed: {', '.join(ENGINES)}")
    if name == "local" and address:
        raise BadInput("--address: only the ray engine joins a cluster (add --engine ray)")
    if name == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            raise BadInput("--engine ray: Ray is not installed; pip install 'wfm[ray]'") \
                from None


def make_engine(name: str, address: str | None = None, events: Any = None) -> Engine:
    """The engine called ``name`` (`ENGINES`), checked by `check_engine`; ``events`` gets
    the engine's own warnings."""
    check_engine(name, address)
    if name == "ray":
        return RayEngine(address, events=events)
    return LocalEngine()


def _failed(site_id: str, exit_code: int, message: str, **extra: Any) -> SiteResult:
    return SiteResult(site_id, "failed", exit_code, message, **extra)


def signal_exit(signum: int) -> int:
    """The exit code of a process ended by ``signum``: 128 + signal."""
    return SIGNAL_EXIT_BASE + int(signum)


# ---------------------------------------------------------------- local processes


def _local_worker(task: SiteTask, conn: multiprocessing.connection.Connection) -> None:
    """The body of a local worker process: the site's run, stopped cleanly by SIGTERM or
    SIGINT like `wfm run`, with its events and result sent to the driver."""
    # Its own process group: a Ctrl-C on the terminal reaches the driver alone, which
    # passes the stop on once (a second signal would end the run at once).
    os.setpgrp()
    if task.argv:
        sys.argv = list(task.argv)
    stop = StopRequest()
    events = RelayEvents(lambda record: conn.send(("event", record)))
    try:
        result = run_interruptible(lambda: run_site(task, events, stop), stop, events)
        conn.send(("result", result.to_dict()))
    finally:
        conn.close()


@dataclass
class _Worker:
    task: SiteTask
    process: Any
    conn: multiprocessing.connection.Connection
    attempt: int
    result: dict[str, Any] | None = None
    stopped_by: int | None = None


def _death(exitcode: int | None) -> tuple[str, int]:
    """How a worker process ended without a result, and the exit code that stands for it."""
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        return f"killed by {name}", signal_exit(-exitcode)
    return f"exited with code {exitcode} without a result", exitcode or EXIT_INTERNAL


class LocalEngine:
    """Sites as spawned processes on this machine (see the module docstring)."""

    name = "local"

    def __init__(self, cores: int | None = None, retries: int = MAX_RETRIES,
                 worker: Any = None) -> None:
        # ``worker(task, conn)`` is the process body (module-level, for spawn)
        self._worker = worker or _local_worker
        self._context = multiprocessing.get_context("spawn")
        self._cores = cores or os.cpu_count() or 1
        self._retries = retries
        self._workers: dict[str, _Worker] = {}
        self._outbox: list[EngineMessage] = []

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "node": socket.gethostname(), "cores": self._cores,
                "retries": self._retries}

    def cpu_slots(self) -> int:
        return self._cores

    def submit(self, task: SiteTask) -> None:
        self._start(task, attempt=1)

    def _start(self, task: SiteTask, attempt: int) -> None:
        receiver, sender = self._context.Pipe(duplex=False)
        process = self._context.Process(target=self._worker, args=(task, sender),
                                        name=f"wfm-site-{task.site_id}")
        process.start()
        sender.close()  # the child's end: EOF here once the child is gone
        self._workers[task.site_id] = _Worker(task, process, receiver, attempt)
        self._outbox.append(EngineMessage("started", task.site_id, {
            "attempt": attempt, "pid": process.pid, "node": socket.gethostname()}))

    def _drain(self, worker: _Worker) -> None:
        """Read what the worker sent so far (all of it once the process is gone)."""
        site = worker.task.site_id
        with contextlib.suppress(EOFError, OSError, ValueError):
            while worker.conn.poll():
                kind, payload = worker.conn.recv()
                if kind == "event":
                    self._outbox.append(EngineMessage("event", site, payload))
                elif kind == "result":
                    worker.result = payload

    def poll(self, timeout: float) -> list[EngineMessage]:
        waitables: list[Any] = []
        for worker in self._workers.values():
            waitables += [worker.conn, worker.process.sentinel]
        if waitables and not self._outbox:
            multiprocessing.connection.wait(waitables, timeout)
        elif not waitables and not self._outbox:
            time.sleep(timeout)
        for site, worker in list(self._workers.items()):
            self._drain(worker)
            if worker.process.is_alive():
                continue
            worker.process.join()
            self._drain(worker)
            worker.conn.close()
            del self._workers[site]
            self._ended(worker)
        messages, self._outbox = self._outbox, []
        return messages

    def _ended(self, worker: _Worker) -> None:
        site = worker.task.site_id
        if worker.result is not None:
            result = SiteResult.from_dict(worker.result)
        else:
            how, code = _death(worker.process.exitcode)
            if worker.stopped_by is None and worker.attempt <= self._retries:
                self._outbox.append(EngineMessage("retried", site, {
                    "attempt": worker.attempt, "reason": f"worker process {how}"}))
                self._start(worker.task, worker.attempt + 1)
                return
            if worker.stopped_by is not None:
                message = f"worker process {how} after the stop request"
            else:
                message = f"worker process {how} on each of {worker.attempt} attempts"
            result = _failed(site, code, message, pid=worker.process.pid,
                             node=socket.gethostname())
        self._outbox.append(EngineMessage("done", site, {"result": result}))

    def stop(self, site_id: str, signum: int) -> None:
        worker = self._workers.get(site_id)
        if worker is not None and worker.process.is_alive():
            worker.stopped_by = signum
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.process.pid, signum)

    def kill(self, site_id: str) -> None:
        worker = self._workers.get(site_id)
        if worker is not None:
            worker.stopped_by = worker.stopped_by or signal.SIGKILL
            worker.process.kill()

    def close(self) -> None:
        for site in list(self._workers):
            self.kill(site)
        for worker in self._workers.values():
            worker.process.join(5)
            worker.conn.close()
        self._workers.clear()


# ---------------------------------------------------------------- Ray


class _Channel:
    """A Ray actor between the driver and the site tasks: the tasks' events and attempts
    go in, the driver's stop requests come out."""

    def __init__(self) -> None:
        self._events: list[tuple[str, str, dict[str, Any]]] = []
        self._stops: dict[str, int] = {}

    def started(self, site_id: str, info: dict[str, Any]) -> None:
        self._events.append(("started", site_id, info))

    def push(self, site_id: str, record: dict[str, Any]) -> None:
        self._events.append(("event", site_id, record))

    def flush(self) -> bool:
        """Called last by a task: its earlier calls have all arrived by then."""
        return True

    def drain(self) -> list[tuple[str, str, dict[str, Any]]]:
        found, self._events = self._events, []
        return found

    def request_stop(self, site_id: str, signum: int) -> None:
        self._stops.setdefault(site_id, signum)

    def stop_signal(self, site_id: str) -> int | None:
        return self._stops.get(site_id)


#: How often a Ray task asks the channel whether it should stop, seconds.
STOP_POLL_SECONDS = 0.5


def _ray_site_task(task: SiteTask, files: bytes, channel: Any) -> dict[str, Any]:
    """The body of a site's Ray task: unpack the site's files, run it, pack its run folder.

    Returns ``{"result": SiteResult dict, "folder_name": str | None, "folder": bytes |
    None}`` with every staged path written as the driver's.
    """
    import ray

    site = task.site_id
    node = ray.util.get_node_ip_address()
    channel.started.remote(site, {"pid": os.getpid(), "node": node})
    before = ray.get(channel.stop_signal.remote(site))
    if before:
        name = signal.Signals(before).name
        result = _failed(site, signal_exit(before), f"stopped by {name} before it started",
                         pid=os.getpid(), node=node)
        return {"result": result.to_dict(), "folder_name": None, "folder": None}
    argv = sys.argv
    with tempfile.TemporaryDirectory(prefix="wfm-site-") as tmp:
        root = Path(tmp)
        unpack_files(files, root)
        here = dataclasses.replace(task, config=staged(root, task.config),
                                   runs_dir=staged(root, task.runs_dir), input_files=())
        stop = StopRequest()
        finished = threading.Event()

        def watch() -> None:
            while not finished.wait(STOP_POLL_SECONDS):
                signum = ray.get(channel.stop_signal.remote(site))
                if signum:
                    stop.request(signum)

        watcher = threading.Thread(target=watch, name="wfm-stop-watch", daemon=True)
        watcher.start()
        if task.argv:
            sys.argv = list(task.argv)
        try:
            result = run_site(here, RelayEvents(lambda r: channel.push.remote(site, r)), stop)
        finally:
            sys.argv = argv
            finished.set()
            watcher.join()
        folder_name = blob = None
        if result.run_dir is not None:
            folder = Path(result.run_dir)
            unstage_manifest(folder, root)
            folder_name, blob = folder.name, pack_folder(folder)
        result.message = unstage_text(result.message, root) if result.message else None
        result.run_dir = None  # the driver's, once installed
        result.node = node
    ray.get(channel.flush.remote())
    return {"result": result.to_dict(), "folder_name": folder_name, "folder": blob}


#: How long to wait for a Ray head's port to answer before calling the address wrong.
CONNECT_SECONDS = 10.0


def _reachable(address: str, option: str) -> None:
    """BadInput unless something listens at a ``HOST:PORT`` address (``ray.init`` itself
    would wait minutes for a head that is not there). Other forms (``auto``,
    ``ray://...``) are left to Ray."""
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        raise BadInput(f"{option}: no Ray head answers at {address} "
                       f"({exc.strerror or exc}); start it with `ray start --head`") from None


class _RayLogEvents(logging.Handler):
    """Ray's own warnings and errors as events (never raw lines in a JSON log)."""

    #: The group's driver runs in a thread while the main thread owns SIGTERM and SIGINT
    #: (`wfm.run.interrupt`): Ray saying it set no SIGTERM handler there is expected.
    EXPECTED = ("SIGTERM handler is not set",)

    def __init__(self, events: Any) -> None:
        super().__init__(level=logging.WARNING)
        self.events = events

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if (self.events is None or not record.name.startswith("ray")
                or message.startswith(self.EXPECTED)):
            return
        level = "error" if record.levelno >= logging.ERROR else "warning"
        self.events.emit("ray", f"ray: {message}", level=level)


@dataclass
class _RaySite:
    task: SiteTask
    ref: Any
    lock: contextlib.ExitStack
    attempts: int = 0


class RayEngine:
    """Sites as Ray tasks (see the module docstring)."""

    name = "ray"

    def __init__(self, address: str | None = None, retries: int = MAX_RETRIES,
                 events: Any = None) -> None:
        import ray

        self._ray = ray
        self._address = address or os.environ.get("RAY_ADDRESS") or None
        self._owns = not ray.is_initialized()
        self._log_handler = _RayLogEvents(events)
        if self._owns and self._address:
            _reachable(self._address, "--address" if address else "RAY_ADDRESS")
        if self._owns:
            # the driver's Ray core logs straight to stderr: only its errors, not raw lines
            # in the middle of a JSON log
            os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "error")
            # ray.init first clears the handlers of the "ray" logger, which does not
            # propagate: meanwhile its records are caught one level below
            inner = logging.getLogger("ray._private")
            inner.addHandler(self._log_handler)
            try:
                ray.init(address=self._address, include_dashboard=False, log_to_driver=False,
                         configure_logging=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                if self._address:  # a cluster that is not there: the option's fault
                    raise BadInput(f"--address: cannot join Ray at {self._address}: "
                                   f"{exc}") from None
                raise WfmError(f"--engine ray: cannot start Ray on this machine: {exc}") \
                    from None
            finally:
                inner.removeHandler(self._log_handler)
        logging.getLogger("ray").addHandler(self._log_handler)
        self._channel = ray.remote(num_cpus=0)(_Channel).remote()
        self._remote = ray.remote(max_retries=retries, retry_exceptions=False)(_ray_site_task)
        self._retries = retries
        self._sites: dict[str, _RaySite] = {}
        self._outbox: list[EngineMessage] = []
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        self._largest_node_cpus = max((n.get("Resources", {}).get("CPU", 0) for n in nodes),
                                      default=1)

    def describe(self) -> dict[str, Any]:
        resources = self._ray.cluster_resources()
        return {"name": self.name, "address": self._address or "local",
                "ray": self._ray.__version__, "cluster_cpus": resources.get("CPU"),
                "nodes": len([n for n in self._ray.nodes() if n.get("Alive")]),
                "retries": self._retries}

    def cpu_slots(self) -> None:
        return None

    def submit(self, task: SiteTask) -> None:
        lock = contextlib.ExitStack()
        try:
            lock.enter_context(runs_lock(task.runs_dir))
            recover_stale_runs(task.runs_dir, RelayEvents(
                lambda r: self._outbox.append(EngineMessage("event", task.site_id, r))))
        except WfmError as exc:
            lock.close()
            self._outbox.append(EngineMessage("done", task.site_id, {
                "result": _failed(task.site_id, exc.exit_code, str(exc))}))
            return
        # a site needing more CPUs than any node has would wait forever: it runs alone
        cpus = min(task.solver_workers, self._largest_node_cpus)
        ref = self._remote.options(num_cpus=cpus, name=f"wfm-site-{task.site_id}").remote(
            task, pack_files(task.input_files), self._channel)
        self._sites[task.site_id] = _RaySite(task, ref, lock)

    def poll(self, timeout: float) -> list[EngineMessage]:
        ray = self._ray
        refs = [site.ref for site in self._sites.values()]
        ready: list[Any] = []
        if refs:
            wait = 0 if self._outbox else timeout
            ready, _ = ray.wait(refs, num_returns=len(refs), timeout=wait)
        elif not self._outbox:
            time.sleep(timeout)
        self._take_channel()
        for site_id, site in list(self._sites.items()):
            if site.ref in ready:
                del self._sites[site_id]
                self._take_channel()
                result = self._collect(site)
                self._outbox.append(EngineMessage("done", site_id, {"result": result}))
        messages, self._outbox = self._outbox, []
        return messages

    def _take_channel(self) -> None:
        for kind, site_id, data in self._ray.get(self._channel.drain.remote()):
            site = self._sites.get(site_id)
            if kind == "started" and site is not None:
                if site.attempts:
                    self._outbox.append(EngineMessage("retried", site_id, {
                        "attempt": site.attempts,
                        "reason": "worker process died (Ray ran the task again)"}))
                site.attempts += 1
                data = {"attempt": site.attempts, **data}
            self._outbox.append(EngineMessage(kind, site_id, data))  # type: ignore[arg-type]

    def _collect(self, site: _RaySite) -> SiteResult:
        """The finished task's result, its run folder installed under the driver's runs
        folder; the site's lock released."""
        site_id = site.task.site_id
        try:
            try:
                output = self._ray.get(site.ref)
            except self._ray.exceptions.TaskCancelledError:
                return _failed(site_id, signal_exit(signal.SIGKILL), "Ray task cancelled")
            except self._ray.exceptions.RayError as exc:
                text = str(exc).strip()
                first = text.splitlines()[0] if text else type(exc).__name__
                return _failed(site_id, EXIT_INTERNAL, f"{type(exc).__name__} after "
                               f"{max(site.attempts, 1)} attempts: {first}")
            result = SiteResult.from_dict(output["result"])
            if output["folder"] is not None:
                target = install_run(site.task.runs_dir, output["folder_name"],
                                     output["folder"])
                result.run_dir = str(target)
                result.run_id = target.name.removesuffix(FAILED_SUFFIX)
                result.published = latest_run(site.task.runs_dir) == target.resolve()
            return result
        finally:
            site.lock.close()

    def stop(self, site_id: str, signum: int) -> None:
        if site_id in self._sites:
            self._channel.request_stop.remote(site_id, int(signum))

    def kill(self, site_id: str) -> None:
        site = self._sites.get(site_id)
        if site is not None:
            self._ray.cancel(site.ref, force=True)

    def close(self) -> None:
        for site_id in list(self._sites):
            self.kill(site_id)
            self._sites.pop(site_id).lock.close()
        with contextlib.suppress(Exception):
            self._ray.kill(self._channel)
        if self._owns:
            self._ray.shutdown()
        logging.getLogger("ray").removeHandler(self._log_handler)
