"""Simulated network devices of the province twin: CLI engines and the SSH server.

Each device kind is a package beside this module (``cisco_ios/``, ``cisco_xe/``,
``huawei_vrp/``, ``cisco_tp/``) declaring ``DEVICE``, a :class:`DeviceKind`: adding a
simulator is adding its package. ``make_device(state)`` builds the engine for
``state.platform``; ``SshTwinServer`` (``lab.device.server``) serves many of them from
one asyncio process.
"""

from __future__ import annotations

from functools import cache

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


@cache
def device_kinds() -> dict[str, DeviceKind]:
    """Every platform name the twin simulates (aliases included) -> its device kind.

    Found once, on first use, so importing ``lab.device`` loads no vendor.
    """
    kinds: dict[str, DeviceKind] = {}
    for package, kind in discover("lab.device", "DEVICE", DeviceKind).items():
        for name in kind.names:
            if name in kinds:
                raise TypeError(f"lab.device.{package}: platform {name!r} is simulated twice")
            kinds[name] = kind
    return kinds


def platforms() -> dict[str, DeviceFactory]:
    """``{platform name: simulator class}``, e.g. ``{"cisco_ios": IosDevice, ...}``."""
    return {name: kind.device for name, kind in device_kinds().items()}


def ssh_server_version(platform: str) -> str:
    """The SSH software version a ``platform`` box announces; "" for asyncssh's own."""
    kind = device_kinds().get(platform)
    return kind.ssh_server_version if kind is not None else ""


def make_device(
    state: DeviceState, initial_config: str | None = None, *, enable_secret: str | None = None
) -> SimDevice:
    """The simulated device for ``state``, chosen by ``state.platform``.

    Without ``initial_config`` a realistic running configuration is rendered from the
    state (hostname, interfaces, addresses). ``enable_secret`` (IOS) makes logins start
    in user EXEC and `enable` ask for it; it is kept in memory only, never printed.
    """
    kinds = device_kinds()
    try:
        cls = kinds[state.platform].device
    except KeyError:
        known = ", ".join(sorted(kinds))
        raise UnknownPlatformError(
            f"device {state.name}: no simulator for platform {state.platform!r} (known: {known})"
        ) from None
    return cls(state, initial_config, enable_secret=enable_secret)


__all__ = [
    "CliSession",
    "DeviceFactory",
    "DeviceKind",
    "DeviceSimError",
    "Reply",
    "SimDevice",
    "TreeDevice",
    "UnknownPlatformError",
    "device_kinds",
    "make_device",
    "platforms",
    "ssh_server_version",
]
