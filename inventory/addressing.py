"""The address plan: each site's prefixes follow from the plan and the site's ``plan_index``.

Allocation is a pure function of (plan, index), so adding or removing a commune
never renumbers any other site. A site may override any block; overrides are
checked for overlap against every other block in the inventory.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from inventory.errors import InventoryError
from inventory.model import AddressPlan, Ipv4Pool, Ipv6Plan, SiteAddressing

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# plan_index 0..15 are kept for province-level sites; communes take 16 onwards.
PROVINCE_SITE_SLOTS = 16


class PlanError(InventoryError, ValueError):
    """A site whose index does not fit the plan."""


@dataclass(frozen=True)
class SiteAllocation:
    ipv6: ipaddress.IPv6Network | None
    ipv6_subnets: Mapping[str, ipaddress.IPv6Network] = field(default_factory=dict)
    ipv4: Mapping[str, ipaddress.IPv4Network] = field(default_factory=dict)

    def blocks(self) -> list[tuple[str, IPNetwork]]:
        """Every top-level block the site holds: its IPv6 prefix and each IPv4 block."""
        out: list[tuple[str, IPNetwork]] = []
        if self.ipv6 is not None:
            out.append(("ipv6", self.ipv6))
        out.extend((f"ipv4.{pool}", net) for pool, net in self.ipv4.items())
        return out

    def host(self, purpose: str, offset: int = 1) -> ipaddress.IPv6Interface:
        """The ``offset``-th address of an IPv6 purpose subnet, e.g. ``::1/64`` of ``wan``."""
        subnet = self.ipv6_subnets[purpose]
        return ipaddress.IPv6Interface(f"{subnet.network_address + offset}/{subnet.prefixlen}")


def ipv6_site_prefix(plan: Ipv6Plan, index: int) -> ipaddress.IPv6Network:
    size = 1 << (128 - plan.site_prefix_length)
    slots = 1 << (plan.site_prefix_length - plan.supernet.prefixlen)
    if not 0 <= index < slots:
        raise PlanError(
            f"plan_index {index} does not fit {plan.supernet} "
            f"(/{plan.site_prefix_length} per site: 0..{slots - 1})"
        )
    base = int(plan.supernet.network_address) + index * size
    return ipaddress.IPv6Network((base, plan.site_prefix_length))


def ipv6_subnet(site_prefix: ipaddress.IPv6Network, index: int) -> ipaddress.IPv6Network:
    base = int(site_prefix.network_address) + index * (1 << 64)
    return ipaddress.IPv6Network((base, 64))


def ipv4_block(pool: Ipv4Pool, index: int, name: str) -> ipaddress.IPv4Network:
    if not 0 <= index < pool.slots:
        raise PlanError(
            f"plan_index {index} does not fit the IPv4 pool '{name}' {pool.supernet} "
            f"(/{pool.prefix_length} per site: 0..{pool.slots - 1})"
        )
    size = 1 << (32 - pool.prefix_length)
    base = int(pool.supernet.network_address) + index * size
    return ipaddress.IPv4Network((base, pool.prefix_length))


def allocate(
    plan: AddressPlan, index: int | None, overrides: SiteAddressing | None = None
) -> SiteAllocation:
    """The blocks of one site. Raises :class:`PlanError` when the index does not fit."""
    overrides = overrides or SiteAddressing()
    v6 = overrides.ipv6
    if v6 is None and index is not None:
        v6 = ipv6_site_prefix(plan.ipv6, index)
    subnets: dict[str, ipaddress.IPv6Network] = {}
    if v6 is not None and v6.prefixlen <= 64:
        subnets = {
            p: ipv6_subnet(v6, i)
            for p, i in plan.ipv6.subnets.items()
            if i < (1 << (64 - v6.prefixlen))
        }
    v4: dict[str, ipaddress.IPv4Network] = {}
    for name, pool in plan.ipv4.items():
        if name in overrides.ipv4:
            v4[name] = overrides.ipv4[name]
        elif index is not None:
            v4[name] = ipv4_block(pool, index, name)
    for name, net in overrides.ipv4.items():
        v4.setdefault(name, net)
    return SiteAllocation(ipv6=v6, ipv6_subnets=subnets, ipv4=v4)


@dataclass(frozen=True)
class Overlap:
    first: tuple[str, str, IPNetwork]  # (site id, block name, network)
    second: tuple[str, str, IPNetwork]


def find_overlaps(blocks: Iterable[tuple[str, str, IPNetwork]]) -> list[Overlap]:
    """Every pair of distinct blocks that overlap, in one sorted sweep per address family."""
    overlaps: list[Overlap] = []
    by_family: dict[int, list[tuple[int, int, str, str, IPNetwork]]] = {4: [], 6: []}
    for site, name, net in blocks:
        start = int(net.network_address)
        by_family[net.version].append((start, start + net.num_addresses - 1, site, name, net))
    for entries in by_family.values():
        entries.sort(key=lambda e: (e[0], -e[1]))
        active: list[tuple[int, int, str, str, IPNetwork]] = []
        for entry in entries:
            active = [a for a in active if a[1] >= entry[0]]
            overlaps.extend(
                Overlap((a[2], a[3], a[4]), (entry[2], entry[3], entry[4]))
                for a in active
                if (a[2], a[3]) != (entry[2], entry[3])
            )
            active.append(entry)
    return overlaps


def next_free_index(used: Iterable[int], start: int = 0) -> int:
    """The lowest index from ``start`` that no site uses."""
    taken = set(used)
    index = start
    while index in taken:
        index += 1
    return index
