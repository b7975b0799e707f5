"""`provnet lab up` boots the inventory's Linux servers as real Debian systems: reachable
with the overlay inventory's credentials and known_hosts, each its own machine, and the
package mirror the inventory names in reach (issue: server deploys, twin half)."""

from __future__ import annotations

import json
import subprocess

import pytest
from typer.testing import CliRunner

from cli import app
from tests.conftest import TwinServers

runner = CliRunner(env={"COLUMNS": "200"})

SERVERS = {"th-dc-srv1", "th-dc-srv2", "th-dc-srv3", "th-soc-log1"}


@pytest.mark.root
def test_lab_up_boots_every_server_of_the_chosen_sites(twin_servers: TwinServers) -> None:
    view = twin_servers.servers
    assert {h.name for h in view.hosts} == SERVERS
    for host in view.hosts:
        state = view.run(host.name, ["systemctl", "is-system-running", "--wait"], timeout=60)
        assert state.stdout.strip() == "running", view.run(host.name, ["systemctl", "--failed"])
        assert view.run(host.name, ["hostname"]).stdout.strip() == host.name


@pytest.mark.root
def test_the_overlay_reaches_each_server_with_strict_host_keys(twin_servers: TwinServers) -> None:
    up = twin_servers.up
    assert up.known_hosts is not None
    province = (up.overlay / "sites" / "province.yaml").read_text()
    for host in twin_servers.servers.hosts:
        assert str(host.address) in province  # the overlay points the server at its twin
        done = subprocess.run(
            [
                "ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                "-o", f"UserKnownHostsFile={up.known_hosts}",
                "-i", str(twin_servers.servers.key_path),
                f"root@{host.address}", "cat /etc/hostname",
            ],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == host.name


@pytest.mark.root
def test_the_servers_reach_the_mirror_the_twin_plans(twin_servers: TwinServers) -> None:
    plan = json.loads((twin_servers.up.state_dir / "servers.json").read_text())
    assert plan["apt_mirror"] == twin_servers.servers.mirror_url
    fetch = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).status)"
    for host in twin_servers.servers.hosts:
        done = twin_servers.servers.run(
            host.name, ["python3", "-c", fetch, plan["apt_mirror"] + "Packages"]
        )
        assert done.stdout.strip() == "200", done.stderr


@pytest.mark.root
def test_lab_status_lists_the_servers_and_what_their_systemd_says(
    twin_servers: TwinServers,
) -> None:
    for host in twin_servers.servers.hosts:
        twin_servers.servers.run(host.name, ["systemctl", "is-system-running", "--wait"])
    out = runner.invoke(app, ["lab", "status", "--state-dir", str(twin_servers.up.state_dir)])
    assert out.exit_code == 0, out.output
    rows = [line for line in out.output.splitlines() if "th-dc-srv" in line or "th-soc" in line]
    server_rows = [row for row in rows if "running" in row]
    assert len(server_rows) == len(SERVERS)
    for host in twin_servers.servers.hosts:
        assert any(host.name in row and str(host.address) in row for row in server_rows)
