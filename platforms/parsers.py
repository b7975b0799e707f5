"""Show/display output -> data, for the post-checks of changes (pure).

Which command to run for each platform is in :data:`COMMANDS`; the parsers take its output.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

COMMANDS: dict[str, dict[str, str]] = {
    "ipv6_brief": {
        "cisco_ios": "show ipv6 interface brief",
        "cisco_xe": "show ipv6 interface brief",
        "huawei_vrp": "display ipv6 interface brief",
        "cisco_tp": "xStatus Network 1 IPv6",
    },
    "interfaces": {
        "cisco_ios": "show ip interface brief",
        "cisco_xe": "show ip interface brief",
        "huawei_vrp": "display interface brief",
    },
    "sip_registration": {"cisco_tp": "xStatus SIP Registration"},
}


def command(kind: str, platform: str) -> str:
    """The show/display command for ``kind`` on ``platform`` (KeyError if there is none)."""
    return COMMANDS[kind][platform]


def _lines(output: str) -> list[str]:
    return output.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _address(word: str) -> ipaddress.IPv6Address | None:
    try:
        return ipaddress.IPv6Address(word.split("/")[0])
    except ValueError:
        return None


def ipv6_by_interface(output: str, platform: str) -> dict[str, list[ipaddress.IPv6Address]]:
    """Interface -> its IPv6 addresses (link-local included) from the brief IPv6 listing.

    IOS: ``Gi0/0/0  [up/up]`` then the addresses indented; VRP: the interface row, then
    ``[IPv6 Address] 2001:DB8::1`` lines.
    """
    found: dict[str, list[ipaddress.IPv6Address]] = {}
    current: str | None = None
    for line in _lines(output):
        if not line.strip():
            continue
        if platform == "huawei_vrp":
            m = re.match(r"^\[IPv6 Address\]\s+(\S+)", line.strip())
            if m and current is not None:
                addr = _address(m.group(1))
                if addr is not None:
                    found[current].append(addr)
                continue
            row = re.match(r"^(\S+)\s+(\*?down|up|\^down)\S*\s+(up|down)\S*\s*$", line)
            if row and row.group(1) != "Interface":
                current = row.group(1)
                found[current] = []
            continue
        row = re.match(r"^(\S+)\s+\[([^/\]]+)/([^\]]+)\]\s*$", line)
        if row:
            current = row.group(1)
            found[current] = []
        elif line.startswith(" ") and current is not None:
            addr = _address(line.strip())
            if addr is not None:
                found[current].append(addr)
    return found


def global_ipv6(output: str, platform: str, interface: str) -> list[ipaddress.IPv6Address]:
    """The global (not link-local) IPv6 addresses of ``interface``; [] when it has none."""
    addrs = ipv6_by_interface(output, platform).get(interface, [])
    return [a for a in addrs if not a.is_link_local]


@dataclass(frozen=True)
class InterfaceStatus:
    name: str
    admin_up: bool
    oper_up: bool  # line protocol up


def interface_status(output: str, platform: str) -> dict[str, InterfaceStatus]:
    """Interface -> status, from ``show ip interface brief`` / ``display interface brief``."""
    found: dict[str, InterfaceStatus] = {}
    for line in _lines(output):
        if platform == "huawei_vrp":
            m = re.match(r"^(\S+)\s+(\*down|\^down|up|down)\S*\s+(up|down)\S*(?:\s|$)", line)
            if m and m.group(1) not in ("Interface", "PHY:"):
                found[m.group(1)] = InterfaceStatus(
                    m.group(1), m.group(2) != "*down", m.group(3) == "up"
                )
            continue
        m = re.match(
            r"^(\S+)\s+\S+\s+(?:YES|NO)\s+\S+\s+(administratively down|up|down)\s+(up|down)\s*$",
            line,
        )
        if m:
            found[m.group(1)] = InterfaceStatus(
                m.group(1), m.group(2) != "administratively down", m.group(3) == "up"
            )
    return found


_STATUS = re.compile(r"^\*s (?P<path>.+?): ?(?P<value>.*)$")


def tp_status(output: str) -> dict[str, str]:
    """``*s Path: value`` lines of an xStatus answer -> path -> value (quotes removed)."""
    found: dict[str, str] = {}
    for line in _lines(output):
        m = _STATUS.match(line.strip())
        if m:
            value = m.group("value").strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            found[m.group("path")] = value
    return found


@dataclass(frozen=True)
class SipRegistration:
    status: str  # Registered, Failed, Inactive, Deregister...
    reason: str
    uri: str

    @property
    def registered(self) -> bool:
        return self.status == "Registered"


def sip_registration(output: str) -> SipRegistration:
    """The first SIP registration of ``xStatus SIP Registration``."""
    status = tp_status(output)
    return SipRegistration(
        status.get("SIP Registration 1 Status", "Unknown"),
        status.get("SIP Registration 1 Reason", ""),
        status.get("SIP Registration 1 URI", ""),
    )


def tp_ipv6(output: str) -> list[ipaddress.IPv6Address]:
    """The endpoint's global IPv6 address from ``xStatus Network 1 IPv6``, if any."""
    value = tp_status(output).get("Network 1 IPv6 Address", "")
    addr = _address(value) if value else None
    return [addr] if addr is not None and not addr.is_link_local else []
