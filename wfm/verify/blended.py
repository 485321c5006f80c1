"""The checker's rule for blended agents: inbound first.

``inbound_first``: a ``work`` activity on a campaign's queue (an outbound queue named by
``campaigns[]``) may not touch an interval in which a live queue the agent serves (not
a campaign's, not deferred work: e-mail and back office wait in their backlog) is below
its requirement, as the checker recounts the activities (`scheduled_agents`) against
the ``required`` of the table given (the written coverage, or requirements).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from wfm.config import CenterConfig
from wfm.io.tables import WORK
from wfm.roster import Agent
from wfm.verify.check import INBOUND_FIRST, Violation, _utc_seconds
from wfm.verify.coverage import scheduled_agents


def check_inbound_first(cfg: CenterConfig, agents: Iterable[Agent], activities: pd.DataFrame,
                        required: pd.DataFrame, limit: int = 20) -> list[Violation]:
    """Blended agents on a campaign's queue while a live queue they serve is short (see the
    module); ``required`` has ``interval_start`` (tz-aware), ``queue`` and ``required``.
    At most ``limit`` violations, then a count."""
    campaigns = {c.queue for c in cfg.campaigns}
    if not campaigns or activities.empty or required.empty:
        return []
    work = activities[(activities["activity"].astype(str) == WORK)
                      & activities["queue"].astype(str).isin(campaigns)]
    if work.empty:
        return []
    step = cfg.center.interval_minutes * 60
    counted = scheduled_agents(cfg, activities, required["interval_start"])
    keyed = required[["interval_start", "queue", "required"]].assign(
        _key=_utc_seconds(required["interval_start"]))
    counted = counted.assign(_key=_utc_seconds(counted["interval_start"]))
    merged = keyed.merge(counted[["_key", "queue", "scheduled"]], on=["_key", "queue"],
                         how="left")
    short = merged[merged["required"].to_numpy(dtype=float)
                   > merged["scheduled"].fillna(0.0).to_numpy(dtype=float) + 1e-9]
    short_at: dict[int, set[str]] = {}
    for key, queue in zip(short["_key"], short["queue"].astype(str), strict=True):
        short_at.setdefault(int(key), set()).add(queue)
    roster = {a.agent_id: a for a in agents}
    serves = {a.agent_id: {q.id for q in cfg.queues
                           if a.serves(q) and q.id not in campaigns and not q.deferred}
              for a in roster.values()}
    found: list[Violation] = []
    starts, ends = _utc_seconds(work["start"]), _utc_seconds(work["end"])
    for agent_id, start, end, stamp, queue in zip(
            work["agent_id"].astype(str), starts, ends, work["start"], work["queue"],
            strict=True):
        origin = int(start) - int(start) % step if step else int(start)
        for key in np.arange(origin, int(end), step):
            missing = sorted(serves.get(agent_id, set()) & short_at.get(int(key), set()))
            if missing:
                at = pd.Timestamp(int(key), unit="s", tz="UTC").tz_convert(cfg.center.timezone)
                found.append(Violation(
                    INBOUND_FIRST, agent_id, pd.Timestamp(stamp).date(),
                    f"on outbound queue {queue} at {at:%H:%M} while {', '.join(missing)}, "
                    "which it serves, is below requirement"))
                break
    if len(found) > limit:
        return found[:limit] + [Violation(INBOUND_FIRST, None, None,
                                          f"and {len(found) - limit} more")]
    return found
