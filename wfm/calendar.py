"""The center's calendar: interval grids in local time, opening hours and holidays.

Timestamps inside wfm are timezone-aware in the center's zone (pandas
``datetime64[ns, <tz>]``). The grid is built in UTC and converted, so a day on which
clocks go forward has 92 quarter-hours and one on which they go back has 100; opening
hours are tested on the local wall clock.

Each date has its own opening (`day_hours`): ranges of wall-clock minutes after its
midnight, from its season's or the regular weekly hours, changed by holidays, eves and
dated rules. A range that crosses midnight (``18:00-02:00``) belongs to the date it opens
on, and its hours after midnight are open intervals of the next calendar date. The
center's *open time* is every interval of every date inside some range (`interval_grid`,
`OpenTime`); a shift must lie inside it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib
import numpy as np
import pandas as pd

from wfm.config import (
    Center,
    HolidayCalendar,
    HoursRule,
    Opening,
    ShiftTemplate,
    holiday_day_names,
    opening_text,
)


@lru_cache(maxsize=64)
def _holiday_table(country: str, subdivision: str | None, years: tuple[int, ...]) -> dict:
    return dict(holidays_lib.country_holidays(country, subdiv=subdivision, years=list(years)))


@lru_cache(maxsize=64)
def _names_table(country: str, subdivision: str | None,
                 years: tuple[int, ...]) -> dict[date, tuple[str, ...]]:
    """Every day the `holidays` package names for the country in any of its categories."""
    categories = holidays_lib.country_holidays(country).supported_categories
    found = holidays_lib.country_holidays(country, subdiv=subdivision, years=list(years),
                                          categories=categories)
    return {day: holiday_day_names(names) for day, names in found.items()}


def public_holidays(center: Center, years: Iterable[int]) -> dict[date, str]:
    """The country's public holidays (date -> name) less the config's ``open_dates``."""
    calendar = center.holidays
    if not calendar.country:
        return {}
    found = dict(_holiday_table(calendar.country, calendar.subdivision, tuple(years)))
    for day in calendar.open_dates:
        found.pop(day, None)
    return found


def holiday_dates(center: Center, years: range | list[int]) -> dict[date, str]:
    """Public holidays of the center's country/subdivision, plus its extra closed dates.

    Returns a mapping date -> holiday name. Dates listed in ``open_dates`` are left out.
    """
    found = public_holidays(center, years)
    year_set = set(years)
    for day in center.holidays.extra_closed_dates:
        if day.year in year_set:
            found.setdefault(day, "closed (config)")
    return found


def _strictest(rules: list[HoursRule]) -> HoursRule:
    """The rule of a date with several named holidays: closed, else the first own hours,
    else open."""
    if any(rule == () for rule in rules):
        return ()
    return next((rule for rule in rules if rule is not None), None)


def _holiday_rule(calendar: HolidayCalendar, day: date, public: dict[date, str],
                  names: dict[date, tuple[str, ...]]) -> tuple[HoursRule, bool]:
    """The holiday rule of a date and whether it was given for that date itself."""
    dated = calendar.dated_days
    if day in dated:
        return dated[day], True
    if day in calendar.open_dates:
        return None, False
    named = calendar.named_days
    rules = [named[name] for name in names.get(day, ()) if name in named]
    if rules:
        return _strictest(rules), False
    if day in public:
        return (() if calendar.closed else calendar.hours), False
    if day + timedelta(days=1) in public:
        return calendar.eves, False
    return None, False


def opening_by_date(center: Center, first: date, last: date) -> dict[date, Opening]:
    """The opening of every date in [first, last] (see `day_hours`)."""
    calendar = center.holidays
    years = tuple(range(first.year, last.year + 2))  # the eve of a New Year's Day too
    public = public_holidays(center, years)
    names: dict[date, tuple[str, ...]] = {}
    if calendar.country and calendar.named_days:
        names = _names_table(calendar.country, calendar.subdivision, years)
    closed = set(calendar.extra_closed_dates)
    found: dict[date, Opening] = {}
    day = first
    while day <= last:
        weekly = center.weekly_hours(day)
        rule, dated = _holiday_rule(calendar, day, public, names)
        if day in closed or rule == ():
            found[day] = ()
        elif rule is None:
            found[day] = weekly
        else:
            # A holiday's hours change a day the center opens; only a date's own rule
            # opens a day the weekly hours close.
            found[day] = rule if (weekly or dated) else ()
        day += timedelta(days=1)
    return found


def day_hours(center: Center, day: date) -> Opening:
    """The opening of one date: ranges of wall-clock minutes after its midnight (a range
    may end after 1440: it crosses midnight), empty when the center does not open on it.

    In order: a date in ``holidays.extra_closed_dates`` is closed; a date under
    ``holidays.days`` takes its rule; a date in ``open_dates`` keeps its weekly hours; a
    day the `holidays` package names under ``holidays.days`` takes that rule (several
    names: closed, else the first own hours); a public holiday is closed
    (``holidays.closed``) or open with ``holidays.hours``; the day before a public holiday
    takes ``holidays.eves``. The weekly hours are the date's season's
    (``seasonal_hours``), else the regular ``opening_hours``. Own hours of a holiday or eve
    replace the weekly hours, but never open a day the weekly hours close (a date under
    ``holidays.days`` does).
    """
    return opening_by_date(center, day, day)[day]


def _open_slots(center: Center, first: date, days: int) -> dict[date, np.ndarray]:
    """Per date in [first, first + days), the wall-clock slots (``minute // step``) that
    are open: the date's own ranges and the part after midnight of the day before's."""
    step = center.interval_minutes
    per_day = 1440 // step
    openings = opening_by_date(center, first - timedelta(days=1),
                               first + timedelta(days=days - 1))
    slots: dict[date, np.ndarray] = {}
    for offset in range(days):
        day = first + timedelta(days=offset)
        mask = np.zeros(per_day, dtype=bool)
        for hours in openings[day]:
            mask[hours.open_minute // step:min(hours.close_minute, 1440) // step] = True
        for hours in openings[day - timedelta(days=1)]:
            if hours.close_minute > 1440:
                mask[:(hours.close_minute - 1440) // step] = True
        slots[day] = mask
    return slots


def closed_dates(center: Center, start: date, end: date) -> set[date]:
    """Dates in [start, end] without any open time: the center does not open on them and
    no range of the day before runs past midnight into them."""
    slots = _open_slots(center, start, (end - start).days + 1)
    return {day for day, mask in slots.items() if not mask.any()}


def _local_midnight(day: date, zone: str) -> pd.Timestamp:
    """The first instant of a local date (a midnight skipped by DST moves forward)."""
    return pd.Timestamp(day).tz_localize(zone, nonexistent="shift_forward", ambiguous=True)


def interval_grid(center: Center, start: date, days: int) -> pd.DataFrame:
    """Every interval of ``days`` local days from ``start``.

    Returns a DataFrame with ``interval_start`` (tz-aware, center zone), ``date`` (local
    date), ``minute_of_day`` (local wall-clock minutes after midnight) and ``is_open``
    (inside the date's opening hours, or inside a range of the day before that runs past
    midnight).
    """
    zone = center.timezone
    step = pd.Timedelta(minutes=center.interval_minutes)
    first = _local_midnight(start, zone)
    last = _local_midnight(start + timedelta(days=days), zone)
    utc = pd.date_range(first.tz_convert("UTC"), last.tz_convert("UTC"), freq=step,
                        inclusive="left")
    local = utc.tz_convert(zone)
    wall = local.tz_localize(None)
    grid = pd.DataFrame({
        "interval_start": local,
        "date": wall.date,
        "minute_of_day": wall.hour * 60 + wall.minute,
    })
    slots = _open_slots(center, start, days)
    table = np.stack([slots[start + timedelta(days=d)] for d in range(days)])
    day_index = (pd.to_datetime(grid["date"]) - pd.Timestamp(start)).dt.days.to_numpy()
    grid["is_open"] = table[day_index, grid["minute_of_day"].to_numpy()
                            // center.interval_minutes]
    return grid


@dataclass(frozen=True)
class OpenTime:
    """The center's open time on a stretch of its interval grid, in real time."""

    origin: int  # UTC seconds of the first interval's start
    step: int  # seconds per interval
    is_open: np.ndarray  # per interval

    def covers(self, start: datetime | pd.Timestamp, end: datetime | pd.Timestamp) -> bool:
        """True when every interval that [start, end) touches is open (and on the grid)."""
        first = (int(start.timestamp()) - self.origin) // self.step
        stop = -(-(int(end.timestamp()) - self.origin) // self.step)
        return 0 <= first < stop <= len(self.is_open) and bool(self.is_open[first:stop].all())


def open_time(center: Center, first: date, last: date) -> OpenTime:
    """The open time of the local dates [first, last]."""
    grid = interval_grid(center, first, (last - first).days + 1)
    origin = int(grid["interval_start"].iloc[0].timestamp())
    return OpenTime(origin, center.interval_minutes * 60, grid["is_open"].to_numpy())


def wall_instant(day: date, minute: int, zone: ZoneInfo) -> datetime | None:
    """The instant of a wall-clock time (minutes after the date's midnight) on a date; None
    when it does not exist (clocks go forward over it). A time that happens twice (clocks
    go back) is its first occurrence."""
    naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
    local = naive.replace(tzinfo=zone, fold=0)
    back = local.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != naive:
        return None
    return local


def shift_span(day: date, start_minute: int, length_minutes: int,
               zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """Start and end instants (UTC) of a shift starting at a wall-clock minute of a date and
    lasting ``length_minutes`` of real time; None when the start does not exist."""
    start = wall_instant(day, start_minute, zone)
    if start is None:
        return None
    start = start.astimezone(UTC)
    return start, start + timedelta(minutes=length_minutes)


def workable_dates(center: Center, templates: list[ShiftTemplate], first: date,
                   last: date) -> set[date]:
    """Dates in [first, last] on which a shift of one of the templates, started on that
    date, lies inside the open time."""
    zone = ZoneInfo(center.timezone)
    longest = max((t.length_minutes for t in templates), default=0)
    spare = -(-longest // 1440)
    time = open_time(center, first, last + timedelta(days=spare))
    found: set[date] = set()
    day = first
    while day <= last:
        if any(span is not None and time.covers(*span)
               for template in templates for start in template.start_minutes
               for span in [shift_span(day, start, template.length_minutes, zone)]):
            found.add(day)
        day += timedelta(days=1)
    return found


#: A week (Monday first) with no DST change, for the regular weekly hours.
_REFERENCE_MONDAY = date(2024, 1, 8)


def workable_weekdays(center: Center, templates: list[ShiftTemplate]) -> set[int]:
    """Weekdays (0 = Monday) on which a shift of one of the templates fits the regular
    weekly opening hours (no season, holiday or DST)."""
    regular = center.model_copy(update={"timezone": "UTC", "seasonal_hours": [],
                                        "holidays": HolidayCalendar()})
    monday = _REFERENCE_MONDAY
    return {day.weekday() for day in
            workable_dates(regular, templates, monday, monday + timedelta(days=6))}


def opening_label(opening: Opening) -> str:
    """An opening for people: ``08:00-14:00, 17:00-22:00``, ``24h`` or ``closed``."""
    text = opening_text(opening)
    return text if isinstance(text, str) else ", ".join(text)


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
