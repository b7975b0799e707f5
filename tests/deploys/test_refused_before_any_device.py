"""Refused before any device is touched, exit 2, nothing written (issue: reliability): a
secrets file that cannot be used, named once with its problem (point 5); a plan edited
after `net plan` or not a plan at all (points 4 and 7)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from lab.control import UpResult
from tests.conftest import EXAMPLE, worker_twin

runner = CliRunner()


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpResult]:
    """One commune's devices (no servers), on a range of this module's own."""
    state = tmp_path_factory.mktemp("preflight") / "state"
    with worker_twin(EXAMPLE, ["commune=14758"], state, 150) as result:
        yield result


@pytest.mark.parametrize(
    ("content", "mode", "problem"),
    [
        (b"ssh: [unclosed\n", 0o600, "not valid YAML"),
        (b"\x00\xff\xfe binary", 0o600, "not UTF-8 text"),
        (b"- a\n- b\n", 0o600, "expected a mapping of name: value, found list"),
        (b"ssh: value\n", 0o640, "may be read by others (mode 0640); run: chmod 600"),
    ],
)
def test_net_commands_refuse_a_broken_secrets_file_once_before_any_device(
    twin: UpResult, tmp_path: Path, content: bytes, mode: int, problem: str
) -> None:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_bytes(content)
    secrets.chmod(mode)
    env = {**twin.environment(), "PROVNET_SECRETS_FILE": str(secrets), "COLUMNS": "300"}
    repo = tmp_path / "backups"
    for args in (["backup", "--repo", str(repo)], ["plan", "hardening", "--out", "p.json"]):
        result = runner.invoke(app, ["net", *args], env=env)
        assert result.exit_code == 2, result.output
        assert result.output.count("Lỗi (error)") == 1, result.output
        assert str(secrets) in result.output
        assert problem in result.output
        assert "th-" not in result.output  # no device was reached or reported
        assert "Traceback" not in result.output
    assert not repo.exists()


def test_net_apply_refuses_an_edited_plan_and_a_binary_one(twin: UpResult, tmp_path: Path) -> None:
    env = {**twin.environment(), "COLUMNS": "300"}
    plan_file = tmp_path / "v6.plan.json"
    planned = runner.invoke(
        app,
        ["net", "plan", "ipv6_migration", "--limit", "role=wan_router", "--out", str(plan_file)],
        env=env,
    )
    assert planned.exit_code == 0, planned.output
    document = json.loads(plan_file.read_text(encoding="utf-8"))
    entry = next(d for d in document["devices"] if d["status"] == "change")
    entry["commands"].append("do reload")
    plan_file.write_text(json.dumps(document), encoding="utf-8")
    applied = runner.invoke(app, ["net", "apply", str(plan_file), "--yes"], env=env)
    assert applied.exit_code == 2, applied.output
    assert "seal does not match" in applied.output
    assert not list(tmp_path.glob("*.journal.jsonl"))  # no run started
    binary = tmp_path / "binary.plan.json"
    binary.write_bytes(b"\x8c\x00\xff" * 40)
    applied = runner.invoke(app, ["net", "apply", str(binary), "--yes"], env=env)
    assert applied.exit_code == 2, applied.output
    assert "not UTF-8" in applied.output


def test_bad_data_at_plan_time_exits_2_and_writes_no_plan_unless_asked(
    twin: UpResult, tmp_path: Path
) -> None:
    inventory = tmp_path / "inventory"
    shutil.copytree(twin.overlay, inventory)
    commune = next((inventory / "communes").glob("14758-*.yaml"))
    text = commune.read_text(encoding="utf-8")
    marker = "      - name: th-14758-rtr1\n"
    assert marker in text
    commune.write_text(
        text.replace(marker, marker + "        data: {wan_vlan: 5000}\n"), encoding="utf-8"
    )
    env = {**twin.environment(), "PROVNET_INVENTORY": str(inventory), "COLUMNS": "300"}
    plan_file = tmp_path / "v6.plan.json"
    args = ["net", "plan", "level2_wan", "--limit", "role=wan_router", "--out", str(plan_file)]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 2, result.output
    assert "data.wan_vlan" in result.output
    assert "plan not written" in result.output
    assert not plan_file.exists()
    kept = runner.invoke(app, [*args, "--keep-errors"], env=env)
    assert kept.exit_code == 2, kept.output
    assert plan_file.exists()
