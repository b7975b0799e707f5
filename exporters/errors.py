"""Errors of the exporters room, all under :class:`ExporterError`.

Each names the file and line, the module, the request parameter or the target; each
concrete error is also the matching builtin, so callers may catch either.
"""

from __future__ import annotations

from provnet.errors import ProvnetError


class ExporterError(ProvnetError):
    """Root of the exporter's errors."""


class ConfigError(ExporterError, ValueError):
    """A modules/auths file the exporter cannot use; the message starts with ``file:line:``."""


class UnknownName(ExporterError, LookupError):
    """A module, auth or credential name that is not configured."""


class BadRequest(ExporterError, ValueError):
    """A request the exporter refuses (HTTP 400); the message names no secret."""


class BadListen(ExporterError, ValueError):
    """A ``--listen`` address that is not ``HOST:PORT``."""
