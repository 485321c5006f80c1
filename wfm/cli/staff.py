"""`wfm staff` (forecast to requirements) and `wfm erlang` (the desk calculator)."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from wfm.cli.common import exit_on_error, fail
from wfm.errors import EXIT_BAD_INPUT

app = typer.Typer()


@app.command()
def staff(
    config: Annotated[Path, typer.Option("--config", "-c", help="Center config YAML.")],
    forecast: Annotated[Path, typer.Option(help="Forecast file (the forecast contract).")],
    out: Annotated[Path, typer.Option(help="Requirements CSV to write.")],
    explain: Annotated[
        str | None,
        typer.Option(help="Show every step for one interval: 'QUEUE@YYYY-MM-DDTHH:MM'."),
    ] = None,
    fte_weekly_hours: Annotated[float, typer.Option(help="Hours of one FTE per week.")] = 40.0,
    history: Annotated[
        Path | None,
        typer.Option(help="History with abandoned and wait_seconds: estimate caller patience."),
    ] = None,
    use_estimated_patience: Annotated[
        bool, typer.Option(help="Size voice queues with Erlang A at the estimated patience.")
    ] = False,
) -> None:
    """Size every queue and interval of a forecast: agents needed, with shrinkage.

    Writes the requirements contract and prints per queue the peak agents, agent-hours
    and FTE. With --explain, prints how one interval's number was reached. With
    --history, estimates each queue's caller patience from abandonment and waiting time
    (and uses it with --use-estimated-patience).

    Example: wfm staff --config configs/example.yaml --forecast forecast.csv
    --out requirements.csv --explain billing_es@2026-11-24T10:00
    """
    import pandas as pd

    from wfm.io.config_file import load_config
    from wfm.io.files import write_table
    from wfm.io.inputs import read_forecast, read_history
    from wfm.plan import staff_step
    from wfm.reports.kpis import NOT_MODELLED
    from wfm.staffing.explain import explain_interval
    from wfm.staffing.requirements import (
        estimate_patience,
        summarize_requirements,
        with_estimated_patience,
    )

    with exit_on_error():
        cfg = load_config(config)
        estimates = estimate_patience(read_history(history, cfg)) if history else {}
        if use_estimated_patience:
            if not estimates:
                raise fail("--use-estimated-patience needs --history with abandoned and "
                           "wait_seconds columns", EXIT_BAD_INPUT)
            cfg = with_estimated_patience(cfg, estimates)
        table = read_forecast(forecast, cfg)
        requirements = staff_step(cfg, table)
        write_table(requirements, out)
        summaries = summarize_requirements(requirements, cfg, fte_weekly_hours)
        steps = None
        if explain:
            queue_id, _, when = explain.partition("@")
            try:
                stamp = pd.Timestamp(datetime.fromisoformat(when))
            except ValueError:
                raise fail(f"--explain: expected QUEUE@YYYY-MM-DDTHH:MM, got {explain!r}",
                           EXIT_BAD_INPUT) from None
            if queue_id not in {q.id for q in cfg.queues}:
                raise fail(f"--explain: unknown queue {queue_id!r}", EXIT_BAD_INPUT)
            steps = explain_interval(table, cfg, queue_id, stamp)
    for queue_id, estimate in estimates.items():
        typer.echo(f"patience {queue_id}: {estimate.patience_seconds:.0f} s ({estimate.reason})")
    typer.echo(f"wrote {out} ({len(requirements)} rows)")
    typer.echo(f"{'queue':<16}{'peak agents':>12}{'agent-hours':>13}{'FTE':>8}{'offered':>10}"
               f"{'SL':>14}")
    for s in summaries:
        level = (f"{s.mean_service_level:.1%}" if s.mean_service_level == s.mean_service_level
                 else "-") if s.service_level_modelled else NOT_MODELLED
        typer.echo(f"{s.queue:<16}{s.peak_agents:>12}{s.agent_hours:>13.1f}{s.fte:>8.1f}"
                   f"{s.offered:>10.0f}{level:>14}")
    if cfg.campaigns:
        from wfm.staffing.campaigns import campaign_days

        typer.echo(f"{'campaign':<16}{'date':<12}{'attempts':>10}{'contacts':>10}"
                   f"{'abandoned':>11}{'agent-hours':>13}")
        for row in campaign_days(requirements, cfg).itertuples():
            typer.echo(f"{row.campaign:<16}{row.date.isoformat():<12}{row.attempts:>10.0f}"
                       f"{row.contacts:>10.0f}{row.abandoned:>11.0f}{row.agent_hours:>13.1f}")
    if steps:
        typer.echo("")
        for step, value in steps:
            typer.echo(f"{step:<24}{value}")


@app.command("erlang")
def erlang_calculator(
    calls: Annotated[float, typer.Option(help="Contacts offered in the interval.")],
    aht: Annotated[float, typer.Option(help="Average handle time, seconds.")],
    interval_minutes: Annotated[float, typer.Option(help="Interval length, minutes.")] = 30,
    target: Annotated[float | None, typer.Option(help="Service-level target (0-1).")] = None,
    answer_seconds: Annotated[float, typer.Option(help="Answer-time target, seconds.")] = 20,
    max_asa: Annotated[float | None, typer.Option(help="Maximum ASA, seconds.")] = None,
    max_occupancy: Annotated[float | None, typer.Option(help="Maximum occupancy (0-1].")] = None,
    patience: Annotated[
        float | None, typer.Option(help="Mean caller patience, seconds (Erlang A).")
    ] = None,
    shrinkage: Annotated[float, typer.Option(help="Shrinkage (0-1) for scheduled heads.")] = 0.0,
    agents: Annotated[int | None, typer.Option(help="Evaluate this many agents.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """The desk calculator: agents for a target, or the figures of a given staffing.

    Without --agents it finds the minimum meeting every target given (80/20 when none
    is) and shows the table around it; with --agents it evaluates that staffing.

    Example: wfm erlang --calls 100 --aht 180 --interval-minutes 30 --target 0.8
    --answer-seconds 20
    """
    import math

    from wfm.staffing import erlang

    with exit_on_error():
        if agents is None:
            if target is None and max_asa is None and max_occupancy is None:
                target = 0.8
            chosen = int(erlang.agents_needed(
                calls, aht, interval_minutes, service_level_target=target,
                answer_seconds=answer_seconds, max_asa_seconds=max_asa,
                max_occupancy=max_occupancy, patience_seconds=patience,
            ))
        else:
            if agents < 0:
                raise fail("--agents must be 0 or more", EXIT_BAD_INPUT)
            chosen = agents
        rows = []
        for n in range(max(chosen - 2, 1), chosen + 3):
            if patience is None:
                m = erlang.erlang_c_metrics(n, calls, aht, interval_minutes, answer_seconds)
            else:
                m = erlang.erlang_a_metrics(n, calls, aht, interval_minutes, patience,
                                            answer_seconds)
            rows.append({
                "agents": n,
                "service_level": float(m.service_level),
                "asa_seconds": float(m.asa_seconds),
                "prob_wait": float(m.prob_wait),
                "occupancy": float(m.occupancy),
                "prob_abandon": float(m.prob_abandon),
            })
    picked = next(r for r in rows if r["agents"] == chosen) if chosen >= 1 else {
        "agents": 0, "service_level": 0.0 if calls > 0 else 1.0,
        "asa_seconds": math.inf if calls > 0 else 0.0, "prob_wait": 1.0 if calls > 0 else 0.0,
        "occupancy": 0.0, "prob_abandon": 0.0,
    }
    if patience is None:
        picked = {k: v for k, v in picked.items() if k != "prob_abandon"}
    with_shrinkage = math.ceil(chosen / (1 - shrinkage) - 1e-9) if shrinkage else chosen
    if as_json:
        payload = dict(picked)
        if shrinkage:
            payload["agents_with_shrinkage"] = with_shrinkage
        typer.echo(json.dumps(payload, allow_nan=True))
        return
    traffic = calls * aht / (interval_minutes * 60)
    model = "Erlang A" if patience is not None else "Erlang C"
    typer.echo(f"{model}: {calls:g} contacts in {interval_minutes:g} min, AHT {aht:g} s "
               f"= {traffic:.3f} erlangs")
    header = f"{'agents':>7}{'SL':>9}{'ASA s':>9}{'P(wait)':>9}{'occupancy':>11}"
    typer.echo(header + (f"{'abandon':>9}" if patience is not None else ""))
    for r in rows:
        line = (f"{r['agents']:>7}{r['service_level']:>9.1%}{r['asa_seconds']:>9.1f}"
                f"{r['prob_wait']:>9.1%}{r['occupancy']:>11.1%}")
        if patience is not None:
            line += f"{r['prob_abandon']:>9.1%}"
        mark = "  <- chosen" if r["agents"] == chosen else ""
        typer.echo(line + mark)
    if shrinkage:
        typer.echo(f"with {shrinkage:.0%} shrinkage: schedule {with_shrinkage} agents")


class Dialing(StrEnum):
    """How the campaign dials."""

    preview = "preview"
    progressive = "progressive"
    predictive = "predictive"


@app.command("outbound")
def outbound_calculator(
    records: Annotated[int, typer.Option(min=0, help="Records on the list.")],
    attempts: Annotated[int, typer.Option(min=1, help="Attempts per record at most.")],
    contact_rate: Annotated[float, typer.Option(
        min=0.0001, max=1.0, help="Right-party contacts per attempt (0-1].")],
    aht: Annotated[float, typer.Option(min=0.0, help="Talk time per contact, seconds.")],
    attempt_seconds: Annotated[float, typer.Option(
        min=0.0, help="Agent time per non-contact attempt (set-up, ringing, voicemail), s.")],
    hours: Annotated[float, typer.Option(min=0.01, help="Calling hours to work the list in.")],
    acw: Annotated[float, typer.Option(min=0.0, help="After-call work per contact, s.")] = 0.0,
    dialing: Annotated[Dialing, typer.Option(help="preview, progressive or predictive.")
                       ] = Dialing.progressive,
    preview_seconds: Annotated[float, typer.Option(
        min=0.0, help="Preview dialing: seconds reading a record before each attempt.")] = 0.0,
    pacing_ratio: Annotated[float, typer.Option(
        min=1.0, help="Predictive dialing: most lines dialled per agent.")] = 3.0,
    max_abandon: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Predictive dialing: most abandoned share of live answers.")
                           ] = 0.03,
    occupancy: Annotated[float, typer.Option(
        min=0.01, max=1.0, help="Share of the agents' time spent dialing and talking.")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """The outbound desk calculator: attempts, contacts and agents to work a calling list.

    Each record is dialled until a contact or --attempts attempts; preview and
    progressive agents wait through every attempt, a predictive dialer keeps the
    abandoned share of live answers at or under --max-abandon (Erlang B over the agents).

    Example: wfm outbound --records 5000 --attempts 3 --contact-rate 0.35 --aht 240
    --attempt-seconds 30 --hours 6.4
    """
    from wfm.staffing.campaigns import list_plan

    with exit_on_error():
        plan = list_plan(records, attempts, contact_rate, aht, attempt_seconds, hours,
                         acw_seconds=acw, dialing=dialing.value,
                         preview_seconds=preview_seconds if dialing == Dialing.preview else 0.0,
                         pacing_ratio=pacing_ratio, max_abandon_rate=max_abandon,
                         max_occupancy=occupancy)
    figures = {"agents": plan.agents, "attempts": round(plan.attempts, 1),
               "contacts": round(plan.contacts, 1), "abandoned": round(plan.abandoned, 1),
               "abandon_share": round(plan.abandon_share, 4),
               "agent_hours": round(plan.agent_hours, 2)}
    if as_json:
        typer.echo(json.dumps(figures))
        return
    typer.echo(f"{records} records, up to {attempts} attempts, contact rate {contact_rate:.0%}, "
               f"{dialing.value} dialing, {hours:g} calling hours")
    typer.echo(f"agents {plan.agents}: {plan.attempts:.0f} attempts, {plan.contacts:.0f} "
               f"contacts, {plan.agent_hours:.1f} agent-hours")
    if dialing == Dialing.predictive:
        typer.echo(f"abandoned {plan.abandoned:.0f} live answers "
                   f"({plan.abandon_share:.1%} of them; cap {max_abandon:.0%})")
