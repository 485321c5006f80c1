"""The event loop of `wfm.verify.simulate`: one replication of a contact center, compiled.

Everything here works on flat numpy arrays prepared by `wfm.verify.simulate` (times in
seconds from the start of the horizon, in real elapsed time) and is compiled by numba;
`run_replication` is the only entry point. How the center behaves:

- Contacts arrive in time order. A live contact (voice, chat) waits until an agent takes
  it or its deadline passes (its patience, or the close of the open period it arrived
  in): then it has abandoned. Deferred work (email, outbound) never abandons.
- Routing: every queue lists the skill groups that may serve it (agents with the same
  queues and proficiencies form one group) with a preference key, lowest first; every
  group lists its queues with a key, lowest first. An arriving contact goes to an
  available agent of the best-keyed group; among groups of equal key to the agent whose
  level (chats in hand) is lowest, then to the one available longest. An agent who
  becomes free takes, among its queues of the best key with someone waiting, the
  contact that has waited longest: live queues first, deferred work only when no live
  contact waits for it. The keys make the routing (`skills`: a group's key on every
  queue is its number of queues and every queue of an agent has key 0; `priority`: keys
  are minus the proficiency).
- An agent on a voice call or a deferred item holds one contact; a chat agent holds up
  to the chat queue's concurrency of chats and, while holding any, takes only chats.
- Agents work in windows (work activities less absence). At the end of a window an
  agent takes no new contact but finishes those in hand; the pause that follows (a break,
  lunch, activity or absence) then lasts its full scheduled length, so the next window of
  the same shift starts that much later (``window_carry``). A window whose delayed start
  falls after its end is skipped.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Event kinds in the heap (the low two bits of an event code).
_DEPART = 0
_WINDOW_START = 1
_WINDOW_END = 2

# Queue kinds.
VOICE = 0
CHAT = 1
DEFERRED = 2

# Contact status.
WAITING = 0
ANSWERED = 1
ABANDONED = 2


@njit(cache=True)
def _push(heap_time: np.ndarray, heap_code: np.ndarray, size: int, time: float,
          code: int) -> int:
    """Add an event to the binary heap (ordered by time, then code); returns the new size."""
    i = size
    heap_time[i] = time
    heap_code[i] = code
    while i > 0:
        parent = (i - 1) // 2
        if heap_time[parent] < heap_time[i] or (heap_time[parent] == heap_time[i]
                                                and heap_code[parent] <= heap_code[i]):
            break
        heap_time[parent], heap_time[i] = heap_time[i], heap_time[parent]
        heap_code[parent], heap_code[i] = heap_code[i], heap_code[parent]
        i = parent
    return size + 1


@njit(cache=True)
def _pop(heap_time: np.ndarray, heap_code: np.ndarray, size: int) -> int:
    """Remove the first event (read it before calling); returns the new size."""
    size -= 1
    heap_time[0] = heap_time[size]
    heap_code[0] = heap_code[size]
    i = 0
    while True:
        left = 2 * i + 1
        if left >= size:
            break
        child = left
        right = left + 1
        if right < size and (heap_time[right] < heap_time[left] or (
                heap_time[right] == heap_time[left] and heap_code[right] < heap_code[left])):
            child = right
        if heap_time[i] < heap_time[child] or (heap_time[i] == heap_time[child]
                                               and heap_code[i] <= heap_code[child]):
            break
        heap_time[child], heap_time[i] = heap_time[i], heap_time[child]
        heap_code[child], heap_code[i] = heap_code[i], heap_code[child]
        i = child
    return size


@njit(cache=True)
def _unlist(agent: int, list_of: np.ndarray, prev: np.ndarray, nxt: np.ndarray,
            head: np.ndarray, tail: np.ndarray) -> None:
    """Take an agent out of its availability list, if it is in one."""
    which = list_of[agent]
    if which < 0:
        return
    before, after = prev[agent], nxt[agent]
    if before >= 0:
        nxt[before] = after
    else:
        head[which] = after
    if after >= 0:
        prev[after] = before
    else:
        tail[which] = before
    list_of[agent] = -1
    prev[agent] = -1
    nxt[agent] = -1


@njit(cache=True)
def _relist(agent: int, now: float, levels: int, group_of: np.ndarray, on_duty: np.ndarray,
            holding: np.ndarray, chats: np.ndarray, chat_capacity: np.ndarray,
            list_of: np.ndarray, prev: np.ndarray, nxt: np.ndarray, head: np.ndarray,
            tail: np.ndarray, since: np.ndarray) -> None:
    """Put an agent at the tail of the list its state belongs to (none when not available)."""
    _unlist(agent, list_of, prev, nxt, head, tail)
    if on_duty[agent] != 1 or holding[agent] >= 0:
        return
    level = chats[agent]
    if level > 0 and level >= chat_capacity[agent]:
        return
    which = group_of[agent] * levels + level
    last = tail[which]
    prev[agent] = last
    nxt[agent] = -1
    if last >= 0:
        nxt[last] = agent
    else:
        head[which] = agent
    tail[which] = agent
    list_of[agent] = which
    since[agent] = now


@njit(cache=True)
def _first_waiting(queue: int, now: float, queue_head: np.ndarray, queue_start: np.ndarray,
                   queue_arrived: np.ndarray, queue_order: np.ndarray, status: np.ndarray,
                   deadline: np.ndarray, abandoned_at: np.ndarray) -> int:
    """The longest-waiting contact of a queue at ``now``, or -1; contacts whose deadline has
    passed are marked abandoned on the way."""
    position = queue_head[queue]
    end = queue_start[queue] + queue_arrived[queue]
    while position < end:
        contact = queue_order[position]
        if status[contact] != WAITING:
            position += 1
            continue
        if deadline[contact] <= now:
            status[contact] = ABANDONED
            abandoned_at[contact] = deadline[contact]
            position += 1
            continue
        break
    queue_head[queue] = position
    if position < end:
        return queue_order[position]
    return -1


@njit(cache=True)
def run_replication(
    arrival: np.ndarray, contact_queue: np.ndarray, handle: np.ndarray,
    deadline: np.ndarray, queue_order: np.ndarray, queue_start: np.ndarray,
    queue_kind: np.ndarray, queue_concurrency: np.ndarray,
    queue_groups_start: np.ndarray, queue_groups: np.ndarray, queue_groups_key: np.ndarray,
    group_queues_start: np.ndarray, group_queues: np.ndarray, group_queues_key: np.ndarray,
    group_of: np.ndarray, window_agent_start: np.ndarray, window_start: np.ndarray,
    window_end: np.ndarray, window_carry: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
           np.ndarray]:
    """Simulate one replication; every array is prepared by `wfm.verify.simulate`.

    Contacts (sorted by ``arrival``): queue, handle time, deadline (``inf``: never
    abandons); ``queue_order[queue_start[q]:queue_start[q + 1]]`` are queue q's contacts
    in arrival order. Queues: kind (`VOICE`, `CHAT`, `DEFERRED`), chat concurrency, the
    groups that serve each (sorted by key) and the queues of each group (sorted by key).
    Agents: group; windows ``window_agent_start[a]:window_agent_start[a + 1]``, sorted,
    with start, end and whether a delay carries into the next one.

    Returns per contact: status (`ANSWERED`, `ABANDONED`, or `WAITING` when never taken:
    deferred work left over), answer time, end of handling, answering agent (-1) and
    abandon time (NaN); and per window the time the agent came on duty and went off
    (equal when the window was skipped).
    """
    contacts = arrival.shape[0]
    agents = group_of.shape[0]
    queues = queue_kind.shape[0]
    groups = group_queues_start.shape[0] - 1
    levels = 1
    for q in range(queues):
        if queue_kind[q] == CHAT and queue_concurrency[q] > levels:
            levels = queue_concurrency[q]

    status = np.zeros(contacts, dtype=np.int8)
    answered_at = np.full(contacts, np.nan)
    ended_at = np.full(contacts, np.nan)
    abandoned_at = np.full(contacts, np.nan)
    agent_of = np.full(contacts, -1, dtype=np.int32)
    duty_start = np.full(window_start.shape[0], np.nan)
    duty_end = np.full(window_start.shape[0], np.nan)

    queue_head = queue_start[:-1].copy()
    queue_arrived = np.zeros(queues, dtype=np.int64)

    # Agent state: on_duty 0 off, 1 in a window, 2 window over but finishing contacts.
    on_duty = np.zeros(agents, dtype=np.int8)
    holding = np.full(agents, -1, dtype=np.int64)  # the voice call or deferred item in hand
    chats = np.zeros(agents, dtype=np.int64)
    window_of = window_agent_start[:-1].copy()
    chat_capacity = np.zeros(agents, dtype=np.int64)
    for a in range(agents):
        g = group_of[a]
        for j in range(group_queues_start[g], group_queues_start[g + 1]):
            q = group_queues[j]
            if queue_kind[q] == CHAT and queue_concurrency[q] > chat_capacity[a]:
                chat_capacity[a] = queue_concurrency[q]
    list_of = np.full(agents, -1, dtype=np.int64)
    prev = np.full(agents, -1, dtype=np.int64)
    nxt = np.full(agents, -1, dtype=np.int64)
    since = np.zeros(agents)
    head = np.full(groups * levels, -1, dtype=np.int64)
    tail = np.full(groups * levels, -1, dtype=np.int64)

    capacity = agents * (levels + 2) + 8
    heap_time = np.empty(capacity)
    heap_code = np.empty(capacity, dtype=np.int64)
    size = 0
    for a in range(agents):
        if window_agent_start[a] < window_agent_start[a + 1]:
            k = window_agent_start[a]
            size = _push(heap_time, heap_code, size, window_start[k], a * 4 + _WINDOW_START)

    next_arrival = 0
    while True:
        arrival_time = arrival[next_arrival] if next_arrival < contacts else np.inf
        event_time = heap_time[0] if size > 0 else np.inf
        if arrival_time == np.inf and event_time == np.inf:
            break
        # An agent free at the same instant as an arrival is freed first.
        if arrival_time < event_time:
            now = arrival_time
            contact = next_arrival
            next_arrival += 1
            q = contact_queue[contact]
            queue_arrived[q] += 1
            # The available agent this contact goes to.
            best = -1
            best_key = 0.0
            best_level = 0
            best_since = np.inf
            top_level = queue_concurrency[q] if queue_kind[q] == CHAT else 1
            for j in range(queue_groups_start[q], queue_groups_start[q + 1]):
                key = queue_groups_key[j]
                if best >= 0 and key > best_key:
                    break
                g = queue_groups[j]
                for level in range(top_level):
                    a = head[g * levels + level]
                    if a < 0:
                        continue
                    if best < 0 or key < best_key or (key == best_key and (
                            level < best_level or (level == best_level
                                                   and since[a] < best_since))):
                        best, best_key, best_level, best_since = a, key, level, since[a]
            if best >= 0:
                status[contact] = ANSWERED
                answered_at[contact] = now
                agent_of[contact] = best
                if queue_kind[q] == CHAT:
                    chats[best] += 1
                else:
                    holding[best] = contact
                size = _push(heap_time, heap_code, size, now + handle[contact],
                             contact * 4 + _DEPART)
                _relist(best, now, levels, group_of, on_duty, holding, chats, chat_capacity,
                        list_of, prev, nxt, head, tail, since)
            continue

        now = event_time
        code = heap_code[0]
        size = _pop(heap_time, heap_code, size)
        kind = code & 3
        seek = -1
        if kind == _DEPART:
            contact = code >> 2
            ended_at[contact] = now
            a = agent_of[contact]
            if queue_kind[contact_queue[contact]] == CHAT:
                chats[a] -= 1
            else:
                holding[a] = -1
            if on_duty[a] == 1:
                seek = a
            elif on_duty[a] == 2 and holding[a] < 0 and chats[a] == 0:
                on_duty[a] = 0
                k = window_of[a]
                duty_end[k] = now
                size = _next_window(a, k, now, window_agent_start, window_start, window_end,
                                    window_carry, window_of, heap_time, heap_code, size)
        elif kind == _WINDOW_START:
            a = code >> 2
            k = window_of[a]
            duty_start[k] = now
            if now >= window_end[k]:  # delayed past its end: skipped
                duty_end[k] = now
                size = _next_window(a, k, now, window_agent_start, window_start, window_end,
                                    window_carry, window_of, heap_time, heap_code, size)
            else:
                on_duty[a] = 1
                size = _push(heap_time, heap_code, size, window_end[k], a * 4 + _WINDOW_END)
                seek = a
        else:  # window end
            a = code >> 2
            _unlist(a, list_of, prev, nxt, head, tail)
            if holding[a] >= 0 or chats[a] > 0:
                on_duty[a] = 2
            else:
                on_duty[a] = 0
                k = window_of[a]
                duty_end[k] = now
                size = _next_window(a, k, now, window_agent_start, window_start, window_end,
                                    window_carry, window_of, heap_time, heap_code, size)
        if seek < 0:
            continue

        # Agent `seek` is free for work: live contacts first, then deferred work; a chat
        # agent keeps taking chats up to its capacity.
        a = seek
        g = group_of[a]
        for stage in range(2):  # 0: live queues, 1: deferred work
            if stage == 1 and (chats[a] > 0 or holding[a] >= 0):
                break
            while holding[a] < 0:
                pick = -1
                pick_key = 0.0
                pick_arrival = np.inf
                for j in range(group_queues_start[g], group_queues_start[g + 1]):
                    key = group_queues_key[j]
                    if pick >= 0 and key > pick_key:
                        break
                    q = group_queues[j]
                    if stage == 0 and queue_kind[q] == DEFERRED:
                        continue
                    if stage == 1 and queue_kind[q] != DEFERRED:
                        continue
                    if chats[a] > 0 and (queue_kind[q] != CHAT
                                         or chats[a] >= queue_concurrency[q]):
                        continue
                    first = _first_waiting(q, now, queue_head, queue_start, queue_arrived,
                                           queue_order, status, deadline, abandoned_at)
                    if first >= 0 and (pick < 0 or arrival[first] < pick_arrival):
                        pick, pick_key, pick_arrival = first, key, arrival[first]
                if pick < 0:
                    break
                status[pick] = ANSWERED
                answered_at[pick] = now
                agent_of[pick] = a
                if queue_kind[contact_queue[pick]] == CHAT:
                    chats[a] += 1
                else:
                    holding[a] = pick
                size = _push(heap_time, heap_code, size, now + handle[pick],
                             pick * 4 + _DEPART)
                if chats[a] >= chat_capacity[a]:
                    break
            if chats[a] > 0 or holding[a] >= 0:
                break
        _relist(a, now, levels, group_of, on_duty, holding, chats, chat_capacity, list_of,
                prev, nxt, head, tail, since)

    # Live contacts still waiting when everything is over abandon at their deadline.
    for contact in range(contacts):
        if status[contact] == WAITING and deadline[contact] < np.inf:
            status[contact] = ABANDONED
            abandoned_at[contact] = deadline[contact]
    return status, answered_at, ended_at, agent_of, abandoned_at, duty_start, duty_end


@njit(cache=True)
def _next_window(agent: int, window: int, off_time: float, window_agent_start: np.ndarray,
                 window_start: np.ndarray, window_end: np.ndarray, window_carry: np.ndarray,
                 window_of: np.ndarray, heap_time: np.ndarray, heap_code: np.ndarray,
                 size: int) -> int:
    """Schedule the agent's next window after going off duty at ``off_time``."""
    following = window + 1
    if following >= window_agent_start[agent + 1]:
        return size
    start = window_start[following]
    if window_carry[window] and off_time > window_end[window]:
        start += off_time - window_end[window]
    window_of[agent] = following
    return _push(heap_time, heap_code, size, start, agent * 4 + _WINDOW_START)


@njit(cache=True)
def spread_over_intervals(agent: np.ndarray, start: np.ndarray, end: np.ndarray,
                          weight: np.ndarray, step: float, queue_at: np.ndarray,
                          out: np.ndarray) -> None:
    """Add ``weight`` x the seconds of each span [start, end) of an agent to
    ``out[interval, queue_at[agent, interval]]`` (spans outside the grid are clipped)."""
    intervals = queue_at.shape[1]
    for i in range(start.shape[0]):
        s, e = start[i], end[i]
        if not (e > s):
            continue
        k = int(s // step)
        while k < intervals and k * step < e:
            if k >= 0:
                low = max(s, k * step)
                high = min(e, (k + 1) * step)
                q = queue_at[agent[i], k]
                if q >= 0 and high > low:
                    out[k, q] += (high - low) * weight[i]
            k += 1
