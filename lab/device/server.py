"""The twin's SSH server: many simulated devices behind one asyncio event loop.

One listening socket per ``SshEndpoint`` (``127.0.0.x:port``); connections are accepted
here, before any SSH byte is sent, so a device with ``faults.down`` accepts TCP and then
stays silent (the client sees a real timeout). Otherwise asyncssh runs the SSH layer:
password login, a PTY shell that echoes what is typed the way a device does (so
Netmiko's prompt detection and echo stripping work with its default settings), ``exec``
requests, SCP to and from the device's files (``lab.device.scp``), the pager
(``--More--``) and ``faults.slow_ms`` (each answer delayed with ``asyncio.sleep``, which
holds up no other device).

Passwords are compared in constant time and never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import logging
import os
import socket
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import asyncssh

from lab.device import ssh_server_version
from lab.device.base import CliSession, DeviceSimError, Reply, SimDevice
from lab.device.scp import DeviceFiles

log = logging.getLogger(__name__)


class _PeerGoneFilter(logging.Filter):
    """Drop asyncio's "socket.send() raised exception." warnings.

    Netmiko's disconnect() types `exit` and closes the socket at once; the device's
    answer (echo, exit-status, channel close) then meets a dead socket, and asyncio
    warns for each write past the fifth. The same race happens with real devices;
    nothing is lost, so the twin does not spam the log with it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != "socket.send() raised exception."


_PEER_GONE = _PeerGoneFilter()


class SshServerError(DeviceSimError, OSError):
    """An endpoint could not be served (address not loopback, port taken...)."""


@dataclass(frozen=True, eq=False)
class SshEndpoint:
    """Where one device listens and who may log in."""

    host: str
    port: int  # 0: pick a free port (see ``SshTwinServer.address``)
    device: SimDevice
    username: str
    password: str = field(repr=False)
    enable_secret: str | None = field(default=None, repr=False)

    def accepts(self, username: str, password: str) -> bool:
        """Whether this is the endpoint's own account (name and password compared in
        constant time) or a local user of the device's configuration with that password
        (``username audit privilege 1 secret ...``, as ``login local`` does; the
        configuration then gives the session its privilege level)."""
        user_ok = hmac.compare_digest(username.encode(), self.username.encode())
        pass_ok = hmac.compare_digest(password.encode(), self.password.encode())
        return (user_ok and pass_ok) or self.device.accepts_login(username, password)


def load_or_create_host_key(path: Path) -> asyncssh.SSHKey:
    """The host key at ``path``; an Ed25519 key is generated (mode 0600) if missing."""
    if path.exists():
        return asyncssh.read_private_key(str(path))
    key = asyncssh.generate_private_key("ssh-ed25519")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.export_private_key())
    os.replace(tmp, path)
    return key


class _Auth(asyncssh.SSHServer):
    def __init__(self, endpoint: SshEndpoint) -> None:
        self._endpoint = endpoint
        self._peer = "?"

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        peer = conn.get_extra_info("peername")
        self._peer = str(peer[0]) if peer else "?"

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        ep = self._endpoint
        ok = ep.accepts(username, password)
        if not ok:
            log.info(
                "%s: login failed for user %r from %s", ep.device.state.name, username, self._peer
            )
        return ok


class _Input:
    """Characters typed by the client, one at a time; what the device says (echo and
    answers) is held until it waits for the client or for time, then sent as one write:
    asyncssh sends a packet per write, and a packet costs the client (paramiko, in
    Python) as much as the twin."""

    def __init__(self, process: asyncssh.SSHServerProcess[str]) -> None:
        self.process = process
        self.buffer = ""
        self.pos = 0
        self.echo = ""
        self.pending: list[str] = []

    def write(self, text: str) -> None:
        self.take_echo()
        if text:
            self.pending.append(text)

    def take_echo(self) -> None:
        if self.echo:
            self.pending.append(self.echo)
            self.echo = ""

    def flush(self) -> None:
        self.take_echo()
        if self.pending:
            self.process.stdout.write("".join(self.pending))
            self.pending.clear()

    async def getch(self) -> str | None:
        if self.pos >= len(self.buffer):
            self.flush()
            try:
                data = await self.process.stdin.read(4096)
            except (asyncssh.BreakReceived, asyncssh.SignalReceived, asyncssh.TerminalSizeChanged):
                return ""
            if not data:
                return None
            self.buffer, self.pos = data, 0
        ch = self.buffer[self.pos]
        self.pos += 1
        return ch


def _configuring(session: CliSession) -> bool:
    """Whether ``session`` is in a configuration mode (IOS ``(config)#``, VRP ``[...]``)."""
    return bool(getattr(session, "frames", None))


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


class _Shell:
    """One interactive login: the terminal side of a ``CliSession``."""

    def __init__(self, endpoint: SshEndpoint, process: asyncssh.SSHServerProcess[str]) -> None:
        self.endpoint = endpoint
        self.device = endpoint.device
        self.process = process
        self.input = _Input(process)
        self.session: CliSession = self.device.open_session()
        self.session.username = process.get_extra_info("username") or endpoint.username
        self.session.sign_in(self.session.username)
        peer = process.get_extra_info("peername")
        self.session.peer = str(peer[0]) if peer else "127.0.0.1"
        self.echo = True
        self.boots = self.device.state.boots

    def rebooted(self) -> bool:
        """The device restarted under this login: the session is gone, as on a real box."""
        if self.device.state.boots == self.boots:
            return False
        self.drop()
        return True

    def drop(self) -> None:
        """Cut the connection at once, without a goodbye (a crash, a link that died)."""
        conn = self.process.get_extra_info("connection")
        if conn is not None:
            conn.abort()

    async def pause(self) -> bool:
        """Wait out ``slow_ms``; False while the device is down (say nothing)."""
        faults = self.device.state.faults
        if faults.slow_ms > 0:
            self.input.flush()
            await asyncio.sleep(faults.slow_ms / 1000)
        return not faults.down

    async def run(self) -> None:
        reply = self.session.login()
        if await self.pause():
            self.input.write(_crlf(reply.output) + reply.prompt)
        line: list[str] = []
        skip_lf = False
        escape = 0
        while True:
            ch = await self.input.getch()
            if ch is None or self.rebooted():
                return
            if not ch:
                continue
            if escape:  # swallow ANSI sequences (arrow keys...)
                if escape == 1:
                    escape = 2 if ch in "[O" else 0
                elif "@" <= ch <= "~":
                    escape = 0
                continue
            if ch in "\r\n":
                if ch == "\n" and skip_lf:
                    skip_lf = False
                    continue
                skip_lf = ch == "\r"
                text = "".join(line)
                line.clear()
                if self.device.state.faults.down:
                    continue
                self.input.write("\r\n")
                configuring = bool(text.strip()) and _configuring(self.session)
                reply = self.session.handle(text)
                if configuring and self.device.state.faults.config_line_applied():
                    self.drop()
                    return
                if not await self.respond(reply):
                    return
                continue
            skip_lf = False
            if self.device.state.faults.down:
                continue
            if ch == "\x1b":
                escape = 1
            elif ch in "\x7f\x08":
                if line:
                    line.pop()
                    if self.echo:
                        self.input.echo += "\b \b"
            elif ch == "\x1a":
                line.clear()
                reply = self.session.ctrl_z()
                self.input.write(reply.mark + "\r\n")
                if not await self.respond(reply):
                    return
            elif ch == "\x03":
                line.clear()
                reply = self.session.ctrl_c()
                self.input.write(reply.mark + "\r\n")
                if not await self.respond(reply):
                    return
            elif ch == "\x15":  # Ctrl-U: erase the line
                if self.echo:
                    self.input.echo += "\b \b" * len(line)
                line.clear()
            elif ch == "\t" and self.echo and not self.session.waiting:
                done = self.session.complete("".join(line))
                if done is not None:
                    self.input.echo += done[len(line) :]
                    line[:] = list(done)
            elif ch == "?" and self.echo and not self.session.waiting:
                helptext = self.session.help("".join(line))
                if helptext is None:
                    line.append(ch)
                    self.input.echo += ch
                else:
                    self.input.write(
                        "?\r\n" + _crlf(helptext) + "\r\n\r\n" + self.session.prompt + "".join(line)
                    )
            elif ord(ch) >= 32:
                line.append(ch)
                if self.echo:
                    self.input.echo += ch

    async def respond(self, reply: Reply) -> bool:
        """Write ``reply`` (after the slow fault, through the pager); False to hang up."""
        self.echo = reply.echo
        if not await self.pause():
            return not reply.close
        output = reply.output
        if output and not output.endswith("\n"):
            output += "\n"
        if output:
            lines = output.split("\n")[:-1]
            length = self.session.terminal_length
            if length > 1 and len(lines) > length - 1:
                if not await self.page(lines, length - 1):
                    self.input.write(reply.prompt)
                    return not self._close(reply)
            else:
                self.input.write(_crlf(output))
        self.input.write(reply.prompt)
        return not self._close(reply)

    def _close(self, reply: Reply) -> bool:
        if reply.close:
            self.input.flush()
            self.process.exit(0)
        return reply.close

    async def page(self, lines: list[str], page: int) -> bool:
        """Show ``lines`` a screen at a time; False if the user quit the pager."""
        more = self.session.more_prompt
        erase = "\b" * len(more) + " " * len(more) + "\b" * len(more)
        shown = 0
        step = page
        while shown < len(lines):
            chunk = lines[shown : shown + step]
            self.input.write("\r\n".join(chunk) + "\r\n")
            shown += len(chunk)
            if shown >= len(lines):
                return True
            self.input.write(more)
            key = await self.input.getch()
            self.input.write(erase)
            if key is None:
                return False
            if key == " ":
                step = page
            elif key in "\r\n":
                step = 1
                if (
                    key == "\r"
                    and self.input.pos < len(self.input.buffer)
                    and self.input.buffer[self.input.pos] == "\n"
                ):
                    self.input.pos += 1
            else:
                return False
        return True


class SshTwinServer:
    """Serves simulated devices over SSH; one listening socket per endpoint."""

    def __init__(self, *, allow_non_loopback: bool = False, login_timeout: float = 30.0) -> None:
        self._allow_non_loopback = allow_non_loopback
        self._login_timeout = login_timeout
        self._sockets: list[socket.socket] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._connections: set[asyncssh.SSHServerConnection] = set()
        self._held: set[socket.socket] = set()
        self._bound: dict[int, tuple[str, int]] = {}

    async def __aenter__(self) -> SshTwinServer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def address(self, endpoint: SshEndpoint) -> tuple[str, int]:
        """The (host, port) ``endpoint`` listens on (the real port when it asked for 0)."""
        return self._bound[id(endpoint)]

    async def start(
        self, endpoints: Sequence[SshEndpoint], host_key: Path | asyncssh.SSHKey
    ) -> None:
        """Listen on every endpoint; raises ``SshServerError`` (nothing left open) if one
        cannot be bound."""
        key = load_or_create_host_key(host_key) if isinstance(host_key, Path) else host_key
        logging.getLogger("asyncio").addFilter(_PEER_GONE)  # idempotent
        opened: list[socket.socket] = []
        try:
            for endpoint in endpoints:
                sock = self._listen(endpoint)
                opened.append(sock)
                self._bound[id(endpoint)] = sock.getsockname()[:2]
        except BaseException:
            for sock in opened:
                sock.close()
            raise
        for endpoint, sock in zip(endpoints, opened, strict=True):
            self._apply_enable_secret(endpoint)
            self._sockets.append(sock)
            self._spawn(self._accept_loop(endpoint, sock, self._options(endpoint, key)))

    def _listen(self, endpoint: SshEndpoint) -> socket.socket:
        try:
            addr = ipaddress.ip_address(endpoint.host)
        except ValueError:
            raise SshServerError(
                f"device {endpoint.device.state.name}: host {endpoint.host!r} is not an IP address"
            ) from None
        if not addr.is_loopback and not self._allow_non_loopback:
            raise SshServerError(
                f"device {endpoint.device.state.name}: {endpoint.host} is "
                "not a loopback address (the twin listens on 127.0.0.0/8)"
            )
        family = socket.AF_INET6 if addr.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((endpoint.host, endpoint.port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise SshServerError(
                f"device {endpoint.device.state.name}: cannot listen on "
                f"{endpoint.host}:{endpoint.port}: {exc.strerror}"
            ) from None
        return sock

    @staticmethod
    def _apply_enable_secret(endpoint: SshEndpoint) -> None:
        if endpoint.enable_secret is None:
            return
        setter = getattr(endpoint.device, "set_enable_secret", None)
        if setter is not None:
            setter(endpoint.enable_secret)
        else:
            endpoint.device.enable_secret = endpoint.enable_secret

    def _options(
        self, endpoint: SshEndpoint, key: asyncssh.SSHKey
    ) -> asyncssh.SSHServerConnectionOptions:
        async def handle(process: asyncssh.SSHServerProcess[str]) -> None:
            await self._session(endpoint, process)

        def files(chan: asyncssh.SSHServerChannel[bytes]) -> DeviceFiles:
            admin = chan.get_extra_info("username") == endpoint.username
            return DeviceFiles(chan, endpoint.device, allowed=admin)

        kwargs: dict[str, object] = {}
        version = ssh_server_version(endpoint.device.platform)
        if version:
            kwargs["server_version"] = version
        return asyncssh.SSHServerConnectionOptions(
            server_host_keys=[key],
            server_factory=lambda: _Auth(endpoint),
            process_factory=handle,
            sftp_factory=files,
            allow_scp=True,
            line_editor=False,
            allow_pty=True,
            encoding="utf-8",
            errors="replace",
            rdns_lookup=False,
            public_key_auth=False,
            kbdint_auth=False,
            host_based_auth=False,
            gss_auth=False,
            gss_kex=False,
            x11_forwarding=False,
            agent_forwarding=False,
            login_timeout=self._login_timeout,
            **kwargs,
        )

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept_loop(
        self,
        endpoint: SshEndpoint,
        sock: socket.socket,
        options: asyncssh.SSHServerConnectionOptions,
    ) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, _ = await loop.sock_accept(sock)
            except asyncio.CancelledError:
                raise
            except OSError as exc:
                if sock.fileno() < 0:
                    return
                log.warning("%s: accept failed: %s", endpoint.device.state.name, exc)
                await asyncio.sleep(0.05)
                continue
            conn.setblocking(False)
            if endpoint.device.state.faults.down:
                self._spawn(self._hold(conn))
            else:
                self._spawn(self._serve(endpoint, conn, options))

    async def _hold(self, conn: socket.socket) -> None:
        """A device that is down: keep the TCP connection, never answer."""
        loop = asyncio.get_running_loop()
        self._held.add(conn)
        try:
            while await loop.sock_recv(conn, 4096):
                pass
        except OSError:
            pass
        finally:
            self._held.discard(conn)
            conn.close()

    async def _serve(
        self,
        endpoint: SshEndpoint,
        conn: socket.socket,
        options: asyncssh.SSHServerConnectionOptions,
    ) -> None:
        name = endpoint.device.state.name
        try:
            ssh = await asyncssh.run_server(conn, options=options)
        except asyncio.CancelledError:
            conn.close()
            raise
        except (TimeoutError, OSError, asyncssh.Error) as exc:
            log.debug("%s: SSH connection ended before login: %s", name, exc)
            conn.close()
            return
        self._connections.add(ssh)
        try:
            await ssh.wait_closed()
        finally:
            self._connections.discard(ssh)

    async def _session(
        self, endpoint: SshEndpoint, process: asyncssh.SSHServerProcess[str]
    ) -> None:
        device = endpoint.device
        try:
            if process.command is not None:
                faults = device.state.faults
                if faults.slow_ms:
                    await asyncio.sleep(faults.slow_ms / 1000)
                if faults.down:
                    await process.wait_closed()
                    return
                user = process.get_extra_info("username") or endpoint.username
                output = device.exec_command(process.command, user)
                process.stdout.write(_crlf(output))
                process.exit(0)
                return
            shell = _Shell(endpoint, process)
            device.attach(shell.session)
            try:
                await shell.run()
            finally:
                device.detach(shell.session)
            if not process.is_closing():
                process.exit(0)
        except (BrokenPipeError, ConnectionError, asyncssh.Error):
            pass
        except Exception:
            log.exception("%s: CLI session failed", device.state.name)
            process.exit(1)

    async def stop(self) -> None:
        """Close listeners and every connection; returns when all tasks are done."""
        for sock in self._sockets:
            sock.close()
        self._sockets.clear()
        for ssh in list(self._connections):
            ssh.close()
        for conn in list(self._held):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._bound.clear()
