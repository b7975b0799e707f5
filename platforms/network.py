"""The contract of a network platform for changes, written once (as NAPALM does) and
implemented by each platform file that can be changed (cisco_ios, cisco_xe, huawei_vrp,
cisco_tp). One shared test suite (tests/platforms/) runs against every implementation.

Intended configuration is written as a fragment of running-configuration text rendered
from a Jinja2 template (``platforms/templates/<platform>/<change>.j2``). Lines starting
with ``@owns REGEX`` (at the indentation of the lines they govern) declare which existing
lines under that context the change owns: an owned line that is not intended is removed
(``no ...`` on IOS, ``undo ...`` on VRP). Lines that are not owned and not intended are
left alone. Nothing in the decision functions does I/O.

Secrets never appear in rendered text, plans or journals. A line that must carry one
holds a placeholder ``<secret:CREDENTIAL_SET.FIELD>`` (:func:`secret_placeholder`, the
form of ``deploys.network.masking.Redactor``), which the engine replaces with the value
only when it pushes. Such a line is written after ``@once REGEX`` (a line of its own, at
the same indentation): it goes to ``Block.once`` and is pushed, before the block's other
lines, only when no existing line under that context matches REGEX; it is never
compared, owned or removed (the device shows a hash of the secret, or nothing at all:
IOS ``snmp-server user``). A placeholder outside ``@once`` is an error of the template.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Block:
    """Intended lines under one context.

    ``context`` is the path of parent lines, ``()`` for global configuration,
    ``("interface GigabitEthernet0/0/0",)`` for one interface. Example::

        Block(context=("line vty 0 4",), lines=("access-class MGMT in",
              "transport input ssh"), owns=(r"^transport input ", r"^access-class "))
    """

    context: tuple[str, ...]
    lines: tuple[str, ...]
    owns: tuple[str, ...] = ()
    # (guard REGEX, line): the line (holding a secret placeholder) is pushed only when no
    # existing line under ``context`` matches the guard; never compared, owned or removed.
    once: tuple[tuple[str, str], ...] = ()


SECRET_PLACEHOLDER = re.compile(
    r"<secret:(?P<credential>[A-Za-z0-9][A-Za-z0-9._-]*)\.(?P<field>[a-z_]+)>"
)


def secret_placeholder(credential: str, field: str) -> str:
    """``<secret:ssh-netops.password>``: the engine puts the value there at push time."""
    return f"<secret:{credential}.{field}>"


@dataclass(frozen=True)
class Intent:
    """What one change wants on one device: blocks in the order they must be applied."""

    blocks: tuple[Block, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ConnectParams:
    """How to reach one device; secrets are here only in memory, never serialised."""

    host: str
    port: int
    username: str
    password: str
    secret: str = ""  # enable secret (IOS)
    known_hosts: str | None = None  # path; None only when host-key checking is disabled
    timeout: float = 20.0


class DeviceError(Exception):
    """The device refused a command or the session broke; ``output`` is what it printed."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


class ConfigSession(Protocol):
    """An open management session to one device (a Netmiko connection underneath)."""

    def show(self, command: str) -> str: ...

    def running_config(self) -> str: ...

    def push(self, commands: Sequence[str], *, secrets: Sequence[str] = ()) -> str:
        """Enter configuration mode, send ``commands``, leave it; raise :class:`DeviceError`
        on the first line the device rejects (with the device's error text).

        ``secrets``: values (put in place of placeholders) to mask in what is returned or
        raised; the login password and enable secret are always masked."""
        ...

    def checkpoint(self) -> str:
        """Store the running configuration on the device; return the name to roll back to."""
        ...

    def rollback(self, checkpoint: str) -> None:
        """Make the running configuration exactly the stored one again."""
        ...

    def save(self) -> None:
        """Running configuration to startup (``write memory`` / ``save``)."""
        ...

    def close(self) -> None: ...


class NetworkPlatform(Protocol):
    """A platform that provnet can change. ``name`` is the Netmiko device_type."""

    name: str

    def connect(self, params: ConnectParams) -> ConfigSession: ...

    def sections(self, running: str) -> dict[str, list[str]]:
        """The running configuration as ordered sections: top-level line -> child lines.

        Example: ``{"hostname R1": [], "interface Gi0/0": ["ip address 10.0.0.1 255.255.255.0"]}``
        """
        ...

    def commands(self, running: str, intent: Intent) -> list[str]:
        """The configuration commands that take ``running`` to ``intent`` (``[]`` when it is
        already there), with context lines (``interface ...``) and ``no``/``undo`` lines."""
        ...
