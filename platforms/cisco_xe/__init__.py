"""Cisco IOS XE routers (ISR 4000, Catalyst 8000): IOS's syntax, parsers and session
(``platforms/cisco_ios``), checkpoints on ``bootflash:``."""

from __future__ import annotations

from platforms.base import PlatformInfo
from platforms.cisco_ios import ios_network

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
    switch_interfaces={"lan": "Vlan1"},
    ansible_connection="ansible.netcommon.network_cli",
    ansible_network_os="cisco.ios.ios",
    needs_enable=True,
)

NETWORK = ios_network("cisco_xe", filesystem="bootflash:")
