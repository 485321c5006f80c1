"""The coordinators' workbook: written, read back with openpyxl and checked against the tables."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from wfm.cli.export import app as export_app
from wfm.config import CenterConfig
from wfm.io.files import write_table
from wfm.io.inputs import roster_table
from wfm.io.tables import COVERAGE_COLUMNS
from wfm.reports.kpis import schedule_figures
from wfm.reports.workbook.book import write_workbook
from wfm.reports.workbook.styles import sheet_title
from wfm.roster import Agent

ZONE = "Europe/Madrid"
MONDAY = date(2026, 3, 23)
TUESDAY = date(2026, 3, 24)
DST_SUNDAY = date(2026, 3, 29)  # clocks go from 02:00 to 03:00
FORBIDDEN = set("[]:*?/\\")

LONG_NAME = "Maria de los Ángeles Fernández-Villaverde y O'Sullivan " * 3
AGENTS = [
    Agent(agent_id="A1", name="José Ñúñez-O'Connor", team="Équipe [Nord]/Sud",
          skills={"billing": 1.0, "technical": 0.7}, languages=("es", "en"),
          contract="full_time"),
    Agent(agent_id="A2", name=LONG_NAME, team="Team: *night*?", skills={"billing": 1.0},
          languages=("es",), contract="part_time"),
    Agent(agent_id="A3", name="=SUM(A1:A2)\x07", team="History", skills={"technical": 1.0},
          languages=("es",), contract="part_time"),
    Agent(agent_id="A4", name="Zoë Off-All-Week", team="'Quoted'", skills={"billing": 1.0},
          languages=("es",), contract="full_time"),
    Agent(agent_id="A5", name="Night Owl", team="Nights", skills={"billing": 1.0},
          languages=("en",), contract="part_time"),
]

# (agent, day, start HH:MM, template, paid minutes, [(activity, queue, minutes), ...])
PLAN = [
    ("A1", MONDAY, "08:00", "ft_8h", 480, [
        ("work", "billing_es", 120), ("break", "", 15), ("work", "technical_en", 135),
        ("lunch", "", 30), ("work", "billing_es", 120), ("break", "", 15),
        ("work", "billing_es", 75)]),
    ("A1", TUESDAY, "09:00", "ft_8h", 480, [
        ("work", "billing_en", 150), ("break", "", 15), ("work", "billing_en", 105),
        ("lunch", "", 30), ("work", "billing_es", 210)]),
    ("A2", MONDAY, "12:00", "pt_6h", 360, [
        ("work", "billing_es", 120), ("break", "", 15), ("work", "billing_es", 225)]),
    ("A3", TUESDAY, "08:00", "pt_4h", 240, [
        ("work", "technical_es", 90), ("training", "", 30), ("work", "technical_es", 120)]),
    ("A3", DST_SUNDAY, "01:00", "pt_4h", 180, [("work", "technical_es", 180)]),
    # Past midnight, on a template the config does not know.
    ("A5", TUESDAY, "22:00", "night_4h", 240, [
        ("work", "billing_en", 120), ("break", "", 15), ("work", "billing_en", 105)]),
]
CODES = {"break": "B", "lunch": "L", "training": "O"}


def _cfg_with_names(cfg: CenterConfig) -> CenterConfig:
    """The example center with queue names that are hostile to sheet names and cells."""
    hostile = ["Facturación: [ES] / *cobros*?", "Billing \\ EN's 'priority' line " * 2,
               "History", "Soporte técnico (ES) \x0b", "Chat ES", "Correo back office (ES)",
               "Expedientes: back office", "Cobros salientes (ES)"]
    queues = [q.model_copy(update={"name": name}) for q, name in zip(cfg.queues, hostile,
                                                                      strict=True)]
    return cfg.model_copy(update={"queues": queues})


def _tables(cfg: CenterConfig) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    shifts, activities = [], []
    for agent_id, day, clock, template, paid, parts in PLAN:
        start = pd.Timestamp(f"{day.isoformat()} {clock}").tz_localize(ZONE)
        cursor = start
        for activity, queue, minutes in parts:
            end = cursor + pd.Timedelta(minutes=minutes)  # absolute time: DST-safe
            activities.append({"agent_id": agent_id, "start": cursor, "end": end,
                               "activity": activity, "queue": queue})
            cursor = end
        shifts.append({"agent_id": agent_id, "date": day, "shift_start": start,
                       "shift_end": cursor, "paid_minutes": paid, "template": template})
    activities = pd.DataFrame(activities)
    rows = []
    step = pd.Timedelta(minutes=cfg.center.interval_minutes)
    for day in (MONDAY, TUESDAY):
        stamp = pd.Timestamp(f"{day.isoformat()} 08:00").tz_localize(ZONE)
        while stamp.hour < 21:
            for index, queue in enumerate(cfg.queues):
                work = activities[(activities["activity"] == "work")
                                  & (activities["queue"] == queue.id)
                                  & (activities["start"] <= stamp) & (activities["end"] > stamp)]
                scheduled = len(work)
                required = (stamp.hour + index) % 3
                rows.append({"interval_start": stamp, "queue": queue.id, "required": required,
                             "scheduled": scheduled, "shortfall": max(0, required - scheduled),
                             "offered": required * 5.0 + 1.0, "aht_seconds": 300.0,
                             "projected_service_level": 0.5 + 0.1 * ((stamp.minute // 15) % 5),
                             "worked": float("nan"), "backlog": float("nan"),
                             "past_due": float("nan")})
            stamp = stamp + step
    return pd.DataFrame(shifts), activities, pd.DataFrame(rows)


SOLVER = {"status": "OPTIMAL", "gap": 0.0, "objective": 1234.5, "best_bound": 1234.5,
          "wall_seconds": 1.5, "penalties": {"under_coverage": 1000.0},
          "notes": ["a note", "=1+1"]}


def kpis_for(cfg: CenterConfig, coverage: pd.DataFrame, shifts: pd.DataFrame,
             start: date = MONDAY, days: int = 7) -> dict:
    """The kpis mapping the workbook shows: solver figures and the KPI engine's."""
    return {**SOLVER, **schedule_figures(cfg, coverage, shifts, start, days)}


@pytest.fixture(scope="module")
def case(example_cfg: CenterConfig, tmp_path_factory: pytest.TempPathFactory) -> dict:
    cfg = _cfg_with_names(example_cfg)
    shifts, activities, coverage = _tables(cfg)
    forecast = coverage[["interval_start", "queue"]].assign(
        offered=coverage["required"] * 5.0 + 1.0, aht_seconds=300.0, offered_low=1.0,
        offered_high=9.0, model="ets")
    path = tmp_path_factory.mktemp("xlsx") / "schedule.xlsx"
    kpis = kpis_for(cfg, coverage, shifts)
    write_workbook(path, cfg, AGENTS, shifts, activities, coverage, kpis, forecast)
    return {"cfg": cfg, "shifts": shifts, "activities": activities, "coverage": coverage,
            "kpis": kpis,
            "forecast": forecast, "path": path, "wb": openpyxl.load_workbook(path)}


def _rows(ws) -> list[list]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def _find(rows: list[list], first: object) -> int:
    return next(i for i, row in enumerate(rows) if row and row[0] == first)


def _day_sheet(wb, day: date):
    return next(ws for ws in wb.worksheets if ws.title.endswith(day.isoformat()))


def test_sheets_and_names_are_valid(case: dict) -> None:
    titles = case["wb"].sheetnames
    assert titles[:2] == ["Summary", "Schedule"]
    assert titles[-4:] == ["Coverage", "Forecast", "Rules", "Solver"]
    assert len({t.lower() for t in titles}) == len(titles)
    for title in titles:
        assert 0 < len(title) <= 31 and not FORBIDDEN & set(title)
        assert title.lower() != "history" and not title.startswith("'")
    assert [t for t in titles if re.search(r"\d{4}-\d\d-\d\d$", t)] == [
        "Mon 2026-03-23", "Tue 2026-03-24", "Sun 2026-03-29"]


def test_schedule_sheet_has_every_agent_shift(case: dict) -> None:
    rows = _rows(case["wb"]["Schedule"])
    header_row = _find(rows, "Agent ID")
    header = rows[header_row]
    period = [MONDAY + timedelta(days=d) for d in range(7)]
    day_columns = {day: header.index(f"{day:%a} {day:%d/%m}") for day in period}
    body = {row[0]: row for row in rows[header_row + 1:] if row[0]}
    assert set(body) == {a.agent_id for a in AGENTS}
    shifts = case["shifts"]
    for agent in AGENTS:
        row = body[agent.agent_id]
        assert row[1] == agent.name.replace("\x07", "")
        assert row[2] == agent.team
        mine = shifts[shifts["agent_id"] == agent.agent_id]
        for day, column in day_columns.items():
            on_day = mine[mine["date"] == day]
            expected = "OFF"
            if len(on_day):
                begin, end = on_day.iloc[0]["shift_start"], on_day.iloc[0]["shift_end"]
                # a shift that ends on a later date says so
                later = (end - pd.Timedelta(seconds=1)).date() > begin.date()
                expected = f"{begin:%H:%M}-{end:%H:%M}" + (" +1" if later else "")
            assert row[column] == expected, (agent.agent_id, day)
        assert row[header.index("Days")] == len(mine)
        assert row[header.index("Paid h")] == pytest.approx(mine["paid_minutes"].sum() / 60)
    # The formula-looking name stays text.
    cell = case["wb"]["Schedule"].cell(row=header_row + 1 + 3, column=2)
    assert cell.data_type == "s" and cell.value == "=SUM(A1:A2)"
    ws = case["wb"]["Schedule"]
    assert ws.freeze_panes == f"C{header_row + 2}"
    assert ws.auto_filter.ref.startswith(f"A{header_row + 1}:")


def _expected_code(activities: pd.DataFrame, agent_id: str, stamp: pd.Timestamp) -> object:
    mine = activities[(activities["agent_id"] == agent_id) & (activities["start"] <= stamp)
                      & (activities["end"] > stamp)]
    if not len(mine):
        return None
    row = mine.iloc[0]
    return CODES[row["activity"]] if row["activity"] != "work" else row["queue"]


def test_day_sheets_show_every_interval_of_every_shift(case: dict) -> None:
    cfg, activities, shifts = case["cfg"], case["activities"], case["shifts"]
    tags = {str(i + 1): q.id for i, q in enumerate(cfg.queues)}
    for day in (MONDAY, TUESDAY, DST_SUNDAY):
        ws = _day_sheet(case["wb"], day)
        rows = _rows(ws)
        header_row = _find(rows, "Agent ID")
        labels = rows[header_row][5:]
        on_day = shifts[shifts["date"] == day]
        first = on_day["shift_start"].min()
        stamps = list(pd.date_range(first.tz_convert("UTC"), on_day["shift_end"].max()
                                    .tz_convert("UTC"), freq="15min", inclusive="left")
                      .tz_convert(ZONE))
        # The sheet may start earlier (opening hours); align on the first shift start.
        offset = labels.index(f"{first:%H:%M}")
        for agent_id in on_day["agent_id"]:
            row = next(r for r in rows[header_row + 1:] if r[0] == agent_id)
            for j, stamp in enumerate(stamps):
                value = row[5 + offset + j]
                expected = _expected_code(activities, agent_id, stamp)
                shown = tags.get(str(value), value) if value is not None else None
                assert shown == expected, (day, agent_id, stamp)
        assert ws.print_title_rows == f"$1:${header_row + 1}"
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    dst = _rows(_day_sheet(case["wb"], DST_SUNDAY))
    labels = dst[_find(dst, "Agent ID")][5:]
    assert "02:00" not in labels and labels[labels.index("01:45") + 1] == "03:00"


def test_day_sheet_coverage_rows_match_the_coverage_table(case: dict) -> None:
    coverage = case["coverage"]
    for day in (MONDAY, TUESDAY):
        rows = _rows(_day_sheet(case["wb"], day))
        labels = rows[_find(rows, "Agent ID")][5:]
        part = coverage[coverage["interval_start"].dt.date == day]
        checked = 0
        for queue, group in part.groupby("queue"):
            for kind in ("required", "scheduled", "shortfall"):
                row = next(r for r in rows if r[0] == queue and r[2] == kind.capitalize())
                for stamp, value in zip(group["interval_start"], group[kind], strict=True):
                    assert row[5 + labels.index(f"{stamp:%H:%M}")] == value
                    checked += 1
        assert checked == 3 * len(part)
        # Shortfall highlighting covers exactly the shortfall rows.
        ws = _day_sheet(case["wb"], day)
        shortfall_rows = {i + 1 for i, r in enumerate(rows) if r[2] == "Shortfall"}
        highlighted = {cell_range.min_row for rule_range in ws.conditional_formatting
                       for cell_range in rule_range.sqref.ranges}
        assert highlighted == shortfall_rows


def test_coverage_sheet_matches_the_table(case: dict) -> None:
    rows = _rows(case["wb"]["Coverage"])
    header = _find(rows, "Interval start")
    assert rows[header][:7] == ["Interval start", "Queue", "Queue name", "Required",
                                "Scheduled", "Shortfall", "Projected SL"]
    seen = {(r[0], r[1]): r for r in rows[header + 1:]}
    coverage = case["coverage"]  # every row is inside opening hours: none is left out
    assert len(seen) == len(coverage) == len(rows) - header - 1
    assert "(0 rows)" in rows[1][0]
    for record in coverage.itertuples(index=False):
        row = seen[(record.interval_start.tz_localize(None).to_pydatetime(), record.queue)]
        assert row[3:6] == [record.required, record.scheduled, record.shortfall]
        assert row[6] == pytest.approx(record.projected_service_level)
    assert len(case["wb"]["Coverage"]._charts) == len(case["cfg"].queues)


def test_summary_totals_match_the_tables(case: dict) -> None:
    cfg, coverage, shifts = case["cfg"], case["coverage"], case["shifts"]
    rows = _rows(case["wb"]["Summary"])
    figures = {r[0]: r[1] for r in rows if r and isinstance(r[0], str) and len(r) > 1}
    figures |= {r[3]: r[5] for r in rows if len(r) > 5 and isinstance(r[3], str)}
    assert figures["Solver status"] == "OPTIMAL"
    assert figures["Shifts"] == len(shifts)
    assert figures["Paid hours"] == pytest.approx(shifts["paid_minutes"].sum() / 60)
    assert figures["Period"].startswith("2026-03-23 to 2026-03-29")
    header = _find(rows, "Queue")
    hours = cfg.center.interval_minutes / 60
    for offset, queue in enumerate(cfg.queues, start=1):
        row = rows[header + offset]
        part = coverage[coverage["queue"] == queue.id]
        assert row[0] == queue.id and row[1] == queue.name.replace("\x0b", "")
        assert row[2] == pytest.approx(part["required"].sum() * hours)
        assert row[3] == pytest.approx(part["scheduled"].sum() * hours)
        assert row[4] == pytest.approx(part["shortfall"].sum() * hours)
        assert row[5] == int((part["shortfall"] > 0).sum())
        if queue.channel == "outbound":  # no service-level model: said, not 1.0
            assert row[6] == "not modelled" and row[7] is None
            continue
        assert row[7] == pytest.approx(queue.service_level_target)
        weight = part["offered"].to_numpy()
        expected = (part["projected_service_level"].to_numpy() * weight).sum() / weight.sum()
        assert row[6] == pytest.approx(expected)
    total = rows[header + len(cfg.queues) + 1]
    assert total[0] == "Total"
    assert total[2] == pytest.approx(coverage["required"].sum() * hours)
    assert total[4] == pytest.approx(coverage["shortfall"].sum() * hours)
    live = coverage[coverage["queue"].isin([q.id for q in cfg.queues
                                            if q.channel != "outbound"])]
    assert total[6] == pytest.approx((live["projected_service_level"] * live["offered"]).sum()
                                     / live["offered"].sum())
    notes = _find(rows, "Solver notes")
    assert [rows[notes + 1][0], rows[notes + 2][0]] == ["a note", "=1+1"]


def test_forecast_and_rules_sheets(case: dict) -> None:
    rows = _rows(case["wb"]["Forecast"])
    header = _find(rows, "Interval start")
    assert rows[header][:3] == ["Interval start", "Queue", "Queue name"]
    assert len(rows) - header - 1 == len(case["forecast"])
    assert sum(r[3] for r in rows[header + 1:]) == pytest.approx(
        case["forecast"]["offered"].sum())
    rules = [v for row in _rows(case["wb"]["Rules"]) for v in row if v is not None]
    for item in ("full_time", "part_time", "ft_8h", "min_rest_hours", "Europe/Madrid"):
        assert item in rules


def test_sheet_title_rules() -> None:
    assert sheet_title("a/b\\c[d]e:f*g?h") == "a-b-c-d-e-f-g-h"
    assert sheet_title("History") != "History" and sheet_title("history").lower() != "history"
    assert sheet_title("'quoted'") == "quoted"
    assert sheet_title("") == "Sheet"
    long = "x" * 40
    first = sheet_title(long)
    second = sheet_title(long, [first])
    assert len(first) == len(second) == 31 and first != second
    assert sheet_title("Summary", ["SUMMARY"]) == "Summary (2)"


def test_summary_links_to_day_sheets(case: dict) -> None:
    ws = case["wb"]["Summary"]
    links = {c.value: c.hyperlink.location for row in ws.iter_rows() for c in row
             if c.hyperlink is not None}
    days = {t: f"'{t}'!A1" for t in case["wb"].sheetnames if t[-10:-8] == "20"}
    assert links == days | {"More solver and schedule figures: sheet Solver": "'Solver'!A1"}


def test_failed_write_keeps_the_previous_workbook(case: dict, tmp_path) -> None:
    path = tmp_path / "out.xlsx"
    shutil.copy(case["path"], path)
    before = path.read_bytes()
    with pytest.raises(KeyError):
        write_workbook(path, case["cfg"], AGENTS, case["shifts"], case["activities"],
                       case["coverage"].drop(columns=["scheduled"]), case["kpis"])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


def test_cli_export_from_schedule_folder(case: dict, tmp_path) -> None:
    folder = tmp_path / "schedule"
    folder.mkdir()
    write_table(case["shifts"], folder / "schedule.csv")
    write_table(case["activities"], folder / "activities.csv")
    write_table(case["coverage"], folder / "coverage.csv")
    (folder / "kpis.json").write_text(json.dumps(case["kpis"]), encoding="utf-8")
    write_table(case["forecast"], folder / "forecast.csv")
    roster = tmp_path / "agents.csv"
    roster_table([a.model_copy(update={"name": a.name.replace("\x07", "")})
                  for a in AGENTS]).to_csv(roster, index=False)
    out = tmp_path / "out.xlsx"
    config = Path(__file__).resolve().parent.parent / "configs" / "example.yaml"
    result = CliRunner().invoke(export_app, ["--config", str(config), "--schedule", str(folder),
                                             "--out", str(out), "--agents", str(roster)])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    rows = _rows(wb["Schedule"])
    header_row = _find(rows, "Agent ID")
    body = {r[0]: r for r in rows[header_row + 1:]}
    assert body["A1"][rows[header_row].index("Mon 23/03")] == "08:00-16:30"
    assert len(_rows(wb["Forecast"])) == len(case["forecast"]) + 3
    missing = CliRunner().invoke(export_app, ["--config", str(config), "--schedule",
                                              str(tmp_path / "nope"), "--out", str(out)])
    assert missing.exit_code == 2


def empty_coverage() -> pd.DataFrame:
    table = pd.DataFrame({column: pd.Series(dtype=float) for column in COVERAGE_COLUMNS})
    table["interval_start"] = pd.Series(dtype=f"datetime64[ns, {ZONE}]")
    table["queue"] = pd.Series(dtype=str)
    return table


def test_empty_schedule_still_writes(example_cfg: CenterConfig, tmp_path) -> None:
    shifts = pd.DataFrame(columns=["agent_id", "date", "shift_start", "shift_end",
                                   "paid_minutes", "template"])
    activities = pd.DataFrame(columns=["agent_id", "start", "end", "activity", "queue"])
    coverage = empty_coverage()
    path = tmp_path / "empty.xlsx"
    write_workbook(path, example_cfg, AGENTS, shifts, activities, coverage,
                   kpis_for(example_cfg, coverage, shifts))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Schedule", "Coverage", "Rules", "Solver"]


def one_shift(agent_id: str, day: date, start: pd.Timestamp, hours: float, queue: str,
              break_at: pd.Timestamp, break_minutes: int, template: str
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One shift of ``hours`` real hours with work on ``queue`` around one break."""
    end = start + pd.Timedelta(hours=hours)
    resume = break_at + pd.Timedelta(minutes=break_minutes)
    shifts = pd.DataFrame([{"agent_id": agent_id, "date": day, "shift_start": start,
                            "shift_end": end, "paid_minutes": int(hours * 60),
                            "template": template}])
    activities = pd.DataFrame([
        {"agent_id": agent_id, "start": start, "end": break_at, "activity": "work",
         "queue": queue},
        {"agent_id": agent_id, "start": break_at, "end": resume, "activity": "break",
         "queue": ""},
        {"agent_id": agent_id, "start": resume, "end": end, "activity": "work",
         "queue": queue}])
    return shifts, activities


def test_fall_back_day_has_100_quarter_hours(example_cfg: CenterConfig, tmp_path) -> None:
    day = date(2026, 10, 25)  # clocks go back from 03:00 to 02:00
    start = pd.Timestamp("2026-10-25 00:00").tz_localize(ZONE)
    # the whole local day, 25 real hours; the break at the second 02:00 (winter time)
    shifts, activities = one_shift("A1", day, start, 25, "billing_es",
                                   start + pd.Timedelta(hours=3), 15, "x")
    coverage = empty_coverage()
    path = tmp_path / "dst.xlsx"
    write_workbook(path, example_cfg, AGENTS[:1], shifts, activities, coverage,
                   kpis_for(example_cfg, coverage, shifts, day, 1))
    rows = _rows(openpyxl.load_workbook(path)["Sun 2026-10-25"])
    header = rows[_find(rows, "Agent ID")]
    labels = header[5:]
    assert len(labels) == 100 and labels.count("02:00") == 2
    assert labels[8] == labels[12] == "02:00"
    line = next(r for r in rows if r[0] == "A1")[5:]
    assert line[12] == "B" and line.count("B") == 1 and line.count("1") == 99


def test_two_week_horizon_has_weekly_paid_hours(case: dict, tmp_path) -> None:
    kpis = kpis_for(case["cfg"], case["coverage"], case["shifts"], MONDAY, 14)
    path = tmp_path / "two.xlsx"
    write_workbook(path, case["cfg"], AGENTS, case["shifts"], case["activities"],
                   case["coverage"], kpis)
    rows = _rows(openpyxl.load_workbook(path)["Schedule"])
    header = rows[_find(rows, "Agent ID")]
    assert "Mon 06/04" not in header and "Sun 05/04" in header
    body = {r[0]: r for r in rows[_find(rows, "Agent ID") + 1:]}
    shifts = case["shifts"]
    for agent in AGENTS:
        mine = shifts[shifts["agent_id"] == agent.agent_id]
        first_week = mine[mine["date"] < MONDAY + timedelta(days=7)]["paid_minutes"].sum()
        row = body[agent.agent_id]
        assert row[header.index("Paid h wk 23/03")] == pytest.approx(first_week / 60)
        assert row[header.index("Paid h wk 30/03")] == pytest.approx(
            (mine["paid_minutes"].sum() - first_week) / 60)
        assert row[header.index("Paid h total")] == pytest.approx(mine["paid_minutes"].sum() / 60)


def test_weekly_paid_hours_follow_calendar_weeks(case: dict, tmp_path) -> None:
    """A horizon starting on a Wednesday: Wed-Sun, then Mon-Tue, as the labor rules count."""
    start = MONDAY + timedelta(days=2)
    shifts = case["shifts"][case["shifts"]["date"] >= start]
    activities = case["activities"][case["activities"]["start"].dt.date >= start]
    coverage = case["coverage"][case["coverage"]["interval_start"].dt.date >= start]
    kpis = kpis_for(case["cfg"], coverage, shifts, start, 7)
    path = tmp_path / "midweek.xlsx"
    write_workbook(path, case["cfg"], AGENTS, shifts, activities, coverage, kpis)
    rows = _rows(openpyxl.load_workbook(path)["Schedule"])
    header = rows[_find(rows, "Agent ID")]
    next_monday = MONDAY + timedelta(days=7)
    assert f"Paid h wk {start:%d/%m}" in header
    assert f"Paid h wk {next_monday:%d/%m}" in header
    body = {r[0]: r for r in rows[_find(rows, "Agent ID") + 1:]}
    for agent in AGENTS:
        mine = shifts[shifts["agent_id"] == agent.agent_id]
        this_week = mine[mine["date"] < next_monday]["paid_minutes"].sum()
        assert body[agent.agent_id][header.index(f"Paid h wk {start:%d/%m}")] == \
            pytest.approx(this_week / 60)


def test_a_night_shifts_day_sheet_runs_past_midnight(example_cfg: CenterConfig,
                                                       tmp_path) -> None:
    from wfm.config import parse_config

    data = example_cfg.model_dump(mode="json")
    data["center"]["opening_hours"] = dict.fromkeys(
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "24h")
    cfg = parse_config(data)
    wednesday = TUESDAY + timedelta(days=1)
    start = pd.Timestamp(f"{TUESDAY} 22:00").tz_localize(ZONE)
    end = start + pd.Timedelta(hours=8)
    middle = start + pd.Timedelta(hours=4)
    shifts, activities = one_shift("A5", TUESDAY, start, 8, "billing_en", middle, 30, "night")
    stamps = pd.date_range(start - pd.Timedelta(hours=2), end, freq="15min", inclusive="left")
    coverage = pd.DataFrame({
        "interval_start": stamps, "queue": "billing_en", "required": 1,
        "scheduled": [int(start <= t < middle or middle + pd.Timedelta(minutes=30) <= t < end)
                      for t in stamps],
        "offered": 5.0, "aht_seconds": 300.0, "projected_service_level": float("nan"),
        "worked": float("nan"), "backlog": float("nan"), "past_due": float("nan")})
    coverage["shortfall"] = (coverage["required"] - coverage["scheduled"]).clip(lower=0)
    path = tmp_path / "night.xlsx"
    write_workbook(path, cfg, AGENTS, shifts, activities, coverage,
                   kpis_for(cfg, coverage, shifts, TUESDAY, 2))
    wb = openpyxl.load_workbook(path)
    rows = _rows(_day_sheet(wb, TUESDAY))
    labels = rows[_find(rows, "Agent ID")][5:]
    # the whole day, then Wednesday's hours up to the shift's end, marked +1
    assert labels[0] == "00:00" and labels[95] == "23:45"
    assert labels[96:] == [f"{h:02d}:{m:02d} +1" for h in range(6) for m in (0, 15, 30, 45)]
    line = next(r for r in rows if r and r[0] == "A5")
    assert line[3] == "22:00-06:00 +1"
    tag = next(r for r in rows if r and r[0] == "billing_en" and r[2] == "Scheduled")
    codes = line[5:]
    assert codes[88:104] == ["1"] * 16  # 22:00-02:00 on billing_en, queue no. 1
    assert codes[104:106] == ["B", "B"] and codes[106:] == ["1"] * 14
    # the coverage after midnight is Wednesday's rows, also on Wednesday's own sheet
    assert tag[5 + 88:] == [int(v) for v in coverage["scheduled"].iloc[8:]]
    wednesday_rows = _rows(_day_sheet(wb, wednesday))
    wednesday_tag = next(r for r in wednesday_rows
                         if r and r[0] == "billing_en" and r[2] == "Scheduled")
    assert wednesday_tag[5:5 + 24] == tag[5 + 96:]
    schedule = _rows(wb["Schedule"])
    assert any("22:00-06:00 +1" in row for row in schedule)


def test_rules_sheet_shows_seasons_and_holiday_rules(tmp_path) -> None:
    from wfm.calendar import opening_label
    from wfm.config import parse_config
    from wfm.io.config_file import load_config

    base = load_config(Path(__file__).resolve().parent.parent / "configs/center_24x7.yaml")
    data = base.model_dump(mode="json")
    data["center"]["seasonal_hours"] = [{
        "name": "summer", "first_date": "2026-07-01", "last_date": "2026-08-31",
        "opening_hours": {**data["center"]["opening_hours"], "fri": ["08:00-12:00",
                                                                     "18:00-24:00"]}}]
    cfg = parse_config(data)
    path = tmp_path / "rules.xlsx"
    coverage = empty_coverage()
    shifts = pd.DataFrame(columns=["agent_id", "date", "shift_start", "shift_end",
                                   "paid_minutes", "template"])
    activities = pd.DataFrame(columns=["agent_id", "start", "end", "activity", "queue"])
    write_workbook(path, cfg, AGENTS[:1], shifts, activities, coverage,
                   kpis_for(cfg, coverage, shifts, date(2026, 4, 20), 1))
    rows = _rows(openpyxl.load_workbook(path)["Rules"])
    values = {row[0]: row[1] for row in rows if row and row[0]}
    assert values["Opening hours mon"] == "24h"
    assert values["Weekend"] == "fri, sat"
    assert values["Hours on open holidays"] == opening_label(cfg.center.holidays.hours)
    assert values["Hours on eves"] == "00:00-22:00"
    for key, rule in cfg.center.holidays.days.items():
        assert values[key] == opening_label(rule)
    summer = rows[_find(rows, "summer")]
    assert summer[1:3] == ["2026-07-01", "2026-08-31"]
    assert summer[3:10] == ["24h"] * 4 + ["08:00-12:00, 18:00-24:00", "24h", "24h"]


def test_every_sheet_prints_landscape_fitted_with_footer(case: dict) -> None:
    wb = case["wb"]
    for ws in wb.worksheets:
        assert ws.print_area, ws.title
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        footer = ws.oddFooter
        assert footer.left.text == "Iberia Contact Center - &A"
        assert footer.center.text == "2026-03-23 to 2026-03-29"
        assert footer.right.text == "Page &P of &N"
        if ws.title != "Summary":
            assert ws.print_title_rows, ws.title
    summary = wb["Summary"]
    assert summary.page_setup.fitToHeight == 1  # one page
    assert wb["Schedule"].page_setup.fitToHeight == 0  # as many pages as it takes
    monday = _day_sheet(wb, MONDAY)
    assert monday.row_breaks.brk, "the coverage of a day starts a printed page"


def test_day_sheets_chart_each_queue_with_work(case: dict) -> None:
    wb = openpyxl.load_workbook(case["path"])
    monday = _day_sheet(wb, MONDAY)
    covered = case["coverage"][case["coverage"]["interval_start"].dt.date == MONDAY]
    busy = covered.groupby("queue")[["required", "scheduled"]].sum().sum(axis=1)
    assert len(monday._charts) == int((busy > 0).sum()) > 0
