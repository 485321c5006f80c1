"""The leader rule's repair (`wfm.schedule.leaders.team_schedules`): each set of teams
solved on its own, one that finds nothing in its share neither stopping the others nor
given up before the time is spent."""

from __future__ import annotations

import pytest

import wfm.schedule.leaders as leaders
from tests.test_schedule_people import LEAD, MONDAY, center, demand, person
from wfm.schedule.instance import build_instance


def two_teams() -> tuple:
    cfg = center(leadership=LEAD)
    agents = []
    for team in ("A", "B"):
        agents += [person(f"{team}{i}").model_copy(update={"team": team}) for i in range(4)]
        agents.append(person(f"{team}-tl", "team_leader").model_copy(update={"team": team}))
    need = demand(cfg, {d: [("08:00", "18:00", 4)] for d in range(5)})
    return build_instance(cfg, agents, need, MONDAY, 5), agents


def test_every_team_gets_shifts_keeping_the_rule() -> None:
    inst, agents = two_teams()
    repair = leaders.team_schedules(inst, None, 20.0, 2, 0)
    assert repair.complete and repair.unsolved == []
    assert set(repair.shifts) == {a.agent_id for a in agents}


def test_a_team_not_solved_in_its_share_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    inst, agents = two_teams()
    original, calls = leaders._component, []

    def slow_first(inst, component, *args, **kwargs):  # noqa: ANN001, ANN202
        calls.append(component)
        if component == ["A"] and calls.count(["A"]) == 1:
            return None  # nothing found in the first share
        return original(inst, component, *args, **kwargs)

    monkeypatch.setattr(leaders, "_component", slow_first)
    repair = leaders.team_schedules(inst, None, 20.0, 2, 0)
    assert calls == [["A"], ["B"], ["A"]]
    assert repair.complete
    assert set(repair.shifts) == {a.agent_id for a in agents}


def test_a_team_never_solved_is_named_and_the_others_kept(
        monkeypatch: pytest.MonkeyPatch) -> None:
    inst, agents = two_teams()
    original = leaders._component
    monkeypatch.setattr(leaders, "_component", lambda inst, component, *a, **k: (
        None if component == ["A"] else original(inst, component, *a, **k)))
    repair = leaders.team_schedules(inst, None, 20.0, 2, 0)
    assert not repair.complete
    assert repair.unsolved == [["A"]]
    assert repair.describe_unsolved() == "'A'"
    assert set(repair.shifts) == {a.agent_id for a in agents if a.team == "B"}
