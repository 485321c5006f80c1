"""`solve_schedule`: agents into shifts, breaks and queues, with a proven coverage bound.

Two ways to the same per-agent-exact schedule:

* ``exact`` (small rosters; also the plain per-agent model of the benchmark): one CP-SAT
  model with a boolean per agent, day and shift option, every rule per agent, every soft
  goal, coverage by class counts.
* ``aggregate`` (large rosters): interchangeable agents form groups, and the schedule is
  built in four steps, each taking the best of what the one before left:

  1. the *safe schedule*: each agent works the week the rule precheck found for its group
     (valid in seconds, poor coverage: a group's agents all start together);
  2. starts: the coverage LP's group counts (its point, converged or not) rounded to keep
     its coverage shape and split exactly into each group's agents, the weeks handed to
     the agents who want them (agent by agent from the point, each with its own goals,
     for a class not rounded in time: `split.split_from_lp`); when the LP
     gave no point and there is no previous schedule, a greedy cover
     (`split.greedy_cover`); with a previous schedule that covers the horizon, that too.
     The per-agent model below starts from the best of them;
  3. the *per-agent model*: a boolean per agent, day and option with every rule and every
     soft goal per agent (preferences, start spread, changes, and fairness over the whole
     roster against the start's targets), breaks and queues placed day by day, improved
     by HiGHS over day and week neighbourhoods (`improve.improve`) until the time, the
     relative gap or a round without gain ends it;
  4. each group's split re-solved by CP-SAT for the soft goals with its counts held.

Deferred and campaign queues are backlog flows in both models (`wfm.schedule.flows`): the
agents on them per interval are the model's choice, their backlog carried between
intervals and days, past-due and carried work priced in the coverage terms; a blended
agent goes to a campaign only where the other queues it serves are covered
(`flows.protect_inbound` keeps that for any schedule the search returns).

The coverage bound is the LP relaxation of the aggregate model with coverage terms only
(the flows' terms included) and its classes merged by the queues they serve
(`instance.coverage_instance`: the same optimum, fewer variables), solved in a thread
beside the precheck and the safe schedule: HiGHS' interior point method, then PDLP when
that fails in its time. The bound is the Lagrangian value of the duals found
(`linear.lagrangian_bound`), valid whatever the method's accuracy; every schedule maps to
a feasible point of the LP with the same coverage cost.

Every schedule's soft goals are recounted from its shifts (`preferences.soft_goal_figures`):
candidates are compared, and reported, by the schedule's own objective. A large-roster
result no better than the safe schedule, while that is not already at the bound, is
``degraded``: the caller must not take it for a good plan.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from math import isfinite

import numpy as np
import pandas as pd

from wfm.config import CenterConfig
from wfm.errors import InfeasibleRules, NoSolution
from wfm.roster import Agent
from wfm.schedule.coverage import PROFICIENCY, CoverageVars, add_coverage, coverage_cost
from wfm.schedule.extract import assign_activities, schedule_tables, scheduled_counts
from wfm.schedule.flows import CAMPAIGN, protect_inbound
from wfm.schedule.improve import (
    improve,
    integral,
    neighbourhoods,
    place_breaks,
    round_shift_counts,
    tag_variables,
)
from wfm.schedule.instance import (
    Group,
    Instance,
    build_instance,
    coverage_instance,
    week_limits,
)
from wfm.schedule.linear import LP_METHODS, LinearModel, LpSolver, solve_cp
from wfm.schedule.preferences import (
    FAIRNESS,
    FAIRNESS_KINDS,
    SOFT_COMPONENTS,
    START_VARIATION,
    SoftCosts,
    add_agent_preferences,
    add_fairness,
    assign_weeks,
    fairness_targets,
    soft_goal_cost,
    soft_goal_figures,
)
from wfm.schedule.result import ScheduleResult
from wfm.schedule.rules import add_agent_rules, add_group_cuts, agent_options, tail_blocked
from wfm.schedule.split import greedy_cover, split_from_lp, split_group
from wfm.verify.check import COVERAGE

PAID_HOURS = "paid_hours"
EXACT_MAX_BOOLEANS = 4000  # agent-day-option booleans up to which the exact model is used
QUICK_SPLIT_SECONDS = 1.0  # per group and attempt in the first split
COVERAGE_LP_SHARE = 0.4  # of the time limit, at most, for the coverage LP
ROUNDING_SHARE = 0.25  # of the time left, at most, to round the LP's counts
ROUNDING_SECONDS = 60.0  # at most, to round the LP's counts
IPM_SHARE = 0.7  # of the LP's time for the interior point method, before PDLP
HARD_COMPONENTS = [COVERAGE, PROFICIENCY, PAID_HOURS]
ALL_COMPONENTS = HARD_COMPONENTS + list(SOFT_COMPONENTS)


@dataclass
class _Context:
    inst: Instance
    started: float
    deadline: float
    workers: int
    seed: int
    log: Callable[[str], None]
    stop: threading.Event | None

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()


def solve_schedule(cfg: CenterConfig, agents: list[Agent], requirements: pd.DataFrame,
                   start: date, days: int, previous: pd.DataFrame | None = None,
                   time_limit_seconds: float | None = None, workers: int | None = None,
                   seed: int | None = None, log: Callable[[str], None] | None = None,
                   stop: threading.Event | None = None, method: str = "auto",
                   ) -> ScheduleResult:
    """Schedule ``agents`` over ``days`` days from ``start`` to cover ``requirements``.

    ``requirements`` has ``interval_start`` (tz-aware), ``queue`` and ``required`` (agents);
    ``previous`` is a shifts table of an earlier schedule (rest and consecutive days carry
    over; on the same dates, changes cost ``objective.changes``). ``method`` is ``exact``,
    ``aggregate`` or ``auto`` (exact for small rosters). Raises InfeasibleRules naming an
    agent and the conflicting rules, NoSolution when nothing is found in time. The result
    is ``degraded`` when it is no better than the safe schedule (see the module).
    """
    started = time.monotonic()
    limit = time_limit_seconds if time_limit_seconds is not None else cfg.solver.time_limit_seconds
    ctx = _Context(
        inst=build_instance(cfg, agents, requirements, start, days, previous),
        started=started, deadline=started + limit,
        workers=workers if workers is not None else cfg.solver.workers,
        seed=seed if seed is not None else cfg.solver.seed,
        log=log or (lambda _: None), stop=stop,
    )
    inst = ctx.inst
    ctx.log(f"{len(agents)} agents in {len(inst.groups)} groups and {len(inst.classes)} "
            f"classes, {len(inst.options)} shift options, {inst.n_intervals} intervals")
    weeks = precheck_rules(ctx)
    bound = CoverageBound(inst, max(1.0, ctx.left() * COVERAGE_LP_SHARE))
    booleans = sum(len(k) for g in inst.groups for k in g.options.values() for _ in g.agents)
    if method == "auto":
        method = "exact" if booleans <= EXACT_MAX_BOOLEANS else "aggregate"
    if method == "exact":
        result = _solve_exact(ctx)
        lp = bound.result()
        result.coverage_bound = min(lp.coverage_bound, result.coverage_objective)
        result.notes.insert(0, lp.note())
        result.milestones["lp_seconds"] = lp.seconds
        return result
    safe = _safe_schedule(ctx, weeks) if weeks else None
    return _solve_aggregate(ctx, bound, safe)


# ---------------------------------------------------------------- the coverage bound

@dataclass
class BoundLp:
    """The coverage LP as solved: its best bound, the point kept and what was tried."""

    bound: float  # minus infinity: no bound
    values: list[float]  # a point of the merged model (empty: none)
    group_vars: dict[tuple[int, int], int]  # (group, option) -> variable of that model
    seconds: float
    tried: list[str] = field(default_factory=list)

    @property
    def coverage_bound(self) -> float:
        """The bound on the coverage objective (0 when none was proven)."""
        return max(0.0, self.bound) if isfinite(self.bound) else 0.0

    def note(self) -> str:
        """What the bound is and how it was found."""
        if not isfinite(self.bound) or self.bound <= 0:
            return ("coverage bound: none proven (the LP found no positive bound in its "
                    "time: " + "; ".join(self.tried) + ")")
        return ("coverage bound: LP relaxation of the aggregate model, coverage terms only, "
                "Lagrangian value of its duals (" + "; ".join(self.tried) + ")")


class CoverageBound:
    """The coverage LP solved in a thread beside the rest (HiGHS releases the interpreter
    lock); `result` waits for it (it stops at its own time limit)."""

    def __init__(self, inst: Instance, seconds: float) -> None:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coverage-lp")
        self._future: Future[BoundLp] = pool.submit(coverage_lp, inst, seconds)
        pool.shutdown(wait=False)

    def result(self) -> BoundLp:
        """The solved LP (waits for it)."""
        return self._future.result()


def coverage_lp(inst: Instance, seconds: float,
                methods: tuple[str, ...] = LP_METHODS) -> BoundLp:
    """Solve the coverage LP on the merged classes within ``seconds``: each method of
    ``methods`` in turn until one converges (the first gets `IPM_SHARE` of the time).
    Keeps the best bound and the point of the last method that gave one."""
    started = time.monotonic()
    deadline = started + seconds
    model, _, solver = _aggregate_model(coverage_instance(inst))
    found = BoundLp(-np.inf, [], model.group_vars, 0.0)  # type: ignore[attr-defined]
    for position, method in enumerate(methods):
        left = deadline - time.monotonic()
        if left < 0.2:
            found.tried.append(f"{method} not run (no time left)")
            break
        share = left * IPM_SHARE if position < len(methods) - 1 else left
        lp = solver.solve([COVERAGE], share, method)
        found.tried.append(f"{method} {lp.status} in {lp.seconds:.1f}s")
        found.bound = max(found.bound, lp.bound)
        if lp.values:
            found.values = lp.values
        if lp.status == "OPTIMAL":
            break
    found.seconds = time.monotonic() - started
    return found


def precheck_rules(ctx: _Context) -> dict[int, list[int]] | None:
    """Raise InfeasibleRules when some agent has no schedule that keeps every hard rule.

    One model holds one representative agent per group; only when it is infeasible is
    each representative diagnosed with rule assumptions. Returns the week found for each
    group's representative (option keys by group index), or None when none was found
    in time.
    """
    inst = ctx.inst
    for group in inst.groups:
        _precheck_weekly_hours(inst, group)
    model = LinearModel()
    y_of = {group.index: _agent_feasibility(model, inst, group, diagnose=False)
            for group in inst.groups}
    result = solve_cp(model, time_limit_seconds=max(1.0, min(30.0, ctx.left() * 0.2)),
                      workers=ctx.workers, seed=ctx.seed)
    if result.values:
        return {g: [k for k, v in y.items() if result.values[v]] for g, y in y_of.items()}
    if result.status in ("UNKNOWN", "MODEL_INVALID"):
        return None
    for group in inst.groups:
        single = LinearModel()
        _agent_feasibility(single, inst, group, diagnose=True)
        found = solve_cp(single, time_limit_seconds=10.0, workers=1, seed=ctx.seed,
                         assume_rules=True)
        if found.status == "INFEASIBLE":
            agent = group.agents[0]
            rules = ", ".join(found.conflicting_rules) or "the shift templates of its contract"
            raise InfeasibleRules(
                f"agent {agent.agent_id} (contract {agent.contract}): no schedule keeps the "
                f"hard rules {rules}"
            )


def _precheck_weekly_hours(inst: Instance, group: Group) -> None:
    """The common case first: the weekly minimum cannot fit on the days the agent can work."""
    agent = group.agents[0]
    contract = inst.cfg.contract(agent.contract)
    for w, days in enumerate(inst.weeks):
        limits = week_limits(inst, w, agent, group.tail)
        longest = sorted((max(inst.options[k].paid_minutes for k in group.options[d])
                          for d in days if group.options.get(d)), reverse=True)
        most = sum(longest[:limits["max_days"]])
        if most < limits["min_paid_minutes"]:
            open_days = len(longest)
            raise InfeasibleRules(
                f"agent {agent.agent_id} (contract {contract.id}): min_weekly_hours needs "
                f"{limits['min_paid_minutes'] / 60:g} paid hours in the week of "
                f"{inst.dates[days[0]]}, but at most {most / 60:g} fit on the {open_days} "
                f"days it can work (opening_hours, unavailable_dates, available_window, "
                f"max_working_days_per_week)"
            )


def _agent_feasibility(model: LinearModel, inst: Instance, group: Group, diagnose: bool,
                       ) -> dict[int, int]:
    agent = group.agents[0]
    day_options, forbidden = agent_options(inst, agent, diagnose)
    y = {k: model.var(0, 1, f"y({agent.agent_id},{k})")
         for keys in day_options.values() for k in keys}
    add_agent_rules(model, inst, agent, y, day_options, group.tail, forbidden)
    return y


def _safe_schedule(ctx: _Context, weeks: dict[int, list[int]]) -> ScheduleResult | None:
    """A valid schedule in seconds, before the LP: each agent works its group's checked week.

    Agents of a group share every rule, so the week found for one holds for all; breaks
    and queues are placed for coverage. Its coverage is poor (a group's agents all start
    together): it is what a run stopped early falls back on. None if not placed in time.
    """
    inst = ctx.inst
    shifts = {a.agent_id: list(weeks[g.index]) for g in inst.groups for a in g.agents}
    realized: dict[tuple[int, int], int] = defaultdict(int)
    for group in inst.groups:
        for k in weeks[group.index]:
            realized[group.class_index, k] += group.size
    placed = _place_for_shifts(ctx, dict(realized), max(2.0, min(30.0, ctx.left() * 0.05)))
    if placed is None:
        return None
    schedule = _result(ctx, shifts, *placed, "FEASIBLE")
    ctx.log(f"safe schedule at {schedule.wall_seconds:.1f}s, coverage "
            f"{schedule.coverage_objective:.1f}")
    return schedule


def _paid_cost(inst: Instance, agent_contract: str, option_key: int) -> float:
    weights = inst.cfg.objective
    contract = inst.cfg.contract(agent_contract)
    return weights.paid_hours * contract.cost_per_hour * inst.options[option_key].paid_minutes / 60


# ---------------------------------------------------------------- the aggregate model

def _aggregate_model(inst: Instance, per_agent: bool = False,
                     targets: dict[str, float] | None = None,
                     ) -> tuple[LinearModel, CoverageVars, LpSolver]:
    """The aggregate model; with ``per_agent`` every agent has its own booleans instead.

    Shift counts per group and option carry the groups' rule cuts; per-agent booleans carry
    every rule exactly and every soft goal, fairness over the whole roster held against
    ``targets`` (see `preferences.add_fairness`); the model's ``soft`` is then its
    `preferences.SoftCosts`. Returns the model, its coverage variables and its HiGHS
    solver.
    """
    model = LinearModel()
    counts: dict[tuple[int, int], tuple[list[int], int]] = {}
    group_vars: dict[tuple[int, int], int] = {}
    agent_vars: dict[int, dict[str, dict[int, int]]] = {}
    owner: dict[int, int] = {}  # rule and soft-goal variables (weekly ones) -> their class
    fairness_terms: list[dict[str, dict[int, float]]] = []
    fairness_of: list[tuple[str, int]] = []  # (agent, class) of each fairness entry
    spread_vars: dict[tuple[str, int], tuple[int, int, int]] = {}
    for group in inst.groups:
        first_var = len(model.lb)
        if per_agent:
            agent_vars[group.index] = {}
            for agent in group.agents:
                y = {k: model.var(0, 1, f"y({agent.agent_id},{k})")
                     for keys in group.options.values() for k in keys}
                for k, v in y.items():
                    model.cost(PAID_HOURS, v, _paid_cost(inst, group.contract, k))
                    terms, total = counts.get((group.class_index, k), ([], 0))
                    counts[group.class_index, k] = (terms + [v], total + 1)
                work = add_agent_rules(model, inst, agent, y, group.options, group.tail)
                fairness_terms.append(add_agent_preferences(model, inst, agent, y,
                                                            group.options, work, spread_vars))
                fairness_of.append((agent.agent_id, group.class_index))
                agent_vars[group.index][agent.agent_id] = y
            owner.update(dict.fromkeys(range(first_var, len(model.lb)), group.class_index))
            continue
        n = {}
        for keys in group.options.values():
            for k in keys:
                upper = 0 if tail_blocked(inst, group.tail, k) else group.size
                n[k] = model.var(0, upper, f"n(group={group.index}, option={k})")
                group_vars[group.index, k] = n[k]
                model.cost(PAID_HOURS, n[k], _paid_cost(inst, group.contract, k))
                terms, total = counts.get((group.class_index, k), ([], 0))
                counts[group.class_index, k] = (terms + [n[k]], total + group.size)
        add_group_cuts(model, inst, group, n)
        owner.update(dict.fromkeys(range(first_var, len(model.lb)), group.class_index))
    excess_vars: dict[str, dict[str, int]] = {}
    if per_agent:
        held = targets or dict.fromkeys(FAIRNESS_KINDS, 0.0)
        added = add_fairness(model, inst, "roster", fairness_terms, held)
        for a, kinds in added.items():
            agent_id, cls = fairness_of[a]
            excess_vars[agent_id] = kinds
            owner.update(dict.fromkeys(kinds.values(), cls))
    cover = add_coverage(model, inst, counts)
    model.group_vars = group_vars  # type: ignore[attr-defined]
    model.agent_vars = agent_vars  # type: ignore[attr-defined]
    model.owner = owner  # type: ignore[attr-defined]
    if per_agent:
        flat = {a: y for by_agent in agent_vars.values() for a, y in by_agent.items()}
        model.soft = SoftCosts(inst, model, flat, held,  # type: ignore[attr-defined]
                               spread_vars, excess_vars)
    return model, cover, LpSolver(model)


def _solve_aggregate(ctx: _Context, bound: CoverageBound, safe: ScheduleResult | None,
                     ) -> ScheduleResult:
    """The best of the safe schedule, the LP's start improved, and the final split.

    ``safe`` (a valid schedule found before the LP) is returned when nothing better is
    found, for instance when the run is stopped early; the result is then ``degraded``
    unless it is already at the bound.
    """
    lp = bound.result()
    coverage_bound = lp.coverage_bound
    tried = [f"coverage LP: {'; '.join(lp.tried)} ({lp.seconds:.1f}s)"]
    ctx.log(f"LP coverage bound {coverage_bound:.1f} in {lp.seconds:.1f}s "
            f"({'; '.join(lp.tried)})")
    milestones: dict[str, float] = {"lp_seconds": lp.seconds}
    if safe is not None:
        milestones.update(safe_seconds=safe.wall_seconds, safe_coverage=safe.coverage_objective)
        _reached(milestones, coverage_bound, safe.coverage_objective, safe.wall_seconds)
        tried.append(f"safe schedule at {safe.wall_seconds:.1f}s")
    best = safe
    try:
        found = _improve_from_starts(ctx, lp, safe, tried, milestones)
    except NoSolution:
        if safe is None:
            raise
        found = None
    if found is not None and (best is None or found.objective < best.objective):
        best = found
    if best is None:
        raise NoSolution(f"aggregate method: no schedule within the time limit "
                         f"({ctx.elapsed():.0f}s; tried: {'; '.join(tried)})")
    _reached(milestones, coverage_bound, best.coverage_objective, ctx.elapsed())
    best.coverage_bound = min(coverage_bound, best.coverage_objective)
    best.best_bound = min(coverage_bound, best.objective)
    best.wall_seconds = ctx.elapsed()
    best.milestones.update(milestones)
    if safe is not None:
        best.first_solution_seconds = milestones["safe_seconds"]
    best.degraded = bool(safe is not None and best.objective >= safe.objective - 1e-6
                         and best.coverage_objective > coverage_bound + 1e-6)
    best.notes.insert(0, lp.note())
    best.notes.append("tried: " + "; ".join(tried))
    best.notes.append(_quality(best, safe))
    return best


def _quality(result: ScheduleResult, safe: ScheduleResult | None) -> str:
    """One line on how good the result is: against the bound and the safe schedule."""
    if result.coverage_bound > 0:
        against = (f"coverage {result.coverage_objective / result.coverage_bound:.3f} times "
                   f"its bound")
    elif result.coverage_objective == 0:
        against = "coverage at its bound (0)"
    else:
        against = "coverage bound unknown"
    if safe is None:
        return f"quality: {against}"
    if result.degraded:
        return (f"quality: DEGRADED, no better than the safe schedule (every agent of a "
                f"group on the same week); {against}")
    ratio = (safe.coverage_objective / result.coverage_objective
             if result.coverage_objective > 0 else float("inf"))
    return f"quality: {against}; the safe schedule's coverage is {ratio:.1f} times this one's"


def _improve_from_starts(ctx: _Context, lp: BoundLp, safe: ScheduleResult | None,
                         tried: list[str], milestones: dict[str, float],
                         ) -> ScheduleResult | None:
    """Starts (the LP's, the previous schedule, else the safe schedule) into the per-agent
    model, improved by neighbourhoods, then the final split. None if nothing was placed."""
    inst = ctx.inst
    starts: list[tuple[str, dict[str, list[int]]]] = []
    if lp.values and not ctx.stopped():
        shifts = _shifts_from_lp(ctx, lp, tried)
        if shifts is not None:
            starts.append(("LP", shifts))
    previous = previous_shifts(inst)
    if previous is not None:
        starts.append(("previous schedule", previous))
    if not starts and not ctx.stopped():
        # a greedy cover beside an unconverged LP point as well was tried: on the sample
        # center beside two busy processes, building and placing both starts took the
        # whole limit (bench/results/schedule.md), so it is built only without a point
        started = time.monotonic()
        starts.append(("greedy cover", greedy_cover(inst, ctx.seed)))
        tried.append(f"no LP point: a greedy cover built in {time.monotonic() - started:.1f}s")
    if not starts or ctx.stopped():
        return None
    started = time.monotonic()
    remodelled = _per_agent_model(ctx, starts, tried)
    if remodelled is None:
        tried.append("per-agent model (no placement in time)")
        return None
    model, cover, solver, soft, values, name = remodelled
    built = time.monotonic()
    best = _agent_result(ctx, model, cover, values)
    build_seconds = time.monotonic() - built  # what building a schedule's tables takes
    split_seconds = time.monotonic() - started
    ctx.log(f"first schedule from the {name} at {best.wall_seconds:.1f}s, coverage "
            f"{best.coverage_objective:.1f} (bound {lp.coverage_bound:.1f})")
    tried.append(f"first schedule from the {name} at {best.wall_seconds:.1f}s")
    _reached(milestones, lp.coverage_bound, best.coverage_objective, best.wall_seconds)
    if name == "LP":
        milestones.update(from_lp_seconds=best.wall_seconds,
                          from_lp_coverage=best.coverage_objective)
    else:
        milestones.update(from_start_seconds=best.wall_seconds,
                          from_start_coverage=best.coverage_objective)
    # time to build the search's schedule and, if it fits, a final split and its schedule
    reserve = min(ctx.left() * 0.3, 2.0 + 0.5 * split_seconds + 3.0 * build_seconds)
    tags = tag_variables(inst, model, cover, {}, model.agent_vars,  # type: ignore[attr-defined]
                         model.owner)  # type: ignore[attr-defined]
    hoods = neighbourhoods(inst, tags, ctx.workers)
    good_enough = _gap_target(lp.coverage_bound, inst.cfg.solver.relative_gap)
    coverage_cost_vector = solver.cost_vector([COVERAGE])

    def on_gain(vector: np.ndarray) -> None:
        _reached(milestones, lp.coverage_bound, float(coverage_cost_vector @ vector),
                 ctx.elapsed())

    first = values
    values, solved = improve(solver, values, hoods, ALL_COMPONENTS,
                             time.monotonic() + ctx.left() - reserve, ctx.log, ctx.stopped,
                             ctx.workers, good_enough, soft, on_gain, tags.sync, tags.flow)
    tried.append(f"{solved} day and week neighbourhoods re-solved by HiGHS")
    linear = [c for c in ALL_COMPONENTS if c not in (START_VARIATION, FAIRNESS)]
    if float(solver.cost_vector(linear) @ values) + soft.value(values) <= good_enough:
        tried.append(f"search stopped within solver.relative_gap "
                     f"{inst.cfg.solver.relative_gap:.2%} of the coverage bound")
    if values is not first:  # the search found something better
        searched = _agent_result(ctx, model, cover, values)
        if searched.objective < best.objective:
            best = searched
    if not ctx.stopped() and ctx.left() >= 3.0 + 2.0 * build_seconds:
        final = _final_split(ctx, model, cover, integral(values),
                             ctx.left() - 1.5 * build_seconds)
        if final is not None and final.objective < best.objective:
            tried.append("final split kept")
            best = final
    return best


#: Shares above the coverage bound whose first time is recorded (``within_10pct_seconds``).
MILESTONE_GAPS = (0.10, 0.03, 0.02)


def _reached(milestones: dict[str, float], bound: float, coverage: float,
             seconds: float) -> None:
    """Record the first time a schedule's coverage came within each `MILESTONE_GAPS`."""
    if bound <= 0:
        return
    for gap in MILESTONE_GAPS:
        key = f"within_{round(gap * 100)}pct_seconds"
        if key not in milestones and coverage <= bound * (1 + gap):
            milestones[key] = seconds


def _gap_target(coverage_bound: float, relative_gap: float) -> float:
    """The objective at which the search may stop: within ``relative_gap`` of a lower bound.

    The coverage LP bounds the whole objective from below (its other terms are not
    negative), so ``objective <= bound / (1 - gap)`` means a relative gap of at most
    ``gap``. No target (minus infinity) when the gap is 0.
    """
    if relative_gap <= 0:
        return -np.inf
    if relative_gap >= 1:
        return np.inf
    return coverage_bound / (1.0 - relative_gap)


def _shifts_from_lp(ctx: _Context, lp: BoundLp, tried: list[str]) -> dict[str, list[int]]:
    """The LP's group counts as agents' weeks.

    The counts are rounded first so that the agents on shift per class and interval keep
    the LP's shape (`improve.round_shift_counts`), then split exactly into each group's
    agents (`split_group`, the first split; the weeks then go to the agents who want them,
    `preferences.assign_weeks`, and the search that follows prices every soft goal). Split
    agent by agent from the fractional point instead (`split.split_from_lp`), the first
    schedule was 1.4-1.6 times the bound against 1.07 rounded at 300 agents
    (bench/results/schedule.md); that way is kept for the classes not rounded in time.
    """
    inst = ctx.inst
    started = time.monotonic()
    seconds = max(1.0, min(ROUNDING_SECONDS, ctx.left() * ROUNDING_SHARE))
    rounded = round_shift_counts(inst, lp.group_vars, lp.values, seconds, ctx.workers)
    rounding_seconds = time.monotonic() - started
    whole = [g for g in inst.groups if all(lp.group_vars[g.index, k] in rounded
                                           for keys in g.options.values() for k in keys)]
    counts = {(g.index, k): rounded[lp.group_vars[g.index, k]]
              for g in whole for keys in g.options.values() for k in keys}
    shifts, moved = _split_all(ctx, counts, quick=True, budget_seconds=ctx.left() * 0.1,
                               groups=whole)
    tried.append(f"LP counts rounded in {rounding_seconds:.1f}s and split into agents in "
                 f"{time.monotonic() - started - rounding_seconds:.1f}s"
                 + (f" ({moved} agent-shifts moved)" if moved else ""))
    rest = [g for g in inst.groups if g not in whole]
    for group in rest:
        group_counts = {k: lp.values[lp.group_vars[group.index, k]]
                        for keys in group.options.values() for k in keys}
        shifts.update(split_from_lp(inst, group, group_counts, ctx.seed))
    if rest:
        tried.append(f"{len(rest)} groups not rounded in time split agent by agent from the "
                     f"LP point")
    return assign_weeks(inst, shifts)


def previous_shifts(inst: Instance) -> dict[str, list[int]] | None:
    """The previous schedule on the horizon's dates as option keys per agent, when it
    covers every date of the horizon with shifts this instance offers the agent (None
    otherwise). Its rules are checked when breaks are placed for it."""
    if not inst.previous_same_dates:
        return None
    found: dict[str, list[int]] = {}
    for agent in inst.agents:
        allowed = inst.groups[inst.group_of_agent[agent.agent_id]].options
        keys = []
        for d in range(len(inst.dates)):
            key = inst.previous_same_dates.get((agent.agent_id, d), -2)
            if key == -2 or key == -1:
                return None  # a date the previous schedule does not cover, or cannot offer
            if key is not None:
                if key not in allowed.get(d, ()):
                    return None
                keys.append(key)
        found[agent.agent_id] = keys
    return found


def _per_agent_model(ctx: _Context, starts: list[tuple[str, dict[str, list[int]]]],
                     tried: list[str]) -> tuple | None:
    """The model with a boolean per agent, day and option, started from the best of
    ``starts`` (name, shifts) once breaks and queues are placed for each.

    Returns the model, its coverage variables, solver, start-spread and fairness costs
    (`preferences.SoftCosts`, fairness targets from the first start), the start vector
    and its name; None if no start is placed in time.
    """
    inst = ctx.inst
    model, cover, solver = _aggregate_model(inst, per_agent=True,
                                            targets=fairness_targets(inst, starts[0][1]))
    agent_vars = {a: y for by_agent in model.agent_vars.values()  # type: ignore[attr-defined]
                  for a, y in by_agent.items()}
    soft: SoftCosts = model.soft  # type: ignore[attr-defined]
    linear = [c for c in ALL_COMPONENTS if c not in (START_VARIATION, FAIRNESS)]
    tags = tag_variables(inst, model, cover, {}, model.agent_vars,  # type: ignore[attr-defined]
                         model.owner)  # type: ignore[attr-defined]
    cost = solver.cost_vector(linear)
    best: tuple[float, np.ndarray, str] | None = None
    for position, (name, shifts) in enumerate(starts):
        if ctx.stopped():
            break
        start = np.zeros(len(model.lb))
        for agent_id, y in agent_vars.items():
            for k in shifts.get(agent_id, ()):
                start[y[k]] = 1.0
        share = ctx.left() * 0.3 / (len(starts) - position)
        placed = place_breaks(solver, start, tags, ALL_COMPONENTS, time.monotonic() + share)
        if placed is None:
            tried.append(f"start from the {name}: no placement (a rule broken, or no time)")
            continue
        value = float(cost @ placed) + soft.value(placed)
        if best is None or value < best[0]:
            best = (value, placed, name)
    if best is None:
        return None
    return model, cover, solver, soft, best[1], best[2]


def _agent_result(ctx: _Context, model: LinearModel, cover: CoverageVars,
                  values: np.ndarray) -> ScheduleResult:
    """The schedule of a per-agent model's integer vector, its weeks handed within each
    group to the agents who want them most (`preferences.assign_weeks`)."""
    found = integral(values)
    shifts = assign_weeks(ctx.inst, {
        a: [k for k, v in y.items() if found[v]]
        for by_agent in model.agent_vars.values()  # type: ignore[attr-defined]
        for a, y in by_agent.items()})
    break_counts = {key: {b: found[v] for b, v in layer.items() if found[v]}
                    for key, layer in cover.breaks.items()}
    work_counts = {key: found[v] for key, v in cover.work.items() if found[v]}
    return _result(ctx, shifts, break_counts, work_counts, "FEASIBLE")


def _final_split(ctx: _Context, model: LinearModel, cover: CoverageVars,
                 values: list[int], seconds: float) -> ScheduleResult | None:
    """Each group's counts of a per-agent vector split again for the soft goals, the
    splits taking at most half of ``seconds`` (the schedule is built after them)."""
    inst = ctx.inst
    agent_vars: dict[int, dict[str, dict[int, int]]] = model.agent_vars  # type: ignore
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for g, by_agent in agent_vars.items():
        for y in by_agent.values():
            for k, v in y.items():
                counts[g, k] += values[v]
    current = {a: [k for k, v in y.items() if values[v]]
               for by_agent in agent_vars.values() for a, y in by_agent.items()}
    shifts, moved = _split_all(ctx, counts, quick=False, budget_seconds=seconds * 0.5,
                               targets=fairness_targets(inst, current))
    if moved:
        placed = _place_for_shifts(ctx, _realized(inst, shifts))
        if placed is None:
            return None
        return _result(ctx, shifts, *placed, "FEASIBLE", moved)
    break_counts = {key: {b: values[v] for b, v in layer.items() if values[v]}
                    for key, layer in cover.breaks.items()}
    work_counts = {key: values[v] for key, v in cover.work.items() if values[v]}
    return _result(ctx, shifts, break_counts, work_counts, "FEASIBLE")


def _realized(inst: Instance, shifts: dict[str, list[int]]) -> dict[tuple[int, int], int]:
    """Agents per (class, option) in a schedule."""
    realized: dict[tuple[int, int], int] = defaultdict(int)
    for agent_id, keys in shifts.items():
        c = inst.groups[inst.group_of_agent[agent_id]].class_index
        for k in keys:
            realized[c, k] += 1
    return dict(realized)


def _split_all(ctx: _Context, counts: dict[tuple[int, int], int], quick: bool,
               budget_seconds: float, targets: dict[str, float] | None = None,
               groups: list[Group] | None = None) -> tuple[dict[str, list[int]], int]:
    """Split each group's counts ((group, option) -> agents) into its agents (every group,
    or those of ``groups``).

    ``quick`` takes each group's first exact split instead of the best for the soft goals;
    ``budget_seconds`` is shared among the groups by size. Returns the shifts per agent
    and how many agent-shifts differ from the counts.
    """
    inst = ctx.inst
    shifts: dict[str, list[int]] = {}
    moved = 0
    groups = inst.groups if groups is None else groups
    agents_left = sum(g.size for g in groups)
    until = time.monotonic() + budget_seconds
    for group in sorted(groups, key=lambda g: -g.size):
        mine = {k: counts.get((group.index, k), 0)
                for keys in group.options.values() for k in keys}
        budget = (until - time.monotonic()) * group.size / max(1, agents_left)
        if quick:  # the search repairs what a hurried split moves; waiting here costs more
            budget = min(budget, QUICK_SPLIT_SECONDS)
        agents_left -= group.size
        # out of budget, a group takes its first exact split, which CP-SAT finds at once
        split, deviation = split_group(inst, group, mine, max(0.5, budget), ctx.workers,
                                       ctx.seed, first_only=quick or budget < 0.1,
                                       targets=targets)
        shifts.update(split)
        moved += deviation
    return shifts, moved


def _place_for_shifts(ctx: _Context, realized: dict[tuple[int, int], int],
                      limit: float | None = None) -> tuple[dict, dict] | None:
    """Breaks and queue counts for fixed shifts, each day an exact MIP (None if not in time).

    Deferred and campaign queues are placed against their requirement rows here, not as
    backlog flows: the days stay independent and quick, and the schedule is then priced
    with its flows like any other (`_result`)."""
    inst = replace(ctx.inst, flows=[])
    model = LinearModel()
    counts = {}
    for ck, value in realized.items():
        fixed = model.var(value, value, f"fixed{ck}")
        counts[ck] = ([fixed], value)
    cover = add_coverage(model, inst, counts)
    tags = tag_variables(inst, model, cover, {}, {}, {})
    tags.shift[list(cover.n.values())] = True
    values = np.zeros(len(model.lb))
    for v in cover.n.values():
        values[v] = model.lb[v]
    limit = limit if limit is not None else max(2.0, min(60.0, ctx.left() * 0.5))
    placed = place_breaks(LpSolver(model), values, tags, [COVERAGE, PROFICIENCY],
                          time.monotonic() + limit)
    if placed is None:
        return None
    found = integral(placed)
    break_counts = {key: {b: found[v] for b, v in layer.items() if found[v]}
                    for key, layer in cover.breaks.items()}
    work_counts = {key: found[v] for key, v in cover.work.items() if found[v]}
    return break_counts, work_counts


# ---------------------------------------------------------------- the exact model

def _solve_exact(ctx: _Context) -> ScheduleResult:
    inst = ctx.inst
    model = LinearModel()
    counts: dict[tuple[int, int], tuple[list[int], int]] = {}
    y_of: dict[str, dict[int, int]] = {}
    fairness_terms = []
    for group in inst.groups:
        for agent in group.agents:
            day_options = group.options
            y = {k: model.var(0, 1, f"y({agent.agent_id},{k})")
                 for keys in day_options.values() for k in keys}
            for k, v in y.items():
                model.cost(PAID_HOURS, v, _paid_cost(inst, agent.contract, k))
                terms, total = counts.get((group.class_index, k), ([], 0))
                counts[group.class_index, k] = (terms + [v], total + 1)
            work = add_agent_rules(model, inst, agent, y, day_options, group.tail)
            fairness_terms.append(add_agent_preferences(model, inst, agent, y, day_options, work))
            y_of[agent.agent_id] = y
    add_fairness(model, inst, "roster", fairness_terms)
    cover = add_coverage(model, inst, counts)
    cp_started = ctx.elapsed()
    result = solve_cp(model, time_limit_seconds=ctx.left(), workers=ctx.workers, seed=ctx.seed,
                      stop=ctx.stop, log=ctx.log, relative_gap=inst.cfg.solver.relative_gap)
    if not result.values:
        raise NoSolution(f"exact model: {result.status} after {result.seconds:.0f}s "
                         f"(time limit {ctx.deadline - ctx.started:.0f}s)")
    values = result.values
    shifts = {a: [k for k, v in y.items() if values[v]] for a, y in y_of.items()}
    break_counts = {key: {b: values[v] for b, v in layer.items() if values[v]}
                    for key, layer in cover.breaks.items()}
    work_counts = {key: values[v] for key, v in cover.work.items() if values[v]}
    status, notes = result.status, []
    gap = inst.cfg.solver.relative_gap
    if gap > 0 and status == "OPTIMAL" and result.objective > result.bound + 1e-6 * max(
            1.0, abs(result.objective)):
        # CP-SAT calls a search stopped at its gap limit optimal; it is not proven so
        status = "FEASIBLE"
        notes.append(f"search stopped within solver.relative_gap {gap:.2%} of its bound")
    schedule = _result(ctx, shifts, break_counts, work_counts, status,
                       total_bound=result.bound)
    schedule.notes += notes
    if result.first_solution_seconds is not None:
        schedule.first_solution_seconds = cp_started + result.first_solution_seconds
    return schedule


# ---------------------------------------------------------------- the result

def _count_table(inst: Instance, scheduled: dict[tuple[int, int], int]) -> pd.DataFrame:
    """The solver's agents at work per queue and interval as ``interval_start, queue,
    scheduled`` (intervals of the horizon with at least one agent)."""
    keys = sorted(key for key, count in scheduled.items()
                  if count > 0 and key[1] < inst.n_intervals)
    return pd.DataFrame({
        "interval_start": pd.Series([inst.interval_starts[i] for _, i in keys],
                                    dtype=f"datetime64[ns, {inst.cfg.center.timezone}]"),
        "queue": [inst.queue_ids[q] for q, _ in keys],
        "scheduled": np.array([scheduled[key] for key in keys], dtype=np.int64),
    })


def _result(ctx: _Context, shifts: dict[str, list[int]], break_counts: dict, work_counts: dict,
            status: str, moved: int = 0, total_bound: float = 0.0) -> ScheduleResult:
    """The schedule of shifts per agent and counts per class: tables and every figure, the
    soft goals recounted from the shifts. ``total_bound`` is a proven bound on the
    objective (the coverage bound is set by the caller)."""
    inst = ctx.inst
    plan = assign_activities(inst, shifts, break_counts, work_counts)
    scheduled = scheduled_counts(inst, plan)
    campaigns = {f.queue for f in inst.flows if f.kind == CAMPAIGN}
    if campaigns:
        work_counts = dict(work_counts)
        if protect_inbound(inst.classes, inst.required, campaigns, work_counts, scheduled):
            plan = assign_activities(inst, shifts, break_counts, work_counts)
            scheduled = scheduled_counts(inst, plan)
    shifts_table, activities = schedule_tables(inst, shifts, plan)
    coverage = coverage_cost(inst, scheduled)
    paid = sum(_paid_cost(inst, a.contract, k) for a in inst.agents
               for k in shifts.get(a.agent_id, []))
    proficiency = 0.0
    for (c, _, q), m in work_counts.items():
        cls = inst.classes[c]
        proficiency += m * cls.penalty[cls.queues.index(q)]
    soft_goals = soft_goal_figures(inst, shifts)
    soft = soft_goal_cost(soft_goals)
    objective = coverage + paid + proficiency + soft
    required_hours = float(inst.required.sum()) * inst.cfg.center.interval_minutes / 60
    short = 0
    for q in range(len(inst.queue_ids)):
        for i in range(inst.n_intervals):
            short += max(0, int(inst.required[q, i]) - scheduled.get((q, i), 0))
    step_hours = inst.cfg.center.interval_minutes / 60
    notes = []
    if moved:
        notes.append(f"{moved} agent-shifts moved when splitting group counts into agents")
    elapsed = ctx.elapsed()
    return ScheduleResult(
        shifts=shifts_table, activities=activities, scheduled=_count_table(inst, scheduled),
        status=status,
        objective=objective, best_bound=min(total_bound, objective),
        coverage_objective=coverage, coverage_bound=0.0,
        wall_seconds=elapsed, first_solution_seconds=elapsed,
        penalties={"coverage": coverage, "paid_hours": paid, "proficiency": proficiency,
                   "soft_goals": soft, "shortfall_agent_hours": short * step_hours,
                   "required_agent_hours": required_hours},
        notes=notes, soft_goals=soft_goals,
    )
