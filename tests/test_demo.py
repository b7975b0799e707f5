"""`provnet demo`, the README's main job, run as a user runs it: the whole province twin,
the exporter and a real Prometheus, faults, and the IPv6 migration in waves."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lab.netns import root_available

PROVNET = Path(sys.executable).parent / "provnet"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory, testrun_uid: str) -> str:
    """The demo's output, the demo run once per test run: xdist may give this module's tests
    to both workers, and two demos at once would share the twin's base. The first worker runs
    it under a file lock in the run's shared directory; the other reads what it printed."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's directory, above each worker's
    output = shared / f"demo-{testrun_uid}.out"
    with (shared / f"demo-{testrun_uid}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not output.exists():
            done = subprocess.run(
                [str(PROVNET), "demo"],
                capture_output=True,
                text=True,
                timeout=600,
                env={**os.environ, "COLUMNS": "200"},
                check=False,
            )
            assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
            output.write_text(done.stdout, encoding="utf-8")
    return output.read_text(encoding="utf-8")


def _coverage_lines(output: str) -> list[tuple[int, int, int, int]]:
    """(connected, ipv6-ready, vc-ready, communes) of every coverage line, in order."""
    pattern = re.compile(
        r"(\d+)/(\d+) xã kết nối \(connected\); (\d+)/\d+ xã sẵn sàng IPv6 \(IPv6-ready\); "
        r"(\d+)/\d+ xã sẵn sàng VC"
    )
    return [(int(m[1]), int(m[3]), int(m[4]), int(m[2])) for m in pattern.finditer(output)]


def test_demo_measures_every_commune_then_faults_then_ipv6(demo_output: str) -> None:
    lines = _coverage_lines(demo_output)
    assert len(lines) == 3, demo_output[-2000:]
    start, faulted, end = lines
    assert start == (166, 0, 166, 166)  # the twin: every commune up, none on IPv6 yet
    assert faulted[0] == 165  # one commune router down
    assert "ProvnetCommuneOffline" in demo_output
    assert "ProvnetDeviceRebooted" in demo_output
    # every province-managed commune router got IPv6; the 21 telco CPEs were refused
    assert end[0] == 166
    assert end[1] == 166 - 21
    refused = re.findall(r"│ refused\s+│ \S+\s+│ [^│]*telco-managed[^│]*│ (\d+)", demo_output)
    assert sum(int(n) for n in refused) == 21, demo_output[-3000:]
    assert "nothing left behind" in demo_output


def test_demo_summarises_the_change_rather_than_a_row_per_router(demo_output: str) -> None:
    section = demo_output.split("provnet demo — 5/")[1].split("provnet demo — 7/")[0]
    assert section.count("\n") < 80, section
    assert "r-" not in section.split("IPv6-ready communes over time")[0]


def test_demo_shows_ipv6_ready_rising(demo_output: str) -> None:
    table = demo_output.split("IPv6-ready communes over time", 1)[1]
    counts = [int(m) for m in re.findall(r"│ [+-]\d+\s+│ (\d+)/166", table)]
    assert counts[0] == 0
    assert counts[-1] == 145
    assert counts == sorted(counts)
    assert len(set(counts)) >= 3  # rising in steps (waves), not in one jump


def test_demo_deploys_a_server_then_finds_nothing_to_change(demo_output: str) -> None:
    available, reason = root_available()
    if not available:
        pytest.skip(f"the twin's Debian servers need root: {reason}")
    section = demo_output.split("provnet demo — 7/")[1].split("provnet demo — 8/")[0]
    assert "would-change" in section, section[-2000:]
    assert "Traceback" not in section
    assert section.rstrip().count("unchanged: 1") >= 1, section[-2000:]


def test_demo_checks_a_vc_session_and_names_the_not_ready_commune(demo_output: str) -> None:
    section = demo_output.split("(VC session readiness)", 1)[1].split("provnet demo — 9/9", 1)[0]
    ready = re.search(r"Hội nghị trực tuyến UBND tỉnh: (\d+)/6 xã sẵn sàng", section)
    assert ready is not None, section[-2000:]
    assert int(ready[1]) <= 5  # the broken camera's commune (others only if the machine stalls)
    broken = [ln for ln in section.splitlines() if "Phường Hàm Rồng" in ln]
    assert len(broken) == 1 and "chưa sẵn sàng" in broken[0], section
    assert "Camera không kết nối" in broken[0]
    assert "th-14797-vc1" not in section  # a summary, not a row per endpoint
