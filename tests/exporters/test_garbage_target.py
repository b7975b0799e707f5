"""A target whose SNMP port answers garbage: every scrape ends within its deadline with
the module failed and its reason counted, whatever it sends; a panic of the SNMP library
(a ``BaseException``) is a failed module of kind ``panic`` (issue: reliability, point 2).
Fuzzed on loopback, bounded in count and time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings

from exporters.snmp.config import Auth, Metric, Module, WalkParams
from exporters.snmp.engine import SessionPool, Target
from exporters.snmp.scrape import scrape
from inventory.secrets import Secret
from tests.snmp_garbage import REPLIES, GarbageResponder

HOST = "127.63.0.1"  # this module's loopback address
DEADLINE_S = 1.5
MODULE = Module(
    "uptime",
    get=("1.3.6.1.2.1.1.3.0",),
    walk=("1.3.6.1.2.1.2.2.1.2",),
    metrics=(Metric("sysUpTime", "1.3.6.1.2.1.1.3", "gauge"),),
    params=WalkParams(timeout=0.3, retries=1),
)


@pytest.fixture(scope="module")
def responder() -> Iterator[GarbageResponder]:
    garbage = GarbageResponder(HOST)
    try:
        yield garbage
    finally:
        garbage.close()


@pytest.fixture(scope="module")
def warmed_up(responder: GarbageResponder) -> None:
    """One scrape before the timed ones: the first pays for imports and key derivation."""
    responder.reply = b""
    asyncio.run(scrape_both(responder.port))


AUTHS = (
    Auth("v2", version=2, community=Secret("public")),
    Auth(
        "v3",
        version=3,
        username="provnet",
        security_level="authPriv",
        auth_protocol="SHA",
        password=Secret("auth-password-1"),
        priv_protocol="AES",
        priv_password=Secret("priv-password-1"),
    ),
)


async def scrape_both(port: int) -> list[tuple[bool, str, float]]:
    """One scrape with each auth: (success, error kind, seconds taken)."""
    pool = SessionPool(max_idle=4)
    found = []
    for auth in AUTHS:
        started = time.monotonic()
        result = await asyncio.wait_for(
            scrape(
                Target.parse(f"{HOST}:{port}"),
                auth,
                [(MODULE, None)],
                {},
                pool,
                started + DEADLINE_S,
            ),
            timeout=DEADLINE_S + 2,  # a hang fails here, bounded
        )
        module = result.modules[0]
        found.append((module.success, module.error_kind, time.monotonic() - started))
    return found


@settings(max_examples=30, deadline=None)
@given(reply=REPLIES)
def test_every_scrape_of_a_garbage_target_ends_in_time_with_the_module_failed(
    reply: bytes | int, responder: GarbageResponder, warmed_up: None
) -> None:
    responder.reply = reply

    for success, kind, seconds in asyncio.run(scrape_both(responder.port)):
        assert not success
        assert kind in {"panic", "snmp", "timeout", "deadline", "auth", "network"}, kind
        assert seconds <= DEADLINE_S + 1.0  # the deadline, plus a loaded machine's slack


def test_a_target_that_echoes_the_request_has_not_answered(
    responder: GarbageResponder, warmed_up: None
) -> None:
    """An echo is no answer: neither the module nor ``answered`` (the target's up) may count
    it, with SNMPv2c or with SNMPv3 (whose engine discovery took the echoed request)."""
    responder.reply = 65_535  # the whole request, sent back

    async def scrape_each() -> list[tuple[bool, bool]]:
        pool = SessionPool(max_idle=4)
        found = []
        for auth in AUTHS:
            deadline = time.monotonic() + DEADLINE_S
            result = await scrape(
                Target.parse(f"{HOST}:{responder.port}"), auth, [(MODULE, None)], {}, pool, deadline
            )
            found.append((result.modules[0].success, result.answered))
        return found

    assert asyncio.run(scrape_each()) == [(False, False), (False, False)]
