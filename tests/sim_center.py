"""Small in-memory centers for the simulation tests: a config, a roster, a schedule folder
(every agent at work on the same hours each day) and a flat forecast."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from wfm.config import CenterConfig, parse_config
from wfm.io.schedule_folder import ScheduleFolder
from wfm.roster import Agent

START = date(2026, 3, 2)  # a Monday
ZONE = "Europe/Madrid"


def center(queues: list[dict], shrinkage: float = 0.0, hours: str = "08:00-20:00"
           ) -> CenterConfig:
    """A center open ``hours`` every day with the given queue mappings."""
    return parse_config({
        "center": {"name": "test", "timezone": ZONE, "interval_minutes": 15,
                   "opening_hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat",
                                                   "sun"), hours)},
        "queues": queues,
        "shrinkage": shrinkage,
        "contracts": [{"id": "full", "min_weekly_hours": 0, "max_weekly_hours": 84,
                       "max_working_days_per_week": 7}],
        "shift_templates": [{"id": "day", "contracts": ["full"], "length_minutes": 720,
                             "earliest_start": "08:00", "latest_start": "08:00"}],
        "labor_rules": {"max_shift_hours": 12, "min_days_off_per_week": 0,
                        "max_consecutive_working_days": 14},
    })


def voice(queue_id: str, skill: str, patience: float | None = None, answer: float = 20,
          channel: str = "voice", **more: object) -> dict:
    """A live queue mapping."""
    out = {"id": queue_id, "channel": channel, "skill": skill, "language": "es",
           "answer_seconds": answer, "service_level_target": 0.8, **more}
    if patience is not None:
        out["patience_seconds"] = patience
    return out


def agent(agent_id: str, skills: dict[str, float]) -> Agent:
    """An agent speaking Spanish with these skills."""
    return Agent(agent_id=agent_id, name=agent_id, team="T", skills=skills,
                 languages=("es",), contract="full")


def folder(agents: list[Agent], days: int, queue: str, begin: str = "08:00",
           end: str = "20:00", breaks: tuple[tuple[str, str], ...] = (),
           first: date = START) -> ScheduleFolder:
    """Every agent works ``begin``-``end`` each day on ``queue``, with the same breaks."""
    shifts, activities = [], []
    for day in range(days):
        today = first + timedelta(days=day)

        def at(clock: str, today: date = today) -> pd.Timestamp:
            return pd.Timestamp(f"{today}T{clock}").tz_localize(ZONE)

        for person in agents:
            shifts.append({"agent_id": person.agent_id, "date": today,
                           "shift_start": at(begin), "shift_end": at(end),
                           "paid_minutes": 0, "template": "day"})
            cursor = at(begin)
            for pause_start, pause_end in breaks:
                activities.append({"agent_id": person.agent_id, "start": cursor,
                                   "end": at(pause_start), "activity": "work", "queue": queue})
                activities.append({"agent_id": person.agent_id, "start": at(pause_start),
                                   "end": at(pause_end), "activity": "break", "queue": ""})
                cursor = at(pause_end)
            activities.append({"agent_id": person.agent_id, "start": cursor, "end": at(end),
                               "activity": "work", "queue": queue})
    return ScheduleFolder(shifts=pd.DataFrame(shifts), activities=pd.DataFrame(activities),
                          start=first, days=days)


def flat_volume(cfg: CenterConfig, days: int, per_interval: dict[str, float],
                aht: dict[str, float], begin: str = "08:00", end: str = "19:00",
                first: date = START) -> pd.DataFrame:
    """The same contacts in every interval from ``begin`` to ``end`` each day, per queue."""
    stamps = []
    for day in range(days):
        today = first + timedelta(days=day)
        stamps += list(pd.date_range(pd.Timestamp(f"{today}T{begin}").tz_localize(ZONE),
                                     pd.Timestamp(f"{today}T{end}").tz_localize(ZONE),
                                     freq="15min", inclusive="left"))
    rows = [{"interval_start": s, "queue": q, "offered": n, "aht_seconds": aht[q]}
            for s in stamps for q, n in per_interval.items()]
    return pd.DataFrame(rows)
