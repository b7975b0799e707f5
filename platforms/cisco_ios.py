"""Cisco IOS routers and switches (ISR, Catalyst)."""

from platforms.base import PlatformInfo
from platforms.config import IOS
from platforms.netplatform import CliPlatform

PLATFORM = PlatformInfo(
    name="cisco_ios",
    vendor="Cisco",
    os_name="IOS",
    roles=frozenset({"wan_router", "access_switch", "core_switch"}),
    sys_object_id="1.3.6.1.4.1.9.1.2068",
    description="Cisco IOS routers and switches (ISR, Catalyst).",
    default_interfaces={
        "wan": "GigabitEthernet0/0",
        "lan": "GigabitEthernet0/1",
        "loopback": "Loopback0",
    },
)

NETWORK = CliPlatform(name="cisco_ios", syntax=IOS, filesystem="flash:")
