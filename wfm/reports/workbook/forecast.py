"""The Forecast sheet: the forecast the schedule was built for.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from wfm.reports.workbook.styles import Styles, cell_number, naive, print_setup, set_widths


def write_forecast(wb: Workbook, st: Styles, title: str, forecast: pd.DataFrame,
                    queue_names: dict[str, str]) -> None:
    ws = wb.create_sheet(title)
    c = st.cell
    columns = list(forecast.columns)
    labels = {"interval_start": "Interval start", "queue": "Queue", "offered": "Offered",
              "aht_seconds": "AHT (s)", "offered_low": "Offered low",
              "offered_high": "Offered high", "model": "Model"}
    header = []
    for column in columns:
        header.append(labels.get(column, column))
        if column == "queue":
            header.append("Queue name")
    set_widths(ws, [17 if h == "Interval start" else 26 if h == "Queue name" else 13
                 for h in header])
    print_setup(ws, landscape=False, title_rows="1:1")
    ws.freeze_panes = "A2"
    ws.append([c(ws, h, "wfm_header") for h in header])
    table = forecast.sort_values([k for k in ("queue", "interval_start") if k in columns])
    for record in table.itertuples(index=False):
        cells = []
        for column, value in zip(columns, record, strict=True):
            if column == "interval_start" or isinstance(value, pd.Timestamp | datetime):
                cells.append(c(ws, naive(value), "wfm_datetime"))
            elif column == "queue":
                cells += [c(ws, str(value), "wfm_text"),
                          c(ws, queue_names.get(str(value), str(value)), "wfm_text")]
            elif isinstance(value, int | float | np.number) and not isinstance(value, bool):
                cells.append(c(ws, cell_number(value), "wfm_dec"))
            else:
                cells.append(c(ws, "" if value is None else str(value), "wfm_text"))
        ws.append(cells)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(table) + 1}"


