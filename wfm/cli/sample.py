"""`wfm sample-data`: write the seeded sample center's history, roster and special days."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from wfm.cli.common import exit_on_error

app = typer.Typer()


@app.command("sample-data")
def sample_data(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Center config YAML.", dir_okay=False)
    ],
    out: Annotated[Path, typer.Option(help="Folder to write the files into.", file_okay=False)],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same bytes.")] = 0,
    years: Annotated[float, typer.Option(help="Years of history to generate.", min=0.05)] = 2.2,
    agents: Annotated[int, typer.Option(help="Agents in the roster; volumes scale with it.",
                                        min=1)] = 130,
    end: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Last day of history [default: 2026-11-22]."),
    ] = None,
    actuals_for: Annotated[Path | None, typer.Option(
        help="Instead: write agent_states.csv, state logs of the roster living through this "
             "published schedule folder (late logins, early logouts, long breaks, a missed "
             "session, a sick day).", file_okay=False)] = None,
    compress: Annotated[bool, typer.Option(
        help="With --actuals-for: write agent_states.csv.gz.")] = False,
) -> None:
    """Generate realistic sample data for a center: history.csv.gz, agents.csv, special_days.csv.

    The history has weekly, intraday and yearly seasonality, a trend, holiday effects,
    billing-cycle peaks, overdispersed noise, AHT by hour and queue, and abandonment from
    exponential patience. The roster is schedulable under the config.

    With --actuals-for SCHEDULE_DIR it writes the agent state logs of that schedule instead
    (the states named as the config's adherence.states names them), for `wfm adherence`.

    Example: wfm sample-data --config configs/example.yaml --out sample_data --seed 0
    """
    from wfm.io.config_file import load_config
    from wfm.samples.center import DEFAULT_END, write_sample_data
    from wfm.samples.states import write_agent_states

    last: date = end.date() if end is not None else DEFAULT_END
    with exit_on_error():
        cfg = load_config(config)
        if actuals_for is not None:
            path, states = write_agent_states(cfg, actuals_for, out, seed=seed,
                                              compress=compress)
    if actuals_for is not None:
        for line in states.lines(path):
            typer.echo(line)
        return
    with exit_on_error():
        summary = write_sample_data(cfg, out, seed=seed, years=years, agents=agents, end=last)
    typer.echo(f"{out}: history {summary.start} to {summary.end}, {summary.rows} rows; "
               f"{summary.agents} agents; special_days.csv")
    for day, kind in sorted(summary.outages.items()):
        typer.echo(f"outage day {day} ({kind} queues, tiny volume)")
    typer.echo(f"peak offered load {summary.peak_erlangs:.1f} erlangs "
               f"({summary.peak_erlangs_by_concurrency:.1f} with chat concurrency)")
