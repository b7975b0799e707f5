"""Fixtures of the network-change engine's tests.

``FakePlatform``, ``FakeDevice``/``FakeSession`` and ``FakeChange`` stand in for a platform,
a device and a change in the engine's *decision* tests (test_plan.py, test_apply.py,
test_journal.py): they let a test break a device exactly where it wants (reject a line,
drop the session after N lines, fail a post-check) and count every connection. They are
mocks of the platform layer, kept small and obvious; the tests against the real platforms,
changes and the twin are the ``*_twin.py`` modules.
"""

from __future__ import annotations

import copy
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from deploys.network.base import CheckContext, CheckResult, PostCheck
from inventory.loader import Inventory
from inventory.masking import Redactor
from inventory.resolve import DeviceView, iter_devices
from inventory.validate import load_valid
from platforms.network import Block, ConfigSession, ConnectParams, DeviceError, Intent

FIXTURE_INVENTORY = Path(__file__).resolve().parent.parent / "inventory" / "fixtures" / "base"
CANARY = "CANARY-s3cr3t-7f3a9c"
CANARY_NAME = "snmp-v3-ro.auth_password"


def twin_base() -> str:
    """First loopback address of this module's twins: 127.(90+worker).0.0 (xdist workers
    apart from each other and from the session twin of tests/conftest.py)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return f"127.{90 + int(worker.removeprefix('gw') or 0)}.0.0"


def parse_sections(running: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    key = ""
    for line in running.splitlines():
        if not line.strip() or line.strip() == "!":
            continue
        if line.startswith(" ") and key:
            sections[key].append(line.strip())
        else:
            key = line
            sections.setdefault(key, [])
    return sections


def render_sections(sections: dict[str, list[str]]) -> str:
    lines: list[str] = []
    for key, children in sections.items():
        lines.append(key)
        lines.extend(f" {child}" for child in children)
        lines.append("!")
    return "\n".join(lines) + "\n"


class FakePlatform:
    """IOS-like text: top-level lines, one-space children; ``no X`` removes X."""

    name = "fake"

    def connect(self, params: ConnectParams) -> ConfigSession:
        raise AssertionError("the fake backend connects, not the platform")

    def sections(self, running: str) -> dict[str, list[str]]:
        return parse_sections(running)

    def commands(self, running: str, intent: Intent) -> list[str]:
        sections = parse_sections(running)
        out: list[str] = []
        for block in intent.blocks:
            have = sections.get(block.context[0], []) if block.context else list(sections)
            owned = [h for h in have if any(re.search(p, h) for p in block.owns)]
            once = [
                line for guard, line in block.once if not any(re.search(guard, h) for h in have)
            ]
            removes = [f"no {h}" for h in owned if h not in block.lines]
            adds = [line for line in block.lines if line not in have]
            if not (once or removes or adds):
                continue
            if block.context:
                out += [block.context[0], *once, *removes, *adds, "exit"]
            else:
                out += [*once, *removes, *adds]
        return out


@dataclass
class FakeDevice:
    """One device's state, shared by every session to it (so a reconnect sees it)."""

    config: dict[str, list[str]]
    reject: str | None = None  # a command the device refuses
    drop_after: int | None = None  # drop the session after N pushed lines (once)
    received: list[str] = field(default_factory=list)
    checkpoints: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    saved: dict[str, list[str]] | None = None
    connects: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def running(self) -> str:
        return render_sections(self.config)

    def apply_line(self, context: str | None, line: str) -> str | None:
        """Apply one line; returns the context after it."""
        if line == "exit":
            return None
        negate = line.startswith("no ")
        text = line[3:] if negate else line
        if context is None and text.startswith("interface "):
            self.config.setdefault(text, [])
            return text
        if text.startswith("snmp-server user "):  # the device shows no secret back
            text = " ".join(text.split()[:4])
        target = self.config[context] if context else None
        if target is None:
            if negate:
                self.config.pop(text, None)
            else:
                self.config.setdefault(text, [])
        elif negate:
            if text in target:
                target.remove(text)
        elif text not in target:
            target.append(text)
        return context


class FakeSession:
    def __init__(self, device: FakeDevice) -> None:
        self.device = device
        self.dead = False

    def _alive(self) -> None:
        if self.dead:
            raise OSError("Socket is closed")

    def show(self, command: str) -> str:
        self._alive()
        return ""

    def running_config(self) -> str:
        self._alive()
        return self.device.running()

    def push(self, commands: Sequence[str], *, secrets: Sequence[str] = ()) -> str:
        self._alive()
        context: str | None = None
        for line in commands:
            self.device.received.append(line)
            if line == self.device.reject:
                raise DeviceError(
                    "the device rejected a line",
                    output=f"{line}\n% Invalid input detected at '^' marker.",
                )
            context = self.device.apply_line(context, line)
            if self.device.drop_after is not None:
                self.device.drop_after -= 1
                if self.device.drop_after == 0:
                    self.device.drop_after = None
                    self.dead = True
                    raise EOFError("session closed by the device")
        return ""

    def checkpoint(self) -> str:
        self._alive()
        name = f"ckpt-{len(self.device.checkpoints) + 1}"
        self.device.checkpoints[name] = copy.deepcopy(self.device.config)
        return name

    def rollback(self, checkpoint: str) -> None:
        self._alive()
        self.device.config = copy.deepcopy(self.device.checkpoints[checkpoint])

    def save(self) -> None:
        self._alive()
        self.device.saved = copy.deepcopy(self.device.config)

    def close(self) -> None:
        self.dead = True


class FakeBackend:
    """Platforms: FakePlatform for every network OS, LookupError for the others."""

    def __init__(self, devices: dict[str, FakeDevice]) -> None:
        self.devices = devices
        self.platform_impl = FakePlatform()

    def platform(self, name: str) -> FakePlatform:
        if name not in ("cisco_ios", "cisco_xe", "huawei_vrp"):
            raise LookupError(name)
        return self.platform_impl

    def connect(self, device: DeviceView) -> ConfigSession:
        fake = self.devices[device.name]
        with fake.lock:
            fake.connects += 1
        return FakeSession(fake)


@dataclass
class FakeCheck:
    name: str
    failing: set[str]

    def run(self, session: ConfigSession, context: CheckContext) -> CheckResult:
        ok = context.device.name not in self.failing
        return CheckResult(self.name, ok, "ipv6 present" if ok else "no IPv6 address on WAN")


@dataclass
class FakeChange:
    """IPv6 on the WAN interface, an SNMPv3 user with a secret (an @once line)."""

    name: str = "fake_ipv6"
    description: str = "IPv6 thử (fake IPv6)"
    failing_checks: set[str] = field(default_factory=set)

    def skip_reason(self, device: DeviceView) -> str | None:
        return None if device.role.value == "wan_router" else "chỉ router (routers only)"

    def render(self, inventory: Inventory, device: DeviceView) -> Intent:
        return Intent(
            blocks=(
                Block(
                    context=(),
                    lines=("ipv6 unicast-routing",),
                    once=(
                        (
                            r"^snmp-server user provnet",
                            f"snmp-server user provnet g v3 auth sha <secret:{CANARY_NAME}>",
                        ),
                    ),
                ),
                Block(
                    context=("interface Gi0/0",),
                    lines=("ipv6 address 2001:db8::1/64", "ipv6 enable"),
                    owns=(r"^ipv6 address ",),
                ),
            )
        )

    def post_checks(self, device: DeviceView) -> list[PostCheck]:
        return [FakeCheck("ipv6-wan", self.failing_checks)]


def initial_config(name: str) -> dict[str, list[str]]:
    return {
        f"hostname {name}": [],
        "interface Gi0/0": ["ip address 10.0.0.1 255.255.255.252", "ipv6 address 2001:db8::9/64"],
        "line vty 0 4": ["transport input ssh"],
    }


@pytest.fixture
def fixture_inventory() -> Inventory:
    return load_valid(FIXTURE_INVENTORY)


@pytest.fixture
def views(fixture_inventory: Inventory) -> list[DeviceView]:
    return list(iter_devices(fixture_inventory))


@pytest.fixture
def fakes(views: list[DeviceView]) -> dict[str, FakeDevice]:
    return {v.name: FakeDevice(initial_config(v.name)) for v in views}


@pytest.fixture
def redactor() -> Redactor:
    return Redactor({CANARY_NAME: CANARY})
