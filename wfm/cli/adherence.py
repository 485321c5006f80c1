"""`wfm adherence`: agent state logs measured against a published schedule."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wfm.cli.common import exit_on_error
from wfm.cli.options import ConfigOption, OptionalAgentsOption, ScheduleFolderOption, input_path
from wfm.cli.report_options import OutOption, XlsxOption, write_outputs

app = typer.Typer()


@app.command()
def adherence(
    config: ConfigOption,
    schedule: ScheduleFolderOption,
    actuals: Annotated[Path, typer.Option(
        help="Agent state logs: agent_id, state, start, end (CSV, CSV.GZ or XLSX).",
        dir_okay=False)],
    agents: OptionalAgentsOption = None,
    grace_minutes: Annotated[float | None, typer.Option(
        min=0, help="Forgive stretches out of adherence this long or shorter "
                    "(adherence.grace_minutes, default 3).")] = None,
    out: OutOption = None,
    exceptions: Annotated[Path | None, typer.Option(
        help="CSV to write the exceptions to (late login, early logout, ...).",
        dir_okay=False)] = None,
    xlsx: XlsxOption = None,
) -> None:
    """Schedule adherence and conformance per agent and day, the exceptions, and totals per
    team, queue and day.

    States are mapped to the schedule's activities by the config's adherence.states; time
    no record covers is offline. --out writes one row per agent and day.

    Example: wfm adherence --config configs/example.yaml --schedule runs/latest
    --actuals sample_data/agent_states.csv.gz --grace-minutes 3 --xlsx adherence.xlsx
    """
    from wfm.io.config_file import load_config
    from wfm.io.files import write_table
    from wfm.io.inputs import read_agent_states, read_agents
    from wfm.io.schedule_folder import read_schedule
    from wfm.io.tables import ACTIVITIES_FILE, SCHEDULE_FILE
    from wfm.reports.adherence import adherence_report, summary_lines
    from wfm.reports.workbook.adherence_book import write_adherence_workbook

    with exit_on_error():
        cfg = load_config(config)
        roster = read_agents(input_path(agents, cfg.inputs.agents, "--agents", "agents"), cfg)
        folder = read_schedule(schedule, cfg)
        states = read_agent_states(actuals, cfg, {a.agent_id for a in roster})
        report = adherence_report(
            cfg, roster, folder.shifts, folder.activities, states, grace_minutes,
            folder.start, folder.days,
            sources=(str(schedule / SCHEDULE_FILE), str(schedule / ACTIVITIES_FILE)))
        written = write_outputs([
            (out, lambda path: write_table(report.agent_days, path), len(report.agent_days)),
            (exceptions, lambda path: write_table(report.exceptions, path),
             len(report.exceptions)),
            (xlsx, lambda path: write_adherence_workbook(path, cfg, report),
             len(report.agent_days))])
    for line in summary_lines(report) + written:
        typer.echo(line)
