"""The exporter (``provnet exporter serve``, a real process) against net-snmp's snmpd started
here: v2c and v3 authPriv (SHA-256/AES-256), failures as metrics, deadlines, the
concurrency cap, de-duplication, and canary secrets that must never come out."""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from tests.exporters.snmpd import Snmpd, V3User, silent_target, snmpd_binary

pytestmark = pytest.mark.skipif(snmpd_binary() is None, reason="net-snmp snmpd not installed")

HOST = "127.61.0.1"  # this module's loopback addresses: 127.61.0.0/24
SILENT_HOST = "127.61.0.9"
VLAN_HOST = "127.61.0.2"  # the agent snmpd serves as its context vlan10
VLAN_NAME = "vlan10-router"
VLAN_COMMUNITY = "vlan10-inner"
CANARY_COMMUNITY = "canary-community-Jx83q"
CANARY_AUTH = "canary-auth-Pw71zk"
CANARY_PRIV = "canary-priv-Lm52vb"
CANARIES = (CANARY_COMMUNITY, CANARY_AUTH, CANARY_PRIV)
USER = V3User("canary-user", "SHA-256", CANARY_AUTH, "AES-256", CANARY_PRIV)

CONFIG = """\
auths:
  v2:
    version: 2
    community: {env: CANARY_COMMUNITY}
  unknown_community:
    version: 2
    community: not-a-community-of-this-agent
  v3:
    version: 3
    username: canary-user
    security_level: authPriv
    auth_protocol: SHA256
    password: {env: CANARY_AUTH}
    priv_protocol: AES256
    priv_password: {env: CANARY_PRIV}
  v3_vlan:  # the agent's context vlan10 (another agent behind snmpd's proxy)
    version: 3
    username: canary-user
    security_level: authPriv
    auth_protocol: SHA256
    password: {env: CANARY_AUTH}
    priv_protocol: AES256
    priv_password: {env: CANARY_PRIV}
    context_name: vlan10
  v3_plain:  # authNoPriv: its scoped PDUs (context engine ID, context name) travel in clear
    version: 3
    username: plain-user
    security_level: authNoPriv
    auth_protocol: SHA
    password: plain-user-password
  wrong_v3:
    version: 3
    username: canary-user
    security_level: authPriv
    auth_protocol: SHA256
    password: not-the-password
    priv_protocol: AES256
    priv_password: not-the-password-either
modules:
  name:
    get: [1.3.6.1.2.1.1.5.0]
    metrics:
    - {name: sysName, oid: 1.3.6.1.2.1.1.5, type: DisplayString, help: The node's name}
    timeout: 300ms
    retries: 0
  name_patient:  # pysnmp's first request (context, tcp://) discovers the engine: no 300 ms
    get: [1.3.6.1.2.1.1.5.0]
    metrics:
    - {name: sysName, oid: 1.3.6.1.2.1.1.5, type: DisplayString, help: The node's name}
    timeout: 5s
    retries: 1
  name_again:
    get: [1.3.6.1.2.1.1.5.0]
    metrics:
    - {name: sysName, oid: 1.3.6.1.2.1.1.5, type: DisplayString, help: The node's name}
    timeout: 300ms
    retries: 0
  slow_dead:
    get: [1.3.6.1.2.1.1.5.0]
    timeout: 2s
    retries: 0
  dead_retrying:
    get: [1.3.6.1.2.1.1.5.0]
    timeout: 300ms
    retries: 9
  ip_mib:  # replaces the built-in module's data; its derived series stay
    walk: [1.3.6.1.2.1.4.34.1.3]
    metrics:
    - name: ipAddressIfIndex
      oid: 1.3.6.1.2.1.4.34.1.3
      type: gauge
      indexes: [{labelname: ipAddressAddr, type: InetAddress}]
  system_group:  # no max_repetitions: walks at 50
    walk: [1.3.6.1.2.1.1]
  system_group_25:
    walk: [1.3.6.1.2.1.1]
    max_repetitions: 25
  from_a_newer_generator:  # refused alone; the other modules serve
    walk: [1.3.6.1.2.1.1]
    an_option_of_tomorrow: true
  everything:
    walk: [1.3.6.1]
    max_repetitions: 0
    timeout: 1s
    retries: 0
"""


def free_tcp_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class Exporter:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def get(self, path: str, timeout: float = 10.0, scrape_timeout: float | None = None) -> str:
        request = urllib.request.Request(self.url + path)
        if scrape_timeout is not None:
            request.add_header("X-Prometheus-Scrape-Timeout-Seconds", str(scrape_timeout))
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            assert answer.status == 200
            return str(answer.read().decode())

    def status(
        self, path: str, timeout: float = 10.0, scrape_timeout: float | None = None
    ) -> tuple[int, str]:
        try:
            return 200, self.get(path, timeout, scrape_timeout)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def provnet_command() -> list[str]:
    script = Path(sys.executable).parent / "provnet"
    if script.exists():
        return [str(script)]
    found = shutil.which("provnet")
    assert found, "the provnet console script is not installed"
    return [found]


def start_exporter(
    directory: Path,
    *extra: str,
    host: str = HOST,
    env: dict[str, str] | None = None,
    config_text: str = CONFIG,
) -> Exporter:
    config = directory / "exporter.yml"
    config.write_text(config_text)
    port = free_tcp_port(host)
    log = directory / f"exporter-{port}.log"
    env = {
        **os.environ,
        **(env or {}),
        "CANARY_COMMUNITY": CANARY_COMMUNITY,
        "CANARY_AUTH": CANARY_AUTH,
        "CANARY_PRIV": CANARY_PRIV,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *provnet_command(),
                "exporter",
                "serve",
                "--listen",
                f"{host}:{port}",
                "--config",
                str(config),
                *extra,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    exporter = Exporter(f"http://{host}:{port}", process, log)
    deadline = time.monotonic() + 90  # imports are slow on a loaded 2-core machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the exporter exited: {log.read_text()}")
        try:
            exporter.get("/-/healthy", timeout=1)
            return exporter
        except OSError:
            time.sleep(0.1)
    stop_exporter(exporter)
    raise RuntimeError(f"the exporter did not start: {log.read_text()}")


def stop_exporter(exporter: Exporter) -> None:
    if exporter.process.poll() is None:
        os.kill(exporter.process.pid, signal.SIGTERM)
        try:
            exporter.process.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(exporter.process.pid, signal.SIGKILL)
            exporter.process.wait(5)


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpd]:
    """snmpd on UDP and TCP, serving a second agent's system group as its SNMPv3 context
    vlan10 (net-snmp's ``proxy -Cn``: a real agent that answers differently in a context)."""
    with (
        Snmpd(
            tmp_path_factory.mktemp("vlan10"),
            host=VLAN_HOST,
            community=VLAN_COMMUNITY,
            extra=(f"sysName {VLAN_NAME}",),
        ) as inner,
        Snmpd(
            tmp_path_factory.mktemp("snmpd"),
            host=HOST,
            community=CANARY_COMMUNITY,
            users=(USER,),
            tcp=True,
            extra=(
                "view all included .1",
                'createUser plain-user SHA "plain-user-password"',
                "rouser plain-user auth",
                f"rouser {USER.name} priv -V all vlan10",
                f"proxy -Cn vlan10 -v 2c -c {VLAN_COMMUNITY} {inner.target} .1.3.6.1.2.1.1",
            ),
        ) as daemon,
    ):
        yield daemon


@pytest.fixture(scope="module")
def silent() -> Iterator[str]:
    """A UDP port that takes packets and never answers: a dead device."""
    with silent_target(SILENT_HOST) as target:
        yield target


@pytest.fixture(scope="module")
def exporter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exporter]:
    running = start_exporter(tmp_path_factory.mktemp("exporter"))
    try:
        yield running
    finally:
        stop_exporter(running)


def value(body: str, series: str) -> float:
    """The value of one exact series line (name and labels as rendered)."""
    found = re.search(rf"^{re.escape(series)} (\S+)$", body, re.MULTILINE)
    assert found, f"{series} not in:\n{body}"
    return float(found[1])


def test_v2c_builtin_modules(exporter: Exporter, snmpd: Snmpd) -> None:
    body = exporter.get(
        f"/snmp?target={snmpd.target}&module=system,if_mib,ip_mib&auth=v2&uplink=lo"
    )
    host = socket.gethostname()
    assert value(body, 'provnet_snmp_module_success{module="system"}') == 1
    assert value(body, 'provnet_snmp_module_success{module="if_mib"}') == 1
    assert value(body, 'provnet_snmp_module_success{module="ip_mib"}') == 1
    assert value(body, "provnet_snmp_up") == 1
    assert value(body, f'sysName{{sysName="{host}"}}') == 1
    assert value(body, 'provnet_device_uptime_source_info{source="snmpEngineTime"}') == 1
    assert value(body, "provnet_device_uptime_seconds") >= 0
    assert value(body, 'provnet_level2_uplink_up{ifName="lo"}') == 1
    assert re.search(
        r'^ifOperStatus\{ifAlias="[^"]*",ifDescr="lo",ifIndex="1",ifName="lo"\} 1$',
        body,
        re.MULTILINE,
    )
    assert "# TYPE ifHCInOctets counter" in body
    assert value(body, 'provnet_ip_addresses{family="ipv4"}') >= 0


def test_walks_of_a_module_without_max_repetitions_take_fewer_packets(
    exporter: Exporter, snmpd: Snmpd
) -> None:
    """The system group (sysORTable included) has more than 25 and fewer than 50 varbinds
    here: the same varbinds come back either way, in fewer packets at the default."""
    answers = {}
    for module in ("system_group", "system_group_25"):
        body = exporter.get(f"/snmp?target={snmpd.target}&module={module}&auth=v2")
        assert value(body, f'provnet_snmp_module_success{{module="{module}"}}') == 1
        answers[module] = (
            value(body, f'snmp_scrape_pdus_returned{{module="{module}"}}'),
            value(body, "provnet_snmp_packets_sent"),
        )
        # snmp_exporter's own meta series, per module
        assert value(body, f'snmp_scrape_packets_sent{{module="{module}"}}') == answers[module][1]
        assert value(body, f'snmp_scrape_packets_retried{{module="{module}"}}') == 0
        assert value(body, f'snmp_scrape_duration_seconds{{module="{module}"}}') > 0
    (varbinds_50, packets_50), (varbinds_25, packets_25) = answers.values()
    assert varbinds_50 == varbinds_25 > 25
    assert packets_50 < packets_25
    # The next walk is sized by this one: the whole group and its end in one packet.
    body = exporter.get(f"/snmp?target={snmpd.target}&module=system_group&auth=v2")
    assert value(body, 'snmp_scrape_pdus_returned{module="system_group"}') == varbinds_50
    assert value(body, "provnet_snmp_packets_sent") == 1


def test_v3_auth_priv_sha256_aes256(exporter: Exporter, snmpd: Snmpd) -> None:
    for _ in range(2):  # the second scrape reuses the discovered engine
        body = exporter.get(f"/snmp?target={snmpd.target}&module=name,system&auth=v3")
        assert value(body, 'provnet_snmp_module_success{module="name"}') == 1
        assert value(body, f'sysName{{sysName="{socket.gethostname()}"}}') == 1
        assert value(body, "provnet_device_boots_total") >= 1
    metrics = exporter.get("/metrics")
    assert value(metrics, "provnet_snmp_v3_discoveries_total") == 1


def test_a_file_module_replaces_a_builtin_and_keeps_its_derived_series(
    exporter: Exporter, snmpd: Snmpd
) -> None:
    body = exporter.get(f"/snmp?target={snmpd.target}&module=ip_mib&auth=v2")
    assert value(body, 'ipAddressIfIndex{ipAddressAddr="127.0.0.1"}') == 1
    assert value(body, 'provnet_ip_addresses{family="ipv4"}') >= 0
    assert value(body, "provnet_ipv6_enabled") in (0, 1)


@pytest.mark.parametrize(
    "query",
    [
        "target={silent}&module=name,system&auth=v2",  # a target that does not answer
        "target={snmpd}&module=name&auth=wrong_v3",  # wrong v3 keys
        "target={snmpd}&module=name&auth=unknown_community",  # an unknown community
    ],
    ids=["silent", "wrong-v3-keys", "unknown-community"],
)
def test_a_scrape_where_no_module_got_data_is_a_500_as_with_snmp_exporter(
    exporter: Exporter, snmpd: Snmpd, silent: str, query: str
) -> None:
    """Prometheus's ``up`` reads 0 and the ``up == 0`` alerts users have keep working."""
    code, text = exporter.status("/snmp?" + query.format(silent=silent, snmpd=snmpd.target))
    assert code == 500
    assert "module name on " in text and "failed: " in text
    assert_no_canary(text, "500 answer")


def test_always_200_keeps_a_failed_scrape_a_200_with_its_meta_series(
    tmp_path: Path, snmpd: Snmpd, silent: str
) -> None:
    lenient = start_exporter(tmp_path, "--always-200")
    try:
        body = lenient.get(f"/snmp?target={silent}&module=name&auth=v2")
    finally:
        stop_exporter(lenient)
    assert value(body, 'provnet_snmp_module_success{module="name"}') == 0
    assert value(body, "provnet_snmp_up") == 0


def test_dead_target_does_not_fail_others(exporter: Exporter, snmpd: Snmpd, silent: str) -> None:
    paths = [f"/snmp?target={silent}&module=name,system&auth=v2"] + [
        f"/snmp?target={snmpd.target}&module=name&auth=v2"
    ] * 3
    with ThreadPoolExecutor(len(paths)) as pool:
        (code, dead), *answers = list(pool.map(exporter.status, paths))
    assert code == 500
    assert "module name on" in dead and "module system on" in dead
    for code, body in answers:
        assert code == 200
        assert value(body, 'provnet_snmp_module_success{module="name"}') == 1
        assert value(body, "provnet_snmp_up") == 1


def test_scrape_timeout_header_cuts_a_module_and_keeps_the_others(
    exporter: Exporter, snmpd: Snmpd
) -> None:
    # ``everything`` walks the whole MIB one GETNEXT at a time: far longer than 0.5 s.
    body = exporter.get(
        f"/snmp?target={snmpd.target}&module=name,everything&auth=v2",
        timeout=5,
        scrape_timeout=0.5,
    )
    assert value(body, 'provnet_snmp_module_success{module="name"}') == 1
    assert value(body, 'provnet_snmp_module_success{module="everything"}') == 0
    assert value(body, f'sysName{{sysName="{socket.gethostname()}"}}') == 1
    assert value(body, "provnet_snmp_scrape_duration_seconds") < 1.0


def test_colliding_series_are_deduplicated(exporter: Exporter, snmpd: Snmpd) -> None:
    body = exporter.get(f"/snmp?target={snmpd.target}&module=name,name_again&module=name&auth=v2")
    assert body.count(f'sysName{{sysName="{socket.gethostname()}"}} 1\n') == 1
    assert body.count("# TYPE sysName gauge") == 1
    assert value(body, 'provnet_snmp_module_success{module="name_again"}') == 1


def test_bad_requests_are_400_and_name_no_secret(exporter: Exporter, snmpd: Snmpd) -> None:
    assert exporter.status("/snmp?module=name&auth=v2")[0] == 400
    code, text = exporter.status(f"/snmp?target={snmpd.target}&module=nope&auth=v2")
    assert (code, text.strip()) == (400, "Unknown module 'nope'")
    code, text = exporter.status(f"/snmp?target={snmpd.target}&module=name&auth={CANARY_AUTH}")
    assert code == 400
    assert exporter.status("/probe?target=x&module=name")[0] == 400
    code, text = exporter.status(f"/snmp?target={snmpd.host}:abc&module=name&auth=v2")
    assert (code, text.strip()) == (
        400,
        f"target '{snmpd.host}:abc': port 'abc' is not a number from 1 to 65535",
    )
    for query, words in (
        ("module=vc&target=127.0.0.1:99999", "not a port number"),
        ("module=vc&target=127.0.0.1&transport=sctp", "transport 'sctp'"),
        ("module=ipv6_service&target=portal.example&strip=(unclosed", "strip regex"),
    ):
        code, text = exporter.status(f"/probe?{query}")
        assert code == 400, (query, text)
        assert words in text, (query, text)


def test_a_module_that_cannot_be_read_is_refused_and_reported(exporter: Exporter) -> None:
    code, text = exporter.status("/snmp?target=127.0.0.1&module=from_a_newer_generator&auth=v2")
    assert code == 400
    assert "refused" in text and "an_option_of_tomorrow" in text and "exporter.yml:" in text
    metrics = exporter.get("/metrics")
    assert (
        value(metrics, 'provnet_snmp_config_module_refused{module="from_a_newer_generator"}') == 1
    )
    assert "an_option_of_tomorrow" in exporter.get("/")
    assert "from_a_newer_generator" in exporter.log.read_text()


def test_pysnmp_is_ready_before_the_first_context_scrape(tmp_path: Path, snmpd: Snmpd) -> None:
    """An auth with a context_name has the exporter load pysnmp in the background as it
    starts: the warm-up is done before any scrape, and the first scrape in a context then
    ends well within Prometheus's default 10 s scrape timeout."""
    running = start_exporter(tmp_path)
    try:
        deadline = time.monotonic() + 60
        while "pysnmp ready" not in running.log.read_text():
            assert time.monotonic() < deadline, running.log.read_text()
            assert running.process.poll() is None, running.log.read_text()
            time.sleep(0.1)
        body = running.get(
            f"/snmp?target={snmpd.target}&module=name_patient&auth=v3_vlan", scrape_timeout=10
        )
        assert value(body, f'sysName{{sysName="{VLAN_NAME}"}}') == 1
    finally:
        stop_exporter(running)


def test_an_snmpv3_context_is_scraped_in_that_context(exporter: Exporter, snmpd: Snmpd) -> None:
    """The auth's context_name, or the snmp_context parameter (which wins), as snmp_exporter:
    the agent's answer in that context, never the default context's under its name."""
    base = f"/snmp?target={snmpd.target}&module=name_patient"
    default = f'sysName{{sysName="{socket.gethostname()}"}}'
    in_vlan = f'sysName{{sysName="{VLAN_NAME}"}}'
    for query in (
        "&auth=v3_vlan",
        "&auth=v3&snmp_context=vlan10",
        "&auth=v3_vlan&snmp_context=vlan10",
    ):
        body = exporter.get(base + query)
        assert value(body, in_vlan) == 1, query
        assert default not in body, query
    assert value(exporter.get(base + "&auth=v3"), default) == 1
    # a context the agent does not have: a failed scrape, not the default context's data
    code, text = exporter.status(base + "&auth=v3&snmp_context=vlan99", timeout=30)
    assert code == 500 and default not in text and in_vlan not in text
    # v2c has no contexts: the parameter changes nothing there, as with snmp_exporter
    body = exporter.get(base + "&auth=v2&snmp_context=vlan10")
    assert value(body, default) == 1


@contextlib.contextmanager
def udp_relay(host: str, to: tuple[str, int]) -> Iterator[tuple[str, list[bytes]]]:
    """``HOST:PORT`` of a relay to ``to`` that records the requests it passes (a thread of
    the test's own, bounded by the test; loopback only)."""
    seen: list[bytes] = []
    stop = threading.Event()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as front:
        front.bind((host, 0))
        front.settimeout(0.1)

        def run() -> None:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as back:
                back.settimeout(2)
                while not stop.is_set():
                    try:
                        data, client = front.recvfrom(65536)
                    except TimeoutError:
                        continue
                    seen.append(data)
                    back.sendto(data, to)
                    try:
                        front.sendto(back.recv(65536), client)
                    except TimeoutError:
                        continue

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            yield f"{host}:{front.getsockname()[1]}", seen
        finally:
            stop.set()
            thread.join(5)


def test_snmp_engineid_is_sent_as_the_context_engine_id(exporter: Exporter, snmpd: Snmpd) -> None:
    """``snmp_engineid`` (hex) goes out as the scoped PDU's contextEngineID, as gosnmp's
    ContextEngineID (net-snmp serves any, so the request itself is looked at)."""
    engine_id = bytes.fromhex("80001f8880aabbccddeeff")
    wanted = bytes([0x04, len(engine_id)]) + engine_id  # an OCTET STRING of it
    with udp_relay("127.61.0.3", (snmpd.host, snmpd.port)) as (relay, seen):
        path = f"/snmp?target={relay}&module=name_patient&auth=v3_plain"
        assert value(exporter.get(path), 'provnet_snmp_module_success{module="name_patient"}') == 1
        assert not any(wanted in datagram for datagram in seen)
        body = exporter.get(path + f"&snmp_engineid={engine_id.hex()}")
        assert value(body, 'provnet_snmp_module_success{module="name_patient"}') == 1
        assert any(wanted in datagram for datagram in seen)


def test_bad_context_parameters_are_400(exporter: Exporter, snmpd: Snmpd) -> None:
    base = f"/snmp?target={snmpd.target}&module=name_patient"
    for query, words in (
        ("&auth=v3&snmp_engineid=80000002zz", "snmp_engineid '80000002zz' is not a hexadecimal"),
        ("&auth=v3&snmp_context=a&snmp_context=b", "'snmp_context' parameter must only"),
        ("&auth=v3&snmp_engineid=80&snmp_engineid=81", "'snmp_engineid' parameter must only"),
    ):
        code, text = exporter.status(base + query)
        assert code == 400, (query, text)
        assert words in text, (query, text)


def test_config_shows_what_is_in_use_with_secrets_masked(exporter: Exporter) -> None:
    shown = exporter.get("/config")
    assert "<secret>" in shown
    for name in ("v2", "v3", "wrong_v3", "system_group", "from_a_newer_generator"):
        assert f"{name}:" in shown
    assert "not-the-password" not in shown and "not-a-community-of-this-agent" not in shown
    assert_no_canary(shown, "/config")


def test_tcp_targets_are_scraped_over_tcp(exporter: Exporter, snmpd: Snmpd) -> None:
    """``tcp://`` (RFC 3430), as snmp_exporter: v2c, v3, and v3 in a context."""
    default = f'sysName{{sysName="{socket.gethostname()}"}}'
    for auth, series in (
        ("v2", default),
        ("v3", default),
        ("v3_vlan", f'sysName{{sysName="{VLAN_NAME}"}}'),
    ):
        body = exporter.get(
            f"/snmp?target=tcp://{snmpd.target}&module=name_patient,system&auth={auth}"
        )
        assert value(body, series) == 1, auth
        assert value(body, 'provnet_snmp_module_success{module="system"}') == 1, auth
    body = exporter.get(f"/snmp?target=udp://{snmpd.target}&module=name&auth=v2")
    assert value(body, 'provnet_snmp_module_success{module="name"}') == 1
    # nothing listens on this TCP port: the scrape fails as a dead UDP target's does
    code, _ = exporter.status(f"/snmp?target=tcp://{SILENT_HOST}:9&module=name&auth=v2")
    assert code == 500
    errors = 'provnet_snmp_errors_total{kind="network"}'
    assert value(exporter.get("/metrics"), errors) >= 1
    assert "never retrieved" not in exporter.log.read_text()  # no asyncio noise per try


def test_several_config_files_are_merged_and_snmp_exporters_flags_work(
    tmp_path: Path, snmpd: Snmpd
) -> None:
    """snmp_exporter reads several files (e.g. auths apart from modules): a module of the
    second file serves with an auth of the first, and ``--config.file`` is ``--config``."""
    second = tmp_path / "more.yml"
    second.write_text(
        "modules:\n  uptime_only:\n    get: [1.3.6.1.2.1.1.3.0]\n    metrics:\n"
        "    - {name: sysUpTime, oid: 1.3.6.1.2.1.1.3, type: gauge}\n"
    )
    merged = start_exporter(tmp_path, "--config.file", str(second))
    try:
        for module in ("uptime_only", "name"):  # the second file's and the first's
            body = merged.get(f"/snmp?target={snmpd.target}&module={module}&auth=v2")
            assert value(body, f'provnet_snmp_module_success{{module="{module}"}}') == 1
    finally:
        stop_exporter(merged)
    result = CliRunner().invoke(app, ["exporter", "serve", "--web.listen-address", "nowhere"])
    assert result.exit_code == 2
    assert "'nowhere'" in result.output


def test_concurrency_cap(tmp_path: Path, snmpd: Snmpd, silent: str) -> None:
    capped = start_exporter(tmp_path, "--concurrency", "1", "--always-200")
    try:
        with ThreadPoolExecutor(2) as pool:
            slow = pool.submit(capped.get, f"/snmp?target={silent}&module=slow_dead&auth=v2")
            time.sleep(0.5)  # the slow scrape holds the only slot
            waiting = capped.get(
                f"/snmp?target={snmpd.target}&module=name&auth=v2", scrape_timeout=0.5
            )
            assert value(slow.result(), 'provnet_snmp_module_success{module="slow_dead"}') == 0
        assert value(waiting, 'provnet_snmp_module_success{module="name"}') == 0
        after = capped.get(f"/snmp?target={snmpd.target}&module=name&auth=v2")
        assert value(after, 'provnet_snmp_module_success{module="name"}') == 1
        metrics = capped.get("/metrics")
        assert value(metrics, 'provnet_snmp_errors_total{kind="busy"}') == 1
    finally:
        stop_exporter(capped)
    assert_no_canary(capped.log.read_text(), "log of the capped exporter")


def test_silent_targets_never_keep_answering_ones_waiting(
    tmp_path: Path, snmpd: Snmpd, silent: str
) -> None:
    """Once a target went silent, its scrapes take slots of their own: a dead device holds
    its slot until the deadline, and enough dead devices would otherwise starve live ones."""
    capped = start_exporter(tmp_path, "--concurrency", "1", "--always-200")
    try:
        first = capped.get(f"/snmp?target={silent}&module=name&auth=v2")
        assert value(first, "provnet_snmp_up") == 0
        assert value(capped.get("/metrics"), "provnet_snmp_silent_targets") == 1
        with ThreadPoolExecutor(2) as pool:
            slow = pool.submit(capped.get, f"/snmp?target={silent}&module=slow_dead&auth=v2")
            time.sleep(0.5)  # the silent target holds the only silent slot
            live = capped.get(
                f"/snmp?target={snmpd.target}&module=name&auth=v2", scrape_timeout=0.5
            )
            assert value(slow.result(), 'provnet_snmp_module_success{module="slow_dead"}') == 0
        assert value(live, 'provnet_snmp_module_success{module="name"}') == 1
        metrics = capped.get("/metrics")
        assert 'provnet_snmp_errors_total{kind="busy"}' not in metrics
        assert value(metrics, "provnet_snmp_silent_targets") == 1
    finally:
        stop_exporter(capped)


@pytest.mark.parametrize("auth", ["v2", "v3"])
def test_a_target_silent_at_its_first_try_gives_its_slot_back(
    tmp_path: Path, snmpd: Snmpd, silent: str, auth: str
) -> None:
    """A target never seen before (every target, when the exporter has just started) that
    does not answer its first try stops holding a slot of the answering targets' cap while
    its retries wait: a few hundred dead routers would otherwise keep live ones waiting."""
    capped = start_exporter(tmp_path, "--concurrency", "1", "--always-200")
    try:
        with ThreadPoolExecutor(2) as pool:
            slow = pool.submit(
                capped.get, f"/snmp?target={silent}&module=dead_retrying&auth={auth}"
            )
            time.sleep(0.8)  # its first try (0.3 s) has timed out; 9 retries take 2.7 s more
            live = capped.get(
                f"/snmp?target={snmpd.target}&module=name&auth=v2", scrape_timeout=0.5
            )
            assert not slow.done()
            assert value(capped.get("/metrics"), "provnet_snmp_silent_targets") == 1
            dead = slow.result()
        assert value(live, 'provnet_snmp_module_success{module="name"}') == 1
        assert value(dead, 'provnet_snmp_module_success{module="dead_retrying"}') == 0
        metrics = capped.get("/metrics")
        assert 'provnet_snmp_errors_total{kind="busy"}' not in metrics
    finally:
        stop_exporter(capped)


def test_a_burst_of_connections_waits_for_a_busy_exporter(tmp_path: Path) -> None:
    """Prometheus opens a connection per scrape in flight; while the exporter is busy
    (here: stopped), the kernel must queue them all rather than drop SYNs, each dropped one
    costing its scrape a second or more (asyncio's default accept queue is 100)."""
    busy = start_exporter(tmp_path)
    host, port = busy.url.removeprefix("http://").split(":")
    sockets: list[socket.socket] = []
    os.kill(busy.process.pid, signal.SIGSTOP)
    try:
        for _ in range(400):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex((host, int(port)))
            sockets.append(sock)
        deadline = time.monotonic() + 0.8  # before the kernel's first SYN retry (1 s)
        connected = 0
        for sock in sockets:
            _, writable, _ = select.select([], [sock], [], max(deadline - time.monotonic(), 0))
            if writable and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected += 1
        assert connected == len(sockets)
    finally:
        os.kill(busy.process.pid, signal.SIGCONT)
        for sock in sockets:
            sock.close()
        stop_exporter(busy)


def test_a_scrape_its_client_gave_up_on_is_counted(exporter: Exporter, silent: str) -> None:
    """Prometheus closes the connection when its scrape timeout comes first: the exporter
    counts it, the one sign on its side that a scrape was lost."""
    with pytest.raises(TimeoutError):  # the client goes away after 0.3 s
        exporter.get(f"/snmp?target={silent}&module=slow_dead&auth=v2", timeout=0.3)
    deadline = time.monotonic() + 5
    series = 'provnet_snmp_abandoned_requests_total{path="/snmp"}'
    while series not in (metrics := exporter.get("/metrics")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert value(metrics, series) >= 1


def assert_no_canary(text: str, where: str) -> None:
    for canary in CANARIES:
        assert canary not in text, f"a secret appears in the {where}"


def test_canary_secrets_never_come_out(exporter: Exporter, snmpd: Snmpd, silent: str) -> None:
    outputs = {
        "landing page": exporter.get("/"),
        "metrics": exporter.get("/metrics"),
        "scrape": exporter.get(f"/snmp?target={snmpd.target}&module=system,if_mib&auth=v3"),
        "dead scrape": exporter.status(f"/snmp?target={silent}&module=name&auth=v3")[1],
        "bad auth": exporter.status(f"/snmp?target={snmpd.target}&auth=nope")[1],
    }
    assert "v3" in outputs["landing page"] and "system" in outputs["landing page"]
    for where, text in outputs.items():
        assert_no_canary(text, where)
    assert_no_canary(exporter.log.read_text(), "exporter's log")


def test_v3_session_survives_an_agent_restart(exporter: Exporter, snmpd: Snmpd) -> None:
    path = f"/snmp?target={snmpd.target}&module=name,system&auth=v3"
    before = exporter.get(path)
    assert value(before, 'provnet_snmp_module_success{module="name"}') == 1
    discoveries = value(exporter.get("/metrics"), "provnet_snmp_v3_discoveries_total")
    snmpd.stop()
    snmpd.start()  # same port; a new engine (boots/time, possibly ID): cached sessions are stale
    after = exporter.get(path)
    assert value(after, 'provnet_snmp_module_success{module="name"}') == 1
    assert value(after, 'provnet_snmp_module_success{module="system"}') == 1
    metrics = exporter.get("/metrics")
    assert value(metrics, "provnet_snmp_v3_discoveries_total") == discoveries + 1


def test_the_exporter_reports_its_own_load(exporter: Exporter, snmpd: Snmpd) -> None:
    """What an operator reads to tell a saturated exporter from a slow network: the event
    loop's lag (measured every 0.1 s) and the process's CPU, memory and open files."""
    exporter.get(f"/snmp?target={snmpd.target}&module=system&auth=v2")
    deadline = time.monotonic() + 5
    count = "provnet_snmp_event_loop_lag_seconds_count"
    while value(metrics := exporter.get("/metrics"), count) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert value(metrics, count) >= 3
    assert value(metrics, "process_cpu_seconds_total") > 0
    assert value(metrics, "process_resident_memory_bytes") > 10e6
    assert value(metrics, "process_open_fds") >= 3
    assert 'python_gc_collections_total{generation="2"}' in metrics


def test_log_level_keeps_failed_modules_out_of_a_warning_log(
    tmp_path: Path, exporter: Exporter, silent: str
) -> None:
    """Every failed module is logged at info (the default); at --log-level warning a
    province's dead routers do not write a line each per scrape."""
    assert exporter.status(f"/snmp?target={silent}&module=name&auth=v2")[0] == 500
    assert f"module name on {silent} failed: timeout" in exporter.log.read_text()
    quiet = start_exporter(tmp_path, "--log-level", "WARNING", "--always-200")
    try:
        assert (
            value(quiet.get(f"/snmp?target={silent}&module=name&auth=v2"), "provnet_snmp_up") == 0
        )
    finally:
        stop_exporter(quiet)
    assert f"module name on {silent} failed" not in quiet.log.read_text()


def post(exporter: Exporter, path: str) -> tuple[int, str]:
    request = urllib.request.Request(exporter.url + path, data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status), str(answer.read().decode())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_configuration_reloads_and_a_bad_one_leaves_the_running_one(
    tmp_path: Path, snmpd: Snmpd
) -> None:
    """snmp_exporter's reload: SIGHUP or POST /-/reload reads the file again; a broken file
    is refused with its file and line, and the configuration in use stays."""
    reloading = start_exporter(tmp_path)
    config = tmp_path / "exporter.yml"
    renamed = f"/snmp?target={snmpd.target}&module=renamed&auth=v2"
    name = f"/snmp?target={snmpd.target}&module=name&auth=v2"
    try:
        assert value(reloading.get(name), 'provnet_snmp_module_success{module="name"}') == 1
        assert reloading.status(renamed)[0] == 400
        config.write_text(CONFIG.replace("  name_again:", "  renamed:"))
        os.kill(reloading.process.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while reloading.status(renamed)[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert value(reloading.get(renamed), 'provnet_snmp_module_success{module="renamed"}') == 1

        assert reloading.status("/-/reload")[0] == 405
        config.write_text(CONFIG + "  broken: [\n")
        code, text = post(reloading, "/-/reload")
        assert code == 500 and f"{config}:" in text
        assert value(reloading.get(renamed), 'provnet_snmp_module_success{module="renamed"}') == 1
        assert value(reloading.get("/metrics"), "provnet_snmp_config_last_reload_successful") == 0

        # the same auth name with another community: no session of the old one is reused
        config.write_text(CONFIG.replace("community: {env: CANARY_COMMUNITY}", "community: other"))
        assert post(reloading, "/-/reload") == (200, "OK\n")
        assert reloading.status(renamed)[0] == 400
        assert reloading.status(name)[0] == 500  # the old community is not used any more
        assert value(reloading.get("/metrics"), "provnet_snmp_config_last_reload_successful") == 1
    finally:
        stop_exporter(reloading)
    assert_no_canary(reloading.log.read_text(), "log of the reloading exporter")


def test_a_post_reload_reaches_every_worker(tmp_path: Path, snmpd: Snmpd) -> None:
    """With --workers, a POST lands on one worker; every worker must take the new file."""
    workers = start_exporter(tmp_path, "--workers", "2")
    config = tmp_path / "exporter.yml"
    renamed = f"/snmp?target={snmpd.target}&module=renamed&auth=v2"
    try:
        config.write_text(CONFIG.replace("  name_again:", "  renamed:"))
        assert post(workers, "/-/reload") == (200, "OK\n")
        deadline = time.monotonic() + 10
        codes: list[int] = []
        while time.monotonic() < deadline:  # each request a new connection: both workers
            codes = [workers.status(renamed)[0] for _ in range(12)]
            if set(codes) == {200}:
                break
            time.sleep(0.2)
        assert set(codes) == {200}
    finally:
        stop_exporter(workers)
