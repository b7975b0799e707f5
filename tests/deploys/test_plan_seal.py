"""A plan runs only as ``net plan`` wrote it (issue: reliability, point 4): sealed with a
key outside the repository, and checked for what no plan may hold, before any device is
touched; each device's commands are computed again from its configuration before a push."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploys.network.apply import DeviceJob, apply_device, check_rendered
from deploys.network.base import CheckContext
from deploys.network.journal import Journal, Outcome
from deploys.network.plan import (
    BadPlan,
    Plan,
    check_plan,
    load_plan,
    make_plan,
    verify_seal,
    write_plan,
)
from deploys.network.seal import PlanKeyUnavailable, plan_key
from inventory.loader import Inventory
from inventory.masking import Redactor
from inventory.resolve import DeviceView
from tests.deploys.conftest import FakeBackend, FakeChange, FakeDevice

ROUTER = "th-14758-rtr1"
KEY = b"k" * 32
SECRET_IN_BANNER = "<secret:snmp-v3-ro.auth_password>"


@pytest.fixture
def plan(
    fixture_inventory: Inventory,
    views: list[DeviceView],
    fakes: dict[str, FakeDevice],
    redactor: Redactor,
) -> Plan:
    return make_plan(FakeBackend(fakes), FakeChange(), fixture_inventory, views, redactor)


def _written(plan: Plan, tmp_path: Path) -> tuple[Path, dict[str, object]]:
    path = tmp_path / "p.plan.json"
    write_plan(plan, path, KEY)
    return path, json.loads(path.read_text(encoding="utf-8"))


def _router(document: dict[str, object]) -> dict[str, object]:
    devices = document["devices"]
    assert isinstance(devices, list)
    return next(d for d in devices if d["device"] == ROUTER)


def test_a_sealed_plan_verifies_as_written(plan: Plan, tmp_path: Path) -> None:
    path, _ = _written(plan, tmp_path)
    loaded = load_plan(path)
    assert loaded.seal.startswith("hmac-sha256:")
    verify_seal(loaded, KEY, path)
    check_plan(loaded, path)


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: _router(d)["commands"].append("do reload"),
        lambda d: _router(d)["commands"].__setitem__(0, "ipv6 unicast-routing\nend\nreload"),
        lambda d: _router(d).__setitem__("running_sha256", ""),
        lambda d: d.__setitem__("change", "hardening"),
    ],
)
def test_any_edit_breaks_the_seal(plan: Plan, tmp_path: Path, edit: object) -> None:
    path, document = _written(plan, tmp_path)
    edit(document)  # type: ignore[operator]
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(BadPlan, match="seal does not match"):
        verify_seal(load_plan(path), KEY, path)


def test_an_unsealed_plan_or_another_key_is_refused(plan: Plan, tmp_path: Path) -> None:
    path = tmp_path / "p.plan.json"
    write_plan(plan, path)
    with pytest.raises(BadPlan, match="not sealed"):
        verify_seal(load_plan(path), KEY, path)
    write_plan(plan, path, KEY)
    with pytest.raises(BadPlan, match="seal does not match"):
        verify_seal(load_plan(path), b"x" * 32, path)


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda d: d["devices"].append(_router(d)), "listed twice"),
        (lambda d: _router(d)["commands"].append("end\nreload"), "control character"),
        (lambda d: _router(d)["commands"].append("do reload\r"), "control character"),
        (lambda d: _router(d).__setitem__("running_sha256", ""), "no hash"),
        (
            lambda d: _router(d)["commands"].append(
                "banner motd ^C<secret:snmp-v3-ro.auth_password>^C"
            ),
            "secret placeholder outside an @once line",
        ),
    ],
)
def test_what_no_plan_may_hold_is_refused_even_sealed(
    plan: Plan, tmp_path: Path, edit: object, reason: str
) -> None:
    path, document = _written(plan, tmp_path)
    edit(document)  # type: ignore[operator]
    path.write_text(json.dumps(document), encoding="utf-8")
    write_plan(load_plan(path), path, KEY)  # sealed again: as if the key had leaked
    loaded = load_plan(path)
    verify_seal(loaded, KEY, path)
    with pytest.raises(BadPlan, match=reason):
        check_plan(loaded, path)


def test_an_intent_the_change_would_not_render_is_refused(
    plan: Plan, fixture_inventory: Inventory, views: list[DeviceView], redactor: Redactor
) -> None:
    entry = plan.device(ROUTER)
    assert entry is not None
    block = entry.intent[0].model_copy(update={"lines": [*entry.intent[0].lines, "do reload"]})
    tampered = plan.model_copy(
        update={
            "devices": [
                d.model_copy(update={"intent": [block, *d.intent[1:]]}) if d.device == ROUTER else d
                for d in plan.devices
            ]
        }
    )
    by_name = {v.name: v for v in views}
    check_rendered(plan, [ROUTER], FakeChange(), fixture_inventory, by_name, redactor)
    with pytest.raises(BadPlan, match="not what change fake_ipv6 renders"):
        check_rendered(tampered, [ROUTER], FakeChange(), fixture_inventory, by_name, redactor)


def test_commands_the_change_does_not_compute_are_never_pushed(
    plan: Plan,
    fixture_inventory: Inventory,
    views: list[DeviceView],
    fakes: dict[str, FakeDevice],
    redactor: Redactor,
    tmp_path: Path,
) -> None:
    entry = plan.device(ROUTER)
    assert entry is not None
    tampered = entry.model_copy(update={"commands": [*entry.commands, "do reload"]})
    view = next(v for v in views if v.name == ROUTER)
    job = DeviceJob(tampered, view, CheckContext(fixture_inventory, view))
    with Journal(tmp_path / "j.jsonl") as journal:
        result = apply_device(job, FakeBackend(fakes), FakeChange(), redactor, journal)
    assert result.outcome is Outcome.FAILED
    assert "not what the change computes" in result.error
    assert fakes[ROUTER].received == []
    assert fakes[ROUTER].checkpoints == {}


def test_the_plan_key_is_made_private_and_refused_when_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "keys" / "plan.key"
    monkeypatch.setenv("PROVNET_PLAN_KEY", str(key_file))
    with pytest.raises(PlanKeyUnavailable, match="cannot read the plan key"):
        plan_key(create=False)
    key = plan_key(create=True)
    assert len(key) == 32
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert plan_key(create=False) == key
    key_file.chmod(0o644)
    with pytest.raises(PlanKeyUnavailable, match="chmod 600"):
        plan_key(create=False)
