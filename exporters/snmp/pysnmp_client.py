"""The scrapes gufo-snmp cannot make, through pysnmp: an SNMPv3 context (``context_name``,
``snmp_context``, ``snmp_engineid``) and SNMP over TCP (``tcp://``, RFC 3430).

gufo-snmp (0.13) always sends the empty context name and has no TCP transport; pysnmp has
both. It costs several times gufo's CPU per request (``python -m bench exporter --context``
measures both on the same snmpd), so only these scrapes take it; every other scrape stays on
:mod:`exporters.snmp.engine`. :class:`PysnmpClient` answers the same calls as its
:class:`~exporters.snmp.engine.Client`: a GET in chunks, a walk by GETBULK or GETNEXT with
gosnmp's non-increasing OID check, packets and retries counted, the scrape's deadline kept.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from gufo.snmp import SnmpAuthError, SnmpError
from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.carrier.asyncio.stream.base import _TcpConnectionProtocol
from pysnmp.carrier.asyncio.stream.tcp import TcpAsyncioTransport
from pysnmp.entity import config as pysnmp_config
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    Udp6TransportTarget,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    next_cmd,
)
from pysnmp.hlapi.v3arch.asyncio.transport import AbstractTransportTarget
from pysnmp.proto import errind, rfc1902, rfc1905
from pysnmp.proto.rfc1902 import univ  # pyasn1's, through pysnmp (typed as pysnmp is)

from exporters.snmp.config import Auth
from exporters.snmp.engine import (
    Counters,
    DeadlineReached,
    SessionPool,
    SnmpTimeout,
    Target,
    V3Context,
    WalkShape,
    not_after,
    varbind_size,
)
from exporters.snmp.series import Value

AUTH_PROTOCOLS = {
    "MD5": pysnmp_config.USM_AUTH_HMAC96_MD5,
    "SHA": pysnmp_config.USM_AUTH_HMAC96_SHA,
    "SHA224": pysnmp_config.USM_AUTH_HMAC128_SHA224,
    "SHA256": pysnmp_config.USM_AUTH_HMAC192_SHA256,
    "SHA384": pysnmp_config.USM_AUTH_HMAC256_SHA384,
    "SHA512": pysnmp_config.USM_AUTH_HMAC384_SHA512,
}
PRIV_PROTOCOLS = {
    "DES": pysnmp_config.USM_PRIV_CBC56_DES,
    "AES": pysnmp_config.USM_PRIV_CFB128_AES,
    "AES192": pysnmp_config.USM_PRIV_CFB192_AES_BLUMENTHAL,
    "AES256": pysnmp_config.USM_PRIV_CFB256_AES_BLUMENTHAL,
    "AES192C": pysnmp_config.USM_PRIV_CFB192_AES,  # Reeder's key extension, as gosnmp's "C"
    "AES256C": pysnmp_config.USM_PRIV_CFB256_AES,
}

REPLY_BUDGET = 60_000
"""Bytes of varbinds one reply may carry: pysnmp decodes any datagram; the agent keeps its
answer within the message size it advertises (65,507 bytes)."""


class _TcpTransport(TcpAsyncioTransport):  # type: ignore[misc]
    """pysnmp's TCP transport, connecting once per address at a time, and keeping a failed
    connection's error for the scrape (pysnmp leaves it to asyncio's "exception never
    retrieved" log, once per try, and keeps the queued request forever). Reads pysnmp's
    internals (``_connections``, ``_pending_writes``: pysnmp 7.1)."""

    _pending_writes: list[tuple[bytes, tuple[Any, ...]]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failures: dict[tuple[Any, ...], OSError] = {}
        self._connecting: set[tuple[Any, ...]] = set()

    def send_message(self, message: bytes, address: Any) -> None:
        peer = self.normalize_address(address)
        key = tuple(peer)
        if key in self._connections:
            self._connections[key].send(message)
            return
        self._pending_writes.append((message, key))
        if key in self._connecting:
            return
        self._connecting.add(key)
        self.failures.pop(key, None)
        connecting = asyncio.ensure_future(
            self.loop.create_connection(
                lambda: _TcpConnectionProtocol(self, peer),
                host=peer[0],
                port=peer[1],
                family=self.SOCK_FAMILY,
            )
        )

        def done(task: asyncio.Future[Any]) -> None:
            self._connecting.discard(key)
            failed = None if task.cancelled() else task.exception()
            if failed is not None:
                self.failures[key] = failed if isinstance(failed, OSError) else OSError(str(failed))
                self._pending_writes = [w for w in self._pending_writes if w[1] != key]

        connecting.add_done_callback(done)


class _Tcp6Transport(_TcpTransport):
    SOCK_FAMILY = socket.AF_INET6


class TcpTransportTarget(UdpTransportTarget):  # type: ignore[misc]
    """SNMP over TCP to an IPv4 address. pysnmp (7.1) has a TCP transport but no target for
    it; its table of target addresses encodes an address as a UDP one only for domains under
    snmpUDPDomain, so the TCP transport is registered under one (the domain is a local name
    for the transport, never sent)."""

    TRANSPORT_DOMAIN = (*udp.DOMAIN_NAME, 6)
    PROTO_TRANSPORT = _TcpTransport


class Tcp6TransportTarget(Udp6TransportTarget):  # type: ignore[misc]
    """SNMP over TCP to an IPv6 address (see :class:`TcpTransportTarget`)."""

    TRANSPORT_DOMAIN = (*udp6.DOMAIN_NAME, 6)
    PROTO_TRANSPORT = _Tcp6Transport


def connect_failure(engine: SnmpEngine, transport: AbstractTransportTarget) -> OSError | None:
    """Why the TCP connection of ``transport``'s last request failed, if it did."""
    carrier = engine.transport_dispatcher.get_transport(transport.TRANSPORT_DOMAIN)
    if not isinstance(carrier, _TcpTransport):
        return None
    return carrier.failures.get(tuple(transport.transport_address))


ENGINE_TARGETS = 256
"""Distinct targets (address, auth, context) one pysnmp engine serves before a fresh engine
takes over. pysnmp keeps a row per target in its tables (target addresses, the users'
keys localised to each engine ID it discovered, TCP connections) and never drops one; a
fresh engine costs each target one engine discovery again."""

TargetKey = tuple[str, str, str, bytes]


class EnginePool:
    """One event loop's pysnmp engine (its transports are bound to the loop), renewed after
    ``limit`` distinct targets; an engine put aside is closed when its last scrape ends."""

    def __init__(self, limit: int = ENGINE_TARGETS) -> None:
        self.limit = limit
        self.current: SnmpEngine | None = None
        self.targets: set[TargetKey] = set()
        self.retired = 0
        self._leases: dict[int, int] = {}
        self._closing: dict[int, SnmpEngine] = {}

    def adopt(self, engine: SnmpEngine) -> None:
        """Use ``engine`` (built ahead, see :func:`warm_engine`) unless one is in use."""
        if self.current is None:
            self.current = engine

    def lease(self, key: TargetKey) -> SnmpEngine:
        """The engine for a scrape of ``key``; give it back with :meth:`release`."""
        if key not in self.targets:
            if len(self.targets) >= self.limit and self.current is not None:
                self._retire(self.current)
            self.targets.add(key)
        if self.current is None:
            self.current = SnmpEngine()
        engine = self.current
        self._leases[id(engine)] = self._leases.get(id(engine), 0) + 1
        return engine

    def release(self, engine: SnmpEngine) -> None:
        left = self._leases.get(id(engine), 1) - 1
        if left > 0:
            self._leases[id(engine)] = left
            return
        self._leases.pop(id(engine), None)
        if self._closing.pop(id(engine), None) is not None:
            engine.close_dispatcher()

    def _retire(self, engine: SnmpEngine) -> None:
        self.current = None
        self.targets.clear()
        self.retired += 1
        if id(engine) in self._leases:
            self._closing[id(engine)] = engine  # closed by the release of its last scrape
        else:
            engine.close_dispatcher()

    def __len__(self) -> int:
        """Engines open: the current one and those waiting for their scrapes to end."""
        return (self.current is not None) + len(self._closing)


_POOLS: dict[int, tuple[asyncio.AbstractEventLoop, EnginePool]] = {}


def engine_pool() -> EnginePool:
    """The running event loop's :class:`EnginePool`."""
    loop = asyncio.get_running_loop()
    entry = _POOLS.get(id(loop))
    if entry is None or entry[0] is not loop:
        for key, (old, _) in list(_POOLS.items()):
            if old.is_closed():
                del _POOLS[key]
        entry = _POOLS[id(loop)] = (loop, EnginePool())
    return entry[1]


def warm_engine() -> SnmpEngine:
    """A pysnmp engine built ahead of the first scrape that needs one (its MIB modules load
    in 1-3 s on a loaded machine); safe in a worker thread (no event loop involved)."""
    return SnmpEngine()


def auth_data(auth: Auth) -> CommunityData | UsmUserData:
    """pysnmp's credentials for ``auth``."""
    if auth.version != 3:
        return CommunityData(auth.community.reveal(), mpModel=0 if auth.version == 1 else 1)
    level = auth.security_level
    if level == "noAuthNoPriv" or auth.password is None:
        return UsmUserData(auth.username)
    auth_key = auth.password.reveal()
    if level == "authNoPriv" or auth.priv_password is None:
        return UsmUserData(auth.username, auth_key, authProtocol=AUTH_PROTOCOLS[auth.auth_protocol])
    return UsmUserData(
        auth.username,
        auth_key,
        auth.priv_password.reveal(),
        authProtocol=AUTH_PROTOCOLS[auth.auth_protocol],
        privProtocol=PRIV_PROTOCOLS[auth.priv_protocol],
    )


def context_data(context: V3Context) -> ContextData:
    engine_id = univ.OctetString(context.engine_id) if context.engine_id else None
    return ContextData(contextEngineId=engine_id, contextName=context.name)


class _Absent:
    """A varbind with no value: noSuchObject, noSuchInstance, endOfMibView."""


ABSENT = _Absent()


def value_of(value: Any) -> Value | _Absent:
    """A pysnmp value as gufo-snmp gives it (:data:`exporters.snmp.series.Value`)."""
    if isinstance(value, rfc1905.NoSuchObject | rfc1905.NoSuchInstance | rfc1905.EndOfMibView):
        return ABSENT
    if isinstance(value, rfc1902.IpAddress):
        return ".".join(str(octet) for octet in value.asOctets())
    if isinstance(value, univ.OctetString):  # Opaque and Bits too: their content
        return bytes(value.asOctets())
    if isinstance(value, univ.Integer):
        return int(value)
    if isinstance(value, univ.ObjectIdentifier):
        return ".".join(str(arc) for arc in value.asTuple())
    return None  # NULL


def _name(name: Any) -> str:
    return ".".join(str(arc) for arc in name.asTuple())


Answer = tuple[Any, Any, Any, Sequence[Any]]


class PysnmpClient:
    """One scrape's conversation with one target through pysnmp; the calls and counters of
    :class:`~exporters.snmp.engine.Client`. Requests go one at a time (these scrapes are few)."""

    def __init__(
        self,
        target: Target,
        auth: Auth,
        pool: SessionPool,
        counters: Counters,
        context: V3Context,
        timeout: float = 5.0,
        retries: int = 3,
        deadline: float = float("inf"),
        on_silence: Callable[[], None] | None = None,
    ) -> None:
        self.target = target
        self.auth = auth
        self.pool = pool
        self.counters = counters
        self.timeout = timeout
        self.retries = retries
        self.deadline = deadline
        self.answered = False
        self.budget = REPLY_BUDGET
        self.on_silence = on_silence
        self._auth_data = auth_data(auth)
        self._context = context_data(context)
        self._transports: dict[float, AbstractTransportTarget] = {}
        self._pool = engine_pool()
        key = (str(target), auth.name, context.name, context.engine_id or b"")
        self._engine = self._pool.lease(key)
        self._leased = True

    async def _transport(self) -> AbstractTransportTarget:
        """A transport target with this client's timeout and no retries of pysnmp's own
        (retried here, to count them and keep the deadline)."""
        made = self._transports.get(self.timeout)
        if made is None:
            v6 = ":" in self.target.host
            if self.target.transport == "tcp":
                kind: type[AbstractTransportTarget] = (
                    Tcp6TransportTarget if v6 else TcpTransportTarget
                )
            else:
                kind = Udp6TransportTarget if v6 else UdpTransportTarget
            made = await kind.create(
                (self.target.host, self.target.port), timeout=self.timeout, retries=0
            )
            self._transports[self.timeout] = made
        return made

    async def _exchange(
        self, request: Callable[[AbstractTransportTarget], Awaitable[Answer]]
    ) -> Sequence[Any]:
        """One request, retried on timeouts; its varbinds, or an error of the engine's kinds."""
        transport = await self._transport()
        for attempt in range(self.retries + 1):
            if attempt:
                self.counters.retries += 1
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineReached(f"{self.target}: deadline reached")
            self.counters.packets_sent += 1
            try:
                async with asyncio.timeout(remaining):
                    indication, status, index, varbinds = await request(transport)
            except TimeoutError:
                raise DeadlineReached(f"{self.target}: deadline reached") from None
            if isinstance(indication, errind.RequestTimedOut):
                refused = connect_failure(self._engine, transport)
                if refused is not None:  # TCP: nothing listens, or the path is down
                    raise OSError(f"{self.target}: cannot connect: {refused.strerror}")
                if not self.answered and self.on_silence is not None:
                    on_silence, self.on_silence = self.on_silence, None
                    on_silence()
                continue
            if indication:
                raise _indication_error(self.target, indication)
            self.counters.packets_received += 1
            self.answered = True
            if status and int(status) != 2:  # noSuchName: v1's end of the MIB, or absent
                raise SnmpError(f"{self.target}: error-status {int(status)} at {int(index)}")
            if status:
                return []
            return varbinds
        raise SnmpTimeout(f"{self.target}: no answer after {self.retries + 1} tries")

    async def get(self, oids: Sequence[str], per_pdu: int) -> dict[str, Value]:
        """GET ``oids`` in PDUs of at most ``per_pdu`` varbinds; absent ones are left out."""
        result: dict[str, Value] = {}
        engine, step = self._engine, max(1, per_pdu)
        for start in range(0, len(oids), step):
            objects = [ObjectType(ObjectIdentity(oid)) for oid in oids[start : start + step]]

            def request(
                transport: AbstractTransportTarget, objects: list[ObjectType] = objects
            ) -> Any:  # a coroutine of an Answer
                return get_cmd(
                    engine, self._auth_data, transport, self._context, *objects, lookupMib=False
                )

            for name, value in await self._exchange(request):
                got = value_of(value)
                if not isinstance(got, _Absent):
                    result[_name(name)] = got
                    self.counters.pdus += 1
        return result

    async def walk(
        self,
        oid: str,
        max_repetitions: int,
        into: dict[str, Value],
        allow_nonincreasing: bool = False,
    ) -> WalkShape:
        """Every instance under ``oid``, as :meth:`exporters.snmp.engine.Client.walk`."""
        engine = self._engine
        bulk = self.auth.version != 1 and max_repetitions > 0
        prefix = oid + "."
        request_oid = oid
        count = largest = 0
        while True:

            def request(
                transport: AbstractTransportTarget, after: str = request_oid
            ) -> Any:  # a coroutine of an Answer
                start = ObjectType(ObjectIdentity(after))
                if bulk:
                    return bulk_cmd(
                        engine,
                        self._auth_data,
                        transport,
                        self._context,
                        0,
                        max_repetitions,
                        start,
                        lookupMib=False,
                    )
                return next_cmd(
                    engine, self._auth_data, transport, self._context, start, lookupMib=False
                )

            keys: list[str] = []
            ended = False
            for name, value in await self._exchange(request):
                got = value_of(value)
                key = _name(name)
                if isinstance(got, _Absent) or not key.startswith(prefix):
                    ended = True
                    break
                keys.append(key)
                into[key] = got
                largest = max(largest, varbind_size(key, got))
            if keys and not allow_nonincreasing and request_oid != oid:
                not_after(request_oid, keys, self.target)
            self.counters.pdus += len(keys)
            count += len(keys)
            if ended or not keys:
                return WalkShape(count, largest)
            request_oid = keys[-1]

    def spoil(self) -> None:
        """Nothing kept between scrapes but pysnmp's engine (its discovered engine IDs,
        :class:`EnginePool`)."""

    def close(self) -> None:
        self._transports.clear()
        if self._leased:
            self._leased = False
            self._pool.release(self._engine)


def _indication_error(target: Target, indication: Any) -> Exception:
    """An SNMP engine error as the kinds gufo's raise (``auth`` for USM's refusals)."""
    text = str(indication)
    usm = (
        errind.UnknownUserName,
        errind.WrongDigest,
        errind.DecryptionError,
        errind.UnknownSecurityName,
        errind.UnsupportedSecurityLevel,
        errind.NotInTimeWindow,
        errind.AuthenticationFailure,
    )
    if isinstance(indication, usm):
        return SnmpAuthError(f"{target}: {text}")
    return SnmpError(f"{target}: {text}")
