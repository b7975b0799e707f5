"""Errors of the lab room; each is also the matching builtin."""

from __future__ import annotations

from provnet.errors import ProvnetError


class LabError(ProvnetError):
    """Root of the lab room's errors."""


class UnknownTwinDevice(LabError, LookupError):
    pass


class BadFault(LabError, ValueError):
    pass


class LabAlreadyUp(LabError, FileExistsError):
    pass


class LabNotUp(LabError, FileNotFoundError):
    pass


class LabStartFailed(LabError, RuntimeError):
    pass
