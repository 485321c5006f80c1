"""Tests of wfm.erlang: published values, independent references and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from wfm.errors import BadInput
from wfm.staffing import erlang

FAST = settings(max_examples=60, deadline=None)


# ---------------------------------------------------------------- independent references


def erlang_c_direct(n: int, a: float) -> float:
    """Erlang C written out with factorials, as in the textbooks (small n only)."""
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


def erlang_b_direct(n: int, a: float) -> float:
    top = a**n / math.factorial(n)
    return top / sum(a**k / math.factorial(k) for k in range(n + 1))


def erlang_a_ctmc(n: int, calls: float, aht: float, minutes: float, patience: float,
                  answer: float, queue_cap: int = 400) -> dict[str, float]:
    """M/M/n+M solved as a truncated birth-death chain; the service level from the tagged
    caller's own absorbing chain with a matrix exponential. Shares no formula with wfm."""
    lam, mu, theta = calls / (minutes * 60.0), 1.0 / aht, 1.0 / patience
    size = n + queue_cap
    log_pi = np.zeros(size + 1)
    for k in range(1, size + 1):
        death = min(k, n) * mu + max(k - n, 0) * theta
        log_pi[k] = log_pi[k - 1] + math.log(lam / death)
    pi = np.exp(log_pi - log_pi.max())
    pi /= pi.sum()
    waiting = pi[n:]  # arrival finds j = 0, 1, ... callers queued ahead
    prob_wait = waiting.sum()
    queue = np.arange(size + 1 - n)
    prob_abandon = theta * (queue * waiting).sum() / lam
    # Tagged caller with i callers ahead (i = 0..cap): ahead shrinks at n mu + i theta,
    # served from i = 0 at n mu, own abandonment at theta. States: i, then served.
    cap = queue_cap
    gen = np.zeros((cap + 2, cap + 2))
    for i in range(cap + 1):
        if i > 0:
            gen[i, i - 1] = n * mu + i * theta
        else:
            gen[i, cap + 1] = n * mu
        gen[i, i] = -(n * mu + i * theta + theta)
    served_by_t = expm(gen * answer)[: cap + 1, cap + 1]
    served_late = waiting[: cap + 1].dot(served_by_t)
    service_level = (1.0 - prob_wait) + served_late
    return {"prob_wait": prob_wait, "prob_abandon": prob_abandon,
            "service_level": service_level, "asa_seconds": prob_abandon * patience}


# ---------------------------------------------------------------- published values


def test_published_callcentrehelper_100_calls_example() -> None:
    # Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example":
    # 100 calls in 30 minutes, AHT 180 s, 80% in 20 s (A = 10 erlangs). The results quoted
    # in issue 4 from that example: 14 agents give SL about 88.7%, P(wait) about 17.4%,
    # ASA about 7.8 s; 13 agents give about 79.6%.
    assert erlang.traffic_erlangs(100, 180, 30) == pytest.approx(10.0)
    at14 = erlang.erlang_c_metrics(14, 100, 180, 30, 20)
    assert at14.service_level == pytest.approx(0.887, abs=0.002)
    assert at14.prob_wait == pytest.approx(0.174, abs=0.001)
    assert at14.asa_seconds == pytest.approx(7.8, abs=0.05)
    assert at14.occupancy == pytest.approx(10 / 14)
    assert erlang.service_level(13, 10.0, 180, 20) == pytest.approx(0.796, abs=0.001)
    assert erlang.agents_needed(100, 180, 30, service_level_target=0.8, answer_seconds=20) == 14


def test_published_al911_call_calc_note() -> None:
    # Footbridge "Call Calc" application note (al911.org/qos_calc.htm), an Erlang C tool
    # matching the US Department of Justice 9-1-1 tables: 2 call takers, 60 s calls, 30
    # calls/hour -> "fewer than 8 percent of callers will wait more than 10 seconds";
    # with 60 + 20 s per call -> "the QOS falls to 14 percent".
    late_60 = 1.0 - erlang.service_level(2, 30 * 60 / 3600, 60, 10)
    late_80 = 1.0 - erlang.service_level(2, 30 * 80 / 3600, 80, 10)
    assert late_60 < 0.08
    assert late_60 > 0.07  # "fewer than 8", not far fewer
    assert round(100 * late_80) == 14


def test_published_jonesthenet_erlang_uplift() -> None:
    # jonesthenet.com, "Erlang uplift" and "24-hour Erlang overstated": 250 calls in an
    # hour, AHT 330 s, 80% in 30 s -> Erlang needs 28 advisors; 20,000 calls a week spread
    # over 7 x 24 hours -> 2,520 call-taking hours.
    assert erlang.agents_needed(250, 330, 60, service_level_target=0.8, answer_seconds=30) == 28
    hourly = erlang.agents_needed(20_000 / 7 / 24, 330, 60, service_level_target=0.8,
                                  answer_seconds=30)
    assert hourly * 7 * 24 == 2520


def test_published_erlang_b_points() -> None:
    # Westbay calculator manual (erlang.com/calculatormanual, "How much traffic?"): 15
    # lines at 1% blocking carry at most 8.108 erlangs.
    assert erlang.erlang_b(15, 8.108) == pytest.approx(0.01, abs=2e-5)
    assert erlang.erlang_b(15, 8.2) > 0.01
    # erlang.com forum reply "Erlang Formula" (Lee Ann Jones): 55 erlangs at 2% grade of
    # service need 66 voice paths.
    assert erlang.erlang_b(66, 55) <= 0.02 < erlang.erlang_b(65, 55)


# ---------------------------------------------------------------- Erlang B / C core


@FAST
@given(n=st.integers(1, 60), frac=st.floats(0.01, 0.99))
def test_erlang_c_equals_factorial_formula(n: int, frac: float) -> None:
    a = n * frac
    assert erlang.prob_wait(n, a) == pytest.approx(erlang_c_direct(n, a), rel=1e-10)
    assert erlang.erlang_b(n, a) == pytest.approx(erlang_b_direct(n, a), rel=1e-10)


@FAST
@given(n=st.integers(1, 40), a=st.floats(0.01, 200.0))
def test_erlang_b_including_overload_equals_factorial_formula(n: int, a: float) -> None:
    assert erlang.erlang_b(n, a) == pytest.approx(erlang_b_direct(n, a), rel=1e-9)


def test_erlang_b_matches_recursion_at_large_traffic() -> None:
    for a in (500.0, 2000.0, 5000.0):
        b = 1.0
        wanted = {int(a * 0.5), int(a * 0.9), int(a), int(a * 1.1)}
        got = {}
        for k in range(1, int(a * 1.1) + 1):
            b = a * b / (k + a * b)
            if k in wanted:
                got[k] = b
        for k, value in got.items():
            assert erlang.erlang_b(k, a) == pytest.approx(value, rel=1e-9)


@FAST
@given(a=st.floats(0.05, 5000.0), t=st.floats(0.0, 120.0), aht=st.floats(30.0, 900.0))
def test_service_level_rises_and_asa_falls_with_agents(a: float, t: float, aht: float) -> None:
    n = np.arange(int(a) + 1, int(a) + 40, dtype=float)
    sl = erlang.service_level(n, a, aht, t)
    asa = erlang.asa_seconds(n, a, aht)
    assert np.all(np.diff(sl) >= -1e-12)
    assert np.all(np.diff(asa) <= 1e-12)
    assert np.all((sl >= 0) & (sl <= 1)) and np.all(asa >= 0)


@FAST
@given(a=st.floats(0.0, 5000.0), n=st.integers(0, 7000), t=st.floats(0.0, 600.0),
       aht=st.floats(1.0, 3600.0))
def test_no_nan_or_overflow_in_valid_range(a: float, n: int, t: float, aht: float) -> None:
    pw = erlang.prob_wait(n, a)
    sl = erlang.service_level(n, a, aht, t)
    asa = erlang.asa_seconds(n, a, aht)
    occ = erlang.occupancy(n, a)
    for value in (pw, sl, occ):
        assert np.isfinite(value) and 0.0 <= value <= 1.0
    assert not np.isnan(asa) and asa >= 0
    if a > 0 and n <= a:  # unstable queue
        assert pw == 1.0 and sl == 0.0 and asa == math.inf
    if a > 0 and n > a:
        assert np.isfinite(asa)


def test_unstable_and_empty_queues() -> None:
    m = erlang.erlang_c_metrics([0, 5, 10, 3], [10, 100, 100, 0], 180, 30, 20)
    assert list(m.prob_wait) == [1.0, 1.0, 1.0, 0.0]
    assert list(m.service_level) == [0.0, 0.0, 0.0, 1.0]
    assert list(m.asa_seconds) == [math.inf, math.inf, math.inf, 0.0]
    assert list(m.occupancy) == [1.0, 1.0, 1.0, 0.0]


def test_broadcasting_shapes() -> None:
    agents = np.arange(11, 21).reshape(2, 5)
    sl = erlang.service_level(agents, 10.0, 180, 20)
    assert sl.shape == (2, 5)
    assert sl[0, 3] == pytest.approx(erlang.service_level(14, 10.0, 180, 20))
    m = erlang.erlang_a_metrics(agents, 100, 180, 30, [[60.0], [600.0]], 20)
    assert m.prob_abandon.shape == (2, 5)


# ---------------------------------------------------------------- sizing


@FAST
@given(calls=st.floats(0.0, 2000.0), aht=st.floats(60.0, 900.0),
       target=st.floats(0.5, 0.95), t=st.sampled_from([10.0, 20.0, 30.0, 60.0]),
       max_occ=st.one_of(st.none(), st.floats(0.7, 1.0)))
def test_agents_needed_is_minimal_erlang_c(calls: float, aht: float, target: float, t: float,
                                           max_occ: float | None) -> None:
    n = int(erlang.agents_needed(calls, aht, 15, service_level_target=target, answer_seconds=t,
                                 max_occupancy=max_occ))
    a = erlang.traffic_erlangs(calls, aht, 15)
    if calls == 0:
        assert n == 0
        return

    def meets(k: int) -> bool:
        return (k > a and erlang.service_level(k, a, aht, t) >= target * (1 - 1e-12)
                and (max_occ is None or a / k <= max_occ * (1 + 1e-12)))

    assert meets(n)
    assert not meets(n - 1)


def test_agents_needed_all_targets_together() -> None:
    calls, aht = np.array([0, 10, 100, 400, 1500.0]), 240.0
    n_sl = erlang.agents_needed(calls, aht, 30, service_level_target=0.9, answer_seconds=15)
    n_asa = erlang.agents_needed(calls, aht, 30, max_asa_seconds=5)
    n_occ = erlang.agents_needed(calls, aht, 30, max_occupancy=0.8)
    n_all = erlang.agents_needed(calls, aht, 30, service_level_target=0.9, answer_seconds=15,
                                 max_asa_seconds=5, max_occupancy=0.8)
    assert np.array_equal(n_all, np.maximum.reduce([n_sl, n_asa, n_occ]))
    assert n_all[0] == 0
    a = calls[1:] * aht / 1800
    assert np.all(erlang.asa_seconds(n_asa[1:], a, aht) <= 5)
    assert np.all(erlang.asa_seconds(n_asa[1:] - 1, a, aht) > 5)
    assert n_all.dtype == np.int64


def test_agents_needed_vectorised_equals_one_at_a_time() -> None:
    rng = np.random.default_rng(7)
    calls = rng.uniform(0, 2000, 300).round()
    aht = rng.uniform(60, 900, 300)
    together = erlang.agents_needed(calls, aht, 15, service_level_target=0.8, answer_seconds=20,
                                    max_occupancy=0.9)
    alone = [erlang.agents_needed(c, h, 15, service_level_target=0.8, answer_seconds=20,
                                  max_occupancy=0.9) for c, h in zip(calls, aht, strict=True)]
    assert list(together) == alone


def test_agents_needed_at_5000_erlangs() -> None:
    n = erlang.agents_needed(5000 * 900 / 900 * 4, 900, 60, service_level_target=0.8,
                             answer_seconds=20)
    a = 5000 * 4 * 900 / 3600
    assert a == 5000
    assert 5000 < n < 5100
    assert erlang.service_level(n, a, 900, 20) >= 0.8 > erlang.service_level(n - 1, a, 900, 20)


# ---------------------------------------------------------------- Erlang A


@pytest.mark.parametrize(
    ("n", "calls", "aht", "patience", "answer"),
    [(14, 100, 180, 120, 20), (10, 100, 180, 60, 20), (8, 100, 180, 300, 30),
     (3, 20, 300, 90, 15), (25, 300, 120, 45, 10)],
)
def test_erlang_a_equals_birth_death_chain(n, calls, aht, patience, answer) -> None:
    ref = erlang_a_ctmc(n, calls, aht, 30, patience, answer)
    got = erlang.erlang_a_metrics(n, calls, aht, 30, patience, answer)
    for key, value in ref.items():
        assert getattr(got, key) == pytest.approx(value, rel=1e-6, abs=1e-9), key


@FAST
@given(a=st.floats(0.5, 3000.0), extra=st.floats(0.1, 6.0), aht=st.floats(60.0, 600.0),
       t=st.floats(0.0, 60.0))
def test_erlang_a_approaches_erlang_c(a: float, extra: float, aht: float, t: float) -> None:
    n = math.floor(a + extra * math.sqrt(a)) + 1
    calls = a * 1800 / aht
    c = erlang.erlang_c_metrics(n, calls, aht, 30, t)
    previous_gap = math.inf
    for patience in (1e3 * aht, 1e5 * aht, 1e7 * aht):
        m = erlang.erlang_a_metrics(n, calls, aht, 30, patience, t)
        gap = abs(m.service_level - c.service_level) + abs(m.prob_wait - c.prob_wait)
        assert gap <= previous_gap + 1e-9
        previous_gap = gap
    assert m.service_level == pytest.approx(c.service_level, abs=1e-5)
    assert m.prob_wait == pytest.approx(c.prob_wait, abs=1e-5)
    assert m.asa_seconds == pytest.approx(c.asa_seconds, rel=1e-4, abs=1e-6)
    inf = erlang.erlang_a_metrics(n, calls, aht, 30, math.inf, t)
    assert inf.service_level == c.service_level and inf.prob_abandon == 0.0


@FAST
@given(a=st.floats(0.01, 5000.0), ratio=st.floats(0.0, 2.5), aht=st.floats(30.0, 900.0),
       patience=st.floats(1.0, 3600.0), t=st.floats(0.0, 300.0))
def test_erlang_a_finite_everywhere(a, ratio, aht, patience, t) -> None:
    n = math.floor(a * ratio)
    m = erlang.erlang_a_metrics(n, a * 900 / aht, aht, 15, patience, t)
    for value in (m.prob_wait, m.prob_abandon, m.service_level, m.occupancy):
        assert np.isfinite(value) and -1e-12 <= value <= 1 + 1e-12
    assert np.isfinite(m.asa_seconds) and 0 <= m.asa_seconds <= patience * (1 + 1e-9)
    assert m.service_level <= 1 - m.prob_abandon + 1e-9


def test_erlang_a_sizing_is_minimal_and_below_erlang_c() -> None:
    calls = np.array([0, 50, 100, 400, 2000.0])
    n_a = erlang.agents_needed(calls, 180, 30, service_level_target=0.8, answer_seconds=20,
                               patience_seconds=120, max_abandon=0.05)
    n_c = erlang.agents_needed(calls, 180, 30, service_level_target=0.8, answer_seconds=20)
    assert n_a[0] == 0 and np.all(n_a <= n_c)
    for k, c in zip(n_a[1:], calls[1:], strict=True):
        ok = erlang.erlang_a_metrics(k, c, 180, 30, 120, 20)
        worse = erlang.erlang_a_metrics(k - 1, c, 180, 30, 120, 20)
        assert ok.service_level >= 0.8 and ok.prob_abandon <= 0.05
        assert worse.service_level < 0.8 or worse.prob_abandon > 0.05


def test_erlang_a_allows_fewer_agents_than_traffic() -> None:
    # Impatient callers and a loose target: a stable queue below the traffic.
    n = erlang.agents_needed(100, 360, 30, max_abandon=0.3, patience_seconds=30)
    assert 0 < n < 20  # traffic is 20 erlangs


# ---------------------------------------------------------------- deferred work


def test_deferred_agents_by_hand() -> None:
    # 30-minute intervals, 2-hour response: each interval's work spread over 4 intervals.
    items = np.array([36, 0, 0, 0, 0, 18])
    got = erlang.deferred_agents(items, 600, 30, 120)
    # 36 items * 600 s = 21,600 s / 4 intervals = 5,400 s per 1,800 s interval = 3 agents;
    # the last interval has nothing after it, so its 18 items (10,800 s) are done there.
    assert list(got) == [3, 3, 3, 3, 0, 6]
    with_occ = erlang.deferred_agents(items, 600, 30, 120, max_occupancy=0.75)
    assert list(with_occ) == [4, 4, 4, 4, 0, 8]


@FAST
@given(items=st.lists(st.integers(0, 500), min_size=1, max_size=60),
       response=st.sampled_from([15, 60, 240, 480]))
def test_deferred_agents_cover_the_workload(items: list[int], response: int) -> None:
    agents = erlang.deferred_agents(items, 300, 15, response)
    capacity = agents * 15 * 60
    work = np.array(items) * 300.0
    assert capacity.sum() >= work.sum() * (1 - 1e-12)  # all work done by the end
    # Every interval's work is cleared within k intervals: by interval i + k - 1 the
    # capacity covers everything that arrived up to i.
    k = max(1, response // 15)
    for i in range(len(items)):
        last = min(i + k - 1, len(items) - 1)
        assert capacity[: last + 1].sum() >= work[: i + 1].sum() * (1 - 1e-12)


# ---------------------------------------------------------------- patience


def test_patience_round_trip_through_erlang_a() -> None:
    # Under Erlang A, abandonments = waiting time / patience exactly, so feeding the model's
    # own abandonment share and mean wait back gives the patience it was built with.
    calls = np.array([80.0, 120.0, 200.0])
    m = erlang.erlang_a_metrics(np.array([12, 14, 20]), calls, 180, 30, 150.0, 20)
    est = erlang.estimate_patience_seconds(calls * m.prob_abandon, calls, m.asa_seconds)
    assert est.patience_seconds == pytest.approx(150.0, rel=1e-9)


def test_patience_totals_and_no_abandonment() -> None:
    est = erlang.estimate_patience_seconds(10, 200, 30.0)
    assert est.patience_seconds == pytest.approx(200 * 30 / 10)
    none = erlang.estimate_patience_seconds([0, 0], [100, 50], [12.0, 3.0])
    assert none.patience_seconds == math.inf and "no abandoned" in none.reason
    with pytest.raises(BadInput, match="abandoned"):
        erlang.estimate_patience_seconds(20, 10, 5.0)


# ---------------------------------------------------------------- invalid inputs


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"calls": -1}, "calls"),
        ({"aht_seconds": 0}, "aht_seconds"),
        ({"aht_seconds": -5}, "aht_seconds"),
        ({"interval_minutes": 0}, "interval_minutes"),
        ({"max_occupancy": 1.2}, "max_occupancy"),
        ({"max_occupancy": 0}, "max_occupancy"),
        ({"service_level_target": 1.0}, "service_level_target"),
        ({"service_level_target": 0}, "service_level_target"),
        ({"calls": float("nan")}, "calls"),
        ({"patience_seconds": 0, "max_abandon": 0.1}, "patience_seconds"),
        ({"max_abandon": 0.1}, "max_abandon"),
        ({"answer_seconds": None}, "answer_seconds"),
    ],
)
def test_invalid_inputs_raise_bad_input(kwargs: dict, name: str) -> None:
    args = {"calls": 100, "aht_seconds": 180, "interval_minutes": 30,
            "service_level_target": 0.8, "answer_seconds": 20}
    args.update(kwargs)
    with pytest.raises(BadInput, match=name):
        erlang.agents_needed(**args)


def test_invalid_inputs_in_metric_functions() -> None:
    with pytest.raises(BadInput, match="agents"):
        erlang.prob_wait(-1, 5)
    with pytest.raises(BadInput, match="aht_seconds"):
        erlang.service_level(10, 5, 0, 20)
    with pytest.raises(BadInput, match="traffic"):
        erlang.asa_seconds(10, -5, 180)
    with pytest.raises(BadInput, match="patience_seconds"):
        erlang.erlang_a_metrics(10, 100, 180, 30, -1, 20)
    with pytest.raises(BadInput, match="target"):
        erlang.agents_needed(100, 180, 30)
    with pytest.raises(BadInput, match="max_occupancy"):
        erlang.deferred_agents([1, 2], 300, 15, 60, max_occupancy=1.5)


def test_calls_whose_traffic_underflows_still_need_one_agent() -> None:
    assert int(erlang.agents_needed(5e-324, 60.0, 15, service_level_target=0.5,
                                    answer_seconds=10.0)) == 1
    assert int(erlang.agents_needed(0.0, 60.0, 15, service_level_target=0.5,
                                    answer_seconds=10.0)) == 0
