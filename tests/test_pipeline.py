"""The run infrastructure (folders, lock, manifest, latest, stop) with stand-in stages,
and the validate stage on a tiny center."""

from __future__ import annotations

import io
import json
import math
import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.run_fixtures import AS_OF, write_center
from wfm.errors import BadInput, Locked
from wfm.events import EventLog, RecordingEvents, make_event_log
from wfm.run.folders import latest_run, new_run_id, point_latest, runs_lock
from wfm.run.manifest import MANIFEST_NAME, RECORDED_PACKAGES, json_ready
from wfm.run.runner import RunContext, RunFailed, RunOptions, Stage, StopRequest, run_pipeline
from wfm.run.stages import validate_stage


def _write(name: str, text: str = "x\n"):
    def stage(ctx: RunContext) -> dict:
        ctx.path(name).write_text(text)
        return {"wrote": name, "rows": 3, "nan": float("nan"), "np": np.int64(4)}
    return stage


def _fail_with(exc: BaseException):
    def stage(ctx: RunContext) -> dict:
        raise exc
    return stage


def _options(tmp_path: Path, **kw) -> RunOptions:
    return RunOptions(config_path=tmp_path / "missing.yaml", runs_dir=tmp_path / "runs", **kw)


def _manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST_NAME).read_text())


def _listing(folder: Path) -> dict[str, tuple]:
    """Every entry below a folder with its size, mtime and link target."""
    out = {}
    for path in sorted(folder.rglob("*")):
        stat = path.lstat()
        target = os.readlink(path) if path.is_symlink() else None
        out[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns, target)
    return out


def test_successful_run_renames_folder_points_latest_and_records_stages(tmp_path):
    events = RecordingEvents()
    stages = [Stage("one", _write("a.csv")), Stage("two", _write("b.csv", "y\n"))]
    started = datetime(2026, 11, 23, 2, 15, 0, tzinfo=UTC)
    outcome = run_pipeline(_options(tmp_path), stages=stages, events=events, now=started)
    runs = tmp_path / "runs"
    assert outcome.run_id == "20261123T021500Z"
    assert outcome.run_dir == runs / outcome.run_id
    assert sorted(p.name for p in outcome.run_dir.iterdir()) == ["a.csv", "b.csv", MANIFEST_NAME]
    assert os.readlink(runs / "latest") == outcome.run_id  # relative: the folder can move
    assert latest_run(runs) == outcome.run_dir.resolve()
    assert not [p for p in runs.iterdir() if p.name.endswith(".partial")]
    manifest = _manifest(outcome.run_dir)
    assert manifest["status"] == "ok" and manifest["failure"] is None
    assert [s["name"] for s in manifest["stages"]] == ["one", "two"]
    assert all(s["status"] == "ok" and s["seconds"] >= 0 for s in manifest["stages"])
    assert manifest["stages"][0]["figures"] == {"wrote": "a.csv", "rows": 3, "nan": None, "np": 4}
    assert set(manifest["outputs"]) == {"a.csv", "b.csv"}
    assert set(manifest["versions"]) == set(RECORDED_PACKAGES)
    assert events.names()[0] == "run_start" and events.names()[-1] == "run_ok"


def test_failed_stage_keeps_failed_folder_and_previous_latest(tmp_path):
    good = run_pipeline(_options(tmp_path), stages=[Stage("one", _write("a.csv"))])
    called = []
    stages = [
        Stage("one", _write("a.csv", "new\n")),
        Stage("two", _fail_with(BadInput("history.csv: row 7, column offered: negative value"))),
        Stage("three", lambda ctx: called.append(1)),
    ]
    with pytest.raises(RunFailed) as caught:
        run_pipeline(_options(tmp_path), stages=stages)
    assert caught.value.exit_code == 2
    assert "row 7, column offered" in str(caught.value)
    assert called == []
    failed = caught.value.run_dir
    assert failed.name.endswith(".failed") and failed.is_dir()
    manifest = _manifest(failed)
    assert manifest["status"] == "failed"
    assert manifest["failure"]["stage"] == "two"
    assert manifest["failure"]["error"] == "BadInput"
    assert manifest["failure"]["exit_code"] == 2
    assert [s["status"] for s in manifest["stages"]] == ["ok", "failed"]
    assert latest_run(tmp_path / "runs") == good.run_dir.resolve()
    assert (good.run_dir / "a.csv").read_text() == "x\n"


def test_unexpected_exception_is_an_internal_error_with_its_type(tmp_path):
    with pytest.raises(RunFailed) as caught:
        run_pipeline(_options(tmp_path), stages=[Stage("one", _fail_with(KeyError("queue")))])
    assert caught.value.exit_code == 1
    assert "KeyError" in str(caught.value)
    assert _manifest(caught.value.run_dir)["failure"]["error"] == "KeyError"
    assert latest_run(tmp_path / "runs") is None


def test_second_run_while_locked_raises_at_once_and_touches_nothing(tmp_path):
    run_pipeline(_options(tmp_path), stages=[Stage("one", _write("a.csv"))])
    runs = tmp_path / "runs"
    called = []
    with runs_lock(runs):
        before = _listing(runs)
        with pytest.raises(Locked) as caught:
            run_pipeline(_options(tmp_path), stages=[Stage("one", lambda c: called.append(1))])
        assert _listing(runs) == before
    assert f"(pid {os.getpid()})" in str(caught.value)
    assert "another wfm run is active" in str(caught.value)
    assert called == []


def test_stop_during_a_stage_fails_the_run_with_the_signal_exit_code(tmp_path):
    good = run_pipeline(_options(tmp_path), stages=[Stage("one", _write("a.csv"))])
    stop = StopRequest()

    def solve(ctx: RunContext) -> dict:
        ctx.stop.request(15)  # as the SIGTERM handler does mid-solve
        return {"status": "FEASIBLE"}

    later = [Stage("schedule", solve), Stage("export", _write("schedule.xlsx"))]
    with pytest.raises(RunFailed) as caught:
        run_pipeline(_options(tmp_path), stages=later, stop=stop)
    assert caught.value.exit_code == 143
    manifest = _manifest(caught.value.run_dir)
    assert manifest["failure"]["error"] == "Interrupted"
    assert "SIGTERM" in manifest["failure"]["message"]
    assert manifest["failure"]["stage"] == "schedule"
    assert not (caught.value.run_dir / "schedule.xlsx").exists()
    assert latest_run(tmp_path / "runs") == good.run_dir.resolve()


def test_a_solver_giving_up_after_a_stop_is_reported_as_the_stop(tmp_path):
    from wfm.errors import NoSolution

    def solve(ctx: RunContext) -> dict:
        ctx.stop.request(2)
        raise NoSolution("no schedule found before the solver stopped")

    with pytest.raises(RunFailed) as caught:
        run_pipeline(_options(tmp_path), stages=[Stage("schedule", solve)])
    assert caught.value.exit_code == 130
    assert "SIGINT" in str(caught.value)


def test_unfinished_folder_of_a_dead_run_is_kept_as_failed(tmp_path):
    runs = tmp_path / "runs"
    dead = runs / ".20261122T021500Z.partial"
    dead.mkdir(parents=True)
    (dead / MANIFEST_NAME).write_text(json.dumps({
        "run_id": "20261122T021500Z", "status": "running",
        "stages": [{"name": "validate", "status": "ok"}, {"name": "schedule",
                                                          "status": "running"}]}))
    events = RecordingEvents()
    run_pipeline(_options(tmp_path), stages=[Stage("one", _write("a.csv"))], events=events)
    recovered = runs / "20261122T021500Z.failed"
    assert recovered.is_dir() and not dead.exists()
    manifest = _manifest(recovered)
    assert manifest["status"] == "failed" and manifest["failure"]["stage"] == "schedule"
    assert "stale_run" in events.names()


def test_run_ids_sort_by_time_and_stay_unique_within_a_second(tmp_path):
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    first = new_run_id(tmp_path, now)
    (tmp_path / first).mkdir()
    second = new_run_id(tmp_path, now)
    (tmp_path / f".{second}.partial").mkdir()
    third = new_run_id(tmp_path, now)
    assert (first, second, third) == ("20260102T030405Z", "20260102T030405Z-2",
                                      "20260102T030405Z-3")
    assert new_run_id(tmp_path, now + timedelta(seconds=1)) > third


def test_point_latest_replaces_the_link(tmp_path):
    for name in ("r1", "r2"):
        (tmp_path / name).mkdir()
    point_latest(tmp_path, "r1")
    point_latest(tmp_path, "r2")
    assert os.readlink(tmp_path / "latest") == "r2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "r1", "r2"]
    with pytest.raises(FileNotFoundError):
        point_latest(tmp_path, "r3")
    assert os.readlink(tmp_path / "latest") == "r2"


def test_out_that_is_a_file_is_bad_input(tmp_path):
    (tmp_path / "runs").write_text("")
    with pytest.raises(BadInput, match="must be a folder"):
        run_pipeline(_options(tmp_path), stages=[])


def test_json_ready_makes_strict_json():
    data = {"a": float("inf"), "b": np.float64(0.5), "c": (1, 2), "d": AS_OF,
            "e": {np.int32(3)}, "f": Path("/x"), "g": pd.Timestamp("2026-01-01")}
    text = json.dumps(json_ready(data), allow_nan=False)
    assert json.loads(text) == {"a": None, "b": 0.5, "c": [1, 2], "d": "2026-11-20",
                                "e": [3], "f": "/x", "g": "2026-01-01T00:00:00"}


# ---------------------------------------------------------------- the validate stage


def _context(tmp_path: Path, config: Path, **kw) -> RunContext:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    options = RunOptions(config_path=config, runs_dir=tmp_path / "runs", **kw)
    return RunContext(options=options, run_id="t", run_dir=work, events=RecordingEvents(),
                      stop=StopRequest())


def test_validate_uses_only_history_before_the_horizon(tmp_path):
    # the file runs a week past the as-of date; those rows must not be used
    config = write_center(tmp_path / "c", history_end=AS_OF + timedelta(days=7),
                          special_days=True)
    ctx = _context(tmp_path, config, as_of=AS_OF, horizon_days=2, seed=5)
    figures = validate_stage(ctx)
    assert ctx.start == AS_OF + timedelta(days=1) and ctx.days == 2 and ctx.seed == 5
    assert ctx.cfg.planning.horizon_days == 2 and ctx.cfg.solver.seed == 5
    last = ctx.data["history"]["interval_start"].max()
    assert last < pd.Timestamp(ctx.start).tz_localize("Europe/Madrid")
    assert figures["history_rows_ignored_after_as_of"] == 5 * 8
    assert figures["special_days"] == 1
    for name in ("config", "history", "agents", "special_days"):
        entry = ctx.inputs[name]
        assert len(entry["sha256"]) == 64 and Path(entry["path"]).is_absolute()


def test_validate_reads_a_previous_schedule(tmp_path):
    previous = tmp_path / "previous.csv"
    previous.write_text(
        "agent_id,date,shift_start,shift_end,paid_minutes,template\n"
        "A01,2026-11-20,2026-11-20T13:00:00,2026-11-20T17:00:00,240,day\n"
        "A02,2026-11-20,2026-11-20T09:00:00,2026-11-20T13:00:00,240,day\n")
    config = write_center(tmp_path / "c", previous_schedule=previous)
    ctx = _context(tmp_path, config, as_of=AS_OF)
    figures = validate_stage(ctx)
    assert figures["previous_schedule_rows"] == 2
    assert list(ctx.data["previous"]["agent_id"]) == ["A01", "A02"]
    assert ctx.data["previous"]["shift_end"].dt.tz is not None
    assert ctx.inputs["previous_schedule"]["path"] == str(previous)


def test_a_stop_during_the_forecast_backtest_ends_the_stage_early(tmp_path):
    from wfm.run.runner import Interrupted
    from wfm.run.stages import forecast_stage

    config = write_center(tmp_path / "c")
    ctx = _context(tmp_path, config, as_of=AS_OF)
    validate_stage(ctx)
    ctx.stop.request(15)
    with pytest.raises(Interrupted, match="SIGTERM during stage forecast"):
        forecast_stage(ctx)
    assert not ctx.path("forecast.csv").exists()


def test_validate_default_as_of_is_today_in_the_center_zone(tmp_path):
    from zoneinfo import ZoneInfo

    config = write_center(tmp_path / "c", history_end=datetime.now(UTC).date())
    ctx = _context(tmp_path, config)
    validate_stage(ctx)
    assert ctx.as_of == datetime.now(ZoneInfo("Europe/Madrid")).date()


@pytest.mark.parametrize("option, value, flag", [
    ("horizon_days", 0, "--horizon-days"),
    ("time_limit_seconds", -1.0, "--time-limit"),
])
def test_validate_bad_overrides_name_the_flag(tmp_path, option, value, flag):
    config = write_center(tmp_path / "c")
    ctx = _context(tmp_path, config, as_of=AS_OF, **{option: value})
    with pytest.raises(BadInput, match=flag):
        validate_stage(ctx)


def test_validate_needs_history_before_the_horizon(tmp_path):
    config = write_center(tmp_path / "c")
    ctx = _context(tmp_path, config, as_of=AS_OF - timedelta(days=60))
    with pytest.raises(BadInput, match="no history before"):
        validate_stage(ctx)


# ---------------------------------------------------------------- event rendering


def test_json_events_are_one_object_per_line_without_ansi():
    stream = io.StringIO()
    log = EventLog(stream, "json", color=True, interactive=True)
    log.emit("stage_ok", "done", stage="forecast", wmape=math.nan)
    log.progress("solving", 1, 2)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and "\x1b" not in stream.getvalue()
    record = json.loads(lines[0])
    assert record["event"] == "stage_ok" and record["stage"] == "forecast"
    assert record["wmape"] is None and record["level"] == "info"


def test_human_events_colour_and_progress_only_on_a_terminal():
    plain = io.StringIO()
    log = make_event_log(plain, "human", quiet=False, on_terminal=False)
    log.emit("run_ok", "run ok")
    log.progress("solving", 1, 2)
    assert plain.getvalue().endswith("run ok\n") and "\x1b" not in plain.getvalue()
    tty = io.StringIO()
    log = make_event_log(tty, None, quiet=False, on_terminal=True)
    log.progress("solving", 1, 2)
    log.emit("run_ok", "run ok")
    assert "[###############---------------]" in tty.getvalue() and "\x1b[" in tty.getvalue()


def test_quiet_keeps_only_warnings_and_errors():
    stream = io.StringIO()
    log = make_event_log(stream, None, quiet=True, on_terminal=False)
    log.emit("stage_ok", "fine")
    log.emit("run_failed", "broken", level="error")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["event"] for r in lines] == ["run_failed"]


def test_events_from_threads_do_not_interleave():
    stream = io.StringIO()
    log = EventLog(stream, "json")

    def many(n: int) -> None:
        for i in range(200):
            log.emit("tick", f"{n}-{i}")

    threads = [threading.Thread(target=many, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([json.loads(line) for line in stream.getvalue().splitlines()]) == 800
