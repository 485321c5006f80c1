"""Options the report commands over actuals share (`wfm kpi`, `wfm adherence`,
`wfm accuracy`): where the table and the workbook go."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

OutOption = Annotated[
    Path | None, typer.Option("--out", help="CSV to write the report's table to.",
                              dir_okay=False)
]
XlsxOption = Annotated[
    Path | None, typer.Option("--xlsx", help="Workbook to write the report to (prints on "
                              "landscape pages fitted to the width).", dir_okay=False)
]
ActualsOption = Annotated[
    Path | None, typer.Option("--actuals", help="Agent state logs: agent_id, state, start, end "
                              "(CSV, CSV.GZ or XLSX).", dir_okay=False)
]


def write_outputs(outputs: list[tuple[Path | None, Callable[[Path], None], int]]) -> list[str]:
    """Write each output asked for (path, writer, rows); returns what to print about them."""
    lines = []
    for path, write, rows in outputs:
        if path is not None:
            write(path)
            lines.append(f"{path}: {rows} rows written")
    return lines
