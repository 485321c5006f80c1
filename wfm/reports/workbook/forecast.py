"""The Forecast sheet: the forecast the schedule was built for, open intervals only.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from wfm.calendar import interval_grid
from wfm.config import CenterConfig
from wfm.reports.workbook.pages import finish_page, print_setup
from wfm.reports.workbook.styles import Styles, cell_number, naive, set_widths

#: Rows above a table sheet's header: title and the note on what is left out.
HEADER_ROW = 3


def open_for_queue(cfg: CenterConfig, stamps: pd.Series, queues: pd.Series) -> np.ndarray:
    """True where the queue is open at the interval: inside opening hours, not a closed
    date of the center or of the queue (the calendar every stage plans with)."""
    if not len(stamps):
        return np.zeros(0, dtype=bool)
    local = stamps.dt.tz_convert(cfg.center.timezone)
    first, last = local.min().date(), local.max().date()
    grid = interval_grid(cfg.center, first, (last - first).days + 1)
    open_stamps = set(grid.loc[grid["is_open"], "interval_start"])
    is_open = local.isin(open_stamps).to_numpy()
    closed_dates = {q.id: set(q.closed_dates) for q in cfg.queues}
    dates = local.dt.date.to_numpy()
    queue_closed = np.array([day in closed_dates.get(str(queue), ())
                             for day, queue in zip(dates, queues.to_numpy(), strict=True)])
    return is_open & ~queue_closed


def write_forecast(wb: Workbook, st: Styles, title: str, cfg: CenterConfig,
                   forecast: pd.DataFrame, queue_names: dict[str, str]) -> None:
    """The forecast per queue and interval, leaving out the intervals a queue is closed
    with nothing forecast (nights, closed days: most of a week)."""
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
    print_setup(ws, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    table = forecast.sort_values([k for k in ("queue", "interval_start") if k in columns])
    numeric = [k for k in ("offered", "offered_low", "offered_high") if k in columns]
    nothing = (table[numeric].fillna(0.0) == 0).all(axis=1).to_numpy()
    closed = ~open_for_queue(cfg, table["interval_start"], table["queue"].astype(str))
    left_out = int((closed & nothing).sum())
    table = table[~(closed & nothing)]
    ws.append([c(ws, f"Forecast: {cfg.center.name}", "wfm_title")])
    ws.append([c(ws, f"Intervals when the queue is closed and nothing is forecast are left out "
                     f"({left_out} rows).", "wfm_subtitle")])
    ws.append([c(ws, h, "wfm_header") for h in header])
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
    last_row = HEADER_ROW + len(table)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(header))}{last_row}"
    finish_page(ws, st.footer, last_row, len(header))

