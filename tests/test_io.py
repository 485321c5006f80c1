from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from wfm.calendar import interval_grid
from wfm.config import parse_config
from wfm.errors import BadInput
from wfm.io.files import atomic_open, atomic_write_with, read_table, write_table
from wfm.io.inputs import parse_history, read_agents, read_history


@pytest.fixture
def history_table() -> pd.DataFrame:
    return pd.DataFrame({
        "interval_start": ["2026-11-02T08:00:00", "2026-11-02T08:15:00", "2026-11-02T08:30:00"],
        "queue": ["billing_es"] * 3,
        "offered": [10, 12, 9],
        "aht_seconds": [300.0, 280.5, ""],
    })


def test_history_parses_to_local_aware_times(example_cfg, history_table):
    history = parse_history(history_table, example_cfg, "h.csv")
    assert str(history["interval_start"].dt.tz) == "Europe/Madrid"
    assert history["offered"].tolist() == [10, 12, 9]
    assert pd.isna(history["aht_seconds"].iloc[2])  # empty interval: no handle time


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t.drop(columns="offered"), "h.csv: missing column 'offered'"),
        (lambda t: t.assign(interval_start=["2026-11-02T08:00:00", "yesterday",
                                            "2026-11-02T08:30:00"]),
         "h.csv: row 3, column interval_start: bad timestamp 'yesterday'"),
        (lambda t: t.assign(interval_start=["2026-11-02T08:00:00"] * 2 + ["2026-11-02T08:30:00"]),
         "h.csv: row 3, column interval_start: duplicate interval"),
        (lambda t: t.assign(offered=[10, -1, 9]), "h.csv: row 3, column offered: negative"),
        (lambda t: t.assign(offered=[10, "many", 9]), "h.csv: row 3, column offered: not a number"),
        (lambda t: t.assign(queue=["billing_es", "sales_fr", "billing_es"]),
         "h.csv: row 3, column queue: unknown queue 'sales_fr'"),
        (lambda t: t.assign(interval_start=["2026-11-02T08:00:00", "2026-11-02T08:10:00",
                                            "2026-11-02T08:30:00"]),
         "h.csv: row 3, column interval_start: 2026-11-02T08:10:00 is not on the 15-minute grid"),
    ],
)
def test_bad_history_names_the_place(example_cfg, history_table, change, expected):
    with pytest.raises(BadInput) as caught:
        parse_history(change(history_table), example_cfg, "h.csv")
    assert str(caught.value).startswith(expected)


def test_missing_interval_inside_opening_hours_is_reported(example_cfg, tmp_path):
    grid = interval_grid(example_cfg.center, date(2026, 11, 3), 1)
    grid = grid[grid["is_open"]]
    table = pd.DataFrame({
        "interval_start": grid["interval_start"].dt.tz_localize(None).astype(str),
        "queue": "billing_en", "offered": 3, "aht_seconds": 250.0,
    }).drop(index=grid.index[5])
    path = tmp_path / "history.csv"
    table.to_csv(path, index=False)
    with pytest.raises(BadInput, match="missing interval 2026-11-03T09:15:00"):
        read_history(path, example_cfg)


def twenty_four_seven(example_cfg):
    data = example_cfg.model_dump(mode="json")
    data["center"]["opening_hours"] = dict.fromkeys(
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "00:00-24:00"
    )
    data["center"]["holidays"] = {"country": None, "closed": False}
    return parse_config(data)


def test_dst_weeks_round_trip_through_files(example_cfg, tmp_path: Path):
    cfg = twenty_four_seven(example_cfg)
    for monday, short_or_long in ((date(2026, 3, 23), 92), (date(2026, 10, 19), 100)):
        grid = interval_grid(cfg.center, monday, 7)
        per_day = grid.groupby("date").size()
        assert per_day.iloc[-1] == short_or_long  # the Sunday of the change
        assert set(per_day.iloc[:-1]) == {96}
        table = pd.DataFrame({
            "interval_start": grid["interval_start"], "queue": "chat_es",
            "offered": range(len(grid)), "aht_seconds": 400.0,
        })
        path = tmp_path / f"dst_{monday}.csv"
        write_table(table, path)
        again = read_history(path, cfg)
        assert again["interval_start"].tolist() == table["interval_start"].tolist()
        assert again["offered"].tolist() == table["offered"].tolist()
        assert again["interval_start"].is_monotonic_increasing
        elapsed = again["interval_start"].diff().dropna().unique()
        assert list(elapsed) == [pd.Timedelta(minutes=15)]


def test_nonexistent_local_time_is_bad_input(example_cfg):
    cfg = twenty_four_seven(example_cfg)
    table = pd.DataFrame({
        "interval_start": ["2026-03-29T01:45:00", "2026-03-29T02:00:00"],
        "queue": "chat_es", "offered": [1, 1], "aht_seconds": [300, 300],
    })
    with pytest.raises(BadInput, match=r"h.csv: row 3, column interval_start: local time "
                       r"2026-03-29 02:00:00 does not exist in Europe/Madrid"):
        parse_history(table, cfg, "h.csv")


def test_atomic_write_failing_midway_keeps_old_file(tmp_path: Path):
    target = tmp_path / "forecast.csv"
    target.write_text("old content\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_open(target, "w", encoding="utf-8") as stream:
        stream.write("half of the new")
        raise RuntimeError("killed")
    assert target.read_text(encoding="utf-8") == "old content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["forecast.csv"]

    def broken_writer(temp: Path) -> None:
        temp.write_text("partial", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError):
        atomic_write_with(tmp_path / "forecast.csv", broken_writer)
    assert target.read_text(encoding="utf-8") == "old content\n"
    assert len(list(tmp_path.iterdir())) == 1


def test_gzip_and_xlsx_tables(tmp_path: Path, example_cfg, history_table):
    history = parse_history(history_table, example_cfg)
    write_table(history, tmp_path / "h.csv.gz")
    # read_table keeps every cell as the text written; the reader makes it a number
    assert read_table(tmp_path / "h.csv.gz")["offered"].tolist() == ["10.0", "12.0", "9.0"]
    again = read_history(tmp_path / "h.csv.gz", example_cfg, complete=False)
    assert again["offered"].tolist() == [10, 12, 9]
    history_table.to_excel(tmp_path / "h.xlsx", index=False)
    again = read_history(tmp_path / "h.xlsx", example_cfg, complete=False)
    assert again["offered"].tolist() == [10, 12, 9]
    with pytest.raises(BadInput, match="no such file"):
        read_table(tmp_path / "nope.csv")


ROSTER_HEADER = ",".join((
    "agent_id", "name", "team", "skills", "languages", "contract",
    "unavailable_dates", "available_window", "preferred_days_off", "preferred_start",
))
ROSTER = ROSTER_HEADER + """
A1,Lucía Pérez,Team 1,billing:1;technical:0.7,es;en,full_time,2026-11-30,,sat,08:00-10:00
A2,Tom O'Neil,Team 1,chat,es,part_time,,09:00-15:00,,
"""


def test_roster_reads_skills_and_availability(tmp_path: Path, example_cfg):
    path = tmp_path / "agents.csv"
    path.write_text(ROSTER, encoding="utf-8")
    first, second = read_agents(path, example_cfg)
    assert first.skills == {"billing": 1.0, "technical": 0.7}
    assert first.serves(example_cfg.queue("technical_en"))
    assert not second.serves(example_cfg.queue("billing_es"))
    assert first.preferred_days_off == {5}
    assert second.available_window == (540, 900)
    assert date(2026, 11, 30) in first.unavailable_dates
    path.write_text(ROSTER.replace(",09:00-15:00,", ",22:00-07:00,"), encoding="utf-8")
    assert read_agents(path, example_cfg)[1].available_window == (22 * 60, 31 * 60)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("full_time,2026", "overtime,2026", "row 2, column contract: unknown 'overtime'"),
        ("billing:1;technical:0.7", "billing:1.5", "row 2, column skills: proficiency"),
        ("billing:1;technical:0.7", "sales", "row 2, column skills: 'sales' is no queue's skill"),
        (",sat,", ",someday,", "row 2, column preferred_days_off: unknown weekday"),
        ("A2,", "A1,", "row 3, column agent_id: duplicate 'A1'"),
        ("es;en,full", "es;fr,full", "row 2, column languages: 'fr'"),
        (",09:00-15:00,", ",15:00-15:00,", "row 3, column available_window"),
        # a preferred start window stays within a day; an available window may cross midnight
        (",08:00-10:00", ",23:00-01:00", "row 2, column preferred_start"),
    ],
)
def test_bad_roster_names_the_place(tmp_path: Path, example_cfg, old, new, expected):
    path = tmp_path / "agents.csv"
    path.write_text(ROSTER.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        read_agents(path, example_cfg)
    assert expected in str(caught.value)
    assert str(caught.value).startswith(str(path))
