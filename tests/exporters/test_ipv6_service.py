"""The ipv6_service probe against real DNS and HTTPS servers on loopback (probe_servers.py).

The test zones: ``tinh.gov.vn.test.`` (name servers with AAAA ::1) holds the services
of most cases; ``khongv6.gov.vn.test.`` has name servers without AAAA;
``v4dns.gov.vn.test.`` is served by a DNS server that answers only over IPv4 (its ::1
port is held and silent). Every query goes to these servers: ``resolver=`` is always
given, so the system's resolver is never asked.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporters.module import MetricFamily, ProbeModule
from exporters.probes.common import ProbeParameterError
from exporters.probes.ipv6_service import (
    MAX_NAMESERVER_ADDRESSES,
    MODULE,
    Findings,
    HttpAnswer,
    NameserverAnswer,
    body_digest,
    content_matches,
    dns_ipv6_ready,
    nameserver_addresses,
    parse_params,
)
from exporters.probes.ipv6_service import checks as decide
from exporters.probes.ipv6_service import ready as is_ready
from tests.exporters.probe_servers import (
    AuthoritativeDns,
    Certificates,
    HttpsPair,
    ServerThread,
    exporter_probe,
    make_certificates,
    volatile_nonce,
    zone,
)

SOA = "ns1 hostmaster.tinh.gov.vn.test. 1 3600 600 86400 300"
TINH = zone(
    f"""
$TTL 300
@ SOA {SOA}
@ NS ns1
@ NS ns2
ns1 A 127.0.0.1
ns1 AAAA ::1
ns2 A 127.0.0.1
ns2 AAAA ::1
dichvucong A 127.0.0.1
dichvucong AAAA ::1
chiv4 A 127.0.0.1
khac A 127.0.0.1
khac AAAA ::1
loi A 127.0.0.1
loi AAAA ::1
dongho A 127.0.0.1
dongho AAAA ::1
""",
    "tinh.gov.vn.test.",
)
KHONGV6 = zone(
    f"""
$TTL 300
@ SOA {SOA}
@ NS ns1
ns1 A 127.0.0.1
cong A 127.0.0.1
cong AAAA ::1
""",
    "khongv6.gov.vn.test.",
)
V4DNS = zone(
    f"""
$TTL 300
@ SOA {SOA}
@ NS ns1
ns1 A 127.0.0.1
ns1 AAAA ::1
cong A 127.0.0.1
cong AAAA ::1
""",
    "v4dns.gov.vn.test.",
)

READY = "dichvucong.tinh.gov.vn.test"
PAGE = "<h1>Cổng dịch vụ công tỉnh</h1>".encode()


def content(family: str, host: str) -> tuple[int, bytes]:
    """What each test service serves, by address family and Host."""
    if host == "khac.tinh.gov.vn.test" and family == "ipv6":
        return 200, b"<h1>IPv6 test page</h1>"
    if host == "loi.tinh.gov.vn.test" and family == "ipv6":
        return 503, PAGE
    if host == "dongho.tinh.gov.vn.test":
        return 200, PAGE + volatile_nonce()
    return 200, PAGE


@dataclass
class World:
    certificates: Certificates
    dns: AuthoritativeDns
    dns_v4_only: AuthoritativeDns
    dns_silent: AuthoritativeDns
    https: HttpsPair
    https_v4_only: HttpsPair

    def params(self, **extra: str) -> dict[str, str]:
        params = {
            "resolver": f"127.0.0.1:{self.dns.port}",
            "dns_port": str(self.dns.port),
            "port": str(self.https.port),
            "ca_file": str(self.certificates.ca_file),
        }
        params.update(extra)
        return params


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    certificates = make_certificates(
        tmp_path_factory.mktemp("tls"),
        ["*.tinh.gov.vn.test", "*.khongv6.gov.vn.test", "*.v4dns.gov.vn.test"],
    )
    world = World(
        certificates,
        AuthoritativeDns([TINH, KHONGV6]),
        AuthoritativeDns([V4DNS], ipv6="silent"),
        AuthoritativeDns([], ipv4="silent", ipv6="silent"),
        HttpsPair(certificates, content),
        HttpsPair(certificates, content, ipv6="silent"),
    )
    servers: list[AuthoritativeDns | HttpsPair] = [
        world.dns,
        world.dns_v4_only,
        world.dns_silent,
        world.https,
        world.https_v4_only,
    ]
    thread = ServerThread()
    try:
        for server in servers:
            thread.run(server.start())
        yield world
    finally:
        for server in servers:
            thread.run(server.stop())
        thread.close()


Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def series(families: list[MetricFamily]) -> Series:
    return {(s.name, s.labels): s.value for f in families for s in f.samples}


def probe(target: str, params: Mapping[str, str], budget: float = 3.0) -> Series:
    deadline = time.monotonic() + budget
    return series(asyncio.run(MODULE.probe(target, params, deadline)))


def checks(result: Series) -> dict[str, float]:
    return {
        dict(labels)["check"]: value
        for (name, labels), value in result.items()
        if name == "provnet_ipv6_service_check"
    }


def ready(result: Series) -> float:
    return result[("provnet_ipv6_service_ready", ())]


def https_status(result: Series) -> dict[str, float]:
    return {
        dict(labels)["family"]: value
        for (name, labels), value in result.items()
        if name == "provnet_ipv6_service_https_status_code"
    }


ALL_PASS = {"aaaa": 1.0, "https_ipv6": 1.0, "content_match": 1.0, "dns_ipv6": 1.0}


def test_ready_service(world: World) -> None:
    before = len(world.https.requests)
    result = probe(READY, world.params())
    assert checks(result) == ALL_PASS
    assert ready(result) == 1.0
    assert https_status(result) == {"ipv4": 200.0, "ipv6": 200.0}
    families = {
        dict(labels)["family"]
        for (name, labels) in result
        if name == "provnet_ipv6_service_https_duration_seconds"
    }
    assert families == {"ipv4", "ipv6"}
    # each family reached its own server, with the service's name as Host (SNI alike)
    assert sorted(world.https.requests[before:]) == [("ipv4", READY), ("ipv6", READY)]
    nameservers = {
        (dict(labels)["nameserver"], dict(labels)["address"]): value
        for (name, labels), value in result.items()
        if name == "provnet_ipv6_service_nameserver_answers"
    }
    assert nameservers == {
        ("ns1.tinh.gov.vn.test.", "::1"): 1.0,
        ("ns2.tinh.gov.vn.test.", "::1"): 1.0,
    }


def test_resolver_over_ipv6(world: World) -> None:
    result = probe(READY, world.params(resolver=f"[::1]:{world.dns.port}"))
    assert ready(result) == 1.0


def test_no_aaaa_record(world: World) -> None:
    before = len(world.https.requests)
    result = probe("chiv4.tinh.gov.vn.test", world.params())
    assert checks(result) == {**ALL_PASS, "aaaa": 0.0, "https_ipv6": 0.0, "content_match": 0.0}
    assert ready(result) == 0.0
    assert world.https.requests[before:] == [("ipv4", "chiv4.tinh.gov.vn.test")]


def test_https_refused_over_ipv6(world: World) -> None:
    result = probe(READY, world.params(port=str(world.https_v4_only.port)))
    assert checks(result) == {**ALL_PASS, "https_ipv6": 0.0, "content_match": 0.0}
    assert ready(result) == 0.0
    assert https_status(result) == {"ipv4": 200.0}


@pytest.mark.parametrize("name", ["khac.tinh.gov.vn.test", "loi.tinh.gov.vn.test"])
def test_content_or_status_differs(world: World, name: str) -> None:
    result = probe(name, world.params())
    assert checks(result) == {**ALL_PASS, "content_match": 0.0}
    assert ready(result) == 0.0


def test_volatile_parts_stripped(world: World) -> None:
    name = "dongho.tinh.gov.vn.test"
    assert checks(probe(name, world.params()))["content_match"] == 0.0
    stripped = probe(name, world.params(strip="nonce=[0-9a-f]+"))
    assert checks(stripped) == ALL_PASS
    assert ready(stripped) == 1.0


def test_nameservers_without_aaaa(world: World) -> None:
    result = probe("cong.khongv6.gov.vn.test", world.params())
    assert checks(result) == {**ALL_PASS, "dns_ipv6": 0.0}
    labels = (("nameserver", "ns1.khongv6.gov.vn.test."), ("address", ""))
    assert result[("provnet_ipv6_service_nameserver_answers", labels)] == 0.0


def test_nameservers_silent_over_ipv6(world: World) -> None:
    port = str(world.dns_v4_only.port)
    params = world.params(resolver=f"127.0.0.1:{port}", dns_port=port)
    result = probe("cong.v4dns.gov.vn.test", params, budget=1.5)
    assert checks(result) == {**ALL_PASS, "dns_ipv6": 0.0}
    labels = (("nameserver", "ns1.v4dns.gov.vn.test."), ("address", "::1"))
    assert result[("provnet_ipv6_service_nameserver_answers", labels)] == 0.0


def test_dns_timeout_ends_within_the_deadline(world: World) -> None:
    port = str(world.dns_silent.port)
    budget = 1.0
    deadline = time.monotonic() + budget
    families = asyncio.run(
        MODULE.probe(READY, world.params(resolver=f"127.0.0.1:{port}", dns_port=port), deadline)
    )
    finished = time.monotonic()
    result = series(families)
    assert ready(result) == 0.0
    assert set(checks(result).values()) == {0.0}
    # a contract, not a speed: the server's scrape timeout must hold (slack for a busy CI)
    assert finished <= deadline + 0.25
    assert result[("provnet_probe_duration_seconds", ())] <= budget + 0.25


def test_untrusted_certificate_fails_unless_insecure(world: World) -> None:
    params = world.params()
    del params["ca_file"]
    result = probe(READY, params)
    assert checks(result) == {**ALL_PASS, "https_ipv6": 0.0, "content_match": 0.0}
    assert https_status(result) == {}
    assert ready(probe(READY, {**params, "insecure": "1"})) == 1.0


def test_certificate_for_another_name_fails(world: World, tmp_path: Path) -> None:
    other = make_certificates(tmp_path, ["*.khac.test"])
    result = probe(READY, world.params(ca_file=str(other.ca_file)))
    assert checks(result)["https_ipv6"] == 0.0


@pytest.mark.parametrize(
    ("target", "params", "message"),
    [
        ("127.0.0.1", {}, "expected a DNS name"),
        ("cong.tinh.gov.vn.test:443", {}, "expected a DNS name"),
        ("cong.tinh.gov.vn.test", {"port": "0"}, "port"),
        ("cong.tinh.gov.vn.test", {"dns_port": "x"}, "dns_port"),
        ("cong.tinh.gov.vn.test", {"resolver": "dns.example"}, "not an address"),
        ("cong.tinh.gov.vn.test", {"strip": "("}, "strip regex"),
        ("cong.tinh.gov.vn.test", {"path": "index.html"}, "must start with /"),
        ("cong.tinh.gov.vn.test", {"ca_file": "/nonexistent/ca.pem"}, "not a file"),
    ],
)
def test_bad_requests_name_the_target(target: str, params: dict[str, str], message: str) -> None:
    with pytest.raises(ProbeParameterError, match=message) as raised:
        parse_params(target, params)
    assert target in str(raised.value)


def test_parse_params() -> None:
    parsed = parse_params(
        "Cong.Tinh.Gov.VN.test.",
        {"resolver": "[::1]:5353", "port": "8443", "path": "/a?b=1", "insecure": "yes"},
    )
    assert parsed.name == "cong.tinh.gov.vn.test"
    assert parsed.resolver == ("::1", 5353)
    assert (parsed.port, parsed.path, parsed.insecure, parsed.dns_port) == (
        8443,
        "/a?b=1",
        True,
        53,
    )
    assert parse_params("cong.tinh.gov.vn.test", {}).resolver is None


def test_secrets_in_parameters_never_reach_the_metrics(world: World) -> None:
    canary = "CANARY-ipv6-7d2b90"
    families = asyncio.run(MODULE.probe(READY, world.params(auth=canary), time.monotonic() + 3.0))
    text = repr(families)
    assert "provnet_ipv6_service_ready" in text
    assert canary not in text


def test_the_server_registers_it_by_name() -> None:
    module: ProbeModule = MODULE
    assert module.name == "ipv6_service"


# --- decisions as data ---------------------------------------------------------------

V4 = HttpAnswer(200, "aa", 0.1)


@pytest.mark.parametrize(
    ("ipv4", "ipv6", "expected"),
    [
        (V4, HttpAnswer(200, "aa", 0.3), True),
        (V4, HttpAnswer(200, "bb", 0.1), False),
        (V4, HttpAnswer(503, "aa", 0.1), False),
        (None, HttpAnswer(200, "aa", 0.1), False),  # nothing to compare with
        (V4, None, False),
    ],
)
def test_content_matches(ipv4: HttpAnswer | None, ipv6: HttpAnswer | None, expected: bool) -> None:
    assert content_matches(ipv4, ipv6) is expected


def test_body_digest_strips_volatile_parts() -> None:
    strip = re.compile(rb"token=\w+")
    assert body_digest(b"<p>token=abc</p>", strip) == body_digest(b"<p>token=xyz</p>", strip)
    assert body_digest(b"<p>token=abc</p>", None) != body_digest(b"<p>token=xyz</p>", None)


@pytest.mark.parametrize(
    ("nameservers", "expected"),
    [
        ([NameserverAnswer("ns1.", "::1", True), NameserverAnswer("ns2.", None, False)], True),
        ([NameserverAnswer("ns1.", "::1", True), NameserverAnswer("ns1.", "::2", False)], False),
        ([NameserverAnswer("ns1.", None, False)], False),
        ([], False),
    ],
)
def test_dns_ipv6_ready(nameservers: list[NameserverAnswer], expected: bool) -> None:
    assert dns_ipv6_ready(nameservers) is expected


def test_nameserver_addresses_are_capped() -> None:
    pairs = nameserver_addresses(["a.", "b."], [[], [f"::{i}" for i in range(1, 20)]])
    assert pairs[0] == ("a.", None)
    assert pairs[1] == ("b.", "::1")
    assert len(pairs) == MAX_NAMESERVER_ADDRESSES


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        (
            Findings(
                ["127.0.0.1"],
                ["::1"],
                {"ipv4": V4, "ipv6": V4},
                [NameserverAnswer("ns1.", "::1", True)],
            ),
            ALL_PASS,
        ),
        (Findings(["127.0.0.1"], [], {"ipv4": V4}), dict.fromkeys(ALL_PASS, 0.0)),
        (
            Findings([], ["::1"], {"ipv6": V4}, [NameserverAnswer("ns1.", "::1", True)]),
            {**ALL_PASS, "content_match": 0.0},  # IPv6 only: nothing to compare with
        ),
    ],
)
def test_checks_and_readiness(found: Findings, expected: dict[str, float]) -> None:
    results = decide(found)
    assert {k: float(v) for k, v in results.items()} == expected
    assert is_ready(results) is (set(expected.values()) == {1.0})
    assert is_ready({"aaaa": True, "https_ipv6": True, "content_match": True}) is False


def test_through_the_exporter(world: World) -> None:
    query = {"module": "ipv6_service", "target": READY, **world.params()}
    status, text = asyncio.run(exporter_probe(query))
    assert status == 200
    parsed = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert parsed[("provnet_ipv6_service_ready", ())] == 1.0
    assert parsed[("provnet_ipv6_service_check", (("check", "dns_ipv6"),))] == 1.0
    assert parsed[("provnet_probe_module_success", (("module", "ipv6_service"),))] == 1.0
