"""`wfm schedule`: solve, write the schedule folder, check it and print its summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wfm.cli.common import exit_on_error, fail
from wfm.cli.options import (
    AgentsOption,
    ConfigOption,
    PreviousOption,
    QuietOption,
    SeedOption,
    TimeLimitOption,
    WorkersOption,
    parse_date,
)
from wfm.errors import EXIT_BAD_INPUT, EXIT_DEGRADED

app = typer.Typer()


@app.command()
def schedule(
    config: ConfigOption,
    agents: AgentsOption,
    start: Annotated[str, typer.Option(help="First day of the horizon, YYYY-MM-DD.")],
    days: Annotated[int, typer.Option(min=1, max=42, help="Days in the horizon (1 to 42).")],
    out: Annotated[Path, typer.Option(help="Schedule folder to write (replaced atomically).",
                                      file_okay=False)],
    requirements: Annotated[Path | None, typer.Option(
        help="Requirements file (interval_start, queue, required or agents_with_shrinkage).",
        dir_okay=False)] = None,
    forecast: Annotated[Path | None, typer.Option(
        help="Forecast file, sized into requirements with the staffing math.",
        dir_okay=False)] = None,
    time_limit: TimeLimitOption = None,
    workers: WorkersOption = None,
    seed: SeedOption = None,
    previous: PreviousOption = None,
    xlsx: Annotated[Path | None, typer.Option(
        help="Also write the coordinators' workbook here.", dir_okay=False)] = None,
    calibrate: Annotated[bool, typer.Option(
        help="Calibrate the requirements by simulation (with --forecast): schedule, simulate "
             "and re-size until every voice and chat queue-day meets its target at the fewest "
             "agent-hours found (see wfm.calibrate).")] = False,
    quiet: QuietOption = False,
) -> None:
    """Schedule agents into shifts, breaks and queues; write the schedule folder.

    Writes schedule.csv, activities.csv, coverage.csv and kpis.json into a temporary
    folder, re-reads them through the independent checker, and only then renames them
    into OUT, then prints the summary per queue. Exit 2 bad input, 3 when the rules admit
    no schedule (the cause is named), 4 when no schedule is found in the time limit, 5
    when the schedule (written and checked) is degraded, no better than the solver's safe
    schedule, 1 if the checker rejects the schedule (OUT is left as it was; the rejected
    folder is kept as OUT.rejected).

    Example: wfm schedule --config configs/example.yaml --requirements requirements.csv
    --agents sample_data/agents.csv --start 2026-03-23 --days 7 --out out/schedule
    """
    from wfm.io.config_file import load_config
    from wfm.io.inputs import read_forecast, read_requirements
    from wfm.plan import (
        export_step,
        horizon_rows,
        read_inputs,
        schedule_step,
        staff_step,
    )
    from wfm.reports.kpis import summary_lines

    if (requirements is None) == (forecast is None):
        raise fail("give exactly one of --requirements or --forecast", EXIT_BAD_INPUT)
    if calibrate and forecast is None:
        raise fail("--calibrate needs --forecast (the volume to simulate)", EXIT_BAD_INPUT)
    with exit_on_error():
        first = parse_date(start, "--start")
        cfg = load_config(config)
        inputs = read_inputs(cfg, agents=agents, previous=previous)
        forecast_table = None
        if requirements is not None:
            needed = read_requirements(requirements, cfg)
            source = str(requirements)
        else:
            forecast_table = read_forecast(forecast, cfg)
            needed = staff_step(cfg, forecast_table)
            source = str(forecast)
        needed = horizon_rows(needed, first, days, source)
        log = None if quiet else (lambda message: typer.echo(message, err=True))
        step = schedule_step
        if calibrate:
            from wfm.calibrate import calibrate_step as step
        done = step(cfg, inputs.agents, needed, first, days, out,
                    previous=inputs.previous, time_limit_seconds=time_limit,
                    workers=workers, seed=seed, log=log,
                    rejected_folder=out.with_name(out.name + ".rejected"))
        outcome = done.schedule if calibrate else done
        if xlsx is not None:
            export_step(cfg, inputs.agents, outcome.folder, xlsx, forecast=forecast_table)
    for line in summary_lines(outcome.report.kpis):
        typer.echo(line)
    if calibrate:
        from wfm.calibrate import calibration_lines

        for line in calibration_lines(done):
            typer.echo(line)
    shifts = outcome.folder.shifts
    typer.echo(f"wrote {out} ({len(shifts)} shifts, {shifts['agent_id'].nunique()} agents)"
               + (f" and {xlsx}" if xlsx is not None else ""))
    typer.echo(f"checker: valid ({outcome.checker['shifts_checked']} shifts, "
               f"{outcome.checker['activities_checked']} activities, "
               f"{outcome.checker['coverage_rows_checked']} coverage rows)")
    if outcome.degraded:
        raise fail(f"the schedule in {out} is degraded: no better than the safe schedule "
                   f"(every agent of a group on the same week); give more time or fewer "
                   f"competing processes", EXIT_DEGRADED)

