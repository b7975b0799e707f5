"""The monitoring deploy's decisions as data. Each case is a folder under
``data/servers/monitoring/``: ``case.json`` (``data``, ``facts`` as in ``fakehost.py``),
``generated/`` (what ``provnet exporter prometheus-config`` wrote, plus ``alertmanager.yml``;
given to the deploy as ``prometheus_dir``), ``sessions.yaml`` (given as ``vc_sessions``),
``wheelhouse.tar`` (given as ``provnet_wheelhouse``: a stand-in, its bytes are its key),
``expected/`` (the files the deploy writes that are not generated ones, by role, or
``refused.txt``) and/or ``commands.json``. ``case.json`` may name ``"inventory": "example"``
(the example province as ``provnet_inventory_root``) and an ``environ`` the secrets are
resolved from."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from deploys.servers.hostdata import server_data
from deploys.servers.monitoring import (
    PROMETHEUS_DATA_KEY,
    SESSIONS_DATA_KEY,
    WHEELHOUSE_DATA_KEY,
    Monitoring,
    MonitoringRefused,
    app_secrets,
    decide,
    monitoring,
    plan_files,
    read_generated,
    read_sessions,
)
from deploys.servers.provnet_service import (
    ENV_FILE,
    INVENTORY_TAR,
    SECRETS_FILE,
    WHEELHOUSE_TAR,
    ServiceRefused,
    env_file,
    inventory_tar,
    secrets_yaml,
)
from tests.conftest import EXAMPLE
from tests.deploys.servers.fakehost import FakeFacts, prepared_commands

CASES_DIR = Path(__file__).resolve().parent.parent / "data" / "servers" / "monitoring"
FILE_CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "expected").is_dir())
COMMAND_CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "commands.json").is_file())


def _case(name: str) -> dict[str, Any]:
    case: dict[str, Any] = json.loads((CASES_DIR / name / "case.json").read_text("utf-8"))
    return case


def _data(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    case = _case(name)
    data: dict[str, Any] = case["data"]
    given = {
        PROMETHEUS_DATA_KEY: CASES_DIR / name / "generated",
        SESSIONS_DATA_KEY: CASES_DIR / name / "sessions.yaml",
        WHEELHOUSE_DATA_KEY: CASES_DIR / name / "wheelhouse.tar",
    }
    data = {**data, **{key: str(path) for key, path in given.items() if path.exists()}}
    if case.get("inventory") == "example":
        data["provnet_inventory_root"] = str(EXAMPLE)
    return data, case["facts"]


def _generated(data: dict[str, Any]) -> dict[str, str]:
    directory = data.get(PROMETHEUS_DATA_KEY)
    return read_generated(directory) if directory else {}


def _decided(name: str, data: dict[str, Any]) -> Monitoring:
    sessions = data.get(SESSIONS_DATA_KEY)
    return decide(
        server_data(name, data.get), _generated(data), read_sessions(sessions) if sessions else ""
    )


def test_there_are_cases() -> None:
    assert len(FILE_CASES) >= 4
    assert COMMAND_CASES


@pytest.mark.parametrize("name", FILE_CASES)
def test_files(name: str) -> None:
    data, _ = _data(name)
    expected = CASES_DIR / name / "expected"
    refused = expected / "refused.txt"
    if refused.is_file():
        with pytest.raises((MonitoringRefused, ServiceRefused)) as caught:
            _decided(name, data)
        assert refused.read_text(encoding="utf-8").strip() in str(caught.value)
        return
    generated = _generated(data)
    written = plan_files(_decided(name, data))
    own = {role: spec for role, spec in written.items() if role not in generated}
    assert set(own) == {p.name for p in expected.iterdir()}
    for role, spec in own.items():
        assert spec.content == (expected / role).read_text(encoding="utf-8"), role
    # What the generator wrote is uploaded byte for byte.
    uploaded = {spec.path: spec.content for role, spec in written.items() if role not in own}
    assert sorted(uploaded.values()) == sorted(
        text for relative, text in generated.items() if relative != "alertmanager.yml"
    )
    if generated:
        assert written["alertmanager"].content == generated["alertmanager.yml"]


def _app_files(name: str, data: dict[str, Any]) -> dict[str, str]:
    """What the deploy uploads for provnet itself, as the server would hold it once applied."""
    m = _decided(name, data)
    if not m.app:
        return {}
    root = Path(data["provnet_inventory_root"])
    secrets = app_secrets(root, bool(m.sessions))
    return {
        WHEELHOUSE_TAR: Path(data[WHEELHOUSE_DATA_KEY]).read_text(encoding="utf-8"),
        INVENTORY_TAR: inventory_tar(root).decode(),
        ENV_FILE: env_file(secrets),
        SECRETS_FILE: secrets_yaml(secrets),
    }


@pytest.mark.parametrize("name", COMMAND_CASES)
def test_commands(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data, raw = _data(name)
    for key, value in _case(name).get("environ", {}).items():
        monkeypatch.setenv(key, value)
    files = dict(raw.get("files", {}))
    if raw.get("files_as_planned"):
        planned = plan_files(_decided(name, data))
        files |= {spec.path: spec.content for spec in planned.values()} | _app_files(name, data)
    facts = FakeFacts(
        files=files,
        dirs=set(raw.get("dirs", [])),
        dir_stats=dict(raw.get("dir_stats", {})),
        packages=set(raw.get("packages", [])),
        running=set(raw.get("running", [])),
        enabled=set(raw.get("enabled", [])),
        apt_updated_seconds_ago=raw.get("apt_updated_seconds_ago"),
        commands=dict(raw.get("commands", {})),
        users=dict(raw.get("users", {})),
        groups=set(raw.get("groups", [])),
        links=dict(raw.get("links", {})),
        modes={path: int(mode) for path, mode in raw.get("modes", {}).items()},
        owners=dict(raw.get("owners", {})),
    )

    got = prepared_commands(monitoring, name, data, facts, monkeypatch)
    assert facts.unknown == [], "the fixture does not answer every fact the deploy reads"
    for value in _case(name).get("environ", {}).values():
        assert value not in json.dumps(got), "a secret on a command line"
    expected = json.loads((CASES_DIR / name / "commands.json").read_text(encoding="utf-8"))
    if os.environ.get("PROVNET_REGENERATE") == name:
        (CASES_DIR / name / "commands.json").write_text(json.dumps(got, indent=1) + "\n")
    assert got == expected
