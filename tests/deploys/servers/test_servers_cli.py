"""``provnet servers`` where no server is changed: bad input (exit 2, no traceback), a server
that is down and one whose host key is not the known one (each fails alone, exit 1, before
anything runs on it), and the secret never shown. The servers are loopback addresses: a
closed port, and the test's own sshd presenting another host key than known_hosts says."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import build_app
from tests.deploys.servers.loopback_sshd import free_port, keygen, loopback_sshd

BASE = Path(__file__).resolve().parents[2] / "inventory" / "fixtures" / "base"
CANARY = "canary-Zq9-servers-secret"


def _inventory(root: Path, down_port: int, wrong_key_port: int) -> Path:
    shutil.copytree(BASE, root)
    with (root / "province.yaml").open("a", encoding="utf-8") as f:
        f.write(
            "ntp_servers: [10.38.224.1]\nsyslog_servers: [10.38.224.3]\n"
            "management_prefixes: [10.38.128.0/18, 127.0.0.0/8]\n"
        )
    (root / "sites" / "province.yaml").write_text(
        f"""sites:
  - id: th-dc
    kind: data_centre
    security_level: 3
    plan_index: 0
    apt_mirror: http://apt.thanhhoa.gov.vn/debian
    devices:
      - name: th-dc-srv1
        role: server
        platform: linux
        mgmt: {{ipv4: 127.0.0.1, port: {down_port}}}
      - name: th-dc-srv2
        role: server
        platform: linux
        mgmt: {{ipv4: 127.0.0.2, port: {wrong_key_port}}}
""",
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(inventory, known_hosts): srv1 down, srv2 an sshd whose key is not the known one."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run the test's own sshd")
    tmp = tmp_path_factory.mktemp("servers-cli")
    keygen(tmp / "other_key")
    with loopback_sshd(tmp / "sshd", address="127.0.0.2") as port:
        inventory = _inventory(tmp / "inventory", free_port(), port)
        known = tmp / "known_hosts"
        kind, blob = (tmp / "other_key.pub").read_text().split()[:2]
        known.write_text(f"[127.0.0.2]:{port} {kind} {blob}\n")
        yield inventory, known


def _run(args: list[str], cwd: Path) -> tuple[int, str]:
    env = {"PROVNET_SSH_PASSWORD": CANARY, "COLUMNS": "200"}
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(build_app("servers"), ["servers", *args], env=env)
    finally:
        os.chdir(old)
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["deploy", "nosuch"], "unknown deploy"),
        (["deploy", "baseline", "--limit", "nosuch-*"], "matches no device"),
        (["deploy", "baseline", "--limit", "role=wan_router"], "no server selected"),
        (["facts", "--limit", "nosuch-*"], "matches no device"),
    ],
)
def test_bad_input_is_exit_2_without_traceback(
    world: tuple[Path, Path], tmp_path: Path, args: list[str], message: str
) -> None:
    code, output = _run([*args, "--inventory", str(world[0])], tmp_path)
    assert code == 2
    assert message in output
    assert "Traceback" not in output


@pytest.mark.parametrize("dry", [True, False])
def test_each_failing_server_fails_alone_and_nothing_runs(
    world: tuple[Path, Path], tmp_path: Path, dry: bool
) -> None:
    inventory, known = world
    args = ["deploy", "baseline", "--inventory", str(inventory), "--known-hosts", str(known)]
    code, output = _run([*args, "-y", *(["--dry"] if dry else [])], tmp_path)
    assert code == 1
    assert "Traceback" not in output
    assert output.count("unreachable") >= 2  # both rows of the table
    assert CANARY not in output
    journals = list(tmp_path.glob("servers-baseline.*.journal.jsonl"))
    if dry:
        assert journals == []  # a dry run changes nothing, journal included
        return
    assert len(journals) == 1
    text = journals[0].read_text(encoding="utf-8")
    assert CANARY not in text
    events = [json.loads(line) for line in text.splitlines()]
    assert events[0]["event"] == "run"
    outcomes = {e["device"]: e for e in events if e["event"] == "device"}
    assert {n: e["result"] for n, e in outcomes.items()} == {
        "th-dc-srv1": "unreachable",
        "th-dc-srv2": "unreachable",
    }
    assert "host key" in outcomes["th-dc-srv2"]["error"].lower()


def test_facts_of_unreachable_servers(world: tuple[Path, Path], tmp_path: Path) -> None:
    inventory, known = world
    code, output = _run(
        ["facts", "--inventory", str(inventory), "--known-hosts", str(known), "--lang", "en"],
        tmp_path,
    )
    assert code == 1
    assert "Server facts" in output
    assert "th-dc-srv1" in output and "th-dc-srv2" in output
    assert CANARY not in output
