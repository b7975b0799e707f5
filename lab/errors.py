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


class BadTwinAddress(LabError, ValueError):
    """A base address from which the twin's devices do not fit in 127.0.0.0/8."""


class BadStateDir(LabError, NotADirectoryError):
    """A --state-dir that exists and is not a directory."""
