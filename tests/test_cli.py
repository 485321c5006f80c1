"""The root CLI: version, help for every command, validate; one real subprocess run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wfm import __version__
from wfm.cli.main import app

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "configs" / "example.yaml"
runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def command_names() -> list[str]:
    import typer.main

    group = typer.main.get_command(app)
    return sorted(group.commands)


@pytest.mark.parametrize("name", command_names())
def test_every_command_has_help(name):
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output or "example" in result.output


def test_validate_config_alone():
    result = runner.invoke(app, ["validate", "--config", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "queues: 8" in result.output


def test_validate_bad_config_exit_2(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace("channel: chat", "channel: fax"),
                   encoding="utf-8")
    result = runner.invoke(app, ["validate", "--config", str(bad)])
    assert result.exit_code == 2
    assert "queues[4].channel: got 'fax'" in result.output


def test_validate_bad_history_exit_2(tmp_path: Path):
    history = tmp_path / "history.csv"
    history.write_text(
        "interval_start,queue,offered,aht_seconds\n2026-11-03T08:00:00,billing_es,-4,300\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["validate", "--config", str(EXAMPLE), "--history", str(history)]
    )
    assert result.exit_code == 2
    assert f"{history}: row 2, column offered: negative value" in result.output


def test_validate_sample_data_subprocess():
    """The installed `wfm` script, as a user runs it, on the shipped sample data."""
    history = REPO / "sample_data" / "history.csv.gz"
    agents = REPO / "sample_data" / "agents.csv"
    if not history.exists():
        pytest.fail("sample_data/history.csv.gz is missing: run `wfm sample-data`")
    script = shutil.which("wfm") or str(Path(sys.executable).parent / "wfm")
    completed = subprocess.run(
        [script, "validate", "--config", str(EXAMPLE), "--history", str(history),
         "--agents", str(agents)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"},
    )
    assert completed.returncode == 0, completed.stderr
    assert "agents:" in completed.stdout
    assert "history:" in completed.stdout


GOOD_HISTORY = (
    "interval_start,queue,offered,aht_seconds\n"
    "2026-11-03T08:00:00,billing_es,10,300\n"
    "2026-11-03T08:15:00,billing_es,12,280\n"
)


@pytest.mark.parametrize(
    ("kind", "history", "config_change", "expected"),
    [
        ("missing column", GOOD_HISTORY.replace(",offered", ",volume"), None,
         "missing column 'offered'"),
        ("bad timestamp", GOOD_HISTORY.replace("2026-11-03T08:15:00", "03/11/2026 8h15"), None,
         "row 3, column interval_start: bad timestamp"),
        ("duplicate interval", GOOD_HISTORY.replace("08:15:00", "08:00:00"), None,
         "row 3, column interval_start: duplicate interval"),
        ("negative count", GOOD_HISTORY.replace(",12,", ",-12,"), None,
         "row 3, column offered: negative value"),
        ("unknown queue", GOOD_HISTORY.replace("08:15:00,billing_es", "08:15:00,sales_it"), None,
         "row 3, column queue: unknown queue 'sales_it'"),
        ("unknown config key", None,
         ("max_occupancy: 0.85", "max_occupancy: 0.85\n    colour: red"),
         "queues[0].colour: unknown key"),
        ("bad enum value", None, ("channel: email", "channel: letter"),
         "queues[5].channel: got 'letter'; allowed:"),
    ],
)
def test_each_bad_input_class_exits_2_naming_the_place(
    tmp_path: Path, kind, history, config_change, expected
):
    config = EXAMPLE
    if config_change is not None:
        config = tmp_path / "center.yaml"
        config.write_text(EXAMPLE.read_text(encoding="utf-8").replace(*config_change, 1),
                          encoding="utf-8")
    args = ["validate", "--config", str(config)]
    if history is not None:
        path = tmp_path / "history.csv"
        path.write_text(history, encoding="utf-8")
        args += ["--history", str(path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, (kind, result.output)
    assert expected in result.output, kind
    named = str(path) if history is not None else str(config)
    assert named in result.output, kind
