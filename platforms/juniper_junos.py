"""Juniper Junos routers, switches and SRX firewalls."""

from platforms.base import PlatformInfo

PLATFORM = PlatformInfo(
    name="juniper_junos",
    vendor="Juniper",
    os_name="Junos",
    roles=frozenset({"wan_router", "core_switch", "firewall"}),
    sys_object_id="1.3.6.1.4.1.2636.1.1.1.2.43",
    description="Juniper Junos routers, switches and SRX firewalls.",
    default_interfaces={"wan": "ge-0/0/0", "lan": "ge-0/0/1", "loopback": "lo0"},
    ansible_connection="ansible.netcommon.network_cli",
    ansible_network_os="junipernetworks.junos.junos",
)
