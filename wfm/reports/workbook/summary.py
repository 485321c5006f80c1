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


def _weighted(coverage: pd.DataFrame, forecast: pd.DataFrame | None) -> pd.DataFrame:
    """Coverage with a ``weight`` column: forecast offered contacts, else required agents."""
    table = coverage.copy()
    table["queue"] = table["queue"].astype(str)
    if "offered" in table.columns:
        table["weight"] = table["offered"].fillna(0.0)
    elif forecast is not None and len(forecast) and "offered" in forecast.columns:
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
    names = queue_names(cfg, coverage["queue"].astype(str) if len(coverage) else [])
    targets = {q.id: q.service_level_target for q in cfg.queues}
    table = _weighted(coverage, forecast)
    rows = []
    for queue in queue_order(cfg, coverage):
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


def write_summary(wb: Workbook, st: Styles, title: str, cfg: CenterConfig,
                   agents: list[Agent], shifts: pd.DataFrame, coverage: pd.DataFrame,
                   kpis: dict, forecast: pd.DataFrame | None, period_days: list[date],
                   day_titles: dict[date, str]) -> None:
    ws = wb.create_sheet(title)
    set_widths(ws, [26, 26, 14, 14, 14, 14, 14, 14, 14])
    print_setup(ws, landscape=False)
    ws.sheet_view.showGridLines = False
    c = st.cell
    summary = queue_summary(cfg, coverage, forecast)
    paid_hours = float(shifts["paid_minutes"].sum()) / 60.0 if len(shifts) else 0.0
    days = sorted(day_titles)
    period = (f"{period_days[0].isoformat()} to {period_days[-1].isoformat()} "
              f"({len(period_days)} days)") if period_days else "(empty)"
    status = _kpi(kpis, "status", "solver_status")
    gap = cell_number(_kpi(kpis, "gap", "relative_gap"))
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
            c(ws, cell_number(item.projected_service_level), "wfm_pct"),
            c(ws, cell_number(item.service_level_target), "wfm_pct"),
        ])
    last_queue_row = len(rows)
    overall = weighted_level(_weighted(coverage, forecast)) if len(coverage) else float("nan")
    rows.append([
        c(ws, "Total", "wfm_text_bold"), c(ws, "", "wfm_text_bold"),
        c(ws, float(summary["required_hours"].sum()), "wfm_hours_bold"),
        c(ws, float(summary["scheduled_hours"].sum()), "wfm_hours_bold"),
        c(ws, float(summary["shortfall_hours"].sum()), "wfm_hours_bold"),
        c(ws, int(summary["intervals_short"].sum()), "wfm_int"),
        c(ws, cell_number(overall), "wfm_pct_bold"), c(ws, None, "wfm_text"),
    ])
    if last_queue_row >= first_queue_row:
        sl = f"G{first_queue_row}:G{last_queue_row}"
        red = PatternFill("solid", fgColor=SHORT_FILL)
        level, target = f"G{first_queue_row}", f"H{first_queue_row}"
        # Red more than 5 points under target, amber under it, green at or above it.
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
            f"E{first_queue_row}:E{last_queue_row + 1}",
            CellIsRule(operator="greaterThan", formula=["0"], fill=red,
                       font=Font(color=SHORT_FONT, bold=True)))
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
            number = cell_number(value) if not isinstance(value, bool) else None
            cell = c(ws, number, "wfm_dec" if isinstance(number, float) else "wfm_int") \
                if number is not None else c(ws, "" if value is None else str(value), "wfm_text")
            rows.append([c(ws, key, "wfm_label"), cell])
    for row in rows:
        ws.append(row)


