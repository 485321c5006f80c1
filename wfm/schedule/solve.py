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
agent goes to a campaign only where the live queues it serves are covered
(`flows.protect_inbound` keeps that for any schedule the search returns; deferred work
waits in its backlog instead).

The coverage bound is the LP relaxation of the aggregate model with coverage terms only
(the flows' terms included; with activities, the sessions relaxed by class at their
missed cost) and its classes merged by the queues they serve
(`instance.coverage_instance`: the same optimum, fewer variables), solved in a thread
beside the precheck and the safe schedule: HiGHS' interior point method, then PDLP when
that fails in its time. The bound is the Lagrangian value of the duals found
(`linear.lagrangian_bound`), valid whatever the method's accuracy; every schedule maps to
a feasible point of the LP with the same coverage cost.

With a leader rule (`leaders`) or off-phone activities (`activities`) the people who are
not agents, and campaign leaders, are individuals with classes of their own; groups keep
to one team. The bound is then taken on the instance grouped for counting alone
(`instance.counting_instance`) and holds the sessions relaxed by class and the leaders'
queue share; when the time left allows, the leader rule's LP follows it in its thread
(`leader_lp`: the rule's rows on each team's groups, a leader on shift counted as on
duty), and the higher of the two bounds is reported. The safe schedule's weeks are split
leaders first, each team's agents then kept where its leaders watch
(`team_split.split_with_leaders`, by construction, no model); the LP's counts group by
group and, when that is not repaired in time, leaders first; all are repaired team by
team for the leader rule (`leaders.team_schedules`, which first tries the shifts as they
are with only the breaks free); the LP start's own shifts are placed as they are before
the per-agent model is built (on a loaded machine it may not be in time); the per-agent
model holds the leader rule, the leaders' queue share and every session per agent. The
final shifts get their sessions on their plan (`session_greedy.place_on_plan`: where they
cost least, plain agents' breaks moved out of the way) when every activity is paid, else
day by day (`activities.place_sessions`) in the time kept for it.

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
from wfm.schedule.activities import (
    MISSED,
    Placement,
    add_alignment,
    add_class_layer,
    add_session_rules,
    add_sessions,
    group_terms,
    missed_cost,
    place_sessions,
    placed_sessions,
    session_models,
    unplaced_entry,
)
from wfm.schedule.coverage import PROFICIENCY, CoverageVars, add_coverage, coverage_cost
from wfm.schedule.extract import (
    WORK,
    PlacedSession,
    assign_activities,
    plan_proficiency,
    schedule_tables,
    scheduled_counts,
)
from wfm.schedule.flows import protect_inbound
from wfm.schedule.improve import (
    DAY_PLACEMENT_SECONDS,
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
    coverage_instance,
    individual_ids,
    week_limits,
    with_individuals,
)
from wfm.schedule.leaders import (
    add_leader_rules,
    add_queue_share,
    component_people,
    fixed_on_shift,
    group_on_shift,
    on_shift_terms,
    team_components,
    team_schedules,
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
from wfm.schedule.session_greedy import place_on_plan, placeable
from wfm.schedule.split import greedy_cover, split_from_lp, split_group
from wfm.schedule.team_split import split_with_leaders
from wfm.verify.check import COVERAGE

PAID_HOURS = "paid_hours"
EXACT_MAX_BOOLEANS = 4000  # agent-day-option booleans up to which the exact model is used
QUICK_SPLIT_SECONDS = 1.0  # per group and attempt in the first split
COVERAGE_LP_SHARE = 0.4  # of the time limit, at most, for the coverage LP
# with people its point is split without rounding and its sessions' rows make it slower:
# on the sample center at 60 s and load 2.5 the LP found no bound in 0.4 of the limit
PEOPLE_LP_SHARE = 0.5
ROUNDING_SHARE = 0.25  # of the time left, at most, to round the LP's counts
ROUNDING_SECONDS = 60.0  # at most, to round the LP's counts
HARD_COMPONENTS = [COVERAGE, PROFICIENCY, PAID_HOURS, MISSED]
PLACEMENT_SHARE = 0.2  # of the time limit kept to place off-phone activities (large rosters)
ON_PLAN_SHARE = 0.05  # of it, at most, kept when they are placed on the schedule's plan
# (all paid): per session, with a second to spare; placing them on the plan took 2.6-4.4 s
# for the 1,042 sessions of 1,000 agents, where 5% of 600 s kept 30 s, and 0.3-0.8 s for
# the sample center's 142 (bench/results/schedule_people.md)
ON_PLAN_SECONDS_PER_SESSION = 0.01
TEAM_SHARE = 0.2  # of the time limit, at most, for the leader rule's team models
REPAIR_SHARE = 0.4  # of the time left, at most, to repair a start for the leader rule
# of each day's placement of fixed shifts: at 1e-4 one day of the sample center took 14 s
# of the placement's 18 for 0.5% (bench/results/schedule.md)
PLACEMENT_GAP = 1e-3
# of the safe schedule's days, the fallback whose coverage is poor anyway: beside two busy
# processes the sample center's placement failed in 3.8 s at 1e-3 and was found in 5.2 s
# at 5e-2 (and in 8.3 s at 1e-3 given 12 s)
SAFE_PLACEMENT_GAP = 0.05
RETRY_PLACEMENT_SECONDS = 5.0  # left, at least, to place the first start again
FALLBACK_RETRY_SHARE = 0.25  # of the repair's time left for its teams not found, with a fallback
REBUILT_SHARE = 0.5  # of the people's weeks moved by the repair of the LP's group split
# the leader rule's LP (`leader_lp`) follows the coverage LP when this many times its
# seconds are left: 2.2-2.4 times on the sample center (40.0 s against 18.4) and 200
# synthetic agents (54.0 against 22.5)
LEADER_LP_FACTOR = 3.0
LEADER_LP_MARGIN = 0.05  # of the coverage LP's seconds (2 s at least) kept after it
# sets of teams whose repair tells first whether the group split keeps the LP's shape, on
# rosters of at least PROBE_FROM_SETS sets: at 1,000 agents (42 sets) the whole repair
# took 51-57 s to move 1,002 of 1,084 weeks, before the split made leaders first
PROBE_SETS = 4
PROBE_FROM_SETS = 12
#: Why a session is not placed when the search ended before sessions were placed.
NOT_PLACED_IN_TIME = "not placed: the search ended before off-phone activities were placed"
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
    final_deadline: float = 0.0  # the time limit itself (``deadline`` may keep a reserve)
    # shifts keeping the leader rule for every team (the safe schedule's), for the teams a
    # start's repair does not find in time
    fallback: dict[str, list[int]] | None = None
    # seconds the safe schedule's breaks and queues took to place (None: not placed)
    safe_placement_seconds: float | None = None

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
    ctx.final_deadline = ctx.deadline
    inst = ctx.inst
    ctx.log(f"{len(agents)} agents in {len(inst.groups)} groups and {len(inst.classes)} "
            f"classes, {len(inst.options)} shift options, {inst.n_intervals} intervals")
    weeks = precheck_rules(ctx)
    people = cfg.leadership is not None or bool(cfg.activities)
    booleans = sum(len(k) for g in inst.groups for k in g.options.values() for _ in g.agents)
    if method == "auto":
        method = "exact" if booleans <= EXACT_MAX_BOOLEANS else "aggregate"
    bound = CoverageBound(inst, max(1.0, ctx.left() * (PEOPLE_LP_SHARE if people
                                                      else COVERAGE_LP_SHARE)),
                          final_deadline=_leader_lp_deadline(ctx, method, limit))
    if method == "exact" and cfg.activities:  # each one's breaks known, for the sessions
        ctx.inst = inst = with_individuals(inst, individual_ids(cfg, agents, everyone=True))
    elif cfg.activities:
        ctx.deadline -= sessions_reserve(inst, limit)
    if cfg.leadership is not None and method == "exact":  # names the rules it cannot keep
        team_schedules(inst, None, max(2.0, limit * TEAM_SHARE), ctx.workers, ctx.seed)
    if method == "exact":
        result = _solve_exact(ctx)
        lp = bound.result()
        result.coverage_bound = min(lp.coverage_bound, result.coverage_objective)
        result.notes.insert(0, lp.note())
        result.milestones["lp_seconds"] = lp.seconds
        return result
    safe = _safe_schedule(ctx, weeks, bound.deadline) if weeks else None
    return _solve_aggregate(ctx, bound, safe)


def _leader_lp_deadline(ctx: _Context, method: str, limit: float) -> float | None:
    """By when the leader rule's LP must end (monotonic seconds): before the time kept to
    place the sessions; None on the exact method (which keeps the rule exactly)."""
    if method != "aggregate":
        return None
    reserve = sessions_reserve(ctx.inst, limit) if ctx.inst.cfg.activities else 0.0
    return ctx.deadline - reserve


def sessions_reserve(inst: Instance, limit: float) -> float:
    """Seconds of the time limit kept to place the off-phone sessions in the large-roster
    path's schedule: `PLACEMENT_SHARE` of it for a model of them, or, when they go on the
    schedule's plan, a second and `ON_PLAN_SECONDS_PER_SESSION` per session, at most
    `ON_PLAN_SHARE` of it."""
    if not placeable(inst):
        return limit * PLACEMENT_SHARE
    sessions = len(session_models(inst)[0])
    return min(limit * ON_PLAN_SHARE, 1.0 + ON_PLAN_SECONDS_PER_SESSION * sessions)


# ---------------------------------------------------------------- the coverage bound

@dataclass
class BoundLp:
    """The coverage LP as solved: its best bound, the point kept and what was tried."""

    bound: float  # minus infinity: no bound
    values: list[float]  # a point of the merged model (empty: none)
    group_vars: dict[tuple[int, int], int]  # (group, option) -> variable of that model
    seconds: float
    tried: list[str] = field(default_factory=list)
    terms: str = "coverage terms only"  # what the bound counts
    groups: list[Group] = field(default_factory=list)  # the groups of ``group_vars``

    @property
    def coverage_bound(self) -> float:
        """The bound on the coverage objective (0 when none was proven)."""
        return max(0.0, self.bound) if isfinite(self.bound) else 0.0

    def note(self) -> str:
        """What the bound is and how it was found."""
        if not isfinite(self.bound) or self.bound <= 0:
            return ("coverage bound: none proven (the LP found no positive bound in its "
                    "time: " + "; ".join(self.tried) + ")")
        return (f"coverage bound: LP relaxation of the aggregate model, {self.terms}, "
                "Lagrangian value of its duals (" + "; ".join(self.tried) + ")")


class CoverageBound:
    """The coverage LP solved in a thread beside the rest (HiGHS releases the interpreter
    lock); `result` waits for it (it stops at its own time limit). With ``final_deadline``
    (monotonic seconds) the leader rule's LP follows it in the same thread when the time
    left allows (`leader_lp`, `LEADER_LP_FACTOR`); `leader_result` waits for that."""

    def __init__(self, inst: Instance, seconds: float,
                 final_deadline: float | None = None) -> None:
        self.deadline = time.monotonic() + seconds  # monotonic seconds; the LP stops by then
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coverage-lp")
        self._future: Future[BoundLp] = pool.submit(coverage_lp, inst, seconds)
        self._leader: Future[BoundLp | str | None] | None = None
        if final_deadline is not None and has_leader_rule(inst):
            self._leader = pool.submit(self._leader_after, inst, final_deadline)
        pool.shutdown(wait=False)

    def _leader_after(self, inst: Instance, final_deadline: float) -> BoundLp | str:
        plain = self._future.result()
        # it stops before the limit, so the solve does not wait past it
        left = final_deadline - time.monotonic() - max(2.0, LEADER_LP_MARGIN * plain.seconds)
        if left < LEADER_LP_FACTOR * plain.seconds:
            return (f"the leader rule's LP not run: {max(0.0, left):.1f}s left, where it "
                    f"needs about {LEADER_LP_FACTOR:.0f} times the coverage LP's "
                    f"{plain.seconds:.1f}s")
        return leader_lp(inst, left)

    def result(self) -> BoundLp:
        """The solved LP (waits for it)."""
        return self._future.result()

    def leader_result(self) -> BoundLp | str | None:
        """The leader rule's LP (waits for it), why it was not run, or None without a
        leader rule."""
        return self._leader.result() if self._leader is not None else None


def has_leader_rule(inst: Instance) -> bool:
    """Whether the instance has a leader rule and people it leads."""
    return inst.cfg.leadership is not None and any(a.is_leader for a in inst.agents)


def leader_lp(inst: Instance, seconds: float) -> BoundLp:
    """The coverage LP with the leader rule's rows, solved by HiGHS' interior point method
    within ``seconds``: a bound only (no point kept).

    The rows of `leaders.add_leader_rules` on the instance's own groups (each keeps to one
    team; classes merged by the queues they serve, `coverage_instance`), each person's
    count on shift their group's share (`leaders.group_on_shift`), and a leader on shift
    counted as on duty: every schedule keeps these rows, so the bound stays a bound. Where
    the rule binds it raises the bound that leaves it out many times (200 synthetic agents
    with one leader per 12: 1,194,190 against 143,877); on the sample center it does not
    (205,942 against 206,089), in twice the time.
    """
    started = time.monotonic()
    merged = coverage_instance(inst)
    model, cover, _ = _aggregate_model(merged)
    shares = group_on_shift(merged, model.group_vars)  # type: ignore[attr-defined]
    add_leader_rules(model, merged, cover, lambda a: shares.get(a, {}),
                     lambda person, i: shares.get(person, {}).get(i, ({}, 0.0))[0])
    lp = LpSolver(model).solve([COVERAGE, MISSED], seconds, "ipm")
    return BoundLp(lp.bound, [], {}, time.monotonic() - started,
                   [f"ipm {lp.status} in {lp.seconds:.1f}s"],
                   terms="with the leader rule's rows, a leader on shift counted as on duty")


def coverage_lp(inst: Instance, seconds: float,
                methods: tuple[str, ...] = LP_METHODS) -> BoundLp:
    """Solve the coverage LP on the merged classes within ``seconds``: each method of
    ``methods`` in turn, with all the time left, until one converges.
    Keeps the best bound and the point of the method that gave it (the first point found
    when no method gave a bound)."""
    started = time.monotonic()
    deadline = started + seconds
    counting = coverage_instance(counting_instance(inst))
    model, _, solver = _aggregate_model(counting)
    terms = ("coverage terms and off-phone sessions relaxed by class, each not placed at "
             "objective.activity_missed per attendee" if inst.cfg.activities
             else "coverage terms only")
    if any(a.is_leader for a in inst.agents):
        terms += ", leaders' queue time per class and day at most their share of it"
    found = BoundLp(-np.inf, [], model.group_vars, 0.0,  # type: ignore[attr-defined]
                    terms=terms, groups=counting.groups)
    # the next method runs only when one fails before its limit: after an interior point
    # method stopped short, PDLP never converged in the rest (the sample center's IPM
    # needs 21-25 s of its 30 s; PDLP's bound after 5 s -1.7e6 against its 2.06e5)
    for method in methods:
        left = deadline - time.monotonic()
        if left < 0.2:
            found.tried.append(f"{method} not run (no time left)")
            break
        lp = solver.solve([COVERAGE, MISSED], left, method)
        found.tried.append(f"{method} {lp.status} in {lp.seconds:.1f}s")
        # a later method's point replaces the kept one only with a better bound: PDLP's
        # iterate after the interior point method's time ran out is far from optimal
        # (the sample center: bound -1.7e6 after 5 s against 2.06e5 of the interior point)
        if lp.values and (not found.values or lp.bound > found.bound):
            found.values = lp.values
        found.bound = max(found.bound, lp.bound)
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


def _safe_schedule(ctx: _Context, weeks: dict[int, list[int]], lp_deadline: float,
                   ) -> ScheduleResult | None:
    """A valid schedule in seconds, before the LP: each agent works its group's checked week.

    Agents of a group share every rule, so the week found for one holds for all; breaks
    and queues are placed for coverage. Its coverage is poor (a group's agents all start
    together): it is what a run stopped early falls back on. None if not placed in time.
    Its shifts, which keep the leader rule, are the context's `fallback` for the teams a
    start's repair does not find, placed or not. Its days are placed to
    `SAFE_PLACEMENT_GAP`, until ``lp_deadline`` (monotonic seconds) at most.
    """
    inst = ctx.inst
    shifts = {a.agent_id: list(weeks[g.index]) for g in inst.groups for a in g.agents}
    if inst.cfg.leadership is not None:  # the weeks moved where the teams' leaders watch
        # one team at a time: the coverage LP runs beside it (two at a time slowed the
        # sample center's LP from 14 s to its limit)
        kept = _kept_leaders(ctx, split_with_leaders(inst, inst.groups, {
            (g.index, k): float(g.size) for g in inst.groups for k in weeks[g.index]},
            ctx.seed), "safe schedule", [], workers=1)
        if kept is None:
            return None
        shifts = kept
        # beside two busy processes the sample center's placement below failed in its 2.9 s
        # and, with no team's shifts to fall back on, every start's repair was lost
        ctx.fallback = shifts
    # 5% of the time at least, and up to the end of the coverage LP, which the solve waits
    # for after it (beside two busy processes the sample center's 2.9 s were not enough)
    limit = max(2.0, min(30.0, max(ctx.left() * 0.05, lp_deadline - time.monotonic())))
    started = time.monotonic()
    placed = _place_for_shifts(ctx, _realized(inst, shifts), limit, shifts, SAFE_PLACEMENT_GAP)
    if placed is None:
        return None
    ctx.safe_placement_seconds = time.monotonic() - started
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
    sessions, _ = session_models(inst)
    away: dict[tuple[int, int], dict[int, float]] = {}
    y_of = {a: y for by_agent in agent_vars.values() for a, y in by_agent.items()}
    if per_agent:  # sessions need their people on shift together: held per agent
        grouped = [sm for sm in sessions if not sm.session.individual]
        away = add_sessions(model, inst, grouped, group_terms(inst, y_of), tag=True).away
        for key, terms in add_alignment(model, inst, [sm for sm in sessions
                                                      if sm.session.individual], y_of).items():
            away.setdefault(key, {}).update(terms)
    elif sessions:
        for key, terms in add_class_layer(model, inst, sessions, counts).items():
            away.setdefault(key, {}).update(terms)
    cover = add_coverage(model, inst, counts, away)
    if per_agent:
        add_leader_rules(model, inst, cover, lambda a: on_shift_terms(inst, y_of.get(a, {})))
    # per class of leaders and day with group counts: the sum of their own rows, which every
    # schedule keeps, so the bound stays a bound
    add_queue_share(model, inst, cover, counts)
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
    leader = bound.leader_result()
    if isinstance(leader, str):
        tried.append(leader)
    elif leader is not None:
        tried.append(f"the leader rule's LP: {'; '.join(leader.tried)} ({leader.seconds:.1f}s),"
                     f" bound {leader.coverage_bound:.1f}")
        if leader.coverage_bound > coverage_bound:
            lp = replace(leader, terms=lp.terms + ", " + leader.terms,
                         tried=lp.tried + [f"the leader rule's LP {t}" for t in leader.tried])
            coverage_bound = leader.coverage_bound
    _reached(milestones, coverage_bound, best.coverage_objective, ctx.elapsed())
    best.coverage_bound = min(coverage_bound, best.coverage_objective)
    best.best_bound = min(coverage_bound, best.objective)
    best.wall_seconds = ctx.elapsed()
    best.milestones.update(milestones)
    if safe is not None:
        best.first_solution_seconds = milestones["safe_seconds"]
    # no better than the safe schedule before either has its sessions placed: degraded
    degraded = bool(safe is not None and best.objective >= safe.objective - 1e-6
                    and best.coverage_objective > coverage_bound + 1e-6)
    if ctx.inst.cfg.activities:
        best = _with_sessions(ctx, best)
    best.degraded = degraded
    best.notes.insert(0, lp.note())
    best.notes.append("tried: " + "; ".join(tried))
    best.notes.append(_quality(best, safe))
    return best


def _with_sessions(ctx: _Context, best: ScheduleResult) -> ScheduleResult:
    """The best schedule with its off-phone activities placed in its shifts (`place_sessions`,
    in the time kept for it); as it was when no placement is found in time."""
    inst = ctx.inst
    shifts = best.option_keys
    started = time.monotonic()
    if placeable(inst) and best.plan:  # on its breaks and queues: no model needed
        placement = place_on_plan(inst, shifts, {key: list(row) for key, row in best.plan.items()})
    else:
        placement = place_sessions(inst, shifts, max(started + 1.0, ctx.final_deadline),
                                   _fixed_leader_rules)
    ctx.log(f"sessions placed in {time.monotonic() - started:.1f}s")
    if placement is None:
        best.notes.append("off-phone activities: no placement found in time")
        return best
    placed = _result(ctx, shifts, {}, {}, best.status, placement=placement)
    placed.coverage_bound = min(best.coverage_bound, placed.coverage_objective)
    placed.best_bound = min(best.best_bound, placed.objective)
    placed.notes = best.notes + [f"off-phone activities placed in "
                                 f"{time.monotonic() - started:.1f}s"]
    placed.milestones = best.milestones
    placed.first_solution_seconds = best.first_solution_seconds
    placed.wall_seconds = ctx.elapsed()
    return placed


def _fixed_leader_rules(model: LinearModel, inst: Instance, cover: CoverageVars,
                        shifts: dict[str, list[int]]) -> None:
    """The leader rule and queue shares over fixed shifts (for breaks and activities placed
    in them)."""
    counts: dict[tuple[int, int], tuple[list[int], int]] = {}
    for (c, k), v in cover.n.items():
        counts[c, k] = ([v], 1)
    add_leader_rules(model, inst, cover, lambda a: fixed_on_shift(inst, shifts.get(a, [])))
    add_queue_share(model, inst, cover, counts)


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
        starts += _starts_from_lp(ctx, lp, tried)
    previous = previous_shifts(inst)
    if previous is not None:
        starts.append(("previous schedule", previous))
    if not starts and not ctx.stopped() and ctx.left() >= least_placing_seconds(ctx):
        # a greedy cover beside an unconverged LP point as well was tried: on the sample
        # center beside two busy processes, building and placing both starts took the
        # whole limit (bench/results/schedule.md), so it is built only without a point
        started = time.monotonic()
        cover = _kept_leaders(ctx, greedy_cover(inst, ctx.seed), "greedy cover", tried)
        tried.append(f"no LP point: a greedy cover built in {time.monotonic() - started:.1f}s")
        if cover is not None:
            starts.append(("greedy cover", cover))
    if not starts and safe is not None and not ctx.stopped():
        # the search improves the safe schedule rather than leave the rest of the time
        tried.append("no other start: the search starts from the safe schedule")
        starts.append(("safe schedule", safe.option_keys))
    if not starts or ctx.stopped():
        return None
    placing = least_placing_seconds(ctx)
    if ctx.left() < placing:
        tried.append(f"no start placed: {ctx.left():.1f}s left")
        return None
    started = time.monotonic()
    direct = _direct_result(ctx, starts, tried, milestones)
    direct_seconds = time.monotonic() - started  # a placement of fixed shifts, if made
    # the model's own placement, then a build like the one just made (none when its shifts
    # are the same); twice that skipped the model on the quiet demo with 21 s left
    if ctx.left() < placing + direct_seconds:
        tried.append(f"per-agent model not built: {ctx.left():.1f}s left")
        return direct
    started = time.monotonic()
    remodelled = _per_agent_model(ctx, starts, tried)
    if remodelled is None:
        tried.append("per-agent model (no placement in time)")
        return direct
    model, cover, solver, soft, values, name = remodelled
    built = time.monotonic()
    best = _agent_result(ctx, model, cover, values, direct)
    # what building a schedule takes: from the vector's own breaks and queues (sessions on
    # its plan), or its shifts placed anew (the direct one's placement when reused), which
    # a final split always needs
    build_seconds = time.monotonic() - built
    placing_seconds = max(build_seconds, direct_seconds)
    if not _builds_from_vector(inst):
        build_seconds = placing_seconds
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
    # time to build the search's schedule and, if it fits, a final split and its schedule;
    # one build's time at least (on the sample center 30% of what was left kept 4.1 s for
    # a build of 7.3 s, and the solve returned at 66.5 s of 60)
    reserve = min(max(ctx.left() * 0.3, 1.0 + build_seconds),
                  2.0 + 0.5 * split_seconds + 3.0 * build_seconds)
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
    ctx.log(f"search ended at {ctx.elapsed():.1f}s ({reserve:.1f}s kept to build the "
            f"schedule, one build took {build_seconds:.1f}s)")
    linear = [c for c in ALL_COMPONENTS if c not in (START_VARIATION, FAIRNESS)]
    if float(solver.cost_vector(linear) @ values) + soft.value(values) <= good_enough:
        tried.append(f"search stopped within solver.relative_gap "
                     f"{inst.cfg.solver.relative_gap:.2%} of the coverage bound")
    if values is not first:  # the search found something better
        try:
            searched = _agent_result(ctx, model, cover, values)
        except NoSolution:  # its breaks not placed anew in time: the first one stands
            searched = best
        ctx.log(f"the search's schedule built at {ctx.elapsed():.1f}s")
        if searched.objective < best.objective:
            best = searched
    if not ctx.stopped() and ctx.left() >= 3.0 + 2.0 * placing_seconds:
        final = _final_split(ctx, model, cover, integral(values),
                             ctx.left() - 1.5 * placing_seconds)
        if final is not None and final.objective < best.objective:
            tried.append("final split kept")
            best = final
    if direct is not None and direct.objective < best.objective:
        tried.append("the first start's own schedule kept")
        best = direct
    return best


def least_placing_seconds(ctx: _Context) -> float:
    """The least time, in seconds, to leave for placing a start's breaks and queues.

    Each day's placement is given DAY_PLACEMENT_SECONDS at least, so with less time left
    than a second a day and one more the stages after it end past the limit (on the sample
    center beside two busy processes, started 1 s before it, they returned 12.5 s after
    it). Days placed in less than that leave early: when the safe schedule's placement was
    timed, twice its time and half a second are enough (30 agents placed theirs in 1.1 s,
    and their solve of 12 s had stopped with 8.0 s left and the safe schedule). That
    placement is to `SAFE_PLACEMENT_GAP`, looser than a start's: the factor covers it.
    """
    per_day = DAY_PLACEMENT_SECONDS * (len(ctx.inst.dates) + 1)
    if ctx.safe_placement_seconds is None:
        return per_day
    return min(per_day, 0.5 + 2.0 * ctx.safe_placement_seconds)


def _direct_result(ctx: _Context, starts: list[tuple[str, dict[str, list[int]]]],
                   tried: list[str], milestones: dict[str, float]) -> ScheduleResult | None:
    """With the leader rule, the first start's shifts as they are, breaks and queues placed
    day by day (`_placed_result`): a schedule from the start before the per-agent model is
    built, which on a loaded machine may not be in time. None without the rule or when
    no placement is found."""
    if ctx.inst.cfg.leadership is None or ctx.stopped():
        return None
    name, shifts = starts[0]
    try:
        found = _placed_result(ctx, shifts)
    except NoSolution:
        tried.append(f"the {name}'s own shifts: no placement in time")
        return None
    tried.append(f"the {name}'s own shifts placed at {found.wall_seconds:.1f}s")
    ctx.log(f"{tried[-1]}, coverage {found.coverage_objective:.1f}")
    milestones.update(direct_seconds=found.wall_seconds,
                      direct_coverage=found.coverage_objective)
    return found


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


def _starts_from_lp(ctx: _Context, lp: BoundLp, tried: list[str]
                    ) -> list[tuple[str, dict[str, list[int]]]]:
    """The LP's group counts as agents' weeks: starts (name, shifts) for the per-agent
    model, none when a leader rule's repair is not found in time.

    With people around the phones the LP's groups are the counting instance's: they are
    split into people two ways, each repaired team by team for a leader rule
    (`_people_from_lp`). Otherwise:

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
    if lp.groups and (inst.cfg.leadership is not None or counting_instance(inst) is not inst):
        return _people_from_lp(ctx, lp, tried)  # the LP's groups are not the instance's
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
    rounded_groups = {g.index for g in whole}
    rest = [g for g in inst.groups if g.index not in rounded_groups]
    for group in rest:
        group_counts = {k: lp.values[lp.group_vars[group.index, k]]
                        for keys in group.options.values() for k in keys}
        shifts.update(split_from_lp(inst, group, group_counts, ctx.seed))
    if rest:
        tried.append(f"{len(rest)} groups not rounded in time split agent by agent from the "
                     f"LP point")
    return [("LP", assign_weeks(inst, shifts))]


def _people_from_lp(ctx: _Context, lp: BoundLp, tried: list[str]
                    ) -> list[tuple[str, dict[str, list[int]]]]:
    """The LP's counts on the counting instance's groups split into people (see
    `_starts_from_lp`): group by group with the leader rule left to the repair, or, when
    that repair is not found in time or moved more than `REBUILT_SHARE` of the people's
    weeks (the LP's shape is then mostly lost), leaders first, then each team's agents
    where its leaders watch (`team_split`), repaired in turn, which then replaces it.
    Empty when neither is repaired.

    On the sample center at 60 s the group split covered better (1.69 against 2.35
    million, bench/results/schedule_people.md), its repair moved 35 of 146 weeks, and a
    second start beside it left the per-agent model no time to place either (10.97 times
    the bound against 5.47); at 1,000 agents in teams of 24 the repair moved 1,016 of
    1,084 and the split leaders first (455 moved) was the better start (64.8 against 85.3
    million placed)."""
    counts = {(g.index, k): lp.values[lp.group_vars[g.index, k]]
              for g in lp.groups for keys in g.options.values() for k in keys}
    started = time.monotonic()
    shifts: dict[str, list[int]] = {}
    for group in lp.groups:
        shifts.update(split_from_lp(ctx.inst, group, {
            k: counts[group.index, k] for keys in group.options.values() for k in keys},
            ctx.seed))
    tried.append(f"LP counts split into agents group by group in "
                 f"{time.monotonic() - started:.1f}s")
    ctx.log(tried[-1])
    probed = _group_split_lost(ctx, shifts, tried)
    starts: list[tuple[str, dict[str, list[int]]]] = []
    if not probed:
        kept, moved = _repaired(ctx, shifts, "LP start (by group)", tried)
        starts = [("LP", assign_weeks(ctx.inst, kept))] if kept is not None else []
        if ctx.stopped() or moved <= REBUILT_SHARE:
            return starts
    if ctx.left() < least_placing_seconds(ctx):  # it could not be placed: the limit stands
        tried.append(f"LP counts not split leaders first: {ctx.left():.1f}s left")
        return starts
    started = time.monotonic()
    led = split_with_leaders(ctx.inst, lp.groups, counts, ctx.seed)
    tried.append(f"LP counts split leaders first in {time.monotonic() - started:.1f}s")
    ctx.log(tried[-1])
    kept = _kept_leaders(ctx, led, "LP start (leaders first)", tried)
    if kept is None:
        if probed and not ctx.stopped():  # the group split repaired after all
            kept, _ = _repaired(ctx, shifts, "LP start (by group)", tried)
            return [("LP", assign_weeks(ctx.inst, kept))] if kept is not None else []
        return starts
    # the group split's shape is mostly lost: the split made for the rule goes alone (at
    # 1,000 agents it placed at 62.6 million against the group split's 77.6, and placing
    # both for the per-agent model, then the better one again with its sessions, took
    # 150 s of the search's time)
    if starts:
        tried.append("the group split left out: its repair moved most weeks")
    return [("LP split leaders first", kept)]


def _group_split_lost(ctx: _Context, shifts: dict[str, list[int]], tried: list[str]) -> bool:
    """Whether the leader rule's repair of `PROBE_SETS` sets of teams spread over the
    roster moves more than `REBUILT_SHARE` of their people's weeks (a set not repaired in
    its time counts as all moved): the group split ``shifts`` then need not be repaired
    whole. False without the rule or on rosters of fewer than `PROBE_FROM_SETS` sets."""
    if ctx.inst.cfg.leadership is None:
        return False
    components = team_components(ctx.inst)
    if len(components) < PROBE_FROM_SETS:
        return False
    step = len(components) / PROBE_SETS
    probe = [components[int(j * step)] for j in range(PROBE_SETS)]
    people = [p for c in probe for p in component_people(ctx.inst, c)]
    started = time.monotonic()
    # each set its share of the whole repair's time
    seconds = min(ctx.left() * REPAIR_SHARE, 120.0) * PROBE_SETS / len(components)
    repair = team_schedules(ctx.inst, shifts, max(2.0, seconds), ctx.workers, ctx.seed,
                            components=probe)
    moved = sum(1 for p in people if p not in repair.shifts
                or sorted(repair.shifts[p]) != sorted(shifts.get(p, [])))
    lost = moved > REBUILT_SHARE * max(1, len(people))
    tried.append(f"LP start (by group): the repair of {len(probe)} of {len(components)} "
                 f"sets of teams moved {moved} of {len(people)} people's weeks in "
                 f"{time.monotonic() - started:.1f}s" + (", the group split left out"
                                                        if lost else ""))
    ctx.log(tried[-1])
    return lost


def _kept_leaders(ctx: _Context, shifts: dict[str, list[int]] | None, name: str,
                  tried: list[str], workers: int | None = None) -> dict[str, list[int]] | None:
    """A start's shifts repaired team by team for the leader rule, which the LP and the
    greedy cover do not know (`_repaired`), weeks handed within groups; None when no repair
    is found in time."""
    kept, _ = _repaired(ctx, shifts, name, tried, workers)
    return None if kept is None else assign_weeks(ctx.inst, kept)


def _repaired(ctx: _Context, shifts: dict[str, list[int]] | None, name: str,
              tried: list[str], workers: int | None = None,
              ) -> tuple[dict[str, list[int]] | None, float]:
    """A start's shifts repaired for the leader rule (`leaders.team_schedules`, with
    ``workers`` teams at a time, the context's by default) and the share of the people it
    concerns whose weeks the repair moved; (None, 1.0) when no repair is found in time."""
    if shifts is None:
        return None, 1.0
    if ctx.inst.cfg.leadership is None:
        return shifts, 0.0
    started = time.monotonic()
    fallback = ctx.fallback
    repair = team_schedules(ctx.inst, shifts, max(2.0, min(ctx.left() * REPAIR_SHARE, 120.0)),
                            workers or ctx.workers, ctx.seed,
                            retry_share=1.0 if fallback is None else FALLBACK_RETRY_SHARE)
    kept = dict(repair.shifts)
    taken = ""
    if not repair.complete:
        tried.append(f"{name}: no repair keeping the leader rule found in "
                     f"{time.monotonic() - started:.1f}s for teams "
                     f"{repair.describe_unsolved()}")
        ctx.log(tried[-1])
        if fallback is None:
            return None, 1.0
        # the rule binds a set of teams' own people only: theirs from a schedule that
        # keeps it make the whole start keep it (at 1,000 agents one team of 42 not
        # repaired in 83 s had lost the whole start)
        kept.update({p: list(fallback[p]) for c in repair.unsolved
                     for p in component_people(ctx.inst, c)})
        taken = (f", the people of {len(repair.unsolved)} sets of teams on the safe "
                 f"schedule's shifts")
    moved = sum(1 for p, keys in kept.items() if sorted(keys) != sorted(shifts.get(p, [])))
    tried.append(f"{name}: the leader rule's repair moved {moved} people's weeks in "
                 f"{time.monotonic() - started:.1f}s{taken}")
    ctx.log(tried[-1])
    return {**shifts, **kept}, moved / max(1, len(kept))


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

    def vector(shifts: dict[str, list[int]]) -> np.ndarray:
        start = np.zeros(len(model.lb))
        for agent_id, y in agent_vars.items():
            for k in shifts.get(agent_id, ()):
                start[y[k]] = 1.0
        return start

    for position, (name, shifts) in enumerate(starts):
        if ctx.stopped():
            break
        share = ctx.left() * 0.3 / (len(starts) - position)
        # to the fixed-shift placement's gap: the search that follows closes the rest
        placed = place_breaks(solver, vector(shifts), tags, ALL_COMPONENTS,
                              time.monotonic() + share, PLACEMENT_GAP)
        if placed is None:
            tried.append(f"start from the {name}: no placement (a rule broken, or no time)")
            continue
        value = float(cost @ placed) + soft.value(placed)
        if best is None or value < best[0]:
            best = (value, placed, name)
    if best is None and not ctx.stopped() and ctx.left() >= RETRY_PLACEMENT_SECONDS:
        # the first start again with most of the time left: on the sample center at load
        # 1.8 its days were not placed in 30% of the 20 s left, and the search never ran
        name, shifts = starts[0]
        placed = place_breaks(solver, vector(shifts), tags, ALL_COMPONENTS,
                              time.monotonic() + ctx.left() * 0.6, PLACEMENT_GAP)
        if placed is not None:
            tried.append(f"start from the {name} placed at a second try")
            best = (float(cost @ placed) + soft.value(placed), placed, name)
    if best is None:
        return None
    return model, cover, solver, soft, best[1], best[2]


def _agent_result(ctx: _Context, model: LinearModel, cover: CoverageVars,
                  values: np.ndarray, placed: ScheduleResult | None = None) -> ScheduleResult:
    """The schedule of a per-agent model's integer vector, its weeks handed within each
    group to the agents who want them most (`preferences.assign_weeks`), built from its own
    breaks and queues (`_builds_from_vector`). With sessions of a model of their own its
    shifts are placed anew, unless ``placed`` (a schedule placed so) has the same shifts:
    on the sample center the start's own shifts were placed twice, 6 s each."""
    found = integral(values)
    shifts = assign_weeks(ctx.inst, {
        a: [k for k, v in y.items() if found[v]]
        for by_agent in model.agent_vars.values()  # type: ignore[attr-defined]
        for a, y in by_agent.items()})
    if not _builds_from_vector(ctx.inst):  # its queue counts leave room for its sessions
        if placed is not None and _same_shifts(placed.option_keys, shifts):
            return replace(placed, wall_seconds=ctx.elapsed())
        return _placed_result(ctx, shifts)
    break_counts = {key: {b: found[v] for b, v in layer.items() if found[v]}
                    for key, layer in cover.breaks.items()}
    work_counts = {key: found[v] for key, v in cover.work.items() if found[v]}
    if ctx.inst.cfg.activities:
        # the sessions go on the plan (`_with_sessions`): the vector's own breaks and
        # queues, with the time it kept for sessions back on queues. Placed anew instead,
        # at 1,000 agents the search's schedule took 49 s and its coverage was 45.5 million
        # against the search's 25.1 (its days' placements cut short by the time left)
        work_counts = _sessions_time_on_queues(ctx.inst, shifts, break_counts, work_counts)
    return _result(ctx, shifts, break_counts, work_counts, "FEASIBLE")


def _builds_from_vector(inst: Instance) -> bool:
    """Whether a per-agent vector's schedule is built from its own breaks and queues: with
    no sessions, or with sessions all placed on the plan afterwards (`placeable`); the
    sessions of a model of their own need the shifts placed anew."""
    return not inst.cfg.activities or placeable(inst)


def _sessions_time_on_queues(inst: Instance, shifts: dict[str, list[int]],
                             break_counts: dict[tuple[int, int, int], dict[int, int]],
                             work_counts: dict[tuple[int, int, int], int],
                             ) -> dict[tuple[int, int, int], int]:
    """Queue counts (class, interval, queue) -> agents, where the agents of each class on
    shift and not on a break but on no queue (the time a per-agent vector keeps for
    sessions) are put on its best queue; people who are not agents stay on duty."""
    present: dict[tuple[int, int], int] = defaultdict(int)
    for agent_id, keys in shifts.items():
        c = inst.groups[inst.group_of_agent[agent_id]].class_index
        for k in keys:
            o = inst.options[k]
            for i in range(o.first_interval, o.first_interval + o.n_intervals):
                present[c, i] += 1
    for (c, k, b_index), counts in break_counts.items():
        o = inst.options[k]
        slot = o.breaks[b_index]
        for b, n in counts.items():
            last = min(o.first_interval + b + slot.duration, o.first_interval + o.n_intervals)
            for i in range(o.first_interval + b, last):
                present[c, i] -= n
    working: dict[tuple[int, int], int] = defaultdict(int)
    for (c, i, _), n in work_counts.items():
        working[c, i] += n
    filled = dict(work_counts)
    for (c, i), n in present.items():
        cls = inst.classes[c]
        idle = n - working[c, i]
        if idle > 0 and not cls.off_queue and len(cls.queues) > 1 and i < inst.n_intervals:
            key = (c, i, cls.queues[0])
            filled[key] = filled.get(key, 0) + idle
    return filled


def _same_shifts(one: dict[str, list[int]], other: dict[str, list[int]]) -> bool:
    """Whether two schedules give every agent the same shift options."""
    agents = set(one) | set(other)
    return all(sorted(one.get(a, [])) == sorted(other.get(a, [])) for a in agents)


def _placed_result(ctx: _Context, shifts: dict[str, list[int]], moved: int = 0,
                   limit: float | None = None) -> ScheduleResult:
    """The schedule of fixed shifts with breaks and queues placed anew (keeping the leader
    rule) within ``limit`` seconds (`_place_for_shifts`'s default when None); the off-phone
    sessions are placed in it at the end (`_with_sessions`)."""
    placed = _place_for_shifts(ctx, _realized(ctx.inst, shifts), limit, shifts=shifts)
    if placed is None:
        raise NoSolution("no break and queue placement found for the shifts in time")
    return _result(ctx, shifts, *placed, "FEASIBLE", moved)


def _final_split(ctx: _Context, model: LinearModel, cover: CoverageVars,
                 values: list[int], seconds: float) -> ScheduleResult | None:
    """Each group's counts of a per-agent vector split again for the soft goals, the
    splits taking at most half of ``seconds`` (the schedule is built after them). None
    when a split that moved shifts leaves no time to place their breaks within
    ``seconds``: at 3,000 agents the split and its placement took 24.5 s of 10.2 and the
    solve ended 9.7 s past its limit (bench/results/schedule.md)."""
    inst = ctx.inst
    until = time.monotonic() + seconds
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
    if moved or inst.cfg.activities:
        left = until - time.monotonic()
        if left < least_placing_seconds(ctx):
            return None
        try:
            return _placed_result(ctx, shifts, moved, limit=left)
        except NoSolution:
            return None
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
                      limit: float | None = None, shifts: dict[str, list[int]] | None = None,
                      gap: float = PLACEMENT_GAP) -> tuple[dict, dict] | None:
    """Breaks and queue counts for fixed shifts (agents per class and option in
    ``realized``), each day a MIP to ``gap``, keeping the leader rule over
    ``shifts`` when given (None if not in time).

    Deferred and campaign queues are placed as backlog flows, day after day as in the
    per-agent model (`improve.place_breaks`): placed against their requirement rows
    instead, the LP start's shifts of 300 agents with flows priced 2,058,291 where the
    flows gave 98,859 (bench/results/schedule.md)."""
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
                          time.monotonic() + limit, gap)
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
    status, notes = result.status, []
    gap = inst.cfg.solver.relative_gap
    if gap > 0 and status == "OPTIMAL" and result.objective > result.bound + 1e-6 * max(
            1.0, abs(result.objective)):
        # CP-SAT calls a search stopped at its gap limit optimal; it is not proven so
        status = "FEASIBLE"
        notes.append(f"search stopped within solver.relative_gap {gap:.2%} of its bound")
    placed, missed = placed_sessions(sv, values)
    why = (f"not placed: every schedule holding it breaks a hard rule or costs more than "
           f"objective.activity_missed ({inst.cfg.objective.activity_missed:g} per attendee)"
           if status == "OPTIMAL" else
           "not placed in the solver's time (a schedule holding it may exist)")
    unplaced += [unplaced_entry(sm.session, why) for sm in missed]
    shifts = {a: [k for k, v in y.items() if values[v]] for a, y in y_of.items()}
    break_counts = {key: {b: values[v] for b, v in layer.items() if values[v]}
                    for key, layer in cover.breaks.items()}
    work_counts = {key: values[v] for key, v in cover.work.items() if values[v]}
    plan = assign_activities(inst, shifts, break_counts, work_counts, placed)
    schedule = _result(ctx, shifts, break_counts, work_counts, status,
                       total_bound=result.bound,
                       placement=Placement(plan, placed, unplaced, plan_proficiency(inst, plan)))
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


def _unpaid_share(inst: Instance, row: list[tuple[str, int]], key: int) -> float:
    """The share of an option's paid minutes its unpaid activities take."""
    unpaid = {a.id for a in inst.cfg.activities if not a.paid}
    if not unpaid:
        return 0.0
    minutes = inst.cfg.center.interval_minutes * sum(1 for a, _ in row if a in unpaid)
    return minutes / max(1, inst.options[key].paid_minutes)


def _inbound_first(inst: Instance, plan: dict[tuple[str, int], list[tuple[str, int]]]) -> int:
    """Blended agents moved, in place, from campaign queues to the live queues of their
    class that are short in the same interval (`flows.protect_inbound` on the plan's
    counts). Returns the agent-intervals moved.

    Every campaign's queue is protected so, worked as a backlog flow or, without a plan's
    attempts and contacts in the requirements, covered per interval: the checker's
    ``inbound_first`` holds for both."""
    campaigns = {q for q, queue_id in enumerate(inst.queue_ids)
                 if inst.cfg.campaign_for(queue_id) is not None}
    if not campaigns:
        return 0
    work: dict[tuple[int, int, int], int] = defaultdict(int)
    on: dict[tuple[int, int, int], list[tuple[str, int, int]]] = defaultdict(list)
    for (agent_id, k), row in sorted(plan.items()):
        c = inst.groups[inst.group_of_agent[agent_id]].class_index
        first = inst.options[k].first_interval
        for j, (activity, q) in enumerate(row):
            if activity == WORK and q >= 0 and first + j < inst.n_intervals:
                work[c, first + j, q] += 1
                on[c, first + j, q].append((agent_id, k, j))
    before = dict(work)
    deferred = frozenset(q for q, queue_id in enumerate(inst.queue_ids)
                         if inst.cfg.queue(queue_id).deferred)
    moved = protect_inbound(inst.classes, inst.required, campaigns, work,
                            scheduled_counts(inst, plan), deferred)
    if not moved:
        return 0
    gained: dict[tuple[int, int], list[int]] = defaultdict(list)
    for (c, i, q), count in sorted(work.items()):
        gained[c, i] += [q] * max(0, count - before.get((c, i, q), 0))
    for (c, i, q), count in sorted(work.items()):
        for _ in range(max(0, before.get((c, i, q), 0) - count)):
            agent_id, k, j = on[c, i, q].pop()
            plan[agent_id, k][j] = (WORK, gained[c, i].pop())
    return moved


def _result(ctx: _Context, shifts: dict[str, list[int]], break_counts: dict, work_counts: dict,
            status: str, moved: int = 0, total_bound: float = 0.0,
            placement: Placement | None = None) -> ScheduleResult:
    """The schedule of shifts per agent and counts per class, or with everything placed
    already (``placement``: breaks, queues and off-phone sessions): tables and every figure,
    the soft goals recounted from the shifts. ``total_bound`` is a proven bound on the
    objective (the coverage bound is set by the caller).

    Without a placement no session is placed (each reported as not placed in time). The
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
    proficiency = placement.proficiency
    if _inbound_first(inst, plan):
        proficiency = plan_proficiency(inst, plan)
    shifts_table, activities = schedule_tables(inst, shifts, plan, sessions)
    scheduled = scheduled_counts(inst, plan)
    static = {entry["session"] for entry in session_models(inst)[1]}
    missed = missed_cost(inst, [e for e in placement.unplaced if e["session"] not in static])
    coverage = coverage_cost(inst, scheduled) + missed
    paid = sum(_paid_cost(inst, a.contract, k) * (1.0 - _unpaid_share(inst, plan[a.agent_id, k],
                                                                       k))
               for a in inst.agents for k in shifts.get(a.agent_id, []))
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
        penalties={"coverage": coverage - missed, "activities_missed": missed,
                   "paid_hours": paid, "proficiency": proficiency,
                   "soft_goals": soft, "shortfall_agent_hours": short * step_hours,
                   "required_agent_hours": required_hours},
        notes=notes, soft_goals=soft_goals, unplaced=placement.unplaced, option_keys=shifts,
        plan=plan,
    )
