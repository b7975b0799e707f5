"""SNMPv3 message framing (RFC 3412) with USM security parameters (RFC 3414).

Used by the agent and by clients written in this repository (tests, benchmark).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from .ber import (
    INTEGER,
    OCTET_STRING,
    SEQUENCE,
    BerError,
    decode_integer,
    encode_integer,
    encode_length,
    expect,
    read_header,
    tlv,
)
from .usm import Authenticator, Privacy

FLAG_AUTH = 0x01
FLAG_PRIV = 0x02
FLAG_REPORTABLE = 0x04
USM_SECURITY_MODEL = 3
VERSION3_TLV = b"\x02\x01\x03"


@dataclass(slots=True)
class V3Message:
    """An incoming v3 message: header and USM parameters decoded, msgData left in place.

    ``auth_start``/``auth_end`` locate msgAuthenticationParameters' content inside the whole
    message (it is zeroed to check the MAC). ``data_start``/``data_end`` locate msgData, a
    plaintext scopedPDU (``data_tag`` SEQUENCE) or an encrypted one (OCTET STRING), whose
    content starts at ``data_content``.
    """

    msg_id: int
    max_size: int
    flags: int
    security_model: int
    engine_id: bytes
    boots: int
    engine_time: int
    user_name: bytes
    auth_params: bytes
    auth_start: int
    auth_end: int
    priv_params: bytes
    data_start: int
    data_tag: int
    data_content: int
    data_end: int


def _int_at(data: bytes, pos: int, limit: int) -> tuple[int, int]:
    s, e = expect(data, pos, INTEGER, limit)
    return decode_integer(data[s:e]), e


def _octets_at(data: bytes, pos: int, limit: int) -> tuple[int, int]:
    return expect(data, pos, OCTET_STRING, limit)


def parse_v3(data: bytes, pos: int, end: int) -> V3Message:
    """Parse what follows msgVersion: msgGlobalData, msgSecurityParameters, msgData."""
    gs, ge = expect(data, pos, SEQUENCE, end)
    msg_id, p = _int_at(data, gs, ge)
    max_size, p = _int_at(data, p, ge)
    fs, fe = _octets_at(data, p, ge)
    if fe - fs != 1:
        raise BerError("msgFlags must be one octet")
    flags = data[fs]
    security_model, _ = _int_at(data, fe, ge)
    ss, se = _octets_at(data, ge, end)
    us, ue = expect(data, ss, SEQUENCE, se)
    es, ee = _octets_at(data, us, ue)
    boots, p = _int_at(data, ee, ue)
    engine_time, p = _int_at(data, p, ue)
    ns, ne = _octets_at(data, p, ue)
    as_, ae = _octets_at(data, ne, ue)
    ps, pe = _octets_at(data, ae, ue)
    data_tag, ds, de = read_header(data, se, end)
    return V3Message(
        msg_id=msg_id,
        max_size=max_size,
        flags=flags,
        security_model=security_model,
        engine_id=data[es:ee],
        boots=boots,
        engine_time=engine_time,
        user_name=data[ns:ne],
        auth_params=data[as_:ae],
        auth_start=as_,
        auth_end=ae,
        priv_params=data[ps:pe],
        data_start=se,
        data_tag=data_tag,
        data_content=ds,
        data_end=de,
    )


def authentic(data: bytes, message: V3Message, auth: Authenticator) -> bool:
    """Whether the message's MAC is right (computed with the MAC field zeroed)."""
    if message.auth_end - message.auth_start != auth.mac_length:
        return False
    zeroed = data[: message.auth_start] + bytes(auth.mac_length) + data[message.auth_end :]
    expected = auth.mac(zeroed)
    # Constant-time comparison: the MAC must not leak through timing.
    return hmac.compare_digest(expected, message.auth_params)


def scoped_pdu(context_engine_id: bytes, context_name: bytes, pdu: bytes) -> bytes:
    return tlv(
        SEQUENCE, tlv(OCTET_STRING, context_engine_id) + tlv(OCTET_STRING, context_name) + pdu
    )


def parse_scoped_pdu(data: bytes, pos: int, limit: int) -> tuple[bytes, bytes, int, int]:
    """(contextEngineID, contextName, PDU start, scopedPDU end). Trailing octets (DES
    padding) after the scopedPDU are ignored."""
    start, end = expect(data, pos, SEQUENCE, limit)
    cs, ce = _octets_at(data, start, end)
    ns, ne = _octets_at(data, ce, end)
    return data[cs:ce], data[ns:ne], ne, end


def encode_v3(
    *,
    msg_id: int,
    max_size: int,
    flags: int,
    engine_id: bytes,
    boots: int,
    engine_time: int,
    user_name: bytes,
    scoped: bytes,
    auth: Authenticator | None = None,
    privacy: Privacy | None = None,
    salt: int = 0,
) -> bytes:
    """A whole v3 message. ``auth`` is used when FLAG_AUTH is set, ``privacy`` with FLAG_PRIV.

    The MAC is computed over the message with a zeroed MAC field, then spliced in: the
    offsets are known from the lengths, so nothing is encoded twice.
    """
    if flags & FLAG_PRIV:
        if privacy is None:
            raise ValueError("privacy requested without a key")
        ciphertext, priv_params = privacy.encrypt(scoped, boots, engine_time, salt)
        msg_data = tlv(OCTET_STRING, ciphertext)
    else:
        priv_params = b""
        msg_data = scoped
    mac_length = 0
    if flags & FLAG_AUTH:
        if auth is None:
            raise ValueError("authentication requested without a key")
        mac_length = auth.mac_length
    sec_head = (
        tlv(OCTET_STRING, engine_id)
        + encode_integer(boots)
        + encode_integer(engine_time)
        + tlv(OCTET_STRING, user_name)
        + bytes((OCTET_STRING,))
        + encode_length(mac_length)
    )
    sec_tail = tlv(OCTET_STRING, priv_params)
    sec_len = len(sec_head) + mac_length + len(sec_tail)
    sec_seq_head = b"\x30" + encode_length(sec_len)
    global_data = tlv(
        SEQUENCE,
        encode_integer(msg_id)
        + encode_integer(max_size)
        + bytes((OCTET_STRING, 1, flags))
        + encode_integer(USM_SECURITY_MODEL),
    )
    head = (
        VERSION3_TLV
        + global_data
        + b"\x04"
        + encode_length(len(sec_seq_head) + sec_len)
        + sec_seq_head
        + sec_head
    )
    tail = sec_tail + msg_data
    prefix = b"\x30" + encode_length(len(head) + mac_length + len(tail)) + head
    if not mac_length or auth is None:
        return prefix + tail
    mac = auth.mac(prefix + bytes(mac_length) + tail)
    return prefix + mac + tail
