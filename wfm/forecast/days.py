"""Day-level calendar of one queue: regular opening, the weekend, holidays and their kinds.

A *day table* is a DataFrame indexed by local date (midnight Timestamps, one row per
calendar day) with the columns:

- ``weekday`` (0 = Monday), ``regular_open`` (the weekday is open in the config),
  ``weekend`` (the weekday is one of ``center.weekend``),
- ``closed_known`` (closed by the config or a special-days file, known in advance),
- ``kind``: ``""`` for an ordinary day, else one of `KINDS`: ``holiday`` (a public holiday
  the center is open on), ``eve`` (the last open day before a holiday, festival days
  included), ``intermediate`` (a festival, optional-category day of the country lying
  between two holidays at most `FESTIVAL_SPAN_DAYS` apart: the days between festival
  days), ``minor`` (any other festival or observance day of the country), ``after`` (the
  open day after a holiday) or ``bridge`` (an open working day with days off, holidays
  or the weekend, on both sides, at least one of them a holiday),
- ``holiday_name`` (eves and days after are named for their holiday: "eve of New Year's
  Day") and ``multiplier`` (from a special-days file, 1.0 when none).
"""

from __future__ import annotations

from datetime import date

import holidays as holidays_lib
import numpy as np
import pandas as pd

from wfm.config import Center

#: Categories beyond "public" that mark festival or observance days where the country has them.
MINOR_CATEGORIES: tuple[str, ...] = ("optional", "half_day")
#: Festival days between two holidays at most this many days apart are intermediate days.
FESTIVAL_SPAN_DAYS = 8
#: Every day kind, in the order a day takes the first that applies.
KINDS: tuple[str, ...] = ("holiday", "eve", "intermediate", "minor", "after", "bridge")


def _country_days(center: Center, years: list[int]) -> tuple[dict[date, str], dict[date, str]]:
    """Public holidays (after the config's extra and open dates) and minor festival days."""
    from wfm.calendar import holiday_dates

    public = holiday_dates(center, years)
    minor: dict[date, str] = {}
    country = center.holidays.country
    if country:
        supported = holidays_lib.country_holidays(country).supported_categories
        categories = tuple(c for c in MINOR_CATEGORIES if c in supported)
        if categories:
            found = holidays_lib.country_holidays(
                country, subdiv=center.holidays.subdivision, years=years, categories=categories
            )
            minor = {d: n for d, n in found.items() if d not in public}
    for day in center.holidays.open_dates:
        minor.pop(day, None)
    return public, minor


def day_table(
    start: date,
    end: date,
    center: Center | None = None,
    open_weekdays: set[int] | None = None,
    special: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The day table for [start, end] (both included); see the module docstring.

    ``center`` gives opening weekdays and holidays; without it, ``open_weekdays`` (default
    all) is used and there are no holidays. ``special`` is a special-days table for this
    queue with columns ``date`` and ``multiplier`` (NaN = closed).
    """
    index = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")
    table = pd.DataFrame(index=index)
    table["weekday"] = index.day_of_week
    if center is not None:
        open_days = {w for w in range(7) if center.hours_on(w) is not None}
    else:
        open_days = set(range(7)) if open_weekdays is None else set(open_weekdays)
    table["regular_open"] = table["weekday"].isin(open_days)
    weekend = center.weekend_days if center is not None else frozenset({5, 6})
    table["weekend"] = table["weekday"].isin(weekend)
    public: dict[date, str] = {}
    minor: dict[date, str] = {}
    closes_on_holidays = False
    if center is not None:
        years = list(range(start.year - 1, end.year + 2))
        public, minor = _country_days(center, years)
        closes_on_holidays = center.holidays.closed
    days = [d.date() for d in index]
    names = [public.get(d) or minor.get(d) or "" for d in days]
    table["holiday_name"] = names
    is_public = np.array([d in public for d in days])
    is_minor = np.array([d in minor for d in days])
    extra_closed = set(center.holidays.extra_closed_dates) if center is not None else set()
    closed_holiday = np.array([d in extra_closed for d in days])
    if closes_on_holidays:
        closed_holiday |= is_public
    table["closed_known"] = ~table["regular_open"].to_numpy() | closed_holiday
    kind, names = _mark_kinds(is_public, is_minor, table["closed_known"].to_numpy(),
                              table["weekend"].to_numpy(), np.array(names, dtype=object))
    table["kind"] = kind
    table["holiday_name"] = names
    table["multiplier"] = 1.0
    if special is not None and len(special):
        for day, multiplier in zip(special["date"], special["multiplier"], strict=True):
            stamp = pd.Timestamp(day)
            if stamp not in table.index:
                continue
            if np.isnan(multiplier):
                table.loc[stamp, "closed_known"] = True
            else:
                table.loc[stamp, "multiplier"] *= float(multiplier)
    return table


def _mark_kinds(
    is_public: np.ndarray, is_minor: np.ndarray, closed: np.ndarray, weekend: np.ndarray,
    names: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each day's kind (see the module docstring) and name; eves and days after are named
    for their holiday ("eve of Christmas Day") so their own history can be measured."""
    n = len(is_public)
    kind = np.where(is_public, "holiday", "").astype(object)
    names = names.copy()
    holidays_at = np.flatnonzero(is_public)
    for pos in np.flatnonzero(is_minor):
        before = holidays_at[holidays_at < pos]
        after = holidays_at[holidays_at > pos]
        between = (len(before) and len(after)
                   and after[0] - before[-1] <= FESTIVAL_SPAN_DAYS)
        kind[pos] = "intermediate" if between else "minor"
    for pos in holidays_at:
        # the last open day before the holiday, over closed days (not over other holidays)
        prev = pos - 1
        while prev >= 0 and closed[prev] and not is_public[prev]:
            prev -= 1
        if prev >= 0 and not is_public[prev] and not closed[prev]:
            kind[prev] = "eve"
            names[prev] = f"eve of {names[pos]}"
    for pos in holidays_at:
        # the day after a holiday the center was open on (closures are handled by the
        # after-closure index instead)
        nxt = pos + 1
        if not closed[pos] and nxt < n and kind[nxt] == "" and not closed[nxt]:
            kind[nxt] = "after"
            names[nxt] = f"after {names[pos]}"
    off = is_public | closed | weekend
    for pos in range(1, n - 1):
        if kind[pos] != "" or off[pos]:
            continue
        if off[pos - 1] and off[pos + 1] and (is_public[pos - 1] or is_public[pos + 1]):
            kind[pos] = "bridge"
    return kind, names


def post_closure_index(closed: np.ndarray, regular_open: np.ndarray, depth: int = 3) -> np.ndarray:
    """For each day, k (1..depth) when it is the k-th open day after a closed regular day.

    A closure of a normally open weekday (holiday, outage) pushes calls onto the next open
    days; 0 means no recent closure. Regular weekly closed days (weekends) do not count.
    """
    n = len(closed)
    out = np.zeros(n, dtype=int)
    for pos in range(n):
        if closed[pos]:
            continue
        seen_open = 0
        prev = pos - 1
        while prev >= 0 and seen_open < depth:
            if closed[prev] and regular_open[prev]:
                out[pos] = seen_open + 1
                break
            if not closed[prev]:
                seen_open += 1
            prev -= 1
    return out






def special_for_queue(special: pd.DataFrame | None, queue: str) -> pd.DataFrame | None:
    """The rows of a special-days table that apply to ``queue`` (its own and ``all``)."""
    if special is None or not len(special):
        return None
    return special[special["queue"].isin([queue, "all"])]
