"""How the engine reaches devices: connection parameters, host keys, and the backend.

The engine (plan, apply, backup) talks to a :class:`Backend`: the platform of a device and
a session to it. :class:`InventoryBackend` is the real one (platforms from ``platforms/``,
secrets resolved by name when a connection is made, host keys checked against a
known-hosts file). Tests of the engine's decisions may pass their own.

Host keys: see ``platforms/known_hosts.py`` (shared with the readiness check).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from inventory.export import connect_params
from inventory.loader import Inventory
from inventory.resolve import DeviceView
from inventory.secrets import SecretStore
from platforms import network_platform
from platforms.known_hosts import HostKeyFiles
from platforms.network import ConfigSession, NetworkPlatform


class Backend(Protocol):
    def platform(self, name: str) -> NetworkPlatform:
        """The platform named ``name``; raises ``LookupError`` when it cannot be changed."""
        ...

    def connect(self, device: DeviceView) -> ConfigSession: ...


def read_running(backend: Backend, device: DeviceView) -> str:
    """The running configuration of ``device``, read in a session of its own (closed after)."""
    session = backend.connect(device)
    try:
        return session.running_config()
    finally:
        session.close()


@dataclass
class InventoryBackend:
    """The real backend: ``platforms.network_platform`` and Netmiko sessions."""

    inventory: Inventory
    store: SecretStore
    known_hosts: str | None
    timeout: float = 20.0
    _platforms: dict[str, NetworkPlatform] = field(default_factory=dict, repr=False)
    _host_keys: HostKeyFiles | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.known_hosts is not None:
            self._host_keys = HostKeyFiles(Path(self.known_hosts))

    def known_hosts_for(self, device: DeviceView) -> str | None:
        """The known_hosts file holding only ``device``'s keys (None: checking is off)."""
        if self._host_keys is None:
            return None
        return self._host_keys.for_host(device.host, device.ssh_port)

    def platform(self, name: str) -> NetworkPlatform:
        if name not in self._platforms:
            self._platforms[name] = network_platform(name)
        return self._platforms[name]

    def connect(self, device: DeviceView) -> ConfigSession:
        params = connect_params(self.inventory, device, self.store, self.known_hosts, self.timeout)
        return self.platform(device.platform).connect(params)
