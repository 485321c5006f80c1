"""The leader on duty in the models: the rule's rows, leaders' time on queues, and a per-team
model that proves the rule can be kept (or names what breaks it) and repairs shifts to keep it.

A team's agents, leaders and campaign leaders are `wfm.people`'s. In every interval, with
``A`` the team's agents on shift, ``L`` its leaders on duty and ``C`` its campaign leaders
on duty (``on duty``: on shift and not on a break, `CoverageVars.on_duty` of their own
classes), the rows are

- ``leader_coverage``: ``A - (n - N + 1) L <= N - 1`` (from ``N`` =
  ``supervisor_from_agents`` agents a leader; ``n`` the team's agents) and
  ``A - n (L + C) <= 0`` (from one agent a leader or a campaign leader);
- ``span_of_control``: ``A - m (L + C) <= 0`` with ``m`` = ``max_agents_per_leader``;
- ``leader_queue_share``: per leader and day, the intervals on queues at most
  ``floor(share * length)`` of the shift worked.

``A`` is a sum of per-agent shift variables, or a constant when the shifts are fixed
(`TeamCounts`), so the rows hold in the exact model, the large-roster per-agent model and
every placement of breaks for fixed shifts. The coverage LP leaves them out; the leader
rule's LP (`solve.leader_lp`) holds them on group counts, each person's share of their
group's count on shift (`group_on_shift`), a leader on shift counted as on duty: both
bounds stay bounds.

`team_schedules` solves, per set of teams linked by shared leaders, a model of their
people's own rules, the leaders' breaks and the rows above (HiGHS with some shifts held,
CP-SAT with everyone free; CP-SAT with an assumption per rule names the rules that
conflict when there is no schedule, raised as `InfeasibleRules`), and returns shifts for
those people that keep them, as close as it finds to the ones it is given (a day worked
where it was off, or off where it worked, costs most; a start moved costs by how far). It
first tries everyone on the shifts given, only the leaders' breaks free (a start built
for the rule, `team_split`, mostly passes there); then the team's agents on the shifts
given and only its leaders and campaign leaders free, a small model that most splits need
no more than; then everyone free.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from math import floor

import numpy as np

from wfm.errors import InfeasibleRules
from wfm.people import campaign_leaders, team_agents, team_leaders
from wfm.schedule.activities import interval_days, model_tags
from wfm.schedule.coverage import CoverageVars, add_coverage
from wfm.schedule.instance import Instance, agent_classes
from wfm.schedule.linear import INF, LinearModel, LpSolver, solve_cp
from wfm.schedule.rules import add_agent_rules

LEADER_COVERAGE = "leader_coverage"
SPAN_OF_CONTROL = "span_of_control"
LEADER_QUEUE_SHARE = "leader_queue_share"
REPAIR = "repair"
# a repair within this share of its best bound is good enough: on the sample center at
# 0.05 the leaders' models took 3-6 s each (10 weeks moved), at 0.5 1.3-1.4 s (36 moved),
# and the search after the start wins the coverage back
REPAIR_GAP = 0.5
HELD_SHARE = 0.8  # of a team's time for the leaders' shifts around its agents' own

#: Per interval: the terms and constant of a count of people on shift.
TeamCounts = dict[int, tuple[dict[int, float], float]]


@dataclass(frozen=True)
class Teams:
    """Who is in and who leads each team (ids)."""

    agents: dict[str, list[str]]
    leaders: dict[str, list[str]]
    campaign: dict[str, list[str]]

    @property
    def people(self) -> set[str]:
        """Everyone the leader rule is about."""
        return {p for part in (self.agents, self.leaders, self.campaign)
                for ids in part.values() for p in ids}


def teams_of(inst: Instance) -> Teams:
    """The instance's teams as `wfm.people` reads the roster."""
    return Teams(team_agents(inst.agents), team_leaders(inst.agents),
                 campaign_leaders(inst.agents))


def on_shift_terms(inst: Instance, y: dict[int, int]) -> TeamCounts:
    """Per interval, the option variables of one person that cover it."""
    found: TeamCounts = {}
    for k, v in y.items():
        o = inst.options[k]
        for i in range(o.first_interval, o.first_interval + o.n_intervals):
            found.setdefault(i, ({}, 0.0))[0][v] = 1.0
    return found


def group_on_shift(inst: Instance, group_vars: dict[tuple[int, int], int]
                   ) -> dict[str, TeamCounts]:
    """Per person, per interval, their share of their group's count on shift (the group's
    option variables over its size): summed over a team's people, the team's count, as
    the group-count model can say it."""
    found: dict[str, TeamCounts] = {}
    for group in inst.groups:
        counts: TeamCounts = {}
        for keys in group.options.values():
            for k in keys:
                o = inst.options[k]
                for i in range(o.first_interval, o.first_interval + o.n_intervals):
                    counts.setdefault(i, ({}, 0.0))[0][group_vars[group.index, k]] = (
                        1.0 / len(group.agents))
        for agent in group.agents:
            found[agent.agent_id] = counts
    return found


def fixed_on_shift(inst: Instance, keys: list[int]) -> TeamCounts:
    """Per interval, 1 where one of a person's fixed shifts covers it."""
    found: TeamCounts = {}
    for k in keys:
        o = inst.options[k]
        for i in range(o.first_interval, o.first_interval + o.n_intervals):
            found[i] = ({}, 1.0)
    return found


def add_leader_rules(model: LinearModel, inst: Instance, cover: CoverageVars,
                     on_shift: Callable[[str], TeamCounts],
                     on_duty: Callable[[str, int], dict[int, float]] | None = None,
                     ) -> None:
    """The leader-on-duty and span-of-control rows (see the module); ``on_shift(agent)``
    gives an agent's on-shift count per interval, ``on_duty(person, interval)`` the terms
    of a person on duty then (default: on duty in their own class, `CoverageVars.on_duty`)."""
    lead = inst.cfg.leadership
    if lead is None:
        return
    teams = teams_of(inst)
    if on_duty is None:
        class_of = agent_classes(inst)

        def on_duty(person: str, interval: int) -> dict[int, float]:
            return cover.on_duty.get((class_of[person], interval), {})
    interval_day = interval_days(inst)
    tags_of = model_tags(model)
    for team, members in sorted(teams.agents.items()):
        count: dict[int, tuple[dict[int, float], float]] = {}
        for agent_id in members:
            for i, (terms, constant) in on_shift(agent_id).items():
                row, base = count.get(i, ({}, 0.0))
                for v, coef in terms.items():
                    row[v] = row.get(v, 0.0) + coef
                count[i] = (row, base + constant)
        size = len(members)
        first = teams.leaders.get(team, [])
        second = teams.campaign.get(team, [])
        need = lead.supervisor_from_agents
        for i, (terms, constant) in sorted(count.items()):
            if not terms and constant <= 0:
                continue
            # the most people the terms can count (a variable of a group counts up to its size)
            reach = sum(c * model.ub[v] for v, c in terms.items()) + constant
            if len(terms) > 4:  # the count once, its rows then short
                on = model.var(0, size, f"on_shift(team={team}, interval={i})")
                model.add({on: 1.0, **{v: -c for v, c in terms.items()}}, constant, constant,
                          LEADER_COVERAGE)
                tags_of[on] = (interval_day[i], -1)
                terms, constant = {on: 1.0}, 0.0
            leaders = _duty(on_duty, first, i)
            anyone = {**leaders}
            for v, coef in _duty(on_duty, second, i).items():
                anyone[v] = anyone.get(v, 0.0) + coef
            if reach >= need:
                _add(model, terms, leaders, -(size - need + 1), need - 1 - constant,
                     LEADER_COVERAGE)
            _add(model, terms, anyone, -size, -constant, LEADER_COVERAGE)
            span = lead.max_agents_per_leader
            if span is not None and reach > span:
                _add(model, terms, anyone, -span, -constant, SPAN_OF_CONTROL)


def _duty(on_duty: Callable[[str, int], dict[int, float]], ids: list[str],
          interval: int) -> dict[int, float]:
    """The terms of the people ``ids`` on duty in ``interval``, summed."""
    found: dict[int, float] = {}
    for person in ids:
        for v, coef in on_duty(person, interval).items():
            found[v] = found.get(v, 0.0) + coef
    return found


def _add(model: LinearModel, terms: dict[int, float], duty: dict[int, float], factor: float,
         upper: float, rule: str) -> None:
    row = dict(terms)
    for v, coef in duty.items():
        row[v] = row.get(v, 0.0) + factor * coef
    if not row:
        if upper < 0:
            model.add({}, 1, 1, rule)  # a constant count no leader can cover: infeasible
        return
    model.add(row, -INF, upper, rule)


def add_queue_share(model: LinearModel, inst: Instance, cover: CoverageVars,
                    counts: dict[tuple[int, int], tuple[list[int], int]]) -> None:
    """Per leader and day: intervals on queues at most ``floor(share * length)`` of the
    option worked (``counts`` as for `add_coverage`)."""
    lead = inst.cfg.leadership
    share = lead.leader_queue_share if lead is not None else 0.0
    leaders = {inst.groups[inst.group_of_agent[a.agent_id]].class_index
               for a in inst.agents if a.is_leader}
    day_of = interval_days(inst)
    rows: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
    for (c, i, _), w in cover.work.items():
        if c in leaders:
            rows[c, day_of[i]][w] = 1.0
    for (c, k), (terms, _) in counts.items():
        if c in leaders and (c, inst.options[k].day) in rows:
            allowed = floor(share * inst.options[k].n_intervals + 1e-9)
            for v in terms:
                row = rows[c, inst.options[k].day]
                row[v] = row.get(v, 0.0) - allowed
    for row in rows.values():
        model.add(row, -INF, 0, LEADER_QUEUE_SHARE)


def team_components(inst: Instance) -> list[list[str]]:
    """Sets of teams linked by a leader or campaign leader who leads more than one."""
    teams = teams_of(inst)
    parent: dict[str, str] = {}

    def find(team: str) -> str:
        while parent.setdefault(team, team) != team:
            team = parent[team]
        return team

    for part in (teams.leaders, teams.campaign):
        by_person: dict[str, list[str]] = defaultdict(list)
        for team, ids in part.items():
            for person in ids:
                by_person[person].append(team)
        for led in by_person.values():
            for other in led[1:]:
                parent[find(other)] = find(led[0])
    for team in teams.agents:
        find(team)
    found: dict[str, list[str]] = defaultdict(list)
    for team in sorted(parent):
        found[find(team)].append(team)
    return sorted(found.values())


@dataclass(frozen=True)
class Repair:
    """Shifts keeping the leader rule per person (`team_schedules`), and the sets of teams
    for which none was found in time (their people, `component_people`, absent from
    ``shifts``)."""

    shifts: dict[str, list[int]]
    unsolved: list[list[str]]

    @property
    def complete(self) -> bool:
        return not self.unsolved

    def describe_unsolved(self) -> str:
        """The unsolved sets of teams, e.g. ``'T024'; 'T040', 'T041'`` (a set linked by a
        shared leader joined by commas)."""
        return "; ".join(", ".join(repr(t) for t in c) for c in self.unsolved)


def component_people(inst: Instance, component: list[str]) -> list[str]:
    """The agents, leaders and campaign leaders of a set of teams (`team_components`)."""
    teams = teams_of(inst)
    return sorted({p for t in component for part in (teams.agents, teams.leaders,
                                                     teams.campaign)
                   for p in part.get(t, [])})


def team_schedules(inst: Instance, targets: dict[str, list[int]] | None, seconds: float,
                   workers: int, seed: int, retry_share: float = 1.0,
                   components: list[list[str]] | None = None) -> Repair:
    """Shifts that keep the leader rule for everyone it concerns (see the module), as close
    to ``targets`` as found; raises InfeasibleRules when no schedule keeps it.

    Each set of teams gets an even share of ``seconds``; a set that finds nothing in its
    share does not stop the others, and is tried again with the time they left (a team
    whose model needs 7 s found nothing in 3 s at 1,000 agents), at most ``retry_share``
    of it (a caller with other shifts for those teams need not wait for them). The sets
    are solved ``workers`` at a time, each with one worker (they share nothing).
    ``components`` limits the repair to those sets (`team_components`' own), every one by
    default; the shifts returned are then those of their people alone."""
    if inst.cfg.leadership is None:
        return Repair({}, [])
    until = time.monotonic() + seconds
    found: dict[str, list[int]] = {}
    pending = team_components(inst) if components is None else list(components)
    for attempt in range(2):  # each set in its share, then those unsolved in the time left
        if attempt:
            until = time.monotonic() + (until - time.monotonic()) * retry_share
        solved = _repair_pass(inst, pending, targets, until, workers, seed)
        unsolved = [c for c, shifts in zip(pending, solved, strict=True) if shifts is None]
        for shifts in solved:
            found.update(shifts or {})
        pending = unsolved
        if not pending or until - time.monotonic() < 1.0:
            break
    return Repair(found, pending)


def _repair_pass(inst: Instance, pending: list[list[str]],
                 targets: dict[str, list[int]] | None, until: float, workers: int,
                 seed: int) -> list[dict[str, list[int]] | None]:
    """`_component` for each set of teams, ``workers`` at a time with one worker each, each
    given its share of the time left before ``until`` as it starts."""
    lanes = max(1, min(workers, len(pending)))
    waiting = [len(pending)]
    lock = threading.Lock()

    def repair(component: list[str]) -> dict[str, list[int]] | None:
        with lock:
            share = max(1.0, (until - time.monotonic()) * lanes / max(lanes, waiting[0]))
            waiting[0] -= 1
        return _component(inst, component, component_people(inst, component), targets,
                          share, max(1, workers // lanes), seed)

    with ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="team-repair") as pool:
        return list(pool.map(repair, pending))


def _component(inst: Instance, component: list[str], people: list[str],
               targets: dict[str, list[int]] | None, seconds: float, workers: int,
               seed: int) -> dict[str, list[int]] | None:
    model = LinearModel()
    agents = {a.agent_id: a for a in inst.agents}
    y_of: dict[str, dict[int, int]] = {}
    counts: dict[tuple[int, int], tuple[list[int], int]] = {}
    step = inst.cfg.center.interval_minutes
    for person in people:
        group = inst.groups[inst.group_of_agent[person]]
        y = {k: model.var(0, 1, f"y({person},{k})")
             for keys in group.options.values() for k in keys}
        add_agent_rules(model, inst, agents[person], y, group.options, group.tail)
        y_of[person] = y
        if inst.classes[group.class_index].person == person:
            for k, v in y.items():
                counts[group.class_index, k] = ([v], 1)
        wanted = (targets or {}).get(person)
        if wanted is None:
            continue
        by_day = {inst.options[k].day: k for k in wanted}
        for k, v in y.items():
            day = inst.options[k].day
            if day not in by_day:
                model.cost(REPAIR, v, 10.0)  # a shift where it had a day off
                continue
            model.hints[v] = int(k == by_day[day])
            moved = abs(inst.options[k].start_minute - inst.options[by_day[day]].start_minute)
            model.cost(REPAIR, v, -10.0 + (0.0 if k == by_day[day] else 2.0 + moved / step / 10))
    # the leaders' breaks and duty, without their queues: no coverage here
    off_queues = replace(inst, classes=[replace(c, queues=(), penalty=(), off_queue=True)
                                        for c in inst.classes])
    cover = add_coverage(model, off_queues, counts)
    add_leader_rules(model, inst, cover, lambda a: on_shift_terms(inst, y_of.get(a, {})))
    # HiGHS finds the shifts with some held faster than CP-SAT
    solver = LpSolver(model)
    until = time.monotonic() + seconds
    leading = {p for t in component for p in teams_of(inst).leaders.get(t, [])
               + teams_of(inst).campaign.get(t, [])}
    plain = [p for p in people if p not in leading and p in (targets or {})]
    if targets is not None and all(p in targets for p in people):
        # first the shifts as given, only the breaks free: a start built to keep the rule
        # (`team_split`) mostly needs no more than that
        values, free = np.zeros(len(model.lb)), np.ones(len(model.lb), dtype=bool)
        for person in people:
            wanted = set(targets[person])
            for k, v in y_of[person].items():
                values[v], free[v] = float(k in wanted), False
        result = solver.solve_mip([REPAIR], values, free, seconds * HELD_SHARE,
                                  relative_gap=REPAIR_GAP)
        if result.values:
            return {p: list(targets[p]) for p in people}
    if plain:  # then the leaders' shifts alone around the agents' own: a small model
        values, free = np.zeros(len(model.lb)), np.ones(len(model.lb), dtype=bool)
        for person in plain:
            wanted = set(targets[person])  # type: ignore[index]
            for k, v in y_of[person].items():
                values[v], free[v] = float(k in wanted), False
        result = solver.solve_mip([REPAIR], values, free, seconds * HELD_SHARE,
                                  relative_gap=REPAIR_GAP)
        if result.values:
            values = np.round(result.values)
            return {p: [k for k, v in y.items() if values[v]] for p, y in y_of.items()}
    # everyone free: CP-SAT, from the shifts given as hints, finds these in about a second
    # where HiGHS found nothing in 3 s (teams of 26 at 1,000 agents, a start split from the
    # LP; bench/results/schedule_people.md)
    free = solve_cp(model, time_limit_seconds=max(1.0, until - time.monotonic()),
                    workers=workers, seed=seed, components=[REPAIR], relative_gap=REPAIR_GAP)
    if free.values:
        return {p: [k for k, v in y.items() if free.values[v]] for p, y in y_of.items()}
    if free.status != "INFEASIBLE":
        return None
    diagnosed = solve_cp(model, time_limit_seconds=max(5.0, seconds), workers=workers,
                         seed=seed, components=[], assume_rules=True)
    rules = ", ".join(r for r in diagnosed.conflicting_rules
                      if r not in ("coverage", "queue_assignment", "breaks")) or LEADER_COVERAGE
    if LEADER_COVERAGE not in rules and SPAN_OF_CONTROL not in rules:
        rules = f"{LEADER_COVERAGE}, {rules}"
    names = ", ".join(repr(t) for t in component)
    raise InfeasibleRules(f"team{'s' if len(component) > 1 else ''} {names}: no schedule of "
                          f"its agents and leaders keeps the hard rules {rules}")
