"""A device whose SNMP port answers garbage can neither crash an apply nor escape a
post-check (issue: reliability, point 1). The SNMP library panics on some replies
(``pyo3_runtime.PanicException``, a ``BaseException``); these tests send it random and
truncated replies from a responder on loopback, bounded in count and time."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from deploys.network.apply import DeviceJob, DeviceResult, RolloutOptions, apply_device, rollout
from deploys.network.base import CheckContext, CheckResult
from deploys.network.checks import SnmpAnswers
from deploys.network.journal import Journal, Outcome, read_journal
from deploys.network.plan import make_plan
from deploys.network.waves import Threshold, WaveSpec
from inventory.loader import Inventory
from inventory.masking import Redactor
from inventory.resolve import DeviceView
from tests.deploys.conftest import FakeBackend, FakeChange, FakeDevice, parse_sections
from tests.snmp_garbage import REPLIES, GarbageResponder

ROUTER = "th-14758-rtr1"


@pytest.fixture(scope="module")
def responder() -> Iterator[GarbageResponder]:
    garbage = GarbageResponder()
    try:
        yield garbage
    finally:
        garbage.close()


@pytest.fixture
def snmp_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVNET_SNMP_AUTH", "auth-secret-123")
    monkeypatch.setenv("PROVNET_SNMP_PRIV", "priv-secret-123")


def _context(inv: Inventory, views: list[DeviceView], port: int) -> CheckContext:
    view = next(v for v in views if v.name == ROUTER)
    local = replace(
        view, mgmt_ipv4=ipaddress.IPv4Address("127.0.0.1"), mgmt_ipv6=None, snmp_port=port
    )
    return CheckContext(inv, local)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(reply=REPLIES)
def test_the_snmp_post_check_never_raises_whatever_the_device_sends(
    reply: bytes | int,
    responder: GarbageResponder,
    fixture_inventory: Inventory,
    views: list[DeviceView],
    snmp_env: None,
) -> None:
    responder.reply = reply
    check = SnmpAnswers(timeout=0.2)
    context = _context(fixture_inventory, views, responder.port)
    result = check.run(None, context)  # type: ignore[arg-type]
    assert isinstance(result, CheckResult)
    assert result.ok is False
    assert "auth-secret-123" not in result.detail


class NativePanic(BaseException):
    """Stands in for pyo3_runtime.PanicException (a BaseException, not an Exception)."""


class PanickingCheck:
    name = "snmp-answers"

    def run(self, session: object, context: CheckContext) -> CheckResult:
        raise NativePanic("called `Option::unwrap()` on a `None` value")


class PanickingChange(FakeChange):
    def post_checks(self, device: DeviceView) -> list[PanickingCheck]:  # type: ignore[override]
        return [PanickingCheck()]


def test_a_post_check_that_panics_is_rolled_back_and_the_run_ends_with_its_summary(
    fixture_inventory: Inventory,
    views: list[DeviceView],
    fakes: dict[str, FakeDevice],
    redactor: Redactor,
    tmp_path: Path,
) -> None:
    plan = make_plan(FakeBackend(fakes), FakeChange(), fixture_inventory, views, redactor)
    entries = plan.to_change()
    assert len(entries) >= 2
    before = {e.device: parse_sections(fakes[e.device].running()) for e in entries}
    view = {v.name: v for v in views}
    jobs = [
        DeviceJob(e, view[e.device], CheckContext(fixture_inventory, view[e.device]))
        for e in entries
    ]
    backend = FakeBackend(fakes)
    path = tmp_path / "journal.jsonl"
    with Journal(path) as journal:

        def run_one(job: DeviceJob) -> DeviceResult:
            return apply_device(job, backend, PanickingChange(), redactor, journal)

        options = RolloutOptions(waves=[WaveSpec("rest")], threshold=Threshold(percent=100))
        report = rollout(jobs, options, run_one, journal)
    assert {r.outcome for r in report.results} == {Outcome.ROLLED_BACK}
    for entry in entries:
        assert parse_sections(fakes[entry.device].running()) == before[entry.device]
        assert fakes[entry.device].saved is None
    events = read_journal(path)
    assert [e["event"] for e in events][-1] == "end"
    assert {e["device"] for e in events if e["event"] == "device"} == {e.device for e in entries}
    assert any("NativePanic" in str(e.get("error", "")) for e in events if e["event"] == "step")


def test_a_device_whose_whole_apply_panics_is_failed_and_the_others_go_on(
    fixture_inventory: Inventory,
    views: list[DeviceView],
    fakes: dict[str, FakeDevice],
    redactor: Redactor,
    tmp_path: Path,
) -> None:
    plan = make_plan(FakeBackend(fakes), FakeChange(), fixture_inventory, views, redactor)
    entries = plan.to_change()
    view = {v.name: v for v in views}
    jobs = [
        DeviceJob(e, view[e.device], CheckContext(fixture_inventory, view[e.device]))
        for e in entries
    ]
    backend = FakeBackend(fakes)
    path = tmp_path / "journal.jsonl"
    with Journal(path) as journal:

        def run_one(job: DeviceJob) -> DeviceResult:
            if job.entry.device == ROUTER:
                raise NativePanic("boom")
            return apply_device(job, backend, FakeChange(), redactor, journal)

        options = RolloutOptions(waves=[WaveSpec("rest")], threshold=Threshold(percent=100))
        report = rollout(jobs, options, run_one, journal)
    outcomes = {r.device: r.outcome for r in report.results}
    assert outcomes.pop(ROUTER) is Outcome.FAILED
    assert set(outcomes.values()) == {Outcome.APPLIED}
    assert read_journal(path)[-1]["event"] == "end"
