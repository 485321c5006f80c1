"""The simulation against the deliberately simple SimPy reference (`tests/sim_reference.py`):
the same schedule, the same rules, independent code and random streams."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tests.sim_center import START, agent, center, flat_volume, folder, voice
from tests.sim_reference import simulate_reference
from wfm.verify.simulate import SimulationOptions
from wfm.verify.simulate_report import simulate_schedule

QUEUES = [voice("a", "x", patience=120.0), voice("b", "y"),
          voice("c", "z", channel="chat", answer=60, concurrency=2),
          {"id": "m", "channel": "email", "skill": "w", "language": "es", "response_hours": 2}]


def _reference_levels(table) -> dict[str, tuple[float, float]]:
    out = {}
    for queue, rows in table.groupby("queue"):
        per_rep = rows.groupby("rep")[["within", "judged"]].sum()
        values = (per_rep["within"] / per_rep["judged"]).to_numpy(float)
        out[str(queue)] = (float(values.mean()),
                           1.96 * float(values.std(ddof=1)) / math.sqrt(len(values)))
    return out


def test_a_small_multi_skill_center_agrees_with_the_reference() -> None:
    cfg = center(QUEUES, shrinkage=0.2)
    roster = ([agent(f"X{i}", {"x": 1.0, "y": 0.8}) for i in range(4)]
              + [agent(f"Y{i}", {"y": 1.0}) for i in range(2)]
              + [agent(f"C{i}", {"z": 1.0, "x": 0.6}) for i in range(3)]
              + [agent(f"W{i}", {"w": 1.0, "y": 0.5}) for i in range(2)])
    days = 3
    schedule = folder(roster, days, "a", breaks=(("11:00", "11:15"), ("14:00", "14:30")))
    volume = flat_volume(cfg, days, {"a": 9.0, "b": 6.0, "c": 8.0, "m": 3.0},
                         {"a": 200.0, "b": 240.0, "c": 400.0, "m": 300.0})
    reps = 12
    ours = simulate_schedule(cfg, roster, schedule, volume, START, days,
                             SimulationOptions(reps=reps, seed=3, workers=1)).queues
    ours = ours.set_index("queue")
    theirs = _reference_levels(simulate_reference(
        cfg, roster, schedule.activities, schedule.shifts, volume, START, days, reps, seed=4))
    for queue_id, (level, half) in theirs.items():
        mine, my_half = ours.loc[queue_id, "service_level"], ours.loc[queue_id,
                                                                      "service_level_ci95"]
        assert 0.3 < mine < 1.0 or queue_id == "m"  # loaded enough to tell a difference
        bound = math.hypot(np.nan_to_num(my_half), np.nan_to_num(half))
        assert abs(mine - level) <= max(bound, 1e-9), (queue_id, mine, level, bound)


@pytest.mark.slow
def test_the_demo_week_agrees_with_the_reference_within_two_points(tmp_path) -> None:
    """The README's demo schedule: weekly voice and chat service levels within 2 points."""
    from typer.testing import CliRunner

    from wfm.cli.main import app
    from wfm.io.config_file import load_config
    from wfm.io.inputs import read_agents, read_forecast
    from wfm.io.schedule_folder import read_schedule
    from wfm.run.folders import latest_run
    from wfm.verify.folder import folder_horizon

    repo = Path(__file__).resolve().parent.parent
    config = repo / "configs" / "example.yaml"
    result = CliRunner().invoke(app, ["run", "--config", str(config), "--out",
                                      str(tmp_path / "runs"), "--as-of", "2026-11-22",
                                      "--quiet"])
    assert result.exit_code == 0, result.output
    run = latest_run(tmp_path / "runs")
    cfg = load_config(config)
    roster = read_agents(repo / "sample_data" / "agents.csv", cfg)
    schedule = read_schedule(run, cfg)
    start, days, _ = folder_horizon(schedule, run)
    forecast = read_forecast(run / "forecast.csv", cfg)
    ours = simulate_schedule(cfg, roster, schedule, forecast, start, days,
                             SimulationOptions(reps=20)).queues.set_index("queue")
    theirs = _reference_levels(simulate_reference(
        cfg, roster, schedule.activities, schedule.shifts, forecast, start, days, 20, seed=11))
    for queue in cfg.queues:
        if queue.channel in ("voice", "chat"):
            assert abs(ours.loc[queue.id, "service_level"] - theirs[queue.id][0]) <= 0.02
