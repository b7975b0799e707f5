"""``provnet servers deploy soc_collector`` on a twin SOC server (th-soc-log1) beside a data
centre server (th-dc-srv1), both real Debian systems: a dry run changes no byte, the apply
makes rsyslog listen (TCP/UDP 514, RELP as the example inventory says), the baseline on the
data centre server then forwards to it over RELP (the example's ``syslog_forward``; the
overlay's syslog_servers are the twin SOC server), a ``logger`` line lands in the collector's
file for that host, so does a network device's UDP line, and a second run changes nothing.

The twin's simulated routers do not send syslog (their simulators have no logging); the
device line is sent by the test from the twin's LAN gateway as a router sends it (RFC 3164
over UDP), which is what the collector sees from a router.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TwinServers
from tests.deploys.servers.twin_deploy import (
    CANARY,
    digests,
    inside,
    own_twin_servers,
    provnet_servers,
)

pytestmark = pytest.mark.root

SOC = "th-soc-log1"
SERVER = "th-dc-srv1"
WATCHED = ("/etc/rsyslog.d", "/etc/logrotate.d", "/etc/nftables.d", "/etc/nftables.conf")


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinServers]:
    state = tmp_path_factory.mktemp("soc-twin") / "state"
    with own_twin_servers(state, ["site=th-soc", SERVER], offset=244) as servers:
        yield servers


@pytest.fixture(scope="module")
def applied(twin: TwinServers, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The baseline on the SOC server (its mirror, its firewall), soc_collector --dry (files
    before and after), soc_collector, then the baseline on the data centre server (a sender
    comes up after its collector)."""
    cwd = tmp_path_factory.mktemp("soc-run")
    soc_baseline = provnet_servers(["deploy", "baseline", "--limit", SOC, "-y"], cwd, twin)
    before = digests(twin, SOC, WATCHED)
    dry = provnet_servers(["deploy", "soc_collector", "--limit", SOC, "--dry", "--diff"], cwd, twin)
    after_dry = digests(twin, SOC, WATCHED)
    apply = provnet_servers(["deploy", "soc_collector", "--limit", SOC, "-y"], cwd, twin)
    baseline = provnet_servers(["deploy", "baseline", "--limit", SERVER, "-y"], cwd, twin)
    return {
        "cwd": cwd,
        "dry": dry,
        "unchanged_by_dry": before == after_dry,
        "apply": apply,
        "soc_baseline": soc_baseline,
        "baseline": baseline,
    }


def _address(twin: TwinServers, name: str) -> str:
    return str(next(h.address for h in twin.servers.hosts if h.name == name))


def test_the_overlay_sends_syslog_to_the_twin_soc_server(twin: TwinServers) -> None:
    province = (twin.up.overlay / "province.yaml").read_text(encoding="utf-8")
    assert f"- {_address(twin, SOC)}" in province.split("syslog_servers:")[1].split(":")[0]


def test_dry_run_lists_the_collector_and_changes_nothing(applied: dict[str, Any]) -> None:
    code, output = applied["dry"]
    assert code == 0, output
    assert output.count("would-change") == 1, output
    assert 'input(type="imrelp" port="2514" ruleset="provnet_soc")' in output  # the diff
    assert applied["unchanged_by_dry"], "a --dry run changed the SOC server's files"


def test_apply_then_the_collector_listens_with_its_firewall_opening(
    twin: TwinServers, applied: dict[str, Any]
) -> None:
    for key in ("soc_baseline", "apply", "baseline"):
        code, output = applied[key]
        assert code == 0, output
        assert CANARY not in output and "Traceback" not in output
    assert "changed: 1" in applied["apply"][1]
    listening = inside(twin, SOC, "ss -ltnu")
    for port in ("0.0.0.0:514", "0.0.0.0:2514"):
        assert port in listening, listening
    ruleset = inside(twin, SOC, "nft list ruleset")
    assert "th dport 514 accept" in ruleset and "tcp dport 2514 accept" in ruleset, ruleset
    assert "policy drop" in ruleset  # the baseline's table, with the collector's rules in it
    assert inside(twin, SOC, "systemctl is-active rsyslog nftables").split() == ["active"] * 2
    rotate = inside(twin, SOC, "logrotate -d /etc/logrotate.d/provnet-soc 2>&1")
    assert "/var/log/soc/*.log" in rotate and "error" not in rotate.lower(), rotate


def _arrived(twin: TwinServers, path: str, token: str, seconds: float = 40) -> str:
    deadline = time.monotonic() + seconds
    text = ""
    while time.monotonic() < deadline:
        text = twin.servers.run(SOC, ["cat", path], timeout=10).stdout
        if token in text:
            return text
        time.sleep(0.5)
    return text


def test_a_logger_line_on_a_server_lands_in_its_file_on_the_collector(
    twin: TwinServers, applied: dict[str, Any]
) -> None:
    assert applied["baseline"][0] == 0, applied["baseline"][1]
    forward = inside(twin, SERVER, "cat /etc/rsyslog.d/90-provnet-forward.conf")
    assert f'type="omrelp" target="{_address(twin, SOC)}" port="2514"' in forward, forward
    token = f"provnet-soc-test-{uuid.uuid4().hex}"
    inside(twin, SERVER, f"logger -t provnet-test {token}")
    text = _arrived(twin, f"/var/log/soc/{SERVER}.log", token)
    assert token in text, f"not in the collector's file for {SERVER}: {text[-2000:]}"
    # It came over RELP: the sender's rsyslog holds a session to the collector's RELP port.
    sessions = inside(twin, SERVER, "ss -Htn state established '( dport = :2514 )'")
    assert _address(twin, SOC) in sessions, sessions
    # Not in the collector's own logs: remote lines go to their host's file only.
    assert token not in twin.servers.run(SOC, ["cat", "/var/log/syslog"], timeout=10).stdout


def test_a_network_device_line_over_udp_lands_in_its_file(
    twin: TwinServers, applied: dict[str, Any]
) -> None:
    assert applied["apply"][0] == 0
    token = f"provnet-router-{uuid.uuid4().hex}"
    line = f"<189>Dec  5 01:40:00 th-dc-rtr1 %SYS-5-CONFIG_I: Configured by netops {token}"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _ in range(3):  # UDP: a line may be lost while the bridge learns the address
            sock.sendto(line.encode(), (_address(twin, SOC), 514))
            if token in _arrived(twin, "/var/log/soc/th-dc-rtr1.log", token, seconds=5):
                break
    text = _arrived(twin, "/var/log/soc/th-dc-rtr1.log", token, seconds=5)
    assert token in text, text


def test_second_run_changes_nothing(twin: TwinServers, applied: dict[str, Any]) -> None:
    assert applied["apply"][0] == 0
    cwd: Path = applied["cwd"]
    code, output = provnet_servers(["deploy", "soc_collector", "--limit", SOC, "--dry"], cwd, twin)
    assert code == 0 and output.count("no-change") == 1, output
    code, output = provnet_servers(["deploy", "soc_collector", "--limit", SOC, "-y"], cwd, twin)
    assert code == 0 and "unchanged: 1" in output, output
