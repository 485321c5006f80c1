"""The agent roster: who can work, on what, under which contract and availability.

Roster columns (CSV or XLSX): ``agent_id, name, team, skills, languages, contract`` and
the optional ``unavailable_dates`` (``;``-separated ISO dates), ``available_window``
(``HH:MM-HH:MM``: every shift lies inside it), ``preferred_days_off`` (``;``-separated
weekdays ``mon``..``sun``) and ``preferred_start`` (``HH:MM-HH:MM``). ``skills`` is a
``;``-separated list where each skill may carry a proficiency in (0, 1]
(``billing:1;technical:0.7``); a higher proficiency means the agent serves that queue first.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from wfm.config import WEEKDAYS, CenterConfig, Queue, parse_clock_minutes
from wfm.errors import BadInput

ROSTER_COLUMNS = ("agent_id", "name", "team", "skills", "languages", "contract")
OPTIONAL_ROSTER_COLUMNS = (
    "unavailable_dates", "available_window", "preferred_days_off", "preferred_start",
)


class Agent(BaseModel):
    """One agent of the roster."""

    model_config = ConfigDict(frozen=True)

    agent_id: str
    name: str
    team: str
    skills: dict[str, float] = Field(description="skill -> proficiency in (0, 1]")
    languages: tuple[str, ...]
    contract: str
    unavailable_dates: frozenset[date] = frozenset()
    available_window: tuple[int, int] | None = Field(
        None, description="minutes after midnight: every shift starts and ends inside it"
    )
    preferred_days_off: frozenset[int] = Field(frozenset(), description="weekdays, 0 = Monday")
    preferred_start: tuple[int, int] | None = Field(
        None, description="minutes after midnight: preferred window for shift starts"
    )

    def serves(self, queue: Queue) -> bool:
        """True when the agent has the queue's skill and speaks its language."""
        return queue.skill in self.skills and queue.language in self.languages

    def proficiency(self, queue: Queue) -> float:
        """Proficiency on a queue's skill; 0 when the agent cannot serve it."""
        return self.skills.get(queue.skill, 0.0) if self.serves(queue) else 0.0


def _split(text: str) -> list[str]:
    return [part.strip() for part in str(text).split(";") if part.strip()]


def _window(text: str) -> tuple[int, int]:
    start_text, _, end_text = str(text).partition("-")
    start, end = parse_clock_minutes(start_text), parse_clock_minutes(end_text)
    if end <= start:
        raise ValueError(f"window end must be after its start in {text!r}")
    return start, end


def _skills(text: str) -> dict[str, float]:
    skills: dict[str, float] = {}
    for item in _split(text):
        name, _, level = item.partition(":")
        value = float(level) if level else 1.0
        if not 0.0 < value <= 1.0:
            raise ValueError(f"proficiency of {name!r} must be in (0, 1], got {level!r}")
        skills[name.strip()] = value
    if not skills:
        raise ValueError("at least one skill is needed")
    return skills


def _weekdays(text: str) -> frozenset[int]:
    days = set()
    for item in _split(text):
        key = item.lower()[:3]
        if key not in WEEKDAYS:
            raise ValueError(f"unknown weekday {item!r}; allowed: {', '.join(WEEKDAYS)}")
        days.add(WEEKDAYS.index(key))
    return frozenset(days)


def _dates(text: str) -> frozenset[date]:
    return frozenset(date.fromisoformat(item) for item in _split(text))


_PARSERS = {
    "skills": _skills,
    "languages": lambda text: tuple(_split(text)),
    "unavailable_dates": _dates,
    "available_window": _window,
    "preferred_days_off": _weekdays,
    "preferred_start": _window,
}


def parse_roster(table: pd.DataFrame, cfg: CenterConfig, source: str = "agents") -> list[Agent]:
    """Validate a roster table against the config and return its agents in file order.

    Raises BadInput naming the file, the row (1-based, header is row 1) and the column.
    """
    missing = [c for c in ROSTER_COLUMNS if c not in table.columns]
    if missing:
        needed = ", ".join(ROSTER_COLUMNS)
        raise BadInput(f"{source}: missing column {missing[0]!r} (needs {needed})")
    contracts = {c.id for c in cfg.contracts}
    skills_known = {q.skill for q in cfg.queues}
    languages_known = {q.language for q in cfg.queues}
    agents: list[Agent] = []
    seen: set[str] = set()
    for position, record in enumerate(table.to_dict("records")):
        row = position + 2
        fields: dict[str, object] = {}
        for column in (*ROSTER_COLUMNS, *OPTIONAL_ROSTER_COLUMNS):
            value = record.get(column)
            if value is None or (isinstance(value, float) and pd.isna(value)) or str(value) == "":
                if column in ROSTER_COLUMNS:
                    raise BadInput(f"{source}: row {row}, column {column}: empty")
                continue
            try:
                fields[column] = _PARSERS[column](value) if column in _PARSERS else str(value)
            except ValueError as exc:
                raise BadInput(f"{source}: row {row}, column {column}: {exc}") from None
        agent = Agent(**fields)
        if agent.agent_id in seen:
            raise BadInput(f"{source}: row {row}, column agent_id: duplicate {agent.agent_id!r}")
        seen.add(agent.agent_id)
        if agent.contract not in contracts:
            raise BadInput(
                f"{source}: row {row}, column contract: unknown {agent.contract!r}; "
                f"allowed: {', '.join(sorted(contracts))}"
            )
        unknown_skill = sorted(set(agent.skills) - skills_known)
        if unknown_skill:
            raise BadInput(
                f"{source}: row {row}, column skills: {unknown_skill[0]!r} is no queue's skill; "
                f"allowed: {', '.join(sorted(skills_known))}"
            )
        unknown_language = sorted(set(agent.languages) - languages_known)
        if unknown_language:
            raise BadInput(
                f"{source}: row {row}, column languages: {unknown_language[0]!r} is no "
                f"queue's language; allowed: {', '.join(sorted(languages_known))}"
            )
        agents.append(agent)
    if not agents:
        raise BadInput(f"{source}: no agents")
    return agents


def roster_table(agents: list[Agent]) -> pd.DataFrame:
    """The roster back as a table in the file format (for writing and the workbook)."""
    def window(value: tuple[int, int] | None) -> str:
        if value is None:
            return ""
        return f"{value[0] // 60:02d}:{value[0] % 60:02d}-{value[1] // 60:02d}:{value[1] % 60:02d}"

    return pd.DataFrame([
        {
            "agent_id": a.agent_id,
            "name": a.name,
            "team": a.team,
            "skills": ";".join(f"{k}:{v:g}" for k, v in a.skills.items()),
            "languages": ";".join(a.languages),
            "contract": a.contract,
            "unavailable_dates": ";".join(d.isoformat() for d in sorted(a.unavailable_dates)),
            "available_window": window(a.available_window),
            "preferred_days_off": ";".join(WEEKDAYS[d] for d in sorted(a.preferred_days_off)),
            "preferred_start": window(a.preferred_start),
        }
        for a in agents
    ])
