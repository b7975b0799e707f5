"""Server controls on a real twin server (Debian booted with systemd in its own namespaces):
`provnet audit --source live` reads it over SSH with pyinfra's facts, before and after
`provnet servers deploy baseline` and `soc_collector`. Before: the fresh image fails the
server controls and the collector's own retention (MON-RETENTION-02); after: every one
passes. Both commands run as a person runs them (their own process).

This module starts its own twin (the SOC's log server only, at 127.(140+worker).0.0)
rather than the session's ``twin_servers``: the baseline tests deploy there, and this test
must see a server before any deploy. Root only, as twin servers are (CI runs as root).
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from inventory.resolve import iter_devices
from inventory.validate import load_valid
from lab.control import UpResult, lab_down, lab_up
from lab.netns import root_available
from tests.conftest import EXAMPLE

PROVNET = str(Path(sys.executable).with_name("provnet"))
SERVER = "th-soc-log1"
SERVER_CONTROLS = {
    "SRV-SSH-01",
    "SRV-SSH-02",
    "SRV-FW-01",
    "SRV-NTP-01",
    "SRV-LOG-01",
    "SRV-LOG-02",
    "MON-RETENTION-02",  # the collector's logrotate (Circular 31/2017 art. 5)
}
pytestmark = [pytest.mark.root, pytest.mark.slow]


@pytest.fixture(scope="module")
def soc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpResult]:
    available, reason = root_available()
    if not available:
        pytest.skip(f"twin servers need root: {reason}")
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    state = tmp_path_factory.mktemp("audit-servers") / "state"
    result = lab_up(
        EXAMPLE, [f"device={SERVER}"], state, ipaddress.IPv4Address(f"127.{140 + worker}.0.0")
    )
    try:
        yield result
    finally:
        lab_down(state)


def _provnet(soc: UpResult, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **soc.environment(), "COLUMNS": "220"}
    return subprocess.run(
        [PROVNET, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def _audit(soc: UpResult, tmp: Path, name: str) -> tuple[int, dict[str, Any]]:
    out = tmp / f"{name}.json"
    done = _provnet(
        soc,
        tmp,
        "audit",
        "--source",
        "live",
        "--limit",
        SERVER,
        "--format",
        "json",
        "--out",
        str(out),
    )
    assert done.returncode in (0, 100), done.stdout + done.stderr
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return done.returncode, doc


def test_server_controls_fail_before_the_baseline_and_pass_after(
    soc: UpResult, tmp_path: Path
) -> None:
    code, before = _audit(soc, tmp_path, "before")
    statuses = {r["control"]: r["status"] for r in before["results"]}
    assert set(statuses) == SERVER_CONTROLS and code == 100, before["results"]
    assert "error" not in statuses.values(), [r["message"] for r in before["results"]]
    failed = {c for c, s in statuses.items() if s == "failed"}
    # a fresh Debian: passwords accepted, no firewall, no SOC forwarding, no province NTP
    assert {"SRV-SSH-02", "SRV-FW-01", "SRV-NTP-01", "SRV-LOG-01", "MON-RETENTION-02"} <= failed
    assert before["source"] == {"kind": "live", "credentials": "inventory", "servers": "ssh"}
    [result] = [r for r in before["results"] if r["control"] == "SRV-SSH-02"]
    host = next(d for d in iter_devices(load_valid(soc.overlay)) if d.name == SERVER).host
    assert result["file"] == f"ssh://{host}:22"  # on the twin LAN, in the server's namespace
    assert [e["section"] for e in result["evidence"]] == ["$ sshd -T"] * len(result["evidence"])

    for deploy in ("baseline", "soc_collector"):
        deployed = _provnet(soc, tmp_path, "servers", "deploy", deploy, "-y")
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr

    code, after = _audit(soc, tmp_path, "after")
    assert {r["control"]: r["status"] for r in after["results"]} == dict.fromkeys(
        SERVER_CONTROLS, "passed"
    ), [(r["control"], r["evidence"], r["message"]) for r in after["results"]]
    assert code == 0
    retention = next(r for r in after["results"] if r["control"] == "SRV-LOG-02")
    assert any(e["text"] == "MaxRetentionSec=90day" for e in retention["evidence"])
    collector = next(r for r in after["results"] if r["control"] == "MON-RETENTION-02")
    assert any(e["text"] == "rotate 90" for e in collector["evidence"]), collector["evidence"]
