"""Schedule report: coverage and shortfall, projected service level, summary and KPIs."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from test_check import MONDAY, ZONE, make_cfg, stamp, valid_plan

from wfm.reports.kpis import build_report, coverage_details
from wfm.schedule.result import ScheduleResult
from wfm.staffing import erlang


def crowd(agents: int, queue: str, begin: str, end: str) -> pd.DataFrame:
    """``agents`` agents working ``queue`` on Monday from ``begin`` to ``end``."""
    return pd.DataFrame({"agent_id": [f"x{i}" for i in range(agents)],
                         "start": stamp(MONDAY, begin), "end": stamp(MONDAY, end),
                         "activity": "work", "queue": queue})


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
    activities = crowd(5, "billing_es", "09:00", "10:00")
    needed = requirement_rows("billing_es", ["09:00", "09:15", "10:00"], [3, 7, 2])
    table = coverage_details(cfg, activities, needed, MONDAY, 1).set_index(
        ["interval_start", "queue"])
    row = table.loc[(stamp(MONDAY, "09:00"), "billing_es")]
    assert (row["required"], row["scheduled"], row["shortfall"]) == (3, 5, 0)
    row = table.loc[(stamp(MONDAY, "09:15"), "billing_es")]
    assert (row["required"], row["scheduled"], row["shortfall"]) == (7, 5, 2)
    row = table.loc[(stamp(MONDAY, "10:00"), "billing_es")]
    assert (row["scheduled"], row["shortfall"]) == (0, 2)
    # Scheduled intervals without a requirement row still appear, with nothing required.
    row = table.loc[(stamp(MONDAY, "09:30"), "billing_es")]
    assert (row["required"], row["scheduled"]) == (0, 5)


def test_projected_service_level_uses_net_agents_and_queue_model():
    cfg = make_cfg()
    activities = crowd(5, "billing_es", "09:00", "10:00")
    needed = requirement_rows("billing_es", ["09:00", "09:15"], [5, 5], offered=[30.0, 0.0])
    table = coverage_details(cfg, activities, needed)
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
    levels = []
    for agents in range(8, 20):
        table = coverage_details(cfg, crowd(agents, "billing_es", "09:00", "09:15"), needed)
        levels.append(float(table["projected_service_level"].iloc[0]))
    assert levels == sorted(levels)
    assert levels[0] < levels[-1]


def result_for(activities: pd.DataFrame, shifts: pd.DataFrame | None = None) -> ScheduleResult:
    if shifts is None:
        shifts = valid_plan().tables()[0]
    return ScheduleResult(shifts=shifts, activities=activities, status="FEASIBLE",
                          objective=150.0, best_bound=100.0, coverage_objective=120.0,
                          coverage_bound=90.0, wall_seconds=3.0, first_solution_seconds=1.0)


def test_daily_and_summary_figures():
    cfg = make_cfg()
    activities = pd.concat([crowd(6, "billing_es", "09:00", "10:00"),
                            crowd(2, "tech_es", "09:00", "09:30")], ignore_index=True)
    needed = pd.concat([
        requirement_rows("billing_es", ["09:00", "09:15", "09:30", "09:45"], [4, 4, 8, 8],
                         offered=[10.0, 30.0, 60.0, 60.0]),
        requirement_rows("tech_es", ["09:00", "09:15"], [3, 3]),
    ], ignore_index=True)
    report = build_report(cfg, result_for(activities), needed, MONDAY, 1)
    summary = report.summary.set_index("queue")
    assert summary.loc["billing_es", "required_hours"] == pytest.approx(24 * 0.25)
    assert summary.loc["billing_es", "scheduled_hours"] == pytest.approx(6.0)
    assert summary.loc["billing_es", "shortfall_hours"] == pytest.approx(4 * 0.25)
    assert summary.loc["tech_es", "shortfall_hours"] == pytest.approx(2 * 0.25)
    assert summary.loc["billing_en", "required_hours"] == 0
    assert summary.loc["billing_es", "service_level_target"] == cfg.queue(
        "billing_es").service_level_target
    details = report.details[report.details["queue"] == "billing_es"].dropna(
        subset=["offered"])
    weighted = float((details["projected_service_level"] * details["offered"]).sum()
                     / details["offered"].sum())
    assert summary.loc["billing_es", "projected_service_level"] == pytest.approx(weighted)
    daily = report.daily.set_index(["queue", "date"])
    assert daily.loc[("billing_es", MONDAY), "projected_service_level"] == pytest.approx(weighted)
    assert math.isnan(summary.loc["tech_es", "projected_service_level"])  # no volume given


def test_kpis_are_strict_json_with_horizon_and_queues():
    cfg = make_cfg()
    activities = crowd(3, "billing_es", "09:00", "10:00")
    needed = requirement_rows("billing_es", ["09:00"], [4], offered=[4.0])
    report = build_report(cfg, result_for(activities), needed, MONDAY, 7)
    kpis = json.loads(json.dumps(report.kpis, allow_nan=False))
    assert kpis["horizon"] == {"start": MONDAY.isoformat(), "days": 7}
    assert kpis["gap"] == pytest.approx((150 - 100) / 150)
    assert kpis["coverage_gap"] == pytest.approx((120 - 90) / 120)
    assert kpis["shifts"] == 10
    assert kpis["paid_hours"] == pytest.approx((5 * 480 + 5 * 240) / 60)
    assert set(kpis["queues"]) == {q.id for q in cfg.queues}
    assert kpis["queues"]["tech_es"]["projected_service_level"] is None
    assert kpis["queues"]["billing_es"]["service_level_by_day"][MONDAY.isoformat()] > 0


def test_coverage_over_the_dst_sunday_grid():
    cfg = make_cfg()
    sunday = MONDAY + timedelta(days=13)  # 2026-03-29, 23 hours long
    start = pd.Timestamp("2026-03-29T01:30").tz_localize(ZONE)
    activities = pd.DataFrame({"agent_id": ["n1"], "start": [start],
                               "end": [start + pd.Timedelta(hours=2)],
                               "activity": ["work"], "queue": ["billing_es"]})
    needed = requirement_rows("billing_es", [], [])
    table = coverage_details(cfg, activities, needed, sunday, 1)
    # Two real hours are eight quarter-hours, although the wall clock jumps 02:00 -> 03:00.
    assert table["scheduled"].sum() == 8
    wall = table["interval_start"].dt.strftime("%H:%M").tolist()
    assert wall[0] == "01:30" and wall[-1] == "04:15" and "02:30" not in wall
    assert np.all(table["required"] == 0)
