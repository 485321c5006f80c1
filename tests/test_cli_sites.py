"""`wfm run --sites` from the command line: options, exit codes, output, SIGTERM."""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.run_fixtures import AS_OF
from tests.sites_fixtures import (
    ENGINES,
    busy_site,
    group_manifests,
    needs_ray,
    site_entry,
    tiny_site,
    write_sites,
)
from wfm.cli.main import app
from wfm.errors import EXIT_SOME_SITES_FAILED
from wfm.run.folders import latest_run


def _invoke(*args: object):
    return CliRunner().invoke(app, ["run", *map(str, args)])


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("args, expected", [
    ([], "give --config (one center) or --sites (many sites), not neither"),
    (["--config", "c.yaml", "--sites", "s.yaml"], "not both"),
    (["--config", "c.yaml", "--engine", "ray"], "--engine: only with --sites"),
    (["--config", "c.yaml", "--only", "a", "--max-parallel", "2"],
     "--max-parallel, --only: only with --sites"),
    (["--sites", "s.yaml", "--address", "127.0.0.1:6379"], "--address: only the ray engine"),
    (["--sites", "s.yaml", "--only", "nowhere"], "--only: no site 'nowhere'"),
    (["--sites", "missing.yaml"], "missing.yaml: cannot read config"),
], ids=["neither", "both", "engine-alone", "only-alone", "address-local", "only-unknown",
        "no-file"])
def test_bad_mode_options_exit_2_and_write_nothing(tmp_path, monkeypatch, args, expected):
    monkeypatch.chdir(tmp_path)
    tiny_site(tmp_path / "a")
    write_sites(tmp_path / "s.yaml", [{"id": "a", "config": "a/config.yaml"}])
    result = _invoke("--out", "runs", *args)
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert not (tmp_path / "runs").exists()


def test_the_ray_engine_without_ray_installed_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails
    tiny_site(tmp_path / "a")
    sites = write_sites(tmp_path / "s.yaml", [{"id": "a", "config": "a/config.yaml"}])
    result = _invoke("--sites", sites, "--out", tmp_path / "runs", "--engine", "ray",
                     "--log-format", "human")
    assert result.exit_code == 2
    assert "pip install 'wfm[ray]'" in result.stderr
    assert not list((tmp_path / "runs").glob("group-*"))


@needs_ray
def test_a_ray_address_where_no_head_answers_is_bad_input(tmp_path):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tiny_site(tmp_path / "a")
    sites = write_sites(tmp_path / "s.yaml", [{"id": "a", "config": "a/config.yaml"}])
    result = _invoke("--sites", sites, "--out", tmp_path / "runs", "--engine", "ray",
                     "--address", f"127.0.0.1:{port}", "--log-format", "human")
    assert result.exit_code == 2, result.stderr
    assert f"--address: no Ray head answers at 127.0.0.1:{port}" in result.stderr
    assert not list((tmp_path / "runs").glob("group-*"))


def test_options_reach_every_site_and_win_over_the_sites_file(tmp_path):
    for name in ("a", "b"):
        tiny_site(tmp_path / name)
    sites = write_sites(tmp_path / "s.yaml", [
        {"id": "a", "config": "a/config.yaml", "seed": 4},
        {"id": "b", "config": str(tmp_path / "b" / "config.yaml"), "seed": 9},
    ])
    runs = tmp_path / "runs"
    result = _invoke("--sites", sites, "--out", runs, "--as-of", AS_OF, "--seed", "3",
                     "--horizon-days", "4", "--log-format", "json")
    assert result.exit_code == 0, result.stderr
    manifest_path = Path(result.stdout.strip())
    assert manifest_path.parent == runs and manifest_path.name.startswith("group-")
    events = [json.loads(line) for line in result.stderr.splitlines()]
    names = [e["event"] for e in events]
    # one line per site as it starts and one as it ends, around the group's own
    assert names.count("site_start") == 2 and names.count("site_end") == 2
    assert names[0] == "group_start" and names[-1] == "group_end"
    for site in ("a", "b"):
        run = json.loads((latest_run(runs / site) / "manifest.json").read_text())
        assert run["seed"] == 3 and run["horizon"]["days"] == 4
        assert run["as_of"] == AS_OF.isoformat()
        # each site's run records the group's command line, not its worker's
        assert run["command"]["argv"] == json.loads(manifest_path.read_text())["command"]["argv"]


def test_some_failed_exits_6_listing_them(tmp_path):
    tiny_site(tmp_path / "a")
    sites = write_sites(tmp_path / "s.yaml", [
        {"id": "a", "config": "a/config.yaml"},
        {"id": "gone", "config": "a/config.yaml", "time_limit_seconds": 1},
    ])
    runs = tmp_path / "runs"
    # the second site's runs folder is a file: it cannot start
    runs.mkdir()
    (runs / "gone").write_text("not a folder")
    result = _invoke("--sites", sites, "--out", runs, "--as-of", AS_OF, "--log-format", "human")
    assert result.exit_code == EXIT_SOME_SITES_FAILED, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "2 sites: 1 ok, 1 failed: gone (exit 2)" in last
    entry = site_entry(group_manifests(runs)[-1], "gone")
    assert entry["exit_code"] == 2 and "must be a folder" in entry["message"]


def _wfm() -> list[str]:
    script = Path(sys.executable).parent / "wfm"
    return [str(script)] if script.exists() else [sys.executable, "-m", "wfm.cli.main"]


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _solving(runs: Path) -> set[str]:
    """The sites whose run is in its solve, from the newest group's log."""
    logs = sorted(runs.glob("group-*.log"))
    if not logs:
        return set()
    found = set()
    for line in logs[-1].read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:  # a line being written
            continue
        if record["event"] == "solving":
            found.add(record["site"])
    return found


@pytest.mark.parametrize("engine", ENGINES)
def test_sigterm_during_the_group_stops_every_site_and_keeps_every_latest(tmp_path, engine):
    ids = ("north", "south", "east")
    for name in ids:
        tiny_site(tmp_path / "small" / name)
        busy_site(tmp_path / "busy" / name, time_limit=60)
    small = write_sites(tmp_path / "small.yaml", [
        {"id": n, "config": f"small/{n}/config.yaml"} for n in ids])
    busy = write_sites(tmp_path / "busy.yaml", [
        {"id": n, "config": f"busy/{n}/config.yaml"} for n in ids])
    runs = tmp_path / "runs"
    first = _invoke("--sites", small, "--out", runs, "--as-of", AS_OF, "--quiet")
    assert first.exit_code == 0, first.stderr
    good = {n: latest_run(runs / n) for n in ids}
    files = {n: _digests(folder) for n, folder in good.items()}

    # two sites at a time: two are solving when the signal comes, the third waits
    process = subprocess.Popen(
        [*_wfm(), "run", "--sites", str(busy), "--out", str(runs), "--as-of",
         AS_OF.isoformat(), "--log-format", "json", "--max-parallel", "2", "--engine", engine],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: len(_solving(runs)) == 2, 90, "two sites solving")
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143, err
    events = [json.loads(line) for line in err.splitlines()]  # JSON lines only
    assert events[-1]["event"] == "group_end" and events[-1]["status"] == "interrupted"
    manifest = group_manifests(runs)[-1]
    assert Path(out.strip()).name == f"group-{manifest['group_id']}.json"
    assert manifest["status"] == "interrupted" and manifest["exit_code"] == 143
    stopped = sorted(_solving(runs))
    for name in ids:
        entry = site_entry(manifest, name)
        assert entry["status"] == "failed" and entry["exit_code"] == 143, entry
        assert latest_run(runs / name) == good[name]
        assert _digests(good[name]) == files[name]
        assert not [p for p in (runs / name).iterdir() if p.name.endswith(".partial")]
        if name in stopped:  # stopped cleanly mid-solve: a failed run saying why
            failed = json.loads((runs / entry["run"] / "manifest.json").read_text())
            assert failed["failure"]["error"] == "Interrupted"
            assert "SIGTERM" in failed["failure"]["message"]
        else:
            assert entry["run"] is None and "not started" in entry["message"]
    assert len(stopped) == 2
