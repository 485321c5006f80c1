from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from wfm.calendar import interval_grid
from wfm.errors import BadInput
from wfm.io.tables import REQUIREMENT_COLUMNS
from wfm.staffing import erlang
from wfm.staffing.explain import explain_interval
from wfm.staffing.requirements import (
    requirements_from_forecast,
    schedule_requirements,
    summarize_requirements,
)

MONDAY = date(2026, 11, 23)


def flat_forecast(cfg, calls: float = 40.0, aht: float = 300.0, days: int = 7) -> pd.DataFrame:
    grid = interval_grid(cfg.center, MONDAY, days)
    frames = [
        pd.DataFrame({
            "interval_start": grid["interval_start"], "queue": q.id,
            "offered": np.where(grid["is_open"], calls, 0.0), "aht_seconds": aht,
        })
        for q in cfg.queues
    ]
    return pd.concat(frames, ignore_index=True)


def test_a_queue_closed_for_the_day_needs_nobody(example_cfg):
    """min_agents does not apply on a queue's closed_dates; other queues are untouched."""
    chat = example_cfg.queue("chat_es").model_copy(update={"closed_dates": [MONDAY]})
    cfg = example_cfg.model_copy(update={"queues": [
        chat if q.id == "chat_es" else q for q in example_cfg.queues]})
    req = requirements_from_forecast(flat_forecast(cfg), cfg)
    monday = req["interval_start"].dt.date == MONDAY
    chat_rows = req["queue"] == "chat_es"
    assert (req.loc[monday & chat_rows, "agents_with_shrinkage"] == 0).all()
    assert (req.loc[monday & chat_rows, "offered"] == 0).all()
    assert req.loc[~monday & chat_rows & (req["offered"] > 0), "agents_needed"].min() >= 1
    assert req.loc[monday & (req["queue"] == "billing_es"), "agents_needed"].max() >= 1


def test_contract_columns_and_closed_intervals(example_cfg):
    req = requirements_from_forecast(flat_forecast(example_cfg), example_cfg)
    assert set(REQUIREMENT_COLUMNS) <= set(req.columns)
    closed = req["offered"] == 0
    assert (req.loc[closed, "agents_needed"] == 0).all()  # Sunday, nights
    assert (req.loc[~closed, "agents_needed"] >= 1).all()


def test_voice_matches_erlang_and_shrinkage(example_cfg):
    req = requirements_from_forecast(flat_forecast(example_cfg), example_cfg)
    rows = req[(req["queue"] == "billing_en") & (req["offered"] > 0)]
    queue = example_cfg.queue("billing_en")
    expected = erlang.agents_needed(40.0, 300.0, 15, service_level_target=0.8,
                                    answer_seconds=20, max_occupancy=queue.max_occupancy)
    assert (rows["agents_needed"] == int(expected)).all()
    assert (rows["service_level"] >= 0.8).all()
    assert (rows["occupancy"] <= queue.max_occupancy + 1e-9).all()
    gross = np.ceil(rows["agents_needed"] / (1 - rows["shrinkage"]) - 1e-9)
    assert (rows["agents_with_shrinkage"] == gross).all()
    monday = rows[rows["interval_start"].dt.day_of_week == 0]
    assert np.allclose(monday["shrinkage"], 0.32)


def test_chat_concurrency_halves_handle_time(example_cfg):
    req = requirements_from_forecast(flat_forecast(example_cfg), example_cfg)
    chat = req[(req["queue"] == "chat_es") & (req["offered"] > 0)]["agents_needed"].iloc[0]
    expected = erlang.agents_needed(40.0, 150.0, 15, service_level_target=0.8,
                                    answer_seconds=60, max_occupancy=0.9)
    assert chat == int(expected)


def test_erlang_a_queue_needs_no_more_than_erlang_c(example_cfg):
    req = requirements_from_forecast(flat_forecast(example_cfg, calls=60), example_cfg)
    billing_es = example_cfg.queue("billing_es")
    assert billing_es.model == "erlang_a"
    with_patience = req[(req["queue"] == "billing_es") & (req["offered"] > 0)]
    c_agents = erlang.agents_needed(60.0, 300.0, 15, service_level_target=0.8,
                                    answer_seconds=20, max_occupancy=0.85)
    assert (with_patience["agents_needed"] <= int(c_agents)).all()


def test_email_workload_is_done_within_the_response_time(example_cfg):
    # an 8-hour target: the last window the horizon cuts off is a short share of the work
    queues = [q.model_copy(update={"response_hours": 8}) if q.id == "email_es" else q
              for q in example_cfg.queues]
    example_cfg = example_cfg.model_copy(update={"queues": queues})
    req = requirements_from_forecast(flat_forecast(example_cfg), example_cfg)
    email = req[req["queue"] == "email_es"]
    open_rows = email[email["offered"] > 0]
    capacity = (open_rows["agents_needed"] * 900 * 0.95).sum()
    workload = (open_rows["offered"] * 300).sum()
    # Capacity covers the work except what arrives in the last response window.
    assert capacity >= workload * 0.9
    assert open_rows["agents_needed"].max() <= int(np.ceil(40 * 300 / (900 * 0.95))) + 1


def test_summary_and_schedule_view(example_cfg):
    req = requirements_from_forecast(flat_forecast(example_cfg), example_cfg)
    summary = {s.queue: s for s in summarize_requirements(req, example_cfg)}
    billing = req[req["queue"] == "billing_en"]
    assert summary["billing_en"].peak_agents == billing["agents_with_shrinkage"].max()
    assert summary["billing_en"].agent_hours == pytest.approx(
        billing["agents_with_shrinkage"].sum() / 4)
    assert summary["billing_en"].fte == pytest.approx(summary["billing_en"].agent_hours / 40)
    view = schedule_requirements(req)
    assert list(view.columns) == ["interval_start", "queue", "required"]


def test_explain_reproduces_the_number(example_cfg):
    forecast = flat_forecast(example_cfg)
    steps = dict(explain_interval(forecast, example_cfg, "chat_es",
                                  pd.Timestamp("2026-11-24 10:00")))
    req = requirements_from_forecast(forecast, example_cfg)
    row = req[(req["queue"] == "chat_es")
              & (req["interval_start"] == pd.Timestamp("2026-11-24 10:00",
                                                       tz="Europe/Madrid"))].iloc[0]
    assert steps["agents needed"] == str(row["agents_needed"])
    assert "6.667 erlangs" in steps["traffic"]
    assert steps["agents with shrinkage"].endswith(f"= {row['agents_with_shrinkage']}")


def test_bad_forecast(example_cfg):
    forecast = flat_forecast(example_cfg, days=1)
    with pytest.raises(BadInput, match="missing column 'aht_seconds'"):
        requirements_from_forecast(forecast.drop(columns="aht_seconds"), example_cfg)
    with pytest.raises(BadInput, match="unknown queue"):
        requirements_from_forecast(forecast.assign(queue="nope"), example_cfg)
    with pytest.raises(BadInput, match="aht_seconds must be positive"):
        requirements_from_forecast(forecast.assign(aht_seconds=0.0), example_cfg)


def test_patience_estimated_from_history_drives_erlang_a(example_cfg):
    from wfm.staffing.requirements import estimate_patience, with_estimated_patience

    history = pd.DataFrame({
        "interval_start": pd.date_range("2026-11-03 09:00", periods=4, freq="15min",
                                        tz="Europe/Madrid"),
        "queue": "billing_en", "offered": [100.0, 80.0, 0.0, 50.0],
        "aht_seconds": 300.0, "abandoned": [5.0, 3.0, 0.0, 2.0],
        "wait_seconds": [40.0, 30.0, 0.0, 20.0],
    })
    estimates = estimate_patience(history)
    # total waiting 100*40 + 80*30 + 50*20 = 7,400 s over 10 abandoned calls
    assert estimates["billing_en"].patience_seconds == pytest.approx(740.0)
    cfg = with_estimated_patience(example_cfg, estimates)
    assert cfg.queue("billing_en").model == "erlang_a"
    assert cfg.queue("billing_en").patience_seconds == pytest.approx(740.0)
    assert cfg.queue("technical_en") == example_cfg.queue("technical_en")
    assert estimate_patience(history.drop(columns="wait_seconds")) == {}


def test_requirements_follow_ranges_over_midnight_and_two_ranges_a_day(example_cfg):
    """A queue is open inside the day's ranges and in the hours after midnight of the day
    before's range over midnight; contacts outside them are not staffed."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    data = example_cfg.model_dump(mode="json")
    data["center"]["opening_hours"] = {**dict.fromkeys(days, "closed"), "fri": "18:00-02:00",
                                       "sat": ["08:00-14:00", "17:00-22:00"]}
    from wfm.config import parse_config

    cfg = parse_config(data)
    grid = interval_grid(cfg.center, date(2026, 11, 30), 7)  # a week without closures
    forecast = pd.DataFrame({"interval_start": grid["interval_start"], "queue": "billing_es",
                             "offered": 30.0, "aht_seconds": 240.0})
    req = requirements_from_forecast(forecast, cfg)
    staffed = req.loc[req["agents_needed"] > 0, "interval_start"]
    clocks = {(t.date().weekday(), f"{t:%H:%M}") for t in staffed}
    assert (4, "18:00") in clocks and (4, "23:45") in clocks
    assert (5, "00:00") in clocks and (5, "01:45") in clocks and (5, "02:00") not in clocks
    assert (5, "13:45") in clocks and (5, "14:00") not in clocks and (5, "16:45") not in clocks
    assert (5, "17:00") in clocks and (5, "21:45") in clocks
    assert len(staffed) == (6 + 2 + 6 + 5) * 4
    assert req.loc[req["agents_needed"] == 0, "offered"].eq(0).all()
