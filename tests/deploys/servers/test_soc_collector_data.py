"""The SOC collector's decisions as data: a host's data (and facts) in, the files it writes,
its refusal, or the commands pyinfra would run out. Each case is a folder under
``data/servers/soc_collector/``: ``case.json`` (``data``: the host's data as the inventory
export gives it; ``facts``: what the host answers, see ``fakehost.py``) and ``expected/``
(one file per file the deploy writes, named by its role, or ``refused.txt``: part of the
refusal's message) and/or ``commands.json``. Adding a case is adding a folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deploys.servers.hostdata import server_data
from deploys.servers.soc_collector import CollectorRefused, decide, plan_files, soc_collector
from tests.deploys.servers.fakehost import FakeFacts, prepared_commands

CASES_DIR = Path(__file__).resolve().parent.parent / "data" / "servers" / "soc_collector"
FILE_CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "expected").is_dir())
COMMAND_CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "commands.json").is_file())


def _case(name: str) -> dict[str, Any]:
    case: dict[str, Any] = json.loads((CASES_DIR / name / "case.json").read_text("utf-8"))
    return case


def test_there_are_cases() -> None:
    assert len(FILE_CASES) >= 4
    assert len(COMMAND_CASES) >= 2


@pytest.mark.parametrize("name", FILE_CASES)
def test_files(name: str) -> None:
    data = _case(name)["data"]
    expected = CASES_DIR / name / "expected"
    refused = expected / "refused.txt"
    if refused.is_file():
        with pytest.raises(CollectorRefused) as caught:
            decide(server_data(name, data.get))
        assert refused.read_text(encoding="utf-8").strip() in str(caught.value)
        return
    written = plan_files(decide(server_data(name, data.get)))
    assert set(written) == {p.name for p in expected.iterdir()}
    for role, spec in written.items():
        assert spec.content == (expected / role).read_text(encoding="utf-8"), role


def _facts(name: str, case: dict[str, Any]) -> FakeFacts:
    raw, data = case["facts"], case["data"]
    files: dict[str, str] = {}
    if raw.get("files_as_planned"):
        planned = plan_files(decide(server_data(name, data.get)))
        files = {spec.path: spec.content for spec in planned.values()}
    return FakeFacts(
        files=files,
        dirs=set(raw.get("dirs", [])),
        dir_stats=raw.get("dir_stats", {}),
        packages=set(raw.get("packages", [])),
        running=set(raw.get("running", [])),
        enabled=set(raw.get("enabled", [])),
        apt_updated_seconds_ago=raw.get("apt_updated_seconds_ago"),
    )


@pytest.mark.parametrize("name", COMMAND_CASES)
def test_commands(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _case(name)
    facts = _facts(name, case)
    got = prepared_commands(soc_collector, name, case["data"], facts, monkeypatch)
    assert facts.unknown == [], "the fixture does not answer every fact the deploy reads"
    expected = json.loads((CASES_DIR / name / "commands.json").read_text(encoding="utf-8"))
    assert got == expected
    if case["facts"].get("files_as_planned"):
        # Idempotence: on a host as the deploy leaves it, only follow-ups (a check and a
        # restart after a change) are left.
        assert {op: v for op, v in got.items() if v["commands"] and not v["if"]} == {}
