"""From the LP to integer schedules: rounding, break placement, day neighbourhoods."""

from __future__ import annotations

import time
from datetime import date
from math import ceil, floor

import numpy as np
import pytest

from wfm.io.config_file import load_config
from wfm.samples.synthetic import synthetic_requirements, synthetic_roster
from wfm.schedule.coverage import PROFICIENCY
from wfm.schedule.improve import (
    WHOLE_WEEK,
    _independent,
    improve,
    neighbourhoods,
    place_breaks,
    round_shift_counts,
    tag_variables,
)
from wfm.schedule.instance import build_instance
from wfm.schedule.linear import INF, LinearModel, LpSolver
from wfm.schedule.solve import PAID_HOURS, _aggregate_model
from wfm.verify.check import COVERAGE

START = date(2026, 2, 2)
COMPONENTS = [COVERAGE, PROFICIENCY, PAID_HOURS]


@pytest.fixture(scope="module", params=[("configs/example.yaml", START),
                                        ("configs/center_24x7.yaml", date(2026, 4, 20))],
                ids=["by day", "24x7 with nights over DST"])
def center(request):
    """A 40-agent week of an example center: instance, model, LP and a first solution. The
    24x7 center's night shifts run into the next date (the week of its spring change)."""
    path, start = request.param
    cfg = load_config(path)
    agents = synthetic_roster(cfg, 40, start, 7, seed=5)
    need = synthetic_requirements(cfg, agents, start, 7, seed=5)
    inst = build_instance(cfg, agents, need, start, 7, None)
    model, cover, solver = _aggregate_model(inst)
    lp = solver.solve([COVERAGE])
    tags = tag_variables(inst, model, cover, model.group_vars, {}, model.owner)
    counts = round_shift_counts(inst, model.group_vars, lp.values, 20.0, workers=2)
    assert set(counts) == set(model.group_vars.values())  # every class rounded in time
    start = np.round(np.asarray(lp.values))
    for v, count in counts.items():
        start[v] = count
    values = place_breaks(solver, start, tags, COMPONENTS, time.monotonic() + 30)
    assert values is not None
    return inst, model, cover, solver, lp, tags, counts, values


def violated_rows(model: LinearModel, values: np.ndarray) -> list[str]:
    """Rules of the rows a vector breaks (integrality and bounds included)."""
    broken = []
    if not np.allclose(values, np.round(values)):
        broken.append("integrality")
    for v, (lo, hi) in enumerate(zip(model.lb, model.ub, strict=True)):
        if values[v] < lo - 1e-6 or values[v] > hi + 1e-6:
            broken.append(f"bound of {model.names[v]}")
    for variables, coefs, lo, hi, rule in model.rows:
        total = sum(c * values[v] for v, c in zip(variables, coefs, strict=True))
        if (lo > -INF and total < lo - 1e-6) or (hi < INF and total > hi + 1e-6):
            broken.append(rule)
    return broken


def test_solve_mip_keeps_fixed_variables_and_optimises_the_free_ones() -> None:
    model = LinearModel()
    x, y, z = (model.var(0, 5, name) for name in "xyz")
    model.add({x: 1.0, y: 1.0, z: 1.0}, 6, 6)
    model.cost("c", x, 1.0)
    model.cost("c", y, 3.0)
    model.cost("c", z, 2.0)
    solver = LpSolver(model)
    values = np.array([1.0, 5.0, 0.0])
    found = solver.solve_mip(["c"], values, np.array([True, False, True]), 10.0)
    assert found.status == "OPTIMAL"
    assert found.values == [1.0, 5.0, 0.0]  # y fixed at 5 leaves exactly 1 for x + z
    freed = solver.solve_mip(["c"], values, np.array([True, True, True]), 10.0)
    assert freed.values == [5.0, 0.0, 1.0] and freed.objective == pytest.approx(7.0)


def test_solve_mip_continuous_variables_take_fractions() -> None:
    model = LinearModel()
    n, gap = model.var(0, 3, "n"), model.var(0, 10, "gap")
    model.add({n: 1.0, gap: 1.0}, 2.5, 2.5)
    model.cost("c", gap, 1.0)
    model.cost("c", n, 0.1)
    solver = LpSolver(model)
    free = np.ones(2, dtype=bool)
    assert solver.solve_mip(["c"], np.zeros(2), free, 10.0).status == "INFEASIBLE"
    found = solver.solve_mip(["c"], np.zeros(2), free, 10.0,
                             continuous=np.array([False, True]))
    assert found.values == pytest.approx([2.0, 0.5])


def test_rounding_stays_at_floor_or_ceiling_of_the_lp(center) -> None:
    _, model, _, _, lp, _, counts, _ = center
    for v in model.group_vars.values():
        assert floor(lp.values[v] + 1e-6) <= counts[v] <= ceil(lp.values[v] - 1e-6)


def test_placed_breaks_give_a_feasible_integer_point(center) -> None:
    _, model, _, _, _, _, _, values = center
    assert violated_rows(model, values) == []


def test_independent_neighbourhoods_share_no_constraint(center) -> None:
    inst, model, _, _, _, tags, _, _ = center
    hoods = neighbourhoods(inst, tags, workers=2, max_free=1500)
    days = {h.day for h in hoods if h.day != WHOLE_WEEK}
    assert days == {d for d in range(7) if inst.options_by_day[d]}
    assert len({h.block for h in hoods if h.day != WHOLE_WEEK}) >= 2
    assert any(h.day == WHOLE_WEEK for h in hoods)
    checked = 0
    for a in hoods:
        for b in hoods:
            if a is b or not _independent([a], b):
                continue
            assert not (a.free & b.free).any()
            for variables, *_ in model.rows:
                assert not (a.free[variables].any() and b.free[variables].any())
            checked += 1
    assert checked > 0


def test_a_night_shift_is_placed_and_moved_with_the_next_dates_queue_counts(center) -> None:
    inst, model, _, _, _, tags, _, values = center
    nights = [o for o in inst.options if o.n_intervals and inst.interval_starts[
        o.first_interval + o.n_intervals - 1].date() > inst.dates[o.day]]
    if inst.cfg.center.name.endswith("24x7"):
        assert nights  # shifts that run into the next date, their breaks placed above
    hoods = neighbourhoods(inst, tags, workers=2, max_free=1500)
    for option in nights:
        last = option.first_interval + option.n_intervals
        for hood in hoods:
            if hood.day == option.day:
                # the day's neighbourhoods free the queue counts after midnight, and no
                # neighbourhood of the next date runs beside them
                assert hood.reach[1] >= last
                assert hood.free[(tags.interval == last - 1)].any()
                assert not any(_independent([hood], h) for h in hoods if h.day == option.day + 1)
    assert violated_rows(model, values) == []


def test_improve_never_worsens_and_stays_feasible(center) -> None:
    inst, model, _, solver, lp, tags, _, values = center
    cost = solver.cost_vector(COMPONENTS)
    hoods = neighbourhoods(inst, tags, workers=2, max_free=4000)
    better, solved = improve(solver, values, hoods, COMPONENTS, time.monotonic() + 6,
                             lambda _: None, workers=2)
    assert solved >= 1
    assert cost @ better <= cost @ values + 1e-6
    assert violated_rows(model, better) == []
    coverage = solver.cost_vector([COVERAGE])
    assert coverage @ better >= lp.objective - 1e-6  # the LP is a lower bound
