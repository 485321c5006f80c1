"""`wfm check`: re-read a schedule folder and run the independent checker on it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from wfm.cli.common import exit_on_error, fail
from wfm.errors import EXIT_BAD_INPUT

app = typer.Typer()


@app.command()
def check(
    config: Annotated[Path, typer.Option("--config", "-c", help="Center config YAML.",
                                         dir_okay=False)],
    agents: Annotated[Path, typer.Option(help="Agent roster (CSV or XLSX).", dir_okay=False)],
    schedule: Annotated[Path, typer.Option(
        "--schedule", help="Schedule folder (schedule.csv, activities.csv, ...).",
        file_okay=False)],
    requirements: Annotated[Path | None, typer.Option(
        help="Requirements the schedule was built for: coverage must match them row by row.",
        dir_okay=False)] = None,
    start: Annotated[datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="First day of the horizon, YYYY-MM-DD (default: kpis.json; "
                                   "with --days).")] = None,
    days: Annotated[int | None, typer.Option(
        min=1, help="Days in the horizon (default: kpis.json; with --start).")] = None,
    previous: Annotated[Path | None, typer.Option(
        help="Previous schedule folder or schedule.csv (rest and consecutive days).")] = None,
) -> None:
    """Re-read a schedule folder and confirm every hard rule; check its coverage.

    Coverage is recounted from the activities and compared with coverage.csv, the
    requirements (with --requirements; else every configured queue needs a row at every
    open interval), the projected service level and kpis.json. The horizon is --start and
    --days, else the one kpis.json records. Prints one line per violation (rule, agent,
    date, why) and exits 2 when there is any, 0 when the schedule is valid.

    Example: wfm check --config configs/example.yaml --agents sample_data/agents.csv
    --schedule out/schedule --requirements requirements.csv
    """
    from wfm.io.config_file import load_config
    from wfm.io.inputs import read_agents, read_previous, read_requirements
    from wfm.verify.folder import verify_folder

    with exit_on_error():
        cfg = load_config(config)
        roster = read_agents(agents, cfg)
        needed = read_requirements(requirements, cfg) if requirements is not None else None
        before = read_previous(previous, cfg) if previous is not None else None
        written, violations = verify_folder(
            cfg, roster, schedule, previous=before, requirements=needed,
            start=start.date() if start is not None else None, days=days)
    for violation in violations:
        typer.echo(str(violation))
    shifts = len(written.shifts)
    if violations:
        raise fail(f"{schedule}: {len(violations)} violations in {shifts} shifts",
                   EXIT_BAD_INPUT)
    typer.echo(f"{schedule}: valid ({shifts} shifts, {written.shifts['agent_id'].nunique()} "
               f"agents, {len(written.activities)} activities)")
