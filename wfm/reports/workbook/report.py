"""Report workbooks of tables (KPIs, adherence, forecast accuracy), printed like the
coordinators' workbook: a heading and notes above each table, the header row repeated
on every landscape page fitted to the width, a print area and a footer naming the center,
the period and the page; optionally a chart per group of rows on a sheet of its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.utils import get_column_letter

from wfm.io.files import atomic_write_with
from wfm.reports.workbook.pages import (
    LINE_POINTS,
    Footer,
    finish_page,
    merge_across,
    print_setup,
    wrapped_height,
)
from wfm.reports.workbook.styles import Styles, cell_number, cell_text, set_widths, sheet_title

#: Line colours of a chart's series, in order.
SERIES_COLOURS = ("1F3864", "C00000", "2F75B5", "70AD47", "ED7D31")
#: A chart's size (cm) and the sheet rows and columns it spans on the charts sheet.
CHART_CM = (15.0, 7.5)
CHART_ROWS = 16
CHART_COLUMNS = 9
CHARTS_PER_ROW = 2


@dataclass(frozen=True)
class Column:
    """A table column: its key in the frame, its header and its cell style."""

    key: str
    label: str
    style: str = "wfm_dec"
    width: float = 12.0


@dataclass(frozen=True)
class Chart:
    """A line chart per value of ``group``: the ``series`` columns over ``x``."""

    group: str
    x: str
    series: tuple[tuple[str, str], ...]  # (column key, legend label)
    y_title: str
    title: str = "{group}"


@dataclass
class TableSheet:
    """One table of a report and the words above it."""

    title: str
    heading: str
    table: pd.DataFrame
    columns: list[Column]
    notes: list[str] = field(default_factory=list)
    chart: Chart | None = None


def _value(value: Any, style: str) -> Any:
    """A plain value for a cell: numbers (None when missing), dates, text."""
    if style in ("wfm_text", "wfm_text_bold"):
        return "" if value is None or (isinstance(value, float) and math.isnan(value)) \
            else str(value)
    if style == "wfm_date":
        if isinstance(value, datetime | pd.Timestamp):
            return pd.Timestamp(value).date()
        if isinstance(value, date):
            return value
        return None if value is None or pd.isna(value) else date.fromisoformat(str(value))
    return cell_number(value)


def _notes_width(columns: Sequence[Column]) -> float:
    """Characters of 10-point text a line across the table holds."""
    return max(40.0, sum(c.width for c in columns) * 0.95)


def _write_table(wb: Workbook, st: Styles, sheet: TableSheet, title: str) -> int:
    """The table sheet; returns the header's row number."""
    ws = wb.create_sheet(title)
    c = st.cell
    set_widths(ws, [col.width for col in sheet.columns])
    header_row = len(sheet.notes) + 3
    print_setup(ws, title_rows=f"{header_row}:{header_row}")
    ws.freeze_panes = f"A{header_row + 1}"
    width = len(sheet.columns)
    line = _notes_width(sheet.columns)
    for offset, note in enumerate(sheet.notes):
        ws.row_dimensions[2 + offset].height = wrapped_height(note, line)
    if any(len(col.label) > col.width for col in sheet.columns):  # headers wrap: two lines
        ws.row_dimensions[header_row].height = 2 * LINE_POINTS + 4
    ws.append([c(ws, sheet.heading, "wfm_title")])
    for note in sheet.notes:
        ws.append([c(ws, note, "wfm_note")])
    ws.append([])
    ws.append([c(ws, col.label, "wfm_header") for col in sheet.columns])
    keys = [col.key for col in sheet.columns]
    styles = [col.style for col in sheet.columns]
    for record in sheet.table[keys].itertuples(index=False, name=None):
        ws.append([c(ws, _value(value, style), style)
                   for value, style in zip(record, styles, strict=True)])
    last_row = header_row + len(sheet.table)
    if len(sheet.table):
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(width)}{last_row}"
    for offset in range(len(sheet.notes)):
        merge_across(ws, 2 + offset, width)
    finish_page(ws, st.footer, last_row, width)
    return header_row


def _write_charts(wb: Workbook, st: Styles, sheet: TableSheet, data_title: str,
                  header_row: int, title: str) -> None:
    """A chart per group of the table's rows (rows of a group are contiguous)."""
    chart_spec = sheet.chart
    assert chart_spec is not None
    source = wb[data_title]
    ws = wb.create_sheet(title)
    set_widths(ws, [10.0] * (CHART_COLUMNS * CHARTS_PER_ROW))
    print_setup(ws)
    ws.sheet_view.showGridLines = False
    ws.append([st.cell(ws, f"{sheet.heading}: charts", "wfm_title")])
    keys = [col.key for col in sheet.columns]
    x_col = keys.index(chart_spec.x) + 1
    groups = sheet.table[chart_spec.group].astype(str).tolist()
    index = 0
    start = 0
    while start < len(groups):
        end = start
        while end + 1 < len(groups) and groups[end + 1] == groups[start]:
            end += 1
        first, last = header_row + 1 + start, header_row + 1 + end
        chart = LineChart()
        chart.title = cell_text(chart_spec.title.format(group=groups[start]))[:200]
        chart.y_axis.title = chart_spec.y_title
        chart.width, chart.height = CHART_CM
        for (key, label), colour in zip(chart_spec.series, SERIES_COLOURS, strict=False):
            column = keys.index(key) + 1
            chart.add_data(Reference(source, min_col=column, max_col=column, min_row=first,
                                     max_row=last), titles_from_data=False)
            series = chart.series[-1]
            series.tx = SeriesLabel(v=label)
            series.graphicalProperties.line.solidFill = colour
            series.graphicalProperties.line.width = 15000
            series.smooth = False
        chart.set_categories(Reference(source, min_col=x_col, min_row=first, max_row=last))
        chart.legend.position = "b"
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        row = 3 + (index // CHARTS_PER_ROW) * CHART_ROWS
        column = get_column_letter(1 + (index % CHARTS_PER_ROW) * CHART_COLUMNS)
        ws.add_chart(chart, f"{column}{row}")
        index += 1
        start = end + 1
    rows = 2 + -(-index // CHARTS_PER_ROW) * CHART_ROWS
    finish_page(ws, st.footer, rows, CHART_COLUMNS * CHARTS_PER_ROW)


def write_report(path: str | Path, title: str, footer: Footer,
                 sheets: Sequence[TableSheet]) -> None:
    """Write a report workbook of ``sheets`` to ``path`` atomically."""
    wb = Workbook(write_only=True)
    wb.properties.title = cell_text(title)[:200]
    wb.properties.creator = "wfm"
    st = Styles(wb, [])
    st.footer = footer
    taken: list[str] = []
    for sheet in sheets:
        name = sheet_title(sheet.title, taken)
        taken.append(name)
        header_row = _write_table(wb, st, sheet, name)
        if sheet.chart is not None and len(sheet.table):
            charts = sheet_title(f"{sheet.title} charts", taken)
            taken.append(charts)
            _write_charts(wb, st, sheet, name, header_row, charts)
    atomic_write_with(path, wb.save)
