"""The exporter's HTTP/1.1 server: GET and HEAD on a few paths, on an asyncio ``Protocol``.

Why not aiohttp's web server: a scrape of a small module costs about 250 us of CPU, and
aiohttp's request and response machinery was a fifth of it (measured with the same handler,
curl --parallel 50: 50 us per request for aiohttp's application, 43 us for its low-level
server, 20-24 us here). Prometheus asks for one URL per connection at a time; this server
keeps connections open (HTTP/1.1, or HTTP/1.0 with ``Connection: keep-alive``), answers
pipelined requests in order, skips a request body it does not need, and refuses what it
does not speak (chunked bodies, heads over 16 KiB, other methods) with the right status.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import parse_qsl, unquote

from exporters.errors import ExporterError

log = logging.getLogger("provnet.exporter")

MAX_HEAD = 16 * 1024
MAX_BODY = 64 * 1024
REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    505: "HTTP Version Not Supported",
}


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    """Names in lower case; a repeated header keeps its last value."""

    def getall(self, name: str) -> list[str]:
        """Every value of query parameter ``name``, in order."""
        return [value for key, value in self.query if key == name]

    def get(self, name: str, default: str = "") -> str:
        """The first value of query parameter ``name``."""
        for key, value in self.query:
            if key == name:
                return value
        return default


@dataclass(slots=True)
class Response:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/plain; charset=utf-8"


Handler = Callable[[Request], Awaitable[Response]]


class _Refused(ExporterError, ValueError):
    """A request this server does not take; the connection is closed after the answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class _Head:
    request: Request
    keep_alive: bool
    body_length: int
    gzip_ok: bool = False
    """The client takes a gzip answer (:func:`accepts_gzip`)."""


_HEADS: dict[bytes, _Head] = {}
"""Heads seen before: Prometheus sends the same head for a target every scrape."""
MAX_HEADS = 8192


def read_head(head: bytes) -> _Head:
    """:func:`parse_head`, remembered (a head is a pure function of its bytes; the cache
    starts over when full)."""
    parsed = _HEADS.get(head)
    if parsed is None:
        parsed = parse_head(head)
        if len(_HEADS) >= MAX_HEADS:
            _HEADS.clear()
        _HEADS[head] = parsed
    return parsed


def parse_head(head: bytes) -> _Head:
    """The request line and headers (no I/O); :class:`_Refused` for what is not HTTP/1.x
    GET-like."""
    lines = head.decode("latin-1").split("\r\n")  # one character per byte
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[1]:
        raise _Refused(400, "malformed request line")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise _Refused(505, "only HTTP/1.0 and HTTP/1.1")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip(_WHITESPACE):
            raise _Refused(400, "malformed header line")
        headers[name.lower()] = value.strip(_WHITESPACE)
    if "transfer-encoding" in headers:
        raise _Refused(501, "request bodies with a transfer coding are not taken")
    length_text = headers.get("content-length", "0")
    if not length_text.isdigit():
        raise _Refused(400, "bad Content-Length")
    body_length = int(length_text)
    if body_length > MAX_BODY:
        raise _Refused(413, "request body too large")
    connection = headers.get("connection", "").lower()
    keep_alive = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
    path, _, query = target.partition("?")
    request = Request(method, unquote(path) if "%" in path else path, parse_query(query), headers)
    return _Head(request, keep_alive, body_length, accepts_gzip(headers))


_WHITESPACE = " \t\r\n\x0b\x0c"
"""What ``bytes.strip()`` strips (``str.strip()`` also strips Latin-1's NBSP and NEL)."""


def parse_query(query: str) -> tuple[tuple[str, str], ...]:
    """``parse_qsl(query, keep_blank_values=True)``; without escapes (a scrape URL's usual
    form) split here, at a fraction of its cost."""
    if "%" in query or "+" in query:
        return tuple(parse_qsl(query, keep_blank_values=True))
    pairs = []
    for item in query.split("&"):
        if item:
            name, _, value = item.partition("=")
            pairs.append((name, value))
    return tuple(pairs)


_date: tuple[int, bytes] = (0, b"")


def _date_header() -> bytes:
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, email.utils.formatdate(now, usegmt=True).encode())
    return _date[1]


def accepts_gzip(headers: Mapping[str, str]) -> bool:
    """Whether ``Accept-Encoding`` takes gzip (Prometheus sends ``gzip``); ``q=0`` refuses."""
    for item in headers.get("accept-encoding", "").split(","):
        name, _, params = item.partition(";")
        if name.strip().lower() not in ("gzip", "*"):
            continue
        params = params.strip()
        if not params.startswith("q="):
            return True
        try:
            return float(params[2:]) > 0
        except ValueError:
            return False
    return False


def encode_response(
    response: Response, keep_alive: bool, head_only: bool = False, gzip_ok: bool = False
) -> bytes:
    reason = REASONS.get(response.status, "")
    body = response.body
    extra = b""
    if gzip_ok and body:
        # level 1: most of the size saving for a fraction of level 6's CPU
        body = gzip.compress(body, compresslevel=1, mtime=0)
        extra = b"Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n"
    head = (
        f"HTTP/1.1 {response.status} {reason}\r\n"
        f"Content-Type: {response.content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
    ).encode()
    head += extra + b"Date: " + _date_header() + b"\r\n"
    if not keep_alive:
        head += b"Connection: close\r\n"
    return head + b"\r\n" + (b"" if head_only else body)


@dataclass
class HttpServer:
    """``routes``: path -> handler, for GET and HEAD (and POST and PUT on ``writable``
    paths; a request body is read and dropped)."""

    routes: Mapping[str, Handler]
    writable: frozenset[str] = frozenset()
    on_abandoned: Callable[[Request], None] | None = None
    """Called with a request whose client went away before its answer (for Prometheus:
    its scrape timeout came first)."""
    connections: set[_Connection] = field(default_factory=set)

    def protocol(self) -> _Connection:
        return _Connection(self)

    async def shutdown(self, timeout: float) -> None:
        """Close idle connections now; let requests in progress finish for ``timeout`` s."""
        busy = [c.task for c in self.connections if c.task is not None and not c.task.done()]
        for connection in list(self.connections):
            connection.close_when_done()
        if busy:
            await asyncio.wait(busy, timeout=timeout)
        for connection in list(self.connections):
            connection.abort()


class _Connection(asyncio.Protocol):
    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.pending: list[_Head | _Refused] = []
        self.task: asyncio.Task[None] | None = None
        self.current: Request | None = None  # the request being answered
        self.reading = True  # False after a request that cannot be parsed
        self.closing = False  # close once the pending requests are answered
        self.skip = 0  # body bytes of the last request still to be read and dropped

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)
        self.reading = False
        self.pending.clear()
        if self.task is not None and not self.task.done():
            self.task.cancel()  # nobody is waiting for the answer any more
            if self.current is not None and self.server.on_abandoned is not None:
                self.server.on_abandoned(self.current)
        self.transport = None

    def data_received(self, data: bytes) -> None:
        if not self.reading:
            return
        self.buffer += data
        while self.reading:
            if self.skip:
                dropped = min(self.skip, len(self.buffer))
                del self.buffer[:dropped]
                self.skip -= dropped
                if self.skip:
                    return
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0 and len(self.buffer) <= MAX_HEAD:
                return
            try:
                if end < 0 or end > MAX_HEAD:
                    raise _Refused(431, "request head too large")
                head = bytes(self.buffer[:end])
                del self.buffer[: end + 4]
                parsed = read_head(head)
            except _Refused as refused:
                self.reading = False
                self.buffer.clear()
                self._queue(refused)
                return
            self.skip = parsed.body_length
            self._queue(parsed)

    # -- answering ---------------------------------------------------------------------------

    def _queue(self, item: _Head | _Refused) -> None:
        self.pending.append(item)
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._answer())

    async def _answer(self) -> None:
        """Answer pending requests in order; the task ends when none is left."""
        try:
            while self.pending and self.transport is not None:
                item = self.pending.pop(0)
                if isinstance(item, _Refused):
                    body = f"{item}\n".encode()
                    self.transport.write(encode_response(Response(body, item.status), False))
                    self.transport.close()
                    return
                request = self.current = item.request
                response = await self._respond(request)
                self.current = None
                if self.transport is None:
                    return
                keep_alive = item.keep_alive and not self.closing
                head_only = request.method == "HEAD"
                self.transport.write(encode_response(response, keep_alive, head_only, item.gzip_ok))
                if not keep_alive:
                    self.reading = False
                    self.transport.close()
                    return
        finally:
            self.task = None

    async def _respond(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD") and not (
            request.method in ("POST", "PUT") and request.path in self.server.writable
        ):
            return Response(b"only GET and HEAD\n", 405)
        handler = self.server.routes.get(request.path)
        if handler is None:
            return Response(b"404 page not found\n", 404)
        try:
            return await handler(request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never the message: it could carry what a handler held
            log.error("%s %s failed: %s", request.method, request.path, type(exc).__name__)
            return Response(b"internal error\n", 500)

    def close_when_done(self) -> None:
        self.closing = True
        if self.task is None and self.transport is not None:
            self.reading = False
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
