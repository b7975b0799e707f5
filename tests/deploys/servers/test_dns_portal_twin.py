"""``dns_ipv6`` and ``portal_ipv6`` on the twin's Debian servers (the example province makes
th-dc-srv2 the name server of thanhhoa.gov.vn and th-dc-srv1 its portal): dry runs change no
byte and install nothing; applied, ``dig AAAA`` over IPv6 at the name server answers the
portal's address, and the exporter's ``ipv6_service`` probe, pointed at the portal through
that name server, finds it IPv6-ready (AAAA, HTTPS over IPv6, the same body as over IPv4,
DNS over IPv6); a second run changes nothing. Root only (CI runs as root)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from exporters.probes.ipv6_service import MODULE
from tests.conftest import TwinServers
from tests.deploys.servers.twin_deploys import ensure_baseline, files, finish, inside, start

pytestmark = pytest.mark.root

DNS, PORTAL = "th-dc-srv2", "th-dc-srv1"
PORTAL_NAME = "portal.thanhhoa.gov.vn"
WATCHED = ("/etc/bind", "/etc/nginx", "/etc/ssl", "/var/www", "/etc/nftables.d")
RUNS = {"dns_ipv6": DNS, "portal_ipv6": PORTAL}


def _both(args: list[str], cwd: Path, inventory: Path) -> dict[str, tuple[int, str]]:
    """Both deploys at once, each limited to its server (they touch different machines)."""
    procs = {
        deploy: start(["deploy", deploy, *args, "--limit", name], cwd, inventory)
        for deploy, name in RUNS.items()
    }
    return {deploy: finish(proc) for deploy, proc in procs.items()}


def _address(twin: TwinServers, name: str) -> str:
    return str(next(h.address6 for h in twin.servers.hosts if h.name == name))


@pytest.fixture(scope="module")
def services(twin_servers: TwinServers, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    cwd = tmp_path_factory.mktemp("dns-portal-twin")
    inventory = twin_servers.up.overlay
    ensure_baseline(twin_servers, cwd, inventory, [DNS, PORTAL])
    before = {n: files(twin_servers, n, WATCHED) for n in RUNS.values()}
    dry = _both(["--dry", "--diff"], cwd, inventory)
    after = {n: files(twin_servers, n, WATCHED) for n in RUNS.values()}
    installed = inside(
        twin_servers, DNS, "dpkg-query -W -f '${Status}' bind9 nginx 2>/dev/null", check=False
    ) + inside(
        twin_servers, PORTAL, "dpkg-query -W -f '${Status}' bind9 nginx 2>/dev/null", check=False
    )
    applied = _both(["-y"], cwd, inventory)
    return {
        "cwd": cwd,
        "inventory": inventory,
        "dry": dry,
        "unchanged_by_dry": before == after,
        "installed_by_dry": installed,
        "applied": applied,
    }


def test_dry_runs_list_changes_and_change_nothing(services: dict[str, Any]) -> None:
    for code, output in services["dry"].values():
        assert code == 0, output
        assert "would-change" in output, output
    assert "/etc/nftables.d/20-provnet-dns.nft" in services["dry"]["dns_ipv6"][1]
    assert "th dport { 80, 443 } accept" in services["dry"]["portal_ipv6"][1]
    assert services["unchanged_by_dry"], "a --dry run changed a server's files"
    assert "install ok installed" not in services["installed_by_dry"]


def test_apply_changes_each_server(services: dict[str, Any]) -> None:
    for deploy, (code, output) in services["applied"].items():
        assert code == 0, output
        assert "changed: 1" in output, f"{deploy}: {output}"


def test_dig_aaaa_over_ipv6_at_the_name_server(
    twin_servers: TwinServers, services: dict[str, Any]
) -> None:
    assert services["applied"]["dns_ipv6"][0] == 0
    server = _address(twin_servers, DNS)
    dig = f"dig -6 +short +norecurse @{server}"
    assert inside(twin_servers, DNS, f"{dig} AAAA {PORTAL_NAME}").split() == [
        _address(twin_servers, PORTAL)
    ]
    assert inside(twin_servers, DNS, f"{dig} AAAA ns1.thanhhoa.gov.vn").split() == [server]
    assert inside(twin_servers, DNS, f"{dig} NS thanhhoa.gov.vn").split() == [
        "ns1.thanhhoa.gov.vn."
    ]
    # over TCP and IPv4 too, and only for its own zone (no recursion)
    assert inside(twin_servers, DNS, f"{dig} +tcp A th-dc-srv3.thanhhoa.gov.vn").strip()
    refused = inside(twin_servers, DNS, f"dig -6 @{server} A example.org", check=False)
    assert "status: REFUSED" in refused


def test_the_probe_finds_the_portal_ipv6_ready(
    twin_servers: TwinServers, services: dict[str, Any], tmp_path: Path
) -> None:
    assert services["applied"]["portal_ipv6"][0] == 0
    ca_file = tmp_path / "portal.crt"
    ca_file.write_text(inside(twin_servers, PORTAL, "cat /etc/ssl/provnet/portal.crt"))
    params = {"resolver": f"[{_address(twin_servers, DNS)}]:53", "ca_file": str(ca_file)}
    families = asyncio.run(MODULE.probe(PORTAL_NAME, params, time.monotonic() + 15))
    samples = {(s.name, s.labels): s.value for f in families for s in f.samples}
    checks = {dict(labels)["check"]: value for (name, labels), value in samples.items()
              if name == "provnet_ipv6_service_check"}  # fmt: skip
    assert checks == {"aaaa": 1.0, "https_ipv6": 1.0, "content_match": 1.0, "dns_ipv6": 1.0}
    assert samples[("provnet_ipv6_service_ready", ())] == 1.0
    status = {dict(labels)["family"]: value for (name, labels), value in samples.items()
              if name == "provnet_ipv6_service_https_status_code"}  # fmt: skip
    assert status == {"ipv4": 200.0, "ipv6": 200.0}


def test_second_run_changes_nothing(services: dict[str, Any]) -> None:
    assert all(code == 0 for code, _ in services["applied"].values())
    for deploy, (code, output) in _both(["-y"], services["cwd"], services["inventory"]).items():
        assert code == 0, output
        assert "unchanged: 1" in output, f"{deploy}: {output}"
