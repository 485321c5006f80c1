"""Library errors, each mapped to one process exit code in one place (the CLI)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_INFEASIBLE = 3
EXIT_NO_SOLUTION = 4
#: A schedule no better than the safe one (written and checked, not published as a success).
EXIT_DEGRADED = 5
#: `wfm run --sites`: some sites failed, the others published their plans.
EXIT_SOME_SITES_FAILED = 6
#: `wfm run --sites`: no site published a plan (every site failed, or none could start).
EXIT_NO_SITE_OK = 7
EXIT_LOCKED = 75


class WfmError(Exception):
    """Base class of every error wfm raises on purpose."""

    exit_code: int = EXIT_INTERNAL


class BadInput(WfmError):
    """An input file or config value is invalid; the message names the place."""

    exit_code = EXIT_BAD_INPUT


class InfeasibleRules(WfmError):
    """No schedule satisfies the hard rules."""

    exit_code = EXIT_INFEASIBLE


class NoSolution(WfmError):
    """The solver found no schedule within its time limit."""

    exit_code = EXIT_NO_SOLUTION


class DegradedSchedule(WfmError):
    """The schedule is valid but no better than the solver's safe schedule: not a success."""

    exit_code = EXIT_DEGRADED


class Locked(WfmError):
    """Another run holds the lock on the run folder."""

    exit_code = EXIT_LOCKED


class ScheduleRejected(WfmError):
    """The written schedule breaks hard rules: the independent checker rejected it."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, violations: list[str]) -> None:
        super().__init__(message)
        self.violations = violations
