"""The library steps from inputs to a published plan: one road for every caller.

Each CLI command and each stage of the nightly run calls these and nothing else, so the
two cannot drift:

- `read_inputs` / `summarize_inputs`: read and validate the input files (`wfm validate`,
  the nightly validate stage);
- `forecast_step`: history -> forecast and its model report (`wfm forecast`, nightly);
- `staff_step`: forecast -> requirements (`wfm staff`, nightly);
- `schedule_step`: requirements -> a schedule folder: solve, write the folder atomically,
  re-read it, run the independent checker, and publish only what the checker accepts
  (`wfm schedule`, nightly);
- `export_step`: a checked schedule folder -> the coordinators' workbook (`wfm export`,
  `wfm schedule --xlsx`, nightly).
"""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from wfm.config import CenterConfig
from wfm.errors import BadInput, ScheduleRejected
from wfm.io.inputs import read_agents, read_history, read_previous, read_special_days
from wfm.io.schedule_folder import ScheduleFolder, read_schedule, write_schedule
from wfm.roster import Agent

#: The forecast report's ``target`` on rows that carry a warning about the history.
WARNING_TARGET = "warning"
#: Violations listed in a rejection's message and manifest (the rest are counted).
LISTED_VIOLATIONS = 20


# --- inputs --------------------------------------------------------------------------------


@dataclass
class PlanInputs:
    """The validated inputs of a plan (None for what was not given)."""

    history: pd.DataFrame | None = None
    agents: list[Agent] | None = None
    special_days: pd.DataFrame | None = None
    previous: pd.DataFrame | None = None


def read_inputs(cfg: CenterConfig, history: Path | None = None, agents: Path | None = None,
                special_days: Path | None = None, previous: Path | None = None,
                complete_history: bool = True) -> PlanInputs:
    """Read and validate the given input files; raises BadInput naming file, row, column."""
    found = PlanInputs()
    if history is not None:
        found.history = read_history(history, cfg, complete=complete_history)
    if agents is not None:
        found.agents = read_agents(agents, cfg)
    if special_days is not None:
        found.special_days = read_special_days(str(special_days), [q.id for q in cfg.queues])
    if previous is not None:
        found.previous = read_previous(previous, cfg)
    return found


@dataclass
class InputSummary:
    """What the inputs hold, for a short printed summary."""

    queues: list[str]
    history_rows: int = 0
    history_first: str | None = None
    history_last: str | None = None
    history_intervals_by_queue: dict[str, int] = field(default_factory=dict)
    agents: int = 0
    agents_by_skill: dict[str, int] = field(default_factory=dict)
    agents_by_language: dict[str, int] = field(default_factory=dict)
    agents_by_contract: dict[str, int] = field(default_factory=dict)
    agents_by_queue: dict[str, int] = field(default_factory=dict)
    history_clock: str = ""
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The summary as printable lines (warnings last, each starting ``warning:``)."""
        out = [f"queues: {len(self.queues)} ({', '.join(self.queues)})"]
        if self.history_rows:
            out.append(
                f"history: {self.history_rows} rows, {self.history_first} to {self.history_last}"
            )
            out.append(f"  {self.history_clock}")
            out += [f"  {q}: {n} intervals" for q, n in self.history_intervals_by_queue.items()]
        if self.agents:
            out.append(f"agents: {self.agents}")
            for title, counts in (
                ("by skill", self.agents_by_skill),
                ("by language", self.agents_by_language),
                ("by contract", self.agents_by_contract),
                ("qualified per queue", self.agents_by_queue),
            ):
                out.append(f"  {title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        out += [f"warning: {line}" for line in self.warnings]
        return out


def summarize_inputs(cfg: CenterConfig, inputs: PlanInputs) -> InputSummary:
    """What the inputs hold: history rows, span, clock and interval per queue, agents by
    skill, language, contract and the queues they are qualified for; warnings for history
    contacts outside opening hours or on closed days (forecast as zero)."""
    from wfm.io.inputs import traffic_outside_hours

    summary = InputSummary(queues=[q.id for q in cfg.queues])
    if inputs.history is not None:
        table = inputs.history
        summary.history_rows = len(table)
        stamps = table["interval_start"].dt.tz_localize(None)
        summary.history_first = stamps.min().isoformat()
        summary.history_last = stamps.max().isoformat()
        summary.history_intervals_by_queue = table.groupby("queue").size().to_dict()
        summary.history_clock = history_clock_line(cfg, table)
        summary.warnings += [found.message() for found in
                             traffic_outside_hours(table, cfg, inputs.special_days)]
    if inputs.agents is not None:
        roster = inputs.agents
        summary.agents = len(roster)
        summary.agents_by_skill = dict(sorted(Counter(s for a in roster for s in a.skills).items()))
        summary.agents_by_language = dict(
            sorted(Counter(lang for a in roster for lang in a.languages).items())
        )
        summary.agents_by_contract = dict(sorted(Counter(a.contract for a in roster).items()))
        summary.agents_by_queue = {q.id: sum(a.serves(q) for a in roster) for q in cfg.queues}
    return summary


def history_clock_line(cfg: CenterConfig, history: pd.DataFrame) -> str:
    """How the history's times were read: clock, zone and interval (summed or not)."""
    center = cfg.center
    offset = center.history_offset_minutes
    if offset is None:
        clock = f"times on the {center.timezone} wall clock"
    else:
        sign = "+" if offset >= 0 else "-"
        clock = (f"times on a fixed clock UTC{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
                 f" without DST, converted to {center.timezone}")
    step = history.attrs.get("history_interval_minutes", center.interval_minutes)
    if step != center.interval_minutes:
        return f"{clock}; {step}-minute rows summed to {center.interval_minutes} minutes"
    return f"{clock}; {step}-minute intervals"


# --- forecast and staffing -----------------------------------------------------------------


def forecast_step(
    cfg: CenterConfig,
    history: pd.DataFrame,
    start: date,
    days: int,
    special_days: pd.DataFrame | None = None,
    method: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The forecast of ``days`` days from ``start`` and its model report.

    ``method`` defaults to ``planning.forecast_method``. Returns the forecast contract
    (`wfm.io.tables.FORECAST_COLUMNS`) and the report (one row per queue, target and
    model, with the backtest figures and the choice; rows with target `WARNING_TARGET`
    repeat what `wfm validate` warns about the history, such as contacts outside opening
    hours, which are forecast as zero). Raises BadInput for a history or method that
    cannot be forecast.
    """
    from wfm.forecast import forecast
    from wfm.io.inputs import traffic_outside_hours

    try:
        result, report = forecast(history, cfg, start, days,
                                  method or cfg.planning.forecast_method, special_days,
                                  progress=progress)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    before = history[history["interval_start"].dt.tz_localize(None) < pd.Timestamp(start)]
    warnings = pd.DataFrame([{"queue": found.queue, "target": WARNING_TARGET,
                              "model": "outside_hours", "reason": found.message()}
                             for found in traffic_outside_hours(before, cfg, special_days)])
    if len(warnings):
        attrs = report.attrs
        report = pd.concat([report, warnings.reindex(columns=report.columns)],
                           ignore_index=True)
        report.attrs = attrs
    return result, report


def staff_step(cfg: CenterConfig, forecast: pd.DataFrame) -> pd.DataFrame:
    """The requirements contract for every queue and interval of a forecast."""
    from wfm.staffing.requirements import requirements_from_forecast

    return requirements_from_forecast(forecast, cfg)


# --- the schedule --------------------------------------------------------------------------


@dataclass
class ScheduleOutcome:
    """A schedule written, re-read and accepted by the independent checker.

    ``report`` holds the coverage and the kpis.json mapping; ``folder`` the folder as read
    back; ``checker`` the verdict recorded in the run manifest. ``degraded``: the schedule
    is no better than the solver's safe schedule; it is written and checked, and the
    caller must not present it as a success (`wfm schedule` exits 5, `wfm run` keeps
    ``latest``).
    """

    result: object
    report: object
    folder: ScheduleFolder
    checker: dict
    degraded: bool = False


def horizon_rows(requirements: pd.DataFrame, start: date, days: int,
                 source: str = "requirements") -> pd.DataFrame:
    """The requirement rows on the horizon's local dates, each with ``required`` (agents to
    schedule: the ``required`` column, else ``agents_with_shrinkage``); BadInput when none."""
    local_dates = requirements["interval_start"].dt.date
    inside = (local_dates >= start) & (local_dates < start + timedelta(days=days))
    if not inside.any():
        raise BadInput(f"{source}: no rows between {start} and "
                       f"{start + timedelta(days=days - 1)}")
    rows = requirements[inside].reset_index(drop=True)
    if "required" not in rows.columns:
        rows = rows.assign(required=rows["agents_with_shrinkage"].astype(int))
    return rows


def _rejection(violations: list) -> ScheduleRejected:
    lines = [str(v) for v in violations]
    listed = lines[:LISTED_VIOLATIONS]
    more = f" (and {len(lines) - len(listed)} more)" if len(lines) > len(listed) else ""
    rules = ", ".join(sorted({v.rule for v in violations}))
    return ScheduleRejected(
        f"the independent checker rejected the schedule: {len(lines)} hard-rule violations "
        f"({rules}){more}", listed)


def _keep_rejected(written: Path, target: Path) -> None:
    """Copy the schedule files of a rejected folder to ``target`` (replacing it)."""
    from wfm.io.tables import ACTIVITIES_FILE, COVERAGE_FILE, KPIS_FILE, SCHEDULE_FILE

    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in (SCHEDULE_FILE, ACTIVITIES_FILE, COVERAGE_FILE, KPIS_FILE):
        if (written / name).exists():
            shutil.copy2(written / name, target / name)


def schedule_step(
    cfg: CenterConfig,
    agents: list[Agent],
    requirements: pd.DataFrame,
    start: date,
    days: int,
    folder: Path,
    previous: pd.DataFrame | None = None,
    time_limit_seconds: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    log: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
    rejected_folder: Path | None = None,
) -> ScheduleOutcome:
    """Solve, write ``folder`` atomically, re-read it, check it, and publish it if valid.

    ``requirements`` are the horizon's rows (see `horizon_rows`). The folder is written
    into a temporary sibling, re-read from there and run through the independent checker
    (`wfm.verify.folder.verify_folder`); only a schedule without violations is renamed
    into ``folder``. A rejected one raises `ScheduleRejected` listing the violations and
    leaves ``folder`` as it was; a copy of what was rejected goes to ``rejected_folder``
    when one is given. Raises InfeasibleRules or NoSolution from the solver.
    """
    from wfm.reports.kpis import build_report
    from wfm.schedule.solve import solve_schedule
    from wfm.verify.folder import verify_folder

    result = solve_schedule(cfg, agents, requirements, start, days, previous=previous,
                            time_limit_seconds=time_limit_seconds, workers=workers, seed=seed,
                            log=log, stop=stop)
    report = build_report(cfg, result, requirements, start, days)
    checked: dict = {}

    def check(temp: Path) -> None:
        written, violations = verify_folder(cfg, agents, temp, previous=previous,
                                            requirements=requirements, start=start, days=days)
        if violations:
            if rejected_folder is not None:
                _keep_rejected(temp, rejected_folder)
            raise _rejection(violations)
        checked["folder"] = written

    write_schedule(folder, result, report.coverage, report.kpis, before_publish=check)
    verdict = {"valid": True, "violations": 0,
               "shifts_checked": len(checked["folder"].shifts),
               "activities_checked": len(checked["folder"].activities),
               "coverage_rows_checked": (0 if checked["folder"].coverage is None
                                         else len(checked["folder"].coverage))}
    return ScheduleOutcome(result=result, report=report, folder=checked["folder"],
                           checker=verdict, degraded=bool(result.degraded))


# --- the workbook --------------------------------------------------------------------------


def export_step(cfg: CenterConfig, agents: list[Agent], folder: Path | ScheduleFolder,
                path: Path, forecast: pd.DataFrame | None = None) -> Path:
    """Write the coordinators' workbook for a schedule folder (a path or one already read).

    The figures come from the KPI engine over the folder's coverage and shifts (the same
    function that wrote kpis.json); the solver figures from its kpis.json. Returns ``path``.
    """
    from wfm.io.tables import COVERAGE_FILE
    from wfm.reports.kpis import schedule_figures
    from wfm.reports.workbook import write_workbook

    found = folder if isinstance(folder, ScheduleFolder) else read_schedule(folder, cfg)
    if found.coverage is None:
        raise BadInput(f"{folder}: no {COVERAGE_FILE} in the schedule folder")
    figures = schedule_figures(cfg, found.coverage, found.shifts, found.start, found.days)
    kpis = {**found.kpis, **figures}
    write_workbook(path, cfg, agents, found.shifts, found.activities, found.coverage, kpis,
                   forecast=forecast)
    return path
