"""Check input files against a config and summarise them (the `wfm validate` command)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from wfm.config import CenterConfig
from wfm.io.inputs import read_agents, read_history


@dataclass
class InputSummary:
    """What the inputs hold, for a short printed summary."""

    queues: list[str]
    history_rows: int = 0
    history_first: str | None = None
    history_last: str | None = None
    history_intervals_by_queue: dict[str, int] = field(default_factory=dict)
    agents: int = 0
    agents_by_skill: dict[str, int] = field(default_factory=dict)
    agents_by_language: dict[str, int] = field(default_factory=dict)
    agents_by_contract: dict[str, int] = field(default_factory=dict)
    agents_by_queue: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The summary as printable lines."""
        out = [f"queues: {len(self.queues)} ({', '.join(self.queues)})"]
        if self.history_rows:
            out.append(
                f"history: {self.history_rows} rows, {self.history_first} to {self.history_last}"
            )
            out += [f"  {q}: {n} intervals" for q, n in self.history_intervals_by_queue.items()]
        if self.agents:
            out.append(f"agents: {self.agents}")
            for title, counts in (
                ("by skill", self.agents_by_skill),
                ("by language", self.agents_by_language),
                ("by contract", self.agents_by_contract),
                ("qualified per queue", self.agents_by_queue),
            ):
                out.append(f"  {title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        return out


def summarize_inputs(
    cfg: CenterConfig, history: Path | None = None, agents: Path | None = None
) -> InputSummary:
    """Read and validate the given files; returns their summary or raises BadInput."""
    summary = InputSummary(queues=[q.id for q in cfg.queues])
    if history is not None:
        table = read_history(history, cfg)
        summary.history_rows = len(table)
        stamps = table["interval_start"].dt.tz_localize(None)
        summary.history_first = stamps.min().isoformat()
        summary.history_last = stamps.max().isoformat()
        summary.history_intervals_by_queue = table.groupby("queue").size().to_dict()
    if agents is not None:
        roster = read_agents(agents, cfg)
        summary.agents = len(roster)
        summary.agents_by_skill = dict(sorted(Counter(s for a in roster for s in a.skills).items()))
        summary.agents_by_language = dict(
            sorted(Counter(lang for a in roster for lang in a.languages).items())
        )
        summary.agents_by_contract = dict(sorted(Counter(a.contract for a in roster).items()))
        summary.agents_by_queue = {
            q.id: sum(a.serves(q) for a in roster) for q in cfg.queues
        }
    return summary
