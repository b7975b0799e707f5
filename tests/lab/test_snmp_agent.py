"""The twin's SNMP agent, checked with the real net-snmp tools and with its own codec.

Every request goes to 127.0.0.0/8. The net-snmp tools are required: missing tools fail the
suite (CI installs them), they are never skipped.
"""

from __future__ import annotations

import ipaddress
import os
import random
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.snmp import AgentThread, SnmpEndpoint, SnmpEngine, V3User, ber, derive_engine_id
from lab.snmp.client import discovery_request, parse_v3_reply, v2c_request, v3_request
from lab.snmp.mib import engine_time
from lab.snmp.usm import (
    Authenticator,
    UsmError,
    auth_protocol,
    localize_key,
    localize_user,
    password_to_key,
)
from lab.state import DeviceState

COMMUNITY = "twin-ro-community"
AUTH_PASS = "twin-auth-pass"
PRIV_PASS = "twin-priv-pass"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
IF_TABLE = "1.3.6.1.2.1.2.2"
IF_ADMIN = "1.3.6.1.2.1.2.2.1.7"
IF_OPER = "1.3.6.1.2.1.2.2.1.8"
IF_IN_OCTETS = "1.3.6.1.2.1.2.2.1.10"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
IF_HIGH_SPEED = "1.3.6.1.2.1.31.1.1.1.15"
IF_ALIAS = "1.3.6.1.2.1.31.1.1.1.18"
IP_ADDRESS_IF_INDEX = "1.3.6.1.2.1.4.34.1.3"
ENGINE_ID = "1.3.6.1.6.3.10.2.1.1.0"
ENGINE_BOOTS = "1.3.6.1.6.3.10.2.1.2.0"
HR_SYSTEM_UPTIME = "1.3.6.1.2.1.25.1.1.0"

# (user name, net-snmp -a, our protocol, net-snmp -x or None, our protocol or None)
V3_CASES = [
    ("sha-aes", "SHA", "SHA", "AES", "AES"),
    ("sha256-aes256", "SHA-256", "SHA256", "AES-256", "AES256"),
    ("md5-aes192", "MD5", "MD5", "AES-192", "AES192"),  # needs the key extension
    ("sha224-aes256", "SHA-224", "SHA224", "AES-256", "AES256"),  # needs it too
    ("sha512-aes", "SHA-512", "SHA512", "AES", "AES"),
    ("sha-des", "SHA", "SHA", "DES", "DES"),
    ("sha384-noauth", "SHA-384", "SHA384", None, None),
    ("sha-nopriv", "SHA", "SHA", None, None),
]
USERS = (
    *(
        V3User(name, auth, AUTH_PASS, priv, PRIV_PASS if priv else None)
        for name, _, auth, _, priv in V3_CASES
    ),
    V3User("md5-aes256-reeder", "MD5", AUTH_PASS, "AES256C", PRIV_PASS),
)


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def net_snmp_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for the net-snmp tools: no user config, no MIB loading, private state."""
    missing = [t for t in ("snmpget", "snmpwalk", "snmpbulkwalk", "snmpset") if not shutil.which(t)]
    if missing:
        pytest.fail(f"net-snmp tools missing: {missing} (apt-get install snmp)")
    home = tmp_path_factory.mktemp("net-snmp")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "SNMP_PERSISTENT_DIR": str(home),
        "SNMPCONFPATH": str(home),
        "MIBS": "",
    }


def make_state(name: str, platform: str = "cisco_ios") -> DeviceState:
    state = DeviceState(
        name=name, platform=platform, hostname=f"{name}.twin", sys_descr=f"{name} os"
    )
    uplink = state.add_interface("GigabitEthernet0/0", description="uplink to VNPT")
    uplink.ipv4.append(ipaddress.IPv4Interface("192.0.2.1/30"))
    lan = state.add_interface("GigabitEthernet0/1", description="LAN")
    lan.ipv4.append(ipaddress.IPv4Interface("198.51.100.1/24"))
    state.add_interface("Loopback0").ipv4.append(ipaddress.IPv4Interface("203.0.113.1/32"))
    return state


def _free_host_port() -> tuple[str, int]:
    """A random 127.x.y.z address (distinct across xdist workers) and a free UDP port on it."""
    rng = random.SystemRandom()
    host = f"127.{rng.randrange(100, 250)}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return host, int(sock.getsockname()[1])


@dataclass
class Twin:
    thread: AgentThread
    states: dict[str, DeviceState]
    targets: dict[str, str]  # device name -> "host:port"
    addresses: dict[str, tuple[str, int]]


@pytest.fixture
def serve() -> Iterator[Callable[..., Twin]]:
    """Start an agent (on its own thread) for the given device states."""
    threads: list[AgentThread] = []

    def start(*states: DeviceState) -> Twin:
        endpoints = [
            SnmpEndpoint(*_free_host_port(), state, (COMMUNITY,), USERS) for state in states
        ]
        thread = AgentThread(endpoints)
        threads.append(thread)
        bound = thread.start()
        addresses = {s.name: a for s, a in zip(states, bound, strict=True)}
        return Twin(
            thread,
            {s.name: s for s in states},
            {name: f"{h}:{p}" for name, (h, p) in addresses.items()},
            addresses,
        )

    yield start
    for thread in threads:
        thread.stop()


@pytest.fixture
def twin(serve: Callable[..., Twin]) -> Twin:
    return serve(make_state("r1"), make_state("r2"), make_state("srv1", platform="linux"))


@dataclass
class Result:
    rc: int
    out: str
    err: str

    def values(self) -> list[str]:
        return [line.split(" = ", 1)[1] for line in self.out.splitlines() if " = " in line]

    def oids(self) -> list[str]:
        return [line.split(" = ", 1)[0] for line in self.out.splitlines() if " = " in line]


@pytest.fixture
def snmp(net_snmp_env: dict[str, str]) -> Callable[..., Result]:
    def run(tool: str, *args: str) -> Result:
        done = subprocess.run(
            [tool, *args], capture_output=True, text=True, timeout=30, env=net_snmp_env
        )
        return Result(done.returncode, done.stdout.strip(), done.stderr.strip())

    return run


def v2c(target: str, community: str = COMMUNITY, wait: str = "2") -> list[str]:
    return ["-v2c", "-c", community, "-On", "-t", wait, "-r", "1", target]


def v3(
    target: str, user: str, auth: str, priv: str | None, auth_pass: str = AUTH_PASS
) -> list[str]:
    args = ["-v3", "-u", user, "-a", auth, "-A", auth_pass, "-On", "-t", "2", "-r", "1"]
    if priv:
        args += ["-l", "authPriv", "-x", priv, "-X", PRIV_PASS]
    else:
        args += ["-l", "authNoPriv"]
    return [*args, target]


QUICK_TIMEOUT = ["-t", "0.5", "-r", "0"]


# -- v2c ----------------------------------------------------------------------------------------


def test_v2c_get_system_group(twin: Twin, snmp: Callable[..., Result]) -> None:
    got = snmp(
        "snmpget", *v2c(twin.targets["r1"]), "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0", SYS_NAME
    )
    assert got.rc == 0, got.err
    assert got.values() == ['STRING: "r1 os"', "OID: .1.3.6.1.4.1.9.1.1", 'STRING: "r1.twin"']


def test_v2c_walk_interfaces_and_addresses(twin: Twin, snmp: Callable[..., Result]) -> None:
    names = snmp("snmpwalk", *v2c(twin.targets["r1"]), "1.3.6.1.2.1.31.1.1.1.1")
    assert names.values() == [
        'STRING: "GigabitEthernet0/0"',
        'STRING: "GigabitEthernet0/1"',
        'STRING: "Loopback0"',
    ]
    addresses = snmp("snmpwalk", *v2c(twin.targets["r1"]), "1.3.6.1.2.1.4.20.1.1")
    assert addresses.values() == [
        "IpAddress: 192.0.2.1",
        "IpAddress: 198.51.100.1",
        "IpAddress: 203.0.113.1",
    ]
    counters = snmp("snmpwalk", *v2c(twin.targets["r1"]), IF_HC_IN_OCTETS)
    assert all(v.startswith("Counter64: ") for v in counters.values())
    everything = snmp("snmpwalk", *v2c(twin.targets["r1"]), ".1")
    assert everything.rc == 0, everything.err  # snmpwalk itself checks OIDs increase
    assert len(everything.oids()) > 80


def test_getbulk_walk_of_if_table_matches_getnext_walk(
    twin: Twin, snmp: Callable[..., Result]
) -> None:
    bulk = snmp("snmpbulkwalk", "-Cr7", *v2c(twin.targets["r1"]), IF_TABLE)
    walk = snmp("snmpwalk", *v2c(twin.targets["r1"]), IF_TABLE)
    assert bulk.rc == 0, bulk.err
    assert bulk.oids() == walk.oids()
    assert f".{IF_TABLE}.1.2.3" in bulk.oids()  # ifDescr of Loopback0
    assert len(bulk.oids()) == 3 * 15


def test_missing_objects_and_instances(twin: Twin, snmp: Callable[..., Result]) -> None:
    got = snmp("snmpget", *v2c(twin.targets["r1"]), "1.3.6.1.2.1.1.1.1", "1.3.6.1.4.1.99999.1.0")
    assert "No Such Instance" in got.out
    assert "No Such Object" in got.out


def test_set_is_refused(twin: Twin, snmp: Callable[..., Result]) -> None:
    got = snmp("snmpset", *v2c(twin.targets["r1"]), "1.3.6.1.2.1.1.4.0", "s", "noc@example.vn")
    assert got.rc != 0
    assert "notWritable" in got.err + got.out


def test_wrong_community_gets_no_answer(twin: Twin, snmp: Callable[..., Result]) -> None:
    args = ["-v2c", "-c", "not-the-community", "-On", *QUICK_TIMEOUT, twin.targets["r1"]]
    got = snmp("snmpget", *args, SYS_NAME)
    assert got.rc != 0
    assert "Timeout" in got.err
    assert twin.thread.agent.stats.bad_community >= 1


# -- v3 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("user", "auth", "priv"), [(c[0], c[1], c[3]) for c in V3_CASES])
def test_v3_get(
    twin: Twin, snmp: Callable[..., Result], user: str, auth: str, priv: str | None
) -> None:
    args = v3(twin.targets["r2"], user, auth, priv)
    got = snmp("snmpget", *args, SYS_NAME)
    assert got.rc == 0, got.err
    assert got.values() == ['STRING: "r2.twin"']
    engine_id = snmp("snmpget", "-Oqv", *args, ENGINE_ID).out
    assert "".join(engine_id.split()).strip('"') == derive_engine_id("r2").hex().upper()


def test_v3_aes256_key_extension_is_blumenthal_like_net_snmp(
    twin: Twin, snmp: Callable[..., Result]
) -> None:
    """net-snmp's -x AES-256 extends short keys as draft-blumenthal does, not as Cisco's
    (Reeder) does: a Reeder user cannot decrypt net-snmp's request."""
    got = snmp("snmpget", *v3(twin.targets["r1"], "md5-aes256-reeder", "MD5", "AES-256"), SYS_NAME)
    assert got.rc != 0
    assert twin.thread.agent.engine(*twin.addresses["r1"]).usm_stats.decryption_errors >= 1


def test_v3_walk_authpriv_sha256_aes256(twin: Twin, snmp: Callable[..., Result]) -> None:
    args = v3(twin.targets["r1"], "sha256-aes256", "SHA-256", "AES-256")
    got = snmp("snmpbulkwalk", "-Cr5", *args, "1.3.6.1.2.1.2")
    assert got.rc == 0, got.err
    assert len(got.oids()) == 1 + 3 * 15


def test_v3_wrong_password_is_an_error(twin: Twin, snmp: Callable[..., Result]) -> None:
    bad = v3(twin.targets["r1"], "sha-aes", "SHA", "AES", auth_pass="wrong-auth-pass")
    got = snmp("snmpget", *bad, SYS_NAME)
    assert got.rc != 0
    assert "Authentication failure" in got.err
    unknown = snmp("snmpget", *v3(twin.targets["r1"], "nobody", "SHA", "AES"), SYS_NAME)
    assert unknown.rc != 0
    assert "Unknown user name" in unknown.err
    level = snmp("snmpget", *v3(twin.targets["r1"], "sha-aes", "SHA", None), SYS_NAME)
    assert level.rc != 0
    assert "Unsupported security level" in level.err
    usm = twin.thread.agent.engine(*twin.addresses["r1"]).usm_stats
    assert (usm.wrong_digests, usm.unknown_user_names, usm.unsupported_sec_levels) == (1, 1, 1)


def test_v3_client_with_stale_time_resyncs(twin: Twin, snmp: Callable[..., Result]) -> None:
    """-Z gives snmpget wrong boots/time: the authenticated notInTimeWindows Report lets it
    resynchronise and retry."""
    args = v3(twin.targets["r1"], "sha-aes", "SHA", "AES")
    engine_id = derive_engine_id("r1").hex()
    got = snmp("snmpget", "-e", engine_id, "-Z", "7,12345", *args, SYS_NAME)
    assert got.rc == 0, got.err
    assert twin.thread.agent.engine(*twin.addresses["r1"]).usm_stats.not_in_time_windows >= 1


def test_v3_reports_with_own_client(twin: Twin) -> None:
    address = twin.addresses["r1"]
    report = parse_v3_reply(_ask(address, discovery_request(42, request_id=43)))
    assert report.pdu.tag == ber.REPORT
    assert report.pdu.varbinds[0].oid == ber.parse_oid("1.3.6.1.6.3.15.1.1.4.0")
    assert report.engine_id == derive_engine_id("r1")
    assert (report.msg_id, report.pdu.request_id, report.boots) == (42, 43, 1)

    user = localize_user(USERS[0], report.engine_id)
    stale = v3_request(
        user,
        engine_id=report.engine_id,
        boots=report.boots,
        engine_time=report.engine_time + 1000,
        oids=[ber.parse_oid(SYS_NAME)],
        msg_id=7,
        request_id=8,
    )
    window = parse_v3_reply(_ask(address, stale), user)  # checks the MAC
    assert window.flags & 0x03 == 0x01  # authNoPriv
    assert window.pdu.varbinds[0].oid == ber.parse_oid("1.3.6.1.6.3.15.1.1.2.0")


def _ask(address: tuple[str, int], packet: bytes) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(packet, address)
        return sock.recv(65536)


# -- the state shows through --------------------------------------------------------------------


def test_ipv6_address_added_to_state_appears(twin: Twin, snmp: Callable[..., Result]) -> None:
    before = snmp("snmpwalk", *v2c(twin.targets["r1"]), IP_ADDRESS_IF_INDEX)
    assert len(before.oids()) == 3
    uplink = twin.states["r1"].interfaces["GigabitEthernet0/0"]
    uplink.ipv6.append(ipaddress.IPv6Interface("2001:db8:10::1/64"))
    uplink.ipv6.append(ipaddress.IPv6Interface("fe80::1/64"))
    twin.states["r1"].touch()
    after = snmp("snmpwalk", *v2c(twin.targets["r1"]), IP_ADDRESS_IF_INDEX)
    global_index = ".2.16." + ".".join(
        str(b) for b in ipaddress.IPv6Address("2001:db8:10::1").packed
    )
    assert f".{IP_ADDRESS_IF_INDEX}{global_index}" in after.oids()
    assert len(after.oids()) == 5
    assert after.values()[-1] == "INTEGER: 1"  # ifIndex of GigabitEthernet0/0
    origin = snmp(
        "snmpget", *v2c(twin.targets["r1"]), "1.3.6.1.2.1.4.34.1.6.2.16.254.128" + ".0" * 13 + ".1"
    )
    assert origin.values() == ["INTEGER: 5"]  # linklayer


def test_admin_down_shows_oper_down(twin: Twin, snmp: Callable[..., Result]) -> None:
    lan = twin.states["r1"].interfaces["GigabitEthernet0/1"]
    lan.set_oper(admin_up=False)
    twin.states["r1"].touch()
    got = snmp("snmpget", *v2c(twin.targets["r1"]), f"{IF_ADMIN}.2", f"{IF_OPER}.2", f"{IF_OPER}.1")
    assert got.values() == ["INTEGER: 2", "INTEGER: 2", "INTEGER: 1"]


def test_reboot_resets_uptime_and_bumps_engine_boots(
    twin: Twin, snmp: Callable[..., Result]
) -> None:
    state = twin.states["r1"]
    state.booted_at -= 3600
    args = v3(twin.targets["r1"], "sha-aes", "SHA", "AES")
    before = snmp("snmpget", "-Ot", *args, SYS_UPTIME, ENGINE_BOOTS)
    assert int(before.values()[0].split()[-1]) >= 360000
    assert before.values()[1] == "INTEGER: 1"
    state.reboot()
    after = snmp("snmpget", "-Ot", *args, SYS_UPTIME, ENGINE_BOOTS)
    assert after.rc == 0, after.err
    assert int(after.values()[0].split()[-1]) < 1000
    assert after.values()[1] == "INTEGER: 2"


def test_uptime_and_octets_wrap_at_32_bits(twin: Twin, snmp: Callable[..., Result]) -> None:
    state = twin.states["r1"]
    state.booted_at = time.time() - 498 * 86400  # past 2^32 hundredths (497.1 days)
    uplink = state.interfaces["GigabitEthernet0/0"]
    uplink.in_rate = 0
    uplink.in_octets_base = (1 << 32) + 5
    got = snmp(
        "snmpget",
        "-Ot",
        *v2c(twin.targets["r1"]),
        SYS_UPTIME,
        f"{IF_IN_OCTETS}.1",
        f"{IF_HC_IN_OCTETS}.1",
    )
    ticks = int(got.values()[0].split()[-1])
    assert ticks == pytest.approx((498 * 86400 * 100) % (1 << 32), abs=1000)
    assert got.values()[1:] == ["Counter32: 5", f"Counter64: {(1 << 32) + 5}"]


def test_linux_host_has_hr_system_uptime(twin: Twin, snmp: Callable[..., Result]) -> None:
    linux = snmp("snmpget", *v2c(twin.targets["srv1"]), HR_SYSTEM_UPTIME)
    assert linux.values()[0].startswith("Timeticks:")
    router = snmp("snmpget", *v2c(twin.targets["r1"]), HR_SYSTEM_UPTIME)
    assert "No Such Object" in router.out


# -- faults and many endpoints ------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["down", "drop_snmp"])
def test_faulty_device_times_out_while_neighbour_answers(
    twin: Twin, snmp: Callable[..., Result], fault: str
) -> None:
    setattr(twin.states["r1"].faults, fault, True)
    dead = snmp(
        "snmpget", "-v2c", "-c", COMMUNITY, "-On", *QUICK_TIMEOUT, twin.targets["r1"], SYS_NAME
    )
    assert dead.rc != 0
    assert "Timeout" in dead.err
    alive = snmp("snmpget", *v2c(twin.targets["r2"]), SYS_NAME)
    assert alive.values() == ['STRING: "r2.twin"']


def test_slow_device_does_not_block_neighbours(
    twin: Twin, snmp: Callable[..., Result], net_snmp_env: dict[str, str]
) -> None:
    twin.states["r1"].faults.slow_ms = 1500
    slow = subprocess.Popen(
        [
            "snmpget",
            "-v2c",
            "-c",
            COMMUNITY,
            "-On",
            "-t",
            "5",
            "-r",
            "0",
            twin.targets["r1"],
            SYS_NAME,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=net_snmp_env,
    )
    try:
        time.sleep(0.2)
        started = time.monotonic()
        fast = snmp("snmpget", *v2c(twin.targets["r2"]), SYS_NAME)
        assert fast.rc == 0
        assert time.monotonic() - started < 1.0
        out, _ = slow.communicate(timeout=10)
    finally:
        if slow.poll() is None:
            slow.kill()
            slow.wait()
    assert slow.returncode == 0
    assert '"r1.twin"' in out


def test_removed_endpoint_stops_answering(twin: Twin, snmp: Callable[..., Result]) -> None:
    twin.thread.call(twin.thread.agent.remove(*twin.addresses["r2"]))
    got = snmp("snmpget", "-v2c", "-c", COMMUNITY, *QUICK_TIMEOUT, twin.targets["r2"], SYS_NAME)
    assert got.rc != 0


def test_many_endpoints_on_one_agent(
    serve: Callable[..., Twin], snmp: Callable[..., Result]
) -> None:
    twin = serve(*(make_state(f"xa{i}") for i in range(40)))
    for name in ("xa0", "xa17", "xa39"):
        got = snmp("snmpget", *v2c(twin.targets[name]), SYS_NAME)
        assert got.values() == [f'STRING: "{name}.twin"']


# -- engine and MIB, without sockets ------------------------------------------------------------


def _engine() -> SnmpEngine:
    return SnmpEngine(make_state("e1"), communities=[COMMUNITY], users=USERS[:1])


def _v2c(
    engine: SnmpEngine, oids: list[str], tag: int = ber.GET, n: int = 0, m: int = 0
) -> ber.Pdu:
    request = v2c_request(COMMUNITY, [ber.parse_oid(o) for o in oids], 99, tag, n, m)
    response = engine.handle(request)
    assert response is not None
    return ber.decode_community_message(response).pdu


def test_getbulk_non_repeaters_and_end_of_view() -> None:
    engine = _engine()
    pdu = _v2c(
        engine, ["1.3.6.1.2.1.1", IF_HC_IN_OCTETS, "1.3.6.1.6.3.15.1.1.6.0"], ber.GET_BULK, 1, 3
    )
    tags = [vb.tag for vb in pdu.varbinds]
    assert pdu.varbinds[0].oid == ber.parse_oid("1.3.6.1.2.1.1.1.0")
    assert (
        tags[1:] == [ber.COUNTER64, ber.END_OF_MIB_VIEW] + [ber.COUNTER64, ber.END_OF_MIB_VIEW] * 2
    )


def test_getbulk_is_truncated_to_fit_a_udp_datagram() -> None:
    state = make_state("big")
    for i in range(400):
        state.add_interface(f"GigabitEthernet1/{i}")
    engine = SnmpEngine(state, communities=[COMMUNITY])
    pdu = _v2c(engine, ["1.3.6.1.2.1.2.2.1.2"], ber.GET_BULK, 0, 5000)
    assert 400 < len(pdu.varbinds) <= 2048


def test_engine_ignores_garbage_and_v1() -> None:
    engine = _engine()
    assert engine.handle(b"\x30\x03\x02\x01") is None
    v1 = ber.encode_community_message(
        ber.CommunityMessage(0, COMMUNITY.encode(), ber.Pdu(ber.GET, 1))
    )
    assert engine.handle(v1) is None
    assert engine.stats.parse_errors == 1
    assert engine.stats.bad_version == 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_engine_survives_random_datagrams(data: bytes) -> None:
    engine = _ENGINE
    response = engine.handle(data)
    assert response is None or response[0] == 0x30


_ENGINE = SnmpEngine(make_state("fuzz"), communities=[COMMUNITY], users=USERS)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2), st.binary(min_size=1, max_size=120))
def test_engine_survives_mutated_v3_messages(position: int, noise: bytes) -> None:
    engine = _ENGINE
    user = localize_user(USERS[0], engine.engine_id)
    packet = v3_request(
        user,
        engine_id=engine.engine_id,
        boots=engine.state.boots,
        engine_time=engine_time(engine.state, time.time()),
        oids=[ber.parse_oid(SYS_NAME)],
        msg_id=1,
        request_id=2,
    )
    cut = len(packet) * position // 3
    mutated = packet[:cut] + noise + packet[cut + len(noise) :]
    response = engine.handle(mutated)
    assert response is None or response[0] == 0x30


def test_v3_response_of_engine_decrypts() -> None:
    engine = _engine()
    user = localize_user(USERS[0], engine.engine_id)
    request = v3_request(
        user,
        engine_id=engine.engine_id,
        boots=1,
        engine_time=engine_time(engine.state, time.time()),
        oids=[ber.parse_oid(SYS_NAME)],
        msg_id=11,
        request_id=12,
    )
    response = engine.handle(request)
    assert response is not None
    reply = parse_v3_reply(response, user)
    assert reply.flags & 0x03 == 0x03
    assert reply.pdu.varbinds[0].value == b"e1.twin"


def test_mib_structure_is_cached_per_generation() -> None:
    engine = _engine()
    first = engine.mib.structure()
    assert engine.mib.structure() is first
    engine.state.add_interface("Vlan10")
    assert engine.mib.structure() is not first


def test_values_follow_the_state_without_a_touch() -> None:
    """The encoded varbinds are kept between requests: what changes without a ``touch()``
    (a link-down fault, a description, a speed, the hostname) is still answered at once."""
    engine = _engine()
    names = [SYS_NAME, f"{IF_OPER}.2", f"{IF_ALIAS}.2", f"{IF_HIGH_SPEED}.2"]
    before = [vb.value for vb in _v2c(engine, names).varbinds]
    assert before == [b"e1.twin", 1, b"LAN", 1000]
    state = engine.state
    lan = state.interfaces["GigabitEthernet0/1"]
    lan.set_oper(link_up=False)
    lan.description = "LAN, moved"
    lan.speed_mbps = 100
    state.hostname = "renamed.twin"
    after = [vb.value for vb in _v2c(engine, names).varbinds]
    assert after == [b"renamed.twin", 2, b"LAN, moved", 100]


def test_counters_and_uptime_move_between_requests() -> None:
    engine = _engine()
    state = engine.state
    names = [ber.parse_oid(o) for o in (SYS_UPTIME, f"{IF_HC_IN_OCTETS}.1")]
    request = v2c_request(COMMUNITY, names, 7)

    def values(now: float) -> list[ber.Value]:
        response = engine.handle(request, now)
        assert response is not None
        return [vb.value for vb in ber.decode_community_message(response).pdu.varbinds]

    start = state.interfaces["GigabitEthernet0/0"].counters_since
    first, later = values(start + 10), values(start + 20)
    assert first[0] != later[0] and first[1] != later[1]
    assert later[1] == state.interfaces["GigabitEthernet0/0"].octets(start + 20)[0]


@pytest.mark.parametrize("repetitions", [1, 2, 3, 7, 40])
@pytest.mark.parametrize(
    "start", ["1.3.6.1.2.1.2.2.1.8", "1.3.6.1.2.1.31.1.1.1.18.3", "1.3.6.1.6.3.15.1.1.5", "1.4"]
)
def test_getbulk_of_one_repeater_is_the_getnext_chain(start: str, repetitions: int) -> None:
    """A walk's GETBULK (one repeater) answers what as many GETNEXTs would, then one
    endOfMibView where the view ends."""
    engine = _engine()
    now = time.time()  # one instant for every request: counters must not move between them

    def ask(oid: str, tag: int, repetitions: int = 0) -> tuple[ber.VarBind, ...]:
        request = v2c_request(COMMUNITY, [ber.parse_oid(oid)], 5, tag, 0, repetitions)
        response = engine.handle(request, now)
        assert response is not None
        return ber.decode_community_message(response).pdu.varbinds

    bulk = ask(start, ber.GET_BULK, repetitions)
    chain: list[ber.VarBind] = []
    oid = start
    for _ in range(repetitions):
        got = ask(oid, ber.GET_NEXT)[0]
        chain.append(got)
        if got.tag == ber.END_OF_MIB_VIEW:
            break
        oid = ber.format_oid(got.oid)
    assert list(bulk) == chain


# -- USM known answers --------------------------------------------------------------------------


def test_password_to_key_rfc3414_a3() -> None:
    """RFC 3414 A.3.1/A.3.2: "maplesyrup" and engine ID 000000000000000000000002."""
    engine_id = bytes.fromhex("000000000000000000000002")
    md5 = password_to_key(b"maplesyrup", "md5")
    assert md5.hex() == "9faf3283884e92834ebc9847d8edd963"
    assert localize_key(md5, engine_id, "md5").hex() == "526f5eed9fcce26f8964c2930787d82b"
    sha = password_to_key(b"maplesyrup", "sha1")
    assert sha.hex() == "9fb5cc0381497b3793528939ff788d5d79145211"
    assert localize_key(sha, engine_id, "sha1").hex() == "6695febc9288e36282235fc7151f128497b38f3f"


def test_authenticator_matches_hmac() -> None:
    import hmac as std_hmac

    for name in ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"):
        protocol = auth_protocol(name)
        key = bytes(range(64))[: 16 + len(name)]
        message = b"provnet" * 40
        expected = std_hmac.digest(key, message, protocol.hash_name)[: protocol.mac_length]
        assert Authenticator(protocol, key).mac(message) == expected


def test_user_definitions_never_show_passwords() -> None:
    user = V3User("ops", "SHA-256", "secret-auth-pw", "AES-256", "secret-priv-pw")
    assert "secret" not in repr(user)
    endpoint = SnmpEndpoint("127.0.0.1", 1161, make_state("p"), ("secret-community",), (user,))
    assert "secret" not in repr(endpoint)
    with pytest.raises(UsmError) as error:
        V3User("ops", "SHA", "short")
    assert "short" not in str(error.value).replace("shorter", "")
    with pytest.raises(UsmError):
        V3User("ops", "SHA3", "long-enough-pw")


# -- BER properties -----------------------------------------------------------------------------

arcs = st.integers(min_value=0, max_value=2**64)
oids = st.tuples(st.integers(0, 1), st.integers(0, 39), st.lists(arcs, max_size=30)).map(
    lambda t: (t[0], t[1], *t[2])
) | st.tuples(st.just(2), arcs, st.lists(arcs, max_size=30)).map(lambda t: (2, t[1], *t[2]))


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_integer_round_trip(value: int) -> None:
    encoded = ber.encode_integer(value)
    tag, start, end = ber.read_header(encoded, 0)
    assert (tag, end) == (ber.INTEGER, len(encoded))
    assert ber.decode_integer(encoded[start:end]) == value
    # minimal: no redundant leading 0x00 / 0xff octet
    content = encoded[start:end]
    assert len(content) == 1 or not (
        (content[0] == 0 and content[1] < 0x80) or (content[0] == 0xFF and content[1] >= 0x80)
    )


@given(
    st.sampled_from([ber.COUNTER32, ber.GAUGE32, ber.TIMETICKS, ber.COUNTER64]),
    st.integers(min_value=0, max_value=2**64 - 1),
)
def test_unsigned_round_trip(tag: int, value: int) -> None:
    value %= 1 << (64 if tag == ber.COUNTER64 else 32)
    encoded = ber.encode_value(tag, value)
    got_tag, start, end = ber.read_header(encoded, 0)
    assert got_tag == tag
    assert ber.decode_value(tag, encoded[start:end]) == value
    assert ber.encode_unsigned(value, tag) == encoded


@given(oids)
def test_oid_round_trip(oid: tuple[int, ...]) -> None:
    encoded = ber.encode_oid(oid)
    _, start, end = ber.read_header(encoded, 0)
    assert ber.decode_oid(encoded[start:end]) == oid
    assert ber.parse_oid(ber.format_oid(oid)) == oid


values = st.one_of(
    st.tuples(st.just(ber.INTEGER), st.integers(-(2**31), 2**31 - 1)),
    st.tuples(st.just(ber.OCTET_STRING), st.binary(max_size=300)),
    st.tuples(st.just(ber.IP_ADDRESS), st.binary(min_size=4, max_size=4)),
    st.tuples(st.just(ber.COUNTER64), st.integers(0, 2**64 - 1)),
    st.tuples(st.just(ber.OBJECT_IDENTIFIER), oids),
    st.tuples(st.sampled_from([ber.NULL, ber.NO_SUCH_OBJECT, ber.END_OF_MIB_VIEW]), st.none()),
)


@given(
    st.integers(-(2**31), 2**31 - 1),
    st.lists(st.tuples(oids, values), max_size=20),
    st.binary(max_size=40),
)
def test_message_round_trip(
    request_id: int, bindings: list[tuple[tuple[int, ...], tuple[int, ber.Value]]], community: bytes
) -> None:
    varbinds = tuple(ber.VarBind(oid, tag, value) for oid, (tag, value) in bindings)
    pdu = ber.Pdu(ber.RESPONSE, request_id, 0, 0, varbinds)
    message = ber.CommunityMessage(1, community, pdu)
    encoded = ber.encode_community_message(message)
    assert ber.decode_community_message(encoded) == message


@given(st.lists(oids, min_size=1, max_size=10), st.integers(0, 2**31 - 1))
def test_request_parser_agrees_with_decoder(
    request_oids: list[tuple[int, ...]], request_id: int
) -> None:
    packet = ber.encode_pdu(
        ber.Pdu(ber.GET_BULK, request_id, 1, 9, tuple(ber.VarBind(o) for o in request_oids))
    )
    request = ber.parse_request_pdu(packet, 0, len(packet))
    assert (request.request_id, request.a, request.b) == (request_id, 1, 9)
    assert [ber.decode_oid(raw) for raw in request.oids] == request_oids


def test_long_lengths() -> None:
    content = bytes(70000)
    encoded = ber.tlv(ber.OCTET_STRING, content)
    assert encoded[:4] == b"\x04\x83\x01\x11"
    assert ber.read_header(encoded, 0) == (ber.OCTET_STRING, 5, 70005)
    with pytest.raises(ber.BerError):
        ber.read_header(encoded[:100], 0)


def test_endpoints_are_on_loopback(twin: Twin) -> None:
    for host, _ in twin.addresses.values():
        assert ipaddress.IPv4Address(host) in ipaddress.IPv4Network("127.0.0.0/8")


def test_get_accepts_a_non_minimal_oid_encoding() -> None:
    engine = _engine()
    canonical = ber.oid_content(ber.parse_oid(SYS_NAME))
    padded = canonical[:-1] + b"\x80" + canonical[-1:]  # arc 0 written as 0x80 0x00
    varbinds = ber.tlv(ber.SEQUENCE, ber.tlv(ber.OBJECT_IDENTIFIER, padded) + b"\x05\x00")
    pdu = ber.tlv(
        ber.GET, b"\x02\x01\x07\x02\x01\x00\x02\x01\x00" + ber.tlv(ber.SEQUENCE, varbinds)
    )
    message = ber.sequence(b"\x02\x01\x01", ber.tlv(ber.OCTET_STRING, COMMUNITY.encode()), pdu)
    response = engine.handle(message)
    assert response is not None
    assert ber.decode_community_message(response).pdu.varbinds[0].value == b"e1.twin"
