"""Client-side message builders and parsers (no sockets): for tests, the benchmark's load
generator and engine discovery. Not a general SNMP manager."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .ber import (
    GET,
    INTEGER,
    NULL,
    SEQUENCE,
    BerError,
    CommunityMessage,
    Oid,
    Pdu,
    VarBind,
    decode_integer,
    decode_pdu,
    encode_community_message,
    encode_pdu,
    expect,
)
from .usm import DecryptionError, LocalizedUser
from .v3 import (
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    authentic,
    encode_v3,
    parse_scoped_pdu,
    parse_v3,
    scoped_pdu,
)

CLIENT_MAX_SIZE = 65507


def v2c_request(
    community: str,
    oids: Sequence[Oid],
    request_id: int,
    tag: int = GET,
    non_repeaters: int = 0,
    max_repetitions: int = 0,
) -> bytes:
    pdu = Pdu(tag, request_id, non_repeaters, max_repetitions, tuple(VarBind(o) for o in oids))
    return encode_community_message(CommunityMessage(1, community.encode(), pdu))


def discovery_request(msg_id: int, request_id: int = 0) -> bytes:
    """An empty, unauthenticated, reportable GET: the agent answers with a Report that
    carries its engine ID, boots and time (RFC 3414 4)."""
    return encode_v3(
        msg_id=msg_id,
        max_size=CLIENT_MAX_SIZE,
        flags=FLAG_REPORTABLE,
        engine_id=b"",
        boots=0,
        engine_time=0,
        user_name=b"",
        scoped=scoped_pdu(b"", b"", encode_pdu(Pdu(GET, request_id))),
    )


def v3_request(
    user: LocalizedUser,
    *,
    engine_id: bytes,
    boots: int,
    engine_time: int,
    oids: Sequence[Oid],
    msg_id: int,
    request_id: int,
    tag: int = GET,
    salt: int = 0,
    non_repeaters: int = 0,
    max_repetitions: int = 0,
) -> bytes:
    """An authenticated request, private if the user has a privacy key."""
    varbinds = tuple(VarBind(o, NULL) for o in oids)
    pdu = Pdu(tag, request_id, non_repeaters, max_repetitions, varbinds)
    flags = FLAG_AUTH | FLAG_REPORTABLE | (FLAG_PRIV if user.privacy is not None else 0)
    return encode_v3(
        msg_id=msg_id,
        max_size=CLIENT_MAX_SIZE,
        flags=flags,
        engine_id=engine_id,
        boots=boots,
        engine_time=engine_time,
        user_name=user.name,
        scoped=scoped_pdu(engine_id, b"", encode_pdu(pdu)),
        auth=user.auth,
        privacy=user.privacy,
        salt=salt,
    )


@dataclass(frozen=True)
class V3Reply:
    msg_id: int
    flags: int
    engine_id: bytes
    boots: int
    engine_time: int
    user_name: bytes
    pdu: Pdu


def parse_v3_reply(data: bytes, user: LocalizedUser | None = None) -> V3Reply:
    """Parse a v3 Response or Report, checking its MAC and decrypting it with ``user``."""
    start, end = expect(data, 0, SEQUENCE)
    vs, ve = expect(data, start, INTEGER, end)
    if decode_integer(data[vs:ve]) != 3:
        raise BerError("not an SNMPv3 message")
    message = parse_v3(data, ve, end)
    buffer, pos, limit = data, message.data_start, message.data_end
    if message.flags & FLAG_AUTH and (user is None or not authentic(data, message, user.auth)):
        raise DecryptionError("reply not authentic")
    if message.flags & FLAG_PRIV:
        if user is None or user.privacy is None:
            raise DecryptionError("reply is encrypted")
        buffer = user.privacy.decrypt(
            data[message.data_content : message.data_end],
            message.boots,
            message.engine_time,
            message.priv_params,
        )
        pos, limit = 0, len(buffer)
    _, _, pdu_start, scoped_end = parse_scoped_pdu(buffer, pos, limit)
    pdu, _ = decode_pdu(buffer, pdu_start, scoped_end)
    return V3Reply(
        message.msg_id,
        message.flags,
        message.engine_id,
        message.boots,
        message.engine_time,
        message.user_name,
        pdu,
    )
