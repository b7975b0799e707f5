"""What a Cisco IOS or IOS-XE box looks like from its state: the hardware model (from its
interface names), its serial number and the running configuration it starts with. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lab.device.base import fake_hash, hash_secret
from lab.device.cisco_ios.grammar import CATALOG
from lab.state import DeviceState, InterfaceState
from platforms.base import SWITCH_ROLES


@dataclass(frozen=True)
class Model:
    pid: str
    family: str  # first line of show version
    version: str  # `version 15.7` in the config
    release: str
    image: str
    compiled: str
    switch: bool
    nvram: int
    ports: tuple[str, ...] = ()  # a switch's front ports, as the box has them from the factory


def _ports(*groups: tuple[str, int]) -> tuple[str, ...]:
    return tuple(f"{prefix}{n}" for prefix, count in groups for n in range(1, count + 1))


def pick_model(state: DeviceState, xe: bool) -> Model:
    """The hardware: a Catalyst for a switch's role (or its port names), else a router."""
    names = list(state.interfaces)
    slotted = any(re.search(r"\d+/\d+/\d+$", n) for n in names)
    switch = state.role in SWITCH_ROLES or any(re.search(r"Ethernet1/0/\d+$", n) for n in names)
    if xe:
        if switch:
            return Model(
                "C9300-24T",
                "Cisco IOS Software [Amsterdam], Catalyst L3 Switch "
                "Software (CAT9K_IOSXE), Version 17.3.4, RELEASE SOFTWARE (fc3)",
                "17.3",
                "17.03.04",
                "bootflash:packages.conf",
                "Mon 09-Aug-21 22:48 by mcpre",
                True,
                2097152,
                _ports(("GigabitEthernet1/0/", 24), ("TenGigabitEthernet1/1/", 4)),
            )
        if slotted:
            return Model(
                "ISR4331/K9",
                "Cisco IOS Software [Amsterdam], ISR Software "
                "(X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 17.3.4a, RELEASE "
                "SOFTWARE (fc3)",
                "17.3",
                "17.03.04a",
                "bootflash:isr4300-universalk9.17.03.04a.SPA.bin",
                "Tue 20-Jul-21 04:59 by mcpre",
                False,
                33554432,
            )
        return Model(
            "CSR1000V",
            "Cisco IOS Software [Amsterdam], Virtual XE Software "
            "(X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 17.3.4a, RELEASE SOFTWARE "
            "(fc3)",
            "17.3",
            "17.03.04a",
            "bootflash:packages.conf",
            "Tue 20-Jul-21 04:59 by mcpre",
            False,
            33554432,
        )
    if switch:
        return Model(
            "WS-C2960X-24TS-L",
            "Cisco IOS Software, C2960X Software "
            "(C2960X-UNIVERSALK9-M), Version 15.2(7)E8, RELEASE SOFTWARE (fc1)",
            "15.2",
            "15.2(7)E8",
            "flash:c2960x-universalk9-mz.152-7.E8.bin",
            "Fri 24-Mar-23 03:16 by mcpre",
            True,
            524288,
            _ports(("GigabitEthernet1/0/", 28)),
        )
    return Model(
        "CISCO2911/K9",
        "Cisco IOS Software, C2900 Software (C2900-UNIVERSALK9-M), "
        "Version 15.7(3)M8, RELEASE SOFTWARE (fc2)",
        "15.7",
        "15.7(3)M8",
        "flash0:c2900-universalk9-mz.SPA.157-3.M8.bin",
        "Thu 04-Feb-21 03:41 by prod_rel_team",
        False,
        262136,
    )


def sys_descr(model: Model) -> str:
    """sysDescr as IOS and IOS-XE answer it: the software line of `show version`, support,
    copyright and build lines."""
    return (
        f"{model.family}\nTechnical Support: http://www.cisco.com/techsupport\n"
        f"Copyright (c) 1986-2021 by Cisco Systems, Inc.\nCompiled {model.compiled}"
    )


def serial_of(state: DeviceState, xe: bool) -> str:
    if state.serial:
        return state.serial
    tail = fake_hash("serial", state.name).upper().replace(".", "X").replace("/", "Y")
    return ("FDO" if xe else "FTX") + str(sum(map(ord, state.name)) % 10000).zfill(4) + tail[:4]


def render_initial(state: DeviceState, xe: bool, enable_secret: bool) -> str:
    """A running configuration for ``state`` as a freshly provisioned box prints it."""
    model = pick_model(state, xe)
    salt = fake_hash("salt", state.name)[:14]
    lines = [
        "!",
        f"version {model.version}",
        "service timestamps debug datetime msec",
        "service timestamps log datetime msec",
    ]
    if xe:
        lines += [
            "platform qfp utilization monitor load 80",
            "platform punt-keepalive disable-kernel-core",
        ]
    else:
        lines += ["no service password-encryption"]
    lines += [
        "!",
        f"hostname {state.hostname}",
        "!",
        "boot-start-marker",
        "boot-end-marker",
        "!",
        "!",
    ]
    if state.readers:  # `more system:running-config` at level 1: the whole configuration
        lines += ["file privilege 1", "!"]
    if enable_secret:
        lines += [f"enable secret 9 $9${salt}${fake_hash('enable', state.name)[:43]}", "!"]
    lines += [
        "no aaa new-model",
        "!",
        "!",
        "!",
        "no ip domain lookup",
        "ip cef",
        "no ipv6 cef",
        "!",
    ]
    if model.switch:  # VLANs kept in the configuration (VTP off), rapid spanning tree
        lines += [
            "vtp mode transparent",
            "!",
            "spanning-tree mode rapid-pvst",
            "spanning-tree extend system-id",
            "!",
        ]
    else:
        lines += ["multilink bundle-name authenticated", "!"]
    if xe:
        lines += [f"license udi pid {model.pid} sn {serial_of(state, xe)}", "!"]
    user_hash = fake_hash("user", state.name)[:43]
    lines += [f"username admin privilege 15 secret 9 $9${salt}${user_hash}"]
    for name, password in state.readers:
        lines += [f"username {name} privilege 1 secret 9 $9${salt}${hash_secret(password, salt)}"]
    lines += ["!", "redundancy"]
    if xe:
        lines += [" mode none"]
    lines += ["!"]
    for iface in interface_order(state):
        lines += [*_render_interface(iface, xe, model.switch), "!"]
    lines += [
        "ip forward-protocol nd",
        "!",
        "no ip http server",
        "no ip http secure-server",
        "ip ssh version 2",
        "!",
        "!",
        *_snmp_lines(state),
        "!",
        "control-plane",
        "!",
        "line con 0",
    ]
    if xe:
        lines += [" transport input none", " stopbits 1", "line aux 0", " stopbits 1"]
    else:
        lines += ["line aux 0"]
    lines += ["line vty 0 4", " login local", " transport input ssh", "!"]
    return "\n".join(lines) + "\nend\n"


V3_GROUP = "PROVNET-RO"


def _snmp_lines(state: DeviceState) -> list[str]:
    """What the box was provisioned with for SNMP: the inventory's community (read-only)
    or the group of its SNMPv3 user (the user itself is never shown, as on IOS)."""
    lines = [f"snmp-server community {c} RO" for c in sorted(state.snmp_communities or ())]
    for user in state.snmp_users or ():
        level = "priv" if user.priv_protocol else "auth"
        lines.append(f"snmp-server group {V3_GROUP} v3 {level}")
    if lines and state.sys_location:
        lines.append(f"snmp-server location {state.sys_location}")
    if lines and state.sys_contact:
        lines.append(f"snmp-server contact {state.sys_contact}")
    return lines


def add_ports(state: DeviceState, model: Model) -> None:
    """A switch's front ports, added to the interfaces the plan gave it (its VLAN one)."""
    for name in model.ports:
        state.add_interface(name)


def interface_order(state: DeviceState) -> list[InterfaceState]:
    """Interfaces as IOS lists them in its configuration: ports first, then the others."""
    return sorted(
        state.interfaces.values(), key=lambda i: (not CATALOG.is_physical(i.name), i.if_index)
    )


def _render_interface(iface: InterfaceState, xe: bool, switch: bool) -> list[str]:
    out = [f"interface {iface.name}"]
    physical = CATALOG.is_physical(iface.name)
    if iface.description:
        out.append(f" description {iface.description}")
    l2_port = switch and physical
    if iface.ipv4 and not l2_port:
        out.append(f" ip address {iface.ipv4[0].ip} {iface.ipv4[0].netmask}")
        out += [f" ip address {a.ip} {a.netmask} secondary" for a in iface.ipv4[1:]]
    elif not l2_port:
        out.append(" no ip address")
    if not iface.admin_up:
        out.append(" shutdown")
    if physical and not switch and iface.name.startswith(("GigabitEthernet", "FastEthernet")):
        out += [" negotiation auto"] if xe else [" duplex auto", " speed auto"]
    out += [f" ipv6 address {str(a).upper()}" for a in iface.ipv6]
    if iface.ipv6_enabled:
        out.append(" ipv6 enable")
    return out
