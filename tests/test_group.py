"""`wfm.run.group.run_group` on real engines: three small sites, one with a bad config, one
whose worker is killed once mid-solve; the watchdog; locks."""

from __future__ import annotations

import json
import os
import signal
import threading

import pytest

from tests.run_fixtures import AS_OF
from tests.sites_fixtures import (
    ENGINES,
    bad_site,
    busy_site,
    site_entry,
    tiny_site,
    write_sites,
)
from wfm.errors import EXIT_NO_SITE_OK, EXIT_SOME_SITES_FAILED, Locked
from wfm.events import RecordingEvents
from wfm.run.folders import latest_run, runs_lock
from wfm.run.group import run_group
from wfm.run.manifest import json_ready
from wfm.run.sites import GroupOptions


class KillOnce:
    """Kills a site's worker (SIGKILL) as its attempt 1 starts solving."""

    def __init__(self, site: str) -> None:
        self.site = site
        self.killed: list[int] = []
        self.lock = threading.Lock()

    def __call__(self, site: str, record: dict) -> None:
        if site == self.site and record.get("attempt") == 1 and record["event"] == "solving":
            with self.lock:
                if not self.killed:
                    self.killed.append(record["pid"])
                    os.kill(record["pid"], signal.SIGKILL)


@pytest.mark.parametrize("engine", ENGINES)
def test_good_sites_publish_a_killed_one_is_retried_and_a_bad_one_fails_alone(tmp_path,
                                                                             engine):
    sites = write_sites(tmp_path / "sites.yaml", [
        {"id": "good", "config": str(tiny_site(tmp_path / "good").relative_to(tmp_path))},
        {"id": "bad", "config": "bad/config.yaml"},
        {"id": "busy", "config": "busy/config.yaml", "seed": 5},
    ])
    bad_site(tmp_path / "bad")
    busy_site(tmp_path / "busy", relative_gap=0.01)
    runs = tmp_path / "runs"
    events = RecordingEvents()
    kill = KillOnce("busy")
    outcome = run_group(sites, runs, GroupOptions(as_of=AS_OF), engine=engine, events=events,
                        on_site_event=kill)

    assert kill.killed, "the busy site's solve was never seen"
    assert outcome.exit_code == EXIT_SOME_SITES_FAILED
    assert outcome.failed_sites == ["bad"]
    manifest = json.loads(outcome.manifest_path.read_text())
    assert manifest == json_ready(outcome.manifest)  # the file is the final state
    assert manifest["status"] == "partial" and manifest["engine"]["name"] == engine
    assert manifest["summary"] == {"sites": 3, "ok": 2, "failed": 1, "failed_sites": ["bad"]}

    for site_id in ("good", "busy"):
        entry = site_entry(manifest, site_id)
        assert entry["status"] == "ok" and entry["exit_code"] == 0 and entry["published"]
        run_dir = runs / entry["run"]
        assert latest_run(runs / site_id) == run_dir.resolve()
        run_manifest = json.loads((run_dir / "manifest.json").read_text())
        assert run_manifest["status"] == "ok"
        # the figures come from the site's own run
        schedule = next(s for s in run_manifest["stages"] if s["name"] == "schedule")
        assert entry["figures"]["shortfall_hours"] == schedule["figures"]["shortfall_hours"]
        assert entry["figures"]["agents"] == run_manifest["stages"][0]["figures"]["agents"]
        assert set(entry["stage_seconds"]) == {"validate", "forecast", "staff", "schedule",
                                               "export"}
        # the run's paths are this machine's, whichever engine moved the files
        assert run_manifest["inputs"]["config"]["path"] == str(tmp_path / site_id / "config.yaml")
        assert run_manifest["options"]["out"] == str(runs / site_id)
        assert (run_dir / "schedule.xlsx").is_file()

    busy = site_entry(manifest, "busy")
    assert [a["attempt"] for a in busy["attempts"]] == [1, 2]
    assert busy["attempts"][0]["pid"] == kill.killed[0]
    assert "died" in busy["attempts"][0]["ended"] or "SIGKILL" in busy["attempts"][0]["ended"]
    assert busy["attempts"][1]["ended"] == "finished"
    assert json.loads((runs / busy["run"] / "manifest.json").read_text())["seed"] == 5
    if engine == "local":  # the killed attempt's folder is kept as failed by the next one
        failed = [p for p in (runs / "busy").iterdir() if p.name.endswith(".failed")]
        assert len(failed) == 1
        died = json.loads((failed[0] / "manifest.json").read_text())
        assert died["failure"]["error"] == "ProcessDied"
        assert died["failure"]["stage"] == "schedule"  # killed mid-solve
    assert "site_retry" in events.names()

    bad = site_entry(manifest, "bad")
    assert bad["status"] == "failed" and bad["exit_code"] == 2 and not bad["published"]
    assert bad["stage"] == "validate"
    assert "solver.workers" in bad["message"] and str(tmp_path / "bad") in bad["message"]
    assert latest_run(runs / "bad") is None
    assert json.loads((runs / bad["run"] / "manifest.json").read_text())["failure"][
        "exit_code"] == 2
    ends = [r for r in events.records if r["event"] == "site_end"]
    assert sorted(r["site"] for r in ends) == ["bad", "busy", "good"]
    assert events.records[-1]["event"] == "group_end"
    assert "bad (exit 2)" in events.records[-1]["message"]
    # every event of every site's run is in the group's log, with its site and attempt
    log = [json.loads(line) for line in (runs / manifest["log"]).read_text().splitlines()]
    assert {r["site"] for r in log if r["event"] == "run_start"} == {"good", "bad", "busy"}
    assert {r["attempt"] for r in log if r["site"] == "busy" and r["event"] == "run_start"} \
        == {1, 2}


def test_the_watchdog_ends_a_site_past_its_limit_and_a_locked_site_fails_75(tmp_path):
    tiny_site(tmp_path / "slow")
    tiny_site(tmp_path / "locked")
    sites = write_sites(tmp_path / "sites.yaml", [
        {"id": "slow", "config": "slow/config.yaml", "time_limit_seconds": 0.5},
        {"id": "locked", "config": "locked/config.yaml"},
    ], watchdog_margin_seconds=0.5)
    runs = tmp_path / "runs"
    events = RecordingEvents()
    with runs_lock(runs / "locked"):  # another run of that site is active
        outcome = run_group(sites, runs, GroupOptions(as_of=AS_OF), events=events)
    assert outcome.exit_code == EXIT_NO_SITE_OK
    slow = site_entry(outcome.manifest, "slow")
    assert slow["status"] == "failed" and "watchdog" in slow["message"]
    assert "time limit 0.5s + margin 0.5s" in slow["message"]
    assert len(slow["attempts"]) == 1  # a site the watchdog ended is not tried again
    assert latest_run(runs / "slow") is None
    assert "site_watchdog" in events.names()
    locked = site_entry(outcome.manifest, "locked")
    assert locked["exit_code"] == 75 and "another wfm run is active" in locked["message"]
    assert locked["run"] is None


def test_another_group_on_the_same_runs_folder_is_refused_before_anything(tmp_path):
    sites = write_sites(tmp_path / "sites.yaml", [{"id": "a", "config": "a/config.yaml"}])
    tiny_site(tmp_path / "a")
    runs = tmp_path / "runs"
    with runs_lock(runs), pytest.raises(Locked):
        run_group(sites, runs, GroupOptions(as_of=AS_OF))
    assert sorted(p.name for p in runs.iterdir()) == [".lock"]


def test_a_dead_groups_manifest_is_marked_failed_by_the_next_group(tmp_path):
    from wfm.run.group import recover_dead_groups, write_group_manifest

    runs = tmp_path / "runs"
    runs.mkdir()
    write_group_manifest(runs / "group-20261120T013000Z.json", {"status": "running"})
    write_group_manifest(runs / "group-20261119T013000Z.json", {"status": "ok"})
    assert recover_dead_groups(runs) == [runs / "group-20261120T013000Z.json"]
    dead = json.loads((runs / "group-20261120T013000Z.json").read_text())
    assert dead["status"] == "failed" and "died" in dead["failure"]
    assert json.loads((runs / "group-20261119T013000Z.json").read_text())["status"] == "ok"


def test_max_parallel_one_runs_the_sites_one_after_another(tmp_path):
    for name in ("a", "b"):
        tiny_site(tmp_path / name)
    sites = write_sites(tmp_path / "sites.yaml", [{"id": n, "config": f"{n}/config.yaml"}
                                                  for n in ("a", "b")])
    events = RecordingEvents()
    outcome = run_group(sites, tmp_path / "runs", GroupOptions(as_of=AS_OF), max_parallel=1,
                        events=events, only=["b,a"])
    assert outcome.exit_code == 0
    order = [(r["event"], r["site"]) for r in events.records
             if r["event"] in ("site_start", "site_end")]
    assert order == [("site_start", "a"), ("site_end", "a"), ("site_start", "b"),
                     ("site_end", "b")]
    assert outcome.manifest["max_parallel"] == 1


def test_bad_max_parallel_is_bad_input(tmp_path):
    from wfm.errors import BadInput

    sites = write_sites(tmp_path / "sites.yaml", [{"id": "a", "config": "a/config.yaml"}])
    tiny_site(tmp_path / "a")
    with pytest.raises(BadInput, match="--max-parallel"):
        run_group(sites, tmp_path / "runs", max_parallel=0)
    assert not (tmp_path / "runs").exists()



def test_a_worker_that_dies_every_time_is_tried_three_times_then_failed(tmp_path):
    from tests.sites_fixtures import crashing_worker
    from wfm.run.local_engine import LocalEngine
    from wfm.run.sites import load_sites

    tiny_site(tmp_path / "a")
    sites = load_sites(write_sites(tmp_path / "s.yaml", [{"id": "a", "config": "a/config.yaml"}]))
    events = RecordingEvents()
    outcome = run_group(sites.path, tmp_path / "runs", GroupOptions(as_of=AS_OF),
                        engine=LocalEngine(worker=crashing_worker), events=events)
    entry = site_entry(outcome.manifest, "a")
    assert outcome.exit_code == EXIT_NO_SITE_OK
    assert entry["status"] == "failed" and entry["exit_code"] == 128 + signal.SIGSEGV
    assert entry["message"] == "worker process killed by SIGSEGV on each of 3 attempts"
    assert [a["ended"] for a in entry["attempts"]] == ["worker process killed by SIGSEGV"] * 2 \
        + [entry["message"]]
    assert events.names().count("site_retry") == 2
    assert latest_run(tmp_path / "runs" / "a") is None


def test_local_workers_get_thread_pools_as_large_as_their_solver_workers(tmp_path, monkeypatch):
    from tests.sites_fixtures import thread_limits_worker
    from wfm.run.local_engine import THREAD_VARIABLES, LocalEngine

    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    tiny_site(tmp_path / "a")
    sites = write_sites(tmp_path / "s.yaml", [{"id": "a", "config": "a/config.yaml",
                                               "workers": 3}])
    outcome = run_group(sites, tmp_path / "runs", engine=LocalEngine(
        worker=thread_limits_worker))
    assert site_entry(outcome.manifest, "a")["message"] == "3,3,3"
    assert not {name for name in THREAD_VARIABLES if name in os.environ}  # the driver's own
