"""The endpoint's ``xStatus`` output: a pure function of the device (its values, its
network interface, its calls) to the lines it prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lab.device.base import eui64_link_local
from lab.device.cisco_tp.model import SOFTWARE

if TYPE_CHECKING:
    from lab.device.cisco_tp.device import TpDevice


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
        f'*s SystemUnit Hardware Module SerialNumber: "{state.serial or "FTT0000000"}"',
        '*s SystemUnit ProductId: "Cisco Webex Room Kit"',
        f'*s SystemUnit Software Version: "{SOFTWARE}"',
        f"*s SystemUnit Uptime: {int(state.uptime_seconds())}",
    ]
    for i, number in enumerate(device.calls, 1):
        lines += [
            f"*s Call {i} CallType: Video",
            f'*s Call {i} RemoteNumber: "{number}"',
            f"*s Call {i} Status: Connected",
        ]
    return [ln for ln in lines if ln]
