"""The center's calendar: interval grids in local time, opening hours and holidays.

Timestamps inside wfm are timezone-aware in the center's zone (pandas
``datetime64[ns, <tz>]``). The grid is built in UTC and converted, so a day on which
clocks go forward has 92 quarter-hours and one on which they go back has 100; opening
hours are tested on the local wall clock.
"""

from __future__ import annotations

from datetime import date, timedelta, timezone
from functools import lru_cache

import holidays as holidays_lib
import numpy as np
import pandas as pd

from wfm.config import Center


@lru_cache(maxsize=64)
def _holiday_table(country: str, subdivision: str | None, years: tuple[int, ...]) -> dict:
    return dict(holidays_lib.country_holidays(country, subdiv=subdivision, years=list(years)))


def holiday_dates(center: Center, years: range | list[int]) -> dict[date, str]:
    """Public holidays of the center's country/subdivision, plus its extra closed dates.

    Returns a mapping date -> holiday name. Dates listed in ``open_dates`` are left out.
    """
    calendar = center.holidays
    found: dict[date, str] = {}
    if calendar.country:
        found.update(_holiday_table(calendar.country, calendar.subdivision, tuple(years)))
    year_set = set(years)
    for day in calendar.extra_closed_dates:
        if day.year in year_set:
            found.setdefault(day, "closed (config)")
    for day in calendar.open_dates:
        found.pop(day, None)
    return found


def closed_dates(center: Center, start: date, end: date) -> set[date]:
    """Dates in [start, end] on which the center is closed all day."""
    years = range(start.year, end.year + 1)
    closed = set()
    if center.holidays.closed:
        closed |= {d for d in holiday_dates(center, years) if start <= d <= end}
    else:
        closed |= {d for d in center.holidays.extra_closed_dates if start <= d <= end}
    day = start
    while day <= end:
        if center.hours_on(day.weekday()) is None:
            closed.add(day)
        day += timedelta(days=1)
    return closed


def interval_grid(center: Center, start: date, days: int) -> pd.DataFrame:
    """Every interval of ``days`` local days from ``start``.

    Returns a DataFrame with ``interval_start`` (tz-aware, center zone), ``date`` (local
    date), ``minute_of_day`` (local wall-clock minutes after midnight) and ``is_open``
    (inside opening hours and not a closed date).
    """
    zone = center.timezone
    step = pd.Timedelta(minutes=center.interval_minutes)
    first = pd.Timestamp(start).tz_localize(zone)
    last = pd.Timestamp(start + timedelta(days=days)).tz_localize(zone)
    utc = pd.date_range(first.tz_convert("UTC"), last.tz_convert("UTC"), freq=step,
                        inclusive="left")
    local = utc.tz_convert(zone)
    wall = local.tz_localize(None)
    grid = pd.DataFrame({
        "interval_start": local,
        "date": wall.date,
        "minute_of_day": wall.hour * 60 + wall.minute,
    })
    end_date = start + timedelta(days=days - 1)
    closed = closed_dates(center, start, end_date)
    open_minute = {}
    close_minute = {}
    for weekday in range(7):
        hours = center.hours_on(weekday)
        open_minute[weekday] = hours.open_minute if hours else 0
        close_minute[weekday] = hours.close_minute if hours else 0
    weekday = pd.Series(wall.day_of_week, index=grid.index)
    minute = grid["minute_of_day"]
    grid["is_open"] = (
        (minute >= weekday.map(open_minute))
        & (minute < weekday.map(close_minute))
        & ~grid["date"].isin(closed)
    )
    return grid


class LocalTimeError(ValueError):
    """A local time that cannot be placed on the zone's clock.

    ``position`` is the 0-based position of the value at fault, ``kind`` is
    ``"nonexistent"`` (skipped when clocks go forward) or ``"ambiguous"`` (a time of the
    repeated hour when clocks go back that appears once, so which of its two instants is
    meant cannot be told).
    """

    def __init__(self, position: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.position = position
        self.kind = kind


def localize(values: pd.Series, zone: str, groups: pd.Series | None = None,
             offset_minutes: int | None = None) -> pd.Series:
    """Make timestamps tz-aware in ``zone``, on the same index.

    Values with an offset are converted. Naive values are read on a fixed clock
    ``offset_minutes`` east of UTC when it is given (a clock without DST: every time
    exists once), else on the zone's wall clock: within each group (a queue) the repeated
    hour of a fall-back night appears twice, the first occurrence in the values' order
    being the summer-time one. Raises `LocalTimeError` naming the position of the first
    value that does not exist (clocks going forward) or of a repeated-hour time that
    appears only once.
    """
    stamps = pd.to_datetime(values)
    if stamps.dt.tz is not None:
        return stamps.dt.tz_convert(zone)
    if offset_minutes is not None:
        fixed = timezone(timedelta(minutes=offset_minutes))
        return stamps.dt.tz_localize(fixed).dt.tz_convert(zone)
    early = stamps.dt.tz_localize(zone, ambiguous=True, nonexistent="NaT")
    late = stamps.dt.tz_localize(zone, ambiguous=False, nonexistent="NaT")
    gone = early.isna().to_numpy() & stamps.notna().to_numpy()
    if gone.any():
        position = int(np.flatnonzero(gone)[0])
        raise LocalTimeError(position, "nonexistent",
                             f"local time {stamps.iloc[position]} does not exist in {zone} "
                             "(clocks go forward over it)")
    repeated = np.flatnonzero((early != late).to_numpy())
    if repeated.size == 0:
        return early
    keys = pd.DataFrame({
        "group": (groups if groups is not None else pd.Series(0, index=values.index))
        .to_numpy()[repeated],
        "stamp": stamps.to_numpy()[repeated]})
    occurrence = keys.groupby(["group", "stamp"], sort=False).cumcount().to_numpy()
    count = keys.groupby(["group", "stamp"], sort=False)["stamp"].transform("size").to_numpy()
    if (count == 1).any():
        position = int(repeated[np.flatnonzero(count == 1)[0]])
        raise LocalTimeError(position, "ambiguous",
                             f"local time {stamps.iloc[position]} is in the hour clocks go "
                             f"back over in {zone}, so it happens twice, but it appears once "
                             "(expected twice, first the summer-time one)")
    result = early.copy()
    later = repeated[occurrence >= 1]
    result.iloc[later] = late.iloc[later]
    return result
