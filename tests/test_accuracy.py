"""Forecast accuracy by horizon and by run, on a one-interval-a-day center worked by hand."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from forecast_synth import make_cfg
from typer.testing import CliRunner

from wfm.calendar import interval_grid
from wfm.cli.main import app
from wfm.config import CenterConfig
from wfm.io.files import write_table
from wfm.io.inputs import published_forecasts
from wfm.reports.accuracy import accuracy_report

ZONE = "Europe/Madrid"
FIRST = date(2026, 10, 5)  # a Monday: four weeks of history, then a fifth
GAP = date(2026, 11, 6)  # a day missing from the history


@pytest.fixture(scope="module")
def cfg() -> CenterConfig:
    """One queue open 09:00-10:00 every day, hourly intervals: one interval a day."""
    hours = {d: "09:00-10:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    return make_cfg(hours=hours, interval_minutes=60, timezone=ZONE)


def actual(day: date) -> float:
    """10 a day for three weeks, 20 in the fourth, 30 from the fifth on."""
    week = (day - FIRST).days // 7
    return 10.0 if week < 3 else 20.0 if week == 3 else 30.0


def history(cfg: CenterConfig) -> pd.DataFrame:
    days = [FIRST + timedelta(days=d) for d in range(35)]  # to Sunday 2026-11-08
    rows = [{"interval_start": pd.Timestamp(f"{d} 09:00").tz_localize(ZONE), "queue": "sales",
             "offered": actual(d), "aht_seconds": 240.0} for d in days if d != GAP]
    return pd.DataFrame(rows)


def write_run(runs: Path, run_id: str, cfg: CenterConfig, as_of: date, value: float,
              days: int = 7, status: str = "ok") -> None:
    folder = runs / run_id
    folder.mkdir(parents=True)
    start = as_of + timedelta(days=1)
    grid = interval_grid(cfg.center, start, days)
    forecast = pd.DataFrame({"interval_start": grid["interval_start"], "queue": "sales",
                             "offered": grid["is_open"] * value, "aht_seconds": 240.0})
    write_table(forecast, folder / "forecast.csv")
    (folder / "manifest.json").write_text(json.dumps({
        "status": status, "as_of": as_of.isoformat(),
        "horizon": {"start": start.isoformat(), "days": days}}), encoding="utf-8")


@pytest.fixture
def runs(tmp_path: Path, cfg: CenterConfig) -> Path:
    runs = tmp_path / "runs"
    # run A on Sunday 1 November forecasts 25 a day; run B on Wednesday 4 November, 28
    write_run(runs, "20261101T013000Z", cfg, date(2026, 11, 1), 25.0)
    write_run(runs, "20261104T013000Z", cfg, date(2026, 11, 4), 28.0)
    write_run(runs, "20261104T003000Z", cfg, date(2026, 11, 4), 99.0)  # replaced that night
    write_run(runs, "20261103T013000Z.failed", cfg, date(2026, 11, 3), 50.0)
    write_run(runs, "20261102T013000Z", cfg, date(2026, 11, 2), 50.0, status="failed")
    (runs / "latest").symlink_to("20261104T013000Z")
    return runs


def scores(report, horizon: int) -> dict[str, tuple[float, int]]:
    rows = report.by_horizon[report.by_horizon["horizon_days"] == horizon]
    return {r.model: (r.wmape, r.days_scored) for r in rows.itertuples(index=False)}


def test_accuracy_by_horizon(cfg: CenterConfig, runs: Path) -> None:
    published, skipped = published_forecasts(runs, cfg)
    assert sorted(name for name, _ in skipped) == ["20261102T013000Z"]
    report = accuracy_report(cfg, history(cfg), published)
    assert report.runs == ["20261101T013000Z", "20261104T013000Z"]
    assert "run 20261104T003000Z replaced by a later run of the same night" in report.notes
    # Day 1 ahead: A's Monday (25 vs 30) and B's Thursday (28 vs 30). The seasonal naive
    # repeats week 4 (20); the 4-week mean is (10 + 10 + 10 + 20) / 4 = 12.5 for both runs.
    one = scores(report, 1)
    assert one["published"] == (pytest.approx((5 + 2) / 60), 2)
    assert one["seasonal_naive"] == (pytest.approx(20 / 60), 2)
    assert one["week_mean4"] == (pytest.approx(35 / 60), 2)
    # Day 2 ahead: B's is the gap day, not scored; A's Tuesday alone
    assert scores(report, 2)["published"] == (pytest.approx(5 / 30), 1)
    # Day 5 ahead: A's is the gap day and B's, 9 November, is after the history ends
    assert scores(report, 5) == {}
    assert scores(report, 7)["published"] == (pytest.approx(5 / 30), 1)
    row = report.by_horizon[(report.by_horizon["horizon_days"] == 1)
                            & (report.by_horizon["model"] == "published")].iloc[0]
    assert row["bias"] == pytest.approx(-7 / 60)
    assert row["gain_vs_seasonal_naive"] == pytest.approx(1 - 7 / 20)
    assert row["wmape_daily"] == pytest.approx(7 / 60)  # one interval a day: the same


def test_accuracy_by_run(cfg: CenterConfig, runs: Path) -> None:
    published, _ = published_forecasts(runs, cfg)
    by_run = accuracy_report(cfg, history(cfg), published).by_run
    mine = {(r.run_id, r.model): (r.days_scored, r.wmape)
            for r in by_run.itertuples(index=False)}
    # A: 2 to 8 November but the 6th (a gap)
    assert mine[("20261101T013000Z", "published")] == (6, pytest.approx(30 / 180))
    # B: 5, 7 and 8 November (the 6th is a gap, the 9th on is past the history)
    assert mine[("20261104T013000Z", "published")] == (3, pytest.approx(6 / 90))


def test_cli_accuracy_writes_tables_and_workbook(cfg: CenterConfig, runs: Path, tmp_path: Path,
                                                 monkeypatch) -> None:
    history_path = tmp_path / "history.csv"
    write_table(history(cfg), history_path)
    config = tmp_path / "center.yaml"
    import yaml

    config.write_text(yaml.safe_dump(cfg.model_dump(mode="json")), encoding="utf-8")
    out, by_run, xlsx = tmp_path / "acc.csv", tmp_path / "runs.csv", tmp_path / "acc.xlsx"
    result = CliRunner().invoke(app, ["accuracy", "--runs", str(runs), "--config", str(config),
                                      "--history", str(history_path), "--out", str(out),
                                      "--by-run", str(by_run), "--xlsx", str(xlsx)])
    assert result.exit_code == 0, result.output
    assert "2 runs scored" in result.output and "skipped 20261102T013000Z" in result.output
    # day 1 ahead and every day ahead: published 7 / 60 and (30 + 6) / (180 + 90)
    assert "sales                   1      11.7%" in result.output
    assert "sales                 all      13.3%" in result.output
    table = pd.read_csv(out)
    assert set(table["model"]) == {"published", "seasonal_naive", "week_mean4"}
    assert len(pd.read_csv(by_run)) == 6
    import openpyxl

    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["By horizon", "By run", "Over time", "Over time charts"]
    assert len(wb["Over time charts"]._charts) == 1
    missing = CliRunner().invoke(app, ["accuracy", "--runs", str(tmp_path / "nope"), "--config",
                                       str(config), "--history", str(history_path)])
    assert missing.exit_code == 2 and "no such runs folder" in missing.output


@pytest.mark.parametrize(("manifest", "message"), [
    ("{not json", "manifest.json: not valid JSON"),
    ('{"status": "ok", "horizon": {"start": "2026-11-02", "days": 7}}',
     "manifest.json: needs as_of and horizon.start and horizon.days"),
    ("[1, 2]", "manifest.json: expected a JSON object"),
])
def test_a_broken_manifest_is_named(cfg: CenterConfig, tmp_path: Path, manifest: str,
                                    message: str) -> None:
    runs = tmp_path / "runs"
    write_run(runs, "20261101T013000Z", cfg, date(2026, 11, 1), 25.0)
    (runs / "20261101T013000Z" / "manifest.json").write_text(manifest, encoding="utf-8")
    from wfm.errors import BadInput

    with pytest.raises(BadInput, match=message):
        published_forecasts(runs, cfg)
