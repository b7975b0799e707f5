"""Cisco IOS / IOS XE show output -> data (pure)."""

from __future__ import annotations

import ipaddress
import re

from platforms.parsers import InterfaceStatus, ipv6_address, output_lines

IPV6_COMMAND = "show ipv6 interface brief"
INTERFACES_COMMAND = "show ip interface brief"


def ipv6_by_interface(output: str) -> dict[str, list[ipaddress.IPv6Address]]:
    """Interface -> its IPv6 addresses (link-local included) from ``show ipv6 interface
    brief``: ``Gi0/0/0  [up/up]`` then the addresses indented."""
    found: dict[str, list[ipaddress.IPv6Address]] = {}
    current: str | None = None
    for line in output_lines(output):
        if not line.strip():
            continue
        row = re.match(r"^(\S+)\s+\[([^/\]]+)/([^\]]+)\]\s*$", line)
        if row:
            current = row.group(1)
            found[current] = []
        elif line.startswith(" ") and current is not None:
            addr = ipv6_address(line.strip())
            if addr is not None:
                found[current].append(addr)
    return found


def interface_status(output: str) -> dict[str, InterfaceStatus]:
    """Interface -> status, from ``show ip interface brief``."""
    found: dict[str, InterfaceStatus] = {}
    for line in output_lines(output):
        m = re.match(
            r"^(\S+)\s+\S+\s+(?:YES|NO)\s+\S+\s+(administratively down|up|down)\s+(up|down)\s*$",
            line,
        )
        if m:
            found[m.group(1)] = InterfaceStatus(
                m.group(1), m.group(2) != "administratively down", m.group(3) == "up"
            )
    return found
