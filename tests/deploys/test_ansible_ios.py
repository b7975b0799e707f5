"""The shipped ``deploys/ansible/ipv6_migration.yml`` (cisco.ios, through `provnet ansible
run`) on two twin IOS routers: it applies the IPv6 migration, a rerun changes nothing, and
provnet's own plan of the change then finds nothing left to do (the same configuration as
`provnet net apply`); the routers' host keys are checked against `--known-hosts` (network_cli
reads only ``~/.ssh/known_hosts``: provnet gives the run a HOME of its own holding that file,
the user's ``~/.ssh`` is never touched), and a router whose key is not known is not configured.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from deploys.ansible.runner import EXIT_FAILED
from deploys.network.journal import read_journal
from lab.control import UpResult
from tests.conftest import EXAMPLE, worker_twin

ROUTERS = ("th-15124-rtr1", "th-16540-rtr1")
LIMIT = ",".join(f"device={name}" for name in ROUTERS)
runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpResult]:
    state = tmp_path_factory.mktemp("ansible-ios") / "state"
    with worker_twin(EXAMPLE, ["commune=15124,commune=16540"], state, 134) as up:
        yield up


def _known_hosts(tmp: Path, known_hosts: Path | None) -> Path:
    """A known_hosts file for one run: the twin's keys (or none)."""
    path = tmp / f"known_hosts-{len(list(tmp.glob('known_hosts-*')))}"
    path.write_text(known_hosts.read_text(encoding="utf-8") if known_hosts else "")
    return path


def _ansible(
    lab: UpResult, tmp: Path, known_hosts: Path, limit: str = LIMIT
) -> tuple[int, str, dict[str, Any]]:
    journal = tmp / f"journal-{len(list(tmp.glob('journal-*')))}.jsonl"
    home = tmp / "user-home"  # the user's own HOME: provnet must neither read nor write it
    (home / ".ssh").mkdir(parents=True, exist_ok=True)
    env = {**lab.environment(), "HOME": str(home), "XDG_CACHE_HOME": str(tmp / "cache")}
    done = runner.invoke(
        app,
        [
            "ansible", "run", "ipv6_migration", "--limit", limit,
            "--journal", str(journal), "--known-hosts", str(known_hosts),
        ],
        env=env,
    )  # fmt: skip
    assert list((home / ".ssh").iterdir()) == []
    return done.exit_code, done.output, read_journal(journal)[-1]


def _plan_statuses(lab: UpResult, path: Path) -> dict[str, str]:
    done = runner.invoke(
        app,
        ["net", "plan", "ipv6_migration", "--limit", LIMIT, "--out", str(path), "--no-diff"],
        env=lab.environment(),
    )
    assert done.exit_code == 0, done.output
    plan = json.loads(path.read_text(encoding="utf-8"))
    return {d["device"]: d["status"] for d in plan["devices"]}


@pytest.mark.root
def test_a_router_whose_host_key_is_unknown_is_not_configured(
    lab: UpResult, tmp_path: Path
) -> None:
    code, output, end = _ansible(
        lab, tmp_path, _known_hosts(tmp_path, None), f"device={ROUTERS[0]}"
    )
    # network_cli reports a refused connection as the first task's failure, not unreachable
    assert code == EXIT_FAILED, output
    assert "authenticity of host" in output
    assert end["hosts"][ROUTERS[0]]["failures"] == 1
    assert _plan_statuses(lab, tmp_path / "plan.json")[ROUTERS[0]] == "change"


@pytest.mark.root
def test_the_playbook_migrates_like_provnet_and_a_rerun_changes_nothing(
    lab: UpResult, tmp_path: Path
) -> None:
    assert lab.known_hosts is not None
    assert set(_plan_statuses(lab, tmp_path / "before.json").values()) == {"change"}
    known = _known_hosts(tmp_path, lab.known_hosts)
    code, output, end = _ansible(lab, tmp_path, known)
    assert code == 0, output
    assert {h: c["changed"] > 0 for h, c in end["hosts"].items()} == dict.fromkeys(ROUTERS, True)

    assert _plan_statuses(lab, tmp_path / "after.json") == dict.fromkeys(ROUTERS, "no-change")

    code, output, end = _ansible(lab, tmp_path, known)
    assert code == 0, output
    assert {h: c["changed"] for h, c in end["hosts"].items()} == dict.fromkeys(ROUTERS, 0)
