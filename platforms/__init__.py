"""The platforms provnet knows. Adding a vendor is adding one module that defines ``PLATFORM``
(and ``NETWORK``, a :class:`~platforms.network.NetworkPlatform`, when provnet may change it)."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from functools import cache

from platforms.base import PlatformError, PlatformInfo, UnknownPlatform
from platforms.network import NetworkPlatform

__all__ = [
    "PlatformError",
    "PlatformInfo",
    "UnknownPlatform",
    "get_platform",
    "network_platform",
    "registry",
]

# Modules of this package that are machinery, not platforms.
_MACHINERY = frozenset(
    {"base", "network", "config", "connection", "netplatform", "render", "parsers"}
)


@cache
def registry() -> dict[str, PlatformInfo]:
    found: dict[str, PlatformInfo] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name in _MACHINERY or module.ispkg:
            continue
        platform = getattr(importlib.import_module(f"{__name__}.{module.name}"), "PLATFORM", None)
        if isinstance(platform, PlatformInfo):
            found[platform.name] = platform
    return found


def _unknown(name: str, known: list[str], what: str) -> UnknownPlatform:
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return UnknownPlatform(f"unknown {what} '{name}'{hint} (known: {', '.join(sorted(known))})")


def get_platform(name: str) -> PlatformInfo:
    try:
        return registry()[name]
    except KeyError:
        raise _unknown(name, list(registry()), "platform") from None


@cache
def network_platforms() -> dict[str, NetworkPlatform]:
    """Platforms provnet can change (their module defines ``NETWORK``), by name."""
    found: dict[str, NetworkPlatform] = {}
    for name in registry():
        network = getattr(importlib.import_module(f"{__name__}.{name}"), "NETWORK", None)
        if network is not None:
            found[name] = network
    return found


def network_platform(name: str) -> NetworkPlatform:
    """What provnet knows about changing ``name`` (a Netmiko device_type).

    Raises :class:`UnknownPlatform` (naming the changeable ones) for any other name.
    """
    try:
        return network_platforms()[name]
    except KeyError:
        raise _unknown(
            name, list(network_platforms()), "platform for changes (nền tảng thay đổi)"
        ) from None
