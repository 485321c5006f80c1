"""A start that keeps the leader rule by construction: leaders' weeks first, then each
team's agents inside the time its leaders can watch.

`split_with_leaders` splits the LP's group counts (or, without them, the requirements
still open) into people in three passes, each person's week the best for the open work
with every rule of their own held (`split.agent_week`):

1. leaders (team leaders and supervisors) and the people who take no contacts: a leader's
   week also gains, per interval, the agents its teams' groups expect to have on shift
   then (the groups' counts shared among their agents) where no leader of the team is on
   shift yet;
2. campaign leaders: an interval of their shift outside every break window of it is
   *watched* by them (they are surely on duty there); their week gains, as a leader's, the
   agents expected where no leader is on shift and no other campaign leader watches yet;
3. the other agents, team by team: an option is kept only where, in every interval of it,
   the team keeps a leader on shift, or stays below ``supervisor_from_agents`` with a
   campaign leader watching (and within ``max_agents_per_leader`` of those on duty), and
   where every break of a leader who alone watches the team still has an offset at which
   the team is watched without them. Options that break this are priced out
   (``FORBIDDEN``); a week that must hold one anyway (its rules leave no other) is kept
   and left to the repair (`leaders.team_schedules`).

Breaks are not placed here: a leader's breaks are placed with everyone's afterwards, so
the rule's rows decide; this construction only keeps a placement possible, which is why
the repair that follows it mostly has nothing to do.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from wfm.roster import Agent
from wfm.schedule.activities import SessionModel, session_models
from wfm.schedule.instance import Group, Instance, ShiftOption
from wfm.schedule.leaders import teams_of
from wfm.schedule.split import OPEN_COUNT_WEIGHT, agent_week, interchangeable

FORBIDDEN = 1e6  # the gain taken off an option that would break the leader rule's caps
WATCH_WEIGHT = 200.0  # per expected agent-interval a leader's option watches (unwatched)
WATCHED_AGAIN = 0.2  # of that weight where another leader of the team is on shift already
SESSION_SHARE = 0.5  # of a session's missed cost per attendee, gained by a week that holds it


@dataclass
class _Watch:
    """Per team and interval: leaders on shift, campaign leaders watching, agents on shift;
    per team the leaders' options (whose breaks must stay placeable)."""

    size: int
    leaders: dict[str, np.ndarray] = field(default_factory=dict)
    campaign: dict[str, np.ndarray] = field(default_factory=dict)
    agents: dict[str, np.ndarray] = field(default_factory=dict)
    leader_options: dict[str, list[ShiftOption]] = field(default_factory=lambda: defaultdict(list))

    def of(self, part: dict[str, np.ndarray], team: str) -> np.ndarray:
        if team not in part:
            part[team] = np.zeros(self.size, dtype=np.int64)
        return part[team]


class _Sessions:
    """The sessions the weeks chosen so far can hold: per session and day, the attendees
    whose week holds it (with a host's week beside theirs when it needs one)."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.models = session_models(inst)[0]
        self.of: dict[str, list[SessionModel]] = defaultdict(list)
        self.hosting: dict[str, list[SessionModel]] = defaultdict(list)
        for sm in self.models:
            for a in sm.session.attendees:
                self.of[a].append(sm)
            if sm.activity.host != "none":
                for h in sm.session.hosts:
                    self.hosting[h].append(sm)
        self.weeks: dict[str, list[int]] = {}
        self.holding: dict[tuple[str, int], int] = defaultdict(int)

    def _holds(self, sm: SessionModel, person: str, k: int, hosted: bool) -> bool:
        o = self.inst.options[k]
        first, last = o.first_interval + sm.edge, o.first_interval + o.n_intervals - sm.edge
        for t in sm.starts:
            if not (first <= t and t + sm.length <= last):
                continue
            if not hosted or sm.activity.host == "none" or any(
                    self._holds_at(sm, h, t) for h in sm.session.hosts):
                return True
        return False

    def _holds_at(self, sm: SessionModel, person: str, t: int) -> bool:
        for k in self.weeks.get(person, ()):
            o = self.inst.options[k]
            if o.first_interval + sm.edge <= t \
                    and t + sm.length <= o.first_interval + o.n_intervals - sm.edge:
                return True
        return False

    def gain(self, person: str, k: int) -> float:
        """What option ``k`` of ``person`` gains for the sessions they attend: a share of
        the missed cost where it holds one not yet held by enough, more on the day most
        of its attendees already hold it; and for the group sessions they may run, where
        it could hold one (their hosts' weeks are chosen first)."""
        value = 0.0
        missed = self.inst.cfg.objective.activity_missed
        day = self.inst.options[k].day
        for sm in self.of.get(person, ()):
            held = [self.holding[sm.session.id, d] for d in range(len(self.inst.dates))]
            if max(held, default=0) >= sm.session.need:
                continue
            if self._holds(sm, person, k, hosted=True):
                value += SESSION_SHARE * missed * (1 + held[day]) / sm.session.need
        for sm in self.hosting.get(person, ()):  # one who may run it, on a day it may be
            if sm.session.need > 1 and self._holds(sm, person, k, hosted=False):
                value += SESSION_SHARE * missed * sm.session.need / len(sm.session.hosts)
        return value

    def take(self, person: str, week: list[int]) -> None:
        self.weeks[person] = list(week)
        for sm in self.of.get(person, ()):
            for k in week:
                if self._holds(sm, person, k, hosted=True):
                    self.holding[sm.session.id, self.inst.options[k].day] += 1


def _span(o: ShiftOption) -> slice:
    """The intervals of a shift the leader rule counts (inside the horizon)."""
    return slice(o.first_interval, o.first_interval + o.n_intervals)


def _break_windows(o: ShiftOption) -> np.ndarray:
    """True at the counted intervals of a shift (from its start) some break may take."""
    inside = np.zeros(o.length_intervals, dtype=bool)
    for slot in o.breaks:
        for b in slot.offsets:
            inside[b:b + slot.duration] = True
    return inside[:o.n_intervals]


def split_with_leaders(inst: Instance, groups: list[Group],
                       counts: dict[tuple[int, int], float], seed: int,
                       ) -> dict[str, list[int]]:
    """Shifts per person from fractional (group, option) counts of ``groups``, the leader
    rule kept by construction where the people's own rules allow (see the module)."""
    lead = inst.cfg.leadership
    assert lead is not None
    teams = teams_of(inst)
    horizon = inst.n_intervals
    watch = _Watch(horizon)
    group_of: dict[str, Group] = {a.agent_id: g for g in groups for a in g.agents}
    remaining = {g.index: {k: float(counts.get((g.index, k), 0.0))
                           for keys in g.options.values() for k in keys} for g in groups}
    expected = _expected_on_shift(inst, groups, counts, teams.agents, horizon)
    team_of = {a: t for t, ids in teams.agents.items() for a in ids}
    led: dict[str, list[str]] = defaultdict(list)
    for t, ids in teams.leaders.items():
        for p in ids:
            led[p].append(t)
    campaign_of: dict[str, list[str]] = defaultdict(list)
    for t, ids in teams.campaign.items():
        for p in ids:
            campaign_of[p].append(t)
    shifts: dict[str, list[int]] = {}
    sessions = _Sessions(inst)

    def open_gain(g: Group, k: int, person: str = "") -> float:
        return (OPEN_COUNT_WEIGHT * max(-1.0, min(1.0, remaining[g.index].get(k, 0.0)))
                + sessions.gain(person, k))

    def take(g: Group, agent_ids: list[str], week: list[int]) -> None:
        for a in agent_ids:
            shifts[a] = list(week)
            sessions.take(a, week)
        for k in week:
            remaining[g.index][k] = remaining[g.index].get(k, 0.0) - len(agent_ids)

    # 1. leaders and those who take no contacts
    first = [a for a in inst.agents if a.agent_id in group_of
             and (a.agent_id in led or not a.takes_contacts)]
    for agent in first:
        g = group_of[agent.agent_id]
        mine = led.get(agent.agent_id, [])

        def leader_gain(k: int, g: Group = g, mine: list[str] = mine,
                        agent: Agent = agent) -> float:
            o = inst.options[k]
            value = open_gain(g, k, agent.agent_id)
            for t in mine:
                want = expected.get(t)
                if want is None:
                    continue
                on = watch.of(watch.leaders, t)[_span(o)]
                share = np.where(on > 0, WATCHED_AGAIN, 1.0)
                value += WATCH_WEIGHT * float((want[_span(o)] * share).sum())
            return value

        week = agent_week(inst, g, agent, seed, leader_gain)
        take(g, [agent.agent_id], week)
        for t in mine:
            for k in week:
                o = inst.options[k]
                watch.of(watch.leaders, t)[_span(o)] += 1
                watch.leader_options[t].append(o)
    # 2. campaign leaders
    for agent in inst.agents:
        if agent.agent_id not in campaign_of or agent.agent_id in shifts \
                or agent.agent_id not in group_of:
            continue
        g = group_of[agent.agent_id]
        mine = campaign_of[agent.agent_id]

        def campaign_gain(k: int, g: Group = g, mine: list[str] = mine,
                          agent: Agent = agent) -> float:
            o = inst.options[k]
            value = open_gain(g, k, agent.agent_id)
            sure = ~_break_windows(o)
            for t in mine:
                want = expected.get(t)
                if want is None:
                    continue
                span = _span(o)
                unwatched = np.where(watch.of(watch.leaders, t)[span] > 0, 0.0, np.where(
                    watch.of(watch.campaign, t)[span] > 0, WATCHED_AGAIN, 1.0))
                value += WATCH_WEIGHT * float((want[span] * unwatched * sure).sum())
            return value

        week = agent_week(inst, g, agent, seed, campaign_gain)
        take(g, [agent.agent_id], week)
        for k in week:
            o = inst.options[k]
            sure = (~_break_windows(o)).astype(np.int64)
            for t in campaign_of[agent.agent_id]:
                watch.of(watch.campaign, t)[_span(o)] += sure
    # 3. the other agents, team by team, interchangeable ones sharing a week
    for g in groups:
        for members in interchangeable(inst, g):
            by_team: dict[str | None, list[Agent]] = defaultdict(list)
            for a in members:
                if a.agent_id not in shifts:
                    by_team[team_of.get(a.agent_id)].append(a)
            for t, waiting in sorted(by_team.items(), key=lambda item: str(item[0])):
                while waiting:
                    week = agent_week(inst, g, waiting[0], seed, lambda k, g=g, t=t, a=waiting[0]: (
                        open_gain(g, k, a.agent_id)
                        - (0.0 if t is None or _fits(inst, watch, t, k, 1) else FORBIDDEN)))
                    fits = min((remaining[g.index].get(k, 0.0) for k in week), default=1.0)
                    n = max(1, min(len(waiting), int(np.floor(fits + 1e-6))))
                    while n > 1 and t is not None and not all(
                            _fits(inst, watch, t, k, n) for k in week):
                        n -= 1
                    take(g, [a.agent_id for a in waiting[:n]], week)
                    if t is not None:
                        for k in week:
                            watch.of(watch.agents, t)[_span(inst.options[k])] += n
                    waiting = waiting[n:]
    return shifts


def _fits(inst: Instance, watch: _Watch, team: str, k: int, n: int) -> bool:
    """True when ``n`` more agents of ``team`` on option ``k`` keep the team watched (see
    the module)."""
    lead = inst.cfg.leadership
    assert lead is not None
    o = inst.options[k]
    span = _span(o)
    agents = watch.of(watch.agents, team)[span] + n
    leaders = watch.of(watch.leaders, team)[span]
    campaign = watch.of(watch.campaign, team)[span]
    below = lead.supervisor_from_agents - 1
    ok = (leaders > 0) | ((campaign > 0) & (agents <= below))
    if lead.max_agents_per_leader is not None:
        ok &= agents <= lead.max_agents_per_leader * (leaders + campaign)
    if not ok.all():
        return False
    # a leader alone on shift must still find an offset for each break
    after = watch.of(watch.agents, team).copy()
    after[span] += n
    on = watch.of(watch.leaders, team)
    cover = watch.of(watch.campaign, team)
    for lo in watch.leader_options[team]:
        if lo.first_interval + lo.n_intervals <= o.first_interval \
                or o.first_interval + o.n_intervals <= lo.first_interval:
            continue
        for slot in lo.breaks:
            placeable = False
            for b in slot.offsets:
                at = slice(lo.first_interval + b, lo.first_interval + b + slot.duration)
                without = (on[at] > 1) | (after[at] == 0) | (
                    (cover[at] > 0) & (after[at] <= below))
                if without.all():
                    placeable = True
                    break
            if not placeable:
                return False
    return True


def _expected_on_shift(inst: Instance, groups: list[Group],
                       counts: dict[tuple[int, int], float], team_agents: dict[str, list[str]],
                       horizon: int) -> dict[str, np.ndarray]:
    """Per team and interval, its agents the groups' counts put on shift (each group's
    counts shared evenly among its agents)."""
    team_of = {a: t for t, ids in team_agents.items() for a in ids}
    found: dict[str, np.ndarray] = {}
    for g in groups:
        share: dict[str, int] = defaultdict(int)
        for a in g.agents:
            if a.agent_id in team_of:
                share[team_of[a.agent_id]] += 1
        if not share:
            continue
        profile = np.zeros(horizon)
        for keys in g.options.values():
            for k in keys:
                c = counts.get((g.index, k), 0.0)
                if c > 0:
                    profile[_span(inst.options[k])] += c
        for t, n in share.items():
            found.setdefault(t, np.zeros(horizon))
            found[t] += profile * n / g.size
    return found
