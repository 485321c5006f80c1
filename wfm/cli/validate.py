"""`wfm validate`: check a config and input files against the contracts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wfm.cli.common import exit_on_error
from wfm.cli.options import ConfigOption, SpecialDaysOption

app = typer.Typer()


@app.command()
def validate(
    config: ConfigOption,
    history: Annotated[
        Path | None, typer.Option(help="History file (CSV, CSV.GZ or XLSX).", dir_okay=False)
    ] = None,
    agents: Annotated[
        Path | None, typer.Option(help="Agent roster (CSV or XLSX).", dir_okay=False)
    ] = None,
    special_days: SpecialDaysOption = None,
) -> None:
    """Check a config and input files against the contracts; print a short summary.

    Exit 0 when valid, 2 with one line naming the file, row and column otherwise. Lines
    starting with "warning:" name what is valid but probably not meant, such as history
    contacts outside opening hours or on closed days (the forecast puts no volume there).

    Example: wfm validate --config configs/example.yaml --history sample_data/history.csv.gz
    --agents sample_data/agents.csv
    """
    from wfm.io.config_file import load_config
    from wfm.plan import read_inputs, summarize_inputs

    with exit_on_error():
        cfg = load_config(config)
        special = special_days
        if special is None and cfg.inputs.special_days is not None \
                and Path(cfg.inputs.special_days).exists():
            special = cfg.inputs.special_days
        summary = summarize_inputs(cfg, read_inputs(cfg, history=history, agents=agents,
                                                    special_days=special))
    typer.echo(f"{config}: valid ({cfg.center.name}, {cfg.center.timezone}, "
               f"{cfg.center.interval_minutes}-minute intervals)")
    for line in summary.lines():
        typer.echo(line)
