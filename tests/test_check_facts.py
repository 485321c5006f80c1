"""The facts the checker still takes from helpers it shares with the solver's inputs, derived
a second way by hand on the example center and the sample roster: closed dates (holidays
from the `holidays` package directly), opening hours, template start grids, paid minutes,
which templates a contract may work, shrinkage and which queues an agent serves.

If a shared helper misread the config, the checker and the solver would agree on the
mistake; these tests hold the helpers to the files themselves.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import holidays
import pytest
import yaml

from wfm.calendar import closed_dates
from wfm.io.config_file import load_config
from wfm.io.inputs import read_agents

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "configs" / "example.yaml"
ROSTER = ROOT / "sample_data" / "agents.csv"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture(scope="module")
def raw() -> dict:
    """The example config as plain YAML."""
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cfg():
    return load_config(CONFIG)


def clock(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def special_closures(raw: dict) -> set[date]:
    """Dates the special-days file closes for every queue, read with the csv module."""
    path = (CONFIG.parent / raw["inputs"]["special_days"]).resolve()
    with path.open(encoding="utf-8", newline="") as stream:
        return {date.fromisoformat(row["date"]) for row in csv.DictReader(stream)
                if row["queue"] == "all" and row["multiplier"].strip().lower() == "closed"}


def test_closed_dates_from_the_holidays_package(raw, cfg):
    first, last = date(2025, 1, 1), date(2026, 12, 31)
    calendar = raw["center"]["holidays"]
    assert calendar["closed"] is True
    public = holidays.country_holidays(calendar["country"], subdiv=calendar["subdivision"],
                                       years=[2025, 2026])
    closed_weekdays = {i for i, day in enumerate(WEEKDAYS)
                       if raw["center"]["opening_hours"][day] == "closed"}
    by_hand = set(public) | special_closures(raw)
    day = first
    while day <= last:
        if day.weekday() in closed_weekdays:
            by_hand.add(day)
        day += timedelta(days=1)
    by_hand = {d for d in by_hand if first <= d <= last}
    assert date(2026, 11, 28) in by_hand and date(2026, 5, 2) in by_hand  # training; Madrid
    assert closed_dates(cfg.center, first, last) == by_hand


def test_opening_hours_from_the_file(raw, cfg):
    for weekday, name in enumerate(WEEKDAYS):
        text = raw["center"]["opening_hours"][name]
        hours = cfg.center.hours_on(weekday)
        if text == "closed":
            assert hours is None
        else:
            opens, closes = text.split("-")
            assert [(h.open_minute, h.close_minute) for h in hours] == [(clock(opens),
                                                                          clock(closes))]


def test_templates_start_grid_paid_minutes_and_contracts_from_the_file(raw, cfg):
    templates = {t.id: t for t in cfg.shift_templates}
    assert set(templates) == {t["id"] for t in raw["shift_templates"]}
    for spec in raw["shift_templates"]:
        template = templates[spec["id"]]
        starts, minute = [], clock(spec["earliest_start"])
        while minute <= clock(spec["latest_start"]):
            starts.append(minute)
            minute += spec["start_step_minutes"]
        assert template.start_minutes == starts
        unpaid = sum(b["duration_minutes"] for b in spec["breaks"] if not b["paid"])
        assert template.paid_minutes == spec["length_minutes"] - unpaid
        assert template.length_minutes == spec["length_minutes"]
    for contract in raw["contracts"]:
        by_hand = [t["id"] for t in raw["shift_templates"] if contract["id"] in t["contracts"]]
        assert [t.id for t in cfg.templates_for(contract["id"])] == by_hand


def test_shrinkage_from_the_file(raw, cfg):
    default = raw["shrinkage"]["default"]
    by_weekday = raw["shrinkage"].get("by_weekday", {})
    assert "by_hour" not in raw["shrinkage"]
    for weekday, name in enumerate(WEEKDAYS):
        for hour in range(24):
            assert cfg.shrinkage.rate(weekday, hour) == by_weekday.get(name, default)


def test_queues_an_agent_serves_by_skill_and_language_sets(raw, cfg):
    with ROSTER.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    agents = {a.agent_id: a for a in read_agents(ROSTER, cfg)}
    assert set(agents) == {row["agent_id"] for row in rows}
    queues = {q.id: q for q in cfg.queues}
    pairs = 0
    for row in rows:
        skills = {part.split(":")[0].strip() for part in row["skills"].split(";") if part.strip()}
        languages = {part.strip() for part in row["languages"].split(";") if part.strip()}
        for spec in raw["queues"]:
            by_hand = spec["skill"] in skills and spec["language"] in languages
            assert agents[row["agent_id"]].serves(queues[spec["id"]]) == by_hand, \
                (row["agent_id"], spec["id"])
            pairs += by_hand
    assert 0 < pairs < len(rows) * len(raw["queues"])
