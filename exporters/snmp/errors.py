"""Errors of the exporter: each names the file and line, the module or the target."""

from __future__ import annotations

from provnet.errors import ProvnetError


class ExporterError(ProvnetError):
    """Root of the exporter's errors."""


class ConfigError(ExporterError, ValueError):
    """A modules/auths file the exporter cannot use; the message starts with ``file:line:``."""


class UnknownName(ExporterError, LookupError):
    """A module or auth name that is not configured."""
