"""Cisco IOS / IOS XE sessions: Netmiko's ``cisco_ios`` driver and the configuration session.

Imported only when a device is connected (it loads Netmiko and paramiko).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from netmiko.cisco.cisco_ios import CiscoIosSSH

from platforms.connection import (
    CliConfigSession,
    NoticesClose,
    checkpoint_name,
    greeted,
    login_secrets,
    mask,
    open_netmiko,
    transport_errors,
    where,
)
from platforms.network import ConfigSession, ConnectParams, DeviceError

# A prompt is a line of its own at the end of what was read (no whitespace inside).
IOS_PROMPT = r"^[^\s#>()]+(?:\([^)\s]*\))?[#>][ \t]*$"


class QuickIosSSH(NoticesClose, CiscoIosSSH):
    """Netmiko's ``cisco_ios`` driver with a logout that does not read back."""

    def cleanup(self, command: str = "exit") -> None:
        self.write_channel("end" + self.RETURN + command + self.RETURN)


@dataclass
class IosSession(CliConfigSession):
    """Cisco IOS / IOS XE: checkpoint by ``copy running-config``, rollback by
    ``configure replace ... force``."""

    filesystem: str = "flash:"

    prompt: ClassVar[str] = IOS_PROMPT
    host_prompt: ClassVar[str] = r"^{host}(?:\([^)\s]*\))?[#>][ \t]*$"
    enter_config: ClassVar[str] = "configure terminal"
    leave_config: ClassVar[str] = "end"
    error: ClassVar[str] = r"^%"
    not_error: ClassVar[str] = (
        r"^%\s*(?:The key modulus|Generating \d+ bit|Warning"
        r"|Interface \S+ IPv[46] disabled and address\(es\) removed)"  # vrf forwarding
    )
    show_running: ClassVar[str] = "show running-config"
    save_command: ClassVar[str] = "write memory"

    def checkpoint(self) -> str:
        name = f"{self.filesystem}{checkpoint_name()}"
        self.run_checked(f"copy running-config {name}", timeout=120)
        return name

    def rollback(self, checkpoint: str) -> None:
        text = self.run_checked(f"configure replace {checkpoint} force", timeout=300)
        if "Rollback Done" not in text and "rollback done" not in text.lower():
            raise DeviceError(
                f"{self.where}: configure replace không xác nhận (did not confirm)",
                mask(text, self.known_secrets),
            )


@dataclass
class ReadOnlyIosSession(IosSession):
    """A privilege-1 login: IOS's ``show running-config`` shows such a user only the lines
    they may configure (a blank configuration), so the whole one is read from the file
    system (``file privilege 1`` on the device lets level 1 read it)."""

    show_running: ClassVar[str] = "more system:running-config"


def connect(device_type: str, params: ConnectParams, filesystem: str) -> ConfigSession:
    """An open session to an IOS / IOS XE device, in privileged mode (a read-only account:
    in user EXEC)."""
    conn = open_netmiko(QuickIosSSH, device_type, params)
    if params.read_only:
        where_, secrets = where(params), login_secrets(params)
        return greeted(ReadOnlyIosSession(conn, where_, secrets, filesystem=filesystem))
    session = IosSession(conn, where(params), login_secrets(params), filesystem=filesystem)
    try:
        if not conn.check_enable_mode():
            conn.enable()
    except transport_errors(OSError, ValueError) as exc:
        session.close()
        raise DeviceError(
            f"{where(params)}: không vào được chế độ enable (cannot enter enable mode): "
            f"{type(exc).__name__}"
        ) from None
    return greeted(session)
