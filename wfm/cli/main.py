"""The `wfm` command line: thin commands over the library, one module per command group."""

from __future__ import annotations

from typing import Annotated

import typer

from wfm import __version__
from wfm.cli import accuracy as cli_accuracy
from wfm.cli import adherence as cli_adherence
from wfm.cli import check as cli_check
from wfm.cli import export as cli_export
from wfm.cli import forecast as cli_forecast
from wfm.cli import kpi as cli_kpi
from wfm.cli import run as cli_run
from wfm.cli import sample as cli_sample
from wfm.cli import schedule as cli_schedule
from wfm.cli import simulate as cli_simulate
from wfm.cli import staff as cli_staff
from wfm.cli import validate as cli_validate
from wfm.cli.common import set_debug

app = typer.Typer(
    name="wfm",
    help="Workforce management for contact centers: forecast, staff, schedule, export.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Docstrings are wrapped at 100 columns; markdown mode reflows their paragraphs.
    rich_markup_mode="markdown",
)

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


# Order in --help: validate, then the pipeline (forecast, staff, schedule, check, export,
# run), then what happened (kpi, adherence, accuracy), then the tools.
app.add_typer(cli_validate.app)
app.add_typer(cli_forecast.app)
app.add_typer(cli_staff.app)
app.add_typer(cli_schedule.app)
app.add_typer(cli_check.app)
app.add_typer(cli_simulate.app)
app.add_typer(cli_export.app)
app.add_typer(cli_run.app)
app.add_typer(cli_kpi.app)
app.add_typer(cli_adherence.app)
app.add_typer(cli_accuracy.app)
app.add_typer(cli_sample.app)
