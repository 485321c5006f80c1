"""The Solver sheet: the kpis.json figures the Summary does not show (objective, bounds,
penalties, times), one per row."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook

from wfm.reports.workbook.pages import finish_page, print_setup
from wfm.reports.workbook.styles import Styles, cell_number, set_widths
from wfm.reports.workbook.summary import solver_items


def write_solver_sheet(wb: Workbook, st: Styles, title: str, center: str, kpis: dict) -> None:
    """Every figure of ``kpis`` that the Summary leaves out, with its kpis.json key."""
    ws = wb.create_sheet(title)
    set_widths(ws, [34, 60])
    print_setup(ws, title_rows="3:3")
    ws.sheet_view.showGridLines = False
    c = st.cell
    rows: list[list[Any]] = [
        [c(ws, f"Solver and schedule figures: {center}", "wfm_title")], [],
        [c(ws, "Figure (kpis.json)", "wfm_header"), c(ws, "Value", "wfm_header")],
    ]
    for key, value in solver_items(kpis):
        number = cell_number(value) if not isinstance(value, bool) else None
        if number is not None:
            cell = c(ws, number, "wfm_dec" if isinstance(number, float) else "wfm_int")
        else:
            cell = c(ws, "" if value is None else str(value), "wfm_text")
        rows.append([c(ws, key, "wfm_text"), cell])
    for row in rows:
        ws.append(row)
    finish_page(ws, st.footer, len(rows), 2)
