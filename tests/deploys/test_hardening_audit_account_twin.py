"""End to end on the twin: `provnet net plan|apply hardening` makes the audit's read-only
account, so that `provnet audit --source live` works without configuring it by hand.

The twin provisions that account itself; this module removes it from a Cisco IOS XE and a
Huawei VRP router first (then the account cannot log in: the twin checks logins against
the device's configuration), gives it a new password (a canary), plans and applies
hardening, and the auditor's live audit then reads both routers with it; the account
cannot enter configuration mode, a second plan has nothing to do, and the canary is in no
output, plan, diff, journal or log. A missing password is refused first: the plan names
the secret and the device, exits 2 and writes no plan.

The twin is this module's own (127.(136+worker).0.0): it changes device configurations.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from checks.sources.live import LiveDevices
from deploys.network.targets import InventoryBackend
from inventory.masking import Redactor, secret_values
from inventory.resolve import DeviceView, iter_devices
from inventory.secrets import SecretStore
from inventory.source import load_yaml
from inventory.validate import load_valid
from lab.control import UpResult
from platforms import network_platforms
from platforms.network import DeviceError
from tests.conftest import EXAMPLE, twin_cli, worker_twin

LIMITS = ["commune=14758", "commune=14845"]
XE, VRP = "th-14758-rtr1", "th-14845-rtr1"
SECRET = "ssh-audit.password"
CANARY = "CANARY-ro-account-93be1f"
REMOVE = {
    XE: ["no username audit", "no file privilege 1"],
    VRP: [
        "aaa",
        "undo local-user audit",
        "quit",
        "undo command-privilege view shell display current-configuration",
    ],
}
REFUSAL = {
    XE: "% Invalid input detected at '^' marker.",
    VRP: "Error: Unrecognized command found at '^' position.",
}
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpResult]:
    state = tmp_path_factory.mktemp("ro-account-twin") / "state"
    with worker_twin(EXAMPLE, LIMITS, state, 136) as result:
        yield result


def _views(lab: UpResult) -> dict[str, DeviceView]:
    return {v.name: v for v in iter_devices(load_valid(lab.overlay))}


def _set_secret(lab: UpResult, value: str | None) -> None:
    """The twin's secrets file with the account's password ``value`` (None: left out)."""
    secrets = load_yaml(lab.secrets_file.read_text(encoding="utf-8"))
    assert isinstance(secrets, dict)
    secrets.pop(SECRET, None)
    if value is not None:
        secrets[SECRET] = value
    text = "".join(f"{json.dumps(k)}: {json.dumps(v)}\n" for k, v in secrets.items())
    lab.secrets_file.write_text(text, encoding="utf-8")  # the file keeps its mode 0600


def _as_admin(lab: UpResult, device: str, commands: list[str]) -> None:
    inv = load_valid(lab.overlay)
    assert lab.known_hosts is not None
    backend = InventoryBackend(inv, SecretStore({}, lab.secrets_file), str(lab.known_hosts))
    session = backend.connect(_views(lab)[device])
    try:
        session.push(commands)
    finally:
        session.close()


def _live(lab: UpResult) -> LiveDevices:
    inv = load_valid(lab.overlay)
    store = SecretStore({}, lab.secrets_file)
    return LiveDevices(inv, store, Redactor(secret_values(inv, store)), str(lab.known_hosts))


def _plan(lab: UpResult, path: Path) -> Result:
    return twin_cli(
        lab, "net", "plan", "hardening", "--limit", XE, "--limit", VRP, "--out", str(path)
    )


def _entries(path: Path) -> dict[str, dict[str, Any]]:
    plan: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return {d["device"]: d for d in plan["devices"]}


def test_hardening_makes_the_read_only_account_an_auditor_reads_with(
    lab: UpResult, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for device, commands in REMOVE.items():
        _as_admin(lab, device, commands)
    _set_secret(lab, CANARY)
    live = _live(lab)
    views = _views(lab)
    for device in (XE, VRP):  # the account is gone: it no longer logs in
        with pytest.raises(DeviceError):
            network_platforms()[views[device].platform].connect(live.params(views[device]))

    # its password missing: refused before any plan is written, naming secret and device
    _set_secret(lab, None)
    refused_plan = tmp_path / "refused.plan.json"
    refused = _plan(lab, refused_plan)
    assert refused.exit_code == 2, refused.output
    assert SECRET in refused.output and XE in refused.output and VRP in refused.output
    assert "Traceback" not in refused.output and not refused_plan.exists()
    _set_secret(lab, CANARY)

    plan = tmp_path / "hardening.plan.json"
    planned = _plan(lab, plan)
    assert planned.exit_code == 0, planned.output
    entries = _entries(plan)
    assert (
        "username audit privilege 1 secret 0 <secret:ssh-audit.password>"
        in (entries[XE]["commands"])
    )
    assert "file privilege 1" in entries[XE]["commands"]
    vrp = entries[VRP]["commands"]
    assert "local-user audit password irreversible-cipher <secret:ssh-audit.password>" in vrp
    assert {
        "local-user audit privilege level 1",
        "command-privilege level 1 view shell display current-configuration",
    } <= set(vrp)
    journal = tmp_path / "hardening.journal.jsonl"
    applied = twin_cli(lab, "net", "apply", str(plan), "-y", "--journal", str(journal))
    assert applied.exit_code == 0, applied.output

    report = tmp_path / "live.json"
    audited = twin_cli(
        lab,
        *("audit", "--source", "live", "--limit", XE, "--limit", VRP),
        *("--format", "json", "--out", str(report)),
    )
    assert audited.exit_code in (0, 100), audited.output
    results = json.loads(report.read_text(encoding="utf-8"))["results"]
    assert {r["device"] for r in results} == {XE, VRP}
    assert [r for r in results if r["status"] == "error"] == []

    for device in (XE, VRP):  # the account reads, and cannot enter configuration mode
        view = views[device]
        params = live.params(view)
        assert params.username == "audit" and params.read_only
        session = network_platforms()[view.platform].connect(params)
        try:
            assert device in session.running_config()
            with pytest.raises(DeviceError) as denied:
                session.push(["hostname hijacked", "sysname hijacked"])
            assert REFUSAL[device] in str(denied.value)
        finally:
            session.close()

    again = tmp_path / "again.plan.json"
    second = _plan(lab, again)
    assert second.exit_code == 0, second.output
    assert {d: e["status"] for d, e in _entries(again).items()} == {
        XE: "no-change",
        VRP: "no-change",
    }

    outputs = [refused.output, planned.output, applied.output, audited.output, second.output]
    files = [plan, again, journal, report, lab.state_dir / "daemon.log"]
    seen = "\n".join([*outputs, *(f.read_text(encoding="utf-8") for f in files), caplog.text])
    assert "<secret:ssh-audit.password>" in seen  # the plan names it, never its value
    assert CANARY not in seen


def test_a_device_whose_audit_set_is_not_read_only_gets_no_account_and_the_plan_says_why(
    lab: UpResult, tmp_path: Path
) -> None:
    switch = "th-14758-sw1"
    [commune] = (lab.overlay / "communes").glob("14758-*.yaml")
    text = commune.read_text(encoding="utf-8")
    anchor = f"- name: {switch}\n"
    assert anchor in text
    indent = text.split(anchor)[0].rsplit("\n", 1)[-1]
    commune.write_text(
        text.replace(anchor, f"{anchor}{indent}  audit_credentials: ssh-netops\n"), "utf-8"
    )
    plan = tmp_path / "switch.plan.json"
    result = twin_cli(
        lab, "net", "plan", "hardening", "--limit", switch, "--summary", "--out", str(plan)
    )
    assert result.exit_code == 0, result.output
    entry = _entries(plan)[switch]
    assert "credential set ssh-netops is not read_only" in entry["reason"]
    assert not [c for c in entry["commands"] if "file privilege" in c or " privilege 1 " in c]
    assert "read_only" in result.output  # the summary's reason column
