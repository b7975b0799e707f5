"""What a VRP box shows of its switching, from its configuration (pure): `display vlan`,
`display port vlan`, `display stp brief`.

Layouts as an S-series switch on V200R011 prints them: `display vlan` and `display port
vlan` as in ntc-templates' huawei_vrp fixtures (``display_vlan``, ``display_port_vlan``,
captured from S switches), `display stp brief` as in Huawei's S-series command reference
(its example); tests/lab/test_switches.py parses the twin's output with those templates.
An AR router has no switch ports: its VLAN 1 lists none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lab.state import InterfaceState

if TYPE_CHECKING:
    from lab.device.huawei_vrp.device import VrpDevice

SHORT = {"GigabitEthernet": "GE", "XGigabitEthernet": "XGE", "Eth-Trunk": "Eth-Trunk"}


@dataclass(frozen=True)
class Port:
    interface: InterfaceState
    link_type: str  # access, trunk, hybrid
    pvid: int
    allowed: tuple[int, ...]  # the VLANs a trunk lets pass


def _numbers(words: list[str]) -> list[int]:
    out: list[int] = []
    i = 0
    while i < len(words):
        if words[i].isdigit():
            first = int(words[i])
            if i + 2 < len(words) and words[i + 1] == "to" and words[i + 2].isdigit():
                out += range(first, int(words[i + 2]) + 1)
                i += 2
            else:
                out.append(first)
        i += 1
    return out


def vlans(device: VrpDevice) -> list[int]:
    node = next(iter(device.config.sections("vlan", "batch")), None)
    return sorted({1, *(_numbers(node.words[2:]) if node is not None else [])})


def ports(device: VrpDevice) -> list[Port]:
    """The box's switch ports (none on an AR router: its ports route)."""
    if not device.model.switch:
        return []
    out = []
    for iface in sorted(device.state.interfaces.values(), key=lambda i: i.if_index):
        if not device.is_switch_port(iface.name):
            continue
        node = device.config.find(f"interface {iface.name}")
        lines = [c.words for c in node.children] if node is not None else []
        link = next((w[2] for w in lines if w[:2] == ["port", "link-type"] and len(w) > 2), "")
        pvid = next(
            (
                int(w[-1])
                for w in lines
                if w[:3] in (["port", "default", "vlan"], ["port", "trunk", "pvid"])
            ),
            1,
        )
        allowed = [
            n
            for w in lines
            if w[:4] == ["port", "trunk", "allow-pass", "vlan"]
            for n in _numbers(w[4:])
        ]
        if link == "trunk":
            allowed.append(1)  # a trunk lets VLAN 1 pass unless told otherwise
        out.append(Port(iface, link or "hybrid", pvid, tuple(sorted(set(allowed)))))
    return out


def _short(name: str) -> str:
    for long, short in SHORT.items():
        if name.startswith(long) and name[len(long) : len(long) + 1].isdigit():
            return short + name[len(long) :]
    return name


def _column(tag: str, names: list[str]) -> list[str]:
    """``UT:GE0/0/1(U)      GE0/0/2(U) ...``, four to a line, as VRP wraps them."""
    cells = [f"{n:<16}" for n in names]
    rows = ["".join(cells[i : i + 4]).rstrip() for i in range(0, len(cells), 4)]
    return [f"{tag}:{rows[0]}"] + [f"   {row}" for row in rows[1:]]


def display_vlan(device: VrpDevice) -> str:
    numbers = vlans(device)
    members = ports(device)
    out = [
        f"The total number of VLANs is: {len(numbers)}",
        "-" * 80,
        "U: Up;         D: Down;         TG: Tagged;         UT: Untagged;",
        "MP: Vlan-mapping;               ST: Vlan-stacking;",
        "#: ProtocolTransparent-vlan;    *: Management-vlan;",
        "-" * 80,
        "",
        "VID  Type    Ports",
        "-" * 80,
    ]
    for number in numbers:

        def mark(p: Port) -> str:
            return f"{_short(p.interface.name)}({'U' if p.interface.oper_up else 'D'})"

        untagged = [mark(p) for p in members if p.link_type != "trunk" and p.pvid == number]
        tagged = [mark(p) for p in members if p.link_type == "trunk" and number in p.allowed]
        lines = (_column("UT", untagged) if untagged else []) + (
            _column("TG", tagged) if tagged else []
        )
        if not lines:
            out.append(f"{number:<4} common")
            continue
        out.append(f"{number:<4} common  {lines[0]}")
        out += [f"{'':<13}{line}" for line in lines[1:]]
    out += ["", "VID  Status  Property      MAC-LRN Statistics Description", "-" * 80]
    out += [f"{n:<4} enable  default       enable  disable    VLAN {n:04d}" for n in numbers]
    return "\n".join(out) + "\n"


def display_port_vlan(device: VrpDevice) -> str:
    out = ["Port                        Link Type    PVID  Trunk VLAN List", "-" * 79]
    for port in ports(device):
        trunk = " ".join(str(n) for n in port.allowed) if port.link_type == "trunk" else "-"
        out.append(f"{port.interface.name:<28}{port.link_type:<13}{port.pvid:<6}{trunk}")
    return "\n".join(out) + "\n"


def display_stp_brief(device: VrpDevice) -> str:
    """MSTP instance 0 (the S series' default mode); every up port designated, forwarding:
    the twin's switch is the only bridge of its site."""
    out = [" MSTID  Port                        Role  STP State     Protection"]
    for port in ports(device):
        if port.interface.oper_up:
            out.append(f"   0    {port.interface.name:<28}DESI  FORWARDING      NONE")
    return "\n".join(out) + "\n"
