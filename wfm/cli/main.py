"""The `wfm` command line: thin commands over the library, one module per command group."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wfm import __version__
from wfm.cli import check as cli_check
from wfm.cli import export as cli_export
from wfm.cli import forecast as cli_forecast
from wfm.cli import run as cli_run
from wfm.cli import sample as cli_sample
from wfm.cli import schedule as cli_schedule
from wfm.cli import staff as cli_staff
from wfm.cli.common import exit_on_error, set_debug

app = typer.Typer(
    name="wfm",
    help="Workforce management for contact centers: forecast, staff, schedule, export.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Docstrings are wrapped at 100 columns; markdown mode reflows their paragraphs.
    rich_markup_mode="markdown",
)

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Center config YAML.", dir_okay=False)
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"wfm {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """Workforce management for contact centers: forecast, staff, schedule, export."""
    set_debug(debug)


@app.command()
def validate(
    config: ConfigOption,
    history: Annotated[
        Path | None, typer.Option(help="History file (CSV, CSV.GZ or XLSX).", dir_okay=False)
    ] = None,
    agents: Annotated[
        Path | None, typer.Option(help="Agent roster (CSV or XLSX).", dir_okay=False)
    ] = None,
) -> None:
    """Check a config and input files against the contracts; print a short summary.

    Exit 0 when valid, 2 with one line naming the file, row and column otherwise.

    Example: wfm validate --config configs/example.yaml --history sample_data/history.csv.gz
    --agents sample_data/agents.csv
    """
    from wfm.io.config_file import load_config
    from wfm.plan import summarize_inputs

    with exit_on_error():
        cfg = load_config(config)
        summary = summarize_inputs(cfg, history=history, agents=agents)
    typer.echo(f"{config}: valid ({cfg.center.name}, {cfg.center.timezone}, "
               f"{cfg.center.interval_minutes}-minute intervals)")
    for line in summary.lines():
        typer.echo(line)


# Pipeline order in --help: forecast, staff, schedule, export, run; then the tools.
app.add_typer(cli_forecast.app)
app.add_typer(cli_staff.app)
app.add_typer(cli_schedule.app)
app.add_typer(cli_check.app)
app.add_typer(cli_export.app)
app.add_typer(cli_run.app)
app.add_typer(cli_sample.app)
