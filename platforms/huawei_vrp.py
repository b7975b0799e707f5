"""Huawei VRP routers and switches (AR, NetEngine, S series)."""

from platforms.base import PlatformInfo
from platforms.config import VRP
from platforms.netplatform import CliPlatform

PLATFORM = PlatformInfo(
    name="huawei_vrp",
    vendor="Huawei",
    os_name="VRP",
    roles=frozenset({"wan_router", "access_switch", "core_switch", "firewall"}),
    sys_object_id="1.3.6.1.4.1.2011.2.224.279",
    description="Huawei VRP routers and switches (AR, NetEngine, S series).",
    default_interfaces={
        "wan": "GigabitEthernet0/0/0",
        "lan": "GigabitEthernet0/0/1",
        "loopback": "LoopBack0",
    },
)

NETWORK = CliPlatform(name="huawei_vrp", syntax=VRP)
