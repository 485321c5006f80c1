"""Forecast library: models on known signals, calendar, DST, gaps, short history, backtest."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from tests.forecast_synth import history, make_cfg, true_rate
from wfm.config import parse_config
from wfm.errors import BadInput
from wfm.forecast import backtest, forecast
from wfm.forecast.backtest import cutoffs
from wfm.forecast.days import day_table, post_closure_index
from wfm.forecast.models import MODELS, TooShort, make_model
from wfm.forecast.pipeline import prepare_queue
from wfm.io.inputs import parse_special_days

START = date(2025, 1, 6)  # a Monday
HISTORY_DAYS = 12 * 7
FORECAST_START = START + timedelta(days=HISTORY_DAYS)


@pytest.fixture(scope="module")
def cfg():
    return make_cfg()


@pytest.fixture(scope="module")
def clean(cfg):
    return history(cfg, START, HISTORY_DAYS)


def wmape(forecast_values: np.ndarray, actual: np.ndarray) -> float:
    return float(np.abs(forecast_values - actual).sum() / actual.sum())


# Tolerances (interval-level wMAPE against the noise-free truth): the signal is exactly
# weekly x intraday, so every model should recover it closely; MSTL smooths the shape most.
TOLERANCE = {"seasonal_naive": 1e-6, "week_mean4": 1e-6, "calendar_mean4": 1e-6,
             "daily_regression": 0.03,
             "topdown_ets": 0.03, "mstl": 0.06, "blend": 0.03}


@pytest.mark.parametrize("name", list(MODELS))
def test_model_recovers_weekly_and_intraday_signal(cfg, clean, name):
    data = prepare_queue(clean, cfg, "sales", FORECAST_START + timedelta(days=14))
    model = make_model(name).fit(data)
    dates = pd.date_range(pd.Timestamp(FORECAST_START), periods=14, freq="D")
    prediction = model.predict(dates, 0.8)
    truth = true_rate(cfg, FORECAST_START, 14)
    wall = truth["interval_start"].dt.tz_localize(None)
    rows = dates.get_indexer(wall.dt.normalize())
    slots = (truth["minute_of_day"] // 30).to_numpy()
    predicted = prediction.mean.to_numpy()[rows, slots]
    assert wmape(predicted, truth["rate"].to_numpy()) <= TOLERANCE[name]
    lo, hi = prediction.lo.to_numpy(), prediction.hi.to_numpy()
    assert (lo <= prediction.mean.to_numpy() + 1e-9).all()
    assert (hi >= prediction.mean.to_numpy() - 1e-9).all()


def test_forecast_contract_zero_outside_hours_and_on_closed_holiday():
    cfg = make_cfg(holidays={"country": "US", "closed": True})
    hist = history(cfg, date(2024, 9, 2), 16 * 7, noise=True)
    out, report = forecast(hist, cfg, date(2024, 12, 23), 7, method="daily_regression")
    assert list(out.columns) == ["interval_start", "queue", "offered", "aht_seconds",
                                 "offered_low", "offered_high", "model"]
    assert len(out) == 7 * 48
    assert not out.isna().any().any()
    local = out["interval_start"].dt.tz_localize(None)
    christmas = local.dt.date == date(2024, 12, 25)
    assert out.loc[christmas, "offered"].sum() == 0
    sunday = local.dt.day_of_week == 6
    assert out.loc[sunday, "offered"].sum() == 0
    night = local.dt.hour < 8
    assert out.loc[night, "offered"].sum() == 0
    assert out.loc[~christmas & ~sunday & ~night, "offered"].sum() > 0
    assert (out["offered_low"] <= out["offered"]).all()
    assert (out["offered"] <= out["offered_high"]).all()
    assert report["chosen"].any()


def test_open_holiday_reduced_and_special_days_applied():
    hours = {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    cfg = make_cfg(hours=hours, holidays={"country": "US", "closed": False})
    hist = history(cfg, date(2024, 9, 2), 16 * 7)
    # the center is open on holidays at half its usual volume (Labor Day ... Thanksgiving)
    holidays_seen = {date(2024, 9, 2), date(2024, 10, 14), date(2024, 11, 11),
                     date(2024, 11, 28)}
    on_holiday = hist["interval_start"].dt.tz_localize(None).dt.date.isin(holidays_seen)
    hist.loc[on_holiday, "offered"] *= 0.5
    special = parse_special_days(pd.DataFrame({
        "date": ["2024-12-27", "2024-12-28"], "queue": ["all", "sales"],
        "multiplier": ["closed", "1.5"]}), ["sales"])
    plain, _ = forecast(hist, cfg, date(2024, 12, 16), 14, method="daily_regression")
    marked, _ = forecast(hist, cfg, date(2024, 12, 16), 14, method="daily_regression",
                         special_days=special)
    day = plain["interval_start"].dt.tz_localize(None).dt.date
    daily = plain.groupby(day)["offered"].sum()
    daily_marked = marked.groupby(day)["offered"].sum()
    # Christmas (open) takes the holiday effect measured on earlier holidays
    assert daily[date(2024, 12, 25)] < 0.8 * daily[date(2024, 12, 18)]
    assert daily_marked[date(2024, 12, 27)] == 0
    assert daily_marked[date(2024, 12, 28)] == pytest.approx(1.5 * daily[date(2024, 12, 28)],
                                                             rel=1e-6)


@pytest.mark.parametrize(("start", "short_day", "per_day"),
                         [(date(2025, 3, 24), date(2025, 3, 30), 92),
                          (date(2025, 10, 20), date(2025, 10, 26), 100)])
def test_dst_week_has_the_right_number_of_intervals(start, short_day, per_day):
    hours = {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    cfg = make_cfg(hours=hours, interval_minutes=15, timezone="Europe/Madrid")
    hist = history(cfg, start - timedelta(weeks=6), 6 * 7)
    out, _ = forecast(hist, cfg, start, 7, method="week_mean4")
    counts = out.groupby(out["interval_start"].dt.tz_localize(None).dt.date).size()
    assert counts[short_day] == per_day
    assert (counts.drop(short_day) == 96).all()
    assert len(out) == 6 * 96 + per_day
    assert out["interval_start"].is_unique
    daily = out.groupby(out["interval_start"].dt.tz_localize(None).dt.date)["offered"].sum()
    same_weekday = daily[short_day - timedelta(days=7)] if short_day - timedelta(
        days=7) in daily else daily.iloc[-1]
    # the repeated or missing hour changes the day total by at most that hour's share
    assert daily[short_day] == pytest.approx(same_weekday, rel=0.1)


def test_gaps_in_history_are_closed_days_not_zeros(cfg):
    hist = history(cfg, START, HISTORY_DAYS, noise=True, seed=3)
    day = hist["interval_start"].dt.tz_localize(None).dt.date
    missing_days = {START + timedelta(days=k) for k in (15, 29, 44, 71, 80)}
    gappy = hist[~day.isin(missing_days)]
    # a data glitch: four empty mid-morning intervals on one day
    glitch_day = START + timedelta(days=50)
    glitch = (day == glitch_day) & hist["interval_start"].dt.hour.isin([10, 11])
    gappy = gappy.copy()
    gappy.loc[glitch[~day.isin(missing_days)], "offered"] = 0
    # an outage: the last Monday of history at 3% of its volume
    outage_day = FORECAST_START - timedelta(days=7)
    outage = gappy["interval_start"].dt.tz_localize(None).dt.date == outage_day
    gappy.loc[outage, "offered"] = np.round(gappy.loc[outage, "offered"] * 0.03)
    out, report = forecast(gappy, cfg, FORECAST_START, 7, method="daily_regression")
    truth = true_rate(cfg, FORECAST_START, 7)["rate"].to_numpy()
    assert wmape(out["offered"].to_numpy(), truth) < 0.06
    outliers = report.attrs["outliers"]
    assert {glitch_day, outage_day} <= set(outliers["date"].dt.date)
    # the missing days are closures, not outliers
    assert not missing_days & set(outliers["date"].dt.date)


def test_too_short_history_errors_or_falls_back(cfg):
    with pytest.raises(BadInput, match="at least 7"):
        forecast(history(cfg, START, 5), cfg, START + timedelta(days=5), 7)
    short = history(cfg, START, 10)
    with pytest.raises(BadInput, match="needs 4 weeks"):
        forecast(short, cfg, START + timedelta(days=10), 7, method="daily_regression")
    out, report = forecast(short, cfg, START + timedelta(days=10), 7, method="auto")
    chosen = report[report["chosen"] & (report["target"] == "offered")]
    assert chosen["model"].iloc[0] in ("calendar_mean4", "week_mean4", "seasonal_naive")
    assert chosen["reason"].iloc[0]
    assert out["offered"].sum() > 0
    data = prepare_queue(short, cfg, "sales", START + timedelta(days=20))
    with pytest.raises(TooShort):
        make_model("topdown_ets").fit(data)


def test_all_zero_queue_gives_zero_forecast():
    cfg = make_cfg(queues=("sales", "quiet"))
    busy = history(cfg, START, 6 * 7)
    quiet = busy.assign(queue="quiet", offered=0.0)
    out, report = forecast(pd.concat([busy, quiet]), cfg, START + timedelta(weeks=6), 7)
    assert out.loc[out["queue"] == "quiet", ["offered", "offered_high"]].to_numpy().sum() == 0
    assert out.loc[out["queue"] == "sales", "offered"].sum() > 0
    assert set(report["queue"]) == {"sales", "quiet"}


def test_queue_without_history_is_zero_and_reported():
    cfg = make_cfg(queues=("sales", "new"))
    out, report = forecast(history(cfg, START, 5 * 7), cfg, START + timedelta(weeks=5), 3,
                           method="week_mean4")
    assert out.loc[out["queue"] == "new", "offered"].sum() == 0
    assert "no history" in report.loc[report["queue"] == "new", "reason"].iloc[0]


def test_backtest_on_a_series_that_is_its_own_four_week_mean_shows_no_gain(cfg):
    # Four noisy weeks, then every week is the mean of the four before it: the 4-week
    # interval-of-week mean is then exact from the fifth week on.
    first_week = history(cfg, START, 7)
    wall = first_week["interval_start"].dt.tz_localize(None)
    rng = np.random.default_rng(5)
    weeks = [rng.poisson(first_week["offered"].to_numpy()).astype(float) for _ in range(4)]
    for _ in range(8):
        weeks.append(np.mean(weeks[-4:], axis=0))
    stamps = pd.concat([wall + pd.Timedelta(weeks=k) for k in range(len(weeks))])
    series = pd.DataFrame({
        "interval_start": stamps.dt.tz_localize(cfg.center.timezone).to_numpy(),
        "queue": "sales", "offered": np.concatenate(weeks), "aht_seconds": 240.0})
    # one-week horizons: the mean of the last four weeks is exactly the next week
    _, pooled = backtest(series, cfg, windows=3, days=7, step=7)
    volume = pooled[pooled["target"] == "offered"].set_index("model")
    assert volume.loc["week_mean4", "wmape"] == pytest.approx(0.0, abs=1e-9)
    assert volume.loc["week_mean4", "gain_vs_week_mean4"] == pytest.approx(0.0, abs=1e-9)
    assert (volume["gain_vs_week_mean4"].dropna() <= 1e-9).all()
    # without calendar days the calendar-aware mean is the 4-week mean, and it is kept
    assert volume.loc["calendar_mean4", "wmape"] == pytest.approx(0.0, abs=1e-9)
    assert volume.index[volume["chosen"]][0] == "calendar_mean4"


def test_backtest_pools_absolute_errors_over_windows(cfg):
    hist = history(cfg, START, 10 * 7, noise=True, seed=11)
    per_window, pooled = backtest(hist, cfg, windows=3, days=14, step=7,
                                  models=["daily_regression"])
    naive = per_window[per_window["model"] == "seasonal_naive"]
    assert len(naive) == 3
    expected = naive["abs_error"].sum() / naive["actual"].sum()
    row = pooled[(pooled["model"] == "seasonal_naive") & (pooled["target"] == "offered")]
    assert row["wmape"].iloc[0] == pytest.approx(expected)
    # windows are the last ones: the final cutoff is 14 days before the last history day
    # (the external rolling-origin protocol), so its window ends the day before it
    last = pd.Timestamp(START + timedelta(days=10 * 7 - 1))
    assert cutoffs(last, 3, 14, 7) == [last - pd.Timedelta(days=d) for d in (28, 21, 14)]
    assert {"aht_profile", "aht_flat"} <= set(pooled["model"])
    aht = pooled[pooled["model"] == "aht_profile"]["wmape"].iloc[0]
    flat = pooled[pooled["model"] == "aht_flat"]["wmape"].iloc[0]
    assert aht < flat  # the synthetic AHT steps up at noon: a profile sees it


def test_prediction_intervals_cover_most_actuals(cfg):
    hist = history(cfg, START, 16 * 7, noise=True, seed=2)
    _, pooled = backtest(hist, cfg, windows=4, days=14, step=7, models=["daily_regression"])
    coverage = pooled.set_index("model").loc["daily_regression", "coverage"]
    assert 0.7 <= coverage <= 0.97


def test_post_closure_index_counts_open_days_after_a_closed_weekday():
    closed = np.array([False, True, False, False, False, False])
    regular = np.array([True, True, True, True, True, True])
    assert post_closure_index(closed, regular).tolist() == [0, 0, 1, 2, 3, 0]
    weekend = np.array([False, True, False])
    assert post_closure_index(weekend, np.array([True, False, True])).tolist() == [0, 0, 0]


def test_day_table_marks_eves_festival_days_and_the_weekend(monkeypatch):
    import wfm.forecast.days as days_module

    # a made-up calendar: a festival from the 3rd to the 9th with festival days between,
    # an observance on the 20th, one-day holidays on the 13th (a Monday) and the 23rd
    day = date(2025, 1, 1).replace
    public = {day(day=3): "Festival", day(day=9): "Festival end", day(day=13): "Midweek",
              day(day=23): "Thursday feast"}
    festival = {day(day=d): "Festival days" for d in range(4, 9)} | {
        day(day=20): "Observance"}
    monkeypatch.setattr(days_module, "_country_days", lambda center, years: (public, festival))
    cfg = make_cfg(hours={d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                      "sun")},
                   holidays={"country": "US", "closed": False})
    data = cfg.model_dump(mode="json", exclude_none=True)
    data["center"]["weekend"] = ["fri", "sat"]
    table = day_table(date(2025, 1, 1), date(2025, 1, 31), parse_config(data).center)
    kind = table["kind"]
    assert kind["2025-01-02"] == "eve" and table.loc["2025-01-02", "holiday_name"] == (
        "eve of Festival")
    assert kind["2025-01-03"] == "holiday"
    assert kind["2025-01-04":"2025-01-07"].tolist() == ["intermediate"] * 4
    assert kind["2025-01-08"] == "eve"  # the last festival day leads to the festival's end
    assert kind["2025-01-10"] == "after"
    assert kind["2025-01-20"] == "minor"  # an observance between no holidays
    assert kind["2025-01-12"] == "eve" and kind["2025-01-14"] == "after"
    # the weekend is the center's: Friday-Saturday
    assert table.loc["2025-01-24", "weekend"] and not table.loc["2025-01-26", "weekend"]
    # around open holidays the days are eves and days after, never bridges
    assert (kind == "bridge").sum() == 0
    assert not table["closed_known"].any()  # a 24x7 center open on holidays


def test_unknown_method_is_a_clear_error(cfg, clean):
    with pytest.raises(ValueError, match="allowed: auto"):
        forecast(clean, cfg, FORECAST_START, 7, method="prophet")
