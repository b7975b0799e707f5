"""Which SNMP engine the exporter uses: gufo-snmp against pysnmp, GETs per second.

    python -m bench snmp_engine [-- --requests 3000 --concurrency 32 --max-seconds 20]

Starts net-snmp's snmpd on a free port of 127.0.0.1 with a v2c community and an SNMPv3
user (SHA / AES, authPriv), sends the same bounded load of GETs (sysUpTime.0 and sysName.0
in one PDU) with each engine, ``--concurrency`` in flight, one session per target as a
scrape would use it, and prints GETs/s and the CPU seconds this process used per 1,000
GETs, side by side. Each run stops at ``--requests`` answers or ``--max-seconds``.
The last rows are provnet's own pysnmp path (:mod:`exporters.snmp.pysnmp_client`), which
the scrapes gufo-snmp cannot make take: an SNMPv3 context (here the agent's own engine ID as
``snmp_engineid``, so the agent does the same work) and ``tcp://``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exporters.snmp.config import Auth
from exporters.snmp.engine import Client, Counters, SessionPool, Target, V3Context
from inventory.secrets import Secret
from tests.exporters.snmpd import Snmpd, V3User

COMMUNITY = "bench-engine"
USER = V3User("bench", "SHA", "bench-auth-pass", "AES", "bench-priv-pass")
OIDS = ("1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.5.0")
SNMP_ENGINE_ID = "1.3.6.1.6.3.10.2.1.1.0"


@dataclass
class Figures:
    label: str
    answered: int
    seconds: float
    cpu: float

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        per_k = self.cpu / self.answered * 1000 if self.answered else float("nan")
        return (
            f"{self.label:<34} {self.rate:>9.0f} GET/s   {per_k:6.2f} CPU s / 1000 GET"
            f"   ({self.answered} in {self.seconds:.1f} s)"
        )


async def _load(
    one: Callable[[], Awaitable[bool]], requests: int, concurrency: int, max_seconds: float
) -> tuple[int, float, float]:
    answered = 0
    issued = 0
    started = time.perf_counter()
    cpu = time.process_time()
    deadline = started + max_seconds

    async def worker() -> None:
        nonlocal answered, issued
        while issued < requests and time.perf_counter() < deadline:
            issued += 1
            if await one():
                answered += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return answered, time.perf_counter() - started, time.process_time() - cpu


def gufo_one(target: Target, auth: Auth, pool: SessionPool) -> Callable[[], Awaitable[bool]]:
    async def one() -> bool:
        client = Client(target, auth, pool, Counters(), timeout=2.0, retries=0)
        try:
            values = await client.get(OIDS, per_pdu=len(OIDS))
            return len(values) == len(OIDS)
        except Exception:
            return False
        finally:
            client.close()

    return one


def context_one(
    target: Target, auth: Auth, context: V3Context, pool: SessionPool
) -> Callable[[], Awaitable[bool]]:
    """provnet's pysnmp path (:mod:`exporters.snmp.pysnmp_client`), as a scrape in an SNMPv3
    context or over TCP uses it."""
    from exporters.snmp.pysnmp_client import PysnmpClient

    async def one() -> bool:
        client = PysnmpClient(target, auth, pool, Counters(), context, timeout=2.0, retries=0)
        try:
            values = await client.get(OIDS, per_pdu=len(OIDS))
            return len(values) == len(OIDS)
        except Exception:
            return False
        finally:
            client.close()

    return one


async def engine_id(target: Target, auth: Auth) -> bytes:
    """The agent's snmpEngineID.0: as snmp_engineid, it makes a scrape take the pysnmp path
    while the agent does the same work as for the default context."""
    client = Client(target, auth, SessionPool(), Counters(), timeout=2.0, retries=1)
    value = (await client.get([SNMP_ENGINE_ID], 1)).get(SNMP_ENGINE_ID)
    assert isinstance(value, bytes), "snmpd gave no snmpEngineID.0"
    return value


def pysnmp_one(host: str, port: int, v3: bool) -> Callable[[], Awaitable[bool]]:
    from pysnmp.hlapi.v3arch import asyncio as snmp

    engine = snmp.SnmpEngine()
    if v3:
        auth: Any = snmp.UsmUserData(
            USER.name,
            authKey=USER.auth_password,
            privKey=USER.priv_password,
            authProtocol=snmp.usmHMACSHAAuthProtocol,
            privProtocol=snmp.usmAesCfb128Protocol,
        )
    else:
        auth = snmp.CommunityData(COMMUNITY, mpModel=1)

    async def one() -> bool:
        transport = await snmp.UdpTransportTarget.create((host, port), timeout=2.0, retries=0)
        indication, status, _, binds = await snmp.get_cmd(
            engine,
            auth,
            transport,
            snmp.ContextData(),
            *(snmp.ObjectType(snmp.ObjectIdentity(o)) for o in OIDS),
        )
        return not indication and not status and len(binds) == len(OIDS)

    return one


def run(label: str, one: Callable[[], Awaitable[bool]], args: argparse.Namespace) -> Figures:
    answered, seconds, cpu = asyncio.run(
        _load(one, args.requests, args.concurrency, args.max_seconds)
    )
    return Figures(label, answered, seconds, cpu)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    v2c = Auth("bench-v2c", version=2, community=Secret(COMMUNITY))
    none = V3Context()
    pool = SessionPool
    v3 = Auth(
        "bench-v3",
        version=3,
        security_level="authPriv",
        username=USER.name,
        password=Secret(USER.auth_password),
        auth_protocol="SHA",
        priv_protocol="AES",
        priv_password=Secret(USER.priv_password),
    )
    with (
        tempfile.TemporaryDirectory(prefix="bench-engine-") as directory,
        Snmpd(Path(directory), community=COMMUNITY, users=(USER,), tcp=True) as snmpd,
    ):
        target = Target(snmpd.host, snmpd.port)
        over_tcp = Target(snmpd.host, snmpd.port, "tcp")
        agent = V3Context("", asyncio.run(engine_id(target, v2c)))
        print(
            f"snmpd (net-snmp) on {snmpd.target}; {args.requests} GETs per run, "
            f"{args.concurrency} in flight, at most {args.max_seconds:.0f} s each"
        )
        rows = [
            run("gufo-snmp v2c", gufo_one(target, v2c, SessionPool()), args),
            run("pysnmp    v2c", pysnmp_one(snmpd.host, snmpd.port, False), args),
            run("gufo-snmp v3 authPriv (cached)", gufo_one(target, v3, SessionPool()), args),
            run("gufo-snmp v3 authPriv (no cache)", gufo_one(target, v3, SessionPool(0)), args),
            run("pysnmp    v3 authPriv", pysnmp_one(snmpd.host, snmpd.port, True), args),
            run("provnet pysnmp path v3 (context)", context_one(target, v3, agent, pool()), args),
            run("provnet pysnmp path v2c tcp://", context_one(over_tcp, v2c, none, pool()), args),
            run("provnet pysnmp path v3 tcp://", context_one(over_tcp, v3, none, pool()), args),
        ]
    for row in rows:
        print(row.line())
    gufo, pysnmp = rows[0].rate, rows[1].rate
    cpu = [r.cpu / r.answered * 1e6 if r.answered else float("nan") for r in rows]
    print(
        f"a scrape in an SNMPv3 context (provnet's pysnmp path) costs {cpu[5]:.0f} us of CPU"
        f" per GET against {cpu[2]:.0f} us on gufo-snmp ({cpu[5] / cpu[2]:.1f}x); over TCP,"
        f" v2c {cpu[6]:.0f} us against {cpu[0]:.0f} us on UDP"
    )
    if pysnmp:
        print(
            f"gufo-snmp / pysnmp, v2c: {gufo / pysnmp:.1f}x; "
            f"v3: {rows[2].rate / rows[4].rate if rows[4].rate else float('nan'):.1f}x"
        )
    return 0 if all(r.answered for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
