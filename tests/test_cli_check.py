"""`wfm check` through CliRunner: a solved folder passes, and every kind of tampering with
it fails with exit 2 and a line naming what is wrong."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_check import BASE_CONFIG, MONDAY, ROSTER, make_cfg, valid_plan
from test_schedule_files import requirements_for, write
from typer.testing import CliRunner

from wfm.cli.main import app
from wfm.io.files import write_table
from wfm.io.tables import ACTIVITIES_FILE, COVERAGE_FILE, KPIS_FILE, SCHEDULE_FILE

runner = CliRunner()
SUNDAY = MONDAY + timedelta(days=6)


def every_queue_requirements() -> pd.DataFrame:
    """The test requirements with billing_en too (nothing offered, nobody required), so a
    row exists for every configured queue at every open interval."""
    needed = requirements_for(make_cfg(), MONDAY)
    silent = needed[needed["queue"] == "billing_es"].assign(queue="billing_en", required=0,
                                                            offered=0.0)
    return pd.concat([needed, silent], ignore_index=True)


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> dict[str, Path]:
    """Config, roster, requirements and a folder `wfm schedule` wrote with a real solve."""
    root = tmp_path_factory.mktemp("solved")
    files = {"config": root / "center.yaml", "agents": root / "agents.csv",
             "requirements": root / "requirements.csv", "out": root / "out"}
    files["config"].write_text(yaml.safe_dump(BASE_CONFIG), encoding="utf-8")
    pd.DataFrame(ROSTER).to_csv(files["agents"], index=False)
    write_table(every_queue_requirements(), files["requirements"])
    result = runner.invoke(app, [
        "schedule", "--config", str(files["config"]), "--agents", str(files["agents"]),
        "--requirements", str(files["requirements"]), "--start", MONDAY.isoformat(),
        "--days", "7", "--out", str(files["out"]), "--time-limit", "20", "--workers", "1",
        "--seed", "3", "--quiet"])
    assert result.exit_code == 0, result.output
    return files


@pytest.fixture()
def case(solved, tmp_path) -> dict[str, Path]:
    """A private copy of the solved folder to tamper with."""
    folder = tmp_path / "schedule"
    shutil.copytree(solved["out"], folder)
    return {**solved, "out": folder, "tmp": tmp_path}


def check(files: dict[str, Path], *extra: str):
    return runner.invoke(app, ["check", "--config", str(files["config"]), "--agents",
                               str(files["agents"]), "--schedule", str(files["out"]), *extra])


def with_requirements(files: dict[str, Path]) -> tuple[str, str]:
    return "--requirements", str(files["requirements"])


def lines(result, rule: str) -> list[str]:
    """The printed violations of one rule."""
    return [line for line in result.output.splitlines() if line.startswith(f"{rule}: ")]


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, keep_default_na=False, na_values=[""])


def save(table: pd.DataFrame, folder: Path, name: str) -> None:
    table.to_csv(folder / name, index=False)


def edit_kpis(folder: Path, change) -> None:
    path = folder / KPIS_FILE
    kpis = json.loads(path.read_text(encoding="utf-8"))
    change(kpis)
    path.write_text(json.dumps(kpis), encoding="utf-8")


def short_row(coverage: pd.DataFrame) -> int:
    """A billing_es row that requires an agent."""
    return int(coverage.index[(coverage["queue"] == "billing_es")
                              & (coverage["required"] > 0)][0])


# --- valid ---------------------------------------------------------------------------------


def test_check_is_a_command_of_wfm_with_an_example():
    result = runner.invoke(app, ["check", "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output and "--requirements" in result.output


@pytest.mark.parametrize("given", [False, True])
def test_solved_folder_passes(case, given):
    extra = with_requirements(case) if given else ()
    result = check(case, *extra)
    assert result.exit_code == 0, result.output
    assert "valid (" in result.output
    also_dates = check(case, *extra, "--start", MONDAY.isoformat(), "--days", "7")
    assert also_dates.exit_code == 0, also_dates.output


# --- 1. coverage against the requirements --------------------------------------------------


def test_edited_required_is_caught_with_and_without_requirements(case):
    coverage = read(case["out"], COVERAGE_FILE)
    row = short_row(coverage)
    coverage.loc[row, "required"] += 1
    save(coverage, case["out"], COVERAGE_FILE)
    with_file = check(case, *with_requirements(case))
    assert with_file.exit_code == 2
    assert any("required 2 but the requirements give 1" in line
               for line in lines(with_file, "requirements"))
    # Without the file the row disagrees with itself and with kpis.json.
    alone = check(case)
    assert alone.exit_code == 2
    assert any("shortfall" in line for line in lines(alone, "coverage"))
    assert any(f"{KPIS_FILE}: billing_es required_hours 112.0 but" in line
               for line in lines(alone, "kpis"))


def test_consistently_edited_required_is_caught_by_the_requirements(case):
    coverage = read(case["out"], COVERAGE_FILE)
    row = short_row(coverage)
    coverage.loc[row, ["required", "shortfall"]] += 1
    save(coverage, case["out"], COVERAGE_FILE)

    def add_quarter_hour(kpis: dict) -> None:
        for figures in (kpis, kpis["queues"]["billing_es"]):
            figures["required_hours"] += 0.25
            figures["shortfall_hours"] += 0.25

    edit_kpis(case["out"], add_quarter_hour)
    result = check(case, *with_requirements(case))
    assert result.exit_code == 2
    assert len(lines(result, "requirements")) == 1
    assert lines(result, "kpis") == [] and lines(result, "coverage") == []


def test_row_claiming_a_requirement_the_file_lacks(case):
    coverage = read(case["out"], COVERAGE_FILE)
    night = {"interval_start": f"{MONDAY.isoformat()}T03:00:00", "queue": "tech_es",
             "required": 1, "scheduled": 0, "shortfall": 1, "offered": None,
             "aht_seconds": None, "projected_service_level": None}
    save(pd.concat([coverage, pd.DataFrame([night])], ignore_index=True), case["out"],
         COVERAGE_FILE)
    result = check(case, *with_requirements(case))
    assert result.exit_code == 2
    assert any("T03:00 tech_es: required 1 but the requirements have no row here" in line
               for line in lines(result, "requirements"))


@pytest.mark.parametrize("given", [False, True])
def test_deleted_coverage_rows_are_caught(case, given):
    coverage = read(case["out"], COVERAGE_FILE)
    gone = coverage["interval_start"].str.startswith(f"{MONDAY.isoformat()}T10:") & (
        coverage["queue"] == "tech_es")
    save(coverage[~gone], case["out"], COVERAGE_FILE)
    result = check(case, *(with_requirements(case) if given else ()))
    assert result.exit_code == 2
    missing = [line for line in lines(result, "coverage") if "no row for" in line]
    assert len(missing) == 4
    why = "the requirements have one" if given else "an open interval of a configured queue"
    assert all("T10:" in line and "tech_es" in line and why in line for line in missing)


def test_a_queue_left_out_of_the_coverage_is_caught_without_requirements(case):
    coverage = read(case["out"], COVERAGE_FILE)
    save(coverage[coverage["queue"] != "billing_en"], case["out"], COVERAGE_FILE)
    result = check(case)
    assert result.exit_code == 2
    assert any("billing_en" in line and "no row for" in line
               for line in lines(result, "coverage"))


def test_missing_coverage_file_is_caught(case):
    (case["out"] / COVERAGE_FILE).unlink()
    result = check(case)
    assert result.exit_code == 2
    assert f"{COVERAGE_FILE} is missing" in result.output


def test_kpis_hours_must_match_the_coverage(case):
    def inflate(kpis: dict) -> None:
        kpis["queues"]["tech_es"]["scheduled_hours"] += 10

    edit_kpis(case["out"], inflate)
    result = check(case)
    assert result.exit_code == 2
    found = lines(result, "kpis")
    assert len(found) == 1
    assert f"{KPIS_FILE}: tech_es scheduled_hours " in found[0]
    assert f"but {COVERAGE_FILE} gives" in found[0]


# --- 2. the horizon ---------------------------------------------------------------------------


def cut_to_two_days(folder: Path) -> None:
    """Keep Monday and Tuesday in every file; remove kpis.json."""
    kept = {MONDAY.isoformat(), (MONDAY + timedelta(days=1)).isoformat()}
    for name, column in ((SCHEDULE_FILE, "date"), (ACTIVITIES_FILE, "start"),
                         (COVERAGE_FILE, "interval_start")):
        table = read(folder, name)
        save(table[table[column].str[:10].isin(kept)], folder, name)
    (folder / KPIS_FILE).unlink()


def test_cut_horizon_without_kpis_has_no_horizon(case):
    cut_to_two_days(case["out"])
    result = check(case)
    assert result.exit_code == 2
    assert "no horizon" in result.output and "--start and --days" in result.output


def test_cut_horizon_is_caught_over_the_horizon_asked_for(case):
    cut_to_two_days(case["out"])
    result = check(case, "--start", MONDAY.isoformat(), "--days", "7")
    assert result.exit_code == 2
    empty_days = [line for line in lines(result, "horizon") if "has no rows on" in line]
    assert len(empty_days) == 5
    assert f"has no rows on {SUNDAY}" in empty_days[-1]


def test_horizon_days_edited_in_kpis(case):
    def one_day(kpis: dict) -> None:
        kpis["horizon"]["days"] = 1

    edit_kpis(case["out"], one_day)
    result = check(case)
    assert result.exit_code == 2
    horizon = lines(result, "horizon")
    assert any("outside the horizon" in line and "shift on" in line for line in horizon)
    outside = [line for line in horizon if f"{COVERAGE_FILE} has" in line]
    assert len(outside) == 6 and all("outside the horizon" in line for line in outside)
    asked = check(case, "--start", MONDAY.isoformat(), "--days", "7")
    assert asked.exit_code == 2
    assert lines(asked, "horizon") == [
        f"horizon: agent -, {MONDAY}: {KPIS_FILE} records the horizon {MONDAY}..{MONDAY} "
        f"(1 day), not {MONDAY}..{SUNDAY} (7 days)"]


def test_start_without_days_is_bad_input(case):
    result = check(case, "--start", MONDAY.isoformat())
    assert result.exit_code == 2
    assert "both" in result.output


# --- 3. the projected service level ----------------------------------------------------------


@pytest.mark.parametrize("forgery", ["changed", "number_where_none", "emptied"])
def test_forged_service_level_is_caught(case, forgery):
    coverage = read(case["out"], COVERAGE_FILE)
    level = coverage["projected_service_level"]
    if forgery == "changed":
        row = int(coverage.index[level.notna()][0])
        coverage.loc[row, "projected_service_level"] = level[row] + 0.001
        expected = "but scheduled, offered and aht_seconds give"
    elif forgery == "number_where_none":
        row = int(coverage.index[coverage["offered"] == 0][0])  # billing_en: nothing offered
        coverage.loc[row, "projected_service_level"] = 0.9
        expected = "projected_service_level 0.9 but none can be computed here"
    else:
        row = int(coverage.index[level.notna()][0])
        coverage.loc[row, "projected_service_level"] = None
        expected = "projected_service_level empty but scheduled, offered and aht_seconds give"
    save(coverage, case["out"], COVERAGE_FILE)
    result = check(case)
    assert result.exit_code == 2
    found = lines(result, "service_level")
    assert len(found) == 1 and expected in found[0]
    assert coverage.loc[row, "queue"] in found[0]


# --- 4. special days -------------------------------------------------------------------------


def close_on_a_worked_day(case: dict[str, Path], queue: str | None) -> tuple[int, str]:
    """Close ``queue`` (None: the center) on a day with work on billing_es; returns how many
    work activities that closure touches, and the day."""
    acts = read(case["out"], ACTIVITIES_FILE)
    work = acts[acts["activity"] == "work"]
    day = work.loc[work["queue"] == "billing_es", "start"].str[:10].iloc[0]
    special = case["tmp"] / "special_days.csv"
    pd.DataFrame([{"date": day, "queue": queue or "all", "multiplier": "closed"}]).to_csv(
        special, index=False)
    config = dict(BASE_CONFIG, inputs={"special_days": special.name})
    case["config"] = case["tmp"] / "center.yaml"
    case["config"].write_text(yaml.safe_dump(config), encoding="utf-8")
    on_day = work[work["start"].str[:10] == day]
    if queue is not None:
        on_day = on_day[on_day["queue"] == queue]
    return len(on_day), day


@pytest.mark.parametrize("queue", ["billing_es", None])
def test_work_on_a_closed_queue_is_caught(case, queue):
    count, day = close_on_a_worked_day(case, queue)
    result = check(case)
    assert result.exit_code == 2
    closed = lines(result, "queue_closed")
    assert len(closed) == count > 0
    assert all(f", {day}: work " in line for line in closed)
    what = f"queue {queue!r}" if queue else "the center"
    assert all(f"close {what} on {day}" in line for line in closed)


# --- 5. a coverage file counted wrongly ------------------------------------------------------


def test_coverage_counted_a_quarter_hour_late_is_caught(case):
    """As if the report had counted one work row 15 minutes later than the activities say."""
    acts = read(case["out"], ACTIVITIES_FILE)
    row = acts[(acts["activity"] == "work") & (acts["queue"] == "billing_es")].iloc[0]
    coverage = read(case["out"], COVERAGE_FILE)
    at = (coverage["queue"] == "billing_es")
    first = at & (coverage["interval_start"] == row["start"])
    after = at & (coverage["interval_start"] == row["end"])
    assert first.sum() == 1 and after.sum() == 1
    coverage.loc[first, "scheduled"] -= 1
    coverage.loc[after, "scheduled"] += 1
    coverage["shortfall"] = (coverage["required"] - coverage["scheduled"]).clip(lower=0)
    save(coverage, case["out"], COVERAGE_FILE)
    result = check(case)
    assert result.exit_code == 2
    counted = [line for line in lines(result, "coverage") if "the activities give" in line]
    assert len(counted) == 2
    assert f"{row['start'][:16]} billing_es" in counted[0]
    assert f"{row['end'][:16]} billing_es" in counted[1]


def test_activities_moved_after_counting_are_caught(tmp_path):
    """A hand-built week whose coverage was counted before a1's Monday break moved 15 min
    later (the work before it now ends at 11:00): only the count disagrees."""
    files = {"config": tmp_path / "center.yaml", "agents": tmp_path / "agents.csv",
             "requirements": tmp_path / "requirements.csv", "out": tmp_path / "out"}
    files["config"].write_text(yaml.safe_dump(BASE_CONFIG), encoding="utf-8")
    pd.DataFrame(ROSTER).to_csv(files["agents"], index=False)
    write_table(requirements_for(make_cfg(), MONDAY), files["requirements"])
    write(files["out"], valid_plan())
    assert check(files, *with_requirements(files)).exit_code == 0
    acts = read(files["out"], ACTIVITIES_FILE)
    monday = f"{MONDAY.isoformat()}T"
    moves = {(monday + "09:00:00", "work"): (monday + "09:00:00", monday + "11:00:00"),
             (monday + "10:45:00", "break"): (monday + "11:00:00", monday + "11:15:00"),
             (monday + "11:00:00", "work"): (monday + "11:15:00", None)}
    for (start, kind), (new_start, new_end) in moves.items():
        row = (acts["agent_id"] == "a1") & (acts["start"] == start) & (acts["activity"] == kind)
        assert row.sum() == 1
        acts.loc[row, "start"] = new_start
        if new_end is not None:
            acts.loc[row, "end"] = new_end
    save(acts, files["out"], ACTIVITIES_FILE)
    result = check(files, *with_requirements(files))
    assert result.exit_code == 2
    assert result.output.splitlines()[:2] == [
        f"coverage: agent -, {MONDAY}: {MONDAY}T10:45 billing_es: scheduled 0 but the "
        "activities give 1",
        f"coverage: agent -, {MONDAY}: {MONDAY}T11:00 billing_es: scheduled 1 but the "
        "activities give 0",
    ]
    assert {line.split(":")[0] for line in result.output.splitlines()[:-1]} == {"coverage"}


# --- the schedule rules still run --------------------------------------------------------------


def test_check_reports_each_violation_and_exits_2(case):
    path = case["out"] / SCHEDULE_FILE
    table = read(case["out"], SCHEDULE_FILE)
    first = table.index[0]
    day = table.loc[first, "date"]
    table.loc[first, ["shift_start", "shift_end"]] = [f"{day}T13:30:00", f"{day}T22:00:00"]
    table.to_csv(path, index=False)
    result = check(case)
    assert result.exit_code == 2
    # The activities stay where they were, so they fall outside the moved shift.
    assert lines(result, "activities")
    assert f"violations in {len(table)} shifts" in result.output


def test_missing_folder_is_bad_input(case):
    case["out"] = case["tmp"] / "nope"
    result = check(case)
    assert result.exit_code == 2
    assert "no such schedule folder" in result.output
