"""A seeded synthetic interval history with a full calendar, for any center's config.

Built to test the forecast on what a day-only, Saturday-Sunday center never shows: calls
at every hour, the center's own weekend (``center.weekend``: its first day short, its last
quiet until the evening), public holidays of the config's country with their eves, the
festival (optional-category) days of the `holidays` package, the days after holidays, a
history clock without DST (``center.history_clock: fixed``), and no handle times.

The truth, per local day (callers live on the center's wall clock, DST included):

    offered ~ Poisson(level(day) * share(day, slot) * Gamma(k, 1/k) * Gamma(j, 1/j))
              (k: day noise, j: interval noise)
    level   = calls * trend * random walk * season * month days * kind level, where a special day on
              a weekend day takes the lower of the two levels (slightly below it), not
              their product
    eve     = an ordinary day until its cut hour, then the holiday's level and shape

Every holiday, festival and after-day name draws its own level from the seed, and one
holiday is a near-silent day (a fast or a day of rest kept by all) whose eve empties
early, so eves differ by the holiday they lead to.
"""

from __future__ import annotations

from datetime import date, timedelta, timezone

import holidays as holidays_lib
import numpy as np
import pandas as pd

from wfm.calendar import interval_grid
from wfm.config import CenterConfig

#: Share of a working day's calls on the weekend's first and last day.
WEEKEND_LEVELS = (0.45, 0.14)
#: Level range (share of a working day) of a public holiday, a festival day, a day after.
HOLIDAY_LEVELS = (0.10, 0.30)
FESTIVAL_LEVELS = (0.55, 0.85)
AFTER_LEVELS = (0.90, 1.20)
#: The near-silent holiday's level.
SILENT_LEVEL = 0.04
#: Day-to-day noise: gamma shape of the daily level multiplier (cv = 1/sqrt(k)).
DAY_NOISE_SHAPE = 400.0
#: Interval noise beyond Poisson: gamma shape of each interval's rate multiplier.
INTERVAL_NOISE_SHAPE = 200.0
#: Extra calls on the first two days of a month and around the 10th (pay and statements).
MONTH_START_EXTRA = 0.15
MID_MONTH_EXTRA = 0.06
#: Weekly random-walk step of the level (standard deviation of its log).
LEVEL_STEP = 0.02


def _bump(hour: np.ndarray, center: float, width: float) -> np.ndarray:
    return np.exp(-((hour - center) ** 2) / (2 * width ** 2))


def working_shape(hour: np.ndarray) -> np.ndarray:
    """Relative call rate by local hour on a working day: quiet nights, a late-morning
    peak and an afternoon shoulder."""
    return (0.03 + 1.0 * _bump(hour, 10.5, 1.8) + 0.7 * _bump(hour, 15.0, 2.0)
            + 0.25 * _bump(hour, 20.0, 1.8))


def short_shape(hour: np.ndarray, cut: float) -> np.ndarray:
    """A working day that empties after ``cut`` (the weekend's first day, an eve)."""
    fade = 1 / (1 + np.exp((hour - cut) / 0.6))
    return working_shape(hour) * (0.12 + 0.88 * fade)


def quiet_shape(hour: np.ndarray, evening: float) -> np.ndarray:
    """A day of rest: low all day, picking up after ``evening``."""
    rise = 1 / (1 + np.exp(-(hour - evening) / 0.5))
    return working_shape(hour) * (0.35 + 2.2 * rise * _bump(hour, evening + 2.5, 2.0))


def _normalised(values: np.ndarray) -> np.ndarray:
    return values / values.sum()


def calendar_history(cfg: CenterConfig, start: date, end: date, seed: int = 0,
                     queue: str | None = None, calls_per_day: float = 2000.0) -> pd.DataFrame:
    """Interval history ``interval_start, queue, offered`` for [start, end] (both included).

    ``interval_start`` is ISO 8601 text on the history's clock (the config's fixed UTC
    offset when ``center.history_clock`` is ``fixed``, else the wall clock); every interval
    of every day has a row. ``attrs["expected"]`` holds the true mean of each row (before
    the Poisson draw), for the counting-noise floor. Same arguments, same table.
    """
    rng = np.random.default_rng(seed)
    center = cfg.center
    queue = queue or cfg.queues[0].id
    days = (end - start).days + 1
    grid = interval_grid(center, start, days)
    wall = grid["interval_start"].dt.tz_localize(None)
    hour = (wall.dt.hour + wall.dt.minute / 60).to_numpy() + center.interval_minutes / 120
    day_index = pd.DatetimeIndex(pd.to_datetime(grid["date"]))
    kinds = _day_kinds(cfg, start, end, rng)
    weekend = sorted(center.weekend_days)
    level = np.ones(days)
    rate = np.zeros(len(grid))
    dates = [start + timedelta(days=k) for k in range(days)]
    walk = 1.0
    for k, day in enumerate(dates):
        rows = np.flatnonzero(day_index == pd.Timestamp(day))
        h = hour[rows]
        evening = 18.0 + 1.5 * np.sin(2 * np.pi * (day.timetuple().tm_yday - 80) / 365.25)
        weekday_level, shape = 1.0, working_shape(h)
        if day.weekday() in weekend:
            last = day.weekday() == weekend[-1] and len(weekend) > 1
            weekday_level = WEEKEND_LEVELS[1] if last else WEEKEND_LEVELS[0]
            shape = quiet_shape(h, evening) if last else short_shape(h, 13.5)
        kind = kinds.get(day)
        if kind is not None:
            name_level, name_shape = kind(h, evening)
            if name_level < weekday_level:
                weekday_level, shape = 0.95 * name_level, name_shape
            elif day.weekday() not in weekend:
                weekday_level, shape = name_level, name_shape
        if k % 7 == 0:
            walk *= float(np.exp(rng.normal(0.0, LEVEL_STEP)))
        trend = (1 + 0.10 * (k / 365.0)) * walk
        season = 1 + 0.06 * np.cos(2 * np.pi * (day.timetuple().tm_yday - 20) / 365.25)
        season *= 1 + MONTH_START_EXTRA * (day.day <= 2) + MID_MONTH_EXTRA * (9 <= day.day <= 11)
        level[k] = calls_per_day * trend * season * weekday_level
        rate[rows] = level[k] * _normalised(shape) * rng.gamma(DAY_NOISE_SHAPE,
                                                              1 / DAY_NOISE_SHAPE)
    rate = rate * rng.gamma(INTERVAL_NOISE_SHAPE, 1 / INTERVAL_NOISE_SHAPE, len(rate))
    offered = rng.poisson(rate)
    stamps = grid["interval_start"]
    offset = center.history_offset_minutes
    if offset is not None:
        stamps = stamps.dt.tz_convert(timezone(timedelta(minutes=offset)))
    text = stamps.dt.tz_localize(None).dt.strftime("%Y-%m-%dT%H:%M:%S")
    table = pd.DataFrame({"interval_start": text.to_numpy(), "queue": queue,
                          "offered": offered.astype(int)})
    table.attrs["expected"] = rate
    return table


def _day_kinds(cfg: CenterConfig, start: date, end: date, rng: np.random.Generator) -> dict:
    """Date -> function(hours, evening hour) -> (level, shape) for each special day."""
    country = cfg.center.holidays.country
    if not country:
        return {}
    years = list(range(start.year - 1, end.year + 2))
    public = dict(holidays_lib.country_holidays(country, years=years))
    supported = holidays_lib.country_holidays(country).supported_categories
    festival: dict = {}
    if "optional" in supported:
        festival = {d: n for d, n in holidays_lib.country_holidays(
            country, years=years, categories=("optional",)).items() if d not in public}
    names = sorted(set(public.values()))
    holiday_level = {n: float(rng.uniform(*HOLIDAY_LEVELS)) for n in names}
    if names:
        holiday_level[names[int(rng.integers(len(names)))]] = SILENT_LEVEL
    festival_level = {n: float(rng.uniform(*FESTIVAL_LEVELS))
                      for n in sorted(set(festival.values()))}
    after_level = {n: float(rng.uniform(*AFTER_LEVELS)) for n in names}
    cut_hour = {n: float(rng.uniform(12.5, 14.5)) for n in names}
    kinds: dict = {}
    for day, name in festival.items():
        kinds[day] = lambda h, e, lv=festival_level[name]: (lv, working_shape(h))
    for day, name in public.items():
        lv = holiday_level[name]
        kinds[day] = lambda h, e, lv=lv: (lv, quiet_shape(h, e))
        before = day - timedelta(days=1)
        if before not in public:
            cut = cut_hour[name] - (1.5 if lv == SILENT_LEVEL else 0.0)
            kinds[before] = lambda h, e, lv=lv, cut=cut: _eve(h, e, lv, cut)
        after = day + timedelta(days=1)
        if after not in public and after not in festival:
            kinds[after] = lambda h, e, lv=after_level[name]: (lv, working_shape(h))
    return kinds


def _eve(hour: np.ndarray, evening: float, holiday_level: float, cut: float
         ) -> tuple[float, np.ndarray]:
    """An eve: a working day until ``cut``, then the holiday's level and shape."""
    fade = 1 / (1 + np.exp((hour - cut) / 0.6))
    working = _normalised(working_shape(hour))
    rest = _normalised(quiet_shape(hour, evening + 24))  # the holiday's first evening
    rate = working * fade + holiday_level * rest * (1 - fade)
    return float(rate.sum()), rate
