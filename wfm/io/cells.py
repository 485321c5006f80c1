"""Cell validators shared by every reader: numbers, whole numbers, text, timestamps, columns.

Each raises `BadInput` naming the file (``source``), the row (1-based; the header is
row 1) and the column of the first bad cell. Tables come in as text (`read_table` reads
every cell as a string) or as in-memory values; numbers are converted here, explicitly.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from wfm.calendar import LocalTimeError, localize
from wfm.config import CenterConfig
from wfm.errors import BadInput

#: Whole numbers above this lose precision as floats (and soon overflow int64).
LARGEST_WHOLE = 2**53
#: How a not-a-number cell may be written; it is refused, unlike an empty cell.
NAN_SPELLINGS = ("nan", "+nan", "-nan")


def _first_bad(mask: pd.Series) -> int:
    """1-based file row (header = row 1) of the first True in a boolean mask."""
    return int(np.flatnonzero(np.asarray(mask))[0]) + 2


def text_cells(values: pd.Series) -> pd.Series:
    """The cells as strings with surrounding spaces removed; "" where empty or missing."""
    return values.astype("string").fillna("").str.strip().astype(str)


def _iso_times(values: pd.Series, source: str, column: str) -> tuple[pd.Series, pd.Series]:
    """``(text, parsed)``: the stripped cells and their ISO 8601 timestamps (naive or with
    an offset). Raises BadInput naming the first cell that is not one."""
    text = text_cells(values)
    parsed = pd.to_datetime(text.mask(text == ""), errors="coerce", format="ISO8601")
    if parsed.isna().any():
        row = _first_bad(parsed.isna())
        raise BadInput(f"{source}: row {row}, column {column}: bad timestamp "
                       f"{text.iloc[row - 2]!r} (expected ISO 8601 such as "
                       "2026-11-02T08:00:00)")
    return text, parsed


def parse_timestamps(
    values: pd.Series, zone: str, source: str, column: str, groups: pd.Series | None = None,
    offset_minutes: int | None = None, hint: str = "",
) -> pd.Series:
    """Parse ISO 8601 timestamps into tz-aware local times, naming the first bad row.

    Naive values are wall-clock times in ``zone`` (within each group, a queue or an agent,
    the repeated hour of a fall-back night is resolved by order), or times on a fixed
    clock ``offset_minutes`` east of UTC when given. A local time that does not exist, or
    a repeated-hour time that appears once, raises BadInput naming its row and what was
    expected, followed by ``hint``.
    """
    _, parsed = _iso_times(values, source, column)
    try:
        return localize(parsed, zone, groups, offset_minutes)
    except LocalTimeError as exc:
        raise BadInput(f"{source}: row {exc.position + 2}, column {column}: {exc}{hint}"
                       ) from None


def parse_interval_keys(
    table: pd.DataFrame, cfg: CenterConfig, source: str, offset_minutes: int | None = None,
    hint: str = "", step_minutes: int | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Validate the ``interval_start`` and ``queue`` columns of an interval table.

    Returns ``(stamps, queues)``: tz-aware local interval starts and stripped queue ids,
    on ``table``'s (reset) index. Naive times are on the center's wall clock, or on a fixed
    clock ``offset_minutes`` east of UTC; ``step_minutes`` is the grid the times must be
    on (default: the center's interval). Raises BadInput naming the row for an unknown
    queue, a bad or nonexistent local time, a time off the grid or a duplicate interval.
    """
    queues = text_cells(table["queue"])
    known = {q.id for q in cfg.queues}
    unknown = ~queues.isin(known)
    if unknown.any():
        row = _first_bad(unknown)
        raise BadInput(
            f"{source}: row {row}, column queue: unknown queue {queues.iloc[row - 2]!r}; "
            f"allowed: {', '.join(sorted(known))}"
        )
    stamps = parse_timestamps(table["interval_start"], cfg.center.timezone, source,
                              "interval_start", groups=queues,
                              offset_minutes=offset_minutes, hint=hint)
    step = step_minutes or cfg.center.interval_minutes
    wall = stamps.dt.tz_localize(None)
    off_grid = ((wall.dt.hour * 60 + wall.dt.minute) % step != 0) | (wall.dt.second != 0)
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


def grid_minutes(values: pd.Series, source: str, column: str) -> int:
    """The coarsest grid (minutes, dividing a day) all the ISO 8601 times lie on: the
    greatest common divisor of their minutes after midnight and of 1440."""
    _, parsed = _iso_times(values, source, column)
    minutes = (parsed.dt.hour * 60 + parsed.dt.minute).to_numpy(dtype=np.int64)
    seconds = (parsed.dt.second != 0) | (parsed.dt.microsecond != 0)
    if seconds.any():
        row = _first_bad(seconds)
        raise BadInput(f"{source}: row {row}, column {column}: {values.iloc[row - 2]} is not "
                       "on a whole minute")
    return int(np.gcd.reduce(np.append(minutes, 24 * 60)))


def local_times(values: pd.Series, zone: str, source: str, column: str, groups: pd.Series,
                lower: pd.Series | None = None) -> pd.Series:
    """Parse naive local ISO 8601 times of rows kept in time order per group (an agent).

    A wall-clock time of the repeated fall-back hour is the earlier of its two instants
    unless time would not advance: not after the previous row of its group (file order;
    an agent's shifts and activities do not overlap, so their starts and ends strictly
    increase) or, with ``lower`` (the row's start, for an end column), not after it. This resolves a
    single repeated time too, which ordering alone cannot. Offset-carrying values are
    converted. Raises BadInput naming file, row and column for a bad timestamp or a time
    that does not exist (clocks going forward).
    """
    text, parsed = _iso_times(values, source, column)
    if parsed.dt.tz is not None:
        return parsed.dt.tz_convert(zone)
    early = parsed.dt.tz_localize(zone, ambiguous=True, nonexistent="NaT")
    late = parsed.dt.tz_localize(zone, ambiguous=False, nonexistent="NaT")
    if early.isna().any():
        row = _first_bad(early.isna())
        raise BadInput(f"{source}: row {row}, column {column}: local time "
                       f"{text.iloc[row - 2]} does not exist in {zone} (clocks go forward)")
    ambiguous = np.flatnonzero((early != late).to_numpy())
    if ambiguous.size == 0:
        return early
    result = early.copy()
    positions = pd.Series(np.arange(len(values)), index=values.index)
    before = positions.groupby(groups.to_numpy(), sort=False).shift(1).to_numpy()
    for i in ambiguous:  # file order: earlier rows are resolved first
        choice = early.iloc[i]
        if not np.isnan(before[i]) and choice <= result.iloc[int(before[i])]:
            choice = late.iloc[i]
        if lower is not None and choice <= lower.iloc[i]:
            choice = late.iloc[i]
        result.iloc[i] = choice
    return result


def _raise_first(source: str, column: str, checks: Sequence[tuple[pd.Series, str]],
                 cells: pd.Series) -> None:
    """Raise BadInput for the earliest row any check flags (the first check wins on a tie).

    Each check is a boolean mask and a message template; ``{cell}`` becomes the cell's
    text as written.
    """
    flagged = [(np.flatnonzero(np.asarray(mask)), message) for mask, message in checks]
    flagged = [(rows[0], message) for rows, message in flagged if rows.size]
    if not flagged:
        return
    position, message = min(flagged, key=lambda found: found[0])
    raise BadInput(f"{source}: row {position + 2}, column {column}: "
                   + message.format(cell=cells.iloc[position]))


def _numbers(table: pd.DataFrame, column: str, source: str, allow_missing: bool) -> pd.Series:
    """The column as floats: finite numbers >= 0, NaN where empty (if ``allow_missing``).

    Text cells are parsed explicitly; ``inf``, ``nan`` and values too large for a float
    (``1e400``) are refused, so no non-finite number reaches the models.
    """
    raw = table[column]
    clean = _clean_numbers(raw, allow_missing)
    if clean is not None:
        return clean
    cells = text_cells(raw)
    written = cells != ""
    parsed = raw if pd.api.types.is_numeric_dtype(raw) else cells.mask(~written)
    values = pd.to_numeric(parsed, errors="coerce").astype(float)
    spelled_nan = cells.str.lower().isin(NAN_SPELLINGS)
    _raise_first(source, column, [
        (~written & (not allow_missing), "empty"),
        (written & values.isna() & ~spelled_nan, "not a number ({cell!r})"),
        (written & (np.isinf(values) | spelled_nan), "not a finite number ({cell!r})"),
        (values < 0, "negative value {cell}"),
    ], cells)
    return values


def _clean_numbers(raw: pd.Series, allow_missing: bool) -> pd.Series | None:
    """The column as floats when every cell is a finite number >= 0 (or empty, if
    ``allow_missing``), else None.

    The quick road for the usual file, one conversion and no text handling; any cell it
    cannot vouch for sends the column down `_numbers`' cell-by-cell road, which names it.
    """
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    unread = values.isna().to_numpy()
    if unread.any() and (not allow_missing or not raw.isna().to_numpy()[unread].all()):
        return None
    if not (np.isfinite(values.to_numpy()) | unread).all() or (values < 0).any():
        return None
    return values


def _integers(table: pd.DataFrame, column: str, source: str) -> pd.Series:
    """The column as int64 whole numbers >= 0 (see `_numbers` for what is refused)."""
    values = _numbers(table, column, source, allow_missing=False)
    checks = [(values != values.round(), "not a whole number ({cell!r})"),
              (values > LARGEST_WHOLE, "too large ({cell})")]
    if any(mask.any() for mask, _ in checks):
        _raise_first(source, column, checks, text_cells(table[column]))
    return values.astype(np.int64)


def _strings(table: pd.DataFrame, column: str, source: str, required: bool) -> pd.Series:
    """The column as stripped strings ("" where empty); raises BadInput for an empty
    required cell."""
    values = text_cells(table[column])
    if required:
        _raise_first(source, column, [(values == "", "empty")], values)
    return values


def _missing(table: pd.DataFrame, columns: tuple[str, ...], source: str) -> None:
    """Raise BadInput naming the first of ``columns`` the table does not have."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise BadInput(f"{source}: missing column {missing[0]!r} (needs {', '.join(columns)})")


def carried_columns(table: pd.DataFrame, known: Sequence[str], carried: Sequence[str],
                    what: str, key: str, source: str) -> list[str]:
    """The table's columns named in ``carried`` (the config's ``key``), in file order.

    Raises BadInput for a column that is neither ``known`` nor carried (suggesting the
    nearest known name: a misspelled optional column would otherwise be lost), and for a
    carried name that is a known column or is not in the file.
    """
    columns = [str(c) for c in table.columns]
    for name in carried:
        if name in known:
            raise BadInput(f"{source}: {key} names {name!r}, which is already a {what} "
                           "column")
        if name not in columns:
            raise BadInput(f"{source}: {key} names {name!r}, but the file has no such "
                           "column")
    for column in columns:
        if column not in known and column not in carried:
            close = difflib.get_close_matches(column.lower(), known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise BadInput(f"{source}: column {column!r} is not a {what} column{hint}; "
                           f"name it under {key} to carry it through")
    return [c for c in columns if c in carried]


def _end_after_start(starts: pd.Series, ends: pd.Series, source: str, column: str) -> None:
    """Raise BadInput naming the first row whose end is not after its start."""
    bad = ends <= starts
    if bad.any():
        raise BadInput(f"{source}: row {_first_bad(bad)}, column {column}: not after the start")
