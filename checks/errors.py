"""The checks room's errors."""

from __future__ import annotations

from provnet.errors import ProvnetError


class CheckError(ProvnetError):
    """Root of the checks room's errors."""


class BadSessionFile(CheckError, ValueError):
    """A session file that does not validate; the message lists every file:line problem."""


class BadCheckInput(CheckError, ValueError):
    """A parameter of a check that cannot be used (a threshold out of range, ...)."""
