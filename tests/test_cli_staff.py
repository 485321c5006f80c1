from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_staffing import flat_forecast
from typer.testing import CliRunner

from wfm.cli.main import app
from wfm.io.files import write_table

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = str(REPO / "configs" / "example.yaml")
runner = CliRunner()


def test_erlang_published_point_as_json():
    result = runner.invoke(app, ["erlang", "--calls", "100", "--aht", "180",
                                 "--interval-minutes", "30", "--target", "0.8", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload) == {"agents", "service_level", "asa_seconds", "prob_wait", "occupancy"}
    assert payload["agents"] == 14
    assert abs(payload["service_level"] - 0.887) < 0.003


def test_erlang_evaluates_given_agents_with_patience():
    result = runner.invoke(app, ["erlang", "--calls", "100", "--aht", "180",
                                 "--interval-minutes", "30", "--agents", "13",
                                 "--patience", "120", "--json"])
    payload = json.loads(result.output)
    assert payload["agents"] == 13
    assert 0 < payload["prob_abandon"] < 0.2


def test_erlang_table_and_bad_input():
    result = runner.invoke(app, ["erlang", "--calls", "100", "--aht", "180",
                                 "--interval-minutes", "30", "--shrinkage", "0.3"])
    assert result.exit_code == 0
    assert "<- chosen" in result.output
    assert "schedule 20 agents" in result.output
    bad = runner.invoke(app, ["erlang", "--calls", "100", "--aht", "0"])
    assert bad.exit_code == 2
    assert "aht_seconds" in bad.output


def test_staff_writes_requirements_and_explains(example_cfg, tmp_path: Path):
    forecast = tmp_path / "forecast.csv"
    write_table(flat_forecast(example_cfg, days=2), forecast)
    out = tmp_path / "requirements.csv"
    result = runner.invoke(app, ["staff", "--config", EXAMPLE, "--forecast", str(forecast),
                                 "--out", str(out), "--explain", "billing_en@2026-11-24T10:00"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert "agents_with_shrinkage" in table.columns
    assert "billing_en" in result.output
    assert "agents with shrinkage" in result.output


def test_staff_bad_forecast_names_row(tmp_path: Path):
    forecast = tmp_path / "forecast.csv"
    forecast.write_text("interval_start,queue,offered,aht_seconds\n"
                        "2026-11-24T10:00:00,billing_en,-3,200\n", encoding="utf-8")
    result = runner.invoke(app, ["staff", "--config", EXAMPLE, "--forecast", str(forecast),
                                 "--out", str(tmp_path / "r.csv")])
    assert result.exit_code == 2
    assert "row 2, column offered" in result.output
    assert not (tmp_path / "r.csv").exists()


def test_outbound_desk_calculator_by_hand():
    import math

    args = ["outbound", "--records", "5000", "--attempts", "3", "--contact-rate", "0.35",
            "--aht", "240", "--attempt-seconds", "30", "--hours", "6.4"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    contacts = 5000 * (1 - 0.65 ** 3)
    attempts = contacts / 0.35
    seconds = contacts * 240 + (attempts - contacts) * 30
    assert f"agents {math.ceil(seconds / (6.4 * 3600))}:" in result.output
    assert f"{attempts:.0f} attempts, {contacts:.0f} contacts" in result.output
    figures = json.loads(CliRunner().invoke(app, [*args, "--dialing", "predictive",
                                                  "--json"]).output)
    assert figures["contacts"] == pytest.approx(contacts, abs=0.1)
    assert 0 < figures["abandon_share"] <= 0.03
    assert figures["abandoned"] == pytest.approx(
        contacts * figures["abandon_share"] / (1 - figures["abandon_share"]), abs=0.2)
