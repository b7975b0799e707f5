"""``provnet servers deploy monitoring`` on a twin data centre server (th-dc-srv3), a real
Debian system: the Prometheus files are what ``provnet exporter prometheus-config`` writes
for the twin (plus the example Alertmanager routing); a dry run changes no byte; after the
apply, seen from inside the server: node_exporter, Prometheus and Alertmanager are active,
``promtool check config`` passes, Prometheus's ``/api/v1/targets`` lists every generated
target, node_exporter and Alertmanager answer; provnet's own exporter runs there as a hardened
service (installed from the workstation's wheelhouse) and scrapes a twin device end to end
(the server routes the devices' loopback addresses to this machine), its secrets only in its
root:provnet 0640 environment file; ``vc watch`` of a session starting
soon runs its late T-60 check and node_exporter serves its textfile; a second run changes
nothing."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from checks.vc.report import report_stem
from deploys.servers.provnet_service import TEXTFILE_DIR
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
WATCHED = (
    "/etc/prometheus",
    "/etc/default",
    "/etc/nftables.d",
    "/etc/nftables.conf",
    "/etc/systemd/system",
    "/opt",
)
COMMUNE = "14758"


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinServers]:
    state = tmp_path_factory.mktemp("monitoring-twin") / "state"
    # the commune of the session, so that vc watch on the server knows its endpoint
    with own_twin_servers(state, [f"site=th-dc,commune={COMMUNE}"], offset=246) as servers:
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
    sessions = cwd / "sessions.yaml"
    start = datetime.now(UTC) + timedelta(minutes=40)  # its T-60 check is due at once
    sessions.write_text(
        f'sessions:\n  - title: "Giao ban"\n    start: "{start.isoformat()}"\n'
        f'    communes: ["{COMMUNE}"]\n',
        encoding="utf-8",
    )
    limit = ["--limit", HOST]
    data = ["--data", f"prometheus_dir={generated}", "--data", f"vc_sessions={sessions}"]
    baseline = provnet_servers(["deploy", "baseline", *limit, "-y"], cwd, twin)
    before = digests(twin, HOST, WATCHED)
    env = {"PROVNET_SECRETS_FILE": str(twin.up.secrets_file)}
    dry = provnet_servers(
        ["deploy", "monitoring", *limit, *data, "--dry", "--diff"], cwd, twin, env=env
    )
    after_dry = digests(twin, HOST, WATCHED)
    apply = provnet_servers(["deploy", "monitoring", *limit, *data, "-y"], cwd, twin, env=env)
    return {
        "cwd": cwd,
        "generated": generated,
        "args": [*limit, *data],
        "env": env,
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
    assert opening and all(port in opening[0] for port in ("9090", "9093", "9100", "9116"))


def _lab_secrets(twin: TwinServers) -> list[str]:
    values = yaml.safe_load(twin.up.secrets_file.read_text(encoding="utf-8"))
    return [str(v) for v in values.values() if len(str(v)) >= 4]


def _poll(twin: TwinServers, command: list[str], want: str, seconds: float) -> str:
    """``command``'s output inside the server, once it holds ``want`` (or the last one)."""
    deadline = time.monotonic() + seconds
    text = ""
    while time.monotonic() < deadline:
        done = twin.servers.run(HOST, command, timeout=15)
        text = done.stdout + done.stderr
        if want in text:
            break
        time.sleep(1)
    return text


def test_provnet_exporter_runs_hardened_and_answers(
    twin: TwinServers, applied: dict[str, Any]
) -> None:
    assert applied["apply"][0] == 0, applied["apply"][1]
    state = ""
    for _ in range(20):  # its start-up (imports) under load
        state = twin.servers.run(HOST, ["systemctl", "is-active", "provnet-exporter"]).stdout
        if state.strip() != "activating":
            break
        time.sleep(1)
    journal = twin.servers.run(
        HOST, ["journalctl", "--no-pager", "-n", "30", "-u", "provnet-exporter"]
    ).stdout
    assert state.strip() == "active", journal
    shown = inside(
        twin, HOST, "systemctl show -p User -p NoNewPrivileges -p ProtectSystem provnet-exporter"
    )
    assert {"User=provnet", "NoNewPrivileges=yes", "ProtectSystem=strict"} <= set(shown.split())
    assert inside(twin, HOST, "getent passwd provnet").strip().endswith(":/usr/sbin/nologin")
    owners = inside(
        twin, HOST, "stat -c '%U:%G %a' /etc/provnet/provnet.env /etc/provnet/secrets.yaml"
    )
    assert owners.split("\n")[:2] == ["root:provnet 640", "provnet:provnet 600"]
    # A twin device through the exporter, as Prometheus asks for it (its file_sd target),
    # end to end: the server routes the twin devices' addresses (this machine's loopback) to
    # its gateway, and the exporter reads the auth's secrets from the deployed files.
    groups = json.loads((applied["generated"] / "file_sd" / "provnet_snmp.json").read_text())
    target, labels = groups[0]["targets"][0], groups[0]["labels"]
    query = f"target={target}&auth={labels['__param_auth']}&module=system"
    scraped = _poll(twin, _get(f"http://127.0.0.1:9116/snmp?{query}"), "provnet_device_info", 60)
    journal = twin.servers.run(
        HOST, ["journalctl", "--no-pager", "-n", "40", "-u", "provnet-exporter"]
    ).stdout
    success = re.search(r'^provnet_snmp_module_success\{module="system"\} (\S+)$', scraped, re.M)
    assert success and float(success[1]) == 1, scraped[-1500:] + journal
    assert f'sys_name="{labels["device"]}"' in scraped, scraped[-1500:]
    own = twin.servers.run(HOST, _get("http://127.0.0.1:9116/metrics"), timeout=15).stdout
    assert "provnet_snmp_scrapes_total" in own, own[-1500:]
    # Prometheus scrapes the exporter itself.
    health = {t["labels"]["job"]: t["health"] for t in _targets(twin)}
    deadline = time.monotonic() + 70
    while health.get("provnet_exporter") != "up" and time.monotonic() < deadline:
        time.sleep(2)
        health = {t["labels"]["job"]: t["health"] for t in _targets(twin)}
    assert health.get("provnet_exporter") == "up", health
    # Secrets: in the files above only, not in a unit, a command line or the journal.
    seen = inside(
        twin, HOST,
        "systemctl cat provnet-exporter provnet-vc-watch; ps -eo args; "
        "journalctl --no-pager -u provnet-exporter -u provnet-vc-watch",
    )  # fmt: skip
    for value in [*_lab_secrets(twin), CANARY]:
        assert value not in seen and value not in applied["apply"][1]


def test_vc_watch_checks_the_session_into_node_exporter(
    twin: TwinServers, applied: dict[str, Any]
) -> None:
    assert applied["apply"][0] == 0, applied["apply"][1]
    assert inside(twin, HOST, "systemctl is-enabled provnet-vc-watch").strip() == "enabled"
    metrics = _poll(twin, _get("http://127.0.0.1:9100/metrics"), "provnet_vc_check_timestamp", 60)
    why = inside(
        twin, HOST,
        f"ls -lL {TEXTFILE_DIR} /var/lib/provnet/textfile; "
        "journalctl --no-pager -n 40 -u provnet-vc-watch -u prometheus-node-exporter",
    )  # fmt: skip
    assert 'provnet_vc_check_timestamp_seconds{session="Giao ban"}' in metrics, why
    assert f'commune_code="{COMMUNE}"' in metrics
    # The watch reached the commune's endpoint from the server (management session, status,
    # SIP): whatever its verdict, none of its findings says the endpoint could not be reached.
    report = json.loads(
        inside(twin, HOST, f"cat /var/lib/provnet/vc/{report_stem('Giao ban', 60)}.json")
    )
    endpoints = [e for c in report["communes"] for e in c["endpoints"]]
    codes = {f["code"] for e in endpoints for f in e["findings"]}
    assert endpoints and not codes & {"unreachable", "sip_no_answer", "status_missing"}, codes


def test_second_run_changes_nothing(twin: TwinServers, applied: dict[str, Any]) -> None:
    assert applied["apply"][0] == 0
    args, cwd, env = applied["args"], applied["cwd"], applied["env"]
    code, output = provnet_servers(["deploy", "monitoring", *args, "--dry"], cwd, twin, env=env)
    assert code == 0 and output.count("no-change") == 1, output
    code, output = provnet_servers(["deploy", "monitoring", *args, "-y"], cwd, twin, env=env)
    assert code == 0 and "unchanged: 1" in output, output
