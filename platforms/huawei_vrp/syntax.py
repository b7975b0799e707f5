"""How Huawei VRP lays out and negates its configuration (pure)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from platforms.config import (
    AclEntry,
    Network,
    Node,
    Syntax,
    ipv6_network,
    negate,
    wildcard_network,
)

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

# -- access lists (what an audit reads of them) --------------------------------------------
_ACL4 = re.compile(r"^acl (?:number |name )?(\S+)(?: |$)")
_ACL6 = re.compile(r"^acl ipv6 (?:number |name )?(\S+)(?: |$)")


def _vrp_source(words: list[str], version: int) -> Network | None:
    """The source of a ``rule`` (None: no ``source`` word, or ``source any``)."""
    if "source" not in words:
        return None
    rest = words[words.index("source") + 1 :]
    if not rest or rest[0] == "any":
        return None
    if version == 6:
        return ipv6_network(rest[0], rest[1] if len(rest) > 1 and rest[1].isdigit() else None)
    wildcard = rest[1] if len(rest) > 1 else "0"
    return wildcard_network(rest[0], "0.0.0.0" if wildcard == "0" else wildcard)


def vrp_acl(tree: Sequence[Node], name: str, version: int) -> tuple[Node | None, list[AclEntry]]:
    """The permit rules of the VRP access list ``name`` (``acl number 2001``)."""
    header = _ACL6 if version == 6 else _ACL4
    for node in tree:
        m = header.match(node.text) if node.text.startswith("acl ") else None
        if m and m[1] == name and (version == 6 or not node.text.startswith("acl ipv6 ")):
            entries = [
                AclEntry(c, _vrp_source(c.text.split(), version))
                for c in node.children
                if c.text.startswith("rule ") and "permit" in c.text.split()
            ]
            return node, entries
    return None, []


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
    acl=vrp_acl,
)
