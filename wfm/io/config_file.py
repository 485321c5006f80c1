"""Reading a center config file: YAML text to a validated `CenterConfig`.

`load_config` reads the file, resolves the ``inputs:`` paths against the config's folder
and closes the dates the special-days file closes for every queue.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from wfm.config import CenterConfig, parse_config
from wfm.errors import BadInput


def load_config(path: str | Path) -> CenterConfig:
    """Read and validate a center config YAML file; relative input paths become absolute."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"{path}: cannot read config ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise BadInput(f"{path}:{where}: not valid YAML") from None
    config = parse_config(data, str(path))
    config = config.model_copy(update={"inputs": config.inputs.under(path.parent)})
    special = config.inputs.special_days
    if special is not None and special.exists():
        config = with_special_closures(config, special)
    return config


def with_special_closures(config: CenterConfig, special_days: Path) -> CenterConfig:
    """The config with the special days closed for all queues added to the closed dates.

    A closure in the special-days file (``queue`` all, ``multiplier`` closed) then closes
    the center in every stage: no forecast volume, no requirements, no shifts.
    """
    from wfm.io.inputs import read_special_days

    table = read_special_days(str(special_days), [q.id for q in config.queues])
    closed = table[(table["queue"] == "all") & table["multiplier"].isna()]["date"]
    extra = sorted(set(config.center.holidays.extra_closed_dates) | set(closed))
    holidays = config.center.holidays.model_copy(update={"extra_closed_dates": extra})
    center = config.center.model_copy(update={"holidays": holidays})
    return config.model_copy(update={"center": center})


