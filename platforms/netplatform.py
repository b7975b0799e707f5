"""The :class:`~platforms.network.NetworkPlatform` implementations the platform files use.

Light on purpose: Netmiko (platforms/connection.py) is imported only when a device is
connected, so reading the inventory never pays for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from platforms import config
from platforms.config import Syntax
from platforms.network import ConfigSession, ConnectParams, Intent


@dataclass(frozen=True)
class CliPlatform:
    """IOS, IOS XE, VRP: indented configuration text, ``no``/``undo``, a config mode."""

    name: str  # the Netmiko device_type
    syntax: Syntax
    filesystem: str = ""  # IOS: where checkpoints go ("flash:", "bootflash:")

    def connect(self, params: ConnectParams) -> ConfigSession:
        from platforms.connection import connect_cli

        return connect_cli(self.name, params, self.filesystem)

    def sections(self, running: str) -> dict[str, list[str]]:
        return config.sections(running, self.syntax)

    def commands(self, running: str, intent: Intent) -> list[str]:
        return config.commands(running, intent, self.syntax)


@dataclass(frozen=True)
class TpPlatform:
    """Cisco TelePresence endpoints: ``xConfiguration Path: value`` settings."""

    name: str = "cisco_tp"

    def connect(self, params: ConnectParams) -> ConfigSession:
        from platforms.connection import connect_tp

        return connect_tp(params)

    def sections(self, running: str) -> dict[str, list[str]]:
        return config.tp_sections(running)

    def commands(self, running: str, intent: Intent) -> list[str]:
        return config.tp_commands(running, intent)
