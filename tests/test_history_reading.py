"""Reading a history: its clock (wall clock with DST, or a fixed offset), a finer
interval summed to the center's, an absent handle-time column, traffic outside hours."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.forecast_synth import history, make_cfg
from wfm.cli.main import app
from wfm.config import CenterConfig, parse_config
from wfm.errors import BadInput
from wfm.forecast import forecast
from wfm.io.files import write_table
from wfm.io.inputs import parse_history, traffic_outside_hours
from wfm.plan import forecast_step

ALL_DAY = {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
ZONE = "Europe/Athens"  # UTC+2 in winter, UTC+3 in summer; clocks go back 2024-10-27 04:00


def center(**center_keys) -> CenterConfig:
    cfg = make_cfg(hours=ALL_DAY, interval_minutes=30, timezone=ZONE)
    data = cfg.model_dump(mode="json", exclude_none=True)
    data["center"].update(center_keys)
    return parse_config(data)


def half_hours(first: str, last: str) -> pd.DataFrame:
    """A history table with one row per half hour of a clock without DST."""
    stamps = pd.date_range(first, last, freq="30min", inclusive="left")
    return pd.DataFrame({"interval_start": stamps.strftime("%Y-%m-%dT%H:%M:%S"),
                         "queue": "sales", "offered": np.arange(len(stamps)) % 7 + 1,
                         "aht_seconds": 200.0})


def test_a_history_without_dst_reads_under_a_fixed_clock():
    table = half_hours("2024-10-26", "2024-10-29")  # 48 half hours every day
    with pytest.raises(BadInput) as caught:
        parse_history(table, center(), "h.csv")
    # the wall clock expects 03:00-03:59 twice on 2024-10-27: the row at fault is named
    row = int(np.flatnonzero(table["interval_start"] == "2024-10-27T03:00:00")[0]) + 2
    assert str(caught.value).startswith(
        f"h.csv: row {row}, column interval_start: local time 2024-10-27 03:00:00 is in the "
        f"hour clocks go back over in {ZONE}")
    assert "expected twice" in str(caught.value)
    assert "center.history_clock: fixed" in str(caught.value)

    read = parse_history(table, center(history_clock="fixed"), "h.csv")
    assert len(read) == len(table)
    assert str(read["interval_start"].dt.tz) == ZONE
    # UTC+2 is the zone's time without DST: summer rows move one hour later on the wall
    first = read["interval_start"].iloc[0]
    assert first.tz_localize(None) == pd.Timestamp("2024-10-26 01:00")
    assert (read["interval_start"].diff().dropna() == pd.Timedelta(minutes=30)).all()
    assert read["offered"].sum() == table["offered"].sum()
    stated = parse_history(table, center(history_clock="fixed", history_utc_offset="+02:00"))
    assert stated["interval_start"].equals(read["interval_start"])
    later = parse_history(table, center(history_clock="fixed", history_utc_offset="+03:00"))
    assert (read["interval_start"] - later["interval_start"] == pd.Timedelta(hours=1)).all()


def test_a_time_that_does_not_exist_names_its_row():
    table = half_hours("2024-03-30", "2024-04-01")
    # on the wall clock 03:00-03:59 of 2024-03-31 is skipped: drop it except one bad row
    skipped = table["interval_start"].isin(["2024-03-31T03:00:00", "2024-03-31T03:30:00"])
    bad = table[~skipped | (table["interval_start"] == "2024-03-31T03:30:00")]
    bad = bad.reset_index(drop=True)
    row = int(np.flatnonzero(bad["interval_start"] == "2024-03-31T03:30:00")[0]) + 2
    assert row > 2  # not the queue's first row
    with pytest.raises(BadInput, match=rf"^h.csv: row {row}, column interval_start: local time "
                                       rf"2024-03-31 03:30:00 does not exist in {ZONE}"):
        parse_history(bad, center(), "h.csv")
    good = parse_history(table[~skipped].reset_index(drop=True), center(), "h.csv")
    assert len(good) == len(table) - 2


def test_a_wall_clock_history_with_both_repeated_hours_reads_in_order():
    stamps = pd.date_range(pd.Timestamp("2024-10-27 00:00", tz=ZONE),
                           pd.Timestamp("2024-10-28 00:00", tz=ZONE), freq="30min",
                           inclusive="left")
    table = pd.DataFrame({"interval_start": stamps.tz_localize(None).strftime(
        "%Y-%m-%dT%H:%M:%S"), "queue": "sales", "offered": 1, "aht_seconds": 1})
    assert len(table) == 50
    read = parse_history(table, center(), "h.csv")
    assert read["interval_start"].tolist() == list(stamps)


@pytest.mark.parametrize(("keys", "message"), [
    ({"timezone": "Etc/GMT-2"}, "'Etc/GMT-2' means UTC+02:00"),
    ({"history_utc_offset": "+02:00"}, "history_utc_offset: has no effect unless "
                                       "history_clock is fixed"),
    ({"history_clock": "fixed", "history_utc_offset": "GMT-2"}, "expected an offset from UTC"),
    ({"history_clock": "fixed", "history_utc_offset": "+2"}, "expected an offset from UTC"),
    ({"history_clock": "utc"}, "history_clock: got 'utc'; allowed: 'wall' or 'fixed'"),
])
def test_clock_keys_refuse_the_sign_trap_and_inert_values(keys, message):
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace("+", r"\+")):
        center(**keys)


def five_minute_table(cfg: CenterConfig) -> pd.DataFrame:
    stamps = pd.date_range("2024-03-04 08:00", "2024-03-04 20:00", freq="5min",
                           inclusive="left")
    rng = np.random.default_rng(3)
    return pd.DataFrame({"interval_start": stamps.strftime("%Y-%m-%dT%H:%M:%S"),
                         "queue": "sales", "offered": rng.integers(0, 9, len(stamps)),
                         "aht_seconds": rng.uniform(100, 400, len(stamps)).round(1),
                         "abandoned": 1})


def test_five_minute_history_is_summed_to_fifteen():
    cfg = make_cfg(interval_minutes=15)
    fine = five_minute_table(cfg)
    read = parse_history(fine, cfg, "h.csv")
    assert read.attrs["history_interval_minutes"] == 5
    assert len(read) == len(fine) // 3
    bucket = np.arange(len(fine)) // 3
    offered = fine.groupby(bucket)["offered"].sum()
    work = (fine["offered"] * fine["aht_seconds"]).groupby(bucket).sum()
    assert read["offered"].tolist() == offered.tolist()
    assert read["abandoned"].tolist() == [3.0] * len(read)
    with np.errstate(invalid="ignore"):
        expected = (work / offered.where(offered > 0)).to_numpy()
    np.testing.assert_allclose(read["aht_seconds"].to_numpy(), expected)
    assert read["interval_start"].dt.minute.isin([0, 15, 30, 45]).all()


def test_a_finer_history_missing_part_of_an_open_interval_names_the_row():
    cfg = make_cfg(interval_minutes=15)
    fine = five_minute_table(cfg).drop(index=7).reset_index(drop=True)  # 08:35 missing
    with pytest.raises(BadInput, match=r"h.csv: row 8, column interval_start: the 15-minute "
                                       r"interval 2024-03-04T08:30:00 .* has 2 of its 3"):
        parse_history(fine, cfg, "h.csv")
    # outside opening hours (08:00-20:00) a partial interval is summed as it is
    late = five_minute_table(cfg).iloc[:3].assign(interval_start=[
        "2024-03-04T20:00:00", "2024-03-04T20:05:00", "2024-03-04T21:00:00"])
    assert len(parse_history(late, cfg)) == 2


def test_a_grid_that_does_not_divide_the_interval_is_refused():
    cfg = make_cfg(interval_minutes=30)
    table = pd.DataFrame({"interval_start": pd.date_range(
        "2024-03-04 08:00", periods=6, freq="20min").strftime("%Y-%m-%dT%H:%M:%S"),
        "queue": "sales", "offered": 1, "aht_seconds": 1})
    with pytest.raises(BadInput, match=r"row 3, column interval_start: 2024-03-04T08:20:00 is "
                                       r"not on the 30-minute grid \(the history's times lie on "
                                       r"a 20-minute grid"):
        parse_history(table, cfg, "h.csv")


def without_handle_times(default: float | None) -> tuple[CenterConfig, pd.DataFrame]:
    cfg = make_cfg(interval_minutes=30)
    data = cfg.model_dump(mode="json", exclude_none=True)
    if default is not None:
        data["queues"][0]["default_aht_seconds"] = default
    cfg = parse_config(data)
    table = history(cfg, date(2025, 1, 6), 5 * 7, noise=True).drop(columns="aht_seconds")
    return cfg, table


def test_without_handle_times_the_queue_default_is_forecast_and_reported():
    cfg, table = without_handle_times(275.0)
    raw = table.assign(interval_start=table["interval_start"].dt.strftime("%Y-%m-%dT%H:%M:%S"))
    read = parse_history(raw, cfg, "h.csv")
    assert read["aht_seconds"].isna().all()
    result, report = forecast(read, cfg, date(2025, 2, 10), 7)
    open_rows = result[result["offered"] > 0]
    assert len(open_rows) and (open_rows["aht_seconds"] == 275.0).all()
    aht = report[report["target"] == "aht_seconds"]
    assert aht["model"].tolist() == ["default_aht"]
    assert "default_aht_seconds 275 s" in aht["reason"].iloc[0]


def test_without_handle_times_or_a_default_the_reader_names_the_key():
    cfg, table = without_handle_times(None)
    raw = table.assign(interval_start=table["interval_start"].dt.strftime("%Y-%m-%dT%H:%M:%S"))
    with pytest.raises(BadInput, match=r"h.csv: no aht_seconds column, and queue 'sales' has no "
                                       r"default_aht_seconds \(queues\[0\].default_aht_seconds\)"):
        parse_history(raw, cfg, "h.csv")


def test_contacts_outside_hours_are_warned_by_validate_and_the_forecast(tmp_path):
    cfg = make_cfg(interval_minutes=30)  # Mon-Sat 08:00-20:00, Sunday closed
    table = history(cfg, date(2025, 1, 6), 5 * 7, noise=True)
    stray = pd.DataFrame({"interval_start": pd.to_datetime(
        ["2025-01-07 20:00", "2025-01-07 21:30", "2025-01-12 10:00"]).tz_localize(
        cfg.center.timezone), "queue": "sales", "offered": [4.0, 2.0, 6.0], "aht_seconds": 200.0})
    table = pd.concat([table, stray], ignore_index=True)
    found = traffic_outside_hours(table, cfg)
    assert len(found) == 1
    assert (found[0].outside_hours, found[0].closed_days, found[0].offered) == (2, 1, 12.0)
    assert found[0].share == pytest.approx(12.0 / table["offered"].sum())
    assert found[0].first == ("2025-01-07T20:00:00", "2025-01-07T21:30:00",
                              "2025-01-12T10:00:00")
    path = tmp_path / "history.csv"
    write_table(table, path)
    config = tmp_path / "center.yaml"
    import yaml
    config.write_text(yaml.safe_dump(cfg.model_dump(mode="json", exclude_none=True)))
    result = CliRunner().invoke(app, ["validate", "--config", str(config), "--history", str(path)])
    assert result.exit_code == 0, result.output
    assert ("warning: queue sales: 3 history intervals with contacts where the center is "
            "closed (2 outside opening hours, 1 on closed days): 12 contacts") in result.output
    _, report = forecast_step(cfg, table, date(2025, 2, 10), 7)
    warned = report[report["target"] == "warning"]
    assert warned["reason"].tolist() == [found[0].message()]
