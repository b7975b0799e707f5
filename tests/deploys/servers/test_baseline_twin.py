"""``provnet servers deploy baseline`` on twin servers that are real Debian systems (systemd,
their own file systems, on the twin LAN): a dry run changes no byte, the apply's effects are
seen from inside each server (``sshd -T``, ``nft list ruleset``, ``chronyc``, PAM, journald),
a second run changes nothing, a server that is down fails alone, the secret appears nowhere,
and this machine is the same before and after.

The inventory is the twin's overlay (``provnet lab up``) with what a province sets for its
twin: the twin LAN among the management prefixes, the twin's package mirror, chrony that never
sets the (shared) kernel clock. Root only, as the twin servers are (CI runs as root).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deploys.servers.baseline import PACKAGES
from tests.conftest import TwinServers
from tests.deploys.servers.effects import assert_baseline_effects, inside

PROVNET = str(Path(sys.executable).with_name("provnet"))

CANARY = "canary-Vx7-twin-servers-secret"
WATCHED = (
    "/etc/ssh",
    "/etc/apt",
    "/etc/chrony",
    "/etc/default",
    "/etc/rsyslog.d",
    "/etc/systemd",
    "/etc/security",
    "/etc/profile.d",
    "/etc/pam.d",
    "/etc/issue",
    "/etc/issue.net",
    "/etc/nftables.conf",
)

pytestmark = pytest.mark.root


def _this_machine() -> dict[str, str]:
    """What a deploy must never change here: sshd's configuration, the packages the deploy
    installs (other work on this machine may install others meanwhile), the firewall."""
    sshd_config = Path("/etc/ssh/sshd_config")
    packages = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${Status}\n", *PACKAGES],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout
    nft = shutil.which("nft")
    ruleset = (
        subprocess.run([nft, "list", "ruleset"], capture_output=True, text=True, timeout=30).stdout
        if nft
        else "no nft"
    )
    return {
        "sshd_config": hashlib.sha256(sshd_config.read_bytes()).hexdigest()
        if sshd_config.exists()
        else "absent",
        "packages": packages,
        "ruleset": hashlib.sha256(ruleset.encode()).hexdigest(),
    }


def _twin_inventory(twin: TwinServers) -> Path:
    """The overlay `provnet lab up` wrote, as it is: it names the twin's mirror, the twin LAN
    as a management prefix and chrony's clock left alone (the README's path, nothing added)."""
    return twin.up.overlay


def _run(args: list[str], cwd: Path, inventory: Path) -> tuple[int, str]:
    """``provnet servers ARGS`` as a person runs it: its own process (gevent-patched, as
    pyinfra's CLI is), every server at once."""
    env = {
        **os.environ,
        "PROVNET_SSH_PASSWORD": CANARY,
        "PROVNET_INVENTORY": str(inventory),
        "COLUMNS": "220",
    }
    done = subprocess.run(
        [PROVNET, "servers", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def _files(twin: TwinServers, name: str) -> str:
    done = twin.servers.run(
        name,
        ["sh", "-c", "find " + " ".join(WATCHED) + " -type f 2>/dev/null | sort | xargs sha256sum"],
        timeout=60,
    )
    return done.stdout


@pytest.fixture(scope="module")
def world(
    twin_servers: TwinServers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("baseline-twin")
    before = _this_machine()
    yield {"inventory": _twin_inventory(twin_servers), "cwd": tmp}
    assert _this_machine() == before, "a deploy changed the machine running the tests"


@pytest.fixture(scope="module")
def dry_then_apply(twin_servers: TwinServers, world: dict[str, Any]) -> dict[str, Any]:
    """The first --dry (with the files before and after it), then the apply."""
    names = [h.name for h in twin_servers.servers.hosts]
    files_before = {n: _files(twin_servers, n) for n in names}
    dry = _run(["deploy", "baseline", "--dry", "--diff"], world["cwd"], world["inventory"])
    files_after_dry = {n: _files(twin_servers, n) for n in names}
    applied = _run(["deploy", "baseline", "-y"], world["cwd"], world["inventory"])
    return {
        "names": names,
        "dry": dry,
        "unchanged_by_dry": files_before == files_after_dry,
        "applied": applied,
    }


def test_dry_run_lists_changes_and_changes_nothing(dry_then_apply: dict[str, Any]) -> None:
    code, output = dry_then_apply["dry"]
    assert code == 0, output
    assert output.count("would-change") == len(dry_then_apply["names"]), output
    assert "/etc/ssh/sshd_config.d/00-provnet.conf" in output  # the diff of a file
    # A file in a directory that does not exist yet (chrony is not installed): in full.
    assert "Will create /etc/chrony/chrony.conf" in output and "+ makestep 1 3" in output, output
    assert "+ PasswordAuthentication no" in output
    assert dry_then_apply["unchanged_by_dry"], "a --dry run changed a server's files"


def test_apply_changes_every_server(dry_then_apply: dict[str, Any]) -> None:
    code, output = dry_then_apply["applied"]
    assert code == 0, output
    assert f"changed: {len(dry_then_apply['names'])}" in output, output


def _inside(twin: TwinServers, name: str, command: str) -> str:
    return inside(twin.servers, name, command)


def test_effects_seen_from_inside_each_server(
    twin_servers: TwinServers, dry_then_apply: dict[str, Any]
) -> None:
    assert dry_then_apply["applied"][0] == 0
    for name in dry_then_apply["names"]:
        assert_baseline_effects(twin_servers.servers, name)


def test_second_run_changes_nothing(
    twin_servers: TwinServers, world: dict[str, Any], dry_then_apply: dict[str, Any]
) -> None:
    assert dry_then_apply["applied"][0] == 0
    code, output = _run(["deploy", "baseline", "--dry"], world["cwd"], world["inventory"])
    assert code == 0, output
    assert output.count("no-change") == len(dry_then_apply["names"]), output
    code, output = _run(["deploy", "baseline", "-y"], world["cwd"], world["inventory"])
    assert code == 0, output
    assert f"unchanged: {len(dry_then_apply['names'])}" in output, output


def test_a_server_that_is_down_fails_alone(
    twin_servers: TwinServers, world: dict[str, Any], dry_then_apply: dict[str, Any]
) -> None:
    assert dry_then_apply["applied"][0] == 0
    down = dry_then_apply["names"][0]
    _inside(twin_servers, down, "systemctl stop ssh.socket ssh.service 2>/dev/null; true")
    try:
        code, output = _run(["deploy", "baseline", "-y"], world["cwd"], world["inventory"])
    finally:
        _inside(twin_servers, down, "systemctl start ssh.service")
    assert code == 1, output
    assert "Traceback" not in output
    assert "unreachable: 1" in output, output
    assert f"unchanged: {len(dry_then_apply['names']) - 1}" in output, output


def test_the_secret_appears_in_no_output_or_journal(
    world: dict[str, Any], dry_then_apply: dict[str, Any]
) -> None:
    assert "Traceback" not in dry_then_apply["dry"][1] + dry_then_apply["applied"][1]
    assert CANARY not in dry_then_apply["dry"][1]
    assert CANARY not in dry_then_apply["applied"][1]
    journals = list(Path(world["cwd"]).glob("servers-baseline.*.journal.jsonl"))
    assert journals
    for journal in journals:
        text = journal.read_text(encoding="utf-8")
        assert CANARY not in text
        assert json.loads(text.splitlines()[0])["event"] == "run"


BASELINE_FILE = Path(__file__).resolve().parents[3] / "deploys" / "servers" / "baseline.py"


@pytest.mark.parametrize("target", ["deploys.servers.baseline.baseline", str(BASELINE_FILE)])
def test_pyinfra_cli_runs_the_same_deploy_on_the_exported_inventory(
    twin_servers: TwinServers, world: dict[str, Any], dry_then_apply: dict[str, Any], target: str
) -> None:
    """pyinfra's own CLI, on ``provnet inventory export --format pyinfra``, runs the baseline
    as a function (``module.function``) or as a deploy file; on servers already applied it
    finds nothing to change."""
    assert dry_then_apply["applied"][0] == 0
    exported = Path(world["cwd"]) / "pyinfra_inventory.py"
    subprocess.run(
        [PROVNET, "inventory", "export", "--format", "pyinfra", "--out", str(exported)],
        env={**os.environ, "PROVNET_INVENTORY": str(world["inventory"])},
        capture_output=True,
        timeout=120,
        check=True,
    )
    pyinfra = str(Path(sys.executable).with_name("pyinfra"))
    known = twin_servers.servers.known_hosts
    done = subprocess.run(
        [
            pyinfra, str(exported), target, "--dry",
            "--data", f"ssh_known_hosts_file={known}",
            "--data", "ssh_strict_host_key_checking=yes",
        ],
        cwd=world["cwd"], capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for name in dry_then_apply["names"]:
        assert re.search(rf"\[{name}\] +Ready", output), output
    # pyinfra's table: operation, change, conditional change: no operation would change.
    rows = [
        re.split(r" {2,}", line.strip()) for line in output.splitlines() if "baseline | " in line
    ]
    assert len(rows) >= 30, output
    assert {row[1] for row in rows} == {"-"}, output
