"""A small integer-linear model that can be solved as an LP (GLOP) or with CP-SAT.

The schedule models are linear, so one description serves both the LP relaxation (for a
bound and a hint) and CP-SAT (for integer schedules). Constraints carry a rule name so a
CP-SAT model can guard every rule with an assumption literal and name the rules that
conflict.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from math import ceil, floor

import numpy as np
import scipy.sparse as sp
from ortools.sat.python import cp_model
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

INF = 10**9
OBJECTIVE_SCALE = 10  # CP-SAT needs integer costs: weights are kept to 0.1 point


@dataclass
class LinearModel:
    """Variables with bounds, linear constraints with rule names, a grouped objective."""

    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    rows: list[tuple[list[int], list[float], float, float, str]] = field(default_factory=list)
    objective: dict[str, dict[int, float]] = field(default_factory=lambda: defaultdict(dict))
    hints: dict[int, int] = field(default_factory=dict)

    def var(self, lb: float, ub: float, name: str = "") -> int:
        """A new integer variable in [lb, ub]; returns its index."""
        self.lb.append(lb)
        self.ub.append(ub)
        self.names.append(name)
        return len(self.lb) - 1

    def add(self, terms: dict[int, float] | list[tuple[int, float]], lb: float, ub: float,
            rule: str = "") -> None:
        """Add ``lb <= sum(coef * var) <= ub`` tagged with a rule name."""
        items = terms.items() if isinstance(terms, dict) else terms
        variables, coefs = [], []
        for v, c in items:
            if c:
                variables.append(v)
                coefs.append(c)
        self.rows.append((variables, coefs, lb, ub, rule))

    def cost(self, component: str, variable: int, coef: float) -> None:
        """Add ``coef * variable`` to one named component of the objective."""
        bucket = self.objective[component]
        bucket[variable] = bucket.get(variable, 0.0) + coef

    def value(self, values: list[float], component: str | None = None) -> float:
        """Objective (or one component) at a vector of variable values."""
        parts = [component] if component else list(self.objective)
        return sum(c * values[v] for p in parts for v, c in self.objective.get(p, {}).items())


@dataclass
class LpResult:
    """An LP relaxation's optimum."""

    status: str
    objective: float
    values: list[float]
    seconds: float


class LpSolver:
    """A LinearModel solved by HiGHS: its LP relaxation, or as a MIP with variables fixed.

    GLOP's simplex took 6 to 20 times longer than HiGHS' interior point method on the
    aggregate schedule models (many degenerate alternative optima), so the relaxation is
    solved through scipy's HiGHS interface. The matrix is built once; objectives change.
    HiGHS' branch and cut closes sub-problems of these models (one day free, the rest
    fixed) to optimality in seconds where CP-SAT's search stalls far from the LP bound.
    """

    def __init__(self, model: LinearModel) -> None:
        self.model = model
        rows, cols, vals = [], [], []
        eq_rows, ub_rows, lb_rows = [], [], []
        for r, (variables, coefs, lo, hi, _) in enumerate(model.rows):
            rows.extend([r] * len(variables))
            cols.extend(variables)
            vals.extend(coefs)
            if lo == hi:
                eq_rows.append(r)
            else:
                if hi < INF:
                    ub_rows.append(r)
                if lo > -INF:
                    lb_rows.append(r)
        matrix = sp.csr_matrix((vals, (rows, cols)), shape=(len(model.rows), len(model.lb)))
        lo = np.array([row[2] for row in model.rows], dtype=float)
        hi = np.array([row[3] for row in model.rows], dtype=float)
        self.a_eq, self.b_eq = matrix[eq_rows], lo[eq_rows]
        self.a_ub = sp.vstack([matrix[ub_rows], -matrix[lb_rows]]).tocsr()
        self.b_ub = np.concatenate([hi[ub_rows], -lo[lb_rows]])
        self.bounds = np.array([[lo_v, hi_v if hi_v < INF else np.inf]
                                for lo_v, hi_v in zip(model.lb, model.ub, strict=True)])
        self.matrix = matrix.tocsc()
        self._costs: dict[tuple[str, ...], np.ndarray] = {}
        self.row_lo = np.where(lo > -INF, lo, -np.inf)
        self.row_hi = np.where(hi < INF, hi, np.inf)

    def cost_vector(self, components: list[str]) -> np.ndarray:
        """The objective's coefficients over the named components."""
        key = tuple(components)
        if key not in self._costs:
            cost = np.zeros(len(self.model.lb))
            for part in components:
                for v, c in self.model.objective.get(part, {}).items():
                    cost[v] += c
            self._costs[key] = cost
        return self._costs[key]

    def solve_mip(self, components: list[str], values: np.ndarray, free: np.ndarray,
                  time_limit_seconds: float, relative_gap: float = 1e-4,
                  continuous: np.ndarray | None = None) -> LpResult:
        """Re-optimise the variables marked in ``free`` as integers, the rest held at ``values``.

        Only the free columns and the rows they touch go to HiGHS, their bounds shifted by
        the fixed part; variables marked in ``continuous`` need not be integers. Returns
        the whole vector (status OPTIMAL, or FEASIBLE when the time ran out with a
        solution; no values otherwise) and its objective over ``components``.
        """
        started = time.monotonic()
        cost = self.cost_vector(components)
        fixed_part = self.matrix[:, ~free] @ values[~free]
        sub = self.matrix[:, free].tocsr()
        touched = np.diff(sub.indptr) > 0  # rows with a free variable
        sub = sub[touched]
        lo = self.row_lo[touched] - fixed_part[touched]
        hi = self.row_hi[touched] - fixed_part[touched]
        bounds = self.bounds[free]
        constraints = [LinearConstraint(sub, lo, hi)] if sub.shape[0] else []
        integer = np.ones(len(free)) if continuous is None else (~continuous).astype(float)
        result = milp(cost[free], constraints=constraints, integrality=integer[free],
                      bounds=Bounds(bounds[:, 0], bounds[:, 1]),
                      options={"time_limit": max(0.5, float(time_limit_seconds)),
                               "mip_rel_gap": relative_gap})
        seconds = time.monotonic() - started
        if result.x is None:
            return LpResult("NOT_SOLVED" if result.status != 2 else "INFEASIBLE",
                            float("nan"), [], seconds)
        whole = values.astype(float).copy()
        whole[free] = result.x
        whole[integer > 0] = np.round(whole[integer > 0])
        status = "OPTIMAL" if result.status == 0 else "FEASIBLE"
        return LpResult(status, float(cost @ whole), list(whole), seconds)

    def solve(self, components: list[str], time_limit_seconds: float | None = None) -> LpResult:
        """Minimise the sum of the named objective components.

        The objective returned is lowered by a relative 1e-7 so that, as a bound, it stays
        valid despite floating-point tolerances.
        """
        started = time.monotonic()
        cost = self.cost_vector(components)
        options = {"time_limit": float(time_limit_seconds)} if time_limit_seconds else {}
        result = linprog(cost, A_ub=self.a_ub if self.a_ub.shape[0] else None,
                         b_ub=self.b_ub if self.a_ub.shape[0] else None,
                         A_eq=self.a_eq if self.a_eq.shape[0] else None,
                         b_eq=self.b_eq if self.a_eq.shape[0] else None,
                         bounds=self.bounds, method="highs-ipm", options=options)
        seconds = time.monotonic() - started
        if result.status != 0:
            status = {2: "INFEASIBLE", 3: "UNBOUNDED", 1: "TIME_LIMIT"}.get(result.status,
                                                                            "NOT_SOLVED")
            return LpResult(status, float("nan"), [], seconds)
        value = float(result.fun)
        return LpResult("OPTIMAL", value - 1e-7 * abs(value) - 1e-6, list(result.x), seconds)


@dataclass
class CpResult:
    """A CP-SAT solve of a LinearModel."""

    status: str
    values: list[int]
    objective: float
    bound: float
    seconds: float
    first_solution_seconds: float | None
    conflicting_rules: list[str]


class _Watcher(cp_model.CpSolverSolutionCallback):
    """Records the time of the first solution, stops on request or after the first one."""

    def __init__(self, started: float, stop: threading.Event | None, first_only: bool,
                 log: Callable[[str], None] | None) -> None:
        super().__init__()
        self.started = started
        self.stop = stop
        self.first_only = first_only
        self.log = log
        self.first: float | None = None

    def on_solution_callback(self) -> None:
        now = time.monotonic() - self.started
        if self.first is None:
            self.first = now
        if self.log:
            self.log(f"cp-sat solution {self.objective_value / OBJECTIVE_SCALE:.1f} "
                     f"bound {self.best_objective_bound / OBJECTIVE_SCALE:.1f} at {now:.1f}s")
        if self.first_only or (self.stop is not None and self.stop.is_set()):
            self.stop_search()


def solve_cp(model: LinearModel, *, time_limit_seconds: float, workers: int, seed: int,
             stop: threading.Event | None = None, first_only: bool = False,
             assume_rules: bool = False, bounds: dict[int, tuple[int, int]] | None = None,
             log: Callable[[str], None] | None = None, relative_gap: float = 0.0,
             components: list[str] | None = None, repair_hint: bool = False,
             parameters: dict[str, object] | None = None) -> CpResult:
    """Solve a LinearModel with CP-SAT.

    ``bounds`` narrows chosen variables; ``assume_rules`` guards each tagged rule with an
    assumption literal so an infeasible model names its conflicting rules.
    Objective figures are returned in the model's own units.
    """
    started = time.monotonic()
    cp = cp_model.CpModel()
    bounds = bounds or {}
    xs = []
    for i, (lo, hi) in enumerate(zip(model.lb, model.ub, strict=True)):
        lo_i, hi_i = max(int(ceil(lo - 1e-9)), -INF), min(int(floor(hi + 1e-9)), INF)
        if i in bounds:
            lo_i, hi_i = max(lo_i, bounds[i][0]), min(hi_i, bounds[i][1])
            hi_i = max(hi_i, lo_i)
        xs.append(cp.new_int_var(lo_i, hi_i, model.names[i]))
    literals: dict[str, cp_model.IntVar] = {}
    for variables, coefs, lo, hi, rule in model.rows:
        if all(float(c).is_integer() for c in coefs):
            expr = cp_model.LinearExpr.weighted_sum([xs[v] for v in variables],
                                                    [int(c) for c in coefs])
            lo_i = int(ceil(lo - 1e-9)) if lo > -INF else -INF * 1000
            hi_i = int(floor(hi + 1e-9)) if hi < INF else INF * 1000
        else:  # scale fractional rows to integers (costs are never fractional rows)
            scale = 100
            expr = cp_model.LinearExpr.weighted_sum([xs[v] for v in variables],
                                                    [int(round(c * scale)) for c in coefs])
            lo_i = int(ceil(lo * scale - 1e-6)) if lo > -INF else -INF * 1000
            hi_i = int(floor(hi * scale + 1e-6)) if hi < INF else INF * 1000
        constraint = cp.add_linear_constraint(expr, lo_i, hi_i)
        if assume_rules and rule:
            if rule not in literals:
                literals[rule] = cp.new_bool_var(rule)
            constraint.only_enforce_if(literals[rule])
    if assume_rules:
        cp.add_assumptions(list(literals.values()))
    parts = components if components is not None else list(model.objective)
    terms: dict[int, int] = defaultdict(int)
    for part in parts:
        for v, c in model.objective.get(part, {}).items():
            terms[v] += int(round(c * OBJECTIVE_SCALE))
    if terms:
        cp.minimize(cp_model.LinearExpr.weighted_sum([xs[v] for v in terms],
                                                     list(terms.values())))
    for v, value in model.hints.items():
        cp.add_hint(xs[v], value)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit_seconds)
    solver.parameters.num_workers = workers
    # The caller owns SIGINT/SIGTERM and stops the search through `stop`; CP-SAT's own
    # handler would abort the process when Ctrl-C reaches the main thread.
    solver.parameters.catch_sigint_signal = False
    solver.parameters.random_seed = seed
    if relative_gap:
        solver.parameters.relative_gap_limit = relative_gap
    if model.hints and repair_hint:
        solver.parameters.repair_hint = True
    for key, value in (parameters or {}).items():
        setattr(solver.parameters, key, value)
    watcher = _Watcher(started, stop, first_only, log)
    halt = threading.Event()
    if stop is not None:
        def _stopper() -> None:
            while not halt.wait(0.1):
                if stop.is_set():
                    solver.stop_search()
                    return
        thread = threading.Thread(target=_stopper, daemon=True)
        thread.start()
    status = solver.solve(cp, watcher)
    halt.set()
    name = solver.status_name(status)
    conflicting: list[str] = []
    if status == cp_model.INFEASIBLE and assume_rules:
        found = set(solver.sufficient_assumptions_for_infeasibility())
        conflicting = sorted(r for r, lit in literals.items() if lit.index in found)
    values: list[int] = []
    objective = bound = float("nan")
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = [solver.value(x) for x in xs]
        objective = solver.objective_value / OBJECTIVE_SCALE
        bound = solver.best_objective_bound / OBJECTIVE_SCALE
    return CpResult(name, values, objective, bound, time.monotonic() - started,
                    watcher.first, conflicting)
