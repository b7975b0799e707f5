"""The baseline deploy as pyinfra runs it, as data: ``{data, facts} -> commands``.

Each case folder under ``data/servers/baseline/`` with a ``commands.json`` runs the real
``@deploy`` function against a host whose facts come from the case (``fakehost.py``): the
operations, their order and their shell commands must be exactly the expected ones. A host
where the baseline is already applied must get no command at all, except those that only run
when an earlier operation changed something (``"if": true``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pyinfra.api.config import Config

from deploys.servers.baseline import baseline, chrony_conf, decide, plan_files
from deploys.servers.hostdata import server_data
from deploys.servers.run import _captured, _diff_lines
from tests.deploys.servers.fakehost import FakeFacts, prepared_commands

CASES_DIR = Path(__file__).resolve().parent.parent / "data" / "servers" / "baseline"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "commands.json").is_file())


def _facts(name: str, data: dict[str, Any], raw: dict[str, Any]) -> FakeFacts:
    files = dict(raw.get("files", {}))
    modes: dict[str, int] = {}
    if raw.get("files_as_planned"):
        planned = plan_files(decide(server_data(name, data.get)))
        files |= {spec.path: spec.content for spec in planned.values()}
        modes = {spec.path: int(spec.mode) for spec in planned.values()}
    return FakeFacts(
        ssh_connection=raw["ssh_connection"],
        files=files,
        modes=modes,
        dirs=set(raw.get("dirs", [])),
        packages=set(raw.get("packages", [])),
        running=set(raw.get("running", [])),
        enabled=set(raw.get("enabled", [])),
        apt_updated_seconds_ago=raw.get("apt_updated_seconds_ago"),
    )


def test_there_are_command_cases() -> None:
    assert len(CASES) >= 2


@pytest.mark.parametrize("name", CASES)
def test_commands(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = json.loads((CASES_DIR / name / "case.json").read_text(encoding="utf-8"))
    expected = json.loads((CASES_DIR / name / "commands.json").read_text(encoding="utf-8"))
    facts = _facts(name, case["data"], case["facts"])
    got = prepared_commands(baseline, name, case["data"], facts, monkeypatch)
    assert facts.unknown == [], "the fixture does not answer every fact the deploy reads"
    assert got == expected


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in CASES
        if json.loads((CASES_DIR / n / "case.json").read_text())["facts"].get("files_as_planned")
    ],
)
def test_an_applied_host_gets_only_follow_ups(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Idempotence: on a host as the baseline leaves it, every command left is one that only
    runs after an earlier change (a check and a restart), and no file is written."""
    case = json.loads((CASES_DIR / name / "case.json").read_text(encoding="utf-8"))
    facts = _facts(name, case["data"], case["facts"])
    got = prepared_commands(baseline, name, case["data"], facts, monkeypatch)
    unconditional = {op: v["commands"] for op, v in got.items() if v["commands"] and not v["if"]}
    assert unconditional == {}


def test_a_new_file_in_a_missing_directory_shows_in_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--dry --diff`` on a fresh server: ``/etc/chrony`` does not exist before chrony is
    installed, yet chrony.conf's content is in the report's diff (from empty), as a file in an
    existing directory is (pyinfra's put alone would only have yielded the ``mkdir``)."""
    name = "dc_server_level3"
    case = json.loads((CASES_DIR / name / "case.json").read_text(encoding="utf-8"))
    facts = _facts(name, case["data"], case["facts"])
    assert "/etc/chrony" not in facts.dirs
    prepared: list[str] = []  # what the dry run logged (listing the commands logs again)
    with _captured() as capture:
        got = prepared_commands(
            baseline, name, case["data"], facts, monkeypatch, Config(DIFF=True),
            after_prepare=lambda: prepared.extend(capture.mine()),
        )  # fmt: skip
    diff = _diff_lines(prepared).splitlines()
    assert got["dir /etc/chrony"]["commands"][0] == "mkdir -p /etc/chrony"
    start = next(
        i for i, line in enumerate(diff) if line.endswith("Will create /etc/chrony/chrony.conf")
    )
    content = chrony_conf(decide(server_data(name, case["data"].get))).splitlines()
    assert diff[start + 2 : start + 2 + len(content)] == [f"+ {line}" for line in content]
