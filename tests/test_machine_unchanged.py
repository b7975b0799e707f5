"""The guard of the whole suite (``machine_unchanged`` in conftest) notices a change."""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.conftest as conftest


def test_machine_state_changes_when_a_watched_file_or_folder_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, folder = tmp_path / "sshd_config", tmp_path / "sshd_config.d"
    folder.mkdir()
    config.write_text("PermitRootLogin prohibit-password\n")
    monkeypatch.setattr(conftest, "MACHINE_FILES", (str(config), str(folder)))
    before = conftest.machine_state()
    assert conftest.machine_state() == before
    (folder / "50-provnet.conf").write_text("PasswordAuthentication no\n")
    assert conftest.machine_state()[str(folder)] != before[str(folder)]
    config.write_text("PermitRootLogin no\n")
    assert conftest.machine_state()[str(config)] != before[str(config)]
