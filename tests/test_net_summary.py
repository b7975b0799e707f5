"""`net plan --summary` / `net apply --summary`: a province's plan or rollout in a few rows,
with only the devices that need a person's attention named one by one."""

from __future__ import annotations

from pathlib import Path

from cli.net import _print_apply, _print_plan, apply_groups, plan_groups
from deploys.network.apply import DeviceResult, RolloutReport
from deploys.network.journal import Outcome
from deploys.network.plan import DevicePlan, Plan, Status
from provnet.console import out

TELCO = "telco-managed: monitor only"


def _plan() -> Plan:
    devices = [
        *(
            DevicePlan(device=f"r{i}", platform="cisco_ios", status=Status.CHANGE)
            for i in range(40)
        ),
        *(
            DevicePlan(device=f"h{i}", platform="huawei_vrp", status=Status.CHANGE)
            for i in range(30)
        ),
        *(
            DevicePlan(device=f"t{i}", platform="cisco_ios", status=Status.REFUSED, reason=TELCO)
            for i in range(21)
        ),
        DevicePlan(device="broken-1", platform="huawei_vrp", status=Status.ERROR, reason="timeout"),
    ]
    return Plan(
        change="ipv6_migration",
        created="now",
        inventory="x",
        inventory_revision=None,
        limits=[],
        devices=devices,
    )


def test_plan_groups_count_by_status_platform_and_reason() -> None:
    groups = plan_groups(_plan().devices)
    assert groups[("change", "cisco_ios", "")] == 40
    assert groups[("change", "huawei_vrp", "")] == 30
    assert groups[("refused", "cisco_ios", TELCO)] == 21
    assert sum(groups.values()) == 92


def test_plan_summary_names_only_the_devices_in_error() -> None:
    with out.capture() as captured:
        _print_plan(_plan(), Path("p.json"), diff=False, summary=True)
    text = captured.get()
    assert "broken-1" in text and "timeout" in text
    assert "r0" not in text and "t0" not in text
    assert "change: 70" in text and "refused: 21" in text


def test_plan_without_summary_keeps_a_row_per_device() -> None:
    with out.capture() as captured:
        _print_plan(_plan(), Path("p.json"), diff=False, summary=False)
    text = captured.get()
    assert all(f"r{i} " in text for i in range(40))


def test_apply_summary_counts_by_wave_and_names_failures() -> None:
    results = [
        DeviceResult("canary", Outcome.APPLIED, wave=1),
        *(DeviceResult(f"r{i}", Outcome.APPLIED, wave=2) for i in range(60)),
        DeviceResult("bad", Outcome.ROLLED_BACK, error="post-check failed", wave=2),
        *(DeviceResult(f"n{i}", Outcome.NOT_STARTED) for i in range(5)),
    ]
    groups = apply_groups(results)
    assert groups[("1", "applied")] == 1
    assert groups[("2", "applied")] == 60
    assert groups[("-", "not-started")] == 5
    with out.capture() as captured:
        _print_apply(RolloutReport(results), Path("j.jsonl"), summary=True)
    text = captured.get()
    assert "bad" in text and "post-check failed" in text
    assert "r0" not in text and "n0" not in text
