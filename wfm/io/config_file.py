"""Reading a center config file: YAML text to a validated `CenterConfig`.

`load_config` reads the file (UTF-8 only), parses the YAML refusing a key given twice in
one mapping (PyYAML would keep the last silently), resolves the ``inputs:`` paths against
the config's folder and closes the dates the special-days file closes for every queue.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from wfm.config import CenterConfig, key_path, parse_config
from wfm.errors import BadInput

_MERGE_TAG = "tag:yaml.org,2002:merge"


class RepeatedKey(Exception):
    """A key given twice in one YAML mapping: where (1-based lines) and its key path."""

    def __init__(self, path: str, line: int, first_line: int) -> None:
        super().__init__(f"line {line}: {path}: duplicate key (first given on line {first_line})")
        self.path, self.line, self.first_line = path, line, first_line


class UniqueKeyLoader(yaml.SafeLoader):
    """The safe YAML loader, refusing a key repeated in any mapping with `RepeatedKey`."""

    def get_single_data(self) -> object:
        """The document's data, once no mapping in it repeats a key."""
        node = self.get_single_node()
        if node is None:
            return None
        self._refuse_repeated_keys(node, (), set())
        return self.construct_document(node)

    def _refuse_repeated_keys(self, node: yaml.Node, location: tuple[str | int, ...],
                              seen: set[int]) -> None:
        # Walked on the node tree, before construction, so the key path is known; an alias
        # is walked once (where its anchor is), which also stops recursive aliases.
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._refuse_repeated_keys(item, (*location, index), seen)
            return
        if not isinstance(node, yaml.MappingNode):
            return
        first_lines: dict[object, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:  # `<<: *base`: later keys override on purpose
                self._refuse_repeated_keys(value_node, location, seen)
                continue
            here = (*location, str(key_node.value))
            key = self._key_of(key_node)
            line = key_node.start_mark.line + 1
            if key in first_lines:
                raise RepeatedKey(key_path(here), line, first_lines[key])
            first_lines[key] = line
            self._refuse_repeated_keys(value_node, here, seen)

    def _key_of(self, key_node: yaml.Node) -> object:
        """The key as the mapping will hold it (``1`` and ``0x1`` are one key); a key that
        is itself a collection counts as distinct."""
        if isinstance(key_node, yaml.ScalarNode):
            return self.construct_object(key_node)
        return ("collection", id(key_node))


def read_config_text(path: Path) -> str:
    """The config file's text; BadInput when unreadable or not UTF-8 (naming line, column)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"{path}: cannot read config ({exc.strerror})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8")) + 1
        raise BadInput(
            f"{path}: line {line}, column {column}: not UTF-8 text "
            f"(byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        ) from None


def parse_yaml(text: str, source: str) -> object:
    """The YAML document in ``text``; BadInput naming ``source`` and the line when invalid."""
    try:
        return yaml.load(text, Loader=UniqueKeyLoader)
    except RepeatedKey as exc:
        raise BadInput(f"{source}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise BadInput(f"{source}:{where}: not valid YAML") from None


def load_config(path: str | Path) -> CenterConfig:
    """Read and validate a center config YAML file; relative input paths become absolute."""
    path = Path(path)
    data = parse_yaml(read_config_text(path), str(path))
    config = parse_config(data, str(path))
    config = config.model_copy(update={"inputs": config.inputs.under(path.parent)})
    special = config.inputs.special_days
    if special is not None and special.exists():
        config = with_special_closures(config, special)
    return config


def with_special_closures(config: CenterConfig, special_days: Path) -> CenterConfig:
    """The config with the special days' closures added to the closed dates.

    A closure for all queues (``queue`` all, ``multiplier`` closed) closes the center in
    every stage: no forecast volume, no requirements, no shifts. A closure for one queue
    is added to that queue's ``closed_dates``: no volume, no requirements and no work on
    it that day.
    """
    from wfm.io.inputs import read_special_days

    table = read_special_days(str(special_days), [q.id for q in config.queues])
    closures = table[table["multiplier"].isna()]
    center_closed = set(closures.loc[closures["queue"] == "all", "date"])
    extra = sorted(set(config.center.holidays.extra_closed_dates) | center_closed)
    holidays = config.center.holidays.model_copy(update={"extra_closed_dates": extra})
    center = config.center.model_copy(update={"holidays": holidays})
    queues = []
    for queue in config.queues:
        own = set(closures.loc[closures["queue"] == queue.id, "date"])
        queues.append(queue.model_copy(update={
            "closed_dates": sorted(set(queue.closed_dates) | own)}) if own else queue)
    return config.model_copy(update={"center": center, "queues": queues})
