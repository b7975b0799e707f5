"""`provnet lab up|status|fault|down` end to end: a real daemon, Netmiko over SSH, SNMP.

The twin of two communes of the example province runs in the background as
`provnet lab up` starts it; Netmiko (real device_type, default settings) and the
SNMP poller reach it through the overlay inventory only, as a user would.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
from netmiko import ConnectHandler
from typer.testing import CliRunner

from exporters.poll import poll, targets_for
from inventory import export
from inventory.resolve import iter_devices
from inventory.secrets import SecretStore
from inventory.validate import load_valid
from lab.control import UpResult, is_up, lab_down, lab_up
from provnet.cli import app
from tests.conftest import EXAMPLE

LIMIT = ["commune=14758", "commune=14845"]  # Hàm Rồng (cisco_xe) and Mường Lát (huawei_vrp)
runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, twin_base: str) -> Iterator[UpResult]:
    state_dir = tmp_path_factory.mktemp("lab") / "state"
    base = ipaddress.IPv4Address(twin_base) + 256 * 100
    result = lab_up(EXAMPLE, LIMIT, state_dir, base)
    try:
        yield result
    finally:
        lab_down(state_dir)


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
