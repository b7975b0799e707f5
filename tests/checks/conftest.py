"""The checks suite's twin: VC endpoints of the example province at 127.(230+worker).0.0,
a range no other test uses, registered to the province's registrar.

The twin's endpoints start unconfigured (SIP Inactive, as a new endpoint is); the fixture
registers them with the SIP URI and registrar the vc_endpoint change would set.

The audit's tests (test_audit*.py, test_reports.py) use a backup repository as `provnet net
backup` lays it out (``<commune>/<site>/<device>.cfg``, one commit per run), filled with
compliant configurations (tests/checks/configs/<syntax>.cfg) that a test then breaks where
it wants.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from checks.engine import device_facts
from cli import app
from inventory.loader import Inventory
from inventory.resolve import DeviceView, iter_devices
from inventory.select import select_devices
from inventory.validate import load_valid
from lab.control import request
from platforms import network_platform, network_platforms
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


# --- the audit's backup repositories ---

CONFIGS = Path(__file__).resolve().parent / "configs"
# Three communes of the example province (a Cisco IOS XE router and IOS switch; a Huawei VRP
# router and switch; a telco-managed VRP CPE and an IOS switch): quick to load.
INVENTORY = Path(__file__).resolve().parent / "inventory"
LIMITS = ("commune=14758", "commune=14845", "commune=14848")
GIT = ("git", "-c", "user.name=t", "-c", "user.email=t@localhost")


def compliant_config(inv: Inventory, device: DeviceView) -> str | None:
    platform = network_platforms().get(device.platform)
    if platform is None or not (CONFIGS / f"{platform.syntax.name}.cfg").is_file():
        return None
    template = (CONFIGS / f"{platform.syntax.name}.cfg").read_text(encoding="utf-8")
    interfaces = device_facts(inv, device).interfaces
    wan = interfaces.get("wan") or interfaces.get("lan")  # a switch's uplink is its VLAN one
    if wan is None or device.role.value == "vc_endpoint":
        return None
    return template.replace("{name}", device.name).replace("{wan}", wan)


def backup_file(device: DeviceView) -> str:
    return f"{device.commune_code or 'province'}/{device.site.id}/{device.name}.cfg"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [*GIT, "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


Commit = Callable[[Mapping[str, tuple[str, str]]], str]


@pytest.fixture(scope="module")
def example() -> Inventory:
    return load_valid(INVENTORY)


def make_backups(repo: Path, inv: Inventory, devices: list[DeviceView]) -> Commit:
    """A new repository at ``repo``, and a function that commits every readable device's
    compliant configuration with ``{device: (old, new)}`` replacements applied (returns
    the commit)."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q")

    def commit(edits: Mapping[str, tuple[str, str]]) -> str:
        for device in devices:
            text = compliant_config(inv, device)
            if text is None or device.monitor_only:
                continue
            if device.name in edits:
                old, new = edits[device.name]
                assert old in text, (device.name, old)
                text = text.replace(old, new, 1)
            path = repo / backup_file(device)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", "backup")
        return git(repo, "rev-parse", "HEAD")

    return commit


@pytest.fixture(scope="module")
def selected(example: Inventory) -> list[DeviceView]:
    return select_devices(list(iter_devices(example)), list(LIMITS))


@pytest.fixture
def devices(selected: list[DeviceView]) -> list[DeviceView]:
    return selected


@pytest.fixture
def backups(tmp_path: Path, example: Inventory, devices: list[DeviceView]) -> tuple[Path, Commit]:
    repo = tmp_path / "backups"
    return repo, make_backups(repo, example, devices)
