"""A small integer-linear model solved as an LP or MIP by HiGHS, or with CP-SAT.

The schedule models are linear, so one description serves the LP relaxation (for a bound
and a start), HiGHS MIPs over parts of it (neighbourhoods) and CP-SAT (for integer
schedules). Constraints carry a rule name so a
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
    """An LP relaxation solved (or a MIP sub-problem).

    ``objective`` is the value of ``values`` over the components solved; ``bound`` a
    proven lower bound on the LP optimum (the Lagrangian value of the duals found, see
    `lagrangian_bound`; minus infinity when none was found); ``method`` the HiGHS method.
    """

    status: str
    objective: float
    values: list[float]
    seconds: float
    bound: float = -np.inf
    method: str = ""


#: LP methods tried in turn for a bound: HiGHS' interior point method without crossover
#: (the vertex is not needed: the bound comes from the duals, the shift counts are
#: rounded anyway), then its first-order method PDLP, whose iterate at a time limit still
#: gives a valid, weaker bound.
LP_METHODS = ("ipm", "pdlp")


def lagrangian_bound(matrix: sp.csc_matrix, cost: np.ndarray, row_lo: np.ndarray,
                     row_hi: np.ndarray, col_lo: np.ndarray, col_hi: np.ndarray,
                     row_dual: np.ndarray) -> float:
    """A lower bound on ``min cost @ x`` over ``row_lo <= A x <= row_hi``, ``col_lo <= x <=
    col_hi`` from any row multipliers (weak duality): multipliers of the wrong sign for a
    row's finite sides are set to 0, and each column takes its best bound against its
    reduced cost. Exact at optimal duals; valid for approximate ones (an interior point
    stopped early, a first-order iterate). Minus infinity when a column with an infinite
    bound has a reduced cost pointing at it.
    """
    y = np.asarray(row_dual, dtype=float)
    y = np.where((y > 0) & ~np.isfinite(row_lo), 0.0, y)
    y = np.where((y < 0) & ~np.isfinite(row_hi), 0.0, y)
    rows = np.where(y > 0, y * np.where(np.isfinite(row_lo), row_lo, 0.0),
                    y * np.where(np.isfinite(row_hi), row_hi, 0.0)).sum()
    reduced = cost - matrix.T @ y
    at_low = reduced > 0
    at_high = reduced < 0
    if (at_low & ~np.isfinite(col_lo)).any() or (at_high & ~np.isfinite(col_hi)).any():
        return -np.inf
    cols = (reduced[at_low] * col_lo[at_low]).sum() + (reduced[at_high] * col_hi[at_high]).sum()
    value = float(rows + cols)
    # floating-point sums of large terms: keep the bound on the safe side
    return value - 1e-9 * (np.abs(y).sum() + abs(value)) - 1e-6


class LpSolver:
    """A LinearModel solved by HiGHS: its LP relaxation, or as a MIP with variables fixed.

    GLOP's simplex took 6 to 20 times longer than HiGHS' interior point method on the
    aggregate schedule models (many degenerate alternative optima); without crossover
    and presolve, on the merged classes, it takes a fifth of the time again (the sample
    center's coverage LP: 3.6-3.9 s, against 17.8 s with both on the classes as they are,
    at load 2.8-3.5 on 2 cores). The matrix is built once; objectives change.
    HiGHS' branch and cut closes sub-problems of these models (one day free, the rest
    fixed) to optimality in seconds where CP-SAT's search stalls far from the LP bound.
    """

    def __init__(self, model: LinearModel) -> None:
        self.model = model
        rows, cols, vals = [], [], []
        for r, (variables, coefs, _, _, _) in enumerate(model.rows):
            rows.extend([r] * len(variables))
            cols.extend(variables)
            vals.extend(coefs)
        matrix = sp.csr_matrix((vals, (rows, cols)), shape=(len(model.rows), len(model.lb)))
        lo = np.array([row[2] for row in model.rows], dtype=float)
        hi = np.array([row[3] for row in model.rows], dtype=float)
        self.bounds = np.array([[lo_v, hi_v if hi_v < INF else np.inf]
                                for lo_v, hi_v in zip(model.lb, model.ub, strict=True)])
        self.bounds = self.bounds.reshape(len(model.lb), 2)
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
                  continuous: np.ndarray | None = None,
                  extra_cost: np.ndarray | None = None,
                  skip_rows: np.ndarray | None = None, warm_start: bool = False) -> LpResult:
        """Re-optimise the variables marked in ``free`` as integers, the rest held at ``values``.

        Only the free columns and the rows they touch go to HiGHS, their bounds shifted by
        the fixed part; variables marked in ``continuous`` need not be integers;
        ``extra_cost`` is added to the components' costs; rows marked in ``skip_rows``
        are left out (their variables must be held). With ``warm_start`` the free part of
        ``values`` (feasible) is HiGHS' first incumbent, so a time limit returns at least
        it. Returns the whole vector (status OPTIMAL, or FEASIBLE when the time ran out
        with a solution; no values otherwise) and its objective over ``components`` and
        ``extra_cost``.
        """
        from scipy.optimize._highspy import _core as highspy

        started = time.monotonic()
        cost = self.cost_vector(components)
        if extra_cost is not None:
            cost = cost + extra_cost
        fixed_part = self.matrix[:, ~free] @ values[~free]
        sub = self.matrix[:, free].tocsr()
        touched = np.diff(sub.indptr) > 0  # rows with a free variable
        if skip_rows is not None:
            touched &= ~skip_rows
        sub = sub[touched].tocsc()
        lo = self.row_lo[touched] - fixed_part[touched]
        hi = self.row_hi[touched] - fixed_part[touched]
        bounds = self.bounds[free]
        integer = np.ones(len(free), dtype=bool) if continuous is None else ~continuous
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = int(free.sum()), int(touched.sum())
        lp.col_cost_ = cost[free]
        lp.col_lower_ = bounds[:, 0]
        lp.col_upper_ = np.where(np.isfinite(bounds[:, 1]), bounds[:, 1], inf)
        lp.row_lower_ = np.where(np.isfinite(lo), lo, -inf)
        lp.row_upper_ = np.where(np.isfinite(hi), hi, inf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = sub.indptr
        lp.a_matrix_.index_ = sub.indices
        lp.a_matrix_.value_ = sub.data
        lp.integrality_ = [highspy.HighsVarType.kInteger if flag
                           else highspy.HighsVarType.kContinuous for flag in integer[free]]
        highs = highspy._Highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("time_limit", max(0.5, float(time_limit_seconds)))
        highs.setOptionValue("mip_rel_gap", float(relative_gap))
        highs.setOptionValue("threads", 1)
        highs.passModel(lp)
        if warm_start:
            start = highspy.HighsSolution()
            start.col_value = list(values[free].astype(float))
            start.value_valid = True
            highs.setSolution(start)
        highs.run()
        status = highs.getModelStatus()
        solution = highs.getSolution()
        seconds = time.monotonic() - started
        found = solution.value_valid and highs.getInfo().objective_function_value < inf
        if not found or status == highspy.HighsModelStatus.kInfeasible:
            name = "INFEASIBLE" if status == highspy.HighsModelStatus.kInfeasible \
                else "NOT_SOLVED"
            return LpResult(name, float("nan"), [], seconds)
        whole = values.astype(float).copy()
        whole[free] = np.asarray(solution.col_value)
        whole[integer] = np.round(whole[integer])
        name = "OPTIMAL" if status == highspy.HighsModelStatus.kOptimal else "FEASIBLE"
        return LpResult(name, float(cost @ whole), list(whole), seconds)

    def solve(self, components: list[str], time_limit_seconds: float | None = None,
              method: str = "ipm") -> LpResult:
        """Minimise the sum of the named objective components with one HiGHS LP method.

        Returns the primal point found (``values``, possibly interior and slightly
        infeasible for ``pdlp``; empty when none), its objective, and ``bound``, the
        Lagrangian bound of the duals (`lagrangian_bound`). Status ``OPTIMAL`` when HiGHS
        converged, ``TIME_LIMIT`` or ``NOT_SOLVED`` (with whatever point it had), or
        ``INFEASIBLE``.
        """
        # scipy's own HiGHS bindings (the API of highspy): linprog passes neither the
        # method's crossover switch nor PDLP, and this build prints no banner
        from scipy.optimize._highspy import _core as highspy

        started = time.monotonic()
        cost = self.cost_vector(components)
        highs = highspy._Highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("solver", method)
        highs.setOptionValue("run_crossover", "off")
        highs.setOptionValue("presolve", "off")
        highs.setOptionValue("threads", 1)
        if time_limit_seconds:
            highs.setOptionValue("time_limit", float(time_limit_seconds))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.matrix.shape[1], self.matrix.shape[0]
        inf = highspy.kHighsInf
        lp.col_cost_ = cost
        lp.col_lower_ = self.bounds[:, 0]
        lp.col_upper_ = np.where(np.isfinite(self.bounds[:, 1]), self.bounds[:, 1], inf)
        lp.row_lower_ = np.where(np.isfinite(self.row_lo), self.row_lo, -inf)
        lp.row_upper_ = np.where(np.isfinite(self.row_hi), self.row_hi, inf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = self.matrix.indptr
        lp.a_matrix_.index_ = self.matrix.indices
        lp.a_matrix_.value_ = self.matrix.data
        highs.passModel(lp)
        highs.run()
        status = highs.getModelStatus()
        solution = highs.getSolution()
        seconds = time.monotonic() - started
        if status == highspy.HighsModelStatus.kInfeasible:
            return LpResult("INFEASIBLE", float("nan"), [], seconds, -np.inf, method)
        name = {highspy.HighsModelStatus.kOptimal: "OPTIMAL",
                highspy.HighsModelStatus.kTimeLimit: "TIME_LIMIT"}.get(status, "NOT_SOLVED")
        values = list(solution.col_value) if solution.value_valid else []
        bound = -np.inf
        if solution.dual_valid:
            bound = lagrangian_bound(self.matrix, cost, self.row_lo, self.row_hi,
                                     self.bounds[:, 0], self.bounds[:, 1],
                                     np.asarray(solution.row_dual))
        objective = float(cost @ np.asarray(values)) if values else float("nan")
        return LpResult(name, objective, values, seconds, bound, method)


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
