"""Activities and leaders in the reports: activity hours per week in the KPIs and on the
Summary sheet, a colour per activity and the leader on duty per team on the day sheets."""

from __future__ import annotations

import openpyxl
import pandas as pd

from tests.test_check import MONDAY, make_cfg
from tests.test_check_people import COACH_TEAM, COACHING, coaching_week, people
from wfm.calendar import interval_grid
from wfm.io.tables import UNPLACED_KEY
from wfm.reports.kpis import coverage_table, schedule_figures, summary_lines
from wfm.reports.workbook.book import write_workbook
from wfm.reports.workbook.days import ACTIVITY_PALETTE
from wfm.verify.coverage import scheduled_agents

MEETING = {"id": "team_meeting", "name": "Team meeting", "duration_minutes": 30,
           "frequency": "per_team_week", "host": "leader", "paid": False}
UNPLACED = [{"session": "team_meeting:2026-03-16:t", "activity": "team_meeting",
             "attendees": ["a1", "a2"], "reason": "no time at which a1 and a2 are on shift"}]


def tables(cfg):
    shifts, activities = coaching_week().tables()
    grid = interval_grid(cfg.center, MONDAY, 7)
    counts = scheduled_agents(cfg, activities, grid["interval_start"])
    need = counts.assign(required=1)[["interval_start", "queue", "required"]]
    coverage = coverage_table(cfg, counts, need, MONDAY, 7)
    return shifts, activities, coverage


def test_activity_hours_per_week_in_the_kpis() -> None:
    cfg = make_cfg(activities=[COACHING, MEETING])
    shifts, activities, coverage = tables(cfg)
    figures = schedule_figures(cfg, coverage, shifts, MONDAY, 14, activities)["activities"]
    coaching = figures["by_activity"]["coaching"]
    # two sessions of 30 minutes, each with the agent and the coach: 2 people-hours
    assert coaching == {"name": "Coaching", "paid": True, "sessions_placed": 2, "hours": 2.0,
                        "hours_by_week": {"2026-03-16": 2.0, "2026-03-23": 0.0}}
    assert figures["by_activity"]["team_meeting"]["hours"] == 0.0
    assert figures["hours"] == 2.0 and figures["hours_by_week"]["2026-03-16"] == 2.0
    kpis = {**schedule_figures(cfg, coverage, shifts, MONDAY, 7, activities),
            UNPLACED_KEY: UNPLACED}
    lines = summary_lines(kpis)
    assert "activities: coaching 2 placed (2.0 h); team_meeting 0 placed, 1 not placed " \
           "(0.0 h)" in lines
    assert "  not placed: team_meeting:2026-03-16:t: no time at which a1 and a2 are on " \
           "shift" in lines
    # without configured activities there is no such figure
    assert "activities" not in schedule_figures(make_cfg(), coverage, shifts, MONDAY, 7,
                                                activities)


def test_workbook_shows_activities_and_leaders(tmp_path) -> None:
    cfg = make_cfg(activities=[COACHING, MEETING], leadership={"supervisor_from_agents": 2})
    shifts, activities, coverage = tables(cfg)
    kpis = {**schedule_figures(cfg, coverage, shifts, MONDAY, 7, activities),
            UNPLACED_KEY: UNPLACED}
    path = tmp_path / "book.xlsx"
    write_workbook(path, cfg, people(cfg, COACH_TEAM), shifts, activities, coverage, kpis)
    wb = openpyxl.load_workbook(path)
    day = wb["Mon 2026-03-16"]
    rows = [list(r) for r in day.iter_rows(values_only=True)]
    assert rows[1][:8] == ["Legend", "Work (queue no.)", "Other (O)", "Duty (D)",
                           "Coaching (C)", "Team meeting (T)", "Lunch (L)", "Break (B)"]
    header = rows[3]
    column = header.index("11:30")
    a1 = next(r for r in rows if r[0] == "a1")
    tl = next(r for r in rows if r[0] == "tl")
    assert a1[column] == "C" and tl[column] == "C" and tl[column - 1] == "D"
    fill = day.cell(row=rows.index(a1) + 1, column=column + 1).fill.fgColor.rgb
    assert fill.endswith(ACTIVITY_PALETTE[0])
    # the leaders' block: agents on shift and the leader on duty per team and interval
    start = rows.index(next(r for r in rows if r[0] and str(r[0]).startswith("Leaders on")))
    count, leader = rows[start + 1], rows[start + 2]
    assert count[:3] == ["t", None, "Agents on shift"] and count[column] == 2
    assert leader[2] == "Leader on duty" and leader[column] == "L1"
    assert rows[start + 3][0] == "Leaders: L1 = TL (team leader)"
    # the leader's break with both agents on shift breaks the rule: shown in red
    brk = header.index("10:45")
    assert leader[brk] == "!"
    red = day.cell(row=start + 3, column=brk + 1).fill.fgColor.rgb
    assert red.endswith("FFC7CE")
    summary = [list(r) for r in wb["Summary"].iter_rows(values_only=True)]
    head = next(i for i, r in enumerate(summary) if r[0] == "Off-phone activities (people-hours)")
    assert summary[head + 1][:7] == ["Activity", "Name", "Paid", "Sessions placed",
                                     "Not placed", "Hours", "Week of 2026-03-16"]
    assert summary[head + 2][:7] == ["coaching", "Coaching", "yes", 2, 0, 2, 2]
    assert summary[head + 3][:6] == ["team_meeting", "Team meeting", "no", 0, 1, 0]
    listed = next(i for i, r in enumerate(summary) if r[0] == "Sessions not placed")
    assert summary[listed + 2][:4] == ["team_meeting:2026-03-16:t", "team_meeting", "a1, a2",
                                       "no time at which a1 and a2 are on shift"]
    assert not any(str(r[0]).startswith(("activities", UNPLACED_KEY)) for r in summary if r[0])


def test_no_leaders_block_without_leaders(tmp_path) -> None:
    cfg = make_cfg()
    shifts, activities, coverage = tables(cfg)
    activities = activities.assign(activity=activities["activity"].replace("coaching", "work"),
                                   queue=activities["queue"].where(
                                       activities["activity"] != "coaching", "billing_es"))
    agents = [a for a in people(cfg, COACH_TEAM) if a.role == "agent"]
    path = tmp_path / "book.xlsx"
    kpis = schedule_figures(cfg, coverage, shifts, MONDAY, 7, activities)
    write_workbook(path, cfg, agents, shifts[shifts["agent_id"] != "tl"],
                   activities[activities["agent_id"] != "tl"], coverage, kpis)
    rows = [list(r) for r in openpyxl.load_workbook(path)["Mon 2026-03-16"].iter_rows(
        values_only=True)]
    assert not any(r[0] and str(r[0]).startswith("Leaders on") for r in rows)
    assert pd.notna(rows[1][0])
