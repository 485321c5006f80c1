"""The simulation (`wfm.verify.simulate`): validated against Erlang C and A, routing only to
qualified agents, breaks after the contact in hand, chat concurrency, deferred backlog,
absence, and the same figures for the same seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.sim_center import START, agent, center, flat_volume, folder, voice
from wfm.errors import BadInput
from wfm.staffing import erlang
from wfm.verify import simulate as sim
from wfm.verify import simulate_engine as engine
from wfm.verify.simulate_report import mean_and_half_width

DAYS = 5


def _steady(run: sim.SimulationRun, top: str, bottom: str, queues: list[int] | None = None
            ) -> tuple[float, float]:
    """A figure over 09:00-19:00 (after the morning's warm-up, before the close), pooled
    over ``queues``: mean over replications and 95% half-width."""
    hours = run.model.interval_starts.dt.hour.to_numpy()
    rows = (hours >= 9) & (hours < 19)
    cols = slice(None) if queues is None else queues
    num = run.tallies[top][:, rows][:, :, cols].sum(axis=(1, 2))
    den = run.tallies[bottom][:, rows][:, :, cols].sum(axis=(1, 2))
    mean, half = mean_and_half_width(num / den)
    return float(mean), float(half)


def _one_queue(agents: int, traffic: float, aht: float, patience: float | None,
               reps: int = 20) -> sim.SimulationRun:
    cfg = center([voice("q", "s", patience=patience)])
    roster = [agent(f"A{i}", {"s": 1.0}) for i in range(agents)]
    calls = traffic * 900.0 / aht
    volume = flat_volume(cfg, DAYS, {"q": calls}, {"q": aht})
    model = sim.build_model(cfg, roster, folder(roster, DAYS, "q"), volume, START, DAYS)
    return sim.simulate(model, sim.SimulationOptions(reps=reps, seed=1, workers=1))


@pytest.mark.parametrize(("agents", "traffic"), [(6, 4.5), (15, 12.5), (40, 35.0)])
def test_one_dedicated_queue_agrees_with_erlang_c(agents: int, traffic: float) -> None:
    aht = 240.0
    run = _one_queue(agents, traffic, aht, patience=None)
    level, half = _steady(run, "within", "offered")
    asa, asa_half = _steady(run, "wait_seconds", "waits")
    expected = float(erlang.service_level(agents, traffic, aht, 20.0))
    expected_asa = float(erlang.asa_seconds(agents, traffic, aht))
    assert abs(level - expected) <= half, (level, half, expected)
    assert abs(asa - expected_asa) <= asa_half, (asa, asa_half, expected_asa)


@pytest.mark.parametrize(("agents", "traffic", "patience"),
                         [(6, 6.0, 120.0), (15, 14.0, 180.0), (40, 42.0, 300.0)])
def test_one_dedicated_queue_with_patience_agrees_with_erlang_a(
        agents: int, traffic: float, patience: float) -> None:
    aht = 240.0
    run = _one_queue(agents, traffic, aht, patience=patience)
    calls = traffic * 900.0 / aht
    theory = erlang.erlang_a_metrics(agents, calls, aht, 15, patience, 20.0)
    level, half = _steady(run, "within", "offered")
    abandon, abandon_half = _steady(run, "abandoned", "offered")
    wait, wait_half = _steady(run, "wait_seconds", "waits")
    assert abs(level - float(theory.service_level)) <= half
    assert abs(abandon - float(theory.prob_abandon)) <= abandon_half
    assert abs(wait - float(theory.asa_seconds)) <= wait_half
    assert float(theory.prob_abandon) > 0.02  # the loads do make callers hang up


def test_two_queues_pooled_by_cross_skilled_agents_are_one_erlang_c_queue() -> None:
    aht, agents, traffic = 200.0, 20, 17.0
    cfg = center([voice("a", "x"), voice("b", "y")])
    roster = [agent(f"A{i}", {"x": 1.0, "y": 1.0}) for i in range(agents)]
    calls = traffic * 900.0 / aht
    volume = flat_volume(cfg, DAYS, {"a": calls * 0.6, "b": calls * 0.4},
                         {"a": aht, "b": aht})
    model = sim.build_model(cfg, roster, folder(roster, DAYS, "a"), volume, START, DAYS)
    run = sim.simulate(model, sim.SimulationOptions(reps=20, seed=2, workers=1))
    level, half = _steady(run, "within", "offered", [0, 1])
    merged = float(erlang.service_level(agents, traffic, aht, 20.0))
    assert abs(level - merged) <= half, (level, half, merged)
    # Each queue alone with its share of the agents would do far worse.
    apart = float(erlang.service_level(agents * 0.6, traffic * 0.6, aht, 20.0))
    assert level - apart > 3 * half


def _model(cfg, roster, schedule, volume, **options) -> sim.CenterModel:
    return sim.build_model(cfg, roster, schedule, volume, START, schedule.days,
                           sim.SimulationOptions(**options))


def test_an_agent_without_the_skill_never_answers() -> None:
    cfg = center([voice("a", "x"), voice("b", "y")])
    both = [agent(f"B{i}", {"x": 1.0, "y": 1.0}) for i in range(2)]
    only_a = [agent(f"X{i}", {"x": 1.0}) for i in range(6)]
    roster = both + only_a
    # Queue b is swamped while the a-only agents are mostly idle.
    volume = flat_volume(cfg, 2, {"a": 5.0, "b": 30.0}, {"a": 200.0, "b": 200.0})
    model = _model(cfg, roster, folder(roster, 2, "a"), volume)
    draw = sim.draw_replication(model, sim.SimulationOptions(), np.random.default_rng(0))
    trace = sim.run_draw(model, draw)
    answered_b = (draw.queue == 1) & (trace.status == engine.ANSWERED)
    assert answered_b.sum() > 100
    assert set(trace.agent[answered_b]) <= {0, 1}
    answered_a = (draw.queue == 0) & (trace.status == engine.ANSWERED)
    assert set(trace.agent[answered_a]) & set(range(2, 8))
    assert (trace.status[draw.queue == 1] == engine.ABANDONED).sum() > 0  # b waits to close


def _engine(contacts: list[tuple[float, int, float]], windows: list[tuple[float, float, bool]],
            kinds: list[int], concurrency: list[int] | None = None,
            deadline: float = np.inf) -> tuple[np.ndarray, ...]:
    """One agent serving every queue; contacts (arrival, queue, handle), its windows."""
    queues = len(kinds)
    arrival = np.array([c[0] for c in contacts])
    queue = np.array([c[1] for c in contacts], dtype=np.int64)
    handle = np.array([c[2] for c in contacts])
    order = np.argsort(queue, kind="stable").astype(np.int64)
    queue_start = np.concatenate([[0], np.cumsum(np.bincount(queue, minlength=queues))])
    return engine.run_replication(
        arrival, queue, handle, np.full(len(contacts), deadline), order,
        queue_start.astype(np.int64), np.array(kinds, dtype=np.int64),
        np.array(concurrency or [1] * queues, dtype=np.int64),
        np.arange(queues + 1, dtype=np.int64), np.zeros(queues, dtype=np.int64),
        np.zeros(queues), np.array([0, queues], dtype=np.int64),
        np.arange(queues, dtype=np.int64), np.zeros(queues), np.zeros(1, dtype=np.int64),
        np.array([0, len(windows)], dtype=np.int64), np.array([w[0] for w in windows]),
        np.array([w[1] for w in windows]), np.array([w[2] for w in windows], dtype=np.bool_))


def test_a_break_is_taken_only_after_the_contact_in_hand() -> None:
    # Work until 600 s, a break to 900 s, then work to 1800 s. A call answered at 590 s
    # lasts 100 s: the break starts at 690 s and lasts its 300 s, so the agent is back at
    # 990 s and the call waiting since 700 s is answered then.
    status, answered, ended, agent_of, _, on, off = _engine(
        [(590.0, 0, 100.0), (700.0, 0, 50.0)],
        [(0.0, 600.0, True), (900.0, 1800.0, False)], [engine.VOICE])
    assert list(status) == [engine.ANSWERED, engine.ANSWERED]
    assert answered[0] == 590.0 and ended[0] == 690.0
    assert off[0] == 690.0 and on[1] == 990.0
    assert answered[1] == 990.0
    # Nothing is answered between the end of the contact and the end of the break.
    assert not ((answered > 690.0) & (answered < 990.0)).any()


def test_the_end_of_a_shift_waits_for_the_contact_in_hand_and_does_not_carry() -> None:
    status, answered, ended, _, _, on, off = _engine(
        [(590.0, 0, 100.0), (2000.0, 0, 10.0)],
        [(0.0, 600.0, False), (1800.0, 3000.0, False)], [engine.VOICE])
    assert ended[0] == 690.0 and off[0] == 690.0
    assert on[1] == 1800.0  # the next shift starts on time
    assert answered[1] == 2000.0


def test_chats_share_an_agent_up_to_the_concurrency() -> None:
    status, answered, ended, _, _, _, _ = _engine(
        [(0.0, 0, 100.0), (10.0, 0, 100.0), (20.0, 0, 100.0)],
        [(0.0, 1000.0, False)], [engine.CHAT], concurrency=[2])
    assert list(answered) == [0.0, 10.0, 100.0]  # the third waits for a free slot


def test_deferred_work_waits_for_idle_time() -> None:
    # A call at 0 s keeps the agent busy until 60 s; an email waits from 10 s and a call
    # from 50 s: the agent answers the call first, then the email.
    status, answered, _, _, _, _, _ = _engine(
        [(0.0, 0, 60.0), (10.0, 1, 100.0), (50.0, 0, 60.0)],
        [(0.0, 1000.0, False)], [engine.VOICE, engine.DEFERRED])
    assert list(answered) == [0.0, 120.0, 60.0]


def test_routing_skills_prefers_the_specialist_and_priority_the_most_proficient() -> None:
    cfg = center([voice("a", "x"), voice("b", "y")])
    roster = [agent("generalist", {"x": 1.0, "y": 1.0}), agent("specialist", {"x": 0.5})]
    volume = flat_volume(cfg, 1, {"a": 0.2, "b": 0.0}, {"a": 10.0, "b": 10.0})
    model = _model(cfg, roster, folder(roster, 1, "a"), volume)
    draw = sim.draw_replication(model, sim.SimulationOptions(), np.random.default_rng(3))
    assert draw.arrival.size > 0
    skills = sim.run_draw(model, draw, "skills")
    priority = sim.run_draw(model, draw, "priority")
    # Rare short calls: both agents are idle at every arrival.
    assert set(skills.agent) == {1}
    assert set(priority.agent) == {0}


def test_the_same_seed_gives_the_same_figures_whatever_the_processes() -> None:
    cfg = center([voice("a", "x", patience=100.0)], shrinkage=0.2)
    roster = [agent(f"A{i}", {"x": 1.0}) for i in range(5)]
    volume = flat_volume(cfg, 2, {"a": 15.0}, {"a": 200.0})
    model = _model(cfg, roster, folder(roster, 2, "a", breaks=(("12:00", "12:30"),)), volume)
    one = sim.simulate(model, sim.SimulationOptions(reps=4, seed=7, workers=1))
    two = sim.simulate(model, sim.SimulationOptions(reps=4, seed=7, workers=2))
    other = sim.simulate(model, sim.SimulationOptions(reps=4, seed=8, workers=1))
    for name in sim.TALLIES:
        np.testing.assert_array_equal(one.tallies[name], two.tallies[name])
    assert not np.array_equal(one.tallies["wait_seconds"], other.tallies["wait_seconds"])


def test_absence_follows_the_shrinkage_and_its_day_share() -> None:
    cfg = center([voice("a", "x")], shrinkage=0.3)
    roster = [agent(f"A{i}", {"x": 1.0}) for i in range(40)]
    volume = flat_volume(cfg, 5, {"a": 1.0}, {"a": 60.0})
    schedule = folder(roster, 5, "a")
    scheduled = 40 * 5 * 12 * 3600.0
    shares = {}
    for share in (0.0, 0.5):
        model = _model(cfg, roster, schedule, volume, absence_day_share=share)
        run = sim.simulate(model, sim.SimulationOptions(reps=4, absence_day_share=share,
                                                        workers=1))
        duty = run.tallies["duty_seconds"].sum(axis=(1, 2)).mean()
        assert abs(duty / scheduled - 0.7) < 0.02
        shares[share] = run.absent_shifts.mean()
    assert shares[0.0] == 0
    assert 0.10 * 200 < shares[0.5] < 0.20 * 200  # 15% of 200 shifts expected


def test_handle_times_follow_the_distribution_asked_for() -> None:
    cfg = center([voice("a", "x")])
    roster = [agent("A", {"x": 1.0})]
    volume = flat_volume(cfg, 5, {"a": 50.0}, {"a": 300.0})
    model = _model(cfg, roster, folder(roster, 5, "a"), volume)
    for kind, cv in (("exponential", 1.0), ("lognormal", 0.4)):
        options = sim.SimulationOptions(handle_times=kind, handle_cv=cv)
        handle = sim.draw_replication(model, options, np.random.default_rng(0)).handle
        assert abs(handle.mean() / 300.0 - 1.0) < 0.03
        assert abs(handle.std() / handle.mean() - cv) < 0.05


def test_a_history_is_replayed_count_for_count_and_must_be_whole() -> None:
    cfg = center([voice("a", "x")])
    roster = [agent("A", {"x": 1.0})]
    volume = flat_volume(cfg, 1, {"a": 3.0}, {"a": 100.0})
    model = _model(cfg, roster, folder(roster, 1, "a"), volume)
    replayed = sim.build_model(cfg, roster, folder(roster, 1, "a"), volume, START, 1,
                               replay=True)
    options = sim.SimulationOptions()
    counts = [sim.draw_replication(replayed, options, np.random.default_rng(s)).arrival.size
              for s in range(3)]
    assert counts == [3 * 44] * 3
    poisson = {sim.draw_replication(model, options, np.random.default_rng(s)).arrival.size
               for s in range(3)}
    assert len(poisson) > 1
    volume.loc[5, "offered"] = 2.5
    with pytest.raises(BadInput, match="queue a, interval 2026-03-02T09:15: a replayed "
                                       "history needs whole contacts, got offered 2.5"):
        sim.build_model(cfg, roster, folder(roster, 1, "a"), volume, START, 1, replay=True)


def test_an_agent_missing_from_the_roster_is_refused() -> None:
    cfg = center([voice("a", "x")])
    roster = [agent("A", {"x": 1.0}), agent("B", {"x": 1.0})]
    volume = flat_volume(cfg, 1, {"a": 3.0}, {"a": 100.0})
    with pytest.raises(BadInput, match="agent 'B', who is not in the roster"):
        sim.build_model(cfg, roster[:1], folder(roster, 1, "a"), volume, START, 1)


def test_volume_outside_the_horizon_is_refused() -> None:
    cfg = center([voice("a", "x")])
    roster = [agent("A", {"x": 1.0})]
    volume = flat_volume(cfg, 1, {"a": 3.0}, {"a": 100.0})
    volume["interval_start"] = volume["interval_start"] + pd.Timedelta(days=30)
    with pytest.raises(BadInput, match="no rows inside the schedule's horizon"):
        sim.build_model(cfg, roster, folder(roster, 1, "a"), volume, START, 1)


@pytest.mark.parametrize(("options", "message"), [
    ({"reps": 0}, "reps must be at least 1"),
    ({"routing": "random"}, "routing 'random'"),
    ({"handle_cv": 0.5}, "needs lognormal handle times"),
    ({"absence_day_share": 1.5}, "absence day share"),
])
def test_bad_options_are_refused(options: dict, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        sim.SimulationOptions(**options)


def test_a_night_without_an_hour_is_simulated_in_real_time() -> None:
    # Madrid moves its clocks forward on 2026-03-29 at 02:00: that day has 92 intervals.
    from datetime import date

    cfg = center([voice("a", "x")], hours="00:00-24:00")
    roster = [agent(f"A{i}", {"x": 1.0}) for i in range(3)]
    first = date(2026, 3, 28)
    schedule = folder(roster, 2, "a", begin="00:00", end="23:45", first=first)
    volume = flat_volume(cfg, 2, {"a": 2.0}, {"a": 120.0}, begin="00:00", end="23:45",
                         first=first)
    model = sim.build_model(cfg, roster, schedule, volume, first, 2)
    assert model.intervals == 96 + 92
    run = sim.simulate(model, sim.SimulationOptions(reps=2, workers=1))
    duty = run.tallies["duty_seconds"].sum(axis=(1, 2))
    # 23:45 of wall clock is 23.75 h of work on the first day and 22.75 h on the second,
    # plus any contact finished after the end of a shift.
    scheduled = 3 * (23.75 + 22.75) * 3600.0
    assert (duty >= scheduled).all() and (duty < scheduled + 6 * 1800.0).all()
    offered = run.tallies["offered"][:, 96:].sum(axis=(1, 2))
    assert (offered > 0).all()


def _deferred_center(**queue: object):
    cfg = center([{"id": "m", "channel": "backoffice", "skill": "w", "language": "es",
                   **queue}])
    roster = [agent("W", {"w": 1.0})]
    volume = flat_volume(cfg, 2, {"m": 1.0}, {"m": 60.0})
    return cfg, roster, volume


def test_deferred_work_is_due_as_the_staffing_stage_states() -> None:
    at = {"08:00": 0, "09:00": 4}
    cfg, roster, volume = _deferred_center(response_hours=1)
    model = _model(cfg, roster, folder(roster, 2, "m"), volume)
    # An hour of open time from the start of the arrival interval: 09:00-09:15 -> 10:00.
    assert model.due_at[32 + at["09:00"], 0] == 10 * 3600.0
    # 19:45 on the first day: that interval and three of the next morning, so 08:45.
    assert model.due_at[32 + 47, 0] == (24 + 8.75) * 3600.0
    cfg, roster, volume = _deferred_center(due_time="12:00")
    model = _model(cfg, roster, folder(roster, 2, "m"), volume)
    assert model.due_at[32 + at["08:00"], 0] == (24 + 12) * 3600.0
    assert np.isinf(model.due_at[96 + 40, 0])  # the second day's work is due after it


def test_a_starting_backlog_arrives_with_the_first_open_interval() -> None:
    cfg, roster, volume = _deferred_center(response_hours=2, starting_backlog=5)
    model = _model(cfg, roster, folder(roster, 2, "m"), volume)
    draw = sim.draw_replication(model, sim.SimulationOptions(), np.random.default_rng(0))
    first = draw.arrival == 8 * 3600.0
    assert first.sum() == 5
    assert (draw.due[first] == 10 * 3600.0).all()
    run = sim.simulate(model, sim.SimulationOptions(reps=2, workers=1))
    offered_first = run.tallies["offered"][:, 32, 0]
    assert (offered_first >= 5).all()
