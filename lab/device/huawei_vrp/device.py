"""The Huawei VRP box: its current and saved configuration, its files, the sessions opened
on it, and ``DeviceState`` following its configuration.
"""

from __future__ import annotations

import re
import time

from lab.device.base import (
    FileEntry,
    InterfaceSettings,
    TreeDevice,
    interface_settings_from,
    secret_matches,
)
from lab.device.config import VRP_DIALECT, starts_with
from lab.device.editing import ConfigEditor
from lab.device.huawei_vrp.grammar import CATALOG, CHILD_RANK, TOP_RANK, USER_VIEW_LEVELS
from lab.device.huawei_vrp.model import (
    VRP_AUTH,
    VRP_PRIV,
    add_interfaces,
    cipher_of,
    flash_path,
    pick_model,
    render_initial,
)
from lab.device.huawei_vrp.session import VrpSession
from lab.snmp.usm import UsmError, V3User
from lab.state import DeviceState

USM_KEY_WORDS = ("authentication-mode", "privacy-mode")


class VrpDevice(TreeDevice):
    """A Huawei VRP box."""

    platform = "huawei_vrp"
    oui = "00:e0:fc"  # Huawei's
    dialect = VRP_DIALECT
    catalog = CATALOG

    def __init__(
        self,
        state: DeviceState,
        config_text: str | None = None,
        *,
        enable_secret: str | None = None,
    ) -> None:
        self.model = pick_model(state)
        add_interfaces(state, self.model)
        text = config_text or render_initial(state, self.model)
        # (user, authentication-mode|privacy-mode) -> (protocol word, key): VRP shows only
        # a cipher of the key; the agent needs the key itself
        self.usm_keys: dict[tuple[str, str], tuple[str, str]] = {}
        self.community_ciphers: dict[str, str] = {}  # cipher shown -> community
        for user in state.snmp_users or ():
            auth = next(k for k, v in VRP_AUTH.items() if v == user.auth_protocol)
            self.usm_keys[(user.name, "authentication-mode")] = (auth, user.auth_password)
            if user.priv_protocol and user.priv_password:
                priv = next(k for k, v in VRP_PRIV.items() if v == user.priv_protocol)
                self.usm_keys[(user.name, "privacy-mode")] = (priv, user.priv_password)
        for community in state.snmp_communities or ():
            self.community_ciphers[cipher_of("community", community)] = community
        super().__init__(state, text, enable_secret=enable_secret)
        if not state.sys_descr.startswith("Huawei Versatile Routing Platform"):
            state.sys_descr = (
                f"{self.model.version_head}\nHuawei {self.model.board} {self.model.kind}"
            )
        self.startup_file = "vrpcfg.zip"
        self.next_startup = "vrpcfg.zip"
        self.files[flash_path(self.startup_file)] = FileEntry(self.boot_config)
        self.editor = ConfigEditor(
            lambda: self.config,
            negation="undo",
            top_rank=TOP_RANK,
            child_rank=CHILD_RANK,
            two_word_groups=("ip", "ipv6", "info-center", "ntp-service", "ssh", "dns", "header"),
            indent_top_leaf=lambda w: (
                not starts_with(w, ["ip", "route-static"])
                and not starts_with(w, ["ipv6", "route-static"])
            ),
        )

    def open_session(self, *, privileged: bool = False) -> VrpSession:
        return VrpSession(self, privileged=privileged)

    def is_switch_port(self, name: str) -> bool:
        """A switch's layer-2 front port (not its management port)."""
        return self.model.switch and CATALOG.is_physical(name) and not name.startswith("MEth")

    def vpn_exists(self, name: str) -> bool:
        return self.config.find(f"ip vpn-instance {name}") is not None

    def _local_user(self, username: str) -> list[list[str]]:
        """The words of every ``local-user NAME ...`` line under ``aaa``."""
        return [
            child.words
            for node in self.config.sections("aaa")
            for child in node.children
            if child.words[:2] == ["local-user", username]
        ]

    def user_level(self, username: str) -> int | None:
        """``local-user NAME privilege level N`` under ``aaa``: N; None when the
        configuration gives that user no level."""
        for w in self._local_user(username):
            if w[2:4] == ["privilege", "level"]:
                return int(w[4]) if len(w) > 4 and w[4].isdigit() else None
        return None

    def accepts_login(self, username: str, password: str) -> bool:
        """``local-user NAME password irreversible-cipher $1c$HASH$``, the digest the twin
        stores for a typed password (salted with the user's name)."""
        for w in self._local_user(username):
            if w[2:4] == ["password", "irreversible-cipher"] and len(w) > 4:
                m = re.fullmatch(r"\$1c\$([^$]+)\$", w[4])
                return m is not None and secret_matches(password, username, m[1])
        return False

    def command_level(self, words: list[str]) -> int:
        """The level a user-view command needs: a ``command-privilege level N view shell``
        line whose command starts ``words``, else the default (``USER_VIEW_LEVELS``)."""
        for node in self.config.top:
            w = node.words
            shell = w[:2] == ["command-privilege", "level"] and w[3:5] == ["view", "shell"]
            if shell and w[2].isdigit() and len(w) > 5 and words[: len(w) - 5] == w[5:]:
                return int(w[2])
        return next((n for k, n in USER_VIEW_LEVELS.items() if tuple(words[: len(k)]) == k), 1)

    def sync_state(self) -> None:
        """Interfaces and sysname (``TreeDevice``), then what the SNMP agent answers, from
        the `snmp-agent` lines: communities (when sys-info version allows v2c), sys-info
        contact and location, and the v3 users of a configured group with their keys."""
        super().sync_state()
        lines = [n.words for n in self.config.sections("snmp-agent")]
        state = self.state
        enabled = ["snmp-agent"] in lines
        versions = {v for w in lines if w[1:3] == ["sys-info", "version"] for v in w[3:]}
        v2c = enabled and bool({"v2c", "all"} & versions)  # VRP's default: v3 only
        communities: set[str] = set()
        groups: set[str] = set()
        members: dict[str, str] = {}
        contact = location = ""
        for w in lines:
            if w[1:2] == ["community"] and len(w) > 3:
                name = self.community_ciphers.get(w[4], "") if w[3] == "cipher" else w[3]
                if name:
                    communities.add(name)
            elif w[1:3] == ["group", "v3"] and len(w) > 3:
                groups.add(w[3])
            elif w[1:3] == ["usm-user", "v3"] and len(w) > 4 and w[4] not in USM_KEY_WORDS:
                members[w[3]] = w[5] if w[4] == "group" and len(w) > 5 else w[4]
            elif w[1:3] == ["sys-info", "contact"]:
                contact = " ".join(w[3:])
            elif w[1:3] == ["sys-info", "location"]:
                location = " ".join(w[3:])
        users: list[V3User] = []
        for name, group in members.items():
            auth = self.usm_keys.get((name, "authentication-mode"))
            priv = self.usm_keys.get((name, "privacy-mode"))
            if not enabled or group not in groups or auth is None:
                continue
            try:
                users.append(
                    V3User(
                        name,
                        VRP_AUTH[auth[0]],
                        auth[1],
                        VRP_PRIV.get(priv[0]) if priv else None,
                        priv[1] if priv else None,
                    )
                )
            except (KeyError, UsmError):
                continue
        state.snmp_communities = frozenset(communities) if v2c else frozenset()
        state.snmp_users = tuple(users)
        state.sys_contact, state.sys_location = contact, location

    def configured_hostname(self) -> str | None:
        for node in self.config.sections("sysname"):
            if len(node.words) > 1:
                return node.words[1]
        return "Huawei"

    def login_banner(self) -> str:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S+07:00", time.gmtime(time.time() + 7 * 3600))
        head = ""
        node = next(iter(self.config.sections("header", "shell", "information")), None)
        if node is not None:
            head = node.text.split(None, 3)[3].strip('"') + "\n"
        return (
            f"\n{head}Info: The max number of VTY users is 10, and the number\n"
            "      of current VTY users on line is 1.\n"
            f"      The current login time is {stamp}.\n"
        )

    def interface_settings(self, name: str) -> InterfaceSettings:
        node = self.config.find(f"interface {name}")
        if node is None:
            return InterfaceSettings()
        settings = interface_settings_from(node.children, "sub")
        # VRP keeps IPv6 addresses configured but inactive until `ipv6 enable`.
        if not settings.ipv6_enabled:
            settings.ipv6 = []
        return settings

    def save_to(self, name: str) -> None:
        text = self.running_config()
        self.files[flash_path(name)] = FileEntry(text)
        if name == self.next_startup:
            self.startup = text
            self.changed_since_save = False
