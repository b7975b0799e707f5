"""The province's syslog servers as the inventory writes them, read once for every room.

An entry of ``syslog_servers`` is ``HOST``, ``HOST:PORT`` or ``[IPv6]:PORT`` (a bare IPv6
address is a host). The server deploys forward to it and the audit checks that they do: both
read it here (``deploys`` and ``checks`` may not import each other). How a server forwards
(plain TCP, RELP or TLS) is its ``syslog_forward`` setting (:class:`inventory.model.SyslogForward`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from inventory.errors import InventoryError

Transport = Literal["tcp", "relp", "tls"]
SYSLOG_PORT = 514
TRANSPORT_PORTS: dict[str, int] = {"tcp": SYSLOG_PORT, "relp": 2514, "tls": 6514}
"""A transport's port when neither the entry nor ``syslog_forward.port`` gives one: 514
(RFC 6587), rsyslog's usual RELP port, syslog over TLS (RFC 5425)."""


class BadSyslogTarget(InventoryError, ValueError):
    """A ``syslog_servers`` entry that is not ``host[:port]``; the message says where."""


@dataclass(frozen=True)
class SyslogTarget:
    host: str
    port: int | None
    """None: the entry names no port (the transport's port applies)."""


def parse_syslog_target(text: str, where: str = "") -> SyslogTarget:
    """``HOST``, ``HOST:PORT`` or ``[IPv6]:PORT``; :class:`BadSyslogTarget` naming ``where``
    (a file, a host) otherwise."""
    text = text.strip()
    if text.startswith("["):
        address, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":")
    elif text.count(":") == 1:
        address, port = text.split(":")
        if not port:
            port = "-"  # "host:" names no port: refused rather than guessed
    else:
        address, port = text, ""
    if not address or (port and (not port.isdigit() or not 1 <= int(port) <= 65535)):
        prefix = f"{where}: " if where else ""
        raise BadSyslogTarget(f"{prefix}syslog server '{text}' is not host[:port]")
    return SyslogTarget(address, int(port) if port else None)
