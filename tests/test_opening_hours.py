"""Opening hours, seasons and holidays: how the config reads them and what the calendar makes
of them (each date's opening, its open intervals, closed dates, workable dates).

Holiday names are taken from the `holidays` package at test time, so no test depends on
how one country's holidays are spelled.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta

import holidays
import pytest
import yaml
from conftest import EXAMPLE_CONFIG, REPO

from wfm.calendar import (
    closed_dates,
    day_hours,
    interval_grid,
    opening_by_date,
    opening_label,
    workable_dates,
    workable_weekdays,
)
from wfm.config import parse_config
from wfm.errors import BadInput

ALL_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONDAY = date(2026, 2, 2)


def example() -> dict:
    return yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))


def with_center(**center: object) -> dict:
    data = example()
    data["center"].update(copy.deepcopy(center))
    return data


def refused(data: dict) -> str:
    with pytest.raises(BadInput) as caught:
        parse_config(data, "c.yaml")
    return str(caught.value)


def open_hours(cfg, day: date) -> list[str]:
    """The open intervals of a date as HH:MM texts."""
    grid = interval_grid(cfg.center, day, 1)
    return [f"{t:%H:%M}" for t in grid.loc[grid["is_open"], "interval_start"]]


# --- the weekly hours -----------------------------------------------------------------

def test_a_weekday_left_out_is_refused_with_the_key_path():
    data = example()
    del data["center"]["opening_hours"]["sat"]
    assert refused(data) == ("c.yaml: center.opening_hours: give every weekday of the week "
                             "(closed where the center does not open); missing: sat")


@pytest.mark.parametrize(("hours", "message"), [
    (["08:00-14:00", "closed"], "center.opening_hours.sat[1]: expected 'HH:MM-HH:MM', got "
                                "the text 'closed'"),
    (["08:00-14:00", "13:00-15:00"], "center.opening_hours.sat: 08:00-14:00 and 13:00-15:00 "
                                     "overlap"),
    ("08:00-08:00", "center.opening_hours.sat: opening and closing times are the same in "
                    "'08:00-08:00' (a whole day is 24h)"),
    ("24:00-06:00", "opening time 24:00 in '24:00-06:00': write 00:00"),
    ([], "center.opening_hours.sat: an empty list: write closed for a closed day"),
    ("noon", "center.opening_hours.sat: expected 'HH:MM-HH:MM', a list of them, '24h' or "
             "'closed', got the text 'noon'"),
    ("22:10-02:00", "center.opening_hours.sat: 22:10 is not on a 15-minute interval"),
    ("22:00-02:10", "center.opening_hours.sat: 02:10 is not on a 15-minute interval"),
    # Saturday's night runs into Sunday's morning hours
    ("20:00-10:00", "center.opening_hours.sat: 20:00-10:00 runs past midnight into sun's "
                    "09:00-12:00"),
])
def test_bad_weekday_hours_are_refused(hours, message):
    data = example()
    data["center"]["opening_hours"]["sat"] = hours
    data["center"]["opening_hours"]["sun"] = "09:00-12:00"
    assert message in refused(data)


def test_every_form_of_a_day_and_its_dump():
    cfg = parse_config(with_center(opening_hours={
        "mon": "24h", "tue": "00:00-24:00", "wed": ["17:00-22:00", "08:00-14:00"],
        "thu": "18:00-02:00", "fri": {"open_minute": 480, "close_minute": 1260},
        "sat": "closed", "sun": "22:00-24:00"}))
    week = cfg.center.opening_hours
    assert [(h.open_minute, h.close_minute) for h in week["wed"]] == [(480, 840), (1020, 1320)]
    assert [(h.open_minute, h.close_minute) for h in week["thu"]] == [(1080, 1560)]
    assert week["sat"] == () and cfg.center.hours_on(5) is None
    dumped = cfg.center.model_dump(mode="json")["opening_hours"]
    assert dumped == {"mon": "24h", "tue": "24h", "wed": ["08:00-14:00", "17:00-22:00"],
                      "thu": "18:00-02:00", "fri": "08:00-21:00", "sat": "closed",
                      "sun": "22:00-24:00"}
    assert parse_config(cfg.model_dump(mode="json")) == cfg


def test_a_range_over_midnight_opens_the_next_dates_first_hours():
    # Friday 18:00-02:00; Saturday closed: its 00:00-02:00 are Friday's
    friday = MONDAY + timedelta(days=4)
    hours = {**dict.fromkeys(ALL_WEEK, "08:00-17:00"), "fri": "18:00-02:00", "sat": "closed",
             "sun": "closed"}
    cfg = parse_config(with_center(opening_hours=hours))
    hours = open_hours(cfg, friday)  # Thursday's range ends before midnight
    assert hours[0] == "18:00" and hours[-1] == "23:45" and len(hours) == 6 * 4
    saturday = friday + timedelta(days=1)
    assert open_hours(cfg, saturday) == ["00:00", "00:15", "00:30", "00:45", "01:00",
                                         "01:15", "01:30", "01:45"]
    assert day_hours(cfg.center, saturday) == ()  # it belongs to Friday's opening
    # Saturday has open time, Sunday none
    assert closed_dates(cfg.center, saturday, saturday + timedelta(days=1)) == {
        saturday + timedelta(days=1)}


def test_two_ranges_a_day_leave_the_gap_closed():
    cfg = parse_config(with_center(opening_hours={
        **dict.fromkeys(ALL_WEEK, "closed"), "sat": ["08:00-14:00", "17:00-22:00"]}))
    saturday = MONDAY + timedelta(days=5)
    hours = open_hours(cfg, saturday)
    assert hours[0] == "08:00" and "13:45" in hours and "14:00" not in hours
    assert "16:45" not in hours and "17:00" in hours and hours[-1] == "21:45"
    assert len(hours) == (6 + 5) * 4
    assert opening_label(day_hours(cfg.center, saturday)) == "08:00-14:00, 17:00-22:00"


def test_a_dst_night_in_a_range_over_midnight():
    # Saturday 20:00-04:00 in Madrid on the night clocks go back at 03:00: the repeated
    # hour is open twice, and the night has 9 real hours
    hours = {**dict.fromkeys(ALL_WEEK, "closed"), "sat": "20:00-04:00"}
    cfg = parse_config(with_center(opening_hours=hours, holidays={"country": None}))
    saturday = date(2026, 10, 24)
    grid = interval_grid(cfg.center, saturday, 2)
    assert grid["is_open"].sum() == 9 * 4
    # in spring the same night has 7 real hours
    grid = interval_grid(cfg.center, date(2026, 3, 28), 2)
    assert grid["is_open"].sum() == 7 * 4


# --- seasonal hours -------------------------------------------------------------------

def season(first: date, last: date, **days: object) -> dict:
    return {"name": "summer", "first_date": first, "last_date": last,
            "opening_hours": {**dict.fromkeys(ALL_WEEK, "08:00-15:00"), **days}}


def test_seasonal_hours_replace_the_weekly_hours_on_their_dates():
    summer = season(date(2026, 7, 1), date(2026, 8, 31), sat="closed")
    cfg = parse_config(with_center(seasonal_hours=[summer]))
    assert opening_label(day_hours(cfg.center, date(2026, 6, 30))) == "08:00-21:00"
    assert opening_label(day_hours(cfg.center, date(2026, 7, 1))) == "08:00-15:00"
    assert day_hours(cfg.center, date(2026, 7, 4)) == ()  # a summer Saturday
    assert opening_label(day_hours(cfg.center, date(2026, 9, 5))) == "09:00-15:00"
    assert date(2026, 7, 4) in closed_dates(cfg.center, date(2026, 7, 1), date(2026, 7, 7))
    # the full-time 8.5-hour shift fits no summer day, the part-time 6-hour one does
    full = cfg.templates_for("full_time")
    assert workable_dates(cfg.center, full, date(2026, 6, 29), date(2026, 7, 5)) == {
        date(2026, 6, 29), date(2026, 6, 30)}
    assert workable_weekdays(cfg.center, full) == {0, 1, 2, 3, 4}  # the regular week


@pytest.mark.parametrize(("seasons", "message"), [
    ([season(date(2026, 7, 1), date(2026, 6, 1))],
     "center.seasonal_hours[0].last_date: is before first_date"),
    ([{**season(date(2026, 7, 1), date(2026, 8, 1)), "opening_hours": {"mon": "closed"}}],
     "center.seasonal_hours[0].opening_hours: give every weekday of the season (closed where "
     "the center does not open); missing: tue, wed, thu, fri, sat, sun"),
    ([season(date(2026, 7, 1), date(2026, 8, 1)),
      {**season(date(2026, 8, 1), date(2026, 8, 31)), "name": "august"}],
     "center.seasonal_hours[1].first_date: season august overlaps season summer"),
    ([season(date(2026, 7, 1), date(2026, 8, 1), mon="08:10-15:00")],
     "center.seasonal_hours[0].opening_hours.mon: 08:10 is not on a 15-minute"),
])
def test_bad_seasons_are_refused(seasons, message):
    assert message in refused(with_center(seasonal_hours=seasons))


# --- holidays -------------------------------------------------------------------------

def public(country: str, year: int, subdivision: str | None = None) -> dict[date, str]:
    return dict(holidays.country_holidays(country, subdiv=subdivision, years=[year]))


def test_closed_as_a_list_of_names_says_how_to_write_it():
    data = example()
    name = next(iter(public("ES", 2026).values()))
    data["center"]["holidays"]["closed"] = [name]
    message = refused(data)
    assert message.startswith("c.yaml: center.holidays.closed: expected true or false")
    assert "write closed: false and name them under holidays.days" in message


def test_a_holiday_name_the_package_does_not_know_is_refused_with_the_nearest():
    name = sorted(public("ES", 2026, "MD").values(), key=len)[-1]
    typo = name[:3] + name[4:]
    data = example()
    data["center"]["holidays"]["days"] = {typo: "closed"}
    message = refused(data)
    assert message.startswith(f"c.yaml: center.holidays.days.{typo}: the holidays package "
                              f"knows no holiday {typo!r} for ES; nearest: {name}")
    data["center"]["holidays"] = {"days": {name: "closed"}}
    assert "a holiday name needs holidays.country" in refused(data)


@pytest.mark.parametrize(("holidays_section", "message"), [
    ({"country": "ES", "hours": "09:00-14:00"}, "center.holidays.hours: has no effect while "
                                                "closed is true"),
    ({"eves": "08:00-14:00"}, "center.holidays.eves: has no effect without country"),
    ({"country": "ES", "closed": False, "hours": "closed"}, "center.holidays.hours: expected "
                                                            "the open holidays' own hours"),
    ({"country": "ES", "days": {"2026-13-01": "closed"}}, "'2026-13-01' is not a date"),
    ({"country": "ES", "days": {True: "closed"}}, "center.holidays.days: expected a holiday "
                                                  "name or a date YYYY-MM-DD as key"),
    ({"country": "ES", "days": {date(2026, 12, 24): "shut"}},
     "center.holidays.days.2026-12-24: expected 'open', 'HH:MM-HH:MM', a list of them, '24h' "
     "or 'closed', got the text 'shut'"),
    ({"country": "ES", "days": {date(2026, 12, 24): "09:10-14:00"}},
     "center.holidays.days.2026-12-24: 09:10 is not on a 15-minute interval boundary"),
])
def test_bad_holiday_rules_are_refused(holidays_section, message):
    assert message in refused(with_center(holidays=holidays_section))


def holiday_center(country: str = "ES", **calendar: object):
    """A center open 08:00-21:00 every day but Sunday, with a country's national holidays."""
    hours = {**dict.fromkeys(ALL_WEEK, "08:00-21:00"), "sun": "closed"}
    return parse_config(with_center(opening_hours=hours,
                                    holidays={"country": country, **calendar}))


def weekday_holidays(year: int) -> list[tuple[date, str]]:
    """Spain's national holidays of a year on Monday to Saturday, whose day before is no
    holiday and no Sunday."""
    found = public("ES", year)
    return [(d, n) for d, n in sorted(found.items()) if d.weekday() < 6
            and d - timedelta(days=1) not in found and (d - timedelta(days=1)).weekday() < 6]


def test_every_holiday_closed_open_or_with_its_own_hours():
    (first, first_name), (second, _), *_ = weekday_holidays(2026)
    assert day_hours(holiday_center().center, first) == ()  # closed: true, the default
    opened = holiday_center(closed=False)
    assert opening_label(day_hours(opened.center, first)) == "08:00-21:00"
    short = holiday_center(closed=False, hours="09:00-14:00",
                           eves=["08:00-13:00", "16:00-19:00"])
    assert opening_label(day_hours(short.center, first)) == "09:00-14:00"
    eve = first - timedelta(days=1)
    assert opening_label(day_hours(short.center, eve)) == "08:00-13:00, 16:00-19:00"
    assert opening_label(day_hours(short.center, eve - timedelta(days=1))) == "08:00-21:00"
    # by name: this holiday closed, the others with the short hours
    named = holiday_center(closed=False, hours="09:00-14:00", days={first_name: "closed"})
    assert day_hours(named.center, first) == ()
    assert opening_label(day_hours(named.center, second)) == "09:00-14:00"
    # by date: the date's rule beats its name's; open keeps the weekday's hours
    dated = holiday_center(days={first_name: "closed", first: "open"})
    assert opening_label(day_hours(dated.center, first)) == "08:00-21:00"
    # extra closed dates close whatever the rules say
    closing = holiday_center(closed=False, extra_closed_dates=[second],
                             days={second: "10:00-12:00"})
    assert day_hours(closing.center, second) == ()


def test_holiday_hours_do_not_open_a_closed_weekday_but_a_dated_rule_does():
    # a country whose holidays fall on Sundays too
    country = next(c for c in ("US", "GB", "DE", "FR") if any(
        d.weekday() == 6 for d in public(c, 2026)))
    sunday = min(d for d in public(country, 2026) if d.weekday() == 6)
    plain_sunday = date(2026, 2, 8)
    cfg = holiday_center(country, closed=False, hours="10:00-14:00",
                         days={plain_sunday: "10:00-14:00"})
    assert day_hours(cfg.center, sunday) == ()
    assert opening_label(day_hours(cfg.center, plain_sunday)) == "10:00-14:00"
    assert open_hours(cfg, plain_sunday)[0] == "10:00"


def test_open_dates_are_no_holidays_and_have_no_eve():
    (first, _), *_ = weekday_holidays(2026)
    cfg = holiday_center(eves="08:00-13:00", open_dates=[first])
    assert opening_label(day_hours(cfg.center, first)) == "08:00-21:00"
    assert opening_label(day_hours(cfg.center, first - timedelta(days=1))) == "08:00-21:00"


def test_a_rule_for_a_name_holds_on_the_days_the_package_marks_estimated():
    # the package names some holidays computed ahead "<name> (estimated)"
    for country in holidays.list_supported_countries():
        table = holidays.country_holidays(country, years=[2026])
        estimated = [(d, n) for d, n in sorted(table.items()) if n.endswith(" (estimated)")
                     and "; " not in n]
        if estimated:
            break
    day, name = estimated[0]
    plain = name.removesuffix(" (estimated)")
    data = with_center(opening_hours=dict.fromkeys(ALL_WEEK, "24h"),
                       holidays={"country": country, "closed": False,
                                 "days": {plain: "08:00-12:00"}})
    cfg = parse_config(data)
    assert opening_label(day_hours(cfg.center, day)) == "08:00-12:00"


def test_the_24x7_example_center():
    from wfm.io.config_file import load_config

    cfg = load_config(REPO / "configs" / "center_24x7.yaml")
    center = cfg.center
    assert all(center.hours_on(w) == ((center.hours_on(0)[0]),) for w in range(7))
    assert center.weekend_days == {4, 5}
    week = opening_by_date(center, date(2026, 4, 20), date(2026, 4, 26))
    labels = [opening_label(o) for o in week.values()]
    # the eve of a holiday closes at 22:00, the holiday opens at 06:00
    assert labels == ["24h", "24h", "24h", "24h", "00:00-22:00", "06:00-24:00", "24h"]
    # the night template starts over midnight: 22:00, 23:00 and 00:00
    night = next(t for t in cfg.shift_templates if t.id == "night")
    assert night.start_minutes == [22 * 60, 23 * 60, 0]


def test_the_readmes_example_center_reads_as_it_says():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("A center open around the clock", 1)[1].split("```yaml", 1)[1]
    shown = yaml.safe_load(block.split("```", 1)[0])
    data = yaml.safe_load((REPO / "configs" / "center_24x7.yaml").read_text(encoding="utf-8"))
    data["center"].update(shown["center"])
    data["queues"], data["shift_templates"] = shown["queues"], shown["shift_templates"]
    cfg = parse_config(data)
    center = cfg.center
    assert center.history_offset_minutes == 120 and center.weekend_days == {4, 5}
    assert cfg.queues[0].default_aht_seconds == 240
    # Friday runs over midnight into Saturday, which opens twice
    friday = date(2026, 2, 6)
    assert open_hours(cfg, friday)[0] == "18:00"
    saturday = open_hours(cfg, friday + timedelta(days=1))
    assert saturday[:4] == ["00:00", "00:30", "01:00", "01:30"] and "02:00" not in saturday
    assert "14:00" not in saturday and {"08:00", "17:00", "23:30"} <= set(saturday)
    # the summer closes Friday and Saturday; the eve of New Year's Day (a dated rule)
    # reopens at 21:00 until 02:00
    summer_friday = date(2026, 7, 31)
    assert summer_friday.weekday() == 4
    assert closed_dates(center, summer_friday, summer_friday + timedelta(days=2)) == {
        summer_friday, summer_friday + timedelta(days=1)}
    assert opening_label(day_hours(center, date(2026, 12, 31))) == "00:00-18:00, 21:00-02:00"
    night = cfg.shift_templates[0]
    assert night.start_minutes == [22 * 60, 23 * 60, 0] and night.paid_minutes == 480


@pytest.mark.parametrize(("change", "expected"), [
    (lambda c: c["opening_hours"].pop("sat"),
     "center.opening_hours: give every weekday of the week (closed where the center does "
     "not open); missing: sat"),
    (lambda c: c.update(weekend=["fri", "fri"]), "center.weekend: 'fri' is named twice"),
    (lambda c: c.update(weekend=["friday"]),
     "center.weekend[0]: got 'friday'; allowed: 'mon', 'tue'"),
    (lambda c: c["holidays"].update(closed=["Some Holiday"]),
     "center.holidays.closed: expected true or false (every public holiday)"),
    (lambda c: c.update(history_utc_offset="+02:00"),
     "center.history_utc_offset: has no effect unless history_clock is fixed"),
    (lambda c: c.update(history_clock="fixed", history_utc_offset="GMT+2"),
     "center.history_utc_offset: expected an offset from UTC like '+02:00'"),
    (lambda c: c.update(timezone="Etc/GMT-2"), "'Etc/GMT-2' means UTC+02:00"),
], ids=["weekday left out", "weekend twice", "weekend day", "closed list", "offset on wall",
        "bad offset", "inverted zone"])
def test_wfm_validate_refuses_bad_clock_and_calendar_keys_with_exit_2(tmp_path, change,
                                                                     expected):
    from typer.testing import CliRunner

    from wfm.cli.main import app

    data = example()
    change(data["center"])
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "--config", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}: " in result.output and expected in result.output
    assert "Traceback" not in result.output
