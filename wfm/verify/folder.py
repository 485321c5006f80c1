"""Re-read a written schedule folder and check it: what `wfm schedule`, the nightly run and
`wfm check` all do with a schedule before trusting it.

The horizon is the one asked for (``start`` and ``days``), else the one ``kpis.json``
records; without either the folder cannot be checked (BadInput). When both are known and
differ, the folder is flagged (rule ``horizon``) and checked over the horizon asked for.
The special days are those of the config's ``inputs.special_days`` file when it exists
(as `wfm.io.config_file.load_config` reads it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from wfm.config import CenterConfig
from wfm.errors import BadInput
from wfm.io.inputs import read_special_days
from wfm.io.schedule_folder import ScheduleFolder, read_schedule
from wfm.io.tables import COVERAGE_FILE, KPIS_FILE, UNPLACED_KEY
from wfm.roster import Agent
from wfm.verify.blended import check_inbound_first
from wfm.verify.check import COVERAGE, HORIZON, Violation, check_schedule
from wfm.verify.coverage import check_coverage_file


def special_closures(cfg: CenterConfig) -> dict[date, frozenset[str]]:
    """Local date -> the queue ids closed that day (``all`` for the whole center): from the
    config's special-days file, read here again, and each queue's ``closed_dates``."""
    found: dict[date, set[str]] = {}
    for queue in cfg.queues:
        for day in queue.closed_dates:
            found.setdefault(day, set()).add(queue.id)
    path = cfg.inputs.special_days
    if path is not None and Path(path).exists():
        table = read_special_days(str(path), [q.id for q in cfg.queues])
        closed = table[np.isnan(table["multiplier"].to_numpy(dtype=float))]
        for day, queue in zip(closed["date"], closed["queue"], strict=True):
            found.setdefault(day, set()).add(str(queue))
    return {day: frozenset(queues) for day, queues in found.items()}


def unplaced_sessions(kpis: dict) -> dict[str, str]:
    """Session id -> reason, for the sessions kpis.json reports as not placed
    (``activities_unplaced``: a list of objects with ``session`` and ``reason``); entries
    without a session id are ignored (their sessions then count as missing)."""
    found: dict[str, str] = {}
    entries = kpis.get(UNPLACED_KEY)
    if not isinstance(entries, list):
        return found
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("session"), str):
            reason = entry.get("reason")
            found[entry["session"]] = reason if isinstance(reason, str) else ""
    return found


def folder_horizon(schedule: ScheduleFolder, folder: str | Path, start: date | None = None,
                   days: int | None = None) -> tuple[date, int, list[Violation]]:
    """The horizon to check a folder over: ``(start, days, violations)``.

    ``start`` and ``days`` (both or neither) win; else the horizon of ``kpis.json``. A
    recorded horizon that differs from the one asked for is a violation. Raises BadInput
    when only one of ``start`` and ``days`` is given, or when there is no horizon at all.
    """
    if (start is None) != (days is None):
        raise BadInput("give both the horizon's start and days (--start and --days), or "
                       "neither")
    recorded = schedule.start, schedule.days
    if start is None or days is None:
        if recorded[0] is None or recorded[1] is None:
            raise BadInput(f"{folder}: no horizon to check against: {KPIS_FILE} records none; "
                           "give --start and --days")
        return recorded[0], recorded[1], []
    found = []
    if recorded[0] is not None and recorded != (start, days):
        found.append(Violation(HORIZON, None, start, _horizon_disagreement(recorded,
                                                                           (start, days))))
    return start, days, found


def _horizon_disagreement(recorded: tuple, asked: tuple) -> str:
    def span(first: date, length: int) -> str:
        return (f"{first}..{first + timedelta(days=length - 1)} "
                f"({length} day{'' if length == 1 else 's'})")

    return f"{KPIS_FILE} records the horizon {span(*recorded)}, not {span(*asked)}"


def verify_folder(
    cfg: CenterConfig,
    agents: Iterable[Agent],
    folder: str | Path,
    previous: pd.DataFrame | None = None,
    requirements: pd.DataFrame | None = None,
    start: date | None = None,
    days: int | None = None,
) -> tuple[ScheduleFolder, list[Violation]]:
    """Re-read a schedule folder and run the independent checker on it.

    Returns the folder as read and its violations (`wfm.verify.check.Violation`, empty =
    valid): every hard rule over the shifts and activities (special-day closures
    included), and every coverage rule over the coverage file, checked against
    ``requirements`` when given (as `wfm.io.inputs.read_requirements` returns them) and
    against the hours of ``kpis.json`` when present. The horizon is ``start`` and ``days``
    when given, else the one ``kpis.json`` records (see `folder_horizon`); BadInput when
    there is none. ``previous`` is the schedule before (rest and consecutive days).
    """
    agents = list(agents)
    schedule = read_schedule(folder, cfg)
    first, length, found = folder_horizon(schedule, folder, start, days)
    found += check_schedule(cfg, agents, schedule.shifts, schedule.activities,
                            previous=previous, start=first, days=length,
                            closed_queues=special_closures(cfg),
                            unplaced=unplaced_sessions(schedule.kpis))
    if schedule.coverage is None:
        found.append(Violation(COVERAGE, None, None, f"{COVERAGE_FILE} is missing"))
    else:
        found += check_coverage_file(cfg, schedule.activities, schedule.coverage, first,
                                     length, requirements=requirements, kpis=schedule.kpis)
        found += check_inbound_first(cfg, agents, schedule.activities, schedule.coverage)
    return schedule, found
