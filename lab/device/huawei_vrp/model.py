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


V3_GROUP = "PROVNET-RO"
VRP_AUTH = {"md5": "MD5", "sha": "SHA", "sha2-224": "SHA224", "sha2-256": "SHA256"}
VRP_AUTH |= {"sha2-384": "SHA384", "sha2-512": "SHA512"}
VRP_PRIV = {"des56": "DES", "aes128": "AES", "aes192": "AES192", "aes256": "AES256"}


def cipher_of(kind: str, seed: str) -> str:
    """How VRP shows a key or community it stores: ``%^%#...%^%#`` (never the text)."""
    return f"%^%#{fake_hash(kind, seed)[:40]}%^%#"


def snmp_lines(state: DeviceState) -> list[str]:
    """The agent as provisioned from the inventory: community (as a cipher) or SNMPv3
    group and user, sys-info; what VRP shows of them."""
    lines = [" snmp-agent"]
    communities = sorted(state.snmp_communities or ())
    lines += [f" snmp-agent community read cipher {cipher_of('community', c)}" for c in communities]
    lines.append(f" snmp-agent sys-info contact {state.sys_contact}" if state.sys_contact else "")
    if state.sys_location:
        lines.append(f" snmp-agent sys-info location {state.sys_location}")
    lines.append(" snmp-agent sys-info version " + ("v2c v3" if communities else "v3"))
    names = {v: k for k, v in VRP_AUTH.items()}
    privs = {v: k for k, v in VRP_PRIV.items()}
    for user in state.snmp_users or ():
        level = "privacy" if user.priv_protocol else "authentication"
        lines += [
            f" snmp-agent group v3 {V3_GROUP} {level}",
            f" snmp-agent usm-user v3 {user.name} group {V3_GROUP}",
            f" snmp-agent usm-user v3 {user.name} authentication-mode "
            f"{names[user.auth_protocol]} cipher {cipher_of('usm', user.auth_password)}",
        ]
        if user.priv_protocol and user.priv_password:
            lines.append(
                f" snmp-agent usm-user v3 {user.name} privacy-mode "
                f"{privs[user.priv_protocol]} cipher {cipher_of('usm', user.priv_password)}"
            )
    return [ln for ln in lines if ln]


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
        *snmp_lines(state),
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
