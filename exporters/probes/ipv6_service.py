"""``ipv6_service``: is a public service IPv6-ready ("IPv6 For Gov")?

``/probe?module=ipv6_service&target=NAME`` checks the four conditions of readiness:

- ``aaaa``: NAME has an AAAA record;
- ``https_ipv6``: NAME answers HTTPS over IPv6 (any HTTP response after a verified TLS
  handshake; redirects are not followed);
- ``content_match``: what IPv6 serves is what IPv4 serves: the same status and the same
  SHA-256 of the body, after removing the matches of the ``strip`` regex (volatile parts
  such as a clock or a CSRF token);
- ``dns_ipv6``: the name servers of NAME's zone answer over IPv6: at least one of them
  has an AAAA record, and every such address answers a query for the zone's SOA.

HTTPS goes to the exact address found in DNS, while TLS (SNI, certificate check) and the
Host header use NAME. ``provnet_ipv6_service_ready`` is 1 when all four hold. Whatever
is unfinished at the deadline counts as failed; a failing service is never an error.

Parameters: ``resolver=ADDR[:PORT]`` (the DNS server to ask; the system's by default),
``port`` (HTTPS, 443), ``path`` (``/``), ``ca_file`` or ``insecure=1`` (TLS
verification), ``strip=REGEX``, ``dns_port`` (where the zone's name servers listen, 53).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import aiohttp
import dns.asyncquery
import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver
from aiohttp.abc import AbstractResolver, ResolveResult

from exporters.module import MetricFamily, ProbeTargets
from exporters.probes.common import (
    ProbeParameterError,
    flag,
    parse_host_port,
    parse_port,
)
from provnet.deadline import remaining

Family = Literal["ipv4", "ipv6"]
CHECKS = ("aaaa", "https_ipv6", "content_match", "dns_ipv6")
MAX_BODY = 4 * 1024 * 1024  # bytes of a body read and hashed, at most
MAX_NAMESERVER_ADDRESSES = 8  # series of provnet_ipv6_service_nameserver_answers, at most
USER_AGENT = "provnet-exporter (ipv6_service)"


@dataclass(frozen=True)
class ServiceParams:
    """One probe request, checked."""

    name: str  # without the trailing dot
    resolver: tuple[str, int] | None
    port: int = 443
    path: str = "/"
    ca_file: str | None = None
    insecure: bool = False
    strip: re.Pattern[bytes] | None = None
    dns_port: int = 53


def parse_params(target: str, params: Mapping[str, str]) -> ServiceParams:
    """The request's target and parameters; :class:`ProbeParameterError` naming the target."""
    host, _ = parse_host_port(target, 443)
    if host != target.strip() or _is_address(host):
        raise ProbeParameterError(f"target '{target}': expected a DNS name (no port, no address)")
    resolver = None
    if value := params.get("resolver", "").strip():
        resolver = parse_host_port(value, 53, f"target '{target}': resolver")
        if not _is_address(resolver[0]):
            raise ProbeParameterError(f"target '{target}': resolver '{value}' is not an address")
    path = params.get("path", "/") or "/"
    if not path.startswith("/") or any(c.isspace() for c in path):
        raise ProbeParameterError(f"target '{target}': path '{path}' must start with /")
    ca_file = params.get("ca_file") or None
    if ca_file is not None and not Path(ca_file).is_file():
        raise ProbeParameterError(f"target '{target}': ca_file '{ca_file}' is not a file")
    strip = None
    if pattern := params.get("strip", ""):
        try:
            strip = re.compile(pattern.encode())
        except re.error as exc:
            raise ProbeParameterError(f"target '{target}': strip regex: {exc}") from None
    return ServiceParams(
        name=host.rstrip(".").lower(),
        resolver=resolver,
        port=parse_port(params.get("port", "443"), f"target '{target}': port"),
        path=path,
        ca_file=ca_file,
        insecure=flag(params, "insecure"),
        strip=strip,
        dns_port=parse_port(params.get("dns_port", "53"), f"target '{target}': dns_port"),
    )


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# --- decisions ---------------------------------------------------------------------


@dataclass(frozen=True)
class HttpAnswer:
    """What one address family served."""

    status: int
    digest: str  # SHA-256 of the body after stripping
    seconds: float


@dataclass(frozen=True)
class NameserverAnswer:
    """One name server of the zone and one of its IPv6 addresses (None: it has none)."""

    nameserver: str
    address: str | None
    answered: bool


@dataclass
class Findings:
    """What the probe found before the deadline; unfinished parts stay empty."""

    ipv4: list[str] = field(default_factory=list)
    ipv6: list[str] = field(default_factory=list)
    http: dict[Family, HttpAnswer] = field(default_factory=dict)
    nameservers: list[NameserverAnswer] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def body_digest(body: bytes, strip: re.Pattern[bytes] | None) -> str:
    """SHA-256 of ``body`` with the matches of ``strip`` removed."""
    if strip is not None:
        body = strip.sub(b"", body)
    return hashlib.sha256(body).hexdigest()


def content_matches(ipv4: HttpAnswer | None, ipv6: HttpAnswer | None) -> bool:
    """Both families answered, with the same status and the same (stripped) body."""
    if ipv4 is None or ipv6 is None:
        return False
    return ipv4.status == ipv6.status and ipv4.digest == ipv6.digest


def dns_ipv6_ready(nameservers: Sequence[NameserverAnswer]) -> bool:
    """At least one name server has an IPv6 address, and every such address answers."""
    with_ipv6 = [n for n in nameservers if n.address is not None]
    return bool(with_ipv6) and all(n.answered for n in with_ipv6)


def nameserver_addresses(
    nameservers: Sequence[str], addresses: Sequence[Sequence[str]]
) -> list[tuple[str, str | None]]:
    """(name server, IPv6 address or None when it has none), at most the cap, in order."""
    pairs: list[tuple[str, str | None]] = []
    for nameserver, found in zip(nameservers, addresses, strict=True):
        pairs += [(nameserver, a) for a in found] if found else [(nameserver, None)]
    return pairs[:MAX_NAMESERVER_ADDRESSES]


def checks(findings: Findings) -> dict[str, bool]:
    """The four conditions, from what was found."""
    return {
        "aaaa": bool(findings.ipv6),
        "https_ipv6": "ipv6" in findings.http,
        "content_match": content_matches(findings.http.get("ipv4"), findings.http.get("ipv6")),
        "dns_ipv6": dns_ipv6_ready(findings.nameservers),
    }


def ready(results: Mapping[str, bool]) -> bool:
    """IPv6-ready: every one of the four checks holds."""
    return all(results.get(check, False) for check in CHECKS)


def metric_families(findings: Findings, duration: float) -> list[MetricFamily]:
    results = checks(findings)
    ready_family = MetricFamily(
        "provnet_ipv6_service_ready",
        "gauge",
        "1 khi dịch vụ sẵn sàng IPv6 (service is IPv6-ready: all four checks pass).",
    )
    ready_family.add(1.0 if ready(results) else 0.0)
    check_family = MetricFamily(
        "provnet_ipv6_service_check",
        "gauge",
        "Kết quả từng điều kiện IPv6 (each IPv6-readiness check, 0/1).",
    )
    for check in CHECKS:
        check_family.add(1.0 if results[check] else 0.0, check=check)
    seconds = MetricFamily(
        "provnet_ipv6_service_https_duration_seconds",
        "gauge",
        "Thời gian tải trang qua HTTPS theo họ địa chỉ (HTTPS fetch time per address family).",
    )
    status = MetricFamily(
        "provnet_ipv6_service_https_status_code",
        "gauge",
        "Mã trạng thái HTTP theo họ địa chỉ (HTTP status code per address family).",
    )
    for family, answer in sorted(findings.http.items()):
        seconds.add(answer.seconds, family=family)
        status.add(float(answer.status), family=family)
    nameservers = MetricFamily(
        "provnet_ipv6_service_nameserver_answers",
        "gauge",
        "Máy chủ tên miền trả lời qua IPv6 (zone name server answers over IPv6; "
        'address="" when it has no AAAA).',
    )
    for server in findings.nameservers[:MAX_NAMESERVER_ADDRESSES]:
        nameservers.add(
            1.0 if server.answered else 0.0,
            nameserver=server.nameserver,
            address=server.address or "",
        )
    spent = MetricFamily(
        "provnet_probe_duration_seconds", "gauge", "Thời gian thăm dò (probe duration)."
    )
    spent.add(duration)
    return [ready_family, check_family, seconds, status, nameservers, spent]


# --- I/O -----------------------------------------------------------------------------


def make_resolver(params: ServiceParams) -> dns.asyncresolver.Resolver:
    """The resolver to ask: the ``resolver`` parameter, or the system's configuration."""
    if params.resolver is None:
        return dns.asyncresolver.Resolver()
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [params.resolver[0]]
    resolver.port = params.resolver[1]
    return resolver


async def lookup(
    resolver: dns.asyncresolver.Resolver, name: str, rdtype: str, deadline: float
) -> list[str]:
    """The records of one type (as text); empty when the name has none."""
    try:
        answer = await resolver.resolve(name, rdtype, lifetime=remaining(deadline))
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    return [rdata.to_text() for rdata in answer]


async def zone_nameservers(
    resolver: dns.asyncresolver.Resolver, name: str, deadline: float
) -> tuple[dns.name.Name, list[str]]:
    """The zone that holds ``name`` and its name servers."""
    zone = await dns.asyncresolver.zone_for_name(
        dns.name.from_text(name), resolver=resolver, lifetime=remaining(deadline)
    )
    return zone, sorted(await lookup(resolver, zone.to_text(), "NS", deadline))


async def answers_over_ipv6(zone: dns.name.Name, address: str, port: int, deadline: float) -> bool:
    """Whether the name server at ``address`` answers the zone's SOA (UDP, TCP if truncated)."""
    query = dns.message.make_query(zone, dns.rdatatype.SOA)
    try:
        response, _ = await dns.asyncquery.udp_with_fallback(
            query, address, timeout=remaining(deadline), port=port
        )
    except (dns.exception.DNSException, OSError, EOFError):
        return False
    return response.rcode() == dns.rcode.NOERROR and bool(
        response.get_rrset(response.answer, zone, dns.rdataclass.IN, dns.rdatatype.SOA)
    )


async def check_nameservers(
    resolver: dns.asyncresolver.Resolver, params: ServiceParams, found: Findings, deadline: float
) -> None:
    try:
        zone, nameservers = await zone_nameservers(resolver, params.name, deadline)
        addresses = await asyncio.gather(
            *(lookup(resolver, ns, "AAAA", deadline) for ns in nameservers)
        )
    except (dns.exception.DNSException, OSError) as exc:
        found.errors.append(f"nameservers: {type(exc).__name__}")
        return
    # known before asking, so a deadline leaves them as "did not answer"
    found.nameservers = [
        NameserverAnswer(ns, address, False)
        for ns, address in nameserver_addresses(nameservers, addresses)
    ]

    async def ask(index: int, server: NameserverAnswer) -> None:
        if server.address is not None:
            answered = await answers_over_ipv6(zone, server.address, params.dns_port, deadline)
            found.nameservers[index] = dataclasses.replace(server, answered=answered)

    await asyncio.gather(*(ask(i, server) for i, server in enumerate(found.nameservers)))


class PinnedResolver(AbstractResolver):
    """aiohttp's resolver for one name: the addresses the probe found, nothing else."""

    def __init__(self, name: str, addresses: Sequence[str], family: socket.AddressFamily) -> None:
        self._name, self._addresses, self._family = name, list(addresses), family

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host.rstrip(".").lower() != self._name:
            raise OSError(f"{host}: not the probed name")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=self._family,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self._addresses
        ]

    async def close(self) -> None:
        return None


@functools.lru_cache(maxsize=16)
def _verifying_context(ca_file: str | None, changed: int) -> ssl.SSLContext:
    """A TLS client context, reused across probes (loading the system's CAs is slow)."""
    return ssl.create_default_context(cafile=ca_file)


def _ssl_context(params: ServiceParams) -> ssl.SSLContext | bool:
    if params.insecure:
        return False
    changed = Path(params.ca_file).stat().st_mtime_ns if params.ca_file else 0
    return _verifying_context(params.ca_file, changed)


async def fetch(
    params: ServiceParams, family: Family, addresses: Sequence[str], deadline: float
) -> HttpAnswer:
    """GET https://NAME:PORT/PATH from ``addresses`` only, with TLS and Host for NAME."""
    address_family = socket.AF_INET6 if family == "ipv6" else socket.AF_INET
    connector = aiohttp.TCPConnector(
        resolver=PinnedResolver(params.name, addresses, address_family),
        family=address_family,
        ssl=_ssl_context(params),
        use_dns_cache=False,
        force_close=True,
    )
    started = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=remaining(deadline))
    url = f"https://{params.name}:{params.port}{params.path}"
    async with (
        aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
        session.get(url, allow_redirects=False, headers={"User-Agent": USER_AGENT}) as response,
    ):
        body = bytearray()
        async for chunk in response.content.iter_chunked(65536):
            body += chunk
            if len(body) >= MAX_BODY:
                break
        return HttpAnswer(
            response.status,
            body_digest(bytes(body[:MAX_BODY]), params.strip),
            time.monotonic() - started,
        )


async def check_https(
    params: ServiceParams, family: Family, addresses: Sequence[str], found: Findings, d: float
) -> None:
    if not addresses:
        return
    try:
        found.http[family] = await fetch(params, family, addresses, d)
    except (aiohttp.ClientError, OSError, ssl.SSLError, ValueError) as exc:
        found.errors.append(f"https {family}: {type(exc).__name__}")


async def check_addresses_and_https(
    resolver: dns.asyncresolver.Resolver, params: ServiceParams, found: Findings, deadline: float
) -> None:
    results = await asyncio.gather(
        lookup(resolver, params.name, "A", deadline),
        lookup(resolver, params.name, "AAAA", deadline),
        return_exceptions=True,
    )
    for family, result in zip(("ipv4", "ipv6"), results, strict=True):
        if isinstance(result, BaseException):
            found.errors.append(f"{family} lookup: {type(result).__name__}")
    found.ipv4 = results[0] if isinstance(results[0], list) else []
    found.ipv6 = results[1] if isinstance(results[1], list) else []
    await asyncio.gather(
        check_https(params, "ipv4", found.ipv4, found, deadline),
        check_https(params, "ipv6", found.ipv6, found, deadline),
    )


async def investigate(params: ServiceParams, deadline: float) -> Findings:
    """Everything the probe finds before the deadline; never raises for the service."""
    found = Findings()
    resolver = make_resolver(params)
    try:
        async with asyncio.timeout(remaining(deadline)):  # not wait_for: see vc.probe_endpoint
            await asyncio.gather(
                check_addresses_and_https(resolver, params, found, deadline),
                check_nameservers(resolver, params, found, deadline),
            )
    except TimeoutError:
        found.errors.append("deadline")
    return found


class Ipv6ServiceModule:
    """The ``ipv6_service`` probe module (implements :class:`exporters.module.ProbeModule`)."""

    name = "ipv6_service"
    targets = ProbeTargets(order=1, data_key="ipv6_services")

    async def probe(
        self, target: str, params: Mapping[str, str], deadline: float
    ) -> list[MetricFamily]:
        started = time.monotonic()
        service = parse_params(target, params)
        found = await investigate(service, deadline)
        return metric_families(found, time.monotonic() - started)


MODULE = Ipv6ServiceModule()
