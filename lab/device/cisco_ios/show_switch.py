"""What a Catalyst switch shows of its switching, from its configuration (pure): `show vlan
[brief]`, `show interfaces status`, `show spanning-tree`; and `show cdp neighbors`.

Layouts as IOS 15.2 on a Catalyst 2960-X prints them; the columns are the ones
ntc-templates' cisco_ios templates read (their fixtures ``show_vlan``,
``show_interfaces_status``, ``show_spanning-tree`` hold captured output of the same layout),
and tests/lab/test_switches.py parses the twin's output with those templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lab.device.cisco_ios.grammar import CATALOG, short_name
from lab.state import InterfaceState

if TYPE_CHECKING:
    from lab.device.cisco_ios.device import IosDevice

# The VLANs every Catalyst has and cannot delete (IOS lists them after the others).
DEFAULT_VLANS = {
    1: ("default", "active"),
    1002: ("fddi-default", "act/unsup"),
    1003: ("token-ring-default", "act/unsup"),
    1004: ("fddinet-default", "act/unsup"),
    1005: ("trnet-default", "act/unsup"),
}


@dataclass(frozen=True)
class Port:
    """One switch port as its configuration sets it."""

    interface: InterfaceState
    trunk: bool
    vlan: int  # the access VLAN (a trunk: its native VLAN)
    portfast: bool


def ports(device: IosDevice) -> list[Port]:
    out = []
    for iface in sorted(device.state.interfaces.values(), key=lambda i: i.if_index):
        if not CATALOG.is_physical(iface.name):
            continue
        node = device.config.find(f"interface {iface.name}")
        lines = [c.words for c in node.children] if node is not None else []
        trunk = ["switchport", "mode", "trunk"] in lines
        key = ["switchport", "trunk", "native"] if trunk else ["switchport", "access"]
        vlan = next((int(w[-1]) for w in lines if w[: len(key)] == key and w[-1].isdigit()), 1)
        portfast = any(w[:2] == ["spanning-tree", "portfast"] for w in lines)
        out.append(Port(iface, trunk, vlan, portfast))
    return out


def vlans(device: IosDevice) -> dict[int, str]:
    """VLAN number -> name: the configured ones (`vlan N` / `name X`) and the defaults."""
    found = {n: name for n, (name, _) in DEFAULT_VLANS.items()}
    for node in device.config.sections("vlan"):
        if len(node.words) < 2 or not node.words[1].isdigit():
            continue
        number = int(node.words[1])
        named = next((c.words[1] for c in node.children if c.words[:1] == ["name"]), None)
        found[number] = named or f"VLAN{number:04d}"
    return dict(sorted(found.items()))


def show_vlan(device: IosDevice, brief: bool, only: int | None = None) -> str:
    members: dict[int, list[str]] = {}
    for port in ports(device):
        if not port.trunk:
            members.setdefault(port.vlan, []).append(short_name(port.interface.name))
    table = vlans(device)
    if only is not None:
        if only not in table:
            return f"VLAN id {only} not found in current VLAN database\n"
        table = {only: table[only]}
    out = [
        "",
        "VLAN Name                             Status    Ports",
        "---- -------------------------------- --------- -------------------------------",
    ]
    for number, name in table.items():
        status = DEFAULT_VLANS.get(number, ("", "active"))[1]
        names = members.get(number, [])
        rows = [", ".join(names[i : i + 4]) for i in range(0, len(names), 4)] or [""]
        out.append(f"{number:<4} {name:<32} {status:<9} {rows[0]}".rstrip())
        out += [f"{'':<48}{row}" for row in rows[1:]]
    if not brief:
        out += [
            "",
            "VLAN Type  SAID       MTU   Parent RingNo BridgeNo Stp  BrdgMode Trans1 Trans2",
            "---- ----- ---------- ----- ------ ------ -------- ---- -------- ------ ------",
        ]
        kinds = {1002: "fddi", 1003: "tr", 1004: "fdnet", 1005: "trnet"}
        for number in table:
            kind = kinds.get(number, "enet")
            out.append(
                f"{number:<4} {kind:<5} {100000 + number:<10} 1500  -      -      -        "
                "-    -        0      0"
            )
        out += [
            "",
            "Remote SPAN VLANs",
            "-" * 78,
            "",
            "",
            "Primary Secondary Type              Ports",
            "------- --------- ----------------- " + "-" * 42,
        ]
    return "\n".join(out) + "\n"


def _speed(iface: InterfaceState) -> tuple[str, str, str]:
    if not iface.admin_up:
        return "disabled", "auto", "auto"
    if not iface.link_up:
        return "notconnect", "auto", "auto"
    return "connected", "a-full", f"a-{iface.speed_mbps}"


def show_interfaces_status(device: IosDevice) -> str:
    out = ["", "Port      Name               Status       Vlan       Duplex  Speed Type"]
    for port in ports(device):
        iface = port.interface
        status, duplex, speed = _speed(iface)
        kind = "SFP-10GBase-SR" if iface.name.startswith("Ten") else "10/100/1000BaseTX"
        vlan = "trunk" if port.trunk else str(port.vlan)
        out.append(
            f"{short_name(iface.name):<9} {iface.description[:18]:<18} {status:<12} {vlan:<10} "
            f"{duplex:>6} {speed:>6} {kind}"
        )
    return "\n".join(out) + "\n"


def _bridge_mac(device: IosDevice) -> str:
    first = min(device.state.interfaces.values(), key=lambda i: i.if_index)
    digits = first.mac.replace(":", "").lower()
    return ".".join(digits[i : i + 4] for i in range(0, 12, 4))


def show_spanning_tree(device: IosDevice) -> str:
    """Rapid PVST+, one instance per VLAN that has an up port; the twin's switch is the
    root of each (it is the only bridge of its site)."""
    by_vlan: dict[int, list[Port]] = {}
    for port in ports(device):
        if not port.interface.oper_up:
            continue
        for number in vlans(device) if port.trunk else [port.vlan]:
            if number < 1002:
                by_vlan.setdefault(number, []).append(port)
    if not by_vlan:
        return "No spanning tree instance exists.\n"
    mac = _bridge_mac(device)
    out: list[str] = []
    for number, members in sorted(by_vlan.items()):
        priority = 32768 + number
        out += [
            "",
            f"VLAN{number:04d}",
            "  Spanning tree enabled protocol rstp",
            f"  Root ID    Priority    {priority}",
            f"             Address     {mac}",
            "             This bridge is the root",
            "             Hello Time   2 sec  Max Age 20 sec  Forward Delay 15 sec",
            "",
            f"  Bridge ID  Priority    {priority}  (priority 32768 sys-id-ext {number})",
            f"             Address     {mac}",
            "             Hello Time   2 sec  Max Age 20 sec  Forward Delay 15 sec",
            "             Aging Time  300 sec",
            "",
            "Interface           Role Sts Cost      Prio.Nbr Type",
            "------------------- ---- --- --------- -------- --------------------------------",
        ]
        for port in members:
            iface = port.interface
            cost = 2 if iface.name.startswith("Ten") else 4
            kind = "P2p Edge" if port.portfast else "P2p"
            out.append(
                f"{short_name(iface.name):<19} Desg FWD {cost:<9} 128.{iface.if_index:<4} {kind}"
            )
    return "\n".join(out) + "\n\n"


def show_cdp_neighbors(device: IosDevice, detail: bool) -> str:
    """No CDP neighbour answers in the twin: the header (or nothing, in detail), or the
    refusal when `no cdp run` turned CDP off."""
    if device.config.find("no cdp run") is not None:
        return "% CDP is not enabled\n"
    if detail:
        return "\n\nTotal cdp entries displayed : 0\n"
    return (
        "Capability Codes: R - Router, T - Trans Bridge, B - Source Route Bridge\n"
        "                  S - Switch, H - Host, I - IGMP, r - Repeater, P - Phone, \n"
        "                  D - Remote, C - CVTA, M - Two-port Mac Relay \n\n"
        "Device ID        Local Intrfce     Holdtme    Capability  Platform  Port ID\n\n"
        "Total cdp entries displayed : 0\n"
    )
