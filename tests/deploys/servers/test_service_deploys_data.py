"""The ``ipv6_dualstack``, ``dns_ipv6`` and ``portal_ipv6`` deploys as data, as pyinfra tests
its operations: ``{data, facts} -> commands`` (and the files they write, or the refusal).

Each case is a folder ``data/servers/<deploy>/<case>/``: ``case.json`` (``data``: the host's
data as the inventory export gives it; ``facts``: what the host answers, see ``fakehost.py``,
with ``files_as_planned``: every file the deploy writes is already there, as it would write
it; ``today``: the date a zone's serial is made from; ``applied``: the host is as the deploy
leaves it), then ``commands.json`` (every operation
the real ``@deploy`` function adds, its commands and whether it only runs after a change),
``expected/`` (one file per file written, by role) or ``refused.txt`` (part of the refusal's
message). Adding a case is adding a folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from deploys.errors import ServerDeployError
from deploys.servers import dns_ipv6, ipv6_dualstack, portal_ipv6
from deploys.servers.baseline import FileSpec
from deploys.servers.hostdata import server_data
from tests.deploys.servers.fakehost import FakeFacts, prepared_commands

DATA = Path(__file__).resolve().parent.parent / "data" / "servers"


def _dualstack_files(name: str, data: dict[str, Any], case: dict[str, Any]) -> dict[str, FileSpec]:
    commands = case["facts"].get("commands", {})
    facts = ipv6_dualstack.Facts(
        addresses=commands.get(ipv6_dualstack.ADDRESSES, ""),
        routes=commands.get(ipv6_dualstack.DEFAULT_ROUTES, ""),
        stanzas=commands.get(ipv6_dualstack.STANZAS, ""),
        ssh_connection=case["facts"].get("ssh_connection", ""),
    )
    return ipv6_dualstack.plan_files(ipv6_dualstack.decide(server_data(name, data.get), facts))


def _dns_files(name: str, data: dict[str, Any], case: dict[str, Any]) -> dict[str, FileSpec]:
    zone = dns_ipv6.decide(server_data(name, data.get), data.get("provnet_dns_hosts"))
    if zone is None:
        return {}
    current = case["facts"].get("commands", {}).get(f"cat {zone.file} 2>/dev/null || true", "")
    serial = dns_ipv6.serial_for(
        zone, current + "\n" if current else "", date.fromisoformat(case["today"])
    )
    return {**dns_ipv6.plan_files(zone, serial), "nftables": dns_ipv6.firewall_file()}


def _portal_files(name: str, data: dict[str, Any], case: dict[str, Any]) -> dict[str, FileSpec]:
    portal = portal_ipv6.decide(server_data(name, data.get))
    if portal is None:
        return {}
    return {**portal_ipv6.plan_files(portal), "nftables": portal_ipv6.firewall_file()}


@dataclass(frozen=True)
class Deploy:
    function: Any  # a pyinfra @deploy function
    files: Callable[[str, dict[str, Any], dict[str, Any]], dict[str, FileSpec]]


DEPLOYS = {
    "ipv6_dualstack": Deploy(ipv6_dualstack.ipv6_dualstack, _dualstack_files),
    "dns_ipv6": Deploy(dns_ipv6.dns_ipv6, _dns_files),
    "portal_ipv6": Deploy(portal_ipv6.portal_ipv6, _portal_files),
}
CASES = sorted(
    (deploy, case.name)
    for deploy in DEPLOYS
    for case in (DATA / deploy).iterdir()
    if (case / "case.json").is_file()
)


def _load(deploy: str, case: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / deploy / case / "case.json").read_text())
    return loaded


def _facts(deploy: str, name: str, case: dict[str, Any]) -> FakeFacts:
    raw = case["facts"]
    files = dict(raw.get("files", {}))
    if raw.get("files_as_planned"):
        planned = DEPLOYS[deploy].files(name, case["data"], case)
        files |= {spec.path: spec.content for spec in planned.values()}
    return FakeFacts(
        ssh_connection=raw.get("ssh_connection", ""),
        files=files,
        dirs=set(raw.get("dirs", [])),
        packages=set(raw.get("packages", [])),
        running=set(raw.get("running", [])),
        enabled=set(raw.get("enabled", [])),
        apt_updated_seconds_ago=raw.get("apt_updated_seconds_ago"),
        commands=dict(raw.get("commands", {})),
        sysctl=dict(raw.get("sysctl", {})),
        links=dict(raw.get("links", {})),
    )


def test_every_deploy_has_cases() -> None:
    for deploy in DEPLOYS:
        assert len([c for d, c in CASES if d == deploy]) >= 3, deploy


@pytest.mark.parametrize(("deploy", "case"), CASES)
def test_case(deploy: str, case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = DATA / deploy / case
    loaded = _load(deploy, case)
    facts = _facts(deploy, case, loaded)
    refused = folder / "refused.txt"
    if refused.is_file():
        with pytest.raises(ServerDeployError) as caught:
            prepared_commands(DEPLOYS[deploy].function, case, loaded["data"], facts, monkeypatch)
        assert refused.read_text().strip() in str(caught.value)
        return
    got = prepared_commands(DEPLOYS[deploy].function, case, loaded["data"], facts, monkeypatch)
    assert facts.unknown == [], "the fixture does not answer every fact the deploy reads"
    assert got == json.loads((folder / "commands.json").read_text())
    expected = folder / "expected"
    if expected.is_dir():
        written = DEPLOYS[deploy].files(case, loaded["data"], loaded)
        assert set(written) == {p.name for p in expected.iterdir()}
        for role, spec in written.items():
            assert spec.content == (expected / role).read_text(), role


@pytest.mark.parametrize(
    ("deploy", "case"), [(d, c) for d, c in CASES if _load(d, c).get("applied")]
)
def test_an_applied_host_gets_only_follow_ups(
    deploy: str, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Idempotence: on a host as the deploy leaves it, no command runs but those that follow
    a change (a check, a reload)."""
    loaded = _load(deploy, case)
    facts = _facts(deploy, case, loaded)
    got = prepared_commands(DEPLOYS[deploy].function, case, loaded["data"], facts, monkeypatch)
    assert {op: v["commands"] for op, v in got.items() if v["commands"] and not v["if"]} == {}
