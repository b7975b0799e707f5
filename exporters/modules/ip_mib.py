"""Built-in module ``ip_mib``: how many unicast addresses a device has, and whether it has
IPv6, from IP-MIB ipAddressTable (falling back to ipAdEntAddr for IPv4).

* ``provnet_ip_addresses{family="ipv4"|"ipv6"}``: unicast addresses, loopback and
  link-local excluded;
* ``provnet_ipv6_enabled``: 1 when at least one global IPv6 address is configured.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from exporters.module import MetricFamily
from exporters.snmp.builtin import Builtin
from exporters.snmp.config import Module
from exporters.snmp.series import Pdus
from inventory.model import Role

IP_ADDRESS_TYPE = "1.3.6.1.2.1.4.34.1.4"
"""ipAddressType, indexed by ipAddressAddrType.length.octets; unicast(1)."""
IP_AD_ENT_ADDR = "1.3.6.1.2.1.4.20.1.1"
UNICAST = 1
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_of(index: str) -> Address | None:
    """The address in an ipAddressTable index (``1.4.a.b.c.d`` or ``2.16.x...``);
    None for zoned (ipv4z/ipv6z) or malformed ones."""
    try:
        arcs = [int(a) for a in index.split(".")]
    except ValueError:
        return None
    if len(arcs) < 2 or arcs[1] != len(arcs) - 2 or any(a > 255 for a in arcs[2:]):
        return None
    if arcs[0] == 1 and arcs[1] == 4:
        return ipaddress.IPv4Address(bytes(arcs[2:]))
    if arcs[0] == 2 and arcs[1] == 16:
        return ipaddress.IPv6Address(bytes(arcs[2:]))
    return None


def counted(address: Address) -> bool:
    return not (
        address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
    )


def addresses(pdus: Pdus) -> list[Address]:
    """Unicast addresses of the device, loopback and link-local excluded."""
    found: list[Address] = []
    prefix = IP_ADDRESS_TYPE + "."
    for oid, value in pdus.items():
        if oid.startswith(prefix) and value == UNICAST:
            address = address_of(oid[len(prefix) :])
            if address is not None and counted(address):
                found.append(address)
    if not any(a.version == 4 for a in found):
        legacy = IP_AD_ENT_ADDR + "."
        for oid, value in pdus.items():
            if oid.startswith(legacy) and isinstance(value, str):
                try:
                    v4 = ipaddress.IPv4Address(value)
                except ValueError:
                    continue
                if counted(v4):
                    found.append(v4)
    return found


def derive(pdus: Pdus, params: Mapping[str, str]) -> list[MetricFamily]:
    found = addresses(pdus)
    count = MetricFamily(
        "provnet_ip_addresses",
        "gauge",
        "Unicast IP addresses configured on the device, loopback and link-local excluded.",
    )
    count.add(float(sum(a.version == 4 for a in found)), family="ipv4")
    count.add(float(sum(a.version == 6 for a in found)), family="ipv6")
    enabled = MetricFamily(
        "provnet_ipv6_enabled", "gauge", "1 when the device has at least one global IPv6 address."
    )
    enabled.add(1.0 if any(a.version == 6 for a in found) else 0.0)
    return [count, enabled]


MODULE = Builtin(
    module=Module(name="ip_mib", walk=(IP_ADDRESS_TYPE, IP_AD_ENT_ADDR)),
    needs_get=(),
    needs_walk=(IP_ADDRESS_TYPE, IP_AD_ENT_ADDR),
    derive=derive,
    roles=frozenset({Role.WAN_ROUTER}),
    order=2,
)
