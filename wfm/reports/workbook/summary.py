"""The Summary sheet: the center, the period, solver figures, coverage by queue and day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Font, PatternFill

from wfm.config import CenterConfig
from wfm.io.tables import UNPLACED_KEY
from wfm.reports.kpis import NOT_MODELLED
from wfm.reports.workbook.styles import (
    AMBER_FILL,
    AMBER_FONT,
    GOOD_FILL,
    GOOD_FONT,
    SHORT_FILL,
    SHORT_FONT,
    Styles,
    cell_number,
    print_setup,
    set_widths,
)
from wfm.roster import Agent


def queue_names(cfg: CenterConfig, queue_ids: Iterable[str]) -> dict[str, str]:
    names = {q.id: q.label for q in cfg.queues}
    for queue in queue_ids:
        names.setdefault(str(queue), str(queue))
    return names


def queue_order(cfg: CenterConfig, coverage: pd.DataFrame) -> list[str]:
    known = [q.id for q in cfg.queues]
    extra = sorted(set(coverage["queue"].astype(str)) - set(known)) if len(coverage) else []
    present = set(coverage["queue"].astype(str)) if len(coverage) else set()
    return [q for q in known if q in present] + extra


def _flatten(data: dict, prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            items.extend(_flatten(value, f"{name}."))
        elif isinstance(value, list | tuple):
            items.append((name, ", ".join(str(v) for v in value)))
        else:
            items.append((name, value))
    return items


def _level_cell(st: Styles, ws: Any, figures: dict, key: str, style: str) -> Any:
    """A service-level cell: the number, empty when unknown, "not modelled" when wfm has
    no service-level model for the queue's channel."""
    if not figures.get("service_level_modelled", True):
        return st.cell(ws, NOT_MODELLED, "wfm_text")
    return st.cell(ws, cell_number(figures.get(key)), style)


def write_summary(wb: Workbook, st: Styles, title: str, cfg: CenterConfig,
                  agents: list[Agent], kpis: dict, period_days: list[date],
                  day_titles: dict[date, str]) -> None:
    """The Summary sheet, every figure taken from ``kpis`` (`wfm.reports.kpis`)."""
    ws = wb.create_sheet(title)
    set_widths(ws, [26, 26, 14, 14, 14, 14, 14, 14, 14])
    print_setup(ws, landscape=False)
    ws.sheet_view.showGridLines = False
    c = st.cell
    period = (f"{period_days[0].isoformat()} to {period_days[-1].isoformat()} "
              f"({len(period_days)} days)") if period_days else "(empty)"
    status = kpis.get("status")
    rows: list[list[Any]] = [
        [c(ws, f"Schedule summary: {cfg.center.name}", "wfm_title")],
        [c(ws, "Coverage in agent-hours; service level projected per interval and weighted "
               "by offered contacts.", "wfm_subtitle")],
        [],
        [c(ws, "Center", "wfm_label"), c(ws, cfg.center.name, "wfm_text")],
        [c(ws, "Time zone", "wfm_label"), c(ws, cfg.center.timezone, "wfm_text")],
        [c(ws, "Period", "wfm_label"), c(ws, period, "wfm_text")],
        [c(ws, "Interval (minutes)", "wfm_label"), c(ws, cfg.center.interval_minutes, "wfm_int")],
        [c(ws, "Agents on roster", "wfm_label"), c(ws, len(agents), "wfm_int")],
        [c(ws, "Agents scheduled", "wfm_label"), c(ws, kpis["agents_scheduled"], "wfm_int")],
        [c(ws, "Shifts", "wfm_label"), c(ws, kpis["shifts"], "wfm_int")],
        [c(ws, "Paid hours", "wfm_label"), c(ws, kpis["paid_hours"], "wfm_hours")],
        [c(ws, "Solver status", "wfm_label"),
         c(ws, "" if status is None else str(status), "wfm_text_bold")],
        [c(ws, "Optimality gap", "wfm_label"), c(ws, cell_number(kpis.get("gap")), "wfm_pct")],
        [],
        [c(ws, "Coverage by queue", "wfm_section")],
    ]
    header = ["Queue", "Name", "Required h", "Scheduled h", "Shortfall h", "Intervals short",
              "Projected SL", "SL target"]
    rows.append([c(ws, h, "wfm_header") for h in header])
    names = queue_names(cfg, kpis["queues"])
    first_queue_row = len(rows) + 1
    for queue, figures in kpis["queues"].items():
        rows.append([
            c(ws, queue, "wfm_text"), c(ws, names[queue], "wfm_text"),
            c(ws, figures["required_hours"], "wfm_hours"),
            c(ws, figures["scheduled_hours"], "wfm_hours"),
            c(ws, figures["shortfall_hours"], "wfm_hours"),
            c(ws, figures["intervals_short"], "wfm_int"),
            _level_cell(st, ws, figures, "projected_service_level", "wfm_pct"),
            c(ws, cell_number(figures["service_level_target"]), "wfm_pct"),
        ])
    last_queue_row = len(rows)
    rows.append([
        c(ws, "Total", "wfm_text_bold"), c(ws, "", "wfm_text_bold"),
        c(ws, kpis["required_hours"], "wfm_hours_bold"),
        c(ws, kpis["scheduled_hours"], "wfm_hours_bold"),
        c(ws, kpis["shortfall_hours"], "wfm_hours_bold"),
        c(ws, kpis["intervals_short"], "wfm_int"),
        c(ws, cell_number(kpis["projected_service_level"]), "wfm_pct_bold"),
        c(ws, None, "wfm_text"),
    ])
    if last_queue_row >= first_queue_row:
        _highlight(ws, first_queue_row, last_queue_row)
    rows += [[], [c(ws, "Days", "wfm_section")]]
    rows.append([c(ws, h, "wfm_header") for h in
                 ["Day (sheet)", "Date", "Agents working", "Paid h", "Required h",
                  "Scheduled h", "Shortfall h"]])
    for day in sorted(day_titles):
        figures = kpis["days"].get(day.isoformat())
        if figures is None:
            continue
        rows.append([
            c(ws, day_titles[day], "wfm_link", link=f"'{day_titles[day]}'!A1"),
            c(ws, day, "wfm_date"),
            c(ws, figures["agents_working"], "wfm_int"),
            c(ws, figures["paid_hours"], "wfm_hours"),
            c(ws, figures["required_hours"], "wfm_hours"),
            c(ws, figures["scheduled_hours"], "wfm_hours"),
            c(ws, figures["shortfall_hours"], "wfm_hours"),
        ])
    rows += _activity_rows(st, ws, kpis)
    # Per-queue and per-day figures are in the tables above; the horizon is the period.
    shown = {"status", "gap", "queues", "days", "horizon", "activities", UNPLACED_KEY}
    extra = _flatten({k: v for k, v in kpis.items() if k not in shown})
    if extra:
        rows += [[], [c(ws, "Solver and schedule figures", "wfm_section")]]
        for key, value in extra:
            number = cell_number(value) if not isinstance(value, bool) else None
            cell = c(ws, number, "wfm_dec" if isinstance(number, float) else "wfm_int") \
                if number is not None else c(ws, "" if value is None else str(value), "wfm_text")
            rows.append([c(ws, key, "wfm_label"), cell])
    for row in rows:
        ws.append(row)


def _activity_rows(st: Styles, ws: Any, kpis: dict) -> list[list[Any]]:
    """The off-phone activities: sessions placed and not placed, hours per week, and each
    session not placed with its reason."""
    figures = kpis.get("activities")
    if not isinstance(figures, dict):
        return []
    c = st.cell
    weeks = list(figures["hours_by_week"])
    unplaced = kpis.get(UNPLACED_KEY) or []
    rows: list[list[Any]] = [[], [c(ws, "Off-phone activities (people-hours)", "wfm_section")]]
    rows.append([c(ws, h, "wfm_header") for h in
                 ["Activity", "Name", "Paid", "Sessions placed", "Not placed", "Hours"]
                 + [f"Week of {w}" for w in weeks]])
    for activity_id, row in figures["by_activity"].items():
        missed = sum(1 for entry in unplaced if entry.get("activity") == activity_id)
        rows.append([c(ws, activity_id, "wfm_text"), c(ws, row["name"], "wfm_text"),
                     c(ws, "yes" if row["paid"] else "no", "wfm_text"),
                     c(ws, row["sessions_placed"], "wfm_int"), c(ws, missed, "wfm_int"),
                     c(ws, row["hours"], "wfm_hours")]
                    + [c(ws, row["hours_by_week"].get(w, 0.0), "wfm_hours") for w in weeks])
    rows.append([c(ws, "Total", "wfm_text_bold"), c(ws, "", "wfm_text_bold"),
                 c(ws, "", "wfm_text_bold"),
                 c(ws, sum(r["sessions_placed"] for r in figures["by_activity"].values()),
                   "wfm_int"), c(ws, len(unplaced), "wfm_int"),
                 c(ws, figures["hours"], "wfm_hours_bold")]
                + [c(ws, figures["hours_by_week"][w], "wfm_hours_bold") for w in weeks])
    if unplaced:
        rows += [[], [c(ws, "Sessions not placed", "wfm_section")],
                 [c(ws, h, "wfm_header") for h in ["Session", "Activity", "Attendees", "Reason"]]]
        for entry in unplaced:
            rows.append([c(ws, str(entry.get("session", "")), "wfm_text"),
                         c(ws, str(entry.get("activity", "")), "wfm_text"),
                         c(ws, ", ".join(map(str, entry.get("attendees", []))), "wfm_text"),
                         c(ws, str(entry.get("reason", "")), "wfm_text")])
    return rows


def _highlight(ws: Any, first: int, last: int) -> None:
    """Red more than 5 points under target, amber under it, green at or above it; red
    shortfall hours."""
    sl = f"G{first}:G{last}"
    red = PatternFill("solid", fgColor=SHORT_FILL)
    level, target = f"G{first}", f"H{first}"
    ws.conditional_formatting.add(sl, FormulaRule(
        formula=[f"AND(ISNUMBER({level}),{level}<{target}-0.05)"],
        fill=red, font=Font(color=SHORT_FONT, bold=True), stopIfTrue=True))
    ws.conditional_formatting.add(sl, FormulaRule(
        formula=[f"AND(ISNUMBER({level}),{level}<{target})"],
        fill=PatternFill("solid", fgColor=AMBER_FILL), font=Font(color=AMBER_FONT),
        stopIfTrue=True))
    ws.conditional_formatting.add(sl, FormulaRule(
        formula=[f"AND(ISNUMBER({level}),{level}>={target})"],
        fill=PatternFill("solid", fgColor=GOOD_FILL), font=Font(color=GOOD_FONT)))
    ws.conditional_formatting.add(
        f"E{first}:E{last + 1}",
        CellIsRule(operator="greaterThan", formula=["0"], fill=red,
                   font=Font(color=SHORT_FONT, bold=True)))
