"""Huawei VRP display commands: pure functions of the device (its state, configuration and
files) to the text VRP prints; the clock and uptimes read the wall clock. Nothing here
reads a session or does I/O.
"""

from __future__ import annotations

import ipaddress
import time
from typing import TYPE_CHECKING

from lab.device.base import CliSession, Route, connected_routes, resolve_static
from lab.device.huawei_vrp.model import flash_path
from lab.state import InterfaceState

if TYPE_CHECKING:
    from lab.device.huawei_vrp.device import VrpDevice


def dir_listing(device: VrpDevice) -> str:
    out = [
        "Directory of flash:/",
        "",
        "  Idx  Attr     Size(Byte)  Date        Time(LMT)  FileName",
    ]
    files = [(device.model.image, 104857600, device.state.booted_at)]
    files += [
        (n.split("/", 1)[1], len(e.content.encode()), e.mtime)
        for n, e in sorted(device.files.items())
    ]
    for i, (name, size, mtime) in enumerate(files):
        stamp = time.strftime("%b %d %Y %H:%M:%S", time.gmtime(mtime))
        out.append(f"{i:>5}  -rw-  {size:>13,}  {stamp}   {name}")
    out += ["", "1,090,732 KB total available (900,000 KB free)"]
    return "\n".join(out) + "\n"


def display_version(device: VrpDevice) -> str:
    state = device.state
    seconds = int(state.uptime_seconds())
    weeks, rest = divmod(seconds // 60, 10080)
    days, rest = divmod(rest, 1440)
    hours, minutes = divmod(rest, 60)

    def unit(n: int, word: str) -> str:
        return f"{n} {word}" + ("s" if n > 1 else "")

    uptime = ", ".join(
        [unit(weeks, "week"), unit(days, "day"), unit(hours, "hour"), unit(minutes, "minute")]
    )
    model = device.model
    head = model.version_head
    if state.sys_descr.startswith("Huawei Versatile Routing Platform"):
        head = "\n".join(ln.strip() for ln in state.sys_descr.splitlines()[:3])
    return (
        f"{head}\nHuawei {model.board} {model.kind} uptime is {uptime}\n"
        "BKP 0 version information: \n"
        "1. PCB      Version  : AR01BAK2A VER.B\n"
        "2. If Supporting PoE : No\n"
        f"3. Board    Type     : {model.board}\n"
        "4. MPU Slot Quantity : 1\n"
        "5. LPU Slot Quantity : 6\n\n"
        "MPU 0(Master) : uptime is " + uptime + "\n"
        "MPU version information : \n"
        "1. PCB      Version  : AR01SRU2C VER.A\n"
        "2. MAB      Version  : 0\n"
        f"3. Board    Type     : {model.board}\n"
        "4. CPLD0    Version  : 100\n"
        "5. BootROM  Version  : 0\n"
    )


def display_current(device: VrpDevice) -> str:
    return device.running_config()


def display_current_interface(device: VrpDevice, name: str) -> str:
    node = device.config.find(f"interface {name}")
    if node is None:
        return ""
    return "#\n" + "\n".join(device.config.render_nodes([node])) + "\n#\nreturn\n"


def display_this(device: VrpDevice, path: list[str]) -> str:
    """`display this`: the top-level section ``path`` is in, or everything at the top."""
    config = device.config
    if not path:
        return config.render()
    node = config.resolve(path[:1])
    if node is None:
        return "#\nreturn\n"
    return (
        f"[{device.model.software}]\n#\n" + "\n".join(config.render_nodes([node])) + "\n#\nreturn\n"
    )


def display_saved(device: VrpDevice) -> str:
    return device.startup or ""


def display_startup(device: VrpDevice) -> str:
    dev = device
    image = f"flash:/{dev.model.image}"
    saved = flash_path(dev.startup_file) if dev.startup is not None else "NULL"
    return (
        "MainBoard: \n"
        f"  Configured startup system software:        {image}\n"
        f"  Startup system software:                   {image}\n"
        f"  Next startup system software:              {image}\n"
        f"  Startup saved-configuration file:          {saved}\n"
        f"  Next startup saved-configuration file:     {flash_path(dev.next_startup)}\n"
        "  Startup paf file:                          default\n"
        "  Next startup paf file:                     default\n"
        "  Startup license file:                      default\n"
        "  Next startup license file:                 default\n"
        "  Startup patch package:                     NULL\n"
        "  Next startup patch package:                NULL\n"
    )


def display_clock() -> str:
    now = time.time() + 7 * 3600
    t = time.gmtime(now)
    return time.strftime("%Y-%m-%d %H:%M:%S+07:00\n%A\n", t) + "Time Zone(Hanoi) : UTC+07:00\n"


def display_users(device: VrpDevice, current: CliSession) -> str:
    """Every login on the box; ``+`` marks the one asking."""
    rows = []
    for mine, session, idle in device.users(current):
        rows += [
            f"{'+' if mine else ' '} {session.line + 129} VTY {session.line:<3} {idle} SSH    "
            f"{session.peer:<19} pass",
            f"  Username : {session.username}",
        ]
    return (
        "  User-Intf    Delay    Type   Network Address     AuthenStatus    AuthorcmdFlag\n"
        + "\n".join(rows)
        + "\n"
    )


def _interfaces(device: VrpDevice) -> list[InterfaceState]:
    return sorted(device.state.interfaces.values(), key=lambda i: i.if_index)


def _phys(iface: InterfaceState) -> str:
    if not iface.admin_up:
        return "*down"
    return "up" if iface.link_up else "down"


def display_ip_int_brief(device: VrpDevice) -> str:
    ifaces = [i for i in _interfaces(device) if not device.is_switch_port(i.name)]
    up = sum(1 for i in ifaces if i.oper_up)
    rows = []
    for iface in ifaces:
        addr = (
            f"{iface.ipv4[0].ip}/{iface.ipv4[0].network.prefixlen}" if iface.ipv4 else "unassigned"
        )
        proto = "up" if iface.oper_up else "down"
        if iface.name.startswith(("LoopBack", "NULL")) and iface.oper_up:
            proto = "up(s)"
        rows.append(f"{iface.name:<34}{addr:<21}{_phys(iface):<11}{proto}")
    return (
        "*down: administratively down\n^down: standby\n(l): loopback\n(s): spoofing\n"
        "(E): E-Trunk down\n"
        f"The number of interface that is UP in Physical is {up}\n"
        f"The number of interface that is DOWN in Physical is {len(ifaces) - up}\n"
        f"The number of interface that is UP in Protocol is {up}\n"
        f"The number of interface that is DOWN in Protocol is {len(ifaces) - up}\n\n"
        f"{'Interface':<34}{'IP Address/Mask':<21}{'Physical':<11}Protocol  \n"
        + "\n".join(rows)
        + "\n"
    )


def display_ipv6_int_brief(device: VrpDevice) -> str:
    rows = []
    for iface in _interfaces(device):
        if not (iface.ipv6_enabled or iface.ipv6):
            continue
        proto = "up" if iface.oper_up else "down"
        rows.append(f"{iface.name:<44}{_phys(iface):<22}{proto}")
        if iface.ipv6:
            rows += [f"[IPv6 Address] {str(a.ip).upper()}" for a in iface.ipv6]
        else:
            rows.append("[IPv6 Address] Unassigned")
    return (
        "*down: administratively down\n(l): loopback\n(s): spoofing\n"
        f"{'Interface':<44}{'Physical':<22}Protocol\n" + "\n".join(rows) + ("\n" if rows else "")
    )


def display_int_brief(device: VrpDevice) -> str:
    rows = []
    for iface in _interfaces(device):
        proto = "up" if iface.oper_up else "down"
        if iface.name.startswith(("LoopBack", "NULL")) and iface.oper_up:
            proto = "up(s)"  # spoofing: always up
        rows.append(f"{iface.name:<33}{_phys(iface):<7}{proto:<9}0%     0%          0          0")
    return (
        "PHY: Physical\n*down: administratively down\n(l): loopback\n(s): spoofing\n"
        "(b): BFD down\n^down: standby\n(e): ETHOAM down\n(d): Dampening Suppressed\n"
        f"{'Interface':<33}{'PHY':<7}{'Protocol':<9}InUti OutUti   inErrors  "
        "outErrors\n" + "\n".join(rows) + "\n"
    )


def display_interface(device: VrpDevice, name: str | None = None) -> str:
    ifaces = _interfaces(device)
    if name is not None:
        ifaces = [i for i in ifaces if i.name == name]
    out = []
    for iface in ifaces:
        state = (
            "UP" if iface.oper_up else ("Administratively DOWN" if not iface.admin_up else "DOWN")
        )
        proto = "UP" if iface.oper_up else "DOWN"
        in_oct, out_oct = iface.octets()
        out += [
            f"{iface.name} current state : {state}",
            f"Line protocol current state : {proto}",
            f"Description:{iface.description}",
            "Route Port,The Maximum Transmit Unit is 1500",
        ]
        if iface.ipv4:
            out.append(f"Internet Address is {iface.ipv4[0]}")
        else:
            out.append("Internet protocol processing : disabled")
        mac = iface.mac.replace(":", "").lower()
        out += [
            f"IP Sending Frames' Format is PKTFMT_ETHNT_2, Hardware address is "
            f"{mac[0:4]}-{mac[4:8]}-{mac[8:12]}",
            f"Port Mode: COMMON COPPER, Speed : {iface.speed_mbps},  Loopback: NONE",
            f"Input:  {in_oct // 1000} packets, {in_oct} bytes",
            f"Output:  {out_oct // 1000} packets, {out_oct} bytes",
            "",
        ]
    return "\n".join(out) + ("\n" if out else "")


def static_routes(device: VrpDevice, version: int) -> list[Route]:
    connected = connected_routes(device.state, version)
    routes: list[Route] = []
    key = ("ip", "route-static") if version == 4 else ("ipv6", "route-static")
    for node in device.config.sections(*key):
        w = node.words
        try:
            prefix: ipaddress.IPv4Network | ipaddress.IPv6Network
            if version == 4:
                prefix = ipaddress.IPv4Network(f"{w[2]}/{w[3]}", strict=False)
            else:
                prefix = ipaddress.IPv6Network(f"{w[2]}/{w[3]}", strict=False)
        except (ValueError, IndexError):
            continue
        hops = w[4:]
        if not hops:
            continue
        via = resolve_static(connected, hops[0])
        if via is not None:
            routes.append(Route(prefix, "S", via, hops[0], 60))
    return routes


def display_ip_routing(device: VrpDevice) -> str:
    routes: list[tuple[str, str, int, str, str, str]] = []
    for r in connected_routes(device.state, 4):
        assert isinstance(r.prefix, ipaddress.IPv4Network)
        if r.protocol == "C":
            iface = device.state.interfaces[r.interface]
            own = next(a.ip for a in iface.ipv4 if a.network == r.prefix)
            hop = "127.0.0.1" if r.prefix.prefixlen == 32 else str(own)
            routes.append((str(r.prefix), "Direct", 0, "D", hop, r.interface))
            if r.prefix.prefixlen < 31:
                routes.append(
                    (
                        f"{r.prefix.broadcast_address}/32",
                        "Direct",
                        0,
                        "D",
                        "127.0.0.1",
                        r.interface,
                    )
                )
        else:
            routes.append((str(r.prefix), "Direct", 0, "D", "127.0.0.1", r.interface))
    for r in static_routes(device, 4):
        routes.append((str(r.prefix), "Static", 60, "RD", r.nexthop, r.interface))
    for pfx in ("127.0.0.0/8", "127.0.0.1/32", "127.255.255.255/32", "255.255.255.255/32"):
        routes.append((pfx, "Direct", 0, "D", "127.0.0.1", "InLoopBack0"))
    routes.sort(key=lambda r: ipaddress.IPv4Network(r[0]))
    rows = [
        f"{dest:>19}  {proto:<7} {pre:<4} {0:<10} {flags:>2}   {hop:<15} {iface}"
        for dest, proto, pre, flags, hop, iface in routes
    ]
    return (
        "Route Flags: R - relay, D - download to fib\n" + "-" * 78 + "\nRouting Tables: Public\n"
        f"         Destinations : {len(routes)}        Routes : {len(routes)}        \n\n"
        "Destination/Mask    Proto   Pre  Cost      Flags NextHop         Interface\n\n"
        + "\n".join(rows)
        + "\n"
    )


def display_ipv6_routing(device: VrpDevice) -> str:
    entries: list[tuple[ipaddress.IPv6Network, str, str, int, str, str]] = [
        (ipaddress.IPv6Network("::1/128"), "::1", "Direct", 0, "InLoopBack0", "D")
    ]
    for r in connected_routes(device.state, 6):
        assert isinstance(r.prefix, ipaddress.IPv6Network)
        iface = device.state.interfaces[r.interface]
        if r.protocol == "C":
            own = next(a.ip for a in iface.ipv6 if a.network == r.prefix)
            entries.append((r.prefix, str(own).upper(), "Direct", 0, r.interface, "D"))
        else:
            entries.append((r.prefix, "::1", "Direct", 0, "InLoopBack0", "D"))
    for r in static_routes(device, 6):
        assert isinstance(r.prefix, ipaddress.IPv6Network)
        entries.append((r.prefix, r.nexthop.upper(), "Static", 60, r.interface, "RD"))
    entries.sort(key=lambda e: (e[0].network_address, e[0].prefixlen))
    out = [
        "Routing Table : Public",
        f"         Destinations : {len(entries)}        Routes : {len(entries)}        ",
        "",
    ]
    for prefix, hop, proto, pre, ifname, flags in entries:
        dest = str(prefix.network_address).upper()
        out += [
            f" Destination  : {dest:<40}PrefixLength : {prefix.prefixlen}",
            f" NextHop      : {hop:<40}Preference   : {pre}",
            f" Cost         : {0:<40}Protocol     : {proto}",
            f" RelayNextHop : {'::':<40}TunnelID     : 0x0",
            f" Interface    : {ifname:<40}Flags        : {flags}",
            "",
        ]
    return "\n".join(out) + "\n"
