"""Small groups of sites on disk for `wfm run --sites` tests (tiny centers, see
`tests.run_fixtures`)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.run_fixtures import write_center

#: Ray tests run in the default test run when the `ray` extra is installed.
needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                               reason="the ray extra is not installed (pip install -e '.[ray]')")
#: The engines every engine test runs on.
ENGINES = ["local", pytest.param("ray", marks=needs_ray)]


def write_sites(path: Path, sites: list[dict[str, Any]], **settings: Any) -> Path:
    """A sites file at ``path`` listing ``sites`` (dicts of the file's keys)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"sites": sites, **settings}, sort_keys=False))
    return path


def tiny_site(folder: Path, **center: Any) -> Path:
    """A tiny center's config (a few seconds for the whole chain)."""
    return write_center(folder, **center)


def busy_site(folder: Path, time_limit: float = 30, relative_gap: float | None = None) -> Path:
    """A center whose solve takes CP-SAT several seconds (40 agents, a week of 15-minute
    intervals): long enough to kill or stop it mid-solve. With ``relative_gap`` the search
    ends once that close to its bound (a few seconds on an idle machine; on a busy one
    the time limit leaves room to find a schedule at all)."""
    config = write_center(folder, agents=40, horizon_days=7, time_limit=time_limit,
                          interval_minutes=15, volume_scale=6)
    if relative_gap is not None:
        gap = f"  seed: 0\n  relative_gap: {relative_gap}\n"
        config.write_text(config.read_text().replace("  seed: 0\n", gap))
    return config


def bad_site(folder: Path) -> Path:
    """A tiny center whose config has a bad value (solver.workers as text)."""
    config = write_center(folder)
    config.write_text(config.read_text().replace("workers: 1", "workers: two"))
    return config


def group_manifests(runs: Path) -> list[dict[str, Any]]:
    """Every group manifest in ``runs``, oldest first."""
    return [json.loads(p.read_text()) for p in sorted(runs.glob("group-*.json"))]


def site_entry(manifest: dict[str, Any], site_id: str) -> dict[str, Any]:
    """One site's entry of a group manifest."""
    return next(s for s in manifest["sites"] if s["id"] == site_id)


def crashing_worker(task: Any, conn: Any) -> None:
    """A local worker process that dies as a native crash would, every time."""
    import os
    import signal

    os.kill(os.getpid(), signal.SIGSEGV)


def thread_limits_worker(task: Any, conn: Any) -> None:
    """A local worker process that reports its numeric libraries' thread limits."""
    import os

    from wfm.run.local_engine import THREAD_VARIABLES
    from wfm.run.site_run import SiteResult

    seen = ",".join(os.environ.get(name, "") for name in THREAD_VARIABLES)
    conn.send(("result", SiteResult(task.site_id, "failed", 2, message=seen).to_dict()))
