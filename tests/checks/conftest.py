"""A backup repository as `provnet net backup` lays it out (``<commune>/<site>/<device>.cfg``,
one commit per run), filled with compliant configurations of the example province's
devices (tests/checks/configs/<syntax>.cfg) that a test then breaks where it wants."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from checks.engine import device_facts
from inventory.loader import Inventory
from inventory.resolve import DeviceView, iter_devices
from inventory.select import select_devices
from inventory.validate import load_valid
from platforms import network_platforms

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
    wan = device_facts(inv, device).interfaces.get("wan")
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
