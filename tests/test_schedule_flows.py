"""Campaign and deferred queues in the schedule: backlog flows chosen by the model.

Small centers solved to proven optimality (the exact model) and by the large-roster
method (``aggregate``), every schedule checked by the independent checker; the outcome
figures come from the coverage table (`wfm.reports.kpis.coverage_table`), which works
the backlog first in, first out from the schedule alone.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from wfm.calendar import interval_grid
from wfm.config import CenterConfig, parse_config
from wfm.plan import horizon_rows
from wfm.reports.kpis import coverage_table, schedule_figures
from wfm.roster import Agent
from wfm.schedule.result import ScheduleResult
from wfm.schedule.solve import solve_schedule
from wfm.staffing.requirements import requirements_from_forecast
from wfm.verify.blended import check_inbound_first
from wfm.verify.check import check_schedule

MONDAY = date(2026, 2, 2)
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

BASE = {
    "center": {
        "name": "Flows", "timezone": "Europe/Madrid", "interval_minutes": 30,
        "opening_hours": {d: "08:00-16:00" for d in EVERY_DAY},
    },
    "queues": [
        {"id": "sales", "channel": "voice", "skill": "sales", "language": "es",
         "min_agents": 0},
        {"id": "collect", "channel": "outbound", "skill": "collections", "language": "es",
         "max_occupancy": 1.0},
        {"id": "mail", "channel": "email", "skill": "mail", "language": "es",
         "max_occupancy": 1.0, "response_hours": 1, "min_agents": 0},
    ],
    "shrinkage": 0.0,
    "campaigns": [
        # 600 s per contact, no set-up time: one agent makes 3 contacts per half hour
        {"id": "arrears", "queue": "collect", "records": 1000, "max_attempts": 1,
         "contact_rate": 1.0, "aht_seconds": 600, "attempt_seconds": 0,
         "calling_windows": {d: "08:00-10:00" for d in EVERY_DAY}, "contacts_per_day": 12},
    ],
    "contracts": [
        {"id": "full", "min_weekly_hours": 0, "max_weekly_hours": 40,
         "max_working_days_per_week": 7},
    ],
    "shift_templates": [
        {"id": "t2", "contracts": ["full"], "length_minutes": 120, "earliest_start": "08:00",
         "latest_start": "14:00", "start_step_minutes": 120, "breaks": []},
    ],
    "labor_rules": {"min_rest_hours": 12, "max_consecutive_working_days": 7,
                    "min_days_off_per_week": 0, "min_consecutive_days_off": 1,
                    "max_shift_hours": 10, "min_break_spacing_minutes": 30},
    "solver": {"time_limit_seconds": 30, "workers": 1, "seed": 0},
}

METHODS = ("exact", "aggregate")


def make_config(campaign: dict | None = None, objective: dict | None = None,
                mail: dict | None = None) -> CenterConfig:
    data = copy.deepcopy(BASE)
    data["campaigns"][0].update(campaign or {})
    data["queues"][2].update(mail or {})
    if objective:
        data["objective"] = objective
    return parse_config(data)


def agent(agent_id: str, *skills: str) -> Agent:
    return Agent(agent_id=agent_id, name=agent_id, team="T",
                 skills={s: 1.0 for s in skills}, languages=("es",), contract="full")


def requirements(cfg: CenterConfig, days: int, sales: dict[tuple[int, str], int] | None = None,
                 mail: dict[tuple[int, str], float] | None = None) -> pd.DataFrame:
    """The horizon's requirement rows from the staffing pipeline: ``mail`` items (360 s
    each) arriving at (day, HH:MM); ``sales`` agents required at (day, HH:MM) (set on the
    rows, no forecast behind them)."""
    grid = interval_grid(cfg.center, MONDAY, days)
    stamps = grid["interval_start"]
    key = list(zip((stamps.dt.date - MONDAY).map(lambda d: d.days),
                   stamps.dt.strftime("%H:%M"), strict=True))
    forecast = pd.concat([
        pd.DataFrame({"interval_start": stamps, "queue": "sales", "offered": 0.0,
                      "aht_seconds": 300.0}),
        pd.DataFrame({"interval_start": stamps, "queue": "mail",
                      "offered": [float((mail or {}).get(k, 0.0)) for k in key],
                      "aht_seconds": 360.0}),
    ], ignore_index=True)
    rows = horizon_rows(requirements_from_forecast(forecast, cfg), MONDAY, days)
    local = rows["interval_start"].dt.tz_convert(cfg.center.timezone)
    for (day, clock), agents_required in (sales or {}).items():
        at = (local.dt.date == MONDAY + timedelta(days=day)) & \
             (local.dt.strftime("%H:%M") == clock) & (rows["queue"] == "sales")
        rows.loc[at, "required"] = agents_required
    return rows


def solve(cfg: CenterConfig, agents: list[Agent], need: pd.DataFrame, days: int,
          method: str) -> tuple[ScheduleResult, pd.DataFrame]:
    """Solve, check with the independent checker, and return the coverage table."""
    result = solve_schedule(cfg, agents, need, MONDAY, days, method=method,
                            time_limit_seconds=30, workers=1)
    violations = check_schedule(cfg, agents, result.shifts, result.activities,
                                requirements=need, start=MONDAY, days=days)
    cover = coverage_table(cfg, result.scheduled, need, MONDAY, days)
    violations += check_inbound_first(cfg, agents, result.activities, cover)
    assert violations == [], "\n".join(map(str, violations))
    if method == "exact":
        assert result.status == "OPTIMAL"
    return result, cover


def rows_of(cover: pd.DataFrame, queue: str) -> pd.DataFrame:
    return cover[cover["queue"] == queue].sort_values("interval_start").reset_index(drop=True)


def work_by_day(cfg: CenterConfig, cover: pd.DataFrame, result: ScheduleResult,
                days: int, queue: str = "collect") -> dict:
    figures = schedule_figures(cfg, cover, result.shifts, MONDAY, days)
    return figures["queues"][queue]["work"]


# ------------------------------------------------------------------ outbound targets

@pytest.mark.parametrize("method", METHODS)
def test_an_outbound_target_is_met_exactly_when_capacity_allows(method):
    cfg = make_config()
    need = requirements(cfg, 2)
    plan = rows_of(need, "collect")
    assert plan["required"].sum() == 8  # one agent in each of the 4 calling half-hours, 2 days
    result, cover = solve(cfg, [agent("o1", "collections"), agent("o2", "collections")],
                          need, 2, method)
    work = work_by_day(cfg, cover, result, 2)
    for day in ("2026-02-02", "2026-02-03"):
        assert work["by_day"][day]["offered"] == pytest.approx(12.0)
        assert work["by_day"][day]["worked"] == pytest.approx(12.0)
        assert work["by_day"][day]["past_due_end"] == pytest.approx(0.0)
    # exactly: no outbound agent beyond the plan
    outbound = rows_of(cover, "collect")
    assert outbound["scheduled"].sum() == 8
    assert result.penalties["coverage"] == pytest.approx(0.0)


@pytest.mark.parametrize("method", METHODS)
def test_an_outbound_target_is_reported_short_when_capacity_does_not_allow(method):
    """Twice the contacts a day, one agent: half the day's target is reported short."""
    cfg = make_config({"contacts_per_day": 24})
    need = requirements(cfg, 1)
    assert rows_of(need, "collect")["required"].sum() == 8  # two agents per half hour
    result, cover = solve(cfg, [agent("o1", "collections")], need, 1, method)
    work = work_by_day(cfg, cover, result, 1)
    assert work["offered"] == pytest.approx(24.0)
    assert work["worked"] == pytest.approx(12.0)
    assert work["past_due_end"] == pytest.approx(12.0)
    days = result_days(cfg, result, need)
    assert days["planned"].sum() == pytest.approx(24.0)
    assert days["done"].sum() == pytest.approx(12.0)


def result_days(cfg, result, need):
    from wfm.reports.kpis import campaign_day_table

    cover = coverage_table(cfg, result.scheduled, need, MONDAY, 1)
    return campaign_day_table(cfg, cover)


# ------------------------------------------------------------------ blended agents

@pytest.mark.parametrize("method", METHODS)
def test_blended_agents_protect_inbound_and_outbound_waits_for_a_later_day(method):
    """One blended agent, sales short on Monday's calling hours, a list due Wednesday: the
    agent answers sales on Monday and the model carries the calls to Tuesday (6 contacts a
    day planned, 12 an agent's shift can make)."""
    cfg = make_config({"contacts_per_day": None, "complete_by": "2026-02-04",
                       "records": 18})
    busy = {(0, f"{h:02d}:{m:02d}"): 1 for h in (8, 9) for m in (0, 30)}
    need = requirements(cfg, 3, sales=busy)
    blended = agent("b1", "sales", "collections")
    result, cover = solve(cfg, [blended], need, 3, method)
    sales, outbound = rows_of(cover, "sales"), rows_of(cover, "collect")
    merged = sales.merge(outbound, on="interval_start", suffixes=("_in", "_out"))
    # never on outbound while the sales queue it serves is below requirement
    below = merged["scheduled_in"] < merged["required_in"]
    assert (merged.loc[below, "scheduled_out"] == 0).all()
    assert (sales["shortfall"] == 0).all()
    work = work_by_day(cfg, cover, result, 3)
    monday, tuesday = work["by_day"]["2026-02-02"], work["by_day"]["2026-02-03"]
    assert monday["worked"] == pytest.approx(0.0)
    assert monday["backlog_end"] == pytest.approx(monday["offered"])  # carried
    assert tuesday["worked"] == pytest.approx(monday["offered"] + tuesday["offered"])
    assert work["list_done_by_date"] is True


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("plan", ["with the plan", "without the plan"])
def test_a_requirements_file_keeps_the_campaign_and_inbound_first(method, plan, tmp_path):
    """`wfm schedule --requirements` reads the rows `wfm staff` wrote. With the campaign's
    ``attempts`` and ``contacts`` the campaign is the same backlog flow as from the staff
    rows (same bound, same cost); without them it is covered per interval, and a blended
    agent still leaves it for sales where sales is short (the checker's rule; before, read
    from the file, the campaign lost its flow and the agent stayed on it)."""
    from wfm.io.files import write_table
    from wfm.io.inputs import read_requirements

    cfg = make_config()
    busy = {(0, f"{h:02d}:{m:02d}"): 1 for h in (8, 9) for m in (0, 30)}
    need = requirements(cfg, 2, sales=busy)
    written = need if plan == "with the plan" else need.drop(columns=["attempts", "contacts"])
    write_table(written, tmp_path / "requirements.csv")
    from_file = horizon_rows(read_requirements(tmp_path / "requirements.csv", cfg), MONDAY, 2)
    agents = [agent("b1", "sales", "collections")]
    result, cover = solve(cfg, agents, from_file, 2, method)  # checked, inbound first too
    sales, outbound = rows_of(cover, "sales"), rows_of(cover, "collect")
    merged = sales.merge(outbound, on="interval_start", suffixes=("_in", "_out"))
    below = merged["scheduled_in"] < merged["required_in"]
    assert (merged.loc[below, "scheduled_out"] == 0).all()
    assert (sales["shortfall"] == 0).all()
    if plan == "with the plan":
        staffed, staffed_cover = solve(cfg, agents, need, 2, method)
        assert result.coverage_objective == pytest.approx(staffed.coverage_objective)
        assert result.best_bound == pytest.approx(staffed.best_bound)
        # one agent: Monday's calling hours answer sales, Tuesday works 12 of the 24
        assert work_by_day(cfg, cover, result, 2)["worked"] == pytest.approx(12.0)
        assert work_by_day(cfg, staffed_cover, staffed, 2)["worked"] == pytest.approx(12.0)


# ------------------------------------------------------------------ deferred work

@pytest.mark.parametrize("method", METHODS)
def test_deferred_items_are_all_answered_in_time_where_inbound_is_quiet(method):
    """A blended agent: sales needs it at 08:00, ten mails (one hour to answer) arrive then;
    it answers sales first and the mails in the next hour."""
    cfg = make_config({"contacts_per_day": None, "complete_by": "2026-02-20"},
                      mail={"response_hours": 1.5})
    need = requirements(cfg, 1, sales={(0, "08:00"): 1}, mail={(0, "08:00"): 10})
    result, cover = solve(cfg, [agent("m1", "sales", "mail")], need, 1, method)
    mail = rows_of(cover, "mail")
    assert mail["past_due"].max() == pytest.approx(0.0)
    assert mail["worked"].sum() == pytest.approx(10.0)
    assert rows_of(cover, "sales")["shortfall"].sum() == 0
    level = mail.loc[mail["offered"] > 0, "projected_service_level"]
    assert level.to_numpy() == pytest.approx([1.0])


@pytest.mark.parametrize("method", METHODS)
def test_the_right_items_are_reported_past_due_when_capacity_lacks(method):
    """14 mails at 08:00 due in an hour, one agent (5 mails per half hour) from 08:00 to
    10:00: worked by hand first in, first out, 10 are answered by 09:00 and 4 late at
    09:00-09:30."""
    cfg = make_config({"contacts_per_day": None, "complete_by": "2026-02-20"})
    need = requirements(cfg, 1, mail={(0, "08:00"): 14})
    result, cover = solve(cfg, [agent("m1", "mail")], need, 1, method)
    mail = rows_of(cover, "mail")
    clock = mail["interval_start"].dt.strftime("%H:%M")
    by_hand = {"08:00": (5, 9, 0), "08:30": (5, 4, 4), "09:00": (4, 0, 0)}
    for at, (worked, backlog, past_due) in by_hand.items():
        row = mail[clock == at].iloc[0]
        assert (row["worked"], row["backlog"], row["past_due"]) == pytest.approx(
            (worked, backlog, past_due))
    first = mail[mail["offered"] > 0].iloc[0]
    assert first["projected_service_level"] == pytest.approx(10 / 14)


# ------------------------------------------------------------------ weights

def _weighted(objective: dict, campaign: dict | None = None) -> CenterConfig:
    return make_config(campaign, objective={"paid_hours": 1.0, "deferred_past_due": 0.0,
                                            "outbound_carried": 0.0, "outbound_short": 0.0,
                                            **objective})


@pytest.mark.parametrize("method", METHODS)
def test_outbound_short_weight_pays_for_the_days_target(method):
    """A daily target and nothing else to do: agents are paid only to meet the target when
    work past its due costs something."""
    agents = [agent("o1", "collections")]
    worked = {}
    for weight in (0.0, 100.0):
        cfg = _weighted({"outbound_short": weight})
        result, cover = solve(cfg, agents, requirements(cfg, 1), 1, method)
        worked[weight] = work_by_day(cfg, cover, result, 1)["worked"]
    assert worked[0.0] == pytest.approx(0.0)
    assert worked[100.0] == pytest.approx(12.0)


@pytest.mark.parametrize("method", METHODS)
def test_outbound_carried_weight_keeps_work_on_its_day(method):
    """A list due beyond the horizon: only the carried-work cost makes today's share of
    it worth an agent's paid hours."""
    agents = [agent("o1", "collections")]
    campaign = {"contacts_per_day": None, "complete_by": "2026-02-20"}
    worked = {}
    for weight in (0.0, 50.0):
        cfg = _weighted({"outbound_carried": weight}, campaign)
        result, cover = solve(cfg, agents, requirements(cfg, 1), 1, method)
        worked[weight] = work_by_day(cfg, cover, result, 1)["worked"]
    assert worked[0.0] == pytest.approx(0.0)
    assert worked[50.0] > 0


@pytest.mark.parametrize("method", METHODS)
def test_deferred_past_due_weight_prices_late_mail(method):
    agents = [agent("m1", "mail")]
    campaign = {"contacts_per_day": None, "complete_by": "2026-02-20"}
    late = {}
    for weight in (0.0, 20.0):
        cfg = _weighted({"deferred_past_due": weight, "outbound_carried": 0.0}, campaign)
        need = requirements(cfg, 1, mail={(0, "08:00"): 10})
        result, cover = solve(cfg, agents, need, 1, method)
        late[weight] = float(rows_of(cover, "mail")["past_due"].sum())
    assert late[0.0] > 0
    assert late[20.0] == pytest.approx(0.0)


def test_flow_costs_are_recounted_from_the_schedule():
    """The model's objective and the schedule's recount agree on the flows' terms."""
    cfg = make_config({"contacts_per_day": 24})
    need = requirements(cfg, 1, mail={(0, "08:00"): 14})
    result, _ = solve(cfg, [agent("o1", "collections"), agent("m1", "mail")], need, 1,
                      "exact")
    assert result.objective == pytest.approx(result.best_bound, abs=1.0)
    assert np.isfinite(result.coverage_objective) and result.coverage_objective > 0


def test_protect_inbound_moves_blended_agents_off_outbound_where_inbound_is_short():
    from wfm.schedule.flows import protect_inbound
    from wfm.schedule.instance import CoverageClass

    classes = [CoverageClass(0, (0, 1), (0.0, 0.0))]
    required = np.array([[3, 1], [2, 2]])  # queue 0 inbound, queue 1 a campaign's
    work = {(0, 0, 1): 2, (0, 0, 0): 2, (0, 1, 1): 2}
    scheduled = {(0, 0): 2, (1, 0): 2, (0, 1): 1, (1, 1): 2}
    moved = protect_inbound(classes, required, {1}, work, scheduled)
    assert moved == 1  # interval 0: one agent short on inbound; interval 1: none
    assert work == {(0, 0, 1): 1, (0, 0, 0): 3, (0, 1, 1): 2}
    assert scheduled[0, 0] == 3 and scheduled[1, 0] == 1


def test_the_checker_flags_a_blended_agent_on_outbound_while_inbound_is_short():
    """The checker's own rule, on a schedule edited by hand: the blended agent's first
    half hour moved from sales (short without it) to the campaign."""
    cfg = make_config()
    need = requirements(cfg, 1, sales={(0, "08:00"): 1})
    blended = agent("b1", "sales", "collections")
    result, cover = solve(cfg, [blended], need, 1, "exact")
    acts = result.activities.copy()
    first = acts["start"] == acts["start"].min()
    assert acts.loc[first, "queue"].iloc[0] == "sales"
    assert check_inbound_first(cfg, [blended], acts, cover) == []
    edited = acts.copy()
    edited.loc[first, "queue"] = "collect"
    found = check_inbound_first(cfg, [blended], edited, cover)
    assert [v.rule for v in found] == ["inbound_first"]
    assert "sales" in found[0].message and "08:00" in found[0].message


#: The flows' objective weights and the tests above that show their effect on both methods
#: (`tests/test_schedule_weights.py` checks every weight has one).
FLOW_WEIGHT_TESTS = {
    "deferred_past_due": test_deferred_past_due_weight_prices_late_mail,
    "outbound_carried": test_outbound_carried_weight_keeps_work_on_its_day,
    "outbound_short": test_outbound_short_weight_pays_for_the_days_target,
}


def test_fixed_shifts_placed_anew_work_the_backlog_as_the_model_does():
    """The placement of fixed shifts (the large-roster path with leaders or sessions, its
    final split and safe schedule) places the backlog flows, not the deferred queue's
    requirement rows: placed again, the proven-optimal schedule's shifts cost what it
    does (placed against the rows, 1,416 against 296)."""
    import time

    from wfm.schedule import solve as solve_module
    from wfm.schedule.instance import build_instance

    cfg = make_config({"contacts_per_day": None, "complete_by": "2026-02-20"},
                      mail={"response_hours": 2})
    need = requirements(cfg, 1, sales={(0, "10:00"): 2, (0, "10:30"): 2},
                        mail={(0, "08:00"): 10, (0, "10:00"): 10})
    agents = [agent("m1", "sales", "mail"), agent("m2", "sales", "mail")]
    best, _ = solve(cfg, agents, need, 1, "exact")
    now = time.monotonic()
    ctx = solve_module._Context(inst=build_instance(cfg, agents, need, MONDAY, 1), started=now,
                                deadline=now + 30, workers=1, seed=0, log=lambda _: None,
                                stop=None)
    placed = solve_module._placed_result(ctx, best.option_keys)
    assert placed.coverage_objective == pytest.approx(best.coverage_objective)
    violations = check_schedule(cfg, agents, placed.shifts, placed.activities,
                                requirements=need, start=MONDAY, days=1)
    assert violations == []


def test_protect_inbound_leaves_blended_agents_on_outbound_where_only_deferred_rows_are_short():
    """E-mail's interval rows are not what its backlog needs: a blended agent stays on the
    campaign where only they are short, and moves where a live queue is."""
    from wfm.schedule.flows import protect_inbound
    from wfm.schedule.instance import CoverageClass

    classes = [CoverageClass(0, (0, 1, 2), (0.0, 0.0, 0.0))]  # live, campaign, e-mail
    required = np.array([[0, 1], [2, 2], [1, 1]])
    work = {(0, 0, 1): 2, (0, 1, 1): 2}
    scheduled = {(1, 0): 2, (1, 1): 2}
    moved = protect_inbound(classes, required, {1}, work, scheduled, frozenset({2}))
    assert moved == 1  # interval 1: live queue 0 short by one; e-mail never takes one
    assert work == {(0, 0, 1): 2, (0, 1, 1): 1, (0, 1, 0): 1}


def test_the_checker_does_not_count_deferred_rows_against_a_blended_agent():
    """A blended agent on the campaign while e-mail's rows are short is no violation (the
    mail waits in its backlog); while sales is short it is."""
    cfg = make_config(mail={"response_hours": 4})
    need = requirements(cfg, 1, mail={(0, "08:00"): 20})
    blended = agent("b1", "sales", "mail", "collections")
    result, cover = solve(cfg, [blended], need, 1, "exact")
    acts = result.activities.copy()
    on_shift = acts["activity"] == "work"
    edited = acts.copy()
    edited.loc[on_shift, "queue"] = "collect"  # every work interval on the campaign
    mail_short = cover[(cover["queue"] == "mail") & (cover["required"] > 0)]
    assert not mail_short.empty  # the rows ask for e-mail agents ...
    assert check_inbound_first(cfg, [blended], edited, cover) == []  # ... not a violation
    short_sales = cover.copy()
    short_sales.loc[short_sales["queue"] == "sales", "required"] = 1
    assert [v.rule for v in check_inbound_first(cfg, [blended], edited, short_sales)][:1] \
        == ["inbound_first"]
