"""Reading and writing the file contracts: CSV, CSV.GZ and XLSX in, atomic writes out.

Every reader validates what it reads and raises `BadInput` naming the file, the row
(1-based, the header is row 1) and the column. Every writer writes a temporary file in
the target folder and renames it over the target, so a failed or killed write leaves the
previous file intact.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import json
import os
import shutil
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

from wfm.errors import BadInput

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S"


#: Separators people export by mistake, and how a message names them.
OTHER_DELIMITERS = {";": "';'", "\t": "tabs", "|": "'|'"}
CSV_SUFFIXES = (".csv", ".csv.gz", ".txt", ".gz")
XLSX_SUFFIXES = (".xlsx", ".xlsm")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV, CSV.GZ or XLSX file with every cell as text.

    Returns a table of strings (NaN where a cell is empty) with stripped column names:
    ids like ``007`` or ``1e3`` stay as written, and readers convert numbers explicitly.
    Raises BadInput naming the file for a missing, unreadable or non-UTF-8 file (with the
    line of the first bad byte), a header separated by ``;``, tabs or ``|``, a duplicate
    column name or an unnamed column holding values.
    """
    path = Path(path)
    if not path.exists():
        raise BadInput(f"{path}: no such file")
    name = path.name.lower()
    if not name.endswith(CSV_SUFFIXES + XLSX_SUFFIXES):
        raise BadInput(f"{path}: unknown file type (expected .csv, .csv.gz or .xlsx)")
    text = None if name.endswith(XLSX_SUFFIXES) else _csv_text(path)
    if text is not None:
        _check_header(text.partition("\n")[0], path)
    try:
        if text is None:
            table = pd.read_excel(path, sheet_name=0, engine="openpyxl", dtype=str,
                                  keep_default_na=False, na_values=[""])
        else:
            table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                                na_values=[""], skipinitialspace=True)
    except Exception as exc:  # pandas raises many kinds for a broken file
        raise BadInput(f"{path}: cannot read table ({type(exc).__name__}: {exc})") from None
    return _named_columns(table, path)


def _csv_text(path: Path) -> str:
    """The file's text (gunzipped for .gz), decoded as UTF-8 with any BOM dropped.

    Raises BadInput naming the line of the first byte that is not UTF-8.
    """
    try:
        data = gzip.decompress(path.read_bytes()) if path.name.lower().endswith(".gz") \
            else path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise BadInput(f"{path}: cannot read table ({type(exc).__name__}: {exc})") from None
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BadInput(f"{path}: line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                       "save the file as UTF-8 (in Excel: CSV UTF-8)") from None


def _check_header(header: str, path: Path) -> None:
    """Raise BadInput when the header splits into more columns on another separator
    than on commas, or names a column twice."""
    commas = _fields(header, ",")
    for delimiter, label in OTHER_DELIMITERS.items():
        if len(_fields(header, delimiter)) > len(commas):
            raise BadInput(f"{path}: columns are separated by {label}; wfm reads "
                           "comma-separated files (row 1)")
    names = [n.strip() for n in commas if n.strip()]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise BadInput(f"{path}: row 1: column {twice[0]!r} appears twice")


def _fields(line: str, delimiter: str) -> list[str]:
    """The fields of one CSV line split on ``delimiter`` (quotes respected)."""
    return next(csv.reader([line.rstrip("\r")], delimiter=delimiter), [])


def _named_columns(table: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The table with stripped column names and without empty unnamed columns.

    pandas names a column with an empty header cell ``Unnamed: N``; such a column is a
    trailing separator when it holds nothing (dropped), a mistake when it holds values.
    """
    table.columns = [str(c).strip() for c in table.columns]
    for position, column in enumerate(list(table.columns)):
        if column.startswith("Unnamed: "):
            if table[column].notna().any():
                raise BadInput(f"{path}: row 1: column {position + 1} has values but no name")
            table = table.drop(columns=column)
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


