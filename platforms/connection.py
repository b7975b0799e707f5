"""Prompt-driven CLI sessions over Netmiko: what every vendor's session shares.

Every exchange reads until the device's prompt (or a question it asks), never until a
silence: Netmiko 4.8's stock ``huawei`` driver checks the configuration mode by waiting
for 2 s of silence, four times per ``send_config_set`` and once more on disconnect
(``platforms.huawei_vrp.session.FastHuaweiSSH`` reads until the prompt instead).
Configuration is pushed one line at a time; the first line the device refuses stops the
push with a :class:`DeviceError` holding the device's text (secrets masked) and the session
is left usable (out of configuration mode).

Each vendor's session class and Netmiko driver live in its package
(``platforms/<platform>/session.py``). Netmiko and paramiko are imported only when a device
is connected: this module is imported whenever the platforms are discovered (the
exporter, the inventory), which must not pay for them.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets as random_tokens
import select
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from platforms.network import ConnectParams, DeviceError

if TYPE_CHECKING:
    from netmiko import BaseConnection

    _Connection = BaseConnection
else:
    _Connection = object

MASK = "********"

# Questions a device asks in the middle of a command, and what provnet answers.
QUESTIONS: tuple[tuple[str, str], ...] = (
    (r"\[(?:Y/N|y/n)\]:?[ \t]*$", "y"),
    (r"\[yes/no\]:?[ \t]*$", "yes"),
    (r"\[confirm\][ \t]*$", ""),
    (r"\]\?[ \t]*$", ""),  # Destination filename [x]?
    (r"\? \[no\]:[ \t]*$", "y"),  # configure replace without force
)
# VRP's `password irreversible-cipher X`: the value follows the second keyword, not "password"
_SECRET_WORDS = re.compile(
    r"(\b(?:secret|password(?!\s+(?:irreversible-cipher|cipher|simple)\b)|cipher|"
    r"irreversible-cipher|simple|community|auth \S+|priv \S+(?: \d+)?)\s+(?:\d\s+)?)\S+",
    re.IGNORECASE,
)

# paramiko logs a failed handshake (a device down, a banner it cannot read) as a traceback
# on stderr, one per device; the DeviceError raised for it already says why, in one line.
logging.getLogger("paramiko").addHandler(logging.NullHandler())
logging.getLogger("paramiko").propagate = False


class NetmikoMask(logging.Filter):
    """Netmiko logs every byte of a session at DEBUG, what provnet types included; its own
    filter masks only the login password and enable secret. This one masks the values
    after secret keywords (``secret 0 X``, ``irreversible-cipher X``) and the values of the
    pushes running now (:meth:`CliConfigSession.push`'s ``secrets``), so that no log a
    user turns on holds a secret provnet sent. Called only for records that are logged."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._values: Counter[str] = Counter()

    def hold(self, values: Sequence[str]) -> None:
        with self._lock:
            self._values.update(v for v in values if v)

    def release(self, values: Sequence[str]) -> None:
        with self._lock:
            self._values.subtract(v for v in values if v)
            self._values = +self._values

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            known = list(self._values)
        text = record.getMessage()
        masked = mask(text, known)
        if masked != text:
            record.msg, record.args = masked, ()
        return True


NETMIKO_MASK = NetmikoMask()
logging.getLogger("netmiko").addFilter(NETMIKO_MASK)

SESSION_IMPORT = threading.Lock()
"""Held while a platform's session module (and Netmiko under it) is imported on connect:
plans and applies connect from many threads at once, and concurrent first imports of
Netmiko's packages fail ("cannot import name ... from partially initialized module")."""


def mask(text: str, known: Sequence[str] = ()) -> str:
    """``text`` with the ``known`` secret values and what follows secret keywords masked."""
    for value in sorted((k for k in known if k), key=len, reverse=True):
        text = text.replace(value, MASK)
    return _SECRET_WORDS.sub(rf"\g<1>{MASK}", text)


@cache
def transport_errors(*builtins: type[BaseException]) -> tuple[type[BaseException], ...]:
    """What Netmiko and paramiko raise when a session cannot be opened or breaks, and the
    ``builtins`` the caller expects too (``OSError``, ``EOFError``...). Netmiko is imported
    on first need; an ``except`` clause calls this only when an exception is in flight."""
    from netmiko.exceptions import NetmikoBaseException
    from paramiko.ssh_exception import SSHException

    return (NetmikoBaseException, SSHException, *builtins)


@cache
def _channel_class() -> type[Any]:
    from paramiko import Channel

    return Channel


# -- Netmiko drivers ---------------------------------------------------------------------
class NoticesClose(_Connection):
    """Mixin before a Netmiko driver: reading a session the device closed raises at once
    (stock Netmiko reads nothing until its read timeout, 60 s here, when a device drops the
    session in the middle of a push). A plain class at run time (its base is Netmiko's
    ``BaseConnection`` for the type checker only), so that defining it loads no Netmiko."""

    def read_channel(self) -> str:
        output = super().read_channel()
        channel = self.remote_conn
        if not output and channel is not None and getattr(channel, "closed", False):
            raise EOFError("the device closed the session")
        return output


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
    except transport_errors(OSError, ValueError, EOFError) as exc:
        text = mask(str(exc), [params.password, params.secret]).strip().splitlines()
        reason = next((ln for ln in reversed(text) if ln.strip()), type(exc).__name__)
        raise DeviceError(
            f"{where}: không kết nối được (cannot connect): {type(exc).__name__}: {reason}"
        ) from None


def stock_connect(device_type: str, params: ConnectParams) -> BaseConnection:
    """Netmiko's own class for ``device_type`` (for comparisons in bench/)."""
    from netmiko import ConnectHandler

    return ConnectHandler(**connect_kwargs(device_type, params))


# -- sessions -----------------------------------------------------------------------------
@dataclass
class CliConfigSession:
    """A :class:`~platforms.network.ConfigSession` over a prompt-driven CLI; each vendor's
    subclass (``platforms/<platform>/session.py``) gives its prompts and words."""

    conn: BaseConnection
    where: str
    known_secrets: Sequence[str] = field(default=(), repr=False)
    read_timeout: float = 60.0
    host: str = ""  # the hostname in the prompt, kept current across `hostname`/`sysname`

    prompt: ClassVar[str]  # any prompt of the device: a line of its own ending the output
    # The prompt of this very device, ``{host}`` standing for its escaped hostname ("": none).
    host_prompt: ClassVar[str] = ""
    enter_config: ClassVar[str] = ""  # "": no configuration mode (settings apply at once)
    leave_config: ClassVar[str] = ""
    error: ClassVar[str]  # a line of output that says the device refused the command
    not_error: ClassVar[str] = r"^$"  # ...except these
    show_running: ClassVar[str]
    save_command: ClassVar[str] = ""

    # -- exchanges ---------------------------------------------------------------
    def exec_prompt(self) -> str:
        """The prompt of this very device (show output may hold prompt-looking lines:
        VRP prints ``[V200R010C00SPC600]`` first)."""
        if not self.host or not self.host_prompt:
            return self.prompt
        return self.host_prompt.replace("{host}", re.escape(self.host))

    def learn_host(self, output: str) -> None:
        """Take the hostname from the exec-level prompt (``<R1>``, ``R1#``) ending ``output``."""
        tail = output.replace("\r", "").rstrip("\n").rsplit("\n", 1)[-1].strip()
        m = re.fullmatch(r"<([^<>\s]+)>|([^\s#>()<\[\]]+)[#>]", tail)
        if m and self.host_prompt:
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
        except transport_errors(OSError, EOFError) as exc:
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
            self._wait_for_data(deadline)

    def _wait_for_data(self, deadline: float) -> None:
        """Sleep until the device sends something (or ``deadline``, or 0.5 s: the closed
        check runs again). A paramiko channel's ``fileno()`` is readable while data waits
        (paramiko's documented way to ``select`` on it): no 5 ms polling, which with dozens
        of sessions in threads took more CPU than the sessions themselves. ``poll``, not
        ``select``: hundreds of sessions open more descriptors than select's 1024."""
        channel = getattr(self.conn, "remote_conn", None)
        if isinstance(channel, _channel_class()):
            waiting = select.poll()
            waiting.register(channel.fileno(), select.POLLIN)
            waiting.poll(max(0.0, min(deadline - time.monotonic(), 0.5)) * 1000)
        else:
            time.sleep(0.005)

    def _closed(self) -> bool:
        channel = getattr(self.conn, "remote_conn", None)
        if channel is None:
            return True
        if not isinstance(channel, _channel_class()):
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
        """Send ``commands`` (in configuration mode when the device has one); stop at the
        first refused line.

        ``secrets``: values to mask in errors besides the login secrets.
        """
        known = [*self.known_secrets, *secrets]
        NETMIKO_MASK.hold(secrets)
        try:
            enter = self.enter_config
            out = [self.exchange(enter, prompt=self.prompt)] if enter else []
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
                if self.leave_config:
                    out.append(self.exchange(self.leave_config, prompt=self.prompt))
                    self.learn_host(out[-1])
        finally:  # also when entering configuration mode failed
            NETMIKO_MASK.release(secrets)
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


def where(params: ConnectParams) -> str:
    """``host:port``, how errors name a device."""
    return f"{params.host}:{params.port}"


def login_secrets(params: ConnectParams) -> list[str]:
    """The values a session always masks: the login password and the enable secret."""
    return [params.password, params.secret]


def greeted(session: CliConfigSession) -> CliConfigSession:
    """``session`` once its first prompt is read (and the hostname learnt from it); closed
    when that fails."""
    try:
        session.learn_host(session.exchange("", prompt=session.prompt))
    except DeviceError:
        session.close()
        raise
    return session
