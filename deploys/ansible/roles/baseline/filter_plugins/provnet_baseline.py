"""Filters of the baseline role: the decisions deploys/servers/baseline.py makes in Python
(syslog targets, management prefixes by family, the lockout check), for a role that must run
where provnet is not installed (AWX), so they cannot import it; the twin tests hold the two to
the same result on a server."""

from __future__ import annotations

import ipaddress
from typing import Any

from ansible.errors import AnsibleFilterError

SYSLOG_PORT = 514


def syslog_targets(
    servers: list[str], own: list[Any], name: str = "", default_port: int = SYSLOG_PORT
) -> list[dict[str, Any]]:
    """``host``, ``host:port`` or ``[IPv6]:port`` of each syslog server (``default_port``, the
    transport's, when it names none), less the host's own addresses (the collector does not
    forward to itself). inventory/syslog.py reads them the same way."""
    found: list[dict[str, Any]] = []
    mine = {str(a) for a in own if a}
    for given in servers or []:
        text = str(given).strip()
        if text.startswith("["):
            address, _, rest = text[1:].partition("]")
            port = rest.removeprefix(":") or str(default_port)
        elif text.count(":") == 1:
            address, port = text.split(":")
        else:
            address, port = text, str(default_port)
        if not address or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise AnsibleFilterError(f"host {name}: syslog server '{text}' is not host[:port]")
        if address not in mine:
            found.append({"host": address, "port": int(port)})
    return found


def networks(prefixes: list[str], version: int) -> list[str]:
    """The prefixes of one address family, as ``ipaddress`` writes them."""
    parsed = (ipaddress.ip_network(str(p), strict=False) for p in prefixes or [])
    return [str(n) for n in parsed if n.version == version]


def lockout_problem(ssh_connection: str, prefixes: list[str], name: str = "") -> str:
    """Why the firewall would cut this run's own SSH connection ("" when it would not)."""
    words = str(ssh_connection or "").split()
    if not words:
        return (
            f"host {name}: cannot tell where the deploy connects from ($SSH_CONNECTION is "
            "empty): firewall not changed"
        )
    try:
        source = ipaddress.ip_address(words[0].split("%")[0])
    except ValueError:
        return f"host {name}: $SSH_CONNECTION does not start with an address: firewall not changed"
    if isinstance(source, ipaddress.IPv6Address) and source.ipv4_mapped:
        source = source.ipv4_mapped
    parsed = [ipaddress.ip_network(str(p), strict=False) for p in prefixes or []]
    if any(source in p for p in parsed):
        return ""
    return (
        f"host {name}: this deploy connects from {source}, outside the management prefixes "
        f"({', '.join(map(str, parsed))}): the firewall would cut it; add the prefix to "
        "management_prefixes in the inventory"
    )


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "provnet_syslog_targets": syslog_targets,
            "provnet_networks": networks,
            "provnet_lockout_problem": lockout_problem,
        }
