"""``monitoring``: node_exporter on every server; on the monitoring server, Prometheus with the
configuration, rules and targets ``provnet exporter prometheus-config`` generated, and
Alertmanager with the province's routing.

The generated files reach this deploy as files on the workstation, as pyinfra deploys take
local files: the directory ``provnet exporter prometheus-config --out DIR`` wrote (with the
Alertmanager routing beside it, ``DIR/alertmanager.yml``, e.g. a copy of
``exporters/alertmanager.yml``), named by the host data ``prometheus_dir``
(``provnet servers deploy monitoring --data prometheus_dir=DIR``, or pyinfra's own
``--data``). Hosts without it get node_exporter only. This deploy never imports the
exporters: what it uploads is what the command wrote, byte for byte.

- node_exporter (Debian's ``prometheus-node-exporter``), reachable from the management
  prefixes (baseline's firewall table);
- Prometheus reads ``/etc/prometheus/provnet/prometheus.yml`` (and its ``file_sd/`` and
  ``rules/``; files no longer generated are removed), keeps its data as long as the level
  requires (``monitoring_retention_days`` in ``levels.yaml``), is checked with ``promtool``
  before a reload;
- Alertmanager reads ``/etc/prometheus/alertmanager.yml`` (checked with ``amtool``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pyinfra.api.deploy import deploy
from pyinfra.context import host
from pyinfra.facts.files import FindFiles
from pyinfra.operations import apt, files

from deploys.errors import ServerDeployError
from deploys.servers import firewall
from deploys.servers.base import ServerDeploy, run_as_deploy_file
from deploys.servers.baseline import FileSpec, ensure_service, put_file
from deploys.servers.hostdata import ServerData, server_data
from deploys.servers.levels import Threshold, thresholds

HEADER = "Managed by provnet (deploy monitoring): edit the inventory, not this file."
CONFIG_DIR = "/etc/prometheus/provnet"
GENERATED_DIRS = ("file_sd", "rules")
ALERTMANAGER_FILE = "alertmanager.yml"
PROMETHEUS_DATA_KEY = "prometheus_dir"
NODE_EXPORTER_PORT = 9100
PROMETHEUS_PORT = 9090
ALERTMANAGER_PORT = 9093
NODE_PACKAGES = ("prometheus-node-exporter",)
SERVER_PACKAGES = ("prometheus", "prometheus-alertmanager")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class MonitoringRefused(ServerDeployError, ValueError):
    """The generated directory or the host's data cannot be deployed; nothing is changed."""


@dataclass(frozen=True)
class Monitoring:
    """Everything the deploy decides for one host: its data and the generated files
    (relative path -> text; empty: node_exporter only)."""

    name: str
    retention: Threshold
    management: tuple[Network, ...]
    generated: dict[str, str]

    @property
    def prometheus(self) -> bool:
        return bool(self.generated)


def read_generated(directory: str) -> dict[str, str]:
    """The files ``provnet exporter prometheus-config`` wrote in ``directory`` (and its
    ``alertmanager.yml``), by relative path: the deploy's only local I/O."""
    root = Path(directory)
    found = {"prometheus.yml": root / "prometheus.yml", ALERTMANAGER_FILE: root / ALERTMANAGER_FILE}
    for sub in GENERATED_DIRS:
        found |= {f"{sub}/{p.name}": p for p in sorted((root / sub).glob("*")) if p.is_file()}
    missing = [relative for relative, path in found.items() if not path.is_file()]
    if missing:
        raise MonitoringRefused(
            f"{PROMETHEUS_DATA_KEY} {directory}: no {', '.join(missing)}: run `provnet exporter "
            f"prometheus-config --out {directory}` and put the Alertmanager routing there as "
            f"{ALERTMANAGER_FILE} (e.g. a copy of exporters/alertmanager.yml)"
        )
    try:
        return {relative: path.read_text(encoding="utf-8") for relative, path in found.items()}
    except (OSError, UnicodeDecodeError) as exc:
        raise MonitoringRefused(f"{PROMETHEUS_DATA_KEY} {directory}: {exc}") from None


def decide(server: ServerData, generated: dict[str, str]) -> Monitoring:
    """What the deploy sets on ``server`` with the ``generated`` files (or none)."""
    if not server.provnet_management_prefixes:
        raise MonitoringRefused(
            f"host {server.name}: no management_prefixes in the inventory: nobody could "
            "reach the exporters"
        )
    if generated and "prometheus.yml" not in generated:
        raise MonitoringRefused(f"host {server.name}: the generated files hold no prometheus.yml")
    return Monitoring(
        name=server.name,
        retention=thresholds(server.provnet_security_level).monitoring_retention_days,
        management=tuple(server.provnet_management_prefixes),
        generated=dict(generated),
    )


def prometheus_defaults(m: Monitoring) -> str:
    days = m.retention
    return (
        f"# {HEADER}\n# Retention: {days.basis} ({days.status})\n"
        f'ARGS="--config.file={CONFIG_DIR}/prometheus.yml '
        f'--storage.tsdb.retention.time={days.value}d"\n'
    )


def nftables_conf(m: Monitoring) -> str:
    """node_exporter (and Prometheus, Alertmanager on the monitoring server) from the
    management prefixes, in baseline's ``inet provnet`` table."""
    ports = [NODE_EXPORTER_PORT, *([PROMETHEUS_PORT, ALERTMANAGER_PORT] if m.prometheus else [])]
    listed = ", ".join(str(p) for p in ports)
    lines = [f"# {HEADER}", "# The exporters and Prometheus from the management prefixes only."]
    for family, name, kind in (("ip", "v4", "ipv4_addr"), ("ip6", "v6", "ipv6_addr")):
        networks = [str(n) for n in m.management if (n.version == 4) == (family == "ip")]
        if not networks:
            continue
        lines.append(
            f"add set inet provnet monitoring_{name} {{ type {kind}; flags interval; "
            f"elements = {{ {', '.join(networks)} }}; }}"
        )
        lines.append(
            f"add rule inet provnet input {family} saddr @monitoring_{name} "
            f"tcp dport {{ {listed} }} accept"
        )
    return "\n".join(lines) + "\n"


def plan_files(m: Monitoring) -> dict[str, FileSpec]:
    """Every file the deploy writes, by role (generated files by their relative path)."""
    found = {"nftables": FileSpec("/etc/nftables.d/provnet-monitoring.nft", nftables_conf(m))}
    if not m.prometheus:
        return found
    found["prometheus-defaults"] = FileSpec("/etc/default/prometheus", prometheus_defaults(m))
    for relative, text in sorted(m.generated.items()):
        if relative == ALERTMANAGER_FILE:
            found["alertmanager"] = FileSpec(f"/etc/prometheus/{ALERTMANAGER_FILE}", text)
        else:
            found[relative] = FileSpec(f"{CONFIG_DIR}/{relative}", text)
    return found


def stale_files(m: Monitoring, present: dict[str, list[str]]) -> list[str]:
    """Files under the generated directories (``present``: directory -> its files) that the
    generated configuration no longer holds: Prometheus would still read them."""
    planned = {spec.path for spec in plan_files(m).values()}
    return sorted(
        path for files_there in present.values() for path in files_there if path not in planned
    )


# --- the deploy (I/O through pyinfra) --------------------------------------------------------


def _generated_dirs_on_host() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for sub in GENERATED_DIRS:
        directory = f"{CONFIG_DIR}/{sub}"
        found[directory] = [
            str(PurePosixPath(p)) for p in host.get_fact(FindFiles, path=directory) or []
        ]
    return found


@deploy("monitoring")
def monitoring() -> None:
    """node_exporter here; Prometheus and Alertmanager when ``prometheus_dir`` is given."""
    directory: Any = host.data.get(PROMETHEUS_DATA_KEY)
    generated = read_generated(str(directory)) if directory else {}
    m = decide(server_data(host.name, host.data.get), generated)
    packages = [*NODE_PACKAGES, *(SERVER_PACKAGES if m.prometheus else ())]
    apt.packages(name="packages", packages=packages, update=True, cache_time=3600)
    planned = plan_files(m)
    firewall.install(planned["nftables"])
    ensure_service("prometheus-node-exporter")
    if m.prometheus:
        for sub in GENERATED_DIRS:
            files.directory(name=f"dir {CONFIG_DIR}/{sub}", path=f"{CONFIG_DIR}/{sub}")
        put = {role: put_file(spec) for role, spec in planned.items() if role != "nftables"}
        removed = [
            files.file(name=f"stale {path}", path=path, present=False)
            for path in stale_files(m, _generated_dirs_on_host())
        ]
        config = [op for role, op in put.items() if role != "alertmanager"]
        ensure_service(
            "prometheus",
            *config,
            *removed,
            check=f"promtool check config {CONFIG_DIR}/prometheus.yml",
        )
        ensure_service(
            "prometheus-alertmanager",
            put["alertmanager"],
            check=f"amtool check-config /etc/prometheus/{ALERTMANAGER_FILE}",
        )


DEPLOY = ServerDeploy(
    name="monitoring",
    function=monitoring,
    title_vi="Giám sát: node_exporter; Prometheus (cấu hình, luật, mục tiêu sinh từ inventory) "
    "và Alertmanager trên máy chủ giám sát",
    title_en="Monitoring: node_exporter; Prometheus (configuration, rules and targets from the "
    "inventory) and Alertmanager on the monitoring server",
)

run_as_deploy_file(__file__, monitoring)
