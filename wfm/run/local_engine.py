"""The local engine: each site's run in a spawned process on this machine.

The process writes straight into ``RUNS/<site>`` (its run holds the site's lock), stops
cleanly on SIGTERM or SIGINT like `wfm run`, and sends its events and its result to the
driver through a pipe. A process that dies without a result (a native solver can crash)
is started again, up to `MAX_RETRIES` times; the next attempt's run keeps the dead one's
folder as failed.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from wfm.errors import EXIT_INTERNAL
from wfm.run.backends import MAX_RETRIES, EngineMessage, failed_result, signal_exit
from wfm.run.interrupt import run_interruptible
from wfm.run.runner import StopRequest
from wfm.run.site_run import RelayEvents, SiteResult, run_site
from wfm.run.sites import SiteTask


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


#: Thread pools of the numeric libraries (OpenBLAS, MKL, OpenMP): each would take every
#: core, and sites side by side would then fight over them.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _thread_limits(threads: int) -> Iterator[None]:
    """The environment a spawned worker starts with: the numeric libraries' thread pools
    as large as the site's CPUs (as Ray sets them for its tasks), unless already set."""
    added = [name for name in THREAD_VARIABLES if name not in os.environ]
    for name in added:
        os.environ[name] = str(threads)
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


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
        with _thread_limits(task.solver_workers):
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
            result = failed_result(site, code, message, pid=worker.process.pid,
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
