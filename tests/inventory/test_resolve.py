"""Inheritance: device > site > groups (device groups first, in listed order) > defaults."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml_rs
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.loader import Inventory
from inventory.model import (
    Device,
    Group,
    ManagedBy,
    Management,
    Role,
    Settings,
    Site,
    SiteKind,
)
from inventory.resolve import (
    DEFAULT_SNMP_PORT,
    DEFAULT_SSH_PORT,
    DeviceView,
    iter_devices,
    resolve_device,
)
from inventory.validate import load_and_validate, load_valid

# --- the base fixture as written ----------------------------------------------------


def views(root: Path) -> dict[str, DeviceView]:
    return {view.name: view for view in iter_devices(load_valid(root))}


BASE_DATA = {"ntp_tier": "province", "syslog": "soc"}


@pytest.mark.parametrize(
    ("device", "expected"),
    [
        (
            "th-dc-rtr1",
            ("cisco_xe", ManagedBy.PROVINCE, "ssh-netops", "snmp-v3-ro", 22, 161, (), BASE_DATA),
        ),
        (
            "th-dc-srv1",
            ("linux", ManagedBy.PROVINCE, "ssh-netops", "snmp-v3-ro", 22, 161, (), BASE_DATA),
        ),
        (
            "th-14758-rtr1",
            ("cisco_ios", ManagedBy.PROVINCE, "ssh-netops", "snmp-v3-ro", 22, 161, (), BASE_DATA),
        ),
        (
            "th-14758-vc1",
            (
                "cisco_tp",
                ManagedBy.PROVINCE,
                "ssh-vc",
                "snmp-v3-ro",
                22,
                161,
                ("vc-endpoints",),
                BASE_DATA,
            ),
        ),
        (
            # Platform from the site's group; telco from the device's own group.
            "th-14845-rtr1",
            (
                "huawei_vrp",
                ManagedBy.TELCO,
                "ssh-netops",
                "snmp-v3-ro",
                22,
                161,
                ("telco-cpe", "huawei"),
                {**BASE_DATA, "vendor": "huawei"},
            ),
        ),
        (
            # Device group vc-endpoints (cisco_tp) beats site group huawei (huawei_vrp);
            # mgmt port 2222 is the SSH port.
            "th-14845-vc1",
            (
                "cisco_tp",
                ManagedBy.PROVINCE,
                "ssh-vc",
                "snmp-v3-ro",
                2222,
                161,
                ("vc-endpoints", "huawei"),
                {**BASE_DATA, "vendor": "huawei"},
            ),
        ),
    ],
)
def test_base_fixture_resolves(
    make_inventory: Callable[[str], Path], device: str, expected: tuple[Any, ...]
) -> None:
    view = views(make_inventory(""))[device]
    got = (
        view.platform,
        view.managed_by,
        view.ssh_credentials,
        view.snmp_credentials,
        view.ssh_port,
        view.snmp_port,
        view.groups,
        view.data,
    )
    assert got == expected
    assert view.monitor_only is (view.managed_by is ManagedBy.TELCO)


def test_telco_group_makes_a_device_monitor_only(make_inventory: Callable[[str], Path]) -> None:
    found = views(make_inventory(""))
    assert found["th-14845-rtr1"].monitor_only is True
    assert [name for name, v in found.items() if v.monitor_only] == ["th-14845-rtr1"]


def test_view_context(make_inventory: Callable[[str], Path]) -> None:
    found = views(make_inventory(""))
    rtr = found["th-14845-rtr1"]
    assert (rtr.commune_code, rtr.commune_name) == ("14845", "Xã Mường Lát")
    assert rtr.site.id == "th-14845-ubnd"
    assert rtr.province.code == "38"
    assert rtr.host == "10.38.130.33"
    dc = found["th-dc-rtr1"]
    assert (dc.commune, dc.commune_code, dc.commune_name) == (None, "", "")
    assert dc.host == "10.38.128.1"  # IPv4 first
    assert dc.mgmt_ipv6 == ipaddress.IPv6Address("2001:db8:2600:1::1")


# --- small edits of the base fixture -------------------------------------------------


def edit(root: Path, relative: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = root / relative
    document = yaml_rs.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(str(yaml_rs.dumps(document)), encoding="utf-8")


MUONG_LAT = "communes/14845-xa_muong_lat.yaml"


def test_edits_move_each_setting_one_layer_at_a_time(
    make_inventory: Callable[[str], Path],
) -> None:
    root = make_inventory("")

    def site(document: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = document["sites"][0]
        return result

    def device(document: dict[str, Any], name: str) -> dict[str, Any]:
        return next(d for d in site(document)["devices"] if d["name"] == name)

    # Defaults: a port and a data key for everyone.
    def defaults(doc: dict[str, Any]) -> None:
        doc["defaults"].update(ssh_port=2200, snmp_port=1161)
        doc["defaults"]["data"]["tier"] = "defaults"
        doc["groups"]["huawei"]["ssh_port"] = 2201
        doc["groups"]["huawei"]["data"]["tier"] = "group"

    edit(root, "province.yaml", defaults)
    found = views(root)
    assert found["th-dc-rtr1"].ssh_port == 2200
    assert found["th-dc-rtr1"].snmp_port == 1161
    assert found["th-dc-rtr1"].data["tier"] == "defaults"
    assert found["th-14845-rtr1"].ssh_port == 2201  # group beats defaults
    assert found["th-14845-rtr1"].data["tier"] == "group"
    assert found["th-14845-vc1"].ssh_port == 2222  # mgmt port beats everything

    # Site: beats its groups (huawei) for platform, port and data.
    def site_settings(doc: dict[str, Any]) -> None:
        site(doc).update(platform="juniper_junos", ssh_port=2300, data={"tier": "site"})

    edit(root, MUONG_LAT, site_settings)
    found = views(root)
    rtr = found["th-14845-rtr1"]
    assert (rtr.platform, rtr.ssh_port, rtr.data["tier"]) == ("juniper_junos", 2300, "site")
    assert rtr.data["vendor"] == "huawei"  # merged key by key, not replaced
    assert found["th-14845-vc1"].platform == "juniper_junos"  # site beats device groups too
    assert found["th-14845-vc1"].ssh_port == 2222

    # Device: beats its site and its own group.
    def device_settings(doc: dict[str, Any]) -> None:
        device(doc, "th-14845-rtr1").update(
            platform="huawei_vrp",
            managed_by="province",
            ssh_credentials="ssh-vc",
            ssh_port=2400,
            data={"tier": "device"},
        )
        device(doc, "th-14845-vc1").update(platform="cisco_tp", ssh_credentials="ssh-netops")

    edit(root, MUONG_LAT, device_settings)
    inventory, problems = load_and_validate(root)
    assert inventory is not None
    assert [p for p in problems if p.is_error] == []
    found = {v.name: v for v in iter_devices(inventory)}
    rtr = found["th-14845-rtr1"]
    assert rtr.platform == "huawei_vrp"
    assert rtr.managed_by is ManagedBy.PROVINCE  # device beats its telco-cpe group
    assert rtr.monitor_only is False
    assert rtr.ssh_credentials == "ssh-vc"
    assert rtr.ssh_port == 2400
    assert rtr.data == {
        "ntp_tier": "province",
        "syslog": "soc",
        "tier": "device",
        "vendor": "huawei",
    }
    assert found["th-14845-vc1"].ssh_credentials == "ssh-netops"  # device beats vc-endpoints
    assert found["th-14845-vc1"].platform == "cisco_tp"


def test_site_group_can_make_a_whole_site_monitor_only(
    make_inventory: Callable[[str], Path],
) -> None:
    root = make_inventory("")
    edit(root, MUONG_LAT, lambda doc: doc["sites"][0].update(groups=["telco-cpe", "huawei"]))
    found = views(root)
    assert found["th-14845-rtr1"].monitor_only is True
    assert found["th-14845-vc1"].monitor_only is True
    assert found["th-14758-rtr1"].monitor_only is False
    # A device may take itself back.
    edit(
        root,
        MUONG_LAT,
        lambda doc: doc["sites"][0]["devices"][1].update(managed_by="province"),
    )
    assert views(root)["th-14845-vc1"].monitor_only is False


def test_nested_data_is_replaced_not_deep_merged(make_inventory: Callable[[str], Path]) -> None:
    """``data`` merges key by key (resolve.py's docstring); a nested mapping written on a
    closer layer replaces the farther one whole, as in Nornir."""
    root = make_inventory("")
    edit(
        root,
        "province.yaml",
        lambda doc: doc["defaults"]["data"].update(snmp={"community_view": "ro", "retries": 3}),
    )
    edit(
        root,
        MUONG_LAT,
        lambda doc: doc["sites"][0].update(data={"snmp": {"retries": 5}}),
    )
    found = views(root)
    assert found["th-14845-rtr1"].data["snmp"] == {"retries": 5}
    assert found["th-14758-rtr1"].data["snmp"] == {"community_view": "ro", "retries": 3}


# --- every combination, in memory ----------------------------------------------------

ATTRIBUTES = ("platform", "ssh_credentials", "snmp_credentials", "ssh_port", "snmp_port")
POOL = ("g1", "g2", "g3", "g4")


@dataclass(frozen=True)
class Layout:
    device_groups: list[str]
    site_groups: list[str]
    setters: frozenset[str]  # layers that set every attribute: device, site, g1.., defaults
    managed: dict[str, ManagedBy]  # layer -> managed_by it writes
    mgmt_port: int | None


def value(layer: str, attribute: str) -> Any:
    if attribute.endswith("_port"):
        ports = {"device": 1001, "site": 1002, "defaults": 1009}
        return ports.get(layer, 1003 + POOL.index(layer) if layer in POOL else 0)
    return f"{attribute}-{layer}"


def layer_settings(layout: Layout, layer: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if layer in layout.setters:
        fields = {attribute: value(layer, attribute) for attribute in ATTRIBUTES}
        fields["data"] = {"layer": layer, f"only-{layer}": True}
    if layer in layout.managed:
        fields["managed_by"] = layout.managed[layer]
    return fields


layouts = st.builds(
    Layout,
    device_groups=st.lists(st.sampled_from(POOL), unique=True, max_size=3),
    site_groups=st.lists(st.sampled_from(POOL), unique=True, max_size=3),
    setters=st.frozensets(st.sampled_from(("device", "site", *POOL, "defaults"))),
    managed=st.dictionaries(
        st.sampled_from(("device", "site", *POOL, "defaults")), st.sampled_from(ManagedBy)
    ),
    mgmt_port=st.one_of(st.none(), st.just(2222)),
)


def build(base: Inventory, layout: Layout) -> tuple[Inventory, Site, Device]:
    device = Device(
        name="x-rtr1",
        role=Role.WAN_ROUTER,
        mgmt=Management(ipv4=ipaddress.IPv4Address("192.0.2.1"), port=layout.mgmt_port),
        groups=layout.device_groups,
        **layer_settings(layout, "device"),
    )
    site = Site(
        id="x-site",
        kind=SiteKind.AGENCY,
        security_level=2,
        devices=[device],
        groups=layout.site_groups,
        **layer_settings(layout, "site"),
    )
    groups = {name: Group(**layer_settings(layout, name)) for name in POOL}
    province = base.settings.model_copy(
        update={"groups": groups, "defaults": Settings(**layer_settings(layout, "defaults"))}
    )
    return Inventory(base.root, province, [], [site]), site, device


@pytest.fixture(scope="module")
def base_inventory() -> Inventory:
    from tests.conftest import FIXTURES

    return load_valid(FIXTURES / "base")


@settings(max_examples=300, deadline=None)
@given(layout=layouts)
def test_precedence_for_every_layout(base_inventory: Inventory, layout: Layout) -> None:
    inventory, site, device = build(base_inventory, layout)
    view = resolve_device(inventory, None, site, device)
    groups = list(dict.fromkeys([*layout.device_groups, *layout.site_groups]))
    order = ["device", "site", *groups, "defaults"]
    assert view.groups == tuple(groups)

    winner = next((layer for layer in order if layer in layout.setters), None)
    for attribute in ("platform", "ssh_credentials", "snmp_credentials"):
        expected = value(winner, attribute) if winner else None
        assert getattr(view, attribute) == (expected or ("" if attribute == "platform" else None))
    expected_ssh = value(winner, "ssh_port") if winner else DEFAULT_SSH_PORT
    assert view.ssh_port == (layout.mgmt_port or expected_ssh)
    assert view.snmp_port == (value(winner, "snmp_port") if winner else DEFAULT_SNMP_PORT)

    managed = next((layout.managed[layer] for layer in order if layer in layout.managed), None)
    assert view.managed_by is (managed or ManagedBy.PROVINCE)
    assert view.monitor_only is (managed is ManagedBy.TELCO)

    setters = [layer for layer in order if layer in layout.setters]
    if setters:
        assert view.data["layer"] == setters[0]
    assert {k for k in view.data if k.startswith("only-")} == {f"only-{s}" for s in setters}


def test_unknown_group_is_skipped_by_resolve(base_inventory: Inventory) -> None:
    layout = Layout(["nowhere", "g2"], [], frozenset({"g2"}), {}, None)
    inventory, site, device = build(base_inventory, layout)
    view = resolve_device(inventory, None, site, device)
    assert view.platform == "platform-g2"
    assert view.groups == ("nowhere", "g2")
