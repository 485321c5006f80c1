"""Moving a site's files to a worker on another machine and its run folder back, as bytes.

A cluster need not share a disk with the driver. The driver packs the site's config and
the input files it names (`pack_files`); the worker unpacks them under a fresh folder at
the same absolute paths (`unpack_files`: ``/srv/wfm/centers/north.yaml`` becomes
``ROOT/srv/wfm/centers/north.yaml``), so the config's relative ``inputs:`` paths hold as
written. The worker runs the site into ``ROOT`` + the driver's runs folder, turns the
staged paths in the run's messages and manifest back into the driver's
(`unstage_text`), and packs the run folder (`pack_folder`); the driver installs it into
its own runs folder (`install_run`) as a run in progress, renamed into place, and
points ``latest`` at it when it succeeded.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path
from typing import Any

from wfm.run.folders import (
    FAILED_SUFFIX,
    final_dir,
    new_run_id,
    partial_dir,
    point_latest,
)
from wfm.run.manifest import MANIFEST_NAME, write_manifest


def _tar(add: Any) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        add(archive)
    return buffer.getvalue()


def pack_files(paths: list[Path] | tuple[Path, ...]) -> bytes:
    """A gzipped tar of the files (or folders) at ``paths``, by absolute path; missing ones
    are left out (the run reports them)."""

    def add(archive: tarfile.TarFile) -> None:
        for path in dict.fromkeys(Path(p).absolute() for p in paths):
            if path.exists():
                archive.add(path, arcname=path.as_posix().lstrip("/"))

    return _tar(add)


def staged(root: Path, path: Path) -> Path:
    """Where ``path`` (absolute, on the driver) lives under the worker's ``root``."""
    return Path(root) / Path(path).absolute().as_posix().lstrip("/")


def unpack_files(blob: bytes, root: Path) -> None:
    """Unpack `pack_files`' bytes under ``root``."""
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as archive:
        archive.extractall(root, filter="data")


def unstage_text(text: str, root: Path) -> str:
    """``text`` with every staged path under ``root`` written as the driver's path."""
    return text.replace(str(Path(root)), "")


def unstage_manifest(folder: Path, root: Path) -> None:
    """Rewrite the run manifest in ``folder`` with the driver's paths for the staged ones."""
    path = Path(folder) / MANIFEST_NAME
    if path.is_file():
        manifest = json.loads(unstage_text(path.read_text(encoding="utf-8"), root))
        write_manifest(folder, manifest)


def pack_folder(folder: Path) -> bytes:
    """A gzipped tar of ``folder``'s content (names relative to it)."""
    return _tar(lambda archive: archive.add(folder, arcname="."))


def install_run(runs_dir: Path, folder_name: str, blob: bytes) -> Path:
    """Install a run folder packed by `pack_folder` into ``runs_dir``; returns its path.

    Call under the runs folder's lock. The folder is unpacked as a run in progress
    (``.<id>.partial``, which a later run recovers as failed if this process dies here),
    then renamed to ``<id>`` or ``<id>.failed``; ``latest`` moves to a run that succeeded.
    A run id already taken here gets a fresh one, written into its manifest.
    """
    runs_dir = Path(runs_dir)
    ok = not folder_name.endswith(FAILED_SUFFIX)
    run_id = folder_name.removesuffix(FAILED_SUFFIX)
    taken = {p.name for p in runs_dir.iterdir()}
    fresh = run_id
    if {run_id, f"{run_id}{FAILED_SUFFIX}", partial_dir(runs_dir, run_id).name} & taken:
        fresh = new_run_id(runs_dir)
    work = partial_dir(runs_dir, fresh)
    work.mkdir()
    unpack_files(blob, work)
    if fresh != run_id:
        manifest = json.loads((work / MANIFEST_NAME).read_text(encoding="utf-8"))
        manifest["run_id"] = fresh
        write_manifest(work, manifest)
    target = final_dir(runs_dir, fresh, ok=ok)
    os.replace(work, target)
    if ok:
        point_latest(runs_dir, fresh)
    return target
