"""Deferred work (email, back office): agents to answer every item within its response time.

The workload is spread so every item is answered within ``response_hours`` of open time
(`wfm.staffing.erlang.deferred_agents`, a fluid model); work arriving while the center is
closed waits for the next open interval. wfm does not yet model the backlog that a
schedule leaves, so no service level or answer time is projected for these queues.
"""

from __future__ import annotations

import numpy as np

from wfm.config import Queue
from wfm.staffing import erlang


def size_deferred(queue: Queue, calls: np.ndarray, aht_seconds: np.ndarray, minutes: int,
                  is_open: np.ndarray) -> np.ndarray:
    """Agents per interval (int64) over the open intervals only (the clock runs when open)."""
    agents = np.zeros(calls.shape, dtype=np.int64)
    open_index = np.flatnonzero(is_open)
    if open_index.size:
        carried = np.zeros(open_index.size)
        slot = np.searchsorted(open_index, np.arange(calls.size), side="left")
        inside = slot < open_index.size
        np.add.at(carried, slot[inside], calls[inside] * aht_seconds[inside])
        # Work arriving near the end of the horizon is finished after it, at the same
        # pace: pad with empty intervals rather than squeeze it into the last ones.
        window = max(1, int(queue.response_hours * 60 // minutes))
        padded = np.concatenate([carried, np.zeros(window)])
        # Workload in seconds, passed as items of one second each.
        agents[open_index] = erlang.deferred_agents(
            padded, 1.0, minutes, queue.response_hours * 60.0, queue.max_occupancy
        )[: open_index.size]
    return agents


def project_deferred(queue: Queue, agents: np.ndarray, calls: np.ndarray,
                     aht_seconds: np.ndarray, minutes: int) -> dict[str, np.ndarray]:
    """Not modelled: service level, ASA and occupancy are NaN for every interval."""
    empty = np.full(calls.shape, np.nan)
    return {"service_level": empty, "asa_seconds": empty.copy(), "occupancy": empty.copy()}
