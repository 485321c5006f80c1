"""The KPI report's workbook (`wfm kpi --xlsx`): the indicators per queue and period."""

from __future__ import annotations

from pathlib import Path

from wfm.config import CenterConfig
from wfm.reports.indicators import KpiReport
from wfm.reports.workbook.pages import Footer
from wfm.reports.workbook.report import Column, TableSheet, write_report

KPI_SHEET_COLUMNS = [
    Column("queue", "Queue", "wfm_text", 14), Column("period", "Period", "wfm_text", 19),
    Column("offered", "Offered", "wfm_int", 9), Column("answered", "Answered", "wfm_int", 9),
    Column("abandoned", "Abandoned", "wfm_int", 9),
    Column("abandonment_rate", "Abandon rate", "wfm_pct", 9),
    Column("aht_seconds", "AHT (s)", "wfm_dec", 8),
    Column("answered_within", "Answered in SL", "wfm_int", 9),
    Column("short_abandoned", "Short abandons", "wfm_int", 9),
    Column("service_level", "Service level", "wfm_pct", 9),
    Column("asa_seconds", "ASA (s)", "wfm_dec", 8),
    Column("mean_wait_seconds", "Mean wait (s)", "wfm_dec", 8),
    Column("handling_hours", "Handling h", "wfm_hours", 9),
    Column("available_hours", "Available h", "wfm_hours", 9),
    Column("logged_in_hours", "Logged-in h", "wfm_hours", 9),
    Column("paid_hours", "Paid h", "wfm_hours", 9),
    Column("occupancy", "Occupancy", "wfm_pct", 9),
    Column("utilisation", "Utilisation", "wfm_pct", 9),
]


def period_words(report: KpiReport) -> str:
    """``2026-11-01 to 2026-11-22``, or "no data"."""
    if report.first is None or report.last is None:
        return "no data"
    return f"{report.first.isoformat()} to {report.last.isoformat()}"


def write_kpi_workbook(path: str | Path, cfg: CenterConfig, report: KpiReport) -> None:
    """The indicators on one sheet, the service-level formula and notes above them."""
    period = period_words(report)
    sheet = TableSheet(
        title="KPIs", heading=f"Indicators by {report.by}: {cfg.center.name}, {period}",
        table=report.table, columns=KPI_SHEET_COLUMNS,
        notes=[report.formula.capitalize() + ".",
               "Empty cells: not measurable from the inputs. " + "; ".join(report.notes)
               if report.notes else "Every figure was measurable from the inputs."])
    write_report(path, f"KPIs {cfg.center.name}", Footer(cfg.center.name, period), [sheet])
