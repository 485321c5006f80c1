"""`wfm export`: the coordinators' workbook from an existing schedule folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wfm.cli.common import exit_on_error
from wfm.cli.options import ConfigOption, OptionalAgentsOption, ScheduleFolderOption, input_path

app = typer.Typer()


@app.command()
def export(
    config: ConfigOption,
    schedule: ScheduleFolderOption,
    out: Annotated[Path, typer.Option(help="Workbook to write (.xlsx).", dir_okay=False)],
    agents: OptionalAgentsOption = None,
    forecast: Annotated[
        Path | None, typer.Option(help="Forecast file for the Forecast sheet; default: "
                                       "forecast.csv in the schedule folder when present.",
                                  dir_okay=False)
    ] = None,
) -> None:
    """Write the coordinators' workbook (summary, schedule, a Gantt per day, coverage,
    forecast, rules) from a schedule folder.

    Example: wfm export --config configs/example.yaml --schedule runs/latest
    --out schedule.xlsx
    """
    from wfm.io.config_file import load_config
    from wfm.io.inputs import read_forecast
    from wfm.io.tables import FORECAST_FILE
    from wfm.plan import export_step, read_inputs

    with exit_on_error():
        cfg = load_config(config)
        roster = read_inputs(cfg, agents=input_path(agents, cfg.inputs.agents, "--agents",
                                                    "agents")).agents
        if forecast is None and (schedule / FORECAST_FILE).exists():
            forecast = schedule / FORECAST_FILE
        table = read_forecast(forecast, cfg) if forecast is not None else None
        export_step(cfg, roster, schedule, out, forecast=table)
    typer.echo(f"{out}: workbook written ({len(roster)} agents)")
