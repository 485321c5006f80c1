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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from wfm.config import CenterConfig
from wfm.errors import BadInput
from wfm.io.cells import (
    _end_after_start,
    _first_bad,
    _integers,
    _missing,
    _numbers,
    _strings,
    local_times,
    parse_timestamps,
    text_cells,
)
from wfm.io.files import read_table, replace_folder, write_json, write_table
from wfm.io.tables import (
    ACTIVITIES_FILE,
    ACTIVITY_COLUMNS,
    COVERAGE_COLUMNS,
    COVERAGE_FILE,
    KPIS_FILE,
    SCHEDULE_FILE,
    SHIFT_COLUMNS,
)
from wfm.schedule.result import ScheduleResult


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




def write_schedule(
    folder: str | Path,
    result: ScheduleResult,
    coverage: pd.DataFrame,
    kpis: Mapping[str, object],
    extra_files: Mapping[str, Callable[[Path], None]] | None = None,
    before_publish: Callable[[Path], None] | None = None,
) -> Path:
    """Write a schedule folder atomically: schedule, activities, coverage and kpis files.

    ``coverage`` has `COVERAGE_COLUMNS` and ``kpis`` is a JSON-ready mapping (see
    `wfm.reports.kpis`). ``extra_files`` maps further file names to writers called with the
    path to write inside the temporary folder (e.g. a workbook). ``before_publish`` is
    called with the complete temporary folder before it is renamed into place; when it
    raises, ``folder`` is left as it was. Returns the folder path.
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
        if before_publish is not None:
            before_publish(temp)

    return replace_folder(folder, fill)


# --- reading ---------------------------------------------------------------------------------














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
    dates = pd.to_datetime(text_cells(table["date"]).replace("", None), errors="coerce",
                           format="ISO8601")
    if dates.isna().any():
        row = _first_bad(dates.isna())
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
        row = _first_bad(bad)
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
    for column in ("offered", "aht_seconds", "worked", "backlog", "past_due"):
        out[column] = _numbers(table, column, source, allow_missing=True)
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









