"""The twin refuses what real devices refuse, and its estate looks like a real one: routers
and switches as their models are, addresses and MACs of their own, saved configurations,
serial numbers that survive a restart, the logins `show users` lists.

Refusal cases are data (data/refusals/<case>.yaml, each citing where the real device's
words come from); switch outputs are read with ntc-templates, whose templates were written
against captured output of the same commands.
"""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from ntc_templates.parse import parse_output

from inventory.loader import example_inventory_path
from inventory.resolve import iter_devices
from inventory.validate import load_valid
from lab.device import make_device
from lab.device.base import SimDevice
from lab.state import DeviceState
from lab.twin import expand_to_sites, plan_twin

REFUSALS = Path(__file__).parent / "data" / "refusals"
ROUTER_PORTS = {"cisco_ios": ["GigabitEthernet0/0", "GigabitEthernet0/1", "Loopback0"]}
ROUTER_PORTS["huawei_vrp"] = ["GigabitEthernet0/0/0", "GigabitEthernet0/0/1", "LoopBack0"]
SVI = {"cisco_ios": "Vlan1", "huawei_vrp": "Vlanif1"}


def box(platform: str, role: str, name: str = "th-1-x1") -> SimDevice:
    """A box as the twin builds it for ``role``: a router with its plan's ports, a switch
    with its VLAN interface (the device adds its own front ports)."""
    state = DeviceState(name=name, platform=platform, hostname=name.upper(), role=role)
    names = ROUTER_PORTS[platform] if role == "wan_router" else [SVI[platform]]
    for i, interface in enumerate(names):
        state.add_interface(interface).ipv4 = [ipaddress.IPv4Interface(f"10.9.{i}.1/24")]
    return make_device(state)


def refusal_cases() -> list[Any]:
    return [
        pytest.param(yaml.safe_load(p.read_text(encoding="utf-8")), id=p.stem)
        for p in sorted(REFUSALS.glob("*.yaml"))
    ]


@pytest.mark.parametrize("case", refusal_cases())
def test_the_twin_refuses_what_the_device_refuses(case: dict[str, Any]) -> None:
    session = box(case["platform"], case["role"]).open_session(privileged=True)
    *before, judged = case["typed"]
    for line in before:
        assert "%" not in session.handle(line).output
    prompt = session.prompt
    expected = case["output"]
    if "{pad}" in expected:
        expected = expected.replace("{pad}", " " * (len(prompt) + judged.index(case["marked"])))
    assert session.handle(judged).output == expected, case["source"]


def test_a_change_refused_leaves_the_configuration_as_it_was() -> None:
    device = box("cisco_ios", "wan_router")
    before = device.running_config()
    session = device.open_session(privileged=True)
    for line in ("configure terminal", "vlan 10", "interface GigabitEthernet0/1"):
        session.handle(line)
    session.handle("switchport access vlan 10")
    session.handle("ip address 10.9.1.0 255.255.255.0")  # Bad mask: the subnet's address
    assert device.running_config() == before


# -- switches ------------------------------------------------------------------------------
def test_a_catalyst_access_switch_is_a_switch() -> None:
    device = box("cisco_ios", "access_switch")
    session = device.open_session(privileged=True)
    for line in (
        "configure terminal",
        "vlan 20",
        "name CAMERAS",
        "interface GigabitEthernet1/0/3",
        "switchport mode access",
        "switchport access vlan 20",
        "spanning-tree portfast",
        "end",
    ):
        assert "%" not in session.handle(line).output, line
    assert "WS-C2960X-24TS-L" in session.handle("show version").output
    vlans = {
        row["vlan_id"]: row
        for row in parse_output("cisco_ios", "show vlan", session.handle("show vlan").output)
    }
    assert vlans["20"]["vlan_name"] == "CAMERAS" and vlans["20"]["interfaces"] == ["Gi1/0/3"]
    assert len(vlans["1"]["interfaces"]) == 27 and "Gi1/0/3" not in vlans["1"]["interfaces"]
    status = parse_output(
        "cisco_ios", "show interfaces status", session.handle("show interfaces status").output
    )
    assert len(status) == 28
    assert {"port": "Gi1/0/3", "vlan_id": "20", "status": "connected"}.items() <= status[2].items()
    stp = parse_output(
        "cisco_ios", "show spanning-tree", session.handle("show spanning-tree").output
    )
    edge = {(r["vlan_id"], r["interface"]): r for r in stp}
    assert edge[("20", "Gi1/0/3")]["type"].startswith("P2p Edge")
    assert edge[("20", "Gi1/0/3")]["status"] == "FWD"
    running = device.running_config()
    assert "vlan 20\n name CAMERAS\n" in running and "spanning-tree mode rapid-pvst" in running
    assert "interface Vlan1\n ip address 10.9.0.1 255.255.255.0" in running


def test_a_huawei_s_switch_is_a_switch() -> None:
    device = box("huawei_vrp", "access_switch")
    session = device.open_session(privileged=True)
    for line in (
        "system-view",
        "vlan batch 20 30",
        "interface GigabitEthernet0/0/3",
        "port link-type access",
        "port default vlan 20",
        "interface GigabitEthernet0/0/24",
        "port link-type trunk",
        "port trunk allow-pass vlan 20 30",
        "return",
    ):
        assert "Error" not in session.handle(line).output, line
    assert "S5720-28X-LI-AC" in session.handle("display version").output
    vlans = {
        row["vlan_id"]: row
        for row in parse_output("huawei_vrp", "display vlan", session.handle("display vlan").output)
    }
    assert set(vlans) == {"1", "20", "30"}
    # (the template reads two ports of a continuation line; the lines are as VRP wraps them)
    assert "20   common  UT:GE0/0/3(U)\n             TG:GE0/0/24(U)\n" in (
        session.handle("display vlan").output
    )
    ports = {
        row["interface"]: row
        for row in parse_output(
            "huawei_vrp", "display port vlan", session.handle("display port vlan").output
        )
    }
    assert ports["GigabitEthernet0/0/3"]["link_type"] == "access"
    assert ports["GigabitEthernet0/0/3"]["vlan_id"] == "20"
    assert ports["GigabitEthernet0/0/24"]["trunk_vlan_list"] == ["1", "20", "30"]
    running = device.running_config()
    assert running.startswith("!Software Version V200R011C10SPC600\n")
    assert "vlan batch 20 30" in running and "interface MEth0/0/1" in running
    brief = session.handle("display ip interface brief").output
    assert "Vlanif1" in brief and "NULL0" in brief and "GigabitEthernet0/0/3" not in brief


# -- the estate ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def plan() -> Any:
    inv = load_valid(example_inventory_path())
    views = list(iter_devices(inv))
    chosen = [v for v in views if v.commune_code in ("14758", "14845")]
    return plan_twin(inv, expand_to_sites(views, chosen), lab_secrets={})


def test_a_site_s_wan_and_loopback_are_its_router_s_alone(plan: Any) -> None:
    addresses: dict[str, str] = {}
    for device in plan.devices:
        for interface in device.interfaces:
            for address in interface.get("ipv4", []):
                assert address not in addresses, (device.name, addresses.get(address))
                addresses[address] = device.name
    switch = plan.device("th-14758-sw1")
    assert [i["name"] for i in switch.interfaces] == ["Vlan1"]
    router = plan.device("th-14758-rtr1")
    assert {i["name"] for i in router.interfaces} == {
        "GigabitEthernet0/0/0",
        "GigabitEthernet0/0/1",
        "Loopback0",
    }
    assert [i["name"] for i in plan.device("th-14845-sw1").interfaces] == ["Vlanif1"]


def test_every_interface_of_every_device_has_its_own_mac(plan: Any) -> None:
    macs: dict[str, tuple[str, str]] = {}
    for twin in plan.devices:
        device = make_device(twin.new_state())
        for interface in device.state.interfaces.values():
            assert interface.mac not in macs, (twin.name, interface.name, macs.get(interface.mac))
            macs[interface.mac] = (twin.name, interface.name)
    vendors = {mac[:8] for mac in macs}
    assert {"00:00:0c", "00:e0:fc"} <= vendors  # Cisco's and Huawei's OUIs


SERIALS = """
from lab.device import make_device
from lab.state import DeviceState
for platform, command in (("cisco_ios", "show version"), ("huawei_vrp", "display esn")):
    device = make_device(DeviceState(name="th-1-r1", platform=platform, hostname="R1"))
    out = device.exec_command(command).splitlines()
    print([ln for ln in out if "board ID" in ln or "ESN" in ln])
"""


def test_serial_numbers_are_the_same_in_every_process() -> None:
    def run() -> str:
        env = {"PYTHONHASHSEED": "random", "PATH": "/usr/bin:/bin"}
        done = subprocess.run(
            [sys.executable, "-c", SERIALS], capture_output=True, text=True, env=env, check=True
        )
        return done.stdout

    first = run()
    assert "Processor board ID FTX" in first and "ESN of slot 0: 2102" in first
    assert run() == first


@pytest.mark.parametrize(
    ("platform", "command"),
    [("cisco_ios", "show startup-config"), ("huawei_vrp", "display saved-configuration")],
)
def test_the_saved_configuration_is_there_at_boot(platform: str, command: str) -> None:
    device = box(platform, "wan_router")
    saved = device.exec_command(command)
    assert device.running_config() in saved


def test_null0_is_listed_on_vrp() -> None:
    device = box("huawei_vrp", "wan_router")
    assert "\ninterface NULL0\n#\n" in device.running_config()
    assert "NULL0" in device.exec_command("display interface brief")


def test_show_users_lists_every_login() -> None:
    for platform, command in (("cisco_ios", "show users"), ("huawei_vrp", "display users")):
        device = box(platform, "wan_router")
        first, second = device.open_session(privileged=True), device.open_session(privileged=True)
        first.username, second.username = "netops", "auditor"
        first.peer, second.peer = "10.38.128.5", "10.38.128.6"
        device.attach(first)
        device.attach(second)
        out = second.handle(command).output
        assert "netops" in out and "10.38.128.5" in out and "10.38.128.6" in out
        if platform == "cisco_ios":
            rows = parse_output("cisco_ios", "show users", out)
            assert [(r["user"], r["line"]) for r in rows] == [
                ("netops", "2 vty 0"),
                ("auditor", "*  3 vty 1"),  # the template keeps the mark of the one asking
            ]
            assert out.splitlines()[2].startswith("*  3 vty 1")  # the one asking
        device.detach(first)
        assert "netops" not in second.handle(command).output
