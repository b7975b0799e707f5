"""Cisco IOS XE routers (ISR 4000, Catalyst 8000)."""

from platforms.base import PlatformInfo
from platforms.config import IOS
from platforms.netplatform import CliPlatform

PLATFORM = PlatformInfo(
    name="cisco_xe",
    vendor="Cisco",
    os_name="IOS XE",
    roles=frozenset({"wan_router", "access_switch", "core_switch"}),
    sys_object_id="1.3.6.1.4.1.9.1.2372",
    description="Cisco IOS XE routers (ISR 4000, Catalyst 8000).",
    default_interfaces={
        "wan": "GigabitEthernet0/0/0",
        "lan": "GigabitEthernet0/0/1",
        "loopback": "Loopback0",
    },
)

NETWORK = CliPlatform(name="cisco_xe", syntax=IOS, filesystem="bootflash:")
