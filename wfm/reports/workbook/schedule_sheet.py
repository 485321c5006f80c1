"""The Schedule sheet: one row per agent, one column per day, weekly paid hours.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from wfm.calendar import opening_by_date
from wfm.config import WEEKDAYS, CenterConfig
from wfm.reports.workbook.pages import finish_page, print_setup
from wfm.reports.workbook.styles import (
    SHORT_FILL,
    SHORT_FONT,
    Styles,
    cell_number,
    set_widths,
    shift_label,
    skills_text,
)
from wfm.roster import Agent


def write_schedule_sheet(wb: Workbook, st: Styles, title: str, cfg: CenterConfig,
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
    set_widths(ws, [11, 26, 14, 12, 22, 10] + [12.5] * len(days) + [7]
            + [9 if len(weeks) == 1 else 11] * len(paid_labels) + [8, 8])
    print_setup(ws, title_rows="3:3")
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
                      c(ws, agent.contract, "wfm_text"), c(ws, skills_text(agent), "wfm_text"),
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
        cells += [c(ws, cell_number(contract.min_weekly_hours) if contract else None, "wfm_dec"),
                  c(ws, cell_number(contract.max_weekly_hours) if contract else None, "wfm_dec")]
        ws.append(cells)
        last_row += 1
    last_col = get_column_letter(n_cols)
    ws.auto_filter.ref = f"A3:{last_col}{last_row}"
    finish_page(ws, st.footer, last_row, n_cols)
    if last_row > 3:
        # Paid hours outside the contract's weekly range, for whole open weeks only: the
        # minimum is pro-rated for partial weeks, holidays and absences, which a sheet
        # formula cannot follow (the checker does).
        low, high = get_column_letter(n_cols - 1), get_column_letter(n_cols)
        first_paid = len(fixed) + len(days) + 2
        # a week with a holiday, a closure or a season's hours has its own minimum
        opening = opening_by_date(cfg.center, days[0], days[-1]) if days else {}
        for offset, week in enumerate(weeks):
            if len(week) != 7 or any(opening[day] != (cfg.center.hours_on(day.weekday()) or ())
                                     for day in week):
                continue
            column = get_column_letter(first_paid + offset)
            ws.conditional_formatting.add(f"{column}4:{column}{last_row}", FormulaRule(
                formula=[f"AND(ISNUMBER({low}4),OR({column}4<{low}4,{column}4>{high}4))"],
                fill=PatternFill("solid", fgColor=SHORT_FILL), font=Font(color=SHORT_FONT)))


