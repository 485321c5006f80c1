"""Coverage inside the model: breaks, queue assignment and coverage penalties per class.

For every coverage class and shift option the model holds ``n`` (agents of the class
working that option), and for every break of the option the number of those agents taking
it at each allowed offset. Breaks of one option form layers; an agent's sequence is
feasible when each break starts at least ``duration + spacing`` after the previous one.
Counts decompose exactly into agents when, for every offset t of break k+1, the agents
taking break k+1 at or before t do not exceed those taking break k at or before
``t - duration_k - spacing`` (pair them in sorted order), which is what `add_coverage`
imposes. Present agents of a class are split among its queues by integer counts ``w``;
agents away from the queues in an off-phone activity (``away`` terms) are not present, and
people who are not agents (``off_queue`` classes) may be present on duty (``duty``) instead.

Coverage penalty per queue and interval: the k-th missing agent costs
``under_coverage * (1 + growth * (k - 1))`` (exact at the breakpoints of
`shortfall_breakpoints`, linear between them) and each agent above the requirement costs
``over_coverage``. Deferred and campaign queues are not counted per interval but worked
as backlog flows (`wfm.schedule.flows`), their costs in the same coverage component.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from math import ceil

from wfm.schedule.flows import FlowVars, add_flow, flow_cost, flow_queues
from wfm.schedule.instance import Instance
from wfm.schedule.linear import INF, LinearModel

COVERAGE = "coverage"
PROFICIENCY = "proficiency"
PROFICIENCY_WEIGHT = 1.0  # points per agent-interval per unit of proficiency below the best


def shortfall_cost(shortfall: float, under: float, growth: float) -> float:
    """Cost of ``shortfall`` missing agents in one interval, exact at integer shortfalls."""
    k = shortfall
    return under * (k + growth * k * (k - 1) / 2.0)


def shortfall_breakpoints(required: int) -> list[int]:
    """Breakpoints of the piecewise-linear shortfall cost: 0..4 then doubling steps."""
    points = [p for p in range(0, 5) if p <= required]
    step = 2
    while points[-1] < required:
        points.append(min(required, points[-1] + step))
        if len(points) % 2 == 0:
            step *= 2
    return points


def piecewise_shortfall_cost(shortfall: int, required: int, under: float, growth: float) -> float:
    """The model's shortfall cost: exact at breakpoints, linear between them."""
    points = shortfall_breakpoints(required)
    if shortfall in points:
        return shortfall_cost(shortfall, under, growth)
    for a, b in zip(points, points[1:], strict=False):
        if a < shortfall < b:
            ca, cb = shortfall_cost(a, under, growth), shortfall_cost(b, under, growth)
            return ca + (cb - ca) * (shortfall - a) / (b - a)
    return shortfall_cost(shortfall, under, growth)


@dataclass
class CoverageVars:
    """Indices of the coverage part's variables in a LinearModel."""

    n: dict[tuple[int, int], int] = field(default_factory=dict)  # (class, option)
    breaks: dict[tuple[int, int, int], dict[int, int]] = field(default_factory=dict)
    work: dict[tuple[int, int, int], int] = field(default_factory=dict)  # (class, iv, queue)
    under: dict[tuple[int, int], list[int]] = field(default_factory=dict)  # segments
    over: dict[tuple[int, int], int] = field(default_factory=dict)
    duty: dict[tuple[int, int], int] = field(default_factory=dict)  # (class, interval)
    # (class, interval) -> terms of the class's agents on shift and not on a break
    on_duty: dict[tuple[int, int], dict[int, float]] = field(default_factory=dict)
    flows: list[FlowVars] = field(default_factory=list)  # deferred and campaign queues
    constant_cost: float = 0.0  # shortfall no schedule can avoid (no agent can be present)


def coverable(inst: Instance) -> dict[int, set[int]]:
    """Per class, the intervals in which some of its agents may be at work."""
    found: dict[int, set[int]] = defaultdict(set)
    for group in inst.groups:
        for keys in group.options.values():
            for k in keys:
                o = inst.options[k]
                found[group.class_index].update(range(o.first_interval,
                                                      o.first_interval + o.n_intervals))
    return found


def add_coverage(model: LinearModel, inst: Instance,
                 counts: dict[tuple[int, int], tuple[list[int], int]],
                 away: dict[tuple[int, int], dict[int, float]] | None = None,
                 ) -> CoverageVars:
    """Add breaks, queue assignment and coverage penalties.

    ``counts`` maps (class, option) to the variables whose sum is the number of the
    class's agents working that option, and an upper bound on it; ``away`` maps (class,
    interval) to the terms of its agents in off-phone activities then.
    """
    away = away or {}
    cfg = inst.cfg
    step = cfg.center.interval_minutes
    spacing = ceil(cfg.labor_rules.min_break_spacing_minutes / step)
    weights = cfg.objective
    cv = CoverageVars()
    present: dict[tuple[int, int], dict[int, float]] = defaultdict(dict)
    for (c, k), (terms, upper) in sorted(counts.items()):
        o = inst.options[k]
        if len(terms) == 1:  # one group: its count is the class's count
            n = terms[0]
        else:
            n = model.var(0, upper, f"n(class={c}, option={k})")
            model.add([(n, 1.0)] + [(t, -1.0) for t in terms], 0, 0, "count")
        cv.n[c, k] = n
        for i in range(o.first_interval, o.first_interval + o.n_intervals):
            bucket = present[c, i]
            bucket[n] = bucket.get(n, 0.0) + 1.0
        layers: list[dict[int, int]] = []
        for b_index, slot in enumerate(o.breaks):
            layer = {b: model.var(0, upper, f"break(class={c}, option={k}, {slot.activity}"
                                            f"{b_index}, offset={b})") for b in slot.offsets}
            model.add([(n, -1.0)] + [(v, 1.0) for v in layer.values()], 0, 0, "breaks")
            cv.breaks[c, k, b_index] = layer
            layers.append(layer)
            for b, v in layer.items():
                # a night shift's break after the horizon's end is placed but not counted
                last = min(o.first_interval + b + slot.duration, inst.n_intervals)
                for i in range(o.first_interval + b, last):
                    bucket = present[c, i]
                    bucket[v] = bucket.get(v, 0.0) - 1.0
        for b_index in range(len(layers) - 1):
            gap = o.breaks[b_index].duration + spacing
            low, high = layers[b_index], layers[b_index + 1]
            for t in sorted(high):
                if t - gap >= max(low):
                    continue  # every earlier break fits: the row is implied by equal totals
                terms_t = [(v, 1.0) for b, v in high.items() if b <= t]
                terms_t += [(v, -1.0) for b, v in low.items() if b <= t - gap]
                model.add(terms_t, -INF, 0, "min_break_spacing")
    class_size = {cls.index: sum(inst.groups[g].size for g in cls.groups)
                  for cls in inst.classes}
    served: dict[tuple[int, int], list] = defaultdict(list)
    present_terms: dict[tuple[int, int], dict[int, float]] = {}
    for (c, i), bucket in sorted(present.items()):
        cls = inst.classes[c]
        cv.on_duty[c, i] = dict(bucket)
        if (c, i) in away:
            bucket = dict(bucket)
            for v, coef in away[c, i].items():
                bucket[v] = bucket.get(v, 0.0) - coef
        if cls.off_queue:
            duty = model.var(0, class_size[c], f"duty(class={c}, interval={i})")
            cv.duty[c, i] = duty
            bucket = {**bucket, duty: bucket.get(duty, 0.0) - 1.0}
        if len(cls.queues) == 1 and not cls.off_queue:  # the present agents all serve it
            if inst.queue_closed[cls.queues[0], i]:
                model.add(bucket, 0, 0, "queue_closed")
                continue
            served[cls.queues[0], i].append(("present", c, i))
            present_terms[c, i] = bucket
            continue
        row = dict(bucket)
        if not cls.queues:  # on duty or away whenever on shift and not on a break
            model.add(row, 0, 0, "queue_assignment")
            continue
        for rank, q in enumerate(cls.queues):
            # nobody serves a queue on a day it is closed
            top = 0 if inst.queue_closed[q, i] else class_size[c]
            w = model.var(0, top, f"work(class={c}, interval={i}, queue={q})")
            cv.work[c, i, q] = w
            row[w] = row.get(w, 0.0) - 1.0
            served[q, i].append(w)
            gap = cls.penalty[rank]
            if gap > 0:
                model.cost(PROFICIENCY, w, PROFICIENCY_WEIGHT * gap)
        model.add(row, 0, 0, "queue_assignment")
    roster = len(inst.agents)
    flowing = flow_queues(inst.flows)
    for flow in inst.flows:
        terms = {i: _served_terms(served.get((flow.queue, i), []), present_terms)
                 for i in range(inst.n_intervals) if served.get((flow.queue, i))}
        cv.flows.append(add_flow(model, flow, terms, weights, COVERAGE, roster))
    for q in range(len(inst.queue_ids)):
        if q in flowing:
            continue
        for i in range(inst.n_intervals):
            required = int(inst.required[q, i])
            work = served.get((q, i), [])
            if not work:
                cv.constant_cost += shortfall_cost(required, weights.under_coverage,
                                                   weights.under_coverage_growth)
                continue
            # no more agents than the roster can be over: a finite bound keeps the
            # Lagrangian bound of approximate duals finite (`linear.lagrangian_bound`)
            over = model.var(0, roster, f"over(queue={q}, interval={i})")
            cv.over[q, i] = over
            model.cost(COVERAGE, over, weights.over_coverage)
            row = _served_terms(work, present_terms)
            row[over] = -1.0
            if required > 0:
                segments = _add_shortfall_segments(model, required, weights.under_coverage,
                                                   weights.under_coverage_growth, f"{q},{i}")
                cv.under[q, i] = segments
                for v in segments:
                    row[v] = 1.0
            model.add(row, required, required, "coverage")
    return cv


def _served_terms(work: list, present_terms: dict[tuple[int, int], dict[int, float]],
                  ) -> dict[int, float]:
    """The terms whose sum is the agents serving a queue in an interval: queue counts of
    classes with several queues, present agents of one-queue classes."""
    row: dict[int, float] = {}
    for w in work:
        if isinstance(w, tuple):
            for v, coef in present_terms[w[1], w[2]].items():
                row[v] = row.get(v, 0.0) + coef
        else:
            row[w] = row.get(w, 0.0) + 1.0
    return row


def _add_shortfall_segments(model: LinearModel, required: int, weight: float, growth: float,
                            label: str) -> list[int]:
    """Shortfall as segments between breakpoints, each at its own (increasing) unit cost.

    The cost is convex, so a minimum fills the cheaper segments first and the sum of the
    segments' costs is the piecewise-linear shortfall cost, in the LP as in CP-SAT.
    """
    points = shortfall_breakpoints(required)
    segments = []
    for a, b in zip(points, points[1:], strict=False):
        ca, cb = shortfall_cost(a, weight, growth), shortfall_cost(b, weight, growth)
        v = model.var(0, b - a, f"short(queue,interval={label}, from={a})")
        model.cost(COVERAGE, v, (cb - ca) / (b - a))
        segments.append(v)
    return segments


def coverage_cost(inst: Instance, scheduled: dict[tuple[int, int], int]) -> float:
    """Coverage objective of a schedule: piecewise shortfall plus over-coverage costs.

    ``scheduled`` maps (queue, interval) to agents at work on the queue. Intervals no
    agent could ever cover are left out (their cost is the same for every schedule).
    """
    weights = inst.cfg.objective
    reach = coverable(inst)
    reachable_queues: dict[int, set[int]] = defaultdict(set)
    for cls in inst.classes:
        for i in reach.get(cls.index, ()):
            reachable_queues[i].update(cls.queues)
    flowing = flow_queues(inst.flows)
    total = flow_cost(inst.flows, scheduled, weights)
    for q in range(len(inst.queue_ids)):
        if q in flowing:
            continue
        for i in range(inst.n_intervals):
            if q not in reachable_queues.get(i, ()):
                continue
            required = int(inst.required[q, i])
            have = scheduled.get((q, i), 0)
            if have < required:
                total += piecewise_shortfall_cost(required - have, required,
                                                  weights.under_coverage,
                                                  weights.under_coverage_growth)
            else:
                total += weights.over_coverage * (have - required)
    return total
