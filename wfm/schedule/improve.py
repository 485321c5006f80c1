"""Integer solutions of the aggregate model, from its LP relaxation to near its bound.

Three steps, each a small exact solve:

* `round_shift_counts`: each group's shift counts rounded to the floor or ceiling of their
  LP values so that the agents on shift per class and interval stay close to the LP's
  (per coverage class a HiGHS MIP on the shift counts alone with the groups' rule cuts,
  the classes side by side).
* `place_breaks`: breaks, lunches and queue counts for those shifts, one day at a time
  (with the shifts fixed the days are independent), each day an exact HiGHS MIP.
* `improve`: a large-neighbourhood search. A neighbourhood frees one day's variables of
  a block of coverage classes (shifts, breaks, queues, shortfall), or the whole horizon
  of a few classes, and holds the rest; HiGHS solves it from the current schedule as its
  first incumbent, so the schedule never gets worse. The coverage cost is a sum over
  intervals and a day touches the rest of the week only through weekly rules (and the
  backlog of deferred and campaign queues: a day neighbourhood frees it on its day and
  the next, and the flows are synced before the vector is compared), so day
  neighbourhoods are cheap and pay most;
  week neighbourhoods move working days and days off. Two neighbourhoods of different
  days and blocks share no constraint and run side by side.

Every step works on any model built by `wfm.schedule.solve._aggregate_model`, whether
groups carry counts or each agent its own booleans.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from math import ceil, floor

import numpy as np

from wfm.schedule.coverage import CoverageVars
from wfm.schedule.flows import sync as sync_flows
from wfm.schedule.instance import Instance
from wfm.schedule.linear import INF, LinearModel, LpResult, LpSolver
from wfm.schedule.preferences import FAIRNESS, START_VARIATION, SoftCosts
from wfm.schedule.rules import add_group_cuts

DAY_PLACEMENT_SECONDS = 1.0  # the least a day's break placement is given
ROUNDING = "rounding"
# a neighbourhood's MIP gap: at 1e-4 (of its own part of the objective, a day's worth)
# the neighbourhoods of 300 agents with flows ran to their 20 s cap, 8 were solved in
# 60 s and the result was 4.19 times the bound; at 1e-3 35 were, 2.99 (bench/results)
HOOD_GAP = 1e-3
SHORT_WEIGHT = 2.0
FREE_VARIABLES_PER_NEIGHBOURHOOD = 4000  # per block and day, queue variables aside
WHOLE_WEEK = -1


@dataclass
class VariableTags:
    """Per model variable: its day (-1: a weekly variable) and class (-1: a queue's).

    ``interval`` is the interval of a queue-count, shortfall or overage variable (-1 for
    the others), ``reach`` per day the intervals [first, stop) its own intervals and its
    shifts touch: past its last interval when a shift runs over midnight.
    """

    day: np.ndarray
    cls: np.ndarray
    shift: np.ndarray  # bool: a shift count (of a group or an agent)
    interval: np.ndarray
    reach: dict[int, tuple[int, int]]

    flow: np.ndarray | None = None  # bool: a backlog flow's variable (free in every search)
    # the flows' variables re-set from the queue counts (`wfm.schedule.flows.sync`)
    sync: Callable[[np.ndarray], np.ndarray] | None = None
    flow_day: np.ndarray | None = None  # per variable: day of a flow variable's interval
    flow_row_day: np.ndarray | None = None  # per model row: day of a flow row's interval

    def reached(self, d: int) -> np.ndarray:
        """Interval variables of the intervals day ``d`` reaches (its own and those its
        shifts run into on the next date): freed with the day's shifts, or a night shift
        could not move, nor its breaks be placed, without the next date's queue counts."""
        first, stop = self.reach.get(d, (0, 0))
        return (self.interval >= first) & (self.interval < stop)


def tag_variables(inst: Instance, model: LinearModel, cover: CoverageVars,
                  group_vars: dict[tuple[int, int], int],
                  agent_vars: dict[int, dict[str, dict[int, int]]],
                  owner: dict[int, int]) -> VariableTags:
    """The day and class of every variable of an aggregate model.

    ``owner`` gives the class of the groups' and agents' rule variables (weekly ones).
    """
    size = len(model.lb)
    day = np.full(size, -1)
    cls = np.full(size, -1)
    for v, c in owner.items():
        cls[v] = c
    shift = np.zeros(size, dtype=bool)
    day_index = {d: i for i, d in enumerate(inst.dates)}
    interval_day = [day_index.get(t.date(), -1) for t in inst.interval_starts]
    for (g, k), v in group_vars.items():
        day[v], cls[v], shift[v] = inst.options[k].day, inst.groups[g].class_index, True
    for g, by_agent in agent_vars.items():
        for y in by_agent.values():
            for k, v in y.items():
                day[v], cls[v], shift[v] = inst.options[k].day, inst.groups[g].class_index, True
    for (c, k), v in cover.n.items():
        day[v], cls[v] = inst.options[k].day, c
    for (c, k, _), layer in cover.breaks.items():
        for v in layer.values():
            day[v], cls[v] = inst.options[k].day, c
    interval = np.full(size, -1)
    for (c, i, _), v in cover.work.items():
        day[v], cls[v], interval[v] = interval_day[i], c, i
    for (_, i), segments in cover.under.items():
        for v in segments:
            day[v], interval[v] = interval_day[i], i
    for (_, i), v in cover.over.items():
        day[v], interval[v] = interval_day[i], i
    for (c, i), v in cover.duty.items():
        day[v], cls[v], interval[v] = interval_day[i], c, i
    # variables other parts of the model add, with their day and class (activities)
    for v, (d, c) in getattr(model, "tags_of", {}).items():
        day[v], cls[v] = d, c
    reach = _day_reach(inst, interval_day)
    if not cover.flows:
        return VariableTags(day, cls, shift, interval, reach)
    flow = np.zeros(size, dtype=bool)
    flow_day = np.full(size, -1)
    row_day = np.full(len(model.rows), -1)
    for fv in cover.flows:  # backlog carries from day to day: weekly, of no class
        for i, (b, idle) in enumerate(zip(fv.backlog, fv.idle, strict=True)):
            flow_day[[b, idle]] = interval_day[i]
            row_day[fv.rows[i]] = interval_day[i]
        for i, v in fv.late.items():
            flow_day[v] = interval_day[i]
    flow[flow_day >= 0] = True
    weights = inst.cfg.objective
    return VariableTags(day, cls, shift, interval, reach, flow,
                        lambda values: sync_flows(cover.flows, values, weights),
                        flow_day, row_day)


def _day_reach(inst: Instance, interval_day: list[int]) -> dict[int, tuple[int, int]]:
    """Per day, the intervals [first, stop) of its date and of its shifts."""
    reach: dict[int, tuple[int, int]] = {}
    for i, d in enumerate(interval_day):
        if d >= 0:
            first, stop = reach.get(d, (i, i))
            reach[d] = (min(first, i), max(stop, i + 1))
    for option in inst.options:
        first, stop = reach.get(option.day, (option.first_interval, option.first_interval))
        reach[option.day] = (min(first, option.first_interval),
                             max(stop, option.first_interval + option.n_intervals))
    return reach


@dataclass
class Neighbourhood:
    """Variables one sub-problem frees: one day of a block of classes."""

    day: int  # WHOLE_WEEK for a week of a few classes
    block: int
    free: np.ndarray  # bool mask over the model's variables
    reach: tuple[int, int] = (0, 0)  # the intervals [first, stop) a day's variables touch
    skip: np.ndarray | None = None  # bool mask over the rows left out (later flow rows)


def neighbourhoods(inst: Instance, tags: VariableTags, workers: int = 1,
                   max_free: int = FREE_VARIABLES_PER_NEIGHBOURHOOD) -> list[Neighbourhood]:
    """One neighbourhood per day and block of classes, then weeks of a few classes.

    Classes are taken in order of the queue they serve best, so a block holds the classes
    that compete for the same queues; blocks are as large as ``max_free`` allows on an
    average day, and at least ``workers`` of them so that neighbourhoods of different
    days and blocks can be solved side by side. A neighbourhood also frees its classes'
    weekly rule variables and its day's shortfall and overage. Week neighbourhoods are
    where working days and days off move.
    """
    days = sorted(set(tags.day[tags.shift].tolist()))
    order = sorted(range(len(inst.classes)), key=lambda c: (inst.classes[c].queues, c))
    owned = tags.cls >= 0
    per_class = np.bincount(tags.cls[owned], minlength=len(inst.classes)) / max(1, len(days))
    n_blocks = max(min(workers, len(order)), int(ceil(per_class.sum() / max_free)))
    target = per_class.sum() / n_blocks
    block_of = np.zeros(len(inst.classes), dtype=int)
    block, filled = 0, 0.0
    for c in order:
        if filled >= target * (block + 1) and block < n_blocks - 1:
            block += 1
        block_of[c] = block
        filled += per_class[c]
    var_block = np.where(owned, block_of[np.maximum(tags.cls, 0)], -1)
    weekly = tags.day < 0
    flow = tags.flow if tags.flow is not None else np.zeros(tags.day.size, dtype=bool)
    flow_day = tags.flow_day if tags.flow_day is not None else np.full(tags.day.size, -1)
    hoods = []
    for d in days:
        on_day = tags.day == d
        reached = tags.reached(d)
        queue_part = (on_day | reached) & ~owned
        # the flows' backlog of this day and the next (rows after them left out): the
        # search compares the whole vector once the flows are synced
        day_flow = flow & ((flow_day == d) | (flow_day == d + 1))
        skip = (tags.flow_row_day > d + 1) if tags.flow_row_day is not None else None
        for b in range(block + 1):
            mine = var_block == b
            hoods.append(Neighbourhood(d, b, (weekly & mine & ~flow) | queue_part
                                       | ((on_day | reached) & mine) | day_flow,
                                       reach=tags.reach[d], skip=skip))
    # whole weeks of a few classes: where days off and working days move
    week_classes: list[list[int]] = [[]]
    filled = 0.0
    for c in order:
        if week_classes[-1] and filled + per_class[c] * len(days) > max_free:
            week_classes.append([])
            filled = 0.0
        week_classes[-1].append(c)
        filled += per_class[c] * len(days)
    if len(week_classes) > 1 or len(days) > 1:
        for classes in week_classes:
            mine = np.isin(tags.cls, classes) & owned
            hoods.append(Neighbourhood(WHOLE_WEEK, -1, mine | (~owned & ~weekly) | flow))
    return hoods


def _independent(batch: list[Neighbourhood], hood: Neighbourhood) -> bool:
    """Days of different blocks whose intervals do not meet share no constraint: they can
    be solved side by side (a day whose night shifts run into the next date meets it)."""
    return all(h.block != hood.block and WHOLE_WEEK not in (h.day, hood.day)
               and (h.reach[1] <= hood.reach[0] or hood.reach[1] <= h.reach[0])
               for h in batch)


def round_shift_counts(inst: Instance, group_vars: dict[tuple[int, int], int],
                       lp_values: list[float], time_limit_seconds: float, workers: int = 1,
                       ) -> dict[int, int]:
    """Group shift counts at the floor or ceiling of the LP that keep its coverage shape.

    Per coverage class a HiGHS MIP over its groups' shift counts with their rule cuts: per
    interval, the class's agents on shift should match the LP's; a missing agent weighs
    ``SHORT_WEIGHT`` times an extra one. Classes share no row here, so each is its own MIP
    (``workers`` of them side by side): one MIP of the whole roster found nothing in 10 s
    for 300 agents and needed 16 s. Rounding each count to its nearest integer instead
    loses far more (the LP spreads groups thinly over many start times). Returns the count
    of every group variable (by model index) of the classes rounded in time (a class whose
    MIP found nothing in its time is left out).
    """
    by_class: dict[int, list] = defaultdict(list)
    for group in inst.groups:
        by_class[group.class_index].append(group)
    deadline = time.monotonic() + time_limit_seconds
    # the largest classes first, each given its share (by agents) of the time left to the
    # classes not yet started, so time a class does not use goes to the others
    classes = sorted(by_class.values(), key=lambda groups: -sum(g.size for g in groups))
    waiting = [sum(g.size for g in inst.groups)]
    lock = threading.Lock()

    def round_one(groups: list) -> dict[int, int] | None:
        size = sum(g.size for g in groups)
        with lock:
            share = size / max(1, waiting[0]) * min(workers, len(classes))
            waiting[0] -= size
        seconds = max(0.5, (deadline - time.monotonic()) * min(1.0, share))
        return _round_class(inst, groups, group_vars, lp_values, seconds)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        found = list(pool.map(round_one, classes))
    return {v: count for part in found if part is not None for v, count in part.items()}


def _round_class(inst: Instance, groups: list, group_vars: dict[tuple[int, int], int],
                 lp_values: list[float], seconds: float) -> dict[int, int] | None:
    """One coverage class's rounding (see `round_shift_counts`)."""
    model = LinearModel()
    index_of: dict[int, int] = {}
    on_shift: dict[int, dict[int, float]] = defaultdict(dict)
    target: dict[int, float] = defaultdict(float)
    for group in groups:
        n = {}
        for keys in group.options.values():
            for k in keys:
                v = group_vars[group.index, k]
                low, high = floor(lp_values[v] + 1e-6), ceil(lp_values[v] - 1e-6)
                n[k] = model.var(low, max(low, high), f"n(group={group.index}, option={k})")
                index_of[n[k]] = v
                o = inst.options[k]
                for i in range(o.first_interval, o.first_interval + o.n_intervals):
                    on_shift[i][n[k]] = 1.0
                    target[i] += lp_values[v]
        add_group_cuts(model, inst, group, n)
    deviations = []
    for i, terms in on_shift.items():
        extra, short = model.var(0, INF, f"extra({i})"), model.var(0, INF, f"short({i})")
        model.add({**terms, extra: -1.0, short: 1.0}, target[i], target[i], ROUNDING)
        model.cost(ROUNDING, extra, 1.0)
        model.cost(ROUNDING, short, SHORT_WEIGHT)
        deviations += [extra, short]
    continuous = np.zeros(len(model.lb), dtype=bool)
    continuous[deviations] = True
    found = LpSolver(model).solve_mip([ROUNDING], np.zeros(len(model.lb)),
                                      np.ones(len(model.lb), dtype=bool), seconds,
                                      relative_gap=1e-2, continuous=continuous)
    if not found.values:
        return None
    return {v: int(found.values[s]) for s, v in index_of.items()}


def place_breaks(solver: LpSolver, values: np.ndarray, tags: VariableTags,
                 components: list[str], deadline: float,
                 relative_gap: float = 1e-4) -> np.ndarray | None:
    """Breaks and queue counts for fixed shift counts, each day a MIP solved to
    ``relative_gap``.

    Returns the whole vector, or None when some day found no placement in time.
    """
    values = values.copy()
    weekly = tags.day < 0
    days = sorted(set(tags.day[tags.shift].tolist()))
    for a, d in enumerate(days):
        budget = max(DAY_PLACEMENT_SECONDS, (deadline - time.monotonic()) / (len(days) - a))
        # the next date's queue counts too where the day's night shifts run into it
        free = ((tags.day == d) & ~tags.shift) | weekly | tags.reached(d)
        skip = None
        if tags.flow_day is not None and tags.flow_row_day is not None:
            # the flows up to this day's end only: later days are placed after it, and
            # the backlog is continuous here, made whole again by the flows' sync
            free &= ~(tags.flow_day > d)
            skip = tags.flow_row_day > d
        found = solver.solve_mip(components, values, free, budget, relative_gap,
                                 continuous=tags.flow, skip_rows=skip)
        if not found.values:
            return None
        values = np.asarray(found.values)
    return tags.sync(values) if tags.sync is not None else values


def improve(solver: LpSolver, values: np.ndarray, hoods: list[Neighbourhood],
            components: list[str], deadline: float, log: Callable[[str], None],
            stop: Callable[[], bool] = lambda: False, workers: int = 1,
            good_enough: float = -np.inf, soft: SoftCosts | None = None,
            on_gain: Callable[[np.ndarray], None] | None = None,
            sync_flows: Callable[[np.ndarray], np.ndarray] | None = None,
            flow_variables: np.ndarray | None = None,
            ) -> tuple[np.ndarray, int]:
    """Re-solve neighbourhoods until a full round finds nothing, time runs out or the
    objective is at most ``good_enough`` (the relative-gap target).

    With ``soft``, the start spread and fairness are priced per option in day
    neighbourhoods (`SoftCosts.day_costs`, their variables and rows left out) and kept in
    the MIP of week neighbourhoods; the objective compared is the model's other components
    plus `SoftCosts.value`, and their variables are re-set from the shifts after each gain.
    ``on_gain`` is called with each better vector. ``sync_flows`` re-sets the backlog
    flows' variables from the queue counts (`wfm.schedule.flows.sync`): every
    neighbourhood frees them, so side-by-side results are merged, then re-synced; they
    are continuous in the MIPs (``flow_variables``) and made whole by the sync.
    Up to ``workers`` independent neighbourhoods are solved at once (HiGHS runs outside
    the interpreter lock) and their improvements applied together: they share no
    constraint and no agent, so the combined vector stays feasible and its gains add up.
    Returns the best vector (never worse than ``values``) and how many neighbourhoods
    were solved.
    """
    priced = (START_VARIATION, FAIRNESS) if soft is not None else ()
    flow_mask = flow_variables
    linear = [c for c in components if c not in priced]
    cost = solver.cost_vector(linear)

    def total(vector: np.ndarray) -> float:
        return float(cost @ vector) + (soft.value(vector) if soft is not None else 0.0)

    def solve(hood: Neighbourhood, base: np.ndarray, limit: float) -> LpResult:
        # the current vector is feasible: HiGHS starts from it, so a time limit loses nothing
        if soft is None or hood.day == WHOLE_WEEK:
            return solver.solve_mip(components, base, hood.free, limit, HOOD_GAP,
                                    warm_start=True, continuous=flow_mask, skip_rows=hood.skip)
        skip = soft.row_mask if hood.skip is None else soft.row_mask | hood.skip
        return solver.solve_mip(linear, base, hood.free & ~soft.var_mask, limit, HOOD_GAP,
                                extra_cost=soft.day_costs(base, hood.free),
                                skip_rows=skip, warm_start=True, continuous=flow_mask)

    current = total(values)
    solved = stale = position = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        while stale < len(hoods) and not stop() and current > good_enough:
            left = deadline - time.monotonic()
            if left < 1.0:
                break
            batch: list[Neighbourhood] = []
            for step in range(len(hoods)):
                hood = hoods[(position + step) % len(hoods)]
                if len(batch) < workers and _independent(batch, hood):
                    batch.append(hood)
            position += len(batch)
            base = values
            # a cap, so one slow neighbourhood cannot take the whole search
            limit = min(left, max(20.0, 0.25 * left))
            futures = [pool.submit(solve, h, base, limit) for h in batch]
            found = [f.result() for f in futures]
            solved += len(batch)
            merged = base.copy()
            for hood, result in zip(batch, found, strict=True):
                if result.values:
                    candidate = base.copy()
                    candidate[hood.free] = np.asarray(result.values)[hood.free]
                    if soft is not None:
                        candidate = soft.sync(candidate)
                    if sync_flows is not None:
                        candidate = sync_flows(candidate)
                    if total(candidate) < current - 1e-6:
                        merged[hood.free] = candidate[hood.free]
                        stale = 0
                        continue
                stale += 1
            if soft is not None:
                merged = soft.sync(merged)
            if sync_flows is not None:
                merged = sync_flows(merged)
            if total(merged) < current - 1e-6:
                values, current = merged, total(merged)
                log(f"neighbourhoods {position}: objective {current:.1f}")
                if on_gain is not None:
                    on_gain(values)
                if soft is not None and soft.retarget(values, solver):
                    # the roster's mean moved: the fairness targets follow it
                    values = soft.sync(values)
                    current = total(values)
                    stale = 0
    return values, solved


def integral(values: np.ndarray) -> list[int]:
    """The vector as Python integers (solver values are floats on the integer grid)."""
    return [int(v) for v in np.round(values)]
