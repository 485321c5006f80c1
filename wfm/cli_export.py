"""`wfm export`: the coordinators' workbook from an existing schedule folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from wfm.cli_common import exit_on_error
from wfm.config import CenterConfig
from wfm.errors import BadInput

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command()
def export(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="Center config YAML.", dir_okay=False)
    ],
    schedule: Annotated[
        Path, typer.Option(help="Schedule folder (schedule.csv, activities.csv, coverage.csv, "
                                "kpis.json).", file_okay=False)
    ],
    out: Annotated[Path, typer.Option(help="Workbook to write (.xlsx).", dir_okay=False)],
    agents: Annotated[
        Path | None, typer.Option(help="Agent roster; default: the config's inputs.agents.",
                                  dir_okay=False)
    ] = None,
    forecast: Annotated[
        Path | None, typer.Option(help="Forecast file for the Forecast sheet; default: "
                                       "forecast.csv in the schedule folder when present.",
                                  dir_okay=False)
    ] = None,
) -> None:
    """Write the coordinators' workbook (summary, schedule, a Gantt per day, coverage,
    forecast, rules) from a schedule folder.

    Example: wfm export --config configs/example.yaml --schedule runs/2026-03-23/schedule
    --out schedule.xlsx
    """
    from wfm.config import load_config
    from wfm.excel import write_workbook

    with exit_on_error():
        cfg = load_config(config)
        tables = _read_inputs(cfg, schedule, agents, forecast)
        write_workbook(out, cfg, **tables)
    typer.echo(f"{out}: workbook written ({len(tables['shifts'])} shifts, "
               f"{len(tables['agents'])} agents)")


def _read_inputs(cfg: CenterConfig, folder: Path, agents_path: Path | None,
                 forecast_path: Path | None) -> dict:
    """The keyword arguments of `write_workbook` (all but path and config) from files."""
    from wfm.io import parse_timestamps, read_agents, read_table

    shifts, activities, coverage, kpis = _read_schedule_folder(cfg, folder)
    agents_path = agents_path or cfg.inputs.agents
    agents = read_agents(agents_path, cfg) if agents_path is not None else []
    if forecast_path is None and (folder / "forecast.csv").exists():
        forecast_path = folder / "forecast.csv"
    forecast = None
    if forecast_path is not None:
        forecast = read_table(forecast_path)
        if "interval_start" not in forecast.columns or "queue" not in forecast.columns:
            raise BadInput(f"{forecast_path}: missing column 'interval_start' or 'queue'")
        forecast["queue"] = forecast["queue"].astype(str)
        forecast["interval_start"] = parse_timestamps(
            forecast["interval_start"], cfg.center.timezone, str(forecast_path),
            "interval_start", groups=forecast["queue"])
    return {"agents": agents, "shifts": shifts, "activities": activities,
            "coverage": coverage, "kpis": kpis, "forecast": forecast}


def _read_schedule_folder(cfg: CenterConfig, folder: Path
                          ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    """Shifts, activities, coverage and kpis of a schedule folder (tz-aware timestamps)."""
    try:
        from wfm.schedule_files import read_schedule
    except ImportError:  # the schedule folder reader ships separately
        read_schedule = None
    if read_schedule is not None:
        found = read_schedule(folder, cfg)
        coverage = found.coverage
        if coverage is None:
            raise BadInput(f"{folder / 'coverage.csv'}: no such file")
        return found.shifts, found.activities, coverage, found.kpis
    return _read_folder_files(cfg, folder)


def _read_folder_files(cfg: CenterConfig, folder: Path
                       ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    import json

    from wfm.io import parse_timestamps, read_table

    if not folder.is_dir():
        raise BadInput(f"{folder}: no such schedule folder")
    zone = cfg.center.timezone
    shifts = read_table(folder / "schedule.csv")
    shifts["agent_id"] = shifts["agent_id"].astype(str)
    for column in ("shift_start", "shift_end"):
        shifts[column] = parse_timestamps(shifts[column], zone, "schedule.csv", column,
                                          groups=shifts["agent_id"])
    shifts["date"] = pd.to_datetime(shifts["date"]).dt.date
    activities = read_table(folder / "activities.csv")
    activities["agent_id"] = activities["agent_id"].astype(str)
    activities["queue"] = activities["queue"].fillna("").astype(str)
    for column in ("start", "end"):
        activities[column] = parse_timestamps(activities[column], zone, "activities.csv",
                                              column, groups=activities["agent_id"])
    coverage = read_table(folder / "coverage.csv")
    coverage["queue"] = coverage["queue"].astype(str)
    coverage["interval_start"] = parse_timestamps(coverage["interval_start"], zone,
                                                  "coverage.csv", "interval_start",
                                                  groups=coverage["queue"])
    kpis_path = folder / "kpis.json"
    kpis = json.loads(kpis_path.read_text(encoding="utf-8")) if kpis_path.exists() else {}
    return shifts, activities, coverage, kpis
