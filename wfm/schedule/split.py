"""Group counts into agents: every rule held per agent, the soft goals where time allows.

* `split_group`: a group's integer option counts split exactly into its agents by one
  CP-SAT model (the first split found, or the best for the soft goals), moving as few
  agent-shifts as possible when no exact split exists;
* `split_from_lp`: a group's fractional LP counts into its agents, agent by agent: each
  takes the week that best fills the counts still open, with its own preferences and
  previous schedule as costs, so the shifts are placed with the soft goals in view. Agents
  with the same preferences and previous schedule are interchangeable, so one solve
  serves as many of them as the open counts allow;
* `greedy_cover`: without an LP, agent by agent, the week that covers most of the
  requirements still open (the constructive start when the LP fails).
"""

from __future__ import annotations

from collections.abc import Callable
from math import floor

from wfm.errors import InfeasibleRules
from wfm.roster import Agent
from wfm.schedule.instance import Group, Instance
from wfm.schedule.linear import LinearModel, solve_cp
from wfm.schedule.preferences import (
    CHANGES,
    PREFERENCES,
    START_VARIATION,
    add_agent_preferences,
    add_fairness,
)
from wfm.schedule.rules import add_agent_rules

COUNT_DEVIATION = "count_deviation"
OPEN_COUNT_WEIGHT = 1000.0  # per agent of an option's open LP count: far above a preference


def split_group(inst: Instance, group: Group, counts: dict[int, int], time_limit: float,
                workers: int, seed: int, first_only: bool = False,
                targets: dict[str, float] | None = None,
                ) -> tuple[dict[str, list[int]], int]:
    """Split a group's option counts into its agents, every rule held per agent.

    ``first_only`` keeps the first split found instead of the best one for the soft goals
    (fairness against the roster's ``targets``). Returns per agent its option keys and
    how many agent-shifts differ from the counts (0 when the split is exact).
    """
    for exact in (True, False):
        model = LinearModel()
        y_of: dict[str, dict[int, int]] = {}
        fairness_terms = []
        for agent in group.agents:
            day_options = {d: [k for k in keys if not exact or counts.get(k, 0) > 0]
                           for d, keys in group.options.items()}
            y = {k: model.var(0, 1, f"y({agent.agent_id},{k})")
                 for keys in day_options.values() for k in keys}
            work = add_agent_rules(model, inst, agent, y, day_options, group.tail)
            if not first_only:  # a quick split leaves the soft goals to the final one
                fairness_terms.append(add_agent_preferences(model, inst, agent, y, day_options,
                                                            work))
            y_of[agent.agent_id] = y
        if fairness_terms:
            add_fairness(model, inst, f"group {group.index}", fairness_terms, targets)
        options = sorted({k for y in y_of.values() for k in y})
        deviations = []
        if not exact:
            # a shift moved within its day keeps most of its coverage; one dropped keeps none
            for d, keys in group.options.items():
                terms = {y[k]: 1.0 for y in y_of.values() for k in keys if k in y}
                target = sum(counts.get(k, 0) for k in keys)
                plus, minus = model.var(0, group.size, f"extra(day {d})"), model.var(
                    0, target, f"missing(day {d})")
                model.add({**terms, plus: -1.0, minus: 1.0}, target, target, "count")
                model.cost(COUNT_DEVIATION, plus, 1e5)
                model.cost(COUNT_DEVIATION, minus, 1e5)
        for k in options:
            terms = {y[k]: 1.0 for y in y_of.values() if k in y}
            target = counts.get(k, 0)
            if exact:
                model.add(terms, target, target, "count")
            else:
                plus = model.var(0, group.size, f"extra({k})")
                minus = model.var(0, target, f"missing({k})")
                terms.update({plus: -1.0, minus: 1.0})
                model.add(terms, target, target, "count")
                model.cost(COUNT_DEVIATION, plus, 1e3)
                model.cost(COUNT_DEVIATION, minus, 1e3)
                deviations += [plus, minus]
        # a moving split is kept only at its best: its first solutions move far too much
        result = solve_cp(model, time_limit_seconds=time_limit, workers=workers, seed=seed,
                          first_only=first_only and exact)
        if result.values:
            shifts = {a: [k for k, v in y.items() if result.values[v]] for a, y in y_of.items()}
            return shifts, sum(result.values[v] for v in deviations)
        if first_only:
            # a hurried moving split keeps its first solutions, which move far too much
            # (1,546 agent-shifts of 3,000 agents' first split): agent by agent instead
            shifts = split_from_lp(inst, group, {k: float(c) for k, c in counts.items()}, seed)
            return shifts, _deviation(counts, shifts)
    return _greedy_split(inst, group, counts, workers, seed)


def _deviation(counts: dict[int, int], shifts: dict[str, list[int]]) -> int:
    """Agent-shifts by which a split differs from the counts (extra plus missing)."""
    left = dict(counts)
    for keys in shifts.values():
        for k in keys:
            left[k] = left.get(k, 0) - 1
    return sum(abs(v) for v in left.values())


def _greedy_split(inst: Instance, group: Group, counts: dict[int, int], workers: int,
                  seed: int) -> tuple[dict[str, list[int]], int]:
    """Agent by agent, the week that takes most of the counts still open (a fallback when
    the group's split finds nothing in its time)."""
    remaining = dict(counts)
    shifts: dict[str, list[int]] = {}
    for agent in group.agents:
        model = LinearModel()
        y = {k: model.var(0, 1, f"y({agent.agent_id},{k})")
             for keys in group.options.values() for k in keys}
        add_agent_rules(model, inst, agent, y, group.options, group.tail)
        for k, v in y.items():
            model.cost(COUNT_DEVIATION, v, -1.0 if remaining.get(k, 0) > 0 else 1.0)
        result = solve_cp(model, time_limit_seconds=10.0, workers=workers, seed=seed)
        if not result.values:
            raise InfeasibleRules(f"agent {agent.agent_id} (contract {agent.contract}): no "
                                  f"schedule keeps the hard rules ({result.status})")
        shifts[agent.agent_id] = [k for k, v in y.items() if result.values[v]]
        for k in shifts[agent.agent_id]:
            remaining[k] = remaining.get(k, 0) - 1
    return shifts, sum(abs(v) for v in remaining.values())


def split_from_lp(inst: Instance, group: Group, counts: dict[int, float], seed: int,
                  ) -> dict[str, list[int]]:
    """A group's fractional option counts split into its agents, agent by agent.

    Each agent's week maximises the counts still open (``OPEN_COUNT_WEIGHT`` per agent,
    an over-filled option costing as much as an open one gains) plus the agent's
    preferences and changes, every rule held. Raises InfeasibleRules when an agent has no
    week at all (the precheck rules that out).
    """
    remaining = dict(counts)
    shifts: dict[str, list[int]] = {}
    for members in interchangeable(inst, group):
        waiting = list(members)
        while waiting:
            week = agent_week(inst, group, waiting[0], seed, lambda k: OPEN_COUNT_WEIGHT * max(
                -1.0, min(1.0, remaining.get(k, 0.0))))
            fits = min((remaining.get(k, 0.0) for k in week), default=1.0)
            take = max(1, min(len(waiting), floor(fits + 1e-6)))
            for taker in waiting[:take]:
                shifts[taker.agent_id] = list(week)
            for k in week:
                remaining[k] = remaining.get(k, 0.0) - take
            waiting = waiting[take:]
    return shifts


def greedy_cover(inst: Instance, seed: int) -> dict[str, list[int]]:
    """A constructive schedule without the LP: agent by agent, the week that covers most
    of the requirements still open.

    Each option gains ``under_coverage`` for every interval of it in which a queue the
    agent serves is still short, and costs ``over_coverage`` for every other one (breaks
    are left to the placement that follows); the agent's own preferences, start spread and
    changes count too, every rule is held. Agents of a group with the same preferences and
    previous schedule take the same week while the open requirements last.
    """
    weights = inst.cfg.objective
    residual = inst.required.astype(float).copy()
    shifts: dict[str, list[int]] = {}
    order = sorted(inst.groups, key=lambda g: (len(inst.classes[g.class_index].queues), g.index))
    for group in order:
        queues = list(inst.classes[group.class_index].queues)
        for members in interchangeable(inst, group):
            waiting = list(members)
            while waiting:
                def gain(k: int, queues: list[int] = queues) -> float:
                    if not queues:  # people who take no contacts: on duty, no coverage
                        return 0.0
                    o = inst.options[k]
                    best = residual[queues, o.first_interval:o.first_interval + o.n_intervals]
                    short = (best.max(axis=0) > 0.5).sum()
                    return weights.under_coverage * short - weights.over_coverage * (
                        o.n_intervals - short)

                week = agent_week(inst, group, waiting[0], seed, gain)
                take = len(waiting)
                for k in week if queues else ():
                    o = inst.options[k]
                    span = residual[queues, o.first_interval:o.first_interval + o.n_intervals]
                    take = min(take, max(1, int(span.max(axis=0).min())))
                for taker in waiting[:take]:
                    shifts[taker.agent_id] = list(week)
                for k in week if queues else ():
                    o = inst.options[k]
                    for i in range(o.first_interval, o.first_interval + o.n_intervals):
                        q = max(queues, key=lambda q, i=i: residual[q, i])
                        residual[q, i] -= take
                waiting = waiting[take:]
    return shifts


def agent_week(inst: Instance, group: Group, agent: Agent, seed: int,
                gain: Callable[[int], float]) -> list[int]:
    """The option keys of the week that maximises ``gain`` (per option worked) plus the
    agent's preferences, start spread and changes, every rule held. Raises
    InfeasibleRules when the agent has no week at all."""
    model = LinearModel()
    y = {k: model.var(0, 1, f"y({agent.agent_id},{k})")
         for keys in group.options.values() for k in keys}
    work = add_agent_rules(model, inst, agent, y, group.options, group.tail)
    add_agent_preferences(model, inst, agent, y, group.options, work)
    for k, v in y.items():
        model.cost(COUNT_DEVIATION, v, -gain(k))
    found = solve_cp(model, time_limit_seconds=5.0, workers=1, seed=seed,
                     components=[COUNT_DEVIATION, PREFERENCES, CHANGES, START_VARIATION])
    if not found.values:
        raise InfeasibleRules(f"agent {agent.agent_id} (contract {agent.contract}): "
                              f"no schedule keeps the hard rules ({found.status})")
    return [k for k, v in y.items() if found.values[v]]


def interchangeable(inst: Instance, group: Group) -> list[list]:
    """A group's agents by preferences and previous schedule: each list interchangeable."""
    buckets: dict[tuple, list] = {}
    for agent in group.agents:
        previous = tuple(inst.previous_same_dates.get((agent.agent_id, d), -2)
                         for d in range(len(inst.dates)))
        key = (agent.preferred_days_off, agent.preferred_start, previous)
        buckets.setdefault(key, []).append(agent)
    return list(buckets.values())
