"""The adherence report's workbook (`wfm adherence --xlsx`): agents by day, exceptions and
totals per team, queue and day."""

from __future__ import annotations

from pathlib import Path

from wfm.config import CenterConfig
from wfm.reports.adherence import AdherenceReport
from wfm.reports.workbook.pages import Footer
from wfm.reports.workbook.report import Column, TableSheet, write_report

_MINUTES = [
    Column("scheduled_minutes", "Scheduled min", "wfm_dec", 10),
    Column("out_of_adherence_minutes", "Out of adherence min", "wfm_dec", 13),
    Column("adherence", "Adherence", "wfm_pct", 10),
    Column("working_minutes", "Working min", "wfm_dec", 10),
    Column("worked_minutes", "Worked min", "wfm_dec", 10),
    Column("conformance", "Conformance", "wfm_pct", 11),
]
AGENT_DAY_COLUMNS = [
    Column("agent_id", "Agent ID", "wfm_text", 10), Column("name", "Name", "wfm_text", 24),
    Column("team", "Team", "wfm_text", 12), Column("date", "Date", "wfm_date", 11),
    *_MINUTES[:3], Column("neutral_minutes", "Neutral min", "wfm_dec", 9), *_MINUTES[3:],
    Column("unscheduled_minutes", "Unscheduled min", "wfm_dec", 11),
    Column("exceptions", "Exceptions", "wfm_int", 10),
]
EXCEPTION_SHEET_COLUMNS = [
    Column("agent_id", "Agent ID", "wfm_text", 10), Column("name", "Name", "wfm_text", 24),
    Column("team", "Team", "wfm_text", 12), Column("date", "Date", "wfm_date", 11),
    Column("kind", "Exception", "wfm_text", 17), Column("start", "Start", "wfm_text", 19),
    Column("end", "End", "wfm_text", 19), Column("minutes", "Minutes", "wfm_dec", 9),
    Column("scheduled", "Scheduled", "wfm_text", 10), Column("actual", "Actual", "wfm_text", 10),
    Column("queue", "Queue", "wfm_text", 13),
]
TOTAL_COLUMNS = [
    Column("scope", "Per", "wfm_text", 8), Column("key", "Team / queue / day", "wfm_text", 18),
    Column("agents", "Agents", "wfm_int", 8), *_MINUTES,
    Column("exceptions", "Exceptions", "wfm_int", 10),
]
#: How adherence is measured, above every sheet.
DEFINITIONS = (
    "Adherence = 1 - minutes out of adherence / scheduled minutes (the shift, neutral "
    "states left out). Conformance = worked minutes (logged in, lunch and neutral states "
    "left out, in or out of the shift) / working minutes (the shift less lunch).")


def write_adherence_workbook(path: str | Path, cfg: CenterConfig,
                             report: AdherenceReport) -> None:
    """Three sheets: Agents (per agent and day), Exceptions and Totals."""
    period = f"{report.first.isoformat()} to {report.last.isoformat()}"
    notes = [DEFINITIONS, "; ".join(report.notes) + "."]
    sheets = [
        TableSheet("Agents", f"Adherence per agent and day: {cfg.center.name}, {period}",
                   report.agent_days, AGENT_DAY_COLUMNS, notes),
        TableSheet("Exceptions", f"Exceptions: {cfg.center.name}, {period}", report.exceptions,
                   EXCEPTION_SHEET_COLUMNS, notes),
        TableSheet("Totals", f"Adherence per team, queue and day: {cfg.center.name}, {period}",
                   report.totals, TOTAL_COLUMNS,
                   [*notes, "Per queue: the scheduled work on the queue (the state logs do not "
                            "say which queue an agent worked, so no conformance)."]),
    ]
    write_report(path, f"Adherence {cfg.center.name}", Footer(cfg.center.name, period), sheets)
