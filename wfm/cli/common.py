"""What every command shares: error-to-exit-code mapping and terminal-aware output."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Iterator

import typer

from wfm.errors import EXIT_INTERNAL, WfmError

_state = {"debug": False}


def set_debug(enabled: bool) -> None:
    """Show tracebacks for errors (the global ``--debug`` flag)."""
    _state["debug"] = enabled


def is_terminal() -> bool:
    """True when stderr is an interactive terminal that accepts colour and progress bars."""
    return sys.stderr.isatty() and os.environ.get("TERM", "") not in ("", "dumb")


def fail(message: str, code: int) -> typer.Exit:
    """Print one line to stderr and return the Exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=code)


@contextlib.contextmanager
def exit_on_error() -> Iterator[None]:
    """Turn a WfmError into its exit code with one line on stderr (traceback with --debug).

    Any other exception is an internal error: exit 1 with its type and message.
    """
    try:
        yield
    except (typer.Exit, typer.Abort, SystemExit, KeyboardInterrupt):
        raise
    except WfmError as exc:
        if _state["debug"]:
            traceback.print_exc()
        for line in getattr(exc, "violations", ()):  # a rejected schedule lists what broke
            typer.echo(line, err=True)
        raise fail(str(exc), exc.exit_code) from None
    except Exception as exc:
        if _state["debug"]:
            traceback.print_exc()
        raise fail(f"internal error: {type(exc).__name__}: {exc}", EXIT_INTERNAL) from None
