"""Bad input on the command line gets a clean error naming what is wrong and exit code 2,
never a traceback (issue: reliability, point 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from platforms.known_hosts import BadKnownHosts, HostKeyFiles
from provnet.errors import ProvnetError

runner = CliRunner()


def _refused(args: list[str], *words: str) -> None:
    result = runner.invoke(app, args, env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output


def test_scaffold_into_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "existing"
    target.write_text("keep me\n", encoding="utf-8")
    _refused(["inventory", "scaffold", "--province", "38", "--out", str(target)], str(target))
    assert target.read_text(encoding="utf-8") == "keep me\n"


def test_scaffold_into_an_unwritable_path(tmp_path: Path) -> None:
    parent = tmp_path / "file"
    parent.write_text("", encoding="utf-8")
    target = parent / "below"  # below a file: no directory can be made there
    _refused(["inventory", "scaffold", "--province", "38", "--out", str(target)], "cannot write")


def test_resume_from_a_binary_journal(tmp_path: Path) -> None:
    journal = tmp_path / "run.journal.jsonl"
    journal.write_bytes(b"\x8c\x00\xff" * 50)
    _refused(["net", "apply", "--resume", str(journal)], str(journal), "not UTF-8")


@pytest.mark.parametrize(
    ("base", "words"),
    [
        ("10.0.0.1", ("10.0.0.1", "127.0.0.0/8")),
        ("192.168.1.1", ("127.0.0.0/8",)),
        ("abc", ("not an IPv4 address",)),
        ("127.0.0.999", ("not an IPv4 address",)),
        ("127.255.255.250", ("does not fit in 127.0.0.0/8", "choose a lower --base")),
    ],
)
def test_lab_up_base_outside_loopback_or_not_an_address(
    base: str, words: tuple[str, ...], tmp_path: Path
) -> None:
    state = tmp_path / "state"
    _refused(["lab", "up", "--base", base, "--state-dir", str(state)], "--base", *words)
    assert not state.exists()


def test_known_hosts_that_is_binary_is_a_clean_error(tmp_path: Path) -> None:
    """Checked where the file is read (no device is reached: the example inventory's
    devices are not on loopback)."""
    known = tmp_path / "known_hosts"
    known.write_bytes(b"\x8c\x00\xff" * 50)
    with pytest.raises(BadKnownHosts, match="not UTF-8") as caught:
        HostKeyFiles(known)
    assert isinstance(caught.value, ProvnetError)
    assert str(known) in str(caught.value)


def test_lab_up_state_dir_that_is_a_file(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.write_text("not a directory\n", encoding="utf-8")
    _refused(["lab", "up", "--state-dir", str(state)], str(state), "not a directory")
    assert state.read_text(encoding="utf-8") == "not a directory\n"
