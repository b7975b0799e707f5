"""What every simulated platform shares: the device, a CLI session, and their plumbing.

A ``SimDevice`` is one box: its running configuration (a ``ConfigTree``), its saved
configuration and files, and the ``DeviceState`` it keeps in sync for the SNMP agent.
A ``CliSession`` is one login on it: the mode, the prompt, a pending question. Both are
pure: a line goes in, a ``Reply`` (output text and the next prompt) comes out, so every
behaviour is testable without a socket. ``lab/device/server.py`` adds the SSH.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias, TypeVar

from lab.device.config import ConfigNode, ConfigTree, Dialect
from lab.device.grammar import Grammar, Match
from lab.errors import LabError
from lab.state import DeviceState, InterfaceState

log = logging.getLogger(__name__)


class DeviceSimError(LabError):
    """A simulator misuse: unknown platform, an endpoint that cannot be served.

    The simulated devices' own root under ``LabError``; each concrete error below it is
    also the matching builtin.
    """


class UnknownPlatformError(DeviceSimError, LookupError):
    pass


class DeviceFactory(Protocol):
    """A simulator class as ``make_device`` calls it: the state, the running configuration
    to start from (None: one rendered from the state) and the enable secret, if any."""

    def __call__(
        self,
        state: DeviceState,
        config_text: str | None = None,
        *,
        enable_secret: str | None = None,
    ) -> SimDevice: ...


@dataclass(frozen=True)
class DeviceKind:
    """What a device package declares as ``DEVICE``: the simulator and the platform names
    (Netmiko device_types) it answers to, the first being its own.

    ``ssh_server_version`` is the software version its SSH banner shows (``SSH-2.0-<it>``,
    as Netmiko's autodetect reads it); "" leaves asyncssh's own.

    Example::

        DeviceKind(VrpDevice, names=("huawei_vrp", "huawei"), ssh_server_version="HUAWEI-1.5")
    """

    device: DeviceFactory
    names: tuple[str, ...]
    ssh_server_version: str = ""
    # Local users with privilege levels (``CliSession.sign_in``): the twin provisions the
    # inventory's read-only account (``audit_credentials``) on such a device only.
    local_users: bool = False


@dataclass
class Reply:
    """What the device prints after a line: the output, then the next prompt."""

    output: str = ""  # "\n"-separated lines, printed after the echoed input line
    prompt: str = ""  # printed after the output, no newline after it
    echo: bool = True  # False: do not echo the next line typed (a password)
    close: bool = False  # the session ends once the output is written
    mark: str = ""  # printed on the input line before the newline (`^Z`)


@dataclass(frozen=True)
class InterfaceType:
    name: str  # canonical spelling
    physical: bool


def split_ifname(word: str) -> tuple[str, str]:
    """``"gi0/1"`` -> ``("gi", "0/1")``; ``"40GE0/0/1"`` -> ``("40GE", "0/0/1")``."""
    m = re.fullmatch(r"(.*?[A-Za-z-])([\d/.:]*)", word)
    if not m:
        return "", word
    return m.group(1), m.group(2)


class InterfaceCatalog:
    """Interface types of a platform, for resolving what users type to canonical names."""

    def __init__(self, types: Sequence[InterfaceType]) -> None:
        self.types = list(types)

    def type_of(self, name: str) -> InterfaceType | None:
        prefix, _ = split_ifname(name)
        for kind in self.types:
            if kind.name.lower() == prefix.lower():
                return kind
        return None

    def is_physical(self, name: str) -> bool:
        kind = self.type_of(name)
        return kind is None or kind.physical

    def resolve(
        self, words: list[str], existing: Callable[[str], bool], create: bool
    ) -> tuple[str, int] | None:
        """Canonical name and the number of words used, or None if not an interface."""
        if not words:
            return None
        prefix, number = split_ifname(words[0])
        used = 1
        if not number:
            if len(words) > 1 and re.fullmatch(r"\d[\d/.:]*", words[1]):
                number, used = words[1], 2
            else:
                return None
        if not prefix:
            return None
        kind = None
        for candidate in self.types:
            if candidate.name.lower() == prefix.lower():
                kind = candidate
                break
        if kind is None:
            for candidate in self.types:
                if candidate.name.lower().startswith(prefix.lower()):
                    kind = candidate
                    break
        if kind is None or not re.fullmatch(r"\d+(/\d+)*(\.\d+)?(:\d+)?", number):
            return None
        name = kind.name + number
        if existing(name):
            return name, used
        if not create:
            return None
        if kind.physical:
            parent, dot, _ = name.partition(".")
            if dot and existing(parent):
                return name, used  # a sub-interface of an existing port
            return None
        return name, used


def fake_hash(kind: str, seed: str) -> str:
    """A hash-looking string for configs (derived from the seed, never from a secret)."""
    digest = hashlib.sha256(f"{kind}:{seed}".encode()).digest()
    alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "".join(alphabet[b % 64] for b in digest)


def serial_number(name: str, length: int) -> str:
    """``length`` digits and capitals from the device name: the same on every run."""
    digest = hashlib.sha256(f"serial:{name}".encode()).digest()
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


def hash_secret(secret: str, salt: str) -> str:
    """One-way digest stored in the config in place of a typed secret."""
    digest = hashlib.sha256(f"{salt}\0{secret}".encode()).digest()
    alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "".join(alphabet[b % 64] for b in digest)[:43]


def secret_matches(password: str, salt: str, digest: str) -> bool:
    """Whether ``digest`` is :func:`hash_secret` of ``password`` with ``salt`` (in constant
    time): a login checked against what the configuration stores."""
    return hmac.compare_digest(hash_secret(password, salt).encode(), digest.encode())


def _hms(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}:{secs:02d}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("s" if n != 1 else "")


def ios_uptime(seconds: float) -> str:
    """``1 week, 2 days, 3 hours, 4 minutes`` with the leading zero units left out."""
    minutes = int(seconds) // 60
    years, minutes = divmod(minutes, 525600)
    weeks, minutes = divmod(minutes, 10080)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    units = [(years, "year"), (weeks, "week"), (days, "day"), (hours, "hour")]
    parts: list[str] = []
    for value, word in units:
        if value or parts:
            parts.append(plural(value, word))
    parts.append(plural(minutes, "minute"))
    return ", ".join(parts)


def eui64_link_local(mac: str) -> ipaddress.IPv6Address:
    octets = [int(x, 16) for x in re.split("[:.-]", mac) if x] if mac else []
    if len(octets) != 6:
        octets = [0, 0, 0x5E, 0, 0x53, 1]
    octets[0] ^= 0x02
    eui = [*octets[:3], 0xFF, 0xFE, *octets[3:]]
    value = 0xFE80 << 112
    for i, byte in enumerate(eui):
        value |= byte << (8 * (7 - i))
    return ipaddress.IPv6Address(value)


def apply_filter(text: str, modifier: str, pattern: str) -> str:
    """IOS/VRP output modifiers: include, exclude, begin, section, count."""
    lines = text.split("\n")
    try:
        regex = re.compile(pattern)
    except re.error:
        regex = re.compile(re.escape(pattern))
    if modifier == "include":
        return "\n".join(ln for ln in lines if regex.search(ln))
    if modifier == "exclude":
        return "\n".join(ln for ln in lines if not regex.search(ln))
    if modifier == "begin":
        for i, ln in enumerate(lines):
            if regex.search(ln):
                return "\n".join(lines[i:])
        return ""
    if modifier == "count":
        return f"Number of lines which match regexp = {sum(1 for ln in lines if regex.search(ln))}"
    if modifier == "section":
        blocks: list[list[str]] = []
        for ln in lines:
            if ln.startswith(" ") and blocks:
                blocks[-1].append(ln)
            else:
                blocks.append([ln])
        return "\n".join(
            "\n".join(block) for block in blocks if any(regex.search(ln) for ln in block)
        )
    return text


@dataclass
class Route:
    """One entry of the routing table the CLI shows (connected, local, static)."""

    prefix: ipaddress.IPv4Network | ipaddress.IPv6Network
    protocol: str  # "C", "L", "S"
    interface: str = ""
    nexthop: str = ""
    distance: int = 0
    metric: int = 0


def connected_routes(state: DeviceState, version: int) -> list[Route]:
    routes: list[Route] = []
    for iface in sorted(state.interfaces.values(), key=lambda i: i.if_index):
        if not iface.oper_up:
            continue
        addrs: Sequence[ipaddress.IPv4Interface | ipaddress.IPv6Interface]
        addrs = iface.ipv4 if version == 4 else iface.ipv6
        for addr in addrs:
            routes.append(Route(addr.network, "C", iface.name))
            host = ipaddress.ip_network(f"{addr.ip}/{addr.max_prefixlen}")
            if host != addr.network:
                routes.append(Route(host, "L", iface.name))
    return routes


def resolve_static(connected: list[Route], nexthop: str) -> str | None:
    """The interface through which ``nexthop`` is reachable, if any."""
    try:
        addr = ipaddress.ip_address(nexthop)
    except ValueError:
        return None
    for route in connected:
        if route.protocol == "C" and addr.version == route.prefix.version and addr in route.prefix:
            return route.interface
    return None


@dataclass(frozen=True, order=True)
class ArpEntry:
    """One line of the ARP table: an own address, or a neighbour the box has learnt."""

    ip: ipaddress.IPv4Address
    mac: str  # 12 hex digits, no separators
    interface: str
    learnt: bool


def arp_entries(
    state: DeviceState, static: Sequence[Route], virtual: tuple[str, ...]
) -> list[ArpEntry]:
    """Own addresses of the up interfaces (not ``virtual`` ones: loopbacks, tunnels), then
    the next hops of the static routes in use, each with a stable made-up MAC."""
    rows: list[ArpEntry] = []
    for iface in sorted(state.interfaces.values(), key=lambda i: i.if_index):
        if iface.oper_up and not iface.name.startswith(virtual):
            mac = re.sub("[^0-9a-f]", "", iface.mac.lower())
            rows += [ArpEntry(a.ip, mac, iface.name, False) for a in iface.ipv4]
    for route in static:
        if not route.nexthop or route.interface not in state.interfaces:
            continue
        hop = ipaddress.IPv4Address(route.nexthop)
        if all(hop != r.ip for r in rows):
            digest = fake_hash("arp", f"{state.name}/{hop}").encode().hex()
            rows.append(ArpEntry(hop, "02" + digest[2:12], route.interface, True))
    return sorted(rows)


@dataclass
class FileEntry:
    """A file on the device's own file system (IOS flash:, VRP flash:/).

    ``content`` is text; bytes that are not UTF-8 survive the round trip as surrogates, so a
    file copied in over SCP comes back byte for byte (its size and MD5 are the sender's).
    """

    content: str
    mtime: float = field(default_factory=time.time)

    @classmethod
    def of_bytes(cls, data: bytes) -> FileEntry:
        return cls(data.decode("utf-8", "surrogateescape"))

    @property
    def data(self) -> bytes:
        return self.content.encode("utf-8", "surrogateescape")


class SimDevice(ABC):
    """One simulated box; sessions (logins) share it."""

    platform: str = ""
    oui = "02:00:00"  # the vendor's first three MAC octets

    def __init__(self, state: DeviceState, *, enable_secret: str | None = None) -> None:
        self.state = state
        self.enable_secret = enable_secret
        self.startup: str | None = None
        self.files: dict[str, FileEntry] = {}
        self.changed_since_save = False
        self._boots = state.boots
        self.logins: list[CliSession] = []  # interactive logins, for `show users`
        state.assign_macs(self.oui)

    @abstractmethod
    def running_config(self) -> str:
        """The configuration as the device prints it (without `show` headers)."""

    def startup_config(self) -> str:
        """The saved configuration, or "" if never saved."""
        return self.startup or ""

    @abstractmethod
    def open_session(self, *, privileged: bool = False) -> CliSession:
        """A new login; ``privileged`` starts at the highest level (`#` on IOS)."""

    def login_banner(self) -> str:
        """Text printed on login before the first prompt."""
        return ""

    def accepts_login(self, username: str, password: str) -> bool:
        """Whether the configuration has a local user ``username`` whose stored secret is
        ``password``: a user made by configuration (IOS ``username``, VRP ``local-user``,
        by ``net apply`` or by hand) logs in as on the box, and one removed no longer does.
        A platform without local users has none."""
        return False

    def exec_command(self, command: str, username: str = "") -> str:
        """Run one command the way an SSH `exec` request does, at the privilege level of
        ``username``; returns its output."""
        session = self.open_session(privileged=True)
        session.sign_in(username)
        session.terminal_length = 0
        return session.handle(command).output

    def hostname(self) -> str:
        return self.state.hostname

    def attach(self, session: CliSession) -> None:
        """A login begins (SSH shell): it takes the lowest free VTY line."""
        used = {s.line for s in self.logins}
        session.line = next(n for n in range(len(used) + 1) if n not in used)
        self.logins.append(session)

    def detach(self, session: CliSession) -> None:
        if session in self.logins:
            self.logins.remove(session)

    def users(self, current: CliSession) -> list[tuple[bool, CliSession, str]]:
        """The logins `show users` lists, by line: (this one?, login, idle as HH:MM:SS).
        A command run over an SSH exec request is a login of its own for that moment."""
        now = time.time()
        logins = sorted({*self.logins, current}, key=lambda s: (s.line, id(s)))
        return [(s is current, s, _hms(0 if s is current else now - s.last_input)) for s in logins]

    # -- the file system, as SCP sees it ---------------------------------------
    def scp_enabled(self) -> bool:
        """Whether the device's SCP server is on (IOS: `ip scp server enable`)."""
        return False

    def file_key(self, path: str) -> str | None:
        """The key of ``path`` in ``files`` (None: not on a file system of this box)."""
        return path or None

    def is_directory(self, path: str) -> bool:
        """Whether ``path`` names a directory (a file system root or a folder in it)."""
        return False

    def store_file(self, path: str, data: bytes) -> bool:
        """Write a file as SCP does; False if ``path`` is not writable here."""
        key = self.file_key(path)
        if key is None or self.is_directory(path):
            return False
        self.files[key] = FileEntry.of_bytes(data)
        return True

    def load_file(self, path: str) -> bytes | None:
        key = self.file_key(path)
        entry = self.files.get(key) if key is not None else None
        return entry.data if entry is not None else None

    def check_reboot(self) -> bool:
        """If the state was rebooted (a fault, `reload`), restart from the saved config."""
        if self.state.boots == self._boots:
            return False
        self._boots = self.state.boots
        self.changed_since_save = False
        self.on_reboot()
        return True

    def on_reboot(self) -> None:  # noqa: B027 - optional hook
        """Platform hook: what a restart does to the configuration."""

    def reload(self) -> None:
        self.state.reboot()
        self.check_reboot()


class TreeDevice(SimDevice):
    """A device whose configuration is indented text (IOS, VRP)."""

    dialect: Dialect
    catalog: InterfaceCatalog

    def __init__(
        self, state: DeviceState, config_text: str, *, enable_secret: str | None = None
    ) -> None:
        super().__init__(state, enable_secret=enable_secret)
        self.config = ConfigTree.parse(config_text, self.dialect)
        self.boot_config = self.config.render()  # what a reboot without `save` comes back to
        self.startup = self.boot_config  # the box was provisioned and saved before it shipped
        self.manual_addresses: set[str] = set()  # interfaces addressed since boot
        self._config_interfaces: set[str] = set()
        self.sync_state()

    def running_config(self) -> str:
        """The configuration text as stored (`version ...` down to `end`/`return`)."""
        return self.config.render()

    def replace_config(self, text: str) -> None:
        self.config = ConfigTree.parse(text, self.dialect)
        self.sync_state()

    def save(self) -> None:
        self.startup = self.running_config()
        self.changed_since_save = False

    def on_reboot(self) -> None:
        text = self.startup if self.startup is not None else self.boot_config
        self.config = ConfigTree.parse(text, self.dialect)
        self.manual_addresses.clear()
        self.sync_state()

    def interface_exists(self, name: str) -> bool:
        return name in self.state.interfaces or self.config.find(f"interface {name}") is not None

    def resolve_interface(self, create: bool) -> Callable[[list[str]], tuple[str, int] | None]:
        def resolve(words: list[str]) -> tuple[str, int] | None:
            return self.catalog.resolve(words, self.interface_exists, create)

        return resolve

    @abstractmethod
    def interface_settings(self, name: str) -> InterfaceSettings:
        """What the configuration says about one interface."""

    @abstractmethod
    def configured_hostname(self) -> str | None:
        """The hostname in the configuration."""

    def sync_state(self) -> None:
        """Make ``state`` (interfaces, addresses, hostname) follow the configuration."""
        state = self.state
        changed = False
        host = self.configured_hostname()
        if host and host != state.hostname:
            state.hostname = host
            changed = True
        names: set[str] = set()
        for node in self.config.top:
            if len(node.words) >= 2 and node.words[0] == "interface":
                names.add(node.text.split(None, 1)[1])
        for name in sorted(names, key=lambda n: (n not in state.interfaces, n)):
            settings = self.interface_settings(name)
            if name not in state.interfaces:
                state.add_interface(name, speed_mbps=settings.speed_mbps)
                changed = True
            changed |= settings.apply(state.interfaces[name])
        for name in self._config_interfaces - names:
            if name in state.interfaces and not self.catalog.is_physical(name):
                del state.interfaces[name]
                changed = True
        self._config_interfaces = names
        if changed:
            state.touch()


@dataclass
class InterfaceSettings:
    description: str = ""
    admin_up: bool = True
    ipv4: list[ipaddress.IPv4Interface] = field(default_factory=list)
    ipv6: list[ipaddress.IPv6Interface] = field(default_factory=list)
    ipv6_enabled: bool = False
    speed_mbps: int = 1000

    def apply(self, iface: InterfaceState) -> bool:
        changed = False
        if iface.description != self.description:
            iface.description = self.description
            changed = True
        if iface.ipv4 != self.ipv4:
            iface.ipv4 = list(self.ipv4)
            changed = True
        if iface.ipv6 != self.ipv6:
            iface.ipv6 = list(self.ipv6)
            changed = True
        enabled = self.ipv6_enabled or bool(self.ipv6)
        if iface.ipv6_enabled != enabled:
            iface.ipv6_enabled = enabled
            changed = True
        if iface.admin_up != self.admin_up:
            iface.set_oper(admin_up=self.admin_up)
            changed = True
        return changed


def interface_settings_from(
    children: Sequence[ConfigNode], secondary_word: str
) -> InterfaceSettings:
    """What an interface section says, for IOS and VRP alike.

    The primary IPv4 address comes first; ``secondary_word`` (IOS ``secondary``,
    VRP ``sub``) marks the others. IPv6 addresses are returned as configured; whether
    they are active is the platform's rule.
    """
    settings = InterfaceSettings()
    for child in children:
        w = child.words
        if w[:1] == ["description"]:
            settings.description = child.text.split(None, 1)[1] if len(w) > 1 else ""
        elif w == ["shutdown"]:
            settings.admin_up = False
        elif w[:2] == ["ip", "address"] and len(w) >= 4:
            try:
                addr = ipaddress.IPv4Interface(f"{w[2]}/{w[3]}")
            except ValueError:
                continue
            if secondary_word in w[4:]:
                settings.ipv4.append(addr)
            else:
                settings.ipv4.insert(0, addr)
        elif w[:2] == ["ipv6", "address"] and len(w) >= 3 and "/" in w[2]:
            try:
                settings.ipv6.append(ipaddress.IPv6Interface(w[2]))
            except ValueError:
                continue
        elif w == ["ipv6", "enable"]:
            settings.ipv6_enabled = True
    return settings


class CliSession(ABC):
    """One login on a device: modes, prompt, and pending questions."""

    def __init__(self, device: SimDevice, *, privileged: bool = False) -> None:
        self.device = device
        self.privileged = privileged
        self.terminal_length = 24
        self.terminal_width = 80
        self.username = "admin"
        self.peer = "127.0.0.1"
        self.line = 0  # the VTY line the login holds (``SimDevice.attach``)
        self.last_input = time.time()
        self._question: Callable[[str], Reply] | None = None
        self._question_echo = True

    # -- API used by the server and tests ------------------------------------
    @property
    @abstractmethod
    def prompt(self) -> str:
        """The prompt shown now."""

    def login(self) -> Reply:
        """Banner and first prompt."""
        self.device.check_reboot()
        return Reply(self.device.login_banner(), self.prompt)

    def handle(self, line: str) -> Reply:
        """One line typed and Enter pressed."""
        self.last_input = time.time()
        if self.device.check_reboot():
            self.reset_modes()
        try:
            if self._question is not None:
                answer, self._question = self._question, None
                self._question_echo = True
                return answer(line)
            return self.execute(line)
        except Exception:
            # A simulator bug must not kill the login. The line is not logged: it may
            # hold a secret (`enable secret ...`).
            log.exception("%s: the CLI simulator failed on a command", self.device.state.name)
            return Reply(self.failure_text, self.prompt)

    failure_text = "% Command failed\n"

    def ask(
        self, output: str, question: str, answer: Callable[[str], Reply], *, echo: bool = True
    ) -> Reply:
        """Print ``output``, then ``question`` as the prompt; ``answer`` gets the reply."""
        self._question = answer
        self._question_echo = echo
        return Reply(output, question, echo=echo)

    @property
    def waiting(self) -> bool:
        return self._question is not None

    @abstractmethod
    def execute(self, line: str) -> Reply:
        """Handle a command line (no question pending)."""

    def sign_in(self, username: str) -> None:  # noqa: B027 - optional hook
        """``username`` logged in: take the privilege level the device's configuration gives
        that local user (IOS ``username NAME privilege N``, VRP ``local-user NAME privilege
        level N``); a user the configuration does not name keeps the session's level."""

    def reset_modes(self) -> None:  # noqa: B027 - optional hook
        """Back to the starting mode after a reboot."""

    def ctrl_z(self) -> Reply:
        return Reply("", self.prompt)

    def ctrl_c(self) -> Reply:
        self._question = None
        return Reply("", self.prompt, mark="^C")

    def help_grammar(self, line: str) -> tuple[Grammar, int] | None:
        """The command table that applies to ``line`` and where its words start."""
        return None

    unknown_help = "% Unrecognized command"

    def help(self, line: str) -> str | None:
        """`?` help for ``line`` typed so far; None means `?` is an ordinary character."""
        found = self.help_grammar(line)
        if found is None:
            return None
        grammar, offset = found
        words = grammar.completions(line[offset:])
        if not words:
            return self.unknown_help
        return "\n".join(f"  {w}" for w in words)

    def complete(self, line: str) -> str | None:
        """Tab: ``line`` with its last word completed, if exactly one keyword fits."""
        found = self.help_grammar(line)
        if found is None or not line.strip() or line.endswith(" "):
            return None
        grammar, offset = found
        keywords = [w for w in grammar.completions(line[offset:]) if not w.startswith("<")]
        if len(keywords) != 1:
            return None
        last = line.split()[-1]
        return line[: len(line) - len(last)] + keywords[0] + " "

    @property
    def more_prompt(self) -> str:
        return " --More-- "

    def run(self, line: str) -> str:
        """Test helper: the output and the next prompt, as one string."""
        reply = self.handle(line)
        out = reply.output
        if out and not out.endswith("\n"):
            out += "\n"
        return out + reply.prompt


@dataclass
class Frame:
    """One configuration mode entered in a session: its mode (which command table), the
    path of section lines from the top, and (VRP) the view name its prompt shows."""

    mode: str
    path: list[str]
    view: str = ""


SessionT = TypeVar("SessionT", bound=CliSession)

# A configuration command's handler, one signature for every vendor: the session it runs
# in, the matched line, whether it is negated (`no` / `undo`), the section it applies to
# and its words in canonical spelling. Each vendor's ``handlers.py`` maps the actions of
# its command tables (``Spec.action``) to these.
ConfigHandler: TypeAlias = Callable[[SessionT, Match, bool, ConfigNode, list[str]], Reply]
