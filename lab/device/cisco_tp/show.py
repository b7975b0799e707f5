"""The endpoint's ``xStatus`` output: a pure function of the device (its values, its
network interface, its calls) to the lines it prints.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lab.device.base import eui64_link_local, serial_number
from lab.device.cisco_tp.model import SOFTWARE

if TYPE_CHECKING:
    from lab.device.cisco_tp.device import TpDevice

# Status nodes an endpoint answers with nothing (no message, no call) rather than an error.
MAY_BE_EMPTY = frozenset({"diagnostics", "call", "mediachannels"})


def status_lines(device: TpDevice) -> list[str]:
    """What ``xStatus`` prints: network, SIP registration, unit and calls."""
    state = device.state
    iface = device.network_interface()
    status, reason = device.registration()
    uri = device.values["sip uri"]
    ipv4 = iface.ipv4[0] if iface.ipv4 else None
    ipv6 = str(iface.ipv6[0].ip) if iface.ipv6 else ""
    link_local = str(eui64_link_local(iface.mac)) if iface.ipv6_enabled else ""
    mac = iface.mac.upper()
    serial = state.serial or "FTT" + serial_number(state.name, 8)
    lines = [
        f'*s Network 1 DNS Domain Name: "{device.values["network 1 dns domain name"]}"',
        f'*s Network 1 DNS Server 1 Address: "{device.values["network 1 dns server 1 address"]}"',
        f'*s Network 1 Ethernet MacAddress: "{mac}"',
        f'*s Network 1 Ethernet Speed: "{iface.speed_mbps}full"',
        f'*s Network 1 IPv4 Address: "{ipv4.ip if ipv4 else ""}"',
        f'*s Network 1 IPv4 Gateway: "{device.values["network 1 ipv4 gateway"]}"',
        f'*s Network 1 IPv4 SubnetMask: "{ipv4.netmask if ipv4 else ""}"',
        f'*s Network 1 IPv6 Address: "{ipv6}"',
        f'*s Network 1 IPv6 Gateway: "{device.values["network 1 ipv6 gateway"]}"',
        f'*s Network 1 IPv6 LinkLocalAddress: "{link_local}"',
        f'*s SIP Proxy 1 Address: "{device.values["sip proxy 1 address"]}"',
        f"*s SIP Proxy 1 Status: {'Active' if status == 'Registered' else 'Off'}",
        f'*s SIP Registration 1 Reason: "{reason}"',
        f"*s SIP Registration 1 Status: {status}",
        f'*s SIP Registration 1 URI: "{uri}"',
        f'*s SystemUnit Hardware Module SerialNumber: "{serial}"',
        '*s SystemUnit ProductId: "Cisco Webex Room Kit"',
        f'*s SystemUnit Software Version: "{SOFTWARE}"',
        f"*s SystemUnit Uptime: {int(state.uptime_seconds())}",
    ]
    lines += peripheral_lines(device)
    for call_id, call in device.calls.items():
        lines += [
            f"*s Call {call_id} CallType: Video",
            f'*s Call {call_id} RemoteNumber: "{call.number}"',
            f"*s Call {call_id} Status: Connected",
        ]
    lines += media_lines(device, time.time())
    return sorted(ln for ln in lines if ln)


def peripheral_lines(device: TpDevice) -> list[str]:
    """Camera, microphone, display, mute and clock, as the faults leave them."""
    faults = device.state.faults
    clock = datetime.fromtimestamp(time.time() + faults.clock_skew_s, UTC)
    return [
        "*s Audio Input Connectors Microphone 1 ConnectionStatus: Connected",
        f"*s Audio Microphones Mute: {'On' if faults.mic_muted else 'Off'}",
        f"*s Cameras Camera 1 Connected: {'False' if faults.camera_off else 'True'}",
        '*s Cameras Camera 1 Model: "Cisco Room Kit camera"',
        f'*s Time SystemTime: "{clock.strftime("%Y-%m-%dT%H:%M:%SZ")}"',
        "*s Video Output Connector 1 Connected: True",
    ]


# (channel, direction, kind, packets per second) of every call.
MEDIA = ((1, "Incoming", "Audio", 50), (2, "Outgoing", "Audio", 50), (3, "Incoming", "Video", 30))


def media_lines(device: TpDevice, now: float) -> list[str]:
    """Each call's media channels since it started; ``media-loss`` loses that share."""
    loss = device.state.faults.media_loss_pct / 100
    jitter = 2 + device.state.faults.slow_ms // 20
    lines: list[str] = []
    for call_id, call in device.calls.items():
        for channel, direction, kind, rate in MEDIA:
            packets = int((now - call.started) * rate)
            head = f"*s MediaChannels Call {call_id} Channel {channel}"
            lines += [
                f"{head} Direction: {direction}",
                f"{head} Type: {kind}",
                f"{head} Netstat Packets: {packets}",
                f"{head} Netstat Loss: {int(packets * loss)}",
                f"{head} Netstat Jitter: {jitter}",
            ]
    return lines
