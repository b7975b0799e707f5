"""IPv6 migration (IPv6 For Gov) of routers, switches and firewalls (Cisco IOS / IOS XE,
Huawei VRP): IPv6 forwarding, dual-stack addresses from the address plan on the WAN and
the LAN of a router (the LAN only on a switch or a firewall), the IPv6 default route
(toward the provider edge in the level-II VRF, or OSPFv3; toward the site's router on a
switch), and the IPv6 management ACL on the vty lines. IPv4 is left as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deploys.network.base import PostCheck
from deploys.network.checks import Ipv6Address, SnmpAnswers, SshReachable
from deploys.network.context import (
    NETWORK_ROLES,
    device_context,
    lan,
    management_acl,
    render,
    skip_for,
    wan,
)
from deploys.network.render import template_platforms
from inventory.loader import Inventory
from inventory.model import Role
from inventory.resolve import DeviceView
from platforms.network import Intent

# The change's own folder: one template per platform it supports (``<platform>.j2``).
FOLDER = Path(__file__).resolve().parent
PLATFORMS = template_platforms(FOLDER)


class Ipv6Migration:
    name = "ipv6_migration"
    description = (
        "Chuyển đổi IPv6: địa chỉ song song IPv4/IPv6 trên WAN và LAN, tuyến mặc định, "
        "ACL quản trị IPv6 (IPv6 migration: dual-stack WAN and LAN, default route, "
        "IPv6 management ACL)"
    )
    # Binding an interface to the level-II VRF drops its addresses, IPv6 ones included.
    after: tuple[str, ...] = ("level2_wan",)

    def skip_reason(self, device: DeviceView) -> str | None:
        return skip_for(device, NETWORK_ROLES, PLATFORMS)

    def context(self, inventory: Inventory, device: DeviceView) -> dict[str, Any]:
        router = device.role is Role.WAN_ROUTER
        return {
            **device_context(inventory, device),
            "router": router,
            "wan": wan(inventory, device).context() if router else None,
            "lan": lan(inventory, device).context(),
            "acl": management_acl(inventory),
        }

    def render(self, inventory: Inventory, device: DeviceView) -> Intent:
        return render(FOLDER, device.platform, self.context(inventory, device))

    def post_checks(self, device: DeviceView) -> list[PostCheck]:
        return [Ipv6Address(), SshReachable(), SnmpAnswers()]


CHANGE = Ipv6Migration()
