"""Cisco TelePresence / RoomOS video-conference endpoints (xAPI over SSH): everything
provnet knows about them.

``xconfig.py`` (``xConfiguration`` settings as configuration), ``status.py`` (``xStatus``
parsers), ``session.py`` (Netmiko driver and xAPI session, imported on connect).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from platforms.base import PlatformInfo
from platforms.cisco_ios.syntax import IOS
from platforms.cisco_tp import status, xconfig
from platforms.config import Syntax
from platforms.connection import SESSION_IMPORT
from platforms.network import ConfigSession, ConnectParams, Intent
from platforms.parsers import InterfaceStatus, SipRegistration
from platforms.vc import CallStatus, EndpointStatus

PLATFORM = PlatformInfo(
    name="cisco_tp",
    vendor="Cisco",
    os_name="RoomOS",
    roles=frozenset({"vc_endpoint"}),
    sys_object_id="1.3.6.1.4.1.5596.150.6.4.1",
    description="Cisco TelePresence / RoomOS video-conference endpoints (xAPI over SSH).",
    default_interfaces={"lan": "Ethernet1"},
)
NETWORK_1 = "Network 1"  # an endpoint's one network, as xStatus names it


@dataclass(frozen=True)
class TpPlatform:
    """Cisco TelePresence endpoints: ``xConfiguration Path: value`` settings, which cannot
    be removed (only set), and ``xStatus`` for what the post-checks read."""

    name: str = PLATFORM.name
    # Templates are flat ``xConfiguration ...`` lines: read with IOS's layout (``!`` starts
    # a comment); the running configuration is read by ``xconfig``.
    syntax: Syntax = IOS
    ipv6_command: str = status.IPV6_COMMAND
    interfaces_command: str = ""  # an endpoint has one network, no interface listing
    liveness_command: str = "xStatus SystemUnit Uptime"
    sip_registration_command: str = status.SIP_REGISTRATION_COMMAND
    # Endpoints' SNMP is not configured by provnet's changes.
    snmp_auth_keywords: Mapping[str, str] = field(default_factory=dict)
    snmp_priv_keywords: Mapping[str, str] = field(default_factory=dict)

    def connect(self, params: ConnectParams) -> ConfigSession:
        with SESSION_IMPORT:
            from platforms.cisco_tp.session import connect

        return connect(self.name, params)

    def sections(self, running: str) -> dict[str, list[str]]:
        return xconfig.tp_sections(running)

    def commands(self, running: str, intent: Intent) -> list[str]:
        return xconfig.tp_commands(running, intent)

    def ipv6_interfaces(self, output: str) -> dict[str, list[ipaddress.IPv6Address]]:
        return {NETWORK_1: status.tp_ipv6(output)}

    def ipv6_addresses(self, output: str, interface: str) -> list[ipaddress.IPv6Address]:
        return status.tp_ipv6(output)

    def ipv6_where(self, interface: str) -> str:
        return NETWORK_1

    def interface_status(self, output: str) -> dict[str, InterfaceStatus]:
        return {}

    def sip_registration(self, output: str) -> SipRegistration:
        return status.sip_registration(output)

    # -- readiness for a session (platforms.vc.VcPlatform) --------------------------------
    readiness_commands: tuple[str, ...] = status.READINESS_COMMANDS
    call_commands: tuple[str, ...] = status.CALL_COMMANDS
    unmute_command: str = status.UNMUTE_COMMAND

    def endpoint_status(self, outputs: Mapping[str, str]) -> EndpointStatus:
        return status.endpoint_status(outputs)

    def dial_command(self, number: str) -> str:
        return status.dial_command(number)

    def dialled_call(self, output: str) -> str:
        return status.dialled_call(output)

    def calls(self, outputs: Mapping[str, str]) -> list[CallStatus]:
        return status.calls(outputs)

    def hangup_command(self, call_id: str) -> str:
        return status.hangup_command(call_id)


NETWORK = TpPlatform()
