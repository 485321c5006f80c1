"""The schedule folder: writing a solved schedule atomically and reading one back.

A schedule folder holds

- ``schedule.csv``: ``agent_id, date, shift_start, shift_end, paid_minutes, template`` --
  one row per agent and working day (``date`` is the local date the shift starts on);
- ``activities.csv``: ``agent_id, start, end, activity, queue`` -- rows tiling every
  shift; ``work`` rows name the queue served, so coverage can be recomputed from the
  files alone;
- ``coverage.csv``: ``interval_start, queue, required, scheduled, shortfall,
  projected_service_level``;
- ``kpis.json``: solver figures and the horizon (``horizon.start``, ``horizon.days``).

Timestamps are naive local ISO 8601 (``2026-03-23T09:00:00``); on a fall-back night the
repeated hour is resolved by row order within each agent (`local_times`: the earlier
instant unless time would run backwards) or queue, so rows are written in time order per
agent. The whole folder is written into a temporary sibling and renamed
into place: a failed or killed write leaves the previous folder as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from wfm.config import CenterConfig
from wfm.errors import BadInput
from wfm.io import parse_interval_keys, parse_timestamps, read_table, write_json, write_table
from wfm.schedule.result import ACTIVITY_COLUMNS, SHIFT_COLUMNS, ScheduleResult

SCHEDULE_FILE = "schedule.csv"
ACTIVITIES_FILE = "activities.csv"
COVERAGE_FILE = "coverage.csv"
KPIS_FILE = "kpis.json"
COVERAGE_COLUMNS = (
    "interval_start", "queue", "required", "scheduled", "shortfall", "projected_service_level",
)
REQUIREMENTS_KEY_COLUMNS = ("interval_start", "queue")


@dataclass
class ScheduleFolder:
    """A schedule as read back from its folder (timestamps tz-aware, center zone).

    ``coverage`` is None and ``kpis`` empty when those files are absent; ``start`` and
    ``days`` come from ``kpis.json`` when it records the horizon.
    """

    shifts: pd.DataFrame
    activities: pd.DataFrame
    coverage: pd.DataFrame | None = None
    kpis: dict = field(default_factory=dict)
    start: date | None = None
    days: int | None = None


# --- writing ---------------------------------------------------------------------------------


def shifts_for_file(shifts: pd.DataFrame) -> pd.DataFrame:
    """The shifts table in file order and types (still tz-aware; `write_table` formats)."""
    out = shifts.loc[:, list(SHIFT_COLUMNS)].copy()
    out["agent_id"] = out["agent_id"].astype(str)
    out["date"] = [pd.Timestamp(d).date().isoformat() for d in out["date"]]
    out["paid_minutes"] = out["paid_minutes"].astype(int)
    out["template"] = out["template"].fillna("").astype(str)
    order = np.lexsort((_utc_order(out["shift_start"]), out["agent_id"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def activities_for_file(activities: pd.DataFrame) -> pd.DataFrame:
    """The activities table in file order: by agent, then real start time."""
    out = activities.loc[:, list(ACTIVITY_COLUMNS)].copy()
    out["agent_id"] = out["agent_id"].astype(str)
    out["queue"] = out["queue"].fillna("").astype(str)
    order = np.lexsort((_utc_order(out["start"]), out["agent_id"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def _utc_order(values: pd.Series) -> np.ndarray:
    return (pd.to_datetime(values).dt.tz_convert("UTC")
            - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds().to_numpy()


def coverage_for_file(coverage: pd.DataFrame) -> pd.DataFrame:
    """The coverage table in file order: by real interval start, then queue."""
    out = coverage.loc[:, list(COVERAGE_COLUMNS)].copy()
    order = np.lexsort((out["queue"].astype(str).to_numpy(), _utc_order(out["interval_start"])))
    return out.iloc[order].reset_index(drop=True)


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


def write_schedule(
    folder: str | Path,
    result: ScheduleResult,
    coverage: pd.DataFrame,
    kpis: Mapping[str, object],
    extra_files: Mapping[str, Callable[[Path], None]] | None = None,
) -> Path:
    """Write a schedule folder atomically: schedule, activities, coverage and kpis files.

    ``coverage`` has `COVERAGE_COLUMNS` and ``kpis`` is a JSON-ready mapping (see
    `wfm.report`). ``extra_files`` maps further file names to writers called with the path
    to write inside the temporary folder (e.g. a workbook). Returns the folder path.
    """
    shifts = shifts_for_file(result.shifts)
    activities = activities_for_file(result.activities)
    coverage = coverage_for_file(coverage)

    def fill(temp: Path) -> None:
        write_table(shifts, temp / SCHEDULE_FILE)
        write_table(activities, temp / ACTIVITIES_FILE)
        write_table(coverage, temp / COVERAGE_FILE)
        write_json(dict(kpis), temp / KPIS_FILE)
        for name, writer in (extra_files or {}).items():
            writer(temp / name)

    return replace_folder(folder, fill)


# --- reading ---------------------------------------------------------------------------------


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


def parse_shifts(table: pd.DataFrame, cfg: CenterConfig, source: str = SCHEDULE_FILE
                 ) -> pd.DataFrame:
    """Validate a schedule table; returns `SHIFT_COLUMNS` with tz-aware shift times.

    ``date`` becomes a `datetime.date`, ``paid_minutes`` an int; ``template`` may be
    empty (the checker then reports it). Raises BadInput naming file, row and column.
    """
    _missing(table, tuple(c for c in SHIFT_COLUMNS if c != "template"), source)
    table = table.reset_index(drop=True)
    zone = cfg.center.timezone
    agents = _strings(table, "agent_id", source, required=True)
    dates = pd.to_datetime(table["date"].astype(str).str.strip(), errors="coerce",
                           format="ISO8601")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0]) + 2
        raise BadInput(f"{source}: row {row}, column date: bad date "
                       f"{table['date'].iloc[row - 2]!r}")
    out = pd.DataFrame({"agent_id": agents, "date": dates.dt.date})
    out["shift_start"] = local_times(table["shift_start"], zone, source, "shift_start", agents)
    out["shift_end"] = local_times(table["shift_end"], zone, source, "shift_end", agents,
                                   lower=out["shift_start"])
    _end_after_start(out["shift_start"], out["shift_end"], source, "shift_end")
    out["paid_minutes"] = _integers(table, "paid_minutes", source)
    out["template"] = (_strings(table, "template", source, required=False)
                       if "template" in table.columns else "")
    return out


def parse_activities(table: pd.DataFrame, cfg: CenterConfig, source: str = ACTIVITIES_FILE
                     ) -> pd.DataFrame:
    """Validate an activities table; returns `ACTIVITY_COLUMNS` with tz-aware times.

    ``queue`` is "" where empty. A ``work`` row must name a configured queue. Raises
    BadInput naming file, row and column.
    """
    _missing(table, tuple(c for c in ACTIVITY_COLUMNS if c != "queue"), source)
    table = table.reset_index(drop=True)
    zone = cfg.center.timezone
    agents = _strings(table, "agent_id", source, required=True)
    out = pd.DataFrame({"agent_id": agents})
    out["start"] = local_times(table["start"], zone, source, "start", agents)
    out["end"] = local_times(table["end"], zone, source, "end", agents, lower=out["start"])
    _end_after_start(out["start"], out["end"], source, "end")
    out["activity"] = _strings(table, "activity", source, required=True)
    queues = (_strings(table, "queue", source, required=False) if "queue" in table.columns
              else pd.Series("", index=table.index))
    known = {q.id for q in cfg.queues}
    bad = (out["activity"] == "work") & ~queues.isin(known)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise BadInput(f"{source}: row {row}, column queue: work on unknown queue "
                       f"{queues.iloc[row - 2]!r}; allowed: {', '.join(sorted(known))}")
    out["queue"] = queues
    return out


def parse_coverage(table: pd.DataFrame, cfg: CenterConfig, source: str = COVERAGE_FILE
                   ) -> pd.DataFrame:
    """Validate a coverage table; returns `COVERAGE_COLUMNS` with tz-aware interval starts."""
    _missing(table, COVERAGE_COLUMNS, source)
    table = table.reset_index(drop=True)
    queues = _strings(table, "queue", source, required=True)
    out = pd.DataFrame({
        "interval_start": parse_timestamps(table["interval_start"], cfg.center.timezone,
                                           source, "interval_start", groups=queues),
        "queue": queues,
    })
    for column in ("required", "scheduled", "shortfall"):
        out[column] = _numbers(table, column, source, allow_missing=False)
    out["projected_service_level"] = _numbers(table, "projected_service_level", source,
                                              allow_missing=True)
    return out


def read_kpis(path: str | Path) -> dict:
    """The kpis.json mapping; raises BadInput when it is not valid JSON."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"{path}: cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise BadInput(f"{path}: expected a JSON object")
    return data


def _horizon(kpis: dict, source: str) -> tuple[date | None, int | None]:
    horizon = kpis.get("horizon")
    if not isinstance(horizon, dict):
        return None, None
    try:
        start = date.fromisoformat(str(horizon["start"]))
        days = int(horizon["days"])
    except (KeyError, ValueError, TypeError):
        raise BadInput(f"{source}: horizon needs start (YYYY-MM-DD) and days") from None
    if days < 1:
        raise BadInput(f"{source}: horizon.days must be at least 1")
    return start, days


def read_schedule(folder: str | Path, cfg: CenterConfig) -> ScheduleFolder:
    """Read and validate a schedule folder (format only: the rules are `wfm.check`'s job)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInput(f"{folder}: no such schedule folder")
    shifts_path = folder / SCHEDULE_FILE
    shifts = parse_shifts(read_table(shifts_path), cfg, str(shifts_path))
    activities_path = folder / ACTIVITIES_FILE
    activities = parse_activities(read_table(activities_path), cfg, str(activities_path))
    coverage = None
    coverage_path = folder / COVERAGE_FILE
    if coverage_path.exists():
        coverage = parse_coverage(read_table(coverage_path), cfg, str(coverage_path))
    kpis: dict = {}
    kpis_path = folder / KPIS_FILE
    if kpis_path.exists():
        kpis = read_kpis(kpis_path)
    start, days = _horizon(kpis, str(kpis_path))
    return ScheduleFolder(shifts=shifts, activities=activities, coverage=coverage, kpis=kpis,
                          start=start, days=days)


def read_previous(path: str | Path, cfg: CenterConfig) -> pd.DataFrame:
    """The shifts of a previous schedule: a schedule folder or its ``schedule.csv``."""
    path = Path(path)
    if path.is_dir():
        path = path / SCHEDULE_FILE
    return parse_shifts(read_table(path), cfg, str(path))


def parse_requirements(table: pd.DataFrame, cfg: CenterConfig, source: str = "requirements"
                       ) -> pd.DataFrame:
    """Validate a requirements table for scheduling.

    Returns ``interval_start`` (tz-aware), ``queue``, ``required`` (int agents to schedule:
    the ``required`` column when present, else ``agents_with_shrinkage``) and, when given,
    ``offered``, ``aht_seconds``, ``agents_needed``, sorted by queue and time. Raises
    BadInput naming file, row and column (unknown queue, bad timestamp, duplicate
    interval, negative or fractional agents).
    """
    _missing(table, REQUIREMENTS_KEY_COLUMNS, source)
    if "required" in table.columns:
        required_column = "required"
    elif "agents_with_shrinkage" in table.columns:
        required_column = "agents_with_shrinkage"
    else:
        raise BadInput(f"{source}: missing column 'required' (or 'agents_with_shrinkage')")
    if table.empty:
        raise BadInput(f"{source}: no rows")
    table = table.reset_index(drop=True)
    _strings(table, "queue", source, required=True)
    stamps, queues = parse_interval_keys(table, cfg, source)
    out = pd.DataFrame({"interval_start": stamps, "queue": queues})
    out["required"] = _integers(table, required_column, source)
    if "offered" in table.columns:
        out["offered"] = _numbers(table, "offered", source, allow_missing=False)
    if "aht_seconds" in table.columns:
        out["aht_seconds"] = _numbers(table, "aht_seconds", source, allow_missing=True)
    if "agents_needed" in table.columns:
        out["agents_needed"] = _numbers(table, "agents_needed", source, allow_missing=True)
    return out.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)


def read_requirements(path: str | Path, cfg: CenterConfig) -> pd.DataFrame:
    """Read and validate a requirements file (see `parse_requirements`)."""
    return parse_requirements(read_table(path), cfg, str(path))



def verify_folder(
    cfg: CenterConfig,
    agents: list,
    folder: str | Path,
    previous: pd.DataFrame | None = None,
    requirements: pd.DataFrame | None = None,
) -> tuple[ScheduleFolder, list]:
    """Re-read a schedule folder and run the independent checker on it.

    Returns the folder as read and its violations (`wfm.check.Violation`, empty = valid):
    every hard rule over the shifts and activities, plus the coverage file recounted from
    the activities when it is present. The horizon comes from ``kpis.json`` when recorded.
    """
    from wfm.check import check_coverage, check_schedule

    schedule = read_schedule(folder, cfg)
    found = check_schedule(cfg, agents, schedule.shifts, schedule.activities,
                           requirements=requirements, previous=previous,
                           start=schedule.start, days=schedule.days)
    if schedule.coverage is not None:
        found += check_coverage(cfg, schedule.activities, schedule.coverage)
    return schedule, found
