"""The Rules sheet: every config setting the schedule was built under.
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook

from wfm.calendar import opening_label
from wfm.config import WEEKDAYS, CenterConfig, HoursRule
from wfm.reports.workbook.pages import finish_page, print_setup
from wfm.reports.workbook.styles import Styles, set_widths
from wfm.staffing.requirements import service_level_modelled


def _rule_label(rule: HoursRule) -> str:
    """A holiday or eve rule for people: ``closed``, ``weekday's`` hours or its own."""
    return "weekday's" if rule is None else opening_label(rule)


def write_rules(wb: Workbook, st: Styles, title: str, cfg: CenterConfig) -> None:
    ws = wb.create_sheet(title)
    c = st.cell
    set_widths(ws, [28, 26, 14, 14, 14, 14, 14, 14, 50])
    print_setup(ws, title_rows="1:1")
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
    calendar = center.holidays
    hours = [[f"Opening hours {day}", opening_label(h)] for day, h in center.opening_hours.items()]
    section("Center", ["Setting", "Value"], [
        ["Name", center.name], ["Time zone", center.timezone],
        ["Interval (minutes)", center.interval_minutes], *hours,
        ["Weekend", plain(center.weekend)],
        ["Holiday country", plain(calendar.country)],
        ["Holiday subdivision", plain(calendar.subdivision)],
        ["Closed on holidays", plain(calendar.closed)],
        ["Hours on open holidays", "weekday's" if calendar.hours is None
         else opening_label(calendar.hours)],
        ["Hours on eves", _rule_label(calendar.eves)],
    ])
    if center.seasonal_hours:
        section("Seasonal hours", ["Season", "First date", "Last date", *WEEKDAYS], [
            [season.label, season.first_date.isoformat(), season.last_date.isoformat(),
             *[opening_label(h) for h in season.opening_hours.values()]]
            for season in center.seasonal_hours])
    if calendar.days:
        section("Holiday rules (by name or date)", ["Holiday", "Hours"],
                [[key, _rule_label(rule)] for key, rule in calendar.days.items()])
    section("Queues", ["Queue", "Name", "Channel", "Skill", "Language", "SL target",
                       "Answer (s)", "Max occupancy", "Other"], [
        [q.id, q.label, q.channel, q.skill, q.language,
         # deferred and outbound work has no service-level target: wfm does not model it
         (q.service_level_target if service_level_modelled(q) else None, "wfm_pct"),
         q.answer_seconds if service_level_modelled(q) else None, (q.max_occupancy, "wfm_pct"),
         "; ".join(f"{k}={plain(v)}" for k, v in q.model_dump().items()
                   if k in ("concurrency", "patience_seconds", "max_asa_seconds",
                            "response_hours", "min_agents", "erlang_model", "closed_dates")
                   and v not in (None, []))]
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
    finish_page(ws, st.footer, len(rows), 9)


