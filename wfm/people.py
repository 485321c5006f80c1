"""The people around the phones: who leads which team, and the off-phone activity sessions a
horizon calls for.

Pure functions of the config, the roster and the horizon, read the same way by the solver
(`wfm.schedule`) and the independent checker (`wfm.verify`), as the roster itself is:

- a team's *agents* are the roster's ``agent`` rows of that team that do not lead it; its
  *leaders* the team leaders and supervisors whose `Agent.led_teams` name it; its
  *campaign leaders* the agents whose ``leads`` name it;
- `activity_sessions` lists every session the config's ``activities`` ask for. Weekly
  frequencies count the horizon's 7-day blocks from its first date (a last block shorter
  than 7 days gets none); ``once`` is one session over the whole horizon. A
  ``per_agent_week`` session has one attendee; a ``per_team_week`` session gathers a team's
  attendees, and a ``once`` session all of them, of whom ``need`` must be there together.
  ``hosts`` are the people of whom one must be there with them (empty: nobody). Session
  ids are ``<activity>:<first date of the block>:<attendee or team>`` (``once``:
  ``<activity>:<horizon start>``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from math import ceil

from wfm.config import Activity, CenterConfig
from wfm.roster import Agent

#: Days in a block of a weekly frequency.
WEEK_DAYS = 7


def team_agents(agents: list[Agent]) -> dict[str, list[str]]:
    """Team -> ids of its agents (role ``agent``, not leading the team), in roster order."""
    found: dict[str, list[str]] = defaultdict(list)
    for agent in agents:
        if agent.role == "agent" and agent.team not in agent.leads:
            found[agent.team].append(agent.agent_id)
    return dict(found)


def team_leaders(agents: list[Agent]) -> dict[str, list[str]]:
    """Team -> ids of the team leaders and supervisors who lead it."""
    return _led_by(agents, [a for a in agents if a.is_leader])


def campaign_leaders(agents: list[Agent]) -> dict[str, list[str]]:
    """Team -> ids of the agents who lead it (campaign leaders)."""
    return _led_by(agents, [a for a in agents if a.is_campaign_leader])


def _led_by(agents: list[Agent], leading: list[Agent]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for agent in leading:
        for team in agent.led_teams:
            found[team].append(agent.agent_id)
    return dict(found)


@dataclass(frozen=True)
class Session:
    """One session of an off-phone activity the horizon calls for."""

    id: str
    activity: str  # the activity's id (the ``activity`` written in activities.csv)
    dates: tuple[date, ...]  # the horizon dates it may fall on (its block)
    attendees: tuple[str, ...]  # agent ids
    need: int  # attendees who must be there together
    hosts: tuple[str, ...]  # one of them must be there with the attendees; () = nobody
    team: str | None = None  # the team of a per_team_week session

    @property
    def individual(self) -> bool:
        """One attendee (a per_agent_week session)."""
        return len(self.attendees) == 1 and self.team is None


def attendees_of(activity: Activity, agents: list[Agent], start: date) -> list[Agent]:
    """The roster's people matching every attendee selector of an activity, in roster order
    (``hired_within_days`` counts back from the horizon's ``start``)."""
    chosen = activity.attendees
    found = []
    for agent in agents:
        if agent.role not in chosen.roles:
            continue
        if chosen.teams is not None and agent.team not in chosen.teams:
            continue
        if chosen.skills is not None and not set(chosen.skills) & set(agent.skills):
            continue
        if chosen.agents is not None and agent.agent_id not in chosen.agents:
            continue
        if chosen.hired_within_days is not None and (
                agent.hire_date is None
                or agent.hire_date < start - timedelta(days=chosen.hired_within_days)):
            continue
        found.append(agent)
    return found


def host_candidates(activity: Activity, agents: list[Agent], team: str | None,
                    attendees: tuple[str, ...]) -> tuple[str, ...]:
    """Who may run a session: for ``leader`` the leaders of ``team``; for a role everyone
    with it; never one of the session's attendees."""
    if activity.host == "none":
        return ()
    if activity.host == "leader":
        found = [a for a in agents if a.is_leader and team in a.led_teams]
    else:
        found = [a for a in agents if a.role == activity.host]
    return tuple(a.agent_id for a in found if a.agent_id not in attendees)


def activity_blocks(activity: Activity, start: date, days: int) -> list[tuple[date, ...]]:
    """The date blocks an activity's sessions fall in: 7-day blocks for weekly frequencies,
    the whole horizon for ``once``."""
    every = [start + timedelta(days=d) for d in range(days)]
    if activity.frequency == "once":
        return [tuple(every)]
    return [tuple(every[b * WEEK_DAYS:(b + 1) * WEEK_DAYS]) for b in range(days // WEEK_DAYS)]


def activity_sessions(cfg: CenterConfig, agents: list[Agent], start: date,
                      days: int) -> list[Session]:
    """Every session the config's activities call for over the horizon (see the module)."""
    sessions: list[Session] = []
    for activity in cfg.activities:
        people = attendees_of(activity, agents, start)
        if not people:
            continue
        for block in activity_blocks(activity, start, days):
            first = block[0].isoformat()
            if activity.frequency == "per_agent_week":
                for agent in people:
                    attendees = (agent.agent_id,)
                    sessions.append(Session(
                        f"{activity.id}:{first}:{agent.agent_id}", activity.id, block,
                        attendees, 1, host_candidates(activity, agents, agent.team, attendees)))
                continue
            if activity.frequency == "per_team_week":
                by_team: dict[str, list[str]] = defaultdict(list)
                for agent in people:
                    by_team[agent.team].append(agent.agent_id)
                groups = [(team, tuple(ids), f"{activity.id}:{first}:{team}")
                          for team, ids in by_team.items()]
            else:
                groups = [(None, tuple(a.agent_id for a in people), f"{activity.id}:{first}")]
            for team, attendees, session_id in groups:
                need = max(1, ceil(activity.share * len(attendees) - 1e-9))
                sessions.append(Session(
                    session_id, activity.id, block, attendees, need,
                    host_candidates(activity, agents, team, attendees), team))
    return sessions
