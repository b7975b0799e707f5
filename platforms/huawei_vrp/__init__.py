"""Huawei VRP routers and switches (AR, NetEngine, S series): everything provnet knows
about them.

``syntax.py`` (configuration layout and negation), ``show.py`` (display output parsers),
``session.py`` (Netmiko driver and configuration session, imported on connect).
"""

from __future__ import annotations

from platforms.base import PlatformInfo
from platforms.connection import SESSION_IMPORT
from platforms.huawei_vrp import show
from platforms.huawei_vrp.syntax import VRP
from platforms.netplatform import CliPlatform
from platforms.network import ConfigSession, ConnectParams

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
    switch_interfaces={"lan": "Vlanif1"},
    ansible_connection="ansible.netcommon.network_cli",
    ansible_network_os="community.network.ce",
)

# SNMPv3 protocols (inventory spelling) as `snmp-agent usm-user` words them.
SNMP_AUTH = {
    "MD5": "md5",
    "SHA": "sha",
    "SHA224": "sha2-224",
    "SHA256": "sha2-256",
    "SHA384": "sha2-384",
    "SHA512": "sha2-512",
}
SNMP_PRIV = {"AES": "aes128", "AES192": "aes192", "AES256": "aes256", "DES": "des56"}


def _connect(params: ConnectParams) -> ConfigSession:
    with SESSION_IMPORT:
        from platforms.huawei_vrp.session import connect

    return connect(PLATFORM.name, params)


NETWORK = CliPlatform(
    name=PLATFORM.name,
    syntax=VRP,
    connector=_connect,
    ipv6_command=show.IPV6_COMMAND,
    parse_ipv6=show.ipv6_by_interface,
    interfaces_command=show.INTERFACES_COMMAND,
    parse_interfaces=show.interface_status,
    liveness_command="display clock",
    snmp_auth_keywords=SNMP_AUTH,
    snmp_priv_keywords=SNMP_PRIV,
)
