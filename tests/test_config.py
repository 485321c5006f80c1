from __future__ import annotations

import copy
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
    assert saturday.open_minutes < example_cfg.center.hours_on(0).open_minutes
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
        (["center", "opening_hours", "mon"], "21:00-08:00", "closing time must be after"),
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
