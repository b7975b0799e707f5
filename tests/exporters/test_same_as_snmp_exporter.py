"""provnet against Debian's snmp_exporter (0.21, the reference peer) on snmp_exporter's own
generated ``snmp.yml`` (v0.30.1; converted to the pre-0.23 format for the peer), both
scraping the same net-snmp snmpd: the same device series for every module net-snmp
serves, on three scrapes in a row (a table that broke after its first scrape showed only
from the second), values equal except what moves between two reads.

This machine's own tables back snmpd (interfaces, processes): each round asks both
exporters at the same moment, and a round whose answers differ is asked again (twice at
most) before it counts, so a process that started between two reads is not a failure
while a difference that stays is."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml_rs

from bench import snmpbench as sb
from tests.exporters.snmpd import Snmpd, snmpd_binary
from tests.exporters.test_exporter_snmpd import (
    Exporter,
    free_tcp_port,
    start_exporter,
    stop_exporter,
)
from tests.exporters.upstream import upstream_file

PEER = Path(sb.SNMP_EXPORTER)
pytestmark = pytest.mark.skipif(
    snmpd_binary() is None or not PEER.exists(),
    reason="net-snmp snmpd and Debian's prometheus-snmp-exporter are needed (./dev installs them)",
)

HOST = "127.64.3.1"  # this module's loopback addresses: 127.64.3.0/24
COMMUNITY = "public"  # the community of the generated file's public_v2 auth
MODULES = (
    "system",
    "if_mib",
    "ip_mib",
    "hrDevice",
    "hrStorage",
    "hrSystem",
    "hrSWRun",
    "hrSWInstalled",
    "ucd_la_table",
    "ucd_memory",
    "ucd_system_stats",
)
MOVING = frozenset(
    {
        "sysUpTime",
        "hrSystemUptime",
        "hrSystemDate",
        "hrSystemProcesses",
        "hrSystemNumUsers",
        "hrProcessorLoad",
        "hrStorageUsed",
        "hrSWRunPerfCPU",
        "hrSWRunPerfMem",
        "hrSWRunStatus",
        "laLoad",
        "laLoadInt",
        "laLoadFloat",
        "memAvailReal",
        "memAvailSwap",
        "memTotalFree",
        "memShared",
        "memBuffer",
        "memCached",
        "ssCpuIdle",
        "ssCpuUser",
        "ssCpuSystem",
        "ssSwapIn",
        "ssSwapOut",
        "ssIOSent",
        "ssIOReceive",
        "ssSysInterrupts",
        "ssSysContext",
        "ifLastChange",
    }
)
"""Gauges that move between two reads a few milliseconds apart (counters are found by their
TYPE line). A string-valued one carries its value in a label named like it: dropped too."""


SCALED: dict[str, tuple[float, float]] = {}
"""Metrics whose ``offset``/``scale`` (unknown to 0.21) the conversion took out: provnet's
value is the peer's times scale plus offset."""


def legacy_file(path: Path, modules: dict[str, Any]) -> None:
    """The modules in the pre-0.23 format snmp_exporter 0.21 reads: each with its auth,
    without ``offset``/``scale`` (kept in :data:`SCALED`)."""
    document = {}
    for name, module in modules.items():
        metrics = []
        for metric in module["metrics"]:
            offset, scale = metric.pop("offset", 0.0), metric.pop("scale", 0.0)
            if offset or scale:
                SCALED[metric["name"]] = (float(offset), float(scale))
            metrics.append(metric)
        document[name] = {
            **module,
            "metrics": metrics,
            "version": 2,
            "auth": {"community": COMMUNITY},
        }
    path.write_text(yaml_rs.dumps(document))


def peer_value(name: str, value: str) -> str:
    if name not in SCALED:
        return value
    offset, scale = SCALED[name]
    return repr(float(value) * (scale or 1.0) + offset)


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpd]:
    with Snmpd(tmp_path_factory.mktemp("snmpd"), host=HOST, community=COMMUNITY) as daemon:
        yield daemon


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("peer")
    upstream = yaml_rs.loads(upstream_file("v0.30.1").read_text(encoding="utf-8"))
    config = directory / "snmp.yml"
    legacy_file(config, {name: upstream["modules"][name] for name in MODULES})
    listen = f"{HOST}:{free_tcp_port(HOST)}"
    with (directory / "peer.log").open("wb") as log:
        process = subprocess.Popen(
            sb.snmp_exporter_argv(config, listen), stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError((directory / "peer.log").read_text())
            try:
                urllib.request.urlopen(f"http://{listen}/metrics", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"http://{listen}"
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            process.wait(10)


@pytest.fixture(scope="module")
def provnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exporter]:
    directory = tmp_path_factory.mktemp("provnet")
    running = start_exporter(directory, "--config", str(upstream_file("v0.30.1")), host=HOST)
    try:
        yield running
    finally:
        stop_exporter(running)


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return str(answer.read().decode())


def comparable(text: str) -> tuple[set[sb.Series], dict[sb.Series, str]]:
    """The device series of a scrape (self-metrics left out), keyed without what moves, and
    the values worth comparing."""
    counters = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}
    counters = {
        name
        for name in counters
        if f"# TYPE {name} counter" in text  # counters move by themselves
    }
    keys: set[sb.Series] = set()
    values: dict[sb.Series, str] = {}
    for (name, labels), value in sb.device_series(sb.parse_exposition(text)).items():
        if name in MOVING:
            labels = tuple(pair for pair in labels if pair[0] != name)
        key = (name, labels)
        keys.add(key)
        if name not in MOVING and name not in counters:
            values[key] = value
    return keys, values


def differences(peer_text: str, ours_text: str) -> list[str]:
    peer_keys, peer_values = comparable(peer_text)
    our_keys, our_values = comparable(ours_text)
    found = [f"only snmp_exporter: {sb.show_series(k)}" for k in sorted(peer_keys - our_keys)]
    found += [f"only provnet: {sb.show_series(k)}" for k in sorted(our_keys - peer_keys)]
    for key in sorted(peer_values.keys() & our_values.keys()):
        theirs, ours = peer_value(key[0], peer_values[key]), our_values[key]
        if not sb.same_value(theirs, ours):
            found.append(f"{sb.show_series(key)}: snmp_exporter {theirs}, provnet {ours}")
    return found


@pytest.mark.parametrize("module", MODULES)
def test_the_same_series_as_snmp_exporter_on_three_scrapes_in_a_row(
    snmpd: Snmpd, peer: str, provnet: Exporter, module: str
) -> None:
    peer_url = f"{peer}/snmp?target={snmpd.target}&module={module}"
    our_url = f"{provnet.url}/snmp?target={snmpd.target}&module={module}&auth=public_v2"
    with ThreadPoolExecutor(2) as pool:
        for scrape in range(3):
            for _attempt in range(3):
                peer_text, ours_text = pool.map(fetch, (peer_url, our_url))
                found = differences(peer_text, ours_text)
                if not found:
                    break
            assert not found, f"scrape {scrape + 1} of {module}:\n" + "\n".join(found[:20])
            assert f'provnet_snmp_module_success{{module="{module}"}} 1' in ours_text
