from __future__ import annotations

import copy
import math
import re
import types
import typing
from datetime import date
from pathlib import Path

import pytest
import yaml

from wfm.config import parse_config
from wfm.errors import BadInput
from wfm.io.config_file import load_config

EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "example.yaml"


def example_data() -> dict:
    return yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))


def test_example_config_loads(example_cfg):
    assert example_cfg.center.timezone == "Europe/Madrid"
    assert len(example_cfg.queues) >= 6
    assert example_cfg.center.hours_on(6) is None  # closed on Sunday
    saturday = example_cfg.center.hours_on(5)
    assert saturday[0].open_minutes < example_cfg.center.hours_on(0)[0].open_minutes
    chat = example_cfg.queue("chat_es")
    assert chat.concurrency == 2
    assert example_cfg.shrinkage.rate(0, 10) == pytest.approx(0.32)
    assert example_cfg.shrinkage.rate(2, 10) == pytest.approx(0.30)
    ft = example_cfg.templates_for("full_time")[0]
    assert ft.paid_minutes == 480


def test_relative_input_paths_become_absolute(example_cfg):
    assert example_cfg.inputs.history is not None
    assert example_cfg.inputs.history.is_absolute()


def with_change(path: list, value) -> dict:
    data = copy.deepcopy(example_data())
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (["center", "colour"], "blue", "center.colour: unknown key"),
        (["queues", 2, "channel"], "fax", "queues[2].channel: got 'fax'; allowed:"),
        (["center", "interval_minutes"], 20, "center.interval_minutes"),
        (["center", "timezone"], "Mars/Olympus", "unknown IANA timezone"),
        (["queues", 0, "max_occupancy"], 1.5, "queues[0].max_occupancy"),
        (["center", "opening_hours", "mon"], "08:00-08:00", "opening and closing times are the"),
        (["center", "opening_hours", "mon"], "21:00-09:00",
         "center.opening_hours.mon: 21:00-09:00 runs past midnight into tue's 08:00-21:00"),
        (["center", "opening_hours", "mon"], "08:10-21:00", "not on a 15-minute"),
        (["center", "holidays", "subdivision"], "XX", "unknown subdivision 'XX'"),
        (["shift_templates", 0, "contracts"], ["nobody"], "unknown contract 'nobody'"),
        (["shrinkage", "default"], 1.0, "shrinkage"),
    ],
)
def test_bad_config_names_key_path(path, value, expected):
    with pytest.raises(BadInput) as caught:
        parse_config(with_change(path, value), "c.yaml")
    assert expected in str(caught.value)
    assert str(caught.value).startswith("c.yaml:")


def test_email_queue_needs_response_time():
    data = example_data()
    del data["queues"][5]["response_hours"]
    with pytest.raises(BadInput, match=r"queues\[5\].*response_hours"):
        parse_config(data)


def test_shrinkage_as_plain_number():
    cfg = parse_config(with_change(["shrinkage"], 0.25))
    assert cfg.shrinkage.rate(0, 9) == pytest.approx(0.25)


def test_unreadable_and_invalid_yaml(tmp_path: Path):
    with pytest.raises(BadInput, match="cannot read config"):
        load_config(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("center: [unclosed\n", encoding="utf-8")
    with pytest.raises(BadInput, match="not valid YAML"):
        load_config(broken)


def test_config_round_trips_through_dump(example_cfg):
    again = parse_config(example_cfg.model_dump(mode="json"))
    assert again == example_cfg


def test_special_day_closure_closes_the_center_everywhere(tmp_path: Path):
    from datetime import date

    from wfm.calendar import interval_grid

    (tmp_path / "special.csv").write_text(
        "date,queue,multiplier\n2026-12-05,all,closed\n2026-12-04,chat_es,closed\n"
        "2026-12-03,all,1.4\n", encoding="utf-8")
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
        "../sample_data/special_days.csv", "special.csv")
    (tmp_path / "center.yaml").write_text(text, encoding="utf-8")
    cfg = load_config(tmp_path / "center.yaml")
    assert cfg.center.holidays.extra_closed_dates == [date(2026, 12, 5)]
    grid = interval_grid(cfg.center, date(2026, 12, 3), 3)
    open_days = set(grid.loc[grid["is_open"], "date"])
    assert open_days == {date(2026, 12, 3), date(2026, 12, 4)}
    # a closure of one queue closes that queue alone
    assert cfg.queue("chat_es").closed_dates == [date(2026, 12, 4)]
    assert all(q.closed_dates == [] for q in cfg.queues if q.id != "chat_es")


# ---------------------------------------------------------------- values as YAML typed them

def _sections() -> dict[type, list]:
    """Where each config model sits in the example data (its first instance)."""
    from wfm import config as c

    return {
        c.Center: ["center"], c.HolidayCalendar: ["center", "holidays"],
        c.DayHours: ["center", "opening_hours", "mon", 0], c.Queue: ["queues", 0],
        c.SeasonalHours: ["center", "seasonal_hours", 0],
        c.Shrinkage: ["shrinkage"], c.BreakRule: ["shift_templates", 0, "breaks", 0],
        c.ShiftTemplate: ["shift_templates", 0], c.Contract: ["contracts", 0],
        c.LaborRules: ["labor_rules"], c.ObjectiveWeights: ["objective"],
        c.SolverLimits: ["solver"], c.Planning: ["planning"], c.Inputs: ["inputs"],
        c.ExtraColumns: ["inputs", "extra_columns"],
        c.Campaign: ["campaigns", 0], c.ContactRate: ["campaigns", 0, "contact_rate"],
        c.Leadership: ["leadership"], c.Activity: ["activities", 0],
        c.Attendees: ["activities", 0, "attendees"],
        c.KpiSettings: ["kpi"], c.AdherenceSettings: ["adherence"],
        c.CenterConfig: [],
    }


def _models_below(model: type) -> set[type]:
    """Every pydantic model reachable from ``model``'s field types, ``model`` included."""
    from pydantic import BaseModel

    found, todo = set(), [model]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        for field in current.model_fields.values():
            stack = [field.annotation]
            while stack:
                kind = stack.pop()
                stack.extend(typing.get_args(kind))
                if isinstance(kind, type) and issubclass(kind, BaseModel):
                    todo.append(kind)
    return found


def _plain_types(annotation: object) -> set:
    """The types a field accepts, with Annotated and Optional taken off."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _plain_types(typing.get_args(annotation)[0])
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return set().union(*(_plain_types(a) for a in typing.get_args(annotation))) - {
            type(None)}
    return {annotation}


def _field_kinds(model: type, kind: type) -> list[str]:
    """Names of ``model``'s fields whose type is ``kind`` (or ``kind | None``)."""
    return [name for name, field in model.model_fields.items()
            if _plain_types(field.annotation) == {kind}]


def _fields_of(kind: type) -> list[tuple[list, str]]:
    """(section path, field name) of every ``kind`` field of every model."""
    return [(path, name) for model, path in _sections().items()
            for name in _field_kinds(model, kind)]


def _example_with_hours_mapping() -> dict:
    """The example data with Monday's hours as a mapping, so DayHours fields are reachable."""
    data = example_data()
    data["center"]["opening_hours"]["mon"] = [{"open_minute": 480, "close_minute": 1260}]
    data["center"]["seasonal_hours"] = [{
        "name": "summer", "first_date": date(2026, 7, 1), "last_date": date(2026, 8, 31),
        "opening_hours": {**data["center"]["opening_hours"], "sat": "closed"}}]
    # an outbound queue fed by a campaign, so the campaign models are reachable too
    data["queues"].append({"id": "collections_out", "channel": "outbound", "skill": "billing",
                           "language": "es"})
    data["campaigns"] = [{
        "id": "early_arrears", "queue": "collections_out", "records": 2000, "max_attempts": 3,
        "contact_rate": {"default": 0.3, "by_hour": {18: 0.4}}, "aht_seconds": 240,
        "dialing": "predictive", "pacing_ratio": 2.5, "contacts_per_day": 150,
        "calling_windows": {**{d: "09:00-21:00" for d in ("mon", "tue", "wed", "thu", "fri")},
                            "sat": "10:00-14:00", "sun": "closed"}}]
    # the leader rule and an off-phone activity, so their models are reachable too
    data["leadership"] = {"supervisor_from_agents": 6, "max_agents_per_leader": 15}
    data["activities"] = [{"id": "meeting", "duration_minutes": 30,
                           "frequency": "per_team_week", "attendance": 0.8,
                           "attendees": {"hired_within_days": 30}}]
    data["adherence"]["states"] = {name: category for name, category in
                                   data["adherence"]["states"].items()
                                   if category not in ("coaching", "team_meeting", "induction",
                                                       "calibration")}
    data["adherence"]["states"]["Meeting"] = "meeting"
    return data


def _refused(path: list, value: object) -> str:
    """The BadInput message for the example with ``value`` at ``path``."""
    data = _example_with_hours_mapping()
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(BadInput) as caught:
        parse_config(data, "c.yaml")
    return str(caught.value)


def _dotted(path: list) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def test_every_model_is_covered_by_the_type_tests():
    from wfm.config import CenterConfig

    assert _models_below(CenterConfig) == set(_sections())
    # The example hours mapping and each section path must exist and load.
    cfg = parse_config(_example_with_hours_mapping())
    assert cfg.center.hours_on(0)[0].open_minute == 480


def test_numeric_field_lists_are_complete():
    numbers, wholes = _fields_of(float), _fields_of(int)
    assert len(numbers) == 42 and len(wholes) == 27
    assert (["queues", 0], "answer_seconds") in numbers
    assert (["queues", 0], "patience_seconds") in numbers
    assert (["solver"], "seed") in wholes
    assert (["center", "opening_hours", "mon", 0], "open_minute") in wholes


@pytest.mark.parametrize(("section", "name"), _fields_of(float) + _fields_of(int))
@pytest.mark.parametrize("value", ["20", "1", True, False])
def test_numbers_given_as_text_or_booleans_are_refused(section, name, value):
    message = _refused([*section, name], value)
    assert message.startswith(f"c.yaml: {_dotted([*section, name])}: expected a ")
    assert ("the text" if isinstance(value, str) else "(a boolean)") in message


@pytest.mark.parametrize(("section", "name"), _fields_of(float))
@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_non_finite_numbers_are_refused(section, name, value):
    message = _refused([*section, name], value)
    assert message.startswith(f"c.yaml: {_dotted([*section, name])}: expected a finite number")


@pytest.mark.parametrize(("section", "name"), _fields_of(int))
def test_whole_numbers_refuse_decimals(section, name):
    assert f"{_dotted([*section, name])}: expected a whole number, got 1.5" in \
        _refused([*section, name], 1.5)


def test_an_int_is_fine_where_a_decimal_is_expected(example_cfg):
    assert example_cfg.queue("billing_es").answer_seconds == 20.0
    assert isinstance(example_cfg.labor_rules.min_rest_hours, float)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["center", "holidays", "closed"], "yes"),
        (["center", "holidays", "closed"], 1),
        (["center", "holidays", "closed"], "true"),
        (["center", "holidays", "closed"], 0),
        (["shift_templates", 0, "breaks", 0, "paid"], "no"),
        (["shift_templates", 0, "breaks", 1, "paid"], 0),
        (["shift_templates", 0, "breaks", 1, "paid"], None),
    ],
)
def test_booleans_must_be_yaml_booleans(path, value):
    message = _refused(path, value)
    assert message.startswith(f"c.yaml: {_dotted(path)}: expected true or false")


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (["center", "interval_minutes"], "15", "center.interval_minutes: got '15'; allowed:"),
        (["center", "interval_minutes"], True, "center.interval_minutes: got True; allowed:"),
        (["shrinkage", "by_hour"], {"9": 0.3}, "shrinkage.by_hour.9 (key): expected a whole"),
        (["shrinkage", "by_hour"], {True: 0.3}, "(key): expected a whole number, got true"),
        (["shrinkage", "by_weekday", "mon"], "0.3", "shrinkage.by_weekday.mon: expected a"),
        (["shrinkage"], True, "shrinkage: expected a mapping, got true (a boolean)"),
        (["shrinkage"], "0.3", "shrinkage: expected a mapping"),
        (["center", "holidays", "extra_closed_dates"], [20261201],
         "center.holidays.extra_closed_dates[0]: expected a date YYYY-MM-DD, got 20261201"),
        (["center", "holidays", "open_dates"], [0], "open_dates[0]: expected a date"),
        (["center", "holidays", "country"], False, "YAML reads unquoted yes/no/on/off"),
        (["center", "opening_hours", "mon"], {"open_minute": "480", "close_minute": 1260},
         "center.opening_hours.mon[0].open_minute: expected a whole number"),
        (["center", "holidays", "subdivision"], "MD", None),
    ],
)
def test_other_coercions_are_refused(path, value, expected):
    data = with_change(path, value)
    if expected is None:  # a subdivision without a country
        del data["center"]["holidays"]["country"]
        expected = "center.holidays.subdivision: has no effect without country"
    with pytest.raises(BadInput) as caught:
        parse_config(data, "c.yaml")
    assert expected in str(caught.value)
    assert str(caught.value).startswith("c.yaml: ")


def test_dates_and_paths_still_load(example_cfg):
    from datetime import date

    bank = load_config(EXAMPLE_CONFIG.parent / "us_bank.yaml")
    assert bank.center.holidays.open_dates == [date(2003, 10, 13)]
    cfg = parse_config(with_change(["center", "holidays", "extra_closed_dates"],
                                   [date(2026, 12, 1), "2026-12-02"]))
    assert cfg.center.holidays.extra_closed_dates == [date(2026, 12, 1), date(2026, 12, 2)]
    assert example_cfg.inputs.agents.name == "agents.csv"


def test_a_number_text_gets_a_yaml_hint(tmp_path: Path):
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    for written, hint in (("1e3", "YAML reads 1e3 as text: write 1.0e+3"),
                          ('"60"', "write the number without quotes")):
        path = tmp_path / "c.yaml"
        path.write_text(text.replace("time_limit_seconds: 60", f"time_limit_seconds: {written}"),
                        encoding="utf-8")
        with pytest.raises(BadInput, match=re.escape(hint)):
            load_config(path)


@pytest.mark.parametrize("written", [".inf", "-.inf", ".nan", ".NaN", "1.0e+400"])
def test_non_finite_yaml_numbers_are_refused(tmp_path: Path, written):
    path = tmp_path / "c.yaml"
    path.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
        "under_coverage: 1000", f"under_coverage: {written}"), encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: objective.under_coverage: expected a finite")


# ---------------------------------------------------------------- keys that change nothing

SERVICE_KEYS = {"answer_seconds": 30, "service_level_target": 0.9, "patience_seconds": 120,
                "max_abandon_rate": 0.05, "erlang_model": "erlang_a", "max_asa_seconds": 40}


def _outbound(data: dict) -> dict:
    """The example data with the email queue (queues[5]) turned into an outbound one."""
    data["queues"][5]["channel"] = "outbound"
    del data["queues"][5]["response_hours"]
    return data


INERT_CASES = [
    *[(None, 5, key, value, "has no effect on an email queue (deferred work is judged by "
       "response_hours or due_time)") for key, value in SERVICE_KEYS.items()
      if key != "service_level_target"],
    *[(_outbound, 5, key, value, "has no effect on an outbound queue (wfm projects no "
       "service level") for key, value in SERVICE_KEYS.items()],
    (None, 5, "concurrency", 1, "has no effect on an email queue"),
    (_outbound, 5, "concurrency", 2, "has no effect on an outbound queue"),
    (_outbound, 5, "response_hours", 8, "has no effect on an outbound queue"),
    (_outbound, 5, "due_time", "17:00", "has no effect on an outbound queue"),
    (None, 1, "starting_backlog", 40, "has no effect on a voice queue"),
    (None, 0, "concurrency", 1,
     "has no effect on a voice queue (only a chat agent handles several contacts at once)"),
    (None, 1, "response_hours", 8, "has no effect on a voice queue"),
    (None, 4, "response_hours", 4, "has no effect on a chat queue"),
    (None, 1, "max_abandon_rate", 0.05, "has no effect without patience_seconds"),
    (None, 4, "max_abandon_rate", 0.05, "has no effect without patience_seconds"),
    (None, 0, "erlang_model", "erlang_c", None),
]


@pytest.mark.parametrize(("prepare", "index", "key", "value", "expected"), INERT_CASES)
def test_keys_without_effect_on_the_queue_are_refused(prepare, index, key, value, expected):
    data = example_data()
    if prepare is not None:
        data = prepare(data)
    data["queues"][index][key] = value
    path = f"queues[{index}].{key}"
    if expected is None:  # erlang_c leaves the queue's patience_seconds unused
        path = f"queues[{index}].patience_seconds"
        expected = "has no effect with erlang_model erlang_c (patience is used by Erlang A only)"
    with pytest.raises(BadInput) as caught:
        parse_config(data, "c.yaml")
    assert str(caught.value).startswith(f"c.yaml: {path}: {expected}")


def test_keys_with_effect_and_nulls_are_accepted():
    data = _outbound(example_data())
    data["queues"][5].update(max_occupancy=0.9, min_agents=2, patience_seconds=None)
    data["queues"][0].update(max_abandon_rate=0.05, erlang_model="erlang_a")
    data["queues"][1].update(response_hours=None, erlang_model="erlang_c")
    data["queues"][4].update(concurrency=3, patience_seconds=300)
    cfg = parse_config(data)
    assert cfg.queue("email_es").min_agents == 2
    assert cfg.queue("billing_es").max_abandon_rate == 0.05
    assert cfg.queue("chat_es").model == "erlang_a"


def test_a_dump_leaves_out_unused_keys_and_loads_again():
    data = _outbound(example_data())
    data["queues"][4]["patience_seconds"] = 300
    cfg = parse_config(data)
    dumped = cfg.model_dump(mode="json")
    assert "answer_seconds" not in dumped["queues"][5]
    assert "concurrency" not in dumped["queues"][0]
    assert "response_hours" not in dumped["queues"][4]
    assert dumped["queues"][4]["concurrency"] == 2
    assert dumped["queues"][0]["patience_seconds"] == 180
    assert parse_config(dumped) == cfg


def _agents_needed(cfg, queue_id: str, **changes) -> list[int]:
    """Agents per interval of one queue over a Tuesday, with ``changes`` set on the queue
    without validation (so even refused keys can be tried)."""
    from datetime import date

    import pandas as pd

    from wfm.calendar import interval_grid
    from wfm.staffing.requirements import requirements_from_forecast

    queues = [q.model_copy(update=changes) if q.id == queue_id else q for q in cfg.queues]
    cfg = cfg.model_copy(update={"queues": queues})
    grid = interval_grid(cfg.center, date(2026, 11, 3), 1)
    forecast = pd.DataFrame({"interval_start": grid["interval_start"], "queue": queue_id,
                             "offered": [float(20 + 5 * (i % 7)) for i in range(len(grid))],
                             "aht_seconds": 300.0})
    requirements = requirements_from_forecast(forecast, cfg)
    return requirements["agents_needed"].tolist()


REFUSED_CHANGES = {"answer_seconds": 5.0, "service_level_target": 0.99,
                   "patience_seconds": 30.0, "max_abandon_rate": 0.01,
                   "max_asa_seconds": 1.0, "concurrency": 3, "response_hours": 1.0}


@pytest.mark.parametrize("channel", ["email", "outbound", "voice"])
def test_refused_keys_indeed_change_no_requirement(example_cfg, channel):
    queue = example_cfg.queue("email_es").model_copy(update={"channel": channel})
    cfg = example_cfg.model_copy(update={"queues": [queue]})
    inert = set(queue._inert_keys())
    if channel == "voice":  # live sizing would divide by it: values above 1 stay refused
        inert.remove("concurrency")
    assert inert, channel
    base = _agents_needed(cfg, "email_es")
    for key in inert & set(REFUSED_CHANGES):
        assert _agents_needed(cfg, "email_es", **{key: REFUSED_CHANGES[key]}) == base, key
    # ... while each key the channel keeps does change them.
    kept = {"email": {"response_hours": 1.0, "max_occupancy": 0.5, "min_agents": 40},
            "outbound": {"max_occupancy": 0.5, "min_agents": 40},
            "voice": {"answer_seconds": 2.0, "service_level_target": 0.99,
                      "max_occupancy": 0.5, "min_agents": 40}}[channel]
    for key, value in kept.items():
        assert _agents_needed(cfg, "email_es", **{key: value}) != base, key


# ---------------------------------------------------------------- response windows

def _center_with_interval(minutes: int, response_hours: float) -> dict:
    """The example data on ``minutes`` intervals (one template that fits any of them)."""
    data = example_data()
    data["center"]["interval_minutes"] = minutes
    # no off-phone activities: their half hours do not fit 60-minute intervals
    del data["activities"], data["adherence"]
    data["shift_templates"] = [{"id": "t8", "contracts": ["full_time"], "length_minutes": 480,
                                "earliest_start": "08:00", "latest_start": "12:00",
                                "start_step_minutes": 60}]
    data["queues"][5]["response_hours"] = response_hours
    return data


@pytest.mark.parametrize(
    ("minutes", "hours", "expected"),
    [
        (30, 0.1, "0.1 h is shorter than one 30-minute interval; use 0.5 or more"),
        (15, 0.1, "shorter than one 15-minute interval; use 0.25 or more"),
        (60, 0.5, "shorter than one 60-minute interval; use 1 or more"),
        (30, 1.25, "1.25 h is not a whole number of 30-minute intervals (it would act as 1); "
                   "use 1 or 1.5"),
        (15, 8.1, "use 8 or 8.25"),
        (60, 2.5, "use 2 or 3"),
    ],
)
def test_response_hours_must_be_whole_intervals(minutes, hours, expected):
    with pytest.raises(BadInput) as caught:
        parse_config(_center_with_interval(minutes, hours), "c.yaml")
    message = str(caught.value)
    assert message.startswith("c.yaml: queues[5].response_hours: ") and message.endswith(expected)
    assert f"{hours:g} h" in message


@pytest.mark.parametrize(("minutes", "hours"), [(15, 0.25), (15, 8), (30, 0.5), (30, 1.5),
                                                 (60, 1), (60, 24)])
def test_whole_response_windows_load(minutes, hours):
    cfg = parse_config(_center_with_interval(minutes, hours))
    assert cfg.queue("email_es").response_hours == hours


def test_a_refused_window_would_have_acted_as_a_shorter_one(example_cfg):
    """Why the rule exists: sizing floors the window to whole intervals."""
    cfg = parse_config(_center_with_interval(30, 0.5))
    assert _agents_needed(cfg, "email_es", response_hours=0.1) == \
        _agents_needed(cfg, "email_es", response_hours=0.5)


# ---------------------------------------------------------------- the file itself

def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _example_text(old: str, new: str) -> str:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    return text.replace(old, new, 1)


def _line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``fragment``."""
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return lines[occurrence - 1]


@pytest.mark.parametrize(
    ("old", "new", "key", "path"),
    [
        ("    answer_seconds: 30\n    max_asa_seconds: 30\n",
         "    answer_seconds: 30\n    max_asa_seconds: 30\n    answer_seconds: 45\n",
         "answer_seconds: 45", "queues[2].answer_seconds"),
        ("solver:\n", "solver:\n  seed: 1\n", "seed: 0", "solver.seed"),
        ("planning:\n", "solver:\n  seed: 1\nplanning:\n", "solver:", "solver"),
        ("    sat: 0.25", "    sat: 0.25\n    'sat': 0.2", "'sat': 0.2",
         "shrinkage.by_weekday.sat"),
        ("      - {activity: break, duration_minutes: 15, paid: true, earliest_start_minutes: 90",
         "      - {activity: break, paid: false, duration_minutes: 15, paid: true, "
         "earliest_start_minutes: 90", "paid: false, duration",
         "shift_templates[0].breaks[0].paid"),
    ],
)
def test_duplicate_keys_are_refused_with_line_and_path(tmp_path: Path, old, new, key, path):
    text = _example_text(old, new)
    config = _write(tmp_path, text)
    occurrence = 2 if key == "solver:" else 1
    line = _line_of(text, key, occurrence)
    with pytest.raises(BadInput) as caught:
        load_config(config)
    assert str(caught.value).startswith(f"{config}: line {line}: {path}: duplicate key")


def test_merge_keys_may_override(tmp_path: Path):
    text = _example_text("  - id: billing_en\n", "  - &billing_en\n    id: billing_en\n")
    text = text.replace("  - id: technical_es\n",
                        "  - <<: *billing_en\n    id: billing_fr\n    language: fr\n"
                        "  - id: technical_es\n", 1)
    cfg = load_config(_write(tmp_path, text))
    assert cfg.queue("billing_fr").answer_seconds == cfg.queue("billing_en").answer_seconds
    assert cfg.queue("billing_fr").language == "fr"


def test_a_config_that_is_not_utf8_is_refused_with_line_and_column(tmp_path: Path):
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    path = tmp_path / "latin1.yaml"
    path.write_bytes(text.encode("latin-1"))
    line = _line_of(text, "Facturación")
    column = text.splitlines()[line - 1].index("ó") + 1
    with pytest.raises(BadInput) as caught:
        load_config(path)
    assert str(caught.value) == (f"{path}: line {line}, column {column}: not UTF-8 text "
                                 "(byte 0xf3); save the file as UTF-8")


def test_a_utf8_byte_order_mark_is_fine(tmp_path: Path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE_CONFIG.read_bytes())
    assert load_config(path).queue("billing_es").label == "Facturación (ES)"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (_example_text("solver:\n", "solver:\n  workers: 4\n"), "solver.workers: duplicate key"),
        (EXAMPLE_CONFIG.read_text(encoding="utf-8").encode("cp1252"), "not UTF-8 text"),
        (_example_text("under_coverage: 1000", "under_coverage: .inf"),
         "objective.under_coverage: expected a finite number"),
    ],
    ids=["duplicate key", "not utf-8", "infinite"],
)
def test_cli_validate_refuses_bad_config_files_with_exit_2(tmp_path: Path, content, expected):
    from typer.testing import CliRunner

    from wfm.cli.main import app

    path = tmp_path / "bad.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "--config", str(path)])
    assert result.exit_code == 2, result.output
    assert f"{path}: " in result.output and expected in result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
