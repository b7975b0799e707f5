"""`provnet lab up|status|fault|down` end to end: a real daemon, Netmiko over SSH, SNMP.

The twin of two communes of the example province runs in the background as
`provnet lab up` starts it; Netmiko (real device_type, default settings) and the
SNMP poller reach it through the overlay inventory only, as a user would.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import signal
import subprocess
import time
from pathlib import Path

import paramiko
import pytest
from netmiko import ConnectHandler
from typer.testing import CliRunner

from cli import app
from exporters.poll import poll, targets_for
from inventory import export
from inventory.model import SshCredential
from inventory.resolve import iter_devices
from inventory.secrets import SecretStore
from inventory.source import load_yaml
from inventory.validate import load_valid
from lab.control import UpResult, is_up, lab_down, lab_up, netns_prefix
from lab.netns import root_available
from tests.conftest import EXAMPLE

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def lab(twin: UpResult) -> UpResult:
    return twin


def _connect(result: UpResult, name: str) -> dict[str, object]:
    inv = load_valid(result.overlay)
    view = next(v for v in iter_devices(inv) if v.name == name)
    store = SecretStore({}, result.secrets_file)
    return export.netmiko_connect_params(inv, view, store)


def test_status_lists_the_simulated_devices(lab: UpResult) -> None:
    out = runner.invoke(app, ["lab", "status", "--state-dir", str(lab.state_dir)])
    assert out.exit_code == 0, out.output
    assert "th-14758-rtr1" in out.output
    assert "th-14845-vc1" in out.output


def test_netmiko_changes_show_in_running_config_and_snmp(lab: UpResult) -> None:
    params = _connect(lab, "th-14758-rtr1")
    with ConnectHandler(**params) as conn:
        conn.enable()
        assert "IOS" in conn.send_command("show version")
        conn.send_config_set(["interface Loopback9", "ipv6 address 2001:db8:2600:10ff::9/64"])
        conn.save_config()
        running = conn.send_command("show running-config")
    assert "interface Loopback9" in running
    assert "2001:db8:2600:10ff::9/64" in running.lower()


def test_fault_down_times_out_while_neighbours_answer(lab: UpResult) -> None:
    down = runner.invoke(
        app, ["lab", "fault", "th-14845-rtr1", "down", "--state-dir", str(lab.state_dir)]
    )
    assert down.exit_code == 0, down.output
    inv = load_valid(lab.overlay)
    views = [v for v in iter_devices(inv) if v.role.value != "server"]
    store = SecretStore({}, lab.secrets_file)
    results = {r.name: r for r in asyncio.run(poll(targets_for(inv, views, store), timeout=0.5))}
    assert not results["th-14845-rtr1"].reachable
    assert results["th-14758-rtr1"].reachable
    assert results["th-14845-vc1"].reachable
    up = runner.invoke(
        app, ["lab", "fault", "th-14845-rtr1", "up", "--state-dir", str(lab.state_dir)]
    )
    assert up.exit_code == 0


def test_unknown_device_fault_is_exit_2(lab: UpResult) -> None:
    out = runner.invoke(app, ["lab", "fault", "nope", "down", "--state-dir", str(lab.state_dir)])
    assert out.exit_code == 2
    assert "nope" in out.output


def test_down_leaves_nothing(tmp_path: Path, twin_base: str) -> None:
    state_dir = tmp_path / "state"
    base = ipaddress.IPv4Address(twin_base) + 256 * 120
    lab_up(EXAMPLE, ["commune=14758"], state_dir, base)
    assert is_up(state_dir)
    assert lab_down(state_dir)
    assert not state_dir.exists()
    assert not lab_down(state_dir)


def _snmp(lab: UpResult, command: str, host: str, *oids: str) -> str:
    """Ask the twin with net-snmp's own tools, SNMPv3 authPriv as the inventory says."""
    secrets = load_yaml(lab.secrets_file.read_text(encoding="utf-8"))
    completed = subprocess.run(
        [
            command,
            "-v3",
            "-l",
            "authPriv",
            "-u",
            "provnet-ro",
            "-a",
            "SHA-256",
            "-A",
            secrets["snmp-v3-ro.auth_password"],
            "-x",
            "AES",
            "-X",
            secrets["snmp-v3-ro.priv_password"],
            "-On",
            "-t",
            "2",
            "-r",
            "1",
            f"udp:{host}:10161",
            *oids,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return completed.stdout


def test_change_over_ssh_shows_in_snmp(lab: UpResult) -> None:
    params = _connect(lab, "th-14848-rtr1")
    host = str(params["host"])
    before = _snmp(lab, "snmpwalk", host, "1.3.6.1.2.1.4.34.1.3")
    with ConnectHandler(**params) as conn:
        conn.enable()
        prompt = conn.find_prompt()
        if prompt.startswith("<"):  # Huawei VRP
            conn.send_config_set(  # IPv6 on the box first: VRP refuses `ipv6 enable` before
                [
                    "ipv6",
                    "interface LoopBack7",
                    "ipv6 enable",
                    "ipv6 address 2001:db8:2600:77::1/64",
                ]
            )
        else:
            conn.send_config_set(["interface Loopback7", "ipv6 address 2001:db8:2600:77::1/64"])
    after = _snmp(lab, "snmpwalk", host, "1.3.6.1.2.1.4.34.1.3")
    # ipAddressIfIndex.ipv6(2).16.<address bytes>: the new address is indexed in IP-MIB.
    new_index = ".2.16.32.1.13.184.38.0.0.119.0.0.0.0.0.0.0.1 "
    assert new_index not in before
    assert new_index in after


def test_shutdown_over_ssh_brings_if_oper_status_down(lab: UpResult) -> None:
    params = _connect(lab, "th-14758-rtr1")
    host = str(params["host"])
    names = _snmp(lab, "snmpwalk", host, "1.3.6.1.2.1.31.1.1.1.1")
    index = next(
        line.split(" = ")[0].rsplit(".", 1)[1]
        for line in names.splitlines()
        if "GigabitEthernet0/0/1" in line
    )
    oper = f"1.3.6.1.2.1.2.2.1.8.{index}"
    assert "INTEGER: 1\n" in _snmp(lab, "snmpget", host, oper)
    with ConnectHandler(**params) as conn:
        conn.enable()
        conn.send_config_set(["interface GigabitEthernet0/0/1", "shutdown"])
        assert "INTEGER: 2\n" in _snmp(lab, "snmpget", host, oper)
        conn.send_config_set(["interface GigabitEthernet0/0/1", "no shutdown"])
    assert "INTEGER: 1\n" in _snmp(lab, "snmpget", host, oper)


def test_reboot_resets_sys_uptime(lab: UpResult) -> None:
    host = str(_connect(lab, "th-dc-fw1")["host"])
    time.sleep(1.2)
    before = _snmp(lab, "snmpget", host, "1.3.6.1.2.1.1.3.0")
    ticks_before = int(before.split("(")[1].split(")")[0])
    out = runner.invoke(
        app, ["lab", "fault", "th-dc-fw1", "reboot", "--state-dir", str(lab.state_dir)]
    )
    assert out.exit_code == 0, out.output
    after = _snmp(lab, "snmpget", host, "1.3.6.1.2.1.1.3.0")
    ticks_after = int(after.split("(")[1].split(")")[0])
    assert ticks_before >= 100
    assert ticks_after < ticks_before


def test_linux_servers_are_booted_debian_systems_when_root(lab: UpResult) -> None:
    available, reason = root_available()
    if not available:
        assert "Linux" in lab.note
        pytest.skip(f"Linux servers need root: {reason}")
    inv = load_valid(lab.overlay)
    server = next(v for v in iter_devices(inv) if v.name == "th-dc-srv1")
    credential = inv.settings.credentials[server.ssh_credentials or ""]
    assert isinstance(credential, SshCredential)
    assert credential.private_key_file is not None
    assert server.mgmt_ipv4 is not None
    assert not server.mgmt_ipv4.is_loopback  # an address inside the twin's own namespace
    assert lab.known_hosts is not None
    client = paramiko.SSHClient()
    client.load_host_keys(str(lab.known_hosts))  # the server's own key, recorded by lab up
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(
            server.host,
            port=server.ssh_port,
            username=credential.username,
            key_filename=credential.private_key_file,
            timeout=10,
            allow_agent=False,
            look_for_keys=False,
        )
        _, stdout, _ = client.exec_command(
            "hostname; systemctl is-system-running --wait", timeout=60
        )
        assert stdout.read().decode().split() == ["th-dc-srv1", "running"]
    finally:
        client.close()


def test_down_removes_the_namespaces(tmp_path: Path, twin_base: str) -> None:
    available, reason = root_available()
    if not available:
        pytest.skip(f"Linux servers need root: {reason}")
    state_dir = tmp_path / "state"
    base = ipaddress.IPv4Address(twin_base) + 256 * 140
    lab_up(EXAMPLE, ["site=th-soc"], state_dir, base)
    prefix = netns_prefix(state_dir)
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    assert prefix in listed.stdout
    lab_down(state_dir)
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True)
    assert prefix not in listed.stdout


def test_link_down_fault_shows_in_snmp(lab: UpResult) -> None:
    host = str(_connect(lab, "th-14848-sw1")["host"])
    names = _snmp(lab, "snmpwalk", host, "1.3.6.1.2.1.31.1.1.1.1")
    line = names.splitlines()[0]
    index = line.split(" = ")[0].rsplit(".", 1)[1]
    interface = line.split('"')[1]
    oper = f"1.3.6.1.2.1.2.2.1.8.{index}"
    state_dir = str(lab.state_dir)
    out = runner.invoke(
        app, ["lab", "fault", "th-14848-sw1", "link-down", interface, "--state-dir", state_dir]
    )
    assert out.exit_code == 0, out.output
    try:
        assert "INTEGER: 2\n" in _snmp(lab, "snmpget", host, oper)
    finally:
        runner.invoke(
            app, ["lab", "fault", "th-14848-sw1", "link-up", interface, "--state-dir", state_dir]
        )
    assert "INTEGER: 1\n" in _snmp(lab, "snmpget", host, oper)


def test_down_after_a_crash_leaves_nothing(tmp_path: Path, twin_base: str) -> None:
    state_dir = tmp_path / "state"
    base = ipaddress.IPv4Address(twin_base) + 256 * 160
    lab_up(EXAMPLE, ["commune=14758", "site=th-soc"], state_dir, base)
    pid = int((state_dir / "daemon.pid").read_text())
    os.kill(pid, signal.SIGKILL)  # the daemon we started dies without cleaning up
    deadline = time.monotonic() + 10
    while is_up(state_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not lab_down(state_dir)
    assert not state_dir.exists()
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    assert netns_prefix(state_dir) not in listed.stdout
    # The same addresses can be used again at once.
    lab_up(EXAMPLE, ["commune=14758"], state_dir, base)
    assert lab_down(state_dir)
