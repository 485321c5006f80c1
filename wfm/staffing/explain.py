"""`wfm staff --explain`: one interval's sizing, step by step, in words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wfm.config import WEEKDAYS, CenterConfig
from wfm.errors import BadInput
from wfm.staffing.requirements import project_metrics, requirements_from_forecast


def explain_interval(forecast: pd.DataFrame, cfg: CenterConfig, queue_id: str,
                     interval_start: pd.Timestamp) -> list[tuple[str, str]]:
    """Every input and step from volume and handle time to the agents needed, in words.

    Returns (step, value) pairs an analyst can reproduce by hand.
    """
    queue = cfg.queue(queue_id)
    rows = forecast[forecast["queue"] == queue_id]
    stamp = interval_start if interval_start.tzinfo else interval_start.tz_localize(
        cfg.center.timezone, ambiguous=True)
    match = rows[rows["interval_start"] == stamp]
    if match.empty:
        raise BadInput(f"forecast: no row for queue {queue_id!r} at {interval_start}")
    req = requirements_from_forecast(rows, cfg)
    row = req[req["interval_start"] == stamp].iloc[0]
    minutes = cfg.center.interval_minutes
    calls = float(row["offered"])
    aht = float(match["aht_seconds"].iloc[0]) if calls > 0 else 0.0
    wall = stamp.tz_localize(None)
    shrink = float(row["shrinkage"])
    steps: list[tuple[str, str]] = [
        ("queue", f"{queue.id} ({queue.channel}, skill {queue.skill}, language {queue.language})"),
        ("interval", f"{wall:%Y-%m-%d %H:%M} {WEEKDAYS[wall.day_of_week]}, {minutes} minutes"),
        ("offered contacts", f"{calls:.2f}"),
        ("average handle time", f"{aht:.1f} s"),
    ]
    if queue.concurrency > 1:
        steps.append(("concurrency", f"{queue.concurrency} chats per agent -> effective handle "
                                     f"time {aht / queue.concurrency:.1f} s"))
    effective = aht / queue.concurrency
    traffic = calls * effective / (minutes * 60)
    steps.append(("traffic", f"{calls:.2f} x {effective:.1f} s / {minutes * 60} s = "
                             f"{traffic:.3f} erlangs"))
    if queue.channel == "email":
        steps.append(("method", f"deferred work answered within {queue.response_hours:g} open "
                                f"hours, max occupancy {queue.max_occupancy:.0%}"))
    elif queue.channel == "outbound":
        steps.append(("method", f"workload / max occupancy {queue.max_occupancy:.0%}"))
    else:
        model = "Erlang A" if queue.model == "erlang_a" else "Erlang C"
        targets = [f"service level {queue.service_level_target:.0%} in "
                   f"{queue.answer_seconds:g} s", f"max occupancy {queue.max_occupancy:.0%}"]
        if queue.max_asa_seconds:
            targets.append(f"ASA at most {queue.max_asa_seconds:g} s")
        if queue.model == "erlang_a":
            targets.append(f"patience {queue.patience_seconds:g} s")
        steps.append(("method", f"{model}; targets: " + "; ".join(targets)))
        if calls > 0:
            base = int(row["agents_needed"])
            for n in range(max(base - 2, 1), base + 2):
                m = project_metrics(queue, np.array([n]), np.array([calls]), np.array([aht]),
                                    minutes)
                mark = "  <- minimum meeting every target" if n == base else ""
                steps.append((f"with {n} agents",
                              f"SL {m['service_level'][0]:.1%}, ASA {m['asa_seconds'][0]:.1f} s, "
                              f"occupancy {m['occupancy'][0]:.1%}{mark}"))
    steps.append(("minimum staffed", f"{queue.min_agents} on every open interval"))
    steps.append(("agents needed", f"{int(row['agents_needed'])}"))
    steps.append(("shrinkage", f"{shrink:.0%} ({WEEKDAYS[wall.day_of_week]} {wall.hour:02d}h)"))
    steps.append(("agents with shrinkage",
                  f"ceil({int(row['agents_needed'])} / (1 - {shrink:.2f})) = "
                  f"{int(row['agents_with_shrinkage'])}"))
    return steps


