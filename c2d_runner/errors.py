"""One error tree: every error a user can meet derives from `C2DError` and carries its exit code.

The CLI and the pytest plugin translate errors with one `isinstance(exc, C2DError)`: the message
as `Error: ...` and `exc.exit_code` (the README's table, `c2d_runner.exitcodes`). Anything else
is a bug and keeps its traceback. Pure and dependency-free, so the mock derives its user-facing
errors from it too (a shared pure helper, like `wire.py`).
"""
from __future__ import annotations

from c2d_runner import exitcodes


class C2DError(Exception):
    """Base of every error the project reports to a user; `exit_code` is the documented exit code.

    A subclass picks its code by deriving from one of the categories below, or by setting
    `exit_code` itself (per instance where the code depends on what happened).
    """

    exit_code: int = exitcodes.FAILED


class JobFailure(C2DError):
    """A job failed, could not run, or an expectation did not hold (exit 1)."""

    exit_code = exitcodes.FAILED


class InvalidInput(C2DError):
    """An invalid spec, world file, argument or command-line usage; nothing was started (exit 2)."""

    exit_code = exitcodes.INVALID


class InfrastructureFailure(C2DError):
    """A provider, Aquarius or the mock unreachable, answering 5xx, or not Ocean at all (exit 3)."""

    exit_code = exitcodes.INFRASTRUCTURE


__all__ = ["C2DError", "JobFailure", "InvalidInput", "InfrastructureFailure"]
