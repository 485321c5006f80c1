"""Calendar effects on daily volume, measured from history as ratios to the weekday level.

Holidays the center is open on, eves, bridge and festival days, and the open days right
after a closure are compared with the median of ordinary same-weekday days around them.
Effects a history has never seen fall back to the priors below (stated in the report).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wfm.forecast.data import QueueData
from wfm.forecast.outliers import reference_levels

#: Daily-volume multipliers used when history holds no day of that kind (a guess, stated).
PRIOR_MULTIPLIER: dict[str, float] = {
    "holiday": 0.6,
    "minor": 0.85,
    "eve": 0.9,
    "bridge": 0.9,
    "after": 1.0,
    "post1": 1.1,
    "post2": 1.03,
    "post3": 1.0,
}
#: Observed ratios are shrunk towards the prior with this many pseudo-observations.
PRIOR_WEIGHT = 1.0


@dataclass
class CalendarEffects:
    """Daily multipliers by kind ("holiday", "eve", "post1", ...) and by holiday name."""

    by_kind: dict[str, float] = field(default_factory=dict)
    by_name: dict[str, float] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)

    def multiplier(self, kind: str, name: str = "") -> float:
        """The multiplier of one day kind (1.0 for ordinary days)."""
        if not kind:
            return 1.0
        if name and name in self.by_name:
            return self.by_name[name]
        return self.by_kind.get(kind, PRIOR_MULTIPLIER.get(kind, 1.0))


def measure_effects(data: QueueData, include_post: bool = True) -> CalendarEffects:
    """Measure calendar effects from a queue's history (before its last day only).

    Cached on ``data``: every model fit on the same history shares one measurement.
    """
    cache = data.__dict__.setdefault("_effects_cache", {})
    if include_post not in cache:
        cache[include_post] = _measure(data, include_post)
    return cache[include_post]


def _measure(data: QueueData, include_post: bool) -> CalendarEffects:
    daily = data.daily()
    index = daily.index
    days = data.days.loc[index]
    closed = data.closed().loc[index]
    post = data.post_closure().loc[index]
    ordinary = data.usable() & (post == 0)
    reference = reference_levels(daily, ordinary)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (daily / reference).where(daily.notna() & ~closed & (reference > 0))
    effects = CalendarEffects()
    labels = days["kind"].copy()
    if include_post:
        post_label = "post" + post.astype(str)
        labels = labels.where((labels != "") | (post == 0), post_label)
    for kind in [k for k in labels.unique() if k]:
        values = ratio[(labels == kind) & ratio.notna()]
        effects.seen[kind] = len(values)
        prior = PRIOR_MULTIPLIER.get(kind, 1.0)
        if len(values):
            # the median resists one extreme member (Christmas Eve among ordinary eves)
            effects.by_kind[kind] = float(np.exp(
                (len(values) * np.median(np.log(values)) + PRIOR_WEIGHT * np.log(prior))
                / (len(values) + PRIOR_WEIGHT)))
    names = days["holiday_name"].where(days["kind"] != "", "")
    kinds = days["kind"]
    for name in [n for n in names.unique() if n]:
        mask = (names == name) & ratio.notna()
        values = ratio[mask]
        if len(values):
            # a named day's own history, shrunk towards its kind with one pseudo-day
            kind = kinds[mask].iloc[0]
            base = effects.by_kind.get(kind, PRIOR_MULTIPLIER.get(kind, 1.0))
            effects.by_name[name] = float(np.exp(
                (np.log(values).sum() + np.log(base)) / (len(values) + 1)))
    return effects


def day_multipliers(
    data: QueueData, dates: pd.DatetimeIndex, effects: CalendarEffects, include_post: bool = True
) -> np.ndarray:
    """Combined calendar multiplier per date: kind or holiday name, post-closure, special file."""
    days = data.days.loc[dates]
    post = data.post_closure().loc[dates]
    out = np.ones(len(dates))
    for i, (kind, name, k, special) in enumerate(
        zip(days["kind"], days["holiday_name"], post, days["multiplier"], strict=True)
    ):
        factor = effects.multiplier(kind, name) if kind else 1.0
        if include_post and k > 0 and not kind:
            factor *= effects.multiplier(f"post{k}")
        out[i] = factor * special
    return out
