"""How Cisco IOS (and IOS XE) lays out and negates its configuration (pure)."""

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
_IOS_NEGATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"^banner (\S+) ", r"no banner \1"),
        (r"^username (\S+) ", r"no username \1"),
        (r"^enable (secret|password) ", r"no enable \1"),
        (r"^snmp-server community (\S+)", r"no snmp-server community \1"),
        (r"^snmp-server user (\S+) (\S+) (v1|v2c|v3)", r"no snmp-server user \1 \2 \3"),
        (
            r"^snmp-server group (\S+) (v1|v2c|v3)( auth| noauth| priv)?",
            r"no snmp-server group \1 \2\3",
        ),
        (r"^ntp server (?:vrf \S+ )?(\S+)", r"no ntp server \1"),
        (r"^logging host (\S+)", r"no logging host \1"),
        (r"^exec-timeout ", "no exec-timeout"),
        (r"^login block-for ", "no login block-for"),
    )
)


def negate_ios(line: str) -> str:
    """The IOS command that removes ``line`` (``no ...``; ``no X`` undoes ``no X``)."""
    return negate(line, "no", _IOS_NEGATIONS)


_IOS_KEYS = (
    r"^hostname ",
    r"^description ",
    r"^ip address (?!.*\bsecondary$)(?!dhcp)",
    r"^(?:ip )?vrf forwarding ",
    r"^encapsulation ",
    r"^enable secret ",
    r"^username (\S+) ",
    r"^banner (\S+) ",
    r"^ip domain name ",
    r"^ip ssh (version|time-out|authentication-retries|source-interface) ",
    r"^ntp server (?:vrf \S+ )?(\S+)",
    r"^ntp source ",
    r"^logging host (\S+)",
    r"^logging (trap|buffered|source-interface|console|facility) ",
    r"^snmp-server (location|contact) ",
    r"^snmp-server community (\S+)",
    r"^snmp-server user (\S+) (\S+) ",
    r"^snmp-server group (\S+) (v1|v2c|v3)",
    r"^clock timezone ",
    r"^login (block-for|on-failure|on-success|delay) ",
    r"^exec-timeout ",
    r"^session-timeout ",
    r"^transport (input|output|preferred) ",
    r"^(ipv6 )?access-class \S+ (in|out)",
    r"^ip access-group \S+ (in|out)",
    r"^ipv6 traffic-filter \S+ (in|out)",
    r"^privilege level ",
    r"^(mtu|bandwidth|ip mtu|ipv6 mtu) ",
    r"^router-id ",
)

# -- access lists (what an audit reads of them) --------------------------------------------
_ACL4 = re.compile(r"^ip access-list (standard|extended) (\S+)$")
_ACL6 = re.compile(r"^ipv6 access-list (\S+)$")


def _ios_source(words: list[str], version: int) -> Network | None:
    """The source of a permit entry's words after ``permit`` (protocol already dropped)."""
    if not words or words[0] == "any":
        return None
    if words[0] == "host" and len(words) > 1:
        words = [words[1], "0.0.0.0"] if version == 4 else [f"{words[1]}/128"]
    if version == 6:
        return ipv6_network(words[0])
    wildcard = words[1] if len(words) > 1 and words[1][:1].isdigit() else "0.0.0.0"
    return wildcard_network(words[0], wildcard)


def _ios_entry(node: Node, text: str, version: int, extended: bool) -> AclEntry | None:
    words = text.split()
    while words and (words[0].isdigit() or words[0] == "sequence"):
        words = words[1:]  # sequence numbers
    if not words or words[0] != "permit":
        return None
    words = words[2:] if extended or version == 6 else words[1:]  # the protocol
    return AclEntry(node, _ios_source(words, version))


def ios_acl(tree: Sequence[Node], name: str, version: int) -> tuple[Node | None, list[AclEntry]]:
    """The permit entries of the IOS access list ``name`` (named, or numbered IPv4)."""
    start = "ip access-list " if version == 4 else "ipv6 access-list "  # spares a regex a line
    for node in tree:
        if not node.text.startswith(start):
            continue
        m4 = _ACL4.match(node.text) if version == 4 else None
        m6 = _ACL6.match(node.text) if version == 6 else None
        if (m4 and m4[2] == name) or (m6 and m6[1] == name):
            extended = bool(m4 and m4[1] == "extended")
            found = [_ios_entry(c, c.text, version, extended) for c in node.children]
            return node, [e for e in found if e is not None]
    numbered = [n for n in tree if version == 4 and n.text.startswith(f"access-list {name} ")]
    if not numbered:
        return None, []
    extended = name.isdigit() and (100 <= int(name) <= 199 or 2000 <= int(name) <= 2699)
    found = [_ios_entry(n, n.text.split(" ", 2)[2], 4, extended) for n in numbered]
    return numbered[0], [e for e in found if e is not None]


IOS = Syntax(
    name="ios",
    separator="!",
    terminator="end",
    exit_command="exit",
    negate=negate_ios,
    headers=(r"^Building configuration", r"^Current configuration", r"^Using \d+ out of"),
    banners=True,
    keys=tuple(re.compile(k) for k in _IOS_KEYS),
    resets=((re.compile(r"^(ip )?vrf forwarding "), re.compile(r"^ip(v6)? address ")),),
    acl=ios_acl,
)
