"""The one KPI engine: coverage, projected service level and every figure wfm reports.

kpis.json, the terminal summary of `wfm schedule` and the nightly run, and the workbook's
Summary sheet all show figures from `schedule_figures`; nothing else computes them.

Coverage (`coverage_table`) takes the solver's own count of agents at work per queue and
interval (`ScheduleResult.scheduled`), not a recount of the activities: the independent
checker recounts them (`wfm.verify.coverage`) and compares, so the two can disagree.
``shortfall = max(0, required - scheduled)``.

The projected service level is computed back from the scheduled agents with the staffing
stage's queueing math (`wfm.staffing.requirements.project_metrics`): the agents on the
phones are ``net = floor(scheduled * (1 - shrinkage))`` with the interval's configured
shrinkage (unrounded for deferred and campaign work: `net_agents`), the queue's model
and targets come from the config, the offered volume and handle time from the
requirements. It is empty (NaN) where it cannot be computed: no
volume given, nothing offered in the interval, or a channel whose service level wfm
does not model (email and outbound: "not modelled"). Per queue and day, and per queue
over the horizon, the service level is the mean of the intervals' weighted by their
offered contacts; the center's figure weights every live queue's intervals the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from wfm.calendar import interval_grid
from wfm.config import CenterConfig
from wfm.io.tables import COVERAGE_COLUMNS, UNPLACED_KEY
from wfm.people import WEEK_DAYS
from wfm.schedule.result import ScheduleResult
from wfm.staffing.requirements import (
    net_agents,
    project_coverage,
    service_level_modelled,
    shrinkage_rates,
)

#: What the reports print where wfm has no service-level model for the queue's channel.
NOT_MODELLED = "not modelled"
#: Sessions not placed that the terminal summary lists (kpis.json has them all).
LISTED_UNPLACED = 10
#: How service levels are averaged over intervals, stated in kpis.json.
SERVICE_LEVEL_WEIGHTING = "intervals weighted by offered contacts"


@dataclass
class ScheduleReport:
    """Coverage (the file contract plus ``shrinkage`` and ``net_agents``) and the KPIs."""

    coverage: pd.DataFrame
    kpis: dict


# --- coverage ------------------------------------------------------------------------------


def coverage_table(
    cfg: CenterConfig,
    scheduled: pd.DataFrame,
    requirements: pd.DataFrame,
    start: date | None = None,
    days: int | None = None,
) -> pd.DataFrame:
    """Coverage per interval and queue with the figures behind it.

    ``scheduled`` has ``interval_start, queue, scheduled`` (agents at work, missing rows
    are 0); ``requirements`` has ``interval_start, queue, required`` and optionally
    ``offered`` and ``aht_seconds``. Rows: every requirement row, plus every other
    (interval, queue) of the horizon grid where agents are scheduled (required 0).
    Returns `COVERAGE_COLUMNS` plus ``shrinkage`` (fraction) and ``net_agents``, sorted by
    interval and queue.
    """
    zone = cfg.center.timezone
    keep = [c for c in ("interval_start", "queue", "required", "offered", "aht_seconds")
            if c in requirements.columns]
    needed = requirements[keep].copy()
    needed["interval_start"] = needed["interval_start"].dt.tz_convert(zone).dt.as_unit("ns")
    counts = scheduled[["interval_start", "queue", "scheduled"]].copy()
    counts["interval_start"] = counts["interval_start"].dt.tz_convert(zone).dt.as_unit("ns")
    if start is not None and days is not None:
        grid = set(interval_grid(cfg.center, start, days)["interval_start"])
        counts = counts[counts["interval_start"].isin(grid)]
    table = needed.merge(counts, on=["interval_start", "queue"], how="outer")
    if start is not None and days is not None:
        table = _with_deferred_grid(cfg, table, start, days)
    table["required"] = table["required"].fillna(0).astype(np.int64)
    table["scheduled"] = table["scheduled"].fillna(0).astype(np.int64)
    table["shortfall"] = np.maximum(table["required"] - table["scheduled"], 0)
    for column in ("offered", "aht_seconds"):
        if column not in table.columns:
            table[column] = np.nan
        table[column] = table[column].astype(float)
    table = table.sort_values(["interval_start", "queue"], kind="stable").reset_index(drop=True)
    table["shrinkage"] = shrinkage_rates(table["interval_start"], cfg)
    table["net_agents"] = net_agents(cfg, table["queue"], table["scheduled"].to_numpy(),
                                     table["shrinkage"].to_numpy())
    projected = project_coverage(cfg, table)
    for column in projected.columns:
        table[column] = projected[column]
    return table[[*COVERAGE_COLUMNS, "shrinkage", "net_agents"]]


def _with_deferred_grid(cfg: CenterConfig, table: pd.DataFrame, start: date,
                        days: int) -> pd.DataFrame:
    """The table with a row at every interval of the horizon for each deferred queue (its
    backlog runs through closed intervals too), nothing required or offered where added."""
    deferred = [q.id for q in cfg.queues if q.deferred and (table["queue"] == q.id).any()]
    if not deferred:
        return table
    grid = interval_grid(cfg.center, start, days)["interval_start"].dt.as_unit("ns")
    frame = pd.DataFrame({"interval_start": np.repeat(grid.to_numpy(), len(deferred)),
                          "queue": np.tile(deferred, len(grid))})
    frame["interval_start"] = frame["interval_start"].dt.tz_convert(cfg.center.timezone)
    table = table.merge(frame, on=["interval_start", "queue"], how="outer")
    if "offered" in table.columns:
        rows = table["queue"].isin(deferred)
        table.loc[rows, "offered"] = table.loc[rows, "offered"].fillna(0.0)
    return table


# --- figures -------------------------------------------------------------------------------


def _json_number(value: object) -> float | None:
    """A float for JSON: NaN and infinities become None."""
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) or math.isinf(number) else number


def weighted_service_level(coverage: pd.DataFrame) -> float:
    """Offered-weighted mean of the intervals' projected service level (NaN: none known)."""
    level = coverage["projected_service_level"].to_numpy(dtype=float)
    offered = coverage["offered"].to_numpy(dtype=float)
    known = ~np.isnan(level) & ~np.isnan(offered) & (offered > 0)
    if not known.any():
        return float("nan")
    return float((level[known] * offered[known]).sum() / offered[known].sum())


def _coverage_figures(part: pd.DataFrame, interval_hours: float) -> dict[str, float | int]:
    return {
        "required_hours": float(part["required"].sum()) * interval_hours,
        "scheduled_hours": float(part["scheduled"].sum()) * interval_hours,
        "shortfall_hours": float(part["shortfall"].sum()) * interval_hours,
        "intervals_short": int((part["shortfall"] > 0).sum()),
    }


def _horizon_dates(coverage: pd.DataFrame, shifts: pd.DataFrame, start: date | None,
                   days: int | None) -> list[date]:
    if start is not None and days is not None:
        return [start + timedelta(days=d) for d in range(days)]
    found = {pd.Timestamp(d).date() for d in shifts["date"]} if len(shifts) else set()
    if len(coverage):
        found |= set(coverage["interval_start"].dt.date)
    return sorted(found)


def _work_figures(cfg: CenterConfig, queue, part: pd.DataFrame, coverage_day: pd.Series,
                  dates: list[date]) -> dict:
    """Items of a deferred queue (arrivals) or contacts of a campaign queue (planned):
    offered, worked, and the backlog and past-due items at the end, in total and per day;
    for a campaign with a date, whether the list is done by it."""
    def figures(rows: pd.DataFrame) -> dict:
        last = rows.iloc[-1] if len(rows) else None
        return {"offered": _json_number(rows["offered"].sum(min_count=1)),
                "worked": _json_number(rows["worked"].sum(min_count=1)),
                "backlog_end": None if last is None else _json_number(last["backlog"]),
                "past_due_end": None if last is None else _json_number(last["past_due"])}

    ordered = part.sort_values("interval_start")
    out = {"unit": "items" if queue.deferred else "contacts", **figures(ordered),
           "by_day": {day.isoformat(): figures(ordered[coverage_day[ordered.index] == day])
                      for day in dates}}
    campaign = cfg.campaign_for(queue.id)
    if campaign is not None and campaign.complete_by is not None:
        on_time = ordered[ordered["interval_start"].dt.date <= campaign.complete_by]
        judged = bool(len(ordered)) and ordered["interval_start"].dt.date.max() >= \
            campaign.complete_by
        out["complete_by"] = campaign.complete_by.isoformat()
        # done by its date when nothing planned is left waiting at that date's end
        out["list_done_by_date"] = (bool(on_time["backlog"].iloc[-1] <= 1e-6)
                                    if judged and len(on_time) else None)
    return out


def _week_of(day: date, first: date) -> str:
    """The first date of the 7-day block from ``first`` that holds ``day``."""
    return (first + timedelta(days=(day - first).days // WEEK_DAYS * WEEK_DAYS)).isoformat()


def activity_figures(cfg: CenterConfig, activities: pd.DataFrame,
                     dates: list[date]) -> dict:
    """Off-phone activity figures from the activities table (``agent_id, start, end,
    activity, session``): per configured activity its sessions placed and the hours people
    spent in it (attendees and whoever runs it), in total and per 7-day block of the
    horizon (keyed by the block's first date), and the same hours for all activities."""
    weeks = sorted({_week_of(d, dates[0]) for d in dates}) if dates else []
    if len(activities):
        rows = activities[activities["activity"].astype(str).isin(
            [a.id for a in cfg.activities])]
    else:
        rows = activities
    if len(rows):
        hours = ((pd.to_datetime(rows["end"]) - pd.to_datetime(rows["start"]))
                 .dt.total_seconds().to_numpy() / 3600.0)
        week = [_week_of(t.date(), dates[0] if dates else t.date())
                for t in pd.to_datetime(rows["start"])]
        frame = pd.DataFrame({"activity": rows["activity"].astype(str).to_numpy(),
                              "session": rows["session"].astype(str).to_numpy()
                              if "session" in rows.columns else "",
                              "hours": hours, "week": week})
    else:
        frame = pd.DataFrame({"activity": [], "session": [], "hours": [], "week": []})
    by_activity = {}
    for activity in cfg.activities:
        mine = frame[frame["activity"] == activity.id]
        by_week = mine.groupby("week")["hours"].sum()
        by_activity[activity.id] = {
            "name": activity.label,
            "paid": activity.paid,
            "sessions_placed": int(mine["session"].nunique()),
            "hours": float(mine["hours"].sum()),
            "hours_by_week": {w: float(by_week.get(w, 0.0)) for w in weeks},
        }
    total_by_week = frame.groupby("week")["hours"].sum()
    return {"hours": float(frame["hours"].sum()),
            "hours_by_week": {w: float(total_by_week.get(w, 0.0)) for w in weeks},
            "by_activity": by_activity}
#: Columns of the per-campaign, per-day outbound table (`campaign_day_table`).
CAMPAIGN_DAY_COLUMNS = ("campaign", "queue", "date", "planned", "done", "carried", "past_due",
                        "planned_agent_hours", "scheduled_agent_hours")


def campaign_day_table(cfg: CenterConfig, coverage: pd.DataFrame) -> pd.DataFrame:
    """Per campaign and calling or scheduled day of a coverage table: contacts ``planned``
    (the plan's), ``done`` (made by the scheduled agents, first in, first out), ``carried``
    (planned contacts still waiting at the day's end, for a later day) and ``past_due`` (of
    those, the ones past their due: the day's target or the list's date), and the plan's
    and the schedule's agent-hours on the campaign's queue."""
    hours = cfg.center.interval_minutes / 60.0
    rows = []
    for campaign in cfg.campaigns:
        part = coverage[coverage["queue"] == campaign.queue].sort_values("interval_start")
        if part.empty:
            continue
        for day, rows_of_day in part.groupby(part["interval_start"].dt.date, sort=True):
            if rows_of_day["required"].sum() == 0 and rows_of_day["scheduled"].sum() == 0:
                continue
            last = rows_of_day.iloc[-1]
            rows.append({"campaign": campaign.id, "queue": campaign.queue, "date": day,
                         "planned": float(rows_of_day["offered"].fillna(0.0).sum()),
                         "done": float(rows_of_day["worked"].fillna(0.0).sum()),
                         "carried": float(np.nan_to_num(last["backlog"])),
                         "past_due": float(np.nan_to_num(last["past_due"])),
                         "planned_agent_hours": float(rows_of_day["required"].sum()) * hours,
                         "scheduled_agent_hours": float(rows_of_day["scheduled"].sum()) * hours})
    return pd.DataFrame(rows, columns=list(CAMPAIGN_DAY_COLUMNS))


def schedule_figures(
    cfg: CenterConfig,
    coverage: pd.DataFrame,
    shifts: pd.DataFrame,
    start: date | None = None,
    days: int | None = None,
    activities: pd.DataFrame | None = None,
) -> dict:
    """Every schedule figure wfm reports, JSON-ready (None where not computable).

    From a coverage table (`COVERAGE_COLUMNS`) and the shifts (``agent_id, date,
    paid_minutes``): totals, per queue (hours required / scheduled / short, intervals
    short, offered, projected service level and its target, per day) and per date of the
    horizon (agents working, paid hours, hours required / scheduled / short). Hours are
    agent-hours; service levels fractions. A queue whose service level wfm does not model
    has ``service_level_modelled`` false and no service level. With the config's
    off-phone activities and the activities table, ``activities`` holds their figures
    (`activity_figures`).
    """
    hours = cfg.center.interval_minutes / 60.0
    dates = _horizon_dates(coverage, shifts, start, days)
    coverage_day = coverage["interval_start"].dt.date
    shift_day = shifts["date"].map(lambda d: pd.Timestamp(d).date()) if len(shifts) \
        else pd.Series(dtype=object)
    queues = {}
    for queue in cfg.queues:
        part = coverage[coverage["queue"] == queue.id]
        modelled = service_level_modelled(queue)
        by_day = {}
        for day in dates:
            on_day = part[coverage_day[part.index] == day]
            by_day[day.isoformat()] = (_json_number(weighted_service_level(on_day))
                                       if modelled else None)
        queues[queue.id] = {
            "channel": queue.channel,
            **_coverage_figures(part, hours),
            "offered": _json_number(part["offered"].sum(min_count=1)),
            "service_level_modelled": modelled,
            "projected_service_level": (_json_number(weighted_service_level(part))
                                        if modelled else None),
            "service_level_target": queue.service_level_target if modelled else None,
            "service_level_by_day": by_day,
        }
        if queue.deferred or cfg.campaign_for(queue.id) is not None:
            queues[queue.id]["work"] = _work_figures(cfg, queue, part, coverage_day, dates)
    per_day = {}
    for day in dates:
        on_day = shifts[shift_day == day] if len(shifts) else shifts
        per_day[day.isoformat()] = {
            "agents_working": int(on_day["agent_id"].nunique()) if len(on_day) else 0,
            "paid_hours": float(on_day["paid_minutes"].sum()) / 60.0 if len(on_day) else 0.0,
            **_coverage_figures(coverage[coverage_day == day], hours),
        }
    live = coverage[coverage["queue"].isin(
        [q.id for q in cfg.queues if service_level_modelled(q)])]
    extra = {}
    if cfg.activities and activities is not None:
        extra["activities"] = activity_figures(cfg, activities, dates)
    return {
        "horizon": ({"start": start.isoformat(), "days": int(days)}
                    if start is not None and days is not None else None),
        "agents_scheduled": int(shifts["agent_id"].nunique()) if len(shifts) else 0,
        "shifts": len(shifts),
        "paid_hours": float(shifts["paid_minutes"].sum()) / 60.0 if len(shifts) else 0.0,
        **_coverage_figures(coverage, hours),
        "projected_service_level": _json_number(weighted_service_level(live)),
        "service_level_weighting": SERVICE_LEVEL_WEIGHTING,
        "queues": queues,
        "days": per_day,
        **extra,
        "outbound_days": [
            {**row, "date": row["date"].isoformat()}
            for row in campaign_day_table(cfg, coverage).to_dict("records")],
    }


def solver_figures(result: ScheduleResult) -> dict:
    """The solver's figures for kpis.json: status, objective, bounds, gaps, times, notes.

    Objective figures are in the objective's weighted points; the coverage gap compares
    the coverage part of the objective with its proven lower bound. ``soft_goals`` gives
    each soft goal's cost and counts as recounted from the shifts (preferences met of
    stated, start spread hours, fairness per kind, previous agent-days kept);
    ``degraded`` says the schedule is no better than the solver's safe schedule.
    """
    coverage_gap = None
    if result.coverage_objective:
        coverage_gap = max(0.0, (result.coverage_objective - result.coverage_bound)
                           / abs(result.coverage_objective))
    elif result.coverage_objective == 0:
        coverage_gap = 0.0
    return {
        "status": result.status,
        "objective": _json_number(result.objective),
        "best_bound": _json_number(result.best_bound),
        "gap": _json_number(result.gap),
        "coverage_objective": _json_number(result.coverage_objective),
        "coverage_bound": _json_number(result.coverage_bound),
        "coverage_gap": _json_number(coverage_gap),
        "wall_seconds": _json_number(result.wall_seconds),
        "first_solution_seconds": _json_number(result.first_solution_seconds),
        "penalties": {k: _json_number(v) for k, v in result.penalties.items()},
        "milestones": {k: _json_number(v) for k, v in result.milestones.items()},
        "degraded": bool(result.degraded),
        "soft_goals": result.soft_goals,
        "notes": list(result.notes),
        UNPLACED_KEY: [dict(entry) for entry in result.unplaced],
    }


def build_report(
    cfg: CenterConfig,
    result: ScheduleResult,
    requirements: pd.DataFrame,
    start: date | None = None,
    days: int | None = None,
) -> ScheduleReport:
    """Coverage and KPIs (the kpis.json mapping) of a solved schedule.

    ``requirements`` has ``interval_start`` (tz-aware), ``queue``, ``required`` and
    optionally ``offered`` and ``aht_seconds`` (for the projected service level).
    """
    coverage = coverage_table(cfg, result.scheduled, requirements, start, days)
    kpis = {**solver_figures(result), **schedule_figures(cfg, coverage, result.shifts, start,
                                                         days, result.activities)}
    return ScheduleReport(coverage=coverage, kpis=kpis)


# --- the terminal summary ------------------------------------------------------------------


def _fmt(value: object, pattern: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return pattern.format(value)


def summary_lines(kpis: dict) -> list[str]:
    """The per-queue table and the solver figures of a kpis mapping, as printed."""
    lines = [f"{'queue':<16}{'required h':>12}{'scheduled h':>13}{'short h':>10}"
             f"{'SL proj':>14}{'target':>8}"]
    for queue, row in kpis["queues"].items():
        level = (_fmt(row["projected_service_level"], "{:.1%}")
                 if row["service_level_modelled"] else NOT_MODELLED)
        work = row.get("work")
        detail = "" if work is None else (
            f"  {work['unit']} {_fmt(work['worked'], '{:.0f}')} of "
            f"{_fmt(work['offered'], '{:.0f}')}, backlog {_fmt(work['backlog_end'], '{:.0f}')}")
        lines.append(
            f"{queue:<16}{row['required_hours']:>12.1f}{row['scheduled_hours']:>13.1f}"
            f"{row['shortfall_hours']:>10.1f}{level:>14}"
            f"{_fmt(row['service_level_target'], '{:.0%}'):>8}{detail}")
    lines.append(
        f"{'all':<16}{kpis['required_hours']:>12.1f}{kpis['scheduled_hours']:>13.1f}"
        f"{kpis['shortfall_hours']:>10.1f}"
        f"{_fmt(kpis['projected_service_level'], '{:.1%}'):>14}")
    activities = kpis.get("activities")
    if isinstance(activities, dict):
        unplaced = kpis.get(UNPLACED_KEY) or []
        parts = []
        for activity_id, row in activities["by_activity"].items():
            missed = sum(1 for entry in unplaced if entry.get("activity") == activity_id)
            parts.append(f"{activity_id} {row['sessions_placed']} placed"
                         + (f", {missed} not placed" if missed else "")
                         + f" ({row['hours']:.1f} h)")
        lines.append("activities: " + "; ".join(parts))
        for entry in unplaced[:LISTED_UNPLACED]:
            lines.append(f"  not placed: {entry.get('session')}: {entry.get('reason')}")
        if len(unplaced) > LISTED_UNPLACED:
            lines.append(f"  (and {len(unplaced) - LISTED_UNPLACED} more not placed: see "
                         f"kpis.json {UNPLACED_KEY})")
    for day in kpis.get("outbound_days") or []:
        lines.append(f"outbound {day['campaign']} {day['date']}: contacts planned "
                     f"{day['planned']:.0f}, done {day['done']:.0f}, carried "
                     f"{day['carried']:.0f} ({day['past_due']:.0f} past due)")
    if "status" in kpis:
        lines.append(
            f"solver: {kpis['status']}, objective {_fmt(kpis['objective'], '{:.1f}')}, "
            f"best bound {_fmt(kpis['best_bound'], '{:.1f}')}, "
            f"gap {_fmt(kpis['gap'], '{:.2%}')}, {_fmt(kpis['wall_seconds'], '{:.1f}')} s "
            f"(first schedule {_fmt(kpis['first_solution_seconds'], '{:.1f}')} s)")
        lines.append(
            f"coverage: objective {_fmt(kpis['coverage_objective'], '{:.1f}')}, bound "
            f"{_fmt(kpis['coverage_bound'], '{:.1f}')}, "
            f"gap {_fmt(kpis['coverage_gap'], '{:.2%}')}; "
            f"shortfall {_fmt(kpis['shortfall_hours'], '{:.1f}')} agent-hours")
        lines += _soft_goal_lines(kpis.get("soft_goals") or {})
        if kpis.get("degraded"):
            lines.append("DEGRADED: no better than the safe schedule (every agent of a group "
                         "on the same week); not a plan to publish")
    return lines


def _soft_goal_lines(goals: dict) -> list[str]:
    """The soft goals' costs and counts, one line each (none when not reported)."""
    if not goals:
        return []
    lines = []
    preferences = goals["preferences"]
    days_off, starts = preferences["preferred_days_off"], preferences["preferred_starts"]
    lines.append(f"preferences: cost {preferences['cost']:.1f}; days off met "
                 f"{days_off['met']} of {days_off['stated']}, starts met {starts['met']} of "
                 f"{starts['stated']}")
    spread = goals["start_time_variation"]
    lines.append(f"start-time variation: cost {spread['cost']:.1f} ({spread['hours']:.1f} h "
                 f"over agents and weeks)")
    fairness = goals["fairness"]
    kinds = ", ".join(f"{kind} {fairness[kind]['shifts_above_target']} above "
                      f"{fairness[kind]['target']:g}" for kind in ("weekend", "late", "night")
                      if fairness[kind]["agents"])
    lines.append(f"fairness: cost {fairness['cost']:.1f}" + (f" (shifts above target: {kinds})"
                                                             if kinds else ""))
    changes = goals["changes"]
    if changes["stated"]:
        lines.append(f"changes: cost {changes['cost']:.1f}; {changes['kept']} of "
                     f"{changes['stated']} published agent-days kept")
    return lines
