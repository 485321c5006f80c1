"""No silent fallback: a schedule no better than the safe one is written and checked, but
`wfm schedule` exits 5 and `wfm run` keeps `latest` on the last good plan."""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from tests.run_fixtures import AS_OF, write_center
from wfm.errors import EXIT_DEGRADED
from wfm.run.folders import latest_run

START = date(2026, 2, 2)


@pytest.fixture()
def starved(monkeypatch):
    """The large-roster method with its search stopped at once, as when the machine is too
    busy for the LP and the search to finish: only the safe schedule is left."""
    import wfm.schedule.solve as solve_module

    real = solve_module.solve_schedule

    def solve(*args, **kwargs):
        stop = threading.Event()
        stop.set()
        kwargs.update(method="aggregate", stop=stop)
        return real(*args, **kwargs)

    monkeypatch.setattr(solve_module, "solve_schedule", solve)


def test_a_stopped_search_returns_the_safe_schedule_marked_degraded() -> None:
    from wfm.io.config_file import load_config
    from wfm.samples.synthetic import synthetic_requirements, synthetic_roster
    from wfm.schedule.solve import solve_schedule

    cfg = load_config("configs/example.yaml")
    agents = synthetic_roster(cfg, 30, START, 7, seed=4)
    need = synthetic_requirements(cfg, agents, START, 7, seed=4)
    stop = threading.Event()
    stop.set()
    result = solve_schedule(cfg, agents, need, START, 7, time_limit_seconds=20, workers=2,
                            method="aggregate", stop=stop)
    assert result.degraded
    assert result.coverage_objective == result.milestones["safe_coverage"]
    assert any(n.startswith("quality: DEGRADED") for n in result.notes)


def test_wfm_schedule_exits_5_on_a_degraded_schedule_after_writing_and_checking(
        tmp_path: Path, starved) -> None:
    from tests.test_check import BASE_CONFIG, MONDAY, ROSTER, make_cfg
    from tests.test_schedule_files import requirements_for
    from wfm.cli.main import app
    from wfm.io.files import write_table

    config = tmp_path / "center.yaml"
    config.write_text(yaml.safe_dump(BASE_CONFIG), encoding="utf-8")
    agents = tmp_path / "agents.csv"
    pd.DataFrame(ROSTER).to_csv(agents, index=False)
    requirements = tmp_path / "requirements.csv"
    write_table(requirements_for(make_cfg(), MONDAY), requirements)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "schedule", "--config", str(config), "--agents", str(agents), "--requirements",
        str(requirements), "--start", MONDAY.isoformat(), "--days", "7", "--out", str(out)])
    assert result.exit_code == EXIT_DEGRADED == 5, result.output
    assert "degraded" in result.stderr
    assert "checker: valid" in result.stdout  # written and checked all the same
    kpis = json.loads((out / "kpis.json").read_text())
    assert kpis["degraded"] is True
    assert "DEGRADED" in result.stdout


def _run(config: Path, runs: Path):
    from wfm.cli.run import app

    return CliRunner().invoke(app, ["--config", str(config), "--out", str(runs), "--as-of",
                                    AS_OF.isoformat(), "--quiet"])


def test_a_degraded_run_keeps_latest_on_the_last_good_plan(tmp_path: Path,
                                                          monkeypatch) -> None:
    config = write_center(tmp_path / "center")
    runs = tmp_path / "runs"
    assert _run(config, runs).exit_code == 0
    good = latest_run(runs)
    import wfm.schedule.solve as solve_module

    real = solve_module.solve_schedule

    def solve(*args, **kwargs):
        stop = threading.Event()
        stop.set()
        return real(*args, **{**kwargs, "method": "aggregate", "stop": stop})

    monkeypatch.setattr(solve_module, "solve_schedule", solve)
    result = _run(config, runs)
    assert result.exit_code == EXIT_DEGRADED, result.output
    assert latest_run(runs) == good
    degraded = next(p for p in runs.iterdir() if p.is_dir() and p != good
                    and not p.name.startswith(".") and p.name != "latest")
    manifest = json.loads((degraded / "manifest.json").read_text())
    assert manifest["status"] == "degraded"
    assert manifest["degraded"]["published"] is False
    figures = {s["name"]: s for s in manifest["stages"]}["schedule"]["figures"]
    assert figures["degraded"] is True and figures["checker"]["valid"] is True
    assert (degraded / "schedule.csv").exists()

    # the switch publishes it anyway, and the run still says it is degraded
    text = config.read_text()
    data = yaml.safe_load(text)
    data["solver"]["publish_degraded"] = True
    config.write_text(yaml.safe_dump(data))
    result = _run(config, runs)
    assert result.exit_code == EXIT_DEGRADED
    published = latest_run(runs)
    assert published not in (good, degraded)
    manifest = json.loads((published / "manifest.json").read_text())
    assert manifest["status"] == "degraded" and manifest["degraded"]["published"] is True
