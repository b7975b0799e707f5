"""The SNMP engine in process against net-snmp's snmpd: pooled sessions keep their sockets
watched by the event loop, and every session the engine drops (evicted from the pool, cut
by a deadline, timed out) leaves the loop's reader set and closes its socket."""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import Iterator

import pytest

from exporters.snmp import engine
from exporters.snmp.config import Auth, Metric, Module, WalkParams
from exporters.snmp.engine import SessionPool, Target
from exporters.snmp.scrape import scrape
from inventory.secrets import Secret
from tests.exporters.snmpd import Snmpd, silent_target, snmpd_binary

pytestmark = pytest.mark.skipif(snmpd_binary() is None, reason="net-snmp snmpd not installed")

HOST = "127.62.0.1"  # this module's loopback addresses: 127.62.0.0/24
SILENT_HOST = "127.62.0.9"
COMMUNITY = "engine-test-community"

NAME = Module(
    "name",
    get=("1.3.6.1.2.1.1.5.0",),
    metrics=(Metric("sysName", "1.3.6.1.2.1.1.5", "DisplayString"),),
    params=WalkParams(timeout=0.3, retries=0),
)


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpd]:
    with Snmpd(tmp_path_factory.mktemp("snmpd"), host=HOST, community=COMMUNITY) as daemon:
        yield daemon


@pytest.fixture(scope="module")
def silent() -> Iterator[str]:
    with silent_target(SILENT_HOST) as target:
        yield target


def auth(name: str) -> Auth:
    return Auth(name, version=2, community=Secret(COMMUNITY))


def open_fds() -> int:
    gc.collect()
    return len(os.listdir("/proc/self/fd"))


def test_dropped_sessions_leave_the_loop_and_close_their_sockets(snmpd: Snmpd, silent: str) -> None:
    pool = SessionPool(max_idle=2)
    fds_before = open_fds()
    watched_before = engine.watched()

    async def main() -> list[bool]:
        outcomes = []
        # six pool keys (one per auth name): the pool keeps the last two sessions
        for n in range(6):
            result = await scrape(
                Target.parse(snmpd.target),
                auth(f"a{n}"),
                [(NAME, None)],
                {},
                pool,
                time.monotonic() + 5,
            )
            outcomes.append(result.modules[0].success)
        # a silent target times out; another is cut by the request's deadline
        for deadline in (5.0, 0.1):
            result = await scrape(
                Target.parse(silent),
                auth("a0"),
                [(NAME, None)],
                {},
                pool,
                time.monotonic() + deadline,
            )
            outcomes.append(result.modules[0].success)
        # a pooled session is used again: its socket is still watched and answers
        result = await scrape(
            Target.parse(snmpd.target), auth("a5"), [(NAME, None)], {}, pool, time.monotonic() + 5
        )
        outcomes.append(result.modules[0].success)
        return outcomes

    assert asyncio.run(main()) == [True] * 6 + [False, False] + [True]
    assert len(pool) == 2
    assert engine.watched() - watched_before == 2
    assert open_fds() - fds_before <= 2
