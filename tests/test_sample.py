"""The sample-data generator: deterministic, shaped like a real center, readable back."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from wfm.calendar import closed_dates
from wfm.cli.sample import app
from wfm.config import CenterConfig
from wfm.io.inputs import read_agents, read_history
from wfm.samples import center as sample

REPO = Path(__file__).resolve().parent.parent
# Five weeks around the 2025 fall-back night (Sunday 26 October) and the 1 November holiday.
SHORT_END = date(2025, 11, 16)


@pytest.fixture(scope="module")
def short_history(example_cfg: CenterConfig) -> pd.DataFrame:
    start = sample.history_start(SHORT_END, 0.1)
    return sample.generate_history(example_cfg, start, SHORT_END, seed=3)


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    config = str(REPO / "configs" / "example.yaml")
    runner = CliRunner()
    outputs = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        result = runner.invoke(app, ["--config", config, "--out", str(tmp_path / name),
                                     "--seed", str(seed), "--years", "0.06",
                                     "--end", "2025-03-30"])
        assert result.exit_code == 0, result.output
        assert "erlangs" in result.output
        outputs.append({f: (tmp_path / name / f).read_bytes()
                        for f in ("history.csv.gz", "agents.csv", "special_days.csv")})
    assert outputs[0] == outputs[1]
    assert outputs[0]["history.csv.gz"] != outputs[2]["history.csv.gz"]


def test_written_files_read_back(tmp_path: Path, example_cfg: CenterConfig) -> None:
    sample.write_sample_data(example_cfg, tmp_path, seed=1, years=0.05, end=SHORT_END)
    history = read_history(tmp_path / "history.csv.gz", example_cfg)
    # every queue but a campaign's (it calls out: its work is the calling list)
    assert set(history["queue"]) == {q.id for q in example_cfg.queues
                                     if example_cfg.campaign_for(q.id) is None}
    assert (history["handled"] + history["abandoned"] == history["offered"]).all()
    agents = read_agents(tmp_path / "agents.csv", example_cfg)
    assert sum(a.role == "agent" for a in agents) == sample.REFERENCE_AGENTS
    teams = {a.team for a in agents if a.role == "agent"}
    roles = Counter(a.role for a in agents)
    # a team leader per team, a supervisor per four teams, the trainer and the quality analyst
    assert roles["team_leader"] == len(teams)
    assert roles["supervisor"] == -(-len(teams) // 4)
    assert roles["trainer"] == roles["quality"] == 1
    special = pd.read_csv(tmp_path / "special_days.csv", dtype=str)
    assert {"date", "queue", "multiplier"} <= set(special.columns)
    assert (special["multiplier"] == "closed").any()


def test_committed_sample_data_reads_back(example_cfg: CenterConfig) -> None:
    agents = read_agents(REPO / "sample_data" / "agents.csv", example_cfg)
    assert 100 <= sum(a.role == "agent" for a in agents) <= 140
    assert {a.role for a in agents} == {"agent", "team_leader", "supervisor", "trainer",
                                        "quality"}
    head = pd.read_csv(REPO / "sample_data" / "history.csv.gz", nrows=50)
    assert list(head.columns[:6]) == ["interval_start", "queue", "offered", "handled",
                                      "abandoned", "aht_seconds"]


def test_only_open_intervals_and_closed_days_absent(
    short_history: pd.DataFrame, example_cfg: CenterConfig
) -> None:
    center = example_cfg.center
    wall = short_history["interval_start"].dt.tz_localize(None)
    minute = wall.dt.hour * 60 + wall.dt.minute
    # the example opens once a day, before midnight
    opens = wall.dt.day_of_week.map(lambda d: center.hours_on(d)[0].open_minute)
    closes = wall.dt.day_of_week.map(lambda d: center.hours_on(d)[0].close_minute)
    assert ((minute >= opens) & (minute < closes)).all()
    days = set(wall.dt.date)
    start = sample.history_start(SHORT_END, 0.1)
    closed = closed_dates(center, start, SHORT_END)
    assert date(2025, 11, 1) in closed  # All Saints' Day, a Saturday
    assert not days & closed
    # The fall-back week is present, with the same 52 open quarter-hours each weekday.
    fall_back_week = wall[(wall >= "2025-10-27") & (wall < "2025-11-01")]
    per_day = fall_back_week.groupby(fall_back_week.dt.date).size() / short_history[
        "queue"].nunique()
    assert len(per_day) == 5 and (per_day == 52).all()


def test_weekly_and_intraday_shape(short_history: pd.DataFrame) -> None:
    voice = short_history[short_history["queue"] == "billing_es"]
    wall = voice["interval_start"].dt.tz_localize(None)
    daily = voice.groupby(wall.dt.date)["offered"].sum()
    weekday = pd.Series([d.weekday() for d in daily.index], index=daily.index)
    means = daily.groupby(weekday).mean()
    assert means[0] > means[4] > means[5]
    by_hour = voice.groupby(wall.dt.hour)["offered"].mean()
    assert by_hour[11] > by_hour[14] < by_hour[17]
    assert by_hour[11] > 2 * by_hour[8]


def test_aht_by_queue_and_abandonment(short_history: pd.DataFrame) -> None:
    handled = short_history.groupby("queue")["handled"].sum()
    work = (short_history["aht_seconds"].fillna(0) * short_history["handled"]).groupby(
        short_history["queue"]).sum()
    aht = work / handled
    assert aht["chat_es"] > aht["technical_es"] > aht["billing_es"]  # a chat shares an agent
    assert 180 < aht["email_es"] < aht["technical_es"]  # templated e-mail replies
    rates = short_history.groupby("queue")["abandoned"].sum() / short_history.groupby(
        "queue")["offered"].sum()
    assert rates["email_es"] == 0
    assert 0.01 < rates["billing_es"] < 0.2


def test_patience_recoverable(short_history: pd.DataFrame, example_cfg: CenterConfig) -> None:
    rows = short_history[short_history["queue"] == "billing_es"]
    estimate = (rows["offered"] * rows["wait_seconds"]).sum() / rows["abandoned"].sum()
    assert estimate == pytest.approx(example_cfg.queue("billing_es").patience_seconds, rel=0.15)


def test_peak_load_sized_for_roster(short_history: pd.DataFrame,
                                    example_cfg: CenterConfig) -> None:
    # Typical Monday peak of all queues together: 60-95 erlangs for 130 agents.
    seconds = example_cfg.center.interval_minutes * 60
    load = (short_history["offered"] * short_history["aht_seconds"].fillna(0) / seconds)
    per_interval = load.groupby(short_history["interval_start"]).sum()
    daily_peak = per_interval.groupby(per_interval.index.date).max()
    mondays = [v for d, v in daily_peak.items() if d.weekday() == 0]
    assert 55 < float(np.median(mondays)) < 95


def test_no_queue_is_tiny_and_counts_overdispersed(short_history: pd.DataFrame) -> None:
    # Every queue is large enough that forecasting beats counting noise: 10+ contacts per
    # open weekday quarter-hour on average (15 or so at the history's end).
    wall = short_history["interval_start"].dt.tz_localize(None)
    weekdays = short_history[wall.dt.day_of_week < 5]
    per_interval = weekdays.groupby("queue")["offered"].mean()
    assert (per_interval > 10).all(), per_interval.to_dict()
    # Overdispersed: the same weekday and quarter-hour varies from week to week more than
    # Poisson (variance = mean) would, from day-level noise and calendar effects, but not
    # wildly so.
    rows = weekdays[weekdays["queue"] == "technical_es"]
    key = [wall.dt.day_of_week.loc[rows.index], wall.dt.hour.loc[rows.index] * 4
           + wall.dt.minute.loc[rows.index] // 15]
    stats = rows.groupby(key)["offered"].agg(["mean", "var"])
    stats = stats[stats["mean"] > 5]
    ratio = float((stats["var"] / stats["mean"]).mean())
    assert 1.2 < ratio < 4.0, ratio


def test_roster_covers_every_queue(example_cfg: CenterConfig, tmp_path: Path) -> None:
    roster = sample.generate_agents(example_cfg, agents=120, seed=2,
                                    plan_start=SHORT_END + timedelta(days=1))
    path = tmp_path / "agents.csv"
    roster.to_csv(path, index=False)
    agents = read_agents(path, example_cfg)
    assert len({a.name for a in agents}) == len(agents)
    agents = [a for a in agents if a.role == "agent"]
    assert len(agents) == 120
    for queue in example_cfg.queues:
        assert sum(a.serves(queue) for a in agents) >= 6, queue.id
    part_time = sum(a.contract == "part_time" for a in agents)
    assert 30 <= part_time <= 42
    english = sum("en" in a.languages for a in agents)
    assert 45 <= english <= 80  # the English queues are a third of the workload
    week = {SHORT_END + timedelta(days=k) for k in range(1, 8)}
    away = [a for a in agents if a.unavailable_dates]
    assert away and all(a.unavailable_dates <= week for a in away)
    assert all(len(a.unavailable_dates) <= 2 for a in away)
    # A full-timer keeps four weekdays for the 32-hour minimum even if Saturday is closed.
    assert all(len(a.unavailable_dates) <= 1 for a in away if a.contract == "full_time")


def test_the_24x7_sample_follows_its_clock_weekend_and_holidays(tmp_path: Path) -> None:
    """The committed 24x7 sample reads back, has calls at every hour and none where its
    holidays close it, is quieter on the center's own weekend, and its roster speaks the
    center's language."""
    from wfm.calendar import interval_grid
    from wfm.io.config_file import load_config

    cfg = load_config(REPO / "configs" / "center_24x7.yaml")
    folder = REPO / "sample_data" / "center_24x7"
    history = read_history(folder / "history.csv.gz", cfg)
    agents = read_agents(folder / "agents.csv", cfg)
    assert len(agents) == 40 and all(any(a.serves(q) for q in cfg.queues) for a in agents)
    local = history["interval_start"].dt.tz_convert(cfg.center.timezone)
    assert set(local.dt.hour) == set(range(24))
    first, last = local.min().date(), local.max().date()
    grid = interval_grid(cfg.center, first, (last - first).days + 1)
    closed = set(grid.loc[~grid["is_open"], "interval_start"])
    assert closed and not history["interval_start"].isin(closed).any()
    assert set(history["interval_start"]) == set(grid.loc[grid["is_open"], "interval_start"])
    daily = history.groupby(local.dt.date)["offered"].sum()
    weekday = pd.to_datetime(pd.Series(daily.index)).dt.day_of_week.to_numpy()
    by_weekday = daily.groupby(weekday).median()
    assert by_weekday[[4, 5]].max() < by_weekday[[6, 0, 1, 2, 3]].min()  # Friday, Saturday
    # the same arguments give the same files as the committed ones
    sample.write_sample_data(cfg, tmp_path, seed=0, years=1.2, agents=40, end=last)
    for name in ("history.csv.gz", "agents.csv"):
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name


def test_synthetic_requirements_are_quiet_on_the_centers_weekend() -> None:
    from wfm.io.config_file import load_config
    from wfm.samples.synthetic import synthetic_requirements, synthetic_roster

    cfg = load_config(Path(__file__).resolve().parent.parent / "configs" / "center_24x7.yaml")
    monday = date(2026, 2, 2)
    agents = synthetic_roster(cfg, 20, monday, 7, seed=1)
    need = synthetic_requirements(cfg, agents, monday, 7, seed=1)
    per_day = need.groupby(need["interval_start"].dt.day_of_week)["required"].sum()
    # Friday and Saturday, the center's weekend, are its two quietest days
    assert set(per_day.nsmallest(2).index) == {4, 5}
