"""The contract of a network change: one folder per change in ``deploys/network/changes/``.

A change renders, from inventory data only, the intended configuration of one device
(a :class:`platforms.network.Intent`, through its own Jinja2 template for the device's
platform, ``changes/<change>/<platform>.j2``) and declares the post-checks that must
pass after the push. The engine (plan.py, apply.py) does everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from inventory.loader import Inventory
from inventory.resolve import DeviceView
from platforms.network import ConfigSession, Intent


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str = ""  # what was seen; never a secret


@dataclass(frozen=True)
class CheckContext:
    """What a post-check may use besides the open session: the device and how to reach it
    again (a fresh SSH session, SNMP) with credentials resolved by name at run time."""

    inventory: Inventory
    device: DeviceView
    secrets_file: str | None = None
    known_hosts: str | None = None


class PostCheck(Protocol):
    name: str

    def run(self, session: ConfigSession, context: CheckContext) -> CheckResult: ...


@runtime_checkable
class Change(Protocol):
    """Example: ``deploys/network/changes/ipv6_migration/__init__.py`` defines
    ``CHANGE = Ipv6Migration()``, ``name = "ipv6_migration"``, ``after = ("level2_wan",)``."""

    name: str  # the change's folder name
    description: str  # Vietnamese first, English in parentheses
    after: tuple[str, ...]  # the changes that must come before this one on a device

    def skip_reason(self, device: DeviceView) -> str | None:
        """Why this change does not apply to ``device`` (role, platform), or None."""
        ...

    def render(self, inventory: Inventory, device: DeviceView) -> Intent: ...

    def post_checks(self, device: DeviceView) -> list[PostCheck]: ...
