"""The coordinators' workbook: one XLSX with the schedule, a Gantt per day and coverage.

`write_workbook` writes, atomically, the sheets Summary, Schedule, one sheet per day,
Coverage, Forecast (when a forecast is given) and Rules. The workbook is built with
openpyxl's write-only mode and shared named styles so that 300 agents over a week at
15-minute intervals is written in seconds. Every value is a plain value (no formulas), so
the figures read back with openpyxl are the figures a coordinator sees.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from copy import copy
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.properties import PageSetupProperties

from wfm.calendar import closed_dates
from wfm.config import WEEKDAYS, CenterConfig, format_clock
from wfm.io import atomic_write_with
from wfm.roster import Agent

SHEET_TITLE_MAX = 31
_FORBIDDEN_IN_TITLE = re.compile(r"[\[\]:*?/\\]")
_RESERVED_TITLES = {"history"}
# Characters XML 1.0 cannot carry; openpyxl refuses them in cell text.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CELL_TEXT_MAX = 32767

ACTIVITY_PRIORITY = {"work": 1, "other": 2, "lunch": 3, "break": 4}
"""When two activities share an interval the cell shows the higher one (a break wins)."""
ACTIVITY_CODES = {"break": "B", "lunch": "L", "other": "O"}
ACTIVITY_COLOURS = {"work": "A9D08E", "break": "FFD966", "lunch": "F4B084", "other": "9DC3E6"}
TEMPLATE_COLOURS = (
    "DDEBF7", "E2EFDA", "FFF2CC", "FCE4D6", "EDE2F6", "D9F2F0", "F2E0EC", "E7E6E6",
    "FFE699", "C9DDF2",
)
_HEADER_FILL = "1F3864"
_SHORT_FILL, _SHORT_FONT = "FFC7CE", "9C0006"
_AMBER_FILL, _AMBER_FONT = "FFEB9C", "9C5700"
_GOOD_FILL, _GOOD_FONT = "C6EFCE", "006100"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HOURS_FORMAT = "0.00"
PERCENT_FORMAT = "0.0%"


# ----------------------------------------------------------------------------- names, text

def sheet_title(name: str, taken: Iterable[str] = ()) -> str:
    """A sheet name Excel accepts for ``name``, unique among ``taken`` (case-insensitive).

    Forbidden characters ``[]:*?/\\`` become ``-``, control characters are dropped, leading
    and trailing apostrophes are removed, the result is cut to 31 characters, an empty or
    reserved name (``History``) gets a replacement, and a clash gets a ``(2)``-style suffix.
    """
    text = _ILLEGAL_XML.sub("", _FORBIDDEN_IN_TITLE.sub("-", str(name)))
    text = re.sub(r"\s+", " ", text).strip().strip("'").strip() or "Sheet"
    if text.lower() in _RESERVED_TITLES:
        text = f"{text} sheet"
    text = text[:SHEET_TITLE_MAX].rstrip().rstrip("'")
    used = {t.lower() for t in taken}
    candidate, number = text, 2
    while candidate.lower() in used:
        suffix = f" ({number})"
        candidate = text[: SHEET_TITLE_MAX - len(suffix)].rstrip().rstrip("'") + suffix
        number += 1
    return candidate


def _text(value: object) -> str:
    """Cell text XML can carry, within Excel's length limit."""
    return _ILLEGAL_XML.sub("", str(value))[:_CELL_TEXT_MAX]


def _naive(stamp: Any) -> datetime | None:
    """Wall-clock local time without zone (Excel has no time zones)."""
    if stamp is None or (not isinstance(stamp, datetime) and pd.isna(stamp)):
        return None
    stamp = pd.Timestamp(stamp)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.to_pydatetime()


def _number(value: Any) -> float | int | None:
    """A plain Python number for a cell, or None for missing values."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or math.isinf(number):
        return None
    return int(number) if number.is_integer() else number


def _clock(stamp: pd.Timestamp) -> str:
    return f"{stamp.hour:02d}:{stamp.minute:02d}"


def shift_label(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """``08:00-16:30``: local wall-clock start and end of a shift."""
    return f"{_clock(start)}-{_clock(end)}"


def _skills_text(agent: Agent) -> str:
    return "; ".join(name if level == 1.0 else f"{name}:{level:g}"
                     for name, level in agent.skills.items())


# ----------------------------------------------------------------------------- styles

class _Styles:
    """Named styles registered once on the workbook; cells refer to them by name."""

    def __init__(self, wb: Workbook, templates: Sequence[str]) -> None:
        thin = Side(style="thin", color="BFBFBF")
        hour = Side(style="thin", color="7F7F7F")
        grid = Border(left=thin, right=thin, top=thin, bottom=thin)
        hour_grid = Border(left=hour, right=thin, top=thin, bottom=thin)
        white = Font(name="Calibri", size=10, bold=True, color="FFFFFF")
        header_fill = PatternFill("solid", fgColor=_HEADER_FILL)
        self.wb = wb
        self.template_style: dict[str, str] = {}
        specs: dict[str, dict[str, Any]] = {
            "wfm_title": {"font": Font(name="Calibri", size=14, bold=True, color=_HEADER_FILL)},
            "wfm_subtitle": {"font": Font(name="Calibri", size=10, italic=True, color="595959")},
            "wfm_section": {"font": Font(name="Calibri", size=11, bold=True, color=_HEADER_FILL)},
            "wfm_header": {"font": white, "fill": header_fill, "border": grid,
                           "alignment": Alignment(horizontal="center", vertical="center",
                                                  wrap_text=True)},
            "wfm_header_time": {"font": Font(name="Calibri", size=8, bold=True, color="FFFFFF"),
                                "fill": header_fill, "border": grid,
                                "alignment": Alignment(horizontal="center", vertical="bottom",
                                                       text_rotation=90)},
            "wfm_label": {"font": Font(name="Calibri", size=10, bold=True)},
            "wfm_text": {"font": Font(name="Calibri", size=10), "border": grid},
            "wfm_text_bold": {"font": Font(name="Calibri", size=10, bold=True), "border": grid},
            "wfm_int": {"font": Font(name="Calibri", size=10), "border": grid,
                        "number_format": "0"},
            "wfm_dec": {"font": Font(name="Calibri", size=10), "border": grid,
                        "number_format": "0.0##"},
            "wfm_hours": {"font": Font(name="Calibri", size=10), "border": grid,
                          "number_format": HOURS_FORMAT},
            "wfm_hours_bold": {"font": Font(name="Calibri", size=10, bold=True), "border": grid,
                               "number_format": HOURS_FORMAT},
            "wfm_pct": {"font": Font(name="Calibri", size=10), "border": grid,
                        "number_format": PERCENT_FORMAT},
            "wfm_pct_bold": {"font": Font(name="Calibri", size=10, bold=True), "border": grid,
                             "number_format": PERCENT_FORMAT},
            "wfm_datetime": {"font": Font(name="Calibri", size=10), "border": grid,
                             "number_format": DATETIME_FORMAT},
            "wfm_date": {"font": Font(name="Calibri", size=10), "border": grid,
                         "number_format": "yyyy-mm-dd"},
            "wfm_link": {"font": Font(name="Calibri", size=10, color="0563C1", underline="single"),
                         "border": grid},
            "wfm_off": {"font": Font(name="Calibri", size=10, color="808080"),
                        "fill": PatternFill("solid", fgColor="F2F2F2"), "border": grid,
                        "alignment": Alignment(horizontal="center")},
            "wfm_slot": {"border": grid},
            "wfm_slot_hour": {"border": hour_grid},
            "wfm_small_int": {"font": Font(name="Calibri", size=8), "border": grid,
                              "number_format": "0", "alignment": Alignment(horizontal="center")},
            "wfm_small_dec": {"font": Font(name="Calibri", size=8), "border": grid,
                              "number_format": "0.#", "alignment": Alignment(horizontal="center")},
        }
        for activity, colour in ACTIVITY_COLOURS.items():
            for suffix, border in (("", grid), ("_hour", hour_grid)):
                specs[f"wfm_{activity}{suffix}"] = {
                    "font": Font(name="Calibri", size=7, color="404040"),
                    "fill": PatternFill("solid", fgColor=colour), "border": border,
                    "alignment": Alignment(horizontal="center"),
                }
            specs[f"wfm_legend_{activity}"] = {
                "font": Font(name="Calibri", size=10, bold=True),
                "fill": PatternFill("solid", fgColor=colour), "border": grid,
                "alignment": Alignment(horizontal="center"),
            }
        for index, template in enumerate(templates):
            name = f"wfm_shift_{index}"
            specs[name] = {
                "font": Font(name="Calibri", size=10), "border": grid,
                "fill": PatternFill("solid",
                                    fgColor=TEMPLATE_COLOURS[index % len(TEMPLATE_COLOURS)]),
                "alignment": Alignment(horizontal="center"),
            }
            self.template_style[template] = name
        self._arrays: dict[str, Any] = {}
        for name, spec in specs.items():
            style = NamedStyle(name=name)
            for key, value in spec.items():
                setattr(style, key, value)
            wb.add_named_style(style)
            # What `cell.style = name` computes, once per style rather than per cell.
            self._arrays[name] = style.as_tuple()

    def cell(self, ws: Any, value: Any, style: str | None = None,
             link: str | None = None) -> WriteOnlyCell:
        """A write-only cell; text never turns into a formula; ``link`` is a place in the
        workbook (``'Sheet'!A1``)."""
        if isinstance(value, str):
            value = _text(value)
        cell = WriteOnlyCell(ws, value=value)
        if cell.data_type == "f":  # a name such as "=SUM(...)" stays text
            cell.data_type = "s"
        if style:
            cell._style = copy(self._arrays[style])
        if link:
            cell.hyperlink = Hyperlink(ref="A1", location=link)
        return cell


def _widths(ws: Any, widths: Sequence[float], start: int = 1) -> None:
    for offset, width in enumerate(widths):
        ws.column_dimensions[get_column_letter(start + offset)].width = width


def _print_setup(ws: Any, landscape: bool = True, title_rows: str | None = None) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    if title_rows:
        ws.print_title_rows = title_rows


# ----------------------------------------------------------------------------- figures

def _queue_names(cfg: CenterConfig, queue_ids: Iterable[str]) -> dict[str, str]:
    names = {q.id: q.label for q in cfg.queues}
    for queue in queue_ids:
        names.setdefault(str(queue), str(queue))
    return names


def _queue_order(cfg: CenterConfig, coverage: pd.DataFrame) -> list[str]:
    known = [q.id for q in cfg.queues]
    extra = sorted(set(coverage["queue"].astype(str)) - set(known)) if len(coverage) else []
    present = set(coverage["queue"].astype(str)) if len(coverage) else set()
    return [q for q in known if q in present] + extra


def _weighted(coverage: pd.DataFrame, forecast: pd.DataFrame | None) -> pd.DataFrame:
    """Coverage with a ``weight`` column: forecast offered contacts, else required agents."""
    table = coverage.copy()
    table["queue"] = table["queue"].astype(str)
    if forecast is not None and len(forecast) and "offered" in forecast.columns:
        offered = forecast[["interval_start", "queue", "offered"]].copy()
        offered["queue"] = offered["queue"].astype(str)
        # One weight per interval and queue, so the merge never repeats coverage rows.
        offered = offered.groupby(["interval_start", "queue"], as_index=False)["offered"].sum()
        table = table.merge(offered, on=["interval_start", "queue"], how="left")
        table["weight"] = table["offered"].fillna(0.0)
    else:
        table["weight"] = table["required"].astype(float)
    return table


def weighted_level(table: pd.DataFrame) -> float:
    """Projected service level of a weighted coverage table (NaN when none is known).

    Intervals are weighted by ``weight``; with no weight at all, the plain mean.
    """
    level = table["projected_service_level"].astype(float)
    valid = level.notna() & (table["weight"] > 0)
    weight = table["weight"][valid]
    if weight.sum() > 0:
        return float((level[valid] * weight).sum() / weight.sum())
    return float(level.mean()) if level.notna().any() else float("nan")


def queue_summary(cfg: CenterConfig, coverage: pd.DataFrame,
                  forecast: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-queue totals of a coverage table, as shown on the Summary sheet.

    Returns columns ``queue, name, required_hours, scheduled_hours, shortfall_hours``
    (agent-hours: interval figures times the interval length), ``intervals_short`` (count
    with shortfall > 0), ``projected_service_level`` (interval figures weighted by the
    forecast's offered contacts when given, else by required agents) and
    ``service_level_target``; one row per queue in config order.
    """
    hours = cfg.center.interval_minutes / 60.0
    names = _queue_names(cfg, coverage["queue"].astype(str) if len(coverage) else [])
    targets = {q.id: q.service_level_target for q in cfg.queues}
    table = _weighted(coverage, forecast)
    rows = []
    for queue in _queue_order(cfg, coverage):
        part = table[table["queue"] == queue]
        projected = weighted_level(part)
        rows.append({
            "queue": queue,
            "name": names[queue],
            "required_hours": float(part["required"].sum()) * hours,
            "scheduled_hours": float(part["scheduled"].sum()) * hours,
            "shortfall_hours": float(part["shortfall"].sum()) * hours,
            "intervals_short": int((part["shortfall"] > 0).sum()),
            "projected_service_level": projected,
            "service_level_target": targets.get(queue, float("nan")),
        })
    return pd.DataFrame(rows, columns=[
        "queue", "name", "required_hours", "scheduled_hours", "shortfall_hours",
        "intervals_short", "projected_service_level", "service_level_target",
    ])


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


def _kpi(kpis: dict, *keys: str) -> Any:
    for key in keys:
        if key in kpis and kpis[key] is not None:
            return kpis[key]
        solver = kpis.get("solver")
        if isinstance(solver, dict) and solver.get(key) is not None:
            return solver[key]
    return None


def _days(shifts: pd.DataFrame, coverage: pd.DataFrame) -> list[date]:
    found: set[date] = set()
    if len(shifts):
        found |= {pd.Timestamp(d).date() for d in shifts["date"]}
    if len(coverage):
        found |= {pd.Timestamp(t).date() for t in coverage["interval_start"]}
    return sorted(found)


def _horizon_days(kpis: dict) -> list[date]:
    """Every date of ``kpis["horizon"]`` (``start``, ``days``), or none when not recorded."""
    horizon = kpis.get("horizon")
    if not isinstance(horizon, dict):
        return []
    try:
        start = date.fromisoformat(str(horizon["start"]))
        count = int(horizon["days"])
    except (KeyError, TypeError, ValueError):
        return []
    return [start + timedelta(days=d) for d in range(max(count, 0))]


def _day_title(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()].capitalize()} {day.isoformat()}"


# ----------------------------------------------------------------------------- sheets

def _write_summary(wb: Workbook, st: _Styles, title: str, cfg: CenterConfig,
                   agents: list[Agent], shifts: pd.DataFrame, coverage: pd.DataFrame,
                   kpis: dict, forecast: pd.DataFrame | None, period_days: list[date],
                   day_titles: dict[date, str]) -> None:
    ws = wb.create_sheet(title)
    _widths(ws, [26, 26, 14, 14, 14, 14, 14, 14, 14])
    _print_setup(ws, landscape=False)
    ws.sheet_view.showGridLines = False
    c = st.cell
    summary = queue_summary(cfg, coverage, forecast)
    paid_hours = float(shifts["paid_minutes"].sum()) / 60.0 if len(shifts) else 0.0
    days = sorted(day_titles)
    period = (f"{period_days[0].isoformat()} to {period_days[-1].isoformat()} "
              f"({len(period_days)} days)") if period_days else "(empty)"
    status = _kpi(kpis, "status", "solver_status")
    gap = _number(_kpi(kpis, "gap", "relative_gap"))
    rows: list[list[Any]] = [
        [c(ws, f"Schedule summary: {cfg.center.name}", "wfm_title")],
        [c(ws, "Coverage in agent-hours; service level projected per interval.",
           "wfm_subtitle")],
        [],
        [c(ws, "Center", "wfm_label"), c(ws, cfg.center.name, "wfm_text")],
        [c(ws, "Time zone", "wfm_label"), c(ws, cfg.center.timezone, "wfm_text")],
        [c(ws, "Period", "wfm_label"), c(ws, period, "wfm_text")],
        [c(ws, "Interval (minutes)", "wfm_label"), c(ws, cfg.center.interval_minutes, "wfm_int")],
        [c(ws, "Agents on roster", "wfm_label"), c(ws, len(agents), "wfm_int")],
        [c(ws, "Agents scheduled", "wfm_label"),
         c(ws, int(shifts["agent_id"].nunique()) if len(shifts) else 0, "wfm_int")],
        [c(ws, "Shifts", "wfm_label"), c(ws, len(shifts), "wfm_int")],
        [c(ws, "Paid hours", "wfm_label"), c(ws, paid_hours, "wfm_hours")],
        [c(ws, "Solver status", "wfm_label"),
         c(ws, "" if status is None else str(status), "wfm_text_bold")],
        [c(ws, "Optimality gap", "wfm_label"), c(ws, gap, "wfm_pct")],
        [],
        [c(ws, "Coverage by queue", "wfm_section")],
    ]
    header = ["Queue", "Name", "Required h", "Scheduled h", "Shortfall h", "Intervals short",
              "Projected SL", "SL target"]
    rows.append([c(ws, h, "wfm_header") for h in header])
    first_queue_row = len(rows) + 1
    for item in summary.itertuples(index=False):
        rows.append([
            c(ws, item.queue, "wfm_text"), c(ws, item.name, "wfm_text"),
            c(ws, item.required_hours, "wfm_hours"), c(ws, item.scheduled_hours, "wfm_hours"),
            c(ws, item.shortfall_hours, "wfm_hours"), c(ws, item.intervals_short, "wfm_int"),
            c(ws, _number(item.projected_service_level), "wfm_pct"),
            c(ws, _number(item.service_level_target), "wfm_pct"),
        ])
    last_queue_row = len(rows)
    overall = weighted_level(_weighted(coverage, forecast)) if len(coverage) else float("nan")
    rows.append([
        c(ws, "Total", "wfm_text_bold"), c(ws, "", "wfm_text_bold"),
        c(ws, float(summary["required_hours"].sum()), "wfm_hours_bold"),
        c(ws, float(summary["scheduled_hours"].sum()), "wfm_hours_bold"),
        c(ws, float(summary["shortfall_hours"].sum()), "wfm_hours_bold"),
        c(ws, int(summary["intervals_short"].sum()), "wfm_int"),
        c(ws, _number(overall), "wfm_pct_bold"), c(ws, None, "wfm_text"),
    ])
    if last_queue_row >= first_queue_row:
        sl = f"G{first_queue_row}:G{last_queue_row}"
        red = PatternFill("solid", fgColor=_SHORT_FILL)
        level, target = f"G{first_queue_row}", f"H{first_queue_row}"
        # Red more than 5 points under target, amber under it, green at or above it.
        ws.conditional_formatting.add(sl, FormulaRule(
            formula=[f"AND(ISNUMBER({level}),{level}<{target}-0.05)"],
            fill=red, font=Font(color=_SHORT_FONT, bold=True), stopIfTrue=True))
        ws.conditional_formatting.add(sl, FormulaRule(
            formula=[f"AND(ISNUMBER({level}),{level}<{target})"],
            fill=PatternFill("solid", fgColor=_AMBER_FILL), font=Font(color=_AMBER_FONT),
            stopIfTrue=True))
        ws.conditional_formatting.add(sl, FormulaRule(
            formula=[f"AND(ISNUMBER({level}),{level}>={target})"],
            fill=PatternFill("solid", fgColor=_GOOD_FILL), font=Font(color=_GOOD_FONT)))
        ws.conditional_formatting.add(
            f"E{first_queue_row}:E{last_queue_row + 1}",
            CellIsRule(operator="greaterThan", formula=["0"], fill=red,
                       font=Font(color=_SHORT_FONT, bold=True)))
    rows += [[], [c(ws, "Days", "wfm_section")]]
    rows.append([c(ws, h, "wfm_header") for h in
                 ["Day (sheet)", "Date", "Agents working", "Paid h", "Required h",
                  "Scheduled h", "Shortfall h"]])
    hours = cfg.center.interval_minutes / 60.0
    cover_day = coverage["interval_start"].map(lambda t: t.date()) if len(coverage) \
        else pd.Series(dtype=object)
    shift_day = shifts["date"].map(lambda d: pd.Timestamp(d).date()) if len(shifts) \
        else pd.Series(dtype=object)
    for day in days:
        on_day = shifts[shift_day == day] if len(shifts) else shifts
        cov = coverage[cover_day == day] if len(coverage) else coverage
        rows.append([
            c(ws, day_titles[day], "wfm_link", link=f"'{day_titles[day]}'!A1"),
            c(ws, day, "wfm_date"),
            c(ws, int(on_day["agent_id"].nunique()) if len(on_day) else 0, "wfm_int"),
            c(ws, float(on_day["paid_minutes"].sum()) / 60.0 if len(on_day) else 0.0,
              "wfm_hours"),
            c(ws, float(cov["required"].sum()) * hours if len(cov) else 0.0, "wfm_hours"),
            c(ws, float(cov["scheduled"].sum()) * hours if len(cov) else 0.0, "wfm_hours"),
            c(ws, float(cov["shortfall"].sum()) * hours if len(cov) else 0.0, "wfm_hours"),
        ])
    # Per-queue figures are in the table above; the horizon is the period.
    shown = {"status", "solver_status", "gap", "relative_gap", "queues", "horizon"}
    extra = [(k, v) for k, v in _flatten({k: v for k, v in kpis.items() if k not in shown})]
    if extra:
        rows += [[], [c(ws, "Solver and schedule figures", "wfm_section")]]
        for key, value in extra:
            number = _number(value) if not isinstance(value, bool) else None
            cell = c(ws, number, "wfm_dec" if isinstance(number, float) else "wfm_int") \
                if number is not None else c(ws, "" if value is None else str(value), "wfm_text")
            rows.append([c(ws, key, "wfm_label"), cell])
    for row in rows:
        ws.append(row)


def _write_schedule(wb: Workbook, st: _Styles, title: str, cfg: CenterConfig,
                    agents: list[Agent], shifts: pd.DataFrame, days: list[date]) -> None:
    ws = wb.create_sheet(title)
    c = st.cell
    fixed = ["Agent ID", "Name", "Team", "Contract", "Skills", "Languages"]
    # Weekly paid hours per calendar week (Monday to Sunday, as the labor rules count
    # them): one column when the horizon lies in one week, else one per week and a total.
    weeks: list[list[date]] = []
    for day in days:
        if not weeks or day.weekday() == 0:
            weeks.append([])
        weeks[-1].append(day)
    weeks = weeks or [[]]
    paid_labels = ["Paid h"] if len(weeks) == 1 else \
        [f"Paid h wk {week[0]:%d/%m}" for week in weeks] + ["Paid h total"]
    tail = ["Days", *paid_labels, "Min h", "Max h"]
    _widths(ws, [11, 26, 14, 12, 22, 10] + [12.5] * len(days) + [7]
            + [9 if len(weeks) == 1 else 11] * len(paid_labels) + [8, 8])
    _print_setup(ws, landscape=True, title_rows="3:3")
    ws.print_title_cols = "A:B"
    ws.freeze_panes = "C4"
    n_cols = len(fixed) + len(days) + len(tail)
    by_agent: dict[str, dict[date, list[tuple]]] = {}
    for row in shifts.sort_values("shift_start").itertuples(index=False):
        day = pd.Timestamp(row.date).date()
        by_agent.setdefault(str(row.agent_id), {}).setdefault(day, []).append(
            (shift_label(row.shift_start, row.shift_end), str(getattr(row, "template", "")),
             int(row.paid_minutes)))
    roster = list(agents)
    known = {a.agent_id for a in roster}
    orphans = sorted(set(by_agent) - known)
    legend = [None, c(ws, "Shift templates:", "wfm_label")]
    legend += [c(ws, t, style) for t, style in st.template_style.items()]
    ws.append([c(ws, f"Schedule: {cfg.center.name}", "wfm_title")])
    ws.append(legend[: n_cols])
    header = fixed + [f"{WEEKDAYS[d.weekday()].capitalize()} {d:%d/%m}" for d in days] + tail
    ws.append([c(ws, h, "wfm_header") for h in header])
    contracts = {k.id: k for k in cfg.contracts}
    last_row = 3
    index = {a.agent_id: a for a in roster}
    for agent_id in [a.agent_id for a in roster] + orphans:
        agent = index.get(agent_id)
        planned = by_agent.get(agent_id, {})
        cells = [c(ws, agent_id, "wfm_text")]
        if agent is not None:
            cells += [c(ws, agent.name, "wfm_text"), c(ws, agent.team, "wfm_text"),
                      c(ws, agent.contract, "wfm_text"), c(ws, _skills_text(agent), "wfm_text"),
                      c(ws, ", ".join(agent.languages), "wfm_text")]
        else:
            cells += [c(ws, "", "wfm_text") for _ in range(5)]
        paid: dict[date, int] = {}
        for day in days:
            entries = planned.get(day)
            if not entries:
                cells.append(c(ws, "OFF", "wfm_off"))
                continue
            paid[day] = sum(e[2] for e in entries)
            style = st.template_style.get(entries[0][1], "wfm_text")
            cells.append(c(ws, ", ".join(e[0] for e in entries), style))
        contract = contracts.get(agent.contract) if agent is not None else None
        weekly = [sum(paid.get(day, 0) for day in week) / 60.0 for week in weeks]
        if len(weeks) > 1:
            weekly.append(sum(paid.values()) / 60.0)
        cells += [c(ws, len(paid), "wfm_int")] + [c(ws, h, "wfm_hours") for h in weekly]
        cells += [c(ws, _number(contract.min_weekly_hours) if contract else None, "wfm_dec"),
                  c(ws, _number(contract.max_weekly_hours) if contract else None, "wfm_dec")]
        ws.append(cells)
        last_row += 1
    last_col = get_column_letter(n_cols)
    ws.auto_filter.ref = f"A3:{last_col}{last_row}"
    if last_row > 3:
        # Paid hours outside the contract's weekly range, for whole open weeks only: the
        # minimum is pro-rated for partial weeks, holidays and absences, which a sheet
        # formula cannot follow (the checker does).
        low, high = get_column_letter(n_cols - 1), get_column_letter(n_cols)
        first_paid = len(fixed) + len(days) + 2
        closed = closed_dates(cfg.center, days[0], days[-1]) if days else set()
        for offset, week in enumerate(weeks):
            if len(week) != 7 or any(day in closed and cfg.center.hours_on(day.weekday())
                                     for day in week):
                continue
            column = get_column_letter(first_paid + offset)
            ws.conditional_formatting.add(f"{column}4:{column}{last_row}", FormulaRule(
                formula=[f"AND(ISNUMBER({low}4),OR({column}4<{low}4,{column}4>{high}4))"],
                fill=PatternFill("solid", fgColor=_SHORT_FILL), font=Font(color=_SHORT_FONT)))


def _day_intervals(cfg: CenterConfig, day: date, day_shifts: pd.DataFrame) -> pd.DatetimeIndex:
    """Interval starts shown on a day sheet: opening hours widened to every shift."""
    zone = cfg.center.timezone
    step = cfg.center.interval_minutes
    midnight = pd.Timestamp(day).tz_localize(zone)
    bounds: list[pd.Timestamp] = []
    hours = cfg.center.hours_on(day.weekday())
    if hours is not None:
        bounds += [pd.Timestamp(day) + pd.Timedelta(minutes=hours.open_minute),
                   pd.Timestamp(day) + pd.Timedelta(minutes=hours.close_minute)]
        bounds = [b.tz_localize(zone, nonexistent="shift_forward", ambiguous=False)
                  for b in bounds]
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


def _write_day(wb: Workbook, st: _Styles, title: str, cfg: CenterConfig, day: date,
               agents: dict[str, Agent], day_shifts: pd.DataFrame, day_activities: pd.DataFrame,
               day_coverage: pd.DataFrame, queues: list[str], queue_names: dict[str, str]) -> None:
    ws = wb.create_sheet(title)
    c = st.cell
    intervals = _day_intervals(cfg, day, day_shifts)
    fixed = ["Agent ID", "Name", "Team", "Shift", "Paid h"]
    n_fixed = len(fixed)
    fractional = bool(len(day_coverage)) and bool(
        (day_coverage[["required", "scheduled", "shortfall"]].astype(float) % 1 != 0).any().any())
    slot_width = 4.2 if fractional else 3.3
    _widths(ws, [11, 24, 13, 12, 9.5] + [slot_width] * len(intervals))
    header_row = 4
    ws.row_dimensions[header_row].height = 34
    _print_setup(ws, landscape=True, title_rows=f"1:{header_row}")
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
              + [c(ws, _clock(t), "wfm_header_time") for t in intervals])

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
                + [c(ws, _number(v), number_style) for v in values.to_numpy()])
            row_number += 1
            if label == "shortfall":
                shortfall_rows.append(row_number)
    if intervals.size and shortfall_rows:
        first_col = get_column_letter(n_fixed + 1)
        last_col = get_column_letter(n_fixed + len(intervals))
        ranges = " ".join(f"{first_col}{r}:{last_col}{r}" for r in shortfall_rows)
        ws.conditional_formatting.add(ranges, CellIsRule(
            operator="greaterThan", formula=["0"],
            fill=PatternFill("solid", fgColor=_SHORT_FILL),
            font=Font(color=_SHORT_FONT, bold=True)))


def _write_coverage(wb: Workbook, st: _Styles, title: str, cfg: CenterConfig,
                    coverage: pd.DataFrame, queues: list[str],
                    queue_names: dict[str, str]) -> None:
    ws = wb.create_sheet(title)
    c = st.cell
    header = ["Interval start", "Queue", "Queue name", "Required", "Scheduled", "Shortfall",
              "Projected SL"]
    _widths(ws, [17, 14, 26, 10, 10, 10, 12])
    _print_setup(ws, landscape=False, title_rows="1:1")
    ws.freeze_panes = "A2"
    table = coverage.copy()
    table["queue"] = table["queue"].astype(str)
    order = {q: i for i, q in enumerate(queues)}
    table["_order"] = table["queue"].map(order)
    table = table.sort_values(["_order", "interval_start"], kind="stable")
    fractional = bool(len(table)) and bool(
        (table[["required", "scheduled", "shortfall"]].astype(float) % 1 != 0).any().any())
    number = "wfm_dec" if fractional else "wfm_int"
    ws.append([c(ws, h, "wfm_header") for h in header])
    blocks: list[tuple[str, int, int]] = []
    row_number = 1
    for queue, part in table.groupby("_order", sort=True):
        queue_id = queues[int(queue)]
        first = row_number + 1
        for stamp, required, scheduled, shortfall, level in zip(
                part["interval_start"], part["required"], part["scheduled"], part["shortfall"],
                part["projected_service_level"], strict=True):
            ws.append([c(ws, _naive(stamp), "wfm_datetime"), c(ws, queue_id, "wfm_text"),
                       c(ws, queue_names[queue_id], "wfm_text"),
                       c(ws, _number(required), number), c(ws, _number(scheduled), number),
                       c(ws, _number(shortfall), number), c(ws, _number(level), "wfm_pct")])
            row_number += 1
        blocks.append((queue_id, first, row_number))
    if row_number > 1:
        ws.auto_filter.ref = f"A1:G{row_number}"
        ws.conditional_formatting.add(f"F2:F{row_number}", CellIsRule(
            operator="greaterThan", formula=["0"],
            fill=PatternFill("solid", fgColor=_SHORT_FILL), font=Font(color=_SHORT_FONT)))
    for index, (queue_id, first, last) in enumerate(blocks):
        chart = LineChart()
        chart.title = _text(f"{queue_names[queue_id]}: required vs scheduled")[:200]
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
        ws.add_chart(chart, f"I{2 + index * 15}")


def _write_forecast(wb: Workbook, st: _Styles, title: str, forecast: pd.DataFrame,
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
    _widths(ws, [17 if h == "Interval start" else 26 if h == "Queue name" else 13
                 for h in header])
    _print_setup(ws, landscape=False, title_rows="1:1")
    ws.freeze_panes = "A2"
    ws.append([c(ws, h, "wfm_header") for h in header])
    table = forecast.sort_values([k for k in ("queue", "interval_start") if k in columns])
    for record in table.itertuples(index=False):
        cells = []
        for column, value in zip(columns, record, strict=True):
            if column == "interval_start" or isinstance(value, pd.Timestamp | datetime):
                cells.append(c(ws, _naive(value), "wfm_datetime"))
            elif column == "queue":
                cells += [c(ws, str(value), "wfm_text"),
                          c(ws, queue_names.get(str(value), str(value)), "wfm_text")]
            elif isinstance(value, int | float | np.number) and not isinstance(value, bool):
                cells.append(c(ws, _number(value), "wfm_dec"))
            else:
                cells.append(c(ws, "" if value is None else str(value), "wfm_text"))
        ws.append(cells)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(table) + 1}"


def _write_rules(wb: Workbook, st: _Styles, title: str, cfg: CenterConfig) -> None:
    ws = wb.create_sheet(title)
    c = st.cell
    _widths(ws, [28, 26, 14, 14, 14, 14, 14, 14, 50])
    _print_setup(ws, landscape=True)
    ws.sheet_view.showGridLines = False
    rows: list[list[Any]] = [[c(ws, f"Rules and parameters: {cfg.center.name}", "wfm_title")], []]

    def section(name: str, header: list[str], body: list[list[Any]]) -> None:
        rows.append([c(ws, name, "wfm_section")])
        rows.append([c(ws, h, "wfm_header") for h in header])
        for line in body:
            cells = []
            for value in line:
                if isinstance(value, tuple):  # (value, style) where the format matters
                    cells.append(c(ws, value[0], value[1]))
                else:
                    cells.append(c(ws, value, "wfm_dec" if isinstance(value, float) else
                                   "wfm_int" if isinstance(value, int)
                                   and not isinstance(value, bool) else "wfm_text"))
            rows.append(cells)
        rows.append([])

    def plain(value: Any) -> Any:
        if isinstance(value, bool) or value is None:
            return "" if value is None else ("yes" if value else "no")
        if isinstance(value, int | float | str):
            return value
        if isinstance(value, list | tuple | set | frozenset):
            return ", ".join(str(v) for v in value)
        return str(value)

    center = cfg.center
    hours = [[f"Opening hours {day}",
              f"{format_clock(h.open_minute)}-{format_clock(h.close_minute)}" if h else "closed"]
             for day, h in center.opening_hours.items()]
    section("Center", ["Setting", "Value"], [
        ["Name", center.name], ["Time zone", center.timezone],
        ["Interval (minutes)", center.interval_minutes], *hours,
        ["Holiday country", plain(center.holidays.country)],
        ["Holiday subdivision", plain(center.holidays.subdivision)],
        ["Closed on holidays", plain(center.holidays.closed)],
    ])
    section("Queues", ["Queue", "Name", "Channel", "Skill", "Language", "SL target",
                       "Answer (s)", "Max occupancy", "Other"], [
        [q.id, q.label, q.channel, q.skill, q.language, (q.service_level_target, "wfm_pct"),
         q.answer_seconds, (q.max_occupancy, "wfm_pct"),
         "; ".join(f"{k}={plain(v)}" for k, v in q.model_dump().items()
                   if k in ("concurrency", "patience_seconds", "max_asa_seconds",
                            "response_hours", "min_agents", "erlang_model") and v is not None)]
        for q in cfg.queues])
    section("Contracts", ["Contract", "Min weekly h", "Max weekly h", "Max days/week",
                          "Cost per hour"], [
        [k.id, k.min_weekly_hours, k.max_weekly_hours, k.max_working_days_per_week,
         k.cost_per_hour] for k in cfg.contracts])
    section("Shift templates", ["Template", "Contracts", "Length (min)", "Paid (min)",
                                "Earliest start", "Latest start", "Step (min)", "Breaks"], [
        [t.id, ", ".join(t.contracts), t.length_minutes, t.paid_minutes, t.earliest_start,
         t.latest_start, t.start_step_minutes, len(t.breaks)]
        for t in cfg.shift_templates])
    section("Breaks and lunches (start in minutes after the shift start)",
            ["Template", "Activity", "Minutes", "Paid", "Earliest start", "Latest start"], [
        [t.id, b.activity, b.duration_minutes, plain(b.paid), b.earliest_start_minutes,
         b.latest_start_minutes]
        for t in cfg.shift_templates for b in t.breaks])
    for name, model in (("Labor rules", cfg.labor_rules), ("Objective weights", cfg.objective),
                        ("Solver", cfg.solver), ("Planning", cfg.planning)):
        section(name, ["Parameter", "Value"],
                [[key, plain(value)] for key, value in model.model_dump().items()])
    shrink = cfg.shrinkage
    section("Shrinkage", ["Applies to", "Rate"], [
        ["default", (shrink.default, "wfm_pct")],
        *[[f"weekday {day}", (rate, "wfm_pct")] for day, rate in shrink.by_weekday.items()],
        *[[f"hour {hour:02d}", (rate, "wfm_pct")] for hour, rate in shrink.by_hour.items()],
    ])
    for row in rows:
        ws.append(row)


# ----------------------------------------------------------------------------- entry point

def write_workbook(path: str | Path, cfg: CenterConfig, agents: list[Agent],
                   shifts: pd.DataFrame, activities: pd.DataFrame, coverage: pd.DataFrame,
                   kpis: dict, forecast: pd.DataFrame | None = None) -> None:
    """Write the coordinators' workbook to ``path`` atomically.

    ``shifts`` has the columns of `wfm.schedule.result.SHIFT_COLUMNS`, ``activities`` those
    of ``ACTIVITY_COLUMNS`` and ``coverage`` the coverage contract (``interval_start, queue,
    required, scheduled, shortfall, projected_service_level``); timestamps are tz-aware in
    the center's zone. ``kpis`` is shown on the Summary sheet (``status`` and ``gap`` by
    name, every other figure listed). Sheets: Summary, Schedule, one per day, Coverage,
    Forecast (when ``forecast`` is given) and Rules.
    """
    shifts = shifts.copy() if shifts is not None else pd.DataFrame(
        columns=["agent_id", "date", "shift_start", "shift_end", "paid_minutes", "template"])
    if "template" not in shifts.columns:
        shifts["template"] = ""
    shifts["agent_id"] = shifts["agent_id"].astype(str)
    activities = activities.copy()
    activities["agent_id"] = activities["agent_id"].astype(str)
    coverage = coverage.copy()
    coverage["queue"] = coverage["queue"].astype(str)
    queues = _queue_order(cfg, coverage)
    extra_work_queues = sorted(
        set(activities.loc[activities["activity"] == "work", "queue"].dropna().astype(str))
        - set(queues) - {""})
    queues += extra_work_queues
    names = _queue_names(cfg, queues)
    queue_index = {q: i for i, q in enumerate(queues)}
    activities["queue_index"] = activities["queue"].map(
        lambda q: queue_index.get(str(q), -1) if isinstance(q, str) else -1)

    templates = [t.id for t in cfg.shift_templates]
    templates += sorted(set(shifts["template"].dropna().astype(str)) - set(templates) - {""})
    days = _days(shifts, coverage)
    period_days = sorted(set(days) | set(_horizon_days(kpis)))
    taken: list[str] = []

    def claim(name: str) -> str:
        title = sheet_title(name, taken)
        taken.append(title)
        return title

    summary_title, schedule_title = claim("Summary"), claim("Schedule")
    day_titles = {day: claim(_day_title(day)) for day in days}
    coverage_title = claim("Coverage")
    forecast_title = claim("Forecast") if forecast is not None else None
    rules_title = claim("Rules")

    wb = Workbook(write_only=True)
    wb.properties.title = _text(f"Schedule {cfg.center.name}")[:200]
    wb.properties.creator = "wfm"
    styles = _Styles(wb, templates)
    agent_map = {a.agent_id: a for a in agents}
    shift_day = shifts["date"].map(lambda d: pd.Timestamp(d).date())
    cover_day = coverage["interval_start"].map(lambda t: t.date()) if len(coverage) \
        else pd.Series(dtype=object)
    activity_day = _activity_days(shifts, activities)

    _write_summary(wb, styles, summary_title, cfg, agents, shifts, coverage, kpis, forecast,
                   period_days, day_titles)
    _write_schedule(wb, styles, schedule_title, cfg, agents, shifts, period_days)
    for day in days:
        _write_day(wb, styles, day_titles[day], cfg, day, agent_map, shifts[shift_day == day],
                   activities[activity_day == day],
                   coverage[cover_day == day] if len(coverage) else coverage, queues, names)
    _write_coverage(wb, styles, coverage_title, cfg, coverage, queues, names)
    if forecast is not None and forecast_title is not None:
        _write_forecast(wb, styles, forecast_title, forecast, names)
    _write_rules(wb, styles, rules_title, cfg)
    atomic_write_with(path, wb.save)


def _activity_days(shifts: pd.DataFrame, activities: pd.DataFrame) -> pd.Series:
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
