"""Every file contract's names in one place: columns, file names, activities, channels.

Readers, writers, the checker and the workbook take their column lists from here, so a
contract changes in one line. Pure constants: importing this module costs nothing.
"""

from __future__ import annotations

# --- inputs ------------------------------------------------------------------------------

HISTORY_COLUMNS = ("interval_start", "queue", "offered")
#: Optional history columns: ``aht_seconds`` (without it every queue needs
#: ``default_aht_seconds``); ``wait_seconds`` is the mean time in queue over all offered.
HISTORY_OPTIONAL = ("aht_seconds", "handled", "abandoned", "wait_seconds")

ROSTER_COLUMNS = ("agent_id", "name", "team", "skills", "languages", "contract")
OPTIONAL_ROSTER_COLUMNS = (
    "unavailable_dates", "available_window", "preferred_days_off", "preferred_start",
)

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
ACTIVITY_COLUMNS = ("agent_id", "start", "end", "activity", "queue")
#: ``offered`` and ``aht_seconds`` are the volume the schedule was built for (empty where
#: unknown), so the projected service level can be recomputed from the folder alone.
COVERAGE_COLUMNS = (
    "interval_start", "queue", "required", "scheduled", "shortfall", "offered", "aht_seconds",
    "projected_service_level",
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

CHANNELS = ("voice", "chat", "email", "outbound")
#: Channels whose service level wfm projects with queueing math (Erlang C / A).
LIVE_CHANNELS = ("voice", "chat")
