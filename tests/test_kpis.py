"""The KPI engine: coverage from the solver's counts, projected service level, figures."""

from __future__ import annotations

import copy
import json
import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from test_check import BASE_CONFIG, MONDAY, ZONE, stamp, valid_plan

from wfm.config import parse_config
from wfm.reports.kpis import (
    NOT_MODELLED,
    build_report,
    coverage_table,
    schedule_figures,
    summary_lines,
)
from wfm.schedule.result import ScheduleResult
from wfm.staffing import erlang


def make_cfg():
    """The checker tests' center plus an email and an outbound queue."""
    data = copy.deepcopy(BASE_CONFIG)
    data["queues"] += [
        {"id": "mail_es", "channel": "email", "skill": "billing", "language": "es",
         "response_hours": 2},
        {"id": "calls_out", "channel": "outbound", "skill": "billing", "language": "es"},
    ]
    return parse_config(data, "test")


def counts(agents: int, queue: str, begin: str, end: str) -> pd.DataFrame:
    """``agents`` at work on ``queue`` on Monday in every quarter-hour of [begin, end)."""
    stamps = pd.date_range(stamp(MONDAY, begin), stamp(MONDAY, end), freq="15min",
                           inclusive="left")
    return pd.DataFrame({"interval_start": stamps, "queue": queue, "scheduled": agents})


def requirement_rows(queue: str, clocks: list[str], required: list[int],
                     offered: list[float] | None = None, aht: float = 240.0) -> pd.DataFrame:
    stamps = pd.Series([stamp(MONDAY, c) for c in clocks], dtype=f"datetime64[ns, {ZONE}]")
    table = pd.DataFrame({"interval_start": stamps, "queue": queue,
                          "required": pd.Series(required, dtype="int64")})
    if offered is not None:
        table["offered"] = offered
        table["aht_seconds"] = aht
    return table


def test_shortfall_is_required_less_scheduled_never_negative():
    cfg = make_cfg()
    needed = requirement_rows("billing_es", ["09:00", "09:15", "10:00"], [3, 7, 2])
    table = coverage_table(cfg, counts(5, "billing_es", "09:00", "10:00"), needed,
                           MONDAY, 1).set_index(["interval_start", "queue"])
    row = table.loc[(stamp(MONDAY, "09:00"), "billing_es")]
    assert (row["required"], row["scheduled"], row["shortfall"]) == (3, 5, 0)
    row = table.loc[(stamp(MONDAY, "09:15"), "billing_es")]
    assert (row["required"], row["scheduled"], row["shortfall"]) == (7, 5, 2)
    row = table.loc[(stamp(MONDAY, "10:00"), "billing_es")]
    assert (row["scheduled"], row["shortfall"]) == (0, 2)
    # Scheduled intervals without a requirement row still appear, with nothing required.
    row = table.loc[(stamp(MONDAY, "09:30"), "billing_es")]
    assert (row["required"], row["scheduled"]) == (0, 5)


def test_counts_outside_the_horizon_are_left_out():
    cfg = make_cfg()
    late = counts(2, "billing_es", "09:00", "09:30")
    late["interval_start"] += pd.Timedelta(days=1)
    table = coverage_table(cfg, late, requirement_rows("billing_es", ["09:00"], [1]), MONDAY, 1)
    assert table["scheduled"].sum() == 0


def test_projected_service_level_uses_net_agents_and_queue_model():
    cfg = make_cfg()
    needed = requirement_rows("billing_es", ["09:00", "09:15"], [5, 5], offered=[30.0, 0.0])
    table = coverage_table(cfg, counts(5, "billing_es", "09:00", "10:00"), needed)
    first = table[table["interval_start"] == stamp(MONDAY, "09:00")].iloc[0]
    net = math.floor(5 * (1 - cfg.shrinkage.rate(MONDAY.weekday(), 9)))
    assert first["net_agents"] == net == 4
    queue = cfg.queue("billing_es")
    expected = erlang.erlang_c_metrics(net, 30.0, 240.0, 15, queue.answer_seconds)
    assert first["projected_service_level"] == pytest.approx(float(expected.service_level))
    quiet = table[table["interval_start"] == stamp(MONDAY, "09:15")].iloc[0]
    assert math.isnan(quiet["projected_service_level"])  # nothing offered: no service level


def test_more_agents_never_lower_the_service_level():
    cfg = make_cfg()
    needed = requirement_rows("billing_es", ["09:00"], [5], offered=[30.0])
    levels = [float(coverage_table(cfg, counts(n, "billing_es", "09:00", "09:15"), needed)
                    ["projected_service_level"].iloc[0]) for n in range(8, 20)]
    assert levels == sorted(levels)
    assert levels[0] < levels[-1]


def test_outbound_queues_have_no_service_level():
    """6 required, 1 scheduled: no 1.0, an empty value and "not modelled"."""
    cfg = make_cfg()
    needed = requirement_rows("calls_out", ["09:00"], [6], offered=[40.0])
    table = coverage_table(cfg, counts(1, "calls_out", "09:00", "09:15"), needed, MONDAY, 1)
    row = table[(table["queue"] == "calls_out")
                & (table["interval_start"] == stamp(MONDAY, "09:00"))]
    assert math.isnan(row["projected_service_level"].iloc[0])
    figures = schedule_figures(cfg, table, valid_plan().tables()[0], MONDAY, 1)
    assert figures["queues"]["calls_out"]["service_level_modelled"] is False
    assert figures["queues"]["calls_out"]["projected_service_level"] is None
    assert figures["queues"]["calls_out"]["service_level_target"] is None
    line = next(x for x in summary_lines(figures) if x.startswith("calls_out"))
    assert NOT_MODELLED in line and "100" not in line


def test_deferred_service_level_is_the_share_answered_in_time():
    """Emails at 09:00 answered within 2 open hours: 1 agent is short, 6 agents are not."""
    cfg = make_cfg()
    needed = requirement_rows("mail_es", ["09:00"], [1], offered=[40.0], aht=300.0)
    levels = {}
    for agents in (1, 6):
        table = coverage_table(cfg, counts(agents, "mail_es", "09:00", "11:00"), needed,
                               MONDAY, 1)
        row = table[(table["queue"] == "mail_es")
                    & (table["interval_start"] == stamp(MONDAY, "09:00"))].iloc[0]
        levels[agents] = row["projected_service_level"]
        # net agents (shrinkage 20%, not floored: the work waits) worked FIFO: 40 items x
        # 300 s in 8 intervals of 15 min
        net = agents * 0.8
        per_interval = net * 15 * 60 * cfg.queue("mail_es").max_occupancy / 300.0
        assert levels[agents] == pytest.approx(min(1.0, 8 * per_interval / 40.0))
        assert table["worked"].sum() == pytest.approx(min(40.0, 8 * per_interval))
    assert 0.0 < levels[1] < 1.0 and levels[6] == 1.0  # 0.8 net agents with 1 scheduled


def result_for(scheduled: pd.DataFrame, shifts: pd.DataFrame | None = None) -> ScheduleResult:
    if shifts is None:
        shifts = valid_plan().tables()[0]
    return ScheduleResult(shifts=shifts, activities=pd.DataFrame(), scheduled=scheduled,
                          status="FEASIBLE", objective=150.0, best_bound=100.0,
                          coverage_objective=120.0, coverage_bound=90.0, wall_seconds=3.0,
                          first_solution_seconds=1.0)


def test_queue_and_day_figures_are_offered_weighted():
    cfg = make_cfg()
    scheduled = pd.concat([counts(6, "billing_es", "09:00", "10:00"),
                           counts(2, "tech_es", "09:00", "09:30")], ignore_index=True)
    needed = pd.concat([
        requirement_rows("billing_es", ["09:00", "09:15", "09:30", "09:45"], [4, 4, 8, 8],
                         offered=[10.0, 30.0, 60.0, 60.0]),
        requirement_rows("tech_es", ["09:00", "09:15"], [3, 3]),
    ], ignore_index=True)
    report = build_report(cfg, result_for(scheduled), needed, MONDAY, 1)
    queues = report.kpis["queues"]
    assert queues["billing_es"]["required_hours"] == pytest.approx(24 * 0.25)
    assert queues["billing_es"]["scheduled_hours"] == pytest.approx(6.0)
    assert queues["billing_es"]["shortfall_hours"] == pytest.approx(4 * 0.25)
    assert queues["billing_es"]["intervals_short"] == 2
    assert queues["tech_es"]["shortfall_hours"] == pytest.approx(2 * 0.25)
    assert queues["billing_en"]["required_hours"] == 0
    assert queues["billing_es"]["service_level_target"] == cfg.queue(
        "billing_es").service_level_target
    rows = report.coverage[(report.coverage["queue"] == "billing_es")
                           & report.coverage["offered"].notna()]
    weighted = float((rows["projected_service_level"] * rows["offered"]).sum()
                     / rows["offered"].sum())
    assert queues["billing_es"]["projected_service_level"] == pytest.approx(weighted)
    assert queues["billing_es"]["service_level_by_day"][MONDAY.isoformat()] == \
        pytest.approx(weighted)
    assert queues["tech_es"]["projected_service_level"] is None  # no volume given
    # The center's figure weights the live queues' intervals by offered contacts too.
    assert report.kpis["projected_service_level"] == pytest.approx(weighted)
    day = report.kpis["days"][MONDAY.isoformat()]
    assert day["required_hours"] == pytest.approx((24 + 6) * 0.25)
    shifts = valid_plan().tables()[0]
    on_monday = shifts[shifts["date"] == MONDAY]
    assert day["agents_working"] == on_monday["agent_id"].nunique()
    assert day["paid_hours"] == pytest.approx(on_monday["paid_minutes"].sum() / 60)


def test_kpis_are_strict_json_with_horizon_and_queues():
    cfg = make_cfg()
    needed = requirement_rows("billing_es", ["09:00"], [4], offered=[4.0])
    report = build_report(cfg, result_for(counts(3, "billing_es", "09:00", "10:00")), needed,
                          MONDAY, 7)
    kpis = json.loads(json.dumps(report.kpis, allow_nan=False))
    assert kpis["horizon"] == {"start": MONDAY.isoformat(), "days": 7}
    assert kpis["gap"] == pytest.approx((150 - 100) / 150)
    assert kpis["coverage_gap"] == pytest.approx((120 - 90) / 120)
    assert kpis["shifts"] == 10
    assert kpis["paid_hours"] == pytest.approx((5 * 480 + 5 * 240) / 60)
    assert set(kpis["queues"]) == {q.id for q in cfg.queues}
    assert len(kpis["days"]) == 7
    assert kpis["queues"]["tech_es"]["projected_service_level"] is None
    assert kpis["queues"]["billing_es"]["service_level_by_day"][MONDAY.isoformat()] > 0


def test_summary_lines_show_the_kpis_figures():
    cfg = make_cfg()
    needed = requirement_rows("billing_es", ["09:00", "09:15"], [4, 4], offered=[20.0, 20.0])
    report = build_report(cfg, result_for(counts(3, "billing_es", "09:00", "09:30")), needed,
                          MONDAY, 1)
    kpis = report.kpis
    line = next(x for x in summary_lines(kpis) if x.startswith("billing_es"))
    row = kpis["queues"]["billing_es"]
    assert f"{row['required_hours']:.1f}" in line
    assert f"{row['projected_service_level']:.1%}" in line


def test_coverage_over_the_dst_sunday_grid():
    cfg = make_cfg()
    sunday = MONDAY + timedelta(days=13)  # 2026-03-29, 23 hours long
    start = pd.Timestamp("2026-03-29T01:30").tz_localize(ZONE)
    utc = pd.date_range(start.tz_convert("UTC"), periods=8, freq="15min")
    scheduled = pd.DataFrame({"interval_start": utc.tz_convert(ZONE), "queue": "billing_es",
                              "scheduled": 1})
    table = coverage_table(cfg, scheduled, requirement_rows("billing_es", [], []), sunday, 1)
    # Two real hours are eight quarter-hours, although the wall clock jumps 02:00 -> 03:00.
    assert table["scheduled"].sum() == 8
    wall = table["interval_start"].dt.strftime("%H:%M").tolist()
    assert wall[0] == "01:30" and wall[-1] == "04:15" and "02:30" not in wall
    assert np.all(table["required"] == 0)
