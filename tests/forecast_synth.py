"""Synthetic center histories for the forecast tests (known weekly and intraday shape)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from wfm.calendar import interval_grid
from wfm.config import CenterConfig, parse_config

WEEKDAY_FACTOR = np.array([1.3, 1.1, 1.0, 1.0, 0.9, 0.6, 0.4])


def make_cfg(
    hours: dict[str, str] | None = None,
    interval_minutes: int = 30,
    timezone: str = "America/New_York",
    holidays: dict | None = None,
    queues: tuple[str, ...] = ("sales",),
    windows: int = 3,
) -> CenterConfig:
    """A small valid center config (one 8-hour shift template)."""
    hours = hours or {d: "08:00-20:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat")} | {
        "sun": "closed"}
    return parse_config({
        "center": {"name": "synthetic", "timezone": timezone,
                   "interval_minutes": interval_minutes, "opening_hours": hours,
                   "holidays": holidays or {}},
        "queues": [{"id": q, "channel": "voice", "skill": q, "language": "en"} for q in queues],
        "contracts": [{"id": "ft", "min_weekly_hours": 0, "max_weekly_hours": 40}],
        "shift_templates": [{"id": "s", "contracts": ["ft"], "length_minutes": 480,
                             "earliest_start": "08:00", "latest_start": "12:00",
                             "start_step_minutes": 60}],
        "planning": {"backtest_windows": windows, "backtest_days": 14,
                     "backtest_step_days": 7},
    })


def true_rate(cfg: CenterConfig, start: date, days: int, level: float = 400.0) -> pd.DataFrame:
    """Expected contacts per open interval: level x weekday factor x a two-peak day shape."""
    grid = interval_grid(cfg.center, start, days)
    wall = grid["interval_start"].dt.tz_localize(None)
    hour = (grid["minute_of_day"] / 60).to_numpy()
    shape = np.exp(-((hour - 10.5) ** 2) / 4) + 0.7 * np.exp(-((hour - 15.5) ** 2) / 5) + 0.1
    per_day = 24 * 60 // cfg.center.interval_minutes
    rate = level * WEEKDAY_FACTOR[wall.dt.day_of_week.to_numpy()] * shape * 24 / per_day
    grid["rate"] = np.where(grid["is_open"], rate, 0.0)
    return grid


def history(
    cfg: CenterConfig,
    start: date,
    days: int,
    noise: bool = False,
    seed: int = 0,
    queue: str = "sales",
    level: float = 400.0,
) -> pd.DataFrame:
    """A history table (open intervals only, closed days absent) for one queue."""
    grid = true_rate(cfg, start, days, level)
    grid = grid[grid["is_open"]].copy()
    rng = np.random.default_rng(seed)
    offered = rng.poisson(grid["rate"]) if noise else np.round(grid["rate"], 6)
    grid = grid.reset_index(drop=True)
    aht = 240.0 + 20.0 * (grid["minute_of_day"] > 720)
    return pd.DataFrame({"interval_start": grid["interval_start"], "queue": queue,
                         "offered": np.asarray(offered, dtype=float), "aht_seconds": aht})


def day_after(d: date, n: int) -> date:
    return d + timedelta(days=n)
