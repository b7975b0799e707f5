"""Huawei VRP display output -> data (pure)."""

from __future__ import annotations

import ipaddress
import re

from platforms.parsers import InterfaceStatus, ipv6_address, output_lines

IPV6_COMMAND = "display ipv6 interface brief"
INTERFACES_COMMAND = "display interface brief"


def ipv6_by_interface(output: str) -> dict[str, list[ipaddress.IPv6Address]]:
    """Interface -> its IPv6 addresses (link-local included) from ``display ipv6 interface
    brief``: the interface row, then ``[IPv6 Address] 2001:DB8::1`` lines."""
    found: dict[str, list[ipaddress.IPv6Address]] = {}
    current: str | None = None
    for line in output_lines(output):
        if not line.strip():
            continue
        m = re.match(r"^\[IPv6 Address\]\s+(\S+)", line.strip())
        if m and current is not None:
            addr = ipv6_address(m.group(1))
            if addr is not None:
                found[current].append(addr)
            continue
        row = re.match(r"^(\S+)\s+(\*?down|up|\^down)\S*\s+(up|down)\S*\s*$", line)
        if row and row.group(1) != "Interface":
            current = row.group(1)
            found[current] = []
    return found


def interface_status(output: str) -> dict[str, InterfaceStatus]:
    """Interface -> status, from ``display interface brief`` (``*down``: shut down)."""
    found: dict[str, InterfaceStatus] = {}
    for line in output_lines(output):
        m = re.match(r"^(\S+)\s+(\*down|\^down|up|down)\S*\s+(up|down)\S*(?:\s|$)", line)
        if m and m.group(1) not in ("Interface", "PHY:"):
            found[m.group(1)] = InterfaceStatus(
                m.group(1), m.group(2) != "*down", m.group(3) == "up"
            )
    return found
