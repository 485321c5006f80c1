"""Hard rules, each named: exact per-agent constraints and valid cuts on group counts.

Rule names (used in constraints, messages and `InfeasibleRules`):
``one_shift_per_day``, ``opening_hours``, ``shift_templates``, ``min_rest``,
``max_consecutive_days``, ``min_days_off_per_week``, ``min_consecutive_days_off``,
``min_weekly_hours``, ``max_weekly_hours``, ``max_working_days_per_week``,
``unavailable_dates``, ``available_window``, ``min_break_spacing`` (breaks),
``skills_languages`` (who counts for a queue).

Per-agent constraints hold over booleans ``y[day, option]``. The group cuts hold over
integer counts ``n[day, option]`` of a group's agents; every one is implied by the
per-agent rules summed over the group, so the aggregate model is a relaxation and its
bound is valid.
"""

from __future__ import annotations

from collections import defaultdict

from wfm.roster import Agent
from wfm.schedule.instance import (
    Group,
    Instance,
    Tail,
    option_allowed,
    week_limits,
    week_worked_before,
)
from wfm.schedule.linear import INF, LinearModel

RULES = (
    "one_shift_per_day", "opening_hours", "shift_templates", "min_rest",
    "max_consecutive_days", "min_days_off_per_week", "min_consecutive_days_off",
    "min_weekly_hours", "max_weekly_hours", "max_working_days_per_week",
    "unavailable_dates", "available_window", "min_break_spacing", "skills_languages",
    "queue_closed",
)


def rest_minutes(inst: Instance) -> int:
    """Minimum rest between consecutive shifts, in minutes."""
    return int(round(inst.cfg.labor_rules.min_rest_hours * 60))


def tail_blocked(inst: Instance, tail: Tail, option_key: int) -> bool:
    """True when an option starts too soon after the previous schedule's last shift."""
    if tail.last_end_minute is None:
        return False
    return inst.options[option_key].start_minute < tail.last_end_minute + rest_minutes(inst)


def conflicts(inst: Instance, day_options: dict[int, list[int]]) -> dict[int, list[int]]:
    """For each option, the later options that start before its end plus the rest."""
    rest = rest_minutes(inst)
    days = sorted(day_options)
    found: dict[int, list[int]] = defaultdict(list)
    for a, d in enumerate(days):
        for k in day_options[d]:
            end = inst.options[k].end_minute + rest
            for d2 in days[a + 1:]:
                later = day_options[d2]
                if not later:
                    continue
                # the earliest start of a day grows with the day: no later day conflicts
                if min(inst.options[k2].start_minute for k2 in later) >= end:
                    break
                found[k].extend(k2 for k2 in later if inst.options[k2].start_minute < end)
    return found


def agent_options(inst: Instance, agent: Agent, diagnose: bool) -> tuple[dict[int, list[int]],
                                                                          list[tuple[int, str]]]:
    """Options an agent may work per day, and (when diagnosing) the forbidden ones by rule.

    Without ``diagnose`` forbidden options are left out; with it they are returned as
    (option, rule) pairs so the model can forbid them under a named rule.
    """
    allowed: dict[int, list[int]] = {}
    forbidden: list[tuple[int, str]] = []
    for d, keys in enumerate(inst.options_by_day):
        allowed[d] = []
        for k in keys:
            rule = option_allowed(agent, inst.options[k], inst.cfg, inst.dates[d])
            if rule is None:
                allowed[d].append(k)
            elif rule != "shift_templates" and diagnose:
                allowed[d].append(k)
                forbidden.append((k, rule))
    return allowed, forbidden


def add_agent_rules(model: LinearModel, inst: Instance, agent: Agent,
                    y: dict[int, int], day_options: dict[int, list[int]], tail: Tail,
                    forbidden: list[tuple[int, str]] = ()) -> dict[int, dict[int, float]]:
    """Add one agent's hard rules over booleans ``y[option]``; returns work terms per day."""
    cfg = inst.cfg
    rules = cfg.labor_rules
    contract = cfg.contract(agent.contract)
    work: dict[int, dict[int, float]] = {}
    for d, keys in day_options.items():
        work[d] = {y[k]: 1.0 for k in keys}
        if len(keys) > 1:
            model.add(work[d], 0, 1, "one_shift_per_day")
    for k, rule in forbidden:
        model.add({y[k]: 1.0}, 0, 0, rule)
    for keys in day_options.values():
        for k in keys:
            if tail_blocked(inst, tail, k):
                model.add({y[k]: 1.0}, 0, 0, "min_rest")
    for k, later in conflicts(inst, day_options).items():
        if later:
            terms = {y[k]: 1.0}
            terms.update({y[k2]: 1.0 for k2 in later})
            model.add(terms, 0, 1, "min_rest")
    m = rules.max_consecutive_working_days
    n_days = len(inst.dates)
    for s in range(-m, n_days - m):
        window = [d for d in range(s, s + m + 1) if 0 <= d < n_days]
        before = min(-s, tail.worked_streak) if s < 0 else 0
        if len(window) + before <= m:
            continue
        terms = {v: 1.0 for d in window for v in work[d]}
        model.add(terms, -INF, m - before, "max_consecutive_days")
    for w, days in enumerate(inst.weeks):
        limits = week_limits(inst, w, agent, tail)
        before = week_worked_before(inst, w, tail)
        terms = {v: 1.0 for d in days for v in work[d]}
        model.add(terms, -INF, 7 - rules.min_days_off_per_week - len(before),
                  "min_days_off_per_week")
        model.add(terms, -INF, contract.max_working_days_per_week - len(before),
                  "max_working_days_per_week")
        paid = {y[o]: float(inst.options[o].paid_minutes) for d in days for o in day_options[d]}
        model.add(paid, limits["min_paid_minutes"], INF, "min_weekly_hours")
        model.add(paid, -INF, limits["max_paid_minutes"], "max_weekly_hours")
        _add_days_off_block(model, inst, days, work, rules.min_days_off_per_week,
                            rules.min_consecutive_days_off, f"{agent.agent_id},{w}", before)
    return work


def _days_off_runs(inst: Instance, days: list[int], work: dict[int, dict[int, float]],
                   length: int, worked_before: frozenset[int]) -> list[list[int]] | None:
    """The horizon days of each run of ``length`` consecutive weekdays that could be the
    week's days off, or None when some run needs no horizon day off (always satisfied:
    it lies outside the horizon or on days without a possible shift). Runs over days the
    previous schedule worked are left out."""
    weekday_of = {inst.dates[d].weekday(): d for d in days}
    runs = []
    for j in range(0, 8 - length):
        if any(w in worked_before for w in range(j, j + length)):
            continue
        inside = [weekday_of[w] for w in range(j, j + length) if w in weekday_of]
        if not inside or all(not work[d] for d in inside):
            return None
        runs.append(inside)
    return runs


def _add_days_off_block(model: LinearModel, inst: Instance, days: list[int],
                        work: dict[int, dict[int, float]], min_off: int, length: int,
                        label: str, worked_before: frozenset[int] = frozenset()) -> None:
    """A run of ``length`` days off inside the calendar week (days outside the horizon
    count as off unless the previous schedule worked them)."""
    if min_off == 0 or length <= 1:
        return
    starts = _days_off_runs(inst, days, work, length, worked_before)
    if starts is None:
        return
    choice = []
    for j, inside in enumerate(starts):
        z = model.var(0, 1, f"days_off_run({label}, start={j})")
        choice.append(z)
        for d in inside:
            terms = dict(work[d])
            terms[z] = 1.0
            model.add(terms, -INF, 1, "min_consecutive_days_off")
    model.add({z: 1.0 for z in choice}, 1, INF, "min_consecutive_days_off")


def add_group_cuts(model: LinearModel, inst: Instance, group: Group,
                   n: dict[int, int]) -> None:
    """Valid cuts on a group's counts ``n[option]`` implied by its agents' rules."""
    cfg = inst.cfg
    rules = cfg.labor_rules
    size = group.size
    days = group.options
    work = {d: {n[k]: 1.0 for k in keys} for d, keys in days.items()}
    for d in days:
        if work[d]:
            model.add(work[d], 0, size, "one_shift_per_day")
    m = rules.max_consecutive_working_days
    n_days = len(inst.dates)
    for s in range(-m, n_days - m):
        window = [d for d in range(s, s + m + 1) if 0 <= d < n_days]
        before = min(-s, group.tail.worked_streak) if s < 0 else 0
        if len(window) + before <= m:
            continue
        model.add({v: 1.0 for d in window for v in work[d]}, -INF, size * (m - before),
                  "max_consecutive_days")
    for w, week_days in enumerate(inst.weeks):
        limits = week_limits(inst, w, group.agents[0], group.tail)
        terms = {v: 1.0 for d in week_days for v in work[d]}
        model.add(terms, -INF, size * limits["max_days"], "max_working_days_per_week")
        paid = {n[o]: float(inst.options[o].paid_minutes) for d in week_days for o in days[d]}
        model.add(paid, size * limits["min_paid_minutes"], size * limits["max_paid_minutes"],
                  "weekly_hours")
        longest = max((inst.options[o].paid_minutes for d in week_days for o in days[d]),
                      default=0)
        if longest and limits["min_paid_minutes"] > 0:  # each agent needs this many shifts
            fewest = -(-limits["min_paid_minutes"] // longest)
            model.add(terms, size * fewest, INF, "min_weekly_hours")
        _add_group_days_off_runs(model, inst, week_days, work, size, f"{group.index},{w}",
                                 week_worked_before(inst, w, group.tail))
    # rest: agents ending at or after e on day d and those starting before e + rest on a
    # later day are different agents
    rest = rest_minutes(inst)
    day_list = sorted(d for d in days if days[d])
    for a, d in enumerate(day_list):
        ends = sorted({inst.options[k].end_minute for k in days[d]})
        for d2 in day_list[a + 1:]:
            first_start = min(inst.options[k].start_minute for k in days[d2])
            if first_start >= ends[-1] + rest:
                break
            for e in ends:
                late = [k for k in days[d] if inst.options[k].end_minute >= e]
                early = [k for k in days[d2] if inst.options[k].start_minute < e + rest]
                if early:
                    terms = {n[k]: 1.0 for k in late + early}
                    model.add(terms, -INF, size, "min_rest")


def _add_group_days_off_runs(model: LinearModel, inst: Instance, days: list[int],
                             work: dict[int, dict[int, float]], size: int, label: str,
                             worked_before: frozenset[int]) -> None:
    """Each agent is off on some run of consecutive days: count the agents per run.

    ``z[run]`` agents take run ``run`` as their run of days off; the runs' counts add up to
    the group, and on each day the agents at work plus those whose run covers the day do
    not exceed the group.
    """
    rules = inst.cfg.labor_rules
    length = rules.min_consecutive_days_off
    if rules.min_days_off_per_week == 0 or length <= 1:
        return
    runs = _days_off_runs(inst, days, work, length, worked_before)
    if runs is None:
        return
    z = [model.var(0, size, f"days_off_run(group={label}, start={j})") for j in range(len(runs))]
    model.add({v: 1.0 for v in z}, size, size, "min_consecutive_days_off")
    for d in days:
        terms = dict(work[d])
        for v, inside in zip(z, runs, strict=True):
            if d in inside:
                terms[v] = 1.0
        if len(terms) > len(work[d]):
            model.add(terms, -INF, size, "min_consecutive_days_off")
