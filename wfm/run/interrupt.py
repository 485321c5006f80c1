"""Run work in a thread while the main thread turns SIGTERM and SIGINT into a clean stop."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
WATCHED_SIGNALS = (signal.SIGTERM, signal.SIGINT)


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
