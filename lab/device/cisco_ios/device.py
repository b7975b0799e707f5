"""The Cisco IOS box: its running and saved configuration, its files and archives, the
sessions opened on it, and ``DeviceState`` following its configuration.
"""

from __future__ import annotations

import hmac
import re
import time
from dataclasses import dataclass

from lab.device.base import (
    FileEntry,
    InterfaceSettings,
    TreeDevice,
    fake_hash,
    hash_secret,
    interface_settings_from,
    secret_matches,
)
from lab.device.cisco_ios.grammar import CATALOG, CHILD_RANK, ROUTER, SWITCH, TOP_RANK
from lab.device.cisco_ios.model import (
    V3_GROUP,
    add_ports,
    pick_model,
    render_initial,
    sys_descr,
)
from lab.device.cisco_ios.session import IosSession
from lab.device.config import IOS_DIALECT
from lab.device.editing import ConfigEditor
from lab.device.grammar import Spec
from lab.snmp.usm import V3User
from lab.state import DeviceState

# a type 9 secret as the twin stores it: `$9$SALT$HASH`
_TWIN_SECRET = re.compile(r"\$9\$([^$]+)\$([^$]+)")


@dataclass(frozen=True)
class PendingRevert:
    """A change made under a revert timer (`configure replace ... timer N`, `configure
    terminal revert timer N`): the configuration to go back to unless confirmed."""

    snapshot: str
    minutes: int
    user: str
    started: float

    def due(self, now: float) -> bool:
        return now - self.started >= self.minutes * 60


class IosDevice(TreeDevice):
    """A Cisco IOS box (routers and Catalyst switches)."""

    platform = "cisco_ios"
    oui = "00:00:0c"  # Cisco's
    dialect = IOS_DIALECT
    catalog = CATALOG
    xe = False

    def __init__(
        self,
        state: DeviceState,
        config_text: str | None = None,
        *,
        enable_secret: str | None = None,
    ) -> None:
        self.model = pick_model(state, self.xe)
        if self.model.switch:
            add_ports(state, self.model)
        self.grammars = SWITCH if self.model.switch else ROUTER
        text = config_text or render_initial(state, self.xe, enable_secret is not None)
        # user -> (group, keys); not in the running configuration, as on IOS
        self.snmp_users: dict[str, tuple[str, V3User | None]] = {
            u.name: (V3_GROUP, u) for u in state.snmp_users or ()
        }
        super().__init__(state, text, enable_secret=enable_secret)
        if not state.sys_descr.startswith(("Cisco IOS Software", "Cisco IOS XE Software")):
            state.sys_descr = sys_descr(self.model)
        self.archive_next = 1
        self.archives: list[str] = []
        self.pending: PendingRevert | None = None
        self.flash_name = "bootflash:" if self.xe else "flash:"
        self.editor = ConfigEditor(
            lambda: self.config,
            negation="no",
            top_rank=TOP_RANK,
            child_rank=CHILD_RANK,
            two_word_groups=(
                "ip",
                "ipv6",
                "logging",
                "snmp-server",
                "line",
                "router",
                "aaa",
                "service",
            ),
        )

    def open_session(self, *, privileged: bool = False) -> IosSession:
        return IosSession(self, privileged=privileged)

    def user_privilege(self, username: str) -> int | None:
        """``username NAME privilege N``: N (1 when the line gives no level, as on IOS);
        None when the configuration has no such user."""
        for node in self.config.top:
            words = node.words
            if words[:2] == ["username", username]:
                at = words.index("privilege") if "privilege" in words else -1
                return int(words[at + 1]) if 0 <= at < len(words) - 1 else 1
        return None

    def accepts_login(self, username: str, password: str) -> bool:
        """``username NAME ... secret 9 $9$SALT$HASH`` (what the twin stores for a typed
        secret) or ``password 0 TEXT``; a hash the twin did not make never matches."""
        for node in self.config.top:
            words = node.words
            if words[:2] != ["username", username]:
                continue
            if "secret" in words:
                stored = words[words.index("secret") + 1 :][-1:]
                m = _TWIN_SECRET.fullmatch(stored[0]) if stored else None
                return m is not None and secret_matches(password, m[1], m[2])
            at = words.index("password") if "password" in words else -1
            if at >= 0 and words[at + 1 : at + 2] == ["0"]:
                typed = " ".join(words[at + 2 :]).encode()
                return hmac.compare_digest(typed, password.encode())
            return False
        return False

    def file_privilege(self) -> int:
        """``file privilege N``: the level file commands (``more``) need; 15 by default."""
        node = next((n for n in self.config.top if n.words[:2] == ["file", "privilege"]), None)
        return int(node.words[2]) if node is not None and len(node.words) > 2 else 15

    def lowered(self, words: list[str], level: int) -> bool:
        """Whether ``privilege exec level N COMMAND`` (N <= ``level``) lets ``words`` run."""
        for node in self.config.top:
            w = node.words
            lowers = w[:3] == ["privilege", "exec", "level"] and len(w) > 4 and w[3].isdigit()
            if lowers and int(w[3]) <= level and words[: len(w) - 4] == w[4:]:
                return True
        return False

    def set_enable_secret(self, secret: str) -> None:
        """Require ``secret`` for `enable`; the config shows a hash of it, as IOS does."""
        self.enable_secret = secret
        salt = fake_hash("salt", self.state.name)[:14]
        words = ["enable", "secret", "9", f"$9${salt}${hash_secret(secret, salt)}"]
        self.editor.set_leaf(
            words, Spec(("enable",), "set", key=2), False, self.config.root, "config"
        )
        self.boot_config = self.config.render()
        if not self.changed_since_save:
            self.startup = self.boot_config

    def vrf_exists(self, name: str) -> bool:
        config = self.config
        return config.find(f"vrf definition {name}") is not None or (
            config.find(f"ip vrf {name}") is not None
        )

    def sync_state(self) -> None:
        """Interfaces and hostname (``TreeDevice``), then what the SNMP agent answers:
        `snmp-server community`, `location`, `contact`, and the v3 users whose group
        is configured."""
        super().sync_state()
        state = self.state
        communities: set[str] = set()
        groups: set[str] = set()
        location = contact = ""
        for node in self.config.sections("snmp-server"):
            w = node.words
            if w[1:2] == ["community"] and len(w) > 2:
                communities.add(w[2])
            elif w[1:2] == ["group"] and len(w) > 2:
                groups.add(w[2])
            elif w[1:2] == ["location"]:
                location = node.text.split(None, 2)[2] if len(w) > 2 else ""
            elif w[1:2] == ["contact"]:
                contact = node.text.split(None, 2)[2] if len(w) > 2 else ""
        state.snmp_communities = frozenset(communities)
        state.snmp_users = tuple(
            user for group, user in self.snmp_users.values() if user is not None and group in groups
        )
        state.sys_location, state.sys_contact = location, contact

    def configured_hostname(self) -> str | None:
        for node in self.config.sections("hostname"):
            if len(node.words) > 1:
                return node.words[1]
        return None

    def login_banner(self) -> str:
        out = []
        for kind in ("motd", "exec"):
            node = self.config.find(f"banner {kind}")
            if node is not None and node.banner is not None:
                out.append(node.banner.strip("\n"))
        return "\n".join(out) + "\n" if out else "\n"

    def interface_settings(self, name: str) -> InterfaceSettings:
        node = self.config.find(f"interface {name}")
        if node is None:
            return InterfaceSettings()
        return interface_settings_from(node.children, "secondary")

    # -- files and archives ---------------------------------------------------
    def normalize_file(self, name: str) -> str:
        """``flash:/x``, ``flash:x`` and ``x`` -> ``flash:x`` (``bootflash:`` on IOS-XE)."""
        name = name.replace(":/", ":")
        if ":" not in name:
            name = self.flash_name + name
        if name.startswith(("flash:", "bootflash:")):
            name = self.flash_name + name.split(":", 1)[1]
        return name

    def file_key(self, path: str) -> str | None:
        key = self.normalize_file(path)
        return key if key.startswith(self.flash_name) else None

    def is_directory(self, path: str) -> bool:
        key = self.file_key(path)
        if key is None:
            return False
        folder = key[len(self.flash_name) :].strip("/")
        return not folder or any(k.startswith(f"{self.flash_name}{folder}/") for k in self.files)

    def display_path(self, key: str) -> str:
        """``flash:x`` as IOS prints it: ``flash:/x``."""
        fs, _, rest = key.partition(":")
        return f"{fs}:/{rest}"

    def scp_enabled(self) -> bool:
        return self.config.find("ip scp server enable") is not None

    def prompts_quiet(self) -> bool:
        """`file prompt quiet`: copy and delete ask nothing."""
        return self.config.find("file prompt quiet") is not None

    def read_file(self, name: str) -> str | None:
        """A file's text; ``running-config``, ``startup-config`` and ``null:`` included."""
        key = self.normalize_file(name).lower()
        if key in ("nvram:startup-config", "flash:startup-config", "bootflash:startup-config"):
            return self.startup
        if key in ("system:running-config", "flash:running-config", "bootflash:running-config"):
            return self.running_config()
        if key == "null:":
            return ""
        entry = self.files.get(self.normalize_file(name))
        return entry.content if entry else None

    def archive_path(self) -> str | None:
        node = self.config.find("archive")
        if node is None:
            return None
        for child in node.children:
            if child.words[:1] == ["path"] and len(child.words) > 1:
                return child.text.split(None, 1)[1]
        return None

    def archive_maximum(self) -> int:
        node = self.config.find("archive")
        if node is not None:
            for child in node.children:
                if child.words[:1] == ["maximum"] and len(child.words) > 1:
                    return int(child.words[1])
        return 10

    def archive_name(self, number: int) -> str:
        path = self.archive_path() or ""
        path = path.replace("$h", self.hostname())
        path = path.replace("$t", time.strftime("%b-%d-%H-%M-%S.000-UTC", time.gmtime()))
        return self.normalize_file(f"{path}-{number}")

    def make_archive(self) -> str | None:
        if self.archive_path() is None:
            return None
        name = self.archive_name(self.archive_next)
        self.archive_next += 1
        self.files[name] = FileEntry(self.running_config())
        self.archives.append(name)
        maximum = self.archive_maximum()
        while len(self.archives) > maximum:
            old = self.archives.pop(0)
            self.files.pop(old, None)
        return name

    def start_revert_timer(self, minutes: int, user: str, snapshot: str | None = None) -> None:
        self.pending = PendingRevert(
            snapshot if snapshot is not None else self.running_config(),
            minutes,
            user,
            time.time(),
        )

    def revert(self) -> None:
        """Back to the configuration saved when the revert timer started."""
        if self.pending is not None:
            self.replace_config(self.pending.snapshot)
            self.pending = None

    def check_revert_timer(self) -> None:
        """The timer ran out without `configure confirm`: IOS rolls back by itself (checked
        when the box is next used, which a client cannot tell apart)."""
        if self.pending is not None and self.pending.due(time.time()):
            self.revert()

    def write_memory(self) -> None:
        self.save()
        node = self.config.find("archive")
        if node is not None and node.child("write-memory") is not None:
            self.make_archive()
