"""Reading the actuals: agent state logs and the history's service-level columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from wfm.config import CenterConfig
from wfm.errors import BadInput
from wfm.io.inputs import read_agent_states, read_history

STATES = {"Ready": "available", "Talk": "on_contact", "Wrap": "after_contact_work",
          "Break": "break", "System": "neutral"}
HEADER = "agent_id,state,start,end\n"


@pytest.fixture(scope="module")
def cfg(example_cfg: CenterConfig) -> CenterConfig:
    adherence = example_cfg.adherence.model_copy(update={"states": STATES})
    return example_cfg.model_copy(update={"adherence": adherence})


def read(tmp_path: Path, cfg: CenterConfig, text: str, agents: set[str] | None = None
         ) -> pd.DataFrame:
    path = tmp_path / "agent_states.csv"
    path.write_text(HEADER + text, encoding="utf-8")
    return read_agent_states(path, cfg, agents)


def refused(tmp_path: Path, cfg: CenterConfig, text: str, agents: set[str] | None = None) -> str:
    with pytest.raises(BadInput) as raised:
        read(tmp_path, cfg, text, agents)
    return str(raised.value)


def test_states_are_mapped_and_rows_of_agents_may_interleave(tmp_path, cfg) -> None:
    table = read(tmp_path, cfg, "A1,Ready,2026-11-23T09:00:00,2026-11-23T09:00:41\n"
                                "B2,Talk,2026-11-23T09:00:05,2026-11-23T09:04:00\n"
                                "A1,Talk,2026-11-23T09:00:41,2026-11-23T09:05:00\n", {"A1", "B2"})
    assert table["category"].tolist() == ["available", "on_contact", "on_contact"]
    assert (table["end"] - table["start"]).dt.total_seconds().tolist() == [41, 235, 259]
    assert str(table["start"].dt.tz) == "Europe/Madrid"


def test_fall_back_night_is_resolved_by_each_agents_order(tmp_path, cfg) -> None:
    # 2026-10-25: clocks go back from 03:00 to 02:00; 02:40 then 02:10 is the second 02:10.
    table = read(tmp_path, cfg, "A1,Ready,2026-10-25T01:50:00,2026-10-25T02:40:00\n"
                                "A1,Talk,2026-10-25T02:40:00,2026-10-25T02:10:00\n"
                                "A1,Wrap,2026-10-25T02:10:00,2026-10-25T02:30:00\n")
    minutes = ((table["end"] - table["start"]).dt.total_seconds() / 60).tolist()
    assert minutes == [50, 30, 20]


def test_times_with_offsets_are_converted(tmp_path, cfg) -> None:
    table = read(tmp_path, cfg, "A1,Ready,2026-11-23T08:00:00+00:00,2026-11-23T09:30:00+01:00\n")
    assert table["start"].iloc[0] == pd.Timestamp("2026-11-23 09:00", tz="Europe/Madrid")


@pytest.mark.parametrize(("text", "message"), [
    ("A1,Lunch,2026-11-23T09:00:00,2026-11-23T10:00:00\n",
     "row 2, column state: unknown state 'Lunch'; adherence.states names Break, Ready, System, "
     "Talk, Wrap"),
    ("A1,Ready,2026-11-23T09:00:00,2026-11-23T10:00:00\n"
     "A9,Ready,2026-11-23T09:00:00,2026-11-23T10:00:00\n",
     "row 3, column agent_id: agent 'A9' is not on the roster"),
    ("A1,Ready,2026-11-23T09:00:00,2026-11-23T10:00:00\n"
     "A1,Talk,2026-11-23T08:00:00,2026-11-23T08:30:00\n",
     "row 3, column start: starts before row 2 of agent 'A1'; each agent's rows must be in time "
     "order"),
    ("A1,Ready,2026-11-23T09:00:00,2026-11-23T10:00:00\n"
     "B2,Ready,2026-11-23T09:00:00,2026-11-23T10:00:00\n"
     "A1,Talk,2026-11-23T09:59:59,2026-11-23T10:30:00\n",
     "row 4, column start: overlaps row 2 of agent 'A1', which ends at 2026-11-23T10:00:00"),
    ("A1,Ready,2026-11-23T09:00:00,2026-11-23T09:00:00\n",
     "row 2, column end: not after the start"),
    ("A1,Ready,2026-03-29T02:30:00,2026-03-29T03:10:00\n",
     "row 2, column start: local time 2026-03-29T02:30:00 does not exist in Europe/Madrid"),
    ("A1,Ready,2026-11-23 nine,2026-11-23T10:00:00\n",
     "row 2, column start: bad timestamp '2026-11-23 nine'"),
    (",Ready,2026-11-23T09:00:00,2026-11-23T10:00:00\n", "row 2, column agent_id: empty"),
])
def test_bad_state_logs_name_the_row(tmp_path, cfg, text: str, message: str) -> None:
    assert message in refused(tmp_path, cfg, text, {"A1", "B2"})


def test_unknown_columns_are_refused_unless_carried(tmp_path, cfg) -> None:
    path = tmp_path / "agent_states.csv"
    path.write_text("agent_id,state,start,end,reason\n"
                    "A1,Ready,2026-11-23T09:00:00,2026-11-23T10:00:00,x\n", encoding="utf-8")
    with pytest.raises(BadInput, match="column 'reason' is not a state log column; name it "
                                       "under inputs.extra_columns.agent_states"):
        read_agent_states(path, cfg)
    inputs = cfg.inputs.model_copy(update={"extra_columns": cfg.inputs.extra_columns.model_copy(
        update={"agent_states": ["reason"]})})
    carried = read_agent_states(path, cfg.model_copy(update={"inputs": inputs}))
    assert carried["reason"].tolist() == ["x"]


HISTORY = """interval_start,queue,offered,handled,abandoned,aht_seconds,answered_within,\
short_abandoned,asa_seconds
2026-11-23T09:00:00,billing_es,10,8,2,200,6,1,12
2026-11-23T09:15:00,billing_es,20,18,2,300,12,0,30
"""


def test_history_reads_the_service_level_columns(tmp_path, cfg) -> None:
    path = tmp_path / "history.csv"
    path.write_text(HISTORY, encoding="utf-8")
    history = read_history(path, cfg, complete=False)
    assert history["answered_within"].tolist() == [6, 12]
    assert history["short_abandoned"].tolist() == [1, 0]
    assert history["asa_seconds"].tolist() == [12, 30]


@pytest.mark.parametrize(("old", "new", "message"), [
    (",8,2,200,6,1,12", ",8,2,200,9,1,12", "row 2, column answered_within: 9 is more than "
                                           "handled (8)"),
    (",18,2,300,12,0,30", ",18,2,300,12,3,30", "row 3, column short_abandoned: 3 is more than "
                                               "abandoned (2)"),
    (",8,2,200,6,1,12", ",8,2,200,-6,1,12", "row 2, column answered_within: negative value -6"),
])
def test_history_parts_cannot_exceed_their_whole(tmp_path, cfg, old: str, new: str,
                                                  message: str) -> None:
    path = tmp_path / "history.csv"
    path.write_text(HISTORY.replace(old, new), encoding="utf-8")
    with pytest.raises(BadInput, match=None) as raised:
        read_history(path, cfg, complete=False)
    assert message in str(raised.value)
