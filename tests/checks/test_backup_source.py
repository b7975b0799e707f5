"""The backup repository as a configuration source: git waited for, not polled, and a git
that does not answer killed after ``GIT_TIMEOUT``, every configuration then unreadable with
the reason (an error result for its controls, never a pass, never a hang)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from checks.engine import ConfigText, Unreadable
from checks.sources import backups
from checks.sources.backups import BackupRepository
from inventory.resolve import DeviceView, iter_devices
from inventory.validate import load_valid
from tests.conftest import EXAMPLE

GIT = ("git", "-c", "user.name=t", "-c", "user.email=t@localhost")


def _device() -> DeviceView:
    return next(d for d in iter_devices(load_valid(EXAMPLE)) if d.role.value == "wan_router")


def _repository(root: Path, device: DeviceView) -> Path:
    repo = root / "backups"
    (repo / "site").mkdir(parents=True)
    (repo / "site" / f"{device.name}.cfg").write_text("hostname r1\n", encoding="utf-8")
    for args in (("init", "-q"), ("add", "-A"), ("commit", "-q", "-m", "backup")):
        subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True)
    return repo


def test_configurations_are_read_from_the_commit(tmp_path: Path) -> None:
    device = _device()
    repo = _repository(tmp_path, device)
    read = BackupRepository(repo).configs([device])
    assert read == {device.name: ConfigText(f"site/{device.name}.cfg", "hostname r1\n")}


def test_a_git_that_does_not_answer_is_killed_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = _device()
    repo = _repository(tmp_path, device)
    real = shutil.which("git")
    assert real is not None
    fake = tmp_path / "bin" / "git"
    fake.parent.mkdir()
    # git itself, except that reading the blobs never answers
    fake.write_text(
        f'#!/bin/sh\ncase " $* " in *" cat-file "*) exec sleep 60;; esac\nexec {real} "$@"\n',
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(backups, "GIT_TIMEOUT", 1.0)
    source = BackupRepository(repo)
    assert source.commit and not source.error  # rev-parse went through
    started = time.monotonic()
    read = source.configs([device])
    assert time.monotonic() - started < 10
    why = f"{repo}: git cat-file did not answer within 1 s"
    assert read == {device.name: Unreadable(why)}
