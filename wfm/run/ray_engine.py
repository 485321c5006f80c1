"""The Ray engine (``pip install 'wfm[ray]'``): each site's run as a Ray task.

A task asks for ``num_cpus`` equal to the site's solver workers, and Ray runs it again
when its worker dies (`MAX_RETRIES`). The driver ships the site's config and input files
as bytes and installs the run folder the task sends back (`wfm.run.transfer`), so no disk
is shared; it holds the site's lock meanwhile. A small actor (`_Channel`) carries the
tasks' events and attempts to the driver and its stop requests to the tasks. Without an
address ``ray.init()`` starts Ray on this machine; with ``address`` (or ``RAY_ADDRESS``) it
joins that cluster.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import signal
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wfm.errors import EXIT_INTERNAL, BadInput, WfmError
from wfm.run.backends import MAX_RETRIES, EngineMessage, failed_result, signal_exit
from wfm.run.folders import FAILED_SUFFIX, latest_run, runs_lock
from wfm.run.runner import StopRequest, recover_stale_runs
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
        result = failed_result(site, signal_exit(before), f"stopped by {name} before it started",
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
                "result": failed_result(task.site_id, exc.exit_code, str(exc))}))
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
                return failed_result(site_id, signal_exit(signal.SIGKILL), "Ray task cancelled")
            except self._ray.exceptions.RayError as exc:
                text = str(exc).strip()
                first = text.splitlines()[0] if text else type(exc).__name__
                return failed_result(site_id, EXIT_INTERNAL, f"{type(exc).__name__} after "
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
