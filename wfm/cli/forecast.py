"""`wfm forecast` and `wfm backtest`: thin commands over `wfm.forecast`."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from wfm.cli.common import exit_on_error, fail, is_terminal
from wfm.cli.options import ConfigOption, HistoryOption, SpecialDaysOption, input_path, parse_date
from wfm.errors import EXIT_BAD_INPUT

app = typer.Typer()

def _progress():
    """Progress reporter: an updating line on a terminal, plain lines otherwise."""
    terminal = is_terminal()

    def report(message: str) -> None:
        if terminal:
            sys.stderr.write(f"\r\033[K{message}")
            sys.stderr.flush()
        else:
            typer.echo(message, err=True)

    def done() -> None:
        if terminal:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()

    return report, done


def _inputs(config: Path, history: Path | None, special_days: Path | None):
    """The config, the history (gaps allowed: they become outliers) and the special days."""
    from wfm.io.config_file import load_config
    from wfm.plan import read_inputs

    cfg = load_config(config)
    special = special_days
    if special is None and cfg.inputs.special_days is not None \
            and Path(cfg.inputs.special_days).exists():
        special = cfg.inputs.special_days
    found = read_inputs(cfg, history=input_path(history, cfg.inputs.history, "--history",
                                                "history"),
                        special_days=special, complete_history=False)
    return cfg, found.history, found.special_days


def _fmt(value: object, pattern: str = "{:.4f}") -> str:
    try:
        if value != value:  # NaN
            return "-"
        return pattern.format(value)
    except (TypeError, ValueError):
        return str(value)


@app.command()
def forecast(
    config: ConfigOption,
    start: Annotated[str, typer.Option(help="First day of the forecast, YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option(help="Forecast CSV to write (the forecast contract).")],
    history: HistoryOption = None,
    days: Annotated[int | None, typer.Option(help="Days to forecast.")] = None,
    weeks: Annotated[
        int | None, typer.Option(help="Weeks to forecast (instead of --days).")
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(help="auto (pick per queue by backtest) or a model: seasonal_naive, "
                          "week_mean4, calendar_mean4, daily_regression, topdown_ets, mstl, "
                          "blend."),
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="CSV with the backtest of every model and the choice.")
    ] = None,
    special_days: SpecialDaysOption = None,
) -> None:
    """Forecast offered contacts and handle time per queue and interval.

    Every queue's models are backtested on the last weeks of history; the chosen one (and
    why) is printed per queue, with its pooled wMAPE and interval coverage.

    Example: wfm forecast --config configs/example.yaml --history sample_data/history.csv.gz
    --start 2026-12-07 --weeks 4 --out forecast.csv --report forecast_report.csv
    """
    from wfm.io.files import write_table
    from wfm.plan import forecast_step

    with exit_on_error():
        if (days is None) == (weeks is None):
            raise fail("give exactly one of --days and --weeks", EXIT_BAD_INPUT)
        first = parse_date(start, "--start")
        horizon = days if days is not None else 7 * weeks
        if horizon < 1:
            raise fail("--days/--weeks must be at least 1", EXIT_BAD_INPUT)
        cfg, table, special = _inputs(config, history, special_days)
        progress, done = _progress()
        try:
            result, pooled = forecast_step(cfg, table, first, horizon, special, method,
                                           progress=progress)
        finally:
            done()
        write_table(result, out)
        if report is not None:
            write_table(pooled, report)
    typer.echo(f"wrote {out} ({len(result)} rows, {horizon} days from {first})")
    _print_choice(pooled)
    for row in pooled[pooled["target"] == "warning"].itertuples():
        typer.echo(f"warning: {row.reason}")
    for row in pooled[(pooled["target"] == "aht_seconds") & (pooled["model"] == "default_aht")
                      ].itertuples():
        typer.echo(f"{row.queue}: handle time {row.reason}")
    outliers = pooled.attrs.get("outliers")
    if outliers is not None and len(outliers):
        typer.echo("outlier days kept out of the fit:")
        for row in outliers.itertuples():
            typer.echo(f"  {row.queue} {row.date.date()}: {row.reason}")


def _print_choice(pooled) -> None:
    rows = pooled[(pooled["target"] == "offered") & pooled["chosen"].fillna(False).astype(bool)]
    typer.echo(f"{'queue':<16}{'model':<18}{'wMAPE':>8}{'daily':>8}{'vs 4wk':>8}{'cover':>7}"
               "  reason")
    for row in rows.itertuples():
        typer.echo(f"{row.queue:<16}{row.model:<18}{_fmt(row.wmape):>8}{_fmt(row.wmape_daily):>8}"
                   f"{_fmt(row.gain_vs_week_mean4, '{:+.1%}'):>8}"
                   f"{_fmt(row.coverage, '{:.0%}'):>7}  {row.reason}")


@app.command()
def backtest(
    config: ConfigOption,
    history: HistoryOption = None,
    windows: Annotated[int, typer.Option(help="Rolling-origin cutoffs, one per step.")] = 8,
    days: Annotated[int, typer.Option(help="Days forecast after each cutoff.")] = 14,
    step: Annotated[int, typer.Option(help="Days between cutoffs.")] = 7,
    models: Annotated[
        str | None, typer.Option(help="Comma-separated models (default: all; baselines always).")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="CSV with per-window and pooled rows.")
    ] = None,
    special_days: SpecialDaysOption = None,
) -> None:
    """Rolling-origin evaluation: what each model would have scored on this history.

    Cutoffs are --step days apart, the last one --days days before the last history day;
    at each, every model is fit on history before it only and forecasts the next --days
    days (days without history rows are neither scored nor used). The model "auto" is
    what `wfm forecast` would have done at each cutoff: the model its own backtest
    (planning.backtest_*) on the history before the cutoff chooses. Prints per queue,
    model and window the interval and daily wMAPE and bias, then the pooled figures (sum
    of absolute errors over sum of actuals, all windows).

    Example: wfm backtest --config configs/us_bank.yaml
    --history ../shared/data/us_bank_history_15min.csv --windows 8 --days 14 --report bt.csv
    """
    import pandas as pd

    from wfm.forecast import backtest as run_backtest
    from wfm.io.files import write_table

    with exit_on_error():
        if windows < 1 or days < 1 or step < 1:
            raise fail("--windows, --days and --step must be at least 1", EXIT_BAD_INPUT)
        cfg, table, special = _inputs(config, history, special_days)
        names = [m.strip() for m in models.split(",") if m.strip()] if models else None
        progress, done = _progress()
        try:
            per_window, pooled = run_backtest(table, cfg, windows, days, step, names, special,
                                              progress=progress)
        except ValueError as exc:
            raise fail(str(exc), EXIT_BAD_INPUT) from None
        finally:
            done()
        if report is not None:
            both = pd.concat([per_window.assign(scope="window"),
                              pooled.assign(scope="pooled")], ignore_index=True)
            write_table(both, report)
    _print_backtest(per_window, pooled)
    if report is not None:
        typer.echo(f"wrote {report}")


def _print_backtest(per_window, pooled) -> None:
    if not per_window.empty:
        typer.echo(f"{'queue':<16}{'model':<18}{'cutoff':<12}{'wMAPE':>8}{'daily':>8}{'bias':>8}")
        for row in per_window.itertuples():
            cutoff = row.cutoff.isoformat() if isinstance(row.cutoff, date | datetime) else ""
            typer.echo(f"{row.queue:<16}{row.model:<18}{cutoff:<12}{_fmt(row.wmape):>8}"
                       f"{_fmt(row.wmape_daily):>8}{_fmt(row.bias, '{:+.3f}'):>8}")
        typer.echo("")
    procedure = pooled[(pooled["target"] == "offered") & (pooled["model"] == "auto")]
    for row in procedure.itertuples():
        typer.echo(f"{row.queue}: wfm forecast as run at each cutoff (its own choice on the "
                   f"history before it): wMAPE {_fmt(row.wmape)}, "
                   f"{_fmt(row.gain_vs_week_mean4, '{:+.1%}')} vs the 4-week mean, "
                   f"{_fmt(row.gain_vs_seasonal_naive, '{:+.1%}')} vs the seasonal naive")
    typer.echo("pooled over all windows:")
    typer.echo(f"{'queue':<16}{'target':<12}{'model':<18}{'win':>4}{'wMAPE':>8}{'daily':>8}"
               f"{'bias':>8}{'MASE':>7}{'cover':>7}{'vs 4wk':>8}{'vs naive':>9}  chosen")
    for row in pooled.itertuples():
        mark = f"* {row.reason}" if row.chosen is True else ""
        typer.echo(f"{row.queue:<16}{row.target:<12}{row.model:<18}{_fmt(row.windows, '{:.0f}'):>4}"
                   f"{_fmt(row.wmape):>8}{_fmt(row.wmape_daily):>8}{_fmt(row.bias, '{:+.3f}'):>8}"
                   f"{_fmt(row.mase, '{:.2f}'):>7}{_fmt(row.coverage, '{:.0%}'):>7}"
                   f"{_fmt(row.gain_vs_week_mean4, '{:+.1%}'):>8}"
                   f"{_fmt(row.gain_vs_seasonal_naive, '{:+.1%}'):>9}  {mark}")
