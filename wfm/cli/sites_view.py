"""The progress of `wfm run --sites` on a terminal: a live table of the sites.

`SiteTable` takes the group's events (`wfm.run.group`): it keeps one row per site (state,
current stage, attempt, time, result) redrawn in place under the log, prints warnings and
errors above it, and leaves the final table on the screen. Off a terminal the group's
events are plain log lines instead (one per site as it starts and as it ends).
"""

from __future__ import annotations

import threading
import time
from typing import IO, Any

from wfm.events import EventLog

_COLUMNS = ("site", "state", "stage", "try", "time", "result")
_STYLE = {"ok": "\x1b[32m", "failed": "\x1b[1;31m", "running": "\x1b[36m"}
_RESET = "\x1b[0m"
#: How often the elapsed times are redrawn, seconds.
REDRAW_SECONDS = 1.0


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


class SiteTable:
    """Events of a group of sites rendered as a live table on ``stream`` (a terminal).

    Use as an `Events` object for `wfm.run.group.run_group`, with `site_event` as its
    ``on_site_event`` hook; call `close` at the end.
    """

    def __init__(self, stream: IO[str], log: EventLog, color: bool = True) -> None:
        self.stream = stream
        self.log = log
        self.color = color
        self.rows: dict[str, dict[str, Any]] = {}
        self._drawn = 0
        self._lock = threading.RLock()
        self._done = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="wfm-site-table", daemon=True)
        self._ticker.start()

    # ------------------------------------------------------------ Events

    def emit(self, event: str, message: str = "", *, level: str = "info",
             **fields: Any) -> None:
        with self._lock:
            if event == "group_start":
                for site in fields.get("sites", []):
                    self.rows[site] = {"state": "pending", "stage": "", "attempt": 0,
                                       "began": None, "seconds": None, "result": ""}
            site = fields.get("site")
            row = self.rows.get(site) if site is not None else None
            if row is not None:
                self._update(row, event, fields)
            if event == "group_end":  # below the final table, which stays
                self._draw()
                self._drawn = 0
                self.log.emit(event, message, level=level, **fields)
                return
            if level in ("warning", "error") or row is None:
                self._erase()
                self.log.emit(event, message, level=level, **fields)
            self._draw()

    def progress(self, label: str, done: float, total: float) -> None:
        return None

    def end_progress(self) -> None:
        return None

    def site_event(self, site: str, record: dict[str, Any]) -> None:
        """A relayed event of a site's run: the table shows the stage it is in."""
        if record.get("event") != "stage_start":
            return
        with self._lock:
            row = self.rows.get(site)
            if row is not None:
                row["stage"] = record.get("stage") or ""
                self._draw()

    def close(self) -> None:
        """Stop redrawing; the last table stays on the screen."""
        self._done.set()
        self._ticker.join()
        with self._lock:
            self._drawn = 0

    # ------------------------------------------------------------ drawing

    @staticmethod
    def _update(row: dict[str, Any], event: str, fields: dict[str, Any]) -> None:
        if event == "site_start":
            row.update(state="running", attempt=fields.get("attempt", 1), stage="")
            row["began"] = row["began"] or time.monotonic()
        elif event == "site_retry":
            row["state"] = "retrying"
        elif event == "site_watchdog":
            row["state"] = "stopping"
        elif event == "site_end":
            row["state"] = fields.get("status", "")
            row["seconds"] = fields.get("seconds")
            if fields.get("status") == "ok":
                row["result"] = fields.get("run") or ""
                row["stage"] = ""
            else:
                row["result"] = f"exit {fields.get('exit_code')}"
                row["stage"] = fields.get("stage") or row["stage"]

    def lines(self) -> list[str]:
        """The table as text lines (without colour)."""
        now = time.monotonic()
        body = []
        for site, row in self.rows.items():
            seconds = row["seconds"]
            if seconds is None and row["began"] is not None:
                seconds = now - row["began"]
            body.append((site, row["state"], row["stage"] or "",
                         str(row["attempt"] or ""), _clock(seconds), row["result"]))
        widths = [max(len(str(cells[i])) for cells in [_COLUMNS, *body])
                  for i in range(len(_COLUMNS))]
        return ["  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
                for cells in [_COLUMNS, *body]]

    def _paint(self, line: str, state: str) -> str:
        code = _STYLE.get(state, "")
        return f"{code}{line}{_RESET}" if self.color and code else line

    def _erase(self) -> None:
        if self._drawn:
            # back to the table's first line, then clear to the end of the screen
            self.stream.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0

    def _draw(self) -> None:
        if not self.rows:
            return
        self._erase()
        lines = self.lines()
        states = ["", *(row["state"] for row in self.rows.values())]
        for line, state in zip(lines, states, strict=True):
            self.stream.write(self._paint(line, state) + "\n")
        self.stream.flush()
        self._drawn = len(lines)

    def _tick(self) -> None:
        while not self._done.wait(REDRAW_SECONDS):
            with self._lock:
                if self._drawn:
                    self._draw()
