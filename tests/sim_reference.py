"""A deliberately simple, slow reference simulation on SimPy, to check `wfm.verify.simulate`.

It reads the same tables (config, roster, schedule activities and shifts, forecast) and
implements the same rules from their description, with none of the engine's code or data
structures: every contact and every agent's day is a SimPy process, routing scans every
agent, abandonment is a timeout per waiting contact. Rules: Poisson arrivals uniform in
each interval; exponential handle times and patience; live contacts waiting at the close
of the open period abandon; skill routing (idle qualified agent with the fewest queues,
then fewest chats in hand, then longest idle; a freed agent takes the longest-waiting
contact of its queues, live before deferred); chats up to the concurrency; breaks after
the contact in hand, lasting their full length; absence from the shrinkage (whole shifts
with probability ``share * lowest rate``, then intervals). Used by a slow test and by
``bench/simulate.py demo`` only.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import simpy

from wfm.calendar import interval_grid
from wfm.config import CenterConfig
from wfm.roster import Agent


class _Center:
    """One replication's state."""

    def __init__(self, env: simpy.Environment, cfg: CenterConfig, agents: list[Agent]) -> None:
        self.env = env
        self.queues = cfg.queues
        self.agents = []
        for person in agents:
            served = [j for j, q in enumerate(cfg.queues) if person.serves(q)]
            chat_cap = max([cfg.queues[j].concurrency for j in served
                            if cfg.queues[j].channel == "chat"], default=0)
            self.agents.append({"id": person.agent_id, "queues": served, "on": False,
                                "voice": False, "chats": 0, "cap": chat_cap,
                                "since": 0.0, "drained": None})
        self.waiting: list[list[dict]] = [[] for _ in cfg.queues]
        self.done: list[dict] = []

    def live(self, j: int) -> bool:
        return self.queues[j].channel in ("voice", "chat")

    def can_take(self, agent: dict, j: int) -> bool:
        if not agent["on"] or agent["voice"] or j not in agent["queues"]:
            return False
        if self.queues[j].channel == "chat":
            return agent["chats"] < self.queues[j].concurrency
        return agent["chats"] == 0

    def arrive(self, contact: dict) -> None:
        j = contact["queue"]
        able = [a for a in self.agents if self.can_take(a, j)]
        if able:
            best = min(able, key=lambda a: (len(a["queues"]), a["chats"], a["since"]))
            self.start(best, contact)
            return
        self.waiting[j].append(contact)
        if math.isfinite(contact["deadline"]):
            self.env.process(self.give_up(contact))

    def give_up(self, contact: dict):
        yield self.env.timeout(max(0.0, contact["deadline"] - self.env.now))
        if contact.get("answered") is None and contact.get("abandoned") is None:
            line = self.waiting[contact["queue"]]
            line.pop(next(i for i, c in enumerate(line) if c is contact))
            contact["abandoned"] = self.env.now

    def start(self, agent: dict, contact: dict) -> None:
        contact["answered"] = self.env.now
        if self.queues[contact["queue"]].channel == "chat":
            agent["chats"] += 1
        else:
            agent["voice"] = True
        self.env.process(self.serve(agent, contact))

    def serve(self, agent: dict, contact: dict):
        yield self.env.timeout(contact["handle"])
        contact["ended"] = self.env.now
        self.done.append(contact)
        if self.queues[contact["queue"]].channel == "chat":
            agent["chats"] -= 1
        else:
            agent["voice"] = False
        agent["since"] = self.env.now
        if agent["on"]:
            self.pull(agent)
        elif not agent["voice"] and agent["chats"] == 0 and agent["drained"] is not None:
            agent["drained"].succeed()
            agent["drained"] = None

    def pull(self, agent: dict) -> None:
        for want_live in (True, False):
            while True:
                options = [(self.waiting[j][0]["arrival"], j) for j in agent["queues"]
                           if self.waiting[j] and self.live(j) == want_live
                           and self.can_take(agent, j)]
                if not options:
                    break
                _, j = min(options)
                self.start(agent, self.waiting[j].pop(0))
            if agent["voice"] or agent["chats"]:
                return

    def shift(self, agent: dict, windows: list[tuple[float, float, bool]]):
        delay = 0.0
        for begin, end, carry in windows:
            begin += delay
            yield self.env.timeout(max(0.0, begin - self.env.now))
            if self.env.now < end:
                agent["on"] = True
                agent["since"] = self.env.now
                self.pull(agent)
                yield self.env.timeout(end - self.env.now)
                agent["on"] = False
                if agent["voice"] or agent["chats"]:
                    agent["drained"] = self.env.event()
                    yield agent["drained"]
            off = self.env.now
            delay = max(0.0, off - end) if carry else 0.0


def _windows(cfg: CenterConfig, activities: pd.DataFrame, shifts: pd.DataFrame,
             origin: pd.Timestamp, share: float, rng: np.random.Generator
             ) -> dict[str, list[tuple[float, float, bool]]]:
    """Each agent's windows after absence: (start, end, delay carries to the next)."""
    step = cfg.center.interval_minutes * 60.0
    out: dict[str, list[tuple[float, float, bool]]] = {}
    work = activities[activities["activity"] == "work"]
    for shift in shifts.sort_values(["agent_id", "shift_start"]).itertuples(index=False):
        rows = work[(work["agent_id"] == shift.agent_id) & (work["start"] >= shift.shift_start)
                    & (work["end"] <= shift.shift_end)].sort_values("start")
        pieces = []
        for row in rows.itertuples(index=False):
            s = (row.start - origin).total_seconds()
            e = (row.end - origin).total_seconds()
            k = math.floor(s / step)
            while k * step < e:
                low, high = max(s, k * step), min(e, (k + 1) * step)
                if high > low:
                    wall = (origin + pd.Timedelta(seconds=k * step)).tz_convert(
                        cfg.center.timezone)
                    pieces.append((low, high, cfg.shrinkage.rate(wall.weekday(), wall.hour)))
                k += 1
        if not pieces:
            continue
        day_absent = share * min(rate for _, _, rate in pieces)
        if rng.random() < day_absent:
            continue
        kept = [(lo, hi) for lo, hi, rate in pieces
                if rng.random() >= 1.0 - (1.0 - rate) / (1.0 - day_absent)]
        merged: list[list[float]] = []
        for lo, hi in kept:
            if merged and abs(merged[-1][1] - lo) < 1e-6:
                merged[-1][1] = hi
            else:
                merged.append([lo, hi])
        windows = out.setdefault(shift.agent_id, [])
        windows += [(lo, hi, i < len(merged) - 1) for i, (lo, hi) in enumerate(merged)]
    return out


def simulate_reference(cfg: CenterConfig, agents: list[Agent], activities: pd.DataFrame,
                       shifts: pd.DataFrame, forecast: pd.DataFrame, start: date, days: int,
                       reps: int, seed: int, absence_day_share: float = 0.25
                       ) -> pd.DataFrame:
    """Per replication and queue: offered, within (answered in time, or deferred items
    finished in their window), judged (contacts the service level is over)."""
    zone = cfg.center.timezone
    origin = pd.Timestamp(start).tz_localize(zone)
    step = cfg.center.interval_minutes * 60.0
    grid = interval_grid(cfg.center, start, days).reset_index(drop=True)
    opened = grid["is_open"].to_numpy()
    closes = np.zeros(len(grid))
    end = len(grid) * step
    for k in range(len(grid) - 1, -1, -1):
        if not opened[k]:
            end = k * step
        closes[k] = end
    open_starts = [k * step for k in range(len(grid)) if opened[k]]
    index = {q.id: j for j, q in enumerate(cfg.queues)}
    position = {stamp: k for k, stamp in enumerate(grid["interval_start"])}
    rows = []
    for rep in range(reps):
        rng = np.random.default_rng([seed, rep, 99])
        env = simpy.Environment()
        center = _Center(env, cfg, agents)
        contacts = []
        for row in forecast.itertuples(index=False):
            k = position.get(row.interval_start)
            j = index.get(row.queue)
            queue = cfg.queues[j] if j is not None else None
            if k is None or queue is None or not opened[k] or row.offered <= 0 \
                    or grid["date"].iloc[k] in queue.closed_dates:
                continue
            for _ in range(rng.poisson(row.offered)):
                t = (k + rng.random()) * step
                deferred = queue.channel in ("email", "outbound")
                patience = (rng.exponential(queue.patience_seconds)
                            if queue.patience_seconds and not deferred else math.inf)
                due = math.inf
                if queue.response_hours is not None:
                    # Due at the end of the open interval response_hours after the start
                    # of the arrival interval.
                    last = open_starts.index(k * step) + round(
                        queue.response_hours * 3600.0 / step) - 1
                    if last < len(open_starts):
                        due = open_starts[last] + step
                contacts.append({"arrival": t, "queue": j,
                                 "handle": rng.exponential(row.aht_seconds),
                                 "deadline": math.inf if deferred
                                 else min(t + patience, closes[k]),
                                 "due": due})
        contacts.sort(key=lambda c: c["arrival"])

        def arrivals(env: simpy.Environment = env, center: _Center = center,
                     contacts: list[dict] = contacts):
            for contact in contacts:
                yield env.timeout(contact["arrival"] - env.now)
                center.arrive(contact)

        windows = _windows(cfg, activities, shifts, origin, absence_day_share, rng)
        for agent in center.agents:
            if agent["id"] in windows:
                env.process(center.shift(agent, windows[agent["id"]]))
        env.process(arrivals())
        env.run()
        for j, queue in enumerate(cfg.queues):
            mine = [c for c in contacts if c["queue"] == j]
            if queue.channel in ("voice", "chat"):
                within = sum(1 for c in mine if c.get("answered") is not None
                             and c["answered"] - c["arrival"] <= queue.answer_seconds)
                judged = len(mine)
            else:
                judged = sum(1 for c in mine if math.isfinite(c["due"]))
                within = sum(1 for c in mine if math.isfinite(c["due"])
                             and c.get("ended") is not None and c["ended"] <= c["due"])
            rows.append({"rep": rep, "queue": queue.id, "offered": len(mine),
                         "within": within, "judged": judged})
    return pd.DataFrame(rows)

