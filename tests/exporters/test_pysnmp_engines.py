"""pysnmp keeps a row per target in its tables (target addresses, users' keys localised to
each engine it discovered, TCP connections) for the life of its engine: the exporter's
scrapes through pysnmp (SNMPv3 contexts, tcp://) renew the engine after a bounded number of
targets, so a long-running exporter with many such targets does not grow. Scraped here: the
twin's SNMP agent on loopback, in SNMPv3 with ``snmp_engineid`` (a pysnmp scrape)."""

from __future__ import annotations

import asyncio
import time

from exporters.snmp.config import Auth, Metric, Module, WalkParams
from exporters.snmp.engine import SessionPool, Target, V3Context
from exporters.snmp.pysnmp_client import engine_pool
from exporters.snmp.scrape import scrape
from inventory.secrets import Secret
from lab.snmp import AgentThread, SnmpEndpoint, V3User
from lab.snmp.engine import derive_engine_id
from lab.state import DeviceState

HOST = "127.65.0.1"  # this module's loopback address
USER = V3User("engines", "SHA", "engines-auth-pass", "AES", "engines-priv-pass")
AUTH = Auth(
    "v3",
    version=3,
    username=USER.name,
    security_level="authPriv",
    auth_protocol="SHA",
    password=Secret(USER.auth_password),
    priv_protocol="AES",
    priv_password=Secret(USER.priv_password or ""),
)
MODULE = Module(
    "name",
    get=("1.3.6.1.2.1.1.5.0",),
    metrics=(Metric("sysName", "1.3.6.1.2.1.1.5", "DisplayString"),),
    params=WalkParams(timeout=5.0, retries=1),
)
TARGETS = 7
LIMIT = 2


def _addresses(pool_engine: object) -> int:
    """Rows of pysnmp's target address table the engine's command generator made."""
    cache = pool_engine.get_user_context("CommandGeneratorLcdConfigurator")  # type: ignore[attr-defined]
    return len(cache["addr"]) if cache else 0


def test_many_context_targets_keep_pysnmps_tables_bounded() -> None:
    states = [
        DeviceState(name=f"eng{i}", platform="cisco_ios", hostname=f"eng{i}")
        for i in range(TARGETS)
    ]
    endpoints = [SnmpEndpoint(HOST, 0, state, users=(USER,)) for state in states]

    async def scrape_all() -> tuple[list[bool], list[int], int, int]:
        pool = engine_pool()
        pool.limit = LIMIT
        found, rows = [], []
        for state, (host, port) in zip(states, running.addresses, strict=True):
            context = V3Context("", derive_engine_id(state.name))
            result = await scrape(
                Target.parse(f"{host}:{port}"),
                AUTH,
                [(MODULE, None)],
                {},
                SessionPool(),
                time.monotonic() + 20,
                context=context,
            )
            found.append(result.modules[0].success)
            assert pool.current is not None
            rows.append(_addresses(pool.current))
        return found, rows, pool.retired, len(pool)

    with AgentThread(endpoints) as running:
        found, rows, retired, open_engines = asyncio.run(scrape_all())
    assert found == [True] * TARGETS  # a renewed engine scrapes as well as the first
    assert max(rows) <= LIMIT
    assert retired == (TARGETS - 1) // LIMIT
    assert open_engines == 1  # the engines put aside were closed once their scrapes ended
