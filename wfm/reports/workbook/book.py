"""The coordinators' workbook: one XLSX with the schedule, a Gantt per day and coverage.

`write_workbook` writes, atomically, the sheets Summary, Schedule, one sheet per day,
Coverage, Forecast (when a forecast is given) and Rules. The workbook is built with
openpyxl's write-only mode and shared named styles so that 300 agents over a week at
15-minute intervals is written in seconds. Every value is a plain value (no formulas), so
the figures read back with openpyxl are the figures a coordinator sees.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from wfm.config import CenterConfig
from wfm.io.files import atomic_write_with
from wfm.reports.workbook.coverage import write_coverage
from wfm.reports.workbook.days import activity_days, day_title, write_day
from wfm.reports.workbook.forecast import write_forecast
from wfm.reports.workbook.pages import Footer
from wfm.reports.workbook.rules import write_rules
from wfm.reports.workbook.schedule_sheet import write_schedule_sheet
from wfm.reports.workbook.solver_sheet import write_solver_sheet
from wfm.reports.workbook.styles import Styles, cell_text, sheet_title
from wfm.reports.workbook.summary import queue_names, queue_order, solver_items, write_summary
from wfm.roster import Agent


def period_text(days: list[date]) -> str:
    """``2026-11-23 to 2026-11-29`` for the footer of every page."""
    if not days:
        return "no days"
    return f"{days[0].isoformat()} to {days[-1].isoformat()}"


def schedule_days(shifts: pd.DataFrame, coverage: pd.DataFrame) -> list[date]:
    found: set[date] = set()
    if len(shifts):
        found |= {pd.Timestamp(d).date() for d in shifts["date"]}
    if len(coverage):
        found |= {pd.Timestamp(t).date() for t in coverage["interval_start"]}
    return sorted(found)


def horizon_days(kpis: dict) -> list[date]:
    """Every date of ``kpis["horizon"]`` (``start``, ``days``), or none when not recorded."""
    horizon = kpis.get("horizon")
    if not isinstance(horizon, dict):
        return []
    try:
        start = date.fromisoformat(str(horizon["start"]))
        count = int(horizon["days"])
    except (KeyError, TypeError, ValueError):
        return []
    return [start + timedelta(days=d) for d in range(max(count, 0))]





# ----------------------------------------------------------------------------- entry point

def write_workbook(path: str | Path, cfg: CenterConfig, agents: list[Agent],
                   shifts: pd.DataFrame, activities: pd.DataFrame, coverage: pd.DataFrame,
                   kpis: dict, forecast: pd.DataFrame | None = None) -> None:
    """Write the coordinators' workbook to ``path`` atomically.

    ``shifts`` has the columns of `wfm.io.tables.SHIFT_COLUMNS`, ``activities`` those of
    ``ACTIVITY_COLUMNS`` and ``coverage`` those of ``COVERAGE_COLUMNS``; timestamps are
    tz-aware in the center's zone. ``kpis`` is the KPI engine's mapping
    (`wfm.reports.kpis`: solver figures plus `schedule_figures`), shown on the Summary
    sheet as it is. Sheets: Summary, Schedule, one per day, Coverage, Forecast (when
    ``forecast`` is given), Rules and Solver (the other solver figures); every one prints on
    landscape pages fitted to the width (`wfm.reports.workbook.pages`).
    """
    shifts = shifts.copy() if shifts is not None else pd.DataFrame(
        columns=["agent_id", "date", "shift_start", "shift_end", "paid_minutes", "template"])
    if "template" not in shifts.columns:
        shifts["template"] = ""
    shifts["agent_id"] = shifts["agent_id"].astype(str)
    activities = activities.copy()
    activities["agent_id"] = activities["agent_id"].astype(str)
    coverage = coverage.copy()
    coverage["queue"] = coverage["queue"].astype(str)
    queues = queue_order(cfg, coverage)
    extra_work_queues = sorted(
        set(activities.loc[activities["activity"] == "work", "queue"].dropna().astype(str))
        - set(queues) - {""})
    queues += extra_work_queues
    names = queue_names(cfg, queues)
    queue_index = {q: i for i, q in enumerate(queues)}
    activities["queue_index"] = activities["queue"].map(
        lambda q: queue_index.get(str(q), -1) if isinstance(q, str) else -1)

    templates = [t.id for t in cfg.shift_templates]
    templates += sorted(set(shifts["template"].dropna().astype(str)) - set(templates) - {""})
    days = schedule_days(shifts, coverage)
    period_days = sorted(set(days) | set(horizon_days(kpis)))
    taken: list[str] = []

    def claim(name: str) -> str:
        title = sheet_title(name, taken)
        taken.append(title)
        return title

    summary_title = claim("Summary")
    solver_title = claim("Solver") if solver_items(kpis) else None
    schedule_title = claim("Schedule")
    day_titles = {day: claim(day_title(day)) for day in days}
    coverage_title = claim("Coverage")
    forecast_title = claim("Forecast") if forecast is not None else None
    rules_title = claim("Rules")

    wb = Workbook(write_only=True)
    wb.properties.title = cell_text(f"Schedule {cfg.center.name}")[:200]
    wb.properties.creator = "wfm"
    styles = Styles(wb, templates)
    styles.footer = Footer(cfg.center.name, period_text(period_days))
    agent_map = {a.agent_id: a for a in agents}
    shift_day = shifts["date"].map(lambda d: pd.Timestamp(d).date())
    cover_day = coverage["interval_start"].map(lambda t: t.date()) if len(coverage) \
        else pd.Series(dtype=object)
    activity_day = activity_days(shifts, activities)

    write_summary(wb, styles, summary_title, cfg, agents, kpis, period_days, day_titles,
                  solver_title)
    write_schedule_sheet(wb, styles, schedule_title, cfg, agents, shifts, period_days)
    for day in days:
        write_day(wb, styles, day_titles[day], cfg, day, agent_map, shifts[shift_day == day],
                   activities[activity_day == day],
                   coverage[cover_day.isin([day, day + timedelta(days=1)])] if len(coverage)
                   else coverage, queues, names)
    write_coverage(wb, styles, coverage_title, cfg, coverage, queues, names)
    if forecast is not None and forecast_title is not None:
        write_forecast(wb, styles, forecast_title, cfg, forecast, names)
    write_rules(wb, styles, rules_title, cfg)
    if solver_title is not None:
        write_solver_sheet(wb, styles, solver_title, cfg.center.name, kpis)
    atomic_write_with(path, wb.save)


