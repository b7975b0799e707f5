"""Exports to Prometheus file_sd, Ansible, pyinfra and Netmiko, read back by the real tools.

The inventory is a scaffolded Thanh Hóa plus one department site holding the odd
cases: a telco-managed IPv6-only Juniper router with SNMP on a non-standard port,
a server whose password is a secrets-file reference, and a telco-managed server.
Every secret is a unique canary that must appear in no export.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import ansible_runner
import pytest
import yaml
from netmiko.base_connection import BaseConnection

from inventory import export
from inventory.errors import SecretUnavailable
from inventory.loader import Inventory
from inventory.official import find_province
from inventory.resolve import DeviceView, iter_devices
from inventory.scaffold import dump, scaffold
from inventory.secrets import ENV_SECRETS_FILE, SecretStore
from inventory.source import load_yaml
from inventory.validate import load_valid

RTR = "th-14758-rtr1"  # Phường Hàm Rồng's WAN router (cisco_ios)
TELCO_RTR = "th-stc-rtr1"
FILE_SRV = "th-stc-srv1"
TELCO_SRV = "th-stc-srv2"
TELCO_V6 = "2001:db8:2600:300:1::1"

EXTRA_SITE: dict[str, Any] = {
    "sites": [
        {
            "id": "th-stc",
            "kind": "department",
            "name": "Sở Tài chính",
            "security_level": 2,
            "plan_index": 3,
            "devices": [
                {
                    "name": TELCO_RTR,
                    "role": "wan_router",
                    "platform": "juniper_junos",
                    "groups": ["telco-cpe"],
                    "snmp_port": 1161,
                    "mgmt": {"ipv6": TELCO_V6},
                },
                {
                    "name": FILE_SRV,
                    "role": "server",
                    "platform": "linux",
                    "ssh_credentials": "ssh-file",
                    "mgmt": {"ipv4": "10.38.128.97", "port": 2222},
                },
                {
                    "name": TELCO_SRV,
                    "role": "server",
                    "platform": "linux",
                    "groups": ["telco-cpe"],
                    "mgmt": {"ipv4": "10.38.128.98"},
                },
            ],
        }
    ]
}


@dataclass(frozen=True)
class World:
    root: Path
    inv: Inventory
    devices: list[DeviceView]
    canaries: dict[str, str]

    def view(self, name: str) -> DeviceView:
        return next(v for v in self.devices if v.name == name)


def _write_inventory(root: Path) -> None:
    scaffold(find_province("thanh_hoa"), root)
    province = load_yaml((root / "province.yaml").read_text(encoding="utf-8"))
    province["credentials"]["ssh-file"] = {
        "kind": "ssh",
        "username": "deploy",
        "password": {"secret": "dc-deploy"},
        "private_key_file": "~/.ssh/provnet_ed25519",
    }
    province.setdefault("defaults", {})["syslog_forward"] = "relp"
    (root / "province.yaml").write_text(dump(province), encoding="utf-8")
    (root / "sites" / "zz-department.yaml").write_text(dump(EXTRA_SITE), encoding="utf-8")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("export")
    root = base / "thanh_hoa"
    _write_inventory(root)
    canaries = {
        name: f"canary-{name.lower()}-{uuid.uuid4().hex}"
        for name in ("PROVNET_SSH_PASSWORD", "PROVNET_ENABLE_SECRET", "PROVNET_VC_PASSWORD")
    }
    canaries["dc-deploy"] = f"canary-file-{uuid.uuid4().hex}"
    secrets_file = base / "secrets.yaml"
    secrets_file.write_text(f"dc-deploy: {canaries['dc-deploy']}\n", encoding="utf-8")
    secrets_file.chmod(0o600)
    with pytest.MonkeyPatch.context() as mp:
        for name, value in canaries.items():
            if name.startswith("PROVNET_"):
                mp.setenv(name, value)
        mp.setenv(ENV_SECRETS_FILE, str(secrets_file))
        inv = load_valid(root)
        yield World(root, inv, list(iter_devices(inv)), canaries)


def assert_no_canary(text: str, world: World) -> None:
    for name, canary in world.canaries.items():
        assert canary not in text, f"the secret behind {name} leaked into an export"


# --- file_sd -----------------------------------------------------------------

LABELS = {
    "province",
    "province_code",
    "commune",
    "commune_code",
    "site",
    "site_kind",
    "role",
    "platform",
    "device",
    "managed_by",
}


def test_file_sd_round_trips_through_json_with_bounded_labels(world: World) -> None:
    groups = export.file_sd(world.devices)
    assert json.loads(json.dumps(groups, ensure_ascii=False)) == groups
    assert len(groups) == len(world.devices)
    for group in groups:
        assert set(group["labels"]) == LABELS
        assert all(isinstance(value, str) for value in group["labels"].values())
        assert len(group["targets"]) == 1


def test_file_sd_commune_device(world: World) -> None:
    by_device = {g["labels"]["device"]: g for g in export.file_sd(world.devices)}
    view = world.view(RTR)
    assert by_device[RTR] == {
        "targets": [str(view.mgmt_ipv4)],
        "labels": {
            "province": "Thanh Hóa",
            "province_code": "38",
            "commune": "Phường Hàm Rồng",
            "commune_code": "14758",
            "site": "th-14758-ubnd",
            "site_kind": "commune_office",
            "role": "wan_router",
            "platform": "cisco_ios",
            "device": RTR,
            "managed_by": "province",
        },
    }


def test_file_sd_province_level_ipv6_only_non_standard_port(world: World) -> None:
    (group,) = export.file_sd([world.view(TELCO_RTR)])
    assert group["targets"] == [f"[{TELCO_V6}]:1161"]
    labels = group["labels"]
    assert (labels["commune"], labels["commune_code"]) == ("", "")
    assert (labels["managed_by"], labels["site_kind"]) == ("telco", "department")


# --- Ansible -------------------------------------------------------------------

ANSIBLE_GROUP = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@pytest.fixture(scope="module")
def ansible_list(world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``ansible-inventory --list`` of the export, run by ansible-runner. The list goes to a
    file (``--output``): on stdout ansible-runner would store each of its ~14,000 lines as an
    event file of its own (half a minute of the suite)."""
    base = tmp_path_factory.mktemp("ansible")
    path = base / "hosts.yml"
    listed = base / "list.json"
    path.write_text(
        yaml.safe_dump(export.ansible(world.inv, world.devices), allow_unicode=True),
        encoding="utf-8",
    )
    bin_dir = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_HOME": str(base / "ansible_home"),
        "ANSIBLE_LOCAL_TEMP": str(base / "tmp"),
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", env["PATH"])
        out, err = ansible_runner.get_inventory(
            action="list",
            inventories=[str(path)],
            response_format="json",
            private_data_dir=str(base / "runner"),
            envvars=env,
            quiet=True,
            output_file=str(listed),
        )
    assert listed.is_file(), f"ansible-inventory failed: {out!r} {err!r}"
    result: dict[str, Any] = json.loads(listed.read_text(encoding="utf-8"))
    return result


def test_ansible_group_names_are_valid(world: World) -> None:
    children = export.ansible(world.inv, world.devices)["all"]["children"]
    assert all(ANSIBLE_GROUP.match(name) for name in children)


@pytest.mark.slow
def test_ansible_inventory_accepts_groups(ansible_list: dict[str, Any], world: World) -> None:
    def hosts(group: str) -> list[str]:
        result: list[str] = ansible_list[group]["hosts"]
        return result

    assert hosts("commune_14758") == [RTR, "th-14758-sw1", "th-14758-vc1"]
    assert RTR in hosts("wan_router")
    assert RTR in hosts("platform_cisco_ios")
    assert hosts("telco_managed") == [TELCO_RTR, TELCO_SRV]
    assert TELCO_RTR not in hosts("province_managed")
    assert {"th-dc-rtr1", "th-soc-log1", TELCO_RTR} <= set(hosts("province_level"))
    assert hosts("kind_department") == [TELCO_RTR, FILE_SRV, TELCO_SRV]
    assert len(hosts("group_vc_endpoints")) == 167
    assert len(ansible_list["_meta"]["hostvars"]) == len(world.devices)


@pytest.mark.slow
def test_ansible_inventory_host_vars(ansible_list: dict[str, Any]) -> None:
    hostvars = ansible_list["_meta"]["hostvars"]
    rtr = hostvars[RTR]
    assert rtr["ansible_network_os"] == "cisco.ios.ios"
    assert rtr["ansible_connection"] == "ansible.netcommon.network_cli"
    assert rtr["ansible_user"] == "netops"
    assert rtr["ansible_port"] == 22
    assert rtr["ansible_password"] == "{{ lookup('env', 'PROVNET_SSH_PASSWORD') }}"
    assert rtr["ansible_become_password"] == "{{ lookup('env', 'PROVNET_ENABLE_SECRET') }}"
    assert rtr["ansible_become_method"] == "enable"
    assert rtr["provnet_commune"] == "Phường Hàm Rồng"
    assert rtr["provnet_commune_code"] == "14758"
    assert rtr["provnet_monitor_only"] is False
    assert hostvars["th-dc-rtr1"]["ansible_network_os"] == "cisco.ios.ios"
    assert hostvars["th-dc-fw1"]["ansible_network_os"] == "community.network.ce"


@pytest.mark.slow
def test_ansible_inventory_odd_hosts(ansible_list: dict[str, Any]) -> None:
    hostvars = ansible_list["_meta"]["hostvars"]
    telco = hostvars[TELCO_RTR]
    assert telco["ansible_host"] == TELCO_V6
    assert telco["ansible_network_os"] == "junipernetworks.junos.junos"
    assert telco["provnet_monitor_only"] is True
    assert "ansible_become" not in telco
    server = hostvars[FILE_SRV]
    assert server["ansible_connection"] == "ssh"
    assert "ansible_network_os" not in server
    assert (server["ansible_port"], server["ansible_user"]) == (2222, "deploy")
    assert "ansible_password" not in server
    assert server["provnet_secret_ref"] == "secret:dc-deploy"
    assert server["ansible_ssh_private_key_file"] == "~/.ssh/provnet_ed25519"
    vc = hostvars["th-14758-vc1"]
    assert "ansible_connection" not in vc
    assert vc["ansible_password"] == "{{ lookup('env', 'PROVNET_VC_PASSWORD') }}"


@pytest.mark.slow
def test_ansible_inventory_output_holds_no_secret(
    ansible_list: dict[str, Any], world: World
) -> None:
    assert_no_canary(json.dumps(ansible_list, ensure_ascii=False), world)


# --- pyinfra -------------------------------------------------------------------


@pytest.fixture(scope="module")
def pyinfra_text(world: World) -> str:
    return export.pyinfra(world.inv, world.devices)


# pyinfra_cli monkey-patches the whole process with gevent on import, which kills
# pytest-xdist's workers: pyinfra's own loader runs in a child process instead.
LOAD_WITH_PYINFRA = """
import json, sys
from pyinfra.api.state import State
from pyinfra.context import ctx_state
from pyinfra_cli.inventory import make_inventory
with ctx_state.use(State()):
    inventory = make_inventory(sys.argv[1])
print(json.dumps({
    "hosts": [h.name for h in inventory],
    "groups": {g: [h.name for h in inventory.get_group(g)] for g in ("server", "kind_soc")},
    "data": {h.name: {k: h.data.get(k) for k in (
        "ssh_hostname", "ssh_port", "ssh_user", "ssh_key", "ssh_password",
        "provnet_site", "provnet_commune_code", "provnet_secret_ref",
        "provnet_syslog_forward")} for h in inventory},
}))
"""


@pytest.fixture
def pyinfra_inventory(pyinfra_text: str, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "provnet_inventory.py"
    path.write_text(pyinfra_text, encoding="utf-8")
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD_WITH_PYINFRA, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, Any] = json.loads(loaded.stdout)
    return result


def test_pyinfra_inventory_loads_linux_servers_only(pyinfra_inventory: dict[str, Any]) -> None:
    names = pyinfra_inventory["hosts"]
    assert names == ["th-dc-srv1", "th-dc-srv2", "th-dc-srv3", "th-soc-log1", FILE_SRV]
    assert TELCO_SRV not in names  # telco-managed: pyinfra only changes machines
    assert pyinfra_inventory["groups"]["server"] == names
    assert pyinfra_inventory["groups"]["kind_soc"] == ["th-soc-log1"]


def test_pyinfra_host_data(pyinfra_inventory: dict[str, Any], world: World) -> None:
    srv1 = pyinfra_inventory["data"]["th-dc-srv1"]
    assert srv1["ssh_hostname"] == str(world.view("th-dc-srv1").mgmt_ipv4)
    assert (srv1["ssh_port"], srv1["ssh_user"]) == (22, "netops")
    assert srv1["provnet_site"] == "th-dc"
    assert srv1["provnet_commune_code"] == ""
    # How it forwards its logs, from the defaults (``relp`` is short for the mapping).
    assert srv1["provnet_syslog_forward"] == {
        "transport": "relp",
        "port": None,
        "ca_file": None,
        "peer_name": None,
    }
    # Read from the environment when the file is loaded, never written in it.
    assert srv1["ssh_password"] == world.canaries["PROVNET_SSH_PASSWORD"]
    other = pyinfra_inventory["data"][FILE_SRV]
    assert (other["ssh_port"], other["ssh_user"]) == (2222, "deploy")
    assert other["ssh_key"] == "~/.ssh/provnet_ed25519"
    assert other["ssh_password"] is None
    assert other["provnet_secret_ref"] == "secret:dc-deploy"


def test_pyinfra_text_is_python_without_secrets(pyinfra_text: str, world: World) -> None:
    compile(pyinfra_text, "inventory.py", "exec")
    assert "os.environ.get('PROVNET_SSH_PASSWORD')" in pyinfra_text
    assert_no_canary(pyinfra_text, world)


# --- Netmiko -------------------------------------------------------------------


def test_netmiko_parameters_hold_references_only(world: World) -> None:
    entries = {e["name"]: e for e in export.netmiko(world.inv, world.devices)}
    assert len(entries) == len(world.devices)
    assert entries[RTR] == {
        "name": RTR,
        "device_type": "cisco_ios",
        "host": str(world.view(RTR).mgmt_ipv4),
        "port": 22,
        "username": "netops",
        "password_ref": "env:PROVNET_SSH_PASSWORD",
        "secret_ref": "env:PROVNET_ENABLE_SECRET",
        "key_file": None,
        "monitor_only": False,
    }
    assert entries[TELCO_RTR]["monitor_only"] is True
    assert entries[TELCO_RTR]["host"] == TELCO_V6
    assert entries[FILE_SRV]["password_ref"] == "secret:dc-deploy"


def test_netmiko_connect_params_resolve_secrets_at_run_time(world: World) -> None:
    store = SecretStore.from_environment(world.root)
    params = export.netmiko_connect_params(world.inv, world.view(RTR), store)
    assert params["password"] == world.canaries["PROVNET_SSH_PASSWORD"]
    assert params["secret"] == world.canaries["PROVNET_ENABLE_SECRET"]
    inspect.signature(BaseConnection.__init__).bind(None, **params)  # ConnectHandler accepts it
    server = export.netmiko_connect_params(world.inv, world.view(FILE_SRV), store)
    assert server["password"] == world.canaries["dc-deploy"]
    assert (server["use_keys"], server["key_file"]) == (True, "~/.ssh/provnet_ed25519")
    assert "secret" not in server


def test_netmiko_connect_params_errors_name_the_reference(world: World) -> None:
    store = SecretStore({}, None)
    with pytest.raises(SecretUnavailable, match="PROVNET_SSH_PASSWORD") as info:
        export.netmiko_connect_params(world.inv, world.view(RTR), store)
    assert_no_canary(str(info.value), world)
    bare = replace(world.view(RTR), ssh_credentials=None)
    with pytest.raises(SecretUnavailable, match="no SSH credential"):
        export.netmiko_connect_params(world.inv, bare, store)


# --- secrets, across every export -----------------------------------------------


def test_no_export_holds_a_secret(world: World) -> None:
    outputs = [
        json.dumps(export.file_sd(world.devices), ensure_ascii=False),
        json.dumps(export.ansible(world.inv, world.devices), ensure_ascii=False),
        yaml.safe_dump(export.ansible(world.inv, world.devices), allow_unicode=True),
        export.pyinfra(world.inv, world.devices),
        json.dumps(export.netmiko(world.inv, world.devices), ensure_ascii=False),
    ]
    for text in outputs:
        assert_no_canary(text, world)
