"""The address plan: blocks follow from (plan, plan_index) alone, never overlap, never move."""

from __future__ import annotations

import ipaddress
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml_rs
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.addressing import (
    IPNetwork,
    PlanError,
    SiteAllocation,
    allocate,
    find_overlaps,
    ipv4_block,
    ipv6_site_prefix,
    next_free_index,
)
from inventory.loader import Inventory
from inventory.model import AddressPlan, Ipv4Pool, Ipv6Plan, SiteAddressing
from inventory.official import find_province
from inventory.scaffold import commune_filename, scaffold
from inventory.validate import load_and_validate, load_valid

PROPERTY = settings(max_examples=150, deadline=None)

# --- strategies ----------------------------------------------------------------


@st.composite
def ipv6_plans(draw: st.DrawFn) -> Ipv6Plan:
    supernet_len = draw(st.integers(32, 48))
    site_len = draw(st.integers(max(48, supernet_len + 1), 60))
    # Any supernet of that length inside 2000::/3, aligned by construction.
    position = draw(st.integers(0, (1 << (supernet_len - 3)) - 1))
    base = (1 << 125) | (position << (128 - supernet_len))
    supernet = ipaddress.IPv6Network((base, supernet_len))
    return Ipv6Plan(supernet=supernet, site_prefix_length=site_len)


@st.composite
def ipv4_pools(draw: st.DrawFn) -> dict[str, Ipv4Pool]:
    """Up to four disjoint pools carved from distinct /12s of 10.0.0.0/8, as a plan has."""
    names = draw(st.lists(st.sampled_from(["lan", "mgmt", "wan", "loopback", "vc"]), unique=True))
    slots = draw(
        st.lists(st.integers(0, 15), min_size=len(names), max_size=len(names), unique=True)
    )
    pools: dict[str, Ipv4Pool] = {}
    for name, slot in zip(names, slots, strict=True):
        super_len = draw(st.integers(12, 26))
        offset = draw(st.integers(0, (1 << (super_len - 12)) - 1))
        base = int(ipaddress.IPv4Address("10.0.0.0")) + (slot << 20) + (offset << (32 - super_len))
        supernet = ipaddress.IPv4Network((base, super_len))
        prefix_length = draw(st.integers(super_len, min(32, super_len + 12)))
        pools[name] = Ipv4Pool(supernet=supernet, prefix_length=prefix_length)
    return pools


@st.composite
def address_plans(draw: st.DrawFn) -> AddressPlan:
    return AddressPlan(ipv6=draw(ipv6_plans()), ipv4=draw(ipv4_pools()))


def capacity(plan: AddressPlan) -> int:
    """How many sites the plan holds: the smallest pool, IPv6 included."""
    v6 = 1 << (plan.ipv6.site_prefix_length - plan.ipv6.supernet.prefixlen)
    return min([v6, *(pool.slots for pool in plan.ipv4.values())])


@st.composite
def plans_and_indices(draw: st.DrawFn) -> tuple[AddressPlan, set[int]]:
    plan = draw(address_plans())
    top = capacity(plan) - 1
    indices = draw(st.sets(st.integers(0, top), min_size=1, max_size=min(40, top + 1)))
    return plan, indices


def overlap(a: IPNetwork, b: IPNetwork) -> bool:
    return a.version == b.version and a.overlaps(b)  # type: ignore[arg-type]


# --- allocation properties -------------------------------------------------------


@PROPERTY
@given(plans_and_indices())
def test_no_two_sites_overlap(case: tuple[AddressPlan, set[int]]) -> None:
    plan, indices = case
    blocks = [(i, net) for i in sorted(indices) for _, net in allocate(plan, i).blocks()]
    for n, (i, a) in enumerate(blocks):
        for j, b in blocks[n + 1 :]:
            if i != j:
                assert not overlap(a, b), f"site {i} {a} overlaps site {j} {b}"


@PROPERTY
@given(plans_and_indices())
def test_blocks_lie_inside_their_supernets(case: tuple[AddressPlan, set[int]]) -> None:
    plan, indices = case
    for index in indices:
        allocation = allocate(plan, index)
        assert allocation.ipv6 is not None
        assert allocation.ipv6.subnet_of(plan.ipv6.supernet)
        assert allocation.ipv6.prefixlen == plan.ipv6.site_prefix_length
        assert set(allocation.ipv4) == set(plan.ipv4)
        for name, pool in plan.ipv4.items():
            assert allocation.ipv4[name].subnet_of(pool.supernet)
            assert allocation.ipv4[name].prefixlen == pool.prefix_length
        # The purpose /64s lie inside the site's prefix, one each, distinct.
        assert set(allocation.ipv6_subnets) == set(plan.ipv6.subnets)
        subnets = list(allocation.ipv6_subnets.values())
        assert len(set(subnets)) == len(subnets)
        for subnet in subnets:
            assert subnet.prefixlen == 64
            assert subnet.subnet_of(allocation.ipv6)


@PROPERTY
@given(plans_and_indices(), st.data())
def test_allocation_is_stable_under_insertion_and_removal(
    case: tuple[AddressPlan, set[int]], data: st.DataObject
) -> None:
    plan, indices = case
    before = {i: allocate(plan, i) for i in indices}
    removed = data.draw(st.sets(st.sampled_from(sorted(indices))), label="removed")
    top = capacity(plan) - 1
    added = data.draw(st.sets(st.integers(0, top), max_size=20), label="added") - indices
    after_indices = (indices - removed) | added
    # Allocate in a different order too: nothing may depend on what else exists.
    after = {i: allocate(plan, i) for i in sorted(after_indices, reverse=True)}
    for i in indices - removed:
        assert after[i] == before[i]
        assert after[i].blocks() == before[i].blocks()


@PROPERTY
@given(address_plans(), st.data())
def test_out_of_range_index_names_the_index_and_the_pool(
    plan: AddressPlan, data: st.DataObject
) -> None:
    v6_slots = 1 << (plan.ipv6.site_prefix_length - plan.ipv6.supernet.prefixlen)
    index = data.draw(
        st.one_of(st.integers(capacity(plan), capacity(plan) + 5000), st.integers(-1000, -1)),
        label="index",
    )
    with pytest.raises(PlanError) as caught:
        allocate(plan, index)
    message = str(caught.value)
    assert f"plan_index {index} " in message
    if not 0 <= index < v6_slots:
        assert str(plan.ipv6.supernet) in message
    else:
        # The first pool (in plan order) that cannot hold the index is named.
        name = next(n for n, p in plan.ipv4.items() if index >= p.slots)
        assert f"'{name}'" in message
        assert str(plan.ipv4[name].supernet) in message


def test_out_of_range_examples() -> None:
    plan = AddressPlan(
        ipv6=Ipv6Plan(supernet=ipaddress.IPv6Network("2001:db8::/40"), site_prefix_length=48),
        ipv4={"mgmt": Ipv4Pool(supernet=ipaddress.IPv4Network("10.0.0.0/24"), prefix_length=27)},
    )
    assert ipv6_site_prefix(plan.ipv6, 255) == ipaddress.IPv6Network("2001:db8:ff::/48")
    with pytest.raises(PlanError, match=r"plan_index 256 does not fit 2001:db8::/40 .*0\.\.255"):
        ipv6_site_prefix(plan.ipv6, 256)
    assert ipv4_block(plan.ipv4["mgmt"], 7, "mgmt") == ipaddress.IPv4Network("10.0.0.224/27")
    with pytest.raises(PlanError, match=r"plan_index 8 does not fit the IPv4 pool 'mgmt'.*0\.\.7"):
        allocate(plan, 8)
    # An index that only an override can hold: overriding the pool lifts the limit.
    overrides = SiteAddressing(ipv4={"mgmt": ipaddress.IPv4Network("192.0.2.0/27")})
    assert allocate(plan, 8, overrides).ipv4["mgmt"] == ipaddress.IPv4Network("192.0.2.0/27")


def test_overrides_replace_only_what_they_name() -> None:
    plan = AddressPlan(
        ipv6=Ipv6Plan(supernet=ipaddress.IPv6Network("2001:db8:2600::/40")),
        ipv4={
            "lan": Ipv4Pool(supernet=ipaddress.IPv4Network("10.38.0.0/17"), prefix_length=26),
            "mgmt": Ipv4Pool(supernet=ipaddress.IPv4Network("10.38.128.0/18"), prefix_length=27),
        },
    )
    plain = allocate(plan, 16)
    assert plain.ipv6 == ipaddress.IPv6Network("2001:db8:2600:1000::/56")
    assert plain.ipv4["mgmt"] == ipaddress.IPv4Network("10.38.130.0/27")
    assert str(plain.host("wan")) == "2001:db8:2600:1002::1/64"
    over = allocate(
        plan,
        16,
        SiteAddressing(
            ipv6=ipaddress.IPv6Network("2001:db8:ffff:ff00::/56"),
            ipv4={"extra": ipaddress.IPv4Network("192.0.2.0/24")},
        ),
    )
    assert over.ipv6 == ipaddress.IPv6Network("2001:db8:ffff:ff00::/56")
    assert over.ipv6_subnets["mgmt"] == ipaddress.IPv6Network("2001:db8:ffff:ff01::/64")
    assert over.ipv4["lan"] == plain.ipv4["lan"]
    assert over.ipv4["extra"] == ipaddress.IPv4Network("192.0.2.0/24")
    # No index and no override: nothing allocated.
    assert allocate(plan, None) == SiteAllocation(ipv6=None)


# --- find_overlaps against brute force --------------------------------------------------

SITES = st.sampled_from(["a", "b", "c", "d"])
BLOCK_NAMES = st.sampled_from(["ipv6", "ipv4.lan", "ipv4.mgmt"])


@st.composite
def small_networks(draw: st.DrawFn) -> IPNetwork:
    """Networks crowded into a small space so that overlaps are common."""
    if draw(st.booleans()):
        length = draw(st.integers(24, 32))
        offset = draw(st.integers(0, (1 << (length - 24)) - 1))
        return ipaddress.IPv4Network(
            (int(ipaddress.IPv4Address("10.0.0.0")) + (offset << (32 - length)), length)
        )
    length = draw(st.integers(120, 128))
    offset = draw(st.integers(0, (1 << (length - 120)) - 1))
    return ipaddress.IPv6Network(
        (int(ipaddress.IPv6Address("2001:db8::")) + (offset << (128 - length)), length)
    )


def brute_force(blocks: list[tuple[str, str, IPNetwork]]) -> Counter[frozenset[Any]]:
    found: Counter[frozenset[Any]] = Counter()
    for n, first in enumerate(blocks):
        for second in blocks[n + 1 :]:
            if (first[0], first[1]) != (second[0], second[1]) and overlap(first[2], second[2]):
                found[frozenset((first, second))] += 1
    return found


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(SITES, BLOCK_NAMES, small_networks()), max_size=14))
def test_find_overlaps_agrees_with_brute_force(blocks: list[tuple[str, str, IPNetwork]]) -> None:
    got = Counter(frozenset((o.first, o.second)) for o in find_overlaps(blocks))
    assert got == brute_force(blocks)
    for o in find_overlaps(blocks):
        assert (o.first[0], o.first[1]) != (o.second[0], o.second[1])


def test_find_overlaps_examples() -> None:
    net = ipaddress.ip_network
    blocks: list[tuple[str, str, IPNetwork]] = [
        ("a", "ipv4.lan", net("10.0.0.0/24")),
        ("b", "ipv4.lan", net("10.0.0.128/25")),  # inside a
        ("c", "ipv4.lan", net("10.0.1.0/24")),  # adjacent to a: no overlap
        ("d", "ipv6", net("::a00:0/120")),  # same integers as a, other family
    ]
    overlaps = find_overlaps(blocks)
    assert [(o.first[0], o.second[0]) for o in overlaps] == [("a", "b")]
    assert find_overlaps([]) == []


# --- next_free_index ------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 60)))
def test_next_free_index_is_the_smallest_unused(used: list[int]) -> None:
    index = next_free_index(used)
    assert index not in used
    assert all(i in used for i in range(index))


def test_next_free_index_examples() -> None:
    assert next_free_index([]) == 0
    assert next_free_index([0, 1, 2, 16, 17]) == 3
    assert next_free_index(iter([1, 0, 0, 2])) == 3
    assert next_free_index([5, 6]) == 0


# --- at inventory level: remove a commune, add one --------------------------------------


def allocations(inventory: Inventory) -> dict[str, SiteAllocation]:
    plan = inventory.settings.address_plan
    return {s.id: allocate(plan, s.plan_index, s.addressing) for _, s in inventory.sites()}


def renumber(document: dict[str, Any], plan: AddressPlan, old: int, new: int) -> None:
    """Move a scaffolded commune document from plan index ``old`` to ``new``."""
    before, after = allocate(plan, old), allocate(plan, new)
    for site in document["sites"]:
        site["plan_index"] = new
        for device in site["devices"]:
            mgmt = device["mgmt"]
            v4 = ipaddress.IPv4Address(mgmt["ipv4"])
            host4 = int(v4) - int(before.ipv4["mgmt"].network_address)
            mgmt["ipv4"] = str(after.ipv4["mgmt"].network_address + host4)
            v6 = ipaddress.IPv6Address(mgmt["ipv6"])
            host6 = int(v6) - int(before.ipv6_subnets["mgmt"].network_address)
            mgmt["ipv6"] = str(after.ipv6_subnets["mgmt"].network_address + host6)


def test_removing_and_adding_a_commune_moves_no_other_site(tmp_path: Path) -> None:
    province = find_province("38")
    root = tmp_path / "thanh_hoa"
    scaffold(province, root)
    before_inventory = load_valid(root)
    before = allocations(before_inventory)
    plan = before_inventory.settings.address_plan

    removed = province.communes[40]
    template = province.communes[41]
    (root / "communes" / commune_filename(removed)).unlink()
    removed_site = f"th-{removed.code}-ubnd"

    # The newcomer: a copy of another commune's file, with the removed commune's code,
    # new names and ids, and the next free index.
    middle = load_valid(root)
    used = [s.plan_index for _, s in middle.sites() if s.plan_index is not None]
    new_index = next_free_index(used)
    assert new_index not in used
    text = (root / "communes" / commune_filename(template)).read_text(encoding="utf-8")
    document = yaml_rs.loads(text)
    old_index = document["sites"][0]["plan_index"]
    document["code"], document["name"], document["type"] = removed.code, removed.name, removed.type
    site = document["sites"][0]
    site["id"] = site["id"].replace(template.code, removed.code)
    site["name"] = f"UBND {removed.name}"
    for device in site["devices"]:
        device["name"] = device["name"].replace(template.code, removed.code)
    renumber(document, plan, old_index, new_index)
    new_file = root / "communes" / f"{removed.code}-moi.yaml"
    new_file.write_text(str(yaml_rs.dumps(document)), encoding="utf-8")

    inventory, problems = load_and_validate(root)
    assert inventory is not None
    assert [p for p in problems if p.is_error] == [], [str(p) for p in problems]
    after = allocations(inventory)
    assert set(after) == set(before)  # same ids: the removed commune came back
    for site_id, allocation in before.items():
        if site_id != removed_site:
            assert after[site_id] == allocation, site_id
    assert after[removed_site] == allocate(plan, new_index)
    assert len(inventory.communes) == len(province.communes)
