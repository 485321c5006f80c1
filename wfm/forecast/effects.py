"""Calendar effects on daily volume, measured from history and combined with the weekday.

Each special day (holiday, eve, intermediate or festival day, bridge day) is measured as
a *level*: its daily total over the working-day level around it (the median of ordinary
open days off the weekend, within two weeks either side). A kind that lowers volume
takes the day to its own level
unless the weekday is already lower, so a holiday on a quiet weekend day is about that
weekend day, not the weekend's low times the holiday's drop:

    multiplier on the same-weekday level = min(1, level / weekday factor)   (level < 1)
    multiplier                           = level                           (level >= 1)

where the weekday factor is the weekday's ordinary level over the working-day level. The
day after a holiday and the open days after a closure (`RATIO_KINDS`) continue the days
around them and are measured as ratios to their weekday's level.
Observations on working days measure a level directly; on weekend days only where the
kind brought the day below its weekday's level (otherwise the level is hidden by the
weekday's). A holiday's own name is measured where history has seen it and shrunk
towards its kind; kinds a history has never seen take the priors below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from wfm.forecast.data import QueueData
from wfm.forecast.outliers import reference_levels

#: Daily levels (share of a working day) used when history holds no day of that kind.
PRIOR_MULTIPLIER: dict[str, float] = {
    "holiday": 0.6,
    "eve": 0.85,
    "intermediate": 0.85,
    "minor": 0.95,
    "bridge": 0.95,
    "after": 1.0,
    "post1": 1.1,
    "post2": 1.03,
    "post3": 1.0,
}
#: Kinds measured as a ratio to the same weekday's level (they continue the days around
#: them) rather than as a level of their own.
RATIO_KINDS: tuple[str, ...] = ("after", "post1", "post2", "post3")
#: Observed levels are shrunk towards the prior with this many pseudo-observations.
PRIOR_WEIGHT = 1.0
#: A day whose weekday level is at least this share of a working day measures a level
#: directly; below it (a quiet weekend day) only when the kind took the day lower still.
DIRECT_FACTOR = 0.8
#: ... lower meaning below this share of the weekday's level.
HIDDEN_RATIO = 0.9
#: Days either side of a day whose ordinary working days set its working-day level.
LEVEL_SPAN_DAYS = 14


@dataclass
class CalendarEffects:
    """Daily levels by kind ("holiday", "eve", "post1", ...) and by holiday name, and the
    weekday factors they are combined with."""

    by_kind: dict[str, float] = field(default_factory=dict)
    by_name: dict[str, float] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)
    weekday_factor: dict[int, float] = field(default_factory=dict)

    def level(self, kind: str, name: str = "") -> float:
        """The level of one day kind (share of a working day; 1.0 for ordinary days)."""
        if not kind:
            return 1.0
        if name and name in self.by_name:
            return self.by_name[name]
        return self.by_kind.get(kind, PRIOR_MULTIPLIER.get(kind, 1.0))

    def multiplier(self, kind: str, name: str = "", weekday: int | None = None) -> float:
        """The factor on the weekday's ordinary level of one day (1.0 for ordinary days)."""
        return self.combine(kind, self.level(kind, name), weekday)[0]

    def combine(self, kind: str, level: float, weekday: int | None) -> tuple[float, bool]:
        """(multiplier on the weekday's level, whether the kind sets the day's level)."""
        if kind in RATIO_KINDS:
            return level, False
        if level >= 1.0:
            return level, True
        factor = self.weekday_factor.get(weekday, 1.0) if weekday is not None else 1.0
        if level >= factor:
            return 1.0, False
        return level / factor, True


def measure_effects(data: QueueData, include_post: bool = True) -> CalendarEffects:
    """Measure calendar effects from a queue's history (before its last day only).

    Cached on ``data``: every model fit on the same history shares one measurement.
    """
    cache = data.__dict__.setdefault("_effects_cache", {})
    if include_post not in cache:
        cache[include_post] = _measure(data, include_post)
    return cache[include_post]


def working_levels(daily: pd.Series, ordinary: pd.Series, weekend: pd.Series) -> pd.Series:
    """Median total of ordinary open days off the weekend within `LEVEL_SPAN_DAYS` of each
    day (contacts per day; NaN where there is none)."""
    values = daily.where(ordinary & ~weekend)
    window = 2 * LEVEL_SPAN_DAYS + 1
    return values.rolling(window, center=True, min_periods=1).median()


def _measure(data: QueueData, include_post: bool) -> CalendarEffects:
    daily = data.daily()
    index = daily.index
    days = data.days.loc[index]
    closed = data.closed().loc[index]
    post = data.post_closure().loc[index]
    ordinary = data.usable() & (post == 0)
    weekend = days["weekend"] if "weekend" in days else pd.Series(False, index=index)
    reference = reference_levels(daily, ordinary)
    working = working_levels(daily, ordinary, weekend)
    seen = daily.notna() & ~closed & (reference > 0) & (working > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        level = (daily / working).where(seen)
        factor = (reference / working).where(seen)
    effects = CalendarEffects(weekday_factor=_weekday_factors(reference, working, ordinary))
    labels = days["kind"].copy()
    if include_post:
        post_label = "post" + post.astype(str)
        labels = labels.where((labels != "") | (post == 0), post_label)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (daily / reference).where(seen)
    # plain arrays: the kinds and names below are many masks over the same days
    obs = _Observations(level.to_numpy(dtype=float), factor.to_numpy(dtype=float),
                        ratio.to_numpy(dtype=float))
    label_values = labels.to_numpy(dtype=object)
    measured = ~np.isnan(obs.level)
    for kind in [k for k in pd.unique(label_values) if k]:
        values = obs.values(kind, (label_values == kind) & measured)
        effects.seen[kind] = len(values)
        prior = PRIOR_MULTIPLIER.get(kind, 1.0)
        if len(values):
            # the median resists one extreme member (Christmas Eve among ordinary eves)
            effects.by_kind[kind] = float(np.exp(
                (len(values) * np.median(np.log(values)) + PRIOR_WEIGHT * np.log(prior))
                / (len(values) + PRIOR_WEIGHT)))
    kinds = days["kind"].to_numpy(dtype=object)
    names = np.where(kinds != "", days["holiday_name"].to_numpy(dtype=object), "")
    for name in [n for n in pd.unique(names) if n]:
        mask = (names == name) & measured
        if not mask.any():
            continue
        kind = kinds[np.flatnonzero(mask)[0]]
        values = obs.values(kind, mask)
        if len(values):
            # a named day's own history, shrunk towards its kind with one pseudo-day
            base = effects.by_kind.get(kind, PRIOR_MULTIPLIER.get(kind, 1.0))
            effects.by_name[name] = float(np.exp(
                (np.log(values).sum() + np.log(base)) / (len(values) + 1)))
    return effects


@dataclass
class _Observations:
    """Per history day: level (of a working day), weekday factor, ratio to the weekday."""

    level: np.ndarray
    factor: np.ndarray
    ratio: np.ndarray

    def values(self, kind: str, mask: np.ndarray) -> np.ndarray:
        """The observations of one kind or name: ratios for `RATIO_KINDS`, else the levels
        of the days that show the kind's own level: days whose weekday is working-like, or
        quiet days the kind took lower still (all of them if none is)."""
        if kind in RATIO_KINDS:
            values = self.ratio[mask]
            return values[values > 0]
        values, weekday = self.level[mask], self.factor[mask]
        direct = (weekday >= DIRECT_FACTOR) | (values < HIDDEN_RATIO * weekday)
        chosen = values[direct] if direct.any() else values
        return chosen[chosen > 0]


def _weekday_factors(reference: pd.Series, working: pd.Series, ordinary: pd.Series
                     ) -> dict[int, float]:
    """Each weekday's ordinary level over the working-day level, over the last 12 weeks
    of ordinary days (the median ratio; weekdays never seen are absent)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (reference / working).where(ordinary & (working > 0))
    ratio = ratio[ratio.index > ratio.index.max() - pd.Timedelta(weeks=12)].dropna()
    return {int(w): float(group.median())
            for w, group in ratio.groupby(ratio.index.day_of_week)}


def day_effects(
    data: QueueData, dates: pd.DatetimeIndex, effects: CalendarEffects, include_post: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Per date: the combined calendar multiplier (kind or holiday name with the weekday,
    post-closure, special-days file) and whether a day kind sets the day's level (then
    its own intraday profile applies)."""
    days = data.days.loc[dates]
    post = data.post_closure().loc[dates]
    out = np.ones(len(dates))
    own = np.zeros(len(dates), dtype=bool)
    for i, (day, kind, name, k, special) in enumerate(
        zip(dates, days["kind"], days["holiday_name"], post, days["multiplier"], strict=True)
    ):
        factor = 1.0
        if kind:
            factor, own[i] = effects.combine(kind, effects.level(kind, name), day.day_of_week)
        if include_post and k > 0 and not kind:
            factor *= effects.level(f"post{k}")
        out[i] = factor * special
    return out, own


def day_multipliers(
    data: QueueData, dates: pd.DatetimeIndex, effects: CalendarEffects, include_post: bool = True
) -> np.ndarray:
    """Combined calendar multiplier per date (see `day_effects`)."""
    return day_effects(data, dates, effects, include_post)[0]
