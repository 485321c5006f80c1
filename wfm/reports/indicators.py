"""The indicators of what happened: volume, handle time, service level and agent time.

`kpi_report` measures, per queue and period (interval, day, week or month), from the
interval history:

- ``offered``; ``answered`` (the ``handled`` column, else ``offered - abandoned``) and
  ``abandoned`` (the ``abandoned`` column, else ``offered - handled``); without either
  column both are unknown;
- ``abandonment_rate = abandoned / offered``;
- ``aht_seconds``: the handle time of the answered contacts (``aht_seconds`` weighted by
  ``answered``; by ``offered`` when the history has no answered count);
- ``service_level`` (voice and chat queues, with ``answered_within``): contacts answered
  within the queue's ``answer_seconds`` over a denominator the config's
  ``kpi.service_level_formula`` chooses (`SERVICE_LEVEL_FORMULAS`), named in every report;
- ``asa_seconds`` (with the ``asa_seconds`` column: the mean wait of the answered) and
  ``mean_wait_seconds`` (with ``wait_seconds``: the mean time in queue of all offered).

A figure is computed only where every history row of the period has what it needs; else
it is empty and `KpiReport.notes` says why. The ``all`` rows add the queues up: counts
when every queue has them, ratios over the queues whose own row has the ratio (the
service level over the voice and chat queues).

With agent state logs, the ``all`` rows also carry the agents' time: ``occupancy`` =
handling (on contact and after-contact work) / (handling + available), the occupancy the
staffing stage plans with ``max_occupancy``; and with the schedule's paid time,
``utilisation`` = logged-in time (every state but offline, neutral and lunch, which is
unpaid) / paid time. State
time counts in the period it falls in by the clock; paid time in the period of the
shift's date, so utilisation is not measured per interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from wfm.config import CenterConfig, KpiSettings
from wfm.io.files import TIMESTAMP_FORMAT
from wfm.io.tables import HANDLING_STATES, KPI_COLUMNS, LIVE_CHANNELS, NEUTRAL, OFFLINE

PERIODS = ("interval", "day", "week", "month")
#: The queue name of the rows that add every queue up.
ALL_QUEUES = "all"

#: What each service-level formula divides the contacts answered within the threshold by.
SERVICE_LEVEL_FORMULAS = {
    "offered": "(answered + abandoned)",
    "offered_less_short_abandons": "(answered + abandoned - abandoned within {short:g} s)",
    "answered": "answered",
}


def service_level_formula_text(settings: KpiSettings) -> str:
    """The service-level formula in words, as every report names it."""
    denominator = SERVICE_LEVEL_FORMULAS[settings.service_level_formula].format(
        short=settings.short_abandon_seconds or 0)
    return (f"service level = answered within the queue's answer_seconds / {denominator} "
            f"(kpi.service_level_formula: {settings.service_level_formula})")


def service_level_formula_name(settings: KpiSettings) -> str:
    """The formula's short name for every row of the CSV: ``offered``, ``answered`` or
    ``offered_less_short_abandons 5 s``."""
    if settings.service_level_formula == "offered_less_short_abandons":
        return f"offered_less_short_abandons {settings.short_abandon_seconds:g} s"
    return settings.service_level_formula


@dataclass
class KpiReport:
    """The indicators (`KPI_COLUMNS`), how they were measured and what could not be."""

    table: pd.DataFrame
    by: str
    formula: str
    first: date | None
    last: date | None
    notes: list[str] = field(default_factory=list)


# --- periods -----------------------------------------------------------------------------


def _period_starts(stamps: pd.Series, by: str) -> pd.Series:
    """The start of each timestamp's period: the interval itself (tz-aware, so the repeated
    hour of a fall-back night stays two intervals), else the local midnight of the day,
    the Monday or the first of the month (naive)."""
    if by == "interval":
        return stamps
    day = stamps.dt.tz_localize(None).dt.normalize()
    if by == "day":
        return day
    if by == "week":
        return day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    return day - pd.to_timedelta(day.dt.day - 1, unit="D")


def _period_labels(starts: pd.Series, by: str) -> tuple[pd.Series, pd.Series]:
    """``(period, period_start)`` as text: ``2026-11-23T09:00:00`` / ``2026-11-23`` /
    ``2026-W48`` / ``2026-11``, and the first instant or day of the period."""
    codes, uniques = pd.factorize(starts)
    if len(uniques) < len(starts):  # each queue repeats the periods: format them once
        period, first = _period_labels(pd.Series(uniques), by)
        return (pd.Series(period.to_numpy()[codes], index=starts.index),
                pd.Series(first.to_numpy()[codes], index=starts.index))
    if by == "interval":
        text = starts.dt.tz_localize(None).dt.strftime(TIMESTAMP_FORMAT)
        return text, text
    first = starts.dt.strftime("%Y-%m-%d")
    if by == "day":
        return first, first
    if by == "week":
        iso = starts.dt.isocalendar()
        return iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2), first
    return starts.dt.strftime("%Y-%m"), first


def _local_midnight(day: date, zone: str) -> pd.Timestamp:
    return pd.Timestamp(day).tz_localize(zone, nonexistent="shift_forward", ambiguous=False)


def _period_edges(cfg: CenterConfig, first: date, last: date, by: str) -> pd.DatetimeIndex:
    """The boundaries of every period from ``first`` to ``last`` (local dates, both in),
    tz-aware, ascending; the last edge is the end of the last period."""
    zone = cfg.center.timezone
    if by == "interval":
        start = _local_midnight(first, zone).tz_convert("UTC")
        end = _local_midnight(last + timedelta(days=1), zone).tz_convert("UTC")
        return pd.date_range(start, end, freq=pd.Timedelta(minutes=cfg.center.interval_minutes)
                             ).tz_convert(zone).as_unit("ns")
    if by == "day":
        days = [first + timedelta(days=d) for d in range((last - first).days + 2)]
    elif by == "week":
        monday = first - timedelta(days=first.weekday())
        days = [monday + timedelta(weeks=w)
                for w in range((last - monday).days // 7 + 2)]
    else:
        days = [first.replace(day=1)]
        while days[-1] <= last:
            month = days[-1]
            days.append(date(month.year + month.month // 12, month.month % 12 + 1, 1))
    return pd.DatetimeIndex([_local_midnight(d, zone) for d in days]).as_unit("ns")


# --- the history -------------------------------------------------------------------------


def _measures(history: pd.DataFrame, cfg: CenterConfig) -> tuple[pd.DataFrame, list[str]]:
    """Per history row the parts every figure is made of (NaN where unknown), and notes on
    what the history cannot give."""
    notes: list[str] = []
    columns = set(history.columns)
    offered = history["offered"].astype(float)
    handled = history["handled"] if "handled" in columns else None
    abandoned = history["abandoned"] if "abandoned" in columns else None
    if handled is not None:
        answered = handled.astype(float)
        lost = abandoned.astype(float) if abandoned is not None else offered - answered
    elif abandoned is not None:
        lost = abandoned.astype(float)
        answered = offered - lost
    else:
        answered = lost = pd.Series(np.nan, index=history.index)
        notes.append("answered, abandoned and abandonment rate: the history has neither "
                     "handled nor abandoned; AHT is weighted by offered contacts")
    parts = pd.DataFrame({"queue": history["queue"], "offered": offered, "answered": answered,
                          "abandoned": lost})
    weight = answered if handled is not None or abandoned is not None else offered
    aht = history["aht_seconds"].astype(float)
    # nothing handled: no handle time is needed (the history leaves it empty there)
    parts["handle_seconds"] = np.where(weight == 0, 0.0, aht * weight)
    parts["handle_weight"] = weight
    for column, base, name in (("asa_seconds", answered, "asa_work"),
                               ("wait_seconds", offered, "wait_work")):
        if column in columns:
            parts[name] = np.where(base == 0, 0.0, history[column].astype(float) * base)
        else:
            parts[name] = np.nan
    for column in ("answered_within", "short_abandoned"):
        parts[column] = history[column].astype(float) if column in columns else np.nan
    live = {q.id for q in cfg.queues if q.channel in LIVE_CHANNELS}
    parts["live"] = history["queue"].isin(live)
    if "answered_within" not in columns:
        notes.append("service level: the history has no answered_within column")
    elif (cfg.kpi.service_level_formula == "offered_less_short_abandons"
          and "short_abandoned" not in columns):
        notes.append("service level: the formula excludes short abandons and the history "
                     "has no short_abandoned column")
    if "asa_seconds" not in columns:
        notes.append("ASA: the history has no asa_seconds column (mean wait of the answered)")
    if "wait_seconds" not in columns:
        notes.append("mean wait: the history has no wait_seconds column")
    if any(q.channel not in LIVE_CHANNELS for q in cfg.queues):
        notes.append("service level: not measured for email and outbound queues (no "
                     "answer_seconds threshold)")
    return parts, notes


#: (figure, numerator, denominator) of every ratio the report computes.
_RATIOS = (("abandonment_rate", "abandoned", "offered"),
           ("aht_seconds", "handle_seconds", "handle_weight"),
           ("service_level", "answered_within", "sl_denominator"),
           ("asa_seconds", "asa_work", "answered"),
           ("mean_wait_seconds", "wait_work", "offered"))
_COUNTS = ("offered", "answered", "abandoned", "answered_within", "short_abandoned")
_SUMMED = ("offered", "answered", "abandoned", "answered_within", "short_abandoned",
           "handle_seconds", "handle_weight", "asa_work", "wait_work")


def _sum_known(parts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sums per group; NaN where any row of the group lacks the value."""
    grouped = parts.groupby(keys, sort=True)
    sums = grouped[list(_SUMMED)].sum()
    complete = grouped[list(_SUMMED)].count().eq(grouped.size(), axis=0)
    return sums.where(complete)


def _with_ratios(table: pd.DataFrame, settings: KpiSettings, live: pd.Series) -> pd.DataFrame:
    """``table`` (summed parts) with the service-level denominator and every ratio."""
    formula = settings.service_level_formula
    if formula == "answered":
        denominator = table["answered"]
    else:
        denominator = table["answered"] + table["abandoned"]
        if formula == "offered_less_short_abandons":
            denominator = denominator - table["short_abandoned"]
    table["sl_denominator"] = denominator.where(live)
    for name, numerator, base in _RATIOS:
        table[name] = (table[numerator] / table[base]).where(table[base] > 0)
    return table


def _all_queues(per_queue: pd.DataFrame) -> pd.DataFrame:
    """The ``all`` rows: counts where every queue has them, ratios over the queues whose
    row has the ratio."""
    rows = {}
    grouped = per_queue.groupby("key", sort=True)
    for name in _COUNTS:
        sums = grouped[name].sum()
        rows[name] = sums.where(grouped[name].count().eq(grouped.size()))
    for name, numerator, base in _RATIOS:
        known = per_queue[name].notna()
        top = per_queue[numerator].where(known).groupby(per_queue["key"]).sum(min_count=1)
        bottom = per_queue[base].where(known).groupby(per_queue["key"]).sum(min_count=1)
        rows[name] = (top / bottom).where(bottom > 0)
    out = pd.DataFrame(rows)
    out.index.name = "key"
    return out.reset_index().assign(queue=ALL_QUEUES)


def history_indicators(history: pd.DataFrame, cfg: CenterConfig, by: str
                       ) -> tuple[pd.DataFrame, list[str]]:
    """Per queue (and ``all``) and period: the counts and ratios of the history, keyed by
    ``key`` (the period start, see `_period_starts`); and notes on what is missing."""
    parts, notes = _measures(history, cfg)
    parts["key"] = _period_starts(history["interval_start"].dt.as_unit("ns"), by)
    table = _sum_known(parts, ["queue", "key"])
    live = parts.groupby(["queue", "key"], sort=True)["live"].first()
    table = _with_ratios(table, cfg.kpi, live).reset_index()
    order = {q.id: i for i, q in enumerate(cfg.queues)}
    table = table.sort_values(["key", "queue"], key=lambda s: s.map(order) if s.name == "queue"
                              else s, kind="stable")
    every = _all_queues(table)
    return pd.concat([table, every], ignore_index=True), notes


# --- agent time ----------------------------------------------------------------------------


def time_in_periods(starts: np.ndarray, ends: np.ndarray, codes: np.ndarray, codes_count: int,
                    edges: np.ndarray) -> np.ndarray:
    """Seconds of each code in each period: a (periods, codes) array.

    ``starts``/``ends`` are int64 nanoseconds of the records, ``codes`` their category
    (0..codes_count-1), ``edges`` the ascending period boundaries (ns). A record is split
    where it crosses a boundary; time outside the edges is left out.
    """
    periods = len(edges) - 1
    out = np.zeros((max(periods, 0), codes_count))
    if periods <= 0 or not len(starts):
        return out
    s = np.maximum(starts, edges[0])
    e = np.minimum(ends, edges[-1])
    keep = e > s
    s, e, codes = s[keep], e[keep], codes[keep]
    first = np.searchsorted(edges, s, side="right") - 1
    last = np.searchsorted(edges, e, side="left") - 1
    pieces = last - first + 1
    record = np.repeat(np.arange(len(s)), pieces)
    period = np.repeat(first, pieces) + (np.arange(pieces.sum()) - np.repeat(
        np.cumsum(pieces) - pieces, pieces))
    piece_start = np.maximum(s[record], edges[period])
    piece_end = np.minimum(e[record], edges[period + 1])
    seconds = (piece_end - piece_start) / 1e9
    flat = np.bincount(period * codes_count + codes[record], weights=seconds,
                       minlength=periods * codes_count)
    return flat.reshape(periods, codes_count)


def _ns(values: pd.Series) -> np.ndarray:
    """Tz-aware timestamps as int64 nanoseconds since the epoch (UTC)."""
    return pd.DatetimeIndex(values).as_unit("ns").asi8


def agent_time(states: pd.DataFrame, shifts: pd.DataFrame | None, cfg: CenterConfig,
               first: date, last: date, by: str) -> tuple[pd.DataFrame, list[str]]:
    """Per period (``key`` as in `_period_starts`): handling, available, logged-in and paid
    hours, occupancy and utilisation, from state logs (`parse_agent_states`) and shifts
    (``date``, ``paid_minutes``); notes on what cannot be measured."""
    notes: list[str] = []
    edges = _period_edges(cfg, first, last, by)
    categories = sorted(set(states["category"]))
    code = {c: i for i, c in enumerate(categories)}
    seconds = time_in_periods(_ns(states["start"]), _ns(states["end"]),
                              states["category"].map(code).to_numpy(dtype=np.int64),
                              len(categories), edges.asi8)
    column = {c: seconds[:, i] for c, i in code.items()}
    zero = np.zeros(len(edges) - 1)
    handling = sum((column.get(c, zero) for c in HANDLING_STATES), zero)
    available = column.get("available", zero)
    # lunch is unpaid time off the phones: like the paid time, logged-in time leaves it out
    logged_in = sum((column[c] for c in categories if c not in (OFFLINE, NEUTRAL, "lunch")),
                    zero)
    keys = pd.Series(edges[:-1]) if by == "interval" else pd.Series(
        edges[:-1].tz_localize(None))
    table = pd.DataFrame({"key": keys, "handling_hours": handling / 3600.0,
                          "available_hours": available / 3600.0,
                          "logged_in_hours": logged_in / 3600.0})
    ready = handling + available
    table["occupancy"] = np.where(ready > 0, handling / np.where(ready > 0, ready, 1.0), np.nan)
    table["paid_hours"] = np.nan
    if shifts is None:
        notes.append("utilisation: no schedule given (the paid time comes from its shifts)")
    elif by == "interval":
        notes.append("utilisation: not measured per interval (paid time is known per shift)")
    else:
        days = pd.Series(pd.to_datetime([pd.Timestamp(d) for d in shifts["date"]]))
        inside = ((days.dt.date >= first) & (days.dt.date <= last)).to_numpy()
        paid = pd.Series(shifts["paid_minutes"].to_numpy(dtype=float)[inside] / 60.0)
        starts = _period_starts(days[inside].dt.tz_localize(cfg.center.timezone), by)
        by_period = paid.groupby(starts.to_numpy()).sum()
        table["paid_hours"] = table["key"].map(by_period).fillna(0.0).to_numpy()
    paid_hours = table["paid_hours"].to_numpy(dtype=float)
    table["utilisation"] = np.where(paid_hours > 0, table["logged_in_hours"].to_numpy()
                                    / np.where(paid_hours > 0, paid_hours, 1.0), np.nan)
    active = (ready > 0) | (logged_in > 0) | (np.nan_to_num(paid_hours) > 0)
    return table[active].reset_index(drop=True), notes


# --- the report ----------------------------------------------------------------------------


def kpi_report(cfg: CenterConfig, history: pd.DataFrame | None, by: str = "day",
               first: date | None = None, last: date | None = None,
               states: pd.DataFrame | None = None,
               shifts: pd.DataFrame | None = None) -> KpiReport:
    """The indicators per queue and period from ``first`` to ``last`` (local dates, both
    in; default: what the inputs cover).

    ``history`` is the history contract (`wfm.io.inputs.parse_history`), ``states`` agent
    state logs (`parse_agent_states`), ``shifts`` the schedule's shifts (for paid time).
    Returns `KPI_COLUMNS` rows sorted by period, then queue in config order, ``all`` last.
    """
    if by not in PERIODS:
        raise ValueError(f"by must be one of {', '.join(PERIODS)}")
    zone = cfg.center.timezone
    covered: list[date] = []
    if history is not None and len(history):
        dates = history["interval_start"].dt.date
        covered += [dates.min(), dates.max()]
    if states is not None and len(states):
        covered += [states["start"].min().tz_convert(zone).date(),
                    states["end"].max().tz_convert(zone).date()]
    first = first if first is not None else (min(covered) if covered else None)
    last = last if last is not None else (max(covered) if covered else None)
    formula = service_level_formula_text(cfg.kpi)
    notes: list[str] = []
    frames = []
    if history is not None and first is not None and last is not None:
        dates = history["interval_start"].dt.date
        part = history[(dates >= first) & (dates <= last)]
        if len(part):
            table, found = history_indicators(part.reset_index(drop=True), cfg, by)
            frames.append(table)
            notes += found
        else:
            notes.append(f"volume, handle time and service level: the history has no rows "
                         f"from {first} to {last}")
    if history is None:
        notes.append("volume, handle time and service level: no history given")
    if states is None:
        notes.append("occupancy and utilisation: no agent state logs given")
    elif first is not None and last is not None:
        time, found = agent_time(states, shifts, cfg, first, last, by)
        notes += found
        if len(time):
            frames.append(time.assign(queue=ALL_QUEUES))
    if not frames:
        return KpiReport(pd.DataFrame(columns=list(KPI_COLUMNS)), by, formula, first, last,
                         notes)
    table = _merge_all_rows(frames)
    period, period_start = _period_labels(table["key"], by)
    table["period"], table["period_start"] = period, period_start
    table["service_level_formula"] = service_level_formula_name(cfg.kpi)
    return KpiReport(table.reindex(columns=list(KPI_COLUMNS)).reset_index(drop=True), by,
                     formula, first, last, notes)


def _merge_all_rows(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The history rows and the agent-time rows, one ``all`` row per period, sorted."""
    table = frames[0]
    if len(frames) > 1:
        history_all = table[table["queue"] == ALL_QUEUES].drop(columns="queue")
        merged = history_all.merge(frames[1].drop(columns="queue"), on="key", how="outer")
        table = pd.concat([table[table["queue"] != ALL_QUEUES], merged.assign(queue=ALL_QUEUES)],
                          ignore_index=True)
    table = table.assign(_last=(table["queue"] == ALL_QUEUES).astype(int),
                         _order=np.arange(len(table)))
    table = table.sort_values(["key", "_last", "_order"], kind="stable")
    return table.drop(columns=["_last", "_order"])


#: Rows `summary_lines` prints at most (the last ones).
PRINTED_ROWS = 60


def _cell(value: object, pattern: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    return pattern.format(value)


def summary_lines(report: KpiReport) -> list[str]:
    """The formula, the notes and the last `PRINTED_ROWS` rows, as printed."""
    lines = [report.formula]
    lines += [f"note: {note}" for note in report.notes]
    table = report.table
    if len(table) > PRINTED_ROWS:
        lines.append(f"(the first {len(table) - PRINTED_ROWS} of {len(table)} rows are in "
                     "--out and --xlsx)")
    lines.append(f"{'queue':<14}{'period':<21}{'offered':>9}{'abandon':>9}{'AHT s':>8}"
                 f"{'SL':>8}{'ASA s':>8}{'occup.':>8}{'utilis.':>8}")
    for row in table.tail(PRINTED_ROWS).itertuples(index=False):
        lines.append(
            f"{row.queue:<14}{row.period:<21}{_cell(row.offered, '{:.0f}'):>9}"
            f"{_cell(row.abandonment_rate, '{:.1%}'):>9}{_cell(row.aht_seconds, '{:.0f}'):>8}"
            f"{_cell(row.service_level, '{:.1%}'):>8}{_cell(row.asa_seconds, '{:.1f}'):>8}"
            f"{_cell(row.occupancy, '{:.1%}'):>8}{_cell(row.utilisation, '{:.1%}'):>8}")
    return lines
