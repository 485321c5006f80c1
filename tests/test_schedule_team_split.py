"""The large-roster path's constructive steps with people: leaders' weeks first and each
team's agents where its leaders watch (`team_split`), sessions placed on a finished plan
with plain agents' breaks moved out of their way (`session_greedy`), and the coverage
bound with the leaders' queue share."""

from __future__ import annotations

from test_schedule_people import (
    LEAD,
    MONDAY,
    TEAM,
    TUESDAY,
    center,
    demand,
    person,
)

from wfm.people import campaign_leaders, team_agents, team_leaders
from wfm.roster import Agent
from wfm.schedule.extract import WORK
from wfm.schedule.instance import BreakSlot, ShiftOption, build_instance
from wfm.schedule.session_greedy import moved_breaks
from wfm.schedule.solve import coverage_lp
from wfm.schedule.team_split import split_with_leaders

BUSY = [("08:00", "18:00", 9)]


def _team_instance(**changes: object):
    cfg = center(leadership=LEAD, **changes)
    agents = [person(a) for a in TEAM]
    agents += [person("c1", leads=("T",)), person("c2", leads=("T",))]
    agents.append(person("tl", "team_leader", unavailable_dates=frozenset({TUESDAY})))
    need = demand(cfg, {d: BUSY for d in range(5)})
    return build_instance(cfg, agents, need, MONDAY, 5, None)


def test_the_split_keeps_each_team_where_its_leaders_watch() -> None:
    inst = _team_instance()
    # every option of every group wanted by everyone: the counts alone would put all ten
    # agents on shift all day, Tuesday too, when the team's only leader is off
    counts = {(g.index, k): float(g.size) for g in inst.groups
              for keys in g.options.values() for k in keys}
    shifts = split_with_leaders(inst, inst.groups, counts, seed=0)
    assert set(shifts) == {a.agent_id for a in inst.agents}
    agents = team_agents(inst.agents)["T"]
    leaders = team_leaders(inst.agents)["T"]
    campaign = campaign_leaders(inst.agents)["T"]

    def on(ids: list[str], i: int) -> int:
        return sum(1 for p in ids for k in shifts[p]
                   if inst.options[k].first_interval <= i
                   < inst.options[k].first_interval + inst.options[k].n_intervals)

    working = 0
    for i in range(inst.n_intervals):
        count = on(agents, i)
        working += count
        if count >= LEAD["supervisor_from_agents"]:
            assert on(leaders, i) > 0, i
        if count:
            assert on(leaders, i) + on(campaign, i) > 0, i
    assert working > 0
    tuesday = [k for p in agents for k in shifts[p] if inst.options[k].day == 1]
    assert tuesday  # the campaign leaders watch a few agents on the leader's day off


def _option(breaks: tuple[BreakSlot, ...], length: int = 12) -> ShiftOption:
    return ShiftOption(key=0, day=0, template="t", start_minute=0, end_minute=length * 30,
                       wall_start=480, wall_end=480 + length * 30, first_interval=0,
                       n_intervals=length, length_intervals=length, paid_minutes=length * 30,
                       breaks=breaks)


def test_a_break_in_a_sessions_way_moves_to_another_offset_of_its_slot() -> None:
    slot = BreakSlot("break", (4, 5, 6, 7), 1, True)
    o = _option((slot,))
    row = [(WORK, 0)] * 12
    row[5] = ("break", -1)
    changes = moved_breaks(o, row, 4, 2, spacing=2)  # a session on cells 4 and 5
    assert changes == {5: (WORK, -1), 6: ("break", -1)}
    # the only other offsets lie in the session: nowhere to go
    tight = BreakSlot("break", (4, 5), 1, True)
    assert moved_breaks(_option((tight,)), row, 4, 2, spacing=2) is None


def test_a_moved_break_keeps_its_spacing_from_the_next_one() -> None:
    first = BreakSlot("break", (2, 3, 4), 1, True)
    second = BreakSlot("lunch", (7, 8, 9), 1, False)
    o = _option((first, second))
    row = [(WORK, 0)] * 12
    row[3], row[7] = ("break", -1), ("lunch", -1)
    # a session on cells 2 and 3: the break can only go to 4, three cells before the lunch
    assert moved_breaks(o, row, 2, 2, spacing=3) is None
    assert moved_breaks(o, row, 2, 2, spacing=2) == {3: (WORK, -1), 4: ("break", -1)}


def test_the_bound_counts_the_leaders_queue_share() -> None:
    # the team's leader is needed on the queue: at a quarter of its time the bound rises
    few = center(leadership={**LEAD, "leader_queue_share": 0.25})
    full = center(leadership={**LEAD, "leader_queue_share": 1.0})
    agents = [person("a1"), Agent(agent_id="tl", name="TL", team="T", skills={"sales": 1.0},
                                  languages=("es",), contract="full", role="team_leader")]
    bounds = []
    for cfg in (few, full):
        need = demand(cfg, {d: [("08:00", "18:00", 2)] for d in range(5)})
        inst = build_instance(cfg, agents, need, MONDAY, 5, None)
        bounds.append(coverage_lp(inst, 20.0).coverage_bound)
    assert bounds[0] > bounds[1] > 0
