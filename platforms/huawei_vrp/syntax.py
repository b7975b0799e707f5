"""How Huawei VRP lays out and negates its configuration (pure)."""

from __future__ import annotations

import re

from platforms.config import Syntax, negate

# -- negation and single-valued settings ---------------------------------------------------
_VRP_NEGATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"^sysname ", "undo sysname"),
        (r"^ntp-service unicast-server (\S+)", r"undo ntp-service unicast-server \1"),
        (r"^info-center loghost (\S+)", r"undo info-center loghost \1"),
        (
            r"^snmp-agent community (read|write) (cipher \S+|\S+)",
            r"undo snmp-agent community \1 \2",
        ),
        (r"^snmp-agent usm-user (v3) (\S+)", r"undo snmp-agent usm-user \1 \2"),
        (
            r"^snmp-agent group (v3) (\S+) (authentication|privacy|noauthentication)",
            r"undo snmp-agent group \1 \2 \3",
        ),
        (r"^local-user (\S+) password ", r"undo local-user \1"),
        (r"^local-user (\S+) privilege level ", r"undo local-user \1 privilege level"),
        (r"^local-user (\S+) service-type ", r"undo local-user \1 service-type"),
        (r"^rule (\d+) ", r"undo rule \1"),
        (r"^header (login|shell) ", r"undo header \1"),
        (r"^acl (ipv6 )?\S+ (inbound|outbound)$", r"undo acl \1\2"),
        (r"^idle-timeout ", "undo idle-timeout"),
        (r"^description ", "undo description"),
        (r"^clock timezone ", "undo clock timezone"),
    )
)


def negate_vrp(line: str) -> str:
    """The VRP command that removes ``line`` (``undo ...``; ``undo X`` undoes itself)."""
    return negate(line, "undo", _VRP_NEGATIONS)


_VRP_KEYS = (
    r"^sysname ",
    r"^description ",
    r"^ip address (?!.*\bsub$)(?!dhcp-alloc)",
    r"^ip binding vpn-instance ",
    r"^header (login|shell) information ",
    r"^clock timezone ",
    r"^info-center timestamp (\S+)",
    r"^ntp-service unicast-server (\S+)",
    r"^ntp-service source-interface ",
    r"^info-center loghost (\S+)",
    r"^local-user (\S+) password ",
    r"^local-user (\S+) privilege level ",
    r"^local-user (\S+) service-type ",
    r"^snmp-agent usm-user v3 (\S+)",
    r"^snmp-agent group v3 (\S+)",
    r"^snmp-agent sys-info (contact|location|version) ",
    r"^rule (\d+) ",
    r"^authentication-mode ",
    r"^protocol inbound ",
    r"^idle-timeout ",
    r"^user privilege level ",
    r"^acl (ipv6 )?\S+ (inbound|outbound)",
    r"^(mtu|ipv6 mtu) ",
    r"^router-id ",
)

VRP = Syntax(
    name="vrp",
    separator="#",
    terminator="return",
    exit_command="quit",
    negate=negate_vrp,
    headers=(r"^!", r"^Info: ", r"^\[V\d+R\d+"),
    vrp_indent=True,
    keys=tuple(re.compile(k) for k in _VRP_KEYS),
    resets=((re.compile(r"^ip binding vpn-instance "), re.compile(r"^ip(v6)? address ")),),
)
