"""Roles in the roster, the leadership and activities config, and the sessions a horizon
calls for (`wfm.people`)."""

from __future__ import annotations

import copy
from datetime import date

import pandas as pd
import pytest

from tests.test_check import BASE_CONFIG, MONDAY, ROSTER, make_cfg
from wfm.errors import BadInput
from wfm.io.inputs import parse_roster, roster_table
from wfm.people import activity_sessions, campaign_leaders, team_agents, team_leaders

PEOPLE = [
    {"agent_id": "tl", "name": "Tess", "team": "t", "skills": "", "languages": "",
     "contract": "full_time", "role": "team_leader"},
    {"agent_id": "sv", "name": "Sam", "team": "office", "skills": "billing",
     "languages": "es", "contract": "full_time", "role": "supervisor", "leads": "t;u"},
    {"agent_id": "tr", "name": "Tom", "team": "office", "skills": "", "languages": "",
     "contract": "full_time", "role": "trainer"},
    {"agent_id": "cl", "name": "Cleo", "team": "u", "skills": "billing", "languages": "es",
     "contract": "full_time", "leads": "u", "hire_date": "2026-03-01"},
]


def roster(cfg, rows=None, **changes):
    rows = copy.deepcopy(rows if rows is not None else ROSTER + PEOPLE)
    for agent_id, values in changes.items():
        next(r for r in rows if r["agent_id"] == agent_id).update(values)
    return parse_roster(pd.DataFrame(rows).fillna(""), cfg, "agents.csv")


def test_roles_and_teams_read_from_the_roster() -> None:
    cfg = make_cfg()
    people = {a.agent_id: a for a in roster(cfg)}
    assert people["a1"].role == "agent" and people["tl"].role == "team_leader"
    assert people["tl"].led_teams == ("t",)  # a leader without leads leads its own team
    assert people["sv"].led_teams == ("t", "u")
    assert people["cl"].is_campaign_leader and people["cl"].hire_date == date(2026, 3, 1)
    assert not people["tr"].takes_contacts and people["tr"].skills == {}
    agents = list(people.values())
    assert team_agents(agents) == {"t": ["a1", "a2"]}  # the campaign leader leads u
    assert team_leaders(agents) == {"t": ["tl", "sv"], "u": ["sv"]}
    assert campaign_leaders(agents) == {"u": ["cl"]}
    table = roster_table(agents)
    assert list(table.loc[table["agent_id"] == "sv", "leads"]) == ["t;u"]
    assert parse_roster(table.fillna(""), cfg)[3].leads == ("t", "u")


@pytest.mark.parametrize(("change", "message"), [
    ({"tl": {"role": "boss"}}, "row 4, column role: unknown role 'boss'"),
    ({"tr": {"skills": "billing", "languages": "es"}},
     "row 6, column skills: a trainer takes no contacts"),
    ({"tr": {"leads": "t"}}, "row 6, column leads: a trainer takes no contacts"),
    ({"cl": {"leads": "nobody"}}, "row 7, column leads: no one is in team 'nobody'"),
    ({"a1": {"skills": ""}}, "row 2, column skills: empty"),
    ({"tl": {"languages": "es"}}, "row 4, column languages: a team_leader without skills"),
    ({"cl": {"hire_date": "March"}}, "row 7, column hire_date"),
])
def test_roster_refuses_roles_that_do_not_fit(change: dict, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        roster(make_cfg(), **change)


def activity(**fields) -> dict:
    return {"id": "coaching", "duration_minutes": 30, "frequency": "per_agent_week", **fields}


@pytest.mark.parametrize(("entry", "message"), [
    (activity(id="break"), "activities.0.id|activities\\[0\\].id: 'break' is a name wfm"),
    (activity(duration_minutes=20), "duration_minutes: must be a multiple of the 15"),
    (activity(attendance=0.5), "attendance: has no effect with frequency per_agent_week"),
    (activity(frequency="once", host="leader"), "host: leader names the leader of one team"),
    (activity(window="10:00-10:15"), "duration_minutes: is longer than the window"),
    (activity(window="10:10-12:00"), "window: must start and end on the 15-minute"),
    (activity(attendees={"skills": ["sales"]}), "attendees.skills: 'sales' is no queue's"),
    (activity(attendees={"roles": ["boss"]}), "attendees.roles\\[0\\]: got 'boss'"),
    (activity(days=[]), "days: give at least one weekday"),
    (activity(host="coach"), "host: got 'coach'"),
    (activity(shift_edge_minutes=10), "shift_edge_minutes: must be a multiple"),
])
def test_config_refuses_bad_activities(entry: dict, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        make_cfg(activities=[entry])


def test_config_refuses_a_repeated_activity_and_bad_leadership() -> None:
    with pytest.raises(BadInput, match="activities\\[1\\].id: 'coaching' is named twice"):
        make_cfg(activities=[activity(), activity()])
    with pytest.raises(BadInput, match="leadership.leader_queue_share"):
        make_cfg(leadership={"leader_queue_share": 1.5})
    with pytest.raises(BadInput, match="leadership.supervisor_from_agents"):
        make_cfg(leadership={"supervisor_from_agents": 0})


def test_roster_refuses_activity_selectors_it_cannot_meet() -> None:
    cfg = make_cfg(activities=[activity(attendees={"teams": ["x"]})])
    with pytest.raises(BadInput, match="no one is in team 'x', which activities\\[0\\]"):
        roster(cfg)
    cfg = make_cfg(activities=[activity(attendees={"agents": ["zz"]})])
    with pytest.raises(BadInput, match="no agent 'zz', which activities\\[0\\].attendees"):
        roster(cfg)


def test_sessions_per_agent_week_per_team_week_and_once() -> None:
    cfg = make_cfg(activities=[
        activity(host="leader"),
        {"id": "meeting", "duration_minutes": 30, "frequency": "per_team_week",
         "host": "leader", "attendance": 0.5},
        {"id": "induction", "duration_minutes": 120, "frequency": "once", "host": "trainer",
         "attendees": {"hired_within_days": 30}},
    ])
    agents = roster(cfg)
    sessions = {s.id: s for s in activity_sessions(cfg, agents, MONDAY, 15)}
    # 15 days: two 7-day blocks (the last day gets no weekly session) and one induction
    coaching = sorted(i for i in sessions if i.startswith("coaching"))
    assert coaching == ["coaching:2026-03-16:a1", "coaching:2026-03-16:a2",
                        "coaching:2026-03-16:cl", "coaching:2026-03-23:a1",
                        "coaching:2026-03-23:a2", "coaching:2026-03-23:cl"]
    first = sessions["coaching:2026-03-16:a1"]
    assert first.attendees == ("a1",) and first.need == 1 and first.hosts == ("tl", "sv")
    assert len(first.dates) == 7 and first.dates[0] == MONDAY
    assert sessions["coaching:2026-03-16:cl"].hosts == ("sv",)
    meeting = sessions["meeting:2026-03-16:t"]
    assert meeting.attendees == ("a1", "a2") and meeting.need == 1 and meeting.team == "t"
    induction = sessions["induction:2026-03-16"]
    assert induction.attendees == ("cl",) and induction.hosts == ("tr",)
    assert len(induction.dates) == 15
    # hired 30 days before the horizon at most: a later horizon has no new hire
    assert not [s for s in activity_sessions(cfg, agents, date(2026, 5, 4), 7)
                if s.activity == "induction"]


def test_base_config_is_untouched() -> None:
    assert "activities" not in BASE_CONFIG and "leadership" not in BASE_CONFIG
