"""How Cisco IOS (and IOS XE) lays out and negates its configuration (pure)."""

from __future__ import annotations

import re

from platforms.config import Syntax, negate

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
)
