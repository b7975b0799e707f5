"""Netmiko connections and the :class:`~platforms.network.ConfigSession` implementations.

Every exchange reads until the device's prompt (or a question it asks), never until a
silence: Netmiko 4.8's stock ``huawei`` driver checks the configuration mode by waiting
for 2 s of silence, four times per ``send_config_set`` and once more on disconnect
(:class:`FastHuaweiSSH` reads until the prompt instead). Configuration is pushed one line
at a time; the first line the device refuses stops the push with a :class:`DeviceError`
holding the device's text (secrets masked) and the session is left usable (out of
configuration mode).
"""

from __future__ import annotations

import contextlib
import re
import secrets as random_tokens
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from netmiko import BaseConnection, ConnectHandler
from netmiko.cisco.cisco_ios import CiscoIosSSH
from netmiko.cisco.cisco_tp_tcce import CiscoTpTcCeSSH
from netmiko.exceptions import NetmikoBaseException
from netmiko.huawei.huawei import HuaweiSSH
from paramiko import Channel
from paramiko.ssh_exception import SSHException

from platforms.network import ConfigSession, ConnectParams, DeviceError

MASK = "********"

# A prompt is a line of its own at the end of what was read (no whitespace inside).
VRP_PROMPT = r"^(?:<[^<>\s]+>|\[[^\[\]\s]+\])[ \t]*$"
IOS_PROMPT = r"^[^\s#>()]+(?:\([^)\s]*\))?[#>][ \t]*$"
TP_END = r"^(?:OK|ERROR|Command not recognized\.)[ \t]*$"
# Questions a device asks in the middle of a command, and what provnet answers.
QUESTIONS: tuple[tuple[str, str], ...] = (
    (r"\[(?:Y/N|y/n)\]:?[ \t]*$", "y"),
    (r"\[yes/no\]:?[ \t]*$", "yes"),
    (r"\[confirm\][ \t]*$", ""),
    (r"\]\?[ \t]*$", ""),  # Destination filename [x]?
    (r"\? \[no\]:[ \t]*$", "y"),  # configure replace without force
)
_SECRET_WORDS = re.compile(
    r"(\b(?:secret|password|cipher|irreversible-cipher|simple|community|auth \S+|priv \S+"
    r"(?: \d+)?)\s+(?:\d\s+)?)\S+",
    re.IGNORECASE,
)


def mask(text: str, known: Sequence[str] = ()) -> str:
    """``text`` with the ``known`` secret values and what follows secret keywords masked."""
    for value in sorted((k for k in known if k), key=len, reverse=True):
        text = text.replace(value, MASK)
    return _SECRET_WORDS.sub(rf"\g<1>{MASK}", text)


# -- Netmiko classes ---------------------------------------------------------------------
class _NoticesClose(BaseConnection):
    """Reading a session the device closed raises at once (stock Netmiko reads nothing until
    its read timeout, 60 s here, when a device drops the session in the middle of a push)."""

    def read_channel(self) -> str:
        output = super().read_channel()
        channel = self.remote_conn
        if not output and channel is not None and getattr(channel, "closed", False):
            raise EOFError("the device closed the session")
        return output


class FastHuaweiSSH(_NoticesClose, HuaweiSSH):
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


class FastCiscoTpSSH(_NoticesClose, CiscoTpTcCeSSH):
    """Netmiko's ``cisco_tp`` driver without its 2 s silence waits on login and logout."""

    def session_preparation(self) -> None:
        self.read_until_pattern(pattern=TP_END, re_flags=re.M, read_timeout=20)
        self.set_base_prompt()

    def cleanup(self, command: str = "bye") -> None:
        self.write_channel(command + self.RETURN)


class QuickIosSSH(_NoticesClose, CiscoIosSSH):
    """Netmiko's ``cisco_ios`` driver with a logout that does not read back."""

    def cleanup(self, command: str = "exit") -> None:
        self.write_channel("end" + self.RETURN + command + self.RETURN)


def connect_kwargs(device_type: str, params: ConnectParams) -> dict[str, Any]:
    """Netmiko keyword arguments for ``params``; host keys checked unless ``known_hosts``
    is None."""
    kwargs: dict[str, Any] = {
        "device_type": device_type,
        "host": params.host,
        "port": params.port,
        "username": params.username,
        "password": params.password,
        "secret": params.secret,
        "conn_timeout": params.timeout,
        "auth_timeout": params.timeout,
        "banner_timeout": params.timeout,
        "read_timeout_override": None,
        "allow_agent": False,
        "use_keys": False,
    }
    if params.known_hosts is not None:
        kwargs |= {
            "ssh_strict": True,
            "system_host_keys": False,
            "alt_host_keys": True,
            "alt_key_file": params.known_hosts,
        }
    else:
        kwargs |= {"ssh_strict": False, "system_host_keys": False, "alt_host_keys": False}
    return kwargs


def open_netmiko(
    cls: type[BaseConnection], device_type: str, params: ConnectParams
) -> BaseConnection:
    """A connected Netmiko object; every failure a :class:`DeviceError` without secrets."""
    where = f"{params.host}:{params.port}"
    if params.known_hosts is not None and not Path(params.known_hosts).is_file():
        raise DeviceError(
            f"{where}: không có tệp known_hosts (known-hosts file missing): {params.known_hosts}"
        )
    try:
        return cls(**connect_kwargs(device_type, params))
    except (NetmikoBaseException, SSHException, OSError, ValueError, EOFError) as exc:
        text = mask(str(exc), [params.password, params.secret]).strip().splitlines()
        reason = next((ln for ln in reversed(text) if ln.strip()), type(exc).__name__)
        raise DeviceError(
            f"{where}: không kết nối được (cannot connect): {type(exc).__name__}: {reason}"
        ) from None


def stock_connect(device_type: str, params: ConnectParams) -> BaseConnection:
    """Netmiko's own class for ``device_type`` (for comparisons in bench/)."""
    return ConnectHandler(**connect_kwargs(device_type, params))


# -- sessions -----------------------------------------------------------------------------
@dataclass
class CliConfigSession:
    """A :class:`~platforms.network.ConfigSession` over a prompt-driven CLI (IOS, VRP)."""

    conn: BaseConnection
    where: str
    known_secrets: Sequence[str] = field(default=(), repr=False)
    read_timeout: float = 60.0
    host: str = ""  # the hostname in the prompt, kept current across `hostname`/`sysname`

    prompt: ClassVar[str] = IOS_PROMPT
    enter_config: ClassVar[str] = "configure terminal"
    leave_config: ClassVar[str] = "end"
    error: ClassVar[str] = r"^%"
    not_error: ClassVar[str] = (
        r"^%\s*(?:The key modulus|Generating \d+ bit|Warning"
        r"|Interface \S+ IPv[46] disabled and address\(es\) removed)"  # vrf forwarding
    )
    show_running: ClassVar[str] = "show running-config"
    save_command: ClassVar[str] = "write memory"

    # -- exchanges ---------------------------------------------------------------
    def exec_prompt(self) -> str:
        """The prompt of this very device (show output may hold prompt-looking lines:
        VRP prints ``[V200R010C00SPC600]`` first)."""
        if not self.host:
            return self.prompt
        host = re.escape(self.host)
        if self.prompt == VRP_PROMPT:
            return rf"^[<\[]{host}(?:-[^\]\s]*)?[>\]][ \t]*$"
        if self.prompt == IOS_PROMPT:
            return rf"^{host}(?:\([^)\s]*\))?[#>][ \t]*$"
        return self.prompt

    def learn_host(self, output: str) -> None:
        """Take the hostname from the exec-level prompt (``<R1>``, ``R1#``) ending ``output``."""
        tail = output.replace("\r", "").rstrip("\n").rsplit("\n", 1)[-1].strip()
        m = re.fullmatch(r"<([^<>\s]+)>|([^\s#>()<\[\]]+)[#>]", tail)
        if m and self.prompt != TP_END:
            self.host = m.group(1) or m.group(2)

    def exchange(
        self, line: str, *, timeout: float | None = None, prompt: str | None = None
    ) -> str:
        """Send one line; read until the prompt, answering the device's questions."""
        limit = timeout or self.read_timeout
        end = re.compile(
            f"(?:{prompt or self.exec_prompt()}|" + "|".join(q for q, _ in QUESTIONS) + ")", re.M
        )
        deadline = time.monotonic() + limit
        try:
            self.conn.write_channel(line + self.conn.RETURN)
            output = ""
            for _ in range(20):  # a command asks at most a few questions
                chunk = self.read_until(end, deadline)
                output += chunk
                answer = self._answer(chunk)
                if answer is None:
                    return output
                self.conn.write_channel(answer + self.conn.RETURN)
        except (NetmikoBaseException, SSHException, OSError, EOFError) as exc:
            raise DeviceError(
                f"{self.where}: phiên bị ngắt (session broke): {type(exc).__name__}",
                mask(str(exc)[-500:], self.known_secrets),
            ) from None
        raise DeviceError(f"{self.where}: thiết bị hỏi quá nhiều (too many questions)")

    def read_until(self, pattern: re.Pattern[str], deadline: float) -> str:
        """Read until ``pattern``; fail at once when the device closes the session and at
        ``deadline`` when it stays silent (Netmiko's own loop only knows the timeout)."""
        output = ""
        while True:
            output += self.conn.read_channel()
            m = pattern.search(output)
            if m:
                self.conn._read_buffer = output[m.end() :] + self.conn._read_buffer
                return output[: m.end()]
            if self._closed():
                raise DeviceError(
                    f"{self.where}: thiết bị đóng phiên (the device closed the session)",
                    mask(output[-500:], self.known_secrets),
                )
            if time.monotonic() > deadline:
                raise DeviceError(
                    f"{self.where}: hết thời gian chờ dấu nhắc (timed out waiting for the prompt)",
                    mask(output[-500:], self.known_secrets),
                )
            time.sleep(0.005)

    def _closed(self) -> bool:
        channel = getattr(self.conn, "remote_conn", None)
        if channel is None:
            return True
        if not isinstance(channel, Channel):
            return False
        if channel.closed or channel.eof_received:
            return not channel.recv_ready()
        transport = channel.get_transport()
        return transport is None or not transport.is_active()

    def _answer(self, chunk: str) -> str | None:
        tail = chunk.rstrip("\r\n").rsplit("\n", 1)[-1]
        if re.search(self.prompt, tail, re.M):
            return None
        for question, answer in QUESTIONS:
            if re.search(question, chunk):
                return answer
        return None

    def errors_in(self, output: str) -> list[str]:
        lines = [ln.strip() for ln in output.replace("\r", "").split("\n")]
        return [
            ln for ln in lines if re.search(self.error, ln) and not re.search(self.not_error, ln)
        ]

    def fail(self, what: str, output: str, errors: list[str]) -> DeviceError:
        shown = mask(what, self.known_secrets)
        return DeviceError(
            f"{self.where}: thiết bị từ chối (device refused) '{shown}': "
            + mask(" ".join(errors), self.known_secrets),
            mask(output, self.known_secrets),
        )

    def strip(self, output: str, command: str) -> str:
        """Output without the echoed command and the trailing prompt."""
        lines = output.replace("\r", "").split("\n")
        if lines and lines[0].strip() == command.strip():
            lines = lines[1:]
        if lines and re.search(self.prompt, lines[-1]):
            lines = lines[:-1]
        return "\n".join(lines)

    # -- ConfigSession ---------------------------------------------------------------
    def show(self, command: str) -> str:
        return self.strip(self.exchange(command), command)

    def running_config(self) -> str:
        return self.show(self.show_running)

    def push(self, commands: Sequence[str], *, secrets: Sequence[str] = ()) -> str:
        """Send ``commands`` in configuration mode; stop at the first refused line.

        ``secrets``: values to mask in errors besides the login secrets.
        """
        known = [*self.known_secrets, *secrets]
        out = [self.exchange(self.enter_config, prompt=self.prompt)]
        try:
            for command in commands:
                text = self.exchange(command, prompt=self.prompt)
                out.append(text)
                errors = self.errors_in(text)
                if errors:
                    saved, self.known_secrets = self.known_secrets, known
                    try:
                        raise self.fail(command, text, errors)
                    finally:
                        self.known_secrets = saved
        finally:
            out.append(self.exchange(self.leave_config, prompt=self.prompt))
            self.learn_host(out[-1])
        return mask("".join(out), known)

    def run_checked(self, command: str, timeout: float | None = None) -> str:
        text = self.exchange(command, timeout=timeout)
        errors = self.errors_in(text)
        if errors:
            raise self.fail(command, text, errors)
        return text

    def checkpoint(self) -> str:
        raise NotImplementedError

    def rollback(self, checkpoint: str) -> None:
        raise NotImplementedError

    def save(self) -> None:
        self.run_checked(self.save_command, timeout=120)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a broken session must not raise
            self.conn.disconnect()


def checkpoint_name() -> str:
    """``provnet-20261122T051500-1a2b3c.cfg``: unique, and a file name every OS accepts."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    return f"provnet-{stamp}-{random_tokens.token_hex(3)}.cfg"


@dataclass
class IosSession(CliConfigSession):
    """Cisco IOS / IOS XE: checkpoint by ``copy running-config``, rollback by
    ``configure replace ... force``."""

    filesystem: str = "flash:"

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
class VrpSession(CliConfigSession):
    """Huawei VRP: checkpoint by ``save NAME.cfg``, rollback by
    ``rollback configuration to file NAME.cfg``."""

    prompt: ClassVar[str] = VRP_PROMPT
    enter_config: ClassVar[str] = "system-view"
    leave_config: ClassVar[str] = "return"
    error: ClassVar[str] = r"^Error:"
    not_error: ClassVar[str] = r"^$"
    show_running: ClassVar[str] = "display current-configuration"
    save_command: ClassVar[str] = "save"

    def checkpoint(self) -> str:
        name = checkpoint_name()
        self.run_checked(f"save {name}", timeout=120)
        return name

    def rollback(self, checkpoint: str) -> None:
        self.run_checked(f"rollback configuration to file {checkpoint}", timeout=300)


_TP_LINE = re.compile(r"^\*c xConfiguration (?P<path>[^:]+): ?(?P<value>.*)$")


@dataclass
class TpSession(CliConfigSession):
    """Cisco TelePresence (xAPI): no configuration mode, every setting persists at once;
    a checkpoint is the ``xConfiguration`` listing read back, a rollback writes it back."""

    prompt: ClassVar[str] = TP_END
    error: ClassVar[str] = r"^(?:\*r .*\(status=Error\)|ERROR$|Command not recognized\.)"
    not_error: ClassVar[str] = r"^$"
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

    def running_config(self) -> str:
        text = self.show(self.show_running)
        return "\n".join(ln for ln in text.split("\n") if ln.startswith("*c ")) + "\n"

    def push(self, commands: Sequence[str], *, secrets: Sequence[str] = ()) -> str:
        known = [*self.known_secrets, *secrets]
        out: list[str] = []
        for command in commands:
            text = self.exchange(command)
            out.append(text)
            errors = self.errors_in(text)
            if errors:
                saved, self.known_secrets = self.known_secrets, known
                try:
                    raise self.fail(command, text, errors)
                finally:
                    self.known_secrets = saved
        return mask("".join(out), known)

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


def connect_cli(device_type: str, params: ConnectParams, filesystem: str = "") -> ConfigSession:
    """An open session to an IOS / IOS XE (privileged) or VRP device."""
    where = f"{params.host}:{params.port}"
    known = [params.password, params.secret]
    session: CliConfigSession
    if device_type == "huawei_vrp":
        conn = open_netmiko(FastHuaweiSSH, "huawei_vrp", params)
        session = VrpSession(conn, where, known)
    elif device_type in ("cisco_ios", "cisco_xe"):
        conn = open_netmiko(QuickIosSSH, device_type, params)
        session = IosSession(conn, where, known, filesystem=filesystem or "flash:")
        try:
            if not conn.check_enable_mode():
                conn.enable()
        except (NetmikoBaseException, SSHException, OSError, ValueError) as exc:
            session.close()
            raise DeviceError(
                f"{where}: không vào được chế độ enable (cannot enter enable mode): "
                f"{type(exc).__name__}"
            ) from None
    else:
        raise DeviceError(f"{where}: nền tảng không hỗ trợ (unsupported platform) {device_type}")
    try:
        session.learn_host(session.exchange("", prompt=session.prompt))
    except DeviceError:
        session.close()
        raise
    return session


def connect_tp(params: ConnectParams) -> ConfigSession:
    """An open xAPI session to a Cisco TelePresence endpoint."""
    conn = open_netmiko(FastCiscoTpSSH, "cisco_tp", params)
    return TpSession(conn, f"{params.host}:{params.port}", [params.password, params.secret])
