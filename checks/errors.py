"""The checks room's errors: one root, each concrete error also the matching builtin."""

from __future__ import annotations

from provnet.errors import ProvnetError


class CheckError(ProvnetError):
    """Root of the checks room's errors; an audit or a check that cannot start exits 2."""


class BadSessionFile(CheckError, ValueError):
    """A session file that does not validate; the message lists every file:line problem."""


class BadCheckInput(CheckError, ValueError):
    """A parameter of a check that cannot be used (a threshold out of range, ...)."""


class RuleFileError(CheckError, ValueError):
    """A rules, profile or waiver file that does not validate; names file and line."""


class UnknownProfile(CheckError, LookupError):
    """A ``--profile`` (or ``--regime``) the rules do not define."""


class SourceError(CheckError, OSError):
    """A source (the backup repository, a baseline report) that cannot be read at all."""
