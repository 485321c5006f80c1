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
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from wfm.calendar import interval_grid, localize
from wfm.config import CenterConfig
from wfm.errors import BadInput
from wfm.roster import Agent, parse_roster

HISTORY_COLUMNS = ("interval_start", "queue", "offered", "aht_seconds")
HISTORY_OPTIONAL = ("handled", "abandoned", "wait_seconds")
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


def _first_bad(mask: pd.Series) -> int:
    """1-based file row (header = row 1) of the first True in a boolean mask."""
    return int(np.flatnonzero(mask.to_numpy())[0]) + 2


def parse_timestamps(
    values: pd.Series, zone: str, source: str, column: str, groups: pd.Series | None = None
) -> pd.Series:
    """Parse ISO 8601 timestamps into tz-aware local times, naming the first bad row.

    Naive values are wall-clock times in ``zone``; within each group (a queue, an agent)
    the repeated hour of a fall-back night is resolved by order.
    """
    text = values.astype(str).str.strip()
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=False)
    if parsed.isna().any():
        row = _first_bad(parsed.isna())
        raise BadInput(
            f"{source}: row {row}, column {column}: bad timestamp {text.iloc[row - 2]!r}"
        )
    if parsed.dt.tz is not None:
        return parsed.dt.tz_convert(zone)
    if groups is None:
        groups = pd.Series(0, index=values.index)
    result = pd.Series(pd.NaT, index=values.index, dtype=f"datetime64[ns, {zone}]")
    for _, index in groups.groupby(groups, sort=False).groups.items():
        part = parsed.loc[index]
        try:
            result.loc[index] = localize(part, zone).to_numpy()
        except Exception as exc:  # NonExistentTimeError / AmbiguousTimeError
            bad = part.sort_values().index[0]
            raise BadInput(
                f"{source}: row {values.index.get_loc(bad) + 2}, column {column}: "
                f"local time not valid in {zone} ({type(exc).__name__}: {exc})"
            ) from None
    return result


def format_timestamps(values: pd.Series) -> pd.Series:
    """Naive local ISO 8601 strings (the file convention) for tz-aware timestamps."""
    if values.dt.tz is not None:
        values = values.dt.tz_localize(None)
    return values.dt.strftime(TIMESTAMP_FORMAT)


def _numeric(table: pd.DataFrame, column: str, source: str, allow_missing: bool) -> pd.Series:
    raw = table[column].replace(r"^\s*$", np.nan, regex=True)
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & (raw.notna() if allow_missing else True)
    if bad.any():
        row = _first_bad(bad)
        raise BadInput(
            f"{source}: row {row}, column {column}: not a number "
            f"({table[column].iloc[row - 2]!r})"
        )
    negative = values < 0
    if negative.any():
        row = _first_bad(negative)
        raise BadInput(
            f"{source}: row {row}, column {column}: negative value {values.iloc[row - 2]}"
        )
    return values


def parse_interval_keys(
    table: pd.DataFrame, cfg: CenterConfig, source: str
) -> tuple[pd.Series, pd.Series]:
    """Validate the ``interval_start`` and ``queue`` columns of an interval table.

    Returns ``(stamps, queues)``: tz-aware local interval starts and stripped queue ids,
    on ``table``'s (reset) index. Raises BadInput naming the row for an unknown queue, a
    bad or nonexistent local time, a time off the interval grid or a duplicate interval.
    """
    queues = table["queue"].astype(str).str.strip()
    known = {q.id for q in cfg.queues}
    unknown = ~queues.isin(known)
    if unknown.any():
        row = _first_bad(unknown)
        raise BadInput(
            f"{source}: row {row}, column queue: unknown queue {queues.iloc[row - 2]!r}; "
            f"allowed: {', '.join(sorted(known))}"
        )
    stamps = parse_timestamps(table["interval_start"], cfg.center.timezone, source,
                              "interval_start", groups=queues)
    step = cfg.center.interval_minutes
    wall = stamps.dt.tz_localize(None)
    off_grid = (wall.dt.minute % step != 0) | (wall.dt.second != 0)
    if off_grid.any():
        row = _first_bad(off_grid)
        raise BadInput(
            f"{source}: row {row}, column interval_start: {table['interval_start'].iloc[row - 2]} "
            f"is not on the {step}-minute grid"
        )
    duplicated = pd.DataFrame({"t": stamps, "q": queues}).duplicated()
    if duplicated.any():
        row = _first_bad(duplicated)
        raise BadInput(
            f"{source}: row {row}, column interval_start: duplicate interval "
            f"{table['interval_start'].iloc[row - 2]} for queue {queues.iloc[row - 2]!r}"
        )
    return stamps, queues


def parse_history(table: pd.DataFrame, cfg: CenterConfig, source: str = "history") -> pd.DataFrame:
    """Validate a history table against the config and the contract.

    Returns columns ``interval_start`` (tz-aware, center zone), ``queue``, ``offered``,
    ``aht_seconds`` (NaN where nothing was handled) and ``handled``/``abandoned`` when
    given, sorted by queue and time. Raises BadInput naming file, row and column for a
    missing column, a bad timestamp, a duplicate interval, a negative count, an unknown
    queue or a timestamp off the interval grid.
    """
    missing = [c for c in HISTORY_COLUMNS if c not in table.columns]
    if missing:
        needed = ", ".join(HISTORY_COLUMNS)
        raise BadInput(f"{source}: missing column {missing[0]!r} (needs {needed})")
    if table.empty:
        raise BadInput(f"{source}: no rows")
    table = table.reset_index(drop=True)
    stamps, queues = parse_interval_keys(table, cfg, source)
    result = pd.DataFrame({"interval_start": stamps, "queue": queues})
    result["offered"] = _numeric(table, "offered", source, allow_missing=False)
    result["aht_seconds"] = _numeric(table, "aht_seconds", source, allow_missing=True)
    for column in HISTORY_OPTIONAL:
        if column in table.columns:
            result[column] = _numeric(table, column, source, allow_missing=True)
    return result.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)


def check_history_complete(history: pd.DataFrame, cfg: CenterConfig, source: str) -> None:
    """Raise BadInput for the first interval inside opening hours that has no row.

    Whole days without any row are accepted (closed days, holidays, outages are often
    absent from exports); a day with some rows must have every open interval.
    """
    if history.empty:
        return
    first = history["interval_start"].min().date()
    last = history["interval_start"].max().date()
    grid = interval_grid(cfg.center, first, (last - first).days + 1)
    grid = grid[grid["is_open"]]
    for queue, rows in history.groupby("queue", sort=True):
        present_days = set(rows["interval_start"].dt.date)
        expected = grid[grid["date"].isin(present_days)]["interval_start"]
        missing = expected[~expected.isin(set(rows["interval_start"]))]
        if len(missing):
            stamp = missing.iloc[0].tz_localize(None).strftime(TIMESTAMP_FORMAT)
            raise BadInput(
                f"{source}: queue {queue!r}: missing interval {stamp} inside opening hours "
                f"({len(missing)} missing in all)"
            )


def read_history(path: str | Path, cfg: CenterConfig, complete: bool = True) -> pd.DataFrame:
    """Read and validate a history file (see `parse_history`)."""
    history = parse_history(read_table(path), cfg, str(path))
    if complete:
        check_history_complete(history, cfg, str(path))
    return history


def read_agents(path: str | Path, cfg: CenterConfig) -> list[Agent]:
    """Read and validate a roster file (see `wfm.roster.parse_roster`)."""
    return parse_roster(read_table(path), cfg, str(path))


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


FORECAST_COLUMNS = ("interval_start", "queue", "offered", "aht_seconds")


def read_forecast(path: str | Path, cfg: CenterConfig) -> pd.DataFrame:
    """Read a forecast file (the forecast contract) with tz-aware ``interval_start``.

    Needs ``interval_start, queue, offered, aht_seconds``; other columns are kept.
    Raises BadInput naming file, row and column.
    """
    source = str(path)
    table = read_table(path).reset_index(drop=True)
    missing = [c for c in FORECAST_COLUMNS if c not in table.columns]
    if missing:
        needed = ", ".join(FORECAST_COLUMNS)
        raise BadInput(f"{source}: missing column {missing[0]!r} (needs {needed})")
    stamps, queues = parse_interval_keys(table, cfg, source)
    result = table.copy()
    result["queue"] = queues
    result["interval_start"] = stamps
    result["offered"] = _numeric(table, "offered", source, allow_missing=False)
    result["aht_seconds"] = _numeric(table, "aht_seconds", source, allow_missing=True)
    return result
