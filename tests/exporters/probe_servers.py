"""Real servers on loopback for the probe modules' tests: DNS (authoritative) and HTTPS.

- :class:`AuthoritativeDns`: UDP and TCP on 127.0.0.1 and ::1 (one free port for both),
  answering from :mod:`dns.zone` zones with :mod:`dns.message`; a family can instead be
  *silent* (the port is held, nothing answers), or the whole server silent.
- :func:`make_certificates`: a test CA and a server certificate for the test zones,
  made with ``cryptography``.
- :class:`HttpsPair`: HTTPS on 127.0.0.1 and [::1] with one free port; the IPv6 side can
  serve other content, or refuse connections (port held, not listening).
- :class:`ScriptedSipEndpoint`, :func:`start_sip_tcp`: SIP endpoints that answer other
  codes, lose requests or send stray datagrams (lab.sip's responder answers 200 only).
- :class:`ServerThread`: an event loop in a thread that runs these servers while the
  test's own ``asyncio.run`` runs the probe.

Nothing here is a mock: the probes speak real DNS, TCP and TLS to these servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import errno
import secrets
import socket
import ssl
import threading
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from lab.sip import parse_request, response_for
from lab.state import DeviceState

T = TypeVar("T")
Mode = Literal["serve", "silent"]
LOOPBACK = {"ipv4": "127.0.0.1", "ipv6": "::1"}


def bind_pair(
    kinds: Iterable[socket.SocketKind],
) -> tuple[int, dict[tuple[str, int], socket.socket]]:
    """Sockets of the given kinds bound on 127.0.0.1 and ::1, all on one free port.

    Returns the port and the sockets by (family, kind); nothing else can take the port
    while they are held.
    """
    kinds = list(kinds)
    for _ in range(50):
        held: dict[tuple[str, int], socket.socket] = {}
        port = 0
        try:
            for family, address in (("ipv6", "::1"), ("ipv4", "127.0.0.1")):
                af = socket.AF_INET6 if family == "ipv6" else socket.AF_INET
                for kind in kinds:
                    sock = socket.socket(af, kind)
                    held[(family, int(kind))] = sock
                    sock.bind((address, port))
                    port = int(sock.getsockname()[1])
        except OSError as exc:
            for sock in held.values():
                sock.close()
            if exc.errno != errno.EADDRINUSE:
                raise
            continue
        return port, held
    raise OSError("no free port on both 127.0.0.1 and ::1")


class AuthoritativeDns:
    """An authoritative name server for ``zones`` (REFUSED outside them)."""

    def __init__(
        self, zones: Iterable[dns.zone.Zone], ipv4: Mode = "serve", ipv6: Mode = "serve"
    ) -> None:
        self.zones = list(zones)
        self.modes = {"ipv4": ipv4, "ipv6": ipv6}
        self.port = 0
        self.queries = 0
        self._closers: list[Callable[[], None]] = []
        self._servers: list[asyncio.AbstractServer] = []

    def answer(self, query: dns.message.Message) -> dns.message.Message:
        """The authoritative answer to one query."""
        response = dns.message.make_response(query)
        question = query.question[0]
        zone = next((z for z in self.zones if question.name.is_subdomain(_origin(z))), None)
        if zone is None:
            response.set_rcode(dns.rcode.REFUSED)
            return response
        response.flags |= dns.flags.AA
        soa = zone.find_rrset(_origin(zone), dns.rdatatype.SOA)
        node = zone.get_node(question.name)
        if node is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(soa)
            return response
        rdataset = node.get_rdataset(dns.rdataclass.IN, question.rdtype)
        if rdataset is None:
            response.authority.append(soa)
            return response
        response.answer.append(
            dns.rrset.from_rdata_list(question.name, rdataset.ttl, list(rdataset))
        )
        return response

    def _reply(self, wire: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(wire)
        except Exception:  # not DNS: drop it, as a server would
            return None
        self.queries += 1
        return self.answer(query).to_wire()

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self.port, held = bind_pair([socket.SOCK_DGRAM, socket.SOCK_STREAM])
        for (family, kind), sock in held.items():
            if self.modes[family] != "serve":
                # held: UDP queries go unanswered, TCP connections are refused
                self._closers.append(sock.close)
                continue
            if kind == socket.SOCK_DGRAM:
                transport, _ = await loop.create_datagram_endpoint(
                    lambda: _DnsUdp(self._reply), sock=sock
                )
                self._closers.append(transport.close)
            else:
                server = await asyncio.start_server(self._serve_tcp, sock=sock)
                self._servers.append(server)
        return self.port

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                length = int.from_bytes(await reader.readexactly(2), "big")
                reply = self._reply(await reader.readexactly(length))
                if reply is None:
                    break
                writer.write(len(reply).to_bytes(2, "big") + reply)
                await writer.drain()
        writer.close()

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
            await server.wait_closed()
        for close in self._closers:
            close()


@dataclass
class _DnsUdp(asyncio.DatagramProtocol):
    reply: Callable[[bytes], bytes | None]
    transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        answer = self.reply(data)
        if answer is not None and self.transport is not None:
            self.transport.sendto(answer, addr)


def _origin(zone: dns.zone.Zone) -> dns.name.Name:
    assert zone.origin is not None
    return zone.origin


def zone(text: str, origin: str) -> dns.zone.Zone:
    return dns.zone.from_text(text, origin=origin, relativize=False)


@dataclass(frozen=True)
class Certificates:
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_certificates(directory: Path, names: Iterable[str]) -> Certificates:
    """A test CA and a server certificate for ``names`` (wildcards allowed), as PEM files."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "provnet test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = list(names)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = Certificates(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    paths.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


# (family, Host header without port) -> (status, body)
Content = Callable[[str, str], tuple[int, bytes]]


def volatile_nonce() -> bytes:
    """A part of a page that changes on every request (as a CSRF token does)."""
    return f"nonce={secrets.token_hex(8)}".encode()


@dataclass
class HttpsPair:
    """HTTPS on 127.0.0.1 and [::1], one port; ``ipv6="silent"`` holds [::1] unlistened,
    so connections to it are refused."""

    certificates: Certificates
    content: Content
    ipv6: Mode = "serve"
    port: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)
    _runners: list[web.AppRunner] = field(default_factory=list)
    _held: list[socket.socket] = field(default_factory=list)

    def _app(self, family: str) -> web.Application:
        async def handle(request: web.Request) -> web.Response:
            host = request.host.rsplit(":", 1)[0]
            self.requests.append((family, host))
            status, body = self.content(family, host)
            return web.Response(status=status, body=body, content_type="text/html")

        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", handle)
        return app

    async def start(self) -> int:
        self.port, held = bind_pair([socket.SOCK_STREAM])
        context = self.certificates.server_context()
        for (family, _), sock in held.items():
            if family == "ipv6" and self.ipv6 != "serve":
                self._held.append(sock)  # bound, never listening: connections are refused
                continue
            runner = web.AppRunner(self._app(family), access_log=None, shutdown_timeout=0.5)
            await runner.setup()
            await web.SockSite(runner, sock, ssl_context=context).start()
            self._runners.append(runner)
        return self.port

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        for sock in self._held:
            sock.close()


class ServerThread:
    """An event loop in a daemon thread, for servers that outlive one ``asyncio.run``."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


def sip_reply(request: bytes, status: str, call_id: str | None = None) -> bytes:
    """A response to ``request`` as an endpoint makes it (lab.sip's rules), other status."""
    parsed = parse_request(request)
    assert parsed is not None, request
    method, headers = parsed
    state = DeviceState(name="vc-test", platform="cisco_tp", hostname="vc-test")
    text = response_for(state, method, headers).decode()
    text = text.replace("SIP/2.0 200 OK", f"SIP/2.0 {status}", 1)
    if call_id is not None:
        old = next(value for name, value in headers if name.lower() == "call-id")
        text = text.replace(old, call_id)
    return text.encode()


@dataclass
class ScriptedSipEndpoint(asyncio.DatagramProtocol):
    """A UDP SIP endpoint that loses requests, sends strays and provisional answers.

    For each request after the first ``drop`` ones: a datagram that is not SIP, a
    response to another Call-ID, then (if ``provisional``) ``100 Trying``, then ``status``.
    """

    status: str = "200 OK"
    drop: int = 0
    provisional: bool = False
    received: list[bytes] = field(default_factory=list)
    transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        self.received.append(data)
        if len(self.received) <= self.drop or self.transport is None:
            return
        self.transport.sendto(b"\x00\x01 not SIP at all", addr)
        self.transport.sendto(sip_reply(data, "200 OK", call_id="stray@127.0.0.1"), addr)
        if self.provisional:
            self.transport.sendto(sip_reply(data, "100 Trying"), addr)
        self.transport.sendto(sip_reply(data, self.status), addr)


async def start_sip_udp(
    endpoint: asyncio.DatagramProtocol, host: str = "127.0.0.1"
) -> tuple[asyncio.DatagramTransport, int]:
    """``endpoint`` on a free UDP port of ``host``."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: endpoint, local_addr=(host, 0))
    return transport, int(transport.get_extra_info("sockname")[1])


async def start_sip_tcp(status: str = "200 OK", host: str = "127.0.0.1") -> asyncio.Server:
    """A SIP-over-TCP endpoint answering every request with ``status``."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                writer.write(sip_reply(request, status))
                await writer.drain()
        writer.close()

    return await asyncio.start_server(serve, host, 0)


async def exporter_probe(query: dict[str, str], scrape_timeout: float = 3.0) -> tuple[int, str]:
    """GET /probe from provnet's exporter (served in this process on a free loopback port)."""
    import aiohttp

    from exporters.metrics import SelfMetrics
    from exporters.registry import build_registry
    from exporters.server import Server

    http = Server(build_registry(None, None), SelfMetrics()).http()
    listener = await asyncio.get_running_loop().create_server(http.protocol, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    headers = {"X-Prometheus-Scrape-Timeout-Seconds": str(scrape_timeout)}
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/probe", params=query, headers=headers) as got,
        ):
            return got.status, await got.text()
    finally:
        listener.close()
        await http.shutdown(timeout=1.0)
