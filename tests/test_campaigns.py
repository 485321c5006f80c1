"""Outbound campaigns: list yield, dialing modes, the predictive abandon cap, the plan."""

from __future__ import annotations

import copy
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from test_check import BASE_CONFIG

from wfm.calendar import interval_grid
from wfm.config import parse_config
from wfm.errors import BadInput
from wfm.staffing.campaigns import interval_work, list_yield, predictive_agents
from wfm.staffing.requirements import requirements_from_forecast

MONDAY = date(2026, 3, 16)
WINDOWS = {**{d: "09:00-13:00" for d in ("mon", "tue", "wed", "thu", "fri")},
           "sat": "closed", "sun": "closed"}


def campaign_cfg(**campaign):
    data = copy.deepcopy(BASE_CONFIG)
    data["queues"].append({"id": "arrears", "channel": "outbound", "skill": "billing",
                           "language": "es", "max_occupancy": 0.9})
    data["campaigns"] = [{"id": "early", "queue": "arrears", "records": 1000,
                          "max_attempts": 3, "contact_rate": 0.25, "aht_seconds": 240,
                          "acw_seconds": 30, "attempt_seconds": 30,
                          "calling_windows": WINDOWS, "contacts_per_day": 120, **campaign}]
    return parse_config(data, "c.yaml")


def erlang_b_by_hand(agents: int, load: float) -> float:
    """The Erlang B recursion B(n) = a B(n-1) / (n + a B(n-1)), B(0) = 1."""
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = load * blocking / (n + load * blocking)
    return blocking


def test_list_yield_by_hand():
    attempts, contacts = list_yield(5000, 3, 0.35)
    assert contacts == pytest.approx(5000 * (1 - 0.65 ** 3))
    assert attempts == pytest.approx(5000 * (1 + 0.65 + 0.65 ** 2))


def test_predictive_dialing_holds_the_abandon_cap_on_a_worked_example():
    """60 contacts of 270 s in 30 minutes: 9 erlangs handled; Erlang B at the live-answer
    load that hands 9 erlangs to the agents stays at or under 3% with the fewest agents."""
    agents, share = predictive_agents(60, 270, 1800, 0.03)

    def share_with(n: int) -> float:
        low, high = 9.0, 40.0  # the live-answer load whose throughput on n agents is 9
        for _ in range(100):
            load = (low + high) / 2
            low, high = (load, high) if load * (1 - erlang_b_by_hand(n, load)) < 9 else \
                (low, load)
        return erlang_b_by_hand(n, high)

    assert share == pytest.approx(share_with(agents), rel=1e-6)
    assert share <= 0.03 < share_with(agents - 1)
    assert agents == 15  # 15 agents: 2.3% of live answers abandoned; 14 would lose 4.2%
    assert share == pytest.approx(0.0229, abs=1e-4)
    assert share_with(14) == pytest.approx(0.0422, abs=1e-4)


def test_progressive_and_preview_work_by_hand():
    cfg = campaign_cfg()
    campaign = cfg.campaigns[0]
    work = interval_work(campaign, 20.0, 0.25, 900.0, 0.9)
    # 80 attempts: 20 contacts of 270 s and 60 non-contacts of 30 s = 7,200 s of agent time
    assert (work.attempts, work.contacts, work.abandoned) == (80.0, 20.0, 0.0)
    assert work.agents == math.ceil(7200 / (900 * 0.9))
    preview = campaign_cfg(dialing="preview", preview_seconds=15).campaigns[0]
    assert interval_work(preview, 20.0, 0.25, 900.0, 0.9).agents == \
        math.ceil((7200 + 80 * 15) / (900 * 0.9))


def flat_forecast(cfg, days: int = 7) -> pd.DataFrame:
    grid = interval_grid(cfg.center, MONDAY, days)
    return pd.concat([pd.DataFrame({"interval_start": grid["interval_start"], "queue": q.id,
                                    "offered": np.where(grid["is_open"], 10.0, 0.0),
                                    "aht_seconds": 300.0})
                      for q in cfg.queues if q.channel != "outbound"], ignore_index=True)


def test_contacts_per_day_are_planned_inside_the_calling_windows():
    cfg = campaign_cfg()
    req = requirements_from_forecast(flat_forecast(cfg), cfg)
    rows = req[req["queue"] == "arrears"]
    local = rows["interval_start"].dt.tz_localize(None)
    calling = (local.dt.day_of_week < 5) & (local.dt.hour >= 9) & (local.dt.hour < 13)
    assert (rows.loc[~calling, ["attempts", "contacts", "agents_needed"]] == 0).all().all()
    per_day = rows.groupby(local.dt.date)["contacts"].sum()
    assert per_day[per_day > 0].to_numpy() == pytest.approx([120.0] * 5)
    assert rows["attempts"].sum() == pytest.approx(5 * 120 / 0.25)
    assert (rows.loc[calling, "agents_needed"] > 0).all()
    assert rows["offered"].equals(rows["contacts"])
    assert (rows.loc[calling, "aht_seconds"] == 270.0).all()


def test_calling_windows_follow_the_callees_clock():
    cfg = campaign_cfg(callee_timezone="Europe/London")  # one hour behind Madrid
    rows = requirements_from_forecast(flat_forecast(cfg), cfg)
    rows = rows[(rows["queue"] == "arrears") & (rows["contacts"] > 0)]
    hours = rows["interval_start"].dt.tz_localize(None).dt.hour
    assert hours.min() == 10 and hours.max() == 13  # 09:00-13:00 in London


def test_the_list_is_worked_through_by_its_date():
    friday = date(2026, 3, 20)
    cfg = campaign_cfg(contacts_per_day=None, complete_by=friday)
    rows = requirements_from_forecast(flat_forecast(cfg), cfg)
    rows = rows[rows["queue"] == "arrears"]
    attempts, contacts = list_yield(1000, 3, 0.25)
    assert rows["attempts"].sum() == pytest.approx(attempts)
    assert rows["contacts"].sum() == pytest.approx(contacts)
    assert rows.loc[rows["interval_start"].dt.date > friday, "attempts"].sum() == 0


@pytest.mark.parametrize(("change", "words"), [
    ({"queue": "billing_es"}, "campaigns[0].queue: queue 'billing_es' is a voice queue"),
    ({"preview_seconds": 10}, "campaigns[0].preview_seconds: has no effect with dialing "
                              "progressive"),
    ({"max_abandon_rate": 0.05}, "campaigns[0].max_abandon_rate: has no effect"),
    ({"complete_by": date(2026, 4, 1)}, "exactly one target"),
    ({"calling_windows": {"mon": "09:00-13:00"}}, "give every weekday"),
])
def test_bad_campaigns_are_refused_naming_the_key(change, words):
    with pytest.raises(BadInput, match=None) as caught:
        campaign_cfg(**change)
    assert words in str(caught.value)


def test_scheduled_agents_make_the_contacts_they_can_and_carry_the_rest():
    """A list due on Friday: a day without its agents falls behind, later days catch up
    when they have room, and the report says whether the list is done by its date."""
    from wfm.reports.kpis import coverage_table, schedule_figures

    friday = date(2026, 3, 20)
    cfg = campaign_cfg(contacts_per_day=None, complete_by=friday)
    req = requirements_from_forecast(flat_forecast(cfg), cfg)
    plan = req[req["queue"] == "arrears"].assign(
        required=lambda r: r["agents_with_shrinkage"])
    shifts = pd.DataFrame(columns=["agent_id", "date", "paid_minutes"])
    figures = {}
    for name, boost in (("as planned", 0), ("short on Monday, more later", 2)):
        scheduled = plan[["interval_start", "queue"]].assign(
            scheduled=plan["agents_with_shrinkage"] + boost)
        if boost:
            monday = scheduled["interval_start"].dt.date == MONDAY
            scheduled.loc[monday, "scheduled"] = 0
        cover = coverage_table(cfg, scheduled, plan, MONDAY, 7)
        figures[name] = schedule_figures(cfg, cover, shifts, MONDAY, 7)["queues"]["arrears"]
    planned = figures["as planned"]["work"]
    assert planned["worked"] == pytest.approx(planned["offered"], rel=1e-6)
    assert planned["list_done_by_date"] is True
    late = figures["short on Monday, more later"]["work"]
    monday_work = late["by_day"][MONDAY.isoformat()]
    assert monday_work["worked"] == 0 and monday_work["backlog_end"] == pytest.approx(
        monday_work["offered"])
    assert late["list_done_by_date"] is True  # two agents more on Tuesday to Friday catch up
    assert late["worked"] == pytest.approx(late["offered"], rel=1e-6)
    assert figures["as planned"]["service_level_modelled"] is False
    # with half the planned agents the list is not done by Friday, and the report says so
    half = plan[["interval_start", "queue"]].assign(
        scheduled=plan["agents_with_shrinkage"] // 2)
    short = schedule_figures(cfg, coverage_table(cfg, half, plan, MONDAY, 7), shifts, MONDAY,
                             7)["queues"]["arrears"]["work"]
    assert short["list_done_by_date"] is False
    assert 0 < short["worked"] < short["offered"]
    assert short["past_due_end"] == pytest.approx(short["offered"] - short["worked"], rel=1e-6)


def test_campaign_days_sum_the_plan():
    from wfm.staffing.campaigns import campaign_days

    cfg = campaign_cfg(dialing="predictive")
    req = requirements_from_forecast(flat_forecast(cfg), cfg)
    days = campaign_days(req, cfg)
    assert len(days) == 5 and days["contacts"].tolist() == pytest.approx([120.0] * 5)
    rows = req[req["queue"] == "arrears"]
    assert days["attempts"].sum() == pytest.approx(rows["attempts"].sum())
    assert days["abandoned"].sum() == pytest.approx(rows["abandoned"].sum())
    assert ((days["abandoned"] / (days["abandoned"] + days["contacts"])) <= 0.03 + 1e-9).all()
    assert days["agent_hours"].sum() == pytest.approx(rows["agents_needed"].sum() * 0.25)
