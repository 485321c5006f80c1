"""One sheet per day: a Gantt of every agent's shift by interval, and coverage per queue.
"""

from __future__ import annotations

import bisect
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from wfm.calendar import day_hours
from wfm.config import WEEKDAYS, CenterConfig
from wfm.reports.workbook.pages import finish_page, print_setup
from wfm.reports.workbook.styles import (
    ACTIVITY_CODES,
    ACTIVITY_PRIORITY,
    SHORT_FILL,
    SHORT_FONT,
    Styles,
    cell_number,
    cell_text,
    clock_text,
    days_later,
    set_widths,
    shift_label,
)
from wfm.roster import Agent


def day_title(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()].capitalize()} {day.isoformat()}"


def _day_intervals(cfg: CenterConfig, day: date, day_shifts: pd.DataFrame) -> pd.DatetimeIndex:
    """Interval starts shown on a day sheet: the day's opening hours (a range over midnight
    up to its close on the next date) widened to every shift of the day (a night shift to
    its end after midnight)."""
    zone = cfg.center.timezone
    step = cfg.center.interval_minutes
    midnight = pd.Timestamp(day).tz_localize(zone, nonexistent="shift_forward", ambiguous=True)
    bounds: list[pd.Timestamp] = []
    hours = day_hours(cfg.center, day)
    if hours:
        wall = pd.Timestamp(day)
        bounds += [(wall + pd.Timedelta(minutes=hours[0].open_minute)).tz_localize(
                       zone, nonexistent="shift_forward", ambiguous=True),
                   (wall + pd.Timedelta(minutes=hours[-1].close_minute)).tz_localize(
                       zone, nonexistent="shift_forward", ambiguous=False)]
    if len(day_shifts):
        bounds += [day_shifts["shift_start"].min(), day_shifts["shift_end"].max()]
    if not bounds:
        return pd.DatetimeIndex([], tz=zone)
    first, last = min(bounds), max(bounds)
    # Align to the grid counted from local midnight, in absolute time (DST-safe).
    step_ns = step * 60 * 1_000_000_000
    origin = midnight.value
    first_ns = origin + (first.value - origin) // step_ns * step_ns
    last_ns = origin + -((origin - last.value) // step_ns) * step_ns
    utc = pd.date_range(pd.Timestamp(first_ns, tz="UTC"), pd.Timestamp(last_ns, tz="UTC"),
                        freq=pd.Timedelta(minutes=step), inclusive="left")
    return utc.tz_convert(zone)


def _gantt(intervals: pd.DatetimeIndex, agent_rows: dict[str, int],
           activities: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per agent row and interval: activity priority (0 = none) and queue index (-1 = none)."""
    n = len(intervals)
    kind = np.zeros((len(agent_rows), n), dtype=np.int8)
    queue = np.full((len(agent_rows), n), -1, dtype=np.int16)
    if not n or not len(activities):
        return kind, queue
    starts = intervals.asi8
    for row in activities.itertuples(index=False):
        index = agent_rows.get(str(row.agent_id))
        if index is None:
            continue
        begin = pd.Timestamp(row.start).value
        end = pd.Timestamp(row.end).value
        first = max(int(np.searchsorted(starts, begin, side="right")) - 1, 0)
        last = int(np.searchsorted(starts, end, side="left"))
        if last <= first:
            continue
        priority = ACTIVITY_PRIORITY.get(str(row.activity), ACTIVITY_PRIORITY["other"])
        window = kind[index, first:last]
        higher = window < priority
        window[higher] = priority
        if priority == ACTIVITY_PRIORITY["work"]:
            queue[index, first:last][higher] = row.queue_index
    return kind, queue


_KIND_NAMES = {value: key for key, value in ACTIVITY_PRIORITY.items()}


def write_day(wb: Workbook, st: Styles, title: str, cfg: CenterConfig, day: date,
               agents: dict[str, Agent], day_shifts: pd.DataFrame, day_activities: pd.DataFrame,
               coverage: pd.DataFrame, queues: list[str], queue_names: dict[str, str]) -> None:
    """One day's sheet; ``coverage`` holds the rows of the day and of the day after (the
    sheet shows those of its own intervals, after midnight too)."""
    ws = wb.create_sheet(title)
    c = st.cell
    intervals = _day_intervals(cfg, day, day_shifts)
    day_coverage = coverage[coverage["interval_start"].isin(intervals)] if len(coverage) \
        else coverage
    fixed = ["Agent ID", "Name", "Team", "Shift", "Paid h"]
    n_fixed = len(fixed)
    fractional = bool(len(day_coverage)) and bool(
        (day_coverage[["required", "scheduled", "shortfall"]].astype(float) % 1 != 0).any().any())
    # narrow slots: a 13-hour day of quarter-hours prints one page wide at two thirds size
    slot_width = 3.6 if fractional else 2.4
    widths = [10, 20, 11, 10.5, 6.5] + [slot_width] * len(intervals)
    set_widths(ws, widths)
    header_row = 4
    # room for "00:00 +1" over the columns after midnight
    ws.row_dimensions[header_row].height = 44 if any(t.date() > day for t in intervals) else 34
    print_setup(ws, title_rows=f"1:{header_row}")
    ws.print_title_cols = "A:B"
    ws.freeze_panes = f"{get_column_letter(n_fixed + 1)}{header_row + 1}"
    ws.sheet_view.zoomScale = 90

    ordered = day_shifts.sort_values(["shift_start", "shift_end", "agent_id"])
    agent_ids = list(dict.fromkeys(str(a) for a in ordered["agent_id"]))
    agent_rows = {agent_id: i for i, agent_id in enumerate(agent_ids)}
    kind, queue_at = _gantt(intervals, agent_rows, day_activities)
    hour_start = [t.minute == 0 for t in intervals]
    slot_style = ["wfm_slot_hour" if h else "wfm_slot" for h in hour_start]
    kind_style = {
        k: [f"wfm_{name}_hour" if h else f"wfm_{name}" for h in hour_start]
        for k, name in _KIND_NAMES.items()
    }
    tags = [str(i + 1) for i in range(len(queues))]

    date_text = f"{day:%A %d %B %Y}"
    ws.append([c(ws, f"{date_text}: {cfg.center.name}", "wfm_title")])
    ws.append([c(ws, "Legend", "wfm_label"), c(ws, "Work (queue no.)", "wfm_legend_work"),
               c(ws, "Break (B)", "wfm_legend_break"), c(ws, "Lunch (L)", "wfm_legend_lunch"),
               c(ws, "Other (O)", "wfm_legend_other")])
    queue_legend = "Queues: " + "   ".join(f"{tag} = {queue_names[q]}"
                                           for tag, q in zip(tags, queues, strict=True))
    ws.append([c(ws, queue_legend if queues else "", "wfm_subtitle")])
    ws.append([c(ws, h, "wfm_header") for h in fixed]
              + [c(ws, clock_text(t) + days_later(day, t), "wfm_header_time")
                 for t in intervals])

    shift_of: dict[str, list] = {}
    for row in ordered.itertuples(index=False):
        shift_of.setdefault(str(row.agent_id), []).append(row)
    for agent_id in agent_ids:
        agent = agents.get(agent_id)
        rows = shift_of[agent_id]
        cells = [
            c(ws, agent_id, "wfm_text"),
            c(ws, agent.name if agent else "", "wfm_text"),
            c(ws, agent.team if agent else "", "wfm_text"),
            c(ws, ", ".join(shift_label(r.shift_start, r.shift_end) for r in rows), "wfm_text"),
            c(ws, sum(int(r.paid_minutes) for r in rows) / 60.0, "wfm_hours"),
        ]
        line_kind = kind[agent_rows[agent_id]]
        line_queue = queue_at[agent_rows[agent_id]]
        for j in range(len(intervals)):
            k = int(line_kind[j])
            if k == 0:
                cells.append(c(ws, None, slot_style[j]))
            elif k == ACTIVITY_PRIORITY["work"]:
                q = int(line_queue[j])
                cells.append(c(ws, tags[q] if q >= 0 else None, kind_style[k][j]))
            else:
                cells.append(c(ws, ACTIVITY_CODES[_KIND_NAMES[k]], kind_style[k][j]))
        ws.append(cells)

    row_number = header_row + len(agent_ids)
    ws.append([])
    ws.append([c(ws, "Coverage (agents per interval)", "wfm_section")])
    row_number += 2
    coverage_row = row_number  # the coverage and its charts start a printed page
    figures = {
        name: day_coverage.pivot_table(index="interval_start", columns="queue", values=name,
                                       aggfunc="sum")
        if len(day_coverage) else pd.DataFrame()
        for name in ("required", "scheduled", "shortfall")
    }
    number_style = "wfm_small_dec" if fractional else "wfm_small_int"
    shortfall_rows = []
    covered = set(day_coverage["queue"]) if len(day_coverage) else set()
    if not covered:
        ws.append([None, c(ws, "No coverage figures for this day.", "wfm_subtitle")])
        row_number += 1
    chart_rows: list[tuple[str, int, int]] = []  # queue, required row, scheduled row
    for tag, queue in zip(tags, queues, strict=True):
        if queue not in covered:
            continue
        for label in ("required", "scheduled", "shortfall"):
            table = figures[label]
            values = table[queue].reindex(intervals) if queue in table.columns \
                else pd.Series(np.nan, index=intervals)
            ws.append(
                [c(ws, queue, "wfm_text"), c(ws, f"{tag} = {queue_names[queue]}", "wfm_text"),
                 c(ws, label.capitalize(), "wfm_text_bold"), c(ws, None, "wfm_text"),
                 c(ws, None, "wfm_text")]
                + [c(ws, cell_number(v), number_style) for v in values.to_numpy()])
            row_number += 1
            if label == "shortfall":
                shortfall_rows.append(row_number)
                if np.nansum(figures["required"][queue].reindex(intervals).to_numpy()) or \
                        np.nansum(figures["scheduled"][queue].reindex(intervals).to_numpy()):
                    chart_rows.append((queue, row_number - 2, row_number - 1))
    if intervals.size and shortfall_rows:
        first_col = get_column_letter(n_fixed + 1)
        last_col = get_column_letter(n_fixed + len(intervals))
        ranges = " ".join(f"{first_col}{r}:{last_col}{r}" for r in shortfall_rows)
        ws.conditional_formatting.add(ranges, CellIsRule(
            operator="greaterThan", formula=["0"],
            fill=PatternFill("solid", fgColor=SHORT_FILL),
            font=Font(color=SHORT_FONT, bold=True)))
    last_row = add_day_charts(ws, chart_rows, queue_names, widths, header_row, n_fixed + 1,
                              n_fixed + len(intervals), row_number + 2) if intervals.size \
        else row_number
    finish_page(ws, st.footer, last_row, n_fixed + len(intervals),
                breaks_before=(coverage_row,) if agent_ids else ())


def activity_days(shifts: pd.DataFrame, activities: pd.DataFrame) -> pd.Series:
    """The shift date each activity belongs to (a night shift's activities stay with it)."""
    if not len(activities):
        return pd.Series(dtype=object, index=activities.index)
    spans = shifts[["agent_id", "date", "shift_start", "shift_end"]].copy()
    spans["date"] = spans["date"].map(lambda d: pd.Timestamp(d).date())
    spans = spans.sort_values("shift_start")
    result = pd.Series([None] * len(activities), index=activities.index, dtype=object)
    starts = activities[["agent_id", "start"]].reset_index()
    merged = pd.merge_asof(
        starts.sort_values("start"), spans.rename(columns={"shift_start": "start"}),
        on="start", by="agent_id", direction="backward")
    inside = merged["start"] < merged["shift_end"]
    result.loc[merged.loc[inside, "index"].to_numpy()] = merged.loc[inside, "date"].to_numpy()
    return result


#: Size of a day sheet's coverage chart, cm, and the sheet rows one takes (15 pt rows).
CHART_HEIGHT_CM = 6.5
CHART_ROWS = 14
CHARTS_PER_ROW = 3


def column_edges_cm(widths: list[float]) -> list[float]:
    """Where each column starts, cm from the sheet's left edge (Excel's column width: about
    7 pixels a character plus 5, at 96 pixels an inch)."""
    edges = [0.0]
    for width in widths:
        edges.append(edges[-1] + (int(width * 7 + 5)) / 96 * 2.54)
    return edges


def add_day_charts(ws: Any, chart_rows: list[tuple[str, int, int]],
                   queue_names: dict[str, str], widths: list[float], header_row: int,
                   first_col: int, last_col: int, top_row: int) -> int:
    """A line chart of required vs scheduled agents (the legend) per queue over the day's
    intervals, titled with the queue's name,
    three abreast from ``top_row``; returns the last sheet row the charts cover."""
    if not chart_rows:
        return top_row - 2
    edges = column_edges_cm(widths)
    width = min(16.0, max(8.0, edges[-1] / CHARTS_PER_ROW - 0.4))
    starts = [bisect.bisect_right(edges, k * edges[-1] / CHARTS_PER_ROW) - 1
              for k in range(CHARTS_PER_ROW)]
    categories = Reference(ws, min_col=first_col, max_col=last_col, min_row=header_row,
                           max_row=header_row)
    for index, (queue, required_row, scheduled_row) in enumerate(chart_rows):
        chart = LineChart()
        chart.title = cell_text(queue_names[queue])[:200]
        chart.y_axis.title = "Agents"
        chart.height, chart.width = CHART_HEIGHT_CM, width
        for row, label, colour in ((required_row, "Required", "C00000"),
                                   (scheduled_row, "Scheduled", "2F75B5")):
            chart.add_data(Reference(ws, min_col=first_col, max_col=last_col, min_row=row,
                                     max_row=row), from_rows=True, titles_from_data=False)
            series = chart.series[-1]
            series.tx = SeriesLabel(v=label)
            series.graphicalProperties.line.solidFill = colour
            series.graphicalProperties.line.width = 15000
            series.smooth = False
        chart.set_categories(categories)
        chart.legend.position = "b"
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        points = last_col - first_col + 1
        chart.x_axis.tickLblSkip = chart.x_axis.tickMarkSkip = max(1, points // 8)
        anchor_row = top_row + (index // CHARTS_PER_ROW) * CHART_ROWS
        anchor_col = get_column_letter(starts[index % CHARTS_PER_ROW] + 1)
        ws.add_chart(chart, f"{anchor_col}{anchor_row}")
    return top_row + -(-len(chart_rows) // CHARTS_PER_ROW) * CHART_ROWS - 1
