"""`wfm kpi`: what happened, per queue and period, from the history and state logs."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wfm.cli.common import exit_on_error
from wfm.cli.options import ConfigOption, HistoryOption, input_path, parse_date
from wfm.cli.report_options import ActualsOption, OutOption, XlsxOption, write_outputs
from wfm.errors import BadInput

app = typer.Typer()


class Period(StrEnum):
    """How the indicators are grouped in time."""

    interval = "interval"
    day = "day"
    week = "week"
    month = "month"


@app.command()
def kpi(
    config: ConfigOption,
    history: HistoryOption = None,
    start: Annotated[str | None, typer.Option(
        "--from", help="First day, YYYY-MM-DD (default: the first the inputs hold).")] = None,
    end: Annotated[str | None, typer.Option(
        "--to", help="Last day, YYYY-MM-DD, included (default: the last the inputs hold).")
    ] = None,
    by: Annotated[Period, typer.Option(help="Period of each row.")] = Period.day,
    actuals: ActualsOption = None,
    schedule: Annotated[Path | None, typer.Option(
        help="Schedule folder whose shifts give the paid time (utilisation).",
        file_okay=False)] = None,
    out: OutOption = None,
    xlsx: XlsxOption = None,
) -> None:
    """Indicators per queue and period: offered, answered, abandoned, AHT, service level,
    ASA; with --actuals, occupancy, and with --schedule too, utilisation.

    The service level follows the config's kpi.service_level_formula, named in every
    report. A figure the inputs cannot give is left empty and the notes say why.

    Example: wfm kpi --config configs/example.yaml --history sample_data/history.csv.gz
    --from 2026-11-02 --to 2026-11-22 --by week --out kpi.csv
    """
    from wfm.io.config_file import load_config
    from wfm.io.files import write_table
    from wfm.io.inputs import read_agent_states, read_history
    from wfm.io.schedule_folder import read_schedule
    from wfm.reports.indicators import kpi_report, summary_lines

    with exit_on_error():
        cfg = load_config(config)
        first = parse_date(start, "--from") if start is not None else None
        last = parse_date(end, "--to") if end is not None else None
        if first is not None and last is not None and first > last:
            raise BadInput(f"--from {first} is after --to {last}")
        if history is not None or cfg.inputs.history is not None or actuals is None:
            path = input_path(history, cfg.inputs.history, "--history", "history")
            table = read_history(path, cfg, complete=False)
        else:
            table = None
        states = read_agent_states(actuals, cfg) if actuals is not None else None
        shifts = read_schedule(schedule, cfg).shifts if schedule is not None else None
        report = kpi_report(cfg, table, by.value, first, last, states, shifts)
        rows = len(report.table)

        def write_kpi_workbook(path: Path) -> None:
            # the workbook package is imported only when a workbook is asked for
            from wfm.reports.workbook.kpi_book import write_kpi_workbook as write_book

            write_book(path, cfg, report)

        written = write_outputs([
            (out, lambda path: write_table(report.table, path), rows),
            (xlsx, write_kpi_workbook, rows)])
    for line in summary_lines(report) + written:
        typer.echo(line)
