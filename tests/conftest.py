"""Fixtures shared by every suite."""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from inventory.loader import example_inventory_path
from lab.control import NETNS_DIR, UpResult, lab_down, lab_up
from lab.netns import ServersView, root_available

if TYPE_CHECKING:
    from typer.testing import Result

FIXTURES = Path(__file__).parent / "inventory" / "fixtures"
EXAMPLE = example_inventory_path()


MACHINE_FILES = (
    "/etc/ssh/sshd_config",
    "/etc/ssh/sshd_config.d",
    "/etc/chrony",
    "/etc/rsyslog.conf",
    "/etc/rsyslog.d",
    "/etc/nftables.conf",
    "/etc/apt/sources.list",
    "/etc/apt/sources.list.d",
    "/etc/apt/apt.conf.d",
    "/etc/security/faillock.conf",
    "/etc/pam.d",
    "/etc/profile.d",
    "/etc/issue.net",
    "/etc/systemd/journald.conf",
    "/etc/hostname",
    "/etc/hosts",
)
"""What the server deploys write on a server: on this machine, never (the twin's servers are
their own Debian systems)."""


def machine_state() -> dict[str, str]:
    """A digest of each file and folder the deploys touch, the installed packages and the
    nftables ruleset of the machine running the tests."""
    state: dict[str, str] = {}
    for name in MACHINE_FILES:
        path = Path(name)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        digest = hashlib.sha256()
        for file in files:
            digest.update(str(file).encode())
            with contextlib.suppress(OSError):
                digest.update(file.read_bytes())
        state[name] = digest.hexdigest()
    for what, command in (
        ("packages", ["dpkg-query", "-W", "-f", "${Package} ${Version}\n"]),
        ("nftables", ["nft", "list", "ruleset"]),
    ):
        if shutil.which(command[0]):
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            state[what] = hashlib.sha256(done.stdout.encode()).hexdigest()
    return state


@pytest.fixture(scope="session", autouse=True)
def machine_unchanged() -> Iterator[None]:
    """The suite's deploys change twin servers only: this machine's sshd, firewall, packages
    and the other files a deploy writes are the same after the suite (an error at the end of
    the session names what changed)."""
    before = machine_state()
    yield
    after = machine_state()
    changed = sorted(name for name in before if after.get(name) != before[name])
    assert not changed, f"the test suite changed this machine: {', '.join(changed)}"


@pytest.fixture(scope="session", autouse=True)
def plan_key_of_the_tests(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`net plan` seals plans with a key outside the repository (default in the home
    directory); the tests keep theirs in a temporary directory instead."""
    saved = os.environ.get("PROVNET_PLAN_KEY")
    os.environ["PROVNET_PLAN_KEY"] = str(tmp_path_factory.mktemp("plan-key") / "plan.key")
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PROVNET_PLAN_KEY", None)
        else:
            os.environ["PROVNET_PLAN_KEY"] = saved


@pytest.fixture
def example_inventory() -> Path:
    """The example province shipped in inventory/examples (read-only: copy before editing)."""
    return EXAMPLE


@pytest.fixture
def make_inventory(tmp_path: Path) -> Callable[[str], Path]:
    """A copy of the small base inventory with a fixture case's files laid over it."""

    def build(case: str = "") -> Path:
        target = tmp_path / (case or "base")
        shutil.copytree(FIXTURES / "base", target)
        if case:
            shutil.copytree(FIXTURES / case, target, dirs_exist_ok=True)
            (target / "expected.yaml").unlink(missing_ok=True)
        return target

    return build


def _worker_number() -> int:
    """0 for the main process or gw0, 1 for gw1, ...: keeps parallel twins apart."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0)


@contextlib.contextmanager
def worker_twin(
    inventory: Path, limits: list[str], state: Path, second_octet: int
) -> Iterator[UpResult]:
    """A twin of ``limits`` at 127.(second_octet + worker).0.0, taken down after."""
    base = ipaddress.IPv4Address(f"127.{second_octet + _worker_number()}.0.0")
    result = lab_up(inventory, limits, state, base)
    try:
        yield result
    finally:
        lab_down(state)


def twin_cli(lab: UpResult, *args: str) -> Result:
    """``provnet ARGS`` run in-process against the twin of ``lab`` (its inventory, secrets
    and known hosts), on a terminal wide enough that tables keep whole names."""
    from typer.testing import CliRunner

    from cli import app

    env = {**lab.environment(), "COLUMNS": "200"}
    return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture(scope="session")
def twin_base() -> str:
    """First loopback address of this worker's twin devices (127.(20+worker).0.0)."""
    return f"127.{20 + _worker_number()}.0.0"


# Communes whose devices cover every simulated platform: Hàm Rồng (cisco_xe router),
# Mường Lát (huawei_vrp, telco-managed CPE), and the data centre (cisco_xe, huawei_vrp).
TWIN_LIMIT = ("commune=14758", "commune=14845", "commune=14848", "site=th-dc")


@pytest.fixture(scope="session")
def twin(tmp_path_factory: pytest.TempPathFactory, twin_base: str) -> Iterator[UpResult]:
    """The twin of part of the example province, started once per session (per xdist worker)
    as `provnet lab up` starts it; every device answers SSH, SNMP (and SIP for VC endpoints)
    on its own 127.x address. Use ``twin.overlay`` and ``twin.secrets_file`` to reach it."""
    state_dir = tmp_path_factory.mktemp("twin") / "state"
    result = lab_up(EXAMPLE, list(TWIN_LIMIT), state_dir, ipaddress.IPv4Address(twin_base))
    try:
        yield result
    finally:
        lab_down(state_dir)


@dataclass(frozen=True)
class TwinServers:
    """A twin whose Linux servers are booted Debian systems: ``up`` is what `provnet lab up`
    gave (overlay inventory, secrets, known_hosts), ``servers`` runs commands inside them."""

    up: UpResult
    servers: ServersView


@pytest.fixture(scope="session")
def twin_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinServers]:
    """The data centre and the SOC of the example province (th-dc-srv1..3, th-soc-log1 as
    real Debian servers, their routers simulated), for tests that deploy to servers: apart
    from ``twin``, whose servers other tests only look at. Root only (CI runs as root)."""
    available, reason = root_available()
    if not available:
        pytest.skip(f"twin servers need root: {reason}")
    state_dir = tmp_path_factory.mktemp("twin-servers") / "state"
    base = ipaddress.IPv4Address(f"127.{40 + _worker_number()}.0.0")
    result = lab_up(EXAMPLE, ["site=th-dc", "site=th-soc"], state_dir, base)
    try:
        yield TwinServers(result, ServersView.read(state_dir / NETNS_DIR))
    finally:
        lab_down(state_dir)


# --- how `./dev test` spreads the suite over its two xdist workers (--dist loadgroup) ----------

SERVERS_GROUP = "twin_servers"
"""The modules that use the session's ``twin_servers`` run on one worker: their Debian servers
boot once and get the baseline once (both workers did both when the modules were split)."""

LONGEST_FIRST = (
    "tests/deploys/test_ansible_baseline.py",
    SERVERS_GROUP,
    "tests/deploys/test_ansible_ios.py",
    "tests/deploys/servers/test_soc_collector_twin.py",
    "tests/deploys/servers/test_monitoring_twin.py",
    "tests/deploys/test_kill_and_resume.py",
    "tests/checks/test_audit_servers_twin.py",
    "tests/exporters/test_exporter_snmpd.py",
    "tests/test_garbage_snmp_twin.py",
    "tests/inventory/test_export.py",
    "tests/deploys/test_apply_twin.py",
)
"""Work units that took a minute or more in whole-suite runs (`--durations` of `./dev test`,
05 Dec 2026), longest first: they start first, so the two workers finish together; the rest
follow in collection order. A stale entry costs only balance, never a test."""


def _unit(item: pytest.Item, server_modules: set[str]) -> str:
    module = item.nodeid.split("::", 1)[0]
    return SERVERS_GROUP if module in server_modules else module


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest work units first (a stable sort: a module's tests stay together, in order); under
    ``--dist loadgroup`` the twin_servers modules form one xdist group."""
    server_modules = {
        item.nodeid.split("::", 1)[0]
        for item in items
        if "twin_servers" in getattr(item, "fixturenames", ())
    }
    rank = {unit: number for number, unit in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(_unit(item, server_modules), len(rank)))
    if config.getoption("dist", default=None) == "loadgroup":
        for item in items:
            if _unit(item, server_modules) == SERVERS_GROUP:
                item.add_marker(pytest.mark.xdist_group(SERVERS_GROUP))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup`` with a module as the work unit of tests outside a group (xdist's own
    sends those one by one, and a module's twin then starts on both workers), units in
    collection order (xdist's sorts them by their number of tests)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling  # type: ignore[import-untyped]

    class ModuleOrGroupScheduling(LoadGroupScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.rfind("@") > nodeid.rfind("]"):
                return nodeid.rsplit("@", 1)[-1]
            return nodeid.split("::", 1)[0]

    config.option.loadscopereorder = False
    return ModuleOrGroupScheduling(config, log)
