"""napalm-huawei-vrp's getters against the twin's huawei_vrp router (an AR2200 on V200R010).

The driver was written against S-series switches: where it reads a field the AR prints
differently (`display version`'s model and version), it says "Unknown" against a real AR
too, and the twin answers as the AR does. What it can read is checked against the twin's
plan and against what the router was told over SSH.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import napalm
import pytest
from napalm.base import NetworkDriver

from lab.twin import spec_from_json
from tests.lab.clients.conftest import VRP_ROUTER
from tests.platforms.twin import TwinDevices


@pytest.fixture
def vrp(twin: TwinDevices) -> Iterator[NetworkDriver]:
    p = twin.params[VRP_ROUTER]
    device = napalm.get_network_driver("huawei_vrp")(
        p.host, p.username, p.password, timeout=30, optional_args={"port": p.port}
    )
    device.open()
    try:
        yield device
    finally:
        device.close()


def test_vrp_getters_read_what_the_router_has(vrp: NetworkDriver, twin: TwinDevices) -> None:
    planned = spec_from_json((twin.up.state_dir / "twin.json").read_text(encoding="utf-8"))
    plan = {i["name"]: i for i in planned.device(VRP_ROUTER).interfaces}

    facts = vrp.get_facts()
    assert facts["hostname"] == VRP_ROUTER and facts["vendor"] == "Huawei"
    assert facts["interface_list"] == [*plan, "NULL0"]  # every VRP box has NULL0
    esn = vrp.cli(["display esn"])["display esn"]
    assert facts["serial_number"] == [esn.split(": ", 1)[1].strip()]

    addresses = vrp.get_interfaces_ip()
    for name, interface in plan.items():
        ip, length = interface["ipv4"][0].split("/")
        assert addresses[name]["ipv4"] == {ip: {"prefix_length": int(length)}}

    # The driver reads the learnt (dynamic) ARP entries: the next hop of a static route.
    wan = ipaddress.IPv4Interface(plan["GigabitEthernet0/0/0"]["ipv4"][0])
    peer = str(next(h for h in wan.network.hosts() if h != wan.ip))  # the other end
    vrp.device.send_config_set([f"ip route-static 0.0.0.0 0 {peer}"])
    arp = vrp.get_arp_table()
    assert [(e["ip"], e["interface"]) for e in arp] == [(peer, "GE0/0/0")]

    environment = vrp.get_environment()
    assert 0 < int(environment["cpu"]["0"]["usage"]) < 100
    memory = environment["memory"]
    assert 0 < memory["used_ram"] < memory["available_ram"]
    assert environment["fans"] == {"0": {"status": True}}

    users = {u["username"]: u for u in vrp.get_users()}
    assert users["admin"]["state"] == "A"
