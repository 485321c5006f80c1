"""The runs folder of `wfm run`: its lock, one folder per run and the `latest` pointer.

Layout of ``RUNS/``::

    .lock                     flock'ed by the active run (holds its pid)
    .20261123T021500Z.partial a run in progress (or one whose process died)
    20261123T021500Z/         a finished run
    20261122T021500Z.failed/  a failed run, kept for its manifest
    latest -> 20261123T021500Z  the last good run (relative symlink)

A run writes only inside its own ``.partial`` folder and renames it at the end, so a
reader of ``latest`` never sees a half-written plan.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from wfm.errors import BadInput, Locked

LOCK_NAME = ".lock"
LATEST_NAME = "latest"
PARTIAL_SUFFIX = ".partial"
FAILED_SUFFIX = ".failed"
#: Run ids are UTC timestamps: they sort by start time as plain strings.
RUN_ID_FORMAT = "%Y%m%dT%H%M%SZ"


@contextlib.contextmanager
def runs_lock(runs_dir: Path) -> Iterator[Path]:
    """Hold an exclusive, non-blocking lock on ``runs_dir/.lock`` for the block.

    Creates ``runs_dir`` when missing. Raises `Locked` at once (touching nothing) when
    another process holds the lock, and `BadInput` when ``runs_dir`` is not a usable
    folder. The lock dies with the process, so a killed run never leaves it stuck.
    """
    runs_dir = Path(runs_dir)
    if runs_dir.exists() and not runs_dir.is_dir():
        raise BadInput(f"{runs_dir}: --out must be a folder, this is a file")
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(runs_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise BadInput(f"{runs_dir}: cannot use as runs folder ({exc.strerror})") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            who = f" (pid {holder})" if holder.isdigit() else ""
            raise Locked(
                f"{runs_dir}: another wfm run is active{who}; this run did nothing"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield runs_dir / LOCK_NAME
        finally:
            # Clear the pid before unlocking so a stale pid is never shown.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def new_run_id(runs_dir: Path, now: datetime | None = None) -> str:
    """A run id for a run starting ``now`` (UTC), unique in ``runs_dir``.

    ``20261123T021500Z``; a second run in the same second gets ``-2``, ``-3``... (call it
    under the lock).
    """
    now = now or datetime.now(UTC)
    base = now.astimezone(UTC).strftime(RUN_ID_FORMAT)
    taken = {p.name for p in Path(runs_dir).iterdir()} if Path(runs_dir).exists() else set()
    run_id, counter = base, 1
    while {run_id, f".{run_id}{PARTIAL_SUFFIX}", f"{run_id}{FAILED_SUFFIX}"} & taken:
        counter += 1
        run_id = f"{base}-{counter}"
    return run_id


def partial_dir(runs_dir: Path, run_id: str) -> Path:
    """Where a run in progress writes."""
    return Path(runs_dir) / f".{run_id}{PARTIAL_SUFFIX}"


def final_dir(runs_dir: Path, run_id: str, ok: bool) -> Path:
    """Where a finished run lives: ``<id>`` when it succeeded, ``<id>.failed`` otherwise."""
    return Path(runs_dir) / (run_id if ok else f"{run_id}{FAILED_SUFFIX}")


def stale_partials(runs_dir: Path) -> list[Path]:
    """``.partial`` folders left by runs whose process died (call under the lock)."""
    return sorted(
        p for p in Path(runs_dir).iterdir()
        if p.is_dir() and p.name.startswith(".") and p.name.endswith(PARTIAL_SUFFIX)
    )


def run_id_of_partial(path: Path) -> str:
    """The run id of a ``.partial`` folder."""
    return path.name[1:].removesuffix(PARTIAL_SUFFIX)


def point_latest(runs_dir: Path, run_id: str) -> Path:
    """Point ``runs_dir/latest`` at ``run_id`` atomically; returns the link's path.

    The link is relative (the runs folder can move) and is made under a temporary name,
    then renamed over ``latest``: a reader sees the old run or the new one, never none.
    """
    runs_dir = Path(runs_dir)
    if not (runs_dir / run_id).is_dir():
        raise FileNotFoundError(runs_dir / run_id)
    link = runs_dir / LATEST_NAME
    temp = runs_dir / f".{LATEST_NAME}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)
    os.symlink(run_id, temp)
    os.replace(temp, link)
    return link


def latest_run(runs_dir: Path) -> Path | None:
    """The folder ``latest`` points at, or None when there is no good run yet."""
    link = Path(runs_dir) / LATEST_NAME
    if not link.is_symlink():
        return None
    target = link.resolve()
    return target if target.is_dir() else None
