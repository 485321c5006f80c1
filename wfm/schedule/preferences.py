"""Soft goals that make agents unique: preferences, similar starts, fairness, changes.

They are added per agent over booleans ``y[option]`` (see `wfm.schedule.rules`); none
touches coverage, so the stage that uses them never worsens coverage when the group's
counts are held fixed. Objective components: ``preferences``, ``start_time_variation``,
``fairness``, ``changes``.
"""

from __future__ import annotations

from wfm.roster import Agent
from wfm.schedule.instance import Instance
from wfm.schedule.linear import INF, LinearModel

PREFERENCES = "preferences"
START_VARIATION = "start_time_variation"
FAIRNESS = "fairness"
CHANGES = "changes"
SOFT_COMPONENTS = (PREFERENCES, START_VARIATION, FAIRNESS, CHANGES)


def add_agent_preferences(model: LinearModel, inst: Instance, agent: Agent, y: dict[int, int],
                          day_options: dict[int, list[int]],
                          work: dict[int, dict[int, float]]) -> dict[str, dict[int, float]]:
    """Add an agent's preference, start-spread and change terms.

    Returns the agent's weekend and late shift counts as terms (for `add_fairness`).
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
            spread = model.var(0, 1440 // step, f"start_spread({label})")
            for d in worked:
                starts = {y[k]: float(inst.options[k].wall_start // step) for k in day_options[d]}
                terms = {top: 1.0}
                terms.update({v: -c for v, c in starts.items()})
                model.add(terms, 0, INF, "")
                # low <= start when working, free when off
                terms = {low: 1.0}
                terms.update({v: -c + 1440 // step for v, c in starts.items()})
                model.add(terms, -INF, 1440 // step, "")
            model.add({spread: 1.0, top: -1.0, low: 1.0}, 0, INF, "")
            model.cost(START_VARIATION, spread, weights.start_time_variation * step / 60.0)
    if weights.changes > 0:
        for d, keys in day_options.items():
            before = inst.previous_same_dates.get((agent.agent_id, d), -2)
            if before == -2 or before == -1:
                continue  # no published shift to keep, or one this instance cannot offer
            if before is None:
                for k in keys:
                    model.cost(CHANGES, y[k], weights.changes)
            elif before in y:
                changed = model.var(0, 1, f"changed({agent.agent_id},{d})")
                model.add({changed: 1.0, y[before]: 1.0}, 1, INF, "")
                model.cost(CHANGES, changed, weights.changes)
                model.hints[y[before]] = 1
    weekend = {y[k]: 1.0 for d, keys in day_options.items() for k in keys
               if inst.dates[d].weekday() in inst.cfg.center.weekend_days}
    late = {y[k]: 1.0 for keys in day_options.values() for k in keys if inst.options[k].is_late}
    return {"weekend": weekend, "late": late}


def add_fairness(model: LinearModel, inst: Instance, label: str,
                 counts: list[dict[str, dict[int, float]]]) -> None:
    """Weekend and late shifts spread fairly over a set of agents.

    Each agent's count above a shared target costs ``fairness`` per shift; the target is
    the ceiling of the mean (0 <= target * agents - total <= agents - 1): bounded from
    below only, it would rise until no agent had any excess.
    """
    weight = inst.cfg.objective.fairness
    if weight <= 0 or len(counts) < 2:
        return
    for kind in ("weekend", "late"):
        if not any(c[kind] for c in counts):
            continue
        horizon = len(inst.dates)
        target = model.var(0, horizon, f"{kind}_target({label})")
        total = {target: float(len(counts))}
        for c in counts:
            for v, coef in c[kind].items():
                total[v] = total.get(v, 0.0) - coef
        model.add(total, 0, len(counts) - 1, "")
        for a, c in enumerate(counts):
            if not c[kind]:
                continue
            excess = model.var(0, horizon, f"{kind}_excess({label},{a})")
            terms = {excess: 1.0, target: 1.0}
            terms.update({v: -coef for v, coef in c[kind].items()})
            model.add(terms, 0, INF, "")
            model.cost(FAIRNESS, excess, weight)
