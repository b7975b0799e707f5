"""The level-II WAN (TSLCD cấp II) on a commune or province router (Cisco IOS / IOS XE,
Huawei VRP): the VRF of the level-II uplink circuit, the uplink interface or VLAN
sub-interface toward the provider edge addressed from the plan, the LAN in the VRF
(``data.lan_in_vrf``), and the default route toward the PE: static, or OSPF when
``data.wan_routing: ospf``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deploys.network.base import PostCheck
from deploys.network.checks import SnmpAnswers, SshReachable
from deploys.network.context import (
    change_data,
    device_context,
    lan,
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

ROLES = frozenset({Role.WAN_ROUTER})


class Level2Wan:
    name = "level2_wan"
    description = (
        "Kết nối mạng truyền số liệu chuyên dùng cấp II: VRF, cổng WAN, định tuyến "
        "(level-II WAN: VRF, uplink interface, routing toward the provider edge)"
    )
    after: tuple[str, ...] = ()

    def skip_reason(self, device: DeviceView) -> str | None:
        return skip_for(device, ROLES, PLATFORMS)

    def context(self, inventory: Inventory, device: DeviceView) -> dict[str, Any]:
        return {
            **device_context(inventory, device),
            "wan": wan(inventory, device).context(),
            "lan": lan(inventory, device).context(),
            "lan_in_vrf": change_data(device).lan_in_vrf,
        }

    def render(self, inventory: Inventory, device: DeviceView) -> Intent:
        return render(FOLDER, device.platform, self.context(inventory, device))

    def post_checks(self, device: DeviceView) -> list[PostCheck]:
        return [SshReachable(), SnmpAnswers()]


CHANGE = Level2Wan()
