"""Planning decisions against the fake platform of conftest.py (mocks of the platform layer;
the twin-backed tests are in test_plan_twin.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from paramiko.hostkeys import HostKeys

from deploys.network.plan import (
    BadPlan,
    Plan,
    Status,
    load_plan,
    make_plan,
    plan_device,
    predict,
    write_plan,
)
from inventory.loader import Inventory
from inventory.masking import Redactor, mask_config
from inventory.resolve import DeviceView
from platforms.known_hosts import HostKeyFiles, KnownHostsMissing, resolve_known_hosts
from platforms.network import Block, Intent
from tests.deploys.conftest import CANARY, FakeBackend, FakeChange, FakeDevice, FakePlatform


def _plan(
    inv: Inventory, views: list[DeviceView], fakes: dict[str, FakeDevice], r: Redactor
) -> Plan:
    return make_plan(FakeBackend(fakes), FakeChange(), inv, views, r, limits=["x"])


def test_telco_device_is_refused_and_never_contacted(
    fixture_inventory: Inventory,
    views: list[DeviceView],
    fakes: dict[str, FakeDevice],
    redactor: Redactor,
) -> None:
    plan = _plan(fixture_inventory, views, fakes, redactor)
    telco = plan.device("th-14845-rtr1")
    assert telco is not None and telco.status is Status.REFUSED
    assert "telco" in telco.reason
    assert fakes["th-14845-rtr1"].connects == 0
    assert telco.commands == []


def test_skipped_devices_are_listed_with_the_reason_and_not_contacted(
    fixture_inventory: Inventory,
    views: list[DeviceView],
    fakes: dict[str, FakeDevice],
    redactor: Redactor,
) -> None:
    plan = _plan(fixture_inventory, views, fakes, redactor)
    vc = plan.device("th-14758-vc1")
    server = plan.device("th-dc-srv1")
    assert vc is not None and vc.status is Status.SKIPPED and "router" in vc.reason
    assert server is not None and server.status is Status.SKIPPED
    assert fakes["th-14758-vc1"].connects == 0
    assert [d.device for d in plan.devices] == [v.name for v in views]


def test_plan_holds_commands_diff_and_hash_but_no_secret(
    fixture_inventory: Inventory,
    views: list[DeviceView],
    fakes: dict[str, FakeDevice],
    redactor: Redactor,
    tmp_path: Path,
) -> None:
    plan = _plan(fixture_inventory, views, fakes, redactor)
    entry = plan.device("th-14758-rtr1")
    assert entry is not None and entry.status is Status.CHANGE
    assert entry.commands == [
        "snmp-server user provnet g v3 auth sha <secret:snmp-v3-ro.auth_password>",
        "ipv6 unicast-routing",
        "interface Gi0/0",
        "no ipv6 address 2001:db8::9/64",
        "ipv6 address 2001:db8::1/64",
        "ipv6 enable",
        "exit",
    ]
    assert "-ipv6 address 2001:db8::9/64" in entry.diff.replace(" ipv6", "ipv6")
    assert "+ ipv6 enable" in entry.diff
    assert len(entry.running_sha256) == 64
    path = tmp_path / "plan.json"
    write_plan(plan, path)
    assert CANARY not in path.read_text(encoding="utf-8")
    assert load_plan(path) == plan


def test_device_already_as_intended_has_no_change(
    fixture_inventory: Inventory, views: list[DeviceView], redactor: Redactor
) -> None:
    view = next(v for v in views if v.name == "th-14758-rtr1")
    running = (
        "hostname r\n!\nipv6 unicast-routing\n!\nsnmp-server user provnet g v3\n!\n"
        "interface Gi0/0\n ipv6 address 2001:db8::1/64\n ipv6 enable\n!\n"
    )
    entry = plan_device(FakeChange(), FakePlatform(), fixture_inventory, view, running, redactor)
    assert entry.status is Status.NO_CHANGE
    assert entry.commands == [] and entry.diff == ""


def test_an_unreachable_device_is_an_error_and_the_others_are_planned(
    fixture_inventory: Inventory,
    views: list[DeviceView],
    fakes: dict[str, FakeDevice],
    redactor: Redactor,
) -> None:
    backend = FakeBackend(fakes)
    real_connect = backend.connect

    def connect(device: DeviceView):  # type: ignore[no-untyped-def]
        if device.name == "th-dc-rtr1":
            raise TimeoutError(f"timed out; password was {CANARY}")
        return real_connect(device)

    backend.connect = connect  # type: ignore[method-assign]
    plan = make_plan(backend, FakeChange(), fixture_inventory, views, redactor)
    failed = plan.device("th-dc-rtr1")
    assert failed is not None and failed.status is Status.ERROR
    assert "TimeoutError" in failed.reason and CANARY not in failed.reason
    other = plan.device("th-14758-rtr1")
    assert other is not None and other.status is Status.CHANGE


def test_predict_replaces_owned_lines_and_keeps_the_others() -> None:
    before = {"interface Gi0/0": ["description WAN", "ipv6 address 2001:db8::9/64"]}
    intent = Intent(
        blocks=(Block(("interface Gi0/0",), ("ipv6 address 2001:db8::1/64",), (r"^ipv6 address",)),)
    )
    assert predict(before, intent) == {
        "interface Gi0/0": ["description WAN", "ipv6 address 2001:db8::1/64"]
    }


def test_a_file_that_is_not_a_plan_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"change": "x"}', encoding="utf-8")
    with pytest.raises(BadPlan, match=r"plan\.json"):
        load_plan(path)
    with pytest.raises(BadPlan, match="cannot read"):
        load_plan(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("enable secret 9 $9$abc$def", "enable secret 9 ********"),
        (
            "username admin privilege 15 secret 9 $9$x",
            "username admin privilege 15 secret 9 ********",
        ),
        (" password 7 0822455D0A16", " password 7 ********"),
        ("snmp-server community s3cr3t RO", "snmp-server community ******** RO"),
        (
            "snmp-server user u g v3 auth sha AUTHP priv aes 128 PRIVP",
            "snmp-server user u g v3 auth sha ******** priv aes 128 ********",
        ),
        (
            " local-user admin password irreversible-cipher %^%#abc%^%#",
            " local-user admin password irreversible-cipher ********",
        ),
        (
            "snmp-agent usm-user v3 u authentication-mode sha cipher XX "
            "privacy-mode aes128 cipher YY",
            "snmp-agent usm-user v3 u authentication-mode sha cipher ******** "
            "privacy-mode aes128 cipher ********",
        ),
        ("snmp-agent community read public", "snmp-agent community read ********"),
        ("ntp authentication-key 1 md5 K3Y 7", "ntp authentication-key 1 md5 ******** 7"),
        (
            'xConfiguration SIP Authentication Password: "pw x"',
            "xConfiguration SIP Authentication Password: ********",
        ),
        ("interface GigabitEthernet0/0", "interface GigabitEthernet0/0"),
        (" ipv6 address 2001:DB8::1/64", " ipv6 address 2001:DB8::1/64"),
    ],
)
def test_mask_config_masks_secrets_of_every_platform(line: str, masked: str) -> None:
    assert mask_config(line) == masked


def test_redactor_round_trips_placeholders() -> None:
    r = Redactor({"a.password": "p4ssw0rd", "b.password": "p4ssw0rd-longer"})
    text = "x p4ssw0rd-longer y p4ssw0rd"
    assert r.redact(text) == "x <secret:b.password> y <secret:a.password>"
    assert r.unredact(r.redact(text)) == text


def test_host_keys_are_checked_by_default_against_the_first_file_found(tmp_path: Path) -> None:
    inventory, home = tmp_path / "inv", tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    inventory.mkdir()
    with pytest.raises(KnownHostsMissing, match="--no-host-key-check"):
        resolve_known_hosts(None, inventory, False, home)
    (home / ".ssh" / "known_hosts").write_text("", encoding="utf-8")
    assert resolve_known_hosts(None, inventory, False, home) == str(home / ".ssh/known_hosts")
    (inventory / "known_hosts").write_text("", encoding="utf-8")
    assert resolve_known_hosts(None, inventory, False, home) == str(inventory / "known_hosts")
    explicit = tmp_path / "kh"
    with pytest.raises(KnownHostsMissing, match="kh"):
        resolve_known_hosts(explicit, inventory, False, home)
    assert resolve_known_hosts(explicit, inventory, True, home) is None


def test_each_device_gets_only_its_own_host_keys(tmp_path: Path) -> None:
    hashed = HostKeys.hash_host("[127.9.0.3]:10022")
    source = tmp_path / "known_hosts"
    source.write_text(
        "# comment\n"
        "[127.9.0.1]:10022,[127.9.0.2]:10022 ssh-ed25519 AAAAkeyA\n"
        "10.0.0.1 ssh-ed25519 AAAAkeyB\n"
        f"{hashed} ssh-ed25519 AAAAkeyC\n",
        encoding="utf-8",
    )
    files = HostKeyFiles(source)

    def keys(host: str, port: int) -> list[str]:
        text = Path(files.for_host(host, port)).read_text(encoding="utf-8")
        return [line.split()[-1] for line in text.splitlines()]

    assert keys("127.9.0.2", 10022) == ["AAAAkeyA"]
    assert keys("10.0.0.1", 22) == ["AAAAkeyB"]
    assert keys("127.9.0.3", 10022) == ["AAAAkeyC"]
    assert keys("127.9.0.4", 10022) == []  # unknown: an empty file, the key is refused
    assert keys("10.0.0.1", 10022) == []
