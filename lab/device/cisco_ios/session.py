"""Cisco IOS and IOS-XE: the CLI engine (pure) for `cisco_ios` and `cisco_xe`.

Modes and prompts as on the box (``R1>``, ``R1#``, ``R1(config)#``, ``R1(config-if)#``
...), command tables per mode (``EXEC_SPECS``, ``CONFIG_SPECS``) with IOS keyword
abbreviation, errors exactly as IOS prints them, a running configuration kept as
text sections, and ``DeviceState`` following every change.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from lab.device.base import (
    CliSession,
    FileEntry,
    InterfaceCatalog,
    InterfaceSettings,
    InterfaceType,
    Reply,
    Route,
    TreeDevice,
    apply_filter,
    connected_routes,
    eui64_link_local,
    fake_hash,
    hash_secret,
    interface_settings_from,
    ios_uptime,
    resolve_static,
)
from lab.device.config import IOS_DIALECT, ConfigNode, starts_with
from lab.device.editing import ConfigEditor
from lab.device.grammar import Grammar, Match, ParseError, Spec, spec
from lab.state import DeviceState, InterfaceState

CATALOG = InterfaceCatalog(
    [
        InterfaceType("GigabitEthernet", True),
        InterfaceType("FastEthernet", True),
        InterfaceType("Tunnel", False),
        InterfaceType("TenGigabitEthernet", True),
        InterfaceType("TwentyFiveGigE", True),
        InterfaceType("FortyGigabitEthernet", True),
        InterfaceType("HundredGigE", True),
        InterfaceType("Ethernet", True),
        InterfaceType("Embedded-Service-Engine", True),
        InterfaceType("Serial", True),
        InterfaceType("Cellular", True),
        InterfaceType("Loopback", False),
        InterfaceType("Vlan", False),
        InterfaceType("Virtual-Template", False),
        InterfaceType("Port-channel", False),
        InterfaceType("BDI", False),
        InterfaceType("Dialer", False),
        InterfaceType("NVI", False),
        InterfaceType("Null", False),
    ]
)

SHORT_NAMES = {
    "GigabitEthernet": "Gi",
    "FastEthernet": "Fa",
    "TenGigabitEthernet": "Te",
    "TwentyFiveGigE": "Twe",
    "FortyGigabitEthernet": "Fo",
    "HundredGigE": "Hu",
    "Ethernet": "Et",
    "Serial": "Se",
    "Cellular": "Ce",
    "Loopback": "Lo",
    "Tunnel": "Tu",
    "Vlan": "Vl",
    "Port-channel": "Po",
    "Virtual-Template": "Vt",
    "Dialer": "Di",
    "Null": "Nu",
    "BDI": "BD",
    "NVI": "NV",
    "Embedded-Service-Engine": "Em",
}

CONFIG_BANNER = "Enter configuration commands, one per line.  End with CNTL/Z."
REPLACE_WARNING = (
    "This will apply all necessary additions and deletions\n"
    "to replace the current running configuration with the\n"
    "contents of the specified configuration file, which is\n"
    "assumed to be a complete configuration, not a partial\n"
    "configuration. Enter Y if you are sure you want to proceed. ? [no]: "
)

PROMPT_SUFFIX = {
    "config": "config",
    "if": "config-if",
    "subif": "config-subif",
    "line": "config-line",
    "router": "config-router",
    "rtr": "config-rtr",
    "router-af": "config-router-af",
    "std-nacl": "config-std-nacl",
    "ext-nacl": "config-ext-nacl",
    "ipv6-acl": "config-ipv6-acl",
    "archive": "config-archive",
    "vrf": "config-vrf",
    "vrf-af": "config-vrf-af",
    "cp": "config-cp",
    "vlan": "config-vlan",
    "redundancy": "config-red",
}

# --------------------------------------------------------------------------------------
# Command tables. `privileged=False` marks what user EXEC (`R1>`) may run.
# --------------------------------------------------------------------------------------
U = {"privileged": False}
EXEC_SPECS: list[Spec] = [
    spec("enable", "enable", **U),
    spec("disable", "disable"),
    spec("exit", "exit", **U),
    spec("logout", "exit", **U),
    spec("terminal length <INT>", "term_length", **U),
    spec("terminal width <INT>", "term_width", **U),
    spec("terminal monitor", "noop", **U),
    spec("terminal no monitor", "noop", **U),
    spec("show version", "show_version", **U),
    spec("show clock", "show_clock", **U),
    spec("show ip interface brief", "show_ip_int_brief", **U),
    spec("show ipv6 interface brief", "show_ipv6_int_brief", **U),
    spec("show ip route", "show_ip_route", **U),
    spec("show ipv6 route", "show_ipv6_route", **U),
    spec("show interfaces", "show_interfaces", **U),
    spec("show interfaces <IFNAME>", "show_interfaces", **U),
    spec("show interfaces description", "show_int_description", **U),
    spec("show inventory", "show_inventory", **U),
    spec("show privilege", "show_privilege", **U),
    spec("show users", "show_users", **U),
    spec("show running-config", "show_run"),
    spec("show running-config interface <IFNAME>", "show_run_interface"),
    spec("show startup-config", "show_start"),
    spec("show archive", "show_archive"),
    spec("show flash:", "dir"),
    spec("configure", "configure_ask"),
    spec("configure terminal", "configure"),
    spec("configure replace <WORD> [force]", "configure_replace"),
    spec("write", "write"),
    spec("write memory", "write"),
    spec("write terminal", "show_run"),
    spec("write erase", "write_erase"),
    spec("copy running-config startup-config", "copy_run_start"),
    spec("copy running-config <WORD>", "copy_run_file"),
    spec("archive config", "archive_config"),
    spec("dir [<WORD>]", "dir"),
    spec("reload", "reload"),
]

G = "set"
CONFIG_SPECS: dict[str, list[Spec]] = {
    "config": [
        spec("version <WORD>", G, key=1),
        spec("hostname <WORD>", "hostname", key=1),
        spec("interface <IFNAME>", "interface", mode="if"),
        spec("line vty <INT> [<INT>]", G, mode="line"),
        spec("line console <INT>", G, mode="line", canonical="line con"),
        spec("line aux <INT>", G, mode="line"),
        spec("router ospf <INT>", G, mode="router"),
        spec("router ospf <INT> vrf <WORD>", G, mode="router"),
        spec("router ospfv3 <INT>", G, mode="router"),
        spec("router bgp <INT>", G, mode="router"),
        spec("router eigrp <WORD>", G, mode="router"),
        spec("router rip", G, mode="router"),
        spec("ipv6 router ospf <INT>", G, mode="rtr"),
        spec("ip route <IPV4> <MASK> <LINE>", G),
        spec("ip route vrf <WORD> <IPV4> <MASK> <LINE>", "vrf_route"),
        spec("ipv6 route <IPV6PFX> <LINE>", G),
        spec("ipv6 route vrf <WORD> <IPV6PFX> <LINE>", "vrf_route"),
        spec("ipv6 unicast-routing", G),
        spec("ipv6 cef", G, explicit_no=True),
        spec("ip cef", G),
        spec("ip routing", G, default_on=True),
        spec("ip domain lookup", G, default_on=True),
        spec("ip domain-lookup", G, default_on=True, canonical="ip domain lookup"),
        spec("ip domain name <WORD>", G, key=3),
        spec("ip domain-name <WORD>", G, key=3, canonical="ip domain name"),
        spec("ip name-server <LINE>", G),
        spec("ip http server", G, default_on=True),
        spec("ip http secure-server", G, default_on=True),
        spec("ip http authentication <LINE>", G, key=3),
        spec("ip ssh version <INT>", G, key=3),
        spec("ip ssh time-out <INT>", G, key=3),
        spec("ip ssh authentication-retries <INT>", G, key=3),
        spec("ip ssh source-interface <IFNAME>", G, key=3),
        spec("ip forward-protocol nd", G),
        spec("ip source-route", G, default_on=True),
        spec("ip bootp server", G, default_on=True),
        spec("ip tcp synwait-time <INT>", G, key=3),
        spec("ip access-list standard <WORD>", G, mode="std-nacl"),
        spec("ip access-list extended <WORD>", G, mode="ext-nacl"),
        spec("ipv6 access-list <WORD>", G, mode="ipv6-acl"),
        spec("access-list <INT> <LINE>", G),
        spec("ntp server <WORD> [<LINE>]", G, key=3),
        spec("ntp source <IFNAME>", G, key=2),
        spec("ntp authenticate", G),
        spec("ntp authentication-key <INT> <LINE>", G, key=3),
        spec("ntp trusted-key <INT>", G),
        spec("logging host <WORD> [<LINE>]", G, key=3),
        spec("logging <IPV4>", G, key=3, canonical="logging host"),
        spec("logging buffered <LINE>", G, key=2),
        spec("logging trap <WORD>", G, key=2),
        spec("logging source-interface <IFNAME>", G, key=2),
        spec("logging console <WORD>", G, key=2),
        spec("logging facility <WORD>", G, key=2),
        spec("service timestamps <LINE>", G, key=3),
        spec("service password-encryption", G, explicit_no=True),
        spec("service tcp-keepalives-in", G),
        spec("service tcp-keepalives-out", G),
        spec("service pad", G, default_on=True),
        spec("service sequence-numbers", G),
        spec("enable secret <LINE>", "enable_secret", key=2),
        spec("enable password <LINE>", G, key=2),
        spec("username <WORD> <LINE>", "username", key=2),
        spec("banner motd <LINE>", "banner"),
        spec("banner login <LINE>", "banner"),
        spec("banner exec <LINE>", "banner"),
        spec("snmp-server community <WORD> [<LINE>]", G, key=3),
        spec("snmp-server location <LINE>", G, key=2),
        spec("snmp-server contact <LINE>", G, key=2),
        spec("snmp-server host <LINE>", G),
        spec("snmp-server enable traps [<LINE>]", G),
        spec("snmp-server group <LINE>", G),
        spec("snmp-server user <WORD> <LINE>", "snmp_user"),
        spec("snmp-server view <LINE>", G),
        spec("snmp-server ifindex persist", G),
        spec("aaa new-model", G, explicit_no=True),
        spec("aaa authentication <LINE>", G),
        spec("aaa authorization <LINE>", G),
        spec("aaa accounting <LINE>", G),
        spec("aaa session-id <WORD>", G, key=2),
        spec("clock timezone <WORD> <LINE>", G, key=2),
        spec("clock summer-time <LINE>", G, key=2),
        spec("login block-for <LINE>", G, key=2),
        spec("login on-failure <LINE>", G, key=2),
        spec("login on-success <LINE>", G, key=2),
        spec("login delay <INT>", G, key=2),
        spec("archive", G, mode="archive"),
        spec("crypto key generate rsa [<LINE>]", "crypto_keygen"),
        spec("cdp run", G, default_on=True),
        spec("lldp run", G),
        spec("spanning-tree mode <WORD>", G, key=2),
        spec("spanning-tree <LINE>", G),
        spec("vlan <INT>", G, mode="vlan"),
        spec("vrf definition <WORD>", G, mode="vrf"),
        spec("ip vrf <WORD>", G, mode="vrf"),
        spec("control-plane", G, mode="cp"),
        spec("redundancy", G, mode="redundancy"),
        spec("multilink bundle-name authenticated", G),
        spec("boot-start-marker", G),
        spec("boot-end-marker", G),
        spec("boot system <LINE>", G),
        spec("do <LINE>", "do"),
        spec("end", "end"),
        spec("exit", "exit"),
    ],
    "if": [
        spec("description <LINE>", G, key=1),
        spec("ip address <IPV4> <MASK> [secondary]", "if_ip", no_min=2),
        spec("ip address dhcp", "if_ip"),
        spec("ip helper-address <IPV4>", G),
        spec("ip nat inside", G, key=2),
        spec("ip nat outside", G, key=2),
        spec("ip access-group <WORD> <WORD>", G),
        spec("ip ospf <LINE>", G),
        spec("ip mtu <INT>", G, key=2),
        spec("ip tcp adjust-mss <INT>", G, key=3),
        spec("ip redirects", G, default_on=True),
        spec("ip unreachables", G, default_on=True),
        spec("ip proxy-arp", G, default_on=True),
        spec("ip verify unicast <LINE>", G, key=3),
        spec("ip vrf forwarding <WORD>", G, key=3),
        spec("ipv6 address <IPV6PFX> [<WORD>]", G, key=3, no_min=2),
        spec("ipv6 address autoconfig [<LINE>]", G, key=3),
        spec("ipv6 address dhcp", G, key=3),
        spec("ipv6 enable", G),
        spec("ipv6 nd <LINE>", G),
        spec("ipv6 ospf <LINE>", G),
        spec("ospfv3 <LINE>", G),
        spec("ipv6 mtu <INT>", G, key=2),
        spec("ipv6 traffic-filter <WORD> <WORD>", G),
        spec("ipv6 dhcp <LINE>", G),
        spec("ipv6 redirects", G, default_on=True),
        spec("ipv6 unreachables", G, default_on=True),
        spec("shutdown", G),
        spec("duplex <WORD>", G, key=1),
        spec("speed <WORD>", G, key=1),
        spec("media-type <WORD>", G, key=1),
        spec("negotiation auto", G, key=1),
        spec("mtu <INT>", G, key=1),
        spec("bandwidth <INT>", G, key=1),
        spec("delay <INT>", G, key=1),
        spec("load-interval <INT>", G, key=1),
        spec("keepalive [<INT>]", G, key=1),
        spec("encapsulation dot1Q <INT> [<LINE>]", G, key=1, canonical="encapsulation dot1Q"),
        spec("vrf forwarding <WORD>", "vrf_forwarding", key=2),
        spec("standby <LINE>", G),
        spec("vrrp <LINE>", G),
        spec("switchport", G, key=1),
        spec("switchport mode <WORD>", G, key=2),
        spec("switchport access vlan <INT>", G, key=3),
        spec("switchport trunk allowed vlan <LINE>", G, key=4),
        spec("switchport trunk native vlan <INT>", G, key=4),
        spec("switchport voice vlan <INT>", G, key=3),
        spec("switchport nonegotiate", G),
        spec("switchport port-security [<LINE>]", G),
        spec("spanning-tree <LINE>", G),
        spec("channel-group <INT> mode <WORD>", G, key=1),
        spec("cdp enable", G, default_on=True),
        spec("tunnel source <WORD>", G, key=2),
        spec("tunnel destination <WORD>", G, key=2),
        spec("tunnel mode <LINE>", G, key=2),
        spec("service-policy <LINE>", G),
        spec("do <LINE>", "do"),
        spec("end", "end"),
        spec("exit", "exit"),
    ],
    "line": [
        spec("login [<LINE>]", G, key=1),
        spec("password <LINE>", G, key=1),
        spec("transport input <LINE>", G, key=2),
        spec("transport output <LINE>", G, key=2),
        spec("transport preferred <LINE>", G, key=2),
        spec("exec-timeout <INT> [<INT>]", G, key=1),
        spec("access-class <WORD> <WORD> [vrf-also]", G),
        spec("ipv6 access-class <WORD> <WORD>", G),
        spec("logging synchronous", G),
        spec("privilege level <INT>", G, key=2),
        spec("session-timeout <INT>", G, key=1),
        spec("stopbits <INT>", G, key=1),
        spec("history size <INT>", G, key=2),
        spec("exec", G, default_on=True),
        spec("do <LINE>", "do"),
        spec("end", "end"),
        spec("exit", "exit"),
    ],
    "router": [
        spec("router-id <IPV4>", G, key=1),
        spec("network <LINE>", G),
        spec("passive-interface <LINE>", G),
        spec("default-information originate [<LINE>]", G, key=2),
        spec("redistribute <LINE>", G),
        spec("log-adjacency-changes [<LINE>]", G, key=1),
        spec("area <LINE>", G),
        spec("auto-cost <LINE>", G, key=1),
        spec("neighbor <LINE>", G),
        spec("bgp <LINE>", G),
        spec("address-family <LINE>", G, mode="router-af"),
        spec("do <LINE>", "do"),
        spec("end", "end"),
        spec("exit", "exit"),
    ],
    "router-af": [
        spec("neighbor <LINE>", G),
        spec("network <LINE>", G),
        spec("redistribute <LINE>", G),
        spec("exit-address-family", "exit"),
        spec("do <LINE>", "do"),
        spec("end", "end"),
        spec("exit", "exit"),
    ],
    "rtr": [
        spec("router-id <IPV4>", G, key=1),
        spec("passive-interface <LINE>", G),
        spec("redistribute <LINE>", G),
        spec("area <LINE>", G),
        spec("do <LINE>", "do"),
        spec("end", "end"),
        spec("exit", "exit"),
    ],
    "std-nacl": [
        spec("permit <LINE>", G),
        spec("deny <LINE>", G),
        spec("remark <LINE>", G),
        spec("do <LINE>", "do"),
        spec("end", "end"),
        spec("exit", "exit"),
    ],
    "archive": [
        spec("path <LINE>", G, key=1),
        spec("maximum <INT>", G, key=1),
        spec("write-memory", G),
        spec("time-period <INT>", G, key=1),
        spec("do <LINE>", "do"),
        spec("end", "end"),
        spec("exit", "exit"),
    ],
    "vrf": [
        spec("rd <WORD>", G, key=1),
        spec("description <LINE>", G, key=1),
        spec("route-target <LINE>", G),
        spec("address-family <WORD>", "vrf_af", mode="vrf-af"),
        spec("do <LINE>", "do"),
        spec("end", "end"),
        spec("exit", "exit"),
    ],
    "vrf-af": [
        spec("route-target <LINE>", G),
        spec("exit-address-family", "exit"),
        spec("do <LINE>", "do"),
        spec("end", "end"),
        spec("exit", "exit"),
    ],
    "cp": [
        spec("service-policy <LINE>", G),
        spec("do <LINE>", "do"),
        spec("end", "end"),
        spec("exit", "exit"),
    ],
    "vlan": [
        spec("name <WORD>", G, key=1),
        spec("do <LINE>", "do"),
        spec("end", "end"),
        spec("exit", "exit"),
    ],
    "redundancy": [
        spec("mode <WORD>", G, key=1),
        spec("do <LINE>", "do"),
        spec("end", "end"),
        spec("exit", "exit"),
    ],
}
CONFIG_SPECS["subif"] = CONFIG_SPECS["if"]
CONFIG_SPECS["ext-nacl"] = CONFIG_SPECS["std-nacl"]
CONFIG_SPECS["ipv6-acl"] = CONFIG_SPECS["std-nacl"]

USER_GRAMMAR = Grammar([s for s in EXEC_SPECS if not s.privileged])
PRIV_GRAMMAR = Grammar(EXEC_SPECS)
CONFIG_GRAMMARS = {mode: Grammar(specs) for mode, specs in CONFIG_SPECS.items()}

# Where IOS prints things: the order of top-level blocks and of lines inside a section.
TOP_RANK: list[tuple[str, int]] = [
    ("version", 0),
    ("service", 1),
    ("no service", 1),
    ("platform", 2),
    ("hostname", 3),
    ("boot", 4),
    ("boot-start-marker", 4),
    ("boot-end-marker", 4),
    ("vrf definition", 5),
    ("logging buffered", 6),
    ("logging console", 6),
    ("enable", 7),
    ("aaa", 8),
    ("no aaa", 8),
    ("clock", 9),
    ("ip vrf", 10),
    ("ip domain", 11),
    ("no ip domain", 11),
    ("ip name-server", 11),
    ("login", 12),
    ("ip cef", 13),
    ("no ip cef", 13),
    ("ipv6 unicast-routing", 13),
    ("ipv6 cef", 13),
    ("no ipv6 cef", 13),
    ("multilink", 14),
    ("crypto", 15),
    ("license", 15),
    ("username", 16),
    ("redundancy", 17),
    ("archive", 18),
    ("vlan", 19),
    ("spanning-tree", 19),
    ("interface", 20),
    ("router", 30),
    ("ipv6 router", 30),
    ("ip forward-protocol", 40),
    ("ip http", 41),
    ("no ip http", 41),
    ("ip ssh", 42),
    ("ip route", 43),
    ("ipv6 route", 44),
    ("ip access-list", 45),
    ("access-list", 46),
    ("ipv6 access-list", 47),
    ("logging", 48),
    ("snmp-server", 49),
    ("control-plane", 50),
    ("banner", 55),
    ("line", 60),
    ("ntp", 70),
]
CHILD_RANK: dict[str, list[tuple[str, int]]] = {
    "vrf": [("description", 10), ("rd", 11), ("route-target", 12)],
    "if": [
        ("description", 10),
        ("switchport", 12),
        ("encapsulation", 14),
        ("vrf", 15),
        ("ip vrf", 15),
        ("ip address", 20),
        ("no ip address", 20),
        ("ip", 25),
        ("no ip", 25),
        ("standby", 27),
        ("vrrp", 27),
        ("shutdown", 30),
        ("duplex", 40),
        ("speed", 41),
        ("media-type", 42),
        ("negotiation", 43),
        ("ipv6 address", 50),
        ("ipv6 enable", 51),
        ("ipv6", 52),
        ("no ipv6", 52),
        ("spanning-tree", 60),
        ("channel-group", 61),
    ],
}


def _child_mode(mode: str) -> str:
    return "if" if mode == "subif" else mode


def short_name(name: str) -> str:
    for long, short in SHORT_NAMES.items():
        if name.startswith(long) and name[len(long) : len(long) + 1].isdigit():
            return short + name[len(long) :]
    return name


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


def pick_model(state: DeviceState, xe: bool) -> Model:
    names = list(state.interfaces)
    slotted = any(re.search(r"\d+/\d+/\d+$", n) for n in names)
    switch = any(re.search(r"Ethernet1/0/\d+$", n) for n in names)
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
        "multilink bundle-name authenticated",
        "!",
    ]
    if xe:
        lines += [f"license udi pid {model.pid} sn {serial_of(state, xe)}", "!"]
    user_hash = fake_hash("user", state.name)[:43]
    lines += [f"username admin privilege 15 secret 9 $9${salt}${user_hash}", "!", "redundancy"]
    if xe:
        lines += [" mode none"]
    lines += ["!"]
    for iface in sorted(state.interfaces.values(), key=lambda i: i.if_index):
        lines += [*_render_interface(iface, xe, model.switch), "!"]
    lines += [
        "ip forward-protocol nd",
        "!",
        "no ip http server",
        "no ip http secure-server",
        "ip ssh version 2",
        "!",
        "!",
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


def _render_interface(iface: InterfaceState, xe: bool, switch: bool) -> list[str]:
    out = [f"interface {iface.name}"]
    physical = CATALOG.is_physical(iface.name)
    if iface.description:
        out.append(f" description {iface.description}")
    l2_port = switch and physical and not iface.ipv4
    if switch and physical and iface.ipv4:
        out.append(" no switchport")
    if iface.ipv4:
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


# --------------------------------------------------------------------------------------
class IosDevice(TreeDevice):
    """A Cisco IOS box (routers and Catalyst switches)."""

    platform = "cisco_ios"
    dialect = IOS_DIALECT
    catalog = CATALOG
    xe = False

    def __init__(
        self,
        state: DeviceState,
        config_text: str | None = None,
        *,
        enable_secret: str | None = None,
    ) -> None:
        text = config_text or render_initial(state, self.xe, enable_secret is not None)
        super().__init__(state, text, enable_secret=enable_secret)
        self.model = pick_model(state, self.xe)
        self.archive_next = 1
        self.archives: list[str] = []
        self.snmp_users: dict[str, str] = {}  # user -> group; not in the running config
        self.flash_name = "bootflash:" if self.xe else "flash:"
        self.editor = ConfigEditor(
            lambda: self.config,
            negation="no",
            top_rank=TOP_RANK,
            child_rank=CHILD_RANK,
            two_word_groups=(
                "ip",
                "ipv6",
                "logging",
                "snmp-server",
                "line",
                "router",
                "aaa",
                "service",
            ),
        )

    def open_session(self, *, privileged: bool = False) -> IosSession:
        return IosSession(self, privileged=privileged)

    def set_enable_secret(self, secret: str) -> None:
        """Require ``secret`` for `enable`; the config shows a hash of it, as IOS does."""
        self.enable_secret = secret
        salt = fake_hash("salt", self.state.name)[:14]
        words = ["enable", "secret", "9", f"$9${salt}${hash_secret(secret, salt)}"]
        self.editor.set_leaf(
            words, Spec(("enable",), "set", key=2), False, self.config.root, "config"
        )
        self.boot_config = self.config.render()

    def configured_hostname(self) -> str | None:
        for node in self.config.sections("hostname"):
            if len(node.words) > 1:
                return node.words[1]
        return None

    def login_banner(self) -> str:
        out = []
        for kind in ("motd", "exec"):
            node = self.config.find(f"banner {kind}")
            if node is not None and node.banner is not None:
                out.append(node.banner.strip("\n"))
        return "\n".join(out) + "\n" if out else "\n"

    def interface_settings(self, name: str) -> InterfaceSettings:
        node = self.config.find(f"interface {name}")
        if node is None:
            return InterfaceSettings()
        return interface_settings_from(node.children, "secondary")

    # -- files and archives ---------------------------------------------------
    def normalize_file(self, name: str) -> str:
        name = name.replace(":/", ":")
        if ":" not in name:
            name = self.flash_name + name
        if name.startswith(("flash:", "bootflash:")):
            name = self.flash_name + name.split(":", 1)[1]
        return name

    def read_file(self, name: str) -> str | None:
        if name.lower() in ("nvram:startup-config", "startup-config"):
            return self.startup
        entry = self.files.get(self.normalize_file(name))
        return entry.content if entry else None

    def archive_path(self) -> str | None:
        node = self.config.find("archive")
        if node is None:
            return None
        for child in node.children:
            if child.words[:1] == ["path"] and len(child.words) > 1:
                return child.text.split(None, 1)[1]
        return None

    def archive_maximum(self) -> int:
        node = self.config.find("archive")
        if node is not None:
            for child in node.children:
                if child.words[:1] == ["maximum"] and len(child.words) > 1:
                    return int(child.words[1])
        return 10

    def archive_name(self, number: int) -> str:
        path = self.archive_path() or ""
        path = path.replace("$h", self.hostname())
        path = path.replace("$t", time.strftime("%b-%d-%H-%M-%S.000-UTC", time.gmtime()))
        return self.normalize_file(f"{path}-{number}")

    def make_archive(self) -> str | None:
        if self.archive_path() is None:
            return None
        name = self.archive_name(self.archive_next)
        self.archive_next += 1
        self.files[name] = FileEntry(self.running_config())
        self.archives.append(name)
        maximum = self.archive_maximum()
        while len(self.archives) > maximum:
            old = self.archives.pop(0)
            self.files.pop(old, None)
        return name

    def write_memory(self) -> None:
        self.save()
        node = self.config.find("archive")
        if node is not None and node.child("write-memory") is not None:
            self.make_archive()


class IosXeDevice(IosDevice):
    """A Cisco IOS-XE box (ISR 4000, CSR1000v, Catalyst 9000)."""

    platform = "cisco_xe"
    xe = True


@dataclass
class _Frame:
    mode: str
    path: list[str]


class IosSession(CliSession):
    device: IosDevice

    def __init__(self, device: IosDevice, *, privileged: bool = False) -> None:
        super().__init__(device, privileged=privileged)
        self.level = 15 if privileged or device.enable_secret is None else 1
        self.frames: list[_Frame] = []

    failure_text = "% Incomplete command.\n\n"

    @property
    def prompt(self) -> str:
        host = self.device.hostname()
        if not self.frames:
            return host + ("#" if self.level == 15 else ">")
        return f"{host}({PROMPT_SUFFIX[self.frames[-1].mode]})#"

    def reset_modes(self) -> None:
        self.frames = []

    # -- keys -------------------------------------------------------------------
    def ctrl_z(self) -> Reply:
        if self.frames:
            self.frames = []
            return Reply("", self.prompt, mark="^Z")
        return Reply("", self.prompt)

    def ctrl_c(self) -> Reply:
        self._question = None
        self.frames = []
        return Reply("", self.prompt, mark="^C")

    def help_grammar(self, line: str) -> tuple[Grammar, int] | None:
        if not self.frames:
            return (PRIV_GRAMMAR if self.level == 15 else USER_GRAMMAR), 0
        grammar = CONFIG_GRAMMARS[self.frames[-1].mode]
        stripped = line.lstrip()
        if stripped.lower().startswith("no "):
            return grammar, len(line) - len(stripped) + 3
        return grammar, 0

    # -- dispatch -----------------------------------------------------------------
    def execute(self, line: str) -> Reply:
        if not line.strip():
            return Reply("", self.prompt)
        if self.frames:
            return self.config_line(line)
        return self.exec_line(line)

    def error(self, err: ParseError, line: str) -> str:
        if err.kind == "invalid":
            return (
                " " * (len(self.prompt) + err.position) + "^\n"
                "% Invalid input detected at '^' marker.\n\n"
            )
        if err.kind == "ambiguous":
            return f'% Ambiguous command:  "{line.strip()}"\n\n'
        return "% Incomplete command.\n\n"

    def exec_line(self, line: str, *, from_config: bool = False, offset: int = 0) -> Reply:
        """An EXEC command; ``offset`` is where it starts in the typed line (`do ...`)."""
        command, modifier, pattern = line, "", ""
        if "|" in line:
            command, _, tail = line.partition("|")
            parsed = _parse_modifier(tail)
            if parsed is None:
                pos = len(command) + 1 + (len(tail) - len(tail.lstrip()))
                return Reply(self.error(ParseError("invalid", pos), line), self.prompt)
            modifier, pattern = parsed
        grammar = PRIV_GRAMMAR if self.level == 15 else USER_GRAMMAR
        m = grammar.match(command, resolve_if=self.device.resolve_interface(False))
        if isinstance(m, ParseError):
            words = command.split()
            if (
                m.kind == "invalid"
                and m.position == len(command) - len(command.lstrip())
                and len(words) == 1
                and not from_config
            ):
                lookup = self.device.config.find("no ip domain lookup") is None
                head = f'Translating "{words[0]}"'
                if lookup:
                    head += "...domain server (255.255.255.255)"
                return Reply(
                    head + "\n% Unknown command or computer name, or unable to "
                    "find computer address\n",
                    self.prompt,
                )
            m.position += offset
            return Reply(self.error(m, line), self.prompt)
        handler: Callable[[Match], Reply | str] = getattr(self, "x_" + m.spec.action)
        result = handler(m)
        if isinstance(result, str):
            if modifier:
                result = apply_filter(result, modifier, pattern)
                if result and not result.endswith("\n"):
                    result += "\n"
            return Reply(result, self.prompt)
        return result

    # -- EXEC commands --------------------------------------------------------------
    def x_noop(self, m: Match) -> str:
        return ""

    def x_enable(self, m: Match) -> Reply | str:
        if self.level == 15:
            return ""
        secret = self.device.enable_secret
        if secret is None:
            return "% No password set\n"
        attempts = [0]

        def check(answer: str) -> Reply:
            if hmac.compare_digest(answer.encode(), secret.encode()):
                self.level = 15
                return Reply("", self.prompt)
            attempts[0] += 1
            if attempts[0] >= 3:
                return Reply("% Bad secrets\n\n", self.prompt)
            return self.ask("", "Password: ", check, echo=False)

        return self.ask("", "Password: ", check, echo=False)

    def x_disable(self, m: Match) -> str:
        self.level = 1
        return ""

    def x_exit(self, m: Match) -> Reply:
        return Reply("", "", close=True)

    def x_term_length(self, m: Match) -> str:
        self.terminal_length = int(m.args[0])
        return ""

    def x_term_width(self, m: Match) -> str:
        self.terminal_width = int(m.args[0])
        return ""

    def x_show_privilege(self, m: Match) -> str:
        return f"Current privilege level is {self.level}\n"

    def x_show_clock(self, m: Match) -> str:
        return "*" + self.clock_text() + "\n"

    def clock_text(self) -> str:
        name, offset = "UTC", 0.0
        node = next(iter(self.device.config.sections("clock", "timezone")), None)
        if node is not None and len(node.words) >= 4:
            name = node.words[2]
            try:
                hours = int(node.words[3])
                minutes = int(node.words[4]) if len(node.words) > 4 else 0
                offset = hours * 3600 + (minutes if hours >= 0 else -minutes) * 60
            except ValueError:
                offset = 0
        now = time.time() + offset
        t = time.gmtime(now)
        ms = int((now % 1) * 1000)
        return (
            time.strftime("%H:%M:%S", t)
            + f".{ms:03d} {name} "
            + time.strftime("%a %b ", t)
            + f"{t.tm_mday} {t.tm_year}"
        )

    def x_show_version(self, m: Match) -> str:
        return self.show_version()

    def show_version(self) -> str:
        dev = self.device
        state = dev.state
        model = dev.model
        family = model.family
        if state.sys_descr.startswith("Cisco IOS Software"):
            family = state.sys_descr.splitlines()[0].strip()
        uptime = ios_uptime(state.uptime_seconds())
        serial = serial_of(state, dev.xe)
        counts: dict[str, int] = {}
        for name in state.interfaces:
            kind = CATALOG.type_of(name)
            if kind is not None and kind.physical:
                label = {
                    "GigabitEthernet": "Gigabit Ethernet",
                    "FastEthernet": "FastEthernet",
                    "TenGigabitEthernet": "Ten Gigabit Ethernet",
                }.get(kind.name, kind.name)
                counts[label] = counts.get(label, 0) + 1
        ifaces = "\n".join(
            f"{n} {label} interface{'s' if n != 1 else ''}" for label, n in counts.items()
        )
        boot = time.strftime("%H:%M:%S UTC %a %b %d %Y", time.gmtime(state.booted_at))
        common = (
            "Technical Support: http://www.cisco.com/techsupport\n"
            "Copyright (c) 1986-2021 by Cisco Systems, Inc.\n"
            f"Compiled {model.compiled}\n"
        )
        if dev.xe:
            return (
                f"Cisco IOS XE Software, Version {model.release}\n{family}\n{common}\n\n"
                "Cisco IOS-XE software, Copyright (c) 2005-2021 by cisco Systems, Inc.\n"
                "All rights reserved.  Certain components of Cisco IOS-XE software are\n"
                'licensed under the GNU General Public License ("GPL") Version 2.0.  The\n'
                "software code licensed under GPL Version 2.0 is free software that comes\n"
                "with ABSOLUTELY NO WARRANTY.  You can redistribute and/or modify such\n"
                "GPL code under the terms of GPL Version 2.0.  For more details, see the\n"
                'documentation or "License Notice" file accompanying the IOS-XE software,\n'
                "or the applicable URL provided on the flyer accompanying the IOS-XE\n"
                "software.\n\n\n"
                "ROM: IOS-XE ROMMON\n\n"
                f"{state.hostname} uptime is {uptime}\n"
                f"Uptime for this control processor is {uptime}\n"
                "System returned to ROM by Reload Command\n"
                f'System image file is "{model.image}"\n'
                "Last reload reason: Reload Command\n\n\n\n"
                f"cisco {model.pid} (1RU) processor with 1795979K/6147K bytes of memory.\n"
                f"Processor board ID {serial}\n"
                "Router operating mode: Autonomous\n"
                f"{ifaces}\n"
                f"{model.nvram // 1024}K bytes of non-volatile configuration memory.\n"
                "4010000K bytes of physical memory.\n"
                "3207167K bytes of flash memory at bootflash:.\n\n"
                "Configuration register is 0x2102\n"
            )
        if model.switch:
            return (
                f"{family}\n{common}\n"
                "ROM: Bootstrap program is C2960X boot loader\n"
                "BOOTLDR: C2960X Boot Loader (C2960X-HBOOT-M) Version 15.2(7r)E, RELEASE "
                "SOFTWARE (fc1)\n\n"
                f"{state.hostname} uptime is {uptime}\n"
                "System returned to ROM by power-on\n"
                f"System restarted at {boot}\n"
                f'System image file is "{model.image}"\n'
                "Last reload reason: power-on\n\n\n\n"
                f"cisco {model.pid} (APM86XXX) processor (revision B0) with 524288K bytes of "
                "memory.\n"
                f"Processor board ID {serial}\n"
                "Last reset from power-on\n"
                f"{ifaces}\n"
                "The password-recovery mechanism is enabled.\n\n"
                "512K bytes of flash-simulated non-volatile configuration memory.\n"
                f"Model number                    : {model.pid}\n"
                f"System serial number            : {serial}\n\n\n"
                "Switch Ports Model                     SW Version            SW Image\n"
                "------ ----- -----                     ----------            ----------\n"
                f"*    1 {len(state.interfaces):<5} {model.pid:<25} {model.release:<21} "
                "C2960X-UNIVERSALK9-M\n\n\n"
                "Configuration register is 0xF\n"
            )
        return (
            f"{family}\n{common}\n"
            "ROM: System Bootstrap, Version 15.0(1r)M16, RELEASE SOFTWARE (fc1)\n\n"
            f"{state.hostname} uptime is {uptime}\n"
            "System returned to ROM by power-on\n"
            f"System restarted at {boot}\n"
            f'System image file is "{model.image}"\n'
            "Last reload type: Normal Reload\n"
            "Last reload reason: power-on\n\n\n\n"
            f"Cisco {model.pid} (revision 1.0) with 483328K/40960K bytes of memory.\n"
            f"Processor board ID {serial}\n"
            f"{ifaces}\n"
            "DRAM configuration is 64 bits wide with parity enabled.\n"
            "255K bytes of non-volatile configuration memory.\n"
            "250880K bytes of ATA System CompactFlash 0 (Read/Write)\n\n"
            "Configuration register is 0x2102\n"
        )

    def x_show_inventory(self, m: Match) -> str:
        model = self.device.model
        serial = serial_of(self.device.state, self.device.xe)
        return (
            f'NAME: "Chassis", DESCR: "Cisco {model.pid.split("/")[0]} Chassis"\n'
            f"PID: {model.pid:<17}, VID: V04  , SN: {serial}\n\n"
        )

    def x_show_users(self, m: Match) -> str:
        return (
            "    Line       User       Host(s)              Idle       Location\n"
            f"*  2 vty 0     {self.username:<10} idle                 00:00:00 "
            f"{self.peer}\n\n"
            "  Interface    User               Mode         Idle     Peer Address\n\n"
        )

    def _status(self, iface: InterfaceState) -> tuple[str, str]:
        if not iface.admin_up:
            return "administratively down", "down"
        return ("up", "up") if iface.link_up else ("down", "down")

    def x_show_ip_int_brief(self, m: Match) -> str:
        fmt = "{:<22} {:<15} {:<3} {:<6} {:<21} {}"
        out = [fmt.format("Interface", "IP-Address", "OK?", "Method", "Status", "Protocol")]
        for iface in self._interfaces():
            status, proto = self._status(iface)
            if iface.ipv4:
                ip = str(iface.ipv4[0].ip)
                method = "manual" if iface.name in self.device.manual_addresses else "NVRAM"
            else:
                ip, method = (
                    "unassigned",
                    "unset" if iface.name.startswith(("Loopback", "Vlan", "Tunnel")) else "NVRAM",
                )
            out.append(fmt.format(iface.name, ip, "YES", method, status, proto))
        return "\n".join(ln.rstrip() for ln in out) + "\n"

    def _interfaces(self) -> list[InterfaceState]:
        return sorted(self.device.state.interfaces.values(), key=lambda i: i.if_index)

    def x_show_ipv6_int_brief(self, m: Match) -> str:
        out = []
        for iface in self._interfaces():
            status, proto = self._status(iface)
            out.append(f"{iface.name:<22} [{status}/{proto}]")
            if iface.ipv6_enabled or iface.ipv6:
                out.append(f"    {str(eui64_link_local(iface.mac)).upper()}")
                out += [f"    {str(a.ip).upper()}" for a in iface.ipv6]
            else:
                out.append("    unassigned")
        return "\n".join(out) + "\n"

    def static_routes(self, version: int) -> list[Route]:
        connected = connected_routes(self.device.state, version)
        routes: list[Route] = []
        key = ("ip", "route") if version == 4 else ("ipv6", "route")
        for node in self.device.config.sections(*key):
            w = node.words
            try:
                if version == 4:
                    prefix: ipaddress.IPv4Network | ipaddress.IPv6Network = ipaddress.IPv4Network(
                        f"{w[2]}/{w[3]}", strict=False
                    )
                    rest = w[4:]
                else:
                    prefix = ipaddress.IPv6Network(w[2], strict=False)
                    rest = w[3:]
            except (ValueError, IndexError):
                continue
            if not rest:
                continue
            hop = rest[0]
            distance = int(rest[1]) if len(rest) > 1 and rest[1].isdigit() else 1
            via = resolve_static(connected, hop)
            if via is not None:
                routes.append(Route(prefix, "S", via, hop, distance))
            elif hop in self.device.state.interfaces and self.device.state.interfaces[hop].oper_up:
                routes.append(Route(prefix, "S", hop, "", distance))
        return routes

    def x_show_ip_route(self, m: Match) -> str:
        routes = connected_routes(self.device.state, 4) + self.static_routes(4)
        head = (
            "Codes: L - local, C - connected, S - static, R - RIP, M - mobile, B - BGP\n"
            "       D - EIGRP, EX - EIGRP external, O - OSPF, IA - OSPF inter area \n"
            "       N1 - OSPF NSSA external type 1, N2 - OSPF NSSA external type 2\n"
            "       E1 - OSPF external type 1, E2 - OSPF external type 2\n"
            "       i - IS-IS, su - IS-IS summary, L1 - IS-IS level-1, L2 - IS-IS level-2\n"
            "       ia - IS-IS inter area, * - candidate default, U - per-user static route\n"
            "       o - ODR, P - periodic downloaded static route, H - NHRP, l - LISP\n"
            "       a - application route\n"
            "       + - replicated route, % - next hop override, p - overrides from PfR\n\n"
        )
        default = next((r for r in routes if r.prefix.prefixlen == 0), None)
        if default is not None and default.nexthop:
            head += f"Gateway of last resort is {default.nexthop} to network 0.0.0.0\n\n"
        else:
            head += "Gateway of last resort is not set\n\n"
        return head + "\n".join(_ios_route_lines(routes)) + ("\n" if routes else "")

    def x_show_ipv6_route(self, m: Match) -> str:
        routes = connected_routes(self.device.state, 6) + self.static_routes(6)
        lines = []
        for r in sorted(routes, key=lambda r: (r.prefix.network_address, r.prefix.prefixlen)):
            prefix = f"{str(r.prefix.network_address).upper()}/{r.prefix.prefixlen}"
            if r.protocol == "S":
                lines += [
                    f"S   {prefix} [{r.distance}/0]",
                    f"     via {r.nexthop.upper() or r.interface}"
                    + (f", {r.interface}" if r.nexthop else ", directly connected"),
                ]
            else:
                kind = "directly connected" if r.protocol == "C" else "receive"
                lines += [f"{r.protocol}   {prefix} [0/0]", f"     via {r.interface}, {kind}"]
        lines += ["L   FF00::/8 [0/0]", "     via Null0, receive"]
        count = len(routes) + 1
        head = (
            f"IPv6 Routing Table - default - {count} entries\n"
            "Codes: C - Connected, L - Local, S - Static, U - Per-user Static route\n"
            "       B - BGP, R - RIP, H - NHRP, I1 - ISIS L1\n"
            "       I2 - ISIS L2, IA - ISIS interarea, IS - ISIS summary, D - EIGRP\n"
            "       EX - EIGRP external, ND - ND Default, NDp - ND Prefix, DCE - Destination\n"
            "       NDr - Redirect, O - OSPF Intra, OI - OSPF Inter, OE1 - OSPF ext 1\n"
            "       OE2 - OSPF ext 2, ON1 - OSPF NSSA ext 1, ON2 - OSPF NSSA ext 2\n"
            "       a - Application\n"
        )
        return head + "\n".join(lines) + "\n"

    def x_show_interfaces(self, m: Match) -> str:
        ifaces = self._interfaces()
        if m.args:
            ifaces = [i for i in ifaces if i.name == m.args[0]]
            if not ifaces:
                return ""
        return "".join(self._interface_detail(i) for i in ifaces)

    def _interface_detail(self, iface: InterfaceState) -> str:
        status, proto = self._status(iface)
        mac = iface.mac.replace(":", "").lower()
        dotted = ".".join(mac[i : i + 4] for i in range(0, 12, 4))
        loop = iface.name.startswith("Loopback")
        hw = "Loopback" if loop else (f"iGbE, address is {dotted} (bia {dotted})")
        out = [f"{iface.name} is {status}, line protocol is {proto} ", f"  Hardware is {hw}"]
        if iface.description:
            out.append(f"  Description: {iface.description}")
        for i, a in enumerate(iface.ipv4):
            out.append(f"  {'Internet' if i == 0 else 'Secondary'} address is {a}")
        bw = 8000000 if loop else iface.speed_mbps * 1000
        out += [
            f"  MTU {1514 if loop else 1500} bytes, BW {bw} Kbit/sec, DLY "
            f"{5000 if loop else 10} usec, ",
            "     reliability 255/255, txload 1/255, rxload 1/255",
            f"  Encapsulation {'LOOPBACK' if loop else 'ARPA'}, loopback not set",
            "  Keepalive set (10 sec)",
        ]
        if not loop:
            out.append(f"  Full Duplex, {iface.speed_mbps}Mbps, media type is RJ45")
        in_octets, out_octets = iface.octets()
        in_rate = iface.in_rate * 8 if iface.oper_up else 0
        out_rate = iface.out_rate * 8 if iface.oper_up else 0
        out += [
            "  Last input 00:00:00, output 00:00:00, output hang never",
            '  Last clearing of "show interface" counters never',
            "  Input queue: 0/75/0/0 (size/max/drops/flushes); Total output drops: 0",
            "  Queueing strategy: fifo",
            "  Output queue: 0/40 (size/max)",
            f"  5 minute input rate {in_rate} bits/sec, {in_rate // 8000} packets/sec",
            f"  5 minute output rate {out_rate} bits/sec, {out_rate // 8000} packets/sec",
            f"     {in_octets // 1000} packets input, {in_octets} bytes, 0 no buffer",
            "     Received 0 broadcasts (0 IP multicasts)",
            "     0 runts, 0 giants, 0 throttles ",
            "     0 input errors, 0 CRC, 0 frame, 0 overrun, 0 ignored",
            f"     {out_octets // 1000} packets output, {out_octets} bytes, 0 underruns",
            "     0 output errors, 0 collisions, 0 interface resets",
            "     0 unknown protocol drops",
            "     0 output buffer failures, 0 output buffers swapped out",
        ]
        return "\n".join(out) + "\n"

    def x_show_int_description(self, m: Match) -> str:
        out = [f"{'Interface':<30} {'Status':<14} {'Protocol':<8} Description"]
        for iface in self._interfaces():
            status, proto = self._status(iface)
            status = "admin down" if status.startswith("admin") else status
            out.append(
                f"{short_name(iface.name):<30} {status:<14} {proto:<8} {iface.description}".rstrip()
            )
        return "\n".join(out) + "\n"

    def x_show_run(self, m: Match) -> str:
        body = self.device.running_config()
        return (
            f"Building configuration...\n\nCurrent configuration : {len(body.encode())} "
            f"bytes\n{body}"
        )

    def x_show_run_interface(self, m: Match) -> str:
        node = self.device.config.find(f"interface {m.args[0]}")
        if node is None:
            return ""
        body = "!\n" + "\n".join(self.device.config.render_nodes([node])) + "\nend\n"
        return (
            f"Building configuration...\n\nCurrent configuration : {len(body.encode())} "
            f"bytes\n{body}"
        )

    def x_show_start(self, m: Match) -> str:
        start = self.device.startup
        if start is None:
            return "startup-config is not present\n"
        return f"Using {len(start.encode())} out of {self.device.model.nvram} bytes\n{start}"

    def x_show_archive(self, m: Match) -> str:
        dev = self.device
        if dev.archive_path() is None:
            return "%Archive feature not enabled\n"
        maximum = dev.archive_maximum()
        out = [
            f"The maximum archive configurations allowed is {maximum}.",
            f"There are currently {len(dev.archives)} archive configurations saved.",
            f"The next archive file will be named {dev.archive_name(dev.archive_next)}",
            " Archive #  Name",
        ]
        for i in range(maximum):
            if i < len(dev.archives):
                recent = " <- Most Recent" if i == len(dev.archives) - 1 else ""
                out.append(f"   {i + 1:<2}       {dev.archives[i]}{recent}")
            else:
                out.append(f"   {i + 1:<2}".rstrip())
        return "\n".join(out) + "\n"

    def x_dir(self, m: Match) -> str:
        dev = self.device
        fs = dev.flash_name
        out = [f"Directory of {fs}/", ""]
        files = sorted((n, e) for n, e in dev.files.items() if n.startswith(fs))
        files.insert(0, (fs + dev.model.image.split(":", 1)[1], FileEntry("", dev.state.booted_at)))
        for i, (name, entry) in enumerate(files, 1):
            size = len(entry.content.encode()) if entry.content else 104857600
            stamp = time.strftime("%b %d %Y %H:%M:%S +00:00", time.gmtime(entry.mtime))
            out.append(f"{i:>6}  -rw- {size:>12}  {stamp}  {name.split(':', 1)[1]}")
        out += ["", "256487424 bytes total (150528000 bytes free)"]
        return "\n".join(out) + "\n"

    def x_configure(self, m: Match) -> Reply:
        self.frames = [_Frame("config", [])]
        return Reply(CONFIG_BANNER + "\n", self.prompt)

    def x_configure_ask(self, m: Match) -> Reply:
        def answer(text: str) -> Reply:
            choice = text.strip().lower() or "terminal"
            if "terminal".startswith(choice):
                return self.x_configure(m)
            return Reply('?Must be "terminal", "memory" or "network"\n', self.prompt)

        return self.ask("", "Configuring from terminal, memory, or network [terminal]? ", answer)

    def x_configure_replace(self, m: Match) -> Reply:
        name = m.args[0]
        text = self.device.read_file(name)
        if text is None:
            return Reply(f"%Error opening {name} (No such file or directory)\n", self.prompt)

        def do_replace() -> Reply:
            self.device.replace_config(text)
            self.device.changed_since_save = True
            return Reply("Total number of passes: 1\nRollback Done\n\n", self.prompt)

        if "force" in m.words[3:]:
            return do_replace()

        def answer(reply: str) -> Reply:
            if reply.strip().lower() in ("y", "yes"):
                return do_replace()
            return Reply("", self.prompt)

        return self.ask("", REPLACE_WARNING, answer)

    def x_write(self, m: Match) -> str:
        self.device.write_memory()
        return "Building configuration...\n[OK]\n"

    def x_write_erase(self, m: Match) -> Reply:
        def answer(text: str) -> Reply:
            if text.strip().lower() in ("", "y", "yes"):
                self.device.startup = None
                return Reply("[OK]\nErase of nvram: complete\n", self.prompt)
            return Reply("", self.prompt)

        return self.ask(
            "",
            "Erasing the nvram filesystem will remove all configuration files! Continue? [confirm]",
            answer,
        )

    def x_copy_run_start(self, m: Match) -> Reply:
        def answer(text: str) -> Reply:
            target = text.strip() or "startup-config"
            if target in ("startup-config", "nvram:startup-config"):
                self.device.write_memory()
                return Reply("Building configuration...\n[OK]\n", self.prompt)
            return self._copy_to(target)

        return self.ask("", "Destination filename [startup-config]? ", answer)

    def x_copy_run_file(self, m: Match) -> Reply:
        target = m.args[0]
        if target.lower() in ("nvram:startup-config", "startup-config"):
            return self.x_copy_run_start(m)
        if ":" not in target:
            return Reply(self.error(ParseError("invalid", m.positions[-1]), ""), self.prompt)
        default = target.split(":", 1)[1].lstrip("/")

        def answer(text: str) -> Reply:
            return self._copy_to(
                self.device.normalize_file(
                    target.split(":", 1)[0] + ":" + (text.strip() or default)
                )
            )

        return self.ask("", f"Destination filename [{default}]? ", answer)

    def _copy_to(self, name: str) -> Reply:
        content = self.device.running_config()
        self.device.files[self.device.normalize_file(name)] = FileEntry(content)
        size = len(content.encode())
        return Reply(f"{size} bytes copied in 0.052 secs ({size * 19} bytes/sec)\n", self.prompt)

    def x_archive_config(self, m: Match) -> str:
        if self.device.make_archive() is None:
            return "%Archive feature not enabled\n"
        return ""

    def x_reload(self, m: Match) -> Reply:
        def confirm(text: str) -> Reply:
            if text.strip().lower() not in ("", "y", "yes"):
                return Reply("", self.prompt)
            self.device.reload()
            return Reply("", "", close=True)

        def save(text: str) -> Reply:
            choice = text.strip().lower()
            if choice in ("y", "yes"):
                self.device.write_memory()
                return self.ask(
                    "Building configuration...\n[OK]\n", "Proceed with reload? [confirm]", confirm
                )
            if choice in ("n", "no"):
                return self.ask("", "Proceed with reload? [confirm]", confirm)
            return self.ask(
                "% Please answer 'yes' or 'no'.\n",
                "System configuration has been modified. Save? [yes/no]: ",
                save,
            )

        if self.device.changed_since_save:
            return self.ask("", "System configuration has been modified. Save? [yes/no]: ", save)
        return self.ask("", "Proceed with reload? [confirm]", confirm)

    # -- configuration mode ------------------------------------------------------
    def config_line(self, line: str) -> Reply:
        text = line.strip()
        if text.startswith("!"):
            return Reply("", self.prompt)
        negate = False
        body, offset = line, 0
        first = text.split(None, 1)
        if first[0].lower() == "no":
            if len(first) == 1:
                return Reply("% Incomplete command.\n\n", self.prompt)
            negate = True
            offset = line.index(first[1], line.index(first[0]) + 2)
            body = line[offset:]
        errors: list[ParseError] = []
        for depth in range(len(self.frames), 0, -1):
            grammar = CONFIG_GRAMMARS[self.frames[depth - 1].mode]
            m = grammar.match(
                body, resolve_if=self.device.resolve_interface(True), partial=negate, offset=offset
            )
            if isinstance(m, Match):
                if negate and m.spec.action in ("do", "end", "exit"):
                    errors.append(ParseError("invalid", m.positions[0]))
                    break
                if not m.negation_complete():
                    errors.append(ParseError("incomplete", len(line.rstrip())))
                    break
                del self.frames[depth:]
                return self.apply(m, negate)
            errors.append(m)
        return Reply(self.error(errors[0], line), self.prompt)

    def apply(self, m: Match, negate: bool) -> Reply:
        frame = self.frames[-1]
        action = m.spec.action
        if action in ("do", "end", "exit"):
            handler: Callable[[Match, bool, ConfigNode], Reply] = getattr(self, "c_" + action)
            return handler(m, negate, self.device.config.root)
        parent = self.device.editor.resolve(frame.path, self._mode_at)
        words = self.canonical_words(m)
        if action != "set":
            reply: Reply = getattr(self, "c_" + action)(m, negate, parent)
        elif m.spec.mode is not None:
            reply = self.enter_section(words, m.spec, negate, parent, frame)
        else:
            self.set_leaf(words, m.spec, negate, parent, frame.mode)
            reply = Reply("", self.prompt)
        self.device.changed_since_save = True
        self.device.sync_state()
        return reply

    @staticmethod
    def canonical_words(m: Match) -> list[str]:
        if m.spec.canonical is None:
            return list(m.words)
        keywords = 0
        for word in m.spec.words:
            if word.startswith("<"):
                break
            keywords += 1
        return m.spec.canonical.split() + list(m.words[keywords:])

    def _mode_at(self, depth: int) -> str:
        return self.frames[depth + 1].mode if depth + 1 < len(self.frames) else "config"

    def set_leaf(
        self, words: list[str], sp: Spec, negate: bool, parent: ConfigNode, mode: str
    ) -> None:
        self.device.editor.set_leaf(words, sp, negate, parent, _child_mode(mode))

    def enter_section(
        self, words: list[str], sp: Spec, negate: bool, parent: ConfigNode, frame: _Frame
    ) -> Reply:
        text = " ".join(words)
        editor = self.device.editor
        if negate:
            editor.remove_section(parent, text)
            return Reply("", self.prompt)
        editor.section(parent, text, _child_mode(frame.mode))
        self.frames.append(_Frame(sp.mode or "config", [*frame.path, text]))
        return Reply("", self.prompt)

    # -- special configuration commands ------------------------------------------
    def c_do(self, m: Match, negate: bool, parent: ConfigNode) -> Reply:
        start = m.positions[1] if len(m.positions) > 1 else len(m.words[0]) + 1
        reply = self.exec_line(m.args[0], from_config=True, offset=start)
        return Reply(
            reply.output, self.prompt if not reply.close else reply.prompt, close=reply.close
        )

    def c_end(self, m: Match, negate: bool, parent: ConfigNode) -> Reply:
        self.frames = []
        return Reply("", self.prompt)

    def c_exit(self, m: Match, negate: bool, parent: ConfigNode) -> Reply:
        self.frames.pop()
        return Reply("", self.prompt)

    def c_hostname(self, m: Match, negate: bool, parent: ConfigNode) -> Reply:
        name = "Router" if negate else m.args[0]
        self.set_leaf(["hostname", name], m.spec, False, parent, "config")
        self.device.state.hostname = name
        return Reply("", self.prompt)

    def c_interface(self, m: Match, negate: bool, parent: ConfigNode) -> Reply:
        name = m.args[0]
        if negate and CATALOG.is_physical(name) and "." not in name:
            return Reply("% Removal of physical interfaces is not permitted\n", self.prompt)
        text = f"interface {name}"
        if not negate:
            self.device.editor.section(parent, text, "config", ["no ip address"])
        mode = "subif" if "." in name else "if"
        return self.enter_section(
            ["interface", name],
            Spec(("interface",), "set", mode=mode),
            negate,
            parent,
            self.frames[-1],
        )

    def c_if_ip(self, m: Match, negate: bool, parent: ConfigNode) -> Reply:
        words = m.words
        mode = self.frames[-1].mode
        name = parent.text.split(None, 1)[1]
        addresses = [c for c in parent.children if c.words[:2] == ["ip", "address"]]
        secondary = "secondary" in words
        if negate:
            if len(words) == 2:
                doomed = addresses
            else:
                doomed = [c for c in addresses if starts_with(c.words, words)]
            for child in doomed:
                parent.children.remove(child)
            if (
                not any(
                    "secondary" not in c.words
                    for c in parent.children
                    if c.words[:2] == ["ip", "address"]
                )
                and parent.child("no ip address") is None
            ):
                for child in [c for c in parent.children if c.words[:2] == ["ip", "address"]]:
                    parent.children.remove(child)
                self.device.editor.insert_child(
                    parent, ConfigNode("no ip address"), _child_mode(mode)
                )
            self.device.manual_addresses.add(name)
            return Reply("", self.prompt)
        new = ConfigNode(" ".join(words))
        if words[2:3] != ["dhcp"]:
            overlap = self._overlap(name, words[2], words[3])
            if overlap is not None:
                return Reply(f"% {overlap}\n", self.prompt)
        primary = [c for c in addresses if "secondary" not in c.words]
        if secondary:
            if not primary:
                return Reply("% Primary address must be configured first\n", self.prompt)
            same = [c for c in addresses if c.words[2:4] == words[2:4]]
            if same:
                same[0].text = new.text
            else:
                idx = parent.children.index(addresses[-1]) + 1
                parent.children.insert(idx, new)
        else:
            no_line = parent.child("no ip address")
            if no_line is not None:
                parent.children.remove(no_line)
            if primary:
                primary[0].text = new.text
            else:
                self.device.editor.insert_child(parent, new, _child_mode(mode))
        self.device.manual_addresses.add(name)
        return Reply("", self.prompt)

    def _overlap(self, name: str, addr: str, mask: str) -> str | None:
        try:
            net = ipaddress.IPv4Interface(f"{addr}/{mask}").network
        except ValueError:
            return None
        for other in self.device.state.interfaces.values():
            if other.name == name:
                continue
            for a in other.ipv4:
                if a.network.overlaps(net):
                    return f"{net.network_address} overlaps with {other.name}"
        return None

    def c_enable_secret(self, m: Match, negate: bool, parent: ConfigNode) -> Reply:
        if negate:
            self.set_leaf(["enable", "secret"], m.spec, True, parent, "config")
            self.device.enable_secret = None
            return Reply("", self.prompt)
        value = m.args[0].split()
        if len(value) >= 2 and value[0] in ("5", "8", "9"):
            stored = " ".join(value)  # already hashed, as pasted from a config
        else:
            secret = value[-1]
            self.device.enable_secret = secret
            salt = fake_hash("salt", self.device.state.name)[:14]
            stored = f"9 $9${salt}${hash_secret(secret, salt)}"
        self.set_leaf(["enable", "secret", *stored.split()], m.spec, False, parent, "config")
        return Reply("", self.prompt)

    def c_username(self, m: Match, negate: bool, parent: ConfigNode) -> Reply:
        name = m.args[0]
        if negate:
            self.set_leaf(["username", name], m.spec, True, parent, "config")
            return Reply("", self.prompt)
        words = m.args[1].split()
        for i, w in enumerate(words):
            if w == "secret" and i + 1 < len(words):
                rest = words[i + 1 :]
                if rest[0] in ("5", "8", "9") and len(rest) > 1:
                    break
                salt = fake_hash("salt", name)[:14]
                words = [*words[:i], "secret", "9", f"$9${salt}${hash_secret(rest[-1], salt)}"]
                break
            if w == "password" and i + 1 < len(words) and not words[i + 1].isdigit():
                words = [*words[:i], "password", "0", *words[i + 1 :]]
                break
        self.set_leaf(["username", name, *words], m.spec, False, parent, "config")
        return Reply("", self.prompt)

    def vrf_exists(self, name: str) -> bool:
        config = self.device.config
        return config.find(f"vrf definition {name}") is not None or (
            config.find(f"ip vrf {name}") is not None
        )

    def c_vrf_route(self, m: Match, negate: bool, parent: ConfigNode) -> Reply:
        """A static route in a VRF needs the VRF defined first, as on IOS."""
        name = m.args[0]
        if not negate and not self.vrf_exists(name):
            return Reply(f"% IP routing table {name} does not exist. Create first\n", self.prompt)
        self.set_leaf(self.canonical_words(m), m.spec, negate, parent, "config")
        return Reply("", self.prompt)

    def c_vrf_forwarding(self, m: Match, negate: bool, parent: ConfigNode) -> Reply:
        """Binding an interface to a VRF (or unbinding it) drops its addresses, as on IOS."""
        name = m.args[0]
        if not negate and not self.vrf_exists(name):
            return Reply(f"% VRF {name} not configured.\n", self.prompt)
        words = self.canonical_words(m)
        if parent.child(" ".join(words)) is not None and not negate:
            return Reply("", self.prompt)  # the same VRF again: nothing happens
        self.set_leaf(words, m.spec, negate, parent, self.frames[-1].mode)
        interface = parent.text.split(None, 1)[1]
        why = "disabling" if negate else "enabling"
        notes = []
        for family, prefix in (("IPv4", "ip"), ("IPv6", "ipv6")):
            gone = [c for c in parent.children if c.words[:2] == [prefix, "address"]]
            for child in gone:
                parent.children.remove(child)
            if gone:
                notes.append(
                    f"% Interface {interface} {family} disabled and address(es) removed "
                    f"due to {why} VRF {name}"
                )
        addressed = any(c.words[:2] == ["ip", "address"] for c in parent.children)
        if not addressed and parent.child("no ip address") is None:
            self.device.editor.insert_child(parent, ConfigNode("no ip address"), "if")
        return Reply("".join(n + "\n" for n in notes), self.prompt)

    def c_snmp_user(self, m: Match, negate: bool, parent: ConfigNode) -> Reply:
        """SNMPv3 users live outside the running configuration, as on IOS: never shown."""
        users = self.device.snmp_users
        if negate:
            users.pop(m.args[0], None)
            return Reply("", self.prompt)
        words = m.args[1].split()
        if len(words) < 2 or words[1] not in ("v1", "v2c", "v3"):
            return Reply("% Incomplete command.\n\n", self.prompt)
        users[m.args[0]] = words[0]
        return Reply("", self.prompt)

    def c_vrf_af(self, m: Match, negate: bool, parent: ConfigNode) -> Reply:
        """``address-family ipv4|ipv6`` under ``vrf definition``; IOS prints
        ``exit-address-family`` after it, at the same depth."""
        family = m.args[0].lower()
        if family not in ("ipv4", "ipv6"):
            pos = m.positions[1] if len(m.positions) > 1 else 0
            return Reply(self.error(ParseError("invalid", pos), ""), self.prompt)
        text = f"address-family {family}"
        node = parent.child(text)
        if negate:
            if node is not None:
                i = parent.children.index(node)
                end = i + 1
                if (
                    end < len(parent.children)
                    and parent.children[end].text == "exit-address-family"
                ):
                    end += 1
                del parent.children[i:end]
            return Reply("", self.prompt)
        if node is None:
            node = ConfigNode(text)
            later = [
                i
                for i, c in enumerate(parent.children)
                if c.words[:1] == ["address-family"] and c.text > text
            ]
            at = later[0] if later else len(parent.children)
            parent.children[at:at] = [node, ConfigNode("exit-address-family")]
        frame = self.frames[-1]
        self.frames.append(_Frame("vrf-af", [*frame.path, text]))
        return Reply("", self.prompt)

    def c_banner(self, m: Match, negate: bool, parent: ConfigNode) -> Reply:
        head = " ".join(m.words[:2])
        existing = self.device.config.find(head)
        if negate:
            if existing is not None:
                self.device.config.remove_top(existing)
            return Reply("", self.prompt)
        raw = m.args[0]
        delim, rest = raw[0], raw[1:]
        if delim == "^" and rest.startswith("C"):
            delim, rest = "^C", rest[1:]

        def store(body: str) -> None:
            node = self.device.config.find(head)
            if node is None:
                node = ConfigNode(head, banner=body)
                self.device.editor.insert_top(node, leaf=False)
            else:
                node.banner = body
            self.device.changed_since_save = True

        if delim in rest:
            store(rest.split(delim, 1)[0])
            return Reply("", self.prompt)
        collected = [rest]

        def more(line: str) -> Reply:
            if delim in line:
                collected.append(line.split(delim, 1)[0])
                store("\n".join(collected))
                return Reply("", self.prompt)
            collected.append(line)
            return self.ask("", "", more)

        return self.ask(f"Enter TEXT message.  End with the character '{delim}'.\n", "", more)

    def c_crypto_keygen(self, m: Match, negate: bool, parent: ConfigNode) -> Reply:
        if negate:
            return Reply("", self.prompt)
        bits = 2048
        args = m.args[0].split() if m.args else []
        if "modulus" in args:
            idx = args.index("modulus")
            if idx + 1 < len(args) and args[idx + 1].isdigit():
                bits = int(args[idx + 1])
        domain = next(
            (
                n.words[3]
                for n in self.device.config.sections("ip", "domain", "name")
                if len(n.words) > 3
            ),
            None,
        )
        if domain is None:
            return Reply("% Please define a domain-name first.\n", self.prompt)
        return Reply(
            f"The name for the keys will be: {self.device.hostname()}.{domain}\n"
            f"% The key modulus size is {bits} bits\n"
            f"% Generating {bits} bit RSA keys, keys will be non-exportable...\n"
            "[OK] (elapsed time was 1 seconds)\n\n",
            self.prompt,
        )


def _parse_modifier(tail: str) -> tuple[str, str] | None:
    words = tail.split(None, 1)
    if not words:
        return None
    word = words[0].lower()
    for full in ("include", "exclude", "begin", "section", "count"):
        if full.startswith(word):
            if len(words) < 2 and full != "count":
                return None
            return full, words[1] if len(words) > 1 else ""
    return None


def _classful(addr: ipaddress.IPv4Address) -> ipaddress.IPv4Network:
    first = int(addr) >> 24
    length = 8 if first < 128 else 16 if first < 192 else 24
    return ipaddress.IPv4Network(f"{addr}/{length}", strict=False)


def _ios_route_lines(routes: list[Route]) -> list[str]:
    groups: dict[ipaddress.IPv4Network, list[Route]] = {}
    top: list[Route] = []
    for r in routes:
        assert isinstance(r.prefix, ipaddress.IPv4Network)
        major = _classful(r.prefix.network_address)
        if r.prefix.prefixlen <= major.prefixlen and r.prefix != major:
            top.append(r)
        else:
            groups.setdefault(major, []).append(r)
    lines: list[str] = []
    for r in sorted(top, key=lambda r: r.prefix):
        lines.append(_ios_route(r, indent=False))
    for major in sorted(groups):
        members = sorted(
            groups[major], key=lambda r: (r.prefix.network_address, r.prefix.prefixlen)
        )
        masks = {r.prefix.prefixlen for r in members}
        if len(members) == 1 and members[0].prefix == major:
            lines.append(_ios_route(members[0], indent=False))
            continue
        if len(masks) == 1:
            lines.append(
                f"      {major.network_address}/{next(iter(masks))} is subnetted, "
                f"{len(members)} subnet{'s' if len(members) != 1 else ''}"
            )
        else:
            lines.append(
                f"      {major} is variably subnetted, {len(members)} subnets, {len(masks)} masks"
            )
        for r in members:
            lines.append(_ios_route(r, indent=True))
    return lines


def _ios_route(r: Route, *, indent: bool) -> str:
    code = r.protocol + ("*" if r.prefix.prefixlen == 0 else "")
    pad = f"{code:<9}" if indent else f"{code:<6}"
    prefix = str(r.prefix)
    if r.protocol == "S":
        if r.nexthop:
            return f"{pad}{prefix} [{r.distance}/0] via {r.nexthop}"
        return f"{pad}{prefix} is directly connected, {r.interface}"
    return f"{pad}{prefix} is directly connected, {r.interface}"
