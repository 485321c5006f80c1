"""The forecast on any center's calendar: weekend interaction of day effects, the model
choice after unusual weeks, and `wfm backtest`'s figure for the forecast procedure equal
to an external rolling-origin check of `wfm.plan.forecast_step`."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from tests.forecast_synth import history, make_cfg
from wfm.config import parse_config
from wfm.forecast import backtest, forecast
from wfm.forecast.backtest import choose, cutoffs
from wfm.forecast.effects import CalendarEffects, measure_effects
from wfm.forecast.pipeline import prepare_queue
from wfm.io.inputs import parse_history
from wfm.plan import forecast_step
from wfm.samples.calendar_series import calendar_history

ALL_DAY = {d: "00:00-24:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def test_a_holiday_on_a_quiet_weekend_day_is_that_day_not_a_product():
    effects = CalendarEffects(weekday_factor={0: 1.0, 4: 0.45, 5: 0.14})
    # a holiday at 20% of a working day
    assert effects.combine("holiday", 0.2, 0) == (pytest.approx(0.2), True)
    assert effects.combine("holiday", 0.2, 4) == (pytest.approx(0.2 / 0.45), True)
    assert effects.combine("holiday", 0.2, 5) == (1.0, False)  # the quiet day's own level
    # a kind that adds calls scales the weekday's level; the day after a holiday too
    assert effects.combine("minor", 1.2, 5) == (pytest.approx(1.2), True)
    assert effects.combine("after", 0.8, 5) == (pytest.approx(0.8), False)


def calendar_cfg(**center):
    cfg = make_cfg(hours=ALL_DAY, interval_minutes=30, timezone="Europe/Athens",
                   holidays={"country": "US", "closed": False})
    data = cfg.model_dump(mode="json", exclude_none=True)
    data["center"].update({"weekend": ["fri", "sat"], **center})
    data["queues"][0]["default_aht_seconds"] = 240
    return parse_config(data)


def test_effects_are_measured_as_levels_and_recombined_with_the_weekday():
    cfg = calendar_cfg()
    table = calendar_history(cfg, date(2022, 1, 1), date(2024, 6, 30), seed=4)
    read = parse_history(table, cfg)
    data = prepare_queue(read, cfg, "sales", date(2024, 7, 14))
    effects = measure_effects(data)
    # the weekend's first day is a short day, its last a quiet one (see the generator)
    assert effects.weekday_factor[4] == pytest.approx(0.45, rel=0.1)
    assert effects.weekday_factor[5] == pytest.approx(0.14, rel=0.15)
    assert 0.08 <= effects.by_kind["holiday"] <= 0.35
    # holidays that fell on the quiet day look like that day: the forecast keeps its level
    days = data.days
    quiet = days.index[(days["kind"] == "holiday") & (days["weekday"] == 5)
                       & (days.index < data.last_day)]
    assert len(quiet)
    daily = data.daily()
    ratio = daily[quiet] / daily[(days["kind"] == "") & (days["weekday"] == 5)].median()
    assert 0.8 <= ratio.median() <= 1.35  # (one of them a month's first day, busier)
    for day in quiet:
        assert effects.multiplier("holiday", days.loc[day, "holiday_name"], 5) >= 0.85


def test_calendar_history_is_seeded_and_on_the_fixed_clock():
    cfg = calendar_cfg(history_clock="fixed")
    one = calendar_history(cfg, date(2024, 3, 25), date(2024, 4, 7), seed=2)
    two = calendar_history(cfg, date(2024, 3, 25), date(2024, 4, 7), seed=2)
    assert one.equals(two)
    # a clock without DST: 48 half hours every day, though the zone springs forward
    per_day = one["interval_start"].str[:10].value_counts()
    assert set(per_day.iloc[1:-1]) == {48}
    read = parse_history(one, cfg)
    assert len(read) == len(one)
    assert "aht_seconds" not in one.columns


def test_auto_after_festival_weeks_does_not_carry_them_into_ordinary_days():
    cfg = make_cfg(interval_minutes=30)
    start = date(2025, 1, 6)
    table = history(cfg, start, 14 * 7, noise=True, seed=9)
    # the last two weeks before the forecast are a festival: special days at 40%
    festival = [start + timedelta(days=d) for d in range(12 * 7, 14 * 7)]
    stamp_days = table["interval_start"].dt.tz_localize(None).dt.date
    table.loc[stamp_days.isin(festival), "offered"] *= 0.4
    data = cfg.model_dump(mode="json", exclude_none=True)
    special = pd.DataFrame({"date": festival, "queue": "all", "multiplier": 0.4})
    forecast_start = start + timedelta(days=14 * 7)
    result, report = forecast(table, parse_config(data), forecast_start, 7, special_days=special)
    chosen = report[(report["target"] == "offered") & report["chosen"].astype(bool)]
    assert chosen["model"].iloc[0] not in ("week_mean4", "seasonal_naive")
    ordinary = history(cfg, start, 15 * 7)  # the noise-free truth of the forecast week
    truth = ordinary[ordinary["interval_start"].dt.tz_localize(None)
                     >= pd.Timestamp(forecast_start)]["offered"].sum()
    assert result["offered"].sum() == pytest.approx(truth, rel=0.08)


def test_choice_keeps_the_calendar_mean_unless_beaten_and_never_a_baseline():
    rows = pd.DataFrame({"model": ["seasonal_naive", "week_mean4", "calendar_mean4",
                                   "daily_regression"],
                         "windows": 8, "wmape": [0.30, 0.18, 0.20, 0.199]})
    assert choose(rows)[0] == "calendar_mean4"  # beats it by 0.5% only, and never week_mean4
    rows.loc[3, "wmape"] = 0.17
    assert choose(rows)[0] == "daily_regression"


def test_backtest_auto_row_is_the_external_check_of_forecast_step():
    cfg = make_cfg(interval_minutes=30, windows=2)
    table = history(cfg, date(2025, 1, 6), 11 * 7, noise=True, seed=3)
    per_window, pooled = backtest(table, cfg, windows=3, days=14, step=7,
                                  models=["daily_regression"])
    auto = pooled[(pooled["model"] == "auto") & (pooled["target"] == "offered")]
    assert auto["windows"].iloc[0] == 3
    # the external protocol: cutoffs 7 days apart ending 14 days before the last day,
    # wfm forecast on the history before each, pooled over the days with history
    wall = table["interval_start"].dt.tz_localize(None)
    last = wall.max().normalize()
    error = actual = 0.0
    for cutoff in [last - pd.Timedelta(days=14 + 7 * k) for k in (2, 1, 0)]:
        result, _ = forecast_step(cfg, table[wall < cutoff], cutoff.date(), 14)
        window = table[(wall >= cutoff) & (wall < cutoff + pd.Timedelta(days=14))]
        merged = result.merge(window, on=["interval_start", "queue"], how="left",
                              suffixes=("", "_actual"))
        present = merged["interval_start"].dt.tz_localize(None).dt.normalize().isin(
            set(wall[(wall >= cutoff)].dt.normalize()))
        merged = merged[present]
        error += float(np.abs(merged["offered"] - merged["offered_actual"].fillna(0.0)).sum())
        actual += float(merged["offered_actual"].fillna(0.0).sum())
    assert list(cutoffs(last, 3, 14, 7)) == [last - pd.Timedelta(days=d) for d in (28, 21, 14)]
    assert auto["wmape"].iloc[0] == pytest.approx(error / actual, rel=1e-9)
    assert "wfm forecast as run at each cutoff" in auto["reason"].iloc[0]
