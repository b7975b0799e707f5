"""The VC endpoints' SIP responder, over real UDP on loopback."""

from __future__ import annotations

import asyncio
import socket

from lab.sip import SipResponder, parse_request
from lab.state import DeviceState

OPTIONS = (
    b"OPTIONS sip:vc1@127.0.0.1 SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-1\r\n"
    b"From: <sip:probe@127.0.0.1>;tag=abc\r\n"
    b"To: <sip:vc1@127.0.0.1>\r\n"
    b"Call-ID: 42@127.0.0.1\r\n"
    b"CSeq: 1 OPTIONS\r\n"
    b"Max-Forwards: 70\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def _free_udp_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _ask(host: str, port: int, timeout: float) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(OPTIONS, (host, port))
        try:
            return sock.recv(4096)
        except TimeoutError:
            return None


def test_parse_request() -> None:
    parsed = parse_request(OPTIONS)
    assert parsed is not None
    method, headers = parsed
    assert method == "OPTIONS"
    assert ("Call-ID", "42@127.0.0.1") in headers
    assert parse_request(b"\xff\xfe") is None
    assert parse_request(b"HELLO\r\n\r\n") is None


def test_options_answered_while_up_and_silent_while_down() -> None:
    host = "127.0.0.1"
    port = _free_udp_port(host)
    state = DeviceState(name="th-14758-vc1", platform="cisco_tp", hostname="th-14758-vc1")

    async def scenario() -> tuple[bytes | None, bytes | None]:
        responder = SipResponder()
        await responder.start([(host, port, state)])
        try:
            loop = asyncio.get_running_loop()
            up = await loop.run_in_executor(None, _ask, host, port, 2.0)
            state.faults.down = True
            down = await loop.run_in_executor(None, _ask, host, port, 0.3)
            return up, down
        finally:
            await responder.stop()

    up, down = asyncio.run(scenario())
    assert up is not None
    text = up.decode()
    assert text.startswith("SIP/2.0 200 OK\r\n")
    assert "Call-ID: 42@127.0.0.1" in text
    assert "CSeq: 1 OPTIONS" in text
    assert ";tag=" in text.split("To:", 1)[1].split("\r\n", 1)[0]
    assert down is None
