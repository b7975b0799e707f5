"""The checks room's errors: one root, each concrete error also the matching builtin."""

from __future__ import annotations

from provnet.errors import ProvnetError


class CheckError(ProvnetError):
    """Something an audit cannot start from (exit code 2, nothing else done)."""


class RuleFileError(CheckError, ValueError):
    """A rules, profile or waiver file that does not validate; names file and line."""


class UnknownProfile(CheckError, LookupError):
    """A ``--profile`` (or ``--regime``) the rules do not define."""


class SourceError(CheckError, OSError):
    """A source (the backup repository, a baseline report) that cannot be read at all."""
