"""Cisco IOS show commands: pure functions of the device (its state, configuration,
model and files) to the text IOS prints; the clock and uptimes read the wall clock.
Nothing here reads a session or does I/O.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from typing import TYPE_CHECKING

from lab.device.base import (
    CliSession,
    FileEntry,
    Route,
    connected_routes,
    eui64_link_local,
    ios_uptime,
    resolve_static,
)
from lab.device.cisco_ios.grammar import CATALOG, short_name
from lab.device.cisco_ios.model import serial_of
from lab.state import InterfaceState

if TYPE_CHECKING:
    from lab.device.cisco_ios.device import IosDevice


def show_clock(device: IosDevice) -> str:
    return "*" + clock_text(device) + "\n"


def clock_text(device: IosDevice) -> str:
    name, offset = "UTC", 0.0
    node = next(iter(device.config.sections("clock", "timezone")), None)
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


def show_version(dev: IosDevice) -> str:
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


def show_inventory(device: IosDevice) -> str:
    model = device.model
    serial = serial_of(device.state, device.xe)
    return (
        f'NAME: "Chassis", DESCR: "Cisco {model.pid.split("/")[0]} Chassis"\n'
        f"PID: {model.pid:<17}, VID: V04  , SN: {serial}\n\n"
    )


def show_users(device: IosDevice, current: CliSession) -> str:
    """Every login on the box, by line; ``*`` marks the one asking (format: ntc-templates'
    cisco_ios show_users fixture)."""
    rows = [
        f"{'*' if mine else ' '} {session.line + VTY_LINE0:>2} vty {session.line:<5} "
        f"{session.username:<10} idle                 {idle} {session.peer}"
        for mine, session, idle in device.users(current)
    ]
    return (
        "    Line       User       Host(s)              Idle       Location\n"
        + "\n".join(rows)
        + "\n\n  Interface    User               Mode         Idle     Peer Address\n\n"
    )


VTY_LINE0 = 2  # the absolute line number of vty 0 (after con 0 and aux 0)


def _status(iface: InterfaceState) -> tuple[str, str]:
    if not iface.admin_up:
        return "administratively down", "down"
    return ("up", "up") if iface.link_up else ("down", "down")


def show_ip_int_brief(device: IosDevice) -> str:
    fmt = "{:<22} {:<15} {:<3} {:<6} {:<21} {}"
    out = [fmt.format("Interface", "IP-Address", "OK?", "Method", "Status", "Protocol")]
    for iface in _interfaces(device):
        status, proto = _status(iface)
        if iface.ipv4:
            ip = str(iface.ipv4[0].ip)
            method = "manual" if iface.name in device.manual_addresses else "NVRAM"
        else:
            ip, method = (
                "unassigned",
                "unset" if iface.name.startswith(("Loopback", "Vlan", "Tunnel")) else "NVRAM",
            )
        out.append(fmt.format(iface.name, ip, "YES", method, status, proto))
    return "\n".join(ln.rstrip() for ln in out) + "\n"


def _interfaces(device: IosDevice) -> list[InterfaceState]:
    return sorted(device.state.interfaces.values(), key=lambda i: i.if_index)


def show_ipv6_int_brief(device: IosDevice) -> str:
    out = []
    for iface in _interfaces(device):
        status, proto = _status(iface)
        out.append(f"{iface.name:<22} [{status}/{proto}]")
        if iface.ipv6_enabled or iface.ipv6:
            out.append(f"    {str(eui64_link_local(iface.mac)).upper()}")
            out += [f"    {str(a.ip).upper()}" for a in iface.ipv6]
        else:
            out.append("    unassigned")
    return "\n".join(out) + "\n"


def static_routes(device: IosDevice, version: int) -> list[Route]:
    connected = connected_routes(device.state, version)
    routes: list[Route] = []
    key = ("ip", "route") if version == 4 else ("ipv6", "route")
    for node in device.config.sections(*key):
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
        elif hop in device.state.interfaces and device.state.interfaces[hop].oper_up:
            routes.append(Route(prefix, "S", hop, "", distance))
    return routes


def show_ip_route(device: IosDevice) -> str:
    routes = connected_routes(device.state, 4) + static_routes(device, 4)
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


def show_ipv6_route(device: IosDevice) -> str:
    routes = connected_routes(device.state, 6) + static_routes(device, 6)
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


def show_interfaces(device: IosDevice, name: str | None = None) -> str:
    ifaces = _interfaces(device)
    if name is not None:
        ifaces = [i for i in ifaces if i.name == name]
        if not ifaces:
            return ""
    return "".join(_interface_detail(i) for i in ifaces)


def _interface_detail(iface: InterfaceState) -> str:
    status, proto = _status(iface)
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


def show_int_description(device: IosDevice) -> str:
    out = [f"{'Interface':<30} {'Status':<14} {'Protocol':<8} Description"]
    for iface in _interfaces(device):
        status, proto = _status(iface)
        status = "admin down" if status.startswith("admin") else status
        out.append(
            f"{short_name(iface.name):<30} {status:<14} {proto:<8} {iface.description}".rstrip()
        )
    return "\n".join(out) + "\n"


def show_run(device: IosDevice) -> str:
    body = device.running_config()
    return (
        f"Building configuration...\n\nCurrent configuration : {len(body.encode())} bytes\n{body}"
    )


def show_run_blank() -> str:
    """`show running-config` lowered to a user who may configure nothing."""
    body = "!\nend\n"
    return (
        f"Building configuration...\n\nCurrent configuration : {len(body.encode())} bytes\n{body}"
    )


def show_run_interface(device: IosDevice, name: str) -> str:
    node = device.config.find(f"interface {name}")
    if node is None:
        return ""
    body = "!\n" + "\n".join(device.config.render_nodes([node])) + "\nend\n"
    return (
        f"Building configuration...\n\nCurrent configuration : {len(body.encode())} bytes\n{body}"
    )


def show_start(device: IosDevice) -> str:
    start = device.startup
    if start is None:
        return "startup-config is not present\n"
    return f"Using {len(start.encode())} out of {device.model.nvram} bytes\n{start}"


def show_archive(dev: IosDevice) -> str:
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


FLASH_BYTES = 256487424
IMAGE_BYTES = 104857600


def _flash_entries(dev: IosDevice) -> list[tuple[int, str, FileEntry | None]]:
    """Every file of flash with its index (as ``dir`` numbers them), the image first."""
    fs = dev.flash_name
    image = fs + dev.model.image.split(":", 1)[1]
    names = sorted(n for n in dev.files if n.startswith(fs))
    out: list[tuple[int, str, FileEntry | None]] = [(1, image, None)]
    out += [(i, name, dev.files[name]) for i, name in enumerate(names, 2)]
    return out


def flash_free(dev: IosDevice) -> int:
    used = sum(len(e.data) for n, e in dev.files.items() if n.startswith(dev.flash_name))
    return FLASH_BYTES - IMAGE_BYTES - 1048576 - used


def _dir_line(index: int, name: str, entry: FileEntry | None, stamp_of: float) -> str:
    size = len(entry.data) if entry is not None else IMAGE_BYTES
    mtime = entry.mtime if entry is not None else stamp_of
    stamp = time.strftime("%b %d %Y %H:%M:%S +00:00", time.gmtime(mtime))
    return f"{index:>6}  -rw- {size:>12}  {stamp}  {name}"


def dir_listing(dev: IosDevice, path: str | None = None) -> str:
    """`dir`, `dir flash:`, `dir flash:/folder/` or `dir flash:/file` (one line)."""
    fs = dev.flash_name
    key = dev.file_key(path) if path is not None else fs
    if key is None:
        return f"%Error opening {path} (No such device)\n"
    rest = key[len(fs) :]
    entries = _flash_entries(dev)
    booted = dev.state.booted_at
    lines: list[str] = []
    if dev.is_directory(key):
        folder = rest.strip("/")
        prefix = fs + folder + "/" if folder else fs
        shown: set[str] = set()
        for index, name, entry in entries:
            if not name.startswith(prefix):
                continue
            inner = name[len(prefix) :]
            if "/" in inner:
                sub = inner.split("/", 1)[0]
                if sub not in shown:
                    shown.add(sub)
                    stamp = time.strftime("%b %d %Y %H:%M:%S +00:00", time.gmtime(booted))
                    lines.append(f"{index:>6}  drwx {4096:>12}  {stamp}  {sub}")
                continue
            lines.append(_dir_line(index, inner, entry, booted))
        title = f"{fs}/{folder}/" if folder else f"{fs}/"
    else:
        found = [(i, n, e) for i, n, e in entries if n == key]
        if not found:
            return f"%Error opening {fs}/{rest} (No such file or directory)\n"
        index, name, entry = found[0]
        lines.append(_dir_line(index, name[len(fs) :].rsplit("/", 1)[-1], entry, booted))
        title = f"{fs}/{rest}"
    out = [f"Directory of {title}", "", *lines, ""]
    out.append(f"{FLASH_BYTES} bytes total ({flash_free(dev)} bytes free)")
    return "\n".join(out) + "\n"


def md5_text(dev: IosDevice, path: str) -> str:
    """`verify /md5 FILE`: the progress dots, then the digest."""
    key = dev.file_key(path)
    data = dev.load_file(key) if key is not None and not dev.is_directory(key) else None
    if key is None or data is None:
        return f"%Error opening {path} (No such file or directory)\n"
    shown = dev.display_path(key)
    dots = "." * max(1, len(data) // 4096)
    digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
    return f"{dots}MD5 of {shown} Done!\nverify /md5 ({shown}) = {digest}\n"


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
