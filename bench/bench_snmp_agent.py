"""Benchmark of the province twin's SNMP agent: CPU per exporter scrape, GETs answered per
second, start time, RSS.

    python bench/bench_snmp_agent.py [--endpoints 500] [--requests 20000] [--max-seconds 20]
                                     [--scrapes 200] [--scrapes-only]

CPU per scrape: provnet's exporter scrapes (``system,if_mib,ip_mib``, as Prometheus does in
the demo) a simulated access switch (28 ports and a VLAN interface) and a WAN router, over
v2c and v3 authPriv, on 127.0.0.1; the agent's datagrams of the second scrape (the exporter
has learnt the tables' sizes) are recorded, then answered ``--scrapes`` times by the
endpoint's engine without sockets, timed with the process CPU clock.

The agent runs in a child process (one core); the load generator in this process sends
pre-encoded GET packets, keeping ``--window`` requests in flight over one UDP socket, round
robin over every endpoint. Each run is bounded by ``--requests`` and ``--max-seconds``.
Traffic goes only to 127.0.0.0/8. If net-snmp's ``snmpd`` is installed, the same load is
sent to one ``snmpd`` on 127.0.0.1 as a reference (``--no-snmpd`` to skip).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import multiprocessing
import os
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab.snmp import AgentThread, SnmpAgent, SnmpEndpoint, SnmpEngine, V3User
from lab.snmp.ber import RESPONSE, Oid, Pdu, decode_community_message, parse_oid
from lab.snmp.client import (
    discovery_request,
    parse_v3_reply,
    v2c_request,
    v3_request,
)
from lab.snmp.usm import localize_user
from lab.state import DeviceState

COMMUNITY = "bench-public"
USER = V3User("bench", "SHA", "bench-auth-pass", "AES", "bench-priv-pass")
OIDS: tuple[Oid, ...] = (parse_oid("1.3.6.1.2.1.1.3.0"), parse_oid("1.3.6.1.2.1.31.1.1.1.6.1"))
Address = tuple[str, int]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def endpoint_hosts(count: int) -> list[str]:
    base = int(ipaddress.IPv4Address("127.20.0.1"))
    return [str(ipaddress.IPv4Address(base + i + i // 254 * 2)) for i in range(count)]


def make_state(i: int) -> DeviceState:
    state = DeviceState(
        name=f"bench-r{i}", platform="cisco_ios", hostname=f"bench-r{i}", sys_descr="Cisco IOS"
    )
    for n in range(4):
        interface = state.add_interface(f"GigabitEthernet0/{n}")
        interface.ipv4.append(ipaddress.IPv4Interface(f"10.{i // 250}.{i % 250}.{n * 4 + 1}/30"))
    return state


# -- the agent, in a child process ------------------------------------------------------------


def agent_main(conn: Connection, hosts: list[str], port: int) -> None:
    asyncio.run(_agent(conn, hosts, port))


async def _agent(conn: Connection, hosts: list[str], port: int) -> None:
    loop = asyncio.get_running_loop()
    rss_before = rss_mib(os.getpid())
    endpoints = [
        SnmpEndpoint(host, port, make_state(i), (COMMUNITY,), (USER,))
        for i, host in enumerate(hosts)
    ]
    agent = SnmpAgent()
    started = time.perf_counter()
    await agent.start(endpoints)
    conn.send(("started", time.perf_counter() - started, rss_before, rss_mib(os.getpid())))
    command = asyncio.Event()
    loop.add_reader(conn.fileno(), command.set)
    while True:
        await command.wait()
        command.clear()
        message = conn.recv()
        if message == "stats":
            conn.send((vars(agent.stats).copy(), rss_mib(os.getpid())))
        elif message == "stop":
            break
    loop.remove_reader(conn.fileno())
    await agent.stop()


# -- the load generator -----------------------------------------------------------------------


@dataclass
class Run:
    label: str
    sent: int
    answered: int
    lost: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0


def blast(
    label: str,
    packets: Sequence[tuple[bytes, Address]],
    total: int,
    max_seconds: float,
    window: int,
) -> Run:
    """Send ``total`` packets round robin, ``window`` in flight; lost ones are written off
    after 200 ms of silence. Stops at ``total`` answers or ``max_seconds``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.setblocking(False)
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    buffer = bytearray(65536)
    sent = answered = lost = in_flight = i = 0
    count = len(packets)
    start = time.perf_counter()
    deadline = start + max_seconds
    try:
        while answered + lost < total and time.perf_counter() < deadline:
            while in_flight < window and sent < total:
                packet, address = packets[i]
                i = i + 1 if i + 1 < count else 0
                try:
                    sock.sendto(packet, address)
                except BlockingIOError:
                    break
                sent += 1
                in_flight += 1
            if not selector.select(0.2):
                lost += in_flight
                in_flight = 0
                continue
            while True:
                try:
                    sock.recv_into(buffer)
                except BlockingIOError:
                    break
                answered += 1
                in_flight -= 1
    finally:
        selector.close()
        sock.close()
    return Run(label, sent, answered, lost, time.perf_counter() - start)


def ask(address: Address, packet: bytes, timeout: float = 2.0) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(packet, address)
        return sock.recv(65536)


def v2c_packets(addresses: Sequence[Address]) -> list[tuple[bytes, Address]]:
    packets = [(v2c_request(COMMUNITY, OIDS, 1000 + n), a) for n, a in enumerate(addresses)]
    check_reply(decode_community_message(ask(addresses[0], packets[0][0])).pdu)
    return packets


def check_reply(pdu: Pdu) -> None:
    """The load must be answered with Responses, not Reports or errors."""
    if pdu.tag != RESPONSE or pdu.error_status != 0:
        raise SystemExit(f"unexpected reply to the benchmark's GET: {pdu}")


def v3_packets(addresses: Sequence[Address]) -> list[tuple[bytes, Address]]:
    """Discover each engine, localise the user's keys to it, pre-encode one authPriv GET."""
    packets = []
    for n, address in enumerate(addresses):
        report = parse_v3_reply(ask(address, discovery_request(n + 1)))
        user = localize_user(USER, report.engine_id)
        packet = v3_request(
            user,
            engine_id=report.engine_id,
            boots=report.boots,
            engine_time=report.engine_time,
            oids=OIDS,
            msg_id=5000 + n,
            request_id=7000 + n,
            salt=n,
        )
        if n == 0:
            check_reply(parse_v3_reply(ask(address, packet), user).pdu)
        packets.append((packet, address))
    return packets


# -- snmpd, the reference ---------------------------------------------------------------------


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def start_snmpd(directory: Path) -> tuple[subprocess.Popen[bytes], Address] | None:
    snmpd = shutil.which("snmpd") or (
        "/usr/sbin/snmpd" if Path("/usr/sbin/snmpd").exists() else None
    )
    if snmpd is None:
        return None
    port = free_port("127.0.0.1")
    config = directory / "snmpd.conf"
    config.write_text(
        f"agentAddress udp:127.0.0.1:{port}\n"
        f"rocommunity {COMMUNITY} 127.0.0.1\n"
        f'createUser {USER.name} SHA "{USER.auth_password}" AES "{USER.priv_password}"\n'
        f"rouser {USER.name} priv\n"
    )
    env = {**os.environ, "SNMP_PERSISTENT_DIR": str(directory), "MIBS": ""}
    process = subprocess.Popen(
        [
            snmpd,
            "-f",
            "-Lf",
            str(directory / "snmpd.log"),
            "-C",
            "-c",
            str(config),
            "-p",
            str(directory / "pid"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = ("127.0.0.1", port)
    for _ in range(50):
        try:
            ask(address, v2c_request(COMMUNITY, OIDS[:1], 1), timeout=0.1)
            return process, address
        except OSError:
            if process.poll() is not None:
                return None
    process.terminate()
    return None


# -- CPU per exporter scrape ------------------------------------------------------------------


def switch_state() -> DeviceState:
    """An access switch as the twin has it (issue 17's estate): 28 ports and a VLAN interface."""
    state = DeviceState(
        name="bench-sw", platform="cisco_ios", hostname="bench-sw", sys_descr="Cisco IOS"
    )
    for n in range(1, 29):
        state.add_interface(f"GigabitEthernet1/0/{n}", description=f"access port {n}")
    vlan = state.add_interface("Vlan10", description="LAN")
    vlan.ipv4.append(ipaddress.IPv4Interface("10.1.1.2/24"))
    return state


def recorded_scrapes(state: DeviceState) -> dict[str, list[bytes]]:
    """The request datagrams of one exporter scrape of ``state``, per SNMP version."""
    from exporters.registry import load_builtins
    from exporters.snmp.config import Auth
    from exporters.snmp.engine import SessionPool, Target
    from exporters.snmp.scrape import scrape
    from inventory.secrets import Secret

    builtins = load_builtins()
    modules = [(builtins[m].module, builtins[m]) for m in ("system", "if_mib", "ip_mib")]
    auths = {
        "v2c": Auth("bench-v2c", community=Secret(COMMUNITY)),
        "v3 authPriv": Auth(
            "bench-v3",
            version=3,
            username=USER.name,
            security_level="authPriv",
            auth_protocol=USER.auth_protocol,
            password=Secret(USER.auth_password),
            priv_protocol=USER.priv_protocol or "AES",
            priv_password=Secret(USER.priv_password or ""),
        ),
    }
    recorded: dict[str, list[bytes]] = {}
    endpoint = SnmpEndpoint("127.0.0.1", 0, state, (COMMUNITY,), (USER,))
    with AgentThread([endpoint]) as running:
        host, port = running.addresses[0]
        engine = running.agent.engine(host, port)
        handle = engine.handle
        for label, auth in auths.items():
            pool = SessionPool()
            datagrams: list[bytes] = []

            def record(
                data: bytes, now: float | None = None, datagrams: list[bytes] = datagrams
            ) -> bytes | None:
                datagrams.append(data)
                return handle(data, now)

            engine.handle = record  # type: ignore[method-assign]
            for _ in range(2):  # the second scrape is the steady state's
                datagrams.clear()
                target = Target.parse(f"{host}:{port}")
                result = asyncio.run(scrape(target, auth, modules, {}, pool, time.monotonic() + 10))
                if not all(module.success for module in result.modules):
                    raise SystemExit(f"the exporter's scrape of {state.name} failed: {result}")
            engine.handle = handle  # type: ignore[method-assign]
            recorded[label] = list(datagrams)
    return recorded


def scrape_costs(count: int) -> None:
    """Print the agent's CPU per exporter scrape of a switch and a router."""
    print(f"agent CPU per exporter scrape (system,if_mib,ip_mib; mean of {count} replays):")
    for kind, state in (("switch, 29 interfaces", switch_state()), ("router, 4", make_state(0))):
        for label, datagrams in recorded_scrapes(state).items():
            engine = SnmpEngine(state, communities=(COMMUNITY,), users=(USER,))
            for data in datagrams:  # builds the MIB view once, as the first scrape does
                engine.handle(data)
            started = time.process_time()
            for _ in range(count):
                for data in datagrams:
                    engine.handle(data)
            per_scrape = (time.process_time() - started) / count
            print(
                f"  {kind:22} {label:12} {len(datagrams):3} requests  "
                f"{per_scrape * 1000:7.3f} ms CPU per scrape"
            )


# -- main -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, default=500)
    parser.add_argument("--port", type=int, default=16161)
    parser.add_argument("--requests", type=int, default=20000, help="per run")
    parser.add_argument("--max-seconds", type=float, default=20.0, help="per run")
    parser.add_argument("--window", type=int, default=128, help="requests in flight")
    parser.add_argument("--no-snmpd", action="store_true")
    parser.add_argument("--scrapes", type=int, default=200, help="replays of each scrape")
    parser.add_argument("--scrapes-only", action="store_true", help="only the CPU per scrape")
    args = parser.parse_args(argv)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    scrape_costs(args.scrapes)
    if args.scrapes_only:
        return 0

    hosts = endpoint_hosts(args.endpoints)
    addresses = [(host, args.port) for host in hosts]
    parent, child = multiprocessing.get_context("fork").Pipe()
    process = multiprocessing.get_context("fork").Process(
        target=agent_main, args=(child, hosts, args.port)
    )
    process.start()
    _, start_seconds, rss_before, rss_started = parent.recv()
    runs: list[Run] = []
    try:
        v2c = v2c_packets(addresses)
        # First GET of each endpoint builds its MIB view: measured apart from the steady state.
        warm = blast("first GET per endpoint", v2c, len(v2c), args.max_seconds, args.window)
        runs.append(blast("provnet v2c GET", v2c, args.requests, args.max_seconds, args.window))
        v3 = v3_packets(addresses)
        runs.append(
            blast("provnet v3 authPriv GET", v3, args.requests, args.max_seconds, args.window)
        )
        parent.send("stats")
        stats, rss_loaded = parent.recv()
    finally:
        parent.send("stop")
        process.join(10)
    if not args.no_snmpd:
        runs.extend(reference_runs(args))

    print(
        f"endpoints: {args.endpoints} ({hosts[0]} .. {hosts[-1]}, UDP port {args.port}), "
        f"{len(OIDS)} varbinds per GET, window {args.window}, cpus {os.cpu_count()}"
    )
    print(
        f"agent start: {start_seconds:.3f} s for {args.endpoints} endpoints "
        f"(v3 keys localised per endpoint)"
    )
    print(
        f"agent RSS: {rss_before:.1f} MiB before start, {rss_started:.1f} MiB started, "
        f"{rss_loaded:.1f} MiB after load (MIB views built)"
    )
    print(f"first GET of each endpoint (builds its MIB view): {warm.seconds:.3f} s in all")
    print(f"{'run':32} {'sent':>7} {'answered':>9} {'lost':>6} {'seconds':>8} {'answered/s':>11}")
    for run in runs:
        counts = f"{run.sent:>7} {run.answered:>9} {run.lost:>6}"
        print(f"{run.label:32} {counts} {run.seconds:>8.2f} {run.rate:>11,.0f}")
    print("agent counters:", {k: v for k, v in stats.items() if v})
    return 0 if all(run.answered for run in runs) else 1


def reference_runs(args: argparse.Namespace) -> list[Run]:
    with tempfile.TemporaryDirectory(prefix="bench-snmpd-") as directory:
        started = start_snmpd(Path(directory))
        if started is None:
            print("snmpd: not available, reference skipped")
            return []
        process, address = started
        try:
            return [
                blast(
                    "net-snmp snmpd v2c GET (1 ep)",
                    v2c_packets([address]),
                    args.requests,
                    args.max_seconds,
                    args.window,
                ),
                blast(
                    "net-snmp snmpd v3 authPriv (1 ep)",
                    v3_packets([address]),
                    args.requests,
                    args.max_seconds,
                    args.window,
                ),
            ]
        finally:
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    sys.exit(main())
