"""The protocol logic of one simulated SNMP endpoint: a request datagram in, a response
datagram (or nothing) out. No I/O here, so it is tested and benchmarked without sockets.

v2c: the community must be one of the endpoint's, else no answer (like a real agent).
v3 (RFC 3412/3414): engine discovery, unknown user, wrong digest, unsupported security level
and decryption failures are answered with unauthenticated Reports when the request is
reportable; notInTimeWindows is answered with an authenticated Report (so the client may
trust the engine boots and time it carries).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass

from lab.state import DeviceState

from .ber import (
    COUNTER32,
    GET,
    GET_BULK,
    GET_NEXT,
    INTEGER,
    NOT_WRITABLE,
    OCTET_STRING,
    REPORT,
    SEQUENCE,
    TOO_BIG,
    BerError,
    RequestPdu,
    decode_integer,
    encode_integer,
    encode_length,
    encode_oid,
    encode_response_pdu,
    encode_unsigned,
    expect,
    parse_request_pdu,
    read_header,
    varbind_tlv,
)
from .mib import (
    MAX_MESSAGE_SIZE,
    USM_STATS,
    MibStructure,
    MibView,
    UsmStats,
    end_of_view,
    engine_time,
)
from .usm import DecryptionError, LocalizedUser, V3User, localize_user
from .v3 import (
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    USM_SECURITY_MODEL,
    V3Message,
    authentic,
    encode_v3,
    parse_scoped_pdu,
    parse_v3,
    scoped_pdu,
)

MAX_BULK_VARBINDS = 2048
MIN_MESSAGE_SIZE = 484  # RFC 3412: every engine must accept at least this
TIME_WINDOW = 150  # seconds, RFC 3414 3.2 step 7
ENGINE_BOOTS_MAX = 2**31 - 1
_U32 = 0xFFFFFFFF

# Report varbind names.
USM_UNSUPPORTED_SEC_LEVELS = encode_oid((*USM_STATS, 1, 0))
USM_NOT_IN_TIME_WINDOWS = encode_oid((*USM_STATS, 2, 0))
USM_UNKNOWN_USER_NAMES = encode_oid((*USM_STATS, 3, 0))
USM_UNKNOWN_ENGINE_IDS = encode_oid((*USM_STATS, 4, 0))
USM_WRONG_DIGESTS = encode_oid((*USM_STATS, 5, 0))
USM_DECRYPTION_ERRORS = encode_oid((*USM_STATS, 6, 0))
SNMP_UNKNOWN_CONTEXTS = encode_oid((1, 3, 6, 1, 6, 3, 12, 1, 5, 0))

_V2C_VERSION = b"\x02\x01\x01"

# Documentation enterprise number (RFC 5612): a simulated engine must not claim a vendor's.
_ENGINE_ID_PREFIX = b"\x80\x00\x7e\xe9\x05"


def derive_engine_id(name: str) -> bytes:
    """A stable RFC 3411 snmpEngineID for a device name (format 5, 12 octets of SHA-256)."""
    return _ENGINE_ID_PREFIX + hashlib.sha256(b"provnet-twin:" + name.encode()).digest()[:12]


@dataclass
class AgentStats:
    """Counters shared by all the endpoints of one agent."""

    received: int = 0
    responses: int = 0
    reports: int = 0
    dropped_fault: int = 0  # the device is down or drops SNMP
    bad_community: int = 0
    bad_version: int = 0
    parse_errors: int = 0
    unknown_security_models: int = 0
    unanswered_reports: int = 0  # a Report was due but the request was not reportable
    delayed: int = 0  # answers sent late because of a slow_ms fault
    internal_errors: int = 0


class SnmpEngine:
    """One endpoint's SNMP entity: engine ID, keys localised once, MIB view, counters."""

    def __init__(
        self,
        state: DeviceState,
        *,
        communities: Iterable[str] = (),
        users: Iterable[V3User] = (),
        stats: AgentStats | None = None,
        engine_id: bytes | None = None,
    ) -> None:
        self.state = state
        self.engine_id = engine_id if engine_id is not None else derive_engine_id(state.name)
        self.stats = stats if stats is not None else AgentStats()
        self.usm_stats = UsmStats()
        self.unknown_contexts = 0
        self.mib = MibView(state, self.engine_id, self.usm_stats)
        self._communities = frozenset(c.encode() for c in communities)
        self._users = {u.name.encode(): localize_user(u, self.engine_id) for u in users}
        # Keys of the users the configuration holds, localised once each; the endpoint's
        # own users are already done (a whole twin starting must not localise them again
        # on its first requests: 1 MB of hashing per key, on the agent's event loop).
        self._localized: dict[V3User, LocalizedUser] = {
            u: self._users[u.name.encode()] for u in users
        }
        self._salt = int.from_bytes(os.urandom(8), "big")

    # -- entry point ---------------------------------------------------------------------------

    def handle(self, data: bytes, now: float | None = None) -> bytes | None:
        """The response to one datagram, or ``None`` when nothing must be sent."""
        self.stats.received += 1
        try:
            start, end = expect(data, 0, SEQUENCE)
            vs, ve = expect(data, start, INTEGER, end)
            version = decode_integer(data[vs:ve])
            moment = time.time() if now is None else now
            if version == 1:
                return self._v2c(data, ve, end, moment)
            if version == 3:
                return self._v3(data, ve, end, moment)
        except (BerError, IndexError, DecryptionError):
            self.stats.parse_errors += 1
            return None
        self.stats.bad_version += 1
        return None

    # -- v2c -----------------------------------------------------------------------------------

    def _v2c(self, data: bytes, pos: int, end: int, now: float) -> bytes | None:
        cs, ce = expect(data, pos, OCTET_STRING, end)
        if not self._v2c_allowed(data[cs:ce]):
            self.stats.bad_community += 1
            return None
        request = parse_request_pdu(data, ce, end)
        pdu = self._respond(request, now, MAX_MESSAGE_SIZE - ce - 32)
        if pdu is None:
            return None
        self.stats.responses += 1
        body = _V2C_VERSION + data[pos:ce] + pdu
        return b"\x30" + encode_length(len(body)) + body

    def _v2c_allowed(self, community: bytes) -> bool:
        """The device's configured communities, else the endpoint's."""
        configured = self.state.snmp_communities
        if configured is not None:
            return community.decode("utf-8", "surrogateescape") in configured
        return community in self._communities

    def _user(self, name: bytes) -> LocalizedUser | None:
        """The user ``name`` as the device's configuration has it now (keys localised once
        per user definition: re-keying a user over SSH takes effect on the next request)."""
        configured = self.state.snmp_users
        if configured is None:
            return self._users.get(name)
        for user in configured:
            if user.name.encode() == name:
                if user not in self._localized:
                    if len(self._localized) > 64:  # bounded across many re-keyings
                        self._localized.clear()
                    self._localized[user] = localize_user(user, self.engine_id)
                return self._localized[user]
        return None

    # -- PDU processing (shared by v2c and v3) -------------------------------------------------

    def _respond(self, request: RequestPdu, now: float, budget: int) -> bytes | None:
        """The Response PDU, or ``None`` for PDU types an agent does not answer."""
        tag = request.tag
        structure = self.mib.structure()
        if tag == GET:
            varbinds = [structure.get(raw, now) for raw in request.oids]
        elif tag == GET_NEXT:
            varbinds = [_next(structure, raw, now) for raw in request.oids]
        elif tag == GET_BULK:
            bulk = _bulk(structure, request, now, budget)
            if bulk is None:
                return encode_response_pdu(request.request_id_tlv, TOO_BIG, 0, b"")
            varbinds = bulk
        elif tag == 0xA3:  # SET: this agent is read-only
            index = 1 if request.oids else 0
            return encode_response_pdu(
                request.request_id_tlv, NOT_WRITABLE, index, request.varbinds_raw
            )
        else:
            return None
        body = b"".join(varbinds)
        if len(body) > budget:
            return encode_response_pdu(request.request_id_tlv, TOO_BIG, 0, b"")
        return encode_response_pdu(request.request_id_tlv, 0, 0, body)

    # -- v3 ------------------------------------------------------------------------------------

    def _v3(self, data: bytes, pos: int, end: int, now: float) -> bytes | None:
        message = parse_v3(data, pos, end)
        if message.security_model != USM_SECURITY_MODEL:
            self.stats.unknown_security_models += 1
            return None
        flags = message.flags
        if flags & FLAG_PRIV and not flags & FLAG_AUTH:
            self.stats.parse_errors += 1  # snmpInvalidMsgs
            return None
        usm = self.usm_stats
        if message.engine_id != self.engine_id:
            usm.unknown_engine_ids += 1
            return self._report(data, message, USM_UNKNOWN_ENGINE_IDS, usm.unknown_engine_ids, now)
        user = self._user(message.user_name)
        if user is None:
            usm.unknown_user_names += 1
            return self._report(data, message, USM_UNKNOWN_USER_NAMES, usm.unknown_user_names, now)
        if not _level_matches(flags, user):
            usm.unsupported_sec_levels += 1
            return self._report(
                data, message, USM_UNSUPPORTED_SEC_LEVELS, usm.unsupported_sec_levels, now
            )
        if not authentic(data, message, user.auth):
            usm.wrong_digests += 1
            return self._report(data, message, USM_WRONG_DIGESTS, usm.wrong_digests, now)
        boots = self.state.boots
        etime = engine_time(self.state, now)
        if (
            boots >= ENGINE_BOOTS_MAX
            or message.boots != boots
            or abs(message.engine_time - etime) > TIME_WINDOW
        ):
            usm.not_in_time_windows += 1
            return self._report(
                data,
                message,
                USM_NOT_IN_TIME_WINDOWS,
                usm.not_in_time_windows,
                now,
                user,
                FLAG_AUTH,
            )
        return self._v3_authenticated(data, message, user, boots, etime, now)

    def _v3_authenticated(
        self,
        data: bytes,
        message: V3Message,
        user: LocalizedUser,
        boots: int,
        etime: int,
        now: float,
    ) -> bytes | None:
        flags = message.flags & (FLAG_AUTH | FLAG_PRIV)
        try:
            buffer, start, limit = self._plaintext(data, message, user)
            context_engine_id, context_name, pdu_start, scoped_end = parse_scoped_pdu(
                buffer, start, limit
            )
        except (DecryptionError, BerError, IndexError):
            if not flags & FLAG_PRIV:
                raise
            self.usm_stats.decryption_errors += 1
            count = self.usm_stats.decryption_errors
            return self._report(data, message, USM_DECRYPTION_ERRORS, count, now)
        request = parse_request_pdu(buffer, pdu_start, scoped_end)
        if context_name:
            self.unknown_contexts += 1
            return self._report(
                data, message, SNMP_UNKNOWN_CONTEXTS, self.unknown_contexts, now, user, flags,
                request.request_id,
            )  # fmt: skip
        max_size = min(max(message.max_size, MIN_MESSAGE_SIZE), MAX_MESSAGE_SIZE)
        overhead = 96 + 2 * len(self.engine_id) + len(message.user_name) + user.auth.mac_length
        pdu = self._respond(request, now, max_size - overhead)
        if pdu is None:
            return None
        self.stats.responses += 1
        return encode_v3(
            msg_id=message.msg_id,
            max_size=MAX_MESSAGE_SIZE,
            flags=flags,
            engine_id=self.engine_id,
            boots=boots,
            engine_time=etime,
            user_name=message.user_name,
            scoped=scoped_pdu(context_engine_id or self.engine_id, b"", pdu),
            auth=user.auth,
            privacy=user.privacy,
            salt=self._next_salt(),
        )

    @staticmethod
    def _plaintext(data: bytes, message: V3Message, user: LocalizedUser) -> tuple[bytes, int, int]:
        """(buffer, start, limit) of the scopedPDU, decrypting it when the message is private."""
        if not message.flags & FLAG_PRIV:
            return data, message.data_start, message.data_end
        if message.data_tag != OCTET_STRING or user.privacy is None:
            raise DecryptionError("encryptedPDU expected")
        plaintext = user.privacy.decrypt(
            data[message.data_content : message.data_end],
            message.boots,
            message.engine_time,
            message.priv_params,
        )
        return plaintext, 0, len(plaintext)

    def _report(
        self,
        data: bytes,
        message: V3Message,
        name: bytes,
        count: int,
        now: float,
        user: LocalizedUser | None = None,
        flags: int = 0,
        request_id: int | None = None,
    ) -> bytes | None:
        """A Report PDU carrying one usmStats (or snmp) counter, if the request is reportable."""
        if not message.flags & FLAG_REPORTABLE:
            self.stats.unanswered_reports += 1
            return None
        if request_id is None:
            request_id = _plain_request_id(data, message)
        varbind = varbind_tlv(name, encode_unsigned(count & _U32, COUNTER32))
        pdu = encode_response_pdu(encode_integer(request_id), 0, 0, varbind, tag=REPORT)
        self.stats.reports += 1
        return encode_v3(
            msg_id=message.msg_id,
            max_size=MAX_MESSAGE_SIZE,
            flags=flags,
            engine_id=self.engine_id,
            boots=min(self.state.boots, ENGINE_BOOTS_MAX),
            engine_time=engine_time(self.state, now),
            user_name=message.user_name,
            scoped=scoped_pdu(self.engine_id, b"", pdu),
            auth=user.auth if user is not None else None,
            privacy=user.privacy if user is not None else None,
            salt=self._next_salt(),
        )

    def _next_salt(self) -> int:
        self._salt = (self._salt + 1) & 0xFFFFFFFFFFFFFFFF
        return self._salt


def _level_matches(flags: int, user: LocalizedUser) -> bool:
    """A user with a privacy key must use authPriv; one without may not ask for it."""
    if not flags & FLAG_AUTH:
        return False
    return bool(flags & FLAG_PRIV) == (user.privacy is not None)


def _plain_request_id(data: bytes, message: V3Message) -> int:
    """The request-id of a plaintext scopedPDU, or 0 when it is encrypted or unreadable."""
    if message.data_tag != SEQUENCE:
        return 0
    try:
        _, _, pdu_start, end = parse_scoped_pdu(data, message.data_start, message.data_end)
        _, start, pdu_end = read_header(data, pdu_start, end)
        s, e = expect(data, start, INTEGER, pdu_end)
        return decode_integer(data[s:e])
    except (BerError, IndexError):
        return 0


def _next(structure: MibStructure, raw: bytes, now: float) -> bytes:
    i = structure.next_index(raw)
    if i < len(structure):
        return structure.varbind_at(i, now)
    return end_of_view(raw)


def _bulk(
    structure: MibStructure, request: RequestPdu, now: float, budget: int
) -> list[bytes] | None:
    """GETBULK (RFC 3416 4.2.3), truncated to fit ``budget`` octets; ``None`` if even the
    first varbind does not fit (tooBig)."""
    oids = request.oids
    non_repeaters = min(max(request.a, 0), len(oids))
    out = [_next(structure, raw, now) for raw in oids[:non_repeaters]]
    size = sum(len(v) for v in out)
    if size > budget:
        return None
    repeaters = oids[non_repeaters:]
    if not repeaters or request.b <= 0:
        return out
    total = len(structure)
    if len(repeaters) == 1:  # a walk's GETBULK: one run of consecutive instances
        return _bulk_run(structure, repeaters[0], request.b, now, budget, out, size)
    positions = [structure.next_index(raw) for raw in repeaters]
    first = list(positions)
    repetitions = min(request.b, max(1, MAX_BULK_VARBINDS // len(repeaters)))
    for _ in range(repetitions):
        advanced = False
        for j, i in enumerate(positions):
            if i < total:
                varbind = structure.varbind_at(i, now)
                positions[j] = i + 1
                advanced = True
            else:
                last = repeaters[j] if i == first[j] else _raw_oid(structure, total - 1)
                varbind = end_of_view(last)
            size += len(varbind)
            if size > budget:
                return out if out else None
            out.append(varbind)
        if not advanced:
            break
    return out


def _bulk_run(
    structure: MibStructure,
    raw: bytes,
    repetitions: int,
    now: float,
    budget: int,
    out: list[bytes],
    size: int,
) -> list[bytes] | None:
    """GETBULK's repetitions of a single repeater: the instances after ``raw`` in order, then
    one endOfMibView if the view ends first (as the general loop of :func:`_bulk` gives)."""
    total = len(structure)
    start = structure.next_index(raw)
    repetitions = min(repetitions, MAX_BULK_VARBINDS)
    stop = min(total, start + repetitions)
    fixed, varbinds = structure.fixed, structure.varbinds
    for i in range(start, stop):
        varbind = fixed[i] or varbinds[i](now)  # type: ignore[misc]
        size += len(varbind)
        if size > budget:
            return out if out else None
        out.append(varbind)
    if stop == total and stop - start < repetitions:
        varbind = end_of_view(raw if start == total else _raw_oid(structure, total - 1))
        if size + len(varbind) > budget:
            return out if out else None
        out.append(varbind)
    return out


def _raw_oid(structure: MibStructure, i: int) -> bytes:
    element = structure.oid_tlvs[i]
    first = element[1]
    return element[2 + (first & 0x7F if first & 0x80 else 0) :]
