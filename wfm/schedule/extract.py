"""From counts and per-agent shifts to the schedule tables of `ScheduleResult`.

Break counts of a class and option are split among its agents in sorted order: the i-th
agent takes the i-th smallest offset of every break, which respects the spacing because
the model holds the prefix condition between consecutive breaks (see
`wfm.schedule.coverage`). Queue counts are split among the agents present, keeping each
agent on the queue it served in the interval before when the counts allow.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pandas as pd

from wfm.io.tables import ACTIVITY_COLUMNS, SHIFT_COLUMNS
from wfm.schedule.instance import Instance

WORK = "work"


def assign_activities(inst: Instance, shifts: dict[str, list[int]],
                      break_counts: dict[tuple[int, int, int], dict[int, int]],
                      work_counts: dict[tuple[int, int, int], int],
                      ) -> dict[tuple[str, int], list[tuple[str, int]]]:
    """Per agent and option, the activity of every interval: (``work``/``break``/``lunch``,
    queue index or -1).

    Raises ValueError when the counts do not match the shifts (an internal error).
    """
    by_class_option: dict[tuple[int, int], list[str]] = defaultdict(list)
    for agent_id in sorted(shifts):
        c = inst.groups[inst.group_of_agent[agent_id]].class_index
        for k in shifts[agent_id]:
            by_class_option[c, k].append(agent_id)
    plan: dict[tuple[str, int], list[tuple[str, int]]] = {}
    present: dict[tuple[int, int], list[tuple[str, int]]] = defaultdict(list)
    for (c, k), agent_ids in sorted(by_class_option.items()):
        o = inst.options[k]
        rows = {a: [(WORK, -1)] * o.length_intervals for a in agent_ids}
        for b_index, slot in enumerate(o.breaks):
            counts = break_counts.get((c, k, b_index), {})
            offsets = sorted(b for b, m in counts.items() for _ in range(m))
            if len(offsets) != len(agent_ids):
                raise ValueError(f"break counts of class {c} option {k} do not match its agents")
            for a, b in zip(agent_ids, offsets, strict=True):
                for j in range(b, b + slot.duration):
                    rows[a][j] = (slot.activity, -1)
        for a, row in rows.items():
            plan[a, k] = row
            for j, (activity, _) in enumerate(row):
                if activity == WORK:
                    present[c, o.first_interval + j].append((a, k))
    horizon_end = inst.n_intervals
    last_queue: dict[str, int] = {}
    for (c, i), members in sorted(present.items()):
        cls = inst.classes[c]
        if i >= horizon_end:
            _work_past_horizon(inst, cls.queues, i, members, plan, last_queue)
            continue
        if len(cls.queues) == 1:  # the model keeps no queue counts for one-queue classes
            left = {cls.queues[0]: len(members)}
        else:
            left = {q: work_counts.get((c, i, q), 0) for q in cls.queues}
        if sum(left.values()) != len(members):
            raise ValueError(f"queue counts of class {c} interval {i} do not match its agents")
        waiting = []
        for a, k in members:
            q = last_queue.get(a, -1)
            if left.get(q, 0) > 0:
                left[q] -= 1
                plan[a, k][i - inst.options[k].first_interval] = (WORK, q)
            else:
                waiting.append((a, k))
        for a, k in waiting:
            q = next(q for q in cls.queues if left[q] > 0)
            left[q] -= 1
            plan[a, k][i - inst.options[k].first_interval] = (WORK, q)
            last_queue[a] = q
    return plan


def _work_past_horizon(inst: Instance, queues: tuple[int, ...], interval: int,
                       members: list[tuple[str, int]],
                       plan: dict[tuple[str, int], list[tuple[str, int]]],
                       last_queue: dict[str, int]) -> None:
    """Queues for the part of night shifts after the horizon's end, which the model does not
    count: each agent stays on the queue served before, unless it is closed that day."""
    day = inst.interval_date(interval)
    open_queues = [q for q in queues if day not in inst.cfg.queues[q].closed_dates]
    for a, k in members:
        q = last_queue.get(a, -1)
        if q not in open_queues:
            q = open_queues[0]
        plan[a, k][interval - inst.options[k].first_interval] = (WORK, q)
        last_queue[a] = q


def schedule_tables(inst: Instance, shifts: dict[str, list[int]],
                    plan: dict[tuple[str, int], list[tuple[str, int]]],
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shifts and activities tables (columns of `ScheduleResult`)."""
    step = inst.cfg.center.interval_minutes
    stamps = list(inst.interval_starts)

    def at(i: int) -> pd.Timestamp:
        if i < len(stamps):
            return stamps[i]
        return stamps[-1] + timedelta(minutes=step * (i - len(stamps) + 1))

    shift_rows = []
    activity_rows = []
    for agent_id in sorted(shifts):
        for k in sorted(shifts[agent_id], key=lambda key: inst.options[key].start_minute):
            o = inst.options[k]
            shift_rows.append({
                "agent_id": agent_id, "date": inst.dates[o.day],
                "shift_start": inst.instant(o.start_minute),
                "shift_end": inst.instant(o.end_minute),
                "paid_minutes": int(o.paid_minutes), "template": o.template,
            })
            row = plan[agent_id, k]
            j = 0
            while j < len(row):
                end = j
                while end + 1 < len(row) and row[end + 1] == row[j]:
                    end += 1
                activity, q = row[j]
                activity_rows.append({
                    "agent_id": agent_id,
                    "start": at(o.first_interval + j),
                    "end": at(o.first_interval + end + 1),
                    "activity": activity,
                    "queue": inst.queue_ids[q] if q >= 0 else "",
                })
                j = end + 1
    shifts_table = pd.DataFrame(shift_rows, columns=list(SHIFT_COLUMNS))
    activities_table = pd.DataFrame(activity_rows, columns=list(ACTIVITY_COLUMNS))
    if not shifts_table.empty:
        shifts_table["paid_minutes"] = shifts_table["paid_minutes"].astype(int)
    else:  # no shift at all: the instants keep their zone all the same
        stamp = f"datetime64[ns, {inst.cfg.center.timezone}]"
        shifts_table = shifts_table.astype({"shift_start": stamp, "shift_end": stamp,
                                            "paid_minutes": int})
        activities_table = activities_table.astype({"start": stamp, "end": stamp})
    return shifts_table, activities_table


def scheduled_counts(inst: Instance, plan: dict[tuple[str, int], list[tuple[str, int]]],
                     ) -> dict[tuple[int, int], int]:
    """Agents at work per (queue, interval) in a plan."""
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for (_, k), row in plan.items():
        first = inst.options[k].first_interval
        for j, (activity, q) in enumerate(row):
            if activity == WORK and q >= 0:
                counts[q, first + j] += 1
    return counts
