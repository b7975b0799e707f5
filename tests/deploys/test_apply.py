"""Apply decisions against the fake platform and devices of conftest.py (mocks of the platform
layer, to break a device exactly where a test wants); the twin-backed end-to-end tests are
in test_apply_twin.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from deploys.network.apply import (
    DeviceJob,
    DeviceResult,
    RolloutOptions,
    apply_device,
    check_placeholders,
    check_targets,
    rollout,
)
from deploys.network.base import CheckContext
from deploys.network.journal import Journal, Outcome, read_journal, resume_state
from deploys.network.plan import BadPlan, Plan, make_plan
from deploys.network.waves import (
    BadRollout,
    Threshold,
    WaveSpec,
    parse_max_failures,
    parse_waves,
    split_waves,
)
from inventory.loader import Inventory
from inventory.masking import Redactor, secret_references
from inventory.resolve import DeviceView
from tests.deploys.conftest import CANARY, FakeBackend, FakeChange, FakeDevice, parse_sections

ROUTER = "th-14758-rtr1"


def _plan(
    inv: Inventory, views: list[DeviceView], fakes: dict[str, FakeDevice], r: Redactor
) -> Plan:
    return make_plan(FakeBackend(fakes), FakeChange(), inv, views, r)


def _job(plan: Plan, inv: Inventory, views: list[DeviceView], name: str) -> DeviceJob:
    entry = plan.device(name)
    view = next(v for v in views if v.name == name)
    assert entry is not None
    return DeviceJob(entry, view, CheckContext(inv, view))


def _apply(
    fakes: dict[str, FakeDevice],
    job: DeviceJob,
    redactor: Redactor,
    tmp_path: Path,
    change: FakeChange | None = None,
) -> tuple[DeviceResult, list[dict[str, object]]]:
    path = tmp_path / "journal.jsonl"
    with Journal(path) as journal:
        result = apply_device(job, FakeBackend(fakes), change or FakeChange(), redactor, journal)
    return result, read_journal(path)


def test_apply_pushes_the_secret_saves_and_a_new_plan_has_no_change(
    fixture_inventory: Inventory,
    views: list[DeviceView],
    fakes: dict[str, FakeDevice],
    redactor: Redactor,
    tmp_path: Path,
) -> None:
    plan = _plan(fixture_inventory, views, fakes, redactor)
    result, events = _apply(fakes, _job(plan, fixture_inventory, views, ROUTER), redactor, tmp_path)
    assert result.outcome is Outcome.APPLIED, result.error
    device = fakes[ROUTER]
    assert f"snmp-server user provnet g v3 auth sha {CANARY}" in device.received
    assert device.saved == device.config
    steps = [(e["step"], e["ok"]) for e in events if e["event"] == "step"]
    assert steps == [
        ("connect", True),
        ("stale-check", True),
        ("plan-check", True),
        ("checkpoint", True),
        ("push", True),
        ("verify", True),
        ("post-check ipv6-wan", True),
        ("save", True),
    ]
    assert CANARY not in (tmp_path / "journal.jsonl").read_text(encoding="utf-8")
    again = _plan(fixture_inventory, views, fakes, redactor).device(ROUTER)
    assert again is not None and again.status.value == "no-change"


def test_a_device_changed_since_the_plan_is_refused_untouched(
    fixture_inventory: Inventory,
    views: list[DeviceView],
    fakes: dict[str, FakeDevice],
    redactor: Redactor,
    tmp_path: Path,
) -> None:
    plan = _plan(fixture_inventory, views, fakes, redactor)
    fakes[ROUTER].config["ntp server 10.0.0.9"] = []
    result, _ = _apply(fakes, _job(plan, fixture_inventory, views, ROUTER), redactor, tmp_path)
    assert result.outcome is Outcome.STALE
    assert fakes[ROUTER].received == [] and fakes[ROUTER].checkpoints == {}


@pytest.mark.parametrize("fault", ["post-check", "rejected-line", "dropped-session"])
def test_any_failure_rolls_back_to_exactly_the_configuration_before(
    fault: str,
    fixture_inventory: Inventory,
    views: list[DeviceView],
    fakes: dict[str, FakeDevice],
    redactor: Redactor,
    tmp_path: Path,
) -> None:
    plan = _plan(fixture_inventory, views, fakes, redactor)
    device = fakes[ROUTER]
    before = parse_sections(device.running())
    change = FakeChange()
    if fault == "post-check":
        change.failing_checks.add(ROUTER)
    elif fault == "rejected-line":
        device.reject = "ipv6 enable"
    else:
        device.drop_after = 4
    job = _job(plan, fixture_inventory, views, ROUTER)
    connects = device.connects
    result, events = _apply(fakes, job, redactor, tmp_path, change)
    assert result.outcome is Outcome.ROLLED_BACK, result.error
    assert parse_sections(device.running()) == before
    assert device.saved is None
    assert ("rollback-verify", True) in [
        (e["step"], e["ok"]) for e in events if e["event"] == "step"
    ]
    if fault == "dropped-session":
        assert device.connects == connects + 2  # the rollback came over a new session
    journal = (tmp_path / "journal.jsonl").read_text(encoding="utf-8")
    assert CANARY not in journal and CANARY not in result.error


def test_placeholders_that_cannot_be_resolved_are_bad_input(
    fixture_inventory: Inventory,
    views: list[DeviceView],
    fakes: dict[str, FakeDevice],
    redactor: Redactor,
) -> None:
    plan = _plan(fixture_inventory, views, fakes, redactor)
    with pytest.raises(BadPlan) as refused:
        check_placeholders(plan, [ROUTER], fixture_inventory, Redactor({}))
    reference = dict(secret_references(fixture_inventory))["snmp-v3-ro.auth_password"]
    assert f"{reference.describe()} (snmp-v3-ro.auth_password)" in str(refused.value)
    assert f"device {ROUTER}:" in str(refused.value)
    check_placeholders(plan, [ROUTER], fixture_inventory, redactor)


def test_a_device_now_telco_managed_or_gone_is_bad_input(
    fixture_inventory: Inventory,
    views: list[DeviceView],
    fakes: dict[str, FakeDevice],
    redactor: Redactor,
) -> None:
    plan = _plan(fixture_inventory, views, fakes, redactor)
    by_name = {v.name: v for v in views}
    with pytest.raises(BadPlan, match="not in the inventory"):
        check_targets(plan, [ROUTER], {})
    with pytest.raises(BadPlan, match="no change"):
        check_targets(plan, ["th-14845-rtr1"], by_name)
    check_targets(plan, [ROUTER], by_name)


# --- waves ---------------------------------------------------------------------------------


def test_waves_parse_and_split_every_device_once() -> None:
    specs = parse_waves("canary, 10%, rest")
    assert specs == [WaveSpec("count", 1), WaveSpec("percent", 10), WaveSpec("rest")]
    assert split_waves(list(range(25)), specs) == [
        [0],
        [1, 2, 3],
        list(range(4, 25)),
    ]
    assert split_waves(list(range(5)), parse_waves("2")) == [[0, 1], [2, 3, 4]]
    assert split_waves([1], specs) == [[1]]


@pytest.mark.parametrize("bad", ["", "canary,,rest", "0", "150%", "half"])
def test_unreadable_waves_are_bad_input(bad: str) -> None:
    with pytest.raises(BadRollout, match="--waves"):
        parse_waves(bad)


def test_max_failures_counts_or_percent() -> None:
    assert parse_max_failures("0").exceeded(1, 10)
    assert not parse_max_failures("2").exceeded(2, 10)
    assert parse_max_failures("10%").exceeded(2, 10)
    assert not parse_max_failures("10%").exceeded(1, 10)
    with pytest.raises(BadRollout, match="--max-failures"):
        parse_max_failures("some")


def _jobs(
    fixture_inventory: Inventory, views: list[DeviceView], names: list[str]
) -> list[DeviceJob]:
    plan = make_plan(
        FakeBackend({v.name: FakeDevice({}) for v in views}),
        FakeChange(),
        fixture_inventory,
        views,
        Redactor({}),
    )
    template = plan.device(ROUTER)
    view = next(v for v in views if v.name == ROUTER)
    assert template is not None
    return [
        DeviceJob(
            template.model_copy(update={"device": n}), view, CheckContext(fixture_inventory, view)
        )
        for n in names
    ]


def test_the_rollout_halts_after_a_wave_over_the_threshold(
    fixture_inventory: Inventory, views: list[DeviceView], tmp_path: Path
) -> None:
    names = [f"d{i}" for i in range(10)]
    jobs = _jobs(fixture_inventory, views, names)
    failing = {"d1"}

    def run_one(job: DeviceJob) -> DeviceResult:
        name = job.entry.device
        return DeviceResult(name, Outcome.ROLLED_BACK if name in failing else Outcome.APPLIED)

    path = tmp_path / "j.jsonl"
    options = RolloutOptions(parse_waves("canary,2,rest"), Threshold(count=0), concurrency=4)
    with Journal(path) as journal:
        journal.write("run", plan="p", plan_sha256="x", devices=names)
        report = rollout(jobs, options, run_one, journal)
    assert report.halted_after_wave == 2
    outcomes = {r.device: r.outcome for r in report.results}
    assert outcomes["d0"] is Outcome.APPLIED and outcomes["d1"] is Outcome.ROLLED_BACK
    assert all(outcomes[f"d{i}"] is Outcome.NOT_STARTED for i in range(3, 10))
    state = resume_state(path, read_journal(path))
    assert sorted(state.to_retry()) == sorted(["d1", *(f"d{i}" for i in range(3, 10))])
    halt = [e for e in read_journal(path) if e["event"] == "halt"]
    assert halt and halt[0]["failed"] == 1


def test_a_failure_under_the_threshold_does_not_halt(
    fixture_inventory: Inventory, views: list[DeviceView], tmp_path: Path
) -> None:
    names = [f"d{i}" for i in range(6)]
    jobs = _jobs(fixture_inventory, views, names)

    def run_one(job: DeviceJob) -> DeviceResult:
        if job.entry.device == "d2":
            raise RuntimeError("a bug in one device's apply")
        return DeviceResult(job.entry.device, Outcome.APPLIED)

    options = RolloutOptions(parse_waves("canary,rest"), Threshold(percent=50), concurrency=3)
    with Journal(tmp_path / "j.jsonl") as journal:
        report = rollout(jobs, options, run_one, journal)
    assert report.halted_after_wave is None
    assert [r.outcome for r in report.results].count(Outcome.APPLIED) == 5
    lines = (tmp_path / "j.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[-1])["counts"]["failed"] == 1


def test_bad_input_exits_2_and_names_the_problem(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["net", "apply", str(tmp_path / "nope.json"), "-y"])
    assert missing.exit_code == 2 and "nope.json" in missing.output
    waves = runner.invoke(app, ["net", "apply", "x.json", "--waves", "half", "-y"])
    assert waves.exit_code == 2 and "--waves" in waves.output
    both = runner.invoke(app, ["net", "apply", "x.json", "--resume", "j.jsonl", "-y"])
    assert both.exit_code == 2 and "exactly one" in both.output
    unknown = runner.invoke(app, ["net", "plan", "no_such_change"])
    assert unknown.exit_code == 2 and "no_such_change" in unknown.output
