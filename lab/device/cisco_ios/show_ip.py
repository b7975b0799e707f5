"""Cisco IOS IP-level show commands (pure functions of the device): `show ip interface`,
`show ipv6 interface`, `show arp`, `show ip route ADDR [MASK]`, `show vrf`.

Layouts as IOS 15.x prints them; each is parsed in the tests by ntc-templates and by
napalm's ios driver (get_interfaces_ip, get_arp_table, get_route_to).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from lab.device.base import Route, arp_entries, connected_routes, eui64_link_local
from lab.device.cisco_ios.show import _interfaces, _status, static_routes
from lab.state import InterfaceState

if TYPE_CHECKING:
    from lab.device.cisco_ios.device import IosDevice

NOT_IN_TABLE = "% Network not in table\n"


def _settings(device: IosDevice, name: str, first: str) -> set[str]:
    node = device.config.find(f"interface {name}")
    if node is None:
        return set()
    return {c.text for c in node.children if c.words[:1] == [first] or c.words[:2] == ["no", first]}


def _pick(device: IosDevice, name: str | None) -> list[InterfaceState]:
    ifaces = _interfaces(device)
    return ifaces if name is None else [i for i in ifaces if i.name == name]


def show_ip_interface(device: IosDevice, name: str | None = None) -> str:
    out: list[str] = []
    for iface in _pick(device, name):
        status, proto = _status(iface)
        out.append(f"{iface.name} is {status}, line protocol is {proto}")
        if not iface.ipv4:
            out.append("  Internet protocol processing disabled")
            continue
        lines = _settings(device, iface.name, "ip")
        out.append(f"  Internet address is {iface.ipv4[0].with_prefixlen}")
        out.append("  Broadcast address is 255.255.255.255")
        method = "configuration" if iface.name in device.manual_addresses else "non-volatile memory"
        out.append(f"  Address determined by {method}")
        out += [f"  Secondary address {a.with_prefixlen}" for a in iface.ipv4[1:]]
        mtu = 1514 if iface.name.startswith("Loopback") else 1500
        acl_in = next((ln.split()[2] for ln in lines if ln.endswith(" in")), "")
        acl_out = next((ln.split()[2] for ln in lines if ln.endswith(" out")), "")
        out += [
            f"  MTU is {mtu} bytes",
            "  Helper address is not set",
            "  Directed broadcast forwarding is disabled",
            f"  Outgoing access list is {acl_out or 'not set'}",
            f"  Inbound  access list is {acl_in or 'not set'}",
            f"  Proxy ARP is {'disabled' if 'no ip proxy-arp' in lines else 'enabled'}",
            "  Local Proxy ARP is disabled",
            "  Security level is default",
            "  Split horizon is enabled",
            "  ICMP redirects are "
            + ("never sent" if "no ip redirects" in lines else "always sent"),
            "  ICMP unreachables are "
            + ("never sent" if "no ip unreachables" in lines else "always sent"),
            "  ICMP mask replies are never sent",
            "  IP fast switching is enabled",
            "  IP fast switching on the same interface is disabled",
            "  IP Flow switching is disabled",
            "  IP CEF switching is enabled",
            "  IP CEF switching turbo vector",
            "  IP multicast fast switching is enabled",
            "  IP multicast distributed fast switching is disabled",
            "  IP route-cache flags are Fast, CEF",
            "  Router Discovery is disabled",
            "  IP output packet accounting is disabled",
            "  IP access violation accounting is disabled",
            "  TCP/IP header compression is disabled",
            "  RTP/IP header compression is disabled",
            "  Policy routing is disabled",
            "  Network address translation is disabled",
            "  BGP Policy Mapping is disabled",
            "  Input features: MCI Check",
            "  IPv4 WCCP Redirect outbound is disabled",
            "  IPv4 WCCP Redirect inbound is disabled",
            "  IPv4 WCCP Redirect exclude is disabled",
        ]
    return "\n".join(out) + "\n" if out else ""


def _solicited(addr: ipaddress.IPv6Address) -> str:
    low = int(addr) & 0xFFFFFF
    return f"FF02::1:FF{low >> 16:02X}:{low & 0xFFFF:X}"


def show_ipv6_interface(device: IosDevice, name: str | None = None) -> str:
    out: list[str] = []
    for iface in _pick(device, name):
        if not (iface.ipv6_enabled or iface.ipv6):
            continue
        status, proto = _status(iface)
        link_local = eui64_link_local(iface.mac)
        out += [
            f"{iface.name} is {status}, line protocol is {proto}",
            f"  IPv6 is enabled, link-local address is {str(link_local).upper()} ",
            "  No Virtual link-local address(es):",
        ]
        if iface.ipv6:
            out.append("  Global unicast address(es):")
            out += [
                f"    {str(a.ip).upper()}, subnet is {str(a.network).upper()} " for a in iface.ipv6
            ]
        groups = ["FF02::1", "FF02::2", _solicited(link_local)]
        groups += [_solicited(a.ip) for a in iface.ipv6 if _solicited(a.ip) not in groups]
        mtu = 1514 if iface.name.startswith("Loopback") else 1500
        out += [
            "  Joined group address(es):",
            *(f"    {g}" for g in groups),
            f"  MTU is {mtu} bytes",
            "  ICMP error messages limited to one every 100 milliseconds",
            "  ICMP redirects are enabled",
            "  ICMP unreachables are sent",
            "  ND DAD is enabled, number of DAD attempts: 1",
            "  ND reachable time is 30000 milliseconds (using 30000)",
            "  ND advertised reachable time is 0 (unspecified)",
            "  ND advertised retransmit interval is 0 (unspecified)",
            "  ND router advertisements are sent every 200 seconds",
            "  ND router advertisements live for 1800 seconds",
            "  ND advertised default router preference is Medium",
            "  Hosts use stateless autoconfig for addresses.",
        ]
    return "\n".join(out) + "\n" if out else ""


def _dotted(mac: str) -> str:
    digits = mac.replace(":", "").replace(".", "").replace("-", "").lower()
    return ".".join(digits[i : i + 4] for i in range(0, 12, 4))


def show_arp(device: IosDevice) -> str:
    """Own addresses (age ``-``) and the next hops of the static routes in use."""
    out = ["Protocol  Address          Age (min)  Hardware Addr   Type   Interface"]
    virtual = ("Loopback", "Tunnel", "Null")
    for e in arp_entries(device.state, static_routes(device, 4), virtual):
        age = "0" if e.learnt else "-"
        out.append(f"Internet  {e.ip!s:<15} {age:>10}   {_dotted(e.mac)}  ARPA   {e.interface}")
    return "\n".join(out) + "\n"


def _lookup(
    device: IosDevice, address: ipaddress.IPv4Address, mask: ipaddress.IPv4Address | None
) -> Route | None:
    routes = connected_routes(device.state, 4) + static_routes(device, 4)
    if mask is not None:
        wanted = ipaddress.IPv4Network(f"{address}/{mask}", strict=False)
        return next((r for r in routes if r.prefix == wanted), None)
    best = [r for r in routes if address in r.prefix]
    return max(best, key=lambda r: (r.prefix.prefixlen, r.protocol == "L"), default=None)


def show_ip_route_entry(device: IosDevice, address: str, mask: str | None) -> str:
    """`show ip route ADDR [MASK]`: the routing entry that covers ADDR, in detail."""
    addr = ipaddress.IPv4Address(address)
    route = _lookup(device, addr, ipaddress.IPv4Address(mask) if mask else None)
    if route is None:
        return NOT_IN_TABLE
    prefix = route.prefix
    assert isinstance(prefix, ipaddress.IPv4Network)
    supernet = ", supernet" if prefix.prefixlen < _classful_length(prefix) else ""
    head = f"Routing entry for {prefix}{supernet}"
    if route.protocol == "S":
        default = ", candidate default path" if prefix.prefixlen == 0 else ""
        hop = route.nexthop or "directly connected"
        via = "" if route.nexthop else f", via {route.interface}"
        return (
            f'{head}\n  Known via "static", distance {route.distance}, metric 0{default}\n'
            "  Routing Descriptor Blocks:\n"
            f"  * {hop}{via}\n      Route metric is 0, traffic share count is 1\n"
        )
    kind = "connected" if route.protocol == "C" else "local"
    return (
        f'{head}\n  Known via "connected", distance 0, metric 0 ({kind}, via interface)\n'
        "  Routing Descriptor Blocks:\n"
        f"  * directly connected, via {route.interface}\n"
        "      Route metric is 0, traffic share count is 1\n"
    )


def _classful_length(prefix: ipaddress.IPv4Network) -> int:
    first = int(prefix.network_address) >> 24
    return 8 if first < 128 else 16 if first < 192 else 24


def show_vrf(device: IosDevice) -> str:
    """`show vrf`: the VRFs of the configuration, their RD, protocols and interfaces."""
    rows: list[str] = []
    for node in device.config.top:
        w = node.words
        if len(w) < 3 or w[:2] not in (["vrf", "definition"], ["ip", "vrf"]):
            continue
        name = w[2]
        rd = next((c.words[1] for c in node.children if c.words[:1] == ["rd"]), "<not set>")
        families = [c.words[1] for c in node.children if c.words[:1] == ["address-family"]]
        protocols = ",".join(families) or ("ipv4" if w[0] == "ip" else "<not set>")
        members = [
            i.name
            for i in _interfaces(device)
            if f"vrf forwarding {name}" in _settings(device, i.name, "vrf")
            or f"ip vrf forwarding {name}" in _settings(device, i.name, "ip")
        ]
        rows.append(f"  {name:<32} {rd:<21} {protocols:<11} {', '.join(members)}".rstrip())
    if not rows:
        return ""
    head = f"  {'Name':<32} {'Default RD':<21} {'Protocols':<11} Interfaces"
    return "\n".join([head, *rows]) + "\n"
