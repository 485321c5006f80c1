"""The typed result of a schedule solve, consumed by the writer, the checker and the workbook."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class ScheduleResult:
    """A schedule and how it was found.

    ``shifts``: one row per agent and working day, columns `SHIFT_COLUMNS`; ``date`` is the
    local date the shift starts on, ``shift_start``/``shift_end`` are tz-aware local
    timestamps, ``paid_minutes`` an int, ``template`` the shift template id.
    ``activities``: rows covering every minute of every shift without overlap, columns
    `ACTIVITY_COLUMNS`; ``activity`` is ``work`` (with the ``queue`` served), ``break`` or
    ``lunch`` (``queue`` empty).
    ``scheduled``: the solver's own count of agents at work per queue and interval
    (``interval_start, queue, scheduled``; rows with at least one agent), which the report
    writes to coverage.csv and the checker recounts from the activities.
    Objective figures are in the objective's own units (weighted penalty points);
    ``coverage_objective`` is the weighted under- and over-coverage part alone and
    ``coverage_bound`` a proven lower bound on it. ``milestones`` records how the search
    went: seconds and coverage objective of each schedule on the way (for example
    ``safe_seconds``, ``safe_coverage``, ``lp_seconds``, ``from_lp_seconds``,
    ``from_lp_coverage``, or ``from_start_*`` when the start was not the LP's) and the
    first time a schedule within 10%, 3% and 2% of the coverage bound was held
    (``within_10pct_seconds``...). ``soft_goals`` holds each soft goal's cost and counts,
    recounted from the shifts (`wfm.schedule.preferences.soft_goal_figures`).
    ``degraded`` is True when the schedule is no better than the safe schedule of the
    large-roster method (every agent of a group on the same week) and not at its bound:
    valid, but not a plan to publish as a success.
    ``unplaced``: the off-phone activity sessions the schedule does not hold, each a mapping
    with ``session`` (id), ``activity``, ``attendees`` (ids) and ``reason`` (why it could
    not be placed); written to kpis.json as ``activities_unplaced``.
    """

    shifts: pd.DataFrame
    activities: pd.DataFrame
    scheduled: pd.DataFrame
    status: str
    objective: float
    best_bound: float
    coverage_objective: float
    coverage_bound: float
    wall_seconds: float
    first_solution_seconds: float | None = None
    penalties: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    milestones: dict[str, float] = field(default_factory=dict)
    soft_goals: dict[str, dict] = field(default_factory=dict)
    degraded: bool = False
    unplaced: list[dict] = field(default_factory=list)
    option_keys: dict[str, list[int]] = field(default_factory=dict)  # the solver's own
    # the solver's own: per agent and option key, each interval's (activity, queue index)
    plan: dict[tuple[str, int], list[tuple[str, int]]] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """Relative gap between the objective and its best bound (0 when proven optimal)."""
        if self.objective == 0:
            return 0.0
        return max(0.0, (self.objective - self.best_bound) / abs(self.objective))
