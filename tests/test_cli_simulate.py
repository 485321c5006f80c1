"""`wfm simulate` through the CLI, the simulation's tables, and its independence."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from tests.sim_center import START, agent, center, flat_volume, folder, voice
from wfm.cli.main import app
from wfm.io.files import write_json, write_table
from wfm.io.inputs import roster_table
from wfm.io.schedule_folder import activities_for_file, shifts_for_file
from wfm.io.tables import (
    ACTIVITIES_FILE,
    COVERAGE_COLUMNS,
    COVERAGE_FILE,
    KPIS_FILE,
    SCHEDULE_FILE,
    SIMULATION_COLUMNS,
    SIMULATION_DAY_COLUMNS,
)
from wfm.verify import simulate as sim
from wfm.verify.simulate_report import day_table, interval_table, queue_table

runner = CliRunner()
QUEUES = [voice("a", "x", patience=120.0), voice("b", "y"),
          {"id": "mail", "channel": "email", "skill": "m", "language": "es",
           "response_hours": 2}]


def _config_dict() -> dict:
    cfg = center(QUEUES)
    return cfg.model_dump(mode="json", exclude={"inputs"})


@pytest.fixture
def center_files(tmp_path: Path) -> dict[str, Path]:
    """A config, roster, forecast and schedule folder (with coverage and kpis) on disk."""
    cfg = center(QUEUES)
    config = tmp_path / "center.yaml"
    config.write_text(yaml.safe_dump(_config_dict()), encoding="utf-8")
    roster = [agent(f"A{i}", {"x": 1.0, "y": 0.5, "m": 1.0}) for i in range(4)] + \
        [agent(f"B{i}", {"y": 1.0}) for i in range(3)]
    agents = tmp_path / "agents.csv"
    write_table(roster_table(roster), agents)
    schedule = folder(roster, 2, "a", breaks=(("12:00", "12:15"),))
    volume = flat_volume(cfg, 2, {"a": 6.0, "b": 4.0, "mail": 2.0},
                         {"a": 180.0, "b": 240.0, "mail": 300.0})
    forecast = tmp_path / "forecast.csv"
    write_table(volume, forecast)
    out = tmp_path / "schedule"
    out.mkdir()
    write_table(shifts_for_file(schedule.shifts), out / SCHEDULE_FILE)
    write_table(activities_for_file(schedule.activities), out / ACTIVITIES_FILE)
    coverage = volume.assign(required=2, scheduled=4, shortfall=0,
                             projected_service_level=np.where(volume["queue"] == "mail",
                                                              np.nan, 0.5))
    coverage = coverage.assign(worked=np.nan, backlog=np.nan, past_due=np.nan)
    write_table(coverage[list(COVERAGE_COLUMNS)], out / COVERAGE_FILE)
    write_json({"horizon": {"start": START.isoformat(), "days": 2}}, out / KPIS_FILE)
    return {"config": config, "agents": agents, "forecast": forecast, "schedule": out,
            "tmp": tmp_path}


def _args(files: dict[str, Path], *more: str) -> list[str]:
    return ["simulate", "--config", str(files["config"]), "--agents", str(files["agents"]),
            "--schedule", str(files["schedule"]), *more]


def test_simulate_prints_days_and_writes_the_interval_table_and_workbook(
        center_files: dict[str, Path]) -> None:
    out = center_files["tmp"] / "sim.csv"
    book = center_files["tmp"] / "sim.xlsx"
    result = runner.invoke(app, _args(center_files, "--forecast", str(center_files["forecast"]),
                                      "--reps", "4", "--workers", "1", "--out", str(out),
                                      "--xlsx", str(book)))
    assert result.exit_code == 0, result.output
    assert "SL sim (95% CI)" in result.output
    assert "2026-03-02 a" in result.output and "outside CI" in result.output
    assert "4 replications (seed 0, skills routing" in result.output
    table = pd.read_csv(out)
    assert tuple(table.columns) == SIMULATION_COLUMNS
    assert len(table) == 2 * 96 * 3  # every interval of both days, every queue
    busy = table[(table["queue"] == "a") & (table["offered"] > 0)]
    assert busy["service_level"].between(0, 1).all()
    assert busy["projected_service_level"].eq(0.5).all()
    sheets = openpyxl.load_workbook(book, read_only=True).sheetnames
    assert sheets == ["By day", "By queue", "Disagreements"]


def test_simulate_needs_one_volume_and_lognormal_for_a_spread(
        center_files: dict[str, Path]) -> None:
    forecast = str(center_files["forecast"])
    neither = runner.invoke(app, _args(center_files))
    both = runner.invoke(app, _args(center_files, "--forecast", forecast, "--history",
                                    forecast))
    spread = runner.invoke(app, _args(center_files, "--forecast", forecast, "--handle-cv",
                                      "0.5"))
    for result in (neither, both):
        assert result.exit_code == 2 and "exactly one of --forecast or --history" in \
            result.output
    assert spread.exit_code == 2 and "--handle-cv needs --handle-times lognormal" in \
        spread.output


def test_simulate_refuses_a_schedule_with_agents_the_roster_lacks(
        center_files: dict[str, Path]) -> None:
    roster = pd.read_csv(center_files["agents"], dtype=str)
    write_table(roster[roster["agent_id"] != "B2"], center_files["agents"])
    result = runner.invoke(app, _args(center_files, "--forecast",
                                      str(center_files["forecast"])))
    assert result.exit_code == 2
    assert "agent 'B2', who is not in the roster" in result.output


def test_replaying_a_history_gives_its_counts(center_files: dict[str, Path]) -> None:
    history = center_files["tmp"] / "history.csv"
    volume = pd.read_csv(center_files["forecast"])
    write_table(volume, history)
    out = center_files["tmp"] / "sim.csv"
    result = runner.invoke(app, _args(center_files, "--history", str(history), "--reps", "2",
                                      "--workers", "1", "--out", str(out)))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    offered = table.groupby("queue")["offered"].sum()
    assert offered.to_dict() == {"a": 6.0 * 88, "b": 4.0 * 88, "mail": 2.0 * 88}
    assert table["offered_ci95"].fillna(0).eq(0).all()


def test_day_figures_are_ratios_within_replications_and_the_projection_is_weighted() -> None:
    cfg = center([voice("a", "x")])
    roster = [agent(f"A{i}", {"x": 1.0}) for i in range(3)]
    volume = flat_volume(cfg, 2, {"a": 8.0}, {"a": 200.0})
    model = sim.build_model(cfg, roster, folder(roster, 2, "a"), volume, START, 2)
    run = sim.simulate(model, sim.SimulationOptions(reps=3, workers=1))
    # Projection: 0.9 in the first 10 intervals of each day (offered 8), 0.5 after.
    coverage = volume.copy()
    hours = coverage["interval_start"].dt.hour * 4 + coverage["interval_start"].dt.minute // 15
    coverage["projected_service_level"] = np.where(hours < 42, 0.9, 0.5)
    coverage.loc[hours < 42, "offered"] = 24.0
    days = day_table(cfg, run, coverage)
    assert tuple(days.columns) == SIMULATION_DAY_COLUMNS
    expected = (0.9 * 24 * 10 + 0.5 * 8 * 34) / (24 * 10 + 8 * 34)
    assert days["projected_service_level"].round(12).tolist() == [round(expected, 12)] * 2
    within = run.tallies["within"][:, :96].sum(axis=1)[:, 0]
    offered = run.tallies["offered"][:, :96].sum(axis=1)[:, 0]
    assert days["service_level"].iloc[0] == pytest.approx((within / offered).mean())
    intervals = interval_table(run, coverage)
    assert intervals["projected_service_level"].notna().sum() == len(coverage)
    per_queue = queue_table(cfg, run, coverage)
    assert per_queue["offered"].iloc[0] == pytest.approx(
        run.tallies["offered"].sum(axis=(1, 2)).mean())


def test_the_simulation_imports_neither_the_solver_nor_the_staffing_math() -> None:
    root = Path(__file__).resolve().parent.parent / "wfm" / "verify"
    for path in root.glob("simulate*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert not name.startswith(("wfm.schedule", "wfm.staffing", "wfm.reports")), \
                    (path.name, name)


def test_simulate_needs_the_horizon_kpis_json_records(center_files: dict[str, Path]) -> None:
    (center_files["schedule"] / KPIS_FILE).unlink()
    result = runner.invoke(app, _args(center_files, "--forecast",
                                      str(center_files["forecast"])))
    assert result.exit_code == 2
    assert "no horizon" in result.output
