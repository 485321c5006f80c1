"""Staffing calibrated by simulation: requirements that meet every target as the center
really routes, at fewer agent-hours than the per-queue Erlang plan.

The Erlang plan sizes every queue alone. `calibrate_step` schedules it, simulates the
schedule (`wfm.verify.simulate_report.simulate_schedule`), and for every live queue and
day measures the *pooling gain* ``g``: the agents to add to (or take from) every
interval's net scheduled agents for the queue's own Erlang model to project the
simulated day's service level less its 95% half-width. Each interval then needs
``max(min_agents, agents_needed - g)`` agents on the phones, with shrinkage as the plan
has it: queue-intervals of days that did better than their target need fewer agents,
those of days that fell short more (unless the schedule was already short of that day's
requirements by more than `SHORT_SHARE` of them: the roster, not the requirement, held
it back). It schedules again with those requirements (through
`wfm.plan.schedule_step`: solved, written, re-read, checked) and repeats until the
requirements stop changing or ``max_iterations`` schedules have been made.

The result is the schedule of the iteration whose every live queue-day met its target
in simulation (mean service level at or above target) with the fewest required agent-
hours; when none did, the one with the fewest queue-days short, and the record says so.
It is published into the folder atomically, with ``calibration.json`` (every iteration's
figures). Deferred and outbound requirements are kept as planned: their service is not
a target here.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from wfm.config import CenterConfig
from wfm.io.files import replace_folder, write_json
from wfm.io.schedule_folder import read_schedule
from wfm.io.tables import (
    ACTIVITIES_FILE,
    CALIBRATION_FILE,
    COVERAGE_FILE,
    KPIS_FILE,
    LIVE_CHANNELS,
    SCHEDULE_FILE,
)
from wfm.plan import ScheduleOutcome, schedule_step
from wfm.roster import Agent
from wfm.staffing.requirements import project_metrics, shrinkage_rates
from wfm.verify.simulate import SimulationOptions
from wfm.verify.simulate_report import SimulationReport, simulate_schedule

#: The largest pooling gain taken per queue-day, as a share of its mean agents needed;
#: a loss (a negative gain: contacts left waiting from one interval into the next) is
#: taken up to half that, so one poor schedule does not inflate the next requirements.
MAX_GAIN_SHARE = 0.5
#: A queue-day whose schedule is short of its requirements by more than this share of the
#: required agent-hours takes no loss: more requirements would not be scheduled either.
SHORT_SHARE = 0.05


@dataclass
class CalibrationIteration:
    """One schedule of the calibration and how it fared in simulation."""

    iteration: int
    required_hours: float  # every queue
    live_required_hours: float  # voice and chat
    scheduled_hours: float
    paid_hours: float
    shortfall_hours: float
    meets_targets: bool
    queue_days_short: list[str]
    lowest_margin: float  # smallest simulated service level less target over live queue-days
    service_level: dict[str, float]  # simulated, per live queue over the horizon
    seconds: float


@dataclass
class CalibrationOutcome:
    """The calibration's record and the schedule it published."""

    erlang_hours: float
    erlang_live_hours: float
    iterations: list[CalibrationIteration]
    chosen: int  # the iteration published (1-based)
    met: bool  # whether the chosen iteration met every live target
    schedule: ScheduleOutcome
    simulation: SimulationReport
    options: SimulationOptions
    notes: list[str] = field(default_factory=list)

    @property
    def best(self) -> CalibrationIteration:
        """The iteration published."""
        return self.iterations[self.chosen - 1]

    def record(self) -> dict:
        """The JSON record written as calibration.json."""
        best = self.best
        return {
            "erlang_plan": {"required_hours": self.erlang_hours,
                            "live_required_hours": self.erlang_live_hours},
            "calibrated": {"iteration": self.chosen, "met_every_target": self.met,
                           "required_hours": best.required_hours,
                           "live_required_hours": best.live_required_hours,
                           "hours_saved": self.erlang_hours - best.required_hours,
                           "share_saved": _share(self.erlang_hours - best.required_hours,
                                                 self.erlang_hours)},
            "simulation": {"reps": self.options.reps, "seed": self.options.seed,
                           "routing": self.options.routing,
                           "handle_times": self.options.handle_times,
                           "absence_day_share": self.options.absence_day_share},
            "iterations": [_finite(asdict(i)) for i in self.iterations],
            "notes": self.notes,
        }


def _finite(figures: dict) -> dict:
    """The figures with NaN as None (JSON has no NaN)."""
    return {key: None if isinstance(value, float) and math.isnan(value) else value
            for key, value in figures.items()}


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _hours(table: pd.DataFrame, column: str, cfg: CenterConfig, live_only: bool = False
           ) -> float:
    rows = table
    if live_only:
        rows = table[table["queue"].isin(_live_ids(cfg))]
    return float(rows[column].sum()) * cfg.center.interval_minutes / 60.0


def _live_ids(cfg: CenterConfig) -> list[str]:
    return [q.id for q in cfg.queues if q.channel in LIVE_CHANNELS]


def _verdict(cfg: CenterConfig, report: SimulationReport) -> tuple[bool, list[str], float]:
    """Whether every live queue-day with contacts met its target, the ones short, and the
    smallest margin (simulated level less target)."""
    days = report.days
    live = days[days["queue"].isin(_live_ids(cfg)) & (days["offered"] > 0)
                & days["service_level"].notna()]
    margin = live["service_level"] - live["service_level_target"]
    short = live[margin < 0]
    lines = [f"{row.queue} {row.date}: {row.service_level:.1%} < "
             f"{row.service_level_target:.0%}" for row in short.itertuples(index=False)]
    lowest = float(margin.min()) if len(margin) else math.nan
    return short.empty, lines, lowest


def _day_level(queue, agents: np.ndarray, offered: np.ndarray, aht: np.ndarray,
               minutes: int) -> float:
    """The queue's own model's service level over a day at ``agents`` per interval,
    weighted by offered contacts."""
    levels = project_metrics(queue, np.maximum(agents, 0.0), offered, aht,
                             minutes)["service_level"]
    return float((levels * offered).sum() / offered.sum())


def pooling_gain(queue, net: np.ndarray, offered: np.ndarray, aht: np.ndarray,
                 minutes: int, simulated: float, cap: float, floor: float | None = None
                 ) -> float:
    """Agents per interval (may be negative) that the queue's Erlang model needs added to
    ``net`` to project the ``simulated`` day service level; within ``[floor, cap]``
    (``floor`` defaults to ``-cap``)."""
    low, high = (-cap if floor is None else floor), cap
    if _day_level(queue, net + high, offered, aht, minutes) <= simulated:
        return high
    if _day_level(queue, net + low, offered, aht, minutes) >= simulated:
        return low
    for _ in range(40):
        middle = (low + high) / 2.0
        if _day_level(queue, net + middle, offered, aht, minutes) < simulated:
            low = middle
        else:
            high = middle
    return (low + high) / 2.0


def next_requirements(cfg: CenterConfig, plan: pd.DataFrame, coverage: pd.DataFrame,
                      report: SimulationReport) -> tuple[pd.DataFrame, dict[str, float]]:
    """The requirements for the next schedule: per live queue and day, the plan's agents
    needed less the pooling gain measured on this schedule, with the plan's shrinkage.

    ``plan`` is the Erlang plan (`horizon_rows` of `staff_step`'s requirements);
    ``coverage`` the schedule's coverage table. Returns the rows with ``required``
    replaced and the gains (``queue date`` -> agents).
    """
    minutes = cfg.center.interval_minutes
    counts = coverage[["interval_start", "queue", "scheduled"]].copy()
    counts["interval_start"] = counts["interval_start"].dt.tz_convert(
        cfg.center.timezone).dt.as_unit("ns")
    merged = plan.assign(interval_start=plan["interval_start"].dt.tz_convert(
        cfg.center.timezone).dt.as_unit("ns")).merge(counts, on=["interval_start", "queue"],
                                                     how="left")
    merged["scheduled"] = merged["scheduled"].fillna(0.0)
    short = np.maximum(merged["required"].to_numpy(float)
                       - merged["scheduled"].to_numpy(float), 0.0)
    shrink = shrinkage_rates(merged["interval_start"], cfg)
    net = np.floor(merged["scheduled"].to_numpy(float) * (1.0 - shrink) + 1e-9)
    required = merged["required"].to_numpy(np.int64).copy()
    days = merged["interval_start"].dt.date.to_numpy()
    simulated = report.days.set_index(["queue", "date"])
    gains: dict[str, float] = {}
    for queue in cfg.queues:
        if queue.channel not in LIVE_CHANNELS:
            continue
        for day in sorted(set(days[(merged["queue"] == queue.id).to_numpy()])):
            rows = np.flatnonzero((merged["queue"] == queue.id).to_numpy() & (days == day))
            offered = merged["offered"].to_numpy(float)[rows]
            busy = offered > 0
            if not busy.any() or (queue.id, day) not in simulated.index:
                continue
            found = simulated.loc[(queue.id, day)]
            level = float(found["service_level"]) - float(np.nan_to_num(
                found["service_level_ci95"]))
            if not math.isfinite(level):
                continue
            need = merged["agents_needed"].to_numpy(float)[rows]
            aht = merged["aht_seconds"].to_numpy(float)[rows]
            cap = max(1.0, MAX_GAIN_SHARE * float(need[busy].mean()))
            scheduled_short = short[rows].sum() > SHORT_SHARE * max(
                1.0, float(merged["required"].to_numpy(float)[rows].sum()))
            gain = pooling_gain(queue, net[rows][busy], offered[busy], aht[busy], minutes,
                                level, cap, floor=0.0 if scheduled_short else -cap / 2.0)
            gains[f"{queue.id} {day}"] = round(gain, 3)
            # Open intervals keep the queue's minimum; shrinkage as the plan has it.
            wanted = np.where(need > 0, np.maximum(need - gain, queue.min_agents), 0.0)
            required[rows] = np.ceil(wanted / (1.0 - shrink[rows]) - 1e-9).astype(np.int64)
    out = plan.copy()
    out["required"] = required
    return out, gains


def _publish(source: Path, folder: Path, record: dict) -> None:
    """Copy a checked schedule folder into ``folder`` atomically, with the record."""
    def fill(temp: Path) -> None:
        for name in (SCHEDULE_FILE, ACTIVITIES_FILE, COVERAGE_FILE, KPIS_FILE):
            shutil.copy2(source / name, temp / name)
        write_json(record, temp / CALIBRATION_FILE)

    replace_folder(folder, fill)


def calibrate_step(
    cfg: CenterConfig,
    agents: Sequence[Agent],
    plan: pd.DataFrame,
    start: date,
    days: int,
    folder: Path,
    options: SimulationOptions = SimulationOptions(),
    max_iterations: int = 6,
    previous: pd.DataFrame | None = None,
    time_limit_seconds: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    log: Callable[[str], None] | None = None,
    rejected_folder: Path | None = None,
) -> CalibrationOutcome:
    """Schedule, simulate and re-size until the requirements settle; publish the best.

    ``plan`` is the Erlang plan's horizon rows (`wfm.plan.horizon_rows` of `staff_step`:
    ``offered``, ``aht_seconds``, ``agents_needed``, ``required``); the simulation's
    arrivals follow its ``offered``. Each schedule goes through `schedule_step` (into a
    working folder beside ``folder``, removed at the end); the one chosen (see the module
    docstring) is copied into ``folder`` with ``calibration.json``. Raises what
    `schedule_step` raises.
    """
    say = log or (lambda message: None)
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.calibration.", dir=folder.parent))
    erlang_hours = _hours(plan, "required", cfg)
    erlang_live = _hours(plan, "required", cfg, live_only=True)
    iterations: list[CalibrationIteration] = []
    kept: list[tuple[Path, ScheduleOutcome, SimulationReport]] = []
    notes: list[str] = []
    requirements = plan
    try:
        for number in range(1, max_iterations + 1):
            started = time.perf_counter()
            target = work / f"iteration-{number}"
            outcome = schedule_step(cfg, list(agents), requirements, start, days, target,
                                    previous=previous, time_limit_seconds=time_limit_seconds,
                                    workers=workers, seed=seed, log=log,
                                    rejected_folder=rejected_folder)
            report = simulate_schedule(cfg, agents, outcome.folder, plan, start, days,
                                       options, source="requirements")
            met, short, lowest = _verdict(cfg, report)
            coverage = outcome.folder.coverage
            queues = report.queues.set_index("queue")
            iterations.append(CalibrationIteration(
                iteration=number,
                required_hours=_hours(requirements, "required", cfg),
                live_required_hours=_hours(requirements, "required", cfg, live_only=True),
                scheduled_hours=_hours(coverage, "scheduled", cfg),
                paid_hours=float(outcome.folder.shifts["paid_minutes"].sum()) / 60.0,
                shortfall_hours=_hours(coverage, "shortfall", cfg),
                meets_targets=met, queue_days_short=short, lowest_margin=lowest,
                service_level={q: round(float(queues.loc[q, "service_level"]), 4)
                               for q in _live_ids(cfg) if q in queues.index},
                seconds=time.perf_counter() - started))
            kept.append((target, outcome, report))
            verdict = "every target met" if met else f"{len(short)} queue-days short"
            say(f"calibration: iteration {number}: {iterations[-1].live_required_hours:.1f} "
                f"voice and chat agent-hours required, {verdict} in simulation (lowest "
                f"margin {lowest:+.1%})")
            following, _ = next_requirements(cfg, plan, coverage, report)
            if following["required"].equals(requirements["required"]):
                notes.append(f"the requirements did not change after iteration {number}")
                break
            requirements = following
        else:
            notes.append(f"stopped after {max_iterations} iterations")
        chosen = _choose(iterations)
        met = iterations[chosen - 1].meets_targets
        if not met:
            notes.append("no iteration met every live target in simulation: the one with "
                         "the fewest queue-days short is published")
        result = CalibrationOutcome(
            erlang_hours=erlang_hours, erlang_live_hours=erlang_live, iterations=iterations,
            chosen=chosen, met=met, schedule=kept[chosen - 1][1],
            simulation=kept[chosen - 1][2], options=options, notes=notes)
        _publish(kept[chosen - 1][0], folder, result.record())
        result.schedule.folder = read_schedule(folder, cfg)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _choose(iterations: list[CalibrationIteration]) -> int:
    """The iteration to publish (1-based): fewest required hours among those meeting every
    target, else fewest queue-days short (then fewest hours)."""
    meeting = [i for i in iterations if i.meets_targets]
    if meeting:
        return min(meeting, key=lambda i: (i.required_hours, i.scheduled_hours)).iteration
    return min(iterations, key=lambda i: (len(i.queue_days_short), i.required_hours)).iteration


def calibration_lines(outcome: CalibrationOutcome) -> list[str]:
    """The calibration's summary as printed."""
    lines = [f"{'iteration':>9}{'required h':>12}{'live h':>10}{'scheduled h':>13}"
             f"{'paid h':>9}{'short h':>9}  in simulation"]
    for i in outcome.iterations:
        verdict = "every target met" if i.meets_targets else \
            f"{len(i.queue_days_short)} queue-days short"
        mark = " <- published" if i.iteration == outcome.chosen else ""
        lines.append(f"{i.iteration:>9}{i.required_hours:>12.1f}{i.live_required_hours:>10.1f}"
                     f"{i.scheduled_hours:>13.1f}{i.paid_hours:>9.1f}{i.shortfall_hours:>9.1f}"
                     f"  {verdict} (lowest margin {i.lowest_margin:+.1%}){mark}")
    best = outcome.best
    saved = outcome.erlang_hours - best.required_hours
    live_saved = outcome.erlang_live_hours - best.live_required_hours
    lines.append(
        f"Erlang plan {outcome.erlang_hours:.1f} agent-hours ({outcome.erlang_live_hours:.1f} "
        f"voice and chat); calibrated {best.required_hours:.1f} ({best.live_required_hours:.1f})"
        f": {saved:.1f} saved ({_share(saved, outcome.erlang_hours) or 0:.1%}; voice and chat "
        f"{live_saved:.1f}, {_share(live_saved, outcome.erlang_live_hours) or 0:.1%}) after "
        f"{len(outcome.iterations)} iterations")
    lines += [f"note: {note}" for note in outcome.notes]
    return lines
