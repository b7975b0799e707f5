"""The exporter's HTTP/1.1 server, spoken to over real loopback sockets as Prometheus, curl
and a misbehaving client would."""

from __future__ import annotations

import asyncio
import functools
import gzip
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

import pytest

from exporters.http import HttpServer, Request, Response, parse_head, parse_query

SECRET = "canary-community-3f9a"


def run(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """The test in its own event loop (the suite runs coroutines with asyncio.run)."""

    @functools.wraps(test)
    def sync(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return sync


class Recorder:
    def __init__(self) -> None:
        self.seen: list[Request] = []
        self.cancelled = asyncio.Event()
        self.release = asyncio.Event()
        self.abandoned: list[str] = []

    async def echo(self, request: Request) -> Response:
        self.seen.append(request)
        text = f"{request.path} {request.query} {request.headers.get('x-probe', '')}\n"
        return Response(text.encode())

    async def slow(self, request: Request) -> Response:
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return Response(b"slow done\n")

    async def broken(self, request: Request) -> Response:
        raise RuntimeError(f"auth failed for community {SECRET}")


@asynccontextmanager
async def serving(recorder: Recorder) -> AsyncIterator[tuple[HttpServer, int]]:
    http = HttpServer(
        {"/echo": recorder.echo, "/slow": recorder.slow, "/broken": recorder.broken},
        on_abandoned=lambda request: recorder.abandoned.append(request.path),
    )
    listener = await asyncio.get_running_loop().create_server(http.protocol, "127.0.0.1", 0)
    try:
        yield http, listener.sockets[0].getsockname()[1]
    finally:
        listener.close()
        await http.shutdown(timeout=1.0)


async def exchange(port: int, raw: bytes, responses: int = 1) -> list[tuple[bytes, bytes]]:
    """Send ``raw``, read ``responses`` answers as (head, body); then expect nothing more."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    out = []
    try:
        for _ in range(responses):
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            length = int(header(head, "Content-Length") or 0)
            is_head = raw.startswith(b"HEAD")
            body = b"" if is_head else await reader.readexactly(length)
            out.append((head, body))
    finally:
        writer.close()
    return out


def header(head: bytes, name: str) -> str | None:
    for line in head.decode("latin-1").split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.lower() == name.lower():
            return value.strip()
    return None


def status(head: bytes) -> int:
    return int(head.split(b" ", 2)[1])


@run
async def test_pipelined_requests_are_answered_in_order_on_one_connection() -> None:
    recorder = Recorder()
    async with serving(recorder) as (_, port):
        raw = (
            b"GET /echo?target=10.0.0.1&module=if_mib&module=system HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /echo?target=%5B%3A%3A1%5D%3A161&x=a+b HTTP/1.1\r\nX-Probe: two\r\n\r\n"
        )
        answers = await exchange(port, raw, responses=2)
    assert [status(h) for h, _ in answers] == [200, 200]
    assert header(answers[0][0], "Connection") is None  # kept open
    assert header(answers[0][0], "Date")
    first, second = recorder.seen
    assert first.getall("module") == ["if_mib", "system"]
    assert first.get("target") == "10.0.0.1"
    assert second.get("target") == "[::1]:161"
    assert second.get("x") == "a b"
    assert answers[1][1].endswith(b" two\n")


@run
async def test_http10_closes_unless_asked_to_keep_alive() -> None:
    async with serving(Recorder()) as (_, port):
        ((head, _),) = await exchange(port, b"GET /echo HTTP/1.0\r\n\r\n")
        assert header(head, "Connection") == "close"
        ((head, _),) = await exchange(port, b"GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        assert header(head, "Connection") is None
        ((head, _),) = await exchange(port, b"GET /echo HTTP/1.1\r\nConnection: close\r\n\r\n")
        assert header(head, "Connection") == "close"


@run
async def test_head_has_the_length_of_get_and_no_body() -> None:
    async with serving(Recorder()) as (_, port):
        ((_, body),) = await exchange(port, b"GET /echo HTTP/1.1\r\n\r\n")
        raw = b"HEAD /echo HTTP/1.1\r\n\r\nGET /echo?after=1 HTTP/1.1\r\n\r\n"
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert header(head, "Content-Length") == str(len(body))
        # the next bytes are the second answer's head, not a body
        assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).startswith(
            b"HTTP/1.1 200"
        )
        writer.close()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"GET /nowhere HTTP/1.1\r\n\r\n", 404),
        (b"POST /echo HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405),
        (b"GET /echo HTTP/2.0\r\n\r\n", 505),
        (b"GET /echo\r\n\r\n", 400),
        (b"GET /echo HTTP/1.1\r\nno colon here\r\n\r\n", 400),
        (b"GET /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
        (b"GET /echo HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 413),
        (b"GET /echo HTTP/1.1\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n", 431),
    ],
)
@run
async def test_what_is_not_taken_gets_its_status(raw: bytes, expected: int) -> None:
    async with serving(Recorder()) as (_, port):
        ((head, _),) = await exchange(port, raw)
    assert status(head) == expected


@run
async def test_a_request_body_is_skipped_and_the_next_request_answered() -> None:
    recorder = Recorder()
    async with serving(recorder) as (_, port):
        raw = b"GET /echo?n=1 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
        raw += b"GET /echo?n=2 HTTP/1.1\r\n\r\n"
        answers = await exchange(port, raw, responses=2)
    assert [r.get("n") for r in recorder.seen] == ["1", "2"]
    assert all(status(h) == 200 for h, _ in answers)


@run
async def test_a_failing_handler_is_a_500_that_names_no_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with serving(Recorder()) as (_, port):
        ((head, body),) = await exchange(port, b"GET /broken HTTP/1.1\r\n\r\n")
        ((again, _),) = await exchange(port, b"GET /echo HTTP/1.1\r\n\r\n")
    assert status(head) == 500 and SECRET.encode() not in body
    assert status(again) == 200  # the server stands
    assert "RuntimeError" in caplog.text and SECRET not in caplog.text


@run
async def test_a_client_that_goes_away_cancels_its_request() -> None:
    recorder = Recorder()
    async with serving(recorder) as (_, port):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /slow HTTP/1.1\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()
        await asyncio.wait_for(recorder.cancelled.wait(), 5)
    assert recorder.abandoned == ["/slow"]


@run
async def test_shutdown_lets_a_request_in_progress_finish() -> None:
    recorder = Recorder()
    async with serving(recorder) as (http, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /slow HTTP/1.1\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(0.05)
        stopping = asyncio.create_task(http.shutdown(timeout=5.0))
        await asyncio.sleep(0.05)
        recorder.release.set()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        await stopping
        assert status(head) == 200
        assert header(head, "Connection") == "close"
        writer.close()


def test_parse_head_lowercases_header_names_and_decodes_the_path() -> None:
    parsed = parse_head(b"GET /a%20b?q=%2F HTTP/1.1\r\nX-Prometheus-Scrape-Timeout-Seconds: 10")
    assert parsed.request.path == "/a b"
    assert parsed.request.get("q") == "/"
    assert parsed.request.headers["x-prometheus-scrape-timeout-seconds"] == "10"
    assert parsed.keep_alive


@pytest.mark.parametrize(
    "query",
    [
        "",
        "a",
        "a=",
        "target=10.0.0.1&module=if_mib,system&module=ip_mib",
        "a=1&&b=2",
        "=x",
        "a==b",
        "x&y=1&x=2",
        "a=1;b=2",
        "a=%20b&c=%2C",
        "a=b+c",
        "auth=t\u00e9l\u00e9",
    ],
)
def test_a_query_reads_as_parse_qsl_reads_it(query: str) -> None:
    """The split without escapes gives what urllib's parse_qsl gives, blanks kept."""
    assert parse_query(query) == tuple(parse_qsl(query, keep_blank_values=True))


def test_header_values_lose_only_ascii_whitespace() -> None:
    """As before the head was read as text: a Latin-1 NBSP (0xA0) is part of the value."""
    parsed = parse_head(b"GET / HTTP/1.1\r\nX-A: \t v\xa0 \r\nX-B:w")
    assert parsed.request.headers == {"x-a": "v\xa0", "x-b": "w"}
    with pytest.raises(ValueError, match="malformed header"):
        parse_head(b"GET / HTTP/1.1\r\nX-A : v")


@pytest.mark.parametrize(
    ("accept", "compressed"),
    [
        ("gzip", True),  # what Prometheus sends
        ("deflate, gzip;q=1.0, *;q=0.5", True),
        ("identity", False),
        ("gzip;q=0", False),
        (None, False),
    ],
)
@run
async def test_gzip_when_the_client_asks_for_it(accept: str | None, compressed: bool) -> None:
    line = f"Accept-Encoding: {accept}\r\n" if accept is not None else ""
    raw = f"GET /echo?x=1 HTTP/1.1\r\n{line}\r\n".encode()
    async with serving(Recorder()) as (_, port):
        ((head, body),) = await exchange(port, raw)
    assert (header(head, "Content-Encoding") == "gzip") is compressed
    text = gzip.decompress(body) if compressed else body
    assert text.startswith(b"/echo ")
