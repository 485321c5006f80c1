"""Soft goals that make agents unique: preferences, similar starts, fairness, changes.

They are added per agent over booleans ``y[option]`` (see `wfm.schedule.rules`); none
touches coverage, so the stage that uses them never worsens coverage when the group's
counts are held fixed. Objective components: ``preferences``, ``start_time_variation``,
``fairness``, ``changes``.

`soft_goal_figures` recounts every goal from a finished schedule (the shifts per agent),
with the same definitions the models use, so what kpis.json reports is the schedule's:

* preferences: each shift on a preferred day off, and each shift of an agent with a
  preferred start window that starts outside it, costs ``preferences``;
* start-time variation: per agent and calendar week, the latest start minus the earliest
  (wall clock, hours) costs ``start_time_variation`` per hour;
* fairness: for weekend shifts (``center.weekend``), late shifts (ending after 20:00) and
  night shifts (starting before 06:00 or ending after midnight), over the agents of the
  whole roster who could work such a shift: each shift an agent has above the target
  (the ceiling of the mean) costs ``fairness``;
* changes: each agent-day of the horizon inside the previous schedule's period whose
  shift (or day off) differs from it costs ``changes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import ceil

import numpy as np

from wfm.roster import Agent
from wfm.schedule.instance import Instance, ShiftOption
from wfm.schedule.linear import INF, LinearModel, LpSolver

PREFERENCES = "preferences"
START_VARIATION = "start_time_variation"
FAIRNESS = "fairness"
CHANGES = "changes"
SOFT_COMPONENTS = (PREFERENCES, START_VARIATION, FAIRNESS, CHANGES)
FAIRNESS_KINDS = ("weekend", "late", "night")


def shift_kinds(inst: Instance, option: ShiftOption) -> dict[str, bool]:
    """Which fairness kinds a shift option counts for."""
    return {"weekend": inst.dates[option.day].weekday() in inst.cfg.center.weekend_days,
            "late": option.is_late, "night": option.is_night}


def add_agent_preferences(model: LinearModel, inst: Instance, agent: Agent, y: dict[int, int],
                          day_options: dict[int, list[int]], work: dict[int, dict[int, float]],
                          spread_vars: dict[tuple[str, int], tuple[int, int, int]] | None = None,
                          ) -> dict[str, dict[int, float]]:
    """Add an agent's preference, start-spread and change terms.

    Preferences and changes are linear in ``y`` (a change costs ``changes`` less for the
    published shift kept, so the model's objective is the recount's less a constant); the
    start spread of each week is ``latest - earliest`` start variables, recorded in
    ``spread_vars`` ((agent, week) -> (latest, earliest, spread)) when given. Its rows
    carry the rule name ``start_time_variation``. Returns the agent's weekend, late and
    night shift counts as terms (for `add_fairness`).
    """
    weights = inst.cfg.objective
    step = inst.cfg.center.interval_minutes
    for d, keys in day_options.items():
        if inst.dates[d].weekday() in agent.preferred_days_off:
            for k in keys:
                model.cost(PREFERENCES, y[k], weights.preferences)
        if agent.preferred_start is not None:
            low, high = agent.preferred_start
            for k in keys:
                if not low <= inst.options[k].wall_start <= high:
                    model.cost(PREFERENCES, y[k], weights.preferences)
    if weights.start_time_variation > 0:
        for w, days in enumerate(inst.weeks):
            worked = [d for d in days if day_options.get(d)]
            if len(worked) < 2:
                continue
            label = f"{agent.agent_id},{w}"
            top = model.var(0, 1440 // step, f"latest_start({label})")
            low = model.var(0, 1440 // step, f"earliest_start({label})")
            gap = model.var(0, 1440 // step, f"start_spread({label})")
            for d in worked:
                starts = {y[k]: float(inst.options[k].wall_start // step) for k in day_options[d]}
                terms = {top: 1.0}
                terms.update({v: -c for v, c in starts.items()})
                model.add(terms, 0, INF, START_VARIATION)
                # low <= start when working, free when off
                terms = {low: 1.0}
                terms.update({v: -c + 1440 // step for v, c in starts.items()})
                model.add(terms, -INF, 1440 // step, START_VARIATION)
            model.add({gap: 1.0, top: -1.0, low: 1.0}, 0, INF, START_VARIATION)
            model.cost(START_VARIATION, gap, weights.start_time_variation * step / 60.0)
            if spread_vars is not None:
                spread_vars[agent.agent_id, w] = (top, low, gap)
    if weights.changes > 0:
        for d, keys in day_options.items():
            before = inst.previous_same_dates.get((agent.agent_id, d), -2)
            if before == -2 or before == -1:
                continue  # no published shift to keep, or one this instance cannot offer
            if before is None:
                for k in keys:
                    model.cost(CHANGES, y[k], weights.changes)
            elif before in y:
                model.cost(CHANGES, y[before], -weights.changes)
                model.hints[y[before]] = 1
    counts: dict[str, dict[int, float]] = {kind: {} for kind in FAIRNESS_KINDS}
    weekend = inst.cfg.center.weekend_days
    for keys in day_options.values():
        for k in keys:
            option = inst.options[k]
            for kind, counted in (("weekend", inst.dates[option.day].weekday() in weekend),
                                  ("late", option.is_late), ("night", option.is_night)):
                if counted:
                    counts[kind][y[k]] = 1.0
    return counts


class SoftCosts:
    """The start spread and fairness (against held targets) of a per-agent model, priced
    outside its MIPs where that is exact.

    Both are sums over agents of a function of the agent's own shifts. With one day of an
    agent free and the rest held, each is linear in that day's options: `day_costs`
    prices every option at what choosing it adds, so a day neighbourhood's MIP leaves out
    the spread and fairness variables and rows (``var_mask``, ``row_mask``), keeps its size
    and is still solved exactly. A week neighbourhood frees them with the rest. `value` is
    their cost at a vector; `sync` sets their variables to what the shifts imply.
    """

    def __init__(self, inst: Instance, model: LinearModel,
                 agent_vars: Mapping[str, Mapping[int, int]], targets: Mapping[str, float],
                 spread_vars: Mapping[tuple[str, int], tuple[int, int, int]],
                 excess_vars: Mapping[str, Mapping[str, int]]) -> None:
        self.step = inst.cfg.center.interval_minutes
        self.n_weeks = len(inst.weeks)
        self.var_mask = np.zeros(len(model.lb), dtype=bool)
        self.row_mask = np.array([rule in (START_VARIATION, FAIRNESS)
                                  for *_, rule in model.rows], dtype=bool)
        position = {agent_id: a for a, agent_id in enumerate(agent_vars)}
        spread = [(position[a] * self.n_weeks + w, *vs) for (a, w), vs in spread_vars.items()]
        self.spread = np.asarray(spread, dtype=np.int64).reshape(-1, 4)
        excess = [(position[a], kind, v) for a, kinds in excess_vars.items()
                  for kind, v in kinds.items()]
        self.excess = {kind: np.asarray([(a, v) for a, k, v in excess if k == kind],
                                        dtype=np.int64).reshape(-1, 2)
                       for kind in FAIRNESS_KINDS}
        self.var_mask[self.spread[:, 1:].ravel()] = True
        kind_of = {}
        for kind, pairs in self.excess.items():
            self.var_mask[pairs[:, 1]] = True
            kind_of.update(dict.fromkeys(pairs[:, 1].tolist(), kind))
        # the fairness rows of each kind: excess - count >= -target
        self.target_rows: dict[str, list[int]] = {kind: [] for kind in FAIRNESS_KINDS}
        for r, (variables, *_, rule) in enumerate(model.rows):
            if rule == FAIRNESS:
                kind = next((kind_of[v] for v in variables if v in kind_of), None)
                if kind is not None:
                    self.target_rows[kind].append(r)
        weights = inst.cfg.objective
        self.spread_weight = weights.start_time_variation / 60.0  # per minute
        self.fair_weight = weights.fairness
        week_of = {d: w for w, days in enumerate(inst.weeks) for d in days}
        var, agent, day, week, start = [], [], [], [], []
        kinds: dict[str, list[bool]] = {kind: [] for kind in FAIRNESS_KINDS}
        self.agents = list(agent_vars)
        kinds_of = [shift_kinds(inst, option) for option in inst.options]
        for a, agent_id in enumerate(self.agents):
            for k, v in agent_vars[agent_id].items():
                option = inst.options[k]
                var.append(v)
                agent.append(a)
                day.append(option.day)
                week.append(week_of[option.day])
                start.append(option.wall_start)
                for kind, counted in kinds_of[k].items():
                    kinds[kind].append(counted)
        self.var = np.asarray(var, dtype=np.int64)
        self.agent = np.asarray(agent, dtype=np.int64)
        self.day = np.asarray(day, dtype=np.int64)
        self.cell = self.agent * len(inst.weeks) + np.asarray(week, dtype=np.int64)
        self.start = np.asarray(start, dtype=float)
        self.n_cells = len(self.agents) * len(inst.weeks)
        self.kinds = {kind: np.asarray(flags, dtype=bool) for kind, flags in kinds.items()}
        self.targets = dict(targets)
        self.eligible: dict[str, np.ndarray] = {}
        for kind, flags in self.kinds.items():
            mine = np.bincount(self.agent[flags], minlength=len(self.agents)) > 0
            self.eligible[kind] = mine if mine.sum() >= 2 else np.zeros_like(mine)

    def _spans(self, on: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        top = np.full(self.n_cells, -np.inf)
        low = np.full(self.n_cells, np.inf)
        np.maximum.at(top, self.cell[on], self.start[on])
        np.minimum.at(low, self.cell[on], self.start[on])
        count = np.bincount(self.cell[on], minlength=self.n_cells)
        return top, low, count

    def _counts(self, on: np.ndarray, kind: str) -> np.ndarray:
        return np.bincount(self.agent[on & self.kinds[kind]], minlength=len(self.agents))

    def value(self, values: np.ndarray) -> float:
        """Start spread plus fairness above the held targets at ``values``."""
        on = values[self.var] > 0.5
        top, low, count = self._spans(on)
        worked = count >= 2
        cost = self.spread_weight * float((top[worked] - low[worked]).sum())
        if self.fair_weight > 0:
            for kind in FAIRNESS_KINDS:
                above = np.maximum(0.0, self._counts(on, kind) - self.targets[kind])
                cost += self.fair_weight * float(above[self.eligible[kind]].sum())
        return cost

    def day_costs(self, values: np.ndarray, free: np.ndarray) -> np.ndarray:
        """Per model variable, what choosing each free option adds to `value` with the
        agent's other days held (exact when each agent has at most one free day)."""
        extra = np.zeros(len(values))
        mine = free[self.var]
        if not mine.any():
            return extra
        on = (values[self.var] > 0.5) & ~mine
        top, low, count = self._spans(on)
        cells = self.cell[mine]
        starts = self.start[mine]
        held = count[cells]
        before = np.where(held >= 2, top[cells] - low[cells], 0.0)
        after = np.where(held >= 1, np.maximum(top[cells], starts)
                         - np.minimum(low[cells], starts), 0.0)
        cost = self.spread_weight * (after - before)
        if self.fair_weight > 0:
            agents = self.agent[mine]
            for kind in FAIRNESS_KINDS:
                counts = self._counts(on, kind)
                adds = (counts[agents] + 1 > self.targets[kind]) & self.eligible[kind][agents]
                cost += self.fair_weight * (adds & self.kinds[kind][mine])
        np.add.at(extra, self.var[mine], cost)
        return extra

    def retarget(self, values: np.ndarray, solver: LpSolver) -> bool:
        """Move the held fairness targets to the ceiling of the mean at ``values`` (the
        rows of ``solver`` with them); True when one moved."""
        on = values[self.var] > 0.5
        moved = False
        for kind in FAIRNESS_KINDS:
            eligible = self.eligible[kind]
            if not eligible.any():
                continue
            counts = self._counts(on, kind)[eligible]
            target = float(ceil(counts.sum() / len(counts) - 1e-9))
            if target != self.targets[kind]:
                self.targets[kind] = target
                solver.row_lo[self.target_rows[kind]] = -target
                moved = True
        return moved

    def sync(self, values: np.ndarray) -> np.ndarray:
        """``values`` with the spread and fairness variables at what the shifts imply."""
        values = values.copy()
        on = values[self.var] > 0.5
        top, low, count = self._spans(on)
        cells = self.spread[:, 0]
        worked = count[cells] >= 1
        latest = np.where(worked, top[cells], 0.0) // self.step
        earliest = np.where(worked, low[cells], 0.0) // self.step
        values[self.spread[:, 1]] = latest
        values[self.spread[:, 2]] = earliest
        values[self.spread[:, 3]] = latest - earliest
        for kind, pairs in self.excess.items():
            counts = self._counts(on, kind)
            values[pairs[:, 1]] = np.maximum(0.0, counts[pairs[:, 0]] - self.targets[kind])
        return values


def add_fairness(model: LinearModel, inst: Instance, label: str,
                 counts: list[dict[str, dict[int, float]]],
                 targets: Mapping[str, float] | None = None) -> dict[int, dict[str, int]]:
    """Weekend, late and night shifts spread fairly over a set of agents (the roster).

    Each agent's count above a target costs ``fairness`` per shift. Without ``targets``
    the target is a variable held to the ceiling of the mean over the agents who could
    work such a shift (0 <= target * agents - total <= agents - 1; without the upper side
    the target would rise to the largest count and fairness would cost nothing); with
    ``targets`` (per kind) it is held there, which keeps a neighbourhood of the roster
    from coupling to the rest. Rows carry the rule name ``fairness``. Returns, per
    position in ``counts``, the excess variable of each kind added for that agent.
    """
    weight = inst.cfg.objective.fairness
    added: dict[int, dict[str, int]] = {a: {} for a in range(len(counts))}
    eligible_of = {kind: [a for a, c in enumerate(counts) if c[kind]] for kind in FAIRNESS_KINDS}
    if weight <= 0 or len(counts) < 2:
        return added
    horizon = len(inst.dates)
    for kind in FAIRNESS_KINDS:
        eligible = eligible_of[kind]
        if len(eligible) < 2:
            continue
        if targets is None:
            target = model.var(0, horizon, f"{kind}_target({label})")
            total = {target: float(len(eligible))}
            for a in eligible:
                for v, coef in counts[a][kind].items():
                    total[v] = total.get(v, 0.0) - coef
            model.add(total, 0, len(eligible) - 1, FAIRNESS)
            held = 0.0
        else:
            target, held = None, float(targets[kind])
        for a in eligible:
            excess = model.var(0, horizon, f"{kind}_excess({label},{a})")
            added[a][kind] = excess
            terms = {excess: 1.0}
            if target is not None:
                terms[target] = 1.0
            terms.update({v: -coef for v, coef in counts[a][kind].items()})
            model.add(terms, -held, INF, FAIRNESS)
            model.cost(FAIRNESS, excess, weight)
    return added


def fairness_targets(inst: Instance, shifts: Mapping[str, list[int]]) -> dict[str, float]:
    """Per fairness kind, the ceiling of the mean count over the agents who could work
    such a shift, in ``shifts`` (agent id -> option keys)."""
    counts = _kind_counts(inst, shifts)
    return {kind: _target(counts[kind]) for kind in FAIRNESS_KINDS}


def _kind_counts(inst: Instance, shifts: Mapping[str, list[int]]) -> dict[str, list[int]]:
    """Per kind, the count of each agent who could work such a shift."""
    kinds = [shift_kinds(inst, o) for o in inst.options]
    eligible = [{kind for keys in g.options.values() for k in keys
                 for kind, counted in kinds[k].items() if counted} for g in inst.groups]
    found: dict[str, list[int]] = {kind: [] for kind in FAIRNESS_KINDS}
    for agent in inst.agents:
        worked = shifts.get(agent.agent_id, [])
        for kind in eligible[inst.group_of_agent[agent.agent_id]]:
            found[kind].append(sum(kinds[k][kind] for k in worked))
    return found


def _target(counts: list[int]) -> float:
    return float(ceil(sum(counts) / len(counts) - 1e-9)) if counts else 0.0


def soft_goal_figures(inst: Instance, shifts: Mapping[str, list[int]]) -> dict[str, dict]:
    """Every soft goal of a schedule (agent id -> option keys), recounted from its shifts.

    Returns per goal its ``cost`` (objective points) and counts: ``preferred_days_off``
    and ``preferred_starts`` with ``met`` of ``stated`` (agent-dates on a preferred day
    off not worked, of all such agent-dates of the horizon; shifts of agents with a
    window that start inside it, of all their shifts), ``start_time_variation`` with the
    ``hours`` of spread summed over agents and weeks, ``fairness`` per kind with the
    ``target``, the ``shifts_above_target`` and the ``most`` any agent has, and
    ``changes`` with the agent-days ``kept`` of the previous schedule's ``stated``.
    """
    weights = inst.cfg.objective
    days_off_stated = days_off_met = starts_stated = starts_met = 0
    spread_hours = 0.0
    for agent in inst.agents:
        worked = {inst.options[k].day: inst.options[k] for k in shifts.get(agent.agent_id, [])}
        for d, day in enumerate(inst.dates):
            if day.weekday() in agent.preferred_days_off:
                days_off_stated += 1
                days_off_met += d not in worked
        if agent.preferred_start is not None:
            low, high = agent.preferred_start
            starts_stated += len(worked)
            starts_met += sum(low <= o.wall_start <= high for o in worked.values())
        for days in inst.weeks:
            starts = [worked[d].wall_start for d in days if d in worked]
            if len(starts) >= 2:
                spread_hours += (max(starts) - min(starts)) / 60.0
    fairness: dict[str, dict] = {}
    fairness_cost = 0.0
    for kind, counts in _kind_counts(inst, shifts).items():
        target = _target(counts)
        above = int(sum(max(0.0, c - target) for c in counts))
        fairness[kind] = {"target": target, "shifts_above_target": above,
                          "most": max(counts, default=0), "agents": len(counts)}
        if len(counts) >= 2:
            fairness_cost += weights.fairness * above
    kept = stated = 0
    for (agent_id, d), before in inst.previous_same_dates.items():
        if agent_id not in inst.group_of_agent:
            continue  # no longer on the roster
        stated += 1
        now = next((k for k in shifts.get(agent_id, []) if inst.options[k].day == d), None)
        kept += now == before
    preference_cost = weights.preferences * ((days_off_stated - days_off_met)
                                             + (starts_stated - starts_met))
    return {
        PREFERENCES: {"cost": preference_cost,
                      "preferred_days_off": {"met": days_off_met, "stated": days_off_stated},
                      "preferred_starts": {"met": starts_met, "stated": starts_stated}},
        START_VARIATION: {"cost": weights.start_time_variation * spread_hours,
                          "hours": spread_hours},
        FAIRNESS: {"cost": fairness_cost, **fairness},
        CHANGES: {"cost": weights.changes * (stated - kept), "kept": kept, "stated": stated},
    }


def soft_goal_cost(figures: Mapping[str, dict]) -> float:
    """The total cost of `soft_goal_figures`."""
    return float(sum(figures[goal]["cost"] for goal in SOFT_COMPONENTS))


def assign_weeks(inst: Instance, shifts: Mapping[str, list[int]]) -> dict[str, list[int]]:
    """The same weeks handed to the agents who want them most, group by group.

    Agents of a group share every hard rule and coverage class, so any permutation of their
    weeks keeps the schedule valid with the same coverage, breaks and queues; the start
    spread and the fairness counts belong to the week, not to the agent. What a
    permutation changes is the preferences and the changes against the previous schedule,
    a cost per (agent, week): a linear assignment, solved exactly per group. Returns the
    shifts per agent (every agent of ``shifts`` keeps some week of its group).
    """
    from scipy.optimize import linear_sum_assignment

    found: dict[str, list[int]] = {}
    for group in inst.groups:
        agents = [a for a in group.agents if a.agent_id in shifts]
        weeks = [list(shifts[a.agent_id]) for a in agents]
        wants = [a for a in agents if a.preferred_days_off or a.preferred_start is not None
                 or any((a.agent_id, d) in inst.previous_same_dates
                        for d in range(len(inst.dates)))]
        if len(agents) < 2 or not wants:
            found.update({a.agent_id: w for a, w in zip(agents, weeks, strict=True)})
            continue
        cost = np.array([[_week_cost(inst, a, w) for w in weeks] for a in agents])
        rows, cols = linear_sum_assignment(cost)
        found.update({agents[r].agent_id: weeks[c] for r, c in zip(rows, cols, strict=True)})
    return found


def _week_cost(inst: Instance, agent: Agent, week: list[int]) -> float:
    """An agent's preference and change cost for a week of option keys."""
    weights = inst.cfg.objective
    cost = 0.0
    on_day = {inst.options[k].day: k for k in week}
    for d, k in on_day.items():
        option = inst.options[k]
        if inst.dates[d].weekday() in agent.preferred_days_off:
            cost += weights.preferences
        if agent.preferred_start is not None and not (
                agent.preferred_start[0] <= option.wall_start <= agent.preferred_start[1]):
            cost += weights.preferences
    for d in range(len(inst.dates)):
        before = inst.previous_same_dates.get((agent.agent_id, d), -2)
        if before != -2 and on_day.get(d) != before:
            cost += weights.changes
    return cost
