"""`wfm export`: the coordinators' workbook from an existing schedule folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wfm.cli.common import exit_on_error
from wfm.config import CenterConfig
from wfm.errors import BadInput
from wfm.io.tables import FORECAST_FILE

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command()
def export(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Center config YAML.", dir_okay=False)
    ],
    schedule: Annotated[
        Path, typer.Option(help="Schedule folder (schedule.csv, activities.csv, coverage.csv, "
                                "kpis.json).", file_okay=False)
    ],
    out: Annotated[Path, typer.Option(help="Workbook to write (.xlsx).", dir_okay=False)],
    agents: Annotated[
        Path | None, typer.Option(help="Agent roster; default: the config's inputs.agents.",
                                  dir_okay=False)
    ] = None,
    forecast: Annotated[
        Path | None, typer.Option(help="Forecast file for the Forecast sheet; default: "
                                       "forecast.csv in the schedule folder when present.",
                                  dir_okay=False)
    ] = None,
) -> None:
    """Write the coordinators' workbook (summary, schedule, a Gantt per day, coverage,
    forecast, rules) from a schedule folder.

    Example: wfm export --config configs/example.yaml --schedule runs/2026-03-23/schedule
    --out schedule.xlsx
    """
    from wfm.io.config_file import load_config
    from wfm.reports.workbook.book import write_workbook

    with exit_on_error():
        cfg = load_config(config)
        tables = _read_inputs(cfg, schedule, agents, forecast)
        write_workbook(out, cfg, **tables)
    typer.echo(f"{out}: workbook written ({len(tables['shifts'])} shifts, "
               f"{len(tables['agents'])} agents)")


def _read_inputs(cfg: CenterConfig, folder: Path, agents_path: Path | None,
                 forecast_path: Path | None) -> dict:
    """The keyword arguments of `write_workbook` (all but path and config) from files."""
    from wfm.io.inputs import read_agents, read_forecast
    from wfm.io.schedule_folder import read_schedule
    from wfm.io.tables import COVERAGE_FILE

    found = read_schedule(folder, cfg)
    if found.coverage is None:
        raise BadInput(f"{folder / COVERAGE_FILE}: no such file")
    agents_path = agents_path or cfg.inputs.agents
    if agents_path is None:
        raise BadInput("no roster: pass --agents or set inputs.agents in the config")
    if forecast_path is None and (folder / FORECAST_FILE).exists():
        forecast_path = folder / FORECAST_FILE
    return {
        "agents": read_agents(agents_path, cfg),
        "shifts": found.shifts,
        "activities": found.activities,
        "coverage": found.coverage,
        "kpis": found.kpis,
        "forecast": read_forecast(forecast_path, cfg) if forecast_path is not None else None,
    }
