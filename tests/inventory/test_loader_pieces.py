"""No piece of an inventory is dropped in silence: what is named like a commune file but
cannot be read as one, and a missing or wrong ``communes/``, are errors with their path."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from inventory.validate import load_and_validate

runner = CliRunner()


def _messages(root: Path) -> list[tuple[str, str]]:
    _, problems = load_and_validate(root)
    return [(str(p.location.file.relative_to(root)), p.message) for p in problems if p.is_error]


def _lay(root: Path, name: str, kind: str) -> None:
    path = root / "communes" / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dir_link":
        path.symlink_to(root / "sites", target_is_directory=True)
    elif kind == "self_link":
        path.symlink_to(path)
    elif kind == "dangling_link":
        path.symlink_to(root / "nowhere.yaml")
    elif kind == "device":
        path.symlink_to("/dev/null")
    elif kind == "directory":
        path.mkdir()


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("fifo", "a FIFO"),
        ("dir_link", "a directory (through a symbolic link)"),
        ("self_link", "loops"),
        ("dangling_link", "leads nowhere"),
        ("device", "a device file (through a symbolic link)"),
        ("directory", "a directory"),
    ],
)
def test_a_commune_entry_that_is_not_a_file_is_an_error(
    kind: str, words: str, make_inventory: Callable[[str], Path]
) -> None:
    root = make_inventory("")
    _lay(root, "99999-xa_khong.yaml", kind)
    found = _messages(root)
    assert [f for f, _ in found] == ["communes/99999-xa_khong.yaml"]
    assert words in found[0][1]
    result = runner.invoke(app, ["inventory", "validate", str(root)])
    assert result.exit_code == 2
    assert "99999-xa_khong.yaml" in result.output


def test_a_missing_communes_directory_is_an_error(make_inventory: Callable[[str], Path]) -> None:
    root = make_inventory("")
    shutil.rmtree(root / "communes")
    assert _messages(root) == [("communes", "no communes/ directory")]


def test_communes_being_a_file_is_an_error(make_inventory: Callable[[str], Path]) -> None:
    root = make_inventory("")
    shutil.rmtree(root / "communes")
    (root / "communes").write_text("communes: []\n", encoding="utf-8")
    assert _messages(root) == [("communes", "expected a directory")]


def test_a_symlink_to_a_commune_file_is_read(make_inventory: Callable[[str], Path]) -> None:
    root = make_inventory("")
    source = next((root / "communes").glob("14758-*.yaml"))
    moved = root / "elsewhere.yaml"
    source.rename(moved)
    source.symlink_to(moved)
    inventory, problems = load_and_validate(root)
    assert problems == []
    assert inventory is not None
    assert [c.code for c in inventory.communes] == ["14758", "14845"]
