"""Off-phone sessions placed on a finished plan: shifts, breaks and queues already fixed.

`place_on_plan` takes a plan (per person and option, the activity of every interval) and
puts each session where taking its people off their queues costs least: at a start the
session may take (`activities.SessionModel.starts`), with every attendee who must come and
one host on shift there, clear of the shift's ends (``shift_edge_minutes``), and at work
or on duty for the whole session (never on a break or in another session); a plain
agent's break that lies in the way moves to another offset of its slot, clear of the
session and spaced from the breaks beside it (`moved_breaks`). The cost of a
person is the coverage their queue loses per interval (``under_coverage`` with its growth
where the queue is short, less ``over_coverage`` where it is over); on duty it is nothing.
Group sessions go first (most attendees first), then one-to-one sessions; a session is
left out when no start holds it, or when its cost is above ``objective.activity_missed``
per attendee, and reported with that reason.

Nothing here touches a shift, nor the breaks of leaders and campaign leaders, so the hard
rules the plan keeps still hold: the leader on duty too (a person in a session is on duty,
not on a break; the rule counts other agents on shift, breaks or not), the break spacing
(a moved break keeps its slot's offsets and spacing) and the leaders' queue share
(sessions only take queue time away). Unpaid activities would change paid
minutes against weekly minimums: with those, the day-by-day model places the sessions
(`activities.place_sessions`).
"""

from __future__ import annotations

from math import ceil

import numpy as np

from wfm.io.tables import DUTY
from wfm.schedule.activities import Placement, SessionModel, session_models, unplaced_entry
from wfm.schedule.coverage import shortfall_cost
from wfm.schedule.extract import WORK, PlacedSession, plan_proficiency, scheduled_counts
from wfm.schedule.instance import Instance, ShiftOption
from wfm.schedule.leaders import teams_of

#: Why a session is left out when some start holds it but costs more than missing it.
TOO_COSTLY = ("not placed: at every start its people are free, taking them off their queues "
              "costs more than objective.activity_missed ({missed:g} per attendee)")
#: Why a session is left out when its people are never on shift together for it.
NOT_TOGETHER = ("not placed: at no start in its window are {need} of its attendees{host} on "
                "shift together, clear of their shifts' ends (with the shifts chosen)")
#: Why a session is left out when they are, but never free together.
NO_START = ("not placed: wherever {need} of its attendees{host} are on shift together for it, "
            "breaks that cannot move (leaders' and campaign leaders') or other sessions "
            "leave them no common time")


def placeable(inst: Instance) -> bool:
    """True when every configured activity is paid (its minutes change no paid hours)."""
    return all(a.paid for a in inst.cfg.activities)


def place_on_plan(inst: Instance, shifts: dict[str, list[int]],
                  plan: dict[tuple[str, int], list[tuple[str, int]]]) -> Placement:
    """The plan with its sessions placed where they cost least (see the module), changed
    in place; every session the instance calls for is placed or listed with its reason."""
    models, unplaced = session_models(inst)
    weights = inst.cfg.objective
    scheduled = np.zeros((len(inst.queue_ids), inst.n_intervals))
    for (q, i), n in scheduled_counts(inst, plan).items():
        if i < inst.n_intervals:
            scheduled[q, i] = n
    required = inst.required.astype(float)
    shift_of: dict[str, list[int]] = {p: list(keys) for p, keys in shifts.items()}
    placed: list[PlacedSession] = []
    step = inst.cfg.center.interval_minutes
    spacing = ceil(inst.cfg.labor_rules.min_break_spacing_minutes / step)
    movable = _movable(inst)

    def _set(row: list[tuple[str, int]], j: int, entry: tuple[str, int], first: int) -> None:
        """A cell of a row changed, the queue counts with it."""
        i = first + j
        old, old_q = row[j]
        if old == WORK and old_q >= 0 and i < inst.n_intervals:
            scheduled[old_q, i] -= 1
        if entry[0] == WORK and entry[1] >= 0 and i < inst.n_intervals:
            scheduled[entry[1], i] += 1
        row[j] = entry

    def loss(q: int, i: int) -> float:
        """What one agent fewer on queue ``q`` at interval ``i`` costs."""
        have, need = scheduled[q, i], required[q, i]
        if have > need:
            return -weights.over_coverage
        short = int(need - have)
        return (shortfall_cost(short + 1, weights.under_coverage, weights.under_coverage_growth)
                - shortfall_cost(short, weights.under_coverage, weights.under_coverage_growth))

    def gain(q: int, i: int) -> float:
        """What one agent more on queue ``q`` at interval ``i`` saves."""
        have, need = scheduled[q, i], required[q, i]
        if have >= need:
            return -weights.over_coverage
        short = int(need - have)
        return (shortfall_cost(short, weights.under_coverage, weights.under_coverage_growth)
                - shortfall_cost(short - 1, weights.under_coverage,
                                 weights.under_coverage_growth))

    def cost(person: str, t: int, sm: SessionModel) -> tuple[float, int, dict] | None:
        """The cost of ``person`` in a session from ``t``, the option holding it and the
        cells of its row a break moved out of the way changes; None when they cannot be
        there."""
        for k in shift_of.get(person, ()):
            o = inst.options[k]
            if not (o.first_interval + sm.edge <= t
                    and t + sm.length <= o.first_interval + o.n_intervals - sm.edge):
                continue
            row = plan[person, k]
            rel = t - o.first_interval
            queues = inst.classes[inst.groups[inst.group_of_agent[person]].class_index].queues
            if _free(row, rel, sm.length):
                changes: dict[int, tuple[str, int]] | None = {}
            elif person in movable and queues:
                changes = moved_breaks(o, row, rel, sm.length, spacing)
            else:
                changes = None
            if changes is None:
                return None
            total = 0.0
            for j, (activity, q) in list(changes.items()):
                i = o.first_interval + j
                old, old_q = row[j]
                if old == WORK and old_q >= 0:  # now a break
                    total += loss(old_q, i)
                if activity == WORK:  # a break's old cell: on the queue that gains most
                    best = max(queues, key=lambda q, i=i: gain(q, i))
                    changes[j] = (WORK, best)
                    total -= gain(best, i)
            for i in range(t, t + sm.length):
                activity, q = changes.get(i - o.first_interval, row[i - o.first_interval])
                if activity == WORK and q >= 0:
                    total += loss(q, i)
            return total, k, changes
        return None

    def on_shift(person: str, t: int, sm: SessionModel) -> bool:
        return any(inst.options[k].first_interval + sm.edge <= t
                   and t + sm.length <= inst.options[k].first_interval
                   + inst.options[k].n_intervals - sm.edge for k in shift_of.get(person, ()))

    order = sorted(models, key=lambda sm: (-len(sm.session.attendees), sm.session.id))
    for sm in order:
        s = sm.session
        pick: tuple[float, int, list[tuple[str, int]]] | None = None
        together = False
        for t in sm.starts:
            together = together or (
                sum(on_shift(a, t, sm) for a in s.attendees) >= s.need
                and (sm.activity.host == "none"
                     or any(on_shift(h, t, sm) for h in s.hosts if h not in s.attendees)))
            free = []
            for a in s.attendees:
                found = cost(a, t, sm)
                if found is not None:
                    free.append((found[0], a, found[1], found[2]))
            if len(free) < s.need:
                continue
            free.sort(key=lambda entry: (entry[0], entry[1]))
            taking = free if s.need == len(s.attendees) else free[:s.need]
            people = [(a, k, changes) for _, a, k, changes in taking]
            value = sum(c for c, _, _, _ in taking)
            if sm.activity.host != "none":
                hosts = sorted(((found[0], h, found[1], found[2]) for h in s.hosts
                                if h not in s.attendees
                                and (found := cost(h, t, sm)) is not None),
                               key=lambda entry: (entry[0], entry[1]))
                if not hosts:
                    continue
                value += hosts[0][0]
                people.append((hosts[0][1], hosts[0][2], hosts[0][3]))
            if pick is None or value < pick[0]:
                pick = (value, t, people)
        if pick is None:
            host = "" if sm.activity.host == "none" else " and one who may run it"
            why = NO_START if together else NOT_TOGETHER
            unplaced.append(unplaced_entry(s, why.format(need=s.need, host=host)))
            continue
        value, t, people = pick
        if value > weights.activity_missed * s.need:
            unplaced.append(unplaced_entry(s, TOO_COSTLY.format(missed=weights.activity_missed)))
            continue
        for person, k, changes in people:
            first = inst.options[k].first_interval
            row = plan[person, k]
            for j, entry in sorted(changes.items()):
                _set(row, j, entry, first)
            for i in range(t, t + sm.length):
                _set(row, i - first, (sm.activity.id, -1), first)
        placed.append(PlacedSession(s.id, sm.activity.id, t, sm.length,
                                    tuple(p for p, _, _ in people)))
    return Placement(plan, placed, unplaced, plan_proficiency(inst, plan))


def _free(row: list[tuple[str, int]], start: int, length: int) -> bool:
    """True when every cell of ``row[start:start + length]`` is at work or on duty."""
    return all(activity in (WORK, DUTY) for activity, _ in row[start:start + length])


def _movable(inst: Instance) -> set[str]:
    """The people whose breaks a session may move: agents the leader rule counts only as
    on shift (neither leaders nor campaign leaders, whose breaks take them off duty)."""
    watching: set[str] = set()
    if inst.cfg.leadership is not None:
        teams = teams_of(inst)
        watching = {p for part in (teams.leaders, teams.campaign) for ids in part.values()
                    for p in ids}
    return {a.agent_id for a in inst.agents
            if a.role == "agent" and a.agent_id not in watching}


def moved_breaks(o: ShiftOption, row: list[tuple[str, int]], start: int, length: int,
                 spacing: int) -> dict[int, tuple[str, int]] | None:
    """Cells of ``row`` (an option's, from its start) that change when the breaks lying on
    ``[start, start + length)`` move to other offsets of their slot, each clear of the
    session and of the row's other breaks and sessions, ``spacing`` intervals from the
    breaks beside it: ``(WORK, -1)`` where a break was (its queue chosen by the caller),
    the break's own entry where it goes. None when some break cannot move so, or the row
    holds something else there."""
    runs = _break_runs(row, o)
    if runs is None:
        return None
    span = range(start, start + length)
    placed = [b for b, _ in runs]
    changes: dict[int, tuple[str, int]] = {}
    for j, (b, slot) in enumerate(zip(placed, o.breaks, strict=True)):
        if b + slot.duration <= start or start + length <= b:
            continue
        old = set(range(b, b + slot.duration))
        pick = None
        for offset in sorted(slot.offsets, key=lambda x: abs(x - b)):
            cells = range(offset, offset + slot.duration)
            if any(c in span for c in cells) or offset + slot.duration > o.n_intervals:
                continue
            if any(c not in old and row[c][0] not in (WORK, DUTY) for c in cells):
                continue
            if j > 0 and placed[j - 1] + o.breaks[j - 1].duration + spacing > offset:
                continue
            if j + 1 < len(placed) and offset + slot.duration + spacing > placed[j + 1]:
                continue
            pick = offset
            break
        if pick is None:
            return None
        placed[j] = pick
        for c in old:
            changes[c] = (WORK, -1)
        for c in range(pick, pick + slot.duration):
            changes[c] = (slot.activity, -1)
    for i in span:  # the session's cells must be free once the breaks are gone
        activity = changes.get(i, row[i])[0]
        if activity not in (WORK, DUTY):
            return None
    return changes


def _break_runs(row: list[tuple[str, int]], o: ShiftOption) -> list[tuple[int, int]] | None:
    """The first cell and length of each break of a row, in the option's slot order; None
    when they do not match its slots one to one."""
    names = {slot.activity for slot in o.breaks}
    runs: list[tuple[int, int]] = []
    j = 0
    while j < len(row):
        if row[j][0] in names:
            end = j
            while end + 1 < len(row) and row[end + 1][0] == row[j][0] \
                    and end + 1 - j < o.breaks[min(len(runs), len(o.breaks) - 1)].duration:
                end += 1
            runs.append((j, end - j + 1))
            j = end + 1
        else:
            j += 1
    if len(runs) != len(o.breaks) or any(
            n != slot.duration or row[b][0] != slot.activity
            for (b, n), slot in zip(runs, o.breaks, strict=True)):
        return None
    return runs
