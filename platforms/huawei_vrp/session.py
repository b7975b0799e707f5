"""Huawei VRP sessions: a Netmiko ``huawei`` driver that reads until the prompt, and the
configuration session.

Imported only when a device is connected (it loads Netmiko and paramiko).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from netmiko.huawei.huawei import HuaweiSSH

from platforms.connection import (
    CliConfigSession,
    NoticesClose,
    checkpoint_name,
    greeted,
    login_secrets,
    open_netmiko,
    where,
)
from platforms.network import ConfigSession, ConnectParams

# A prompt is a line of its own at the end of what was read (no whitespace inside).
VRP_PROMPT = r"^(?:<[^<>\s]+>|\[[^\[\]\s]+\])[ \t]*$"


class FastHuaweiSSH(NoticesClose, HuaweiSSH):
    """Netmiko's ``huawei`` driver, reading until the prompt instead of waiting for silence."""

    def session_preparation(self) -> None:
        self.ansi_escape_codes = True
        self.set_base_prompt()
        self.disable_paging(command="screen-length 0 temporary")
        self.read_until_pattern(pattern=VRP_PROMPT, re_flags=re.M)

    def check_config_mode(
        self, check_string: str = "]", pattern: str = "", force_regex: bool = False
    ) -> bool:
        self.write_channel(self.RETURN)
        output = self.read_until_pattern(pattern=VRP_PROMPT, re_flags=re.M)
        last = output.strip().splitlines()[-1] if output.strip() else ""
        return check_string in last

    def cleanup(self, command: str = "quit") -> None:
        # One `quit` per level is what the device needs; closing the socket does the rest.
        self.write_channel("return" + self.RETURN + command + self.RETURN)


@dataclass
class VrpSession(CliConfigSession):
    """Huawei VRP: checkpoint by ``save NAME.cfg``, rollback by
    ``rollback configuration to file NAME.cfg``."""

    prompt: ClassVar[str] = VRP_PROMPT
    # VRP prints ``[V200R010C00SPC600]`` first: only this device's own prompt ends output.
    host_prompt: ClassVar[str] = r"^[<\[]{host}(?:-[^\]\s]*)?[>\]][ \t]*$"
    enter_config: ClassVar[str] = "system-view"
    leave_config: ClassVar[str] = "return"
    error: ClassVar[str] = r"^Error:"
    show_running: ClassVar[str] = "display current-configuration"
    save_command: ClassVar[str] = "save"

    def checkpoint(self) -> str:
        name = checkpoint_name()
        self.run_checked(f"save {name}", timeout=120)
        return name

    def rollback(self, checkpoint: str) -> None:
        self.run_checked(f"rollback configuration to file {checkpoint}", timeout=300)


def connect(device_type: str, params: ConnectParams) -> ConfigSession:
    """An open session to a VRP device."""
    conn = open_netmiko(FastHuaweiSSH, device_type, params)
    return greeted(VrpSession(conn, where(params), login_secrets(params)))
