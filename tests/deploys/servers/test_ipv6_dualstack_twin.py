"""``provnet servers deploy ipv6_dualstack`` on the twin's Debian servers: a dry run changes
no byte; the apply gives an IPv4-only server its planned IPv6 address and default route while
an SSH session over IPv4 stays up; one server going down mid-deploy fails alone (the others
finish, the exit code and the journal say which); what ifupdown persisted brings the same
IPv6 back; a second run changes nothing. Root only (CI runs as root)."""

from __future__ import annotations

import json
import select
import subprocess
from typing import Any

import pytest

from tests.conftest import TwinServers
from tests.deploys.servers.twin_deploys import CANARY, ensure_baseline, files, inside, run

pytestmark = pytest.mark.root

FRESH = "th-dc-srv3"  # loses its IPv6 before the deploy: an IPv4-only server
VICTIM = "th-soc-log1"  # goes down in the middle of the deploy
WATCHED = ("/etc/sysctl.d", "/etc/network", "/etc/nftables.d", "/etc/nftables.conf")
# The victim's sshd, with every session (the deploy's too), is killed as soon as the deploy
# has written its first file there: a path unit of the server's own systemd, so the moment
# is the deploy's, not a timer's.
TRIP = (
    "mkdir -p /run/systemd/system && cd /run/systemd/system && "
    "printf '[Path]\\nPathExists=/etc/sysctl.d/60-provnet-ipv6.conf\\n' > provnet-trip.path && "
    "printf '[Service]\\nType=oneshot\\nExecStart=systemctl stop provnet-trip.path\\n"
    "ExecStart=systemctl kill --signal=KILL ssh.service\\n' > provnet-trip.service && "
    "systemctl daemon-reload && systemctl start provnet-trip.path"
)
UNTRIP = (
    "systemctl stop provnet-trip.path; rm -f /run/systemd/system/provnet-trip.*; "
    "systemctl daemon-reload; systemctl reset-failed; systemctl start ssh.service"
)


class Session:
    """An SSH session over IPv4 that echoes each line it is sent."""

    def __init__(self, twin: TwinServers, address: str) -> None:
        servers = twin.servers
        self.proc = subprocess.Popen(
            [
                "ssh", "-T", "-i", str(servers.key_path), "-o", "BatchMode=yes",
                "-o", f"UserKnownHostsFile={servers.known_hosts}",
                "-o", "StrictHostKeyChecking=yes", f"root@{address}",
                "while read -r line; do echo \"echo $line\"; done",
            ],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip

    def echo(self, line: str, timeout: float = 15) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            return ""
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline().strip() if ready else ""

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


def _ipv6(twin: TwinServers, name: str) -> str:
    host = next(h for h in twin.servers.hosts if h.name == name)
    return str(host.address6)


@pytest.fixture(scope="module")
def dualstack(
    twin_servers: TwinServers, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    cwd = tmp_path_factory.mktemp("ipv6-dualstack-twin")
    inventory = twin_servers.up.overlay
    names = [h.name for h in twin_servers.servers.hosts]
    ensure_baseline(twin_servers, cwd, inventory, names)
    inside(twin_servers, FRESH, f"ip -6 addr del {_ipv6(twin_servers, FRESH)}/64 dev eth0")
    before = {n: files(twin_servers, n, WATCHED) for n in names}
    dry = run(["deploy", "ipv6_dualstack", "--dry", "--diff"], cwd, inventory)
    unchanged = before == {n: files(twin_servers, n, WATCHED) for n in names}
    fresh4 = str(next(h.address for h in twin_servers.servers.hosts if h.name == FRESH))
    session = Session(twin_servers, fresh4)
    inside(twin_servers, VICTIM, TRIP)
    try:
        echoes = [session.echo("before")]
        journal = cwd / "apply.journal.jsonl"
        applied = run(["deploy", "ipv6_dualstack", "-y", "--journal", str(journal)], cwd, inventory)
        echoes.append(session.echo("after"))
    finally:
        session.close()
        inside(twin_servers, VICTIM, UNTRIP)
    return {
        "names": names,
        "cwd": cwd,
        "inventory": inventory,
        "dry": dry,
        "unchanged_by_dry": unchanged,
        "applied": applied,
        "journal": [json.loads(line) for line in journal.read_text().splitlines()],
        "echoes": echoes,
    }


def test_dry_run_lists_changes_and_changes_nothing(
    twin_servers: TwinServers, dualstack: dict[str, Any]
) -> None:
    code, output = dualstack["dry"]
    assert code == 0, output
    assert output.count("would-change") == len(dualstack["names"]), output
    assert "+ iface eth0 inet6 static" in output
    assert dualstack["unchanged_by_dry"], "a --dry run changed a server's files"


def test_a_server_down_mid_deploy_fails_alone(dualstack: dict[str, Any]) -> None:
    code, output = dualstack["applied"]
    assert code == 1, output
    assert "Traceback" not in output
    assert f"changed: {len(dualstack['names']) - 1}" in output and "failed: 1" in output, output
    outcomes = {e["device"]: e for e in dualstack["journal"] if e["event"] == "device"}
    assert outcomes[VICTIM]["status"] == "failed"
    # the operation it was lost in (or stopped at), whichever pyinfra saw the end in
    assert outcomes[VICTIM]["error"].startswith(("ipv6_dualstack | ", "stopped at ipv6_dualstack"))
    assert "connection lost" in outcomes[VICTIM]["error"]
    assert outcomes[VICTIM]["changes"] >= 1  # it went down after a change, not before
    assert {n: e["result"] for n, e in outcomes.items() if n != VICTIM} == dict.fromkeys(
        set(dualstack["names"]) - {VICTIM}, "changed"
    )


def test_the_secret_appears_in_no_output_or_journal(dualstack: dict[str, Any]) -> None:
    outputs = dualstack["dry"][1] + dualstack["applied"][1]
    assert CANARY not in outputs
    assert CANARY not in json.dumps(dualstack["journal"])


def test_an_ipv4_ssh_session_survives_the_apply(dualstack: dict[str, Any]) -> None:
    assert dualstack["applied"][0] in (0, 1)
    assert dualstack["echoes"] == ["echo before", "echo after"]


def test_ipv6_from_the_plan_seen_from_inside(
    twin_servers: TwinServers, dualstack: dict[str, Any]
) -> None:
    address = _ipv6(twin_servers, FRESH)
    gateway = address.rsplit(":", 1)[0] + ":1"
    shown = inside(twin_servers, FRESH, "ip -6 addr show dev eth0 scope global")
    assert f"inet6 {address}/64" in shown
    assert f"default via {gateway} dev eth0" in inside(twin_servers, FRESH, "ip -6 route")
    assert inside(twin_servers, FRESH, "sysctl -n net.ipv6.conf.eth0.accept_ra").strip() == "0"
    guard = inside(twin_servers, FRESH, "nft list chain inet provnet ipv6_guard")
    assert "fib saddr . iif oif missing drop" in guard
    assert "policy drop" in inside(twin_servers, FRESH, "nft list chain inet provnet input")
    inside(twin_servers, FRESH, f"ping -6 -c 1 -W 2 {gateway}")
    # What networking.service does at boot, from the persisted stanza alone: IPv6 comes back.
    inside(twin_servers, FRESH, "ip -6 addr flush dev eth0 scope global; ifup eth0")
    assert f"inet6 {address}/64" in inside(twin_servers, FRESH, "ip -6 addr show dev eth0")
    assert f"default via {gateway}" in inside(twin_servers, FRESH, "ip -6 route show default")
    assert "inet 10." in inside(twin_servers, FRESH, "ip -4 addr show dev eth0")


def test_second_run_changes_nothing(dualstack: dict[str, Any]) -> None:
    assert dualstack["applied"][0] == 1
    cwd, inventory, total = dualstack["cwd"], dualstack["inventory"], len(dualstack["names"])
    code, output = run(["deploy", "ipv6_dualstack", "-y"], cwd, inventory)
    assert code == 0, output  # the victim finishes now, the others have nothing to do
    assert f"unchanged: {total - 1}" in output, output
    code, output = run(["deploy", "ipv6_dualstack", "--dry"], cwd, inventory)
    assert code == 0, output
    assert output.count("no-change") == total, output
