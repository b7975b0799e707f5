"""Show/display output -> data, for the post-checks of changes (pure): what every
platform's parsers share. Each platform package holds its own parsers (``show.py``) and
names the commands whose output they read (see :class:`~platforms.network.NetworkPlatform`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass


def output_lines(output: str) -> list[str]:
    """``output`` split into lines, whatever its line ends."""
    return output.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def ipv6_address(word: str) -> ipaddress.IPv6Address | None:
    """``2001:DB8::1/64`` or ``2001:db8::1`` -> the address; None for anything else."""
    try:
        return ipaddress.IPv6Address(word.split("/")[0])
    except ValueError:
        return None


def global_only(addresses: Iterable[ipaddress.IPv6Address]) -> list[ipaddress.IPv6Address]:
    """``addresses`` without the link-local ones."""
    return [a for a in addresses if not a.is_link_local]


@dataclass(frozen=True)
class InterfaceStatus:
    name: str
    admin_up: bool
    oper_up: bool  # line protocol up


@dataclass(frozen=True)
class SipRegistration:
    status: str  # Registered, Failed, Inactive, Deregister...
    reason: str
    uri: str

    @property
    def registered(self) -> bool:
        return self.status == "Registered"
