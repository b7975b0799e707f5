"""The baseline's decisions as data: a host's data and facts in, the files it writes (or
its refusal) out. Each case is a folder under ``data/servers/baseline/``: ``case.json``
(``data``: the host's data as the inventory export gives it; ``facts``: what the host
answers) and ``expected/`` (one file per file the deploy writes, named by its role;
``refused.txt`` or ``lockout.txt``: a part of the refusal's message). Adding a case is
adding a folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deploys.servers.baseline import BaselineRefused, decide, lockout_problem, plan_files
from deploys.servers.hostdata import server_data

CASES_DIR = Path(__file__).resolve().parent.parent / "data" / "servers" / "baseline"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "expected").is_dir())


def _case(name: str) -> tuple[dict[str, Any], Path]:
    case = json.loads((CASES_DIR / name / "case.json").read_text(encoding="utf-8"))
    return case, CASES_DIR / name / "expected"


def test_there_are_cases() -> None:
    assert len(CASES) >= 5


@pytest.mark.parametrize("name", CASES)
def test_case(name: str) -> None:
    case, expected = _case(name)
    data: dict[str, Any] = case["data"]
    refused = expected / "refused.txt"
    if refused.is_file():
        with pytest.raises(BaselineRefused) as caught:
            decide(server_data(name, data.get))
        assert refused.read_text(encoding="utf-8").strip() in str(caught.value)
        return
    b = decide(server_data(name, data.get))
    lockout = lockout_problem(case["facts"]["ssh_connection"], b)
    lockout_file = expected / "lockout.txt"
    if lockout_file.is_file():
        assert lockout is not None
        assert lockout_file.read_text(encoding="utf-8").strip() in lockout
        return
    assert lockout is None
    written = plan_files(b)
    want = {p.name for p in expected.iterdir()}
    assert set(written) == want, "the deploy writes other files than the case expects"
    for role, spec in written.items():
        assert spec.content == (expected / role).read_text(encoding="utf-8"), role
