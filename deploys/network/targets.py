"""How the engine reaches devices: connection parameters, host keys, and the backend.

The engine (plan, apply, backup) talks to a :class:`Backend`: the platform of a device and
a session to it. :class:`InventoryBackend` is the real one (platforms from ``platforms/``,
secrets resolved by name when a connection is made, host keys checked against a
known-hosts file). Tests of the engine's decisions may pass their own.

Host keys: checked by default against, in order, ``--known-hosts FILE``, the inventory's
own ``known_hosts`` file (``provnet lab up`` writes one in its overlay), then
``~/.ssh/known_hosts``. ``--no-host-key-check`` is the only way to turn it off.
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from paramiko.hostkeys import HostKeys

from deploys.errors import NetworkChangeError
from inventory.export import netmiko_connect_params
from inventory.loader import Inventory
from inventory.resolve import DeviceView
from inventory.secrets import SecretStore
from platforms import network_platform
from platforms.network import ConfigSession, ConnectParams, NetworkPlatform

INVENTORY_KNOWN_HOSTS = "known_hosts"


class KnownHostsMissing(NetworkChangeError, FileNotFoundError):
    pass


class BadKnownHosts(NetworkChangeError, ValueError):
    pass


class Backend(Protocol):
    def platform(self, name: str) -> NetworkPlatform:
        """The platform named ``name``; raises ``LookupError`` when it cannot be changed."""
        ...

    def connect(self, device: DeviceView) -> ConfigSession: ...


def resolve_known_hosts(
    explicit: Path | None, inventory_root: Path | None, disabled: bool, home: Path | None = None
) -> str | None:
    """The known-hosts file to check host keys against; None only when ``disabled``.

    Raises :class:`KnownHostsMissing` when checking is on and no file exists, so that no
    connection is attempted that would fail (or, worse, be trusted blindly).
    """
    if disabled:
        return None
    candidates = (
        [explicit]
        if explicit is not None
        else [
            *([inventory_root / INVENTORY_KNOWN_HOSTS] if inventory_root else []),
            (home or Path.home()) / ".ssh" / "known_hosts",
        ]
    )
    for path in candidates:
        if path.is_file():
            return str(path)
    raise KnownHostsMissing(
        f"không có tệp known_hosts (no known-hosts file): {', '.join(map(str, candidates))}; "
        "pass --known-hosts FILE, or --no-host-key-check to skip host-key checking"
    )


def connect_params(
    inv: Inventory,
    device: DeviceView,
    store: SecretStore,
    known_hosts: str | None,
    timeout: float = 20.0,
) -> ConnectParams:
    """Where and as whom to log in to ``device``, secrets resolved now (in memory only)."""
    params = netmiko_connect_params(inv, device, store)
    return ConnectParams(
        host=str(params["host"]),
        port=int(params["port"]),
        username=str(params["username"]),
        password=str(params.get("password", "")),
        secret=str(params.get("secret", "")),
        known_hosts=known_hosts,
        timeout=timeout,
    )


def read_running(backend: Backend, device: DeviceView) -> str:
    """The running configuration of ``device``, read in a session of its own (closed after)."""
    session = backend.connect(device)
    try:
        return session.running_config()
    finally:
        session.close()


def _host_key_names(host: str, port: int) -> tuple[str, ...]:
    return (f"[{host}]:{port}",) if port != 22 else (host, f"[{host}]:22")


def _line_matches(line: str, names: tuple[str, ...]) -> bool:
    fields = line.split()
    if len(fields) < 3 or line.lstrip().startswith("#"):
        return False
    if fields[0].startswith("@"):  # @cert-authority / @revoked: keep for everyone
        return True
    for pattern in fields[0].split(","):
        if pattern.startswith("|1|"):
            salt = pattern.split("|")[2]
            if any(HostKeys.hash_host(name, salt) == pattern for name in names):
                return True
        elif pattern in names:
            return True
    return False


class HostKeyFiles:
    """One small known_hosts file per device, cut from the big one.

    An SSH client (paramiko) parses the whole known_hosts file on every connection: with
    a province's 500 devices that is 500 key parses per connection, the largest cost of a
    rollout. Each device's lines are written once to a private temporary directory (removed
    with this object); a device with no line gets an empty file, so its key is refused.
    """

    def __init__(self, source: Path) -> None:
        try:
            self.lines = source.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise BadKnownHosts(
                f"{source}: cannot read the known-hosts file: {exc.strerror}"
            ) from None
        except UnicodeDecodeError as exc:
            raise BadKnownHosts(
                f"{source}: not a known-hosts file: not UTF-8 text (byte {exc.start})"
            ) from None
        self._dir = tempfile.TemporaryDirectory(prefix="provnet-known-hosts-")
        self._files: dict[tuple[str, int], str] = {}
        self._lock = threading.Lock()

    def for_host(self, host: str, port: int) -> str:
        with self._lock:
            if (host, port) not in self._files:
                names = _host_key_names(host, port)
                chosen = [line for line in self.lines if _line_matches(line, names)]
                path = Path(self._dir.name) / f"{host.replace(':', '_')}_{port}"
                path.write_text("".join(f"{line}\n" for line in chosen), encoding="utf-8")
                self._files[host, port] = str(path)
            return self._files[host, port]


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
