"""The Huawei VRP box: its current and saved configuration, its files, the sessions opened
on it, and ``DeviceState`` following its configuration.
"""

from __future__ import annotations

import time

from lab.device.base import (
    FileEntry,
    InterfaceSettings,
    TreeDevice,
    interface_settings_from,
)
from lab.device.config import VRP_DIALECT, starts_with
from lab.device.editing import ConfigEditor
from lab.device.huawei_vrp.grammar import CATALOG, CHILD_RANK, TOP_RANK
from lab.device.huawei_vrp.model import flash_path, render_initial
from lab.device.huawei_vrp.session import VrpSession
from lab.state import DeviceState


class VrpDevice(TreeDevice):
    """A Huawei VRP box."""

    platform = "huawei_vrp"
    dialect = VRP_DIALECT
    catalog = CATALOG

    def __init__(
        self,
        state: DeviceState,
        config_text: str | None = None,
        *,
        enable_secret: str | None = None,
    ) -> None:
        text = config_text or render_initial(state)
        super().__init__(state, text, enable_secret=enable_secret)
        self.startup_file = "vrpcfg.zip"
        self.next_startup = "vrpcfg.zip"
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

    def vpn_exists(self, name: str) -> bool:
        return self.config.find(f"ip vpn-instance {name}") is not None

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
