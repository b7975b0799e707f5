"""What a Huawei VRP box looks like from its state: its software version, where its files
live, and the current configuration it starts with. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.device.base import fake_hash, hash_secret
from lab.device.huawei_vrp.grammar import CATALOG
from lab.state import DeviceState, InterfaceState
from platforms.base import SWITCH_ROLES

VERSION = "V200R010C00SPC600"


@dataclass(frozen=True)
class VrpModel:
    """The hardware and software of a box: an AR router or an S-series switch."""

    board: str  # "AR2220E"
    family: str  # in `display version`: "AR2200"
    kind: str  # "Router" / "Routing Switch"
    software: str  # "V200R010C00SPC600"
    vrp: str  # the VRP version: "5.160"
    switch: bool
    ports: tuple[str, ...] = ()  # front ports (and management port) of a switch

    @property
    def image(self) -> str:
        return f"{self.board}-{self.software}.cc"

    @property
    def version_head(self) -> str:
        """sysDescr, and the head of `display version`."""
        return (
            "Huawei Versatile Routing Platform Software\n"
            f"VRP (R) software, Version {self.vrp} ({self.family} {self.software})\n"
            "Copyright (C) 2011-2018 HUAWEI TECH CO., LTD"
        )


AR2220E = VrpModel("AR2220E", "AR2200", "Router", VERSION, "5.160", switch=False)
S5720 = VrpModel(
    "S5720-28X-LI-AC",
    "S5720",
    "Routing Switch",
    "V200R011C10SPC600",
    "5.170",
    switch=True,
    ports=(
        "MEth0/0/1",
        *(f"GigabitEthernet0/0/{n}" for n in range(1, 25)),
        *(f"XGigabitEthernet0/0/{n}" for n in range(1, 5)),
    ),
)


def pick_model(state: DeviceState) -> VrpModel:
    """An S-series switch for a switch's role (or a box with switch port names), else an AR."""
    names = list(state.interfaces)
    switch = state.role in SWITCH_ROLES or any(n.startswith("XGigabitEthernet") for n in names)
    return S5720 if switch else AR2220E


def add_interfaces(state: DeviceState, model: VrpModel) -> None:
    """What every box has besides the plan's interfaces: a switch's ports, and NULL0."""
    for name in (*model.ports, "NULL0"):
        state.add_interface(name)


# The order VRP prints interface sections in: by kind, then by number.
_KIND_ORDER = ("Vlanif", "MEth", "GigabitEthernet", "XGigabitEthernet", "NULL", "LoopBack")


def interface_order(state: DeviceState) -> list[InterfaceState]:
    def key(iface: InterfaceState) -> tuple[int, int]:
        kind = CATALOG.type_of(iface.name)
        name = kind.name if kind is not None else ""
        rank = _KIND_ORDER.index(name) if name in _KIND_ORDER else len(_KIND_ORDER)
        return rank, iface.if_index

    return sorted(state.interfaces.values(), key=key)


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


def render_initial(state: DeviceState, model: VrpModel = AR2220E) -> str:
    """A current-configuration for ``state`` as a freshly provisioned AR router or S switch
    prints it (every interface listed, configured or not, as VRP does)."""
    head = f"!Software Version {model.software}" if model.switch else f"[{model.software}]"
    lines = [head, "#", f" sysname {state.hostname}", "#"]
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
    ]
    for name, password in state.readers:
        lines += [
            f" local-user {name} password irreversible-cipher $1c${hash_secret(password, name)}$",
            f" local-user {name} privilege level 1",
            f" local-user {name} service-type ssh",
        ]
    lines += ["#"]
    if state.readers:  # display current-configuration is level 3 (management) by default
        lines += [" command-privilege level 1 view shell display current-configuration", "#"]
    for iface in interface_order(state):
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
