"""A secrets file that cannot be used is named once, with its problem, before any device
is touched: exit 2, no row per device, nothing written (issue: reliability, point 5)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from lab.control import UpResult, lab_down, lab_up
from tests.conftest import EXAMPLE, _worker_number

runner = CliRunner()


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpResult]:
    """One commune's devices (no servers), on a range of this module's own."""
    state = tmp_path_factory.mktemp("preflight") / "state"
    base = ipaddress.IPv4Address(f"127.{150 + _worker_number()}.0.0")
    result = lab_up(EXAMPLE, ["commune=14758"], state, base)
    try:
        yield result
    finally:
        lab_down(state)


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
