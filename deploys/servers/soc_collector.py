"""``soc_collector``: the SOC's central log server (TCVN 11930:2017: every server and network
device logs to a central collector, logs kept by level).

- rsyslog receives syslog over TCP and UDP 514 (and RELP where the collector's inventory
  data says ``syslog_relp_port``) into its own ruleset: one file per sending host,
  ``/var/log/soc/<host>.log`` (the host name sanitised for a path), never mixed with the
  collector's own logs;
- logrotate keeps each host's file as long as the site's security level requires
  (``log_retention_days`` in ``levels.yaml``, with its legal basis);
- the host firewall (baseline's ``inet provnet`` table) opens those ports to the senders
  only: the province's address plan and the management prefixes.

Run it on the SOC's log servers (``--limit kind=soc``); the baseline then forwards every
server's logs there (the province's ``syslog_servers``). Everything written is computed by
:func:`plan_files` from the host's data alone: ``tests/deploys/data/servers/soc_collector/``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from pyinfra.api.deploy import deploy
from pyinfra.context import host
from pyinfra.operations import apt, files

from deploys.errors import ServerDeployError
from deploys.servers import firewall
from deploys.servers.base import ServerDeploy, run_as_deploy_file
from deploys.servers.baseline import FileSpec, ensure_service, put_file
from deploys.servers.hostdata import ServerData, server_data
from deploys.servers.levels import Threshold, thresholds
from inventory.syslog import SYSLOG_PORT

HEADER = "Managed by provnet (deploy soc_collector): edit the inventory, not this file."
LOG_DIR = "/var/log/soc"
PACKAGES = ("rsyslog", "logrotate")
RELP_PACKAGE = "rsyslog-relp"
RELP_DATA_KEY = "syslog_relp_port"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class CollectorRefused(ServerDeployError, ValueError):
    """The host's data cannot make a collector; nothing is changed on it."""


@dataclass(frozen=True)
class Collector:
    """Everything the collector decides for one host, from its data."""

    name: str
    retention: Threshold
    relp_port: int | None
    senders_v4: tuple[ipaddress.IPv4Network, ...]
    senders_v6: tuple[ipaddress.IPv6Network, ...]


def decide(server: ServerData) -> Collector:
    """What the collector sets on ``server``; :class:`CollectorRefused` when its data says
    nothing about who may send (no address plan, no management prefix) or a bad RELP port."""
    where = f"host {server.name}"
    relp = server.provnet_data.get(RELP_DATA_KEY)
    if relp is not None and (
        isinstance(relp, bool) or not isinstance(relp, int) or not 1 <= relp <= 65535
    ):
        raise CollectorRefused(f"{where}: data.{RELP_DATA_KEY} must be a port number, not {relp!r}")
    if relp == SYSLOG_PORT:
        raise CollectorRefused(f"{where}: data.{RELP_DATA_KEY} {relp} is the plain syslog port")
    senders = [*server.provnet_address_plan, *server.provnet_management_prefixes]
    if not senders:
        raise CollectorRefused(
            f"{where}: no address plan or management_prefixes in the inventory: the firewall "
            "would accept syslog from nobody"
        )
    v4 = [n for n in senders if isinstance(n, ipaddress.IPv4Network)]
    v6 = [n for n in senders if isinstance(n, ipaddress.IPv6Network)]
    return Collector(
        name=server.name,
        retention=thresholds(server.provnet_security_level).log_retention_days,
        relp_port=relp,
        senders_v4=tuple(ipaddress.collapse_addresses(v4)),
        senders_v6=tuple(ipaddress.collapse_addresses(v6)),
    )


def rsyslog_conf(c: Collector) -> str:
    """Inputs bound to their own ruleset: remote lines go to one file per host only."""
    relp = c.relp_port is not None
    lines = [
        f"# {HEADER}",
        "# Syslog from every server and network device, one file per sending host.",
        'module(load="imtcp" MaxSessions="2000")',
        'module(load="imudp")',
        *(['module(load="imrelp")'] if relp else []),
        f'template(name="provnet_soc_file" type="string" string="{LOG_DIR}/'
        '%HOSTNAME:::secpath-replace%.log")',
        'ruleset(name="provnet_soc") {',
        '\taction(type="omfile" dynaFile="provnet_soc_file" dynaFileCacheSize="1000"',
        '\t\tfileOwner="root" fileGroup="adm" fileCreateMode="0640" dirCreateMode="0750")',
        "\tstop",
        "}",
        f'input(type="imtcp" port="{SYSLOG_PORT}" ruleset="provnet_soc")',
        f'input(type="imudp" port="{SYSLOG_PORT}" ruleset="provnet_soc")',
        *([f'input(type="imrelp" port="{c.relp_port}" ruleset="provnet_soc")'] if relp else []),
    ]
    return "\n".join(lines) + "\n"


def logrotate_conf(c: Collector) -> str:
    """Daily, ``rotate N``: at least N days of each host's lines are kept."""
    days = c.retention
    return (
        f"# {HEADER}\n# Retention: {days.basis} ({days.status})\n"
        f"{LOG_DIR}/*.log\n{{\n\tdaily\n\trotate {days.value}\n\tdateext\n\tmissingok\n"
        "\tnotifempty\n\tcompress\n\tdelaycompress\n\tsharedscripts\n\tpostrotate\n"
        "\t\t/usr/lib/rsyslog/rsyslog-rotate\n\tendscript\n}\n"
    )


def _set(name: str, kind: str, networks: tuple[Network, ...]) -> str:
    elements = ", ".join(str(n) for n in networks)
    return (
        f"add set inet provnet {name} {{ type {kind}; flags interval; "
        f"elements = {{ {elements} }}; }}"
    )


def nftables_conf(c: Collector) -> str:
    """Rules added to baseline's ``inet provnet`` table (its ``/etc/nftables.conf`` includes
    ``/etc/nftables.d/*.nft``): syslog and RELP from the senders only."""
    lines = [f"# {HEADER}", "# Syslog from the province's address plan and management prefixes."]
    for family, name, kind, networks in (
        ("ip", "syslog_senders_v4", "ipv4_addr", c.senders_v4),
        ("ip6", "syslog_senders_v6", "ipv6_addr", c.senders_v6),
    ):
        if not networks:
            continue
        lines.append(_set(name, kind, networks))
        lines.append(
            f"add rule inet provnet input {family} saddr @{name} meta l4proto {{ tcp, udp }} "
            f"th dport {SYSLOG_PORT} accept"
        )
        if c.relp_port is not None:
            lines.append(
                f"add rule inet provnet input {family} saddr @{name} tcp dport {c.relp_port} accept"
            )
    return "\n".join(lines) + "\n"


def plan_files(c: Collector) -> dict[str, FileSpec]:
    """Every file the collector writes, by role, in the order they are written."""
    return {
        "rsyslog": FileSpec("/etc/rsyslog.d/10-provnet-soc-collector.conf", rsyslog_conf(c)),
        "logrotate": FileSpec("/etc/logrotate.d/provnet-soc", logrotate_conf(c)),
        "nftables": FileSpec("/etc/nftables.d/provnet-soc-collector.nft", nftables_conf(c)),
    }


@deploy("soc_collector")
def soc_collector() -> None:
    """Make this host the SOC's log collector, as its inventory data and level say."""
    c = decide(server_data(host.name, host.data.get))
    packages = [*PACKAGES, *([RELP_PACKAGE] if c.relp_port is not None else [])]
    apt.packages(name="packages", packages=packages, update=True, cache_time=3600)
    files.directory(
        name=f"dir {LOG_DIR}", path=LOG_DIR, present=True, user="root", group="adm", mode="750"
    )
    planned = plan_files(c)
    put = {role: put_file(spec) for role, spec in planned.items() if role != "nftables"}
    ensure_service("rsyslog", put["rsyslog"], check="rsyslogd -N1")
    firewall.install(planned["nftables"])


DEPLOY = ServerDeploy(
    name="soc_collector",
    function=soc_collector,
    title_vi="Máy chủ thu thập log SOC: syslog TCP/UDP 514 (RELP), mỗi máy một tệp, lưu theo "
    "cấp độ",
    title_en="SOC log collector: syslog over TCP/UDP 514 (RELP), one file per host, kept by "
    "security level",
)

run_as_deploy_file(__file__, soc_collector)
