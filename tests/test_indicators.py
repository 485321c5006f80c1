"""The history indicators and agent time, on small tables worked out by hand."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from wfm.config import CenterConfig, KpiSettings
from wfm.reports.indicators import ALL_QUEUES, kpi_report, time_in_periods

ZONE = "Europe/Madrid"


def stamp(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_localize(ZONE)


def history() -> pd.DataFrame:
    """Two billing_es intervals and one email_es interval on Monday, one billing_es on
    Tuesday (columns as `parse_history` returns them)."""
    rows = [
        # queue, time, offered, handled, abandoned, aht, within, short, asa, wait
        ("billing_es", "2026-11-23 09:00", 10, 8, 2, 200.0, 6, 1, 12.0, 15.0),
        ("billing_es", "2026-11-23 09:15", 20, 18, 2, 300.0, 12, 0, 30.0, 40.0),
        ("email_es", "2026-11-23 09:00", 5, 5, 0, 100.0, None, 0, None, None),
        ("billing_es", "2026-11-24 09:00", 4, 4, 0, 250.0, 4, 0, 5.0, 5.0),
    ]
    table = pd.DataFrame(rows, columns=["queue", "interval_start", "offered", "handled",
                                        "abandoned", "aht_seconds", "answered_within",
                                        "short_abandoned", "asa_seconds", "wait_seconds"])
    table["interval_start"] = table["interval_start"].map(stamp)
    for column in table.columns[2:]:
        table[column] = table[column].astype(float)
    return table


def with_formula(cfg: CenterConfig, formula: str, short: float | None = None) -> CenterConfig:
    return cfg.model_copy(update={"kpi": KpiSettings(service_level_formula=formula,
                                                     short_abandon_seconds=short)})


@pytest.fixture
def cfg(example_cfg: CenterConfig) -> CenterConfig:
    """The example center measuring the service level over the offered contacts."""
    return with_formula(example_cfg, "offered")


def row(report, queue: str, period: str) -> pd.Series:
    table = report.table
    found = table[(table["queue"] == queue) & (table["period"] == period)]
    assert len(found) == 1, (queue, period)
    return found.iloc[0]


def test_daily_counts_and_means(cfg) -> None:
    report = kpi_report(cfg, history(), "day")
    monday = row(report, "billing_es", "2026-11-23")
    assert (monday["offered"], monday["answered"], monday["abandoned"]) == (30, 26, 4)
    assert monday["abandonment_rate"] == pytest.approx(4 / 30)
    assert monday["aht_seconds"] == pytest.approx((200 * 8 + 300 * 18) / 26)
    assert monday["asa_seconds"] == pytest.approx((12 * 8 + 30 * 18) / 26)
    assert monday["mean_wait_seconds"] == pytest.approx((15 * 10 + 40 * 20) / 30)
    assert monday["answered_within"] == 18 and monday["short_abandoned"] == 1
    email = row(report, "email_es", "2026-11-23")
    assert email["aht_seconds"] == 100 and email["abandonment_rate"] == 0
    # no service level for email, no ASA where the history leaves it empty
    assert pd.isna(email["service_level"]) and pd.isna(email["asa_seconds"])
    every = row(report, ALL_QUEUES, "2026-11-23")
    assert (every["offered"], every["answered"], every["abandoned"]) == (35, 31, 4)
    assert every["aht_seconds"] == pytest.approx((7000 + 500) / 31)
    assert every["service_level"] == pytest.approx(18 / 30)  # the voice queue's alone
    assert every["asa_seconds"] == pytest.approx(636 / 26)  # over the queues that have it
    assert pd.isna(every["answered_within"])  # not every queue has the count
    assert report.table["queue"].tolist() == ["billing_es", "email_es", "all", "billing_es",
                                              "all"]
    assert any("not measured for email and outbound" in note for note in report.notes)


@pytest.mark.parametrize(("formula", "short", "monday"), [
    ("offered", None, 18 / 30),
    ("offered_less_short_abandons", 5.0, 18 / 29),
    ("answered", None, 18 / 26),
])
def test_service_level_under_each_formula(cfg, formula: str, short: float | None,
                                          monday: float) -> None:
    report = kpi_report(with_formula(cfg, formula, short), history(), "day")
    assert row(report, "billing_es", "2026-11-23")["service_level"] == pytest.approx(monday)
    assert row(report, "billing_es", "2026-11-24")["service_level"] == pytest.approx(1.0)
    assert formula in report.formula
    assert set(report.table["service_level_formula"]) == {
        formula if short is None else f"{formula} {short:g} s"}


def test_intervals_weeks_and_months(cfg) -> None:
    table = history()
    by_interval = kpi_report(cfg, table, "interval")
    first = row(by_interval, "billing_es", "2026-11-23T09:00:00")
    assert first["service_level"] == pytest.approx(6 / 10)
    assert first["aht_seconds"] == 200
    week = row(kpi_report(cfg, table, "week"), "billing_es", "2026-W48")
    assert week["period_start"] == "2026-11-23" and week["offered"] == 34
    assert week["service_level"] == pytest.approx(22 / 34)
    month = row(kpi_report(cfg, table, "month"), "billing_es", "2026-11")
    assert month["period_start"] == "2026-11-01" and month["answered"] == 30


def test_from_and_to_keep_whole_local_days(cfg) -> None:
    report = kpi_report(cfg, history(), "day", first=date(2026, 11, 24),
                        last=date(2026, 11, 24))
    assert set(report.table["period"]) == {"2026-11-24"}
    assert row(report, "billing_es", "2026-11-24")["offered"] == 4


def test_a_figure_is_left_empty_when_a_row_lacks_it(cfg) -> None:
    table = history()
    table.loc[1, "answered_within"] = float("nan")
    monday = row(kpi_report(cfg, table, "day"), "billing_es", "2026-11-23")
    assert pd.isna(monday["service_level"]) and pd.isna(monday["answered_within"])
    assert monday["offered"] == 30  # the rest is still measured


def test_without_handled_or_abandoned_aht_is_weighted_by_offered(cfg) -> None:
    table = history().drop(columns=["handled", "abandoned", "answered_within",
                                    "short_abandoned", "asa_seconds", "wait_seconds"])
    report = kpi_report(cfg, table, "day")
    monday = row(report, "billing_es", "2026-11-23")
    assert monday["aht_seconds"] == pytest.approx((200 * 10 + 300 * 20) / 30)
    assert pd.isna(monday["answered"]) and pd.isna(monday["abandonment_rate"])
    assert any("neither handled nor abandoned" in note for note in report.notes)
    assert any("no answered_within column" in note for note in report.notes)


def states() -> pd.DataFrame:
    rows = [("A1", "available", "09:00", "09:20"), ("A1", "on_contact", "09:20", "09:50"),
            ("A1", "after_contact_work", "09:50", "10:00"), ("A1", "break", "10:00", "10:15"),
            ("A2", "on_contact", "09:00", "09:30"), ("A2", "neutral", "09:30", "09:45")]
    return pd.DataFrame({"agent_id": [r[0] for r in rows], "state": [r[1] for r in rows],
                         "category": [r[1] for r in rows],
                         "start": [stamp(f"2026-11-23 {r[2]}") for r in rows],
                         "end": [stamp(f"2026-11-23 {r[3]}") for r in rows]})


def shifts() -> pd.DataFrame:
    return pd.DataFrame({"agent_id": ["A1", "A2"], "date": [date(2026, 11, 23)] * 2,
                         "paid_minutes": [480, 240]})


def test_occupancy_and_utilisation_from_state_logs(cfg) -> None:
    report = kpi_report(cfg, history(), "day", states=states(), shifts=shifts())
    monday = row(report, ALL_QUEUES, "2026-11-23")
    # handling 30 + 10 + 30 minutes; available 20; logged in 60 + 15 + 30 (neutral left out)
    assert monday["handling_hours"] == pytest.approx(70 / 60)
    assert monday["occupancy"] == pytest.approx(70 / 90)
    assert monday["logged_in_hours"] == pytest.approx(105 / 60)
    assert monday["paid_hours"] == pytest.approx(12)
    assert monday["utilisation"] == pytest.approx(105 / 60 / 12)
    assert monday["offered"] == 35  # the history's figures on the same row
    assert pd.isna(row(report, "billing_es", "2026-11-23")["occupancy"])


def test_agent_time_per_interval_has_no_utilisation(cfg) -> None:
    report = kpi_report(cfg, None, "interval", states=states(), shifts=shifts())
    first = row(report, ALL_QUEUES, "2026-11-23T09:00:00")
    assert first["occupancy"] == pytest.approx(15 / 30)  # A1 available, A2 on contact
    second = row(report, ALL_QUEUES, "2026-11-23T09:15:00")
    # A1 5 minutes available, then 10 on contact; A2 15 on contact
    assert second["occupancy"] == pytest.approx(25 / 30)
    assert report.table["utilisation"].isna().all()
    assert any("not measured per interval" in note for note in report.notes)
    assert any("no history given" in note for note in report.notes)


def test_time_in_periods_splits_records_at_edges() -> None:
    def ns(*clocks: str):
        return pd.DatetimeIndex([stamp(f"2026-11-23 {c}") for c in clocks]).as_unit("ns").asi8

    edges, starts, ends = ns("09:00", "10:00", "11:00"), ns("08:30", "09:45"), ns("09:15", "12:00")
    seconds = time_in_periods(starts, ends, pd.Series([0, 1]).to_numpy(), 2, edges)
    assert seconds.tolist() == [[900.0, 900.0], [0.0, 3600.0]]
