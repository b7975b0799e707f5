"""Plan + apply the IPv6 migration to 500 twin devices (mixed IOS and VRP), concurrency 50.

    .venv/bin/python -m bench net_apply [-- --devices 500 --concurrency 50]

Builds a copy of the example province with a second (and, where needed, a third) access
switch per commune, of the other vendor than the commune's router, until the devices the
change applies to number ``--devices``; starts its own twin on 127.77.0.0 (loopback only)
with host keys checked; then times, through the engine `provnet net` uses:

- plan (connect, read the running configuration, render, compute commands) of every device;
- apply in waves ``canary,10%,rest`` (push, verify, post-checks SSH + SNMP, save);
- plan again (every device must be "no-change": idempotency).

Goal (issue: network changes): plan + apply under 120 s wall on 2 cores. Peer figure
printed beside it: the same devices one at a time (concurrency 1) extrapolated from a
sample, which is what a loop over Netmiko does.
"""

from __future__ import annotations

import argparse
import functools
import ipaddress
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml_rs

from deploys.network.apply import (
    DeviceJob,
    DeviceResult,
    RolloutOptions,
    apply_device,
    rollout,
)
from deploys.network.base import Change, CheckContext
from deploys.network.journal import Journal
from deploys.network.plan import Plan, Status, make_plan
from deploys.network.registry import get_change
from deploys.network.targets import InventoryBackend
from deploys.network.waves import Threshold, parse_waves
from inventory.loader import Inventory, example_inventory_path
from inventory.masking import Redactor, secret_values
from inventory.resolve import DeviceView, iter_devices
from inventory.secrets import SecretStore
from inventory.source import load_yaml
from inventory.validate import load_valid
from lab.control import UpResult, lab_down, lab_up

EXAMPLE = example_inventory_path()
BASE = ipaddress.IPv4Address("127.77.0.0")
CHANGE = "ipv6_migration"
# Figures as they come (stdout may be a pipe).
print = functools.partial(print, flush=True)
CHANGEABLE = frozenset({"cisco_ios", "cisco_xe", "huawei_vrp"})
OTHER = {"huawei_vrp": "cisco_ios", "cisco_ios": "huawei_vrp", "cisco_xe": "huawei_vrp"}


def _bump(address: str, step: int) -> str:
    return str(ipaddress.ip_address(address) + step)


def _extra_switch(router: dict[str, Any], last: dict[str, Any], number: int) -> dict[str, Any]:
    mgmt = last["mgmt"]
    return {
        "name": router["name"].rsplit("-", 1)[0] + f"-sw{number}",
        "role": "access_switch",
        "platform": OTHER.get(router.get("platform", "cisco_ios"), "cisco_ios"),
        "mgmt": {
            "ipv4": _bump(mgmt["ipv4"], 1),
            **({"ipv6": _bump(mgmt["ipv6"], 1)} if "ipv6" in mgmt else {}),
        },
    }


def build_inventory(target: Path, wanted: int) -> None:
    """The example province with extra access switches until ``wanted`` changeable devices."""
    shutil.copytree(EXAMPLE, target)
    inv = load_valid(target)
    count = sum(1 for v in iter_devices(inv) if v.platform in CHANGEABLE and not v.monitor_only)
    files = sorted((target / "communes").glob("*.yaml"))
    for extra in (2, 3):
        for path in files:
            if count >= wanted:
                return
            document = load_yaml(path.read_text(encoding="utf-8"))
            site = document["sites"][0]
            devices = site["devices"]
            router = next((d for d in devices if d["role"] == "wan_router"), None)
            if router is None or "platform" not in router:
                continue
            devices.append(_extra_switch(router, devices[-1], extra))
            path.write_text(str(yaml_rs.dumps(document)).removeprefix("---\n"), encoding="utf-8")
            count += 1


def _changeable(inv: Inventory) -> list[DeviceView]:
    return [v for v in iter_devices(inv) if v.platform in CHANGEABLE and not v.monitor_only]


def _plan(
    backend: InventoryBackend,
    change: Change,
    inv: Inventory,
    devices: Sequence[DeviceView],
    redactor: Redactor,
    concurrency: int,
) -> tuple[Plan, float]:
    started = time.perf_counter()
    plan = make_plan(backend, change, inv, devices, redactor, concurrency=concurrency)
    return plan, time.perf_counter() - started


def _apply(
    up: UpResult,
    backend: InventoryBackend,
    change: Change,
    inv: Inventory,
    plan: Plan,
    redactor: Redactor,
    concurrency: int,
    journal_path: Path,
) -> tuple[list[DeviceResult], float]:
    views = {v.name: v for v in iter_devices(inv)}
    jobs = [
        DeviceJob(
            entry,
            views[entry.device],
            CheckContext(
                inv,
                views[entry.device],
                str(up.secrets_file),
                backend.known_hosts_for(views[entry.device]),
            ),
        )
        for entry in plan.to_change()
    ]
    options = RolloutOptions(parse_waves("canary,10%,rest"), Threshold(percent=10), concurrency)
    started = time.perf_counter()
    with Journal(journal_path) as journal:
        report = rollout(
            jobs,
            options,
            lambda job: apply_device(job, backend, change, redactor, journal),
            journal,
        )
    return report.results, time.perf_counter() - started


def _per_platform(results: Sequence[DeviceResult], platforms: dict[str, str]) -> str:
    parts = []
    for platform in sorted({platforms[r.device] for r in results}):
        seconds = [r.seconds for r in results if platforms[r.device] == platform]
        p95 = statistics.quantiles(seconds, n=20)[-1] if len(seconds) >= 2 else seconds[0]
        parts.append(
            f"{platform}: {len(seconds)} devices, mean {statistics.mean(seconds):.2f} s, "
            f"p95 {p95:.2f} s"
        )
    return "; ".join(parts)


def _mix(platforms: dict[str, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(Counter(platforms.values()).items()))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench net_apply")
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--sample", type=int, default=6, help="devices timed one at a time")
    args = parser.parse_args(list(argv or []))
    # A timeout's SIGTERM still stops the twin (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with tempfile.TemporaryDirectory(prefix="provnet-bench-net-") as workdir:
        work = Path(workdir)
        build_inventory(work / "inventory", args.devices + args.sample)
        started = time.perf_counter()
        up = lab_up(work / "inventory", ["!role=server"], work / "lab", BASE)
        print(f"twin: {up.devices} simulated devices up in {time.perf_counter() - started:.1f} s")
        try:
            inv = load_valid(up.overlay)
            store = SecretStore({}, up.secrets_file)
            backend = InventoryBackend(inv, store, str(up.known_hosts))
            redactor = Redactor(secret_values(inv, store))
            change = get_change(CHANGE)
            devices = _changeable(inv)[: args.devices + args.sample]
            platforms = {v.name: v.platform for v in devices}
            print(f"devices: {len(devices)} ({_mix(platforms)}), concurrency {args.concurrency}")
            sample = devices[: args.sample]
            solo_plan, solo_plan_s = _plan(backend, change, inv, sample, redactor, 1)
            solo_results, solo_apply_s = _apply(
                up, backend, change, inv, solo_plan, redactor, 1, work / "solo.jsonl"
            )
            rest = devices[args.sample :]
            plan, plan_s = _plan(backend, change, inv, rest, redactor, args.concurrency)
            errors = [d for d in plan.devices if d.status is Status.ERROR]
            print(
                f"plan:  {len(rest)} devices in {plan_s:.1f} s "
                f"({len(plan.to_change())} to change, {len(errors)} errors)"
            )
            results, apply_s = _apply(
                up, backend, change, inv, plan, redactor, args.concurrency, work / "j.jsonl"
            )
            outcomes = Counter(r.outcome.value for r in results)
            print(f"apply: {len(results)} devices in {apply_s:.1f} s ({dict(outcomes)})")
            print(f"       per device: {_per_platform(results, platforms)}")
            again, again_s = _plan(backend, change, inv, rest, redactor, args.concurrency)
            print(
                f"plan again: {again.counts()['no-change']}/{len(rest)} no-change "
                f"in {again_s:.1f} s (idempotency)"
            )
            total = plan_s + apply_s
            per_device_solo = (solo_plan_s + solo_apply_s) / max(1, len(solo_results))
            print(
                f"plan + apply, {len(rest)} devices: {total:.1f} s wall "
                f"(goal < 120 s on 2 cores) | peer: one device at a time "
                f"{per_device_solo:.2f} s/device -> {per_device_solo * len(rest):.0f} s "
                f"extrapolated ({len(solo_results)} devices sampled)"
            )
        finally:
            lab_down(work / "lab")


if __name__ == "__main__":
    main(sys.argv[1:])
