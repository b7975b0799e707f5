"""A SIP responder for simulated VC endpoints: OPTIONS answered 200 OK while the endpoint is up.

Enough of RFC 3261 for liveness probes ("SIP ping"): the response copies Via, From,
Call-ID and CSeq, adds a To tag, and says what the endpoint allows. Other methods get
``405 Method Not Allowed``; a ``down`` endpoint does not answer at all, and one with
``media-loss PERCENT`` leaves that share of requests unanswered.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from lab.state import DeviceState

COPIED = ("via", "from", "to", "call-id", "cseq")
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO"


def parse_request(data: bytes) -> tuple[str, list[tuple[str, str]]] | None:
    """(method, headers) of a SIP request, or None when it is not one."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    head = text.split("\r\n\r\n", 1)[0]
    lines = head.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("SIP/2.0"):
        return None
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.append((name.strip(), value.strip()))
    return parts[0].upper(), headers


def response_for(state: DeviceState, method: str, headers: Sequence[tuple[str, str]]) -> bytes:
    status = "200 OK" if method == "OPTIONS" else "405 Method Not Allowed"
    lines = [f"SIP/2.0 {status}"]
    tag = hashlib.sha256(state.name.encode()).hexdigest()[:10]
    for name, value in headers:
        key = name.lower()
        if key not in COPIED:
            continue
        if key == "to" and ";tag=" not in value:
            value = f"{value};tag={tag}"
        lines.append(f"{name}: {value}")
    lines += [
        f"Allow: {ALLOW}",
        "Accept: application/sdp",
        f"User-Agent: provnet-twin {state.platform} {state.hostname}",
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass
class _SipProtocol(asyncio.DatagramProtocol):
    state: DeviceState
    transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        if self.state.faults.down or self.transport is None or self.state.faults.media_lost():
            return
        request = parse_request(data)
        if request is None:
            return
        response = response_for(self.state, *request)
        delay = self.state.faults.slow_ms / 1000
        if delay:
            asyncio.get_running_loop().call_later(delay, self.transport.sendto, response, addr)
        else:
            self.transport.sendto(response, addr)


class SipResponder:
    """One UDP socket per VC endpoint, all on one event loop."""

    def __init__(self) -> None:
        self._transports: list[asyncio.DatagramTransport] = []

    async def start(self, endpoints: Sequence[tuple[str, int, DeviceState]]) -> None:
        loop = asyncio.get_running_loop()
        for host, port, state in endpoints:
            transport, _ = await loop.create_datagram_endpoint(
                functools.partial(_SipProtocol, state), local_addr=(host, port)
            )
            self._transports.append(transport)

    async def stop(self) -> None:
        for transport in self._transports:
            transport.close()
        self._transports.clear()
