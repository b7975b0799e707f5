"""net-snmp's snmpd, started and stopped by a test or a benchmark (killed by its PID).

One daemon listens on a free UDP port of a loopback address, with a v2c community and
SNMPv3 users given by the caller (``createUser`` in a temporary snmpd.conf).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType


@dataclass(frozen=True)
class V3User:
    name: str
    auth_protocol: str  # snmpd spelling: SHA, SHA-256, ...
    auth_password: str
    priv_protocol: str  # AES, AES-256, ...
    priv_password: str


def snmpd_binary() -> str | None:
    return shutil.which("snmpd") or (
        "/usr/sbin/snmpd" if Path("/usr/sbin/snmpd").exists() else None
    )


@contextlib.contextmanager
def silent_target(host: str) -> Iterator[str]:
    """``HOST:PORT`` of a UDP port that takes packets and never answers: a dead device."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        yield f"{host}:{sock.getsockname()[1]}"


def free_udp_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _answers(host: str, port: int, community: str) -> bool:
    """A v2c GET of sysUpTime.0, hand-encoded (no SNMP library needed to wait for snmpd)."""
    oid = bytes([0x06, 0x08, 0x2B, 6, 1, 2, 1, 1, 3, 0])
    varbind = bytes([0x30, len(oid) + 2]) + oid + b"\x05\x00"
    varbinds = bytes([0x30, len(varbind)]) + varbind
    pdu_body = b"\x02\x01\x01\x02\x01\x00\x02\x01\x00" + varbinds
    pdu = bytes([0xA0, len(pdu_body)]) + pdu_body
    community_tlv = bytes([0x04, len(community)]) + community.encode()
    body = b"\x02\x01\x01" + community_tlv + pdu
    message = bytes([0x30, len(body)]) + body
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.2)
        try:
            sock.sendto(message, (host, port))
            return bool(sock.recv(65536))
        except OSError:
            return False


@dataclass
class Snmpd:
    directory: Path
    host: str = "127.0.0.1"
    community: str = "public"
    users: tuple[V3User, ...] = ()
    extra: tuple[str, ...] = ()
    """More snmpd.conf lines (e.g. ``extend`` for a table of the test's own)."""
    tcp: bool = False
    """Listen on TCP too, on the same port number (SNMP over TCP, RFC 3430)."""
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.directory / "snmpd.log"

    def start(self) -> Snmpd:
        binary = snmpd_binary()
        if binary is None:
            raise RuntimeError("net-snmp snmpd is not installed")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_udp_port(self.host)
        lines = [
            f"agentAddress udp:{self.host}:{self.port}"
            + (f",tcp:{self.host}:{self.port}" if self.tcp else ""),
            f"rocommunity {self.community} 127.0.0.0/8",
            "dontLogTCPWrappersConnects yes",
        ]
        for user in self.users:
            lines.append(
                f'createUser {user.name} {user.auth_protocol} "{user.auth_password}" '
                f'{user.priv_protocol} "{user.priv_password}"'
            )
            lines.append(f"rouser {user.name} priv")
        lines.extend(self.extra)
        config = self.directory / "snmpd.conf"
        config.write_text("\n".join(lines) + "\n")
        env = {**os.environ, "SNMP_PERSISTENT_DIR": str(self.directory / "persist"), "MIBS": ""}
        self.process = subprocess.Popen(
            [
                binary,
                "-f",
                "-Lf",
                str(self.log_file),
                "-C",
                "-c",
                str(config),
                "-p",
                str(self.directory / "snmpd.pid"),
                "-M",
                "/nonexistent",
                "-I",
                "-smux",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"snmpd exited; see {self.log_file}")
            if _answers(self.host, self.port, self.community):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"snmpd did not answer on {self.target}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(5)

    def __enter__(self) -> Snmpd:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
