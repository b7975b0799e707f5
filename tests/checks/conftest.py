"""The checks suite's twin: VC endpoints of the example province at 127.(230+worker).0.0,
a range no other test uses, registered to the province's registrar.

The twin's endpoints start unconfigured (SIP Inactive, as a new endpoint is); the fixture
registers them with the SIP URI and registrar the vc_endpoint change would set.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from inventory.resolve import iter_devices
from inventory.validate import load_valid
from lab.control import request
from platforms import network_platform
from tests.conftest import EXAMPLE
from tests.platforms.twin import TwinDevices, own_twin, worker_base

REGISTRAR = "sip.thanhhoa.gov.vn"
ENDPOINT_COUNT = 8
runner = CliRunner(env={"COLUMNS": "250"})


def _endpoints(count: int) -> list[str]:
    views = iter_devices(load_valid(EXAMPLE))
    return [v.name for v in views if v.role.value == "vc_endpoint" and v.commune][:count]


ENDPOINTS = _endpoints(ENDPOINT_COUNT)


@pytest.fixture(scope="session")
def vc_twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinDevices]:
    state = tmp_path_factory.mktemp("vc-twin") / "state"
    limit = tuple(f"device={name}" for name in ENDPOINTS)
    with own_twin(state, worker_base(230), limit) as twin:
        for name in ENDPOINTS:
            session = network_platform("cisco_tp").connect(twin.params[name])
            try:
                session.push(
                    [
                        f'xConfiguration SIP URI: "{name}@{REGISTRAR}"',
                        f'xConfiguration SIP Proxy 1 Address: "{REGISTRAR}"',
                    ]
                )
            finally:
                session.close()
        yield twin


def fault(twin: TwinDevices, device: str, kind: str, argument: str = "") -> None:
    answer = request(
        twin.up.state_dir, {"op": "fault", "device": device, "kind": kind, "argument": argument}
    )
    assert answer["ok"], answer


def run_vc(twin: TwinDevices, *args: str, secrets: Path | None = None) -> tuple[int, str, str]:
    env = {"PROVNET_SECRETS_FILE": str(secrets or twin.up.secrets_file)}
    # Jitter on loopback is the test machine's (a stall of its event loops, shared with
    # other suites), not a network's: allowed up to 100 ms here; the judge's data cases
    # test the threshold itself.
    command = ["vc", "check", "--inventory", str(twin.up.overlay), "--ssh-timeout", "3"]
    command += ["--max-jitter-ms", "100"]
    result = runner.invoke(app, [*command, *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def endpoint_results(stdout: str) -> dict[str, dict[str, Any]]:
    data = json.loads(stdout)
    return {e["device"]: e for c in data["communes"] for e in c["endpoints"]}


def codes(endpoint: dict[str, Any]) -> set[str]:
    return {str(f["code"]) for f in endpoint["findings"]}
