"""The four network changes: rendering from inventory data (golden intents as data, one
file per device under tests/deploys/data/changes/<change>/), the registry and its order,
skip reasons, data errors, secrets kept out, and, on the twin,
that every rendered change is accepted by the simulated device, converges in one push
(``commands(running, intent) == []`` afterwards) and passes its post-checks.

The twin is this module's own (base 127.(80+worker).0.0): it changes device configuration,
so the session twin is not used. Regenerate the golden files with
``PROVNET_REGEN_GOLDEN=1 .venv/bin/pytest tests/deploys/test_changes.py -k golden``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from gufo.snmp.sync.client import SnmpSession

import deploys.network.changes as shipped
from deploys.network.base import CheckContext
from deploys.network.checks import (
    Ipv6Address,
    SipRegistered,
    SnmpAnswers,
    SshReachable,
    expected_ipv6,
    ipv6_verdict,
    sip_verdict,
    v3_user,
)
from deploys.network.context import ChangeDataError, wan
from deploys.network.registry import (
    ChangeRegistryError,
    UnknownChange,
    changes,
    get_change,
    in_order,
)
from deploys.network.render import template_platforms
from inventory.loader import Inventory, example_inventory_path
from inventory.model import SnmpV3Credential
from inventory.resolve import DeviceView, iter_devices
from inventory.secrets import SecretStore
from inventory.source import load_yaml
from inventory.validate import load_valid
from lab.control import UpResult, request
from platforms import network_platform
from platforms.network import (
    SECRET_PLACEHOLDER,
    ConfigSession,
    ConnectParams,
    Intent,
)
from tests.conftest import worker_twin

EXAMPLE = example_inventory_path()
GOLDEN = Path(__file__).resolve().parent / "data" / "changes"
SHIPPED = Path(shipped.__file__).resolve().parent  # deploys/network/changes/<change>/
REGEN = "PROVNET_REGEN_GOLDEN"
REGISTRAR = "sip.thanhhoa.gov.vn"
# Communes whose devices cover every platform the changes support: Hàm Rồng (cisco_xe
# router, cisco_ios switch, cisco_tp), Mường Lát (huawei_vrp router and switch, cisco_tp),
# Mường Lý (cisco_ios router, given a VLAN sub-interface and OSPF below).
LIMIT = ["commune=14758", "commune=14845", "commune=14854"]
# The order of a new site (docs/changes.md), from each change's ``after``.
ORDER = ["level2_wan", "ipv6_migration", "hardening", "vc_endpoint"]


def golden_cases() -> list[tuple[str, str]]:
    """(change, device) of every golden file: ``data/changes/<change>/<device>.json``."""
    return sorted((path.parent.name, path.stem) for path in GOLDEN.glob("*/*.json"))


def _insert_after(path: Path, anchor: str, text: str) -> None:
    body = path.read_text(encoding="utf-8")
    assert anchor in body, f"{path}: '{anchor}' not found"
    path.write_text(body.replace(anchor, anchor + text, 1), encoding="utf-8")


def build_inventory(target: Path) -> Path:
    """The example province (whose VC endpoints already name their SIP registrar) plus the
    data the changes read: a VLAN sub-interface and OSPF on Mường Lý's router, a VLAN on
    Mường Lát's."""
    shutil.copytree(EXAMPLE, target)
    assert f"sip_registrar: {REGISTRAR}" in (target / "province.yaml").read_text("utf-8")
    _insert_after(
        target / "communes" / "14854-xa_muong_ly.yaml",
        "        platform: cisco_ios\n",
        "        data:\n          wan_vlan: 38\n          wan_routing: ospf\n",
    )
    _insert_after(
        target / "communes" / "14845-xa_muong_lat.yaml",
        "        role: wan_router\n",
        "        data:\n          wan_vlan: 200\n",
    )
    return target


@pytest.fixture(scope="module")
def inventory_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_inventory(tmp_path_factory.mktemp("changes") / "thanh_hoa")


@pytest.fixture(scope="module")
def inventory(inventory_dir: Path) -> Inventory:
    return load_valid(inventory_dir)


@pytest.fixture(scope="module")
def devices(inventory: Inventory) -> dict[str, DeviceView]:
    return {d.name: d for d in iter_devices(inventory)}


def intent_json(intent: Intent) -> list[dict[str, Any]]:
    """The intent as the golden files hold it (JSON: lists, not tuples)."""
    data: list[dict[str, Any]] = json.loads(
        json.dumps([dataclasses.asdict(block) for block in intent.blocks])
    )
    return data


# -- registry, applicability ----------------------------------------------------------------
def test_registry_finds_every_shipped_change_in_order() -> None:
    assert list(changes()) == ORDER
    for name, change in changes().items():
        assert change.name == name
        assert "(" in change.description  # Vietnamese first, English in parentheses


@dataclasses.dataclass
class Ordered:
    """Just what :func:`in_order` reads of a change."""

    name: str
    after: tuple[str, ...] = ()


def _ordered(*found: Ordered) -> list[str]:
    return list(in_order({o.name: o for o in found}))  # type: ignore[arg-type]


def test_order_honours_after_and_otherwise_goes_by_name() -> None:
    assert _ordered(Ordered("c"), Ordered("b"), Ordered("a")) == ["a", "b", "c"]
    assert _ordered(Ordered("a", ("c",)), Ordered("b"), Ordered("c", ("b",))) == ["b", "c", "a"]
    assert _ordered(Ordered("z"), Ordered("b", ("z",)), Ordered("a")) == ["a", "z", "b"]


def test_order_refuses_an_unknown_name_and_a_cycle() -> None:
    with pytest.raises(ChangeRegistryError, match=r"change ipv6_migration .*level2_van"):
        _ordered(Ordered("ipv6_migration", ("level2_van",)), Ordered("level2_wan"))
    with pytest.raises(ChangeRegistryError, match=r"cycle.*\b(a -> b -> a|b -> a -> b)\b"):
        _ordered(Ordered("a", ("b",)), Ordered("b", ("a",)), Ordered("c"))


def test_unknown_change_is_a_clear_error() -> None:
    with pytest.raises(UnknownChange, match=r"'hardenning'.*hardening") as caught:
        get_change("hardenning")
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("device", "applicable"),
    [
        ("th-14758-rtr1", {"hardening", "ipv6_migration", "level2_wan"}),
        ("th-14758-sw1", {"hardening", "ipv6_migration"}),
        ("th-14845-rtr1", {"hardening", "ipv6_migration", "level2_wan"}),
        ("th-dc-fw1", {"hardening", "ipv6_migration"}),
        ("th-14758-vc1", {"vc_endpoint"}),
        ("th-dc-srv1", set()),
    ],
)
def test_skip_reason_by_role_and_platform(
    devices: dict[str, DeviceView], device: str, applicable: set[str]
) -> None:
    view = devices[device]
    found = {name for name, change in changes().items() if change.skip_reason(view) is None}
    assert found == applicable
    for name in set(changes()) - applicable:
        reason = changes()[name].skip_reason(view)
        assert reason is not None and "(" in reason


def test_a_router_of_an_unsupported_platform_is_skipped(devices: dict[str, DeviceView]) -> None:
    junos = dataclasses.replace(devices["th-14758-rtr1"], platform="juniper_junos")
    reason = get_change("level2_wan").skip_reason(junos)
    assert reason is not None and "juniper_junos" in reason


# -- rendering decisions ------------------------------------------------------------------
def test_wan_follows_the_plan_pe_first_cpe_second(
    inventory: Inventory, devices: dict[str, DeviceView]
) -> None:
    uplink = wan(inventory, devices["th-14758-rtr1"])
    assert uplink.interface == "GigabitEthernet0/0/0" and uplink.parent is None
    assert uplink.ipv4 == ipaddress.IPv4Interface("10.38.192.66/30")
    assert uplink.gateway_ipv4 == ipaddress.IPv4Address("10.38.192.65")
    assert uplink.ipv6 == ipaddress.IPv6Interface("2001:db8:2600:1002::2/64")
    assert uplink.gateway_ipv6 == ipaddress.IPv6Address("2001:db8:2600:1002::1")
    assert uplink.vrf == "TSLCD-CAP2"
    vlan = wan(inventory, devices["th-14854-rtr1"])
    assert (vlan.interface, vlan.parent, vlan.routing) == (
        "GigabitEthernet0/0.38",
        "GigabitEthernet0/0",
        "ospf",
    )


@pytest.mark.parametrize(
    ("device", "vrf", "route"),
    [
        ("th-14758-rtr1", "vrf definition TSLCD-CAP2", "ip route vrf TSLCD-CAP2 0.0.0.0"),
        ("th-14845-rtr1", "ip vpn-instance TSLCD-CAP2", "ip route-static vpn-instance"),
    ],
)
def test_the_vrf_exists_before_its_default_route_is_pushed(
    inventory: Inventory, devices: dict[str, DeviceView], device: str, vrf: str, route: str
) -> None:
    """IOS and VRP refuse a route in a VRF they do not know: the VRF goes first."""
    view = devices[device]
    intent = get_change("level2_wan").render(inventory, view)
    pushed = network_platform(view.platform).commands("", intent)
    routes = [i for i, c in enumerate(pushed) if c.startswith(route)]
    assert routes and pushed.index(vrf) < routes[0]


@pytest.mark.parametrize(
    ("platform", "running", "bind"),
    [
        (
            "cisco_xe",
            "interface GigabitEthernet0/0/1\n ip address 10.38.4.1 255.255.255.192\n!\nend\n",
            "vrf forwarding TSLCD-CAP2",
        ),
        (
            "huawei_vrp",
            "interface GigabitEthernet0/0/1\n ip address 10.38.5.1 255.255.255.192\n#\nreturn\n",
            "ip binding vpn-instance TSLCD-CAP2",
        ),
    ],
)
def test_binding_the_lan_to_the_vrf_sends_its_address_again(
    inventory: Inventory, devices: dict[str, DeviceView], platform: str, running: str, bind: str
) -> None:
    """The device drops an interface's addresses when it is bound to a VRF: the address
    already there is sent again after the binding."""
    view = next(
        d for d in devices.values() if d.platform == platform and d.role.value == "wan_router"
    )
    intent = get_change("level2_wan").render(inventory, view)
    pushed = network_platform(platform).commands(running, intent)
    lan = pushed.index("interface GigabitEthernet0/0/1")
    assert pushed[lan + 1] == bind
    assert pushed[lan + 2].startswith("ip address 10.38.")


def test_data_overrides_the_plan(inventory: Inventory, devices: dict[str, DeviceView]) -> None:
    view = devices["th-14758-rtr1"]
    view = dataclasses.replace(
        view, data={**view.data, "wan_ipv4": "192.0.2.10/29", "vrf": "CAP2-B"}
    )
    intent = get_change("level2_wan").render(inventory, view)
    lines = [ln for block in intent.blocks for ln in (*block.context, *block.lines)]
    assert "ip address 192.0.2.10 255.255.255.248" in lines
    assert "ip route vrf CAP2-B 0.0.0.0 0.0.0.0 192.0.2.9" in lines
    assert "vrf definition CAP2-B" in lines


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"wan_vlan": 5000}, "data.wan_vlan"),
        ({"wan_routing": "bgp"}, "data.wan_routing"),
        ({"wan_ipv4": "not-an-address"}, "data.wan_ipv4"),
        ({"login_banner": 'say "hi"'}, "data.login_banner"),
    ],
)
def test_bad_device_data_names_the_device_and_the_key(
    inventory: Inventory, devices: dict[str, DeviceView], data: dict[str, Any], named: str
) -> None:
    view = devices["th-14758-rtr1"]
    view = dataclasses.replace(view, data={**view.data, **data})
    change = get_change("level2_wan" if "wan" in named else "hardening")
    with pytest.raises(ChangeDataError) as caught:
        change.render(inventory, view)
    assert "th-14758-rtr1" in str(caught.value) and named in str(caught.value)
    assert caught.value.exit_code == 2


def test_hardening_needs_snmp_v3(inventory: Inventory, devices: dict[str, DeviceView]) -> None:
    view = dataclasses.replace(devices["th-14758-rtr1"], snmp_credentials="ssh-netops")
    with pytest.raises(ChangeDataError, match=r"th-14758-rtr1.*snmp_v3"):
        get_change("hardening").render(inventory, view)


def test_vc_endpoint_needs_a_registrar(devices: dict[str, DeviceView]) -> None:
    example = load_valid(EXAMPLE)
    view = next(d for d in iter_devices(example) if d.name == "th-14758-vc1")
    view = dataclasses.replace(
        view, data={k: v for k, v in view.data.items() if k != "sip_registrar"}
    )
    with pytest.raises(ChangeDataError, match=r"th-14758-vc1.*sip_registrar"):
        get_change("vc_endpoint").render(example, view)


def rendered(inventory: Inventory, devices: dict[str, DeviceView]) -> Iterator[tuple[str, str]]:
    """(device, change) for every device the golden data names and every change that
    applies to it."""
    for device in sorted({device for _, device in golden_cases()}):
        for name, change in changes().items():
            if change.skip_reason(devices[device]) is None:
                yield device, name


def _write_golden(path: Path, got: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", "utf-8")


@pytest.mark.parametrize(("change", "device"), golden_cases(), ids="/".join)
def test_golden_intent(
    inventory: Inventory, devices: dict[str, DeviceView], change: str, device: str
) -> None:
    """The change renders, for this device (platform, role), exactly its golden intent."""
    got = intent_json(get_change(change).render(inventory, devices[device]))
    path = GOLDEN / change / f"{device}.json"
    if os.environ.get(REGEN):
        _write_golden(path, got)
        pytest.fail(f"{path} rewritten; run again without ${REGEN}")
    assert got == json.loads(path.read_text(encoding="utf-8")), f"{change} on {device}"


def test_golden_intents_cover_every_change_platform_and_device(
    inventory: Inventory, devices: dict[str, DeviceView]
) -> None:
    """Each device of the golden data has a case for every change that applies to it, and
    each change has cases on every platform it has a template for."""
    wanted = {(name, device) for device, name in rendered(inventory, devices)}
    missing = sorted(wanted - set(golden_cases()))
    if missing and os.environ.get(REGEN):
        for name, device in missing:
            _write_golden(
                GOLDEN / name / f"{device}.json",
                intent_json(get_change(name).render(inventory, devices[device])),
            )
        pytest.fail(f"golden files written ({len(missing)}); run again without ${REGEN}")
    assert set(golden_cases()) == wanted
    for name in changes():
        platforms = {devices[d].platform for change, d in golden_cases() if change == name}
        assert platforms == template_platforms(SHIPPED / name), name


def test_secrets_are_only_placeholders_on_once_lines(
    inventory: Inventory, devices: dict[str, DeviceView]
) -> None:
    for device, name in rendered(inventory, devices):
        intent = changes()[name].render(inventory, devices[device])
        for block in intent.blocks:
            assert not any("<secret:" in ln for ln in (*block.context, *block.lines))
            for _guard, line in block.once:
                assert SECRET_PLACEHOLDER.search(line), line


CANARY = "CANARY-s3cr3t-changes-41d7"


def test_canary_secrets_never_reach_rendered_intents(
    inventory: Inventory, devices: dict[str, DeviceView], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every secret of the inventory resolvable to a canary, no rendered intent (the
    text plans and journals are made from) holds it: only placeholders."""
    for variable in ("PROVNET_SSH_PASSWORD", "PROVNET_ENABLE_SECRET", "PROVNET_VC_PASSWORD"):
        monkeypatch.setenv(variable, CANARY)
    monkeypatch.setenv("PROVNET_SNMP_AUTH", CANARY + "-auth")
    monkeypatch.setenv("PROVNET_SNMP_PRIV", CANARY + "-priv")
    text = json.dumps(
        [
            intent_json(changes()[name].render(inventory, devices[device]))
            for device, name in rendered(inventory, devices)
        ]
    )
    assert CANARY not in text
    assert "<secret:ssh-netops.password>" in text
    assert "<secret:snmp-v3-ro.priv_password>" in text


# -- post-check verdicts (fixtures from the twin's output format) --------------------------
IOS_BRIEF = """GigabitEthernet0/0/0   [up/up]
    FE80::200:5EFF:FE00:5301
    2001:DB8:2600:1002::2
GigabitEthernet0/0/1   [up/up]
    unassigned
"""
VRP_BRIEF = """*down: administratively down
Interface                                   Physical              Protocol
GigabitEthernet0/0/0.200                    up                    up
[IPv6 Address] 2001:DB8:2600:1402::2
"""


def test_ipv6_verdicts() -> None:
    wanted = ipaddress.IPv6Address("2001:db8:2600:1002::2")
    assert ipv6_verdict("v6", "cisco_xe", IOS_BRIEF, "GigabitEthernet0/0/0", wanted).ok
    assert not ipv6_verdict("v6", "cisco_xe", IOS_BRIEF, "GigabitEthernet0/0/1", wanted).ok
    vrp = ipaddress.IPv6Address("2001:db8:2600:1402::2")
    assert ipv6_verdict("v6", "huawei_vrp", VRP_BRIEF, "GigabitEthernet0/0/0.200", vrp).ok
    assert not ipv6_verdict("v6", "huawei_vrp", VRP_BRIEF, "GigabitEthernet0/0/0", vrp).ok


def test_sip_verdicts() -> None:
    assert sip_verdict("sip", "*s SIP Registration 1 Status: Registered\n").ok
    failed = sip_verdict(
        "sip",
        '*s SIP Registration 1 Reason: "No proxy configured"\n'
        "*s SIP Registration 1 Status: Failed\n",
    )
    assert not failed.ok and "No proxy configured" in failed.detail


# -- on the twin ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def twin(inventory_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpResult]:
    state = tmp_path_factory.mktemp("changes-twin") / "state"
    with worker_twin(inventory_dir, LIMIT, state, 80) as up:
        yield up


def lab_secrets(up: UpResult) -> dict[str, str]:
    data = load_yaml(up.secrets_file.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return {str(k): str(v) for k, v in data.items()}


def unredact(line: str, secrets: dict[str, str]) -> str:
    """What the engine does at push time: placeholders -> lab secret values."""
    return SECRET_PLACEHOLDER.sub(lambda m: secrets[f"{m['credential']}.{m['field']}"], line)


def connect(view: DeviceView, secrets: dict[str, str]) -> ConfigSession:
    credential = view.ssh_credentials
    params = ConnectParams(
        host=view.host,
        port=view.ssh_port,
        username="admin" if credential == "ssh-vc" else "netops",
        password=secrets[f"{credential}.password"],
        secret=secrets.get(f"{credential}.enable_secret", ""),
        known_hosts=None,  # the twin's host key is made per run
    )
    return network_platform(view.platform).connect(params)


def snmp_has_ipv6(view: DeviceView, inv: Inventory, up: UpResult, address: str) -> bool:
    """IP-MIB ipAddressIfIndex has an entry for ``address`` (index 2.16.<octets>)."""
    credential = inv.settings.credentials[view.snmp_credentials or ""]
    assert isinstance(credential, SnmpV3Credential)
    store = SecretStore({}, up.secrets_file)
    user = v3_user(credential, store, "test")
    octets = ".".join(str(b) for b in ipaddress.IPv6Address(address).packed)
    with SnmpSession(addr=view.host, port=view.snmp_port, user=user, timeout=3.0) as snmp:
        found = [oid for oid, _ in snmp.fetch("1.3.6.1.2.1.4.34.1.3")]
    return any(oid.endswith(f".2.16.{octets}") for oid in found)


def converge(view: DeviceView, inv: Inventory, up: UpResult, secrets: dict[str, str]) -> list[str]:
    """Push each applicable change to one twin device, checking it as the engine would;
    returns the changes pushed."""
    pushed: list[str] = []
    session = connect(view, secrets)
    context = CheckContext(inv, view, secrets_file=str(up.secrets_file))
    platform = network_platform(view.platform)
    try:
        for name, change in changes().items():
            if change.skip_reason(view) is not None:
                continue
            intent = change.render(inv, view)
            if name == "ipv6_migration":
                before = Ipv6Address().run(session, context)
                assert not before.ok, f"{view.name}: IPv6 already there? {before.detail}"
            commands = platform.commands(session.running_config(), intent)
            assert commands, f"{name} on {view.name}: nothing to push on a fresh device"
            assert not any(s in c for c in commands for s in secrets.values())
            session.push([unredact(c, secrets) for c in commands])
            running = session.running_config()
            assert platform.commands(running, intent) == [], f"{name} on {view.name}"
            assert not any(s in running for s in secrets.values()), view.name
            for check in change.post_checks(view):
                result = check.run(session, context)
                assert result.ok, f"{name} on {view.name}: {check.name}: {result.detail}"
                assert not any(s in result.detail for s in secrets.values())
            pushed.append(name)
    finally:
        session.close()
    if "ipv6_migration" in pushed:
        _, address = expected_ipv6(CheckContext(inv, view))
        assert snmp_has_ipv6(view, inv, up, str(address)), view.name
    return pushed


def test_changes_converge_on_the_twin(twin: UpResult) -> None:
    """Each applicable change, pushed to each twin device, is accepted line by line, leaves
    nothing to do (idempotent), keeps every secret out of the running configuration, and
    passes its post-checks; after the IPv6 migration SNMP shows the new address."""
    inv = load_valid(twin.overlay)
    secrets = lab_secrets(twin)
    views = [d for d in iter_devices(inv) if not d.monitor_only]
    assert {v.platform for v in views} >= {"cisco_ios", "cisco_xe", "huawei_vrp", "cisco_tp"}
    # Devices are independent: four at a time, as the engine's waves would run them.
    with ThreadPoolExecutor(max_workers=4) as pool:
        pushed = list(pool.map(lambda v: converge(v, inv, twin, secrets), views))
    assert sum(len(names) for names in pushed) == 18  # 3 routers x 3, 3 switches x 2, 3 VC


def test_post_checks_fail_when_the_device_does_not_answer(twin: UpResult) -> None:
    """A device that stops answering fails SSH and SNMP post-checks (not an exception)."""
    inv = load_valid(twin.overlay)
    view = next(d for d in iter_devices(inv) if d.name == "th-14758-sw1")
    context = CheckContext(inv, view, secrets_file=str(twin.secrets_file))
    session = connect(view, lab_secrets(twin))
    try:
        request(
            twin.state_dir, {"op": "fault", "device": view.name, "kind": "down", "argument": ""}
        )
        try:
            assert not SnmpAnswers(timeout=1.0).run(session, context).ok
            ssh = SshReachable(timeout=2.0).run(session, context)
            assert not ssh.ok and view.host in ssh.detail
        finally:
            request(
                twin.state_dir, {"op": "fault", "device": view.name, "kind": "up", "argument": ""}
            )
        assert SnmpAnswers().run(session, context).ok
    finally:
        session.close()


def test_sip_check_fails_without_a_registrar(twin: UpResult) -> None:
    inv = load_valid(twin.overlay)
    view = next(d for d in iter_devices(inv) if d.name == "th-14854-vc1")
    session = connect(view, lab_secrets(twin))
    try:
        session.push(['xConfiguration SIP Proxy 1 Address: ""', 'xConfiguration SIP URI: "x@y"'])
        result = SipRegistered().run(session, CheckContext(inv, view))
        assert not result.ok and "Failed" in result.detail
    finally:
        session.close()
