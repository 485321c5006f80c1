"""Sample state logs: valid logs whose deviations `wfm adherence` finds again."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from wfm.config import CenterConfig
from wfm.errors import BadInput
from wfm.io.files import write_table
from wfm.io.inputs import read_agent_states
from wfm.reports.adherence import adherence_report
from wfm.samples.plans import sample_schedule
from wfm.samples.states import Deviations, agent_state_logs
from wfm.samples.synthetic import synthetic_roster

START = date(2026, 11, 23)


@pytest.fixture(scope="module")
def week(example_cfg: CenterConfig):
    agents = synthetic_roster(example_cfg, 30, START, 7, seed=3)
    shifts, activities = sample_schedule(example_cfg, agents, START, 7, seed=3,
                                         coaching_share=0.3)
    table, summary = agent_state_logs(example_cfg, shifts, activities, seed=5)
    return agents, shifts, activities, table, summary


def test_logs_read_back_and_repeat_for_a_seed(example_cfg, week, tmp_path: Path) -> None:
    agents, shifts, activities, table, summary = week
    path = tmp_path / "agent_states.csv"
    write_table(table, path)
    states = read_agent_states(path, example_cfg, {a.agent_id for a in agents})
    assert len(states) == summary.rows == len(table)
    assert set(states["state"]) <= set(example_cfg.adherence.states)
    again, _ = agent_state_logs(example_cfg, shifts, activities, seed=5)
    assert again.equals(table)
    other, _ = agent_state_logs(example_cfg, shifts, activities, seed=6)
    assert not other.equals(table)


def test_adherence_finds_the_deviations_again(example_cfg, week, tmp_path: Path) -> None:
    agents, shifts, activities, table, summary = week
    path = tmp_path / "agent_states.csv"
    write_table(table, path)
    states = read_agent_states(path, example_cfg)
    report = adherence_report(example_cfg, agents, shifts, activities, states, grace_minutes=3)
    kinds = report.exceptions["kind"].value_counts()
    assert kinds["absent"] == len(summary.sick) == 1
    assert kinds["missed_training"] == len(summary.missed) == 1
    # every late login and early logout is longer than the grace (4 minutes or more)
    assert kinds["late_login"] == len(summary.late_logins) > 0
    assert kinds["early_logout"] == len(summary.early_logouts) > 0
    assert kinds["long_break"] >= 1 and len(summary.long_breaks) >= 1
    absent = report.exceptions[report.exceptions["kind"] == "absent"].iloc[0]
    assert (absent["agent_id"], absent["date"].isoformat()) == summary.sick[0]
    assert 0.85 < report.totals.query("scope == 'all'")["adherence"].iloc[0] < 1


def test_no_deviations_no_exceptions(example_cfg, week) -> None:
    agents, shifts, activities, _, _ = week
    calm = Deviations(late_login_share=0, early_logout_share=0, long_break_share=0,
                      moved_break_share=0, sick_days=0, missed_sessions=0)
    table, summary = agent_state_logs(example_cfg, shifts, activities, seed=5, deviations=calm)
    states = table.assign(
        category=table["state"].map(example_cfg.adherence.states),
        start=pd.to_datetime(table["start"]).dt.tz_localize("Europe/Madrid"),
        end=pd.to_datetime(table["end"]).dt.tz_localize("Europe/Madrid"))
    report = adherence_report(example_cfg, agents, shifts, activities, states, grace_minutes=3)
    # arrivals up to 3 minutes early or 1 late and breaks a minute off stay in the grace
    assert report.exceptions.empty and not summary.sick
    assert report.totals.query("scope == 'all'")["adherence"].iloc[0] > 0.98


def test_a_config_without_a_lunch_state_is_refused(example_cfg, week) -> None:
    _, shifts, activities, _, _ = week
    states = {k: v for k, v in example_cfg.adherence.states.items() if v != "lunch"}
    cfg = example_cfg.model_copy(update={"adherence": example_cfg.adherence.model_copy(
        update={"states": states})})
    with pytest.raises(BadInput, match="adherence.states: no state is mapped to 'lunch'"):
        agent_state_logs(cfg, shifts, activities)


def test_committed_state_logs_are_those_of_the_demo_schedule(example_cfg, tmp_path) -> None:
    from wfm.io.inputs import read_agents
    from wfm.samples.states import write_agent_states

    repo = Path(__file__).resolve().parent.parent / "sample_data"
    path, _ = write_agent_states(example_cfg, repo / "demo_schedule", tmp_path, compress=True)
    assert path.read_bytes() == (repo / "agent_states.csv.gz").read_bytes()
    roster = read_agents(repo / "agents.csv", example_cfg)
    states = read_agent_states(repo / "agent_states.csv.gz", example_cfg,
                               {a.agent_id for a in roster})
    assert len(states) == 84963
