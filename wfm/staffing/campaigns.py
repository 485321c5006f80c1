"""Outbound campaigns: from a calling list and a target to attempts, contacts and agents.

A campaign works a list of ``records``: each record is dialled until a right-party
contact or ``max_attempts`` attempts. With a contact rate ``p`` per attempt a record gives
on average ``(1 - (1 - p) ** a) / p`` attempts and ``1 - (1 - p) ** a`` contacts
(`list_yield`). Agent time per attempt depends on the dialing mode:

- ``preview``: the agent reads the record (``preview_seconds``), dials and waits: every
  attempt costs ``preview_seconds``, a contact ``aht_seconds + acw_seconds`` more, a
  non-contact ``attempt_seconds`` (set-up, ringing, voicemail) more;
- ``progressive``: the same without the preview;
- ``predictive``: the dialer places calls ahead of free agents, so non-contacts cost no
  agent time; a live answer that finds no free agent is abandoned. The agents form a loss
  system (Erlang B: a live answer is abandoned when every agent is busy), so for the
  contacts of an interval the agents are the fewest that keep the abandoned share of
  live answers at or under ``max_abandon_rate`` (3% by default, the usual regulatory safe
  harbour), and that keep the lines dialled per agent at or under ``pacing_ratio``.

Sizing is by workload (no waiting-time target): preview and progressive agents are the
agent-seconds of the interval over its length times the queue's ``max_occupancy``.

The day's contacts come from the target: ``contacts_per_day`` on every calling day, or the
whole list worked through by ``complete_by`` (the list's expected attempts spread evenly
over the calling days up to that date). Attempts are spread evenly over the calling
intervals of a day (calling windows are in the callee's time zone); each interval's
contacts follow its hour's contact rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from wfm.staffing import erlang

#: Columns a campaign adds to its queue's requirement rows.
CAMPAIGN_COLUMNS = ("attempts", "contacts", "abandoned")


def list_yield(records: float, max_attempts: int, contact_rate: float) -> tuple[float, float]:
    """Expected (attempts, contacts) to work ``records`` records at ``max_attempts`` each."""
    if contact_rate <= 0:
        return records * max_attempts, 0.0
    reached = 1.0 - (1.0 - contact_rate) ** max_attempts
    return records * reached / contact_rate, records * reached


def predictive_agents(contacts: float, handle_seconds: float, interval_seconds: float,
                      max_abandon_rate: float, attempts: float = 0.0,
                      attempt_seconds: float = 0.0, pacing_ratio: float = math.inf,
                      max_occupancy: float = 1.0) -> tuple[int, float]:
    """Fewest agents for ``contacts`` connected calls in an interval under predictive dialing.

    Returns ``(agents, abandon_share)``: the agents keep the abandoned share of live
    answers (Erlang B blocking at the live-answer load that serves ``contacts``) at or
    under ``max_abandon_rate``, the occupancy at or under ``max_occupancy``, and the
    concurrent dial attempts (``attempts * attempt_seconds / interval_seconds``, by
    Little's law) at or under ``pacing_ratio`` per agent.
    """
    served = contacts * handle_seconds / interval_seconds  # erlangs actually handled
    if served <= 0:
        return 0, 0.0
    lines = attempts * attempt_seconds / interval_seconds
    agents = max(1, math.ceil(served / max_occupancy - 1e-9),
                 math.ceil(lines / pacing_ratio - 1e-9) if math.isfinite(pacing_ratio) else 1)
    while True:
        if agents > served:
            offered = _offered_for_served(agents, served)
            share = float(erlang.erlang_b(agents, offered))
            if share <= max_abandon_rate + 1e-12:
                return agents, share
        agents += 1


def _offered_for_served(agents: int, served: float) -> float:
    """The live-answer load (erlangs) whose Erlang B throughput on ``agents`` is ``served``."""
    low, high = served, served * 2 + 1.0
    while high * (1 - float(erlang.erlang_b(agents, high))) < served:
        high *= 2
    for _ in range(80):  # throughput grows with the offered load: bisect
        middle = (low + high) / 2
        if middle * (1 - float(erlang.erlang_b(agents, middle))) < served:
            low = middle
        else:
            high = middle
    return high


@dataclass(frozen=True)
class IntervalWork:
    """What one interval of a campaign plans: attempts, contacts, abandoned live answers
    (items) and the agents needed."""

    attempts: float
    contacts: float
    abandoned: float
    agents: int


def interval_work(campaign, contacts: float, contact_rate: float, interval_seconds: float,
                  max_occupancy: float) -> IntervalWork:
    """Attempts and agents for ``contacts`` contacts in an interval at ``contact_rate``."""
    if contacts <= 0:
        return IntervalWork(0.0, 0.0, 0.0, 0)
    handle = campaign.aht_seconds + campaign.acw_seconds
    if campaign.dialing == "predictive":
        # abandoned live answers are answered calls lost, not contacts: dial for both
        attempts_guess = contacts / contact_rate
        agents, share = predictive_agents(
            contacts, handle, interval_seconds, campaign.abandon_cap,
            attempts_guess, campaign.attempt_seconds, campaign.pacing, max_occupancy)
        live = contacts / (1.0 - share)
        return IntervalWork(live / contact_rate, contacts, live - contacts, agents)
    attempts = contacts / contact_rate
    seconds = contacts * handle + (attempts - contacts) * campaign.attempt_seconds
    if campaign.dialing == "preview":
        seconds += attempts * campaign.preview
    agents = math.ceil(seconds / (interval_seconds * max_occupancy) - 1e-9)
    return IntervalWork(attempts, contacts, 0.0, agents)


def _calling_mask(campaign, stamps: pd.Series, center_zone: str) -> tuple[np.ndarray, np.ndarray]:
    """Per interval: True inside the campaign's calling window (callee's clock), and the
    callee's local hour."""
    callee = stamps.dt.tz_convert(campaign.callee_timezone or center_zone)
    wall = callee.dt.tz_localize(None)
    minute = (wall.dt.hour * 60 + wall.dt.minute).to_numpy()
    weekday = wall.dt.day_of_week.to_numpy()
    inside = np.zeros(len(stamps), dtype=bool)
    for day in range(7):
        window = campaign.window_on(day)
        if window is not None:
            inside |= (weekday == day) & (minute >= window[0]) & (minute < window[1])
    return inside, wall.dt.hour.to_numpy()


def campaign_plan(campaign, queue, grid: pd.DataFrame, center_zone: str,
                  interval_minutes: int, start: date, closed: set[date]) -> pd.DataFrame:
    """The campaign's planned work per interval of ``grid`` (the center's interval grid).

    Returns ``interval_start, attempts, contacts, abandoned, agents_needed`` (agents as
    int, the rest in items) for every grid row; zero outside calling windows, on days
    the center or the queue is closed, and after a ``complete_by`` date.
    """
    stamps = grid["interval_start"]
    calling, hours = _calling_mask(campaign, stamps, center_zone)
    days = grid["date"].to_numpy()
    calling &= ~np.isin(days, list(closed | set(queue.closed_dates)))
    if campaign.complete_by is not None:
        calling &= days <= campaign.complete_by
    rates = np.array([campaign.rate_at(int(h)) for h in hours])
    daily = _daily_contacts(campaign, days, calling, rates, start)
    seconds = interval_minutes * 60.0
    rows = {"attempts": np.zeros(len(grid)), "contacts": np.zeros(len(grid)),
            "abandoned": np.zeros(len(grid)), "agents_needed": np.zeros(len(grid), dtype=int)}
    for day, target in daily.items():
        slots = np.flatnonzero((days == day) & calling)
        mean_rate = rates[slots].mean()
        attempts_each = target / mean_rate / slots.size  # even attempts over the day
        for i in slots:
            work = interval_work(campaign, attempts_each * rates[i], rates[i], seconds,
                                 queue.max_occupancy)
            rows["attempts"][i] = work.attempts
            rows["contacts"][i] = work.contacts
            rows["abandoned"][i] = work.abandoned
            rows["agents_needed"][i] = work.agents
    return pd.DataFrame({"interval_start": stamps.to_numpy(), **rows})


def _daily_contacts(campaign, days: np.ndarray, calling: np.ndarray, rates: np.ndarray,
                    start: date) -> dict[date, float]:
    """Contacts to make on each calling day of the horizon."""
    calling_days = sorted({d for d, c in zip(days, calling, strict=True) if c})
    if campaign.contacts_per_day is not None:
        return {d: float(campaign.contacts_per_day) for d in calling_days}
    # the whole list by complete_by: its attempts spread evenly over the calling days
    # left until then (days of the horizon past it are already excluded)
    mean_rate = float(rates[calling].mean()) if calling.any() else 0.0
    attempts, _ = list_yield(campaign.records, campaign.max_attempts, mean_rate)
    until = campaign.complete_by
    remaining = [d for d in calling_days if d <= until]
    later = _calling_days_after(campaign, max(days), until) if max(days) < until else 0
    share = attempts / max(1, len(remaining) + later)
    return {d: share * float(rates[(days == d) & calling].mean()) for d in remaining}


def _calling_days_after(campaign, last: date, until: date) -> int:
    """Calling days after the horizon up to ``until`` (by the weekly windows alone)."""
    count, day = 0, last + timedelta(days=1)
    while day <= until:
        count += campaign.window_on(day.weekday()) is not None
        day += timedelta(days=1)
    return count


@dataclass(frozen=True)
class ListPlan:
    """Working a whole list in a span of calling time: the desk calculator's answer."""

    attempts: float
    contacts: float
    abandoned: float
    agent_hours: float
    agents: int
    abandon_share: float


def list_plan(records: float, max_attempts: int, contact_rate: float, aht_seconds: float,
              attempt_seconds: float, calling_hours: float, acw_seconds: float = 0.0,
              dialing: str = "progressive", preview_seconds: float = 0.0,
              pacing_ratio: float = 3.0, max_abandon_rate: float = 0.03,
              max_occupancy: float = 1.0) -> ListPlan:
    """Attempts, contacts and agents to work ``records`` in ``calling_hours`` of calling.

    The span is taken as steady (one interval of ``calling_hours``); see the module
    docstring for the agent time of each dialing mode.
    """
    attempts, contacts = list_yield(records, max_attempts, contact_rate)
    handle = aht_seconds + acw_seconds
    span = calling_hours * 3600.0
    if dialing == "predictive":
        agents, share = predictive_agents(contacts, handle, span, max_abandon_rate, attempts,
                                          attempt_seconds, pacing_ratio, max_occupancy)
        live = contacts / (1.0 - share)
        return ListPlan(live / contact_rate, contacts, live - contacts,
                        contacts * handle / 3600.0, agents, share)
    seconds = contacts * handle + (attempts - contacts) * attempt_seconds
    if dialing == "preview":
        seconds += attempts * preview_seconds
    agents = math.ceil(seconds / (span * max_occupancy) - 1e-9) if seconds > 0 else 0
    return ListPlan(attempts, contacts, 0.0, seconds / 3600.0, agents, 0.0)


def contact_capacity(campaign, agents: np.ndarray, contact_rate: np.ndarray,
                     interval_seconds: float, max_occupancy: float) -> np.ndarray:
    """Contacts ``agents`` can make per interval (the inverse of `interval_work`).

    Preview and progressive: agent-seconds over the seconds one contact costs with its
    share of non-contacts (and previews). Predictive: the contacts whose live-answer load
    keeps the abandoned share at or under the cap on that many agents (Erlang B), within
    ``max_occupancy`` and the pacing ratio.
    """
    handle = campaign.aht_seconds + campaign.acw_seconds
    out = np.zeros(agents.shape)
    for i, (n, rate) in enumerate(zip(agents, contact_rate, strict=True)):
        if n <= 0 or rate <= 0:
            continue
        if campaign.dialing != "predictive":
            cost = handle + (1.0 / rate - 1.0) * campaign.attempt_seconds
            if campaign.dialing == "preview":
                cost += campaign.preview / rate
            out[i] = n * interval_seconds * max_occupancy / cost
            continue
        out[i] = _predictive_capacity(campaign, int(n), rate, interval_seconds, max_occupancy)
    return out


def _predictive_capacity(campaign, agents: int, rate: float, interval_seconds: float,
                         max_occupancy: float) -> float:
    """The most contacts ``agents`` make in an interval under predictive dialing (bisection
    on `predictive_agents`, which grows with the contacts)."""
    handle = campaign.aht_seconds + campaign.acw_seconds
    low, high = 0.0, agents * interval_seconds / handle
    for _ in range(60):
        middle = (low + high) / 2
        needed, _ = predictive_agents(middle, handle, interval_seconds, campaign.abandon_cap,
                                      middle / rate, campaign.attempt_seconds, campaign.pacing,
                                      max_occupancy)
        low, high = (middle, high) if needed <= agents else (low, middle)
    return low


def campaign_due(campaign, days: np.ndarray, calling: np.ndarray) -> np.ndarray:
    """Due interval of each interval's planned contacts: the last calling interval on or
    before ``complete_by`` (a list with a date), else the last calling interval of the
    same day (a daily target). `wfm.staffing.backlog.NOT_DUE` beyond the horizon."""
    from wfm.staffing.backlog import NOT_DUE

    due = np.full(days.size, NOT_DUE, dtype=np.int64)
    calling_rows = np.flatnonzero(calling)
    if calling_rows.size == 0:
        return due
    if campaign.complete_by is not None:
        inside = calling_rows[days[calling_rows] <= campaign.complete_by]
        if inside.size and max(days) >= campaign.complete_by:
            due[:] = inside[-1]
        return due
    for day in np.unique(days[calling_rows]):
        due[days == day] = calling_rows[days[calling_rows] == day][-1]
    return due


def campaign_days(requirements: pd.DataFrame, cfg) -> pd.DataFrame:
    """Per campaign and local date of a requirements table: attempts, contacts, abandoned
    live answers (items) and agent-hours (agents needed times the interval length)."""
    hours = cfg.center.interval_minutes / 60.0
    rows = []
    for campaign in cfg.campaigns:
        mine = requirements[requirements["queue"] == campaign.queue]
        for day, part in mine.groupby(mine["interval_start"].dt.date, sort=True):
            if part["attempts"].sum() <= 0:
                continue
            rows.append({"campaign": campaign.id, "queue": campaign.queue, "date": day,
                         "attempts": float(part["attempts"].sum()),
                         "contacts": float(part["contacts"].sum()),
                         "abandoned": float(part["abandoned"].sum()),
                         "agent_hours": float(part["agents_needed"].sum()) * hours})
    return pd.DataFrame(rows, columns=["campaign", "queue", "date", "attempts", "contacts",
                                       "abandoned", "agent_hours"])
