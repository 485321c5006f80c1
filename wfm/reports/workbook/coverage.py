"""The Coverage sheet: required vs scheduled per queue and interval, with a chart per queue.

Intervals when the queue is closed and nothing is required or scheduled are left out.
The charts beside the table are for the screen: the print area is the table (each day
sheet prints its own chart per queue).
"""

from __future__ import annotations

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill

from wfm.config import CenterConfig
from wfm.reports.workbook.forecast import HEADER_ROW, open_for_queue
from wfm.reports.workbook.pages import finish_page, print_setup
from wfm.reports.workbook.styles import (
    SHORT_FILL,
    SHORT_FONT,
    Styles,
    cell_number,
    cell_text,
    naive,
    set_widths,
)


def write_coverage(wb: Workbook, st: Styles, title: str, cfg: CenterConfig,
                    coverage: pd.DataFrame, queues: list[str],
                    queue_names: dict[str, str]) -> None:
    ws = wb.create_sheet(title)
    c = st.cell
    header = ["Interval start", "Queue", "Queue name", "Required", "Scheduled", "Shortfall",
              "Projected SL"]
    set_widths(ws, [17, 14, 26, 10, 10, 10, 12])
    print_setup(ws, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    table = coverage.copy()
    table["queue"] = table["queue"].astype(str)
    nothing = (table[["required", "scheduled"]].astype(float) == 0).all(axis=1).to_numpy()
    closed = ~open_for_queue(cfg, table["interval_start"], table["queue"])
    left_out = int((nothing & closed).sum())
    table = table[~(nothing & closed)]
    order = {q: i for i, q in enumerate(queues)}
    table["_order"] = table["queue"].map(order)
    table = table.sort_values(["_order", "interval_start"], kind="stable")
    fractional = bool(len(table)) and bool(
        (table[["required", "scheduled", "shortfall"]].astype(float) % 1 != 0).any().any())
    number = "wfm_dec" if fractional else "wfm_int"
    ws.append([c(ws, f"Coverage: {cfg.center.name}", "wfm_title")])
    ws.append([c(ws, "Agents per queue and interval. Intervals when the queue is closed and "
                     f"nothing is required or scheduled are left out ({left_out} rows).",
                 "wfm_subtitle")])
    ws.append([c(ws, h, "wfm_header") for h in header])
    blocks: list[tuple[str, int, int]] = []
    row_number = HEADER_ROW
    for queue, part in table.groupby("_order", sort=True):
        queue_id = queues[int(queue)]
        first = row_number + 1
        for stamp, required, scheduled, shortfall, level in zip(
                part["interval_start"], part["required"], part["scheduled"], part["shortfall"],
                part["projected_service_level"], strict=True):
            ws.append([c(ws, naive(stamp), "wfm_datetime"), c(ws, queue_id, "wfm_text"),
                       c(ws, queue_names[queue_id], "wfm_text"),
                       c(ws, cell_number(required), number), c(ws, cell_number(scheduled), number),
                       c(ws, cell_number(shortfall), number), c(ws, cell_number(level), "wfm_pct")])
            row_number += 1
        blocks.append((queue_id, first, row_number))
    finish_page(ws, st.footer, row_number, len(header))
    if row_number > HEADER_ROW:
        ws.auto_filter.ref = f"A{HEADER_ROW}:G{row_number}"
        ws.conditional_formatting.add(f"F{HEADER_ROW + 1}:F{row_number}", CellIsRule(
            operator="greaterThan", formula=["0"],
            fill=PatternFill("solid", fgColor=SHORT_FILL), font=Font(color=SHORT_FONT)))
    for index, (queue_id, first, last) in enumerate(blocks):
        chart = LineChart()
        chart.title = cell_text(f"{queue_names[queue_id]}: required vs scheduled")[:200]
        chart.y_axis.title = "Agents"
        chart.x_axis.number_format = "dd/mm hh:mm"
        chart.height, chart.width = 7.0, 22.0
        data = Reference(ws, min_col=4, max_col=5, min_row=first, max_row=last)
        chart.add_data(data, titles_from_data=False)
        chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        chart.series[0].tx = SeriesLabel(v="Required")
        chart.series[1].tx = SeriesLabel(v="Scheduled")
        for series, colour in zip(chart.series, ("C00000", "2F75B5"), strict=True):
            series.graphicalProperties.line.solidFill = colour
            series.graphicalProperties.line.width = 15000
            series.smooth = False
        chart.legend.position = "b"
        # openpyxl 3.1 leaves axes deleted unless told otherwise; Excel then hides them.
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        points = last - first + 1
        chart.x_axis.tickLblSkip = max(1, points // 8)
        chart.x_axis.tickMarkSkip = max(1, points // 8)
        ws.add_chart(chart, f"I{HEADER_ROW + 1 + index * 15}")


