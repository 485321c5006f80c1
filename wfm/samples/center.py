"""Seeded, realistic sample data for a center: interval history, a roster, special days.

Everything here is a pure function of the config, the dates and a seed (numpy
``Generator``), so the same arguments give the same tables. The history is built as

    offered ~ Poisson(rate * Gamma(k, 1/k))      (gamma-Poisson = negative binomial)
    rate    = daily volume * intraday share
    daily   = base * weekday * yearly season * trend * holiday * day-of-month
              * special days * outage * Gamma(day noise)

and abandonment follows exponential patience: a call that waits ``W`` abandons with
probability ``1 - exp(-W / patience)``. Waits come from an Erlang C queue staffed from the
expected load, so ``P(abandon) = P(wait) * m / (m + patience)`` where ``m = aht / (n - a)``
is the mean wait of a delayed call with ``n`` servers and ``a`` erlangs offered.
"""

from __future__ import annotations

import gzip
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from wfm.calendar import closed_dates, holiday_dates, interval_grid
from wfm.config import Center, CenterConfig, Queue

#: The last history day used for the committed sample data: the Sunday before 2026-11-23.
DEFAULT_END = date(2026, 11, 22)
#: Agents the default volumes are sized for; volumes scale linearly with the roster size.
REFERENCE_AGENTS = 130
HISTORY_OUTPUT_COLUMNS = (
    "interval_start", "queue", "offered", "handled", "abandoned", "aht_seconds", "wait_seconds",
    "answered_within", "short_abandoned", "asa_seconds",
)
#: The short-abandon threshold of the sample when the config names none (seconds).
SHORT_ABANDON_SECONDS = 5.0


@dataclass(frozen=True)
class QueueProfile:
    """How one queue's contacts behave in the sample: volume, shape, handling, patience."""

    daily_volume: float  # contacts on an average Mon-Fri at the history's end
    weekday_factors: tuple[float, ...]  # Mon..Sun, relative to the Mon-Fri mean
    growth_per_year: float  # relative volume trend
    aht_seconds: float  # mean handling time at the history's end
    aht_cv: float  # coefficient of variation of one contact's handling time
    patience_seconds: float | None  # mean exponential patience; None: nobody abandons
    billing_cycle: float  # extra share of volume on the days after the 1st of the month
    january_peak: float  # extra share of volume in mid-January (new tariffs, bills)


_VOICE_WEEK = (1.22, 1.04, 1.0, 0.96, 0.78, 0.26, 0.0)
_CHAT_WEEK = (1.12, 1.02, 1.0, 0.98, 0.88, 0.36, 0.0)
_EMAIL_WEEK = (1.35, 1.02, 0.95, 0.92, 0.76, 0.22, 0.0)
#: Contacts on an average Mon-Fri at the history's end for REFERENCE_AGENTS agents, by the
#: example center's queue kinds (other configs reuse them by channel, skill and language).
VOLUME = {"billing_es": 700.0, "billing_en": 700.0, "technical_es": 760.0,
          "technical_en": 720.0, "chat_es": 840.0, "email_es": 720.0}
#: Mean handling time at the history's end, seconds (chat: per chat, two at once).
AHT = {"billing_es": 270.0, "billing_en": 260.0, "technical_es": 310.0,
       "technical_en": 310.0, "chat_es": 400.0, "email_es": 240.0}
#: Day-to-day level noise (coefficient of variation of a gamma multiplier): what no model
#: can forecast; a good model on a real bank series leaves about 3% daily error.
DAY_NOISE_CV = 0.03
#: Gamma-Poisson shape of the interval counts: variance = rate + rate**2 / shape, a little
#: above Poisson (arrivals within a day are close to Poisson given the day's rate).
INTERVAL_SHAPE = 200.0


def queue_profile(queue: Queue, agents: int = REFERENCE_AGENTS) -> QueueProfile:
    """The sample behaviour of a queue, from its channel, skill and language.

    Volumes are sized for ``REFERENCE_AGENTS`` agents and scale with ``agents``. Every
    queue is big enough (several hundred contacts a day, 10-20 per open quarter-hour) that
    a forecast matters more than the counting noise, as in a mid-size center where each
    language and skill has its own team.
    """
    scale = agents / REFERENCE_AGENTS
    spanish = queue.language == "es"
    if queue.channel in ("voice", "outbound"):
        if queue.skill == "billing":
            volume, aht, patience = (VOLUME["billing_es"], AHT["billing_es"], 180.0) if spanish \
                else (VOLUME["billing_en"], AHT["billing_en"], 150.0)
            return QueueProfile(volume * scale, _VOICE_WEEK, 0.03, aht, 0.9,
                                queue.patience_seconds or patience, 0.22, 0.20)
        if queue.skill == "technical":
            volume, aht, patience = (VOLUME["technical_es"], AHT["technical_es"], 240.0) \
                if spanish else (VOLUME["technical_en"], AHT["technical_en"], 200.0)
            # plan changes and suspensions for unpaid bills also start on the 1st
            return QueueProfile(volume * scale, _VOICE_WEEK, 0.02, aht, 0.9,
                                queue.patience_seconds or patience, 0.15, 0.06)
        return QueueProfile((600.0 if spanish else 450.0) * scale, _VOICE_WEEK, 0.02, 360.0,
                            0.9, queue.patience_seconds or 200.0, 0.05, 0.05)
    if queue.channel == "chat":
        return QueueProfile((VOLUME["chat_es"] if spanish else 450.0) * scale, _CHAT_WEEK, 0.15,
                            AHT["chat_es"], 0.7, queue.patience_seconds or 300.0, 0.15, 0.10)
    if queue.channel == "backoffice":  # cases: fewer than emails, longer to work
        return QueueProfile(600.0 * scale, _EMAIL_WEEK, 0.0, 300.0, 1.0, None, 0.10, 0.05)
    # email and other deferred work: flat arrivals, templated replies, no abandonment
    return QueueProfile((VOLUME["email_es"] if spanish else 450.0) * scale, _EMAIL_WEEK, -0.03,
                        AHT["email_es"], 1.0, None, 0.15, 0.10)


def week_factors(center: Center, factors: tuple[float, ...]) -> np.ndarray:
    """A profile's week (five working-day factors from Monday, then Saturday and Sunday)
    moved onto the center's week, indexed Mon..Sun: the working days take the profile's
    working-day factors in order from the day after the center's weekend, the weekend days
    its weekend factors; a weekend day the profile leaves without contacts keeps some
    where the center opens on it."""
    weekend = center.weekend_days
    start = next((d + 1) % 7 for d in range(7) if d in weekend and (d + 1) % 7 not in weekend) \
        if weekend and len(weekend) < 7 else 0
    work, rest = list(factors[:5]), list(factors[5:])
    quiet = min((f for f in rest if f > 0), default=min(work))
    out = np.zeros(7)
    seen_work = seen_rest = 0
    for offset in range(7):
        day = (start + offset) % 7
        if day in weekend:
            value = rest[min(seen_rest, len(rest) - 1)]
            seen_rest += 1
            if value == 0 and center.hours_on(day) is not None:
                value = quiet
        else:
            value = work[min(seen_work, len(work) - 1)]
            seen_work += 1
        out[day] = value
    return out


def history_start(end: date, years: float) -> date:
    """First day of a history of ``years`` years ending on ``end``: a Monday."""
    start = end - timedelta(days=round(years * 365.25) - 1)
    return start - timedelta(days=start.weekday())


def _bump(x: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - centre) / width) ** 2)


def intraday_weight(channel: str, hour: np.ndarray) -> np.ndarray:
    """Relative arrival intensity at ``hour`` (local, fractional) for a channel.

    Voice has a 10-13h and a 16-18h hump with a lunch dip; chat grows into the evening;
    email is flat with a morning lift from the night's backlog.
    """
    if channel in ("voice", "outbound"):
        return 0.12 + 1.0 * _bump(hour, 11.2, 1.25) + 0.72 * _bump(hour, 16.9, 1.1)
    if channel == "chat":
        return 0.2 + 0.55 * _bump(hour, 12.5, 1.8) + 1.0 * _bump(hour, 19.0, 1.8)
    return 1.0 + 0.35 * _bump(hour, 9.0, 1.0) - 0.15 * _bump(hour, 14.5, 1.0)


def aht_hour_factor(channel: str, hour: np.ndarray) -> np.ndarray:
    """Handling time relative to the day's mean: longer first thing and late in the day."""
    evening = np.clip((hour - 17.0) / 4.0, 0.0, 1.0)
    factor = 1.0 + 0.06 * _bump(hour, 8.3, 0.8) + 0.07 * evening - 0.03 * _bump(hour, 11.5, 1.5)
    if channel == "chat":
        factor = factor + 0.05 * evening  # evening chats are the complex ones
    return factor


def yearly_factor(day_of_year: np.ndarray, january_peak: float) -> np.ndarray:
    """Seasonal volume: a January billing peak, a September lift, August and Christmas dips."""
    doy = day_of_year.astype(float)
    return (
        1.0
        + january_peak * _bump(doy, 16.0, 9.0)
        + 0.06 * _bump(doy, 258.0, 12.0)
        - 0.24 * _bump(doy, 222.0, 13.0)
        - 0.08 * _bump(doy, 196.0, 10.0)
        - 0.12 * _bump(doy, 360.0, 4.0)
    )


def day_of_month_factor(day_of_month: np.ndarray, billing_cycle: float) -> np.ndarray:
    """Volume after bills are issued on the 1st: highest on days 2-4, gone by mid-month."""
    return 1.0 + billing_cycle * _bump(day_of_month.astype(float), 3.0, 1.6)


def outage_days(cfg: CenterConfig, start: date, end: date, seed: int) -> dict[date, str]:
    """Two ordinary open weekdays in the history with a platform outage (tiny volume).

    Returns date -> which channels were hit (``voice`` or ``all``).
    """
    rng = np.random.default_rng([seed, 7])
    closed = closed_dates(cfg.center, start, end)
    years = range(start.year - 1, end.year + 2)
    holidays = holiday_dates(cfg.center, years)
    near = {d + timedelta(days=k) for d in holidays for k in (-1, 1, 2)}
    found: dict[date, str] = {}
    span = (end - start).days
    for share, kind in ((0.3, "voice"), (0.7, "all")):
        anchor = start + timedelta(days=int(span * share))
        candidates = [
            anchor + timedelta(days=k) for k in range(0, 60)
            if (anchor + timedelta(days=k)).weekday() < 5
            and anchor + timedelta(days=k) not in closed
            and anchor + timedelta(days=k) not in near
            and anchor + timedelta(days=k) <= end
        ]
        if candidates:
            found[candidates[int(rng.integers(len(candidates)))]] = kind
    return found


def special_days(cfg: CenterConfig, end: date) -> pd.DataFrame:
    """A planning calendar around ``end``: a past and a coming campaign, and a closure.

    Returns the special-days contract: ``date, queue, multiplier, note`` where
    multiplier is a number or ``closed``. The past campaign (a year before) is also in
    the generated history, so a forecaster can learn from it.
    """
    ids = [q.id for q in cfg.queues]
    campaign = [q for q in ("chat_es", "billing_es") if q in ids] or ids[:1]
    rows: list[tuple[str, str, str, str]] = []
    past = end - timedelta(days=364 - 5)  # the Friday a year before the coming Friday
    for queue in campaign:
        rows.append((past.isoformat(), queue, "1.3", "Black Friday promotion (past)"))
    for offset in (3, 4, 5):  # Wednesday to Friday after a Sunday end
        day = end + timedelta(days=offset)
        for queue in campaign:
            rows.append((day.isoformat(), queue, "1.3", "Black Friday promotion"))
    closure = end + timedelta(days=6)
    rows.append((closure.isoformat(), "all", "closed", "staff training day, center closed"))
    return pd.DataFrame(rows, columns=["date", "queue", "multiplier", "note"])


def _special_multiplier(special: pd.DataFrame, queue: str, days: pd.DatetimeIndex) -> np.ndarray:
    """Volume multiplier per day from a special-days table (closed days give 0)."""
    factor = np.ones(len(days))
    rows = special[special["queue"].isin([queue, "all"])]
    lookup = {d: i for i, d in enumerate(days.date)}
    for day_text, multiplier in zip(rows["date"], rows["multiplier"], strict=True):
        position = lookup.get(date.fromisoformat(str(day_text)))
        if position is None:
            continue
        text = str(multiplier).strip().lower()
        factor[position] *= 0.0 if text == "closed" else float(text)
    return factor


def _holiday_factor(days: pd.DatetimeIndex, closed: set[date], regular_open: np.ndarray,
                    holidays: set[date]) -> np.ndarray:
    """Catch-up after a closure of a regular day, lower eves, quiet 24 and 31 December."""
    factor = np.ones(len(days))
    dates = list(days.date)
    for i, day in enumerate(dates):
        if day in closed:
            continue
        # Open days after a closed working day carry the calls that could not be made.
        open_seen = 0
        j = i - 1
        while j >= 0 and open_seen < 2:
            if dates[j] in closed and regular_open[j]:
                factor[i] *= (1.25, 1.08)[open_seen]
                break
            if dates[j] not in closed:
                open_seen += 1
            j -= 1
        nxt = i + 1
        while nxt < len(dates) and dates[nxt] in closed and not regular_open[nxt]:
            nxt += 1
        if nxt < len(dates) and dates[nxt] in holidays:
            factor[i] *= 0.88
        if (day.month, day.day) in ((12, 24), (12, 31)):
            factor[i] *= 0.55
        elif (day.month, day.day) == (1, 5) or (day.month, day.day) == (12, 23):
            factor[i] *= 0.9
    return factor


def generate_history(
    cfg: CenterConfig,
    start: date,
    end: date,
    seed: int = 0,
    agents: int = REFERENCE_AGENTS,
    special: pd.DataFrame | None = None,
    outages: dict[date, str] | None = None,
) -> pd.DataFrame:
    """Interval history for every queue from ``start`` to ``end`` (both included).

    Returns the history contract: ``interval_start`` (tz-aware, center zone), ``queue``,
    ``offered``, ``handled``, ``abandoned`` (ints), ``aht_seconds`` (mean handling time of
    the handled contacts in seconds, rounded to 0.1; NaN when none was handled) and
    ``wait_seconds`` (mean time in queue over all offered contacts, seconds; NaN for
    queues without abandonment such as email). One row per queue and open interval;
    closed days and holidays have no rows.
    """
    days_count = (end - start).days + 1
    grid = interval_grid(cfg.center, start, days_count)
    grid = grid[grid["is_open"]].reset_index(drop=True)
    if special is None:
        special = special_days(cfg, end)
    if outages is None:
        outages = outage_days(cfg, start, end, seed)
    step = cfg.center.interval_minutes
    days = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")
    closed = closed_dates(cfg.center, start, end)
    closed |= {
        date.fromisoformat(str(d))
        for d, m in zip(special["date"], special["multiplier"], strict=True)
        if str(m).strip().lower() == "closed"
    }
    holidays = set(holiday_dates(cfg.center, range(start.year, end.year + 2)))
    regular_open = np.array([cfg.center.hours_on(d.weekday()) is not None for d in days.date])
    holiday = _holiday_factor(days, closed, regular_open, holidays)
    years_to_end = (days - pd.Timestamp(end)).days.to_numpy() / 365.25
    grid = grid[~grid["date"].isin(closed)].reset_index(drop=True)
    day_position = pd.Index(days.date).get_indexer(grid["date"])
    hour = (grid["minute_of_day"].to_numpy() + step / 2) / 60.0
    weekday = days.day_of_week.to_numpy()
    day_of_year = days.day_of_year.to_numpy()

    frames = []
    for index, queue in enumerate(cfg.queues):
        if cfg.campaign_for(queue.id) is not None:
            continue  # a campaign's queue calls out: its work comes from the calling list
        profile = queue_profile(queue, agents)
        rng = np.random.default_rng([seed, index, 1])
        outage = np.array([
            0.03 if outages.get(d) == "all" or (outages.get(d) == "voice"
                                                and queue.channel == "voice") else 1.0
            for d in days.date
        ])
        daily = (
            profile.daily_volume
            * week_factors(cfg.center, profile.weekday_factors)[weekday]
            * yearly_factor(day_of_year, profile.january_peak)
            * np.exp(profile.growth_per_year * years_to_end)
            * day_of_month_factor(days.day.to_numpy(), profile.billing_cycle)
            * holiday
            * _special_multiplier(special, queue.id, days)
            * outage
            * rng.gamma(1 / DAY_NOISE_CV**2, DAY_NOISE_CV**2, size=len(days))
        )
        # English-speaking customers (UK, Ireland) call on their own clock, an hour behind.
        local_hour = hour - (1.0 if queue.language == "en" else 0.0)
        weight = intraday_weight(queue.channel, local_hour)
        day_weight = np.bincount(day_position, weights=weight, minlength=len(days))
        rate = daily[day_position] * weight / day_weight[day_position]
        shape = INTERVAL_SHAPE
        offered = rng.poisson(rate * rng.gamma(shape, 1 / shape, size=len(rate)))

        january = 0.04 * (profile.january_peak > 0.1)  # January billing calls run longer
        aht_mean = (
            profile.aht_seconds
            * aht_hour_factor(queue.channel, hour)
            * np.exp(-0.02 * years_to_end[day_position])  # slow learning: AHT falls 2%/year
            * (1.0 + january * _bump(day_of_year[day_position].astype(float), 16.0, 9.0))
        )
        abandoned = np.zeros(len(rate), dtype=np.int64)
        wait = np.full(len(rate), np.nan)
        # email: no answer threshold (no count), nobody abandons, no answer wait
        answers = {"answered_within": pd.array([pd.NA] * len(rate), dtype="Int64"),
                   "short_abandoned": np.zeros(len(rate), dtype=np.int64),
                   "asa_seconds": np.full(len(rate), np.nan)}
        if profile.patience_seconds is not None:
            abandoned, wait, metrics = _abandoned(rng, queue, offered, rate, aht_mean,
                                                  profile.patience_seconds, step)
            # a stream of its own: the columns above stay what they were without these
            answers = answer_counts(np.random.default_rng([seed, index, 2]), metrics,
                                    offered - abandoned, abandoned, profile.patience_seconds,
                                    cfg.kpi.short_abandon_seconds or SHORT_ABANDON_SECONDS)
        handled = offered - abandoned
        # Mean of `handled` gamma handling times is gamma(handled * s, mean / (handled * s)).
        per_call_shape = 1.0 / profile.aht_cv**2
        total_shape = np.maximum(handled, 1) * per_call_shape
        aht = rng.gamma(total_shape, aht_mean / total_shape)
        aht = np.where(handled > 0, np.round(aht, 1), np.nan)
        frames.append(pd.DataFrame({
            "interval_start": grid["interval_start"].array,
            "queue": queue.id,
            "offered": offered.astype(np.int64),
            "handled": handled.astype(np.int64),
            "abandoned": abandoned,
            "aht_seconds": aht,
            "wait_seconds": wait,
            **answers,
        }))
    history = pd.concat(frames, ignore_index=True)
    history["interval_start"] = history["interval_start"].dt.tz_convert(cfg.center.timezone)
    order = {q.id: i for i, q in enumerate(cfg.queues)}
    history["_q"] = history["queue"].map(order)
    history = history.sort_values(["interval_start", "_q"], kind="stable").drop(columns="_q")
    return history.reset_index(drop=True)


def _abandoned(
    rng: np.random.Generator,
    queue: Queue,
    offered: np.ndarray,
    rate: np.ndarray,
    aht_mean: np.ndarray,
    patience_seconds: float,
    interval_minutes: int,
) -> tuple[np.ndarray, np.ndarray, object]:
    """Abandoned contacts, mean wait (seconds, over all offered) and the Erlang A figures
    of each interval.

    The queue is staffed for its service-level target on the expected volume (Erlang C),
    then loses or gains an agent now and then (absence, overtime); what happens with the
    realised volume follows Erlang A with exponential patience. The recorded wait is the
    model's mean wait (= P(abandon) * patience) with measurement noise, so
    sum(offered * wait) / sum(abandoned) estimates the patience.
    """
    from wfm.staffing import erlang

    concurrency = queue.concurrency
    slots = erlang.agents_needed(rate, aht_mean, interval_minutes,
                                 service_level_target=queue.service_level_target,
                                 answer_seconds=queue.answer_seconds)
    agents = np.ceil(slots / concurrency)
    small = rng.choice([-1, 0, 0, 0, 0, 0, 1], size=len(rate))
    large = rng.choice([-2, -1, 0, 0, 0, 0, 1], size=len(rate))
    agents = np.maximum(agents + np.where(agents >= 8, large, small), max(queue.min_agents, 1))
    metrics = erlang.erlang_a_metrics(agents * concurrency, offered, aht_mean,
                                      interval_minutes, patience_seconds,
                                      queue.answer_seconds)
    abandon_probability = np.clip(np.nan_to_num(metrics.prob_abandon), 0.0, 1.0)
    abandoned = rng.binomial(offered, abandon_probability).astype(np.int64)
    wait = np.nan_to_num(metrics.asa_seconds) * rng.gamma(100.0, 0.01, size=len(rate))
    return abandoned, np.where(offered > 0, np.round(wait, 1), 0.0), metrics


def answer_counts(rng: np.random.Generator, metrics: object, handled: np.ndarray,
                  abandoned: np.ndarray, patience_seconds: float, short_seconds: float
                  ) -> dict[str, np.ndarray]:
    """``answered_within``, ``short_abandoned`` and ``asa_seconds`` of each interval.

    Erlang A gives the share of offered calls answered within the threshold (``sl``), of
    abandoned ones (``pab``) and of delayed ones (``pw``). A delayed caller waits until
    answered or out of patience, whichever comes first: with exponential times that
    stretch is exponential with mean ``theta * pab / pw`` (patience ``theta``), whether
    the call is answered or abandoned. So among the answered, ``sl / (1 - pab)`` are in
    time and the mean wait is ``(pw - pab) / (1 - pab)`` times that mean; among the
    abandoned, ``1 - exp(-short / mean)`` leave within ``short`` seconds.
    """
    sl = np.nan_to_num(np.asarray(metrics.service_level, dtype=float))
    pab = np.clip(np.nan_to_num(np.asarray(metrics.prob_abandon, dtype=float)), 0.0, 1.0)
    pw = np.clip(np.nan_to_num(np.asarray(metrics.prob_wait, dtype=float)), 0.0, 1.0)
    in_time = np.clip(np.where(pab < 1.0, sl / np.maximum(1.0 - pab, 1e-12), 1.0), 0.0, 1.0)
    mean = np.where(pw > 0, patience_seconds * pab / np.maximum(pw, 1e-12), 0.0)
    short = np.where(mean > 0, 1.0 - np.exp(-short_seconds / np.maximum(mean, 1e-12)), 1.0)
    asa = np.where(pab < 1.0, np.clip(pw - pab, 0.0, 1.0) / np.maximum(1.0 - pab, 1e-12), 0.0)
    asa = asa * mean * rng.gamma(100.0, 0.01, size=len(handled))
    return {
        "answered_within": pd.array(rng.binomial(handled, in_time), dtype="Int64"),
        "short_abandoned": rng.binomial(abandoned, short).astype(np.int64),
        "asa_seconds": np.where(handled > 0, np.round(asa, 1), np.nan),
    }


def peak_erlangs(history: pd.DataFrame, cfg: CenterConfig, by_concurrency: bool = False,
                 quantile: float = 1.0) -> float:
    """Offered load of all queues together at the busiest interval, in erlangs.

    The load of an interval is the sum over queues of ``offered * aht_seconds /
    interval seconds`` (divided by the chat concurrency when ``by_concurrency``).
    ``quantile`` below 1 gives that quantile of the interval loads instead of the maximum.
    """
    seconds = cfg.center.interval_minutes * 60.0
    concurrency = {q.id: q.concurrency for q in cfg.queues}
    load = history["offered"] * history["aht_seconds"].fillna(0.0) / seconds
    if by_concurrency:
        load = load / history["queue"].map(concurrency)
    totals = load.groupby(history["interval_start"]).sum()
    return float(totals.max() if quantile >= 1.0 else totals.quantile(quantile))


# ---------------------------------------------------------------- roster

_FIRST_ES = (
    "José", "María", "Lucía", "Inés", "Andrés", "Óscar", "Raúl", "Rocío", "Begoña", "Iñaki",
    "Jesús", "Ángela", "Sofía", "Martín", "Álvaro", "Nerea", "Carmen", "Javier", "Paula",
    "Sergio", "Marta", "Pablo", "Elena", "Daniel", "Laura", "Adrián", "Cristina", "Rubén",
    "Alba", "Iván", "Nuria", "Víctor", "Irene", "Héctor", "Beatriz", "Jorge", "Noemí",
    "Mónica", "Tomás", "Ainhoa", "Gonzalo", "Lourdes", "Joaquín", "Pilar", "Ramón",
    "Verónica", "Fátima", "Ismael", "Aitana", "Julián", "Celia", "Nicolás", "Eva", "Hugo",
    "Silvia", "Germán", "Susana", "Emilio", "Araceli", "Íker",
)
_SURNAMES_ES = (
    "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez",
    "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez",
    "Romero", "Alonso", "Gutiérrez", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos",
    "Gil", "Ramírez", "Serrano", "Blanco", "Molina", "Morales", "Suárez", "Ortega", "Delgado",
    "Castro", "Ortiz", "Rubio", "Marín", "Sanz", "Núñez", "Iglesias", "Medina", "Garrido",
    "Cortés", "Castillo", "Santos", "Lozano", "Guerrero", "Cano", "Prieto", "Méndez", "Calvo",
    "Gallego", "Vidal", "León", "Márquez", "Herrera", "Peña", "Cabrera", "Fuentes",
    "Carrasco", "Ibáñez", "Ferrer", "Durán", "Benítez", "Crespo", "Román", "Sáez", "Velasco",
    "Echeverría", "Goñi", "Zubiría",
)
_FIRST_EN = (
    "Emily", "James", "Siobhán", "Oliver", "Chloë", "Liam", "Zoë", "Hannah", "Connor",
    "Renée", "Aoife", "Thomas", "Grace", "Ethan", "Sinéad", "Noah", "Amelia", "Jack",
)
_SURNAMES_EN = (
    "Clarke", "O'Connor", "Murphy", "Evans", "Harper", "Walsh", "Thompson", "Byrne",
    "Hughes", "Wright", "Kelly", "Bennett", "Reid", "Fitzgerald", "Doyle", "Morgan",
)
_TEAMS = (
    "Atlas", "Boreal", "Cierzo", "Delta", "Estrella", "Faro", "Gaviota", "Halcón", "Iris",
    "Júcar", "Levante", "Miño", "Nazarí", "Orión",
)


def _skill_mix(cfg: CenterConfig) -> list[tuple[dict[str, float], float]]:
    """Skill sets with their share of the roster, using the config's skills."""
    skills = list(dict.fromkeys(q.skill for q in cfg.queues))
    voice = [s for s in skills if any(q.skill == s and q.channel == "voice" for q in cfg.queues)]
    chat = [s for s in skills if any(q.skill == s and q.channel == "chat" for q in cfg.queues)]
    other = [s for s in skills if s not in voice and s not in chat]
    mix: list[tuple[dict[str, float], float]] = []
    if len(voice) >= 2:
        first, second = voice[0], voice[1]
        mix += [({first: 1.0}, 0.17), ({second: 1.0}, 0.28), ({first: 1.0, second: 0.7}, 0.08),
                ({second: 1.0, first: 0.6}, 0.08)]
    elif voice:
        mix += [({voice[0]: 1.0}, 0.72)]
    for skill in chat:
        mix += [({skill: 1.0}, 0.10)]
        if voice:
            mix += [({skill: 1.0, voice[0]: 0.8}, 0.10)]
    # deferred work (email and back-office cases) is about a fifth of the sample center's
    # workload: its team is sized to it, and blends with the first voice skill
    for skill in other:
        mix += [({skill: 1.0}, 0.11)]
        if voice:
            mix += [({skill: 1.0, voice[0]: 0.6}, 0.09)]
    total = sum(share for _, share in mix)
    return [(skills_, share / total) for skills_, share in mix]


def _counts(shares: list[float], total: int) -> list[int]:
    """Whole numbers proportional to ``shares`` that add up to ``total`` (largest remainder)."""
    raw = [s * total for s in shares]
    counts = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def generate_agents(
    cfg: CenterConfig, agents: int = REFERENCE_AGENTS, seed: int = 0, plan_start: date | None = None
) -> pd.DataFrame:
    """A roster of ``agents`` agents for the config, in the roster file format.

    Skills follow the config's queues (most on the two main voice skills, some on both,
    some on chat and back office, with proficiencies below 1 on second skills); about half
    also speak English and a few only English; 70% full time; teams of about 12 grouped
    by skill; a few vacations in the week from ``plan_start``; some part-time students
    with an availability window; some day-off and start-time preferences.
    """
    rng = np.random.default_rng([seed, 99])
    plan_start = plan_start or DEFAULT_END + timedelta(days=1)
    mix = _skill_mix(cfg)
    counts = _counts([share for _, share in mix], agents)
    skill_sets = [skills for (skills, _), n in zip(mix, counts, strict=True) for _ in range(n)]
    languages_known = list(dict.fromkeys(q.language for q in cfg.queues))
    # the center's main language is its first queue's; a second one is spoken by some
    main = languages_known[0]
    second = next((lang for lang in languages_known if lang != main), None)
    voice_skills = {q.skill for q in cfg.queues if q.channel == "voice" and q.language != main}
    english_skills = {q.skill for q in cfg.queues if q.language == second}

    # Languages are spread evenly within each skill set (a shuffled rank rather than a coin
    # per agent), so every English queue gets its share of bilingual agents.
    rank = np.zeros(len(skill_sets))
    groups: dict[tuple[str, ...], list[int]] = {}
    for position, skills in enumerate(skill_sets):
        groups.setdefault(tuple(skills), []).append(position)
    for members in groups.values():
        order = rng.permutation(len(members))
        rank[members] = (order + 0.5) / len(members)

    names: set[str] = set()
    rows = []
    for position, skills in enumerate(skill_sets):
        # English is needed where there are English queues: voice agents mostly.
        can_english = second is not None and bool(set(skills) & english_skills)
        draw = rank[position]
        if can_english and set(skills) <= voice_skills and draw < 0.06:
            languages = [second]
        elif can_english and draw < 0.70:
            languages = [main, second]
        else:
            languages = [main]
        english_name = languages == [second] or (len(languages) == 2 and rng.random() < 0.25)
        while True:
            if english_name:
                name = f"{rng.choice(_FIRST_EN)} {rng.choice(_SURNAMES_EN)}"
            else:
                first, last1, last2 = (rng.choice(_FIRST_ES), rng.choice(_SURNAMES_ES),
                                       rng.choice(_SURNAMES_ES))
                name = f"{first} {last1} {last2}"
            if name not in names and (english_name or last1 != last2):
                names.add(name)
                break
        # The main skill at full proficiency; a second skill lower, varying by person.
        levels = {skill: (level if level >= 1.0 else round(float(rng.uniform(0.5, 0.9)), 1))
                  for skill, level in skills.items()}
        skills_text = ";".join(f"{skill}:{level:g}" for skill, level in levels.items())
        rows.append({"name": name, "skills": skills_text, "languages": ";".join(languages),
                     "position": position})

    roster = pd.DataFrame(rows)
    team_size = 12
    n_teams = max(1, round(agents / team_size))
    team_index = np.minimum(np.arange(agents) * n_teams // agents, n_teams - 1)
    roster["team"] = [_TEAMS[i % len(_TEAMS)] + ("" if i < len(_TEAMS) else f" {i}")
                      for i in team_index]
    roster["agent_id"] = [f"A{i + 1:03d}" for i in range(agents)]
    contracts = [c.id for c in cfg.contracts]
    part = "part_time" if "part_time" in contracts else contracts[-1]
    full = "full_time" if "full_time" in contracts else contracts[0]
    is_part = rng.permutation(np.arange(agents) < round(0.3 * agents))
    roster["contract"] = np.where(is_part, part, full)

    window, days_off, start_pref, away = [], [], [], []
    for i in range(agents):
        r = rng.random()
        if is_part[i] and r < 0.35:
            window.append(rng.choice(["15:00-21:00", "08:00-14:00", "16:00-21:00"]))
        else:
            window.append("")
        r = rng.random()
        if r < 0.12:
            days_off.append("sat")
        elif r < 0.18:
            days_off.append(rng.choice(["fri;sat", "mon", "wed"]))
        else:
            days_off.append("")
        r = rng.random()
        if not window[-1] and r < 0.15:
            start_pref.append(rng.choice(["08:00-09:00", "09:00-10:30", "11:00-12:30"]))
        else:
            start_pref.append("")
        away.append("")
    # A few vacations in the planned week, short enough that every contract's minimum
    # weekly hours stay reachable on the days left (the planned Saturday may be closed):
    # one weekday for a full-timer (4 x 8 h = 32 h), up to two for a part-timer unless an
    # evening window limits them to 4-hour shifts (4 x 4 h = 16 h).
    for i in rng.choice(agents, size=max(1, round(agents * 0.07)), replace=False):
        first = int(rng.integers(0, 5))
        short_days = not is_part[i] or window[i] == "16:00-21:00"
        length = 1 if short_days else int(rng.integers(1, 3))
        away[i] = ";".join(
            (plan_start + timedelta(days=first + k)).isoformat() for k in range(length)
        )
    roster["unavailable_dates"] = away
    roster["available_window"] = window
    roster["preferred_days_off"] = days_off
    roster["preferred_start"] = start_pref
    columns = ["agent_id", "name", "team", "skills", "languages", "contract",
               "unavailable_dates", "available_window", "preferred_days_off", "preferred_start"]
    if cfg.leadership is None and not cfg.activities:
        return roster[columns]
    roster = _with_people(cfg, roster, is_part, names, seed, plan_start)
    return roster[[*columns, "role", "leads", "hire_date"]]


#: Teams a supervisor leads in the sample; each team also has its own team leader.
TEAMS_PER_SUPERVISOR = 4
#: Agents per team who are also its campaign leaders (one full-time, one part-time).
CAMPAIGN_LEADERS_PER_TEAM = 2
#: Agents hired shortly before the planned week (the new hires' training).
NEW_HIRES = 6


def _with_people(cfg: CenterConfig, roster: pd.DataFrame, is_part: np.ndarray,
                 names: set[str], seed: int, plan_start: date) -> pd.DataFrame:
    """The agents with the people around them, when the config has a leader rule or
    activities: campaign leaders in each team, a hire date for everyone (a few new hires), a
    team leader per team and a supervisor per `TEAMS_PER_SUPERVISOR` teams (with a leader
    rule), and a trainer and a quality analyst when an activity needs one to run it."""
    rng = np.random.default_rng([seed, 101])  # the agents' own draws stay as they were
    roster = roster.copy()
    roster["role"] = "agent"
    roster["leads"] = ""
    teams = list(dict.fromkeys(roster["team"]))
    if cfg.leadership is not None:
        for team in teams:
            members = roster.index[roster["team"] == team]
            full = [i for i in members if not is_part[i]]
            part = [i for i in members if is_part[i]]
            chosen = ([full[0]] if full else []) + ([part[0]] if part else full[1:2])
            for i in chosen[:CAMPAIGN_LEADERS_PER_TEAM]:
                roster.loc[i, "leads"] = team
    days_ago = rng.integers(120, 8 * 365, len(roster))
    for i in rng.choice(len(roster), size=min(NEW_HIRES, len(roster)), replace=False):
        days_ago[i] = int(rng.integers(3, 45))
    roster["hire_date"] = [(plan_start - timedelta(days=int(d))).isoformat() for d in days_ago]
    full = "full_time" if "full_time" in {c.id for c in cfg.contracts} else cfg.contracts[0].id
    people: list[dict] = []

    def add(prefix: str, number: int, role: str, team: str, leads: str = "",
            skills: str = "", languages: str = "") -> None:
        while True:
            name = (f"{rng.choice(_FIRST_ES)} {rng.choice(_SURNAMES_ES)} "
                    f"{rng.choice(_SURNAMES_ES)}")
            if name not in names:
                names.add(name)
                break
        people.append({"agent_id": f"{prefix}{number:02d}", "name": name, "team": team,
                       "skills": skills, "languages": languages, "contract": full,
                       "unavailable_dates": "", "available_window": "",
                       "preferred_days_off": "", "preferred_start": "", "role": role,
                       "leads": leads, "hire_date": (plan_start - timedelta(
                           days=int(rng.integers(2 * 365, 12 * 365)))).isoformat()})

    if cfg.leadership is not None:
        for number, team in enumerate(teams, start=1):
            # a team leader knows the team's most common skills, in its languages
            members = roster[roster["team"] == team]
            skills = members["skills"].str.split(";").explode().str.split(":").str[0]
            main = skills.value_counts().index[0]
            languages = sorted(set(";".join(members["languages"]).split(";")))
            add("L", number, "team_leader", team, skills=f"{main}:1",
                languages=";".join(languages))
        for number in range(0, len(teams), TEAMS_PER_SUPERVISOR):
            led = teams[number:number + TEAMS_PER_SUPERVISOR]
            add("S", number // TEAMS_PER_SUPERVISOR + 1, "supervisor", "Supervisión",
                leads=";".join(led))
    hosts = {a.host for a in cfg.activities}
    if "trainer" in hosts:
        add("T", 1, "trainer", "Formación")
    if "quality" in hosts:
        add("Q", 1, "quality", "Calidad")
    return pd.concat([roster, pd.DataFrame(people)], ignore_index=True)


# ---------------------------------------------------------------- files


@dataclass(frozen=True)
class SampleSummary:
    """What `write_sample_data` wrote: dates, outage days, sizes and peak load."""

    start: date
    end: date
    rows: int
    agents: int
    outages: dict[date, str]
    peak_erlangs: float
    peak_erlangs_by_concurrency: float


def history_csv_text(history: pd.DataFrame) -> str:
    """The history as CSV text: naive local ISO timestamps, ints, AHT to 0.1 s."""
    from wfm.io.files import format_timestamps

    out = history.copy()
    out["interval_start"] = format_timestamps(out["interval_start"])
    return out.to_csv(index=False, float_format="%.1f", lineterminator="\n")


def write_sample_data(
    cfg: CenterConfig,
    out_dir: str | Path,
    seed: int = 0,
    years: float = 2.2,
    agents: int = REFERENCE_AGENTS,
    end: date = DEFAULT_END,
) -> SampleSummary:
    """Generate and write ``history.csv.gz``, ``agents.csv`` and ``special_days.csv``.

    Files are written atomically; the gzip header carries no time or name, so the same
    arguments give the same bytes.
    """
    from wfm.io.files import atomic_open

    out_dir = Path(out_dir)
    start = history_start(end, years)
    special = special_days(cfg, end)
    outages = outage_days(cfg, start, end, seed)
    history = generate_history(cfg, start, end, seed=seed, agents=agents, special=special,
                               outages=outages)
    roster = generate_agents(cfg, agents=agents, seed=seed, plan_start=end + timedelta(days=1))
    data = history_csv_text(history).encode("utf-8")
    with atomic_open(out_dir / "history.csv.gz", "wb") as stream, gzip.GzipFile(
        filename="", mode="wb", fileobj=stream, mtime=0, compresslevel=9
    ) as packed:
        packed.write(data)
    for table, name in ((roster, "agents.csv"), (special, "special_days.csv")):
        with atomic_open(out_dir / name, "w", encoding="utf-8", newline="") as stream:
            table.to_csv(stream, index=False, lineterminator="\n")
    return SampleSummary(
        start=start,
        end=end,
        rows=len(history),
        agents=len(roster),
        outages=outages,
        peak_erlangs=peak_erlangs(history, cfg),
        peak_erlangs_by_concurrency=peak_erlangs(history, cfg, by_concurrency=True),
    )
