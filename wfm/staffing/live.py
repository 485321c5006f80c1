"""Live queues (voice, chat): agents and projected figures from Erlang C or Erlang A.

Voice uses Erlang C, or Erlang A when the queue has a patience; every target in the queue
config holds together (service level, max ASA, max occupancy, max abandonment). A chat
agent works ``concurrency`` chats at once, so each chat occupies an agent for
``aht_seconds / concurrency`` and the queue is sized on that handle time.
"""

from __future__ import annotations

import numpy as np

from wfm.config import Queue
from wfm.staffing import erlang


def effective_aht(queue: Queue, aht_seconds: np.ndarray) -> np.ndarray:
    """Seconds of agent capacity one contact occupies (a chat shares its agent)."""
    return aht_seconds / queue.concurrency


def size_live(queue: Queue, calls: np.ndarray, aht_seconds: np.ndarray,
              minutes: int) -> np.ndarray:
    """Fewest whole agents per interval meeting every target of the queue (int64)."""
    patience = queue.patience_seconds if queue.model == "erlang_a" else None
    return erlang.agents_needed(
        calls, effective_aht(queue, aht_seconds), minutes,
        service_level_target=queue.service_level_target,
        answer_seconds=queue.answer_seconds,
        max_asa_seconds=queue.max_asa_seconds,
        max_occupancy=queue.max_occupancy,
        patience_seconds=patience,
        max_abandon=queue.max_abandon_rate if patience is not None else None,
    )


def project_live(queue: Queue, agents: np.ndarray, calls: np.ndarray,
                 aht_seconds: np.ndarray, minutes: int) -> dict[str, np.ndarray]:
    """Service level and occupancy (fractions) and ASA (seconds) at ``agents`` per interval.

    Intervals without contacts have no service level or ASA (NaN) and occupancy 0.
    """
    out = {
        "service_level": np.full(calls.shape, np.nan),
        "asa_seconds": np.full(calls.shape, np.nan),
        "occupancy": np.zeros(calls.shape),
    }
    busy = calls > 0
    if not busy.any():
        return out
    effective = effective_aht(queue, aht_seconds[busy])
    n = np.maximum(agents[busy], 0.0)
    if queue.model == "erlang_a":
        metrics = erlang.erlang_a_metrics(n, calls[busy], effective, minutes,
                                          queue.patience_seconds, queue.answer_seconds)
    else:
        metrics = erlang.erlang_c_metrics(n, calls[busy], effective, minutes,
                                          queue.answer_seconds)
    out["service_level"][busy] = metrics.service_level
    out["asa_seconds"][busy] = metrics.asa_seconds
    out["occupancy"][busy] = metrics.occupancy
    return out
