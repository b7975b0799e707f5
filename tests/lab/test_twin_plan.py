"""Planning the twin and its overlay: decisions only, no servers."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from inventory.resolve import iter_devices
from inventory.select import select_devices
from inventory.validate import load_valid
from lab.control import write_overlay
from lab.twin import (
    device_prefixes,
    expand_to_sites,
    loopback_address,
    plan_twin,
    secrets_file_values,
    spec_from_json,
    spec_to_json,
)


def test_loopback_addresses_are_unique_and_skip_network_and_broadcast() -> None:
    base = ipaddress.IPv4Address("127.1.0.0")
    addresses = [loopback_address(base, i) for i in range(2000)]
    assert len(set(addresses)) == 2000
    assert all(a in ipaddress.IPv4Network("127.0.0.0/8") for a in addresses)
    assert all(int(a) & 0xFF not in (0, 255) for a in addresses)


def test_loopback_address_outside_127_is_refused() -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.0/8"):
        loopback_address(ipaddress.IPv4Address("127.255.255.0"), 600)


def test_plan_simulates_whole_sites_and_no_servers(example_inventory: Path) -> None:
    inv = load_valid(example_inventory)
    everything = list(iter_devices(inv))
    chosen = expand_to_sites(everything, select_devices(everything, ["th-14758-rtr1", "th-dc-*"]))
    spec = plan_twin(inv, chosen)
    names = {d.name for d in spec.devices}
    assert {"th-14758-rtr1", "th-14758-sw1", "th-14758-vc1", "th-dc-rtr1", "th-dc-fw1"} <= names
    assert not any(d.role == "server" for d in spec.devices)
    router = spec.device("th-14758-rtr1")
    state = router.new_state()
    assert state.hostname == "th-14758-rtr1"
    wan = next(i for i in state.interfaces.values() if i.description.startswith("TSLCD"))
    assert wan.ipv4
    assert wan.oper_up
    assert not any(i.ipv6 for i in state.interfaces.values())


@pytest.mark.parametrize(
    ("base", "limit", "blocks"),
    [
        ("127.1.0.0", "*", ["127.1.0.0/23"]),  # 503 devices: two blocks of 254
        ("127.1.0.0", "commune=14758", ["127.1.0.0/24"]),
        # From 127.0.0.0 the servers' own 127.0.0.0/24 (their 127.0.0.1) is never routed out.
        ("127.0.0.0", "*", ["127.0.1.0/24"]),
    ],
)
def test_servers_route_the_blocks_of_the_twins_devices(
    example_inventory: Path, base: str, limit: str, blocks: list[str]
) -> None:
    inv = load_valid(example_inventory)
    chosen = select_devices(list(iter_devices(inv)), [limit])
    spec = plan_twin(inv, chosen, ipaddress.IPv4Address(base))
    assert [str(b) for b in device_prefixes(spec)] == blocks


def test_spec_round_trips_through_json(example_inventory: Path) -> None:
    inv = load_valid(example_inventory)
    spec = plan_twin(inv, select_devices(list(iter_devices(inv)), ["commune=14758"]))
    assert spec_from_json(spec_to_json(spec)) == spec


def test_overlay_points_only_at_the_twin_and_validates(
    example_inventory: Path, tmp_path: Path
) -> None:
    inv = load_valid(example_inventory)
    everything = list(iter_devices(inv))
    spec = plan_twin(inv, expand_to_sites(everything, select_devices(everything, ["*ham rong*"])))
    write_overlay(inv.root, spec, tmp_path / "overlay")
    overlay = load_valid(tmp_path / "overlay")
    views = list(iter_devices(overlay))
    assert {v.name for v in views} == {d.name for d in spec.devices}
    for view in views:
        assert view.mgmt_ipv4 is not None
        assert view.mgmt_ipv4.is_loopback
        assert view.mgmt_ipv6 is None
        assert view.snmp_port == spec.device(view.name).snmp_port
    # Secrets in the overlay are references to the lab secrets file, never values.
    text = (tmp_path / "overlay" / "province.yaml").read_text(encoding="utf-8")
    for value in secrets_file_values(spec).values():
        assert value not in text
    assert "secret: ssh-netops.password" in text
