"""Engines that run sites in parallel, behind one small interface: `Engine`.

An engine runs `wfm.run.site_run.run_site` (the nightly chain) for one `SiteTask` per
worker: ``submit`` a task, ``poll`` for what happened (`EngineMessage`: a site's attempt
``started``, was ``retried`` after its worker died, relayed one of its run ``event``s, or is
``done`` with its `SiteResult`), ``stop`` a site cleanly (as SIGTERM stops `wfm run`) or
``kill`` it, ``close``. The driver (`wfm.run.group`) decides what to start when, and runs
the watchdog. The engines (`ENGINES`):

- ``local`` (`wfm.run.local_engine.LocalEngine`): one spawned process per site on this
  machine, writing straight into ``RUNS/<site>``; a worker that dies without a result (a
  native solver can crash) is started again, up to `MAX_RETRIES` times.
- ``ray`` (`wfm.run.ray_engine.RayEngine`, ``pip install 'wfm[ray]'``): each site a Ray
  task with ``num_cpus`` equal to its solver workers and Ray's own retries when its worker
  dies; the site's files and its run folder travel as bytes, so no disk is shared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from wfm.errors import BadInput
from wfm.run.runner import SIGNAL_EXIT_BASE
from wfm.run.site_run import SiteResult
from wfm.run.sites import SiteTask

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


def failed_result(site_id: str, exit_code: int, message: str, **extra: Any) -> SiteResult:
    """A failed site's result that no run made (the engine's own finding)."""
    return SiteResult(site_id, "failed", exit_code, message, **extra)


def signal_exit(signum: int) -> int:
    """The exit code of a process ended by ``signum``: 128 + signal."""
    return SIGNAL_EXIT_BASE + int(signum)
