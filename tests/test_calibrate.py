"""Staffing calibrated by simulation (`wfm.calibrate`, `wfm schedule --calibrate`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tests.sim_center import START, agent, center, flat_volume, voice
from wfm.calibrate import calibrate_step, calibration_lines, pooling_gain
from wfm.cli.main import app
from wfm.io.files import write_table
from wfm.io.inputs import roster_table
from wfm.io.schedule_folder import read_schedule
from wfm.io.tables import CALIBRATION_FILE
from wfm.plan import horizon_rows, staff_step
from wfm.verify.folder import verify_folder
from wfm.verify.simulate import SimulationOptions
from wfm.verify.simulate_report import simulate_schedule

runner = CliRunner()


def _center():
    cfg = center([voice("a", "x", patience=150.0), voice("b", "y")])
    # Every agent serves both queues: the plan sizes each queue alone.
    roster = [agent(f"A{i:02d}", {"x": 1.0, "y": 1.0}) for i in range(30)]
    volume = flat_volume(cfg, 1, {"a": 14.0, "b": 9.0}, {"a": 240.0, "b": 300.0},
                         begin="08:00", end="20:00")
    return cfg, roster, volume


def test_calibration_lowers_the_plan_where_pooling_serves_and_keeps_every_target(
        tmp_path: Path) -> None:
    cfg, roster, volume = _center()
    plan = horizon_rows(staff_step(cfg, volume), START, 1)
    options = SimulationOptions(reps=8, workers=1)
    outcome = calibrate_step(cfg, roster, plan, START, 1, tmp_path / "out", options,
                             max_iterations=4, time_limit_seconds=10, workers=1)
    assert len(outcome.iterations) >= 2
    assert outcome.met and outcome.best.meets_targets
    assert outcome.iterations[0].required_hours == pytest.approx(outcome.erlang_hours)
    assert outcome.best.live_required_hours < outcome.erlang_live_hours
    # The published folder is the chosen iteration's, checked, with its record.
    folder = tmp_path / "out"
    record = json.loads((folder / CALIBRATION_FILE).read_text(encoding="utf-8"))
    assert record["calibrated"]["iteration"] == outcome.chosen
    assert record["calibrated"]["required_hours"] == pytest.approx(outcome.best.required_hours)
    written = read_schedule(folder, cfg)
    assert written.coverage["required"].sum() * 0.25 == pytest.approx(
        outcome.best.required_hours)
    _, violations = verify_folder(cfg, roster, folder)
    assert violations == []
    # Simulating the published schedule again with the same seed gives the same verdict.
    again = simulate_schedule(cfg, roster, written, plan, START, 1, options)
    days = again.days[again.days["offered"] > 0]
    assert (days["service_level"] >= days["service_level_target"]).all()
    assert not list(tmp_path.glob(".out.calibration.*"))  # the working folder is gone
    text = "\n".join(calibration_lines(outcome))
    assert "<- published" in text and "saved" in text


def test_the_pooling_gain_inverts_the_queues_own_model() -> None:
    cfg, _, volume = _center()
    queue = cfg.queue("b")
    offered = volume[volume["queue"] == "b"]["offered"].to_numpy(float)
    aht = volume[volume["queue"] == "b"]["aht_seconds"].to_numpy(float)
    from wfm.staffing.requirements import project_metrics
    at_five = project_metrics(queue, offered * 0 + 5.0, offered, aht, 15)["service_level"][0]
    # The level the model gives 5 agents is, seen from 3 agents, a gain of 2.
    gain = pooling_gain(queue, offered * 0 + 3.0, offered, aht, 15, float(at_five), cap=10)
    assert gain == pytest.approx(2.0, abs=1e-6)
    assert pooling_gain(queue, offered * 0 + 3.0, offered, aht, 15, 1.0, cap=4) == 4


def test_calibrate_needs_a_forecast(tmp_path: Path) -> None:
    cfg, roster, volume = _center()
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump(cfg.model_dump(mode="json", exclude={"inputs"})),
                      encoding="utf-8")
    agents = tmp_path / "agents.csv"
    write_table(roster_table(roster), agents)
    requirements = tmp_path / "requirements.csv"
    write_table(staff_step(cfg, volume), requirements)
    result = runner.invoke(app, ["schedule", "--config", str(config), "--agents", str(agents),
                                 "--requirements", str(requirements), "--start",
                                 START.isoformat(), "--days", "1", "--out",
                                 str(tmp_path / "s"), "--calibrate"])
    assert result.exit_code == 2
    assert "--calibrate needs --forecast" in result.output
