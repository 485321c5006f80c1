"""Cell validators shared by every reader: numbers, whole numbers, text, timestamps.

Each raises `BadInput` naming the file (``source``), the row (1-based; the header is
row 1) and the column of the first bad cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wfm.calendar import localize
from wfm.config import CenterConfig
from wfm.errors import BadInput


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
    text = values.astype(str).str.strip()
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
    if parsed.isna().any():
        row = int(np.flatnonzero(parsed.isna().to_numpy())[0]) + 2
        raise BadInput(f"{source}: row {row}, column {column}: bad timestamp "
                       f"{text.iloc[row - 2]!r}")
    if parsed.dt.tz is not None:
        return parsed.dt.tz_convert(zone)
    early = parsed.dt.tz_localize(zone, ambiguous=True, nonexistent="NaT")
    late = parsed.dt.tz_localize(zone, ambiguous=False, nonexistent="NaT")
    if early.isna().any():
        row = int(np.flatnonzero(early.isna().to_numpy())[0]) + 2
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


def _missing(table: pd.DataFrame, columns: tuple[str, ...], source: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise BadInput(f"{source}: missing column {missing[0]!r} (needs {', '.join(columns)})")


def _strings(table: pd.DataFrame, column: str, source: str, required: bool) -> pd.Series:
    values = table[column].astype("string").fillna("").str.strip()
    if required:
        empty = values == ""
        if empty.any():
            row = int(np.flatnonzero(empty.to_numpy())[0]) + 2
            raise BadInput(f"{source}: row {row}, column {column}: empty")
    return values.astype(str)


def _integers(table: pd.DataFrame, column: str, source: str) -> pd.Series:
    values = pd.to_numeric(table[column], errors="coerce")
    bad = values.isna() | (values < 0) | (values != values.round())
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise BadInput(f"{source}: row {row}, column {column}: not a whole number >= 0 "
                       f"({table[column].iloc[row - 2]!r})")
    return values.astype(np.int64)


def _numbers(table: pd.DataFrame, column: str, source: str, allow_missing: bool) -> pd.Series:
    values = pd.to_numeric(table[column], errors="coerce")
    bad = (values.isna() & (~table[column].isna() if allow_missing else True)) | (values < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise BadInput(f"{source}: row {row}, column {column}: not a number >= 0 "
                       f"({table[column].iloc[row - 2]!r})")
    return values.astype(float)


def _end_after_start(starts: pd.Series, ends: pd.Series, source: str, column: str) -> None:
    bad = ends <= starts
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise BadInput(f"{source}: row {row}, column {column}: not after the start")


