"""The config sections of the reports over actuals: `kpi` and `adherence`."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from wfm.config import parse_config
from wfm.errors import BadInput
from wfm.io.tables import STATE_CATEGORIES
from wfm.reports.indicators import service_level_formula_text

EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "example.yaml"


def with_sections(**sections: object) -> dict:
    data = copy.deepcopy(yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8")))
    data.update(sections)
    return data


def test_defaults_name_states_like_their_categories() -> None:
    data = with_sections()
    del data["kpi"], data["adherence"]
    cfg = parse_config(data)
    assert cfg.kpi.service_level_formula == "offered"
    assert cfg.adherence.grace_minutes == 3
    assert cfg.adherence.states == {c: c for c in STATE_CATEGORIES}


@pytest.mark.parametrize(("sections", "message"), [
    ({"kpi": {"short_abandon_seconds": 5}},
     "kpi.short_abandon_seconds: has no effect unless service_level_formula is "
     "offered_less_short_abandons"),
    ({"kpi": {"service_level_formula": "offered_less_short_abandons"}},
     "kpi.short_abandon_seconds: is needed with service_level_formula"),
    ({"kpi": {"service_level_formula": "handled"}},
     "kpi.service_level_formula: got 'handled'; allowed: 'offered', "
     "'offered_less_short_abandons' or 'answered'"),
    ({"adherence": {"states": {"Ready": "ready"}}}, "adherence.states.Ready: got 'ready'"),
    ({"adherence": {"states": {"Ready": "available", " Ready ": "on_contact"}}},
     "state 'Ready' is named twice"),
    ({"adherence": {"states": {}}}, "name at least one state"),
    ({"adherence": {"grace_minutes": -1}}, "adherence.grace_minutes"),
    ({"adherence": {"grace_minutes": "3"}}, "adherence.grace_minutes: expected a number"),
    ({"adherence": {"late": 3}}, "adherence.late: unknown key"),
])
def test_bad_report_settings_name_the_key(sections: dict, message: str) -> None:
    with pytest.raises(BadInput, match=None) as raised:
        parse_config(with_sections(**sections), "center.yaml")
    assert message in str(raised.value)


def test_formula_text_names_the_variant_and_threshold() -> None:
    cfg = parse_config(with_sections(kpi={"service_level_formula": "offered_less_short_abandons",
                                          "short_abandon_seconds": 5}))
    text = service_level_formula_text(cfg.kpi)
    assert "(answered + abandoned - abandoned within 5 s)" in text
    assert "offered_less_short_abandons" in text
    answered = parse_config(with_sections(kpi={"service_level_formula": "answered"}))
    assert service_level_formula_text(answered.kpi).startswith(
        "service level = answered within the queue's answer_seconds / answered ")
