"""`provnet net plan|apply|backup` end to end against the twin, as an engineer runs them.

Every test starts its own twin (127.(90+worker).0.0, three communes: a Cisco IOS XE router
and IOS switch in Hàm Rồng, a Huawei VRP router and switch in Mường Lát, a telco-managed
VRP CPE and an IOS switch in Tam Chung) with the real platforms (Netmiko sessions), the
real changes, host keys checked against the known_hosts file `lab up` writes, and breaks
devices with `provnet lab fault`.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deploys.network.journal import read_journal
from deploys.network.plan import load_plan, write_plan
from deploys.network.seal import plan_key
from deploys.network.targets import InventoryBackend
from inventory.resolve import iter_devices
from inventory.secrets import SecretStore
from inventory.source import load_yaml
from inventory.validate import load_valid
from lab.control import UpResult, lab_down, lab_up, request
from tests.conftest import EXAMPLE, twin_cli
from tests.deploys.conftest import twin_base

LIMITS = ["commune=14758", "commune=14845", "commune=14848"]
CHANGE = "ipv6_migration"
XE, IOS, VRP, VRP_SW, TELCO, IOS2 = (
    "th-14758-rtr1",
    "th-14758-sw1",
    "th-14845-rtr1",
    "th-14845-sw1",
    "th-14848-rtr1",
    "th-14848-sw1",
)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[UpResult]:
    state = tmp_path / "twin"
    result = lab_up(EXAMPLE, LIMITS, state, ipaddress.IPv4Address(twin_base()))
    try:
        yield result
    finally:
        lab_down(state)


def _backend(lab: UpResult) -> InventoryBackend:
    inv = load_valid(lab.overlay)
    assert lab.known_hosts is not None
    return InventoryBackend(inv, SecretStore({}, lab.secrets_file), str(lab.known_hosts))


def _sections(lab: UpResult, name: str) -> dict[str, list[str]]:
    backend = _backend(lab)
    view = next(v for v in iter_devices(backend.inventory) if v.name == name)
    session = backend.connect(view)
    try:
        return backend.platform(view.platform).sections(session.running_config())
    finally:
        session.close()


def _fault(lab: UpResult, device: str, kind: str, argument: str = "") -> None:
    request(lab.state_dir, {"op": "fault", "device": device, "kind": kind, "argument": argument})


def _plan(lab: UpResult, path: Path, *limits: str) -> dict[str, Any]:
    args = ["plan", CHANGE, "--out", str(path), "--no-diff"]
    for limit in limits:
        args += ["--limit", limit]
    result = twin_cli(lab, "net", *args)
    assert result.exit_code == 0, result.output
    plan: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return plan


def _statuses(plan: dict[str, Any]) -> dict[str, str]:
    return {d["device"]: d["status"] for d in plan["devices"]}


def _outcomes(journal: Path) -> dict[str, str]:
    """The device outcomes of the last run recorded in a journal."""
    events = read_journal(journal)
    start = max(i for i, e in enumerate(events) if e["event"] == "run")
    return {e["device"]: e["status"] for e in events[start:] if e["event"] == "device"}


def _secret_values(lab: UpResult) -> list[str]:
    values = load_yaml(lab.secrets_file.read_text(encoding="utf-8"))
    assert isinstance(values, dict) and values
    return [str(v) for v in values.values()]


def test_ipv6_migration_on_ios_and_vrp_end_to_end_without_a_secret_anywhere(
    lab: UpResult, tmp_path: Path
) -> None:
    plan_path, journal = tmp_path / "v6.plan.json", tmp_path / "v6.journal.jsonl"
    outputs: list[str] = []

    plan = _plan(lab, plan_path)
    statuses = _statuses(plan)
    assert statuses[TELCO] == "refused"
    assert {statuses[n] for n in (XE, IOS, VRP, VRP_SW, IOS2)} == {"change"}
    assert all(d["status"] == "skipped" for d in plan["devices"] if d["device"].endswith("vc1"))
    xe = next(d for d in plan["devices"] if d["device"] == XE)
    assert "+ ipv6 address 2001:" in xe["diff"].lower()
    assert len(xe["running_sha256"]) == 64 and plan["change"] == CHANGE

    applied = twin_cli(
        lab,
        "net",
        "apply",
        str(plan_path),
        "-y",
        "--waves",
        "canary,rest",
        "--journal",
        str(journal),
    )
    outputs.append(applied.output)
    assert applied.exit_code == 0, applied.output
    assert set(_outcomes(journal).values()) == {"applied"}
    saves = [e for e in read_journal(journal) if e["event"] == "step" and e["step"] == "save"]
    assert len(saves) == 5 and all(e["ok"] for e in saves)

    backend = _backend(lab)
    for name, command in ((XE, "show startup-config"), (VRP, "display saved-configuration")):
        view = next(v for v in iter_devices(backend.inventory) if v.name == name)
        session = backend.connect(view)
        try:
            assert "ipv6 address 2001:" in session.show(command).lower()
        finally:
            session.close()

    again = _plan(lab, tmp_path / "again.plan.json")
    assert {s for n, s in _statuses(again).items() if n in (XE, IOS, VRP, VRP_SW, IOS2)} == {
        "no-change"
    }

    repo = tmp_path / "backups"
    first = twin_cli(lab, "net", "backup", "--repo", str(repo))
    second = twin_cli(lab, "net", "backup", "--repo", str(repo))
    outputs += [first.output, second.output]
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "-p", "--format=%B"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert log.count("backup: ") == 1  # the second run changed nothing: no commit
    assert (repo / "14845" / "th-14845-ubnd" / f"{VRP}.cfg").is_file()
    assert not (repo / "14848" / "th-14848-ubnd" / f"{TELCO}.cfg").exists()

    artefacts = [
        plan_path.read_text(encoding="utf-8"),
        journal.read_text(encoding="utf-8"),
        log,
        *outputs,
    ]
    for secret in _secret_values(lab):
        assert not any(secret in text for text in artefacts)


def test_rollback_after_a_failed_post_check_or_a_dropped_session_then_resume(
    lab: UpResult, tmp_path: Path
) -> None:
    plan_path, journal = tmp_path / "v6.plan.json", tmp_path / "v6.journal.jsonl"
    _plan(lab, plan_path, f"device={XE}", f"device={IOS}", f"device={VRP}", f"device={VRP_SW}")
    before = {name: _sections(lab, name) for name in (XE, IOS, VRP)}
    _fault(lab, IOS, "drop-snmp")  # the SNMP post-check fails
    _fault(lab, XE, "drop-session-after", "3")  # the session dies half-way through the push
    _fault(lab, VRP, "drop-session-after", "5")

    failed = twin_cli(
        lab,
        "net",
        "apply",
        str(plan_path),
        "-y",
        "--waves",
        "rest",
        "--max-failures",
        "100%",
        "--journal",
        str(journal),
        "--concurrency",
        "4",
    )
    assert failed.exit_code == 1, failed.output
    assert _outcomes(journal) == {
        XE: "rolled-back",
        IOS: "rolled-back",
        VRP: "rolled-back",
        VRP_SW: "applied",
    }
    for name, sections in before.items():
        assert _sections(lab, name) == sections, name
    steps = [e for e in read_journal(journal) if e["event"] == "step" and not e["ok"]]
    assert any(e["device"] == IOS and e["step"] == "post-check snmp-answers" for e in steps)
    assert "--resume" in failed.output

    _fault(lab, IOS, "restore-snmp")
    resumed = twin_cli(lab, "net", "apply", "--resume", str(journal), "-y")
    assert resumed.exit_code == 0, resumed.output
    assert _outcomes(journal) == {XE: "applied", IOS: "applied", VRP: "applied"}
    second_run = read_journal(journal)
    start = max(i for i, e in enumerate(second_run) if e["event"] == "run")
    assert not any(e.get("device") == VRP_SW for e in second_run[start:])


def test_the_wave_threshold_halts_the_rollout_and_resume_takes_the_rest(
    lab: UpResult, tmp_path: Path
) -> None:
    plan_path, journal = tmp_path / "v6.plan.json", tmp_path / "v6.journal.jsonl"
    plan = _plan(lab, plan_path, f"device={XE}", f"device={IOS}", f"device={VRP}", f"device={IOS2}")
    order = [d["device"] for d in plan["devices"] if d["status"] == "change"]
    _fault(lab, order[0], "drop-snmp")  # the canary fails its post-check
    halted = twin_cli(lab, "net", "apply", str(plan_path), "-y", "--journal", str(journal))
    assert halted.exit_code == 1, halted.output
    assert _outcomes(journal) == {
        order[0]: "rolled-back",
        **{name: "not-started" for name in order[1:]},
    }
    assert any(e["event"] == "halt" for e in read_journal(journal))
    untouched = {e.get("device") for e in read_journal(journal) if e["event"] == "step"}
    assert untouched == {order[0]}

    _fault(lab, order[0], "restore-snmp")
    resumed = twin_cli(lab, "net", "apply", "--resume", str(journal), "-y", "--waves", "rest")
    assert resumed.exit_code == 0, resumed.output
    assert _outcomes(journal) == dict.fromkeys(order, "applied")


def test_a_stale_plan_and_a_telco_device_are_refused(lab: UpResult, tmp_path: Path) -> None:
    plan_path = tmp_path / "v6.plan.json"
    plan = _plan(lab, plan_path, f"device={VRP}", f"device={TELCO}")
    assert _statuses(plan) == {VRP: "change", TELCO: "refused"}

    backend = _backend(lab)
    view = next(v for v in iter_devices(backend.inventory) if v.name == VRP)
    session = backend.connect(view)
    try:
        session.push(["interface LoopBack7", "description changed after the plan"])
    finally:
        session.close()
    changed = _sections(lab, VRP)
    stale = twin_cli(
        lab, "net", "apply", str(plan_path), "-y", "--journal", str(tmp_path / "j.jsonl")
    )
    assert stale.exit_code == 1, stale.output
    assert _outcomes(tmp_path / "j.jsonl") == {VRP: "stale"}
    assert _sections(lab, VRP) == changed

    forged = json.loads(plan_path.read_text(encoding="utf-8"))
    for entry in forged["devices"]:
        if entry["device"] == TELCO:
            entry.update(status="change", commands=["sysname hijacked"])
    plan_path.write_text(json.dumps(forged), encoding="utf-8")
    refused = twin_cli(
        lab, "net", "apply", str(plan_path), "-y", "--journal", str(tmp_path / "k.jsonl")
    )
    assert refused.exit_code == 2, refused.output
    assert "seal does not match" in refused.output
    # Sealed again, as if the key had leaked: the inventory still refuses the telco device.
    write_plan(load_plan(plan_path), plan_path, plan_key(create=False))
    refused = twin_cli(
        lab, "net", "apply", str(plan_path), "-y", "--journal", str(tmp_path / "k.jsonl")
    )
    assert refused.exit_code == 2, refused.output
    assert TELCO in refused.output and "telco" in refused.output
    assert not (tmp_path / "k.jsonl").exists()
