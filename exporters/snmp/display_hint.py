"""RFC 2579 DISPLAY-HINT of an OCTET STRING, as snmp_exporter's ``applyDisplayHint``
(collector/display_hint.go) applies a metric's or a lookup's ``display_hint``."""

from __future__ import annotations

_FORMATS = frozenset(b"dxoat")


def apply_display_hint(hint: str, data: bytes) -> str | None:
    """``data`` formatted by ``hint`` (``1d.1d.1d.1d``, ``1x:``, ``255a``, ``*1x:/``...),
    or None when the hint cannot be read (the caller then formats as without a hint).
    The last specification repeats until the data is used up; a trailing separator is
    left out."""
    spec = hint.encode()
    if not spec or not data:
        return None
    out = bytearray()
    at = 0  # in spec
    pos = 0  # in data
    last_start = 0
    last_consumes = False
    while pos < len(data):
        start = at
        if at >= len(spec):
            if not last_consumes:
                return None
            at = start = last_start
        star = spec[at : at + 1] == b"*"
        at += star
        if at >= len(spec) or not chr(spec[at]).isdigit():
            return None
        take = 0
        while at < len(spec) and chr(spec[at]).isdigit():
            take = take * 10 + spec[at] - 48
            at += 1
        if at >= len(spec) or spec[at] not in _FORMATS:
            return None
        form = spec[at]
        at += 1
        sep = term = None
        if at < len(spec) and not chr(spec[at]).isdigit() and spec[at] != ord("*"):
            sep = spec[at]
            at += 1
        if star and at < len(spec) and not chr(spec[at]).isdigit() and spec[at] != ord("*"):
            term = spec[at]
            at += 1
        last_start, last_consumes = start, take > 0 or star
        repeat = 1
        if star:
            repeat = data[pos]
            pos += 1
        done = 0
        while done < repeat and pos < len(data):
            chunk = data[pos : pos + take]
            if form in b"do":
                if len(chunk) > 8:
                    return None
                number = int.from_bytes(chunk, "big")
                out += (str(number) if form == ord("d") else format(number, "o")).encode()
            elif form == ord("x"):
                out += chunk.hex().upper().encode()
            else:
                out += chunk
            pos += len(chunk)
            if sep is not None and pos < len(data) and (term is None or done != repeat - 1):
                out.append(sep)
            done += 1
        if term is not None and pos < len(data):
            out.append(term)
    return out.decode("utf-8", "replace")
