"""Input files kept exactly and bad ones refused clearly.

Ids stay the text written (``007``, ``A-01``, ``1e3``) through every reader and a real
`wfm schedule` run; unknown columns, non-finite numbers, wrong delimiters, non-UTF-8 bytes
and agents no queue can use exit 2 through the CLI naming file, row and column.
"""

from __future__ import annotations

import copy
import gzip
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_check import BASE_CONFIG, MONDAY, Plan, make_cfg
from test_schedule_files import requirements_for, write
from typer.testing import CliRunner

from wfm.cli.main import app
from wfm.errors import BadInput
from wfm.io.files import read_table, write_table
from wfm.io.inputs import (
    read_agents,
    read_forecast,
    read_history,
    read_previous,
    read_requirements,
    read_special_days,
    roster_table,
)
from wfm.io.schedule_folder import read_schedule
from wfm.io.tables import ACTIVITIES_FILE, COVERAGE_FILE, SCHEDULE_FILE

runner = CliRunner()

IDS = ["007", "A-01", "1e3"]
#: Ids a number parser would turn into 7, 10 and 1000.0 (no other text in the column).
NUMBER_LIKE_IDS = ["007", "010", "1e3"]
ID_SETS = pytest.mark.parametrize("ids", [IDS, NUMBER_LIKE_IDS], ids=["mixed", "number-like"])
ROSTER_HEADER = "agent_id,name,team,skills,languages,contract"
ROSTER = ROSTER_HEADER + """
007,Ana,t,billing,es,full_time
A-01,Ben,t,billing;technical:0.7,es;en,part_time
1e3,Carla,t,technical,es,part_time
"""
HISTORY = """interval_start,queue,offered,aht_seconds
2026-03-16T08:00:00,billing_es,10,300
2026-03-16T08:15:00,billing_es,12,280
"""


def config_file(folder: Path, **inputs: object) -> Path:
    """The test center as a YAML file, with ``inputs`` keys (e.g. extra_columns)."""
    data = copy.deepcopy(BASE_CONFIG)
    if inputs:
        data["inputs"] = inputs
    path = folder / "center.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def validate(folder: Path, history: str | bytes | None = None,
             agents: str | bytes | None = None, history_name: str = "history.csv",
             **inputs: object):
    """`wfm validate` on files written from ``history`` and ``agents`` text (or bytes)."""
    args = ["validate", "--config", str(config_file(folder, **inputs))]
    for option, content, name in (("--history", history, history_name),
                                  ("--agents", agents, "agents.csv")):
        if content is None:
            continue
        path = folder / name
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        args += [option, str(path)]
    return runner.invoke(app, args)


def assert_refused(result, *expected: str) -> None:
    """Exit 2 with one error line holding every ``expected`` piece and no traceback."""
    assert result.exit_code == 2, result.output
    for piece in expected:
        assert piece in result.output, (piece, result.output)
    assert "Traceback" not in result.output
    assert "internal error" not in result.output


# --- 1. ids are strings, kept exactly ------------------------------------------------------


def roster(ids: list[str]) -> str:
    """`ROSTER` with its three agents renamed to ``ids``."""
    lines = ROSTER.splitlines(keepends=True)
    return lines[0] + "".join(new + line[line.index(","):]
                              for new, line in zip(ids, lines[1:], strict=True))


@ID_SETS
def test_roster_ids_come_back_as_written_from_csv_and_xlsx(tmp_path: Path, ids: list[str]):
    cfg = make_cfg()
    path = tmp_path / "agents.csv"
    path.write_text(roster([ids[0], ids[1], f" {ids[2]} "]), encoding="utf-8")
    assert [a.agent_id for a in read_agents(path, cfg)] == ids
    book = tmp_path / "agents.xlsx"
    pd.read_csv(path, dtype=str).to_excel(book, index=False)  # text cells
    assert [a.agent_id for a in read_agents(book, cfg)] == ids


def id_plan(ids: list[str]) -> Plan:
    """A week for each of the three ids (their shifts are all the files need)."""
    plan = Plan()
    for agent, clock in zip(ids, ("06:00", "09:00", "12:00"), strict=True):
        plan.week(agent, MONDAY, clock=clock)
    return plan


@ID_SETS
def test_ids_survive_schedule_files_and_a_previous_schedule(tmp_path: Path, ids: list[str]):
    cfg = make_cfg()
    write(tmp_path / "out", id_plan(ids))
    back = read_schedule(tmp_path / "out", cfg)
    assert sorted(set(back.shifts["agent_id"])) == sorted(ids)
    assert sorted(set(back.activities["agent_id"])) == sorted(ids)
    previous = read_previous(tmp_path / "out", cfg)
    assert sorted(set(previous["agent_id"])) == sorted(ids)
    assert previous["agent_id"].tolist() == back.shifts["agent_id"].tolist()


def test_queue_ids_in_requirements_and_forecast_are_text(tmp_path: Path):
    renamed = {"billing_es": "007", "tech_es": "1e3"}
    queues = copy.deepcopy(BASE_CONFIG["queues"])
    for queue in queues:
        queue["id"] = renamed.get(queue["id"], queue["id"])
    cfg = make_cfg(queues=queues)
    table = requirements_for(make_cfg(), MONDAY, days=1).replace({"queue": renamed})
    path = tmp_path / "requirements.csv"
    write_table(table, path)
    assert set(read_requirements(path, cfg)["queue"]) == {"007", "1e3"}
    forecast = tmp_path / "forecast.csv"
    write_table(table[["interval_start", "queue", "offered", "aht_seconds"]], forecast)
    assert set(read_forecast(forecast, cfg)["queue"]) == {"007", "1e3"}


@ID_SETS
def test_schedule_cli_writes_and_reads_back_the_exact_ids(tmp_path: Path, ids: list[str]):
    config = config_file(tmp_path)
    agents = tmp_path / "agents.csv"
    agents.write_text(roster(ids), encoding="utf-8")
    requirements = tmp_path / "requirements.csv"
    write_table(requirements_for(make_cfg(), MONDAY), requirements)
    out = tmp_path / "out"
    # two days, solved to optimality in about 1.5 s: a week ran to its 8 s limit and, beside
    # busy processes, found no schedule in it
    result = runner.invoke(app, [
        "schedule", "--config", str(config), "--agents", str(agents), "--requirements",
        str(requirements), "--start", MONDAY.isoformat(), "--days", "2", "--out", str(out),
        "--time-limit", "8", "--workers", "1", "--seed", "3", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "checker: valid" in result.output  # the checker read the folder back
    for name in (SCHEDULE_FILE, ACTIVITIES_FILE):
        written = pd.read_csv(out / name, dtype=str, keep_default_na=False)
        assert set(written["agent_id"]) == set(ids), name
    back = read_schedule(out, make_cfg())
    assert set(back.shifts["agent_id"]) == set(ids)
    assert set(back.activities["agent_id"]) == set(ids)


# --- 2. unknown and carried columns --------------------------------------------------------


def test_misspelled_roster_column_is_refused_with_the_nearest_name(tmp_path: Path):
    roster = ROSTER.replace(ROSTER_HEADER, ROSTER_HEADER + ",prefered_start")
    roster = roster.replace("full_time\n", "full_time,08:00-10:00\n")
    result = validate(tmp_path, agents=roster)
    assert_refused(result, f"{tmp_path / 'agents.csv'}: column 'prefered_start' is not a "
                           "roster column (did you mean 'preferred_start'?); name it under "
                           "inputs.extra_columns.agents to carry it through")


def test_unknown_history_column_is_refused(tmp_path: Path):
    history = HISTORY.replace("aht_seconds\n", "aht_seconds,abandonned\n")
    result = validate(tmp_path, history=history.replace("300\n", "300,1\n"))
    assert_refused(result, "history.csv: column 'abandonned' is not a history column "
                           "(did you mean 'abandoned'?)", "inputs.extra_columns.history")


def test_carried_roster_columns_are_kept_and_written_back(tmp_path: Path):
    cfg = make_cfg(inputs={"extra_columns": {"agents": ["site", "badge"]}})
    path = tmp_path / "agents.csv"
    roster = ROSTER.replace(ROSTER_HEADER, ROSTER_HEADER + ",badge,site")
    roster = roster.replace("full_time\n", "full_time,0042,Madrid\n")
    path.write_text(roster.replace("_time\n", "_time,,Sevilla\n"), encoding="utf-8")
    first, second, _ = read_agents(path, cfg)
    assert first.extra == {"badge": "0042", "site": "Madrid"}
    assert list(first.extra) == ["badge", "site"]  # file order, not config order
    assert second.extra == {"badge": "", "site": "Sevilla"}
    table = roster_table([first, second])
    assert list(table.columns[-2:]) == ["badge", "site"]
    assert table["badge"].tolist() == ["0042", ""]


def test_carried_history_column_is_kept_as_text(tmp_path: Path):
    cfg = make_cfg(inputs={"extra_columns": {"history": ["site"]}})
    path = tmp_path / "history.csv"
    path.write_text(HISTORY.replace("aht_seconds\n", "aht_seconds,site\n")
                    .replace("300\n", "300,007\n").replace("280\n", "280, Madrid \n"),
                    encoding="utf-8")
    history = read_history(path, cfg, complete=False)
    assert history["site"].tolist() == ["007", "Madrid"]
    assert history["offered"].tolist() == [10, 12]


def test_carried_columns_must_exist_and_be_unknown(tmp_path: Path):
    result = validate(tmp_path, agents=ROSTER, extra_columns={"agents": ["team"]})
    assert_refused(result, "agents.csv: inputs.extra_columns.agents names 'team', which is "
                           "already a roster column")
    result = validate(tmp_path, agents=ROSTER, extra_columns={"agents": ["badge"]})
    assert_refused(result, "agents.csv: inputs.extra_columns.agents names 'badge', but the "
                           "file has no such column")


def test_extra_columns_config_keys_are_strict(tmp_path: Path):
    result = validate(tmp_path, extra_columns={"roster": ["badge"]})
    assert_refused(result, "inputs.extra_columns.roster")
    result = validate(tmp_path, extra_columns={"agents": ["badge", "badge"]})
    assert_refused(result, "inputs.extra_columns.agents", "'badge' is named twice")


# --- 3. non-finite numbers -----------------------------------------------------------------


@pytest.mark.parametrize("column, cell", [("offered", "1e400"), ("offered", "inf"),
                                          ("aht_seconds", "-inf"), ("aht_seconds", "nan"),
                                          ("aht_seconds", "NaN")])
def test_non_finite_history_numbers_exit_2(tmp_path: Path, column: str, cell: str):
    history = HISTORY.replace(",12,280", f",{cell},280" if column == "offered" else f",12,{cell}")
    result = validate(tmp_path, history=history)
    assert_refused(result, f"{tmp_path / 'history.csv'}: row 3, column {column}: not a finite "
                           f"number ('{cell}')")


def test_non_finite_forecast_exits_2_naming_the_row(tmp_path: Path):
    config = config_file(tmp_path)
    forecast = tmp_path / "forecast.csv"
    forecast.write_text(HISTORY.replace(",12,", ",inf,"), encoding="utf-8")
    result = runner.invoke(app, ["staff", "--config", str(config), "--forecast",
                                 str(forecast), "--out", str(tmp_path / "req.csv")])
    assert_refused(result, f"{forecast}: row 3, column offered: not a finite number ('inf')")


def test_non_finite_numbers_in_the_other_readers(tmp_path: Path):
    cfg = make_cfg()
    table = requirements_for(cfg, MONDAY, days=1).astype({"required": object})
    table.loc[3, "required"] = "1e400"
    path = tmp_path / "requirements.csv"
    write_table(table, path)
    with pytest.raises(BadInput, match=r"requirements.csv: row 5, column required: not a "
                                       r"finite number \('1e400'\)"):
        read_requirements(path, cfg)
    write(tmp_path / "out", id_plan(IDS))
    for name, column in ((SCHEDULE_FILE, "paid_minutes"), (COVERAGE_FILE, "scheduled")):
        file = tmp_path / "out" / name
        original = file.read_text(encoding="utf-8")
        written = pd.read_csv(file, dtype=str, keep_default_na=False)
        written.loc[1, column] = "inf"
        written.to_csv(file, index=False)
        with pytest.raises(BadInput, match=rf"{name}: row 3, column {column}: not a finite"):
            read_schedule(tmp_path / "out", cfg)
        file.write_text(original, encoding="utf-8")


def test_special_days_are_read_like_every_table(tmp_path: Path):
    path = tmp_path / "special_days.csv"
    path.write_text("date,queue,multiplier,note\n2026-03-17,billing_es,1.2,\n"
                    "2026-03-18,,closed,\n", encoding="utf-8")
    table = read_special_days(path, ["billing_es"])
    assert table["queue"].tolist() == ["billing_es", "all"]
    assert table["multiplier"].iloc[0] == 1.2 and pd.isna(table["multiplier"].iloc[1])
    path.write_text("date,queue,multiplier\n2026-03-17,billing_es,1e400\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"row 2, column multiplier: not a finite number"):
        read_special_days(path, ["billing_es"])
    path.write_text("date;queue;multiplier\n2026-03-17;billing_es;2\n", encoding="utf-8")
    with pytest.raises(BadInput, match="columns are separated by ';'"):
        read_special_days(path, ["billing_es"])
    # through the config's inputs, as `wfm validate` loads it
    path.write_text("date,queue,multiplier\n2026-03-17,all,inf\n", encoding="utf-8")
    result = validate(tmp_path, special_days=str(path))
    assert_refused(result, f"{path}: row 2, column multiplier: not a finite number ('inf')")


# --- 4. delimiters, 5. encodings -----------------------------------------------------------


@pytest.mark.parametrize("delimiter, said", [(";", "';'"), ("\t", "tabs"), ("|", "'|'")])
def test_wrong_delimiter_is_named(tmp_path: Path, delimiter: str, said: str):
    result = validate(tmp_path, history=HISTORY.replace(",", delimiter))
    assert_refused(result, f"{tmp_path / 'history.csv'}: columns are separated by {said}; "
                           "wfm reads comma-separated files (row 1)")


def test_header_that_splits_better_on_semicolons_is_named(tmp_path: Path):
    roster = ROSTER.replace(",", ";").replace("agent_id;name", "agent_id,name", 1)
    result = validate(tmp_path, agents=roster)
    assert_refused(result, "agents.csv: columns are separated by ';'")


@pytest.mark.parametrize("name", ["agents.csv", "agents.csv.gz"])
def test_latin1_file_names_the_line(tmp_path: Path, name: str):
    data = ROSTER.replace("Ben", "Benjamín").encode("latin-1")
    args = ["validate", "--config", str(config_file(tmp_path)), "--agents"]
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    result = runner.invoke(app, [*args, str(path)])
    assert_refused(result, f"{path}: line 3: not UTF-8 text (byte 0xed)")


def test_utf8_with_bom_reads(tmp_path: Path):
    path = tmp_path / "agents.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ROSTER.replace("Ben", "Benjam\u00edn").encode("utf-8"))
    agents = read_agents(path, make_cfg())
    assert agents[1].name == "Benjam\u00edn" and agents[0].agent_id == "007"


def test_duplicate_and_unnamed_columns(tmp_path: Path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,a\n1,2,3\n", encoding="utf-8")
    with pytest.raises(BadInput, match="row 1: column 'a' appears twice"):
        read_table(path)
    path.write_text("a,b,\n1,2,\n", encoding="utf-8")  # a trailing separator: no column
    assert list(read_table(path).columns) == ["a", "b"]
    path.write_text("a,,b\n1,2,3\n", encoding="utf-8")
    with pytest.raises(BadInput, match="row 1: column 2 has values but no name"):
        read_table(path)


# --- 6. an agent no queue can use ----------------------------------------------------------


def test_agent_matching_no_queue_is_refused_before_scheduling(tmp_path: Path):
    # technical is tech_es's skill and en is billing_en's language, but no queue has both
    roster = ROSTER + "A-7,Dan,t,technical,en,full_time\n"
    result = validate(tmp_path, agents=roster)
    assert_refused(result, f"{tmp_path / 'agents.csv'}: row 5, agent 'A-7': skills technical "
                           "and languages en match no queue")


def test_a_recorded_config_with_hourly_rates_reads_back(example_cfg, tmp_path) -> None:
    import json

    from wfm.io.inputs import recorded_config
    from wfm.io.tables import MANIFEST_FILE

    data = example_cfg.model_dump(mode="json")
    data["shrinkage"]["by_hour"] = {8: 0.4, 20: 0.35}
    data["campaigns"][0]["contact_rate"] = {"default": 0.3, "by_hour": {10: 0.2, 18: 0.45}}
    cfg = type(example_cfg).model_validate(data)
    run = tmp_path / "runs" / "20261122T010000Z"
    run.mkdir(parents=True)
    # what the nightly run records: JSON, whose keys are text
    (run / MANIFEST_FILE).write_text(json.dumps({"config": cfg.model_dump(mode="json")}))
    again = recorded_config(tmp_path / "runs")
    assert again.shrinkage.by_hour == {8: 0.4, 20: 0.35}
    assert again.campaigns[0].contact_rate.by_hour == {10: 0.2, 18: 0.45}
    assert again == cfg
