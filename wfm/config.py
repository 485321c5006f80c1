"""The center configuration: pydantic models for one YAML file describing a center.

`load_config(path)` returns a validated `CenterConfig`; any unknown key or bad value raises
`BadInput` naming the key path (``queues[2].channel``) and, for choices, the allowed values.

Values are taken as YAML typed them: a number must be a YAML number (text such as ``"20"``
or a boolean is refused; an integer is fine where a decimal is expected), a flag must be
``true`` or ``false``, and no number may be infinite or NaN. A key that changes nothing for
its queue (``answer_seconds`` on an email queue) is refused rather than ignored.
"""

from __future__ import annotations

import difflib
import math
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    ValidationError,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic import Strict as _NoCoercion

from wfm.errors import BadInput
from wfm.io.tables import (
    BUILT_IN_ACTIVITIES,
    DEFERRED_CHANNELS,
    LIVE_CHANNELS,
    ROLES,
    STATE_CATEGORIES,
)

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Channel = Literal["voice", "chat", "email", "backoffice", "outbound"]


def _calendar_date(value: object) -> object:
    """The value unchanged unless it is a number, which pydantic would read as Unix time."""
    if isinstance(value, int | float):
        raise ValueError(f"expected a date YYYY-MM-DD, got {value!r}")
    return value


# Strict numbers: pydantic would otherwise read "20" as 20 and true as 1; an int stays
# acceptable where a float is expected. Infinities and NaN are refused by `_Strict`.
Number = Annotated[float, _NoCoercion()]
Whole = Annotated[int, _NoCoercion()]
Fraction = Annotated[float, _NoCoercion(), Field(ge=0.0, le=1.0)]
Day = Annotated[date, BeforeValidator(_calendar_date)]
_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def parse_clock_minutes(text: str) -> int:
    """Return minutes after midnight for ``HH:MM`` (``24:00`` allowed as 1440)."""
    match = _HHMM.match(str(text).strip())
    if not match:
        raise ValueError(f"expected a time HH:MM, got {text!r}")
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes > 24 * 60:
        raise ValueError(f"time {text!r} is after 24:00")
    return minutes


_UTC_OFFSET = re.compile(r"^([+-])([01]\d|2[0-3]):([0-5]\d)$")
_POSIX_ZONE = re.compile(r"^Etc/GMT([+-]\d{1,2})$")


def parse_utc_offset(text: str) -> int:
    """Minutes east of UTC for an ISO 8601 offset ``+HH:MM`` / ``-HH:MM`` (``+02:00`` is
    two hours ahead of UTC)."""
    match = _UTC_OFFSET.match(str(text).strip())
    if not match:
        raise ValueError(f"expected an offset from UTC like '+02:00' or '-05:00' (positive "
                         f"east of Greenwich, as in ISO 8601), got {text!r}")
    minutes = int(match.group(2)) * 60 + int(match.group(3))
    return minutes if match.group(1) == "+" else -minutes


def standard_offset_minutes(zone: str) -> int:
    """Minutes east of UTC of a zone's time without DST (the smaller of its January and
    July offsets in 2024, so the winter time in either hemisphere)."""
    from datetime import datetime

    tz = ZoneInfo(zone)
    offsets = [datetime(2024, month, 1, 12, tzinfo=tz).utcoffset() for month in (1, 7)]
    return int(min(offsets).total_seconds() // 60)


def format_clock(minutes: int) -> str:
    """Return ``HH:MM`` for minutes after midnight (1440 gives ``24:00``)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class KeyProblem(ValueError):
    """A validation error about a key below the model that raises it.

    ``path`` is relative to that model (``("response_hours",)`` from a queue,
    ``("queues", 5, "response_hours")`` from the whole config); `parse_config` appends it to
    pydantic's location so the message names the key itself.
    """

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class DayHours(_Strict):
    """One range of hours as minutes after the local midnight of the day it opens on.

    In opening hours ``close_minute`` may pass 1440: a range that crosses midnight
    (``18:00-02:00`` is 1080 to 1560) runs on the next calendar day's clock after midnight
    but belongs to the day it opens on.
    """

    open_minute: Whole
    close_minute: Whole

    @model_validator(mode="after")
    def _span(self) -> DayHours:
        if not 0 <= self.open_minute < 1440:
            raise ValueError(f"open_minute {self.open_minute} is not a time of day (0 to 1439)")
        if not self.open_minute < self.close_minute <= self.open_minute + 1440:
            raise ValueError(f"close_minute {self.close_minute} must be after open_minute "
                             f"{self.open_minute} and at most a day later")
        return self

    @property
    def open_minutes(self) -> int:
        """Minutes open (wall clock)."""
        return self.close_minute - self.open_minute

    @property
    def text(self) -> str:
        """``HH:MM-HH:MM`` on the wall clock (``18:00-02:00`` for a range over midnight)."""
        close = self.close_minute - 1440 if self.close_minute > 1440 else self.close_minute
        return f"{format_clock(self.open_minute)}-{format_clock(close)}"


#: One day's opening hours: its ranges in time order; an empty tuple is a closed day.
Opening = tuple[DayHours, ...]
WHOLE_DAY: Opening = (DayHours(open_minute=0, close_minute=1440),)
_OPENING_FORMS = "'HH:MM-HH:MM', a list of them, '24h' or 'closed'"


def _clock_range(text: str, overnight: bool) -> DayHours:
    """A ``HH:MM-HH:MM`` range; with ``overnight`` a closing time before the opening time
    crosses midnight (``22:00-06:00``)."""
    if "-" not in text:
        raise ValueError(f"expected 'HH:MM-HH:MM', got {text!r}")
    start_text, end_text = text.split("-", 1)
    start, end = parse_clock_minutes(start_text), parse_clock_minutes(end_text)
    if start == 1440:
        raise ValueError(f"opening time 24:00 in {text!r}: write 00:00")
    if end == start:
        raise ValueError(f"opening and closing times are the same in {text!r}"
                         + (" (a whole day is 24h)" if overnight else ""))
    if end < start:
        if not overnight:
            raise ValueError(f"closing time must be after opening time in {text!r}")
        end += 1440
    return DayHours(open_minute=start, close_minute=end)


def parse_opening(value: object, path: tuple[str | int, ...] = (),
                  forms: str = _OPENING_FORMS) -> tuple[object, ...]:
    """One day's opening from the config: ``closed``, ``24h``, ``HH:MM-HH:MM`` (a closing
    time before the opening time crosses midnight), a list of ranges, or a mapping
    ``{open_minute, close_minute}``. Returns its ranges (mappings left for pydantic to
    validate, so their errors name their keys); raises `KeyProblem` under ``path``."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "closed":
            return ()
        if text == "24h":
            return WHOLE_DAY
        if "-" not in text:
            raise KeyProblem(path, f"expected {forms}, got {_given(value)}")
        try:
            return (_clock_range(value, overnight=True),)
        except ValueError as problem:
            raise KeyProblem(path, str(problem)) from None
    if isinstance(value, dict | DayHours):
        return (value,)
    if isinstance(value, list | tuple):
        if not value:
            raise KeyProblem(path, "an empty list: write closed for a closed day")
        ranges: list[object] = []
        for index, item in enumerate(value):
            if isinstance(item, dict | DayHours):
                ranges.append(item)
                continue
            if not isinstance(item, str) or item.strip().lower() in ("closed", "24h"):
                raise KeyProblem((*path, index), f"expected 'HH:MM-HH:MM', got {_given(item)}")
            try:
                ranges.append(_clock_range(item, overnight=True))
            except ValueError as problem:
                raise KeyProblem((*path, index), str(problem)) from None
        return tuple(ranges)
    raise KeyProblem(path, f"expected {forms}, got {_given(value)}")


def opening_text(opening: Opening) -> str | list[str]:
    """An opening as the config writes it: ``closed``, ``24h``, one range or a list."""
    if not opening:
        return "closed"
    if opening == WHOLE_DAY:
        return "24h"
    texts = [r.text for r in opening]
    return texts[0] if len(texts) == 1 else texts


def _weekly_opening(value: object, what: str) -> dict[str, tuple[object, ...]]:
    """Every weekday's opening from a mapping weekday -> opening; refuses a weekday left
    out (a closed day is written ``closed``)."""
    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping weekday -> {_OPENING_FORMS}")
    for day in value:
        if day not in WEEKDAYS:
            raise ValueError(f"unknown weekday {day!r}; allowed: {', '.join(WEEKDAYS)}")
    missing = [day for day in WEEKDAYS if day not in value]
    if missing:
        raise ValueError(f"give every weekday of the {what} (closed where the center does "
                         f"not open); missing: {', '.join(missing)}")
    return {day: parse_opening(value[day], (day,)) for day in WEEKDAYS}


def _ordered(opening: Opening, path: tuple[str | int, ...]) -> Opening:
    """The ranges in time order; refuses ranges that overlap."""
    ranges = tuple(sorted(opening, key=lambda r: r.open_minute))
    for before, after in zip(ranges, ranges[1:], strict=False):
        if after.open_minute < before.close_minute:
            raise KeyProblem(path, f"{before.text} and {after.text} overlap")
    return ranges


def _check_week(week: dict[str, Opening], path: tuple[str | int, ...] = ()
                ) -> dict[str, Opening]:
    """A weekly pattern with each day's ranges in order; refuses a range over midnight that
    runs into the next weekday's first range."""
    week = {day: _ordered(hours, (*path, day)) for day, hours in week.items()}
    for index, day in enumerate(WEEKDAYS):
        following = WEEKDAYS[(index + 1) % 7]
        if week[day] and week[following]:
            spill = week[day][-1].close_minute - 1440
            if spill > week[following][0].open_minute:
                raise KeyProblem((*path, day), f"{week[day][-1].text} runs past midnight into "
                                               f"{following}'s {week[following][0].text}")
    return week


def _aligned(opening: Opening, step: int, path: tuple[str | int, ...]) -> None:
    for hours in opening:
        for minute in (hours.open_minute, hours.close_minute):
            if minute % step:
                raise KeyProblem(path, f"{format_clock(minute % 1440)} is not on a {step}-minute "
                                       "interval boundary")


def _parse_day_hours(value: object) -> DayHours | None:
    """A calling window of one weekday: ``HH:MM-HH:MM`` within the day, or ``closed``."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "closed"):
        return None
    window = value
    if isinstance(value, dict):
        window = DayHours(**value)
    elif isinstance(value, str):
        window = _clock_range(value, overnight=False)
    if not isinstance(window, DayHours):
        raise ValueError(f"expected 'HH:MM-HH:MM' or 'closed', got {_given(value)}")
    if window.close_minute > 1440:
        raise ValueError(f"a calling window ends by 24:00, got {window.text}")
    return window


class _WeeklyHours(_Strict):
    """A model with ``opening_hours``: every weekday given, parsed, ordered, dumped as text."""

    _hours_of: ClassVar[str] = "week"

    @field_validator("opening_hours", mode="before", check_fields=False)
    @classmethod
    def _parse_hours(cls, value: object) -> object:
        return _weekly_opening(value, cls._hours_of)

    @field_validator("opening_hours", check_fields=False)
    @classmethod
    def _ordered_week(cls, week: dict[str, Opening]) -> dict[str, Opening]:
        return _check_week(week)

    @field_serializer("opening_hours", check_fields=False)
    def _hours_text(self, week: dict[str, Opening]) -> dict[str, str | list[str]]:
        return {day: opening_text(hours) for day, hours in week.items()}


class SeasonalHours(_WeeklyHours):
    """Weekly opening hours of a date range (both dates included) instead of the regular ones."""

    _hours_of: ClassVar[str] = "season"
    name: str | None = None
    first_date: Day
    last_date: Day
    opening_hours: dict[Weekday, Opening]

    @model_validator(mode="after")
    def _dates(self) -> SeasonalHours:
        if self.last_date < self.first_date:
            raise KeyProblem(("last_date",), "is before first_date")
        return self

    @property
    def label(self) -> str:
        """The season's name, else its dates."""
        return self.name or f"{self.first_date}..{self.last_date}"


#: A holiday's or eve's hours: None keeps the day's regular hours (``open``), an empty
#: tuple closes it, ranges are its own hours.
HoursRule = Opening | None


def _parse_rule(value: object, path: tuple[str | int, ...]) -> object:
    """A holiday's or eve's rule: ``open`` (None), ``closed`` or hours."""
    if isinstance(value, str) and value.strip().lower() == "open":
        return None
    return parse_opening(value, path, f"'open', {_OPENING_FORMS}")


def _rule_text(rule: HoursRule) -> str | list[str]:
    return "open" if rule is None else opening_text(rule)


#: Years over which holiday names given in the config are looked up.
_NAME_YEARS = range(1990, 2061)


def holiday_day_names(names: str) -> tuple[str, ...]:
    """The names of one day as the `holidays` package writes them (``"A; B"``), each also
    without its ``estimated`` mark (a holiday whose date the package computes ahead is
    named ``X (estimated)`` in some years and ``X`` in others: a rule for ``X`` is meant
    for both)."""
    found: list[str] = []
    for name in names.split("; "):
        found.append(name)
        plain = re.sub(r",\s*estimated\)$", ")", re.sub(r"\s*\(estimated\)$", "", name))
        if plain != name:
            found.append(plain)
    return tuple(found)


@lru_cache(maxsize=32)
def holiday_names(country: str, subdivision: str | None) -> frozenset[str]:
    """Every holiday name the `holidays` package knows for a country (all its categories),
    with and without the ``estimated`` mark."""
    import holidays

    categories = holidays.country_holidays(country).supported_categories
    found = holidays.country_holidays(country, subdiv=subdivision, years=_NAME_YEARS,
                                      categories=categories)
    return frozenset(name for names in found.values() for name in holiday_day_names(names))


def _day_key(key: object) -> str:
    """A ``holidays.days`` key: an ISO date (YAML's date, or text) or a holiday name."""
    if isinstance(key, date):
        return key.isoformat()
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"expected a holiday name or a date YYYY-MM-DD as key, got "
                         f"{_given(key)}")
    key = key.strip()
    try:
        return date.fromisoformat(key).isoformat()
    except ValueError:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", key):
            raise ValueError(f"{key!r} is not a date YYYY-MM-DD") from None
        return key


class HolidayCalendar(_Strict):
    """Public holidays from the `holidays` package, their opening hours and the center's own
    closed dates.

    Every public holiday is closed (``closed: true``) or open (``closed: false``: its
    weekday's hours, or ``hours`` when given). ``eves`` sets the hours of the day before
    a public holiday (``closed``, or ranges). ``days`` gives a holiday name (as the
    package spells it, any of the country's categories) or a date its own rule: ``closed``,
    ``open`` (the weekday's hours) or hours. See `wfm.calendar.day_hours` for the order.
    """

    country: str | None = None
    subdivision: str | None = None
    closed: StrictBool = True
    hours: Opening | None = None
    eves: HoursRule = None
    days: dict[str, HoursRule] = Field(default_factory=dict)
    extra_closed_dates: list[Day] = Field(default_factory=list)
    open_dates: list[Day] = Field(default_factory=list)

    @field_validator("closed", mode="before")
    @classmethod
    def _closed_flag(cls, value: object) -> object:
        if isinstance(value, list):
            raise ValueError(
                f"expected true or false (every public holiday), got {_given(value)}; to close "
                "on some holidays only, write closed: false and name them under holidays.days "
                "as the holidays package spells them (<name>: closed)")
        return value

    @field_validator("hours", mode="before")
    @classmethod
    def _parse_hours(cls, value: object) -> object:
        if value is None:
            return None
        if isinstance(value, str) and value.strip().lower() in ("closed", "open"):
            raise ValueError("expected the open holidays' own hours; for closed holidays write "
                             "closed: true, for their weekday's hours leave hours out")
        return parse_opening(value)

    @field_validator("eves", mode="before")
    @classmethod
    def _parse_eves(cls, value: object) -> object:
        return None if value is None else _parse_rule(value, ())

    @field_validator("hours", "eves")
    @classmethod
    def _ordered_hours(cls, value: Opening | None) -> Opening | None:
        return None if value is None else _ordered(value, ())

    @field_validator("days")
    @classmethod
    def _ordered_days(cls, days: dict[str, HoursRule]) -> dict[str, HoursRule]:
        return {key: None if rule is None else _ordered(rule, (key,))
                for key, rule in days.items()}

    @field_validator("days", mode="before")
    @classmethod
    def _parse_days(cls, value: object) -> object:
        if not isinstance(value, dict):
            raise ValueError("expected a mapping holiday name or date -> closed, open or hours")
        parsed: dict[str, object] = {}
        for key, rule in value.items():
            name = _day_key(key)
            if name in parsed:
                raise KeyProblem((name,), "named twice")
            parsed[name] = _parse_rule(rule, (name,))
        return parsed

    @field_serializer("hours")
    def _hours_text(self, hours: Opening | None) -> str | list[str] | None:
        return None if hours is None else opening_text(hours)

    @field_serializer("eves")
    def _eves_text(self, rule: HoursRule) -> str | list[str]:
        return _rule_text(rule)

    @field_serializer("days")
    def _days_text(self, days: dict[str, HoursRule]) -> dict[str, str | list[str]]:
        return {key: _rule_text(rule) for key, rule in days.items()}

    @model_validator(mode="after")
    def _known_country(self) -> HolidayCalendar:
        if self.country is None:
            for key in ("subdivision", "hours", "eves"):
                if key in self.model_fields_set and getattr(self, key) is not None:
                    raise KeyProblem((key,), "has no effect without country")
            return self
        import holidays

        supported = holidays.list_supported_countries()
        if self.country not in supported:
            raise ValueError(f"unknown holiday country {self.country!r} (ISO 3166 code expected)")
        subdivisions = supported[self.country]
        if self.subdivision is not None and self.subdivision not in subdivisions:
            allowed = ", ".join(sorted(subdivisions)) or "none"
            raise ValueError(
                f"unknown subdivision {self.subdivision!r} for {self.country}; allowed: {allowed}"
            )
        return self

    @model_validator(mode="after")
    def _rules(self) -> HolidayCalendar:
        if self.hours is not None and self.closed:
            raise KeyProblem(("hours",), "has no effect while closed is true (every public "
                                         "holiday closed): write closed: false")
        names = self.named_days
        known = (holiday_names(self.country, self.subdivision) if self.country and names
                 else frozenset())
        for name in names:
            if not self.country:
                raise KeyProblem(("days", name), "a holiday name needs holidays.country "
                                                 "(or give a date YYYY-MM-DD)")
            if name not in known:
                raise KeyProblem(("days", name), _unknown_holiday(name, self.country, known))
        return self

    @property
    def named_days(self) -> dict[str, HoursRule]:
        """The ``days`` rules given by holiday name."""
        return {key: rule for key, rule in self.days.items() if not _is_iso_date(key)}

    @property
    def dated_days(self) -> dict[date, HoursRule]:
        """The ``days`` rules given by date."""
        return {date.fromisoformat(key): rule for key, rule in self.days.items()
                if _is_iso_date(key)}


def _is_iso_date(key: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", key))


def _unknown_holiday(name: str, country: str, known: frozenset[str]) -> str:
    """Why a holiday name is refused, with the nearest names the package knows."""
    lowered = {k.lower(): k for k in known}
    near = [lowered[k] for k in difflib.get_close_matches(name.lower(), list(lowered), n=3,
                                                          cutoff=0.5)]
    if not near:
        near = sorted(known)[:10]
        return (f"the holidays package knows no holiday {name!r} for {country}; its names "
                f"include: {', '.join(near)}")
    return (f"the holidays package knows no holiday {name!r} for {country}; nearest: "
            f"{', '.join(near)}")


class Center(_WeeklyHours):
    """Where and when the center works."""

    name: str
    timezone: str
    interval_minutes: Literal[15, 30, 60] = 15
    opening_hours: dict[Weekday, Opening]
    seasonal_hours: list[SeasonalHours] = Field(default_factory=list)
    holidays: HolidayCalendar = Field(default_factory=HolidayCalendar)
    weekend: list[Weekday] = Field(default_factory=lambda: ["sat", "sun"],
                                   description="the days the center calls its weekend")
    history_clock: Literal["wall", "fixed"] = Field(
        "wall", description="wall: history times on the center's wall clock (with DST); "
                            "fixed: on one UTC offset all year (no DST)")
    history_utc_offset: str | None = Field(
        None, description="the fixed clock's offset from UTC, +HH:MM east of Greenwich; "
                          "default: the zone's standard time")

    @field_validator("weekend")
    @classmethod
    def _distinct_weekend(cls, value: list[str]) -> list[str]:
        twice = sorted({day for day in value if value.count(day) > 1})
        if twice:
            raise ValueError(f"{', '.join(map(repr, twice))} is named twice")
        return value

    @field_validator("history_utc_offset")
    @classmethod
    def _offset_text(cls, value: str | None) -> str | None:
        if value is not None:
            parse_utc_offset(value)
        return value

    @model_validator(mode="after")
    def _offset_needs_fixed_clock(self) -> Center:
        if self.history_utc_offset is not None and self.history_clock != "fixed":
            raise KeyProblem(("history_utc_offset",),
                             "has no effect unless history_clock is fixed")
        return self

    @property
    def history_offset_minutes(self) -> int | None:
        """Minutes east of UTC of a fixed history clock (None for the wall clock)."""
        if self.history_clock != "fixed":
            return None
        if self.history_utc_offset is not None:
            return parse_utc_offset(self.history_utc_offset)
        return standard_offset_minutes(self.timezone)

    @property
    def weekend_days(self) -> frozenset[int]:
        """The weekend as weekday numbers (0 = Monday)."""
        return frozenset(WEEKDAYS.index(day) for day in self.weekend)

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {value!r} (e.g. Europe/Madrid)") from None
        posix = _POSIX_ZONE.match(value)
        if posix:
            # Etc/GMT-2 is UTC+02:00: POSIX inverts the sign, and a center is never there
            east = -int(posix.group(1))
            raise ValueError(
                f"{value!r} means UTC{east:+03d}:00 (Etc/GMT signs are inverted): give the "
                "center's own zone (e.g. Europe/Athens) and, for a history recorded without "
                "DST, history_clock: fixed (with history_utc_offset like '+02:00' if it is not "
                "the zone's standard time)")
        return value

    @model_validator(mode="after")
    def _aligned_hours(self) -> Center:
        step = self.interval_minutes
        for day, hours in self.opening_hours.items():
            _aligned(hours, step, ("opening_hours", day))
        for index, season in enumerate(self.seasonal_hours):
            for day, hours in season.opening_hours.items():
                _aligned(hours, step, ("seasonal_hours", index, "opening_hours", day))
            for other in self.seasonal_hours[:index]:
                if season.first_date <= other.last_date and other.first_date <= season.last_date:
                    raise KeyProblem(("seasonal_hours", index, "first_date"),
                                     f"season {season.label} overlaps season {other.label}")
        calendar = self.holidays
        for key, rule in (("hours", calendar.hours), ("eves", calendar.eves),
                          *((("days", day), rule) for day, rule in calendar.days.items())):
            path = ("holidays", *key) if isinstance(key, tuple) else ("holidays", key)
            _aligned(rule or (), step, path)
        return self

    def hours_on(self, weekday: int) -> Opening | None:
        """The regular opening hours of a weekday (0 = Monday), or None when it is closed."""
        return self.opening_hours[WEEKDAYS[weekday]] or None

    def weekly_hours(self, day: date) -> Opening:
        """The weekly opening hours in force on a date (its season's, else the regular
        ones) for its weekday, before holidays; an empty tuple when closed."""
        for season in self.seasonal_hours:
            if season.first_date <= day <= season.last_date:
                return season.opening_hours[WEEKDAYS[day.weekday()]]
        return self.opening_hours[WEEKDAYS[day.weekday()]]


_SERVICE_KEYS = ("answer_seconds", "service_level_target", "patience_seconds",
                 "max_abandon_rate", "erlang_model", "max_asa_seconds")
_NO_SERVICE_LEVEL = {
    "email": "deferred work is judged by response_hours or due_time",
    "backoffice": "deferred work is judged by response_hours or due_time",
    "outbound": "wfm projects no service level for calls the center places",
}


class Queue(_Strict):
    """One queue: a channel for one skill in one language, with its service target."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    name: str | None = None
    channel: Channel
    skill: str
    language: str
    service_level_target: Fraction = 0.8
    answer_seconds: Number = Field(20.0, gt=0)
    max_asa_seconds: Number | None = Field(None, gt=0)
    max_occupancy: Number = Field(0.85, gt=0, le=1.0)
    patience_seconds: Number | None = Field(None, gt=0)
    max_abandon_rate: Fraction | None = None
    erlang_model: Literal["erlang_c", "erlang_a"] | None = None
    concurrency: Whole = Field(1, ge=1, le=10)
    response_hours: Number | None = Field(None, gt=0)
    due_time: str | None = Field(None, description="deferred work answered by HH:MM on the "
                                                   "next open day")
    starting_backlog: Number = Field(0.0, ge=0, description="deferred items waiting at the "
                                                             "start of the horizon")
    min_agents: Whole = Field(1, ge=0)
    default_aht_seconds: Number | None = Field(
        None, gt=0, description="handle time forecast when the history has none for the queue")
    closed_dates: list[Day] = Field(default_factory=list,
                                    description="dates this queue alone is closed all day")

    @model_validator(mode="after")
    def _channel_rules(self) -> Queue:
        inert = self._inert_keys()
        # Only keys the file sets: the defaults of unused keys are harmless, and null is unset.
        written = [key for key in inert
                   if key in self.model_fields_set and getattr(self, key) is not None]
        if written:
            raise KeyProblem((written[0],), inert[written[0]])
        if self.erlang_model == "erlang_a" and self.patience_seconds is None:
            raise ValueError("erlang_model erlang_a needs patience_seconds")
        if self.deferred and (self.response_hours is None) == (self.due_time is None):
            raise ValueError(f"channel {self.channel} needs exactly one of response_hours "
                             "(open hours to answer) and due_time (HH:MM on the next open day)")
        if self.due_time is not None:
            parse_clock_minutes(self.due_time)
        return self

    @property
    def deferred(self) -> bool:
        """True for work that waits in a backlog (email, back office)."""
        return self.channel in DEFERRED_CHANNELS

    def _inert_keys(self) -> dict[str, str]:
        """Keys the sizing of this queue never reads, each with why (from wfm.staffing).

        Email reads response_hours, max_occupancy and min_agents; outbound max_occupancy and
        min_agents; voice and chat everything else, patience only under Erlang A.
        """
        article = "an" if self.channel[0] in "aeiou" else "a"
        on_channel = f"has no effect on {article} {self.channel} queue"
        inert: dict[str, str] = {}
        if self.channel not in LIVE_CHANNELS:
            reason = _NO_SERVICE_LEVEL[self.channel]
            # deferred work keeps its target: the share answered within the response time
            keys = [k for k in _SERVICE_KEYS
                    if not (self.deferred and k == "service_level_target")]
            inert |= dict.fromkeys(keys, f"{on_channel} ({reason})")
        if self.channel != "chat":
            inert["concurrency"] = (f"{on_channel} "
                                    "(only a chat agent handles several contacts at once)")
        if self.channel not in DEFERRED_CHANNELS:
            reason = "it is a target of deferred work (email, backoffice)"
            for key in ("response_hours", "due_time", "starting_backlog"):
                inert[key] = f"{on_channel} ({reason})"
        if self.channel in LIVE_CHANNELS:
            if self.erlang_model == "erlang_c":
                inert["patience_seconds"] = ("has no effect with erlang_model erlang_c "
                                             "(patience is used by Erlang A only)")
            if self.model == "erlang_c":
                unless = ("without patience_seconds" if self.patience_seconds is None
                          else "with erlang_model erlang_c")
                inert["max_abandon_rate"] = (f"has no effect {unless} "
                                             "(only Erlang A models abandonment)")
        return inert

    @model_serializer(mode="wrap")
    def _dump_without_inert_keys(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """The queue's fields less the keys that change nothing for it, so a dump loads again."""
        data = handler(self)
        for key in self._inert_keys():
            data.pop(key, None)
        return data

    @property
    def model(self) -> Literal["erlang_c", "erlang_a"]:
        """The queueing model: Erlang A when patience is known, unless set explicitly."""
        if self.erlang_model is not None:
            return self.erlang_model
        return "erlang_a" if self.patience_seconds is not None else "erlang_c"

    @property
    def label(self) -> str:
        """Display name: the name when given, else the id."""
        return self.name or self.id


class Shrinkage(_Strict):
    """Share of paid time agents are not available for queue work (meetings, absence)."""

    default: Fraction
    by_weekday: dict[Weekday, Fraction] = Field(default_factory=dict)
    by_hour: dict[Annotated[Whole, Field(ge=0, le=23)], Fraction] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"default": value}
        return value

    @model_validator(mode="after")
    def _below_one(self) -> Shrinkage:
        rates = [self.default, *self.by_weekday.values(), *self.by_hour.values()]
        if any(rate >= 1.0 for rate in rates):
            raise ValueError("shrinkage must be below 1.0")
        return self

    def rate(self, weekday: int, hour: int) -> float:
        """Shrinkage for a weekday (0 = Monday) and hour: hour beats weekday beats default."""
        if hour in self.by_hour:
            return self.by_hour[hour]
        return self.by_weekday.get(WEEKDAYS[weekday], self.default)


class BreakRule(_Strict):
    """A break or lunch inside a shift, placed by the scheduler within its window."""

    activity: Literal["break", "lunch"]
    duration_minutes: Whole = Field(gt=0)
    paid: StrictBool
    earliest_start_minutes: Whole = Field(ge=0, description="after the shift start")
    latest_start_minutes: Whole = Field(ge=0, description="after the shift start")

    @model_validator(mode="after")
    def _window(self) -> BreakRule:
        if self.latest_start_minutes < self.earliest_start_minutes:
            raise ValueError("latest_start_minutes must not be before earliest_start_minutes")
        return self


class ShiftTemplate(_Strict):
    """A family of shifts: a length, a window of start times and its breaks."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    contracts: list[str] = Field(min_length=1)
    length_minutes: Whole = Field(gt=0, description="from start to end, unpaid lunch included")
    earliest_start: str
    latest_start: str
    start_step_minutes: Whole = Field(15, gt=0)
    breaks: list[BreakRule] = Field(default_factory=list)

    @field_validator("earliest_start", "latest_start")
    @classmethod
    def _clock(cls, value: str) -> str:
        if parse_clock_minutes(value) == 1440:
            raise ValueError("a start is a time of day: write 00:00 for midnight")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ShiftTemplate:
        for rule in self.breaks:
            if rule.latest_start_minutes + rule.duration_minutes > self.length_minutes:
                raise ValueError(f"a {rule.activity} window runs past the end of the shift")
        return self

    @property
    def earliest_start_minute(self) -> int:
        """Earliest start, minutes after local midnight."""
        return parse_clock_minutes(self.earliest_start)

    @property
    def latest_start_minute(self) -> int:
        """Latest start, minutes after local midnight."""
        return parse_clock_minutes(self.latest_start)

    @property
    def start_minutes(self) -> list[int]:
        """Every allowed start, minutes after the local midnight of the date the shift
        starts on, from ``earliest_start`` every ``start_step_minutes`` to ``latest_start``;
        a window whose latest start is before its earliest crosses midnight
        (``22:00``-``02:00``: the starts after midnight are on the next date's clock)."""
        last = self.latest_start_minute
        if last < self.earliest_start_minute:
            last += 1440
        return [m % 1440 for m in range(self.earliest_start_minute, last + 1,
                                        self.start_step_minutes)]

    @property
    def paid_minutes(self) -> int:
        """Paid minutes of one shift: its length less unpaid breaks."""
        return self.length_minutes - sum(b.duration_minutes for b in self.breaks if not b.paid)


class Contract(_Strict):
    """An employment contract: weekly hours and days."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    min_weekly_hours: Number = Field(ge=0)
    max_weekly_hours: Number = Field(gt=0)
    max_working_days_per_week: Whole = Field(5, ge=1, le=7)
    cost_per_hour: Number = Field(1.0, ge=0)

    @model_validator(mode="after")
    def _hours(self) -> Contract:
        if self.max_weekly_hours < self.min_weekly_hours:
            raise ValueError("max_weekly_hours is below min_weekly_hours")
        return self


class LaborRules(_Strict):
    """Hard rules every schedule must satisfy."""

    min_rest_hours: Number = Field(11.0, ge=0, le=48)
    max_consecutive_working_days: Whole = Field(6, ge=1, le=14)
    min_days_off_per_week: Whole = Field(2, ge=0, le=7)
    min_consecutive_days_off: Whole = Field(2, ge=1, le=7)
    max_shift_hours: Number = Field(10.0, gt=0, le=24)
    min_break_spacing_minutes: Whole = Field(60, ge=0)

    @model_validator(mode="after")
    def _days_off(self) -> LaborRules:
        off = self.min_days_off_per_week
        if off and self.min_consecutive_days_off > off:
            raise ValueError("min_consecutive_days_off is above min_days_off_per_week")
        return self


class ObjectiveWeights(_Strict):
    """Weights of the soft goals; coverage dominates by default."""

    under_coverage: Number = Field(1000.0, ge=0, description="per agent-interval short")
    under_coverage_growth: Number = Field(
        0.5, ge=0, description="extra weight per further agent short in the same interval"
    )
    over_coverage: Number = Field(50.0, ge=0, description="per agent-interval over")
    paid_hours: Number = Field(1.0, ge=0, description="per paid hour times contract cost")
    preferences: Number = Field(20.0, ge=0, description="per unmet day-off or start preference")
    start_time_variation: Number = Field(5.0, ge=0, description="per hour of start-time spread")
    fairness: Number = Field(10.0, ge=0, description="per weekend or late shift above the mean")
    changes: Number = Field(100.0, ge=0, description="per agent-day changed from --previous")
    activity_missed: Number = Field(
        10000.0, ge=0, description="per attendee of an off-phone activity session not placed")
    deferred_past_due: Number = Field(
        20.0, ge=0, description="per agent-interval of deferred work past due, per interval")
    outbound_carried: Number = Field(
        10.0, ge=0, description="per agent-interval of campaign work carried to a later day")
    outbound_short: Number = Field(
        100.0, ge=0, description="per agent-interval of campaign work past its due, per day")


class SolverLimits(_Strict):
    """How long and how hard CP-SAT may work."""

    time_limit_seconds: Number = Field(60.0, gt=0)
    workers: Whole = Field(2, ge=1, le=64)
    seed: Whole = 0
    relative_gap: Number = Field(0.0, ge=0, le=1)
    publish_degraded: StrictBool = Field(
        False, description="wfm run: point latest at a degraded schedule (no better than the "
                           "safe schedule) instead of keeping the last good plan")


class Planning(_Strict):
    """What the nightly run plans and how the forecast is chosen."""

    horizon_days: Whole = Field(7, ge=1, le=42)
    forecast_method: str = "auto"
    prediction_level: Number = Field(0.8, gt=0, lt=1)
    backtest_windows: Whole = Field(8, ge=1)
    backtest_days: Whole = Field(14, ge=1)
    backtest_step_days: Whole = Field(7, ge=1)


class ExtraColumns(_Strict):
    """Columns of an input file that are not part of its contract but carried through.

    Any other unknown column is refused (a misspelled optional column would otherwise be
    dropped without a word).
    """

    agents: list[str] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list)
    agent_states: list[str] = Field(default_factory=list)

    @field_validator("agents", "history", "agent_states")
    @classmethod
    def _distinct_names(cls, names: list[str]) -> list[str]:
        return distinct_names(names, "column")


def distinct_names(names: list[str] | dict[str, object], what: str) -> list[str]:
    """The names stripped; ValueError for an empty one or one given twice."""
    stripped = [name.strip() for name in names]
    if "" in stripped:
        raise ValueError(f"{what} names must not be empty")
    twice = sorted({name for name in stripped if stripped.count(name) > 1})
    if twice:
        raise ValueError(f"{what} {twice[0]!r} is named twice")
    return stripped


#: How `wfm kpi` measures the service level: contacts answered within the queue's
#: ``answer_seconds`` over the offered (answered + abandoned), over the offered less the
#: short abandons, or over the answered.
ServiceLevelFormula = Literal["offered", "offered_less_short_abandons", "answered"]


class KpiSettings(_Strict):
    """How the indicators of the history are measured (`wfm kpi`)."""

    service_level_formula: ServiceLevelFormula = "offered"
    short_abandon_seconds: Number | None = Field(
        None, gt=0, description="the threshold the history's short_abandoned column counts")

    @model_validator(mode="after")
    def _short_abandons(self) -> KpiSettings:
        uses_short = self.service_level_formula == "offered_less_short_abandons"
        if uses_short and self.short_abandon_seconds is None:
            raise KeyProblem(("short_abandon_seconds",),
                             "is needed with service_level_formula offered_less_short_abandons "
                             "(the threshold the history's short_abandoned column counts)")
        if not uses_short and self.short_abandon_seconds is not None:
            raise KeyProblem(("short_abandon_seconds",),
                             "has no effect unless service_level_formula is "
                             "offered_less_short_abandons")
        return self


def _same_name_states() -> dict[str, str]:
    return {category: category for category in STATE_CATEGORIES}


class AdherenceSettings(_Strict):
    """How agent state logs are measured against the schedule (`wfm adherence`).

    ``states`` maps each state name of the logs to what it is: one of
    `wfm.io.tables.STATE_CATEGORIES` or an off-phone activity's id (``activities[].id``);
    without it a state must be named like its category (``available``, ``on_contact``,
    ``break``, ``coaching``...).
    """

    grace_minutes: Number = Field(3.0, ge=0, description="a stretch out of adherence this "
                                  "long or shorter is forgiven")
    states: dict[str, str] = Field(default_factory=_same_name_states)

    @field_validator("states")
    @classmethod
    def _state_names(cls, states: dict[str, str]) -> dict[str, str]:
        if not states:
            raise ValueError("name at least one state")
        names = distinct_names(states, "state")
        return dict(zip(names, states.values(), strict=True))


#: The `Inputs` keys that are file paths.
_INPUT_FILES = ("history", "agents", "special_days", "previous_schedule")


class Inputs(_Strict):
    """Input files for `wfm run`; relative paths are relative to the config file."""

    history: Path | None = None
    agents: Path | None = None
    special_days: Path | None = None
    previous_schedule: Path | None = None
    extra_columns: ExtraColumns = Field(default_factory=ExtraColumns)

    def under(self, folder: Path) -> Inputs:
        """These inputs with each relative file path resolved against ``folder``."""
        paths = {name: (folder / value).resolve() for name in _INPUT_FILES
                 if (value := getattr(self, name)) is not None}
        return self.model_copy(update=paths)


class ContactRate(_Strict):
    """Right-party contacts per dial attempt: one rate, or a default with hourly overrides
    (hours of the callee's clock)."""

    default: Fraction
    by_hour: dict[Annotated[Whole, Field(ge=0, le=23)], Fraction] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"default": value}
        return value

    @model_validator(mode="after")
    def _positive(self) -> ContactRate:
        if min([self.default, *self.by_hour.values()]) <= 0:
            raise ValueError("contact rates must be above 0")
        return self

    def at(self, hour: int) -> float:
        """The contact rate in a callee's hour of day."""
        return self.by_hour.get(hour, self.default)


class Campaign(_Strict):
    """An outbound campaign: a calling list worked on an outbound queue toward a target."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    queue: str
    records: Whole = Field(ge=0, description="records still to work at the horizon start")
    max_attempts: Whole = Field(3, ge=1)
    contact_rate: ContactRate
    aht_seconds: Number = Field(gt=0, description="talk time per contact")
    acw_seconds: Number = Field(0.0, ge=0, description="after-call work per contact")
    attempt_seconds: Number = Field(30.0, ge=0, description="set-up, ringing, voicemail")
    dialing: Literal["preview", "progressive", "predictive"] = "progressive"
    preview_seconds: Number | None = Field(None, ge=0)
    pacing_ratio: Number | None = Field(None, ge=1, description="most lines per agent")
    max_abandon_rate: Fraction | None = Field(None, description="abandoned / live answers")
    callee_timezone: str | None = None
    calling_windows: dict[Weekday, DayHours | None]
    contacts_per_day: Number | None = Field(None, gt=0)
    complete_by: Day | None = None

    @field_validator("calling_windows", mode="before")
    @classmethod
    def _parse_windows(cls, value: object) -> object:
        if not isinstance(value, dict):
            raise ValueError("expected a mapping weekday -> 'HH:MM-HH:MM' or 'closed'")
        missing = [day for day in WEEKDAYS if day not in value]
        if missing:
            raise ValueError(f"give every weekday (closed where no calls are made); "
                             f"missing: {', '.join(missing)}")
        return {day: _parse_day_hours(hours) for day, hours in value.items()}

    @field_validator("callee_timezone")
    @classmethod
    def _valid_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown IANA timezone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _target_and_mode(self) -> Campaign:
        if (self.contacts_per_day is None) == (self.complete_by is None):
            raise ValueError("give exactly one target: contacts_per_day or complete_by")
        if self.dialing != "preview" and self.preview_seconds is not None:
            raise KeyProblem(("preview_seconds",), f"has no effect with dialing "
                             f"{self.dialing} (only preview dialing reads the record first)")
        if self.dialing != "predictive":
            for key in ("pacing_ratio", "max_abandon_rate"):
                if getattr(self, key) is not None:
                    raise KeyProblem((key,), f"has no effect with dialing {self.dialing} "
                                             "(only a predictive dialer abandons calls)")
        return self

    @model_serializer(mode="wrap")
    def _dump_set_keys(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """The campaign's fields less the mode keys left unset, so a dump loads again."""
        data = handler(self)
        for key in ("preview_seconds", "pacing_ratio", "max_abandon_rate"):
            if getattr(self, key) is None:
                data.pop(key, None)
        return data

    def window_on(self, weekday: int) -> tuple[int, int] | None:
        """The calling window of a weekday (0 = Monday) in callee minutes, or None."""
        hours = self.calling_windows[WEEKDAYS[weekday]]
        return None if hours is None else (hours.open_minute, hours.close_minute)

    def rate_at(self, hour: int) -> float:
        """Right-party contacts per attempt in a callee's hour of day."""
        return self.contact_rate.at(hour)

    @property
    def preview(self) -> float:
        """Seconds an agent reads a record before dialing (preview dialing), else 0."""
        return self.preview_seconds or 0.0

    @property
    def pacing(self) -> float:
        """Most lines dialled per agent (predictive; 3 unless set)."""
        return self.pacing_ratio if self.pacing_ratio is not None else 3.0

    @property
    def abandon_cap(self) -> float:
        """Highest abandoned share of live answers (predictive; 3% unless set)."""
        return self.max_abandon_rate if self.max_abandon_rate is not None else 0.03


class Leadership(_Strict):
    """The leader-on-duty rule and how much leaders may take contacts.

    For every team, in every interval in which at least ``supervisor_from_agents`` of its
    agents are on shift, one of its team leaders or supervisors is on shift and not on a
    break; with fewer (but some), one of its leaders or campaign leaders is. With
    ``max_agents_per_leader``, the team's agents on shift are at most that many per leader
    on duty. Leaders work queues they are skilled for in at most ``leader_queue_share`` of
    each shift.
    """

    supervisor_from_agents: Whole = Field(6, ge=1)
    max_agents_per_leader: Whole | None = Field(None, ge=1)
    leader_queue_share: Fraction = 0.0


#: Who runs a session: ``leader`` is a team leader or supervisor leading the attendee's team.
HOSTS = ("none", "leader", "team_leader", "supervisor", "trainer", "quality")


class Attendees(_Strict):
    """Who attends an activity: everyone matching every selector given (lists: any of)."""

    roles: list[Literal[ROLES]] = Field(default_factory=lambda: ["agent"])  # type: ignore[valid-type]
    teams: list[str] | None = None
    skills: list[str] | None = None
    agents: list[str] | None = None
    hired_within_days: Whole | None = Field(
        None, ge=0, description="hired (roster hire_date) at most this many days before the "
                                "horizon starts")

    @field_validator("roles", "teams", "skills", "agents")
    @classmethod
    def _distinct(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return values
        if not values:
            raise ValueError("give at least one value, or leave the key out")
        twice = sorted({v for v in values if values.count(v) > 1})
        if twice:
            raise ValueError(f"{twice[0]!r} is named twice")
        return values


class Activity(_Strict):
    """An off-phone activity the solver places inside shifts: training, coaching, quality
    calibration, a team meeting or any named activity."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    name: str | None = None
    duration_minutes: Whole = Field(gt=0)
    frequency: Literal["per_agent_week", "per_team_week", "once"]
    attendees: Attendees = Field(default_factory=Attendees)
    host: Literal[HOSTS] = "none"  # type: ignore[valid-type]
    attendance: Fraction | None = Field(
        None, gt=0, description="share of the attendees who must be there together (group "
                                "sessions; 1 when not given)")
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS))
    window: str | None = Field(None, description="HH:MM-HH:MM: the session lies inside it")
    shift_edge_minutes: Whole = Field(
        0, ge=0, description="not in the first or last this many minutes of a shift")
    paid: StrictBool = True

    @field_validator("id")
    @classmethod
    def _not_built_in(cls, value: str) -> str:
        reserved = list(dict.fromkeys((*BUILT_IN_ACTIVITIES, *STATE_CATEGORIES)))
        if value in reserved:
            raise ValueError(f"{value!r} is a name wfm writes itself; reserved: "
                             f"{', '.join(reserved)}")
        return value

    @field_validator("days")
    @classmethod
    def _some_days(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("give at least one weekday")
        if len(set(value)) != len(value):
            raise ValueError("a day is named twice")
        return value

    @field_validator("window")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if value is not None:
            _parse_day_hours(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Activity:
        if self.frequency == "per_agent_week" and self.attendance is not None:
            raise KeyProblem(("attendance",), "has no effect with frequency per_agent_week "
                                              "(each session has one attendee)")
        if self.frequency == "once" and self.host == "leader":
            raise KeyProblem(("host",), "leader names the leader of one team; a session "
                                        "held once for all attendees needs a role "
                                        "(team_leader, supervisor, trainer, quality) or none")
        low, high = self.window_minutes
        if self.duration_minutes > high - low:
            raise KeyProblem(("duration_minutes",), "is longer than the window")
        return self

    @property
    def label(self) -> str:
        """Display name: the name when given, else the id."""
        return self.name or self.id

    @property
    def window_minutes(self) -> tuple[int, int]:
        """The allowed window as minutes after local midnight (the whole day when not set)."""
        if self.window is None:
            return 0, 24 * 60
        hours = _parse_day_hours(self.window)
        assert hours is not None
        return hours.open_minute, hours.close_minute

    @property
    def weekdays(self) -> frozenset[int]:
        """The allowed weekdays (0 = Monday)."""
        return frozenset(WEEKDAYS.index(day) for day in self.days)

    @property
    def share(self) -> float:
        """The share of a group session's attendees who must be there (1 when not set)."""
        return 1.0 if self.attendance is None else self.attendance


class CenterConfig(_Strict):
    """A whole center: the one object every stage reads."""

    center: Center
    queues: list[Queue] = Field(min_length=1)
    shrinkage: Shrinkage = Field(default_factory=lambda: Shrinkage(default=0.0))
    contracts: list[Contract] = Field(min_length=1)
    shift_templates: list[ShiftTemplate] = Field(min_length=1)
    labor_rules: LaborRules = Field(default_factory=LaborRules)
    objective: ObjectiveWeights = Field(default_factory=ObjectiveWeights)
    solver: SolverLimits = Field(default_factory=SolverLimits)
    planning: Planning = Field(default_factory=Planning)
    inputs: Inputs = Field(default_factory=Inputs)
    kpi: KpiSettings = Field(default_factory=KpiSettings)
    adherence: AdherenceSettings = Field(default_factory=AdherenceSettings)
    campaigns: list[Campaign] = Field(default_factory=list)
    leadership: Leadership | None = None
    activities: list[Activity] = Field(default_factory=list)

    @model_validator(mode="after")
    def _activities_fit(self) -> CenterConfig:
        step = self.center.interval_minutes
        seen: set[str] = set()
        skills = {q.skill for q in self.queues}
        for index, activity in enumerate(self.activities):
            where = ("activities", index)
            if activity.id in seen:
                raise KeyProblem((*where, "id"), f"{activity.id!r} is named twice")
            seen.add(activity.id)
            for key in ("duration_minutes", "shift_edge_minutes"):
                if getattr(activity, key) % step:
                    raise KeyProblem((*where, key), f"must be a multiple of the {step}-minute "
                                                    "interval")
            low, high = activity.window_minutes
            if low % step or high % step:
                raise KeyProblem((*where, "window"), f"must start and end on the {step}-minute "
                                                     "interval grid")
            unknown = sorted(set(activity.attendees.skills or ()) - skills)
            if unknown:
                raise KeyProblem((*where, "attendees", "skills"),
                                 f"{unknown[0]!r} is no queue's skill; allowed: "
                                 f"{', '.join(sorted(skills))}")
        return self

    @model_validator(mode="after")
    def _state_categories(self) -> CenterConfig:
        ids = [a.id for a in self.activities]
        states = dict(self.adherence.states)
        if "states" not in self.adherence.model_fields_set:  # same-name states by default
            states.update({i: i for i in ids})
            # the config is frozen; the default follows its own activities
            object.__setattr__(self, "adherence",
                               self.adherence.model_copy(update={"states": states}))
        allowed = [*STATE_CATEGORIES, *ids]
        for name, category in states.items():
            if category not in allowed:
                raise KeyProblem(("adherence", "states", name),
                                 f"got {category!r}; allowed: "
                                 f"{', '.join(allowed)}")
        return self

    def activity(self, activity_id: str) -> Activity:
        """The activity with this id."""
        for activity in self.activities:
            if activity.id == activity_id:
                return activity
        raise KeyError(activity_id)

    @model_validator(mode="after")
    def _campaign_queues(self) -> CenterConfig:
        channels = {q.id: q.channel for q in self.queues}
        fed: set[str] = set()
        for index, campaign in enumerate(self.campaigns):
            channel = channels.get(campaign.queue)
            if channel != "outbound":
                why = (f"unknown queue {campaign.queue!r}" if channel is None
                       else f"queue {campaign.queue!r} is a {channel} queue, not outbound")
                raise KeyProblem(("campaigns", index, "queue"), why)
            if campaign.queue in fed:
                raise KeyProblem(("campaigns", index, "queue"),
                                 f"queue {campaign.queue!r} is fed by another campaign")
            fed.add(campaign.queue)
        return self

    def campaign_for(self, queue_id: str) -> Campaign | None:
        """The campaign feeding an outbound queue, if any."""
        return next((c for c in self.campaigns if c.queue == queue_id), None)

    @model_validator(mode="after")
    def _whole_response_windows(self) -> CenterConfig:
        # Deferred sizing counts the window in whole intervals and floors it: a value in
        # between would silently act as the shorter window.
        step = self.center.interval_minutes
        for index, queue in enumerate(self.queues):
            if queue.response_hours is not None:
                problem = response_window_problem(queue.response_hours, step)
                if problem:
                    raise KeyProblem(("queues", index, "response_hours"), problem)
        return self

    @model_validator(mode="after")
    def _cross_references(self) -> CenterConfig:
        queue_ids = [q.id for q in self.queues]
        duplicates = {q for q in queue_ids if queue_ids.count(q) > 1}
        if duplicates:
            raise ValueError(f"duplicate queue id {sorted(duplicates)[0]!r}")
        contract_ids = {c.id for c in self.contracts}
        step = self.center.interval_minutes
        max_shift = self.labor_rules.max_shift_hours * 60
        for template in self.shift_templates:
            for contract in template.contracts:
                if contract not in contract_ids:
                    raise ValueError(
                        f"shift template {template.id!r} names unknown contract {contract!r}; "
                        f"allowed: {', '.join(sorted(contract_ids))}"
                    )
            minutes = [template.length_minutes, template.earliest_start_minute,
                       template.start_step_minutes]
            minutes += [m for b in template.breaks
                        for m in (b.duration_minutes, b.earliest_start_minutes,
                                  b.latest_start_minutes)]
            if any(m % step for m in minutes):
                raise ValueError(
                    f"shift template {template.id!r}: times and lengths must be multiples of "
                    f"the {step}-minute interval"
                )
            if template.length_minutes > max_shift:
                raise ValueError(
                    f"shift template {template.id!r} is longer than labor_rules.max_shift_hours"
                )
        return self

    def queue(self, queue_id: str) -> Queue:
        """The queue with this id."""
        for queue in self.queues:
            if queue.id == queue_id:
                return queue
        raise KeyError(queue_id)

    def contract(self, contract_id: str) -> Contract:
        """The contract with this id."""
        for contract in self.contracts:
            if contract.id == contract_id:
                return contract
        raise KeyError(contract_id)

    def templates_for(self, contract_id: str) -> list[ShiftTemplate]:
        """Shift templates a contract may work."""
        return [t for t in self.shift_templates if contract_id in t.contracts]


def response_window_problem(response_hours: float, interval_minutes: int) -> str | None:
    """Why ``response_hours`` is not a whole number (at least one) of intervals, or None."""
    intervals = response_hours * 60.0 / interval_minutes
    nearest = round(intervals)
    if nearest >= 1 and math.isclose(intervals, nearest, rel_tol=0.0, abs_tol=1e-9):
        return None
    hours = interval_minutes / 60.0
    if intervals < 1:
        return (f"{response_hours:g} h is shorter than one {interval_minutes}-minute interval; "
                f"use {hours:g} or more")
    below, above = math.floor(intervals) * hours, math.ceil(intervals) * hours
    return (f"{response_hours:g} h is not a whole number of {interval_minutes}-minute "
            f"intervals (it would act as {below:g}); use {below:g} or {above:g}")


def key_path(location: tuple[str | int, ...]) -> str:
    """A location as a key path with list indices: ``queues[2].channel``."""
    parts: list[str] = []
    for item in location:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def _error_location(error: dict) -> str:
    """Render a pydantic error location as a key path: ``queues[2].channel``."""
    location: list[str | int] = []
    for item in error["loc"]:
        if isinstance(item, str) and item.startswith(("function-", "tagged-union")):
            continue
        location.append(item)
    problem = error.get("ctx", {}).get("error")
    if isinstance(problem, KeyProblem):
        location.extend(problem.path)
    suffix = ""
    if location and location[-1] == "[key]":  # the key of a mapping, not its value
        location, suffix = location[:-1], " (key)"
    return (key_path(tuple(location)) or "(top level)") + suffix


def _given(value: object) -> str:
    """How a refused value reads in a message: text and booleans are named as such."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, str):
        return f"the text {value!r}"
    return repr(value)


# What each strict type expects, for the errors pydantic words as "valid number" etc.
_EXPECTED = {"float_type": "a number", "int_type": "a whole number",
             "bool_type": "true or false", "string_type": "text",
             "finite_number": "a finite number", "model_type": "a mapping",
             "dict_type": "a mapping", "list_type": "a list"}


def _type_message(kind: str, value: object) -> str:
    """The message for a value of the wrong type, with a hint for YAML's usual traps."""
    message = f"expected {_EXPECTED[kind]}, got {_given(value)}"
    if kind == "string_type" and isinstance(value, bool):
        message += " (YAML reads unquoted yes/no/on/off as booleans: quote the text)"
    elif isinstance(value, str) and kind in ("float_type", "int_type"):
        message += f" ({_number_text_hint(value)})"
    return message


def _number_text_hint(text: str) -> str:
    """How to write ``text`` so YAML reads a number (PyYAML needs ``1.0e+3``, not ``1e3``)."""
    if re.fullmatch(r"[-+]?\d+[eE][-+]?\d+", text.strip()):
        mantissa, exponent = re.split("[eE]", text.strip())
        sign = "" if exponent.startswith(("-", "+")) else "+"
        return f"YAML reads {text} as text: write {mantissa}.0e{sign}{exponent}"
    return "write the number without quotes"


def _error_message(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"got {error.get('input')!r}; allowed: {expected}"
    if kind in _EXPECTED:
        return _type_message(kind, error.get("input"))
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def parse_config(data: object, source: str = "config") -> CenterConfig:
    """Validate a parsed YAML mapping; raises BadInput naming the first bad key path."""
    if not isinstance(data, dict):
        raise BadInput(f"{source}: expected a mapping at the top level")
    try:
        return CenterConfig.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"{source}: {_error_location(err)}: {_error_message(err)}"
            for err in exc.errors()
        ]
        raise BadInput("\n".join(lines)) from None




