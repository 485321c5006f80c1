"""`solve_schedule`: agents into shifts, breaks and queues, with a proven coverage bound.

Two ways to the same per-agent-exact schedule:

* ``exact`` (small rosters; also the plain per-agent model of the benchmark): one CP-SAT
  model with a boolean per agent, day and shift option, every rule per agent, every soft
  goal, coverage by class counts.
* ``aggregate`` (large rosters): interchangeable agents form groups; the model counts
  agents per group and option with valid cuts for every rule (a relaxation: daily and
  weekly counts, weekly hours, rest between days, consecutive days, runs of days off),
  and coverage, breaks and queues per class. Its LP relaxation (HiGHS interior point)
  gives the coverage bound. The LP's shift counts are rounded to keep its coverage shape
  (`improve.round_shift_counts`), breaks and queues placed day by day, and each group's
  counts split into agents by a small per-agent CP-SAT that holds every rule exactly:
  the first schedule. From then on each agent has its own booleans with every rule, and
  HiGHS re-solves day and week neighbourhoods of the model (`improve.improve`, two at a
  time when independent) until the time is up; the final split only trades identical
  agents' weeks to settle the soft goals (preferences, start spread, fairness, changes).

Both report the coverage objective of the final schedule and a valid lower bound on it:
the optimum of the LP relaxation of the aggregate model with coverage terms only (every
schedule maps to a feasible point of that LP with the same coverage cost).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from math import ceil, floor

import numpy as np
import pandas as pd

from wfm.config import CenterConfig
from wfm.errors import InfeasibleRules, NoSolution
from wfm.roster import Agent
from wfm.schedule.activities import (
    MISSED,
    Placement,
    add_alignment,
    add_class_layer,
    add_session_rules,
    add_sessions,
    clear_class_layer,
    group_terms,
    missed_cost,
    place_sessions,
    placed_sessions,
    session_models,
    unplaced_entry,
)
from wfm.schedule.coverage import PROFICIENCY, CoverageVars, add_coverage, coverage_cost
from wfm.schedule.extract import (
    PlacedSession,
    assign_activities,
    plan_proficiency,
    schedule_tables,
    scheduled_counts,
)
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
    counting_instance,
    individual_ids,
    week_limits,
    with_individuals,
)
from wfm.schedule.leaders import (
    add_leader_rules,
    add_queue_share,
    fixed_on_shift,
    on_shift_terms,
    team_schedules,
)
from wfm.schedule.linear import LinearModel, LpResult, LpSolver, solve_cp
from wfm.schedule.preferences import SOFT_COMPONENTS, add_agent_preferences, add_fairness
from wfm.schedule.result import ScheduleResult
from wfm.schedule.rules import add_agent_rules, add_group_cuts, agent_options, tail_blocked
from wfm.verify.check import COVERAGE

PAID_HOURS = "paid_hours"
COUNT_DEVIATION = "count_deviation"
EXACT_MAX_BOOLEANS = 4000  # agent-day-option booleans up to which the exact model is used
QUICK_SPLIT_SECONDS = 1.0  # per group and attempt in the first split
PLACEMENT_SHARE = 0.2  # of the time limit kept to place off-phone activities (large rosters)
TEAM_SHARE = 0.15  # of the time limit, at most, for the leader rule's team models
#: Why a session is not placed when the search ended before sessions were placed.
NOT_PLACED_IN_TIME = "not placed: the search ended before off-phone activities were placed"


@dataclass
class _Context:
    inst: Instance
    started: float
    deadline: float
    workers: int
    seed: int
    log: Callable[[str], None]
    stop: threading.Event | None
    final_deadline: float = 0.0  # the time limit itself (``deadline`` may keep a reserve)
    team_shifts: dict[str, list[int]] | None = field(default_factory=dict)
    counting: Instance | None = None  # the instance grouped for counting (bound and start)

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
    agent and the conflicting rules, NoSolution when nothing is found in time.
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
    ctx.final_deadline = ctx.deadline
    inst = ctx.inst
    ctx.log(f"{len(agents)} agents in {len(inst.groups)} groups and {len(inst.classes)} "
            f"classes, {len(inst.options)} shift options, {inst.n_intervals} intervals")
    weeks = precheck_rules(ctx)
    booleans = sum(len(k) for g in inst.groups for k in g.options.values() for _ in g.agents)
    if method == "auto":
        method = "exact" if booleans <= EXACT_MAX_BOOLEANS else "aggregate"
    if method == "exact" and cfg.activities:  # each one's breaks known, for the sessions
        ctx.inst = inst = with_individuals(inst, individual_ids(cfg, agents, everyone=True))
    elif cfg.activities:
        ctx.deadline -= limit * PLACEMENT_SHARE
    if cfg.leadership is not None:
        targets = ({a.agent_id: weeks[g.index] for g in inst.groups for a in g.agents}
                   if weeks and method == "aggregate" else None)
        ctx.team_shifts = team_schedules(inst, targets, max(2.0, limit * TEAM_SHARE),
                                         ctx.workers, ctx.seed)
    safe = _safe_schedule(ctx, weeks) if method == "aggregate" and weeks else None
    ctx.counting = counting_instance(inst)
    aggregate, cover, lp_solver = _aggregate_model(ctx.counting)
    lp = lp_solver.solve([COVERAGE, MISSED], max(1.0, ctx.left() * 0.4))
    coverage_bound = lp.objective if lp.status == "OPTIMAL" else 0.0
    ctx.log(f"LP coverage bound {coverage_bound:.1f} in {lp.seconds:.1f}s ({lp.status})")
    if method == "exact":
        return _solve_exact(ctx, coverage_bound)
    return _solve_aggregate(ctx, aggregate, cover, lp_solver, lp, coverage_bound, safe)


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
    if ctx.team_shifts is None:  # no shifts keeping the leader rule found in time
        return None
    shifts.update(ctx.team_shifts)
    realized = _realized_counts(inst, shifts)
    placed = _place_for_shifts(ctx, dict(realized), max(2.0, min(30.0, ctx.left() * 0.05)),
                               shifts)
    if placed is None:
        return None
    schedule = _result(ctx, shifts, *placed, 0.0, 0.0, 0.0, "FEASIBLE", 0)
    ctx.log(f"safe schedule at {schedule.wall_seconds:.1f}s, coverage "
            f"{schedule.coverage_objective:.1f}")
    return schedule


def _paid_cost(inst: Instance, agent_contract: str, option_key: int) -> float:
    weights = inst.cfg.objective
    contract = inst.cfg.contract(agent_contract)
    return weights.paid_hours * contract.cost_per_hour * inst.options[option_key].paid_minutes / 60


# ---------------------------------------------------------------- the aggregate model

def _aggregate_model(inst: Instance, per_agent: bool = False,
                     ) -> tuple[LinearModel, CoverageVars, LpSolver]:
    """The aggregate model; with ``per_agent`` every agent has its own booleans instead.

    Shift counts per group and option carry the groups' rule cuts; per-agent booleans carry
    every rule exactly. Returns the model, its coverage variables and its HiGHS solver.
    """
    model = LinearModel()
    counts: dict[tuple[int, int], tuple[list[int], int]] = {}
    group_vars: dict[tuple[int, int], int] = {}
    agent_vars: dict[int, dict[str, dict[int, int]]] = {}
    owner: dict[int, int] = {}  # rule variables (runs of days off...) -> their class
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
                add_agent_rules(model, inst, agent, y, group.options, group.tail)
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
    sessions, _ = session_models(inst)
    away: dict[tuple[int, int], dict[int, float]] = {}
    y_of = {a: y for by_agent in agent_vars.values() for a, y in by_agent.items()}
    if per_agent:  # sessions need their people on shift together: held per agent
        grouped = [sm for sm in sessions if not sm.session.individual]
        away = add_sessions(model, inst, grouped, group_terms(inst, y_of), tag=True).away
        for key, terms in add_alignment(model, inst, [sm for sm in sessions
                                                      if sm.session.individual], y_of).items():
            away.setdefault(key, {}).update(terms)
        sessions = []
    if sessions:
        for key, terms in add_class_layer(model, inst, sessions, counts).items():
            away.setdefault(key, {}).update(terms)
    cover = add_coverage(model, inst, counts, away)
    if per_agent:
        add_leader_rules(model, inst, cover, lambda a: on_shift_terms(inst, y_of.get(a, {})))
        add_queue_share(model, inst, cover, counts)
    model.group_vars = group_vars  # type: ignore[attr-defined]
    model.agent_vars = agent_vars  # type: ignore[attr-defined]
    model.owner = owner  # type: ignore[attr-defined]
    return model, cover, LpSolver(model)


def _solve_aggregate(ctx: _Context, model: LinearModel, cover: CoverageVars, solver: LpSolver,
                     lp: LpResult, coverage_bound: float, safe: ScheduleResult | None,
                     ) -> ScheduleResult:
    """The LP rounded and split into agents, then improved by day and week.

    ``safe`` (a valid schedule found before the LP) is returned when nothing better is
    found, for instance when the run is stopped early.
    """
    tried = [f"LP relaxation ({lp.status}, {lp.seconds:.1f}s)"]
    try:
        best = _improve_from_lp(ctx, model, cover, solver, lp, coverage_bound, safe, tried)
    except NoSolution:
        if safe is None:
            raise
        best = safe
    if safe is not None and safe.objective < best.objective:
        best = safe
    best.coverage_bound = min(coverage_bound, best.coverage_objective)
    best.best_bound = min(coverage_bound, best.objective)
    best.wall_seconds = ctx.elapsed()
    best.milestones["lp_seconds"] = lp.seconds
    if safe is not None:
        best.first_solution_seconds = safe.wall_seconds
        best.milestones.update(safe_seconds=safe.wall_seconds,
                               safe_coverage=safe.coverage_objective)
        tried.insert(0, f"safe schedule at {safe.wall_seconds:.1f}s")
    best.notes.append("tried: " + "; ".join(tried))
    if ctx.inst.cfg.activities:
        best = _with_sessions(ctx, best)
    return best


def _with_sessions(ctx: _Context, best: ScheduleResult) -> ScheduleResult:
    """The best schedule with its off-phone activities placed in its shifts (`place_sessions`,
    in the time kept for it); as it was when no placement is found in time."""
    inst = ctx.inst
    shifts = best.option_keys
    started = time.monotonic()
    placement = place_sessions(inst, shifts, max(started + 1.0, ctx.final_deadline),
                               _fixed_leader_rules)
    if placement is None:
        best.notes.append("off-phone activities: no placement found in time")
        return best
    placed = _result(ctx, shifts, {}, {}, best.penalties.get("soft_goals", 0.0),
                     best.coverage_bound, best.best_bound, best.status, 0, placement)
    placed.notes = best.notes + [f"off-phone activities placed in "
                                 f"{time.monotonic() - started:.1f}s"]
    placed.milestones = best.milestones
    placed.first_solution_seconds = best.first_solution_seconds
    return placed


def _agent_values_result(ctx: _Context, model: LinearModel, cover: CoverageVars,
                         values: list[int]) -> ScheduleResult:
    """The schedule of a per-agent model's vector as it is."""
    shifts = {a: [k for k, v in y.items() if values[v]]
              for by_agent in model.agent_vars.values()  # type: ignore[attr-defined]
              for a, y in by_agent.items()}
    break_counts = {key: {b: values[v] for b, v in layer.items() if values[v]}
                    for key, layer in cover.breaks.items()}
    work_counts = {key: values[v] for key, v in cover.work.items() if values[v]}
    return _result(ctx, shifts, break_counts, work_counts, 0.0, 0.0, 0.0, "FEASIBLE", 0)


def _fixed_leader_rules(model: LinearModel, inst: Instance, cover: CoverageVars,
                        shifts: dict[str, list[int]]) -> None:
    """The leader rule and queue shares over fixed shifts (for the activities' placement)."""
    counts: dict[tuple[int, int], tuple[list[int], int]] = {}
    for (c, k), v in cover.n.items():
        counts[c, k] = ([v], 1)
    add_leader_rules(model, inst, cover, lambda a: fixed_on_shift(inst, shifts.get(a, [])))
    add_queue_share(model, inst, cover, counts)


def _realized_counts(inst: Instance, shifts: dict[str, list[int]]) -> dict[tuple[int, int], int]:
    """Agents per (class, option) in a schedule."""
    realized: dict[tuple[int, int], int] = defaultdict(int)
    for agent_id, keys in shifts.items():
        c = inst.groups[inst.group_of_agent[agent_id]].class_index
        for k in keys:
            realized[c, k] += 1
    return dict(realized)


def _improve_from_lp(ctx: _Context, model: LinearModel, cover: CoverageVars, solver: LpSolver,
                     lp: LpResult, coverage_bound: float, safe: ScheduleResult | None,
                     tried: list[str]) -> ScheduleResult:
    inst = ctx.counting or ctx.inst
    components = [COVERAGE, PROFICIENCY, PAID_HOURS, MISSED]
    group_vars: dict[tuple[int, int], int] = model.group_vars  # type: ignore[attr-defined]
    tags = tag_variables(inst, model, cover, group_vars, {}, model.owner)  # type: ignore
    values: np.ndarray | None = None
    if lp.values and not ctx.stopped():
        counts = round_shift_counts(inst, group_vars, lp.values, max(1.0, ctx.left() * 0.1))
        if counts is not None:
            start = np.round(np.asarray(lp.values))
            for v, count in counts.items():
                start[v] = count
            clear_class_layer(model, start)
            values = place_breaks(solver, start, tags, components,
                                  time.monotonic() + ctx.left() * 0.3)
        tried.append("LP rounded and breaks placed by day" if values is not None
                     else "LP rounding (no rounding kept the rules)")
    if values is None:
        if safe is not None:
            return safe
        values = _first_by_cp_sat(ctx, model, lp, components, tried)
    ctx.log(f"rounded schedule: objective {float(solver.cost_vector(components) @ values):.1f}")
    started_split = time.monotonic()
    best, shifts = _disaggregate(ctx, model, cover, integral(values), coverage_bound,
                                    quick=True, budget_seconds=ctx.left() * 0.3, inst=inst)
    inst = ctx.inst
    best.first_solution_seconds = best.wall_seconds
    split_seconds = time.monotonic() - started_split
    ctx.log(f"first schedule from the LP at {best.wall_seconds:.1f}s, coverage "
            f"{best.coverage_objective:.1f} (bound {coverage_bound:.1f})")
    tried.append(f"first schedule from the LP at {best.wall_seconds:.1f}s")
    milestones = {"from_lp_seconds": best.wall_seconds,
                  "from_lp_coverage": best.coverage_objective}
    best.milestones.update(milestones)
    # from here on every agent has its own booleans and every rule holds exactly, so the
    # final split only trades identical agents' weeks for preferences and never moves a shift
    remodelled = _per_agent_model(ctx, shifts, components)
    if remodelled is None:
        tried.append("per-agent model (no placement in time)")
        return best
    model, cover, solver, values = remodelled
    # keep time for the final split, which also settles preferences
    reserve = min(ctx.left() * 0.3, 2.0 + 1.5 * split_seconds)
    tags = tag_variables(inst, model, cover, model.group_vars,  # type: ignore[attr-defined]
                         model.agent_vars, model.owner)  # type: ignore[attr-defined]
    hoods = neighbourhoods(inst, tags, ctx.workers)
    good_enough = _gap_target(coverage_bound, inst.cfg.solver.relative_gap)
    values, solved = improve(solver, values, hoods, components,
                             time.monotonic() + ctx.left() - reserve, ctx.log, ctx.stopped,
                             ctx.workers, good_enough)
    tried.append(f"{solved} day and week neighbourhoods re-solved by HiGHS")
    if float(solver.cost_vector(components) @ values) <= good_enough:
        tried.append(f"search stopped within solver.relative_gap "
                     f"{inst.cfg.solver.relative_gap:.2%} of the coverage bound")
    if not ctx.stopped() and ctx.left() >= 1.0:
        try:
            final, _ = _disaggregate(ctx, model, cover, integral(values), coverage_bound,
                                     quick=False, budget_seconds=ctx.left() * 0.8)
        except NoSolution:  # moved shifts that no break placement could keep in time
            final = _agent_values_result(ctx, model, cover, integral(values))
        if final.objective <= best.objective:
            final.first_solution_seconds = best.first_solution_seconds
            final.milestones.update(milestones)
            best = final
    return best


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


def _per_agent_model(ctx: _Context, shifts: dict[str, list[int]], components: list[str],
                     ) -> tuple[LinearModel, CoverageVars, LpSolver, np.ndarray] | None:
    """The model with a boolean per agent, day and option, started from ``shifts``.

    Breaks and queues are placed anew for those shifts (None if not in time).
    """
    model, cover, solver = _aggregate_model(ctx.inst, per_agent=True)
    start = np.zeros(len(model.lb))
    for by_agent in model.agent_vars.values():  # type: ignore[attr-defined]
        for agent_id, y in by_agent.items():
            for k, v in y.items():
                start[v] = float(k in shifts.get(agent_id, ()))
    tags = tag_variables(ctx.inst, model, cover, {}, model.agent_vars,  # type: ignore
                         model.owner)  # type: ignore[attr-defined]
    placed = place_breaks(solver, start, tags, components, time.monotonic() + ctx.left() * 0.3)
    if placed is None:
        return None
    return model, cover, solver, placed


def _first_by_cp_sat(ctx: _Context, model: LinearModel, lp: LpResult, components: list[str],
                     tried: list[str]) -> np.ndarray:
    """A first aggregate solution from CP-SAT (when the LP could not be rounded)."""
    group_vars: dict[tuple[int, int], int] = model.group_vars  # type: ignore[attr-defined]
    bounds: dict[int, tuple[int, int]] = {}
    if lp.values:
        for v in range(len(model.lb)):
            model.hints[v] = int(round(lp.values[v]))
        bounds = {v: (int(floor(lp.values[v] + 1e-6)), int(ceil(lp.values[v] - 1e-6)))
                  for v in group_vars.values()}
    for name, phase_bounds in (("first", bounds), ("widened", {})):
        if ctx.stopped() or ctx.left() < 1.0:
            break
        result = solve_cp(model, time_limit_seconds=ctx.left() * 0.5, workers=ctx.workers,
                          seed=ctx.seed, stop=ctx.stop, first_only=True, bounds=phase_bounds,
                          components=components)
        tried.append(f"CP-SAT {name} ({result.status}, {result.seconds:.1f}s)")
        if result.values:
            return np.asarray(result.values, dtype=float)
    raise NoSolution(f"no schedule found in {ctx.elapsed():.0f}s; tried: {'; '.join(tried)}")


def _disaggregate(ctx: _Context, model: LinearModel, cover: CoverageVars, values: list[int],
                  coverage_bound: float, quick: bool, budget_seconds: float,
                  inst: Instance | None = None,
                  ) -> tuple[ScheduleResult, dict[str, list[int]]]:
    """Split every group's counts into agents, then build the schedule.

    ``quick`` takes each group's first exact split instead of the best for preferences;
    ``budget_seconds`` is shared among the groups by size; ``inst`` is the instance of the
    model's groups (the counting instance for the first split). A split of the counting
    instance's groups is repaired for the leader rule and its breaks placed anew.
    Returns the schedule and the shifts per agent.
    """
    counted = inst is not None and inst is not ctx.inst
    inst = inst or ctx.inst
    group_vars: dict[tuple[int, int], int] = model.group_vars  # type: ignore[attr-defined]
    agent_vars: dict[int, dict[str, dict[int, int]]] = model.agent_vars  # type: ignore
    shifts: dict[str, list[int]] = {}
    soft_total = 0.0
    moved = 0
    order = sorted(inst.groups, key=lambda g: -g.size)
    agents_left = len(inst.agents)
    until = time.monotonic() + budget_seconds
    for group in order:
        if group.index in agent_vars:
            counts: dict[int, int] = defaultdict(int)
            for y in agent_vars[group.index].values():
                for k, v in y.items():
                    counts[k] += values[v]
        else:
            counts = {k: values[group_vars[group.index, k]]
                      for keys in group.options.values() for k in keys}
        budget = (until - time.monotonic()) * group.size / max(1, agents_left)
        if quick:  # the search repairs what a hurried split moves; waiting here costs more
            budget = min(budget, QUICK_SPLIT_SECONDS)
        agents_left -= group.size
        # out of budget, a group takes its first exact split, which CP-SAT finds at once
        split, soft, deviation = split_group(inst, group, counts, max(0.5, budget),
                                             ctx.workers, ctx.seed,
                                             first_only=quick or budget < 0.1)
        shifts.update(split)
        soft_total += soft
        moved += deviation
    if counted and inst.cfg.leadership is not None:  # the split knows no leader rule
        kept = team_schedules(ctx.inst, shifts, max(2.0, min(ctx.left() * 0.1, 60.0)),
                              ctx.workers, ctx.seed)
        if kept is None:
            raise NoSolution("no split of the group counts kept the leader rule in time")
        shifts.update(kept)
    realized = _realized_counts(ctx.inst, shifts)
    aggregate = {ck: values[v] for ck, v in cover.n.items() if values[v]}
    if realized == aggregate and not counted:
        break_counts = {key: {b: values[v] for b, v in layer.items() if values[v]}
                        for key, layer in cover.breaks.items()}
        work_counts = {key: values[v] for key, v in cover.work.items() if values[v]}
    else:
        ctx.log(f"group split moved {moved} agent-shifts; re-placing breaks and queues")
        placed = _place_for_shifts(ctx, dict(realized), shifts=shifts)
        if placed is None:
            raise NoSolution("no break and queue placement found for the split shifts in time")
        break_counts, work_counts = placed
    schedule = _result(ctx, shifts, break_counts, work_counts, soft_total, coverage_bound,
                       coverage_bound, "FEASIBLE", moved)
    return schedule, shifts


def split_group(inst: Instance, group: Group, counts: dict[int, int], time_limit: float,
                workers: int, seed: int, first_only: bool = False,
                ) -> tuple[dict[str, list[int]], float, int]:
    """Split a group's option counts into its agents, every rule held per agent.

    ``first_only`` keeps the first split found instead of the best one for preferences.
    Returns per agent its option keys, the soft-goal cost and how many agent-shifts differ
    from the counts (0 when the split is exact).
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
            add_fairness(model, inst, f"group {group.index}", fairness_terms)
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
            soft = sum(model.value(result.values, c) for c in SOFT_COMPONENTS)
            moved = sum(result.values[v] for v in deviations)
            return shifts, soft, moved
    return _greedy_split(inst, group, counts, workers, seed)


def _greedy_split(inst: Instance, group: Group, counts: dict[int, int], workers: int,
                  seed: int) -> tuple[dict[str, list[int]], float, int]:
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
    moved = sum(abs(v) for v in remaining.values())
    return shifts, 0.0, moved


def _place_for_shifts(ctx: _Context, realized: dict[tuple[int, int], int],
                      limit: float | None = None, shifts: dict[str, list[int]] | None = None,
                      ) -> tuple[dict, dict] | None:
    """Breaks and queue counts for fixed shifts (``shifts``, agents per class and option in
    ``realized``), each day an exact MIP keeping the leader rule (None if not in time)."""
    inst = ctx.inst
    model = LinearModel()
    counts = {}
    for ck, value in realized.items():
        fixed = model.var(value, value, f"fixed{ck}")
        counts[ck] = ([fixed], value)
    cover = add_coverage(model, inst, counts)
    if shifts is not None:
        _fixed_leader_rules(model, inst, cover, shifts)
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

def _solve_exact(ctx: _Context, coverage_bound: float) -> ScheduleResult:
    inst = ctx.inst
    model = LinearModel()
    counts: dict[tuple[int, int], tuple[list[int], int]] = {}
    y_of: dict[str, dict[int, int]] = {}
    for group in inst.groups:
        fairness_terms = []
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
        add_fairness(model, inst, f"group {group.index}", fairness_terms)
    sessions, unplaced = session_models(inst)
    sv = add_sessions(model, inst, sessions, group_terms(inst, y_of))
    cover = add_coverage(model, inst, counts, sv.away)
    add_session_rules(model, inst, sv, cover, lambda a, w: (
        {v: float(inst.options[k].paid_minutes) for k, v in y_of[a].items()
         if inst.options[k].day in inst.weeks[w]}, 0.0))
    add_leader_rules(model, inst, cover, lambda a: on_shift_terms(inst, y_of.get(a, {})))
    add_queue_share(model, inst, cover, counts)
    cp_started = ctx.elapsed()
    result = solve_cp(model, time_limit_seconds=ctx.left(), workers=ctx.workers, seed=ctx.seed,
                      stop=ctx.stop, log=ctx.log, relative_gap=inst.cfg.solver.relative_gap)
    if result.status == "INFEASIBLE":
        diagnosed = solve_cp(model, time_limit_seconds=max(5.0, ctx.left()), workers=ctx.workers,
                             seed=ctx.seed, components=[], assume_rules=True)
        rules = ", ".join(r for r in diagnosed.conflicting_rules
                          if r not in ("coverage", "queue_assignment")) or "unknown"
        raise InfeasibleRules(f"no schedule of the roster keeps the hard rules {rules}")
    if not result.values:
        raise NoSolution(f"exact model: {result.status} after {result.seconds:.0f}s "
                         f"(time limit {ctx.deadline - ctx.started:.0f}s)")
    values = result.values
    placed, missed = placed_sessions(sv, values)
    why = (f"not placed: every schedule holding it breaks a hard rule or costs more than "
           f"objective.activity_missed ({inst.cfg.objective.activity_missed:g} per attendee)"
           if result.status == "OPTIMAL" else
           "not placed in the solver's time (a schedule holding it may exist)")
    unplaced += [unplaced_entry(sm.session, why) for sm in missed]
    shifts = {a: [k for k, v in y.items() if values[v]] for a, y in y_of.items()}
    break_counts = {key: {b: values[v] for b, v in layer.items() if values[v]}
                    for key, layer in cover.breaks.items()}
    work_counts = {key: values[v] for key, v in cover.work.items() if values[v]}
    soft = sum(model.value(values, c) for c in SOFT_COMPONENTS)
    plan = assign_activities(inst, shifts, break_counts, work_counts, placed)
    schedule = _result(ctx, shifts, break_counts, work_counts, soft, coverage_bound,
                       result.bound, result.status, 0,
                       Placement(plan, placed, unplaced, plan_proficiency(inst, plan)))
    if result.first_solution_seconds is not None:
        schedule.first_solution_seconds = cp_started + result.first_solution_seconds
    return schedule


# ---------------------------------------------------------------- the result

def _unpaid_share(inst: Instance, row: list[tuple[str, int]], key: int) -> float:
    """The share of an option's paid minutes its unpaid activities take."""
    unpaid = {a.id for a in inst.cfg.activities if not a.paid}
    if not unpaid:
        return 0.0
    minutes = inst.cfg.center.interval_minutes * sum(1 for a, _ in row if a in unpaid)
    return minutes / max(1, inst.options[key].paid_minutes)


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
            soft: float, coverage_bound: float, total_bound: float, status: str,
            moved: int, placement: Placement | None = None) -> ScheduleResult:
    """The schedule of per-agent shifts with breaks and queue counts per class, or with
    everything placed already (``placement``: breaks, queues and off-phone sessions).

    Without a placement no session is placed (each reported as not placed in time). Its
    coverage objective counts ``objective.activity_missed`` for the sessions some schedule
    could have held; the paid hours are the shifts' less their unpaid activities'."""
    inst = ctx.inst
    if placement is None:
        models, unplaced = session_models(inst)
        plan = assign_activities(inst, shifts, break_counts, work_counts)
        placement = Placement(plan, [], unplaced + [
            unplaced_entry(sm.session, NOT_PLACED_IN_TIME) for sm in models],
            plan_proficiency(inst, plan))
    plan = placement.plan
    sessions: list[PlacedSession] = placement.sessions
    shifts_table, activities = schedule_tables(inst, shifts, plan, sessions)
    scheduled = scheduled_counts(inst, plan)
    static = {entry["session"] for entry in session_models(inst)[1]}
    missed = missed_cost(inst, [e for e in placement.unplaced if e["session"] not in static])
    coverage = coverage_cost(inst, scheduled) + missed
    paid = sum(_paid_cost(inst, a.contract, k) * (1.0 - _unpaid_share(inst, plan[a.agent_id, k],
                                                                       k))
               for a in inst.agents for k in shifts.get(a.agent_id, []))
    proficiency = placement.proficiency
    objective = coverage + paid + proficiency + soft
    required_hours = float(inst.required.sum()) * inst.cfg.center.interval_minutes / 60
    short = 0
    for q in range(len(inst.queue_ids)):
        for i in range(inst.n_intervals):
            short += max(0, int(inst.required[q, i]) - scheduled.get((q, i), 0))
    step_hours = inst.cfg.center.interval_minutes / 60
    terms = ("coverage terms and off-phone sessions not placed (objective.activity_missed "
             "per attendee)" if inst.cfg.activities else "coverage terms only")
    notes = [f"coverage bound: LP relaxation of the aggregate model "
             f"({len(inst.groups)} groups), {terms}"]
    if moved:
        notes.append(f"{moved} agent-shifts moved when splitting group counts into agents")
    elapsed = ctx.elapsed()
    return ScheduleResult(
        shifts=shifts_table, activities=activities, scheduled=_count_table(inst, scheduled),
        status=status,
        objective=objective, best_bound=min(total_bound, objective),
        coverage_objective=coverage, coverage_bound=min(coverage_bound, coverage),
        wall_seconds=elapsed, first_solution_seconds=elapsed,
        penalties={"coverage": coverage - missed, "activities_missed": missed,
                   "paid_hours": paid, "proficiency": proficiency,
                   "soft_goals": soft, "shortfall_agent_hours": short * step_hours,
                   "required_agent_hours": required_hours},
        notes=notes, unplaced=placement.unplaced, option_keys=shifts,
    )
