"""The simulation workbook (`wfm simulate --xlsx`): the terminal's figures for a spreadsheet.

Sheets: ``By day`` (per queue and day, the rows whose projection lies outside the
simulation's confidence interval filled amber), ``By queue`` (the horizon) and
``Disagreements`` (every queue-interval whose projection lies outside the interval's
confidence interval). Written atomically.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from wfm.io.files import atomic_write_with

_PERCENT = ("service_level", "abandon_rate", "occupancy", "projected_service_level",
            "service_level_target")
_AMBER = PatternFill("solid", fgColor="FFE699")


def _value(value: object) -> object:
    """A cell value: NaN is an empty cell, timestamps lose their zone."""
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime() if value.tzinfo else value
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _sheet(book: Workbook, title: str, table: pd.DataFrame, flag: str | None = None) -> None:
    ws = book.create_sheet(title)
    ws.append(list(table.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in table.itertuples(index=False):
        ws.append([_value(v) for v in row])
    for index, column in enumerate(table.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(10, len(column) + 2)
        base = column.removesuffix("_ci95")
        number_format = ("0.0%" if base in _PERCENT else
                         "yyyy-mm-dd hh:mm" if column == "interval_start" else
                         "yyyy-mm-dd" if column == "date" else "0.0")
        for cells in ws.iter_rows(min_row=2, min_col=index, max_col=index):
            cells[0].number_format = number_format
    if flag is not None:
        flagged = list(table[flag])
        for offset, marked in enumerate(flagged, start=2):
            if marked:
                for cell in ws[offset]:
                    cell.fill = _AMBER
    ws.freeze_panes = "C2"


def write_simulation_workbook(path: str | Path, days: pd.DataFrame, queues: pd.DataFrame,
                              outside: pd.DataFrame) -> Path:
    """Write the three sheets to ``path`` atomically; returns ``path``."""
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "By day", days, flag="projection_outside_ci")
    _sheet(book, "By queue", queues)
    _sheet(book, "Disagreements", outside)
    atomic_write_with(path, lambda temp: book.save(temp))
    return Path(path)
