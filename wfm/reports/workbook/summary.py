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
from wfm.reports.workbook.pages import finish_page, merge_across, print_setup, wrapped_height
from wfm.reports.workbook.styles import (
    AMBER_FILL,
    AMBER_FONT,
    GOOD_FILL,
    GOOD_FONT,
    SHORT_FILL,
    SHORT_FONT,
    Styles,
    cell_number,
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


#: Figures the Summary shows itself; the Solver sheet lists the rest of kpis.json.
SUMMARY_KEYS = {"status", "gap", "queues", "days", "horizon", "notes", "agents_scheduled",
                "shifts", "paid_hours", "required_hours", "scheduled_hours", "shortfall_hours",
                "intervals_short", "projected_service_level", "outbound_days", "activities",
                UNPLACED_KEY}
#: The Summary's columns: label, name, then six figures.
SUMMARY_WIDTHS = [26, 26, 14, 14, 14, 14, 14, 14]
#: Characters of 10-point text a line across the Summary holds (for wrapped notes).
SUMMARY_LINE_CHARACTERS = 125


def write_summary(wb: Workbook, st: Styles, title: str, cfg: CenterConfig,
                  agents: list[Agent], kpis: dict, period_days: list[date],
                  day_titles: dict[date, str], solver_title: str | None = None) -> None:
    """The Summary sheet on one printed page, every figure taken from ``kpis``
    (`wfm.reports.kpis`); the solver's other figures are on ``solver_title``."""
    ws = wb.create_sheet(title)
    set_widths(ws, SUMMARY_WIDTHS)
    print_setup(ws, one_page=True)
    ws.sheet_view.showGridLines = False
    c = st.cell
    period = (f"{period_days[0].isoformat()} to {period_days[-1].isoformat()} "
              f"({len(period_days)} days)") if period_days else "(empty)"
    status = kpis.get("status")
    pairs = [
        ("Center", c(ws, cfg.center.name, "wfm_text"),
         "Time zone", c(ws, cfg.center.timezone, "wfm_text")),
        ("Period", c(ws, period, "wfm_text"),
         "Interval (minutes)", c(ws, cfg.center.interval_minutes, "wfm_int")),
        ("Agents on roster", c(ws, len(agents), "wfm_int"),
         "Agents scheduled", c(ws, kpis["agents_scheduled"], "wfm_int")),
        ("Shifts", c(ws, kpis["shifts"], "wfm_int"),
         "Paid hours", c(ws, kpis["paid_hours"], "wfm_hours")),
        ("Solver status", c(ws, "" if status is None else str(status), "wfm_text_bold"),
         "Optimality gap", c(ws, cell_number(kpis.get("gap")), "wfm_pct")),
    ]
    rows: list[list[Any]] = [
        [c(ws, f"Schedule summary: {cfg.center.name}", "wfm_title")],
        [c(ws, "Coverage in agent-hours; service level projected per interval and weighted "
               "by offered contacts.", "wfm_subtitle")],
        [],
        *[[c(ws, left, "wfm_label"), left_value, None, c(ws, right, "wfm_label"), None,
           right_value] for left, left_value, right, right_value in pairs],
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
    outbound = kpis.get("outbound_days") or []
    if outbound:
        rows += [[], [c(ws, "Outbound by day (contacts; carried: planned, still waiting at "
                            "the day's end)", "wfm_section")]]
        rows.append([c(ws, h, "wfm_header") for h in
                     ["Campaign", "Date", "Planned", "Done", "Carried", "Past due",
                      "Planned h", "Scheduled h"]])
        for day in outbound:
            rows.append([
                c(ws, day["campaign"], "wfm_text"),
                c(ws, date.fromisoformat(day["date"]), "wfm_date"),
                c(ws, day["planned"], "wfm_dec"), c(ws, day["done"], "wfm_dec"),
                c(ws, day["carried"], "wfm_dec"), c(ws, day["past_due"], "wfm_dec"),
                c(ws, day["planned_agent_hours"], "wfm_hours"),
                c(ws, day["scheduled_agent_hours"], "wfm_hours"),
            ])
    rows += _activity_rows(st, ws, kpis)
    notes = [str(note) for note in kpis.get("notes") or []]
    wrapped: dict[int, float] = {}
    if notes:
        rows += [[], [c(ws, "Solver notes", "wfm_section")]]
        for note in notes:
            # one note a row, wrapped across the page: a long note makes the row taller,
            # never the page wider
            rows.append([c(ws, note, "wfm_note")])
            wrapped[len(rows)] = wrapped_height(note, SUMMARY_LINE_CHARACTERS)
    if solver_title is not None:
        rows += [[], [c(ws, "More solver and schedule figures: sheet " + solver_title,
                        "wfm_link", link=f"'{solver_title}'!A1")]]
    for number, height in wrapped.items():
        ws.row_dimensions[number].height = height
    for row in rows:
        ws.append(row)
    for number in wrapped:
        merge_across(ws, number, len(SUMMARY_WIDTHS))
    finish_page(ws, st.footer, len(rows), len(SUMMARY_WIDTHS))


def solver_items(kpis: dict) -> list[tuple[str, Any]]:
    """The kpis.json figures the Summary does not show, flattened to ``a.b`` keys."""
    return _flatten({k: v for k, v in kpis.items() if k not in SUMMARY_KEYS})


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
