"""Re-read a written schedule folder and check it: what `wfm schedule`, the nightly run and
`wfm check` all do with a schedule before trusting it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from wfm.config import CenterConfig
from wfm.io.schedule_folder import ScheduleFolder, read_schedule


def verify_folder(
    cfg: CenterConfig,
    agents: list,
    folder: str | Path,
    previous: pd.DataFrame | None = None,
    requirements: pd.DataFrame | None = None,
) -> tuple[ScheduleFolder, list]:
    """Re-read a schedule folder and run the independent checker on it.

    Returns the folder as read and its violations (`wfm.check.Violation`, empty = valid):
    every hard rule over the shifts and activities, plus the coverage file recounted from
    the activities when it is present. The horizon comes from ``kpis.json`` when recorded.
    """
    from wfm.verify.check import check_schedule
    from wfm.verify.coverage import check_coverage

    schedule = read_schedule(folder, cfg)
    found = check_schedule(cfg, agents, schedule.shifts, schedule.activities,
                           requirements=requirements, previous=previous,
                           start=schedule.start, days=schedule.days)
    if schedule.coverage is not None:
        found += check_coverage(cfg, schedule.activities, schedule.coverage)
    return schedule, found


