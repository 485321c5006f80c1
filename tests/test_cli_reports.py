"""`wfm kpi`, `wfm adherence` and `wfm sample-data --actuals-for` through the command line."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_adherence import AGENTS, MONDAY, PLAN, monday_logs, schedule
from typer.testing import CliRunner

from wfm.cli.main import app
from wfm.io.files import write_table
from wfm.io.inputs import roster_table

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "configs" / "example.yaml"
runner = CliRunner()

HISTORY = """interval_start,queue,offered,handled,abandoned,aht_seconds,answered_within,\
short_abandoned,asa_seconds,wait_seconds
2026-11-23T09:00:00,billing_es,10,8,2,200,6,1,12,15
2026-11-23T09:15:00,billing_es,20,18,2,300,12,0,30,40
"""
#: The example config's state names (adherence.states) for each category.
NAMES = {"available": "Ready", "on_contact": "Talking", "after_contact_work": "Wrap-up",
         "break": "Break", "lunch": "Lunch", "coaching": "Coaching", "training": "Training",
         "neutral": "System issue"}


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def schedule_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "schedule"
    folder.mkdir()
    shifts, activities = schedule(PLAN)
    write_table(shifts, folder / "schedule.csv")
    write_table(activities, folder / "activities.csv")
    (folder / "kpis.json").write_text(json.dumps(
        {"horizon": {"start": MONDAY.isoformat(), "days": 1}}), encoding="utf-8")
    return folder


def roster(tmp_path: Path) -> Path:
    path = tmp_path / "agents.csv"
    roster_table(AGENTS).to_csv(path, index=False)
    return path


def states_file(tmp_path: Path) -> Path:
    table = monday_logs()
    table["state"] = table["category"].map(NAMES)
    path = tmp_path / "agent_states.csv"
    write_table(table.drop(columns="category"), path)
    return path


def test_kpi_writes_the_table_and_names_the_formula(tmp_path: Path) -> None:
    history = tmp_path / "history.csv"
    history.write_text(HISTORY, encoding="utf-8")
    out, xlsx = tmp_path / "kpi.csv", tmp_path / "kpi.xlsx"
    result = invoke("kpi", "--config", CONFIG, "--history", history, "--by", "day",
                    "--out", out, "--xlsx", xlsx)
    assert result.exit_code == 0, result.output
    assert "(answered + abandoned - abandoned within 5 s)" in result.output
    table = pd.read_csv(out)
    billing = table[table["queue"] == "billing_es"].iloc[0]
    assert billing["service_level"] == pytest.approx(18 / 29)  # the example's formula
    assert billing["period"] == "2026-11-23" and billing["offered"] == 30
    assert set(table["service_level_formula"]) == {"offered_less_short_abandons 5 s"}
    ws = openpyxl.load_workbook(xlsx)["KPIs"]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows and "Page &P of &N" in ws.oddFooter.right.text
    assert "offered_less_short_abandons" in ws["A2"].value


def test_kpi_with_state_logs_and_schedule(tmp_path: Path) -> None:
    folder = schedule_folder(tmp_path)
    result = invoke("kpi", "--config", CONFIG, "--history", tmp_path / "none.csv", "--actuals",
                    states_file(tmp_path), "--schedule", folder)
    assert result.exit_code == 2 and "none.csv: no such file" in result.output
    history = tmp_path / "history.csv"
    history.write_text(HISTORY, encoding="utf-8")
    out = tmp_path / "kpi.csv"
    result = invoke("kpi", "--config", CONFIG, "--history", history, "--actuals",
                    states_file(tmp_path), "--schedule", folder, "--out", out)
    assert result.exit_code == 0, result.output
    every = pd.read_csv(out).query("queue == 'all'").iloc[0]
    # A1: 55 min available, 100 on contact, 28 available; A2: 185 available, 90 on contact
    assert every["occupancy"] == pytest.approx(190 / (190 + 268))
    assert pd.isna(every["utilisation"])  # paid_minutes are 0 in the test schedule


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2026-13-01"], "--from: expected a date YYYY-MM-DD, got '2026-13-01'"),
    (["--by", "hour"], "Invalid value for '--by'"),
    (["--from", "2026-11-30", "--to", "2026-11-01"], "--from 2026-11-30 is after --to 2026-11-01"),
])
def test_kpi_bad_options_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    history = tmp_path / "history.csv"
    history.write_text(HISTORY, encoding="utf-8")
    result = invoke("kpi", "--config", CONFIG, "--history", history, *args)
    assert result.exit_code == 2 and message in result.output


def test_adherence_writes_agents_exceptions_and_workbook(tmp_path: Path) -> None:
    out, exceptions, xlsx = tmp_path / "adh.csv", tmp_path / "exc.csv", tmp_path / "adh.xlsx"
    result = invoke("adherence", "--config", CONFIG, "--schedule", schedule_folder(tmp_path),
                    "--actuals", states_file(tmp_path), "--agents", roster(tmp_path),
                    "--out", out, "--exceptions", exceptions, "--xlsx", xlsx)
    assert result.exit_code == 0, result.output
    days = pd.read_csv(out).set_index("agent_id")
    assert days.loc["A1", "adherence"] == pytest.approx(1 - 10 / 210)
    assert days.loc["A3", "out_of_adherence_minutes"] == 240
    kinds = pd.read_csv(exceptions)["kind"].tolist()
    assert kinds == ["late_login", "long_break", "unscheduled_work", "missed_training", "absent"]
    assert "exceptions: absent 1, late_login 1, long_break 1, missed_training 1" in result.output
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["Agents", "Exceptions", "Totals"]
    for ws in wb.worksheets:
        assert ws.print_area and ws.oddFooter.center.text == "2026-11-23 to 2026-11-23"
    no_grace = invoke("adherence", "--config", CONFIG, "--schedule", tmp_path / "schedule",
                      "--actuals", tmp_path / "agent_states.csv", "--agents",
                      tmp_path / "agents.csv", "--grace-minutes", "0")
    assert "early_logout 1" in no_grace.output


def test_adherence_refuses_an_unknown_state(tmp_path: Path) -> None:
    states = states_file(tmp_path)
    states.write_text(states.read_text(encoding="utf-8").replace("Break", "Pause"),
                      encoding="utf-8")
    result = invoke("adherence", "--config", CONFIG, "--schedule", schedule_folder(tmp_path),
                    "--actuals", states, "--agents", roster(tmp_path))
    assert result.exit_code == 2
    assert "row 4, column state: unknown state 'Pause'" in result.output


def test_sample_actuals_for_a_schedule(tmp_path: Path) -> None:
    folder = schedule_folder(tmp_path)
    out = tmp_path / "out"
    first = invoke("sample-data", "--config", CONFIG, "--out", out, "--actuals-for", folder,
                   "--compress")
    assert first.exit_code == 0, first.output
    assert "sick day:" in first.output and "missed session:" in first.output
    data = (out / "agent_states.csv.gz").read_bytes()
    again = invoke("sample-data", "--config", CONFIG, "--out", tmp_path / "again",
                   "--actuals-for", folder, "--compress")
    assert again.exit_code == 0 and (tmp_path / "again" / "agent_states.csv.gz").read_bytes() \
        == data
    text = gzip.decompress(data).decode("utf-8")
    assert text.startswith("agent_id,state,start,end\n")
    assert set(pd.read_csv(out / "agent_states.csv.gz")["state"]) <= set(NAMES.values())
    result = invoke("adherence", "--config", CONFIG, "--schedule", folder, "--actuals",
                    out / "agent_states.csv.gz", "--agents", roster(tmp_path))
    assert result.exit_code == 0, result.output
    # the sick day and the missed session come out as exceptions
    assert "absent 1" in result.output and "missed_training 1" in result.output
