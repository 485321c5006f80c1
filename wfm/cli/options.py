"""Options the commands share, defined once, and the parsing of their values."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from wfm.errors import BadInput

ConfigOption = Annotated[
    Path, typer.Option("--config", "-c", help="Center config YAML.", dir_okay=False)
]
AgentsOption = Annotated[
    Path, typer.Option("--agents", help="Agent roster (CSV or XLSX).", dir_okay=False)
]
OptionalAgentsOption = Annotated[
    Path | None, typer.Option("--agents", help="Agent roster (CSV or XLSX); default: the "
                              "config's inputs.agents.", dir_okay=False)
]
HistoryOption = Annotated[
    Path | None,
    typer.Option("--history", help="History file (CSV, CSV.GZ or XLSX); default: the "
                 "config's inputs.history.", dir_okay=False),
]
SpecialDaysOption = Annotated[
    Path | None,
    typer.Option("--special-days",
                 help="CSV date,queue,multiplier (queue 'all'; multiplier a number or 'closed'); "
                      "default: inputs.special_days of the config when it exists.",
                 dir_okay=False),
]
ScheduleFolderOption = Annotated[
    Path, typer.Option("--schedule", help="Schedule folder (schedule.csv, activities.csv, "
                       "coverage.csv, kpis.json).", file_okay=False)
]
PreviousOption = Annotated[
    Path | None, typer.Option(
        "--previous", help="Previous schedule folder or schedule.csv: rest and consecutive "
        "days carry over; on the same dates it is kept where coverage allows.")
]
TimeLimitOption = Annotated[
    float | None, typer.Option("--time-limit", min=0.1,
                               help="Solver time limit, seconds (solver.time_limit_seconds).")
]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", min=1, max=64,
                             help="Solver threads (solver.workers).")
]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Solver seed (solver.seed).")]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="Only warnings and errors.")
]


def parse_date(text: str, option: str) -> date:
    """A YYYY-MM-DD option value; BadInput naming the option otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"{option}: expected a date YYYY-MM-DD, got {text!r}") from None


def input_path(given: Path | None, configured: Path | None, option: str, key: str) -> Path:
    """The file an option names, else the config's ``inputs.<key>``; BadInput when neither."""
    path = given or configured
    if path is None:
        raise BadInput(f"{option} is required (the config has no inputs.{key})")
    return Path(path)
