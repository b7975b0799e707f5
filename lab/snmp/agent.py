"""One asyncio process answering SNMP for many simulated devices, one UDP socket each.

    agent = SnmpAgent()
    await agent.start([SnmpEndpoint("127.0.10.1", 10161, state, communities=("public",))])
    ...
    await agent.stop()

Faults are read from the device state on every datagram: ``down`` or ``drop_snmp`` means no
answer at all; ``garbage_snmp`` answers every request with random bytes; ``slow_ms`` delays
the answer with ``call_later``, never blocking the loop. ``AgentThread`` runs an agent on
its own loop in a daemon thread for synchronous callers.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from lab.errors import LabError
from lab.state import DeviceState

from .engine import AgentStats, SnmpEngine
from .usm import V3User

log = logging.getLogger(__name__)

T = TypeVar("T")
Address = tuple[str, int]


class AgentBindError(LabError, OSError):
    """An endpoint's address could not be bound (in use, not local...)."""


@dataclass(frozen=True)
class SnmpEndpoint:
    """Where one simulated device answers SNMP, and who may ask.

    ``port`` 0 binds a free port (see ``SnmpAgent.add``'s return value). No community or user
    disables that SNMP version. ``repr`` hides the communities.
    """

    host: str
    port: int
    state: DeviceState
    communities: tuple[str, ...] = ()
    users: tuple[V3User, ...] = ()
    engine_id: bytes | None = None  # default: derived from the device name

    def __repr__(self) -> str:
        return (
            f"SnmpEndpoint(host={self.host!r}, port={self.port}, device={self.state.name!r}, "
            f"communities={len(self.communities)}, users={[u.name for u in self.users]!r})"
        )


class _EndpointProtocol(asyncio.DatagramProtocol):
    """The datagram handler of one endpoint: faults, then the engine, then send."""

    def __init__(self, engine: SnmpEngine, loop: asyncio.AbstractEventLoop, label: str) -> None:
        self.engine = engine
        self.state = engine.state
        self.stats = engine.stats
        self.loop = loop
        self.label = label
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        faults = self.state.faults
        if faults.down or faults.drop_snmp:
            self.stats.dropped_fault += 1
            return
        if faults.garbage_snmp and self.transport is not None:
            # What a broken agent or a hostile host sends: the client must survive it.
            self.transport.sendto(random.randbytes(random.randint(1, 120)), addr)
            return
        try:
            response = self.engine.handle(data)
        except Exception:  # one bad datagram or state race must never stop the agent
            self.stats.internal_errors += 1
            log.exception("SNMP endpoint %s: request failed", self.label)
            return
        if response is None or self.transport is None:
            return
        if faults.slow_ms > 0:
            self.stats.delayed += 1
            self.loop.call_later(faults.slow_ms / 1000.0, self._send_late, response, addr)
        else:
            self.transport.sendto(response, addr)

    def _send_late(self, response: bytes, addr: tuple[Any, ...]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(response, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("SNMP endpoint %s: %s", self.label, exc)


@dataclass
class _Running:
    endpoint: SnmpEndpoint
    engine: SnmpEngine
    transport: asyncio.DatagramTransport


class SnmpAgent:
    """Serves many ``SnmpEndpoint``s from the running event loop."""

    def __init__(self) -> None:
        self.stats = AgentStats()
        self._running: dict[Address, _Running] = {}

    async def start(self, endpoints: Iterable[SnmpEndpoint]) -> list[Address]:
        """Bind every endpoint; on any failure, close those already bound and raise."""
        bound: list[Address] = []
        try:
            for endpoint in endpoints:
                bound.append(await self.add(endpoint))
        except BaseException:
            for address in bound:
                await self.remove(*address)
            raise
        return bound

    async def add(self, endpoint: SnmpEndpoint) -> Address:
        """Bind one endpoint; returns the bound (host, port)."""
        loop = asyncio.get_running_loop()
        engine = SnmpEngine(
            endpoint.state,
            communities=endpoint.communities,
            users=endpoint.users,
            stats=self.stats,
            engine_id=endpoint.engine_id,
        )
        label = f"{endpoint.state.name}@{endpoint.host}:{endpoint.port}"
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _EndpointProtocol(engine, loop, label),
                local_addr=(endpoint.host, endpoint.port),
            )
        except OSError as error:
            raise AgentBindError(
                error.errno, f"cannot bind SNMP endpoint {label}: {error.strerror}"
            ) from error
        host, port = transport.get_extra_info("sockname")[:2]
        address = (endpoint.host, int(port))
        if address in self._running:
            transport.close()
            raise AgentBindError(f"SNMP endpoint {host}:{port} already served")
        self._running[address] = _Running(endpoint, engine, transport)
        return address

    async def remove(self, host: str, port: int) -> None:
        running = self._running.pop((host, port), None)
        if running is not None:
            running.transport.close()

    async def stop(self) -> None:
        for address in list(self._running):
            await self.remove(*address)
        await asyncio.sleep(0)  # let the transports finish closing

    @property
    def engines(self) -> Mapping[Address, SnmpEngine]:
        return {address: running.engine for address, running in self._running.items()}

    def engine(self, host: str, port: int) -> SnmpEngine:
        return self._running[(host, port)].engine

    async def __aenter__(self) -> SnmpAgent:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class AgentThread:
    """An ``SnmpAgent`` on a private event loop in a daemon thread.

    with AgentThread([endpoint]) as running:
        running.agent.stats.responses
        running.call(running.agent.add(other))
    """

    def __init__(self, endpoints: Iterable[SnmpEndpoint] = ()) -> None:
        self.agent = SnmpAgent()
        self.addresses: list[Address] = []
        self._endpoints = list(endpoints)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="snmp-agent", daemon=True
        )

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine on the agent's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def start(self) -> list[Address]:
        self._thread.start()
        self.addresses = self.call(self.agent.start(self._endpoints))
        return self.addresses

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        try:
            self.call(self.agent.stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()

    def __enter__(self) -> AgentThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
