"""Simulated network devices of the province twin: CLI engines and the SSH server.

Each device kind is a package beside this module (``cisco_ios/``, ``cisco_xe/``,
``huawei_vrp/``, ``cisco_tp/``) declaring ``DEVICE``, a :class:`DeviceKind`: adding a
simulator is adding its package. ``PLATFORMS`` maps every platform name to its
simulator; ``make_device(state)`` builds the engine for ``state.platform``;
``SshTwinServer`` (``lab.device.server``) serves many of them from one asyncio process.
"""

from __future__ import annotations

from lab.device.base import (
    CliSession,
    DeviceFactory,
    DeviceKind,
    DeviceSimError,
    Reply,
    SimDevice,
    TreeDevice,
    UnknownPlatformError,
)
from lab.state import DeviceState
from provnet.discover import discover


def find_device_kinds() -> dict[str, DeviceKind]:
    """Every platform name the twin simulates (aliases included) -> its device kind, from
    the packages beside this module that declare ``DEVICE``."""
    kinds: dict[str, DeviceKind] = {}
    for package, kind in discover("lab.device", "DEVICE", DeviceKind).items():
        for name in kind.names:
            if name in kinds:
                raise TypeError(f"lab.device.{package}: platform {name!r} is simulated twice")
            kinds[name] = kind
    return kinds


def ssh_server_version(platform: str) -> str:
    """The SSH software version a ``platform`` box announces; "" for asyncssh's own."""
    kind = DEVICE_KINDS.get(platform)
    return kind.ssh_server_version if kind is not None else ""


def make_device(
    state: DeviceState, initial_config: str | None = None, *, enable_secret: str | None = None
) -> SimDevice:
    """The simulated device for ``state``, chosen by ``state.platform``.

    Without ``initial_config`` a realistic running configuration is rendered from the
    state (hostname, interfaces, addresses). ``enable_secret`` (IOS) makes logins start
    in user EXEC and `enable` ask for it; it is kept in memory only, never printed.
    """
    try:
        cls = PLATFORMS[state.platform]
    except KeyError:
        known = ", ".join(sorted(PLATFORMS))
        raise UnknownPlatformError(
            f"device {state.name}: no simulator for platform {state.platform!r} (known: {known})"
        ) from None
    return cls(state, initial_config, enable_secret=enable_secret)


# Found at import, after the functions above (the SSH server, found too, imports one of
# them): building the first device then pays for no import. A device package must not
# import this package's names, only its modules (lab.device.base, ...).
DEVICE_KINDS: dict[str, DeviceKind] = find_device_kinds()
PLATFORMS: dict[str, DeviceFactory] = {name: kind.device for name, kind in DEVICE_KINDS.items()}

__all__ = [
    "DEVICE_KINDS",
    "PLATFORMS",
    "CliSession",
    "DeviceFactory",
    "DeviceKind",
    "DeviceSimError",
    "Reply",
    "SimDevice",
    "TreeDevice",
    "UnknownPlatformError",
    "find_device_kinds",
    "make_device",
    "ssh_server_version",
]
