"""--limit selection over a scaffolded Thanh Hóa inventory (166 communes, DC, IOC, SOC)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from inventory.errors import UnknownSelection
from inventory.official import find_province
from inventory.resolve import DeviceView, iter_devices
from inventory.scaffold import scaffold
from inventory.select import parse_limits, parse_pattern, select_devices
from inventory.validate import load_valid

HAM_RONG = "14758"  # Phường Hàm Rồng


@pytest.fixture(scope="module")
def devices(tmp_path_factory: pytest.TempPathFactory) -> list[DeviceView]:
    root = tmp_path_factory.mktemp("select") / "thanh_hoa"
    scaffold(find_province("thanh_hoa"), root)
    return list(iter_devices(load_valid(root)))


def names(selected: list[DeviceView]) -> list[str]:
    return [view.name for view in selected]


def test_no_limit_selects_everything_in_order(devices: list[DeviceView]) -> None:
    assert select_devices(devices, []) == devices


def test_bare_glob_on_device_name(devices: list[DeviceView]) -> None:
    assert names(select_devices(devices, ["th-dc-srv*"])) == [
        "th-dc-srv1",
        "th-dc-srv2",
        "th-dc-srv3",
    ]


def test_bare_glob_matches_role_platform_group_site_and_commune(
    devices: list[DeviceView],
) -> None:
    assert len(select_devices(devices, ["server"])) == 4
    assert {v.platform for v in select_devices(devices, ["huawei_vrp"])} == {"huawei_vrp"}
    vc = select_devices(devices, ["vc-endpoints"])
    assert {v.role.value for v in vc} == {"vc_endpoint"}
    assert names(select_devices(devices, ["th-ioc"])) == ["th-ioc-rtr1", "th-ioc-vc1"]
    assert len(select_devices(devices, [HAM_RONG])) == 3
    assert len(select_devices(devices, ["*hàm rồng*"])) == 3


@pytest.mark.parametrize(
    "pattern",
    [
        "commune=*ham rong*",
        "commune=Phường Hàm Rồng",
        "commune=PHUONG HAM RONG",
        "commune=ham rong",  # the name without its type
        f"commune={HAM_RONG}",
        "commune=1475[8]",
    ],
)
def test_commune_by_code_or_name_without_diacritics(
    devices: list[DeviceView], pattern: str
) -> None:
    selected = select_devices(devices, [pattern])
    assert names(selected) == [f"th-{HAM_RONG}-rtr1", f"th-{HAM_RONG}-sw1", f"th-{HAM_RONG}-vc1"]


@pytest.mark.parametrize(
    ("pattern", "check"),
    [
        ("role=wan_router", lambda v: v.role.value == "wan_router"),
        ("platform=cisco_*", lambda v: v.platform.startswith("cisco_")),
        ("group=vc-endpoints", lambda v: "vc-endpoints" in v.groups),
        ("managed_by=province", lambda v: v.managed_by.value == "province"),
        ("kind=data_centre", lambda v: v.site.kind.value == "data_centre"),
        ("site=th-dc", lambda v: v.site.id == "th-dc"),
        ("device=*-sw1", lambda v: v.name.endswith("-sw1")),
        ("level=province", lambda v: v.commune is None),
        ("level=commune", lambda v: v.commune is not None),
        ("ROLE=Server", lambda v: v.role.value == "server"),
    ],
)
def test_keys(devices: list[DeviceView], pattern: str, check: Callable[[DeviceView], bool]) -> None:
    selected = select_devices(devices, [pattern])
    assert selected
    assert selected == [v for v in devices if check(v)]


def test_key_limits_to_its_field(devices: list[DeviceView]) -> None:
    # "server" is a role, not a device name.
    with pytest.raises(UnknownSelection, match="device=server"):
        select_devices(devices, ["device=server"])


def test_repeated_and_comma_values_are_a_union_in_inventory_order(
    devices: list[DeviceView],
) -> None:
    repeated = select_devices(devices, ["commune=14758", "kind=data_centre"])
    comma = select_devices(devices, ["kind=data_centre,commune=14758"])
    assert repeated == comma
    assert names(repeated)[:2] == ["th-dc-rtr1", "th-dc-core1"]  # DC first: inventory order
    assert len(repeated) == 6 + 3


def test_overlapping_patterns_select_each_device_once(devices: list[DeviceView]) -> None:
    selected = select_devices(devices, ["th-dc-*", "role=server", "th-dc-srv1"])
    assert len(names(selected)) == len(set(names(selected))) == 7


def test_exclusion_applies_after_the_union(devices: list[DeviceView]) -> None:
    selected = select_devices(devices, ["level=province", "!role=server", "!th-ioc-*"])
    assert names(selected) == ["th-dc-rtr1", "th-dc-core1", "th-dc-fw1"]


def test_only_exclusions_start_from_everything(devices: list[DeviceView]) -> None:
    selected = select_devices(devices, ["!level=commune"])
    assert {v.site.id for v in selected} == {"th-dc", "th-ioc", "th-soc"}
    everything_but_vc = select_devices(devices, ["!role=vc_endpoint,!group=vc-endpoints"])
    assert len(everything_but_vc) == len(devices) - 167


def test_unknown_pattern_names_it_and_suggests(devices: list[DeviceView]) -> None:
    with pytest.raises(UnknownSelection, match=r"'th-dc-srvv1'.*did you mean 'th-dc-srv1'"):
        select_devices(devices, ["th-dc-rtr1", "th-dc-srvv1"])
    with pytest.raises(UnknownSelection, match=r"'commune=ham rng'.*'Hàm Rồng'"):
        select_devices(devices, ["commune=ham rng"])


def test_unknown_pattern_is_a_lookup_error(devices: list[DeviceView]) -> None:
    with pytest.raises(LookupError, match="no device"):
        select_devices(devices, ["role=router"])


def test_an_exclusion_that_matches_nothing_is_refused(devices: list[DeviceView]) -> None:
    # A typo here would keep the device the engineer meant to spare.
    with pytest.raises(UnknownSelection, match="!th-dc-fw"):
        select_devices(devices, ["level=province", "!th-dc-fw"])


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("rol=server", "unknown key 'rol'.*did you mean 'role'"),
        ("", "empty pattern"),
        ("server,", "empty pattern"),
        ("role=", "empty pattern"),
        ("!", "empty pattern"),
    ],
)
def test_malformed_patterns(devices: list[DeviceView], value: str, message: str) -> None:
    with pytest.raises(UnknownSelection, match=message):
        select_devices(devices, [value])


def test_parse() -> None:
    pattern = parse_pattern(" ! Role = server ")
    assert (pattern.key, pattern.glob, pattern.exclude) == ("role", "server", True)
    assert parse_pattern("th-*").key is None
    assert [p.glob for p in parse_limits(["a,b", "c"])] == ["a", "b", "c"]


def test_input_may_be_an_iterator(devices: list[DeviceView]) -> None:
    assert len(select_devices(iter(devices), ["role=server"])) == 4


@pytest.mark.parametrize(
    ("pattern", "commune"),
    [
        ("legacy=Thành phố Thanh Hóa", HAM_RONG),  # the district's full name
        ("legacy=thanh hoa", HAM_RONG),  # ...without its type and diacritics
        ("legacy=380", HAM_RONG),  # the district's code
        ("legacy=14755", HAM_RONG),  # a former commune's code
        ("legacy=huyen muong lat", "14845"),
        ("legacy=Tam Chung", "14845"),  # a former commune's name without its type
        ("legacy=Thị trấn Mường Lát", "14845"),
        ("legacy=38[04]", f"{HAM_RONG} 14845"),
    ],
)
def test_legacy_district_era_names(
    make_inventory: Callable[[str], Path], pattern: str, commune: str
) -> None:
    views = list(iter_devices(load_valid(make_inventory("legacy_names"))))
    selected = select_devices(views, [pattern])
    assert sorted({v.commune_code for v in selected}) == commune.split()
    assert selected == [v for v in views if v.commune_code in commune.split()]


def test_a_legacy_name_is_not_the_current_name(make_inventory: Callable[[str], Path]) -> None:
    views = list(iter_devices(load_valid(make_inventory("legacy_names"))))
    # Tam Chung is only a former commune of Mường Lát: commune= does not know it.
    with pytest.raises(UnknownSelection, match="commune=Tam Chung"):
        select_devices(views, ["commune=Tam Chung"])
    # Sites without legacy identifiers (the data centre...) are what "!legacy=*" leaves.
    kept = select_devices(views, ["!legacy=*"])
    assert kept
    assert kept == [v for v in views if v.commune is None]
