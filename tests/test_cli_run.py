"""`wfm run` end to end on a tiny center: the real stages, exit codes, signals, the lock,
logs without a terminal, and reproducibility of a past --as-of."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.run_fixtures import AS_OF, write_center
from wfm.cli.run import app
from wfm.run.folders import latest_run, runs_lock

RUN_FILES = {"forecast.csv", "forecast_report.csv", "requirements.csv", "schedule.csv",
             "activities.csv", "coverage.csv", "kpis.json", "schedule.xlsx", "manifest.json"}
STAGES = ["validate", "forecast", "staff", "schedule", "export"]


def _invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def _run(config: Path, runs: Path, *extra: str):
    return _invoke("--config", config, "--out", runs, "--as-of", AS_OF.isoformat(), *extra)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def _wfm_run_command() -> list[str]:
    """The installed `wfm` script by absolute path when `run` is registered on the root CLI,
    else the same command module through the interpreter."""
    import typer.main

    from wfm.cli.main import app as root

    script = Path(sys.executable).parent / "wfm"
    if script.exists() and "run" in typer.main.get_command(root).commands:
        return [str(script), "run"]
    return [sys.executable, "-m", "wfm.cli.run"]


def test_full_run_writes_every_file_and_a_complete_manifest(tmp_path):
    config = write_center(tmp_path / "center", special_days=True)
    runs = tmp_path / "runs"
    result = _run(config, runs, "--seed", "3", "--horizon-days", "4", "--log-format", "json")
    assert result.exit_code == 0, result.stderr
    workbook = Path(result.stdout.strip())
    assert workbook.name == "schedule.xlsx" and workbook.is_file()
    folder = workbook.parent
    assert latest_run(runs) == folder.resolve()
    assert {p.name for p in folder.iterdir()} == RUN_FILES
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert events[-1]["event"] == "run_ok"
    assert "solving" in [e["event"] for e in events]

    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["failure"] is None
    assert manifest["as_of"] == AS_OF.isoformat() and manifest["seed"] == 3
    assert manifest["horizon"] == {"start": (AS_OF + timedelta(days=1)).isoformat(),
                                   "end": (AS_OF + timedelta(days=4)).isoformat(), "days": 4}
    for name in ("config", "history", "agents", "special_days"):
        entry = manifest["inputs"][name]
        assert entry["sha256"] == hashlib.sha256(Path(entry["path"]).read_bytes()).hexdigest()
    assert manifest["config"]["planning"]["horizon_days"] == 4
    assert manifest["config"]["solver"]["seed"] == 3
    assert manifest["config"]["inputs"]["history"] == str(config.parent / "history.csv")
    assert all(manifest["versions"][p] for p in
               ("wfm", "ortools", "pandas", "statsmodels", "numpy", "openpyxl", "pydantic"))
    stages = {s["name"]: s for s in manifest["stages"]}
    assert list(stages) == STAGES
    assert all(s["status"] == "ok" and s["seconds"] >= 0 for s in stages.values())
    accuracy = stages["forecast"]["figures"]["queues"]["support"]["accuracy"]["offered"]
    assert accuracy["model"] == "seasonal_naive" and 0 <= accuracy["wmape"] < 5
    requirements = pd.read_csv(folder / "requirements.csv")
    hours = requirements["agents_with_shrinkage"].sum()  # 60-minute intervals
    assert stages["staff"]["figures"]["agent_hours_total"] == pytest.approx(hours)
    schedule = stages["schedule"]["figures"]
    assert schedule["status"] in ("OPTIMAL", "FEASIBLE") and schedule["gap"] >= 0
    assert schedule["reproducible"] == (schedule["status"] == "OPTIMAL")  # one worker
    coverage = pd.read_csv(folder / "coverage.csv")
    assert schedule["shortfall_hours"] == pytest.approx(coverage["shortfall"].sum())
    assert schedule["shifts"] == len(pd.read_csv(folder / "schedule.csv"))
    assert set(manifest["outputs"]) == RUN_FILES - {"manifest.json"}
    assert manifest["outputs"]["schedule.csv"]["sha256"] == \
        _digests(folder)["schedule.csv"]


def test_a_schedule_the_checker_rejects_fails_the_run_and_keeps_latest(tmp_path, monkeypatch):
    config = write_center(tmp_path / "center")
    runs = tmp_path / "runs"
    assert _run(config, runs, "--quiet").exit_code == 0
    good = latest_run(runs)
    manifest = json.loads((good / "manifest.json").read_text())
    verdict = {s["name"]: s for s in manifest["stages"]}["schedule"]["figures"]["checker"]
    assert verdict["valid"] is True and verdict["violations"] == 0
    assert verdict["shifts_checked"] == len(pd.read_csv(good / "schedule.csv")) > 0

    import wfm.schedule.solve as solve_module

    real = solve_module.solve_schedule

    def broken(*args, **kwargs):
        result = real(*args, **kwargs)
        # a shift that pays 15 minutes its template does not
        result.shifts.loc[0, "paid_minutes"] += 15
        return result

    monkeypatch.setattr(solve_module, "solve_schedule", broken)
    result = _run(config, runs, "--log-format", "json")
    assert result.exit_code == 1, result.stderr
    assert latest_run(runs) == good
    failed = next(runs.glob("*.failed"))
    manifest = json.loads((failed / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["failure"]["stage"] == "schedule"
    assert "checker rejected" in manifest["failure"]["message"]
    assert any(v.startswith("shift_templates:") for v in manifest["failure"]["violations"])
    assert not (failed / "schedule.csv").exists()  # nothing unchecked where a plan belongs
    kept = failed / "rejected_schedule"
    assert {p.name for p in kept.iterdir()} == {"schedule.csv", "activities.csv",
                                                "coverage.csv", "kpis.json"}


def test_same_as_of_and_seed_give_identical_schedules(tmp_path):
    config = write_center(tmp_path / "center")
    runs = tmp_path / "runs"
    folders = []
    for _ in range(2):
        result = _run(config, runs, "--seed", "7", "--quiet")
        assert result.exit_code == 0, result.stderr
        assert result.stdout == "" and result.stderr == ""  # quiet: silent on success
        folders.append(latest_run(runs))
    # a later export of the history (a week past the as-of date) plans the same
    later = write_center(tmp_path / "later", history_end=AS_OF + timedelta(days=7))
    result = _run(later, runs, "--seed", "7", "--quiet")
    assert result.exit_code == 0, result.stderr
    folders.append(latest_run(runs))
    assert len({f.name for f in folders}) == 3
    for name in ("schedule.csv", "activities.csv", "forecast.csv", "requirements.csv"):
        contents = {(f / name).read_bytes() for f in folders}
        assert len(contents) == 1, name
    assert len(pd.read_csv(folders[0] / "schedule.csv")) > 0


def test_a_run_while_another_holds_the_lock_exits_75_and_touches_nothing(tmp_path):
    config = write_center(tmp_path / "center")
    runs = tmp_path / "runs"
    assert _run(config, runs).exit_code == 0

    def listing() -> dict:
        return {str(p.relative_to(runs)): (p.lstat().st_size, p.lstat().st_mtime_ns)
                for p in runs.rglob("*")}

    with runs_lock(runs):
        before = listing()
        result = _run(config, runs, "--log-format", "human")
        assert listing() == before
    assert result.exit_code == 75
    assert "another wfm run is active" in result.stderr and str(runs) in result.stderr


def _replace_line(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _bad_config(folder: Path) -> str:
    _replace_line(folder / "config.yaml", "channel: voice", "channel: fax")
    return "queues[0].channel"


def _bad_history_count(folder: Path) -> str:
    table = pd.read_csv(folder / "history.csv")
    table.loc[4, "offered"] = -3
    table.to_csv(folder / "history.csv", index=False)
    return "history.csv: row 6, column offered"


def _bad_history_queue(folder: Path) -> str:
    table = pd.read_csv(folder / "history.csv")
    table.loc[9, "queue"] = "sales"
    table.to_csv(folder / "history.csv", index=False)
    return "history.csv: row 11, column queue: unknown queue 'sales'"


def _bad_history_time(folder: Path) -> str:
    table = pd.read_csv(folder / "history.csv")
    table.loc[2, "interval_start"] = "yesterday"
    table.to_csv(folder / "history.csv", index=False)
    return "history.csv: row 4, column interval_start"


def _bad_roster(folder: Path) -> str:
    table = pd.read_csv(folder / "agents.csv")
    table.loc[1, "contract"] = "zero_hours"
    table.to_csv(folder / "agents.csv", index=False)
    return "agents.csv: row 3, column contract"


def _bad_special_days(folder: Path) -> str:
    (folder / "special_days.csv").write_text("date,queue,multiplier\n2026-11-24,all,lots\n")
    return "special_days.csv: row 2, column multiplier"


def _missing_input(folder: Path) -> str:
    (folder / "agents.csv").unlink()
    return "inputs.agents: no such file"


@pytest.mark.parametrize("damage", [
    _bad_config, _bad_history_count, _bad_history_queue, _bad_history_time, _bad_roster,
    _bad_special_days, _missing_input,
], ids=lambda f: f.__name__.lstrip("_"))
def test_each_bad_input_exits_2_naming_file_and_place(tmp_path, damage):
    config = write_center(tmp_path / "center", special_days=True)
    expected = damage(config.parent)
    runs = tmp_path / "runs"
    result = _run(config, runs, "--log-format", "human")
    assert result.exit_code == 2, result.stderr
    assert expected in result.stderr
    assert "\x1b" not in result.stderr  # human lines, but not on a terminal
    assert latest_run(runs) is None
    failed = [p for p in runs.iterdir() if p.name.endswith(".failed")]
    manifest = json.loads((failed[0] / "manifest.json").read_text())
    assert manifest["failure"]["stage"] == "validate" and expected in manifest["failure"]["message"]


@pytest.mark.parametrize("args, expected", [
    (["--as-of", "22/11/2026"], "--as-of: expected a date"),
    (["--horizon-days", "0"], "--horizon-days"),
])
def test_bad_options_exit_2(tmp_path, args, expected):
    config = write_center(tmp_path / "center")
    result = _invoke("--config", config, "--out", tmp_path / "runs", "--log-format", "human",
                     *args)
    assert result.exit_code == 2 and expected in result.stderr


def test_without_a_terminal_or_environment_output_has_no_ansi_codes(tmp_path):
    config = write_center(tmp_path / "center")
    runs = tmp_path / "runs"
    done = subprocess.run(
        ["env", "-i", *_wfm_run_command(), "--config", str(config), "--out", str(runs),
         "--as-of", AS_OF.isoformat()],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=120, cwd=tmp_path,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, done.stderr.decode()
    assert b"\x1b" not in output
    assert Path(done.stdout.decode().strip()) == latest_run(runs) / "schedule.xlsx"
    events = [json.loads(line) for line in done.stderr.decode().splitlines()]
    assert events[0]["event"] == "run_start" and events[-1]["event"] == "run_ok"


def _lines(stream) -> queue.Queue:
    """Lines of a pipe, read in a thread so the test can wait with a timeout."""
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _drain(lines: queue.Queue, timeout: float) -> list[str]:
    """The lines left until the pipe closes."""
    rest = []
    deadline = time.monotonic() + timeout
    while (line := lines.get(timeout=max(0.01, deadline - time.monotonic()))) is not None:
        rest.append(line)
    return rest


def _wait_for_event(lines: queue.Queue, name: str, timeout: float,
                    containing: str = "") -> list[dict]:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(json.loads(line))
        if seen[-1]["event"] == name and containing in seen[-1]["message"]:
            return seen
    raise AssertionError(f"no {name!r} event; saw {[e['event'] for e in seen]}")


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)],
                         ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_solve_fails_the_run_and_keeps_the_last_good_one(tmp_path, signum, code):
    runs = tmp_path / "runs"
    small = write_center(tmp_path / "small")
    assert _run(small, runs).exit_code == 0
    good = latest_run(runs)
    good_files = _digests(good)
    # a 40-agent week at 15-minute intervals takes CP-SAT several seconds to close
    busy = write_center(tmp_path / "busy", agents=40, horizon_days=7, time_limit=60,
                        interval_minutes=15, volume_scale=6)
    process = subprocess.Popen(
        [*_wfm_run_command(), "--config", str(busy), "--out", str(runs), "--as-of",
         AS_OF.isoformat(), "--log-format", "json"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        lines = _lines(process.stderr)
        _wait_for_event(lines, "solving", timeout=60)
        # signal while CP-SAT itself is searching, not while the model is being built
        _wait_for_event(lines, "solver", timeout=30, containing="cp-sat solution")
        # meanwhile a second run finds the lock taken
        blocked = _run(small, runs, "--log-format", "human")
        assert blocked.exit_code == 75 and "another wfm run is active" in blocked.stderr
        process.send_signal(signum)
        returned = process.wait(timeout=30)
        rest = _wait_for_event(lines, "run_failed", timeout=5)
        tail = _drain(lines, timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
    assert returned == code
    assert process.stdout.read() == ""
    # every line to the end is a JSON event: no traceback from the signal
    assert [json.loads(line)["event"] for line in tail] == []
    assert rest[-1]["stage"] == "schedule"
    assert latest_run(runs) == good
    assert _digests(good) == good_files
    failed = [p for p in runs.iterdir() if p.name.endswith(".failed")]
    assert len(failed) == 1
    manifest = json.loads((failed[0] / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["failure"]["error"] == "Interrupted"
    assert manifest["failure"]["stage"] == "schedule"
    assert signal.Signals(signum).name in manifest["failure"]["message"]
    assert manifest["failure"]["exit_code"] == code
    assert not (failed[0] / "schedule.xlsx").exists()
    assert not [p for p in os.listdir(runs) if p.endswith(".partial")]


def test_agent_ids_come_back_exactly_as_written(tmp_path):
    config = write_center(tmp_path / "center", agents=3)
    roster = pd.read_csv(config.parent / "agents.csv", dtype=str)
    roster["agent_id"] = ["007", "A-01", "1e3"]
    roster.to_csv(config.parent / "agents.csv", index=False)
    runs = tmp_path / "runs"
    result = _run(config, runs, "--quiet")
    assert result.exit_code == 0, result.stderr
    folder = latest_run(runs)
    for name in ("schedule.csv", "activities.csv"):
        ids = set(pd.read_csv(folder / name, dtype=str)["agent_id"])
        assert ids == {"007", "A-01", "1e3"}, name
    import openpyxl

    sheet = openpyxl.load_workbook(folder / "schedule.xlsx")["Schedule"]
    cells = {row[0] for row in sheet.iter_rows(values_only=True)}
    assert {"007", "A-01", "1e3"} <= cells


@pytest.mark.slow
def test_the_demo_run_is_checked_and_shows_one_set_of_figures(tmp_path):
    """The README's demo: published, accepted by wfm check, same figures everywhere."""
    import openpyxl

    from wfm.cli.main import app as root

    repo = Path(__file__).resolve().parent.parent
    runs = tmp_path / "runs"
    result = CliRunner().invoke(root, ["run", "--config", str(repo / "configs/example.yaml"),
                                       "--out", str(runs), "--as-of", "2026-11-22", "--quiet"])
    assert result.exit_code == 0, result.output
    folder = latest_run(runs)
    checked = CliRunner().invoke(root, [
        "check", "--config", str(repo / "configs/example.yaml"), "--agents",
        str(repo / "sample_data/agents.csv"), "--schedule", str(folder), "--requirements",
        str(folder / "requirements.csv")])
    assert checked.exit_code == 0, checked.output
    kpis = json.loads((folder / "kpis.json").read_text())
    sheet = list(openpyxl.load_workbook(folder / "schedule.xlsx")["Summary"]
                 .iter_rows(values_only=True))
    rows = {row[0]: row for row in sheet if row and row[0] in kpis["queues"]}
    for queue_id, figures in kpis["queues"].items():
        assert list(rows[queue_id][2:6]) == pytest.approx(
            [figures["required_hours"], figures["scheduled_hours"], figures["shortfall_hours"],
             figures["intervals_short"]])
        if figures["service_level_modelled"]:
            assert rows[queue_id][6] == pytest.approx(figures["projected_service_level"])
        else:
            assert rows[queue_id][6] == "not modelled"
            assert figures["projected_service_level"] is None
    assert kpis["queues"]["email_es"]["service_level_modelled"] is False


@pytest.mark.slow
def test_the_24x7_example_plans_its_nights_end_to_end(tmp_path):
    """configs/center_24x7.yaml: a week over the spring DST change (at midnight) and a
    holiday, with night shifts across midnight, published and accepted by wfm check."""
    from wfm.cli.main import app as root

    repo = Path(__file__).resolve().parent.parent
    config = str(repo / "configs/center_24x7.yaml")
    runs = tmp_path / "runs"
    result = CliRunner().invoke(root, ["run", "--config", config, "--out", str(runs),
                                       "--as-of", "2026-04-19", "--quiet"])
    assert result.exit_code == 0, result.output
    folder = latest_run(runs)
    checked = CliRunner().invoke(root, [
        "check", "--config", config, "--agents",
        str(repo / "sample_data/center_24x7/agents.csv"), "--schedule", str(folder),
        "--requirements", str(folder / "requirements.csv")])
    assert checked.exit_code == 0, checked.output
    shifts = pd.read_csv(folder / "schedule.csv")
    starts = pd.to_datetime(shifts["shift_start"])
    ends = pd.to_datetime(shifts["shift_end"])
    crossing = shifts[(ends - pd.Timedelta(seconds=1)).dt.date > starts.dt.date]
    assert "night" in set(crossing["template"])
    # the night clocks go forward at midnight, 8 hours last 9 on the wall clock: so an
    # evening from 16:00 ends at 01:00 on that night only
    assert set(crossing.loc[crossing["template"] != "night", "date"]) <= {"2026-04-23"}
    over = crossing[crossing["date"] == "2026-04-23"]
    wall = ends[over.index] - starts[over.index]
    assert len(over) and (wall == pd.Timedelta(hours=9)).all()
    # the holiday opens at 06:00 and its eve closes at 22:00: no shift starts or runs there
    assert not ((starts >= "2026-04-24T22:00") & (starts < "2026-04-25T06:00")).any()
    assert not ((ends > "2026-04-24T22:00") & (starts < "2026-04-25T06:00")).any()
