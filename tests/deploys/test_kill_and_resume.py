"""kill -9 at random points of `provnet net apply` on the twin, then `--resume`: every
device ends either fully applied or exactly as before, never half-changed (issue:
reliability, point 3). Bounded: three runs, each on a fresh twin of one commune, its
devices slowed so that a kill lands during a push; the process killed is the one the
test started, by its PID."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deploys.network.journal import Outcome, read_journal, resume_state
from deploys.network.plan import Status, load_plan
from deploys.network.targets import InventoryBackend
from inventory.resolve import iter_devices
from inventory.secrets import SecretStore
from inventory.validate import load_valid
from lab.control import UpResult, request
from tests.conftest import EXAMPLE, worker_twin

PROVNET = str(Path(sys.executable).parent / "provnet")
DEVICES = ("th-14758-rtr1", "th-14758-sw1")


def _provnet(lab: UpResult, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **lab.environment(), "COLUMNS": "200"}
    return subprocess.run(
        [PROVNET, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _sections(lab: UpResult) -> dict[str, dict[str, list[str]]]:
    inv = load_valid(lab.overlay)
    assert lab.known_hosts is not None
    backend = InventoryBackend(inv, SecretStore({}, lab.secrets_file), str(lab.known_hosts))
    found = {}
    for view in iter_devices(inv):
        if view.name in DEVICES:
            session = backend.connect(view)
            try:
                found[view.name] = backend.platform(view.platform).sections(
                    session.running_config()
                )
            finally:
                session.close()
    return found


def _wait_for_the_run(journal: Path, process: subprocess.Popen[bytes]) -> None:
    """Until the apply has written its first event (bounded: 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if journal.is_file() and journal.stat().st_size > 0:
            return
        time.sleep(0.05)
    raise AssertionError("the apply wrote no journal within 60 s")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_mid_apply_then_resume_leaves_every_device_applied_or_as_before(
    seed: int, tmp_path: Path
) -> None:
    kill_after = random.Random(seed).uniform(0.3, 3.0)  # after the run's first event
    state = tmp_path / "twin"
    with worker_twin(EXAMPLE, ["commune=14758"], state, 170) as lab:
        before = _sections(lab)
        plan = tmp_path / "v6.plan.json"
        planned = _provnet(lab, "net", "plan", "ipv6_migration", "--no-diff", "--out", str(plan))
        assert planned.returncode == 0, planned.stdout + planned.stderr
        assert {d.device for d in load_plan(plan).to_change()} == set(DEVICES)
        for device in DEVICES:
            request(state, {"op": "fault", "device": device, "kind": "slow", "argument": "120"})
        journal = tmp_path / "v6.journal.jsonl"
        env = {**os.environ, **lab.environment()}
        args = ["net", "apply", str(plan), "-y", "--journal", str(journal), "--waves", "rest"]
        process = subprocess.Popen(
            [PROVNET, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _wait_for_the_run(journal, process)
        time.sleep(kill_after)
        process.kill()  # SIGKILL, to the process this test started
        process.wait(timeout=30)
        for device in DEVICES:
            request(state, {"op": "fault", "device": device, "kind": "slow", "argument": "0"})
        cut = resume_state(journal, read_journal(journal))
        resumed = _provnet(lab, "net", "apply", "--resume", str(journal), "-y")
        assert resumed.returncode in (0, 1), resumed.stdout + resumed.stderr
        after = _sections(lab)
        again = tmp_path / "again.plan.json"
        replanned = _provnet(lab, "net", "plan", "ipv6_migration", "--no-diff", "--out", str(again))
        assert replanned.returncode == 0, replanned.stdout + replanned.stderr
        statuses = {d.device: d.status for d in load_plan(again).devices if d.device in DEVICES}
        for device in DEVICES:
            applied = statuses[device] is Status.NO_CHANGE
            assert applied or after[device] == before[device], (
                device,
                cut.outcomes,
                resumed.stdout,
            )
        final = resume_state(journal, read_journal(journal)).outcomes
        assert Outcome.INTERRUPTED not in final.values()
