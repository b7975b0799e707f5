"""The contract of a network change: one file per change in this package.

A change renders, from inventory data only, the intended configuration of one device
(a :class:`platforms.network.Intent`, through the platform's Jinja2 template
``platforms/templates/<platform>/<change>.j2``) and declares the post-checks that must
pass after the push. The engine (plan.py, apply.py) does everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

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


class Change(Protocol):
    """Example: ``deploys/network/ipv6_migration.py`` defines ``CHANGE = Ipv6Migration()``."""

    name: str
    description: str  # Vietnamese first, English in parentheses

    def skip_reason(self, device: DeviceView) -> str | None:
        """Why this change does not apply to ``device`` (role, platform), or None."""
        ...

    def render(self, inventory: Inventory, device: DeviceView) -> Intent: ...

    def post_checks(self, device: DeviceView) -> list[PostCheck]: ...
