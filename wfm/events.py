"""Run events as log lines: human lines on a terminal, one JSON object per line elsewhere.

Library code reports what happens through an `Events` object (``events.emit("solving",
"schedule: solving", time_limit_seconds=60)``) and never prints. The CLI picks the
rendering: `EventLog` in ``human`` format writes ``HH:MM:SS message`` lines, with colour
and a live progress bar only on a terminal; in ``json`` format it writes one object per
line (``time``, ``level``, ``event``, ``message`` and the event's fields) and never an
ANSI escape code. ``quiet`` keeps warnings and errors only.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any, Literal, Protocol

LogFormat = Literal["human", "json"]
LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}

_RESET = "\x1b[0m"
_STYLE = {"debug": "\x1b[2m", "info": "", "warning": "\x1b[33m", "error": "\x1b[1;31m",
          "ok": "\x1b[32m", "time": "\x1b[2m"}
_BAR_WIDTH = 30


class Events(Protocol):
    """Where the pipeline reports events."""

    def emit(self, event: str, message: str = "", *, level: str = "info",
             **fields: Any) -> None:
        """Report one event: a short name, a human sentence and JSON-able fields."""

    def progress(self, label: str, done: float, total: float) -> None:
        """Show how far a long step is (``done`` out of ``total``, same units)."""

    def end_progress(self) -> None:
        """Remove the progress display, if any."""


class NullEvents:
    """Events that go nowhere (the library default)."""

    def emit(self, event: str, message: str = "", *, level: str = "info",
             **fields: Any) -> None:
        return None

    def progress(self, label: str, done: float, total: float) -> None:
        return None

    def end_progress(self) -> None:
        return None


class RecordingEvents(NullEvents):
    """Events kept in a list of dicts (for tests and for callers that inspect a run)."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def emit(self, event: str, message: str = "", *, level: str = "info",
             **fields: Any) -> None:
        self.records.append({"event": event, "message": message, "level": level, **fields})

    def names(self) -> list[str]:
        """The event names in order."""
        return [r["event"] for r in self.records]


def _json_safe(value: Any) -> Any:
    """Floats that JSON cannot hold (NaN, inf) become None; the rest goes through str()."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class EventLog:
    """Events rendered to a stream (stderr in the CLI).

    ``color`` and ``interactive`` (live progress bar) should be true only on a terminal;
    the JSON format ignores both. Safe to call from several threads.
    """

    def __init__(self, stream: IO[str], log_format: LogFormat = "json", quiet: bool = False,
                 color: bool = False, interactive: bool = False) -> None:
        self.stream = stream
        self.log_format = log_format
        self.quiet = quiet
        self.color = color and log_format == "human"
        self.interactive = interactive and log_format == "human" and not quiet
        self._lock = threading.RLock()
        self._bar_shown = False

    def _paint(self, text: str, style: str) -> str:
        code = _STYLE.get(style, "")
        return f"{code}{text}{_RESET}" if self.color and code else text

    def _human_line(self, event: str, message: str, level: str, fields: dict) -> str:
        stamp = datetime.now().strftime("%H:%M:%S")
        text = message or " ".join([event, *(f"{k}={v}" for k, v in fields.items())])
        if level in ("warning", "error"):
            text = f"{level}: {text}"
        style = "ok" if event == "run_ok" else level
        return f"{self._paint(stamp, 'time')} {self._paint(text, style)}"

    def emit(self, event: str, message: str = "", *, level: str = "info",
             **fields: Any) -> None:
        """Write one event line (nothing below warning when quiet)."""
        if self.quiet and LEVELS.get(level, 20) < LEVELS["warning"]:
            return
        if self.log_format == "json":
            record = {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "level": level, "event": event, "message": message,
                **{k: _json_safe(v) for k, v in fields.items()},
            }
            line = json.dumps(record, default=str, ensure_ascii=True, allow_nan=False)
        else:
            line = self._human_line(event, message, level, fields)
        with self._lock:
            self._clear_bar()
            self.stream.write(line + "\n")
            self.stream.flush()

    def progress(self, label: str, done: float, total: float) -> None:
        """Redraw a one-line progress bar (terminal, human format only)."""
        if not self.interactive:
            return
        fraction = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
        filled = int(round(fraction * _BAR_WIDTH))
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        with self._lock:
            self.stream.write(f"\r\x1b[2K{label} [{bar}] {fraction:4.0%}")
            self.stream.flush()
            self._bar_shown = True

    def end_progress(self) -> None:
        """Erase the progress bar."""
        with self._lock:
            self._clear_bar()
            self.stream.flush()

    def _clear_bar(self) -> None:
        if self._bar_shown:
            self.stream.write("\r\x1b[2K")
            self._bar_shown = False


@contextlib.contextmanager
def ticking(events: Events, label: str, total_seconds: float | None,
            every_seconds: float = 0.5) -> Iterator[None]:
    """Show elapsed time against ``total_seconds`` as progress while the block runs.

    For steps that report nothing while they work (a CP-SAT solve under a time limit).
    Does nothing without a total.
    """
    if not total_seconds or isinstance(events, NullEvents):
        yield
        return
    done = threading.Event()
    started = time.monotonic()

    def tick() -> None:
        while not done.wait(every_seconds):
            elapsed = time.monotonic() - started
            events.progress(f"{label} {elapsed:5.0f}s/{total_seconds:.0f}s", elapsed,
                            total_seconds)

    thread = threading.Thread(target=tick, name="wfm-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        events.end_progress()


def make_event_log(stream: IO[str], log_format: str | None, quiet: bool,
                   on_terminal: bool) -> EventLog:
    """The CLI's event log: human on a terminal, JSON otherwise unless a format is given."""
    chosen: LogFormat = "human" if on_terminal else "json"
    if log_format is not None:
        chosen = "json" if log_format == "json" else "human"
    return EventLog(stream, chosen, quiet=quiet, color=on_terminal, interactive=on_terminal)
