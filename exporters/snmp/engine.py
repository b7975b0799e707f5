"""The SNMP engine: gufo-snmp (Rust) sessions with retries, per-packet timeouts, counters,
and a per-target cache of SNMPv3 sessions (engine ID, boots and time already discovered).

Why gufo-snmp: ``bench/bench_snmp_engine.py`` measures it against pysnmp on the same snmpd
(GETs per second, v2c and v3 authPriv); gufo is several times faster and uses less CPU.

gufo's public iterators give no hook for retries or for counting packets, so one request is
sent and received here through the session's socket (``_sock``, gufo 0.13), whose descriptor
stays in the event loop's reader set while the session lives (:class:`_Watch`); everything
else uses its public API. A session is used by one scrape at a time; after a timeout it is
dropped, never reused (a late answer could otherwise be read as the next one's).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from gufo.snmp import (
    BaseAuthKey,
    BasePrivKey,
    KeyExpansion,
    SnmpAuthError,
    SnmpDecodeError,
    SnmpError,
    SnmpVersion,
    User,
)
from gufo.snmp._fast import GetIter
from gufo.snmp.aio.client import SnmpSession
from gufo.snmp.user import KeyType

from exporters.errors import ExporterError
from exporters.snmp.config import Auth
from exporters.snmp.series import Value
from platforms.snmp import AUTH_KEYS, PRIV_KEYS
from provnet.errors import NOT_CONTAINED

T = TypeVar("T")

RECEIVE_BUFFER = 4080
"""The longest datagram gufo-snmp (0.12, 0.13) decodes: it receives every reply into a fixed
4,080-byte buffer (``src/buf/buffer.rs``, ``MAX_SIZE``); ``recv()`` cuts a longer datagram and
the cut message fails to decode (``SnmpDecodeError: incomplete``)."""

V3_MAX_SIZE = 2048
"""The msgMaxSize gufo-snmp's SNMPv3 requests advertise (``src/snmp/msg/v3/msg.rs``): a v3
agent keeps its replies within it, returning fewer varbinds of a GETBULK."""

VARBIND_OVERHEAD = 19
"""Bytes added to half a varbind's OID text and its string value's length to bound its BER
size: a sequence, OID and value header of up to 4 bytes each, a number of up to 9 bytes, and
rounding (an OID's BER content is never longer than half its dotted text plus one)."""

REFRESH_AFTER = 100.0
"""Seconds after its last time synchronisation a v3 session is synchronised again (RFC 3414 allows
150 s of drift)."""

MIN_ENGINE_ID = 5
"""Bytes of the shortest snmpEngineID (RFC 3411: OCTET STRING (SIZE(5..32)))."""


@dataclass
class Counters:
    """What one scrape (or the whole process) sent and got."""

    packets_sent: int = 0
    packets_received: int = 0
    retries: int = 0
    pdus: int = 0
    discoveries: int = 0

    def add(self, other: Counters) -> None:
        self.packets_sent += other.packets_sent
        self.packets_received += other.packets_received
        self.retries += other.retries
        self.pdus += other.pdus
        self.discoveries += other.discoveries


class SnmpTimeout(ExporterError, TimeoutError):
    """No answer after every retry."""


class DeadlineReached(ExporterError, TimeoutError):
    """The request's deadline came before the answer (the scrape timeout Prometheus sent)."""


class NonIncreasingOid(ExporterError, ValueError):
    """A walk's answer went back to an OID not after the last one (the agent would loop);
    the module fails unless it sets ``allow_nonincreasing_oids``."""


def oid_arcs(oid: str) -> tuple[int, ...]:
    return tuple(int(arc) for arc in oid.split("."))


_ARCS: dict[str, tuple[int, ...]] = {}
"""Arcs by OID text: a target's walks return the same OIDs every scrape, and most targets
the same ones (ifIndex 1..N), so splitting is paid once per OID, not per varbind."""
MAX_ARCS = 200_000


def cached_arcs(oid: str) -> tuple[int, ...]:
    arcs = _ARCS.get(oid)
    if arcs is None:
        if len(_ARCS) >= MAX_ARCS:
            _ARCS.clear()
        arcs = _ARCS[oid] = tuple(map(int, oid.split(".")))
    return arcs


def not_after(request: str, keys: Sequence[str], target: object) -> None:
    """Raise :class:`NonIncreasingOid` if one of ``keys`` (an answer's OIDs) is not after
    ``request``, the OID the request asked after. gosnmp (``walk.go``) compares every varbind
    of a GETBULK answer with the request's OID, not with the varbind before it (net-snmp's
    snmpbulkwalk does that): the rule an existing snmp_exporter set-up was tuned to."""
    floor = cached_arcs(request)
    known = _ARCS.get
    for key in keys:
        if (known(key) or cached_arcs(key)) <= floor:
            raise NonIncreasingOid(f"{target}: {key} after {request}")


class EnginePanic(ExporterError, RuntimeError):
    """The SNMP library panicked on a reply (a ``BaseException`` from its native code, on
    a garbage datagram): the module fails with kind ``panic``, the scrape goes on."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"the SNMP library failed on a reply: {type(cause).__name__}")


@dataclass(frozen=True)
class Target:
    host: str
    port: int = 161
    transport: str = "udp"
    """``udp``, or ``tcp`` (RFC 3430; only :mod:`exporters.snmp.pysnmp_client` speaks it)."""

    @classmethod
    def parse(cls, text: str) -> Target:
        """``HOST``, ``HOST:PORT``, ``[V6]:PORT``, ``V6``, each with an optional ``udp://`` or
        ``tcp://`` (as snmp_exporter)."""
        given = text
        transport = "tcp" if text.startswith("tcp://") else "udp"
        text = text.removeprefix("udp://").removeprefix("tcp://")
        if text.startswith("["):
            host, _, rest = text[1:].partition("]")
            port = rest.removeprefix(":")
        elif text.count(":") == 1:
            host, port = text.split(":")
        else:
            host, port = text, ""
        if not host:
            raise BadTarget(f"target '{given}': no host")
        return cls(host, _port(port, given) if port else 161, transport)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "tcp://" if self.transport == "tcp" else ""
        return f"{scheme}{host}:{self.port}"


class BadTarget(ExporterError, ValueError):
    """A ``target`` parameter that is not ``HOST[:PORT]``."""


def _port(text: str, target: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise BadTarget(f"target '{target}': port '{text}' is not a number from 1 to 65535")
    return int(text)


def make_user(auth: Auth) -> User:
    """A gufo user whose keys are master keys, computed once (a password-to-key pass hashes
    1 MB; doing it per scrape would cost milliseconds of CPU each)."""
    auth_key: BaseAuthKey | None = None
    priv_key: BasePrivKey | None = None
    expansion = KeyExpansion.Blumenthal
    if auth.security_level in ("authNoPriv", "authPriv") and auth.password is not None:
        key_class = AUTH_KEYS[auth.auth_protocol]
        master = key_class.get_master_key(auth.password.reveal().encode())
        auth_key = key_class(master, key_type=KeyType.Master)
        if auth.security_level == "authPriv" and auth.priv_password is not None:
            priv_class, expansion = PRIV_KEYS[auth.priv_protocol]
            priv_master = key_class.get_master_key(auth.priv_password.reveal().encode())
            priv_key = priv_class(priv_master, key_type=KeyType.Master)
    return User(auth.username, auth_key=auth_key, priv_key=priv_key, key_expansion=expansion)


@dataclass(frozen=True)
class V3Context:
    """The SNMPv3 context a scrape asks for: its name (the auth's ``context_name``, or the
    ``snmp_context`` parameter, which wins, as in snmp_exporter) and its engine ID (the
    ``snmp_engineid`` parameter, hex; empty: the agent's own). v1/v2c have none."""

    name: str = ""
    engine_id: bytes = b""

    @classmethod
    def asked(cls, auth: Auth, snmp_context: str, snmp_engineid: str) -> V3Context:
        """The context of a request; :class:`BadContext` for an engine ID that is not hex
        (snmp_exporter logs that at debug level and returns nothing)."""
        if auth.version != 3 or not (snmp_context or snmp_engineid or auth.context_name):
            return NO_CONTEXT
        try:
            engine_id = bytes.fromhex(snmp_engineid)
        except ValueError:
            raise BadContext(
                f"snmp_engineid '{snmp_engineid}' is not a hexadecimal engine ID"
            ) from None
        return cls(snmp_context or auth.context_name, engine_id)

    def __bool__(self) -> bool:
        return bool(self.name or self.engine_id)


NO_CONTEXT = V3Context()


class BadContext(ExporterError, ValueError):
    """An ``snmp_engineid`` parameter that is not hex."""


def needs_pysnmp(target: Target, context: V3Context) -> bool:
    """Whether a scrape needs what gufo-snmp (0.13) cannot send: a context (it always sends
    the empty context name and the discovered engine ID) or SNMP over TCP."""
    return target.transport != "udp" or bool(context)


@dataclass(frozen=True)
class WalkShape:
    """A complete walk: how many varbinds, and the largest mean size of a varbind in one of
    its replies (an upper bound in bytes, from :func:`varbind_size`; raised past what a reply
    too long to decode held)."""

    count: int
    varbind_bytes: int


def varbind_size(oid: str, value: Value) -> int:
    """An upper bound of the BER size of one varbind."""
    if isinstance(value, bytes | str):
        return len(oid) // 2 + len(value) + VARBIND_OVERHEAD
    return len(oid) // 2 + VARBIND_OVERHEAD


def varbind_budget(auth: Auth) -> int:
    """Bytes of varbinds one reply may carry for gufo-snmp to decode it: its receive buffer
    less the message's own headers (v1/v2c: about 30 bytes and the community), or, for v3,
    the msgMaxSize the agent honours less the security headers."""
    if auth.version == 3:
        return V3_MAX_SIZE - 300
    return RECEIVE_BUFFER - 64 - len(auth.community.reveal())


def bounded_repetitions(wanted: int, varbind_bytes: int, budget: int) -> int:
    """``wanted`` max-repetitions, fewer if that many varbinds of ``varbind_bytes`` would not
    fit in ``budget`` bytes (at least 1)."""
    if varbind_bytes <= 0:
        return wanted
    return max(1, min(wanted, budget // varbind_bytes))


@dataclass
class _Idle:
    session: SnmpSession
    synced: float
    """``time.monotonic()`` of the session's last engine time synchronisation."""


@dataclass
class SessionPool:
    """Idle sessions per (target, auth), least recently used dropped first.

    ``max_idle`` must hold every session of a scrape round (a scrape keeps up to its
    ``parallel`` sessions): Prometheus scrapes the targets in a cycle, so a pool smaller
    than the round drops each target's sessions just before they are needed again, and
    every scrape pays a time synchronisation. 8,192 sessions: 2,000 targets of 4."""

    max_idle: int = 8192
    _idle: OrderedDict[tuple[Target, str], list[_Idle]] = field(default_factory=OrderedDict)
    _engine_ids: OrderedDict[Target, bytes] = field(default_factory=OrderedDict)
    _users: dict[str, User] = field(default_factory=dict)
    _walks: OrderedDict[tuple[Target, str], WalkShape] = field(default_factory=OrderedDict)
    _count: int = 0

    def user(self, auth: Auth) -> User:
        user = self._users.get(auth.name)
        if user is None:
            user = self._users[auth.name] = make_user(auth)
        return user

    def take(self, target: Target, auth: Auth) -> _Idle | None:
        idle = self._idle.get((target, auth.name))
        if not idle:
            return None
        self._count -= 1
        return idle.pop()

    def give(self, target: Target, auth: Auth, session: SnmpSession, synced: float) -> None:
        key = (target, auth.name)
        self._idle.setdefault(key, []).append(_Idle(session, synced))
        self._idle.move_to_end(key)
        self._count += 1
        while self._count > self.max_idle and self._idle:
            _, dropped = self._idle.popitem(last=False)
            self._count -= len(dropped)
            for idle in dropped:
                unwatch(idle.session)

    def walk_shape(self, target: Target, subtree: str) -> WalkShape | None:
        """What the last complete walk of ``subtree`` on ``target`` returned."""
        return self._walks.get((target, subtree))

    def remember_walk(self, target: Target, subtree: str, shape: WalkShape) -> None:
        key = (target, subtree)
        self._walks[key] = shape
        self._walks.move_to_end(key)
        while len(self._walks) > 8 * self.max_idle:
            self._walks.popitem(last=False)

    def engine_id(self, target: Target) -> bytes | None:
        return self._engine_ids.get(target)

    def remember_engine(self, target: Target, engine_id: bytes) -> None:
        self._engine_ids[target] = engine_id
        self._engine_ids.move_to_end(target)
        while len(self._engine_ids) > 4 * self.max_idle:
            self._engine_ids.popitem(last=False)

    def forget(self, target: Target) -> None:
        self._engine_ids.pop(target, None)

    def clear(self) -> None:
        """Drop every idle session and what was learnt with the auths (a reloaded
        configuration may give an auth name another community or other keys)."""
        for idle in self._idle.values():
            for entry in idle:
                unwatch(entry.session)
        self._idle.clear()
        self._count = 0
        self._users.clear()
        self._engine_ids.clear()

    def __len__(self) -> int:
        return self._count


class SnmpClient(Protocol):
    """What a scrape asks of its conversation with a target: :class:`Client` (gufo-snmp), or
    :class:`exporters.snmp.pysnmp_client.PysnmpClient` for what gufo cannot send."""

    target: Target
    auth: Auth
    pool: SessionPool
    counters: Counters
    timeout: float
    retries: int
    budget: int
    answered: bool

    async def get(self, oids: Sequence[str], per_pdu: int) -> dict[str, Value]: ...

    async def walk(
        self,
        oid: str,
        max_repetitions: int,
        into: dict[str, Value],
        allow_nonincreasing: bool = False,
    ) -> WalkShape: ...

    def spoil(self) -> None: ...

    def close(self) -> None: ...


class Client:
    """One scrape's conversation with one target (several modules may share it).

    Up to ``parallel`` requests are in flight at once, each on its own session (socket):
    the subtrees of a module are walked side by side, so a scrape takes about as long as
    its longest walk, not the sum of them.
    """

    def __init__(
        self,
        target: Target,
        auth: Auth,
        pool: SessionPool,
        counters: Counters,
        timeout: float = 5.0,
        retries: int = 3,
        parallel: int = 1,
        deadline: float = float("inf"),
        on_silence: Callable[[], None] | None = None,
    ) -> None:
        self.target = target
        self.auth = auth
        self.pool = pool
        self.counters = counters
        self.timeout = timeout
        self.deadline = deadline
        """``time.monotonic()`` by which every request of this client must end."""
        self.retries = retries
        self.parallel = max(1, parallel)
        self._free: list[SnmpSession] = []
        self._opened = 0
        self._spoiled: set[int] = set()
        self._synced: dict[int, float] = {}
        self._pooled: set[int] = set()
        self._turn: asyncio.Semaphore | None = None
        self.answered = False
        self.budget = varbind_budget(auth)
        """Bytes of varbinds one reply may carry (:func:`varbind_budget`)."""
        self.on_silence = on_silence
        """Called once, when a try timed out before the target had answered anything."""

    # -- sessions ----------------------------------------------------------------------------

    async def _acquire(self) -> SnmpSession:
        if self._turn is None:
            self._turn = asyncio.Semaphore(self.parallel)
        await self._turn.acquire()
        try:
            if self._free:
                session = self._free.pop()
            else:
                self._opened += 1
                session = await self._open()
        except BaseException:
            self._turn.release()
            raise
        session._timeout = self.timeout
        return session

    def _release(self, session: SnmpSession) -> None:
        self._free.append(session)
        assert self._turn is not None
        self._turn.release()

    async def _open(self) -> SnmpSession:
        auth = self.auth
        if auth.version != 3:
            idle = self.pool.take(self.target, auth)
            if idle is not None:
                return idle.session
            version = SnmpVersion.v1 if auth.version == 1 else SnmpVersion.v2c
            return SnmpSession(
                self.target.host,
                self.target.port,
                community=auth.community.reveal(),
                version=version,
                timeout=self.timeout,
            )
        cached = self.pool.take(self.target, auth)
        if cached is not None:
            self._synced[id(cached.session)] = cached.synced
            self._pooled.add(id(cached.session))
            if time.monotonic() - cached.synced > REFRESH_AFTER:
                await self._refresh(cached.session)
            return cached.session
        return await self._new_v3()

    async def _new_v3(self) -> SnmpSession:
        """A v3 session, discovering the engine unless the pool knows it."""
        auth = self.auth
        engine_id = self.pool.engine_id(self.target)
        session = SnmpSession(
            self.target.host,
            self.target.port,
            engine_id=engine_id,
            user=self.pool.user(auth),
            version=SnmpVersion.v3,
            timeout=self.timeout,
        )
        if engine_id is None:
            self.counters.discoveries += 1
        await self._refresh(session)
        if engine_id is None:
            self.pool.remember_engine(self.target, session.get_engine_id())
        return session

    async def _refresh(self, session: SnmpSession) -> None:
        """Engine discovery and/or time synchronisation, with this client's retries."""
        for attempt in range(self.retries + 1):
            if attempt:
                self.counters.retries += 1
            self.counters.packets_sent += 1
            unwatch(session)  # gufo's refresh reads the socket with its own reader
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineReached(f"{self.target}: deadline reached")
            try:
                async with asyncio.timeout(remaining):
                    await session.refresh()
            except TimeoutError:
                if time.monotonic() >= self.deadline:
                    raise DeadlineReached(f"{self.target}: deadline reached") from None
                self._try_timed_out()
                continue
            self.counters.packets_received += 1
            if len(session.get_engine_id()) < MIN_ENGINE_ID:
                # gufo takes any message as the discovery's report, the request itself
                # echoed back included: a target that echoes is not an SNMP engine.
                raise SnmpError(f"{self.target}: the discovery's answer names no SNMP engine")
            self._synced[id(session)] = time.monotonic()
            self.answered = True
            return
        raise SnmpTimeout(f"{self.target}: no answer to SNMPv3 discovery")

    def _try_timed_out(self) -> None:
        if not self.answered and self.on_silence is not None:
            on_silence, self.on_silence = self.on_silence, None
            on_silence()

    def spoil(self) -> None:
        """Keep none of this client's sessions (e.g. a scrape cut by its deadline)."""
        self._spoiled.update(id(s) for s in self._free)
        self._opened = -(1 << 30)

    def close(self) -> None:
        """Give healthy sessions back to the pool (a v1/v2c one saves the next scrape a
        socket, a v3 one also its time synchronisation); drop any other."""
        free, self._free = self._free, []
        for session in free:
            if self._opened < 0 or id(session) in self._spoiled:
                unwatch(session)
            else:
                synced = self._synced.get(id(session), 0.0)
                self.pool.give(self.target, self.auth, session, synced)

    # -- requests ----------------------------------------------------------------------------

    async def _exchange(
        self, sender: Callable[[SnmpSession], None], receiver: Callable[[SnmpSession], T]
    ) -> T:
        session = await self._acquire()
        resynced = False
        attempt = 0
        try:
            while attempt <= self.retries:
                if attempt:
                    self.counters.retries += 1
                wait = min(self.timeout, self.deadline - time.monotonic())
                if wait <= 0:
                    raise DeadlineReached(f"{self.target}: deadline reached")
                self.counters.packets_sent += 1
                try:
                    result = await _roundtrip(session, sender, receiver, wait)
                except TimeoutError:
                    if wait < self.timeout:  # the deadline, not the target's timeout
                        self._spoiled.add(id(session))
                        raise DeadlineReached(f"{self.target}: deadline reached") from None
                    if not resynced and id(session) in self._pooled and self.auth.version == 3:
                        # A reused v3 session after an agent restart: its engine ID, boots
                        # or time may be stale. Discover the engine again on a new session.
                        resynced = True
                        unwatch(session)
                        self.pool.forget(self.target)
                        session = await self._new_v3()
                        continue
                    self._spoiled.add(id(session))
                    attempt += 1
                    self._try_timed_out()
                    continue
                except SnmpAuthError:
                    # Out of the time window (the agent rebooted, or the session idled):
                    # synchronise once more and retry; a second refusal is the answer.
                    if self.auth.version != 3 or resynced:
                        self.pool.forget(self.target)
                        self._spoiled.add(id(session))
                        raise
                    resynced = True
                    await self._refresh(session)
                    continue  # a resynchronisation is not a retry
                self.counters.packets_received += 1
                self.answered = True
                return result
        finally:
            self._release(session)
        raise SnmpTimeout(f"{self.target}: no answer after {self.retries + 1} tries")

    async def get(self, oids: Sequence[str], per_pdu: int) -> dict[str, Value]:
        """GET ``oids`` in PDUs of at most ``per_pdu`` varbinds; absent ones are left out."""
        result: dict[str, Value] = {}
        step = max(1, per_pdu)
        for start in range(0, len(oids), step):
            await self._get_chunk(list(oids[start : start + step]), result)
        return result

    async def _get_chunk(self, chunk: list[str], into: dict[str, Value]) -> None:
        """One GET; a reply too long to decode is asked for again in two halves."""
        try:
            answer = await self._exchange(
                lambda s: s._sock.send_get_many(chunk),
                lambda s: s._sock.recv_get_many(),
            )
        except SnmpDecodeError:
            if len(chunk) < 2:
                raise
            self.counters.retries += 1
            half = len(chunk) // 2
            await self._get_chunk(chunk[:half], into)
            await self._get_chunk(chunk[half:], into)
            return
        self.counters.pdus += len(answer)
        into.update(answer)

    async def walk(
        self,
        oid: str,
        max_repetitions: int,
        into: dict[str, Value],
        allow_nonincreasing: bool = False,
    ) -> WalkShape:
        """Every instance under ``oid`` (GETBULK, or GETNEXT for v1 or max_repetitions 0).

        A GETBULK reply too long to decode starts the walk again with fewer repetitions (at
        most half as many, and as many varbinds of the largest size seen as fit
        :attr:`budget`), down to one: gufo cannot resume a walk with another max-repetitions.
        The shape returned then keeps the next walks below the repetitions that failed.
        An OID not after the one before it fails the walk (:class:`NonIncreasingOid`), as
        gosnmp does, unless ``allow_nonincreasing``; checked from one answer to the next."""
        check = not allow_nonincreasing
        if self.auth.version == 1 or max_repetitions <= 0:
            return await self._walk_next(oid, into, check)
        repetitions = max_repetitions
        varbind_bytes = 0
        while True:
            try:
                return await self._walk_bulk(oid, repetitions, into, varbind_bytes, check)
            except _TooLong as cut:
                if repetitions <= 1:
                    raise cut.cause from None
                self.counters.retries += 1
                varbind_bytes = max(cut.varbind_bytes, self.budget // repetitions + 1)
                repetitions = bounded_repetitions(repetitions // 2, varbind_bytes, self.budget)

    async def _walk_next(self, oid: str, into: dict[str, Value], check: bool) -> WalkShape:
        context = GetIter(oid)
        count = largest = 0
        previous = ""
        while True:
            try:
                key, value = await self._exchange(
                    lambda s: s._sock.send_get_next(context),
                    lambda s: s._sock.recv_get_next(context),
                )
            except StopAsyncIteration:
                return WalkShape(count, largest)
            if check and previous and oid_arcs(key) <= oid_arcs(previous):
                raise NonIncreasingOid(f"{self.target}: {key} after {previous}")
            previous = key
            self.counters.pdus += 1
            count += 1
            into[key] = value
            largest = max(largest, varbind_size(key, value))

    async def _walk_bulk(
        self, oid: str, repetitions: int, into: dict[str, Value], varbind_bytes: int, check: bool
    ) -> WalkShape:
        context = GetIter(oid, repetitions)
        count = 0
        previous = ""
        while True:
            try:
                batch = await self._exchange(
                    lambda s: s._sock.send_get_bulk(context),
                    lambda s: s._sock.recv_get_bulk(context),
                )
            except StopAsyncIteration:
                return WalkShape(count, varbind_bytes)
            except SnmpDecodeError as exc:
                raise _TooLong(exc, varbind_bytes) from None
            ended = not batch or batch[-1] is None  # gufo ends a batch past the subtree so
            if ended and batch:
                batch.pop()
            items = cast("list[tuple[str, Value]]", batch)
            if check and previous:  # the first answer is inside the subtree, so after it
                not_after(previous, [key for key, _ in items], self.target)
            # varbind_size of the reply's mean varbind, inline: this loop runs for every
            # varbind of every walk
            keys = values = 0
            for key, value in items:
                into[key] = value
                keys += len(key)
                if value.__class__ is bytes or value.__class__ is str:
                    values += len(value)
            if items:
                previous = items[-1][0]
                size = (keys // 2 + values) // len(items) + VARBIND_OVERHEAD
                if size > varbind_bytes:
                    varbind_bytes = size
                self.counters.pdus += len(batch)
                count += len(batch)
            if ended:
                return WalkShape(count, varbind_bytes)


class _TooLong(Exception):
    """A GETBULK reply gufo could not decode, with the walk's varbind size so far."""

    def __init__(self, cause: SnmpDecodeError, varbind_bytes: int) -> None:
        super().__init__("a reply too long to decode")
        self.cause = cause
        self.varbind_bytes = varbind_bytes


async def _roundtrip(
    session: SnmpSession,
    sender: Callable[[SnmpSession], None],
    receiver: Callable[[SnmpSession], T],
    timeout: float,
) -> T:
    """Send one request and read its answer in the session's reader callback: one future
    and one timer per packet (gufo's own ``_recv`` adds a reader and a ``wait_for`` task per
    packet, which costs more CPU than the SNMP work itself)."""
    watch = _watch(session)
    loop = watch.loop
    done: asyncio.Future[T] = loop.create_future()
    watch.waiter = done
    watch.receiver = receiver
    try:
        sender(session)
    except BlockingIOError:  # the socket's buffer is full: let gufo wait until writable
        await session._send(lambda: sender(session))

    def expired() -> None:
        if not done.done():
            done.set_exception(TimeoutError())

    timer = loop.call_later(timeout, expired)
    try:
        return await done
    except _EndOfWalk:
        raise StopAsyncIteration from None
    finally:
        timer.cancel()
        watch.waiter = None


class _Watch:
    """A session's socket in the event loop's reader set for as long as the session lives
    (adding and removing a reader per packet was 6% of a small scrape's CPU). The answer
    goes to the request waiting on the session; a datagram nobody waits for is dropped.
    :func:`unwatch` must be called before a session is dropped or handed to gufo."""

    __slots__ = ("fd", "loop", "receiver", "session", "waiter")

    def __init__(self, session: SnmpSession) -> None:
        self.session = session
        self.fd: int = session._fd
        self.loop = asyncio.get_running_loop()
        self.waiter: asyncio.Future[Any] | None = None
        self.receiver: Callable[[SnmpSession], Any] | None = None
        self.loop.add_reader(self.fd, self.readable)

    def readable(self) -> None:
        done = self.waiter
        if done is None or done.done() or self.receiver is None:
            self._drop_datagrams()
            return
        try:
            result = self.receiver(self.session)
        except BlockingIOError:
            return  # not an answer to this request (gufo checked the request ID)
        except StopAsyncIteration:
            done.set_exception(_EndOfWalk())
            return
        except NOT_CONTAINED:
            raise
        except BaseException as exc:  # handed to the awaiting scrape
            done.set_exception(exc if isinstance(exc, Exception) else EnginePanic(exc))
            return
        done.set_result(result)

    def _drop_datagrams(self) -> None:
        for _ in range(64):
            try:
                os.read(self.fd, 65_536)
            except OSError:  # nothing more to read (BlockingIOError) or an ICMP error
                return


_WATCHES: dict[int, _Watch] = {}
"""Watched sessions by id; an entry holds its session, so the id is not reused."""


def _watch(session: SnmpSession) -> _Watch:
    watch = _WATCHES.get(id(session))
    loop = asyncio.get_running_loop()
    if watch is None or watch.session is not session or watch.loop is not loop:
        watch = _WATCHES[id(session)] = _Watch(session)
    return watch


def unwatch(session: SnmpSession) -> None:
    """Take the session's socket out of the event loop's reader set, if it is there."""
    watch = _WATCHES.pop(id(session), None)
    if watch is not None and not watch.loop.is_closed():  # a closed loop watches nothing
        watch.loop.remove_reader(watch.fd)


def watched() -> int:
    """Sessions whose sockets are in the event loop's reader set now."""
    return len(_WATCHES)


class _EndOfWalk(Exception):
    """StopAsyncIteration cannot travel through a future."""


def error_kind(exc: BaseException) -> str:
    """A short, secret-free name for a failure, for ``provnet_snmp_errors_total{kind}``."""
    if isinstance(exc, EnginePanic) or not isinstance(exc, Exception):
        return "panic"
    if isinstance(exc, DeadlineReached):
        return "deadline"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, SnmpAuthError):
        return "auth"
    if isinstance(exc, SnmpError | NonIncreasingOid):
        return "snmp"
    if isinstance(exc, OSError):
        return "network"
    return "internal"
