"""Cisco IOS show commands about the box itself (pure functions of the device): CPU,
memory, `show snmp chassis`, `show lldp neighbors`.

Figures are steady for a given device (derived from its name and uptime), so two reads a
second apart agree, as they do on an idle router. Layouts as IOS 15.x prints them; the
tests parse them with ntc-templates and napalm's ios driver (get_environment,
get_snmp_information, get_lldp_neighbors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lab.device.base import fake_hash
from lab.device.cisco_ios.model import serial_of

if TYPE_CHECKING:
    from lab.device.cisco_ios.device import IosDevice

LLDP_OFF = "% LLDP is not enabled\n"

_PROCESSES = (
    (1, "Chunk Manager"),
    (2, "Load Meter"),
    (3, "SpanTree Helper"),
    (4, "Check heaps"),
    (5, "Pool Manager"),
    (6, "ARP Input"),
    (7, "IP Input"),
    (8, "SSH Process"),
    (9, "SNMP ENGINE"),
)


def _load(device: IosDevice) -> int:
    """A steady CPU load (percent) for this device: 1-9."""
    return 1 + ord(fake_hash("cpu", device.state.name)[0]) % 9


def show_processes_cpu(device: IosDevice) -> str:
    load = _load(device)
    out = [
        f"CPU utilization for five seconds: {load}%/0%; one minute: {load}%; five minutes: {load}%",
        " PID Runtime(ms)     Invoked      uSecs   5Sec   1Min   5Min TTY Process ",
    ]
    uptime_ms = int(device.state.uptime_seconds() * 1000)
    for pid, name in _PROCESSES:
        runtime = uptime_ms // (200 * pid)
        invoked = max(1, runtime // 4)
        usecs = runtime * 1000 // invoked
        share = f"{load / 10:.2f}%" if name == "IP Input" else "0.00%"
        out.append(
            f"{pid:>4} {runtime:>11} {invoked:>11} {usecs:>10} {share:>6} {share:>6} "
            f"{share:>6}   0 {name}"
        )
    return "\n".join(out) + "\n"


def memory_figures(device: IosDevice) -> tuple[tuple[int, int], tuple[int, int]]:
    """(total, used) bytes of the processor pool and of the I/O pool."""
    spread = ord(fake_hash("mem", device.state.name)[0]) * 65536
    processor = (853204440, 65478060 + spread)
    io = (58720256, 9245732 + spread // 8)
    return processor, io


def show_memory_statistics(device: IosDevice) -> str:
    (p_total, p_used), (io_total, io_used) = memory_figures(device)
    head = f"{'':<12}{'Head':>8}{'Total(b)':>12}{'Used(b)':>12}{'Free(b)':>12}"
    head += f"{'Lowest(b)':>12}{'Largest(b)':>12}"

    def row(name: str, base: str, total: int, used: int) -> str:
        free = total - used
        return (
            f"{name:>9}{base:>11}{total:>12}{used:>12}{free:>12}"
            f"{free - 1381104:>12}{free - 10718736:>12}"
        )

    return (
        "\n".join(
            [
                head,
                row("Processor", "2B6BDE28", p_total, p_used),
                row("I/O", "C800000", io_total, io_used),
            ]
        )
        + "\n"
    )


def show_snmp_chassis(device: IosDevice) -> str:
    """The chassis ID: `snmp-server chassis-id` if set, else the serial number."""
    for node in device.config.sections("snmp-server", "chassis-id"):
        return node.text.split(None, 2)[2] + "\n"
    return serial_of(device.state, device.xe) + "\n"


def show_lldp_neighbors(device: IosDevice, detail: bool) -> str:
    """The twin models no cabling, so LLDP (when run) has heard no neighbour yet."""
    if device.config.find("lldp run") is None:
        return LLDP_OFF
    if detail:
        return "\nTotal entries displayed: 0\n"
    return (
        "Capability codes:\n"
        "    (R) Router, (B) Bridge, (T) Telephone, (C) DOCSIS Cable Device\n"
        "    (W) WLAN Access Point, (P) Repeater, (S) Station, (O) Other\n\n"
        "Device ID           Local Intf     Hold-time  Capability      Port ID\n\n"
        "Total entries displayed: 0\n"
    )
