"""A small, fast BER codec for SNMP messages (RFC 3416 PDUs, RFC 3412 v3 framing).

Two layers:

* low-level helpers on ``bytes`` and offsets (``read_header``, ``tlv``, ``encode_integer``,
  ``encode_oid``...), used on the agent's hot path without building objects;
* a typed structured layer (``VarBind``, ``Pdu``, ``encode_pdu``/``decode_pdu``,
  ``encode_community_message``/``decode_community_message``) for tests, the benchmark's
  load generator and anything that is not on the hot path.

Only what SNMP uses is supported: single-byte tags, definite lengths up to 4 length octets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lab.errors import LabError

# Universal and SNMP application tags.
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
SEQUENCE = 0x30
IP_ADDRESS = 0x40
COUNTER32 = 0x41
GAUGE32 = 0x42
TIMETICKS = 0x43
OPAQUE = 0x44
COUNTER64 = 0x46
# Exceptions in a v2 response varbind (context-specific, primitive, empty).
NO_SUCH_OBJECT = 0x80
NO_SUCH_INSTANCE = 0x81
END_OF_MIB_VIEW = 0x82
# PDU tags.
GET = 0xA0
GET_NEXT = 0xA1
RESPONSE = 0xA2
SET = 0xA3
TRAP_V1 = 0xA4
GET_BULK = 0xA5
INFORM = 0xA6
TRAP = 0xA7
REPORT = 0xA8

# Error statuses used by the agent (RFC 3416).
NO_ERROR = 0
TOO_BIG = 1
GEN_ERR = 5
NOT_WRITABLE = 17

UNSIGNED_TAGS = frozenset({COUNTER32, GAUGE32, TIMETICKS, COUNTER64})
EXCEPTION_TAGS = frozenset({NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW})
_UINT_LIMITS = {COUNTER32: 1 << 32, GAUGE32: 1 << 32, TIMETICKS: 1 << 32, COUNTER64: 1 << 64}

Oid = tuple[int, ...]
Value = int | bytes | Oid | None


class BerError(LabError, ValueError):
    """A malformed or unsupported BER encoding (never carries the packet's content)."""


# ---------------------------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------------------------

_SHORT_LENGTHS = tuple(bytes((n,)) for n in range(0x80))


def encode_length(n: int) -> bytes:
    """Definite length octets, short form below 128."""
    if n < 0x80:
        return _SHORT_LENGTHS[n]
    if n < 0x100:
        return bytes((0x81, n))
    if n < 0x10000:
        return bytes((0x82, n >> 8, n & 0xFF))
    if n < 0x1000000:
        return bytes((0x83, n >> 16, (n >> 8) & 0xFF, n & 0xFF))
    if n < 0x100000000:
        return b"\x84" + n.to_bytes(4, "big")
    raise BerError("length too large")


def tlv(tag: int, content: bytes) -> bytes:
    """One tag-length-value element."""
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    return bytes((tag,)) + encode_length(n) + content


def sequence(*parts: bytes) -> bytes:
    """A SEQUENCE of already-encoded elements."""
    return tlv(SEQUENCE, b"".join(parts))


def integer_content(value: int) -> bytes:
    """Minimal two's complement content octets of ``value``."""
    size = (value if value >= 0 else ~value).bit_length() // 8 + 1
    return value.to_bytes(size, "big", signed=True)


_SMALL_INTS = tuple(tlv(INTEGER, integer_content(v)) for v in range(256))


def encode_integer(value: int, tag: int = INTEGER) -> bytes:
    """INTEGER, or an unsigned application type (Counter32, Gauge32, TimeTicks, Counter64)."""
    if tag == INTEGER and 0 <= value < 256:
        return _SMALL_INTS[value]
    limit = _UINT_LIMITS.get(tag)
    if limit is not None and not 0 <= value < limit:
        raise BerError(f"value out of range for tag 0x{tag:02x}")
    content = integer_content(value)
    return bytes((tag, len(content))) + content


def encode_unsigned(value: int, tag: int) -> bytes:
    """Fast path for unsigned application types; ``value`` must already be in range."""
    content = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return bytes((tag, len(content))) + content


def oid_content(oid: Sequence[int]) -> bytes:
    """BER content octets of an OBJECT IDENTIFIER (at least two arcs)."""
    if len(oid) < 2:
        raise BerError("an OID needs at least two arcs")
    first, second = oid[0], oid[1]
    if first not in (0, 1, 2) or second < 0 or (first < 2 and second >= 40):
        raise BerError("invalid first arcs")
    out = bytearray()
    for arc in (first * 40 + second, *oid[2:]):
        if arc < 0x80:
            if arc < 0:
                raise BerError("negative arc")
            out.append(arc)
            continue
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        chunk.reverse()
        out.extend(chunk)
    return bytes(out)


def encode_oid(oid: Sequence[int]) -> bytes:
    """OBJECT IDENTIFIER element."""
    return tlv(OBJECT_IDENTIFIER, oid_content(oid))


def parse_oid(text: str) -> Oid:
    """``"1.3.6.1.2.1"`` or ``".1.3.6..."`` to a tuple of arcs."""
    try:
        return tuple(int(part) for part in text.strip().strip(".").split("."))
    except ValueError:
        raise BerError("not a numeric OID") from None


def format_oid(oid: Sequence[int]) -> str:
    return ".".join(str(arc) for arc in oid)


def encode_value(tag: int, value: Value) -> bytes:
    """One SNMP value element of type ``tag``."""
    if tag == INTEGER or tag in UNSIGNED_TAGS:
        if not isinstance(value, int):
            raise BerError("integer value expected")
        return encode_integer(value, tag)
    if tag in (OCTET_STRING, OPAQUE, IP_ADDRESS):
        if not isinstance(value, bytes):
            raise BerError("bytes value expected")
        if tag == IP_ADDRESS and len(value) != 4:
            raise BerError("IpAddress needs 4 octets")
        return tlv(tag, value)
    if tag == OBJECT_IDENTIFIER:
        if not isinstance(value, tuple):
            raise BerError("OID value expected")
        return encode_oid(value)
    if tag == NULL or tag in EXCEPTION_TAGS:
        return bytes((tag, 0))
    raise BerError(f"unsupported value tag 0x{tag:02x}")


# ---------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------


def read_header(data: bytes, pos: int, limit: int | None = None) -> tuple[int, int, int]:
    """Header of the element at ``pos``: (tag, content start, content end).

    ``limit`` is the end of the enclosing element; content running past it is an error.
    """
    end_limit = len(data) if limit is None else limit
    if pos + 2 > end_limit:
        raise BerError("truncated header")
    tag = data[pos]
    n = data[pos + 1]
    if n < 0x80 and tag & 0x1F != 0x1F:  # the usual short form
        end = pos + 2 + n
        if end > end_limit:
            raise BerError("element runs past its container")
        return tag, pos + 2, end
    return _read_long_header(data, pos, end_limit)


def _read_long_header(data: bytes, pos: int, end_limit: int) -> tuple[int, int, int]:
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise BerError("multi-octet tags are not used by SNMP")
    count = data[pos + 1] & 0x7F
    pos += 2
    if count == 0 or count > 4:
        raise BerError("unsupported length form")
    if pos + count > end_limit:
        raise BerError("truncated length")
    end = pos + count + int.from_bytes(data[pos : pos + count], "big")
    if end > end_limit:
        raise BerError("element runs past its container")
    return tag, pos + count, end


def expect(data: bytes, pos: int, tag: int, limit: int | None = None) -> tuple[int, int]:
    """Like ``read_header`` but the tag must be ``tag``; returns (start, end)."""
    got, start, end = read_header(data, pos, limit)
    if got != tag:
        raise BerError(f"expected tag 0x{tag:02x}, got 0x{got:02x}")
    return start, end


def decode_integer(content: bytes) -> int:
    if not content:
        raise BerError("empty INTEGER")
    return int.from_bytes(content, "big", signed=True)


def decode_unsigned(content: bytes) -> int:
    """Unsigned application types; lenient about a missing leading zero octet."""
    if not content:
        raise BerError("empty unsigned integer")
    return int.from_bytes(content, "big")


def decode_oid(content: bytes) -> Oid:
    """Arcs of an OID's content octets. Empty content decodes to ``()``."""
    arcs: list[int] = []
    value = 0
    pending = False
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if byte & 0x80:
            pending = True
            continue
        arcs.append(value)
        value = 0
        pending = False
    if pending:
        raise BerError("truncated OID arc")
    if not arcs:
        return ()
    first = arcs[0]
    head = (0, first) if first < 40 else (1, first - 40) if first < 80 else (2, first - 80)
    return (*head, *arcs[1:])


def decode_value(tag: int, content: bytes) -> Value:
    """Python value of an SNMP value element (inverse of ``encode_value``)."""
    if tag == INTEGER:
        return decode_integer(content)
    if tag in UNSIGNED_TAGS:
        return decode_unsigned(content)
    if tag in (OCTET_STRING, OPAQUE, IP_ADDRESS):
        return bytes(content)
    if tag == OBJECT_IDENTIFIER:
        return decode_oid(content)
    if tag == NULL or tag in EXCEPTION_TAGS:
        return None
    raise BerError(f"unsupported value tag 0x{tag:02x}")


# ---------------------------------------------------------------------------------------------
# Structured layer
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VarBind:
    oid: Oid
    tag: int = NULL
    value: Value = None


@dataclass(frozen=True, slots=True)
class Pdu:
    """A v2 PDU. For GETBULK, ``error_status``/``error_index`` hold non-repeaters and
    max-repetitions, as on the wire."""

    tag: int
    request_id: int
    error_status: int = 0
    error_index: int = 0
    varbinds: tuple[VarBind, ...] = ()


@dataclass(frozen=True, slots=True)
class CommunityMessage:
    version: int  # 0 = v1, 1 = v2c
    community: bytes
    pdu: Pdu


def encode_varbind(vb: VarBind) -> bytes:
    return sequence(encode_oid(vb.oid), encode_value(vb.tag, vb.value))


def encode_pdu(pdu: Pdu) -> bytes:
    varbinds = b"".join(encode_varbind(vb) for vb in pdu.varbinds)
    return tlv(
        pdu.tag,
        encode_integer(pdu.request_id)
        + encode_integer(pdu.error_status)
        + encode_integer(pdu.error_index)
        + tlv(SEQUENCE, varbinds),
    )


def decode_pdu(data: bytes, pos: int = 0, limit: int | None = None) -> tuple[Pdu, int]:
    """The PDU at ``pos`` and the offset just after it."""
    tag, start, end = read_header(data, pos, limit)
    if tag & 0xE0 != 0xA0:
        raise BerError("not a PDU")
    ints: list[int] = []
    p = start
    for _ in range(3):
        s, e = expect(data, p, INTEGER, end)
        ints.append(decode_integer(data[s:e]))
        p = e
    s, vbl_end = expect(data, p, SEQUENCE, end)
    varbinds: list[VarBind] = []
    while s < vbl_end:
        vs, ve = expect(data, s, SEQUENCE, vbl_end)
        os_, oe = expect(data, vs, OBJECT_IDENTIFIER, ve)
        vtag, cs, ce = read_header(data, oe, ve)
        varbinds.append(VarBind(decode_oid(data[os_:oe]), vtag, decode_value(vtag, data[cs:ce])))
        s = ve
    return Pdu(tag, ints[0], ints[1], ints[2], tuple(varbinds)), end


def encode_community_message(message: CommunityMessage) -> bytes:
    return sequence(
        encode_integer(message.version),
        tlv(OCTET_STRING, message.community),
        encode_pdu(message.pdu),
    )


def decode_community_message(data: bytes) -> CommunityMessage:
    start, end = expect(data, 0, SEQUENCE)
    s, e = expect(data, start, INTEGER, end)
    version = decode_integer(data[s:e])
    cs, ce = expect(data, e, OCTET_STRING, end)
    pdu, _ = decode_pdu(data, ce, end)
    return CommunityMessage(version, bytes(data[cs:ce]), pdu)


# ---------------------------------------------------------------------------------------------
# Hot-path request parsing
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class RequestPdu:
    """A request PDU as the agent needs it: raw pieces, nothing decoded that is not used.

    ``request_id_tlv`` is echoed verbatim in the response; ``oids`` are the raw content octets
    of each varbind's OID (a dict key for exact lookups); ``varbinds_raw`` is the whole
    varbind list content (echoed on errors).
    """

    tag: int
    request_id: int
    request_id_tlv: bytes
    a: int  # error-status, or non-repeaters for GETBULK
    b: int  # error-index, or max-repetitions for GETBULK
    oids: list[bytes]
    varbinds_raw: bytes


def parse_request_pdu(data: bytes, pos: int, limit: int) -> RequestPdu:
    """Parse the PDU at ``pos``, keeping OIDs as raw bytes."""
    tag, start, end = read_header(data, pos, limit)
    if tag & 0xE0 != 0xA0:
        raise BerError("not a PDU")
    s, e = expect(data, start, INTEGER, end)
    request_id_tlv = data[start:e]
    request_id = decode_integer(data[s:e])
    s, e2 = expect(data, e, INTEGER, end)
    a = decode_integer(data[s:e2])
    s, e3 = expect(data, e2, INTEGER, end)
    b = decode_integer(data[s:e3])
    vs, vbl_end = expect(data, e3, SEQUENCE, end)
    oids: list[bytes] = []
    p = vs
    while p < vbl_end:
        _, ve = expect(data, p, SEQUENCE, vbl_end)
        # Fast path for the usual short forms: 30 LL 06 LL <oid> ...
        if (
            ve - p >= 4
            and data[p + 1] < 0x80
            and data[p + 2] == OBJECT_IDENTIFIER
            and data[p + 3] < 0x80
        ):
            os_ = p + 4
            oe = os_ + data[p + 3]
            if oe > ve:
                raise BerError("OID runs past its varbind")
        else:
            inner = p + 2 if data[p + 1] < 0x80 else p + 2 + (data[p + 1] & 0x7F)
            os_, oe = expect(data, inner, OBJECT_IDENTIFIER, ve)
        oids.append(data[os_:oe])
        p = ve
    return RequestPdu(tag, request_id, request_id_tlv, a, b, oids, data[vs:vbl_end])


def encode_response_pdu(
    request_id_tlv: bytes, error_status: int, error_index: int, varbinds: bytes, tag: int = RESPONSE
) -> bytes:
    """A Response (or Report) PDU around already-encoded varbinds."""
    body = (
        request_id_tlv
        + _SMALL_INTS[error_status]
        + encode_integer(error_index)
        + tlv(SEQUENCE, varbinds)
    )
    return tlv(tag, body)


def varbind_tlv(oid_tlv: bytes, value_tlv: bytes) -> bytes:
    """A varbind SEQUENCE from an encoded OID element and an encoded value element."""
    n = len(oid_tlv) + len(value_tlv)
    if n < 0x80:
        return bytes((SEQUENCE, n)) + oid_tlv + value_tlv
    return b"\x30" + encode_length(n) + oid_tlv + value_tlv
