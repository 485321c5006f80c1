"""The sites file, the tasks made from it, the group's exit codes, moving a run's files
as bytes (what the Ray engine does, here without Ray) and the terminal's live table."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.run_fixtures import AS_OF
from tests.sites_fixtures import bad_site, tiny_site, write_sites
from wfm.errors import EXIT_NO_SITE_OK, EXIT_SOME_SITES_FAILED, BadInput
from wfm.events import EventLog
from wfm.run.folders import latest_run, runs_lock
from wfm.run.group import SiteState, group_exit_code
from wfm.run.runner import StopRequest
from wfm.run.site_run import SiteResult, run_site
from wfm.run.sites import GroupOptions, load_sites, select_sites, site_task
from wfm.run.transfer import (
    install_run,
    pack_files,
    pack_folder,
    staged,
    unpack_files,
    unstage_manifest,
    unstage_text,
)


def _sites_text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_sites_file_resolves_configs_against_its_folder(tmp_path):
    tiny_site(tmp_path / "centers" / "north")
    south = tiny_site(tmp_path / "elsewhere" / "south")
    path = write_sites(tmp_path / "groups" / "sites.yaml", [
        {"id": "north", "config": "../centers/north/config.yaml", "time_limit_seconds": 30},
        {"id": "south_2", "config": str(south), "seed": 1, "workers": 2},
    ], watchdog_margin_seconds=120)
    sites = load_sites(path)
    assert [s.id for s in sites.sites] == ["north", "south_2"]
    assert sites.config_path(sites.sites[0]) == tmp_path / "centers" / "north" / "config.yaml"
    assert sites.config_path(sites.sites[1]) == south
    assert sites.watchdog_margin_seconds == 120
    assert sites.sites[0].time_limit_seconds == 30 and sites.sites[1].workers == 2


@pytest.mark.parametrize("text, expected", [
    ("sites:\n  - id: a\n    config: a/config.yaml\n    tme_limit: 3\n",
     "sites[0].tme_limit: unknown key"),
    ("sites:\n  - id: a\n    config: a/config.yaml\n  - id: A\n    config: a/config.yaml\n",
     "sites[1].id: 'A' is given twice (first as sites[0])"),
    ("sites:\n  - id: ../up\n    config: a/config.yaml\n", "sites[0].id: '../up' is not a "
     "folder name"),
    ("sites:\n  - id: latest\n    config: a/config.yaml\n", "'latest' is reserved"),
    ("sites:\n  - id: a\n    config: nowhere.yaml\n", "sites[0].config: no such file"),
    ("sites: []\n", "sites: List should have at least 1 item"),
    ("- id: a\n", "expected a mapping with a 'sites:' list"),
    ("sites:\n  - id: a\n    config: a/config.yaml\n    seed: '1'\n",
     "sites[0].seed: expected a whole number, got the text '1'"),
    ("sites:\n  - id: a\n    config: a/config.yaml\n    time_limit_seconds: -5\n",
     "sites[0].time_limit_seconds: Input should be greater than 0"),
    ("sites:\n  - id: a\n    config: a/config.yaml\nwatchdog_margin_seconds: .inf\n",
     "watchdog_margin_seconds"),
    ("sites:\n  - id: a\n    config: a/config.yaml\n    id: b\n",
     "line 4: sites[0].id: duplicate key (first given on line 2)"),
    ("sites:\n  - id: a\n    config: [a/config.yaml\n", "not valid YAML"),
], ids=["unknown-key", "duplicate-id", "not-a-folder", "reserved", "missing-config", "empty",
        "not-a-mapping", "seed-as-text", "negative-limit", "infinite-margin", "repeated-key",
        "bad-yaml"])
def test_a_bad_sites_file_names_the_file_and_the_key(tmp_path, text, expected):
    tiny_site(tmp_path / "a")
    path = _sites_text(tmp_path / "sites.yaml", text)
    with pytest.raises(BadInput) as error:
        load_sites(path)
    assert str(error.value).startswith(f"{path}:")
    assert expected in str(error.value)


def test_only_selects_sites_in_the_files_order_and_refuses_unknown_ids(tmp_path):
    for name in ("a", "b", "c"):
        tiny_site(tmp_path / name)
    sites = load_sites(write_sites(tmp_path / "s.yaml", [
        {"id": n, "config": f"{n}/config.yaml"} for n in ("a", "b", "c")]))
    assert [s.id for s in select_sites(sites, None)] == ["a", "b", "c"]
    assert [s.id for s in select_sites(sites, ["c", "a"])] == ["a", "c"]
    assert [s.id for s in select_sites(sites, ["c, b"])] == ["b", "c"]
    with pytest.raises(BadInput, match=r"--only: no site 'x', 'y' in .* \(sites: a, b, c\)"):
        select_sites(sites, ["a,x", "y"])


def test_the_command_line_wins_over_the_sites_file_which_wins_over_the_config(tmp_path):
    tiny_site(tmp_path / "a", time_limit=7)  # workers: 1 in the config
    sites = load_sites(write_sites(tmp_path / "s.yaml", [
        {"id": "a", "config": "a/config.yaml", "seed": 4, "workers": 2},
        {"id": "b", "config": "a/config.yaml"},
    ]))
    a, b = sites.sites
    task = site_task(sites, a, tmp_path / "runs", GroupOptions(as_of=AS_OF))
    assert (task.seed, task.workers, task.time_limit_seconds) == (4, 2, None)
    assert (task.solver_workers, task.solver_time_limit_seconds) == (2, 7.0)
    assert task.runs_dir == tmp_path / "runs" / "a" and task.as_of == AS_OF
    assert task.input_files == (tmp_path / "a" / "config.yaml", tmp_path / "a" / "history.csv",
                                tmp_path / "a" / "agents.csv")
    given = GroupOptions(seed=9, workers=3, time_limit_seconds=2.5, horizon_days=2)
    task = site_task(sites, a, tmp_path / "runs", given)
    assert (task.seed, task.workers, task.time_limit_seconds, task.horizon_days) \
        == (9, 3, 2.5, 2)
    assert (task.solver_workers, task.solver_time_limit_seconds) == (3, 2.5)
    task = site_task(sites, b, tmp_path / "runs", GroupOptions())
    assert (task.seed, task.workers, task.solver_workers) == (None, None, 1)


def test_a_config_that_cannot_be_read_takes_one_cpu_and_leaves_the_error_to_the_run(tmp_path):
    bad_site(tmp_path / "bad")
    sites = load_sites(write_sites(tmp_path / "s.yaml", [{"id": "bad",
                                                         "config": "bad/config.yaml"}]))
    task = site_task(sites, sites.sites[0], tmp_path / "runs", GroupOptions())
    assert task.solver_workers == 1 and task.input_files == (tmp_path / "bad" / "config.yaml",)


def _state(published: bool | None) -> SiteState:
    state = SiteState(task=None)  # type: ignore[arg-type]
    if published is not None:
        state.result = SiteResult("x", "ok" if published else "failed",
                                  0 if published else 2, published=published)
    return state


def test_the_group_exit_code_says_all_ok_some_failed_or_none_published():
    stop = StopRequest()
    assert group_exit_code([_state(True), _state(True)], stop) == ("ok", 0)
    assert group_exit_code([_state(True), _state(False)], stop) \
        == ("partial", EXIT_SOME_SITES_FAILED)
    assert group_exit_code([_state(False), _state(None)], stop) == ("failed", EXIT_NO_SITE_OK)
    stop.request(15)
    assert group_exit_code([_state(True), _state(False)], stop) == ("interrupted", 143)


def test_a_site_run_on_a_worker_without_the_drivers_disk(tmp_path):
    """What a Ray task does, in this process: the files go as bytes, the run is made
    under another root and comes back as bytes with the driver's paths."""
    config = tiny_site(tmp_path / "driver" / "center")
    sites = load_sites(write_sites(tmp_path / "driver" / "s.yaml", [
        {"id": "north", "config": "center/config.yaml"}]))
    runs = tmp_path / "driver" / "runs"
    task = site_task(sites, sites.sites[0], runs, GroupOptions(as_of=AS_OF))
    blob = pack_files(task.input_files)

    worker = tmp_path / "worker"
    unpack_files(blob, worker)
    assert staged(worker, config).read_bytes() == config.read_bytes()
    from dataclasses import replace

    here = replace(task, config=staged(worker, task.config),
                   runs_dir=staged(worker, task.runs_dir))
    result = run_site(here)
    assert result.status == "ok" and result.published
    folder = Path(result.run_dir)
    assert folder.is_relative_to(worker)
    unstage_manifest(folder, worker)
    packed = pack_folder(folder)

    with runs_lock(runs / "north"):  # the driver holds the site's lock meanwhile
        target = install_run(runs / "north", folder.name, packed)
    assert latest_run(runs / "north") == target.resolve()
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["inputs"]["config"]["path"] == str(config)
    assert manifest["inputs"]["history"]["path"] == str(config.parent / "history.csv")
    assert manifest["options"]["out"] == str(runs / "north")
    assert str(worker) not in (target / "manifest.json").read_text()
    assert sorted(p.name for p in target.iterdir()) == sorted(p.name for p in folder.iterdir())

    # the same run sent twice gets a fresh id, and a failed run never moves latest
    with runs_lock(runs / "north"):
        again = install_run(runs / "north", folder.name + ".failed", packed)
    assert again.name.endswith(".failed") and again.name != folder.name + ".failed"
    assert json.loads((again / "manifest.json").read_text())["run_id"] == \
        again.name.removesuffix(".failed")
    assert latest_run(runs / "north") == target.resolve()
    assert unstage_text(f"{worker}/srv/x.yaml: bad", worker) == "/srv/x.yaml: bad"


def test_the_live_table_shows_each_sites_state_stage_and_result():
    from wfm.cli.sites_view import SiteTable

    screen = io.StringIO()
    table = SiteTable(screen, EventLog(screen, "human"), color=False)
    try:
        table.emit("group_start", "3 sites", sites=["north", "south", "bad"])
        table.emit("site_start", "north: started", site="north", attempt=1)
        table.site_event("north", {"event": "stage_start", "stage": "schedule"})
        table.emit("site_start", "bad: started", site="bad", attempt=1)
        table.emit("site_end", "bad: failed", level="error", site="bad", status="failed",
                   exit_code=2, stage="validate", seconds=1.5)
        lines = table.lines()
    finally:
        table.close()
    assert lines[0].split() == ["site", "state", "stage", "try", "time", "result"]
    assert lines[1].split()[:4] == ["north", "running", "schedule", "1"]
    assert lines[2].split() == ["south", "pending"]
    assert lines[3].split() == ["bad", "failed", "validate", "1", "0:01", "exit", "2"]
    text = screen.getvalue()
    assert "error: bad: failed" in text  # errors are printed above the table
    assert "\x1b[4F\x1b[J" in text  # the table is redrawn in place


def test_the_readme_sites_file_splits_the_sample_center_into_two_units():
    from wfm.io.config_file import load_config

    repo = Path(__file__).resolve().parent.parent
    sites = load_sites(repo / "configs" / "sites" / "sites.yaml")
    assert [s.id for s in sites.sites] == ["billing", "support"]
    whole = load_config(repo / "configs" / "example.yaml")
    units = [load_config(sites.config_path(site)) for site in sites.sites]
    queues = [[q.id for q in unit.queues] for unit in units]
    assert sorted(queues[0] + queues[1]) == sorted(q.id for q in whole.queues)
    assert not set(queues[0]) & set(queues[1])
    for unit in units:
        assert [q for q in whole.queues if q.id in {q.id for q in unit.queues}] == unit.queues
        for section in ("shrinkage", "contracts", "shift_templates", "labor_rules",
                        "objective", "solver", "planning"):
            assert getattr(unit, section) == getattr(whole, section), section
        # the same center but its name (the whole center's special days close extra dates)
        mine, theirs = unit.center.model_dump(), whole.center.model_dump()
        for center in (mine, theirs):
            center.pop("name")
            center["holidays"].pop("extra_closed_dates")
        assert mine == theirs
    assert units[1].inputs.history == repo / "sample_data" / "sites" / "support" / \
        "history.csv.gz"
