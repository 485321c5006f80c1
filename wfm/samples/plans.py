"""A plain published-looking schedule for a roster, drawn without solving (seeded).

For the benchmarks and tests of what is measured against a schedule (adherence, sample
state logs): every agent works five days of seven, 8.5-hour shifts starting on the half
hour between 08:00 and 12:30, with two 15-minute breaks and a 30-minute lunch, on the
first queue the agent serves; one agent in ten has a 30-minute coaching session in one of
their shifts. Not a schedule the solver would publish: coverage is not considered.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from wfm.config import CenterConfig
from wfm.roster import Agent

#: (activity, minutes after the shift start, minutes) of the breaks in every shift.
BREAKS = (("break", 120, 15), ("lunch", 240, 30), ("break", 390, 15))
SHIFT_MINUTES = 510
PAID_MINUTES = 480
COACHING = ("coaching", 180, 30)


def sample_schedule(cfg: CenterConfig, agents: list[Agent], start: date, days: int,
                    seed: int = 0, coaching_share: float = 0.1
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(shifts, activities)`` in the schedule folder's columns, tz-aware local times."""
    rng = np.random.default_rng([seed, 7])
    zone = cfg.center.timezone
    shifts, activities = [], []
    for agent in agents:
        queue = next((q.id for q in cfg.queues if agent.serves(q)), cfg.queues[0].id)
        off = int(rng.integers(7))  # two days off together
        working = [d for d in range(days) if (d - off) % 7 not in (0, 1)]
        coached = working[int(rng.integers(len(working)))] if working and \
            rng.random() < coaching_share else None
        for offset in working:
            day = start + timedelta(days=offset)
            begin = pd.Timestamp(day).tz_localize(zone) + pd.Timedelta(
                minutes=480 + 30 * int(rng.integers(10)))
            end = begin + pd.Timedelta(minutes=SHIFT_MINUTES)
            shifts.append({"agent_id": agent.agent_id, "date": day, "shift_start": begin,
                           "shift_end": end, "paid_minutes": PAID_MINUTES, "template": "ft_8h"})
            parts = sorted(BREAKS + ((COACHING,) if offset == coached else ()),
                           key=lambda part: part[1])
            cursor = begin
            for activity, after, minutes in parts:
                at = begin + pd.Timedelta(minutes=after)
                activities.append({"agent_id": agent.agent_id, "start": cursor, "end": at,
                                   "activity": "work", "queue": queue})
                cursor = at + pd.Timedelta(minutes=minutes)
                activities.append({"agent_id": agent.agent_id, "start": at, "end": cursor,
                                   "activity": activity, "queue": ""})
            activities.append({"agent_id": agent.agent_id, "start": cursor, "end": end,
                               "activity": "work", "queue": queue})
    return pd.DataFrame(shifts), pd.DataFrame(activities)
