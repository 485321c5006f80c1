"""`wfm run`: the unattended nightly pipeline (validate, forecast, staff, schedule, export)."""

from __future__ import annotations

import sys
import traceback
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from wfm.cli.common import is_terminal
from wfm.cli.options import (
    QuietOption,
    SeedOption,
    TimeLimitOption,
    WorkersOption,
    parse_date,
)
from wfm.errors import EXIT_INTERNAL, WfmError
from wfm.run.interrupt import run_interruptible

app = typer.Typer()


class LogFormat(StrEnum):
    """How run events are written to stderr."""

    human = "human"
    json = "json"


class EngineName(StrEnum):
    """Where the sites of `--sites` run."""

    local = "local"
    ray = "ray"


@app.command()
def run(
    out: Annotated[
        Path, typer.Option("--out", help="Runs folder: each run writes RUNS/TIMESTAMP/ "
                           "(with --sites: RUNS/SITE/TIMESTAMP/).", file_okay=False)
    ],
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Center config YAML (one center).",
                                  dir_okay=False)
    ] = None,
    sites: Annotated[
        Path | None, typer.Option("--sites", help="Sites file (many centers): each site "
                                  "runs the whole chain into RUNS/SITE/.", dir_okay=False)
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Plan as if today were this date (YYYY-MM-DD); the "
                     "horizon starts the next day. Default: today in the center's zone."),
    ] = None,
    horizon_days: Annotated[
        int | None, typer.Option("--horizon-days", help="Days to plan (planning.horizon_days).")
    ] = None,
    seed: SeedOption = None,
    time_limit: TimeLimitOption = None,
    workers: WorkersOption = None,
    engine: Annotated[
        EngineName | None,
        typer.Option("--engine", help="With --sites: local processes (default) or Ray "
                     "(pip install 'wfm[ray]')."),
    ] = None,
    address: Annotated[
        str | None,
        typer.Option("--address", help="With --engine ray: the Ray cluster to join "
                     "(HOST:PORT); default RAY_ADDRESS, else Ray on this machine."),
    ] = None,
    max_parallel: Annotated[
        int | None,
        typer.Option("--max-parallel", min=1, help="With --sites: at most this many sites "
                     "at once. Default: as many as the cores hold (a site takes as many as "
                     "its solver workers)."),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="With --sites: run only these sites (repeat the option, "
                     "or give ids separated by commas)."),
    ] = None,
    log_format: Annotated[
        LogFormat | None,
        typer.Option("--log-format", help="Event lines on stderr: human, or one JSON object "
                     "per line. Default: human on a terminal, json otherwise."),
    ] = None,
    quiet: QuietOption = False,
) -> None:
    """Run validate, forecast, staff, schedule and export into RUNS/TIMESTAMP/.

    Inputs come from the config's `inputs:` paths. Only history before the horizon is
    used, so re-running a past --as-of with the same seed gives the same plan. When every
    stage succeeded RUNS/latest points at the new run and the workbook's path is printed;
    a failed or interrupted run is kept as RUNS/TIMESTAMP.failed with a manifest saying
    why, and RUNS/latest is left alone. Exit codes: 0 ok, 1 internal error, 2 bad input,
    3 infeasible rules, 4 no schedule within the time limit, 75 another run holds the
    lock, 130/143 stopped by SIGINT/SIGTERM.

    With --sites, each site of the sites file is such a run into RUNS/SITE/ (the other
    options apply to every site and win over the sites file's), several at once, and
    RUNS/group-TIMESTAMP.json records every site's outcome; its path is printed. Exit
    codes: 0 every site published, 6 some failed (listed), 7 none published, 2 a bad
    sites file or option, 75 another group holds RUNS, 130/143 stopped.

    Example: wfm run --config configs/example.yaml --out runs --as-of 2026-11-22

    Example: wfm run --sites configs/sites/sites.yaml --out runs --as-of 2026-11-22
    """
    from wfm.cli.common import _state
    from wfm.events import make_event_log
    from wfm.run.runner import RunFailed, RunOptions, StopRequest
    from wfm.run.stages import run_nightly

    on_terminal = is_terminal()
    events = make_event_log(sys.stderr, log_format.value if log_format else None, quiet,
                            on_terminal)
    stop = StopRequest()
    code = 0
    try:
        _check_modes(config, sites, engine, address, max_parallel, only)
        first = None if as_of is None else parse_date(as_of, "--as-of")
        if sites is not None:
            from wfm.run.sites import GroupOptions

            options = GroupOptions(as_of=first, horizon_days=horizon_days, seed=seed,
                                   time_limit_seconds=time_limit, workers=workers)
            code = _run_sites(sites, out, options, engine, address, max_parallel, only,
                              events, stop, on_terminal and events.log_format == "human"
                              and not quiet, quiet)
        else:
            assert config is not None
            run_options = RunOptions(config_path=config, runs_dir=out, as_of=first,
                                     horizon_days=horizon_days, seed=seed,
                                     time_limit_seconds=time_limit, workers=workers)
            outcome = run_interruptible(
                lambda: run_nightly(run_options, events=events, stop=stop), stop, events)
            if not quiet:
                typer.echo(str(outcome.workbook or outcome.run_dir))
    except RunFailed as exc:  # the pipeline has already logged the failure
        if _state["debug"]:
            traceback.print_exception(exc.cause)
        code = exc.exit_code
    except WfmError as exc:
        _report_error(events, str(exc), exc.exit_code)
        code = exc.exit_code
    except Exception as exc:
        if _state["debug"]:
            traceback.print_exc()
        _report_error(events, f"internal error: {type(exc).__name__}: {exc}", EXIT_INTERNAL)
        code = EXIT_INTERNAL
    if code:
        raise typer.Exit(code=code)


def _check_modes(config: Path | None, sites: Path | None, engine: Any, address: str | None,
                 max_parallel: int | None, only: list[str] | None) -> None:
    """BadInput unless exactly one of --config and --sites is given, and the options of
    --sites come with it."""
    from wfm.errors import BadInput

    if (config is None) == (sites is None):
        raise BadInput("give --config (one center) or --sites (many sites), not "
                       + ("both" if config is not None else "neither"))
    if sites is None:
        given = [name for name, value in (("--engine", engine), ("--address", address),
                                          ("--max-parallel", max_parallel), ("--only", only))
                 if value]
        if given:
            raise BadInput(f"{', '.join(given)}: only with --sites")


def _run_sites(sites: Path, out: Path, options: Any, engine: EngineName | None,
               address: str | None, max_parallel: int | None, only: list[str] | None,
               events: Any, stop: Any, live_table: bool, quiet: bool) -> int:
    """Run the sites file's sites (`wfm.run.group.run_group`); returns the exit code.

    On a terminal the sites are a live table; elsewhere one event line per site as it
    starts and ends. Prints the group manifest's path.
    """
    from wfm.run.group import run_group

    view: Any = events
    hook = None
    if live_table:
        from wfm.cli.sites_view import SiteTable

        view = SiteTable(sys.stderr, events, color=True)
        hook = view.site_event
    try:
        outcome = run_interruptible(
            lambda: run_group(sites, out, options, only=only,
                              engine=(engine or EngineName.local).value, address=address,
                              max_parallel=max_parallel, events=view, stop=stop,
                              on_site_event=hook),
            stop, view)
    finally:
        if live_table:
            view.close()
    if not quiet:
        typer.echo(str(outcome.manifest_path))
    return outcome.exit_code


def _report_error(events: Any, message: str, code: int) -> None:
    """One error line: a JSON event in json format, ``error: ...`` otherwise."""
    if events.log_format == "json":
        events.emit("error", message, level="error", exit_code=code)
    else:
        typer.echo(f"error: {message}", err=True)



if __name__ == "__main__":  # `python -m wfm.cli_run` (the same command as `wfm run`)
    app()
