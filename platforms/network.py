"""The contract of a network platform for changes, written once (as NAPALM does) and
implemented by each platform package that can be changed (``platforms/<platform>/``:
cisco_ios, cisco_xe, huawei_vrp, cisco_tp). One shared test suite
(tests/platforms/test_contract.py) runs against every implementation, on the test data of
``tests/platforms/data/<platform>/`` and on the twin.

Intended configuration is written as a fragment of running-configuration text rendered
from the change's Jinja2 template for the platform, read with the platform's
:attr:`NetworkPlatform.syntax` (:func:`platforms.config.parse_intent`). Lines starting
with ``@owns REGEX`` (at the indentation of the lines they govern) declare which existing
lines under that context the change owns: an owned line that is not intended is removed
(``no ...`` on IOS, ``undo ...`` on VRP). Lines that are not owned and not intended are
left alone. Nothing in the decision functions does I/O.

Secrets never appear in rendered text, plans or journals. A line that must carry one
holds a placeholder ``<secret:CREDENTIAL_SET.FIELD>`` (:func:`secret_placeholder`, the
form of ``inventory.masking.Redactor``), which the engine replaces with the value
only when it pushes. Such a line is written after ``@once REGEX`` (a line of its own, at
the same indentation): it goes to ``Block.once`` and is pushed, before the block's other
lines, only when no existing line under that context matches REGEX; it is never
compared, owned or removed (the device shows a hash of the secret, or nothing at all:
IOS ``snmp-server user``). A placeholder outside ``@once`` is an error of the template.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from platforms.base import PlatformError

if TYPE_CHECKING:
    from platforms.config import Syntax
    from platforms.parsers import InterfaceStatus, SipRegistration


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


def placeholder_names(text: str) -> list[str]:
    """``CREDENTIAL_SET.FIELD`` of every secret placeholder in ``text``, in order.

    Example: ``"username a secret <secret:ssh-netops.password>"`` -> ``["ssh-netops.password"]``
    """
    return [f"{m['credential']}.{m['field']}" for m in SECRET_PLACEHOLDER.finditer(text)]


@dataclass(frozen=True)
class Intent:
    """What one change wants on one device: blocks in the order they must be applied."""

    blocks: tuple[Block, ...] = field(default_factory=tuple)
    # what the change leaves out on this device and why, Vietnamese first (a plan shows
    # them as the device's reason): "no read-only account (no audit_credentials)"
    notes: tuple[str, ...] = ()


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
    # a read-only account: no `enable`; the configuration read as such a user may
    read_only: bool = False


class DeviceError(PlatformError, RuntimeError):
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


@runtime_checkable
class PipelinedSession(Protocol):
    """A session whose device answers commands written together, each in turn and each
    answer ended by its own closing line (RoomOS's xAPI: ``OK``/``ERROR``): many status
    commands in one round trip. Only a platform whose device frames every answer so
    implements it; the others are asked one command at a time."""

    def show_many(self, commands: Sequence[str]) -> dict[str, str]:
        """Each command's output (as :meth:`ConfigSession.show` gives it); a command left
        unanswered (the session broke or timed out) is missing from the result."""
        ...


@runtime_checkable
class NetworkPlatform(Protocol):
    """A platform that provnet can change: ``NETWORK`` of ``platforms/<platform>/__init__.py``.

    Everything provnet needs to know about one vendor's devices is asked of this object,
    never decided elsewhere by comparing platform names.
    """

    @property
    def name(self) -> str:
        """The Netmiko device_type, also the package's name: ``"cisco_ios"``."""
        ...

    @property
    def syntax(self) -> Syntax:
        """How its configuration text (and a rendered template) is laid out and negated:
        ``platforms.cisco_ios.syntax.IOS`` (``Syntax(name="ios", separator="!", ...)``)."""
        ...

    def connect(self, params: ConnectParams) -> ConfigSession:
        """An open, privileged session (Netmiko is imported here, not before); raises
        :class:`DeviceError` (no secret in it) when it cannot log in."""
        ...

    def sections(self, running: str) -> dict[str, list[str]]:
        """The running configuration as ordered sections: top-level line -> child lines.

        Example: ``{"hostname R1": [], "interface Gi0/0": ["ip address 10.0.0.1 255.255.255.0"]}``
        """
        ...

    def commands(self, running: str, intent: Intent) -> list[str]:
        """The configuration commands that take ``running`` to ``intent`` (``[]`` when it is
        already there), with context lines (``interface ...``) and ``no``/``undo`` lines.

        Example: ``["interface Loopback9", "ipv6 address 2001:db8:99::9/128", "exit"]``
        """
        ...

    @property
    def ipv6_command(self) -> str:
        """The show command listing IPv6 addresses: ``"show ipv6 interface brief"``."""
        ...

    def ipv6_interfaces(self, output: str) -> dict[str, list[ipaddress.IPv6Address]]:
        """Interface -> every IPv6 address ``output`` of :attr:`ipv6_command` shows on it
        (link-local included).

        Example: ``{"Gi0/0/0": [IPv6Address("fe80::1"), IPv6Address("2001:db8:10::1")]}``
        """
        ...

    def ipv6_addresses(self, output: str, interface: str) -> list[ipaddress.IPv6Address]:
        """The global (not link-local) IPv6 addresses ``output`` of :attr:`ipv6_command`
        shows on ``interface``; ``[]`` when none.

        Example: ``[IPv6Address("2001:db8:10::1")]``
        """
        ...

    def ipv6_where(self, interface: str) -> str:
        """Where :meth:`ipv6_addresses` reads, for messages: ``"GigabitEthernet0/0/0"`` (the
        interface), or ``"Network 1"`` on an endpoint that has one network."""
        ...

    @property
    def interfaces_command(self) -> str:
        """The show command listing interfaces and their state: ``"show ip interface brief"``
        (``""`` when the platform has none)."""
        ...

    def interface_status(self, output: str) -> dict[str, InterfaceStatus]:
        """Interface -> status from the output of :attr:`interfaces_command`.

        Example: ``{"Loopback0": InterfaceStatus("Loopback0", admin_up=True, oper_up=True)}``
        """
        ...

    @property
    def liveness_command(self) -> str:
        """A harmless command whose non-empty answer proves a fresh session works (it reads
        the clock or the uptime): ``"show clock"``."""
        ...

    @property
    def snmp_auth_keywords(self) -> Mapping[str, str]:
        """SNMPv3 authentication protocol (inventory spelling) -> the word its configuration
        uses: ``{"SHA": "sha", "SHA256": "sha-2 256", ...}`` (``{}``: not configured here)."""
        ...

    @property
    def snmp_priv_keywords(self) -> Mapping[str, str]:
        """SNMPv3 privacy protocol -> its configuration word: ``{"AES": "aes 128", ...}``."""
        ...


@runtime_checkable
class SipPlatform(Protocol):
    """A platform whose devices register to a SIP registrar (video-conference endpoints)."""

    @property
    def sip_registration_command(self) -> str:
        """The status command of SIP registration: ``"xStatus SIP Registration"``."""
        ...

    def sip_registration(self, output: str) -> SipRegistration:
        """The first registration in ``output``: ``SipRegistration(status="Registered",
        reason="", uri="sip:vc1@thanhhoa.gov.vn")``."""
        ...
