"""`wfm run`: the unattended nightly pipeline (validate, forecast, staff, schedule, export)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from wfm.cli.common import is_terminal
from wfm.cli.options import (
    ConfigOption,
    QuietOption,
    SeedOption,
    TimeLimitOption,
    WorkersOption,
    parse_date,
)
from wfm.errors import EXIT_INTERNAL, WfmError

app = typer.Typer()

T = TypeVar("T")
WATCHED_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class LogFormat(StrEnum):
    """How run events are written to stderr."""

    human = "human"
    json = "json"


def run_interruptible(work: Callable[[], T], stop: Any, events: Any) -> T:
    """Call ``work()`` in a worker thread while the main thread waits for signals.

    SIGTERM and SIGINT set ``stop`` (the solver's stop event) so the run winds down
    cleanly and is marked failed; a second signal exits at once with 128 + signal (the
    unfinished run folder is recovered as failed by the next run). Python delivers
    signals to the main thread only between bytecodes, so the solver, which blocks in C++,
    must not run in the main thread for the stop to reach it promptly.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # handed to the main thread
            box["error"] = exc

    def on_signal(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            events.emit("signal", f"{name} again: exiting now", level="error", signal=name)
            os._exit(128 + signum)
        events.emit("signal", f"{name} received: stopping the run", level="warning",
                    signal=name)
        stop.request(signum)

    thread = threading.Thread(target=target, name="wfm-run")
    previous = {}
    in_main = threading.current_thread() is threading.main_thread()
    if in_main:
        for signum in WATCHED_SIGNALS:
            previous[signum] = signal.signal(signum, on_signal)
    try:
        thread.start()
        while thread.is_alive():
            thread.join(0.05)
            if in_main:
                # CP-SAT (catch_sigint_signal, on by default) takes SIGINT over while it
                # solves and leaves it at SIG_DFL afterwards; its handler lives in the
                # solving thread only, so a Ctrl-C reaching the main thread would abort the
                # process. Taking the signals back every tick keeps that window tiny.
                for signum in WATCHED_SIGNALS:
                    signal.signal(signum, on_signal)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if "error" in box:
        raise box["error"]
    return box["result"]


@app.command()
def run(
    config: ConfigOption,
    out: Annotated[
        Path, typer.Option("--out", help="Runs folder: each run writes RUNS/TIMESTAMP/.",
                           file_okay=False)
    ],
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

    Example: wfm run --config configs/example.yaml --out runs --as-of 2026-11-22
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
        first = None if as_of is None else parse_date(as_of, "--as-of")
        options = RunOptions(config_path=config, runs_dir=out, as_of=first,
                             horizon_days=horizon_days, seed=seed, time_limit_seconds=time_limit,
                             workers=workers)
        outcome = run_interruptible(lambda: run_nightly(options, events=events, stop=stop),
                                    stop, events)
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
    if not quiet:
        typer.echo(str(outcome.workbook or outcome.run_dir))


def _report_error(events: Any, message: str, code: int) -> None:
    """One error line: a JSON event in json format, ``error: ...`` otherwise."""
    if events.log_format == "json":
        events.emit("error", message, level="error", exit_code=code)
    else:
        typer.echo(f"error: {message}", err=True)



if __name__ == "__main__":  # `python -m wfm.cli_run` (the same command as `wfm run`)
    app()
