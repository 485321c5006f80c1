"""Agent state logs of a roster living through a published schedule, seeded and realistic.

Every shift is lived second by second: the agent logs in near the shift start (up to three
minutes early or one late), works the scheduled queue in cycles of available -> on contact
-> after-contact work (handle times from the schedule's coverage, the idle time from the
offered load over the agents scheduled on the queue: the agents scheduled for shrinkage
that does not happen are idle), takes breaks, lunch and sessions as scheduled (a few
seconds off) and
logs out near the end. Some logs out for lunch (no record), the others log the lunch
state. Then the deviations a center sees (`Deviations`): late logins, early logouts,
long breaks, one missed training, meeting or coaching session when the schedule has one,
and one sick day (a whole shift with no record). The same schedule and seed give the
same table.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from wfm.config import CenterConfig
from wfm.errors import BadInput
from wfm.io.files import TIMESTAMP_FORMAT
from wfm.io.tables import (
    AGENT_STATE_COLUMNS,
    AGENT_STATES_FILE,
    BREAK_ACTIVITIES,
    OTHER_ACTIVITIES,
    WORK,
)

_SECOND = pd.Timedelta(seconds=1)


@dataclass(frozen=True)
class Deviations:
    """How often agents stray from the schedule, and by how much (seconds)."""

    late_login_share: float = 0.10
    late_login_seconds: tuple[int, int] = (240, 1200)
    early_logout_share: float = 0.08
    early_logout_seconds: tuple[int, int] = (300, 1800)
    long_break_share: float = 0.12
    long_break_seconds: tuple[int, int] = (240, 900)
    moved_break_share: float = 0.20
    moved_break_seconds: tuple[int, int] = (-600, 900)
    sick_days: int = 1
    missed_sessions: int = 1
    logout_for_lunch_share: float = 0.3


@dataclass
class StateLogSummary:
    """What `agent_state_logs` made: rows, and each deviation (agent, date, minutes)."""

    rows: int
    shifts: int
    agents: int
    late_logins: list[tuple[str, str, float]] = field(default_factory=list)
    early_logouts: list[tuple[str, str, float]] = field(default_factory=list)
    long_breaks: list[tuple[str, str, float]] = field(default_factory=list)
    sick: list[tuple[str, str]] = field(default_factory=list)
    missed: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self, path: Path) -> list[str]:
        """What was written, as printed: the file, then each kind of deviation."""
        def minutes(items: list[tuple[str, str, float]]) -> str:
            return f"{len(items)} ({sum(m for *_, m in items):.0f} minutes)"

        out = [f"{path}: {self.rows} state records, {self.agents} agents, {self.shifts} shifts",
               f"late logins {minutes(self.late_logins)}, early logouts "
               f"{minutes(self.early_logouts)}, long breaks {minutes(self.long_breaks)}"]
        out += [f"sick day: {agent} on {day} (no record)" for agent, day in self.sick]
        out += [f"missed session: {agent} on {day} ({activity})"
                for agent, day, activity in self.missed]
        return out + [f"note: {note}" for note in self.notes]


def state_names(cfg: CenterConfig, needed: set[str]) -> dict[str, str]:
    """The state name the logs use for each needed category: the first the config's
    ``adherence.states`` maps to it. BadInput when a needed category has none."""
    names: dict[str, str] = {}
    for name, category in cfg.adherence.states.items():
        names.setdefault(category, name)
    missing = sorted(needed - set(names))
    if missing:
        raise BadInput(f"adherence.states: no state is mapped to {missing[0]!r}, which the "
                       "sample state logs need")
    return names


def _handle_times(cfg: CenterConfig, coverage: pd.DataFrame | None) -> pd.DataFrame:
    """Per queue and interval: mean seconds of one contact and the planned occupancy."""
    if coverage is None or not len(coverage):
        return pd.DataFrame(columns=["interval_start", "queue", "contact_seconds", "occupancy"])
    concurrency = {q.id: q.concurrency for q in cfg.queues}
    table = coverage[["interval_start", "queue", "offered", "aht_seconds", "scheduled"]].copy()
    per_agent = table["aht_seconds"] / table["queue"].map(concurrency).fillna(1)
    table["contact_seconds"] = per_agent.where(per_agent > 0)
    load = table["offered"] * per_agent / (cfg.center.interval_minutes * 60.0)
    table["occupancy"] = (load / table["scheduled"].where(table["scheduled"] > 0)).clip(0.35,
                                                                                        0.92)
    return table[["interval_start", "queue", "contact_seconds", "occupancy"]]


def _work_states(rng: np.random.Generator, start: int, end: int, contact_seconds: float,
                 occupancy: float, names: dict[str, str]) -> list[tuple[str, int, int]]:
    """Cycles of available, on contact and after-contact work filling [start, end)
    (epoch seconds)."""
    total = end - start
    if total <= 0:
        return []
    cycle = contact_seconds / occupancy
    count = int(total / max(cycle, 30.0)) * 2 + 4
    idle = rng.exponential(max(contact_seconds * (1 - occupancy) / occupancy, 5.0), count)
    talk = rng.gamma(2.0, 0.85 * contact_seconds / 2.0, count)
    wrap = rng.gamma(2.0, 0.15 * contact_seconds / 2.0, count)
    lengths = np.maximum(np.round(np.column_stack([idle, talk, wrap]).ravel()), 1).astype(int)
    edges = np.concatenate([[0], np.cumsum(lengths)])
    inside = int(np.searchsorted(edges, total, side="left"))
    kinds = [names["available"], names["on_contact"], names["after_contact_work"]]
    return [(kinds[k % 3], start + int(edges[k]), start + min(int(edges[k + 1]), total))
            for k in range(inside)]


def _cut_back(states: list[tuple[str, int, int]], at: int) -> list[tuple[str, int, int]]:
    """The states before ``at``, the one running at ``at`` cut there."""
    kept = [(name, start, min(end, at)) for name, start, end in states if start < at]
    return kept


def _pick(rng: np.random.Generator, count: int, share: float) -> np.ndarray:
    return rng.random(count) < share


def _seconds(values: pd.Series) -> np.ndarray:
    """Tz-aware timestamps as int64 seconds since the epoch."""
    return pd.DatetimeIndex(values).as_unit("s").asi8


def agent_state_logs(cfg: CenterConfig, shifts: pd.DataFrame, activities: pd.DataFrame,
                     coverage: pd.DataFrame | None = None, seed: int = 0,
                     deviations: Deviations = Deviations()
                     ) -> tuple[pd.DataFrame, StateLogSummary]:
    """State logs (`AGENT_STATE_COLUMNS`, naive local ISO times to the second, each agent's
    rows in time order) for the shifts and activities of a schedule folder, and what
    deviations they hold. ``coverage`` gives handle times and occupancy (300 s and 80%
    without it)."""
    rng = np.random.default_rng([seed, 19])
    needed = {"available", "on_contact", "after_contact_work"}
    needed |= set(activities["activity"]) - {WORK}
    names = state_names(cfg, needed)
    step = cfg.center.interval_minutes * 60
    times = _handle_times(cfg, coverage)
    handle = dict(zip(zip(times["queue"].astype(str), _seconds(times["interval_start"]).tolist(),
                          strict=True),
                      zip(times["contact_seconds"], times["occupancy"], strict=True),
                      strict=True))
    order = shifts.sort_values(["agent_id", "shift_start"], kind="stable").reset_index(drop=True)
    n = len(order)
    summary = StateLogSummary(rows=0, shifts=n, agents=int(order["agent_id"].nunique()))
    late = _pick(rng, n, deviations.late_login_share)
    early = _pick(rng, n, deviations.early_logout_share)
    sick = set(rng.choice(n, size=min(deviations.sick_days, n), replace=False).tolist()) \
        if n else set()
    acts = activities.sort_values(["agent_id", "start"], kind="stable").reset_index(drop=True)
    sessions = acts["activity"].isin(OTHER_ACTIVITIES).to_numpy().copy()
    for i in sick:  # a session missed by an agent at work, not on the sick day
        sessions &= ~((acts["agent_id"] == order["agent_id"].iloc[i])
                      & (acts["start"] >= order["shift_start"].iloc[i])
                      & (acts["start"] < order["shift_end"].iloc[i])).to_numpy()
    sessions = np.flatnonzero(sessions)
    missed = set(rng.choice(sessions, size=min(deviations.missed_sessions, len(sessions)),
                            replace=False).tolist()) if len(sessions) else set()
    if not len(sessions):
        summary.notes.append("the schedule has no training, meeting or coaching: no session "
                             "to miss")
    act_agent = acts["agent_id"].astype(str).to_numpy()
    act_start, act_end = _seconds(acts["start"]), _seconds(acts["end"])
    act_kind = acts["activity"].astype(str).to_numpy()
    act_queue = acts["queue"].astype(str).to_numpy()
    shift_start, shift_end = _seconds(order["shift_start"]), _seconds(order["shift_end"])
    rows: list[tuple[str, str, int, int]] = []
    for i, (agent, day) in enumerate(zip(order["agent_id"].astype(str),
                                         (pd.Timestamp(d).date().isoformat()
                                          for d in order["date"]), strict=True)):
        if i in sick:
            summary.sick.append((agent, day))
            continue
        first, last = int(shift_start[i]), int(shift_end[i])
        login = first + int(rng.integers(-180, 61))
        if late[i]:
            delay = int(rng.integers(*deviations.late_login_seconds))
            login = first + delay
            summary.late_logins.append((agent, day, delay / 60))
        logout = last + int(rng.integers(-60, 121))
        if early[i]:
            cut = int(rng.integers(*deviations.early_logout_seconds))
            logout = last - cut
            summary.early_logouts.append((agent, day, cut / 60))
        lo = int(np.searchsorted(act_agent, agent, side="left"))
        hi = int(np.searchsorted(act_agent, agent, side="right"))
        inside = [k for k in range(lo, hi) if act_start[k] < last and act_end[k] > first]
        lunch_offline = rng.random() < deviations.logout_for_lunch_share
        states: list[tuple[str, int, int]] = []
        cursor = first
        for k in inside:
            begin, end, activity = max(int(act_start[k]), cursor), int(act_end[k]), act_kind[k]
            if activity == WORK or k in missed:
                if k in missed:
                    summary.missed.append((agent, day, activity))
                slot = int(act_start[k]) - int(act_start[k]) % step
                seconds, occupancy = handle.get((act_queue[k], slot), (300.0, 0.8))
                seconds = seconds if seconds == seconds and seconds > 0 else 300.0
                occupancy = occupancy if occupancy == occupancy and occupancy > 0 else 0.8
                states += _work_states(rng, begin, end, seconds, occupancy, names)
                cursor = max(cursor, end)  # a break may have run past this whole block
                continue
            start = begin + int(rng.integers(0, 61))
            if activity in BREAK_ACTIVITIES and rng.random() < deviations.moved_break_share:
                moved = int(rng.integers(*deviations.moved_break_seconds))
                start = max(begin + moved, first)
                if start < begin:  # taken early: the work before it stops there
                    states = _cut_back(states, start)
                elif start > begin + 60:  # taken late: the agent goes on working
                    states += _work_states(rng, begin, start, 300.0, 0.8, names)
            over = int(rng.integers(0, 61))
            if activity in BREAK_ACTIVITIES and rng.random() < deviations.long_break_share:
                over = int(rng.integers(*deviations.long_break_seconds))
                summary.long_breaks.append((agent, day, over / 60))
            finish = min(start + (end - begin) + over, last)
            if states and start > states[-1][2]:  # the last contact runs into the break
                states[-1] = (states[-1][0], states[-1][1], start)
            if not (activity == "lunch" and lunch_offline):
                states.append((names[activity], start, finish))
            cursor = finish
        if login < first:  # logged in a little early: ready before the shift
            states.insert(0, (names["available"], login, first))
        for name, start, end in states:
            start, end = max(start, login), min(end, logout)
            if end > start:
                rows.append((agent, name, start, end))
    table = _as_file(pd.DataFrame(rows, columns=list(AGENT_STATE_COLUMNS)),
                     cfg.center.timezone)
    summary.rows = len(table)
    return table, summary


def _as_file(table: pd.DataFrame, zone: str) -> pd.DataFrame:
    """Each agent's rows in time order with back-to-back rows of one state joined, times as
    local ISO text (the file convention)."""
    if table.empty:
        return table
    table = table.sort_values(["agent_id", "start"], kind="stable").reset_index(drop=True)
    agent, state = table["agent_id"].to_numpy(), table["state"].to_numpy()
    start, end = table["start"].to_numpy(), table["end"].to_numpy()
    continues = np.zeros(len(table), dtype=bool)
    continues[1:] = (agent[1:] == agent[:-1]) & (state[1:] == state[:-1]) & \
        (start[1:] == end[:-1])
    run = np.cumsum(~continues) - 1
    heads = np.flatnonzero(~continues)
    last_end = np.zeros(len(heads), dtype=np.int64)
    np.maximum.at(last_end, run, end)
    out = table.iloc[heads].reset_index(drop=True)
    out["end"] = last_end
    for column in ("start", "end"):
        local = pd.DatetimeIndex(out[column].to_numpy() * 1_000_000_000, tz="UTC")
        out[column] = local.tz_convert(zone).tz_localize(None).strftime(TIMESTAMP_FORMAT)
    return out


def write_agent_states(cfg: CenterConfig, schedule: Path, out_dir: Path, seed: int = 0,
                       compress: bool = False) -> tuple[Path, StateLogSummary]:
    """Write ``agent_states.csv`` (``.csv.gz`` with ``compress``: a gzip header with no time
    or name, so the same arguments give the same bytes) for a schedule folder; returns the
    file and what it holds."""
    from wfm.io.files import atomic_open
    from wfm.io.schedule_folder import read_schedule

    folder = read_schedule(schedule, cfg)
    table, summary = agent_state_logs(cfg, folder.shifts, folder.activities, folder.coverage,
                                      seed=seed)
    data = table.to_csv(index=False, lineterminator="\n").encode("utf-8")
    path = Path(out_dir) / (AGENT_STATES_FILE + (".gz" if compress else ""))
    with atomic_open(path, "wb") as stream:
        if compress:
            with gzip.GzipFile(filename="", mode="wb", fileobj=stream, mtime=0,
                               compresslevel=9) as packed:
                packed.write(data)
        else:
            stream.write(data)
    return path, summary
