"""A deploy's part of the baseline's host firewall.

The baseline owns ``/etc/nftables.conf``: one ``table inet provnet`` (both families) and, at
its end, ``include "/etc/nftables.d/*.nft"``. Another deploy never writes a second table: it
owns one file in ``/etc/nftables.d/`` that adds its rules (or a chain) to that table, checked
with ``nft -c`` and loaded by reloading ``nftables.service`` (the whole ruleset again, in
one transaction; established connections stay, as conntrack keeps them). Without the
baseline's ruleset (Debian's own ``nftables.conf`` includes nothing) the file is inert.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyinfra.operations import server
from pyinfra.operations.util import any_changed

from deploys.servers.baseline import FileSpec, put_file

NFTABLES_D = "/etc/nftables.d"
TABLE = "inet provnet"
CHECK = "nft -c -f /etc/nftables.conf"
# Reload only when nftables runs: a host without the baseline's firewall is left as it is.
RELOAD = "systemctl try-reload-or-restart nftables.service"


def header(deploy: str) -> str:
    return f"Managed by provnet (deploy {deploy}): edit the inventory, not this file."


def snippet(deploy: str, name: str, why: str, rules: Sequence[str]) -> FileSpec:
    """``/etc/nftables.d/NAME.nft``: ``rules`` (nft statements naming ``table inet provnet``)
    with a header saying who owns the file and why it is there."""
    lines = ["#!/usr/sbin/nft -f", f"# {header(deploy)}", f"# {why}", *rules]
    return FileSpec(f"{NFTABLES_D}/{name}.nft", "\n".join(lines) + "\n")


def accept_ports(
    deploy: str, name: str, why: str, ports: str, protocols: Sequence[str]
) -> FileSpec:
    """A snippet that lets ``ports`` (an nft set, e.g. ``{ 80, 443 }``) in over ``protocols``,
    from anywhere, on both families."""
    l4 = protocols[0] if len(protocols) == 1 else "{ " + ", ".join(protocols) + " }"
    rule = f"add rule {TABLE} input meta l4proto {l4} th dport {ports} accept"
    return snippet(deploy, name, why, [rule])


def install(spec: FileSpec) -> None:
    """The snippet in place (``/etc/nftables.d`` made if missing); the ruleset checked and
    reloaded when it changed. The one way a deploy adds to the host firewall."""
    written = put_file(spec)
    server.shell(name=f"check: {CHECK}", commands=[CHECK], _if=any_changed(written))
    server.shell(name="nftables reloaded", commands=[RELOAD], _if=any_changed(written))
