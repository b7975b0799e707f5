"""End to end: `provnet vc watch --once` writes its textfile, a real node_exporter (Debian's,
textfile collector only) serves it, a real Prometheus scrapes it and evaluates provnet's
rules: ProvnetVcCommuneNotReady fires for the not-ready commune of a session starting in
30 minutes, not for the ready one, and the session's ready ratio is 1/2.

The twin is tests/checks/conftest.py's. node_exporter and Prometheus listen on free
loopback ports and are stopped by PID; scrapes and rule evaluations run every second, so
the alert shows within seconds (the rule has no ``for:``; ``fast_rules`` cuts any anyway).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli import app
from exporters.prometheus_config import RULES_DIR
from lab.monitoring import (
    NODE_EXPORTER,
    PROMETHEUS,
    fast_rules,
    running_node_exporter,
    running_prometheus,
    value,
    vector,
)
from tests.checks.conftest import ENDPOINTS, fault, runner
from tests.platforms.twin import TwinDevices

WAIT_S = 60.0
ALERT = 'ALERTS{alertname="ProvnetVcCommuneNotReady"}'

pytestmark = pytest.mark.skipif(
    not (Path(PROMETHEUS).exists() and Path(NODE_EXPORTER).exists()),
    reason="prometheus or prometheus-node-exporter is not installed (./dev setup installs them)",
)


def watch_once(twin: TwinDevices, tmp_path: Path, textfile: Path) -> datetime:
    """A session starting in 30 minutes for the first two endpoints' communes, the first
    endpoint's camera off while `vc watch --once` runs its T-60 check."""
    start = datetime.fromtimestamp(int(time.time()) + 1800, UTC)
    sessions = tmp_path / "sessions.yaml"
    sessions.write_text(
        "sessions:\n"
        "  - title: Hội nghị trực tuyến\n"
        f"    start: '{start.isoformat()}'\n"
        f"    communes: [{', '.join(e.split('-')[1] for e in ENDPOINTS[:2])}]\n",
        encoding="utf-8",
    )
    fault(twin, ENDPOINTS[0], "camera-off")
    try:
        result = runner.invoke(
            app,
            [
                *("vc", "watch", str(sessions), "--once", "--out-dir", str(tmp_path / "out")),
                *("--inventory", str(twin.up.overlay), "--textfile", str(textfile)),
            ],
            env={"PROVNET_SECRETS_FILE": str(twin.up.secrets_file)},
        )
    finally:
        fault(twin, ENDPOINTS[0], "up")
    assert result.exit_code == 0, result.output
    return start


def write_config(directory: Path, node_exporter: str) -> Path:
    rules = directory / "provnet_vc_sessions.yml"
    rules.write_text(fast_rules((RULES_DIR / "provnet_vc_sessions.yml").read_text("utf-8")))
    config = directory / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\n"
        f"rule_files: ['{rules}']\n"
        "scrape_configs:\n"
        "  - job_name: node\n"
        f"    static_configs: [{{targets: ['{node_exporter}']}}]\n",
        encoding="utf-8",
    )
    return config


def test_the_alert_fires_in_prometheus_for_a_not_ready_commune(
    vc_twin: TwinDevices, tmp_path: Path
) -> None:
    textfile_dir = tmp_path / "textfile"
    watch_once(vc_twin, tmp_path, textfile_dir / "provnet_vc.prom")
    not_ready = ENDPOINTS[0].split("-")[1]
    with running_node_exporter(textfile_dir, tmp_path / "node_exporter.log") as node:
        config = write_config(tmp_path, node)
        with running_prometheus(config, tmp_path / "data") as base:
            deadline = time.monotonic() + WAIT_S
            firing: list[dict[str, str]] = []
            while time.monotonic() < deadline:
                firing = [labels for labels, _ in vector(base, ALERT)]
                if firing:
                    break
                time.sleep(0.5)
            ratio = value(base, "session:provnet_vc_ready:ratio")
    # Only the commune whose camera is off: the other commune of the session is ready.
    assert [(a["alertstate"], a["commune_code"]) for a in firing] == [("firing", not_ready)]
    assert firing[0]["session"] == "Hội nghị trực tuyến"
    assert firing[0]["severity"] == "critical"
    assert ratio == 0.5
