"""Readers of the input contracts: history, forecast, requirements, roster, special days
and a previous schedule.

Every reader validates what it reads and raises `BadInput` naming the file, the row
(1-based, the header is row 1) and the column. Timestamps come back tz-aware in the
center's zone.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from wfm.calendar import closed_dates, interval_grid
from wfm.config import WEEKDAYS, CenterConfig, parse_clock_minutes
from wfm.errors import BadInput
from wfm.io.cells import (
    _end_after_start,
    _first_bad,
    _integers,
    _iso_times,
    _missing,
    _numbers,
    _strings,
    carried_columns,
    grid_minutes,
    local_times,
    parse_interval_keys,
    text_cells,
)
from wfm.io.files import TIMESTAMP_FORMAT, read_table
from wfm.io.schedule_folder import parse_shifts
from wfm.io.tables import (
    AGENT_STATE_COLUMNS,
    FORECAST_COLUMNS,
    FORECAST_FILE,
    FORECAST_KEY_COLUMNS,
    HISTORY_COLUMNS,
    HISTORY_OPTIONAL,
    LEADER_ROLES,
    MANIFEST_FILE,
    OPTIONAL_ROSTER_COLUMNS,
    REQUIREMENTS_KEY_COLUMNS,
    ROLES,
    ROSTER_COLUMNS,
    SCHEDULE_FILE,
    SPECIAL_DAYS_COLUMNS,
)
from wfm.roster import Agent

#: Appended to a wall-clock error in a history: the usual cause is a clock without DST.
_CLOCK_HINT = ("; if the history was recorded on a clock without DST, set "
               "center.history_clock: fixed")


def parse_history(table: pd.DataFrame, cfg: CenterConfig, source: str = "history") -> pd.DataFrame:
    """Validate a history table against the config and the contract.

    Returns columns ``interval_start`` (tz-aware, center zone), ``queue``, ``offered``,
    ``aht_seconds`` (NaN where nothing was handled, or everywhere when the file has no
    such column), the optional counts when given (floats) and the columns named in
    ``inputs.extra_columns.history`` (text, in file order), sorted by queue and time.

    Naive times are on the center's wall clock, or on a fixed UTC offset when
    ``center.history_clock`` is ``fixed``; both come back in the center's zone. A history
    at an interval that divides the center's (5 minutes for a 15-minute center) is summed
    into the center's intervals (handle and wait times weighted by offered contacts);
    ``attrs["history_interval_minutes"]`` keeps the interval read. Raises BadInput naming
    file, row and column for a missing or unknown column, a bad timestamp (one that does
    not exist on the clock, or a repeated-hour time given once), a duplicate interval, a
    negative or non-finite count, an unknown queue, a grid that does not divide the
    center's interval, and an open interval a finer history gives only part of; and when
    there is no ``aht_seconds`` column and a queue in the file has no
    ``default_aht_seconds``.
    """
    _missing(table, HISTORY_COLUMNS, source)
    carried = carried_columns(table, (*HISTORY_COLUMNS, *HISTORY_OPTIONAL),
                              cfg.inputs.extra_columns.history, "history",
                              "inputs.extra_columns.history", source)
    if table.empty:
        raise BadInput(f"{source}: no rows")
    table = table.reset_index(drop=True)
    step = _history_step(table, cfg, source)
    offset = cfg.center.history_offset_minutes
    stamps, queues = parse_interval_keys(table, cfg, source, offset_minutes=offset,
                                         hint="" if offset is not None else _CLOCK_HINT,
                                         step_minutes=step)
    result = pd.DataFrame({"interval_start": stamps, "queue": queues})
    result["offered"] = _numbers(table, "offered", source, allow_missing=False)
    if "aht_seconds" in table.columns:
        result["aht_seconds"] = _numbers(table, "aht_seconds", source, allow_missing=True)
    else:
        _need_default_aht(cfg, set(queues), source)
        result["aht_seconds"] = float("nan")
    for column in HISTORY_OPTIONAL:
        if column in table.columns and column != "aht_seconds":
            result[column] = _numbers(table, column, source, allow_missing=True)
    _check_history_parts(result, source)
    for column in carried:
        result[column] = _strings(table, column, source, required=False)
    if step != cfg.center.interval_minutes:
        result = _sum_to_center_intervals(result, cfg, step, carried, source)
    result = result.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)
    result.attrs["history_interval_minutes"] = step
    return result


def _history_step(table: pd.DataFrame, cfg: CenterConfig, source: str) -> int:
    """The grid the history is read on: the center's interval, or a finer one dividing it.

    Raises BadInput naming the first row off the center's grid when the history's own grid
    (the coarsest its times lie on) does not divide the center's interval.
    """
    center = cfg.center.interval_minutes
    found = grid_minutes(table["interval_start"], source, "interval_start")
    if found % center == 0:
        return center
    if center % found == 0:
        return found
    _, parsed = _iso_times(table["interval_start"], source, "interval_start")
    off = (parsed.dt.hour * 60 + parsed.dt.minute) % center != 0
    row = int(off.to_numpy().argmax()) + 2
    raise BadInput(
        f"{source}: row {row}, column interval_start: {table['interval_start'].iloc[row - 2]} "
        f"is not on the {center}-minute grid (the history's times lie on a {found}-minute "
        f"grid, which does not divide the center's {center} minutes; a history at an "
        "interval that divides it, such as 5 minutes, is summed on read)")


def _need_default_aht(cfg: CenterConfig, queues: set[str], source: str) -> None:
    """Raise BadInput when a queue in a history without handle times has no default AHT."""
    for position, queue in enumerate(cfg.queues):
        if queue.id in queues and queue.default_aht_seconds is None:
            raise BadInput(
                f"{source}: no aht_seconds column, and queue {queue.id!r} has no "
                f"default_aht_seconds (queues[{position}].default_aht_seconds): give the "
                "handle times or a default per queue")


def _sum_to_center_intervals(fine: pd.DataFrame, cfg: CenterConfig, step: int,
                             carried: list[str], source: str) -> pd.DataFrame:
    """Sum a history at ``step`` minutes into the center's intervals.

    Counts are summed; ``aht_seconds`` and ``wait_seconds`` are means weighted by offered
    contacts (NaN where the interval offered none); a carried column keeps its value when
    every row of the interval agrees. Raises BadInput naming the first row of an interval
    inside opening hours that lacks some of its ``interval / step`` rows, or whose rows
    disagree on a carried column.
    """
    interval = cfg.center.interval_minutes
    stamps = fine["interval_start"]
    wall = stamps.dt.tz_localize(None)
    into = (wall.dt.hour * 60 + wall.dt.minute) % interval
    fine = fine.assign(interval_start=stamps - pd.to_timedelta(into, unit="min"),
                       _row=np.arange(len(fine)) + 2)
    weighted = [c for c in ("aht_seconds", "wait_seconds") if c in fine.columns]
    for column in weighted:
        fine[f"_{column}"] = fine[column] * fine["offered"]
        fine[f"_{column}_n"] = fine["offered"].where(fine[column].notna(), 0.0)
    counts = [c for c in ("offered", "handled", "abandoned") if c in fine.columns]
    groups = fine.groupby(["queue", "interval_start"], sort=False)
    sums = groups[counts + [f"_{c}" for c in weighted] + [f"_{c}_n" for c in weighted]].sum(
        min_count=1)
    sums["offered"] = sums["offered"].fillna(0.0)
    for column in weighted:
        n = sums.pop(f"_{column}_n")
        sums[column] = sums.pop(f"_{column}") / n.where(n > 0)
    rows = groups["_row"].agg(["min", "size"])
    _check_parts(rows, cfg, step, source)
    for column in carried:
        distinct = groups[column].nunique()
        if (distinct > 1).any():
            key = distinct[distinct > 1].index[0]
            raise BadInput(f"{source}: row {rows.loc[key, 'min']}, column {column}: the rows "
                           f"summed into one {interval}-minute interval disagree")
        sums[column] = groups[column].first()
    out = sums.reset_index()
    return out[[c for c in fine.columns if c in out.columns]]


def _check_parts(rows: pd.DataFrame, cfg: CenterConfig, step: int, source: str) -> None:
    """Raise BadInput for an open center interval with fewer than ``interval / step`` rows."""
    interval = cfg.center.interval_minutes
    parts = interval // step
    partial = rows[rows["size"] < parts]
    if partial.empty:
        return
    starts = partial.index.get_level_values("interval_start")
    first, last = starts.min().date(), starts.max().date()
    grid = interval_grid(cfg.center, first, (last - first).days + 1)
    open_starts = set(grid.loc[grid["is_open"], "interval_start"])
    inside = partial[[start in open_starts for start in starts]]
    if len(inside):
        (queue, start), row = inside.index[0], inside.iloc[0]
        clock = start.tz_localize(None).strftime(TIMESTAMP_FORMAT)
        raise BadInput(
            f"{source}: row {row['min']}, column interval_start: the {interval}-minute "
            f"interval {clock} of queue {queue!r} is inside opening hours but has "
            f"{row['size']} of its {parts} {step}-minute rows")


#: Counts that are a part of another count of the same row: (part, whole).
_HISTORY_PARTS = (("answered_within", "handled"), ("answered_within", "offered"),
                  ("short_abandoned", "abandoned"), ("short_abandoned", "offered"))


def _check_history_parts(result: pd.DataFrame, source: str) -> None:
    """Raise BadInput for the first row whose answered-within or short-abandoned count is
    larger than the count it is a part of."""
    for part, whole in _HISTORY_PARTS:
        if part not in result.columns or whole not in result.columns:
            continue
        larger = (result[part] > result[whole]).to_numpy()
        if larger.any():
            row = int(np.flatnonzero(larger)[0])
            raise BadInput(f"{source}: row {row + 2}, column {part}: {result[part].iloc[row]:g} "
                           f"is more than {whole} ({result[whole].iloc[row]:g})")


def check_history_complete(history: pd.DataFrame, cfg: CenterConfig, source: str) -> None:
    """Raise BadInput for the first interval inside opening hours that has no row.

    Whole days without any row are accepted (closed days, holidays, outages are often
    absent from exports); a day with some rows must have every open interval, except
    before a queue's first row and after its last (an export, or a fixed history clock
    read on the center's wall clock, may start or end inside a day).
    """
    if history.empty:
        return
    first = history["interval_start"].min().date()
    last = history["interval_start"].max().date()
    grid = interval_grid(cfg.center, first, (last - first).days + 1)
    grid = grid[grid["is_open"]]
    for queue, rows in history.groupby("queue", sort=True):
        present_days = set(rows["interval_start"].dt.date)
        inside = grid["interval_start"].between(rows["interval_start"].min(),
                                                rows["interval_start"].max())
        expected = grid[grid["date"].isin(present_days) & inside]["interval_start"]
        missing = expected[~expected.isin(set(rows["interval_start"]))]
        if len(missing):
            stamp = missing.iloc[0].tz_localize(None).strftime(TIMESTAMP_FORMAT)
            raise BadInput(
                f"{source}: queue {queue!r}: missing interval {stamp} inside opening hours "
                f"({len(missing)} missing in all)"
            )


#: Timestamps a warning about traffic outside opening hours lists.
LISTED_OUTSIDE = 3


@dataclass(frozen=True)
class OutsideHours:
    """A queue's history rows with contacts where the center is not open.

    ``outside_hours`` rows fall on open days but outside opening hours, ``closed_days``
    rows on days closed all day (closed weekdays, holidays the center closes on, the
    queue's closed dates and special days that close it). The forecast puts no volume
    there, so these contacts are forecast as zero.
    """

    queue: str
    outside_hours: int
    closed_days: int
    offered: float
    share: float
    first: tuple[str, ...]

    def message(self) -> str:
        """One warning line."""
        return (f"queue {self.queue}: {self.outside_hours + self.closed_days} history "
                f"intervals with contacts where the center is closed ({self.outside_hours} "
                f"outside opening hours, {self.closed_days} on closed days): "
                f"{self.offered:g} contacts, {self.share:.2%} of the queue's, forecast as zero "
                f"(first: {', '.join(self.first)})")


def traffic_outside_hours(history: pd.DataFrame, cfg: CenterConfig,
                          special_days: pd.DataFrame | None = None) -> list[OutsideHours]:
    """Per queue with any, the history's contacts outside opening hours or on closed days
    (see `OutsideHours`), in config order."""
    if history is None or history.empty:
        return []
    stamps = history["interval_start"]
    first, last = stamps.min().date(), stamps.max().date()
    grid = interval_grid(cfg.center, first, (last - first).days + 1)
    is_open = pd.Series(grid["is_open"].to_numpy(), index=grid["interval_start"])
    whole_days = closed_dates(cfg.center, first, last)
    found = []
    for queue in cfg.queues:
        rows = history[(history["queue"] == queue.id)]
        if rows.empty:
            continue
        dates = rows["interval_start"].dt.date
        closed = set(queue.closed_dates) | _special_closures(special_days, queue.id)
        on_closed_day = dates.isin(whole_days | closed).to_numpy()
        outside = ~is_open.reindex(rows["interval_start"], fill_value=False).to_numpy()
        busy = rows["offered"].to_numpy() > 0
        hit = busy & (outside | on_closed_day)
        if not hit.any():
            continue
        total = float(rows["offered"].sum())
        offered = float(rows["offered"].to_numpy()[hit].sum())
        listed = rows["interval_start"][hit].iloc[:LISTED_OUTSIDE]
        found.append(OutsideHours(
            queue=queue.id, outside_hours=int((hit & ~on_closed_day).sum()),
            closed_days=int((hit & on_closed_day).sum()), offered=offered,
            share=offered / total if total > 0 else 0.0,
            first=tuple(t.tz_localize(None).strftime(TIMESTAMP_FORMAT) for t in listed)))
    return found


def _special_closures(special_days: pd.DataFrame | None, queue: str) -> set[date]:
    """Dates a special-days table closes for ``queue`` (its own rows and ``all``)."""
    if special_days is None or special_days.empty:
        return set()
    rows = special_days[special_days["queue"].isin([queue, "all"])
                        & special_days["multiplier"].isna()]
    return set(rows["date"])


def read_history(path: str | Path, cfg: CenterConfig, complete: bool = True) -> pd.DataFrame:
    """Read and validate a history file (see `parse_history`)."""
    history = parse_history(read_table(path), cfg, str(path))
    if complete:
        check_history_complete(history, cfg, str(path))
    return history


def parse_agent_states(table: pd.DataFrame, cfg: CenterConfig, source: str = "agent states",
                       agents: set[str] | None = None) -> pd.DataFrame:
    """Validate agent state logs (``agent_id, state, start, end``) against the config.

    Returns ``agent_id``, ``state`` (as written), ``category`` (what the config's
    ``adherence.states`` maps it to), ``start`` and ``end`` (tz-aware, center zone) and the
    columns named in ``inputs.extra_columns.agent_states`` (text), in file order. Rows of
    different agents may interleave, but each agent's rows must be in time order: naive
    times of the repeated hour of a fall-back night are resolved by that order (see
    `wfm.io.cells.local_times`); times with a UTC offset are converted. Raises BadInput
    naming file, row and column for a missing or unknown column, an empty cell, a state
    the config does not map, an agent not in ``agents`` (when given), a bad or nonexistent
    local time, an end not after its start, and a row that starts before the previous row
    of the same agent starts (out of order) or ends (overlap).
    """
    _missing(table, AGENT_STATE_COLUMNS, source)
    carried = carried_columns(table, AGENT_STATE_COLUMNS, cfg.inputs.extra_columns.agent_states,
                              "state log", "inputs.extra_columns.agent_states", source)
    if table.empty:
        raise BadInput(f"{source}: no rows")
    table = table.reset_index(drop=True)
    ids = _strings(table, "agent_id", source, required=True)
    if agents is not None:
        unknown = pd.Series(pd.Index(sorted(agents)).get_indexer(ids) < 0, index=ids.index)
        if unknown.any():
            row = _first_bad(unknown)
            raise BadInput(f"{source}: row {row}, column agent_id: agent {ids.iloc[row - 2]!r} "
                           "is not on the roster")
    states = _strings(table, "state", source, required=True)
    mapping = cfg.adherence.states
    position = pd.Index(list(mapping)).get_indexer(states)  # hashed: fast on millions of rows
    if (position < 0).any():
        row = _first_bad(position < 0)
        raise BadInput(f"{source}: row {row}, column state: unknown state "
                       f"{states.iloc[row - 2]!r}; adherence.states names "
                       f"{', '.join(sorted(mapping))}")
    category = np.array(list(mapping.values()), dtype=object)[position]
    zone = cfg.center.timezone
    out = pd.DataFrame({"agent_id": ids, "state": states,
                        "category": pd.Series(category, index=table.index, dtype=str)})
    out["start"] = local_times(table["start"], zone, source, "start", ids)
    out["end"] = local_times(table["end"], zone, source, "end", ids, lower=out["start"])
    _end_after_start(out["start"], out["end"], source, "end")
    _check_state_order(out, source)
    for column in carried:
        out[column] = _strings(table, column, source, required=False)
    return out


def _check_state_order(states: pd.DataFrame, source: str) -> None:
    """Raise BadInput for the first row that starts before the previous row of its agent
    starts (out of time order) or ends (overlapping records)."""
    by_agent = states.groupby("agent_id", sort=False)
    previous_start = by_agent["start"].shift(1)
    previous_end = by_agent["end"].shift(1)
    previous_row = pd.Series(np.arange(len(states)) + 2, index=states.index).groupby(
        states["agent_id"], sort=False).shift(1)
    unordered = (states["start"] < previous_start).to_numpy()
    overlapping = (states["start"] < previous_end).to_numpy() & ~unordered
    bad = unordered | overlapping
    if not bad.any():
        return
    position = int(np.flatnonzero(bad)[0])
    agent = states["agent_id"].iloc[position]
    other = int(previous_row.iloc[position])
    if unordered[position]:
        raise BadInput(f"{source}: row {position + 2}, column start: starts before row {other} "
                       f"of agent {agent!r}; each agent's rows must be in time order")
    ends = previous_end.iloc[position].tz_localize(None)
    raise BadInput(f"{source}: row {position + 2}, column start: overlaps row {other} of agent "
                   f"{agent!r}, which ends at {ends:%Y-%m-%dT%H:%M:%S}")


def read_agent_states(path: str | Path, cfg: CenterConfig, agents: set[str] | None = None
                      ) -> pd.DataFrame:
    """Read and validate agent state logs (see `parse_agent_states`)."""
    return parse_agent_states(read_table(path), cfg, str(path), agents)


def read_agents(path: str | Path, cfg: CenterConfig) -> list[Agent]:
    """Read and validate a roster file (see `wfm.roster.parse_roster`)."""
    return parse_roster(read_table(path), cfg, str(path))




#: The forecast's numeric columns besides ``offered`` and ``aht_seconds``.
_FORECAST_BANDS = tuple(c for c in FORECAST_COLUMNS
                        if c not in (*FORECAST_KEY_COLUMNS, "model"))


def read_forecast(path: str | Path, cfg: CenterConfig) -> pd.DataFrame:
    """Read a forecast file (the forecast contract) with tz-aware ``interval_start``.

    Needs ``interval_start, queue, offered, aht_seconds``; ``offered_low`` and
    ``offered_high`` are numbers when present, and other columns are kept as text.
    Raises BadInput naming file, row and column.
    """
    source = str(path)
    table = read_table(path).reset_index(drop=True)
    _missing(table, FORECAST_KEY_COLUMNS, source)
    stamps, queues = parse_interval_keys(table, cfg, source)
    result = table.copy()
    result["queue"] = queues
    result["interval_start"] = stamps
    result["offered"] = _numbers(table, "offered", source, allow_missing=False)
    result["aht_seconds"] = _numbers(table, "aht_seconds", source, allow_missing=True)
    for column in _FORECAST_BANDS:
        if column in table.columns:
            result[column] = _numbers(table, column, source, allow_missing=True)
    return result




@dataclass
class PublishedForecast:
    """The forecast a nightly run published: its run, as-of date, horizon and table."""

    run_id: str
    as_of: date
    start: date
    days: int
    forecast: pd.DataFrame


def read_manifest(path: Path) -> dict:
    """A run's manifest as a mapping; BadInput when it is not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"{path}: cannot read ({exc.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise BadInput(f"{path}: expected a JSON object")
    return data


def run_folders(runs_dir: str | Path) -> list[Path]:
    """The finished run folders of a runs folder (`wfm.run.folders`), oldest first: every
    folder that is not hidden (a run in progress), not a link (``latest``) and not a
    failed run."""
    from wfm.run.folders import FAILED_SUFFIX

    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        raise BadInput(f"{runs_dir}: no such runs folder")
    return sorted(p for p in runs_dir.iterdir()
                  if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")
                  and not p.name.endswith(FAILED_SUFFIX))


def recorded_config(runs_dir: str | Path) -> CenterConfig:
    """The config the newest run of ``runs_dir`` recorded in its manifest."""
    from wfm.config import parse_config

    for folder in reversed(run_folders(runs_dir)):
        path = folder / MANIFEST_FILE
        if path.exists() and isinstance(read_manifest(path).get("config"), dict):
            return parse_config(_hour_keys(read_manifest(path)["config"]), f"{path}: config")
    raise BadInput(f"{runs_dir}: no run recorded its config; give --config")


def _hour_keys(data: object) -> object:
    """The recorded config with every ``by_hour`` mapping's keys as whole hours again.

    JSON keys are text, so a manifest holds ``{"8": 0.3}`` where the config said
    ``{8: 0.3}``; the config itself refuses text hours.
    """
    if isinstance(data, list):
        return [_hour_keys(item) for item in data]
    if not isinstance(data, dict):
        return data
    out = {key: _hour_keys(value) for key, value in data.items()}
    hours = out.get("by_hour")
    if isinstance(hours, dict):
        out["by_hour"] = {int(k) if isinstance(k, str) and k.isdigit() else k: v
                          for k, v in hours.items()}
    return out


def published_forecasts(runs_dir: str | Path, cfg: CenterConfig
                        ) -> tuple[list[PublishedForecast], list[tuple[str, str]]]:
    """Every forecast the runs of ``runs_dir`` published, and the folders without one
    (name, why)."""
    found: list[PublishedForecast] = []
    skipped: list[tuple[str, str]] = []
    for folder in run_folders(runs_dir):
        result = read_published_forecast(folder, cfg)
        if isinstance(result, str):
            skipped.append((folder.name, result))
        else:
            found.append(result)
    return found, skipped


def read_published_forecast(folder: Path, cfg: CenterConfig) -> PublishedForecast | str:
    """The forecast a run folder published, or why it has none (a run that did not
    finish well, a folder without a manifest or forecast). Raises BadInput for a manifest
    that is not JSON or lacks its as-of date and horizon, and for a bad forecast file."""
    manifest_path = folder / MANIFEST_FILE
    if not manifest_path.exists():
        return f"no {MANIFEST_FILE}"
    manifest = read_manifest(manifest_path)
    if manifest.get("status") != "ok":
        return f"status {manifest.get('status')!r}: nothing was published"
    if not (folder / FORECAST_FILE).exists():
        return f"no {FORECAST_FILE}"
    horizon = manifest.get("horizon")
    try:
        as_of = date.fromisoformat(str(manifest["as_of"]))
        start = date.fromisoformat(str(horizon["start"]))
        days = int(horizon["days"])
    except (KeyError, TypeError, ValueError):
        raise BadInput(f"{manifest_path}: needs as_of and horizon.start and horizon.days"
                       ) from None
    forecast = read_forecast(folder / FORECAST_FILE, cfg)
    return PublishedForecast(folder.name, as_of, start, days, forecast)


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
    for column in ("agents_needed", "attempts", "contacts"):
        if column in table.columns:
            out[column] = _numbers(table, column, source, allow_missing=True)
    return out.sort_values(["queue", "interval_start"], kind="stable").reset_index(drop=True)


def read_requirements(path: str | Path, cfg: CenterConfig) -> pd.DataFrame:
    """Read and validate a requirements file (see `parse_requirements`)."""
    return parse_requirements(read_table(path), cfg, str(path))


def read_special_days(path: str | Path, queues: list[str]) -> pd.DataFrame:
    """Read a special-days file: ``date, queue, multiplier`` (see `parse_special_days`)."""
    return parse_special_days(read_table(path), queues, str(path))


def parse_special_days(
    table: pd.DataFrame, queues: list[str], source: str = "special days"
) -> pd.DataFrame:
    """Validate a special-days table: ``date, queue, multiplier`` (queue may be ``all``).

    ``multiplier`` is a finite number >= 0 or ``closed``; other columns (a note) are
    ignored. Returns columns ``date`` (date), ``queue`` (``all`` where empty) and
    ``multiplier`` (float, NaN = closed). Raises BadInput naming file, row and column.
    """
    _missing(table, SPECIAL_DAYS_COLUMNS, source)
    rows = []
    known = set(queues) | {"all"}
    cells = zip(*(text_cells(table[c]) for c in SPECIAL_DAYS_COLUMNS), strict=True)
    for number, (raw_date, queue, raw_mult) in enumerate(cells, start=2):
        where = f"{source}: row {number}"
        day = _special_date(raw_date, where)
        queue = queue or "all"
        if queue not in known:
            raise BadInput(f"{where}, column queue: unknown queue {queue!r}")
        rows.append((day, queue, _multiplier(raw_mult, where)))
    return pd.DataFrame(rows, columns=["date", "queue", "multiplier"])


def _special_date(text: str, where: str) -> date:
    """A special day's date; raises BadInput for an empty or unreadable one."""
    try:
        stamp = pd.Timestamp(text) if text else pd.NaT
    except ValueError:
        stamp = pd.NaT
    if pd.isna(stamp):
        raise BadInput(f"{where}, column date: bad date {text!r}")
    return stamp.date()


def _multiplier(text: str, where: str) -> float:
    """A special day's multiplier: NaN for ``closed``, else a finite number >= 0."""
    if text.lower() == "closed":
        return float("nan")
    try:
        multiplier = float(text)
    except ValueError:
        raise BadInput(f"{where}, column multiplier: expected a number or 'closed', "
                       f"got {text!r}") from None
    if not math.isfinite(multiplier):
        raise BadInput(f"{where}, column multiplier: not a finite number ({text!r})")
    if multiplier < 0:
        raise BadInput(f"{where}, column multiplier: must be >= 0")
    return multiplier


def _split(text: str) -> list[str]:
    return [part.strip() for part in str(text).split(";") if part.strip()]


def _window(text: str) -> tuple[int, int]:
    start_text, _, end_text = str(text).partition("-")
    start, end = parse_clock_minutes(start_text), parse_clock_minutes(end_text)
    if end <= start:
        raise ValueError(f"window end must be after its start in {text!r}")
    return start, end


def _overnight_window(text: str) -> tuple[int, int]:
    """A window that may cross midnight (``22:00-07:00``: its end after 1440)."""
    start_text, _, end_text = str(text).partition("-")
    start, end = parse_clock_minutes(start_text), parse_clock_minutes(end_text)
    if end == start or start == 1440:
        raise ValueError(f"window end must differ from its start in {text!r}")
    return (start, end) if end > start else (start, end + 1440)


def _skills(text: str) -> dict[str, float]:
    skills: dict[str, float] = {}
    for item in _split(text):
        name, _, level = item.partition(":")
        value = float(level) if level else 1.0
        if not 0.0 < value <= 1.0:
            raise ValueError(f"proficiency of {name!r} must be in (0, 1], got {level!r}")
        skills[name.strip()] = value
    if not skills:
        raise ValueError("at least one skill is needed")
    return skills


def _weekdays(text: str) -> frozenset[int]:
    days = set()
    for item in _split(text):
        key = item.lower()[:3]
        if key not in WEEKDAYS:
            raise ValueError(f"unknown weekday {item!r}; allowed: {', '.join(WEEKDAYS)}")
        days.add(WEEKDAYS.index(key))
    return frozenset(days)


def _dates(text: str) -> frozenset[date]:
    return frozenset(date.fromisoformat(item) for item in _split(text))


def _role(text: str) -> str:
    if text not in ROLES:
        raise ValueError(f"unknown role {text!r}; allowed: {', '.join(ROLES)}")
    return text


def _teams(text: str) -> tuple[str, ...]:
    teams = _split(text)
    twice = sorted({t for t in teams if teams.count(t) > 1})
    if twice:
        raise ValueError(f"team {twice[0]!r} is named twice")
    return tuple(teams)


_PARSERS = {
    "skills": _skills,
    "languages": lambda text: tuple(_split(text)),
    "unavailable_dates": _dates,
    "available_window": _overnight_window,
    "preferred_days_off": _weekdays,
    "preferred_start": _window,
    "role": _role,
    "leads": _teams,
    "hire_date": date.fromisoformat,
}
#: Roster columns a person who takes no contacts (trainer, quality, a leader without
#: skills) may leave empty.
_CONTACT_COLUMNS = ("skills", "languages")


def parse_roster(table: pd.DataFrame, cfg: CenterConfig, source: str = "agents") -> list[Agent]:
    """Validate a roster table against the config and return its agents in file order.

    Ids and other text are kept as written (surrounding spaces removed); the columns named
    in ``inputs.extra_columns.agents`` are kept on each agent's ``extra``. Raises BadInput
    naming the file, the row (1-based, header is row 1) and the column, for a missing or
    unknown column too, and for an agent whose skills and languages match no queue.
    """
    _missing(table, ROSTER_COLUMNS, source)
    carried = carried_columns(table, (*ROSTER_COLUMNS, *OPTIONAL_ROSTER_COLUMNS),
                              cfg.inputs.extra_columns.agents, "roster",
                              "inputs.extra_columns.agents", source)
    texts = {column: text_cells(table[column]).tolist()
             for column in (*ROSTER_COLUMNS, *OPTIONAL_ROSTER_COLUMNS, *carried)
             if column in table.columns}
    agents: list[Agent] = []
    seen: set[str] = set()
    for position in range(len(table)):
        row = position + 2
        agent = _agent({column: values[position] for column, values in texts.items()},
                       carried, f"{source}: row {row}")
        if agent.agent_id in seen:
            raise BadInput(f"{source}: row {row}, column agent_id: duplicate {agent.agent_id!r}")
        seen.add(agent.agent_id)
        _check_agent(agent, cfg, f"{source}: row {row}")
        agents.append(agent)
    if not agents:
        raise BadInput(f"{source}: no agents")
    _check_people(agents, cfg, source)
    return agents


def _agent(cells: dict[str, str], carried: list[str], where: str) -> Agent:
    """One roster row (stripped text by column) as an Agent; raises BadInput for an
    empty required cell or a bad value."""
    fields: dict[str, object] = {}
    role = cells.get("role", "") or "agent"
    for column in (*ROSTER_COLUMNS, *OPTIONAL_ROSTER_COLUMNS):
        value = cells.get(column, "")
        if value == "":
            if column in _CONTACT_COLUMNS and role != "agent":
                fields[column] = {} if column == "skills" else ()
            elif column in ROSTER_COLUMNS:
                raise BadInput(f"{where}, column {column}: empty")
            continue
        try:
            fields[column] = _PARSERS[column](value) if column in _PARSERS else value
        except ValueError as exc:
            raise BadInput(f"{where}, column {column}: {exc}") from None
    return Agent(**fields, extra={column: cells[column] for column in carried})


def _check_agent(agent: Agent, cfg: CenterConfig, where: str) -> None:
    """Raise BadInput when the agent's contract, a skill or a language is unknown, when
    no queue has both a skill and a language of the agent (no queue could use them), or
    when the role does not fit the row: a trainer or quality analyst takes no contacts
    (no skills or languages) and leads no team."""
    contracts = {c.id for c in cfg.contracts}
    if agent.contract not in contracts:
        raise BadInput(f"{where}, column contract: unknown {agent.contract!r}; "
                       f"allowed: {', '.join(sorted(contracts))}")
    if not agent.takes_contacts:
        for column in ("skills", "languages", "leads"):
            if getattr(agent, column):
                raise BadInput(f"{where}, column {column}: a {agent.role} takes no contacts "
                               f"and leads no team; leave {column} empty")
        return
    if agent.role in LEADER_ROLES and not agent.skills:
        if agent.languages:
            raise BadInput(f"{where}, column languages: a {agent.role} without skills takes "
                           "no contacts; leave languages empty too")
        return
    skills_known = {q.skill for q in cfg.queues}
    unknown_skill = sorted(set(agent.skills) - skills_known)
    if unknown_skill:
        raise BadInput(f"{where}, column skills: {unknown_skill[0]!r} is no queue's skill; "
                       f"allowed: {', '.join(sorted(skills_known))}")
    languages_known = {q.language for q in cfg.queues}
    unknown_language = sorted(set(agent.languages) - languages_known)
    if unknown_language:
        raise BadInput(f"{where}, column languages: {unknown_language[0]!r} is no "
                       f"queue's language; allowed: {', '.join(sorted(languages_known))}")
    if not any(agent.serves(queue) for queue in cfg.queues):
        raise BadInput(f"{where}, agent {agent.agent_id!r}: skills {';'.join(agent.skills)} "
                       f"and languages {';'.join(agent.languages)} match no queue")


def _check_people(agents: list[Agent], cfg: CenterConfig, source: str) -> None:
    """Raise BadInput when ``leads`` names a team no one is in, or when an activity's
    attendees name a team or an agent the roster does not have."""
    teams = {a.team for a in agents}
    for row, agent in enumerate(agents, start=2):
        unknown = [t for t in agent.leads if t not in teams]
        if unknown:
            raise BadInput(f"{source}: row {row}, column leads: no one is in team "
                           f"{unknown[0]!r}")
    ids = {a.agent_id for a in agents}
    for index, activity in enumerate(cfg.activities):
        key = f"activities[{index}].attendees"
        for team in activity.attendees.teams or ():
            if team not in teams:
                raise BadInput(f"{source}: no one is in team {team!r}, which {key}.teams "
                               "names")
        for agent_id in activity.attendees.agents or ():
            if agent_id not in ids:
                raise BadInput(f"{source}: no agent {agent_id!r}, which {key}.agents names")


def roster_table(agents: list[Agent]) -> pd.DataFrame:
    """The roster back as a table in the file format (for writing and the workbook).

    Carried columns (``Agent.extra``) follow the roster columns in first-seen order,
    empty for an agent without them.
    """
    extra = list(dict.fromkeys(column for a in agents for column in a.extra))
    def window(value: tuple[int, int] | None) -> str:
        if value is None:
            return ""
        end = value[1] - 1440 if value[1] > 1440 else value[1]
        return f"{value[0] // 60:02d}:{value[0] % 60:02d}-{end // 60:02d}:{end % 60:02d}"

    return pd.DataFrame([
        {
            "agent_id": a.agent_id,
            "name": a.name,
            "team": a.team,
            "skills": ";".join(f"{k}:{v:g}" for k, v in a.skills.items()),
            "languages": ";".join(a.languages),
            "contract": a.contract,
            "unavailable_dates": ";".join(d.isoformat() for d in sorted(a.unavailable_dates)),
            "available_window": window(a.available_window),
            "preferred_days_off": ";".join(WEEKDAYS[d] for d in sorted(a.preferred_days_off)),
            "preferred_start": window(a.preferred_start),
            "role": a.role,
            "leads": ";".join(a.leads),
            "hire_date": a.hire_date.isoformat() if a.hire_date else "",
            **{column: a.extra.get(column, "") for column in extra},
        }
        for a in agents
    ])


