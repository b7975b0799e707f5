"""``provnet servers deploy monitoring`` on a twin data centre server (th-dc-srv3), a real
Debian system: the Prometheus files are what ``provnet exporter prometheus-config`` writes
for the twin (plus the example Alertmanager routing); a dry run changes no byte; after the
apply, seen from inside the server: node_exporter, Prometheus and Alertmanager are active,
``promtool check config`` passes, Prometheus's ``/api/v1/targets`` lists every generated
target, node_exporter and Alertmanager answer; a second run changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TwinServers
from tests.deploys.servers.twin_deploy import (
    CANARY,
    PROVNET,
    digests,
    inside,
    own_twin_servers,
    provnet_servers,
)

pytestmark = pytest.mark.root

HOST = "th-dc-srv3"
ROUTING = Path(__file__).resolve().parents[3] / "exporters" / "alertmanager.yml"
WATCHED = ("/etc/prometheus", "/etc/default", "/etc/nftables.d", "/etc/nftables.conf")


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinServers]:
    state = tmp_path_factory.mktemp("monitoring-twin") / "state"
    with own_twin_servers(state, ["site=th-dc"], offset=246) as servers:
        yield servers


@pytest.fixture(scope="module")
def applied(twin: TwinServers, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The generated directory, the baseline (mirror, firewall), monitoring --dry (files
    before and after) and the apply."""
    cwd = tmp_path_factory.mktemp("monitoring-run")
    generated = cwd / "prometheus"
    subprocess.run(
        [PROVNET, "exporter", "prometheus-config", "--out", str(generated),
         "--alertmanager", "127.0.0.1:9093"],
        env={**os.environ, "PROVNET_INVENTORY": str(twin.up.overlay)},
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    shutil.copy(ROUTING, generated / "alertmanager.yml")
    limit = ["--limit", HOST]
    data = ["--data", f"prometheus_dir={generated}"]
    baseline = provnet_servers(["deploy", "baseline", *limit, "-y"], cwd, twin)
    before = digests(twin, HOST, WATCHED)
    dry = provnet_servers(["deploy", "monitoring", *limit, *data, "--dry", "--diff"], cwd, twin)
    after_dry = digests(twin, HOST, WATCHED)
    apply = provnet_servers(["deploy", "monitoring", *limit, *data, "-y"], cwd, twin)
    return {
        "cwd": cwd,
        "generated": generated,
        "args": [*limit, *data],
        "baseline": baseline,
        "dry": dry,
        "unchanged_by_dry": before == after_dry,
        "apply": apply,
    }


def test_dry_run_lists_the_changes_and_changes_nothing(applied: dict[str, Any]) -> None:
    assert applied["baseline"][0] == 0, applied["baseline"][1]
    code, output = applied["dry"]
    assert code == 0, output
    assert output.count("would-change") == 1, output
    assert "storage.tsdb.retention.time=30d" in output  # the diff of /etc/default/prometheus
    assert applied["unchanged_by_dry"], "a --dry run changed the server's files"


def _get(url: str) -> list[str]:
    """An HTTP GET from inside the server (its python3; the image has no curl)."""
    code = (
        "import sys, urllib.request; "
        f"sys.stdout.write(urllib.request.urlopen({url!r}).read().decode())"
    )
    return ["python3", "-c", code]


def _targets(twin: TwinServers, seconds: float = 60) -> list[dict[str, Any]]:
    """Prometheus's active targets, once it has read every file_sd file."""
    deadline = time.monotonic() + seconds
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        done = twin.servers.run(HOST, _get("http://127.0.0.1:9090/api/v1/targets"), timeout=10)
        if done.returncode == 0:
            found = json.loads(done.stdout)["data"]["activeTargets"]
            if found:
                return found
        time.sleep(1)
    return found


def test_services_answer_with_the_generated_configuration(
    twin: TwinServers, applied: dict[str, Any]
) -> None:
    code, output = applied["apply"]
    assert code == 0, output
    assert "changed: 1" in output and CANARY not in output
    units = "prometheus prometheus-node-exporter prometheus-alertmanager nftables"
    assert inside(twin, HOST, f"systemctl is-active {units}").split() == ["active"] * 4
    assert "SUCCESS" in inside(
        twin, HOST, "promtool check config /etc/prometheus/provnet/prometheus.yml 2>&1"
    )
    generated: Path = applied["generated"]
    want: dict[str, int] = {}
    for file_sd in sorted((generated / "file_sd").glob("*.json")):
        groups = json.loads(file_sd.read_text(encoding="utf-8"))
        want[file_sd.stem] = sum(len(g["targets"]) for g in groups)
    assert want["provnet_snmp"] > 0
    targets = _targets(twin)
    got: dict[str, int] = {}
    for target in targets:
        got[target["labels"]["job"]] = got.get(target["labels"]["job"], 0) + 1
    for job, count in want.items():
        assert got.get(job, 0) == count, (job, got)
    assert got.get("provnet_exporter") == 1
    node = twin.servers.run(HOST, _get("http://127.0.0.1:9100/metrics"), timeout=10).stdout
    assert "node_uname_info" in node
    status = json.loads(
        twin.servers.run(HOST, _get("http://127.0.0.1:9093/api/v2/status"), timeout=10).stdout
    )
    assert "noc-oncall" in status["config"]["original"]  # the example routing
    ruleset = inside(twin, HOST, "nft list ruleset")
    opening = [line for line in ruleset.splitlines() if "@monitoring_v4" in line]
    assert opening and all(port in opening[0] for port in ("9090", "9093", "9100")), ruleset


def test_second_run_changes_nothing(twin: TwinServers, applied: dict[str, Any]) -> None:
    assert applied["apply"][0] == 0
    args, cwd = applied["args"], applied["cwd"]
    code, output = provnet_servers(["deploy", "monitoring", *args, "--dry"], cwd, twin)
    assert code == 0 and output.count("no-change") == 1, output
    code, output = provnet_servers(["deploy", "monitoring", *args, "-y"], cwd, twin)
    assert code == 0 and "unchanged: 1" in output, output
