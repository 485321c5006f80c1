"""`wfm forecast` and `wfm backtest` through the typer app."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from tests.forecast_synth import history, make_cfg
from wfm.cli.forecast import app

START = date(2025, 1, 6)


@pytest.fixture()
def files(tmp_path):
    cfg = make_cfg()
    data = cfg.model_dump(mode="json", exclude_none=True)  # opening hours dump as text
    config = tmp_path / "center.yaml"
    config.write_text(yaml.safe_dump(data))
    table = history(cfg, START, 8 * 7, noise=True)
    table["interval_start"] = table["interval_start"].dt.tz_localize(None).dt.strftime(
        "%Y-%m-%dT%H:%M:%S")
    hist = tmp_path / "history.csv"
    table.to_csv(hist, index=False)
    return config, hist, tmp_path


def test_forecast_writes_contract_and_report(files):
    config, hist, tmp = files
    out, report = tmp / "forecast.csv", tmp / "report.csv"
    result = CliRunner().invoke(app, [
        "forecast", "--config", str(config), "--history", str(hist),
        "--start", str(START + timedelta(weeks=8)), "--weeks", "1", "--out", str(out),
        "--report", str(report), "--method", "daily_regression"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns) == ["interval_start", "queue", "offered", "aht_seconds",
                                   "offered_low", "offered_high", "model"]
    assert len(table) == 7 * 48 - 2  # clocks go forward on 2025-03-09 in New York
    assert "daily_regression" in result.output
    assert {"wmape", "wmape_daily", "mase", "coverage", "chosen"} <= set(pd.read_csv(report))


def test_backtest_prints_windows_and_pooled(files):
    config, hist, tmp = files
    report = tmp / "bt.csv"
    result = CliRunner().invoke(app, [
        "backtest", "--config", str(config), "--history", str(hist), "--windows", "2",
        "--days", "7", "--models", "daily_regression", "--report", str(report)])
    assert result.exit_code == 0, result.output
    assert "pooled over all windows" in result.output
    assert "week_mean4" in result.output and "seasonal_naive" in result.output
    table = pd.read_csv(report)
    assert set(table["scope"]) == {"window", "pooled"}


@pytest.mark.parametrize("args", [["--start", "2025-13-01", "--days", "7"],
                                  ["--start", "2025-03-03"],
                                  ["--start", "2025-03-03", "--days", "7", "--method", "magic"]])
def test_forecast_bad_arguments_exit_2(files, args):
    config, hist, tmp = files
    result = CliRunner().invoke(app, ["forecast", "--config", str(config), "--history", str(hist),
                                      "--out", str(tmp / "f.csv"), *args])
    assert result.exit_code == 2
    assert "error" in result.output
