"""`wfm accuracy`: every forecast the nightly runs published, scored on what came after."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wfm.cli.common import exit_on_error
from wfm.cli.options import HistoryOption, SpecialDaysOption, input_path
from wfm.cli.report_options import OutOption, XlsxOption, write_outputs

app = typer.Typer()


@app.command()
def accuracy(
    runs: Annotated[Path, typer.Option(help="The runs folder of wfm run (RUNS/<id>/ with "
                                            "forecast.csv and manifest.json).", file_okay=False)],
    history: HistoryOption = None,
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", help="Center config YAML (default: the config the newest run "
                               "recorded in its manifest).", dir_okay=False)] = None,
    special_days: SpecialDaysOption = None,
    out: OutOption = None,
    by_run: Annotated[Path | None, typer.Option(
        help="CSV to write the accuracy per run and queue to.", dir_okay=False)] = None,
    xlsx: XlsxOption = None,
) -> None:
    """Forecast accuracy over time: each published forecast against the actuals after it,
    beside the seasonal naive and 4-week mean of the same night.

    wMAPE (interval and daily) and bias per queue by days ahead (--out) and per run
    (--by-run); days without history (closed, or a gap) are not scored. With --xlsx, a
    chart per queue of the interval wMAPE run after run.

    Example: wfm accuracy --runs runs --history sample_data/history.csv.gz --xlsx
    accuracy.xlsx --out accuracy.csv
    """
    from wfm.io.config_file import load_config
    from wfm.io.files import write_table
    from wfm.io.inputs import (
        published_forecasts,
        read_history,
        read_special_days,
        recorded_config,
    )
    from wfm.reports.accuracy import accuracy_report, summary_lines
    from wfm.reports.workbook.accuracy_book import write_accuracy_workbook

    with exit_on_error():
        cfg = load_config(config) if config is not None else recorded_config(runs)
        path = input_path(history, cfg.inputs.history, "--history", "history")
        table = read_history(path, cfg)
        special = special_days or cfg.inputs.special_days
        calendar = (read_special_days(special, [q.id for q in cfg.queues])
                    if special is not None and Path(special).exists() else None)
        published, skipped = published_forecasts(runs, cfg)
        report = accuracy_report(cfg, table, published, calendar)
        written = write_outputs([
            (out, lambda path: write_table(report.by_horizon, path), len(report.by_horizon)),
            (by_run, lambda path: write_table(report.by_run, path), len(report.by_run)),
            (xlsx, lambda path: write_accuracy_workbook(path, cfg, report),
             len(report.by_horizon))])
    typer.echo(f"{runs}: {len(report.runs)} runs scored on {path}")
    for name, reason in skipped:
        typer.echo(f"skipped {name}: {reason}")
    for note in report.notes:
        typer.echo(f"note: {note}")
    for line in summary_lines(report) + written:
        typer.echo(line)
