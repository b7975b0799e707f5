"""Cisco TelePresence (xAPI over SSH) sessions: Netmiko's ``cisco_tp`` driver without its
silence waits, and the configuration session.

Imported only when a device is connected (it loads Netmiko and paramiko).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from netmiko.cisco.cisco_tp_tcce import CiscoTpTcCeSSH

from platforms.connection import (
    CliConfigSession,
    NoticesClose,
    checkpoint_name,
    login_secrets,
    open_netmiko,
    transport_errors,
    where,
)
from platforms.network import ConfigSession, ConnectParams, DeviceError

# Every xAPI answer ends with one of these lines.
TP_END = r"^(?:OK|ERROR|Command not recognized\.)[ \t]*$"
_TP_LINE = re.compile(r"^\*c xConfiguration (?P<path>[^:]+): ?(?P<value>.*)$")


class FastCiscoTpSSH(NoticesClose, CiscoTpTcCeSSH):
    """Netmiko's ``cisco_tp`` driver without its silence waits on login and logout (2 s),
    nor the 0.1 s Netmiko sleeps after its first RETURN: ``session_preparation`` reads
    until the endpoint answers."""

    def _try_session_preparation(self, force_data: bool = True) -> None:
        try:
            if force_data:
                self.write_channel(self.RETURN)
            self.session_preparation()
        except Exception:
            self.disconnect()
            raise

    def session_preparation(self) -> None:
        self.read_until_pattern(pattern=TP_END, re_flags=re.M, read_timeout=20)
        self.set_base_prompt()

    def cleanup(self, command: str = "bye") -> None:
        self.write_channel(command + self.RETURN)


@dataclass
class TpSession(CliConfigSession):
    """Cisco TelePresence (xAPI): no configuration mode, every setting persists at once;
    a checkpoint is the ``xConfiguration`` listing read back, a rollback writes it back."""

    prompt: ClassVar[str] = TP_END
    error: ClassVar[str] = r"^(?:\*r .*\(status=Error\)|ERROR$|Command not recognized\.)"
    show_running: ClassVar[str] = "xConfiguration"
    checkpoints: dict[str, list[str]] = field(default_factory=dict)

    def strip(self, output: str, command: str) -> str:
        lines = output.replace("\r", "").split("\n")
        if lines and lines[0].strip() == command.strip():
            lines = lines[1:]
        while lines and (not lines[-1].strip() or re.search(TP_END, lines[-1])):
            lines.pop()
        if lines and lines[-1].strip() == "** end":
            lines.pop()
        return "\n".join(lines)

    def show_many(self, commands: Sequence[str]) -> dict[str, str]:
        """``commands`` written at once, their answers read in turn (``PipelinedSession``):
        the xAPI runs the commands of its input one after another and ends each answer
        with its own ``OK``/``ERROR``/``Command not recognized.`` line, which is how
        control systems drive it over SSH; one round trip instead of one per command. An
        answer is cut at its closing line, whatever echo arrives around it."""
        outputs: dict[str, str] = {}
        end = re.compile(self.prompt, re.M)
        deadline = time.monotonic() + self.read_timeout
        try:
            self.conn.write_channel("".join(c + self.conn.RETURN for c in commands))
            for command in commands:
                answer = self.read_until(end, deadline).lstrip("\r\n")
                outputs[command] = self.strip(answer, command)
        except DeviceError:
            pass  # the session broke or stayed silent: what was answered is returned
        except transport_errors(OSError, EOFError):
            pass
        return outputs

    def running_config(self) -> str:
        text = self.show(self.show_running)
        return "\n".join(ln for ln in text.split("\n") if ln.startswith("*c ")) + "\n"

    def checkpoint(self) -> str:
        name = checkpoint_name()
        self.checkpoints[name] = self.running_config().splitlines()
        return name

    def rollback(self, checkpoint: str) -> None:
        stored = self.checkpoints.get(checkpoint)
        if stored is None:
            raise DeviceError(f"{self.where}: không có điểm khôi phục (no checkpoint) {checkpoint}")
        now = set(self.running_config().splitlines())
        writes = []
        for line in stored:
            m = _TP_LINE.match(line)
            if m is None or line in now or m.group("value") == '"***"':
                continue  # unchanged, or a secret the endpoint never shows
            writes.append(f"xConfiguration {m.group('path')}: {m.group('value')}")
        self.push(writes)

    def save(self) -> None:
        """Nothing to do: an endpoint stores every xConfiguration change at once."""


def connect(device_type: str, params: ConnectParams) -> ConfigSession:
    """An open xAPI session to a Cisco TelePresence endpoint."""
    conn = open_netmiko(FastCiscoTpSSH, device_type, params)
    return TpSession(conn, where(params), login_secrets(params))
