"""The platforms provnet knows. Adding a vendor is adding one package (or module) here that
defines ``PLATFORM`` (and ``NETWORK``, a :class:`~platforms.network.NetworkPlatform`, when
provnet may change it); see platforms/README.md for the files a new vendor adds."""

from __future__ import annotations

import difflib
from functools import cache

from platforms.base import PlatformError, PlatformInfo, UnknownPlatform
from platforms.network import NetworkPlatform
from provnet.discover import discover

__all__ = [
    "PlatformError",
    "PlatformInfo",
    "UnknownPlatform",
    "get_platform",
    "network_platform",
    "network_platforms",
    "registry",
]


@cache
def registry() -> dict[str, PlatformInfo]:
    """Every platform, by name (its Netmiko device_type, also its module's name)."""
    return {p.name: p for p in discover(__name__, "PLATFORM", PlatformInfo).values()}


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
    """Platforms provnet can change (their package defines ``NETWORK``), by name."""
    found = discover(__name__, "NETWORK", NetworkPlatform)  # type: ignore[type-abstract]
    return {n.name: n for n in found.values()}


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
