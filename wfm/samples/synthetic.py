"""Seeded synthetic rosters and requirements for benchmarks and tests.

`synthetic_roster` draws agents with primary and secondary skills (with proficiency),
languages, contracts, unavailable days, time windows and preferences;
`synthetic_requirements` draws a double-peaked intraday curve per queue, scaled so the
weekly required agent-hours are a chosen share of what the roster can work;
`with_flow_columns` gives deferred and campaign queues the work behind their curve.
`synthetic_people` puts a roster into teams with their team leaders and campaign leaders;
`without_people` is a config without the leader rule and off-phone activities (the plain
scheduling problem).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from wfm.calendar import interval_grid
from wfm.config import CenterConfig
from wfm.roster import Agent
from wfm.samples.center import week_factors


def synthetic_roster(cfg: CenterConfig, n_agents: int, start: date, days: int, seed: int = 0,
                     cross_skill_share: float = 0.25, unavailable_share: float = 0.3,
                     window_share: float = 0.1, preference_share: float = 0.3,
                     part_time_share: float = 0.3) -> list[Agent]:
    """A roster of ``n_agents`` agents for ``cfg``'s queues and contracts."""
    rng = np.random.default_rng(seed)
    queues = cfg.queues
    contracts = [c.id for c in cfg.contracts]
    agents = []
    for a in range(n_agents):
        primary = queues[int(rng.integers(len(queues)))]
        skills = {primary.skill: 1.0}
        languages = [primary.language]
        if rng.random() < cross_skill_share:
            other = queues[int(rng.integers(len(queues)))]
            skills.setdefault(other.skill, float(rng.choice([0.6, 0.8])))
            if other.language not in languages:
                languages.append(other.language)
        contract = contracts[0]
        if len(contracts) > 1 and rng.random() < part_time_share:
            contract = contracts[1 + int(rng.integers(len(contracts) - 1))]
        unavailable = frozenset()
        if rng.random() < unavailable_share:
            unavailable = frozenset({start + timedelta(days=int(rng.integers(days)))})
        window = None
        if rng.random() < window_share:
            window = (8 * 60, 17 * 60 + 30) if rng.random() < 0.5 else (11 * 60, 21 * 60)
        days_off = frozenset()
        preferred_start = None
        if rng.random() < preference_share:
            days_off = frozenset({int(rng.integers(5))})
            low = int(rng.choice([8, 9, 10, 11, 12])) * 60
            preferred_start = (low, low + 120)
        agents.append(Agent(
            agent_id=f"A{a:05d}", name=f"Agent {a}", team=f"T{a % 10}", skills=skills,
            languages=tuple(languages), contract=contract, unavailable_dates=unavailable,
            available_window=window, preferred_days_off=days_off,
            preferred_start=preferred_start,
        ))
    return agents


def without_people(cfg: CenterConfig) -> CenterConfig:
    """``cfg`` without ``leadership`` and ``activities`` (and the state names of its
    activities): the scheduling problem of agents and queues alone."""
    ids = {a.id for a in cfg.activities}
    states = {name: c for name, c in cfg.adherence.states.items() if c not in ids}
    return cfg.model_copy(update={
        "leadership": None, "activities": [],
        "adherence": cfg.adherence.model_copy(update={"states": states})})


def synthetic_people(agents: list[Agent], team_size: int = 24, agents_per_leader: int = 12,
                     campaign_leaders: int = 2) -> list[Agent]:
    """The agents in teams of ``team_size`` (in roster order), each team with a team leader
    per ``agents_per_leader`` agents or part of them (on the contract most of the team has,
    skilled like its first agent on it) and ``campaign_leaders`` of its agents on that
    contract who also lead it; the leaders come after the agents, ids ``L00001``..."""
    people: list[Agent] = []
    leaders: list[Agent] = []
    for first in range(0, len(agents), team_size):
        team = f"T{first // team_size:03d}"
        members = agents[first:first + team_size]
        contracts = [a.contract for a in members]
        contract = max(dict.fromkeys(contracts), key=contracts.count)
        main = [a for a in members if a.contract == contract]
        campaign = {a.agent_id for a in main[:campaign_leaders]}
        people += [a.model_copy(update={"team": team,
                                        "leads": (team,) if a.agent_id in campaign else ()})
                   for a in members]
        # at least one per agents_per_leader: a lone leader's breaks leave at most
        # supervisor_from_agents - 1 of its agents on shift, which a full team cannot keep
        for _ in range(-(-len(members) // agents_per_leader)):
            number = len(leaders) + 1
            leaders.append(Agent(
                agent_id=f"L{number:05d}", name=f"Leader {number}", team=team,
                skills=dict(main[0].skills), languages=main[0].languages, contract=contract,
                role="team_leader"))
    return people + leaders


def intraday_shape(minute_of_day: np.ndarray) -> np.ndarray:
    """A contact-center day: a morning peak near 10:30 and an afternoon one near 16:00."""
    hours = minute_of_day / 60.0
    return (0.25 + np.exp(-((hours - 10.5) / 1.6) ** 2)
            + 0.8 * np.exp(-((hours - 16.0) / 2.0) ** 2))


def synthetic_requirements(cfg: CenterConfig, agents: list[Agent], start: date, days: int,
                           seed: int = 0, load: float = 0.85) -> pd.DataFrame:
    """Required agents per queue and interval for a roster.

    Each queue's weekly agent-hours are ``load`` times the hours its primary agents can
    work (a mid-point of their contract hours), the center's weekend quieter than its
    working days; returns ``interval_start, queue, required``.
    """
    rng = np.random.default_rng(seed + 1)
    grid = interval_grid(cfg.center, start, days)
    grid = grid[grid["is_open"]].reset_index(drop=True)
    step_hours = cfg.center.interval_minutes / 60
    weekday_factor = week_factors(cfg.center, (1.15, 1.0, 1.0, 0.95, 1.0, 0.3, 0.3))
    weekday = pd.to_datetime(grid["date"]).dt.day_of_week.to_numpy()
    shape = intraday_shape(grid["minute_of_day"].to_numpy()) * weekday_factor[weekday]
    rows = []
    for queue in cfg.queues:
        hours = 0.0
        for agent in agents:
            served = [q for q in cfg.queues if agent.serves(q)]
            if not served:
                continue
            contract = cfg.contract(agent.contract)
            week_hours = (contract.min_weekly_hours + contract.max_weekly_hours) / 2
            share = (1.0 if agent.proficiency(queue) == max(agent.proficiency(q) for q in served)
                     else 0.0)
            best = sum(1 for q in served if agent.proficiency(q) == agent.proficiency(queue))
            hours += share / max(1, best) * week_hours * days / 7
        if hours == 0 or len(grid) == 0:
            continue
        noise = rng.normal(1.0, 0.08, len(grid))
        curve = shape * noise
        curve = curve / (curve.sum() * step_hours) * hours * load
        required = np.maximum(np.round(curve), 1 if queue.min_agents else 0).astype(int)
        rows.append(pd.DataFrame({"interval_start": grid["interval_start"],
                                  "queue": queue.id, "required": required}))
    return pd.concat(rows, ignore_index=True)


#: Handle time of a synthetic deferred item (seconds).
SYNTHETIC_ITEM_SECONDS = 300.0


def with_flow_columns(cfg: CenterConfig, requirements: pd.DataFrame) -> pd.DataFrame:
    """Synthetic requirements with the columns that make deferred and campaign queues
    backlog flows in the schedule (`wfm.schedule.flows`): each row's required agents turned
    into the work they stand for, net of shrinkage at the queue's ``max_occupancy``.

    Deferred queues get ``offered`` items of `SYNTHETIC_ITEM_SECONDS`; a campaign's queue
    ``attempts`` and ``contacts`` at the campaign's default contact rate and its agent time
    per contact (talk, after-call work, the non-contacts' attempts, previews), so the
    campaign's plan asks for the same agent-hours as the curve. Other rows are unchanged;
    ``shrinkage`` is added for every row.
    """
    from wfm.staffing.requirements import shrinkage_rates

    out = requirements.copy()
    out["shrinkage"] = shrinkage_rates(out["interval_start"], cfg)
    for column in ("offered", "aht_seconds", "attempts", "contacts", "abandoned"):
        out[column] = np.nan
    seconds = cfg.center.interval_minutes * 60.0
    for queue in cfg.queues:
        rows = out["queue"] == queue.id
        work = (out.loc[rows, "required"].to_numpy(dtype=float) * seconds
                * queue.max_occupancy * (1.0 - out.loc[rows, "shrinkage"].to_numpy()))
        campaign = cfg.campaign_for(queue.id)
        if queue.deferred:
            out.loc[rows, "offered"] = work / SYNTHETIC_ITEM_SECONDS
            out.loc[rows, "aht_seconds"] = SYNTHETIC_ITEM_SECONDS
        elif campaign is not None:
            rate = campaign.contact_rate.default
            per_contact = (campaign.aht_seconds + campaign.acw_seconds
                           + (1.0 / rate - 1.0) * campaign.attempt_seconds
                           + campaign.preview / rate)
            contacts = work / per_contact
            out.loc[rows, "contacts"] = contacts
            out.loc[rows, "offered"] = contacts
            out.loc[rows, "attempts"] = contacts / rate
            out.loc[rows, "abandoned"] = 0.0
            out.loc[rows, "aht_seconds"] = campaign.aht_seconds + campaign.acw_seconds
            out.loc[rows, "agents_needed"] = np.ceil(
                contacts * per_contact / (seconds * queue.max_occupancy) - 1e-9)
    return out
