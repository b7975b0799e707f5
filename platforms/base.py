"""What provnet knows about one kind of device; one file per platform beside this one."""

from __future__ import annotations

from dataclasses import dataclass, field

from provnet.errors import ProvnetError


class PlatformError(ProvnetError):
    """Root of the platforms room's errors."""


class UnknownPlatform(PlatformError, LookupError):
    pass


@dataclass(frozen=True)
class PlatformInfo:
    """A platform, named by its Netmiko device_type.

    Example::

        PlatformInfo(name="cisco_ios", vendor="Cisco", os_name="IOS",
                     roles=frozenset({"wan_router", "access_switch"}),
                     sys_object_id="1.3.6.1.4.1.9.1.1208")
    """

    name: str
    vendor: str
    os_name: str
    roles: frozenset[str]
    sys_object_id: str
    description: str = ""
    # Interfaces a freshly scaffolded device of this platform has, by purpose.
    default_interfaces: dict[str, str] = field(default_factory=dict)
