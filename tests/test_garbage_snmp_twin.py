"""A twin device whose SNMP answers random bytes (fault ``garbage-snmp``) can neither
crash an apply nor hang a scrape (issue: reliability). On one commune's twin, loopback
only, bounded: 30 scrapes, one apply."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploys.network.journal import read_journal, resume_state
from inventory.resolve import iter_devices
from inventory.validate import load_valid
from lab.control import UpResult, request
from tests.conftest import EXAMPLE, _worker_number, worker_twin
from tests.exporters.test_exporter_snmpd import start_exporter, stop_exporter

ROUTER, SWITCH = "th-14758-rtr1", "th-14758-sw1"
PROVNET = str(Path(sys.executable).parent / "provnet")


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpResult]:
    state = tmp_path_factory.mktemp("garbage") / "state"
    with worker_twin(EXAMPLE, ["commune=14758"], state, 190) as result:
        request(state, {"op": "fault", "device": ROUTER, "kind": "garbage-snmp"})
        yield result


def test_scrapes_of_a_garbage_device_all_answer_in_time(twin: UpResult, tmp_path: Path) -> None:
    router = next(v for v in iter_devices(load_valid(twin.overlay)) if v.name == ROUTER)
    exporter = start_exporter(
        tmp_path,
        "--inventory",
        str(twin.overlay),
        host=f"127.{64 + _worker_number()}.0.1",
        env={"PROVNET_SECRETS_FILE": str(twin.secrets_file)},
    )
    try:
        path = (
            f"/snmp?target={router.host}:{router.snmp_port}&module=system,if_mib"
            f"&auth={router.snmp_credentials}"
        )
        for _ in range(30):
            started = time.monotonic()
            code, body = exporter.status(path, timeout=10, scrape_timeout=3)
            assert time.monotonic() - started < 4
            assert code == 500  # no module got any data: up reads 0, as with snmp_exporter
            assert "module system on " in body and "failed: " in body
        assert "provnet_snmp_errors_total" in exporter.get("/metrics")
        assert exporter.process.poll() is None  # the exporter is alive
    finally:
        stop_exporter(exporter)


def test_an_apply_with_a_garbage_device_rolls_it_back_and_ends_with_its_summary(
    twin: UpResult, tmp_path: Path
) -> None:
    env = {**os.environ, **twin.environment(), "COLUMNS": "200"}
    plan = tmp_path / "v6.plan.json"
    planned = subprocess.run(
        [PROVNET, "net", "plan", "ipv6_migration", "--no-diff", "--out", str(plan)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert planned.returncode == 0, planned.stdout + planned.stderr
    journal = tmp_path / "v6.journal.jsonl"
    applied = subprocess.run(
        [PROVNET, "net", "apply", str(plan), "-y", "--journal", str(journal), "--waves", "rest"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert applied.returncode == 1, applied.stdout + applied.stderr
    assert "Traceback" not in applied.stderr
    events = read_journal(journal)
    assert events[-1]["event"] == "end"
    outcomes = resume_state(journal, events).outcomes
    assert outcomes[ROUTER].value == "rolled-back"
    assert outcomes[SWITCH].value == "applied"
