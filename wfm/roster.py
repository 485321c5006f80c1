"""The agent roster: who can work, on what, under which contract and availability.

Roster columns (CSV or XLSX): ``agent_id, name, team, skills, languages, contract`` and
the optional ``unavailable_dates`` (``;``-separated ISO dates), ``available_window``
(``HH:MM-HH:MM``: every shift lies inside it), ``preferred_days_off`` (``;``-separated
weekdays ``mon``..``sun``) and ``preferred_start`` (``HH:MM-HH:MM``). ``skills`` is a
``;``-separated list where each skill may carry a proficiency in (0, 1]
(``billing:1;technical:0.7``); a higher proficiency means the agent serves that queue first.
Other columns are refused unless the config names them under ``inputs.extra_columns.agents``;
those are kept as text on ``Agent.extra`` and written back.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from wfm.config import Queue


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
        None, description="minutes after midnight: every shift starts and ends inside it "
                          "(the end after 1440 for a window over midnight)"
    )
    preferred_days_off: frozenset[int] = Field(frozenset(), description="weekdays, 0 = Monday")
    preferred_start: tuple[int, int] | None = Field(
        None, description="minutes after midnight: preferred window for shift starts"
    )
    extra: dict[str, str] = Field(
        default_factory=dict,
        description="columns carried through from the file (inputs.extra_columns.agents), "
                    "in file order",
    )

    def window_holds(self, start_minute: int, end_minute: int) -> bool:
        """True when a shift lies inside the available window (always, without one).

        The shift's start and end are wall-clock minutes after the midnight of its date (the
        end after 1440 past midnight). A window over midnight (``22:00-07:00``) holds a
        shift inside it on either side of midnight: 22:00-06:00, or 00:00-06:00 of a date
        (the window opened the evening before).
        """
        if self.available_window is None:
            return True
        low, high = self.available_window
        return any(low <= start_minute + later and end_minute + later <= high
                   for later in (0, 1440))

    def serves(self, queue: Queue) -> bool:
        """True when the agent has the queue's skill and speaks its language."""
        return queue.skill in self.skills and queue.language in self.languages

    def proficiency(self, queue: Queue) -> float:
        """Proficiency on a queue's skill; 0 when the agent cannot serve it."""
        return self.skills.get(queue.skill, 0.0) if self.serves(queue) else 0.0
