"""End to end: a real Prometheus, configured by `provnet exporter prometheus-config`, scrapes
provnet's exporter polling the twin; the province ratios read from its HTTP API are what
the twin implies; a commune router down and a level-II link down lower the connected
ratio and fire ProvnetCommuneOffline; a reboot increments the boots counter and fires
ProvnetDeviceRebooted.

This module starts its own twin (it injects faults) on 127.83.0.0/24, its own exporter and
its own Prometheus on free loopback ports. To keep the test short, the copies of the rule
files it loads have their ``for:`` durations cut to 2 s and no 5-minute group interval;
scrapes run every second."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from exporters.prometheus_config import RULES_DIR, ConfigOptions, generate
from inventory.loader import example_inventory_path
from inventory.resolve import iter_devices
from inventory.validate import load_valid
from lab.control import UpResult, lab_down, lab_up, request
from lab.monitoring import (
    PROMETHEUS,
    fast_rules,
    query,
    running_exporter,
    running_prometheus,
)

EXAMPLE = example_inventory_path()
BASE = ipaddress.IPv4Address("127.83.0.0")
# Hàm Rồng (cisco_xe), Hạc Thành (cisco_ios), Mường Lát (huawei_vrp, telco-managed CPE)
COMMUNES = ("14758", "14797", "14845")
WAIT = 60.0

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(PROMETHEUS).exists(), reason="prometheus is not installed (./dev installs it)"
    ),
]


@dataclass
class Stack:
    twin: UpResult
    prometheus: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("e2e")
    limits = [f"commune={code}" for code in COMMUNES]
    twin = lab_up(EXAMPLE, limits, tmp / "state", BASE)
    try:
        with running_exporter(twin.overlay, twin.secrets_file, tmp / "exporter.log") as exporter:
            devices = list(iter_devices(load_valid(twin.overlay)))
            options = ConfigOptions(
                exporter=exporter,
                scrape_interval="1s",
                scrape_timeout="1s",
                evaluation_interval="1s",
            )
            generated = generate(devices, options)
            config_dir = tmp / "prometheus"
            for relative, text in generated.files.items():
                path = config_dir / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                rules = relative.startswith("rules/")
                path.write_text(fast_rules(text) if rules else text, "utf-8")
            assert {p.name for p in (config_dir / "rules").iterdir()} == {
                p.name for p in RULES_DIR.glob("*.yml")
            }
            with running_prometheus(config_dir / "prometheus.yml", tmp / "data") as base:
                yield Stack(twin, base)
    finally:
        lab_down(twin.state_dir)


def value(base: str, expr: str) -> float | None:
    answer = query(base, expr)
    assert answer["status"] == "success", answer
    result: list[dict[str, Any]] = answer["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def eventually(check: Callable[[], Any], what: str) -> Any:
    """Poll ``check`` until it returns something truthy (bounded by ``WAIT``)."""
    deadline = time.monotonic() + WAIT
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {WAIT:.0f} s (last: {last!r})")


def ratio(base: str, name: str) -> float | None:
    return value(base, f'province:provnet_communes_{name}:ratio{{province="Thanh Hóa"}}')


def firing(base: str, alert: str, **labels: str) -> bool:
    selector = ",".join(f'{k}="{v}"' for k, v in labels.items())
    expr = f'ALERTS{{alertname="{alert}",alertstate="firing"{"," if selector else ""}{selector}}}'
    return value(base, expr) == 1.0


def fault(stack: Stack, device: str, kind: str, argument: str = "") -> None:
    request(
        stack.twin.state_dir,
        {"op": "fault", "device": device, "kind": kind, "argument": argument},
    )


def test_coverage_follows_the_twin_faults_fire_alerts_reboot_counts(stack: Stack) -> None:
    """One test, so that one xdist worker owns the twin on ``BASE``."""
    base = stack.prometheus
    # The twin: every router answers with its uplink up, IPv6 not yet enabled on any,
    # every VC endpoint answers SIP.
    # Until every target's first scrape is in, the province may count fewer communes
    # (2 of 2 connected is a ratio of 1 too): wait for all three first.
    eventually(
        lambda: value(base, 'province:provnet_communes:count{province="Thanh Hóa"}') == 3,
        "three communes counted",
    )
    eventually(lambda: ratio(base, "connected") == 1.0, "all three communes connected")
    # A SIP probe has half a second here (1 s scrape timeout); under load one may miss it.
    eventually(lambda: ratio(base, "vc_ready") == 1.0, "every VC endpoint answers SIP")
    assert ratio(base, "ipv6_ready") == 0.0
    assert value(base, "count(up == 1)") == value(base, "count(up)")

    fault(stack, "th-14797-rtr1", "down")
    eventually(lambda: ratio(base, "connected") == 2 / 3, "ratio after a router down")
    # its VC endpoint answers, the commune does not
    eventually(lambda: ratio(base, "vc_ready") == 2 / 3, "VC-ready after a router down")
    eventually(
        lambda: firing(base, "ProvnetCommuneOffline", commune_code="14797"),
        "ProvnetCommuneOffline for 14797",
    )

    fault(stack, "th-14845-rtr1", "link-down", "GigabitEthernet0/0/0")
    eventually(lambda: ratio(base, "connected") == 1 / 3, "ratio after an uplink down")
    # the router still answers SNMP: offline through its level-II uplink only
    assert value(base, 'device:provnet_up:bool{device="th-14845-rtr1"}') == 1.0
    eventually(
        lambda: firing(base, "ProvnetCommuneOffline", commune_code="14845"),
        "ProvnetCommuneOffline for 14845",
    )
    assert not firing(base, "ProvnetCommuneOffline", commune_code="14758")

    fault(stack, "th-14797-rtr1", "up")
    fault(stack, "th-14845-rtr1", "link-up", "GigabitEthernet0/0/0")
    eventually(lambda: ratio(base, "connected") == 1.0, "ratio after repair")

    # A reboot increments the boots counter and fires ProvnetDeviceRebooted.
    boots = 'provnet_device_boots_total{device="th-14758-sw1"}'
    before = eventually(lambda: value(base, boots), "boots counter scraped")
    fault(stack, "th-14758-sw1", "reboot")
    eventually(lambda: (value(base, boots) or 0) == before + 1, "boots counter + 1")
    eventually(
        lambda: firing(base, "ProvnetDeviceRebooted", device="th-14758-sw1"),
        "ProvnetDeviceRebooted",
    )
    assert not firing(base, "ProvnetDeviceRebooted", device="th-14758-rtr1")
