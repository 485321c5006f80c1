"""`wfm schedule`: solve and write a schedule folder (`wfm check` verifies one)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

from wfm.cli.common import exit_on_error, fail
from wfm.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, BadInput

app = typer.Typer()

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Center config YAML.", dir_okay=False)
]
AgentsOption = Annotated[
    Path, typer.Option("--agents", help="Agent roster (CSV or XLSX).", dir_okay=False)
]


def _start_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"--start: expected a date YYYY-MM-DD, got {text!r}") from None


def _in_horizon(requirements, start: date, days: int, source: str):
    """Requirement rows on the horizon's local dates; BadInput when there are none."""
    local_dates = requirements["interval_start"].dt.date
    inside = (local_dates >= start) & (local_dates < start + timedelta(days=days))
    if not inside.any():
        raise BadInput(f"{source}: no rows between {start} and "
                       f"{start + timedelta(days=days - 1)}")
    return requirements[inside].reset_index(drop=True)


def _fmt(value: object, pattern: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return pattern.format(value)


def _summary_lines(report, kpis: dict) -> list[str]:
    """The per-queue table and the solver figures, as printed."""
    lines = [f"{'queue':<16}{'required h':>12}{'scheduled h':>13}{'short h':>10}"
             f"{'SL proj':>9}{'target':>8}"]
    for row in report.summary.to_dict("records"):
        lines.append(
            f"{row['queue']:<16}{row['required_hours']:>12.1f}{row['scheduled_hours']:>13.1f}"
            f"{row['shortfall_hours']:>10.1f}"
            f"{_fmt(row['projected_service_level'], '{:.1%}'):>9}"
            f"{_fmt(row['service_level_target'], '{:.0%}'):>8}")
    lines.append(
        f"solver: {kpis['status']}, objective {_fmt(kpis['objective'], '{:.1f}')}, "
        f"best bound {_fmt(kpis['best_bound'], '{:.1f}')}, gap {_fmt(kpis['gap'], '{:.2%}')}, "
        f"{_fmt(kpis['wall_seconds'], '{:.1f}')} s (first schedule "
        f"{_fmt(kpis['first_solution_seconds'], '{:.1f}')} s)")
    lines.append(
        f"coverage: objective {_fmt(kpis['coverage_objective'], '{:.1f}')}, bound "
        f"{_fmt(kpis['coverage_bound'], '{:.1f}')}, gap {_fmt(kpis['coverage_gap'], '{:.2%}')}; "
        f"shortfall {_fmt(kpis['shortfall_hours'], '{:.1f}')} agent-hours")
    return lines


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
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.1, help="Solver time limit in seconds (default: config).")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, max=64, help="Solver threads (default: config).")] = None,
    seed: Annotated[int | None, typer.Option(help="Solver seed (default: config).")] = None,
    previous: Annotated[Path | None, typer.Option(
        help="Previous schedule folder or schedule.csv: rest and consecutive days carry "
             "over; on the same dates it is kept where coverage allows.")] = None,
    xlsx: Annotated[Path | None, typer.Option(
        help="Also write the coordinators' workbook here.", dir_okay=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No solver log lines.")] = False,
) -> None:
    """Schedule agents into shifts, breaks and queues; write the schedule folder.

    Writes schedule.csv, activities.csv, coverage.csv and kpis.json into OUT (atomically),
    re-reads them through the independent checker and prints the summary per queue. Exit
    2 bad input, 3 when the rules admit no schedule (the cause is named), 4 when no
    schedule is found in the time limit, 1 if the written schedule fails the checker.

    Example: wfm schedule --config configs/example.yaml --requirements requirements.csv
    --agents sample_data/agents.csv --start 2026-03-23 --days 7 --out out/schedule
    """
    from wfm.io.config_file import load_config
    from wfm.io.inputs import read_agents, read_previous, read_requirements
    from wfm.io.schedule_folder import write_schedule
    from wfm.reports.kpis import build_report
    from wfm.schedule.solve import solve_schedule
    from wfm.verify.folder import verify_folder

    if (requirements is None) == (forecast is None):
        raise fail("give exactly one of --requirements or --forecast", EXIT_BAD_INPUT)
    with exit_on_error():
        first = _start_date(start)
        cfg = load_config(config)
        roster = read_agents(agents, cfg)
        forecast_table = None
        if requirements is not None:
            needed = read_requirements(requirements, cfg)
            source = str(requirements)
        else:
            from wfm.io.inputs import read_forecast
            from wfm.staffing.requirements import requirements_from_forecast

            forecast_table = read_forecast(forecast, cfg)
            sized = requirements_from_forecast(forecast_table, cfg)
            needed = sized.assign(required=sized["agents_with_shrinkage"].astype(int))
            source = str(forecast)
        needed = _in_horizon(needed, first, days, source)
        before = read_previous(previous, cfg) if previous is not None else None
        log = None if quiet else (lambda message: typer.echo(message, err=True))
        result = solve_schedule(cfg, roster, needed, first, days, previous=before,
                                time_limit_seconds=time_limit, workers=workers, seed=seed,
                                log=log)
        report = build_report(cfg, result, needed, first, days)
        write_schedule(out, result, report.coverage, report.kpis)
        written, violations = verify_folder(cfg, roster, out, previous=before,
                                            requirements=needed, start=first, days=days)
        if xlsx is not None:
            from wfm.reports.workbook.book import write_workbook

            write_workbook(xlsx, cfg, roster, written.shifts, written.activities,
                           written.coverage, report.kpis, forecast=forecast_table)
    for line in _summary_lines(report, report.kpis):
        typer.echo(line)
    agents_working = written.shifts["agent_id"].nunique()
    typer.echo(f"wrote {out} ({len(written.shifts)} shifts, {agents_working} agents)"
               + (f" and {xlsx}" if xlsx is not None else ""))
    if violations:
        for violation in violations:
            typer.echo(str(violation), err=True)
        raise fail(f"the written schedule breaks {len(violations)} hard rules (checker)",
                   EXIT_INTERNAL)
    typer.echo("checker: valid")

