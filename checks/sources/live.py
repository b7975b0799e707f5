"""Running configurations read from the devices themselves (``--source live``).

Each device is read in a session of its own, through the same ``platforms`` sessions the
network changes use (``NETWORK.connect(...).running_config()``: a ``show``, never
configuration mode), with the credential set the auditor names (``--credentials``), else
the device's ``audit_credentials`` (the inventory's read-only account: IOS privilege 1, VRP
level 1, which the session reads as such a user may), else its own ``ssh_credentials``.
Host keys are checked against the known-hosts file as for every other connection. A
device that cannot be read (down, refused, wrong host key, garbage) is an ``error`` for its
controls and never stops the others. What is read is masked as backups are
(secret-looking values and the inventory's known secrets) before any control sees it, so
no finding can quote a secret.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from checks.engine import ConfigText, Unreadable
from inventory.export import connect_params
from inventory.loader import Inventory
from inventory.masking import Redactor
from inventory.resolve import DeviceView
from inventory.secrets import SecretStore
from platforms import network_platforms
from platforms.known_hosts import HostKeyFiles
from platforms.network import ConnectParams
from provnet.errors import NOT_CONTAINED

ERROR_LENGTH = 300


def live_file(device: DeviceView) -> str:
    """How the report names where a live configuration came from."""
    return f"ssh://{device.host}:{device.ssh_port}/running-config"


@dataclass
class LiveDevices:
    inventory: Inventory
    store: SecretStore
    redactor: Redactor
    known_hosts: str | None
    # a credential set of the inventory; else each device's audit_credentials (the read-only
    # account), else its own ssh_credentials
    credentials: str | None = None
    timeout: float = 20.0
    concurrency: int = 20
    _host_keys: HostKeyFiles | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.known_hosts is not None:
            self._host_keys = HostKeyFiles(Path(self.known_hosts))

    def describe(self) -> dict[str, str]:
        return {"kind": "live", "credentials": self.credentials or "inventory"}

    def params(self, device: DeviceView) -> ConnectParams:
        account = self.credentials or device.audit_credentials
        if account is not None:
            device = dataclasses.replace(device, ssh_credentials=account)
        keys = self._host_keys
        known = None if keys is None else keys.for_host(device.host, device.ssh_port)
        return connect_params(self.inventory, device, self.store, known, self.timeout)

    def read(self, device: DeviceView) -> ConfigText | Unreadable:
        platform = network_platforms().get(device.platform)
        if platform is None:
            return Unreadable(f"{device.name}: {device.platform} has no running configuration")
        try:
            session = platform.connect(self.params(device))
            try:
                text = session.running_config()
            finally:
                session.close()
        except NOT_CONTAINED:
            raise
        except BaseException as exc:  # whatever a device sends back fails it alone
            why = self.redactor.clean(f"{type(exc).__name__}: {exc}")[:ERROR_LENGTH]
            return Unreadable(f"{device.name} ({device.host}:{device.ssh_port}): {why}")
        return ConfigText(live_file(device), self.redactor.clean(text))

    def configs(self, devices: Sequence[DeviceView]) -> Mapping[str, ConfigText | Unreadable]:
        readable = [d for d in devices if not d.monitor_only]
        with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
            return dict(zip((d.name for d in readable), pool.map(self.read, readable), strict=True))
