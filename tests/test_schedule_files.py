"""Schedule folders: round trip (DST weeks included), validation errors, atomic replacement."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_check import DST_MONDAY, MONDAY, ZONE, Plan, make_agents, make_cfg, stamp, valid_plan

from wfm.errors import BadInput
from wfm.io.files import write_table
from wfm.io.inputs import parse_requirements, read_previous, read_requirements
from wfm.io.schedule_folder import parse_activities, parse_shifts, read_schedule, write_schedule
from wfm.io.tables import ACTIVITIES_FILE, COVERAGE_FILE, KPIS_FILE, SCHEDULE_FILE
from wfm.reports.kpis import build_report
from wfm.schedule.result import ScheduleResult
from wfm.verify.check import check_schedule

FALL_BACK_SUNDAY = date(2026, 10, 25)  # Europe/Madrid: 03:00 CEST becomes 02:00 CET


def counted_by_hand(activities: pd.DataFrame) -> pd.DataFrame:
    """Agents at work per queue and quarter-hour of hand-built, grid-aligned activities."""
    rows = []
    for act in activities[activities["activity"] == "work"].itertuples(index=False):
        utc = pd.date_range(act.start.tz_convert("UTC"), act.end.tz_convert("UTC"),
                            freq="15min", inclusive="left")
        rows += [(stamp.tz_convert(ZONE), act.queue) for stamp in utc]
    table = pd.DataFrame(rows, columns=["interval_start", "queue"])
    return table.groupby(["interval_start", "queue"]).size().rename("scheduled").reset_index()


def result_of(plan: Plan) -> ScheduleResult:
    shifts, activities = plan.tables()
    return ScheduleResult(shifts=shifts, activities=activities,
                          scheduled=counted_by_hand(activities), status="OPTIMAL",
                          objective=12.0, best_bound=12.0, coverage_objective=10.0,
                          coverage_bound=10.0, wall_seconds=0.5, first_solution_seconds=0.1)


def requirements_for(cfg, monday: date, days: int = 7) -> pd.DataFrame:
    from wfm.calendar import interval_grid

    grid = interval_grid(cfg.center, monday, days)
    grid = grid[grid["is_open"]]
    parts = []
    for queue in ("billing_es", "tech_es"):
        parts.append(pd.DataFrame({"interval_start": grid["interval_start"].to_numpy(),
                                   "queue": queue, "required": 1, "offered": 4.0,
                                   "aht_seconds": 300.0}))
    table = pd.concat(parts, ignore_index=True)
    table["interval_start"] = pd.to_datetime(table["interval_start"]).dt.tz_convert(ZONE)
    return table


def write(folder: Path, plan: Plan, monday: date = MONDAY, extra=None) -> ScheduleResult:
    cfg = make_cfg()
    result = result_of(plan)
    report = build_report(cfg, result, requirements_for(cfg, monday), monday, 7)
    write_schedule(folder, result, report.coverage, report.kpis, extra_files=extra)
    return result


def same_instants(a: pd.Series, b: pd.Series) -> bool:
    return list(pd.to_datetime(a).dt.tz_convert("UTC")) == list(
        pd.to_datetime(b).dt.tz_convert("UTC"))


@pytest.mark.parametrize("monday", [MONDAY, DST_MONDAY, FALL_BACK_SUNDAY - timedelta(days=6)])
def test_round_trip_keeps_every_instant(tmp_path: Path, monday: date):
    cfg = make_cfg()
    plan = Plan().week("a1", monday)
    plan.week("a2", monday, weekdays=(0, 1, 4, 5, 6), clock="14:00", template="pt4",
              breaks=((120, "break", 15),), queue="tech_es")
    result = write(tmp_path / "out", plan, monday)
    back = read_schedule(tmp_path / "out", cfg)
    assert back.start == monday and back.days == 7
    assert len(back.shifts) == len(result.shifts)
    expected = result.shifts.sort_values(["agent_id", "shift_start"]).reset_index(drop=True)
    assert same_instants(back.shifts["shift_start"], expected["shift_start"])
    assert same_instants(back.shifts["shift_end"], expected["shift_end"])
    assert list(back.shifts["date"]) == list(expected["date"])
    assert list(back.shifts["template"]) == list(expected["template"])
    assert back.shifts["paid_minutes"].tolist() == expected["paid_minutes"].tolist()
    acts = result.activities.sort_values(["agent_id", "start"]).reset_index(drop=True)
    assert same_instants(back.activities["start"], acts["start"])
    assert same_instants(back.activities["end"], acts["end"])
    assert back.activities["queue"].tolist() == acts["queue"].fillna("").tolist()
    # The re-read files pass the checker, and the written coverage matches a recount.
    found = check_schedule(cfg, make_agents(cfg), back.shifts, back.activities,
                           start=back.start, days=back.days)
    assert found == []
    assert back.coverage is not None
    assert back.coverage["scheduled"].sum() > 0
    assert back.kpis["status"] == "OPTIMAL"


def test_files_hold_naive_local_times(tmp_path: Path):
    write(tmp_path / "out", valid_plan())
    text = (tmp_path / "out" / SCHEDULE_FILE).read_text().splitlines()
    assert text[0] == "agent_id,date,shift_start,shift_end,paid_minutes,template"
    assert text[1] == "a1,2026-03-16,2026-03-16T09:00:00,2026-03-16T17:30:00,480,ft8"
    acts = (tmp_path / "out" / ACTIVITIES_FILE).read_text().splitlines()
    assert acts[0] == "agent_id,start,end,activity,queue,session"
    assert acts[1] == "a1,2026-03-16T09:00:00,2026-03-16T10:45:00,work,billing_es,"
    assert acts[2] == "a1,2026-03-16T10:45:00,2026-03-16T11:00:00,break,,"
    coverage = (tmp_path / "out" / COVERAGE_FILE).read_text().splitlines()[0]
    assert coverage == ("interval_start,queue,required,scheduled,shortfall,offered,aht_seconds,"
                        "projected_service_level,worked,backlog,past_due")


def test_activities_through_the_repeated_hour(tmp_path: Path):
    """Night work across the fall-back night keeps its real order and length."""
    cfg = make_cfg()
    start = pd.Timestamp("2026-10-25T01:00").tz_localize(ZONE)
    cuts = [start + pd.Timedelta(hours=h) for h in (0, 1, 2, 3)]  # 01:00, 02:00A, 02:00B, 03:00
    table = pd.DataFrame({"agent_id": "a1", "start": cuts[:3], "end": cuts[1:],
                          "activity": "work", "queue": "billing_es"})

    write_table(table, tmp_path / "acts.csv")
    lines = (tmp_path / "acts.csv").read_text().splitlines()
    assert lines[2].split(",")[1] == lines[3].split(",")[1] == "2026-10-25T02:00:00"
    back = parse_activities(pd.read_csv(tmp_path / "acts.csv", keep_default_na=False), cfg)
    assert same_instants(back["start"], table["start"])
    assert same_instants(back["end"], table["end"])
    assert ((back["end"] - back["start"]) == pd.Timedelta(hours=1)).all()


def test_bad_rows_name_file_row_and_column(tmp_path: Path):
    cfg = make_cfg()
    write(tmp_path / "out", valid_plan())
    path = tmp_path / "out" / SCHEDULE_FILE
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace("2026-03-18T09:00:00", "2026-03-18T9h")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(BadInput, match=r"schedule.csv: row 4, column shift_start"):
        read_schedule(tmp_path / "out", cfg)

    shifts = pd.DataFrame({"agent_id": ["a1"], "date": ["2026-03-16"],
                           "shift_start": ["2026-03-16T09:00:00"],
                           "shift_end": ["2026-03-16T17:30:00"], "paid_minutes": [480],
                           "template": ["ft8"]})
    assert len(parse_shifts(shifts, cfg, "s.csv")) == 1
    with pytest.raises(BadInput, match=r"row 2, column shift_end: not after"):
        parse_shifts(shifts.assign(shift_end=["2026-03-16T08:00:00"]), cfg, "s.csv")
    with pytest.raises(BadInput, match=r"row 2, column paid_minutes"):
        parse_shifts(shifts.assign(paid_minutes=["x"]), cfg, "s.csv")
    with pytest.raises(BadInput, match=r"row 2, column date"):
        parse_shifts(shifts.assign(date=["16/03/2026"]), cfg, "s.csv")
    with pytest.raises(BadInput, match=r"missing column 'template'|missing column 'date'"):
        parse_shifts(shifts.drop(columns="date"), cfg, "s.csv")
    acts = pd.DataFrame({"agent_id": ["a1", "a1"], "start": ["2026-03-16T09:00:00"] * 2,
                         "end": ["2026-03-16T10:00:00"] * 2, "activity": ["work", "work"],
                         "queue": ["billing_es", "fax"]})
    with pytest.raises(BadInput, match=r"a.csv: row 3, column queue: work on unknown queue"):
        parse_activities(acts, cfg, "a.csv")


def test_missing_folder_and_bad_kpis(tmp_path: Path):
    cfg = make_cfg()
    with pytest.raises(BadInput, match="no such schedule folder"):
        read_schedule(tmp_path / "nope", cfg)
    write(tmp_path / "out", valid_plan())
    (tmp_path / "out" / KPIS_FILE).write_text("{not json")
    with pytest.raises(BadInput, match=r"kpis.json: line 1: not valid JSON"):
        read_schedule(tmp_path / "out", cfg)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_failed_write_leaves_previous_folder_intact(tmp_path: Path):
    out = tmp_path / "out"
    write(out, valid_plan())
    (out / "notes.txt").write_text("kept")
    before = snapshot(out)

    def broken(path: Path) -> None:
        path.write_text("half")
        raise OSError("disk full")

    other = Plan().week("a1", MONDAY, clock="10:00")
    with pytest.raises(OSError, match="disk full"):
        write(out, other, extra={"zz.xlsx": broken})
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary left

    write(out, other)
    after = snapshot(out)
    assert after["notes.txt"] == b"kept"  # files the writer does not own are carried over
    assert after[SCHEDULE_FILE] != before[SCHEDULE_FILE]


def test_killed_write_leaves_previous_folder_intact(tmp_path: Path):
    out = tmp_path / "out"
    write(out, valid_plan())
    before = snapshot(out)
    script = f"""
import os, sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
from pathlib import Path
from test_schedule_files import write
from test_check import Plan, MONDAY

def die(path):
    os._exit(9)

write(Path({str(out)!r}), Plan().week("a1", MONDAY, clock="10:00"), extra={{"x": die}})
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, env={**os.environ})
    assert done.returncode == 9, done.stderr
    assert snapshot(out) == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "out"]
    assert all(name.startswith(".out.") and name.endswith(".tmp") for name in leftovers)


def test_write_refuses_a_file_in_the_way(tmp_path: Path):
    (tmp_path / "out").write_text("a file")
    with pytest.raises(BadInput, match="not a folder"):
        write(tmp_path / "out", valid_plan())


def test_previous_from_folder_or_file(tmp_path: Path):
    cfg = make_cfg()
    write(tmp_path / "out", valid_plan())
    from_folder = read_previous(tmp_path / "out", cfg)
    from_file = read_previous(tmp_path / "out" / SCHEDULE_FILE, cfg)
    assert len(from_folder) == len(from_file) == 10
    assert same_instants(from_folder["shift_start"], from_file["shift_start"])


def test_requirements_reader(tmp_path: Path):
    cfg = make_cfg()
    table = pd.DataFrame({
        "interval_start": ["2026-03-16T09:00:00", "2026-03-16T09:15:00"],
        "queue": ["billing_es", "billing_es"], "offered": [3, 4], "aht_seconds": [300, 280],
        "agents_needed": [2, 2], "agents_with_shrinkage": [3, 3],
    })
    parsed = parse_requirements(table, cfg)
    assert parsed["required"].tolist() == [3, 3]
    assert parsed["interval_start"].iloc[0] == stamp(MONDAY, "09:00")
    table.to_csv(tmp_path / "req.csv", index=False)
    assert len(read_requirements(tmp_path / "req.csv", cfg)) == 2
    with pytest.raises(BadInput, match=r"row 3, column queue: unknown queue"):
        parse_requirements(table.assign(queue=["billing_es", "fax"]), cfg)
    with pytest.raises(BadInput, match=r"row 3, column interval_start: duplicate"):
        parse_requirements(table.assign(interval_start=["2026-03-16T09:00:00"] * 2), cfg)
    with pytest.raises(BadInput, match=r"row 2, column interval_start: .*not on the 15-minute"):
        parse_requirements(table.assign(interval_start=["2026-03-16T09:05:00",
                                                        "2026-03-16T09:15:00"]), cfg)
    with pytest.raises(BadInput, match=r"row 2, column agents_with_shrinkage"):
        parse_requirements(table.assign(agents_with_shrinkage=[2.5, 3]), cfg)
    with pytest.raises(BadInput, match=r"missing column 'required'"):
        parse_requirements(table.drop(columns="agents_with_shrinkage"), cfg)
    # a campaign's plan is kept for the schedule's backlog flow, checked like the rest
    plan = parse_requirements(table.assign(attempts=[10, 12], contacts=[3.5, ""]), cfg)
    assert plan["attempts"].tolist() == [10.0, 12.0]
    assert plan["contacts"].iloc[0] == 3.5 and np.isnan(plan["contacts"].iloc[1])
    with pytest.raises(BadInput, match=r"row 3, column attempts"):
        parse_requirements(table.assign(attempts=[10, -1], contacts=[3, 3]), cfg)


def test_single_repeated_time_resolved_by_order(tmp_path: Path):
    """One activity boundary inside the repeated hour, with no twin to infer from."""
    cfg = make_cfg()
    start = pd.Timestamp("2026-10-25T00:30").tz_localize(ZONE)
    # 00:30 CEST -> 02:30 CEST -> 02:15 CET -> 05:00 CET: the wall clock reads 02:30 once
    # and 02:15 once; only the order says which instant each is.
    cuts = [start, start + pd.Timedelta(minutes=120), start + pd.Timedelta(minutes=165),
            start + pd.Timedelta(minutes=330)]
    table = pd.DataFrame({"agent_id": "a1", "start": cuts[:3], "end": cuts[1:],
                          "activity": ["work", "break", "work"], "queue": ["billing_es", "",
                                                                           "billing_es"]})
    write_table(table, tmp_path / "acts.csv")
    text = (tmp_path / "acts.csv").read_text()
    assert "2026-10-25T02:30:00,2026-10-25T02:15:00" in text
    back = parse_activities(pd.read_csv(tmp_path / "acts.csv", keep_default_na=False), cfg)
    assert same_instants(back["start"], table["start"])
    assert same_instants(back["end"], table["end"])


def test_time_skipped_by_spring_forward_is_bad_input():
    cfg = make_cfg()
    acts = pd.DataFrame({"agent_id": ["a1"], "start": ["2026-03-29T02:30:00"],
                         "end": ["2026-03-29T04:00:00"], "activity": ["work"],
                         "queue": ["billing_es"]})
    with pytest.raises(BadInput, match=r"row 2, column start: local time .* does not exist"):
        parse_activities(acts, cfg, "a.csv")
