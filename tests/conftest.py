"""Shared fixtures: the example config and small in-memory tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from wfm.config import CenterConfig
from wfm.io.config_file import load_config

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = REPO / "configs" / "example.yaml"


@pytest.fixture(scope="session")
def example_cfg() -> CenterConfig:
    """The example center's config."""
    return load_config(EXAMPLE_CONFIG)
