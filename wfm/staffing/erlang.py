"""Queueing math for contact-center staffing: Erlang B, Erlang C, Erlang A, deferred work.

Pure numpy/scipy. Every function broadcasts its arguments like numpy (scalars, or arrays
of intervals of the same or broadcastable shapes) and returns an array of the broadcast
shape (a numpy scalar for all-scalar input). No factorials are formed: Erlang B comes from
the regularized incomplete gamma function in log space (``scipy.special.gammaincc``), or
from the Tricomi function when the agents are far below the traffic, and is stepped with
the usual recursion when searching; results stay finite and exact to double precision for
traffic of many thousands of erlangs (checked against the recursion up to 200,000).

Units: ``traffic`` is in erlangs = calls * aht_seconds / (interval_minutes * 60); times are
in seconds; probabilities, service level and occupancy are fractions in [0, 1].

Public API
----------
``traffic_erlangs(calls, aht_seconds, interval_minutes)``
    Offered load in erlangs.
``erlang_b(agents, traffic)``
    Blocking probability of the loss system M/M/n/n (real-valued agents allowed).
``prob_wait(agents, traffic)``
    Erlang C probability that a call waits (1 when agents <= traffic: the queue is unstable).
``service_level(agents, traffic, aht_seconds, answer_seconds)``
    Erlang C share of calls answered within ``answer_seconds`` (0 when unstable).
``asa_seconds(agents, traffic, aht_seconds)``
    Erlang C average speed of answer over all calls, in seconds (inf when unstable).
``occupancy(agents, traffic)``
    Share of agent time busy, traffic / agents, capped at 1 (0 when there is no traffic).
``erlang_c_metrics(agents, calls, aht_seconds, interval_minutes, answer_seconds)``
    All Erlang C figures at once, as ``QueueMetrics`` (``prob_abandon`` is 0).
``erlang_a_metrics(agents, calls, aht_seconds, interval_minutes, patience_seconds,
answer_seconds)``
    Erlang A (M/M/n+M: exponential patience with mean ``patience_seconds``) figures, as
    ``QueueMetrics``. An infinite patience gives the Erlang C figures.
``agents_needed(calls, aht_seconds, interval_minutes, service_level_target=None,
answer_seconds=None, max_asa_seconds=None, max_occupancy=None, patience_seconds=None,
max_abandon=None)``
    Minimum whole agents meeting every target given, together (int64 array). Erlang C,
    or Erlang A when ``patience_seconds`` is given. Zero calls need 0 agents.
``deferred_agents(items, aht_seconds, interval_minutes, response_minutes, max_occupancy=1.0)``
    Agents per interval for deferred work (email, back office) answered within a response
    time; see its docstring for the method.
``estimate_patience_seconds(abandoned, offered, mean_wait_seconds)``
    Mean caller patience from history, as ``PatienceEstimate``.

Definitions used for Erlang A (Garnett, Mandelbaum & Reiman 2002; Mandelbaum & Zeltyn,
"The M/M/n+G queue: summary of performance measures"). With lambda the arrival rate, mu
= 1/aht, theta = 1/patience, x = n mu / theta, y = lambda / theta and
T = 1F1(1; x + 1; y) = sum_j y^j / ((x+1)...(x+j)):

* P(wait) = B T / (1 + B (T - 1)), B = Erlang B(n, traffic);
* P(abandon) = P(wait) (1 - n / traffic) + pi_n n / traffic, pi_n = B / (1 + B (T - 1));
* service level = share of *offered* calls answered within the answer time
  = 1 - P(abandon) - P(answered after waiting longer than t), where
  P(answered, wait > t) = pi_n (x / y) q^x e^(y (1 - q)) (1F1(1; x+1; y q) - 1), q = e^(-theta t);
* asa_seconds = mean wait over all offered calls, answered or abandoned,
  = P(abandon) * patience (Little's law with abandonment rate theta per waiting call);
* occupancy = traffic (1 - P(abandon)) / n: abandoned calls take no agent time.

As patience grows these tend to the Erlang C figures (tested).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import special

from wfm.errors import BadInput, WfmError

__all__ = [
    "PatienceEstimate",
    "QueueMetrics",
    "agents_needed",
    "asa_seconds",
    "deferred_agents",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c_metrics",
    "estimate_patience_seconds",
    "occupancy",
    "prob_wait",
    "service_level",
    "traffic_erlangs",
]

# Relative slack when comparing a computed figure with a target, so that a target met
# exactly in exact arithmetic is not missed through rounding in the last bit.
_TOLERANCE = 1e-12


class QueueMetrics(NamedTuple):
    """Projected figures of one staffing level; each field broadcasts like the inputs."""

    prob_wait: np.ndarray  # share of calls that wait at all
    service_level: np.ndarray  # share of offered calls answered within the answer time
    asa_seconds: np.ndarray  # mean wait over all offered calls, seconds
    occupancy: np.ndarray  # share of agent time spent handling calls
    prob_abandon: np.ndarray  # share of offered calls that abandon (0 under Erlang C)


class PatienceEstimate(NamedTuple):
    """Mean caller patience estimated from history."""

    patience_seconds: float  # math.inf when nothing was abandoned
    abandoned: float  # calls abandoned in the data used
    waiting_seconds: float  # total time all offered calls spent waiting
    reason: str  # how the figure was obtained, or why it is infinite


# ---------------------------------------------------------------- input checking


def _array(value: object, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise BadInput(f"{name} must be a number or an array of numbers") from exc
    if np.isnan(arr).any():
        raise BadInput(f"{name} must not be NaN")
    return arr


def _nonnegative(value: object, name: str) -> np.ndarray:
    arr = _array(value, name)
    if (arr < 0).any() or np.isinf(arr).any():
        raise BadInput(f"{name} must be finite and >= 0 (got {_worst(arr, arr < 0)})")
    return arr


def _positive(value: object, name: str, allow_inf: bool = False) -> np.ndarray:
    arr = _array(value, name)
    bad = arr <= 0
    if not allow_inf:
        bad |= np.isinf(arr)
    if bad.any():
        raise BadInput(f"{name} must be {'' if allow_inf else 'finite and '}> 0 "
                       f"(got {_worst(arr, bad)})")
    return arr


def _fraction(value: object, name: str, include_one: bool = False) -> float:
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise BadInput(f"{name} must be a single number") from exc
    ok = 0.0 < f <= 1.0 if include_one else 0.0 < f < 1.0
    if not ok:
        interval = "(0, 1]" if include_one else "(0, 1)"
        raise BadInput(f"{name} must be in {interval} (got {f})")
    return f


def _worst(arr: np.ndarray, bad: np.ndarray) -> float:
    return float(np.asarray(arr)[np.asarray(bad)].flat[0]) if np.any(bad) else float("nan")


def _out(arr: np.ndarray) -> np.ndarray:
    """Numpy scalar for 0-d results, the array otherwise."""
    return arr[()] if arr.ndim == 0 else arr


def traffic_erlangs(calls: object, aht_seconds: object, interval_minutes: object) -> np.ndarray:
    """Offered load in erlangs: calls * aht_seconds / (interval_minutes * 60)."""
    c = _nonnegative(calls, "calls")
    a = _positive(aht_seconds, "aht_seconds")
    m = _positive(interval_minutes, "interval_minutes")
    return _out(c * a / (m * 60.0))


# ---------------------------------------------------------------- Erlang B and C core


def _log_inv_erlang_b(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """log(1 / ErlangB(n, a)) for n >= 0, a > 0 (flat arrays of equal shape).

    1/B = e^a a^-n Gamma(n+1) Q(n+1, a), Q the regularized upper incomplete gamma; in log
    space this never overflows. When the agents are far below the traffic Q underflows,
    and 1/B = a U(1, n+2, a) (Tricomi) is used instead; it is bounded there.
    """
    q = special.gammaincc(n + 1.0, a)
    out = np.empty_like(n)
    good = q > 1e-250
    with np.errstate(divide="ignore"):
        out[good] = (a[good] - n[good] * np.log(a[good]) + special.gammaln(n[good] + 1.0)
                     + np.log(q[good]))
    far = ~good
    if far.any():
        out[far] = np.log(a[far] * special.hyperu(1.0, n[far] + 2.0, a[far]))
    # B <= 1 always; guard the last bit.
    return np.maximum(out, 0.0)


def _erlang_c_from_b(b: np.ndarray, n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Erlang C probability of waiting from Erlang B, for n > a."""
    rho = a / n
    return b / (1.0 - rho * (1.0 - b))


def erlang_b(agents: object, traffic: object) -> np.ndarray:
    """Erlang B blocking probability of M/M/n/n; agents may be real-valued. Fraction."""
    n, a = np.broadcast_arrays(_nonnegative(agents, "agents"), _nonnegative(traffic, "traffic"))
    n, a = n.astype(float).ravel(), a.astype(float).ravel()
    out = np.zeros_like(n)
    pos = a > 0
    out[pos] = np.exp(-_log_inv_erlang_b(n[pos], a[pos]))
    return _out(out.reshape(np.broadcast_shapes(np.shape(agents), np.shape(traffic))))


def _erlang_c_core(n: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(prob_wait, stable) for flat float arrays; prob_wait is 1 when unstable, 0 if a == 0."""
    stable = n > a
    pw = np.ones_like(n)
    pw[a == 0] = 0.0
    s = stable & (a > 0)
    if s.any():
        b = np.exp(-_log_inv_erlang_b(n[s], a[s]))
        pw[s] = _erlang_c_from_b(b, n[s], a[s])
    return pw, stable


def _c_broadcast(agents: object, traffic: object, *more: tuple[object, str]
                 ) -> tuple[tuple[int, ...], list[np.ndarray]]:
    arrays = [_nonnegative(agents, "agents"), _nonnegative(traffic, "traffic")]
    for value, name in more:
        if name == "aht_seconds":
            arrays.append(_positive(value, name))
        else:
            arrays.append(_nonnegative(value, name))
    shape = np.broadcast_shapes(*(x.shape for x in arrays))
    return shape, [np.broadcast_to(x, shape).astype(float).ravel() for x in arrays]


def prob_wait(agents: object, traffic: object) -> np.ndarray:
    """Erlang C probability that a call waits (fraction); 1 when agents <= traffic > 0."""
    shape, (n, a) = _c_broadcast(agents, traffic)
    pw, _ = _erlang_c_core(n, a)
    return _out(pw.reshape(shape))


def _sl_c(pw: np.ndarray, stable: np.ndarray, n: np.ndarray, a: np.ndarray,
          aht: np.ndarray, t: np.ndarray) -> np.ndarray:
    sl = np.zeros_like(n)
    sl[a == 0] = 1.0
    s = stable & (a > 0)
    sl[s] = 1.0 - pw[s] * np.exp(-(n[s] - a[s]) * t[s] / aht[s])
    return np.clip(sl, 0.0, 1.0)


def _asa_c(pw: np.ndarray, stable: np.ndarray, n: np.ndarray, a: np.ndarray,
           aht: np.ndarray) -> np.ndarray:
    asa = np.full_like(n, np.inf)
    asa[a == 0] = 0.0
    s = stable & (a > 0)
    asa[s] = pw[s] * aht[s] / (n[s] - a[s])
    return asa


def _occ_c(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    occ = np.ones_like(n)
    occ[a == 0] = 0.0
    s = (a > 0) & (n > a)
    occ[s] = a[s] / n[s]
    return occ


def service_level(agents: object, traffic: object, aht_seconds: object,
                  answer_seconds: object) -> np.ndarray:
    """Erlang C share of calls answered within answer_seconds (fraction; 0 if unstable).

    SL = 1 - P(wait) * exp(-(agents - traffic) * answer_seconds / aht_seconds).
    """
    shape, (n, a, aht, t) = _c_broadcast(agents, traffic, (aht_seconds, "aht_seconds"),
                                         (answer_seconds, "answer_seconds"))
    pw, stable = _erlang_c_core(n, a)
    return _out(_sl_c(pw, stable, n, a, aht, t).reshape(shape))


def asa_seconds(agents: object, traffic: object, aht_seconds: object) -> np.ndarray:
    """Erlang C average speed of answer over all calls, seconds (inf if agents <= traffic).

    ASA = P(wait) * aht_seconds / (agents - traffic).
    """
    shape, (n, a, aht) = _c_broadcast(agents, traffic, (aht_seconds, "aht_seconds"))
    pw, stable = _erlang_c_core(n, a)
    return _out(_asa_c(pw, stable, n, a, aht).reshape(shape))


def occupancy(agents: object, traffic: object) -> np.ndarray:
    """Erlang C agent occupancy traffic / agents (fraction), 1 when unstable, 0 if no traffic."""
    shape, (n, a) = _c_broadcast(agents, traffic)
    return _out(_occ_c(n, a).reshape(shape))


def _metrics_broadcast(agents: object, calls: object, aht_seconds: object,
                       interval_minutes: object, answer_seconds: object,
                       patience_seconds: object = np.inf):
    arrays = [
        _nonnegative(agents, "agents"),
        _nonnegative(calls, "calls"),
        _positive(aht_seconds, "aht_seconds"),
        _positive(interval_minutes, "interval_minutes"),
        _nonnegative(answer_seconds, "answer_seconds"),
        _positive(patience_seconds, "patience_seconds", allow_inf=True),
    ]
    shape = np.broadcast_shapes(*(x.shape for x in arrays))
    flat = [np.broadcast_to(x, shape).astype(float).ravel() for x in arrays]
    n, calls_, aht, minutes, t, patience = flat
    a = calls_ * aht / (minutes * 60.0)
    return shape, n, a, aht, t, patience


def erlang_c_metrics(agents: object, calls: object, aht_seconds: object,
                     interval_minutes: object, answer_seconds: object) -> QueueMetrics:
    """Erlang C figures at the given agents; prob_abandon is 0. See QueueMetrics."""
    shape, n, a, aht, t, _ = _metrics_broadcast(agents, calls, aht_seconds, interval_minutes,
                                                answer_seconds)
    pw, stable = _erlang_c_core(n, a)
    return QueueMetrics(
        prob_wait=_out(pw.reshape(shape)),
        service_level=_out(_sl_c(pw, stable, n, a, aht, t).reshape(shape)),
        asa_seconds=_out(_asa_c(pw, stable, n, a, aht).reshape(shape)),
        occupancy=_out(_occ_c(n, a).reshape(shape)),
        prob_abandon=_out(np.zeros(shape)),
    )


# ---------------------------------------------------------------- Erlang A core


def _log_hyp1f1_1(b: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log 1F1(1; b; z) for b > 1, z >= 0, without overflow.

    For z <= b the series is bounded (about sqrt(b)) and scipy's hyp1f1 is accurate; for
    z > b, 1F1(1; b; z) = (b-1) e^z z^(1-b) Gamma(b-1) P(b-1, z) with P >= about 1/2.
    """
    out = np.empty_like(z)
    low = z <= b
    out[low] = np.log(special.hyp1f1(1.0, b[low], z[low]))
    hi = ~low
    if hi.any():
        bh, zh = b[hi], z[hi]
        out[hi] = (zh + (1.0 - bh) * np.log(zh) + special.gammaln(bh)
                   + np.log(special.gammainc(bh - 1.0, zh)))
    return out


def _log_g(x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log(1F1(1; x+1; z) - 1) = log(sum_{j>=1} z^j / ((x+1)...(x+j))); -inf at z == 0."""
    out = np.full_like(z, -np.inf)
    pos = z > 0
    xp, zp = x[pos], z[pos]
    low = zp <= xp + 2.0
    res = np.empty_like(zp)
    # 1F1(1; x+1; z) - 1 = z / (x+1) * 1F1(1; x+2; z): no cancellation for small z.
    res[low] = (np.log(zp[low]) - np.log1p(xp[low])
                + np.log(special.hyp1f1(1.0, xp[low] + 2.0, zp[low])))
    hi = ~low
    if hi.any():
        xh, zh = xp[hi], zp[hi]
        res[hi] = (zh - xh * np.log(zh) + special.gammaln(xh + 1.0)
                   + np.log(special.gammainc(xh + 1.0, zh)))
    out[pos] = res
    return out


def _log_expm1(v: np.ndarray) -> np.ndarray:
    """log(e^v - 1) for v >= 0, without overflow; -inf at 0."""
    with np.errstate(divide="ignore"):
        return v + np.log(-np.expm1(-v))


def _erlang_a_core(n: np.ndarray, a: np.ndarray, aht: np.ndarray, t: np.ndarray,
                   patience: np.ndarray) -> tuple[np.ndarray, ...]:
    """(prob_wait, prob_abandon, service_level, asa_seconds, occupancy), flat arrays.

    Requires n >= 1, a > 0 and finite patience.
    """
    x = n * patience / aht  # n mu / theta
    y = a * patience / aht  # lambda / theta
    log_t = _log_hyp1f1_1(x + 1.0, y)  # log T
    log_inv_b = _log_inv_erlang_b(n, a)
    # pi_n = 1 / (1/B - 1 + T): probability that exactly n calls are in the system.
    log_pin = -np.logaddexp(_log_expm1(log_inv_b), log_t)
    pw = np.minimum(np.exp(log_pin + log_t), 1.0)
    pin = np.exp(log_pin)
    ratio = x / y  # n / traffic
    pab = np.clip(pw * (1.0 - ratio) + pin * ratio, 0.0, 1.0)
    # P(answered, wait > t) = pi_n (x/y) q^x e^(y (1-q)) G(y q), q = e^(-t/patience).
    u = t / patience
    q = np.exp(-u)
    log_late = log_pin + np.log(ratio) - x * u - y * np.expm1(-u) + _log_g(x, y * q)
    late = np.exp(log_late)
    sl = np.clip(1.0 - pab - late, 0.0, 1.0)
    asa = pab * patience
    occ = np.clip(a * (1.0 - pab) / n, 0.0, 1.0)
    return pw, pab, sl, asa, occ


def _metrics_a_flat(n: np.ndarray, a: np.ndarray, aht: np.ndarray, t: np.ndarray,
                    patience: np.ndarray) -> tuple[np.ndarray, ...]:
    """Erlang A figures on flat arrays, handling no traffic, no agents, infinite patience."""
    size = n.shape
    pw, pab, sl, asa, occ = (np.zeros(size) for _ in range(5))
    sl[:] = 1.0
    none = a == 0  # no calls: nobody waits
    zero = (~none) & (n == 0)  # calls but no agents: everyone waits, then abandons
    pw[zero], pab[zero], sl[zero], asa[zero] = 1.0, 1.0, 0.0, patience[zero]
    inf = (~none) & (~zero) & np.isinf(patience)
    if inf.any():
        c_pw, stable = _erlang_c_core(n[inf], a[inf])
        pw[inf] = c_pw
        sl[inf] = _sl_c(c_pw, stable, n[inf], a[inf], aht[inf], t[inf])
        asa[inf] = _asa_c(c_pw, stable, n[inf], a[inf], aht[inf])
        occ[inf] = _occ_c(n[inf], a[inf])
    rest = (~none) & (~zero) & (~inf)
    if rest.any():
        r = _erlang_a_core(n[rest], a[rest], aht[rest], t[rest], patience[rest])
        pw[rest], pab[rest], sl[rest], asa[rest], occ[rest] = r
    return pw, pab, sl, asa, occ


def erlang_a_metrics(agents: object, calls: object, aht_seconds: object,
                     interval_minutes: object, patience_seconds: object,
                     answer_seconds: object) -> QueueMetrics:
    """Erlang A (M/M/n+M) figures at the given agents; see the module docstring.

    patience_seconds is the mean of the callers' exponential patience; math.inf gives the
    Erlang C figures. service_level counts calls answered within answer_seconds among all
    offered calls; asa_seconds is the mean wait of all offered calls (answered or not).
    """
    shape, n, a, aht, t, patience = _metrics_broadcast(agents, calls, aht_seconds,
                                                       interval_minutes, answer_seconds,
                                                       patience_seconds)
    pw, pab, sl, asa, occ = _metrics_a_flat(n, a, aht, t, patience)
    return QueueMetrics(
        prob_wait=_out(pw.reshape(shape)),
        service_level=_out(sl.reshape(shape)),
        asa_seconds=_out(asa.reshape(shape)),
        occupancy=_out(occ.reshape(shape)),
        prob_abandon=_out(pab.reshape(shape)),
    )


# ---------------------------------------------------------------- sizing


def agents_needed(
    calls: object,
    aht_seconds: object,
    interval_minutes: object,
    service_level_target: float | None = None,
    answer_seconds: object = None,
    max_asa_seconds: float | None = None,
    max_occupancy: float | None = None,
    patience_seconds: object = None,
    max_abandon: float | None = None,
) -> np.ndarray:
    """Minimum whole agents meeting every given target together, per interval (int64).

    Targets (give at least one): ``service_level_target`` (fraction in (0, 1), needs
    ``answer_seconds``), ``max_asa_seconds``, ``max_occupancy`` (fraction in (0, 1]) and,
    with ``patience_seconds``, ``max_abandon`` (fraction in (0, 1)). Without
    ``patience_seconds`` (or with it infinite) the queue is Erlang C and the answer always
    exceeds the traffic (a stable queue); with it, Erlang A, which may need fewer agents
    than the traffic. Intervals with zero calls need 0 agents.

    Erlang C: start at the larger of floor(traffic) + 1 and ceil(traffic / max_occupancy),
    compute Erlang B there once, then add one agent at a time with the Erlang B recursion
    B(n+1) = A B / (n + 1 + A B) on the intervals that still miss a target. Erlang A: the
    figures are monotone in agents, so double an upper bound, then bisect.
    """
    if service_level_target is not None:
        service_level_target = _fraction(service_level_target, "service_level_target")
        if answer_seconds is None:
            raise BadInput("answer_seconds is required with service_level_target")
    if max_occupancy is not None:
        max_occupancy = _fraction(max_occupancy, "max_occupancy", include_one=True)
    if max_asa_seconds is not None:
        max_asa_seconds = float(_positive(max_asa_seconds, "max_asa_seconds"))
    if max_abandon is not None:
        max_abandon = _fraction(max_abandon, "max_abandon")
        if patience_seconds is None:
            raise BadInput("max_abandon needs patience_seconds (Erlang A)")
    if service_level_target is None and max_asa_seconds is None and max_occupancy is None \
            and max_abandon is None:
        raise BadInput("agents_needed needs at least one target: service_level_target, "
                       "max_asa_seconds, max_occupancy or max_abandon")

    arrays = [
        _nonnegative(calls, "calls"),
        _positive(aht_seconds, "aht_seconds"),
        _positive(interval_minutes, "interval_minutes"),
        _nonnegative(0.0 if answer_seconds is None else answer_seconds, "answer_seconds"),
        _positive(np.inf if patience_seconds is None else patience_seconds,
                  "patience_seconds", allow_inf=True),
    ]
    shape = np.broadcast_shapes(*(x.shape for x in arrays))
    calls_, aht, minutes, t, patience = (np.broadcast_to(x, shape).astype(float).ravel()
                                         for x in arrays)
    a = calls_ * aht / (minutes * 60.0)
    out = np.zeros(a.shape, dtype=np.int64)

    targets = (service_level_target, max_asa_seconds, max_occupancy, max_abandon)
    c_idx = np.flatnonzero((a > 0) & np.isinf(patience))
    if c_idx.size:
        out[c_idx] = _size_erlang_c(a[c_idx], aht[c_idx], t[c_idx], *targets[:3])
    a_idx = np.flatnonzero((a > 0) & np.isfinite(patience))
    if a_idx.size:
        out[a_idx] = _size_erlang_a(a[a_idx], aht[a_idx], t[a_idx], patience[a_idx],
                                    *targets)
    # traffic too small to represent (a few calls of 1e-300 s) still needs someone to answer
    out[(calls_ > 0) & (a == 0)] = 1
    return _out(out.reshape(shape))


def _size_erlang_c(a: np.ndarray, aht: np.ndarray, t: np.ndarray, sl_target: float | None,
                   max_asa: float | None, max_occ: float | None) -> np.ndarray:
    """Erlang C sizing on flat arrays with a > 0."""
    n = np.floor(a) + 1.0
    if max_occ is not None:
        # Occupancy falls with agents, so it only sets the starting point.
        n = np.maximum(n, np.ceil(a / max_occ * (1.0 - _TOLERANCE)))
    b = np.exp(-_log_inv_erlang_b(n, a))
    result = np.empty(a.shape, dtype=np.int64)
    idx = np.arange(a.size)
    for _ in range(1_000_000):
        c = _erlang_c_from_b(b, n, a)
        ok = np.ones(n.shape, dtype=bool)
        if sl_target is not None:
            sl = 1.0 - c * np.exp(-(n - a) * t / aht)
            ok &= sl >= sl_target * (1.0 - _TOLERANCE)
        if max_asa is not None:
            ok &= c * aht / (n - a) <= max_asa * (1.0 + _TOLERANCE)
        result[idx[ok]] = n[ok]
        miss = ~ok
        if not miss.any():
            break
        idx, n, a, b, aht, t = idx[miss], n[miss] + 1.0, a[miss], b[miss], aht[miss], t[miss]
        ab = a * b
        b = ab / (n + ab)  # Erlang B recursion, stable upwards
    else:  # pragma: no cover - SL and ASA reach any target within sqrt-traffic steps
        raise WfmError("Erlang C sizing did not converge")
    return result


def _size_erlang_a(a: np.ndarray, aht: np.ndarray, t: np.ndarray, patience: np.ndarray,
                   sl_target: float | None, max_asa: float | None, max_occ: float | None,
                   max_abandon: float | None) -> np.ndarray:
    """Erlang A sizing on flat arrays with a > 0 and finite patience."""

    def meets(n: np.ndarray, sel: np.ndarray) -> np.ndarray:
        _, pab, sl, asa, occ = _erlang_a_core(n, a[sel], aht[sel], t[sel], patience[sel])
        ok = np.ones(n.shape, dtype=bool)
        if sl_target is not None:
            ok &= sl >= sl_target * (1.0 - _TOLERANCE)
        if max_asa is not None:
            ok &= asa <= max_asa * (1.0 + _TOLERANCE)
        if max_occ is not None:
            ok &= occ <= max_occ * (1.0 + _TOLERANCE)
        if max_abandon is not None:
            ok &= pab <= max_abandon * (1.0 + _TOLERANCE)
        return ok

    lo = np.zeros(a.shape)  # 0 agents never serve anyone: treated as failing
    hi = np.maximum(1.0, np.ceil(a))
    pending = np.arange(a.size)
    for _ in range(64):  # doubling: hi meets every target
        ok = meets(hi[pending], pending)
        lo[pending[~ok]] = hi[pending[~ok]]
        hi[pending[~ok]] *= 2.0
        pending = pending[~ok]
        if not pending.size:
            break
    active = np.flatnonzero(hi - lo > 1.0)
    while active.size:
        mid = np.floor((lo[active] + hi[active]) / 2.0)
        ok = meets(mid, active)
        hi[active[ok]] = mid[ok]
        lo[active[~ok]] = mid[~ok]
        active = active[hi[active] - lo[active] > 1.0]
    return hi.astype(np.int64)


# ---------------------------------------------------------------- deferred work


def deferred_agents(items: object, aht_seconds: object, interval_minutes: float,
                    response_minutes: float, max_occupancy: float = 1.0) -> np.ndarray:
    """Agents per interval to answer deferred work (email, back office) within a response time.

    ``items`` is the work arriving in each consecutive *open* interval of one queue (a 1-D
    array in time order; closed time is left out, so the response time runs over open
    hours only). ``aht_seconds`` is scalar or per interval.

    Method (a fluid model, exact to what it states): the workload arriving in interval i
    (items * aht_seconds) is worked off evenly over the k = floor(response_minutes /
    interval_minutes) intervals i, i+1, ..., i+k-1, so every item is finished no later
    than k intervals after the start of its arrival interval, i.e. within the response
    time (at least one interval, k >= 1). Near the end of the series the workload is spread
    over the intervals that remain, so all work is done by the last interval. Agents in an
    interval = ceil(workload scheduled there / (interval seconds * max_occupancy)).
    Returns an int64 array of the same length as ``items``.
    """
    work_items = _nonnegative(items, "items")
    if work_items.ndim != 1:
        raise BadInput("items must be a 1-D series of consecutive open intervals")
    aht = np.broadcast_to(_positive(aht_seconds, "aht_seconds"), work_items.shape)
    minutes = float(_positive(interval_minutes, "interval_minutes"))
    response = float(_positive(response_minutes, "response_minutes"))
    occ = _fraction(max_occupancy, "max_occupancy", include_one=True)
    size = work_items.size
    k = max(1, int(math.floor(response / minutes + _TOLERANCE)))
    workload = work_items * aht  # seconds of handling arriving per interval
    # Each interval i spreads its workload over min(k, size - i) intervals.
    spread = np.minimum(k, size - np.arange(size)).astype(float)
    per_interval = workload / spread
    # Interval j receives per_interval[i] for every i in (j-k, j] (window ends inside).
    cum = np.concatenate([[0.0], np.cumsum(per_interval)])
    j = np.arange(size)
    scheduled = cum[j + 1] - cum[np.maximum(j + 1 - k, 0)]
    agents = np.ceil(scheduled / (minutes * 60.0 * occ) * (1.0 - _TOLERANCE))
    return np.maximum(agents, 0.0).astype(np.int64)


# ---------------------------------------------------------------- patience


def estimate_patience_seconds(abandoned: object, offered: object,
                              mean_wait_seconds: object) -> PatienceEstimate:
    """Mean caller patience (seconds) from history, for Erlang A.

    Under exponential patience with mean p, every waiting caller abandons at rate 1/p, so
    abandonments = total waiting time / p. The estimator (the maximum-likelihood one for
    exponential patience) is therefore

        patience = total waiting time / calls abandoned
                 = sum(offered * mean_wait_seconds) / sum(abandoned),

    where ``mean_wait_seconds`` is the mean time in queue over *all* offered calls of the
    interval (answered calls up to their answer, abandoned calls up to their hang-up).
    Arrays are pooled over all intervals. With no abandoned call the patience cannot be
    told apart from infinity: the estimate is math.inf with the reason (use Erlang C).
    """
    ab = _nonnegative(abandoned, "abandoned")
    off = _nonnegative(offered, "offered")
    wait = _nonnegative(mean_wait_seconds, "mean_wait_seconds")
    ab, off, wait = np.broadcast_arrays(ab, off, wait)
    if (ab > off).any():
        raise BadInput("abandoned must not exceed offered")
    total_ab = float(ab.sum())
    total_wait = float((off * wait).sum())
    if total_ab == 0:
        return PatienceEstimate(math.inf, 0.0, total_wait,
                                "no abandoned calls: patience is unbounded, use Erlang C")
    if total_wait == 0:
        raise BadInput("mean_wait_seconds is 0 everywhere although calls were abandoned")
    return PatienceEstimate(total_wait / total_ab, total_ab, total_wait,
                            f"total waiting time {total_wait:.0f} s / {total_ab:.0f} abandoned")
