"""Reading and writing the file contracts: CSV, CSV.GZ and XLSX in, atomic writes out.

Every reader validates what it reads and raises `BadInput` naming the file, the row
(1-based, the header is row 1) and the column. Every writer writes a temporary file in
the target folder and renames it over the target, so a failed or killed write leaves the
previous file intact.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from wfm.errors import BadInput

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S"


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV, CSV.GZ or XLSX file as strings-and-numbers; raises BadInput if unreadable."""
    path = Path(path)
    if not path.exists():
        raise BadInput(f"{path}: no such file")
    name = path.name.lower()
    try:
        if name.endswith((".xlsx", ".xlsm")):
            table = pd.read_excel(path, sheet_name=0, engine="openpyxl")
        elif name.endswith((".csv", ".csv.gz", ".txt", ".gz")):
            table = pd.read_csv(path, keep_default_na=False, na_values=[""], skipinitialspace=True)
        else:
            raise BadInput(f"{path}: unknown file type (expected .csv, .csv.gz or .xlsx)")
    except BadInput:
        raise
    except Exception as exc:  # pandas raises many kinds for a broken file
        raise BadInput(f"{path}: cannot read table ({type(exc).__name__}: {exc})") from None
    table.columns = [str(c).strip() for c in table.columns]
    return table






def format_timestamps(values: pd.Series) -> pd.Series:
    """Naive local ISO 8601 strings (the file convention) for tz-aware timestamps."""
    if values.dt.tz is not None:
        values = values.dt.tz_localize(None)
    return values.dt.strftime(TIMESTAMP_FORMAT)














def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _make_temp(path: Path, suffix: str) -> str:
    """A temporary file beside ``path`` with ordinary permissions (mkstemp makes 0600)."""
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(handle)
    os.chmod(temp_name, 0o666 & ~_umask())
    return temp_name


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", **kwargs: Any) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success rename it over ``path``.

    On any error the temporary file is removed and ``path`` keeps its old content.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp_name = _make_temp(path, ".tmp")
    try:
        with open(temp_name, mode, **kwargs) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise


def atomic_write_with(path: str | Path, write: Callable[[Path], None]) -> None:
    """Call ``write(temp_path)`` to produce a file, then rename it over ``path``.

    For writers that take a path (openpyxl, pandas to_excel); same guarantees as
    `atomic_open`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp_name = _make_temp(path, path.suffix or ".tmp")
    try:
        write(Path(temp_name))
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write a table atomically as CSV (gzip when the name ends in .gz).

    Tz-aware timestamp columns are written as naive local ISO 8601 strings.
    """
    out = table.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
            out[column]
        ):
            out[column] = format_timestamps(out[column])
    path = Path(path)
    if path.name.endswith(".gz"):
        atomic_write_with(path, lambda temp: out.to_csv(temp, index=False, compression="gzip"))
    else:
        with atomic_open(path, "w", encoding="utf-8", newline="") as stream:
            out.to_csv(stream, index=False)


def write_json(data: object, path: str | Path) -> None:
    """Write JSON atomically, indented, with keys in insertion order."""
    with atomic_open(path, "w", encoding="utf-8") as stream:
        json.dump(data, stream, indent=2, default=str)
        stream.write("\n")


def replace_folder(folder: str | Path, fill: Callable[[Path], None]) -> Path:
    """Build a folder with ``fill(temp_folder)``, then rename it over ``folder``.

    Files already in ``folder`` that ``fill`` does not write are carried over. On any
    error the temporary folder is removed and ``folder`` is untouched; a kill leaves at
    most a hidden ``.<name>.*.tmp`` sibling beside the intact folder. Returns the path.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise BadInput(f"{folder}: exists and is not a folder")
    parent = folder.parent
    parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o777 & ~umask)
        if folder.exists():
            for item in folder.iterdir():
                target = temp / item.name
                if item.is_dir():
                    shutil.copytree(item, target, symlinks=True)
                else:
                    shutil.copy2(item, target, follow_symlinks=False)
        fill(temp)
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", suffix=".tmp",
                                        dir=parent))
            os.rmdir(old)
            # Two renames: the folder is missing only between them, never half-written.
            os.replace(folder, old)
            try:
                os.replace(temp, folder)
            except BaseException:
                os.replace(old, folder)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(temp, folder)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return folder


