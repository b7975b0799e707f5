"""The twin's SNMP agent serves what the router's running configuration says, at once.

An engineer rotates a community, adds an SNMPv3 user or moves sysLocation over SSH
(Netmiko, as `provnet net apply` would); net-snmp's own snmpget (a client provnet did not
write) then sees the change on its next request: the new community answers, the removed
one times out, the old v3 keys stop working. sysDescr is the first lines of
`show version`, as on IOS.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from netmiko import ConnectHandler
from netmiko.base_connection import BaseConnection

from lab.twin import TWIN_SNMP_PORT, spec_from_json
from tests.lab.clients.conftest import ROUTER
from tests.platforms.twin import TwinDevices

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_CONTACT = "1.3.6.1.2.1.1.4.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYS_LOCATION = "1.3.6.1.2.1.1.6.0"


Get = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def snmpget(tmp_path: Path, twin: TwinDevices) -> Get:
    """snmpget OPTION... OID...: the router's answer (return code 0) or none."""
    if not shutil.which("snmpget"):
        pytest.fail("net-snmp's snmpget is missing (apt-get install snmp; ./dev setup does)")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "SNMP_PERSISTENT_DIR": str(tmp_path),
        "SNMPCONFPATH": str(tmp_path),
        "MIBS": "",
    }
    target = f"{twin.params[ROUTER].host}:{TWIN_SNMP_PORT}"

    def get(*args: str) -> subprocess.CompletedProcess[str]:
        oids = [a for a in args if a.startswith("1.3.6.")]
        options = [a for a in args if a not in oids]
        return subprocess.run(
            ["snmpget", "-On", "-Oqv", "-t", "1", "-r", "0", *options, target, *oids],
            capture_output=True,
            text=True,
            timeout=20,
            env=env,
        )

    return get


@pytest.fixture
def cli(twin: TwinDevices, netmiko_options: dict[str, object]) -> Iterator[BaseConnection]:
    p = twin.params[ROUTER]
    conn = ConnectHandler(
        device_type="cisco_ios",
        host=p.host,
        username=p.username,
        password=p.password,
        **netmiko_options,  # type: ignore[arg-type]
    )
    conn.enable()
    try:
        yield conn
    finally:
        conn.disconnect()


def _secret(twin: TwinDevices, name: str) -> str:
    spec = spec_from_json((twin.up.state_dir / "twin.json").read_text(encoding="utf-8"))
    credential, field = name.split(".")
    return spec.lab_secrets[credential][field]


def test_a_community_rotated_over_ssh_is_what_snmp_answers(
    cli: BaseConnection, snmpget: Get
) -> None:
    get = snmpget
    assert get("-v2c", "-c", "rotated-2026", SYS_NAME).returncode != 0  # not configured
    cli.send_config_set(["snmp-server community rotated-2026 RO"])
    answer = get("-v2c", "-c", "rotated-2026", SYS_NAME)
    assert answer.returncode == 0 and answer.stdout.strip().strip('"') == ROUTER

    cli.send_config_set(
        [
            "snmp-server community rotated-2027 RO",
            "no snmp-server community rotated-2026",
            "snmp-server location Phong may UBND xa Quang Ninh",
            "snmp-server contact to-mang@thanhhoa.gov.vn",
        ]
    )
    assert get("-v2c", "-c", "rotated-2026", SYS_NAME).returncode != 0  # removed: silence
    new = get("-v2c", "-c", "rotated-2027", SYS_LOCATION, SYS_CONTACT, SYS_DESCR)
    assert new.returncode == 0, new.stderr
    location, contact, *descr = new.stdout.splitlines()
    assert location.strip('"') == "Phong may UBND xa Quang Ninh"
    assert contact.strip('"') == "to-mang@thanhhoa.gov.vn"
    version = cli.send_command("show version").splitlines()[0]
    assert descr[0].strip('"') == version  # sysDescr begins as `show version` does
    cli.send_config_set(["no snmp-server community rotated-2027"])
    assert get("-v2c", "-c", "rotated-2027", SYS_NAME).returncode != 0


def test_snmpv3_users_follow_the_configuration(
    cli: BaseConnection, snmpget: Get, twin: TwinDevices
) -> None:
    get = snmpget
    # The inventory's user, provisioned with the box (its group is in the configuration).
    auth, priv = (
        _secret(twin, "snmp-v3-ro.auth_password"),
        _secret(twin, "snmp-v3-ro.priv_password"),
    )
    inventory_user = ["-v3", "-l", "authPriv", "-u", "provnet-ro", "-a", "SHA-256", "-A", auth]
    assert get(*inventory_user, "-x", "AES", "-X", priv, SYS_NAME).returncode == 0
    assert "snmp-server user" not in cli.send_command("show running-config")  # as on IOS

    first = ["-v3", "-l", "authPriv", "-u", "rotor", "-a", "SHA", "-x", "AES"]
    cli.send_config_set(
        [
            "snmp-server group ROTATION v3 priv",
            "snmp-server user rotor ROTATION v3 auth sha auth-key-1 priv aes 128 priv-key-1",
        ]
    )
    assert get(*first, "-A", "auth-key-1", "-X", "priv-key-1", SYS_NAME).returncode == 0
    cli.send_config_set(
        ["snmp-server user rotor ROTATION v3 auth sha auth-key-2 priv aes 128 priv-key-2"]
    )
    assert get(*first, "-A", "auth-key-1", "-X", "priv-key-1", SYS_NAME).returncode != 0
    assert get(*first, "-A", "auth-key-2", "-X", "priv-key-2", SYS_NAME).returncode == 0
    cli.send_config_set(["no snmp-server group ROTATION v3 priv"])  # no group, no access
    assert get(*first, "-A", "auth-key-2", "-X", "priv-key-2", SYS_NAME).returncode != 0
