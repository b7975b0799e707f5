"""Video-conference endpoints (Cisco TelePresence / RoomOS): SIP registration to the
province's registrar (``data.sip_registrar``, URI ``<device>@<data.sip_domain>``), NTP,
SNMP (read-only), syslog, and IPv6 from the site's LAN /64, as xConfiguration settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deploys.network.base import PostCheck
from deploys.network.checks import Ipv6Address, SipRegistered, SnmpAnswers
from deploys.network.context import (
    ChangeDataError,
    change_data,
    device_context,
    lan,
    render,
    skip_for,
)
from deploys.network.render import template_platforms
from inventory.loader import Inventory
from inventory.model import Role
from inventory.resolve import DeviceView
from platforms.network import Intent

# The change's own folder: one template per platform it supports (``<platform>.j2``).
FOLDER = Path(__file__).resolve().parent
PLATFORMS = template_platforms(FOLDER)

ROLES = frozenset({Role.VC_ENDPOINT})


class VcEndpoint:
    name = "vc_endpoint"
    description = (
        "Cấu hình điểm cầu truyền hình trực tuyến: SIP, NTP, SNMP, IPv6 "
        "(VC endpoint: SIP registration, NTP, SNMP, IPv6)"
    )
    after: tuple[str, ...] = ()

    def skip_reason(self, device: DeviceView) -> str | None:
        return skip_for(device, ROLES, PLATFORMS)

    def context(self, inventory: Inventory, device: DeviceView) -> dict[str, Any]:
        data = change_data(device)
        if data.sip_registrar is None:
            raise ChangeDataError(
                f"device {device.name}: data.sip_registrar is not set (on the device, its "
                "site, a group or the defaults): the SIP registrar is unknown"
            )
        domain = data.sip_domain or data.sip_registrar
        base = device_context(inventory, device)
        return {
            **base,
            "sip": {
                "uri": f"{device.name}@{domain}",
                "registrar": data.sip_registrar,
                "display_name": device.site.name or device.name,
            },
            "snmp_location": f"{device.commune_name or inventory.settings.province.name}"
            f" / {device.site.id}",
            "lan": lan(inventory, device).context(),
        }

    def render(self, inventory: Inventory, device: DeviceView) -> Intent:
        return render(FOLDER, device.platform, self.context(inventory, device))

    def post_checks(self, device: DeviceView) -> list[PostCheck]:
        return [SipRegistered(), Ipv6Address(), SnmpAnswers()]


CHANGE = VcEndpoint()
