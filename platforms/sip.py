"""SIP OPTIONS ("SIP ping") to a video-conference endpoint: the client every room that
checks an endpoint's SIP shares (the exporter's ``vc`` probe, the readiness check).

Sends an RFC 3261 OPTIONS request and waits for the response that carries its Call-ID and
Via branch. Any SIP response means the endpoint is alive (200, but also 401/403/405 from an
endpoint that wants authentication or does not allow OPTIONS): its status code is
recorded. Over UDP an unanswered request is sent again as a new transaction (new branch,
next CSeq) at RFC 3261's T1 intervals, doubling up to T2, until the deadline; the
round-trip time is measured from the request that was answered. Stray datagrams (another
Call-ID or branch, not SIP) are ignored. :func:`probe_endpoint` never raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import secrets
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from provnet.deadline import remaining

SIP_PORT = 5060
T1 = 0.5  # RFC 3261 17.1.2.2: first retransmission interval (s)
T2 = 4.0  # ... and its cap for non-INVITE requests
BRANCH_MAGIC = "z9hG4bK"  # RFC 3261 8.1.1.7
USER_AGENT = "provnet-exporter"
MAX_MESSAGE = 65535

Transport = Literal["udp", "tcp"]

# RFC 3261 7.3.3 compact header forms.
COMPACT_HEADERS = {
    "i": "call-id",
    "v": "via",
    "f": "from",
    "t": "to",
    "m": "contact",
    "l": "content-length",
    "c": "content-type",
    "k": "supported",
    "s": "subject",
    "e": "content-encoding",
}


@dataclass(frozen=True)
class VcTarget:
    host: str
    port: int
    transport: Transport


def _uri_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@dataclass(frozen=True)
class OptionsRequest:
    """The identifiers of one OPTIONS transaction."""

    call_id: str
    from_tag: str
    branch: str
    cseq: int


def new_call(local_host: str) -> tuple[str, str]:
    """A fresh (Call-ID, From tag)."""
    return f"{secrets.token_hex(12)}@{_uri_host(local_host)}", secrets.token_hex(6)


def new_branch() -> str:
    return BRANCH_MAGIC + secrets.token_hex(10)


def build_options(target: VcTarget, local: tuple[str, int], request: OptionsRequest) -> bytes:
    """An RFC 3261 OPTIONS request from ``local`` (host, port) to ``target``."""
    local_host, local_port = _uri_host(local[0]), local[1]
    remote = f"{_uri_host(target.host)}:{target.port}"
    proto = target.transport.upper()
    lines = [
        f"OPTIONS sip:{remote} SIP/2.0",
        f"Via: SIP/2.0/{proto} {local_host}:{local_port};branch={request.branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:{USER_AGENT}@{local_host}>;tag={request.from_tag}",
        f"To: <sip:{remote}>",
        f"Call-ID: {request.call_id}",
        f"CSeq: {request.cseq} OPTIONS",
        f"Contact: <sip:{USER_AGENT}@{local_host}:{local_port};transport={target.transport}>",
        "Accept: application/sdp",
        f"User-Agent: {USER_AGENT}",
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass(frozen=True)
class SipResponse:
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]  # (lower-case full name, value), in order

    def header(self, name: str) -> str | None:
        """The first value of a header (full lower-case name)."""
        return next((value for key, value in self.headers if key == name), None)

    @property
    def final(self) -> bool:
        return self.status >= 200

    @property
    def via_branch(self) -> str | None:
        """The branch parameter of the topmost Via."""
        via = self.header("via")
        if via is None:
            return None
        first = via.split(",", 1)[0]
        for param in first.split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "branch":
                return value.strip()
        return None

    @property
    def cseq(self) -> tuple[int, str] | None:
        parts = (self.header("cseq") or "").split()
        if len(parts) != 2 or not parts[0].isdigit():
            return None
        return int(parts[0]), parts[1].upper()


def parse_response(data: bytes) -> SipResponse | None:
    """A SIP response's status line and headers, or None when ``data`` is not one."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    head = text.split("\r\n\r\n", 1)[0]
    lines = head.split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code, _, reason = rest.partition(" ")
    if version.upper() != "SIP/2.0" or len(code) != 3 or not code.isdigit():
        return None
    if not 100 <= int(code) <= 699:
        return None
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # folded continuation line
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {line.strip()}")
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = name.strip().lower()
        headers.append((COMPACT_HEADERS.get(key, key), value.strip()))
    return SipResponse(int(code), reason.strip(), tuple(headers))


def matching_branch(response: SipResponse, call_id: str, branches: Sequence[str]) -> str | None:
    """The branch of ours that ``response`` answers (same Call-ID, Via branch, OPTIONS)."""
    if response.header("call-id") != call_id:
        return None
    cseq = response.cseq
    if cseq is None or cseq[1] != "OPTIONS":
        return None
    branch = response.via_branch
    return branch if branch in branches else None


def send_offsets(budget: float, t1: float = T1, t2: float = T2) -> list[float]:
    """When to send (seconds after the first send) an OPTIONS within ``budget`` seconds.

    RFC 3261's Timer E: T1, then doubling, capped at T2: 0, 0.5, 1.5, 3.5, 7.5, 11.5...

    >>> send_offsets(4.0)
    [0.0, 0.5, 1.5, 3.5]
    """
    offsets, at, interval = [], 0.0, t1
    while at < budget:
        offsets.append(at)
        at += interval
        interval = min(interval * 2, t2)
    return offsets or [0.0]


@dataclass
class SipOutcome:
    """What one probe found."""

    status: int | None = None
    rtt: float | None = None
    attempts: int = 0
    error: str = ""

    @property
    def up(self) -> bool:
        return self.status is not None


@dataclass
class _Inbox(asyncio.DatagramProtocol):
    """Datagrams (or socket errors) of one probe's socket, in arrival order."""

    queue: asyncio.Queue[tuple[bytes, float] | OSError] = field(default_factory=asyncio.Queue)

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.queue.put_nowait((data, time.monotonic()))

    def error_received(self, exc: Exception) -> None:
        if isinstance(exc, OSError):
            self.queue.put_nowait(exc)


def next_send(start: float, offsets: Sequence[float], sent: int, answered: bool) -> float | None:
    """When the next OPTIONS is due, or None when no more is to be sent."""
    if answered or sent >= len(offsets):
        return None
    return start + offsets[sent]


def _take(
    item: tuple[bytes, float] | OSError,
    call_id: str,
    sent: Mapping[str, float],
    outcome: SipOutcome,
) -> bool:
    """Record what arrived; True when the probe is over (final answer, or refused)."""
    if isinstance(item, OSError):
        outcome.error = type(item).__name__
        # ICMP port unreachable: nobody listens there, the host said so.
        return isinstance(item, ConnectionRefusedError) and not outcome.up
    data, received = item
    response = parse_response(data)
    branch = None if response is None else matching_branch(response, call_id, list(sent))
    if response is None or branch is None:
        return False  # a stray datagram
    if outcome.rtt is None:
        outcome.rtt = received - sent[branch]
    outcome.status = response.status
    return response.final


async def _address(host: str, port: int, kind: socket.SocketKind, timeout: float) -> str:
    """The address to send to (a literal is returned as is; a name is looked up)."""
    with contextlib.suppress(ValueError):
        return str(ipaddress.ip_address(host))  # asyncio would ask a worker thread
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout):
        infos = await loop.getaddrinfo(host, port, type=kind)
    return str(infos[0][4][0])


async def _probe_udp(
    target: VcTarget, deadline: float, outcome: SipOutcome, retransmit: bool = True
) -> None:
    loop = asyncio.get_running_loop()
    address = await _address(target.host, target.port, socket.SOCK_DGRAM, remaining(deadline))
    inbox = _Inbox()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: inbox, remote_addr=(address, target.port)
    )
    try:
        sockname = transport.get_extra_info("sockname")
        local = (str(sockname[0]), int(sockname[1]))
        call_id, from_tag = new_call(local[0])
        sent: dict[str, float] = {}
        start = time.monotonic()
        offsets = send_offsets(remaining(deadline, start)) if retransmit else [0.0]
        while remaining(deadline) > 0:
            due = next_send(start, offsets, len(sent), outcome.up)
            if due is not None and time.monotonic() >= due:
                request = OptionsRequest(call_id, from_tag, new_branch(), len(sent) + 1)
                sent[request.branch] = time.monotonic()
                transport.sendto(build_options(target, local, request))
                outcome.attempts = len(sent)
                continue
            wake = remaining(deadline)
            if due is not None:
                wake = min(wake, due - time.monotonic())
            try:
                async with asyncio.timeout(max(wake, 0.0)):
                    item = await inbox.queue.get()
            except TimeoutError:
                continue
            if _take(item, call_id, sent, outcome):
                return
    finally:
        transport.close()


async def _probe_tcp(target: VcTarget, deadline: float, outcome: SipOutcome) -> None:
    address = await _address(target.host, target.port, socket.SOCK_STREAM, remaining(deadline))
    reader, writer = await asyncio.open_connection(address, target.port)
    try:
        sockname = writer.get_extra_info("sockname")
        local = (str(sockname[0]), int(sockname[1]))
        call_id, from_tag = new_call(local[0])
        request = OptionsRequest(call_id, from_tag, new_branch(), 1)
        sent = time.monotonic()
        writer.write(build_options(target, local, request))
        outcome.attempts = 1
        await writer.drain()
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            received = time.monotonic()
            response = parse_response(head)
            if response is None:
                outcome.error = "not a SIP response"
                return
            length = response.header("content-length") or "0"
            if length.isdigit() and 0 < int(length) <= MAX_MESSAGE:
                await reader.readexactly(int(length))
            if matching_branch(response, call_id, [request.branch]) is None:
                continue
            if outcome.status is None:
                outcome.rtt = received - sent
            outcome.status = response.status
            if response.final:
                return
    finally:
        writer.close()


async def probe_endpoint(
    target: VcTarget, deadline: float, *, retransmit: bool = True
) -> SipOutcome:
    """Probe one endpoint until it answers finally or the deadline; never raises.

    ``retransmit=False`` (UDP): one request only, so that a loss is seen as one (the
    readiness check counts losses over several probes).

    ``asyncio.timeout``, not ``wait_for``: Python 3.11's ``wait_for`` can end a cancelled
    probe with the inner error instead of the cancellation, which nobody then retrieves
    (``Task exception was never retrieved`` when a client went away mid-probe)."""
    outcome = SipOutcome()
    try:
        if target.transport == "udp":
            job = _probe_udp(target, deadline, outcome, retransmit)
        else:
            job = _probe_tcp(target, deadline, outcome)
        async with asyncio.timeout(remaining(deadline)):
            await job
    except TimeoutError:
        outcome.error = outcome.error or "timeout"
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        outcome.error = type(exc).__name__
    return outcome
