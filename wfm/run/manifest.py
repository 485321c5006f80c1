"""The run manifest: what went in (files and their sha256, versions) in JSON-safe form."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from wfm.io.files import atomic_open
from wfm.io.tables import MANIFEST_FILE

MANIFEST_NAME = MANIFEST_FILE
MANIFEST_VERSION = 1
#: Packages whose versions every manifest records (a run is reproducible with these).
RECORDED_PACKAGES = ("wfm", "ortools", "pandas", "statsmodels", "numpy", "openpyxl", "pydantic")


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
    with atomic_open(Path(run_dir) / MANIFEST_NAME, "w", encoding="utf-8") as stream:
        stream.write(text)
