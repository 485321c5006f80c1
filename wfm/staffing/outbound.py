"""Outbound work: agents dial at their own pace, so agents = workload / max occupancy.

The workload of an interval is its contacts times their handle time. No service level or
answer time exists for calls the center places; the projected occupancy is the workload
over the agents scheduled.
"""

from __future__ import annotations

import numpy as np

from wfm.config import Queue


def size_outbound(queue: Queue, calls: np.ndarray, aht_seconds: np.ndarray,
                  minutes: int) -> np.ndarray:
    """Agents per interval (int64): ceil(workload in erlangs / max occupancy)."""
    workload = calls * aht_seconds / (minutes * 60.0)
    return np.ceil(workload / queue.max_occupancy - 1e-9).astype(np.int64)


def project_outbound(queue: Queue, agents: np.ndarray, calls: np.ndarray,
                     aht_seconds: np.ndarray, minutes: int) -> dict[str, np.ndarray]:
    """Occupancy = workload / agents (capped at 1; NaN with work and no agent); no service
    level or ASA (NaN)."""
    workload = calls * aht_seconds / (minutes * 60.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        occupancy = np.where(agents > 0, np.minimum(workload / np.maximum(agents, 1e-9), 1.0),
                             np.where(calls > 0, np.nan, 0.0))
    empty = np.full(calls.shape, np.nan)
    return {"service_level": empty, "asa_seconds": empty.copy(), "occupancy": occupancy}
