"""A run cut mid-push (kill -9) is resumed by restoring the device's checkpoint first
(write-ahead ``pushing`` event), never by calling it stale and leaving it half-changed
(issue: reliability, point 3)."""

from __future__ import annotations

import copy
from pathlib import Path

from deploys.network.apply import DeviceJob, apply_device
from deploys.network.base import CheckContext
from deploys.network.journal import Journal, Outcome, read_journal, resume_state
from deploys.network.plan import make_plan
from inventory.loader import Inventory
from inventory.masking import Redactor
from inventory.resolve import DeviceView
from tests.deploys.conftest import FakeBackend, FakeChange, FakeDevice, parse_sections

ROUTER = "th-14758-rtr1"


def _events(*records: dict[str, object]) -> list[dict[str, object]]:
    run = {"event": "run", "plan": "p.json", "plan_sha256": "0" * 64, "devices": ["a", "b", "c"]}
    return [run, *records]


def test_a_device_with_pushing_and_no_outcome_is_interrupted_with_its_checkpoint() -> None:
    state = resume_state(
        Path("j.jsonl"),
        _events(
            {"event": "pushing", "device": "a", "checkpoint": "flash:provnet-1.cfg"},
            {"event": "pushing", "device": "b", "checkpoint": "flash:provnet-2.cfg"},
            {"event": "device", "device": "b", "status": "applied"},
        ),
    )
    assert state.outcomes == {
        "a": Outcome.INTERRUPTED,
        "b": Outcome.APPLIED,
        "c": Outcome.NOT_STARTED,
    }
    assert state.checkpoints == {"a": "flash:provnet-1.cfg"}
    assert state.to_retry() == ["a", "c"]


def test_an_interrupted_device_is_restored_then_applied(
    fixture_inventory: Inventory,
    views: list[DeviceView],
    fakes: dict[str, FakeDevice],
    redactor: Redactor,
    tmp_path: Path,
) -> None:
    plan = make_plan(FakeBackend(fakes), FakeChange(), fixture_inventory, views, redactor)
    entry = plan.device(ROUTER)
    assert entry is not None
    device = fakes[ROUTER]
    before = copy.deepcopy(device.config)
    device.checkpoints["ckpt-cut"] = copy.deepcopy(before)  # taken by the run that was killed
    device.config["ipv6 unicast-routing"] = []  # half of the push got through
    view = next(v for v in views if v.name == ROUTER)
    job = DeviceJob(entry, view, CheckContext(fixture_inventory, view), restore="ckpt-cut")
    with Journal(tmp_path / "j.jsonl") as journal:
        result = apply_device(job, FakeBackend(fakes), FakeChange(), redactor, journal)
    assert result.outcome is Outcome.APPLIED, result.error
    steps = [e["step"] for e in read_journal(tmp_path / "j.jsonl") if e["event"] == "step"]
    assert steps[:3] == ["connect", "restore", "stale-check"]
    assert "ipv6 enable" in parse_sections(device.running())["interface Gi0/0"]


def test_an_interrupted_device_whose_checkpoint_is_gone_is_reported_not_left_silently(
    fixture_inventory: Inventory,
    views: list[DeviceView],
    fakes: dict[str, FakeDevice],
    redactor: Redactor,
    tmp_path: Path,
) -> None:
    plan = make_plan(FakeBackend(fakes), FakeChange(), fixture_inventory, views, redactor)
    entry = plan.device(ROUTER)
    assert entry is not None
    fakes[ROUTER].config["ipv6 unicast-routing"] = []
    view = next(v for v in views if v.name == ROUTER)
    job = DeviceJob(entry, view, CheckContext(fixture_inventory, view), restore="ckpt-gone")
    with Journal(tmp_path / "j.jsonl") as journal:
        result = apply_device(job, FakeBackend(fakes), FakeChange(), redactor, journal)
    assert result.outcome is Outcome.ROLLBACK_FAILED
    assert fakes[ROUTER].received == []
