"""Cisco TelePresence ``xStatus`` output -> data (pure)."""

from __future__ import annotations

import ipaddress
import re

from platforms.parsers import SipRegistration, ipv6_address, output_lines

IPV6_COMMAND = "xStatus Network 1 IPv6"
SIP_REGISTRATION_COMMAND = "xStatus SIP Registration"
_STATUS = re.compile(r"^\*s (?P<path>.+?): ?(?P<value>.*)$")


def tp_status(output: str) -> dict[str, str]:
    """``*s Path: value`` lines of an xStatus answer -> path -> value (quotes removed)."""
    found: dict[str, str] = {}
    for line in output_lines(output):
        m = _STATUS.match(line.strip())
        if m:
            value = m.group("value").strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            found[m.group("path")] = value
    return found


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
    addr = ipv6_address(value) if value else None
    return [addr] if addr is not None and not addr.is_link_local else []
