"""What a Huawei VRP box looks like from its state: its software version, where its files
live, and the current configuration it starts with. Pure.
"""

from __future__ import annotations

from lab.device.base import fake_hash
from lab.state import DeviceState

VERSION = "V200R010C00SPC600"


def flash_path(name: str) -> str:
    name = name.replace("flash:/", "").replace("flash:", "")
    return "flash:/" + name


def render_initial(state: DeviceState) -> str:
    """A current-configuration for ``state`` as a freshly provisioned AR router prints it."""
    lines = [f"[{VERSION}]", "#", f" sysname {state.hostname}", "#"]
    if any(i.ipv6_enabled or i.ipv6 for i in state.interfaces.values()):
        lines += [" ipv6", "#"]
    lines += [
        " clock timezone Hanoi add 07:00:00",
        "#",
        " info-center timestamp log date format yyyy-mm-dd",
        "#",
    ]
    cipher = f"%^%#{fake_hash('user', state.name)[:40]}%^%#"
    lines += [
        "aaa",
        " authentication-scheme default",
        " authorization-scheme default",
        " accounting-scheme default",
        " domain default",
        " domain default_admin",
        f" local-user admin password irreversible-cipher {cipher}",
        " local-user admin privilege level 15",
        " local-user admin service-type ssh",
        "#",
    ]
    for iface in sorted(state.interfaces.values(), key=lambda i: i.if_index):
        lines.append(f"interface {iface.name}")
        if iface.description:
            lines.append(f" description {iface.description}")
        if not iface.admin_up:
            lines.append(" shutdown")
        if iface.ipv6_enabled or iface.ipv6:
            lines.append(" ipv6 enable")
        if iface.ipv4:
            lines.append(f" ip address {iface.ipv4[0].ip} {iface.ipv4[0].netmask}")
            lines += [f" ip address {a.ip} {a.netmask} sub" for a in iface.ipv4[1:]]
        lines += [f" ipv6 address {str(a).upper()}" for a in iface.ipv6]
        lines.append("#")
    lines += [
        " snmp-agent",
        "#",
        " stelnet server enable",
        "#",
        "user-interface con 0",
        " authentication-mode password",
        "user-interface vty 0 4",
        " authentication-mode aaa",
        " protocol inbound ssh",
        "user-interface vty 16 20",
        "#",
    ]
    return "\n".join(lines) + "\nreturn\n"
