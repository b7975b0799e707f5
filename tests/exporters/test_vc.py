"""The vc probe: SIP message handling as data, then real UDP/TCP on loopback.

Live cases run against the session twin's VC endpoints (read-only), against this
module's own twin (faults injected with lab.control.request), and against scripted
endpoints from probe_servers.py that answer other codes, lose requests or send strays.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from exporters.module import MetricFamily, ProbeModule
from exporters.probes.common import ProbeParameterError
from exporters.probes.vc import MODULE, metric_families, parse_params
from inventory.resolve import iter_devices
from inventory.validate import load_valid
from lab.control import UpResult, request
from lab.sip import parse_request
from lab.twin import TWIN_SIP_PORT
from platforms.sip import (
    OptionsRequest,
    SipOutcome,
    VcTarget,
    build_options,
    matching_branch,
    next_send,
    parse_response,
    send_offsets,
)
from tests.conftest import EXAMPLE, worker_twin
from tests.exporters.probe_servers import (
    ScriptedSipEndpoint,
    exporter_probe,
    start_sip_tcp,
    start_sip_udp,
)

Series = dict[tuple[str, tuple[tuple[str, str], ...]], float]

RESPONSE_401 = (
    b"SIP/2.0 401 Unauthorized\r\n"
    b"v: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKabc;rport=5999, SIP/2.0/UDP 10.0.0.1\r\n"
    b"f: <sip:provnet@127.0.0.1>;tag=1\r\n"
    b"t: <sip:127.0.0.2:5060>;tag=2\r\n"
    b"i: c1@127.0.0.1\r\n"
    b"CSeq: 3 OPTIONS\r\n"
    b'WWW-Authenticate: Digest realm="vc",\r\n nonce="x"\r\n'
    b"l: 0\r\n\r\n"
)


# --- data ----------------------------------------------------------------------------


def test_parse_response_full_and_compact_headers() -> None:
    response = parse_response(RESPONSE_401)
    assert response is not None
    assert (response.status, response.reason, response.final) == (401, "Unauthorized", True)
    assert response.header("call-id") == "c1@127.0.0.1"
    assert response.via_branch == "z9hG4bKabc"  # the topmost Via of a folded list
    assert response.cseq == (3, "OPTIONS")
    assert response.header("www-authenticate") == 'Digest realm="vc", nonce="x"'


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe\x00",
        b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\n\r\n",  # a request, not a response
        b"HTTP/1.1 200 OK\r\n\r\n",
        b"SIP/2.0 099 Too Low\r\n\r\n",
        b"SIP/2.0 20 OK\r\n\r\n",
    ],
)
def test_parse_response_rejects_what_is_not_one(data: bytes) -> None:
    assert parse_response(data) is None


def test_provisional_is_not_final() -> None:
    response = parse_response(b"SIP/2.0 100 Trying\r\nCall-ID: x\r\n\r\n")
    assert response is not None and not response.final


@pytest.mark.parametrize(
    ("call_id", "branches", "expected"),
    [
        ("c1@127.0.0.1", ["z9hG4bKabc"], "z9hG4bKabc"),
        ("c1@127.0.0.1", ["z9hG4bKold", "z9hG4bKabc"], "z9hG4bKabc"),
        ("c2@127.0.0.1", ["z9hG4bKabc"], None),  # another call
        ("c1@127.0.0.1", ["z9hG4bKzzz"], None),  # another transaction
    ],
)
def test_matching_branch(call_id: str, branches: list[str], expected: str | None) -> None:
    response = parse_response(RESPONSE_401)
    assert response is not None
    assert matching_branch(response, call_id, branches) == expected


def test_a_response_to_another_method_does_not_match() -> None:
    response = parse_response(RESPONSE_401.replace(b"3 OPTIONS", b"3 INVITE"))
    assert response is not None
    assert matching_branch(response, "c1@127.0.0.1", ["z9hG4bKabc"]) is None


@pytest.mark.parametrize(
    ("budget", "offsets"),
    [
        (0.0, [0.0]),
        (0.3, [0.0]),
        (1.0, [0.0, 0.5]),
        (4.0, [0.0, 0.5, 1.5, 3.5]),
        (16.0, [0.0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5]),  # the interval stops at T2 = 4 s
    ],
)
def test_send_offsets_follow_timer_e(budget: float, offsets: list[float]) -> None:
    assert send_offsets(budget) == offsets


@pytest.mark.parametrize(
    ("sent", "answered", "due"),
    [(0, False, 10.0), (1, False, 10.5), (2, False, None), (1, True, None)],
)
def test_next_send(sent: int, answered: bool, due: float | None) -> None:
    assert next_send(10.0, [0.0, 0.5], sent, answered) == due


@pytest.mark.parametrize(
    ("target", "local", "uri", "via_host"),
    [
        (
            VcTarget("127.0.0.2", 5060, "udp"),
            ("127.0.0.1", 40000),
            "sip:127.0.0.2:5060",
            "127.0.0.1",
        ),
        (VcTarget("::1", 5070, "tcp"), ("::1", 40000), "sip:[::1]:5070", "[::1]"),
    ],
)
def test_options_request_is_rfc3261(
    target: VcTarget, local: tuple[str, int], uri: str, via_host: str
) -> None:
    ids = OptionsRequest("abc@host", "tag1", "z9hG4bKxyz", 7)
    data = build_options(target, local, ids)
    parsed = parse_request(data)  # the twin's own parser reads it
    assert parsed is not None
    method, header_list = parsed
    headers = dict(header_list)
    assert method == "OPTIONS"
    assert data.startswith(f"OPTIONS {uri} SIP/2.0\r\n".encode())
    assert data.endswith(b"Content-Length: 0\r\n\r\n")
    proto = target.transport.upper()
    assert headers["Via"] == f"SIP/2.0/{proto} {via_host}:40000;branch=z9hG4bKxyz;rport"
    assert headers["Max-Forwards"] == "70"
    assert headers["From"].endswith(";tag=tag1")
    assert headers["To"] == f"<{uri}>"
    assert headers["Call-ID"] == "abc@host"
    assert headers["CSeq"] == "7 OPTIONS"
    assert headers["Contact"].endswith(f";transport={target.transport}>")
    assert headers["Accept"] == "application/sdp"


@pytest.mark.parametrize(
    ("target", "params", "expected"),
    [
        ("127.0.0.2", {}, VcTarget("127.0.0.2", 5060, "udp")),
        ("127.0.0.2:5070", {"transport": "TCP"}, VcTarget("127.0.0.2", 5070, "tcp")),
        ("[::1]:5061", {}, VcTarget("::1", 5061, "udp")),
        ("::1", {}, VcTarget("::1", 5060, "udp")),
        ("vc1.tinh.gov.vn", {"transport": ""}, VcTarget("vc1.tinh.gov.vn", 5060, "udp")),
    ],
)
def test_parse_params(target: str, params: dict[str, str], expected: VcTarget) -> None:
    assert parse_params(target, params) == expected


@pytest.mark.parametrize(
    ("target", "params"),
    [
        ("127.0.0.2:99999", {}),
        ("127.0.0.2:", {}),
        ("[127.0.0.2]:5060", {}),
        ("[::1", {}),
        ("", {}),
        ("bad host!", {}),
        ("127.0.0.2", {"transport": "sctp"}),
    ],
)
def test_bad_requests_name_the_target(target: str, params: dict[str, str]) -> None:
    with pytest.raises(ProbeParameterError) as raised:
        parse_params(target, params)
    assert f"'{target}'" in str(raised.value) or target == ""


def series(families: list[MetricFamily]) -> Series:
    return {(s.name, s.labels): s.value for f in families for s in f.samples}


def test_metrics_of_an_answer_and_of_silence() -> None:
    up = series(metric_families(SipOutcome(status=405, rtt=0.01, attempts=2), 0.02))
    assert up == {
        ("provnet_sip_up", ()): 1.0,
        ("provnet_sip_rtt_seconds", ()): 0.01,
        ("provnet_sip_status_code", ()): 405.0,
        ("provnet_sip_requests_sent", ()): 2.0,
        ("provnet_probe_duration_seconds", ()): 0.02,
    }
    down = series(metric_families(SipOutcome(attempts=3, error="timeout"), 1.0))
    assert down == {
        ("provnet_sip_up", ()): 0.0,
        ("provnet_sip_requests_sent", ()): 3.0,
        ("provnet_probe_duration_seconds", ()): 1.0,
    }


# --- live ----------------------------------------------------------------------------


def probe(target: str, budget: float = 2.0, **params: str) -> Series:
    return series(asyncio.run(MODULE.probe(target, params, time.monotonic() + budget)))


def vc_endpoints(overlay: Path) -> dict[str, str]:
    """VC endpoint name -> its twin address, from the overlay inventory."""
    return {
        view.name: f"{view.host}:{TWIN_SIP_PORT}"
        for view in iter_devices(load_valid(overlay))
        if view.platform == "cisco_tp"
    }


def test_every_vc_endpoint_of_the_twin_is_up(twin: UpResult) -> None:
    endpoints = vc_endpoints(twin.overlay)
    assert len(endpoints) >= 2

    async def all_of_them() -> list[list[MetricFamily]]:
        deadline = time.monotonic() + 3.0
        return await asyncio.gather(*(MODULE.probe(t, {}, deadline) for t in endpoints.values()))

    for target, families in zip(endpoints.values(), asyncio.run(all_of_them()), strict=True):
        result = series(families)
        assert result[("provnet_sip_up", ())] == 1.0, target
        assert result[("provnet_sip_status_code", ())] == 200.0
        assert result[("provnet_sip_requests_sent", ())] == 1.0
        assert (
            0
            < result[("provnet_sip_rtt_seconds", ())]
            <= result[("provnet_probe_duration_seconds", ())]
        )


def test_secrets_never_reach_the_metrics(twin: UpResult) -> None:
    canary = "CANARY-vc-9f3e1c"
    lab_secrets = [str(v) for v in yaml.safe_load(twin.secrets_file.read_text("utf-8")).values()]
    assert lab_secrets
    target = next(iter(vc_endpoints(twin.overlay).values()))
    for params in ({"auth": canary}, {"auth": canary, "transport": "tcp"}):
        text = repr(asyncio.run(MODULE.probe(target, params, time.monotonic() + 1.0)))
        assert "provnet_sip_up" in text
        for secret in [canary, *lab_secrets]:
            assert secret not in text


@pytest.fixture(scope="module")
def own_twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[UpResult, str, str]]:
    """A twin of commune 14758 of this module's own (faults here touch no other test)."""
    state_dir = tmp_path_factory.mktemp("vc-twin") / "state"
    with worker_twin(EXAMPLE, ["commune=14758"], state_dir, 60) as result:
        name, target = next(iter(vc_endpoints(result.overlay).items()))
        yield result, name, target


def fault(twin: UpResult, device: str, kind: str, argument: str = "") -> None:
    request(twin.state_dir, {"op": "fault", "device": device, "kind": kind, "argument": argument})


def test_endpoint_down_then_up_again(own_twin: tuple[UpResult, str, str]) -> None:
    twin, device, target = own_twin
    assert probe(target)[("provnet_sip_up", ())] == 1.0
    fault(twin, device, "down")
    try:
        budget = 1.2
        deadline = time.monotonic() + budget
        down = series(asyncio.run(MODULE.probe(target, {}, deadline)))
        assert time.monotonic() <= deadline + 0.25  # the scrape timeout holds (a contract)
        assert down[("provnet_sip_up", ())] == 0.0
        assert down[("provnet_sip_requests_sent", ())] == 2.0  # sent at 0 s and 0.5 s
        assert ("provnet_sip_status_code", ()) not in down
    finally:
        fault(twin, device, "up")
    again = probe(target)
    assert again[("provnet_sip_up", ())] == 1.0
    assert again[("provnet_sip_status_code", ())] == 200.0


def test_slow_answer_is_timed_against_the_request_it_answers(
    own_twin: tuple[UpResult, str, str],
) -> None:
    twin, device, target = own_twin
    fault(twin, device, "slow", "700")
    try:
        result = probe(target, budget=3.0)
    finally:
        fault(twin, device, "slow", "0")
    # sent at 0 s and again at 0.5 s; the answer to the first arrives at about 0.7 s and
    # is timed from the first (timed from the last request sent, it would be about 0.2 s)
    assert result[("provnet_sip_up", ())] == 1.0
    assert result[("provnet_sip_requests_sent", ())] >= 2.0
    assert result[("provnet_sip_rtt_seconds", ())] >= 0.7


def test_silent_socket_is_down_within_the_deadline() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        deadline = time.monotonic() + 1.0
        result = series(asyncio.run(MODULE.probe(f"127.0.0.1:{port}", {}, deadline)))
        assert time.monotonic() <= deadline + 0.25
        received = 0
        silent.setblocking(False)
        while True:
            try:
                silent.recv(65535)
            except BlockingIOError:
                break
            received += 1
    assert result[("provnet_sip_up", ())] == 0.0
    assert received == result[("provnet_sip_requests_sent", ())] == 2.0


def test_closed_port_is_down_at_once() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = probe(f"127.0.0.1:{port}", budget=5.0)
    assert result[("provnet_sip_up", ())] == 0.0
    assert result[("provnet_sip_requests_sent", ())] == 1.0  # ICMP said nobody listens


def scripted(endpoint: ScriptedSipEndpoint, host: str = "127.0.0.1", budget: float = 3.0) -> Series:
    async def scenario() -> list[MetricFamily]:
        transport, port = await start_sip_udp(endpoint, host)
        try:
            target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            return await MODULE.probe(target, {}, time.monotonic() + budget)
        finally:
            transport.close()

    return series(asyncio.run(scenario()))


@pytest.mark.parametrize("status", ["401 Unauthorized", "403 Forbidden", "405 Method Not Allowed"])
def test_any_sip_answer_means_alive(status: str) -> None:
    result = scripted(ScriptedSipEndpoint(status=status))
    assert result[("provnet_sip_up", ())] == 1.0
    assert result[("provnet_sip_status_code", ())] == float(status.split()[0])


def test_strays_and_provisional_answers_are_passed_over() -> None:
    endpoint = ScriptedSipEndpoint(status="200 OK", provisional=True)
    result = scripted(endpoint)
    assert result[("provnet_sip_status_code", ())] == 200.0
    assert result[("provnet_sip_requests_sent", ())] == 1.0


def test_a_lost_request_is_sent_again() -> None:
    endpoint = ScriptedSipEndpoint(drop=1)
    result = scripted(endpoint)
    assert result[("provnet_sip_up", ())] == 1.0
    assert result[("provnet_sip_requests_sent", ())] == 2.0
    first, second = (parse_request(data) for data in endpoint.received)
    assert first is not None and second is not None
    h1, h2 = dict(first[1]), dict(second[1])
    assert h1["Call-ID"] == h2["Call-ID"]
    assert (h1["CSeq"], h2["CSeq"]) == ("1 OPTIONS", "2 OPTIONS")
    assert h1["Via"] != h2["Via"]  # a new transaction: a new branch
    assert result[("provnet_sip_rtt_seconds", ())] < 0.5  # timed from the answered request


def test_ipv6_endpoint() -> None:
    result = scripted(ScriptedSipEndpoint(), host="::1")
    assert result[("provnet_sip_up", ())] == 1.0


@pytest.mark.parametrize("status", ["200 OK", "403 Forbidden"])
def test_tcp_transport(status: str) -> None:
    async def scenario() -> list[MetricFamily]:
        server = await start_sip_tcp(status)
        port = server.sockets[0].getsockname()[1]
        try:
            return await MODULE.probe(
                f"127.0.0.1:{port}", {"transport": "tcp"}, time.monotonic() + 2.0
            )
        finally:
            server.close()
            await server.wait_closed()

    result = series(asyncio.run(scenario()))
    assert result[("provnet_sip_up", ())] == 1.0
    assert result[("provnet_sip_status_code", ())] == float(status.split()[0])


def test_tcp_refused_is_down() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        port = held.getsockname()[1]
        result = probe(f"127.0.0.1:{port}", transport="tcp")
    assert result[("provnet_sip_up", ())] == 0.0


def test_the_server_registers_it_by_name() -> None:
    module: ProbeModule = MODULE
    assert module.name == "vc"


def test_through_the_exporter(twin: UpResult) -> None:
    target = next(iter(vc_endpoints(twin.overlay).values()))
    status, text = asyncio.run(exporter_probe({"module": "vc", "target": target}))
    assert status == 200
    parsed = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert parsed[("provnet_sip_up", ())] == 1.0
    assert parsed[("provnet_sip_status_code", ())] == 200.0
    assert parsed[("provnet_probe_module_success", (("module", "vc"),))] == 1.0
