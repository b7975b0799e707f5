"""Cisco IOS routers and switches (ISR, Catalyst): everything provnet knows about them.

``syntax.py`` (configuration layout and negation), ``show.py`` (show output parsers),
``session.py`` (Netmiko driver and configuration session, imported on connect); IOS XE
(``platforms/cisco_xe``) reuses all three.
"""

from __future__ import annotations

from platforms.base import PlatformInfo
from platforms.cisco_ios import show
from platforms.cisco_ios.syntax import IOS
from platforms.connection import SESSION_IMPORT
from platforms.netplatform import CliPlatform
from platforms.network import ConfigSession, ConnectParams

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
    switch_interfaces={"lan": "Vlan1"},
    ansible_connection="ansible.netcommon.network_cli",
    ansible_network_os="cisco.ios.ios",
    needs_enable=True,
)

# SNMPv3 protocols (inventory spelling) as `snmp-server user` words them.
SNMP_AUTH = {
    "MD5": "md5",
    "SHA": "sha",
    "SHA256": "sha-2 256",
    "SHA384": "sha-2 384",
    "SHA512": "sha-2 512",
}
SNMP_PRIV = {"AES": "aes 128", "AES192": "aes 192", "AES256": "aes 256", "DES": "des"}


def ios_network(name: str, filesystem: str) -> CliPlatform:
    """The IOS contract for ``name``, checkpoints kept on ``filesystem`` (``flash:``)."""

    def connector(params: ConnectParams) -> ConfigSession:
        with SESSION_IMPORT:
            from platforms.cisco_ios.session import connect

        return connect(name, params, filesystem)

    return CliPlatform(
        name=name,
        syntax=IOS,
        connector=connector,
        ipv6_command=show.IPV6_COMMAND,
        parse_ipv6=show.ipv6_by_interface,
        interfaces_command=show.INTERFACES_COMMAND,
        parse_interfaces=show.interface_status,
        liveness_command="show clock",
        snmp_auth_keywords=SNMP_AUTH,
        snmp_priv_keywords=SNMP_PRIV,
    )


NETWORK = ios_network("cisco_ios", filesystem="flash:")
