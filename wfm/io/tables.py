"""Every file contract's names in one place: columns, file names, activities, channels.

Readers, writers, the checker and the workbook take their column lists from here, so a
contract changes in one line. Pure constants: importing this module costs nothing.
"""

from __future__ import annotations

# --- inputs ------------------------------------------------------------------------------

HISTORY_COLUMNS = ("interval_start", "queue", "offered")
#: Optional history columns: ``aht_seconds`` (without it every queue needs
#: ``default_aht_seconds``); ``wait_seconds`` is the mean time in queue over all offered;
#: ``answered_within`` counts the contacts answered within the queue's ``answer_seconds``,
#: ``short_abandoned`` those that abandoned within ``kpi.short_abandon_seconds``;
#: ``asa_seconds`` is the mean wait of the answered contacts (average speed of answer).
HISTORY_OPTIONAL = ("aht_seconds", "handled", "abandoned", "wait_seconds", "answered_within",
                    "short_abandoned", "asa_seconds")

ROSTER_COLUMNS = ("agent_id", "name", "team", "skills", "languages", "contract")
OPTIONAL_ROSTER_COLUMNS = (
    "unavailable_dates", "available_window", "preferred_days_off", "preferred_start",
)

SPECIAL_DAYS_COLUMNS = ("date", "queue", "multiplier")

#: Agent state logs (the actuals of adherence and occupancy): one row per state an agent
#: was in, from ``start`` to ``end``; ``state`` is the telephony system's name, mapped to a
#: `STATE_CATEGORIES` entry by the config's ``adherence.states``.
AGENT_STATE_COLUMNS = ("agent_id", "state", "start", "end")
AGENT_STATES_FILE = "agent_states.csv"

# --- forecast and requirements -----------------------------------------------------------

#: What a forecast file must have to be sized (other columns are kept).
FORECAST_KEY_COLUMNS = ("interval_start", "queue", "offered", "aht_seconds")
#: What `wfm forecast` writes.
FORECAST_COLUMNS = ("interval_start", "queue", "offered", "aht_seconds", "offered_low",
                    "offered_high", "model")
#: The forecast report: one row per queue, target and model.
FORECAST_REPORT_COLUMNS = ("queue", "target", "model", "windows", "wmape", "wmape_daily",
                           "bias", "mase", "coverage", "gain_vs_week_mean4",
                           "gain_vs_seasonal_naive", "chosen", "reason")

REQUIREMENTS_KEY_COLUMNS = ("interval_start", "queue")
REQUIREMENT_COLUMNS = (
    "interval_start", "queue", "offered", "aht_seconds", "agents_needed",
    "agents_with_shrinkage", "service_level", "asa_seconds", "occupancy", "shrinkage",
)

# --- the schedule folder -----------------------------------------------------------------

SCHEDULE_FILE = "schedule.csv"
ACTIVITIES_FILE = "activities.csv"
COVERAGE_FILE = "coverage.csv"
KPIS_FILE = "kpis.json"

SHIFT_COLUMNS = ("agent_id", "date", "shift_start", "shift_end", "paid_minutes", "template")
ACTIVITY_COLUMNS = ("agent_id", "start", "end", "activity", "queue")
#: ``offered`` and ``aht_seconds`` are the volume the schedule was built for (empty where
#: unknown), so the projected service level can be recomputed from the folder alone.
#: ``worked``, ``backlog`` and ``past_due`` are items of deferred work (email, back office)
#: worked in the interval, waiting at its end, and waiting past their due time; empty for
#: other queues.
COVERAGE_COLUMNS = (
    "interval_start", "queue", "required", "scheduled", "shortfall", "offered", "aht_seconds",
    "projected_service_level", "worked", "backlog", "past_due",
)

# --- the run folder ----------------------------------------------------------------------

FORECAST_FILE = "forecast.csv"
FORECAST_REPORT_FILE = "forecast_report.csv"
REQUIREMENTS_FILE = "requirements.csv"
WORKBOOK_FILE = "schedule.xlsx"
MANIFEST_FILE = "manifest.json"

# --- names inside the files --------------------------------------------------------------

WORK = "work"
BREAK_ACTIVITIES = ("break", "lunch")
# Off-queue activities the files may carry besides breaks (placed inside shifts, no queue).
OTHER_ACTIVITIES = ("training", "meeting", "coaching")
KNOWN_ACTIVITIES = (WORK, *BREAK_ACTIVITIES, *OTHER_ACTIVITIES)

#: What an agent state can be: the schedule's activities, the three states of work on a
#: queue (`WORK_STATES`), offline (logged out) and neutral (counted neither way).
WORK_STATES = ("available", "on_contact", "after_contact_work")
#: The states an agent handles contacts in (occupancy's numerator).
HANDLING_STATES = ("on_contact", "after_contact_work")
OFFLINE = "offline"
NEUTRAL = "neutral"
STATE_CATEGORIES = (*WORK_STATES, *BREAK_ACTIVITIES, *OTHER_ACTIVITIES, OFFLINE, NEUTRAL)

CHANNELS = ("voice", "chat", "email", "backoffice", "outbound")
#: Channels whose service level wfm projects with queueing math (Erlang C / A).
LIVE_CHANNELS = ("voice", "chat")
#: Channels of work that waits in a backlog and is judged against a response target.
DEFERRED_CHANNELS = ("email", "backoffice")

# --- the reports over actuals: KPIs, adherence, forecast accuracy -------------------------

#: `wfm kpi`: one row per queue (or ``all``) and period.
KPI_COLUMNS = (
    "queue", "period", "period_start", "offered", "answered", "abandoned",
    "abandonment_rate", "aht_seconds", "answered_within", "short_abandoned",
    "service_level", "asa_seconds", "mean_wait_seconds", "handling_hours",
    "available_hours", "logged_in_hours", "paid_hours", "occupancy", "utilisation",
    "service_level_formula",
)
#: `wfm adherence`: one row per agent and day.
ADHERENCE_COLUMNS = (
    "agent_id", "name", "team", "date", "scheduled_minutes", "neutral_minutes",
    "out_of_adherence_minutes", "adherence", "working_minutes", "worked_minutes",
    "conformance", "unscheduled_minutes", "exceptions",
)
#: `wfm adherence --exceptions`: one row per exception.
EXCEPTION_COLUMNS = (
    "agent_id", "name", "team", "date", "kind", "start", "end", "minutes", "scheduled",
    "actual", "queue",
)
#: Totals per team, queue or day (``scope`` says which, ``key`` names it).
ADHERENCE_TOTAL_COLUMNS = (
    "scope", "key", "agents", "scheduled_minutes", "out_of_adherence_minutes", "adherence",
    "working_minutes", "worked_minutes", "conformance", "exceptions",
)
#: `wfm accuracy`: one row per queue, horizon (days ahead) and model.
ACCURACY_COLUMNS = (
    "queue", "horizon_days", "model", "runs", "days_scored", "actual", "wmape",
    "wmape_daily", "bias", "gain_vs_seasonal_naive", "gain_vs_week_mean4",
)
#: The same figures per run and queue (the accuracy over time).
ACCURACY_RUN_COLUMNS = (
    "run_id", "as_of", "queue", "model", "days_scored", "actual", "wmape", "wmape_daily",
    "bias",
)

# --- the simulation (`wfm simulate`) -----------------------------------------------------

#: What the simulation measures per queue and interval (and per day, per queue); each
#: figure is the mean over replications, with ``<figure>_ci95`` its 95% half-width.
SIMULATION_FIGURES = ("offered", "answered", "abandoned", "service_level", "asa_seconds",
                      "abandon_rate", "occupancy")
SIMULATION_COLUMNS = (
    "interval_start", "queue",
    *(name for figure in SIMULATION_FIGURES for name in (figure, f"{figure}_ci95")),
    "projected_service_level",
)
#: Per queue and day: the same figures, the projection, the target and how far they agree.
SIMULATION_DAY_COLUMNS = (
    "date", "queue",
    *(name for figure in SIMULATION_FIGURES for name in (figure, f"{figure}_ci95")),
    "projected_service_level", "service_level_target", "projection_outside_ci",
    "intervals_outside_ci", "intervals_compared",
)
#: The calibration's record, written into the schedule folder it publishes.
CALIBRATION_FILE = "calibration.json"
