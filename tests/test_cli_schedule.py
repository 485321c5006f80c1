"""`wfm schedule` through CliRunner: files, exit codes, messages (`wfm check`: test_cli_check)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_check import BASE_CONFIG, MONDAY, ROSTER, make_cfg, valid_plan
from test_schedule_files import requirements_for, result_of, write
from typer.testing import CliRunner

from wfm.cli.main import app
from wfm.errors import InfeasibleRules, NoSolution
from wfm.io.files import write_table
from wfm.io.tables import COVERAGE_FILE, KPIS_FILE, SCHEDULE_FILE

runner = CliRunner()


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    config = tmp_path / "center.yaml"
    config.write_text(yaml.safe_dump(BASE_CONFIG), encoding="utf-8")
    agents = tmp_path / "agents.csv"
    pd.DataFrame(ROSTER).to_csv(agents, index=False)
    requirements = tmp_path / "requirements.csv"
    write_table(requirements_for(make_cfg(), MONDAY), requirements)
    return {"config": config, "agents": agents, "requirements": requirements,
            "out": tmp_path / "out", "tmp": tmp_path}


def schedule_args(files: dict[str, Path], *extra: str) -> list[str]:
    return ["schedule", "--config", str(files["config"]), "--agents", str(files["agents"]),
            "--start", MONDAY.isoformat(), "--days", "7", "--out", str(files["out"]), *extra]


@pytest.fixture()
def fake_solver(monkeypatch):
    """Replace the solver by one returning the hand-built valid week; record its inputs."""
    calls: list[dict] = []

    def solve(cfg, agents, requirements, start, days, **kwargs):
        calls.append({"requirements": requirements, "start": start, "days": days, **kwargs})
        return result_of(valid_plan())

    monkeypatch.setattr("wfm.schedule.solve.solve_schedule", solve)
    return calls


def test_a_schedule_the_checker_rejects_is_not_published(files, monkeypatch):
    def solve(cfg, agents, requirements, start, days, **kwargs):
        return result_of(valid_plan())

    monkeypatch.setattr("wfm.schedule.solve.solve_schedule", solve)
    args = schedule_args(files, "--requirements", str(files["requirements"]), "--quiet")
    assert runner.invoke(app, args).exit_code == 0
    before = {p.name: p.read_bytes() for p in files["out"].iterdir()}

    def broken(cfg, agents, requirements, start, days, **kwargs):
        result = result_of(valid_plan())
        result.shifts.loc[0, "paid_minutes"] += 15
        return result

    monkeypatch.setattr("wfm.schedule.solve.solve_schedule", broken)
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert "checker rejected the schedule" in result.output
    assert "shift_templates: agent a1" in result.output
    assert {p.name: p.read_bytes() for p in files["out"].iterdir()} == before
    rejected = files["out"].with_name("out.rejected")
    assert (rejected / SCHEDULE_FILE).read_text() != before[SCHEDULE_FILE].decode()


def test_schedule_has_help_with_an_example():
    result = runner.invoke(app, ["schedule", "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output


def test_schedule_solves_writes_and_passes_the_checker(files):
    result = runner.invoke(app, schedule_args(files, "--requirements", str(files["requirements"]),
                                              "--time-limit", "20", "--workers", "1", "--seed",
                                              "3", "--quiet"))
    assert result.exit_code == 0, result.output
    assert "checker: valid" in result.output
    assert "billing_es" in result.output and "solver:" in result.output
    for name in (SCHEDULE_FILE, COVERAGE_FILE, KPIS_FILE):
        assert (files["out"] / name).exists()


def test_schedule_passes_options_and_renders_summary(files, fake_solver):
    result = runner.invoke(app, schedule_args(files, "--requirements", str(files["requirements"]),
                                              "--time-limit", "5", "--workers", "1", "--seed",
                                              "7"))
    assert result.exit_code == 0, result.output
    call = fake_solver[0]
    assert call["start"] == MONDAY and call["days"] == 7
    assert (call["time_limit_seconds"], call["workers"], call["seed"]) == (5.0, 1, 7)
    assert call["previous"] is None
    assert {"interval_start", "queue", "required"} <= set(call["requirements"].columns)
    assert "tech_es" in result.output and "wrote" in result.output
    assert "checker: valid" in result.output


def test_schedule_from_forecast_sizes_requirements(files, fake_solver):
    needed = requirements_for(make_cfg(), MONDAY)
    forecast = files["tmp"] / "forecast.csv"
    write_table(needed[["interval_start", "queue", "offered", "aht_seconds"]], forecast)
    result = runner.invoke(app, schedule_args(files, "--forecast", str(forecast)))
    assert result.exit_code == 0, result.output
    sized = fake_solver[0]["requirements"]
    assert (sized["required"] > 0).all()
    assert sized["required"].dtype.kind == "i"


def test_schedule_with_previous_and_workbook(files, fake_solver):
    write(files["tmp"] / "before", valid_plan(MONDAY.replace(day=9)), MONDAY.replace(day=9))
    book = files["tmp"] / "book.xlsx"
    result = runner.invoke(app, schedule_args(
        files, "--requirements", str(files["requirements"]), "--previous",
        str(files["tmp"] / "before"), "--xlsx", str(book)))
    assert result.exit_code == 0, result.output
    previous = fake_solver[0]["previous"]
    assert len(previous) == 10 and str(previous["shift_start"].dt.tz) == "Europe/Madrid"
    assert book.exists() and book.stat().st_size > 0


@pytest.mark.parametrize("error, code", [(InfeasibleRules("min_weekly_hours: agent a1"), 3),
                                         (NoSolution("nothing in 5 s"), 4)])
def test_solver_errors_map_to_exit_codes(files, monkeypatch, error, code):
    def solve(*args, **kwargs):
        raise error

    monkeypatch.setattr("wfm.schedule.solve.solve_schedule", solve)
    write(files["out"], valid_plan())
    before = (files["out"] / SCHEDULE_FILE).read_bytes()
    result = runner.invoke(app, schedule_args(files, "--requirements", str(files["requirements"])))
    assert result.exit_code == code
    assert str(error) in result.output
    assert (files["out"] / SCHEDULE_FILE).read_bytes() == before  # old schedule kept


@pytest.mark.parametrize("extra, message", [
    ([], "exactly one of --requirements or --forecast"),
    (["--requirements", "R", "--forecast", "F"], "exactly one of"),
])
def test_schedule_needs_one_source(files, extra, message):
    result = runner.invoke(app, schedule_args(files, *extra))
    assert result.exit_code == 2
    assert message in result.output


def test_schedule_bad_start_and_empty_horizon(files, fake_solver):
    args = schedule_args(files, "--requirements", str(files["requirements"]))
    bad = list(args)
    bad[bad.index("--start") + 1] = "23/03/2026"
    result = runner.invoke(app, bad)
    assert result.exit_code == 2 and "--start" in result.output
    later = list(args)
    later[later.index("--start") + 1] = "2027-01-04"
    result = runner.invoke(app, later)
    assert result.exit_code == 2 and "no rows between" in result.output
    assert fake_solver == []



def test_summary_kpis_and_workbook_show_the_same_figures(files):
    import json

    import openpyxl

    xlsx = files["tmp"] / "schedule.xlsx"
    result = runner.invoke(app, schedule_args(files, "--requirements", str(files["requirements"]),
                                              "--time-limit", "20", "--workers", "1", "--seed",
                                              "3", "--quiet", "--xlsx", str(xlsx)))
    assert result.exit_code == 0, result.output
    kpis = json.loads((files["out"] / KPIS_FILE).read_text())
    printed = {line.split()[0]: line.split() for line in result.output.splitlines()
               if line.split() and line.split()[0] in kpis["queues"]}
    sheet = [row for row in openpyxl.load_workbook(xlsx)["Summary"].iter_rows(values_only=True)]
    in_book = {row[0]: row for row in sheet if row and row[0] in kpis["queues"]}
    assert set(printed) == set(in_book) == set(kpis["queues"])
    for queue, figures in kpis["queues"].items():
        hours = [figures[k] for k in ("required_hours", "scheduled_hours", "shortfall_hours")]
        assert [float(x) for x in printed[queue][1:4]] == [round(h, 1) for h in hours]
        assert list(in_book[queue][2:5]) == pytest.approx(hours)
        assert in_book[queue][5] == figures["intervals_short"]
        level = figures["projected_service_level"]
        if level is None:
            assert printed[queue][4] == "-" and in_book[queue][6] is None
        else:
            assert printed[queue][4] == f"{level:.1%}"
            assert in_book[queue][6] == pytest.approx(level)
    assert any(f["projected_service_level"] is not None for f in kpis["queues"].values())
    total = next(row for row in sheet if row and row[0] == "Total")
    assert total[6] == pytest.approx(kpis["projected_service_level"])
