"""The sites file of `wfm run --sites`: the business units planned in one night.

::

    sites:
      - id: north                      # the site's folder under RUNS
        config: centers/north.yaml     # relative to the sites file, or absolute
        time_limit_seconds: 300        # optional overrides of the site's config
      - id: south
        config: centers/south.yaml
        seed: 1
    watchdog_margin_seconds: 600       # optional: see `Sites`

`load_sites` validates the file (unknown keys, duplicate ids, ids that are no folder name,
a config that does not exist: `BadInput` naming the file, the line or the key path) and
`site_tasks` turns each selected site and the command line's options into the `SiteTask`
one worker runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic import Strict as _NoCoercion

from wfm.config import _error_location, _error_message
from wfm.errors import BadInput

#: A site id is a folder name: letters, digits, ``_`` and ``-``, not starting with ``-``.
SITE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
#: Names a site may not take: they are the runs folder's own entries.
RESERVED_IDS = frozenset({"latest"})
#: How long past its solver time limit a site may run before the watchdog ends it: the
#: forecast, staffing, model building, checking and the workbook come on top of the limit.
DEFAULT_WATCHDOG_MARGIN_SECONDS = 600.0

Seconds = Annotated[float, _NoCoercion(), Field(gt=0, allow_inf_nan=False)]
Whole = Annotated[int, _NoCoercion()]


class Site(BaseModel):
    """One business unit: its id (folder name), its center config and optional overrides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, _NoCoercion()]
    config: Annotated[str, _NoCoercion()]
    time_limit_seconds: Seconds | None = None
    workers: Annotated[Whole, Field(ge=1, le=64)] | None = None
    seed: Whole | None = None

    @field_validator("id")
    @classmethod
    def _folder_name(cls, value: str) -> str:
        if not SITE_ID.match(value):
            raise ValueError(f"{value!r} is not a folder name: use letters, digits, _ and - "
                             "(at most 64, not starting with -)")
        if value in RESERVED_IDS:
            raise ValueError(f"{value!r} is reserved in the runs folder")
        return value


class Sites(BaseModel):
    """The whole sites file.

    ``watchdog_margin_seconds``: a site still running this long after its solver time
    limit is ended (SIGTERM, then SIGKILL after a grace) and marked failed.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    sites: list[Site] = Field(min_length=1)
    watchdog_margin_seconds: Seconds = DEFAULT_WATCHDOG_MARGIN_SECONDS


@dataclass(frozen=True)
class SitesFile:
    """A validated sites file: its path (absolute), its sites and its settings."""

    path: Path
    sites: tuple[Site, ...]
    watchdog_margin_seconds: float

    def config_path(self, site: Site) -> Path:
        """The site's config, resolved against the sites file's folder."""
        return (self.path.parent / site.config).resolve()


def load_sites(path: str | Path) -> SitesFile:
    """Read and validate a sites file; BadInput naming the file and the line or key path.

    Each site's config must exist (its content is the site's own run's business: a bad
    config fails that site alone).
    """
    from wfm.io.config_file import parse_yaml, read_config_text

    path = Path(path).absolute()
    data = parse_yaml(read_config_text(path), str(path))
    if not isinstance(data, dict):
        raise BadInput(f"{path}: expected a mapping with a 'sites:' list at the top level")
    try:
        parsed = Sites.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise BadInput(f"{path}: {_error_location(error)}: {_error_message(error)}") from None
    seen: dict[str, int] = {}
    for index, site in enumerate(parsed.sites):
        key = site.id.lower()  # one folder on a case-insensitive disk
        if key in seen:
            raise BadInput(f"{path}: sites[{index}].id: {site.id!r} is given twice "
                           f"(first as sites[{seen[key]}])")
        seen[key] = index
    found = SitesFile(path, tuple(parsed.sites), parsed.watchdog_margin_seconds)
    for index, site in enumerate(found.sites):
        config = found.config_path(site)
        if not config.is_file():
            raise BadInput(f"{path}: sites[{index}].config: no such file {config}")
    return found


def select_sites(sites: SitesFile, only: list[str] | None) -> list[Site]:
    """The sites ``--only`` names (all when None), in the file's order; BadInput for an
    id the file does not have."""
    if not only:
        return list(sites.sites)
    wanted = [part.strip() for item in only for part in item.split(",") if part.strip()]
    known = {site.id for site in sites.sites}
    unknown = [site_id for site_id in wanted if site_id not in known]
    if unknown:
        raise BadInput(f"--only: no site {', '.join(map(repr, unknown))} in {sites.path} "
                       f"(sites: {', '.join(sorted(known))})")
    return [site for site in sites.sites if site.id in wanted]


@dataclass(frozen=True)
class GroupOptions:
    """The command line's options for every site (None: the site's or its config's)."""

    as_of: date | None = None
    horizon_days: int | None = None
    seed: int | None = None
    time_limit_seconds: float | None = None
    workers: int | None = None


@dataclass(frozen=True)
class SiteTask:
    """What one worker needs to run one site's nightly chain.

    ``seed``, ``time_limit_seconds`` and ``workers`` are the overrides handed to the run
    (the command line's, else the sites file's, else None for the config's own); the
    ``solver_*`` fields are the values the run will use, for the scheduler (CPU slots) and
    the watchdog. ``input_files`` are the files the config names (for engines that ship
    them to another machine); ``argv`` the group's command line, for the run's manifest.
    """

    site_id: str
    config: Path
    runs_dir: Path
    as_of: date | None
    horizon_days: int | None
    seed: int | None
    time_limit_seconds: float | None
    workers: int | None
    solver_workers: int
    solver_time_limit_seconds: float
    input_files: tuple[Path, ...] = ()
    argv: tuple[str, ...] = field(default_factory=tuple)


def _first(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def site_task(sites: SitesFile, site: Site, runs_root: Path, options: GroupOptions,
              argv: tuple[str, ...] = ()) -> SiteTask:
    """The task for ``site``: the command line's options win over the sites file's, which
    win over the site's config (as `wfm run --config` options win over the config).

    The config is read here only to know the solver's workers and time limit and the input
    files; when it cannot be read, one worker and the default time limit stand in and the
    site's own run reports the error.
    """
    from wfm.config import SolverLimits
    from wfm.io.config_file import load_config

    config = sites.config_path(site)
    # a config that cannot be read fails in the run's first stage: one CPU is enough
    solver = SolverLimits(workers=1)
    files: list[Path] = [config]
    try:
        cfg = load_config(config)
    except Exception:  # the run itself fails on it, with the message and exit code
        cfg = None
    if cfg is not None:
        solver = cfg.solver
        files += [Path(p) for key in ("history", "agents", "special_days", "previous_schedule")
                  if (p := getattr(cfg.inputs, key)) is not None]
    seed = _first(options.seed, site.seed)
    limit = _first(options.time_limit_seconds, site.time_limit_seconds)
    workers = _first(options.workers, site.workers)
    return SiteTask(
        site_id=site.id, config=config, runs_dir=(Path(runs_root) / site.id).absolute(),
        as_of=options.as_of, horizon_days=options.horizon_days, seed=seed,
        time_limit_seconds=limit, workers=workers,
        solver_workers=_first(workers, solver.workers),
        solver_time_limit_seconds=float(_first(limit, solver.time_limit_seconds)),
        input_files=tuple(files), argv=tuple(argv),
    )
