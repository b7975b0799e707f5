"""Huawei VRP displays that napalm-huawei-vrp's getters read (pure functions of the
device): `display esn`, `display ip interface`, `display ipv6 interface`, `display arp
all`, `display local-user`, `display cpu-usage`, `display memory-usage`, `display fan`,
`display power`, `display temperature all`.

Layouts as an AR2200 on V200R010 prints them (Huawei AR command reference; the samples
quoted in napalm-huawei-vrp's own docstrings). Figures are steady per device, as on an
idle router.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from lab.device.base import arp_entries, eui64_link_local, fake_hash, serial_number
from lab.device.huawei_vrp.show import _interfaces, static_routes

if TYPE_CHECKING:
    from lab.device.huawei_vrp.device import VrpDevice

RULE = "-" * 78


def _state(up: bool) -> str:
    return "UP" if up else "DOWN"


def display_esn(device: VrpDevice) -> str:
    return (
        f"ESN of slot 0: {device.state.serial or '2102' + serial_number(device.state.name, 16)}\n"
    )


def display_ip_interface(device: VrpDevice) -> str:
    out: list[str] = []
    for iface in _interfaces(device):
        out += [
            f"{iface.name} current state : {_state(iface.admin_up and iface.link_up)}",
            f"Line protocol current state : {_state(iface.oper_up)}",
            "The Maximum Transmit Unit : 1500 bytes",
            "input packets : 0, bytes : 0, multicasts : 0",
            "output packets : 0, bytes : 0, multicasts : 0",
        ]
        if not iface.ipv4:
            out += ["Internet protocol processing : disabled", ""]
            continue
        for i, a in enumerate(iface.ipv4):
            out.append(f"Internet Address is {a.with_prefixlen}" + (" Sub" if i else ""))
        out += [f"Broadcast address : {iface.ipv4[0].network.broadcast_address}", ""]
    return "\n".join(out) + "\n" if out else ""


def display_ipv6_interface(device: VrpDevice) -> str:
    out: list[str] = []
    for iface in _interfaces(device):
        if not (iface.ipv6_enabled or iface.ipv6):
            continue
        link_local = str(eui64_link_local(iface.mac)).upper()
        out += [
            f"{iface.name} current state : {_state(iface.admin_up and iface.link_up)}",
            f"IPv6 protocol current state : {_state(iface.oper_up)}",
            f"IPv6 is enabled, link-local address is {link_local}",
        ]
        if iface.ipv6:
            out.append("  Global unicast address(es):")
            out += [
                f"    {str(a.ip).upper()}, subnet is {str(a.network).upper()}" for a in iface.ipv6
            ]
        out += [
            "  Joined group address(es):",
            "    FF02::2",
            "    FF02::1",
            "  MTU is 1500 bytes",
            "  ND DAD is enabled, number of DAD attempts: 1",
            "  ND reachable time is 30000 milliseconds",
            "  ND retransmit interval is 1000 milliseconds",
            "  Hosts use stateless autoconfig for addresses",
            "",
        ]
    return "\n".join(out) + "\n" if out else ""


def _vrp_mac(mac: str) -> str:
    digits = mac.replace(":", "").replace("-", "").replace(".", "").lower()
    return "-".join(digits[i : i + 4] for i in range(0, 12, 4))


def _short(name: str) -> str:
    return name.replace("GigabitEthernet", "GE").replace("Ethernet", "Eth")


def display_arp_all(device: VrpDevice) -> str:
    """Own addresses (type I) and the next hops of the static routes in use (D-0)."""
    rows = arp_entries(device.state, static_routes(device, 4), ("LoopBack", "NULL", "Tunnel"))
    out = [
        "IP ADDRESS      MAC ADDRESS     EXPIRE(M) TYPE        INTERFACE   VPN-INSTANCE",
        "                                          VLAN/CEVLAN PVC",
        RULE,
    ]
    for e in rows:
        expire, kind = ("20", "D-0") if e.learnt else ("", "I -")
        out.append(
            f"{e.ip!s:<15} {_vrp_mac(e.mac):<15} {expire:<9} {kind:<11} {_short(e.interface)}"
        )
    dynamic = sum(1 for e in rows if e.learnt)
    out += [
        RULE,
        f"Total:{len(rows):<10}Dynamic:{dynamic:<8}Static:0     Interface:{len(rows) - dynamic}",
    ]
    return "\n".join(out) + "\n"


def display_local_user(device: VrpDevice) -> str:
    users: dict[str, str] = {}
    for node in device.config.sections("aaa"):
        for child in node.children:
            w = child.words
            if w[:1] == ["local-user"] and len(w) > 1:
                users.setdefault(w[1], "")
                if w[2:4] == ["privilege", "level"] and len(w) > 4:
                    users[w[1]] = w[4]
    out = [
        "  " + "-" * 76,
        "  User-name                      State  AuthMask  AdminLevel",
        "  " + "-" * 76,
    ]
    out += [f"  {name:<30} A      H         {level or '-'}" for name, level in users.items()]
    out += ["  " + "-" * 76, f"  Total {len(users)} user(s)"]
    return "\n".join(out) + "\n"


def _load(device: VrpDevice) -> int:
    return 2 + ord(fake_hash("cpu", device.state.name)[0]) % 9


def _stamp(seconds_ago: float = 0) -> str:
    return time.strftime("%Y-%m-%d  %H:%M:%S", time.gmtime(time.time() + 7 * 3600 - seconds_ago))


def display_cpu_usage(device: VrpDevice) -> str:
    load = _load(device)
    return (
        "CPU Usage Stat. Cycle: 60 (Second)\n"
        f"CPU Usage            : {load}% Max: {load * 3}%\n"
        f"CPU Usage Stat. Time : {_stamp()}\n"
        f"CPU utilization for five seconds: {load}%: one minute: {load}%: "
        f"five minutes: {load}%\n"
        f"Max CPU Usage Stat. Time : {_stamp(3600).replace('  ', ' ')}.\n\n"
        "TaskName        CPU  Runtime(CPU Tick High/Tick Low)  Task Explanation\n"
        f"VIDL           {100 - load:>3}%         0/b0d2f0bb       DOPRA IDLE\n"
    )


def display_memory_usage(device: VrpDevice) -> str:
    total = 1598029824
    used = 188593436 + ord(fake_hash("mem", device.state.name)[0]) * 65536
    stamp = time.strftime("%Y-%m-%d %H:%M:%S+07:00", time.gmtime(time.time() + 7 * 3600))
    return (
        f" Memory utilization statistics at {stamp}\n"
        f" System Total Memory Is: {total} bytes\n"
        f" Total Memory Used Is: {used} bytes\n"
        f" Memory Using Percentage Is: {used * 100 // total}%\n"
    )


def display_fan(device: VrpDevice) -> str:
    return (
        " Slot  FanID   Online    Status    Speed     Mode     Airflow\n"
        " " + "-" * 73 + "\n"
        " 0     1       Present   Normal    50%       Auto     Side-to-Back\n"
    )


def display_power(device: VrpDevice) -> str:
    line = " " + "-" * 60
    return (
        f"{line}\n Slot    PowerID  Online   Mode   State      Power(W)\n{line}\n"
        " 0       PWR1     Present  AC     Supply     350.00\n"
    )


def display_temperature_all(device: VrpDevice) -> str:
    line = "-" * 79
    current = 35 + ord(fake_hash("temp", device.state.name)[0]) % 8
    return (
        f"{line}\n"
        " Slot  Card  Sensor Status    Current(C) Lower(C) Lower     Upper(C) Upper\n"
        "                                                  Resume(C)          Resume(C)\n"
        f"{line}\n"
        f" 0     NA    NA     Normal     {current:<9} 0        4         63       59\n"
    )


DISPLAYS: dict[str, Callable[[VrpDevice], str]] = {
    "esn": display_esn,
    "ip interface": display_ip_interface,
    "ipv6 interface": display_ipv6_interface,
    "arp": display_arp_all,
    "arp all": display_arp_all,
    "local-user": display_local_user,
    "cpu-usage": display_cpu_usage,
    "memory-usage": display_memory_usage,
    "fan": display_fan,
    "power": display_power,
    "temperature all": display_temperature_all,
}
