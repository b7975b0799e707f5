"""A client that goes away mid-probe cancels the probe; the cancelled probe must leave no
``Task exception was never retrieved`` in the exporter's log (issue: reliability, point 8).
Python 3.11's ``asyncio.wait_for`` ended such a probe with the inner connection error,
which nobody retrieved. Bounded: 120 probes, cancelled at random points, on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvloop

from platforms.sip import VcTarget, probe_endpoint

HOST = "127.62.0.1"  # this module's loopback address


@pytest.fixture(scope="module")
def closed_port() -> Iterator[int]:
    """A TCP port on loopback where nobody listens: every connection is refused."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        yield sock.getsockname()[1]  # bound, never listening: refused, never taken by another


async def cancel_probes(port: int, count: int) -> list[dict[str, Any]]:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    rng = random.Random(8)
    target = VcTarget(host=HOST, port=port, transport="tcp")
    for attempt in range(count):
        probe = asyncio.ensure_future(probe_endpoint(target, time.monotonic() + 1.0))
        for _ in range(rng.randint(0, 4)):  # cancel at a different step of the probe
            await asyncio.sleep(0)
        probe.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await probe
        if attempt % 20 == 0:
            gc.collect()  # an unretrieved exception is reported when its task is collected
    await asyncio.sleep(0.05)
    gc.collect()
    return reported


def test_a_cancelled_probe_leaves_no_unretrieved_exception(closed_port: int) -> None:
    reported = uvloop.run(cancel_probes(closed_port, 120))
    assert [context.get("message") for context in reported] == []
