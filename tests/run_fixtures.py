"""A tiny center on disk for `wfm run` tests: config, history, roster, special days.

One voice queue open weekdays 09:00-17:00 at 60-minute intervals, six weeks of
deterministic history, a handful of full-time agents: small enough that the whole
pipeline runs in a few seconds.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

#: The as-of date of the tests: a Friday, so the horizon starts on a Saturday.
AS_OF = date(2026, 11, 20)
HISTORY_DAYS = 42

CONFIG = """\
center:
  name: Tiny Test Center
  timezone: Europe/Madrid
  interval_minutes: {interval_minutes}
  opening_hours:
    mon: "09:00-17:00"
    tue: "09:00-17:00"
    wed: "09:00-17:00"
    thu: "09:00-17:00"
    fri: "09:00-17:00"
    sat: closed
    sun: closed
queues:
  - id: support
    channel: voice
    skill: support
    language: en
    service_level_target: 0.8
    answer_seconds: 20
    max_occupancy: 0.9
shrinkage: 0.1
contracts:
  - id: full_time
    min_weekly_hours: 0
    max_weekly_hours: 40
    max_working_days_per_week: 5
shift_templates:
  - id: day
    contracts: [full_time]
    length_minutes: 240
    earliest_start: "09:00"
    latest_start: "13:00"
    start_step_minutes: {start_step}
labor_rules:
  min_rest_hours: 11
  max_consecutive_working_days: 6
  min_days_off_per_week: 0
  min_consecutive_days_off: 1
  max_shift_hours: 8
  min_break_spacing_minutes: 0
solver:
  time_limit_seconds: {time_limit}
  workers: 1
  seed: 0
planning:
  horizon_days: {horizon_days}
  forecast_method: {forecast_method}
  backtest_windows: 2
  backtest_days: 7
  backtest_step_days: 7
inputs:
  history: history.csv
  agents: agents.csv
{extra_inputs}"""


def history_table(end: date = AS_OF, days: int = HISTORY_DAYS, interval_minutes: int = 60,
                  scale: float = 1.0, start: date | None = None) -> pd.DataFrame:
    """History for queue ``support`` on open days (09:00-17:00) up to ``end`` (included).

    Each day's values depend on its date alone, so a longer file repeats a shorter one.
    """
    rows = []
    day = start or end - timedelta(days=days - 1)
    hourly = np.array([4, 6, 8, 7, 5, 6, 7, 4], dtype=float) * scale
    per_hour = 60 // interval_minutes
    shape = np.repeat(hourly / per_hour, per_hour)
    minutes = range(9 * 60, 17 * 60, interval_minutes)
    while day <= end:
        if day.weekday() < 5:
            rng = np.random.default_rng([7, day.toordinal()])
            level = 1.2 if day.weekday() == 0 else 1.0
            offered = rng.poisson(shape * level)
            for minute, calls in zip(minutes, offered, strict=True):
                rows.append({
                    "interval_start": f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00",
                    "queue": "support",
                    "offered": int(calls),
                    "aht_seconds": round(float(240 + rng.normal(0, 15)), 1),
                })
        day += timedelta(days=1)
    return pd.DataFrame(rows)


def agents_table(count: int = 4) -> pd.DataFrame:
    """``count`` full-time agents serving ``support``."""
    return pd.DataFrame([{
        "agent_id": f"A{n:02d}", "name": f"Agent {n}", "team": "t1", "skills": "support",
        "languages": "en", "contract": "full_time",
    } for n in range(1, count + 1)])


def write_center(folder: Path, *, horizon_days: int = 3, time_limit: float = 5,
                 forecast_method: str = "seasonal_naive", agents: int = 4,
                 history_end: date = AS_OF, special_days: bool = False,
                 interval_minutes: int = 60, volume_scale: float = 1.0,
                 previous_schedule: Path | None = None) -> Path:
    """Write config.yaml, history.csv and agents.csv into ``folder``; returns the config."""
    folder.mkdir(parents=True, exist_ok=True)
    extra = ""
    if special_days:
        pd.DataFrame([{"date": (AS_OF + timedelta(days=3)).isoformat(), "queue": "all",
                       "multiplier": "1.5"}]).to_csv(folder / "special_days.csv", index=False)
        extra = "  special_days: special_days.csv\n"
    if previous_schedule is not None:
        extra += f"  previous_schedule: {previous_schedule}\n"
    config = folder / "config.yaml"
    config.write_text(CONFIG.format(horizon_days=horizon_days, time_limit=time_limit,
                                    forecast_method=forecast_method, extra_inputs=extra,
                                    interval_minutes=interval_minutes,
                                    start_step=interval_minutes))
    first = AS_OF - timedelta(days=HISTORY_DAYS - 1)
    history_table(history_end, interval_minutes=interval_minutes, scale=volume_scale,
                  start=first).to_csv(
        folder / "history.csv", index=False)
    agents_table(agents).to_csv(folder / "agents.csv", index=False)
    return config
