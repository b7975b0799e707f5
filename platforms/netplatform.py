"""The :class:`~platforms.network.NetworkPlatform` most platform packages instantiate.

Light on purpose: a platform's Netmiko session (``platforms/<platform>/session.py``) is
imported only when a device is connected, so reading the inventory never pays for it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from platforms import config
from platforms.config import Syntax
from platforms.network import ConfigSession, ConnectParams, Intent
from platforms.parsers import InterfaceStatus, global_only

Connector = Callable[[ConnectParams], ConfigSession]


@dataclass(frozen=True)
class CliPlatform:
    """A platform with indented configuration text (IOS, IOS XE, VRP): ``no``/``undo``, a
    configuration mode, brief show commands. Each field is one answer of the contract;
    the platform package fills them in with its own syntax, session and parsers."""

    name: str  # the Netmiko device_type
    syntax: Syntax
    connector: Connector = field(repr=False)  # imports the session module when called
    ipv6_command: str
    parse_ipv6: Callable[[str], dict[str, list[ipaddress.IPv6Address]]] = field(repr=False)
    interfaces_command: str
    parse_interfaces: Callable[[str], dict[str, InterfaceStatus]] = field(repr=False)
    liveness_command: str
    snmp_auth_keywords: Mapping[str, str] = field(repr=False)
    snmp_priv_keywords: Mapping[str, str] = field(repr=False)

    def connect(self, params: ConnectParams) -> ConfigSession:
        return self.connector(params)

    def sections(self, running: str) -> dict[str, list[str]]:
        return config.sections(running, self.syntax)

    def commands(self, running: str, intent: Intent) -> list[str]:
        return config.commands(running, intent, self.syntax)

    def ipv6_interfaces(self, output: str) -> dict[str, list[ipaddress.IPv6Address]]:
        return self.parse_ipv6(output)

    def ipv6_addresses(self, output: str, interface: str) -> list[ipaddress.IPv6Address]:
        return global_only(self.parse_ipv6(output).get(interface, []))

    def ipv6_where(self, interface: str) -> str:
        return interface

    def interface_status(self, output: str) -> dict[str, InterfaceStatus]:
        return self.parse_interfaces(output)
