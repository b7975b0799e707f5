"""What the probe modules (``vc``, ``ipv6_service``) share: target parsing, errors.

Decisions only, no I/O.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from exporters.errors import ExporterError

_HOSTNAME = re.compile(r"^(?=.{1,253}\.?$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?)+$")


class ProbeParameterError(ExporterError, ValueError):
    """A probe request the module cannot run (malformed target or parameter): HTTP 400.

    A target that is well formed but does not answer is never this: it is a metric.
    """


def parse_port(text: str, what: str) -> int:
    """A TCP/UDP port number from a request parameter."""
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ProbeParameterError(f"{what}: '{text}' is not a port number (1-65535)")
    return int(text)


def parse_host_port(text: str, default_port: int, what: str = "target") -> tuple[str, int]:
    """``HOST``, ``HOST:PORT``, ``[IPV6]:PORT`` or a bare IPv6 address -> (host, port).

    >>> parse_host_port("[::1]:5060", 5060)
    ('::1', 5060)
    """
    text = text.strip()
    if not text:
        raise ProbeParameterError(f"{what}: empty")
    host, port = text, default_port
    if text.startswith("["):
        inside, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ProbeParameterError(f"{what} '{text}': expected [IPV6]:PORT")
        host = inside
        if rest:
            port = parse_port(rest[1:], f"{what} '{text}'")
        _check_ip(host, 6, what, text)
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = parse_port(port_text, f"{what} '{text}'")
    elif ":" in text:
        _check_ip(host, 6, what, text)
    if not _is_ip(host) and not _HOSTNAME.match(host):
        raise ProbeParameterError(f"{what} '{text}': '{host}' is neither an address nor a name")
    return host, port


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _check_ip(host: str, version: int, what: str, text: str) -> None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None or address.version != version:
        raise ProbeParameterError(f"{what} '{text}': '{host}' is not an IPv{version} address")


def flag(params: Mapping[str, str], name: str) -> bool:
    """A boolean request parameter: 1/true/yes/on (any case)."""
    value = params.get(name, "")
    return value.strip().lower() in {"1", "true", "yes", "on"}
