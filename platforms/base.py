"""What provnet knows about one kind of device: ``PLATFORM`` of each ``platforms/<platform>``."""

from __future__ import annotations

from dataclasses import dataclass, field

from provnet.errors import ProvnetError


class PlatformError(ProvnetError):
    """Root of the platforms room's errors."""


class UnknownPlatform(PlatformError, LookupError):
    """A platform name provnet does not know (or cannot change)."""


SWITCH_ROLES = frozenset({"access_switch", "core_switch"})


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
    # Interfaces a freshly scaffolded device of this platform has, by purpose; a switch's
    # (``switch_interfaces``: its LAN is a VLAN interface, its ports are switch ports) when
    # the platform serves switch roles too.
    default_interfaces: dict[str, str] = field(default_factory=dict)
    switch_interfaces: dict[str, str] = field(default_factory=dict)
    # How Ansible reaches it ("ansible.netcommon.network_cli", "ssh"; "": no way it knows)
    # and, over network_cli, which network OS plugin ("cisco.ios.ios").
    ansible_connection: str = ""
    ansible_network_os: str = ""
    # Privileged mode is entered with `enable` and the enable secret (IOS).
    needs_enable: bool = False
    # A machine pyinfra changes (a POSIX shell over SSH).
    pyinfra_target: bool = False

    def interfaces_for(self, role: str) -> dict[str, str]:
        """The default interfaces of a device of this platform in ``role`` (a role's value,
        ``access_switch``): a switch's LAN is its VLAN interface, a router's a routed port."""
        if role in SWITCH_ROLES and self.switch_interfaces:
            return self.switch_interfaces
        return self.default_interfaces
