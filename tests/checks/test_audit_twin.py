"""End to end on the twin, as an auditor and an engineer would run it: `provnet net backup`
of the twin's routers, `provnet audit` of that repository; the remediation the report names
(`provnet net plan|apply ipv6_migration`, then `hardening`) makes every control pass; a
violation seeded on one router afterwards comes back as exactly that finding, at the line
where the backup holds it.

This module starts its own twin (127.(120+worker).0.0: Hàm Rồng's Cisco IOS XE router and
Mường Lát's Huawei VRP router, with their switches and VC endpoints) because it changes
the devices' configurations."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checks.sources.live import LiveDevices
from deploys.network.targets import InventoryBackend
from inventory.masking import Redactor, secret_values
from inventory.resolve import iter_devices
from inventory.secrets import SecretStore
from inventory.source import load_yaml
from inventory.validate import load_valid
from lab.control import UpResult, request
from platforms import network_platforms
from platforms.network import ConfigSession, DeviceError
from tests.conftest import EXAMPLE, twin_cli, worker_twin

LIMITS = ["commune=14758", "commune=14845"]
XE, VRP = "th-14758-rtr1", "th-14845-rtr1"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpResult]:
    state = tmp_path_factory.mktemp("audit-twin") / "state"
    with worker_twin(EXAMPLE, LIMITS, state, 120) as result:
        yield result


def _backup_and_audit(lab: UpResult, tmp: Path, name: str) -> tuple[int, dict[str, Any]]:
    repo = tmp / "backups"
    backup = twin_cli(lab, "net", "backup", "--repo", str(repo), "--limit", XE, "--limit", VRP)
    assert backup.exit_code == 0, backup.output
    out = tmp / f"{name}.json"
    result = twin_cli(
        lab,
        "audit",
        "--repo",
        str(repo),
        "--limit",
        XE,
        "--limit",
        VRP,
        "--format",
        "json",
        "--out",
        str(out),
    )
    assert result.exit_code in (0, 100), result.output
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result.exit_code, doc


def _apply(lab: UpResult, tmp: Path, change: str) -> None:
    plan = tmp / f"{change}.plan.json"
    planned = twin_cli(
        lab, "net", "plan", change, "--limit", XE, "--limit", VRP, "--out", str(plan), "--no-diff"
    )
    assert planned.exit_code == 0, planned.output
    applied = twin_cli(
        lab, "net", "apply", str(plan), "-y", "--journal", str(tmp / f"{change}.jsonl")
    )
    assert applied.exit_code == 0, applied.output


def _push(lab: UpResult, device: str, commands: list[str]) -> None:
    inv = load_valid(lab.overlay)
    assert lab.known_hosts is not None
    backend = InventoryBackend(inv, SecretStore({}, lab.secrets_file), str(lab.known_hosts))
    view = next(v for v in iter_devices(inv) if v.name == device)
    session = backend.connect(view)
    try:
        session.push(commands)
    finally:
        session.close()


def _failed(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(r["control"], r["device"]) for r in doc["results"] if r["status"] == "failed"}


def _evidence(doc: dict[str, Any]) -> Counter[tuple[str, str, str, str]]:
    """Failing evidence by (control, device, kind, text): line numbers left out, since a
    seeded line shifts the lines after it."""
    return Counter(
        (r["control"], r["device"], e["kind"], e["text"])
        for r in doc["results"]
        for e in r["evidence"]
        if e["kind"] != "matched"
    )


def test_a_violation_seeded_on_a_twin_router_is_exactly_one_new_finding(
    lab: UpResult, tmp_path: Path
) -> None:
    code, before = _backup_and_audit(lab, tmp_path, "before")
    assert code == 100 and before["source"]["commit"]
    commands = {r["remediation_command"] for r in before["results"] if r["status"] == "failed"}
    assert f"provnet net plan hardening --limit {XE}" in commands

    _push(lab, XE, ["snmp-server community s3cr3t-seeded RO"])
    code, seeded = _backup_and_audit(lab, tmp_path, "seeded")
    assert code == 100 and seeded["source"]["commit"] != before["source"]["commit"]
    new = _evidence(seeded) - _evidence(before)
    gone = _evidence(before) - _evidence(seeded)
    community = ("NET-SNMP-01", XE, "forbidden", "snmp-server community ******** RO")
    assert (new, gone) == (Counter([community]), Counter())
    assert _failed(seeded) == _failed(before) | {("NET-SNMP-01", XE)}
    [result] = [r for r in seeded["results"] if r["control"] == "NET-SNMP-01" and r["device"] == XE]
    backup = (tmp_path / "backups" / result["file"]).read_text(encoding="utf-8").splitlines()
    seeded_lines = {i + 1 for i, text in enumerate(backup) if text == community[3]}
    assert {e["line"] for e in result["evidence"] if e["text"] == community[3]} == seeded_lines
    assert "s3cr3t-seeded" not in json.dumps(seeded)  # the backup masked it


def test_the_named_remediation_fixes_and_a_seeded_violation_is_exactly_one_finding(
    lab: UpResult, tmp_path: Path
) -> None:
    code, before = _backup_and_audit(lab, tmp_path, "before")
    assert code == 100 and before["source"]["commit"]
    commands = {r["remediation_command"] for r in before["results"] if r["status"] == "failed"}
    assert {f"provnet net plan hardening --limit {d}" for d in (XE, VRP)} <= commands
    assert {f"provnet net plan ipv6_migration --limit {d}" for d in (XE, VRP)} <= commands

    _apply(lab, tmp_path, "ipv6_migration")
    _apply(lab, tmp_path, "hardening")
    code, clean = _backup_and_audit(lab, tmp_path, "clean")
    assert _failed(clean) == set() and code == 0, [
        (r["control"], r["device"], r["evidence"])
        for r in clean["results"]
        if r["status"] != "passed"
    ]
    assert {r["device"] for r in clean["results"]} == {XE, VRP}
    assert len(clean["results"]) == 2 * len(clean["controls"])

    _push(lab, XE, ["snmp-server community s3cr3t-seeded RO"])
    code, seeded = _backup_and_audit(lab, tmp_path, "seeded")
    assert code == 100
    assert _failed(seeded) == {("NET-SNMP-01", XE)}
    [result] = [r for r in seeded["results"] if r["status"] == "failed"]
    bad = [e for e in result["evidence"] if e["kind"] != "matched"]
    backup = (tmp_path / "backups" / result["file"]).read_text(encoding="utf-8").splitlines()
    line = next(i + 1 for i, text in enumerate(backup) if text.startswith("snmp-server community"))
    # the backup masked the community; the finding shows what the auditor can read
    assert [(e["kind"], e["line"], e["text"]) for e in bad] == [
        ("forbidden", line, "snmp-server community ******** RO")
    ]
    assert result["remediation_command"] == f"provnet net plan hardening --limit {XE}"
    assert seeded["source"]["commit"] != clean["source"]["commit"]
    assert "s3cr3t-seeded" not in json.dumps(seeded)


def _audit_password(lab: UpResult) -> str:
    """The twin's password of the read-only account: a canary for every output."""
    secrets = load_yaml(lab.secrets_file.read_text(encoding="utf-8"))
    password = secrets["ssh-audit.password"]
    assert isinstance(password, str) and len(password) > 8
    return password


def test_a_live_audit_finds_what_the_backup_holds_and_a_down_device_is_an_error(
    lab: UpResult, tmp_path: Path
) -> None:
    """``--source live`` reads the routers' running configurations over SSH with the
    inventory's read-only account (``audit_credentials``: IOS privilege 1, VRP level 1, as
    the twin provisions it from the lab secrets) and judges them as their backups are
    judged; a device that does not answer is an error for each of its controls, never a
    pass, and the others are read all the same. The account's password is in no output."""
    _, backed_up = _backup_and_audit(lab, tmp_path, "backed-up")
    switch = "th-14758-sw1"
    assert request(lab.state_dir, {"op": "fault", "device": switch, "kind": "down"})["ok"]
    out = tmp_path / "live.json"
    try:
        result = twin_cli(
            lab,
            *("audit", "--source", "live"),
            *("--limit", XE, "--limit", VRP, "--limit", switch),
            *("--format", "json", "--out", str(out)),
        )
    finally:
        assert request(lab.state_dir, {"op": "fault", "device": switch, "kind": "up"})["ok"]
    assert result.exit_code == 100, result.output
    live: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert live["source"] == {"kind": "live", "credentials": "inventory"}
    routers = [r for r in live["results"] if r["device"] in (XE, VRP)]
    assert {(r["control"], r["device"], r["status"]) for r in routers} == {
        (r["control"], r["device"], r["status"]) for r in backed_up["results"]
    }
    assert _evidence({"results": routers}) == _evidence(backed_up)
    assert {r["file"] for r in routers} == {
        f"ssh://{d.host}:{d.ssh_port}/running-config"
        for d in iter_devices(load_valid(lab.overlay))
        if d.name in (XE, VRP)
    }
    down = [r for r in live["results"] if r["device"] == switch]
    assert down and {r["status"] for r in down} == {"error"}
    assert all(switch in r["message"] and not r["evidence"] for r in down)
    secrets = load_yaml(lab.secrets_file.read_text(encoding="utf-8"))
    report = out.read_text(encoding="utf-8")
    assert secrets and not [v for v in secrets.values() if str(v) in report]
    canary = _audit_password(lab)
    assert canary not in report and canary not in result.output


def _audit_session(lab: UpResult, device: str) -> ConfigSession:
    inv = load_valid(lab.overlay)
    view = next(v for v in iter_devices(inv) if v.name == device)
    assert view.audit_credentials == "ssh-audit"
    store = SecretStore({}, lab.secrets_file)
    live = LiveDevices(inv, store, Redactor(secret_values(inv, store)), str(lab.known_hosts))
    params = live.params(view)
    assert params.read_only and params.username == "audit" and not params.secret
    return network_platforms()[view.platform].connect(params)


@pytest.mark.parametrize(
    ("device", "refusal"),
    [
        (XE, "% Invalid input detected at '^' marker."),
        (VRP, "Error: Unrecognized command found at '^' position."),
    ],
)
def test_the_read_only_account_cannot_enter_configuration_mode(
    lab: UpResult, device: str, refusal: str
) -> None:
    """Over SSH to the twin, as the audit account: configuration mode (`configure terminal`,
    `system-view`) is refused in the box's own words, and the hostname stays."""
    session = _audit_session(lab, device)
    try:
        running = session.running_config()
        assert f"{device}" in running and "audit" in running
        with pytest.raises(DeviceError) as refused:
            session.push(["hostname hijacked", "sysname hijacked"])
        assert refusal in str(refused.value)
        if device == XE:  # level 15's command: unknown at level 1
            assert "% Invalid input" in session.show("show running-config")
    finally:
        session.close()
    assert _audit_password(lab) not in str(refused.value) + refused.value.output
    again = _audit_session(lab, device)
    try:
        assert "hijacked" not in again.running_config()
    finally:
        again.close()


def test_a_credential_set_the_inventory_lacks_is_refused_before_any_device(
    lab: UpResult,
) -> None:
    result = twin_cli(lab, "audit", "--source", "live", "--credentials", "nosuch", "--limit", XE)
    assert result.exit_code == 2
    assert "--credentials nosuch" in result.output and "Traceback" not in result.output
