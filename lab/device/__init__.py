"""Simulated network devices of the province twin: CLI engines and the SSH server.

``make_device(state)`` builds the engine for ``state.platform`` (``cisco_ios``,
``cisco_xe``, ``huawei_vrp``, ``cisco_tp``); ``SshTwinServer`` (``lab.device.server``)
serves many of them from one asyncio process.
"""

from __future__ import annotations

from lab.device.base import (
    CliSession,
    DeviceSimError,
    Reply,
    SimDevice,
    TreeDevice,
    UnknownPlatformError,
)
from lab.device.cisco_ios import IosDevice, IosXeDevice
from lab.device.cisco_tp import TpDevice
from lab.device.huawei_vrp import VrpDevice
from lab.state import DeviceState

PLATFORMS: dict[str, type[IosDevice] | type[VrpDevice] | type[TpDevice]] = {
    "cisco_ios": IosDevice,
    "cisco_xe": IosXeDevice,
    "huawei_vrp": VrpDevice,
    "huawei": VrpDevice,
    "cisco_tp": TpDevice,
}


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


__all__ = [
    "PLATFORMS",
    "CliSession",
    "DeviceSimError",
    "IosDevice",
    "IosXeDevice",
    "Reply",
    "SimDevice",
    "TpDevice",
    "TreeDevice",
    "UnknownPlatformError",
    "VrpDevice",
    "make_device",
]
