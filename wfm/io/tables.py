"""Every file contract's names in one place: columns, file names, activities, channels.

Readers, writers, the checker and the workbook take their column lists from here, so a
contract changes in one line. Pure constants: importing this module costs nothing.
"""

from __future__ import annotations

# --- inputs ------------------------------------------------------------------------------

HISTORY_COLUMNS = ("interval_start", "queue", "offered", "aht_seconds")
#: Optional history columns: ``wait_seconds`` is the mean time in queue over all offered.
HISTORY_OPTIONAL = ("handled", "abandoned", "wait_seconds")

ROSTER_COLUMNS = ("agent_id", "name", "team", "skills", "languages", "contract")
OPTIONAL_ROSTER_COLUMNS = (
    "unavailable_dates", "available_window", "preferred_days_off", "preferred_start",
    "role", "leads", "hire_date",
)

#: The values of the roster's ``role`` column (empty: ``agent``).
ROLES = ("agent", "team_leader", "supervisor", "trainer", "quality")
#: Roles that lead teams and count for the first tier of the leader-on-duty rule.
LEADER_ROLES = ("team_leader", "supervisor")

SPECIAL_DAYS_COLUMNS = ("date", "queue", "multiplier")

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
#: ``session`` ties the rows of one off-phone activity session together (the attendees and
#: whoever runs it); empty on work, break, lunch and duty rows.
ACTIVITY_COLUMNS = ("agent_id", "start", "end", "activity", "queue", "session")
#: ``offered`` and ``aht_seconds`` are the volume the schedule was built for (empty where
#: unknown), so the projected service level can be recomputed from the folder alone.
#: ``worked``, ``backlog`` and ``past_due`` are items of deferred work (email, back office)
#: worked in the interval, waiting at its end, and waiting past their due time; empty for
#: other queues.
COVERAGE_COLUMNS = (
    "interval_start", "queue", "required", "scheduled", "shortfall", "offered", "aht_seconds",
    "projected_service_level", "worked", "backlog", "past_due",
)

#: The kpis.json key listing the off-phone activity sessions not placed, each with its
#: ``session`` id, ``activity``, ``attendees`` and ``reason``.
UNPLACED_KEY = "activities_unplaced"

# --- the run folder ----------------------------------------------------------------------

FORECAST_FILE = "forecast.csv"
FORECAST_REPORT_FILE = "forecast_report.csv"
REQUIREMENTS_FILE = "requirements.csv"
WORKBOOK_FILE = "schedule.xlsx"
MANIFEST_FILE = "manifest.json"

# --- names inside the files --------------------------------------------------------------

WORK = "work"
BREAK_ACTIVITIES = ("break", "lunch")
#: The time of a team leader, supervisor, trainer or quality analyst spent on their role's
#: own work: on shift, not on a queue, a break or an off-phone activity.
DUTY = "duty"
#: Activity names wfm writes itself; the off-phone activities of the config
#: (``activities[].id``) come besides them and may not take these names.
BUILT_IN_ACTIVITIES = (WORK, *BREAK_ACTIVITIES, DUTY)

CHANNELS = ("voice", "chat", "email", "backoffice", "outbound")
#: Channels whose service level wfm projects with queueing math (Erlang C / A).
LIVE_CHANNELS = ("voice", "chat")
#: Channels of work that waits in a backlog and is judged against a response target.
DEFERRED_CHANNELS = ("email", "backoffice")
