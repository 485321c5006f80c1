"""`wfm simulate`: what a published schedule delivers, replayed contact by contact."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wfm.cli.common import exit_on_error, fail
from wfm.cli.options import ConfigOption, OptionalAgentsOption, ScheduleFolderOption
from wfm.errors import EXIT_BAD_INPUT

app = typer.Typer()


class RoutingChoice(StrEnum):
    skills = "skills"
    priority = "priority"


class HandleChoice(StrEnum):
    exponential = "exponential"
    lognormal = "lognormal"


@app.command()
def simulate(
    config: ConfigOption,
    schedule: ScheduleFolderOption,
    forecast: Annotated[Path | None, typer.Option(
        help="Forecast (interval_start, queue, offered, aht_seconds): Poisson arrivals at "
             "its volume.", dir_okay=False)] = None,
    history: Annotated[Path | None, typer.Option(
        help="History of the horizon's days: its contacts replayed, count for count.",
        dir_okay=False)] = None,
    agents: OptionalAgentsOption = None,
    reps: Annotated[int, typer.Option(min=1, max=1000, help="Replications.")] = 20,
    seed: Annotated[int, typer.Option(min=0, help="Random seed: the same seed gives the "
                                                  "same figures.")] = 0,
    routing: Annotated[RoutingChoice, typer.Option(
        help="skills: fewest qualified queues first, then longest idle; priority: by "
             "proficiency, each agent's best queues first.")] = RoutingChoice.skills,
    handle_times: Annotated[HandleChoice, typer.Option(
        help="Handle-time distribution around each interval's aht_seconds.")]
        = HandleChoice.exponential,
    handle_cv: Annotated[float | None, typer.Option(
        min=0.01, help="Coefficient of variation of lognormal handle times (default 1).")]
        = None,
    absence_day_share: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Share of the shrinkage drawn as whole absent days; the rest "
                               "as absent intervals.")] = 0.25,
    workers: Annotated[int | None, typer.Option(
        min=1, max=64, help="Processes for the replications (default: one per core).")]
        = None,
    out: Annotated[Path | None, typer.Option(
        help="Write one row per queue and interval here (CSV).", dir_okay=False)] = None,
    xlsx: Annotated[Path | None, typer.Option(
        help="Write the per-day, per-queue and disagreement sheets here.", dir_okay=False)]
        = None,
) -> None:
    """Simulate a schedule folder: service level, answer time, abandonment and occupancy.

    Every work activity makes its agent available for all the queues the agent's skills
    and languages serve; contacts are routed to qualified agents only, breaks and the end
    of a shift wait for the contact in hand, chats share an agent up to the queue's
    concurrency, email and back office are a backlog worked in idle time, and absence is
    drawn from the configured shrinkage. Prints per queue and day the simulated service
    level with its 95% confidence interval beside coverage.csv's projection, and says
    where they disagree beyond it. The horizon is the one kpis.json records.

    Example: wfm simulate --config configs/example.yaml --schedule runs/latest
    --forecast runs/latest/forecast.csv --out simulation.csv
    """
    from wfm.cli.options import input_path
    from wfm.io.config_file import load_config
    from wfm.io.files import write_table
    from wfm.io.inputs import read_agents, read_forecast, read_history
    from wfm.io.schedule_folder import read_schedule
    from wfm.verify.folder import folder_horizon
    from wfm.verify.simulate import SimulationOptions
    from wfm.verify.simulate_book import write_simulation_workbook
    from wfm.verify.simulate_report import simulate_schedule, summary_lines

    if (forecast is None) == (history is None):
        raise fail("give exactly one of --forecast or --history", EXIT_BAD_INPUT)
    if handle_cv is not None and handle_times is not HandleChoice.lognormal:
        raise fail("--handle-cv needs --handle-times lognormal (exponential handle times "
                   "have a coefficient of variation of 1)", EXIT_BAD_INPUT)
    with exit_on_error():
        cfg = load_config(config)
        roster = read_agents(input_path(agents, cfg.inputs.agents, "--agents", "agents"), cfg)
        folder = read_schedule(schedule, cfg)
        start, days, _ = folder_horizon(folder, schedule)
        if forecast is not None:
            volume, source = read_forecast(forecast, cfg), str(forecast)
        else:
            volume, source = read_history(history, cfg, complete=False), str(history)
        options = SimulationOptions(
            reps=reps, seed=seed, routing=routing.value, handle_times=handle_times.value,
            handle_cv=1.0 if handle_cv is None else handle_cv,
            absence_day_share=absence_day_share, workers=workers)
        report = simulate_schedule(cfg, roster, folder, volume, start, days, options,
                                   replay=history is not None, source=source)
        if out is not None:
            write_table(report.intervals, out)
        if xlsx is not None:
            write_simulation_workbook(xlsx, report.days, report.queues, report.outside)
    for line in summary_lines(cfg, report.run, report.days, report.queues):
        typer.echo(line)
    written = [str(p) for p in (out, xlsx) if p is not None]
    if written:
        typer.echo(f"wrote {' and '.join(written)}")
