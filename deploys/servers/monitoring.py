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
- Alertmanager reads ``/etc/prometheus/alertmanager.yml`` (checked with ``amtool``);
- provnet's own exporter (``provnet exporter serve``) as ``provnet-exporter.service``,
  listening where the generated ``prometheus.yml`` scrapes it (``--exporter`` of
  ``prometheus-config``: loopback or an address of this host), with the inventory's SNMP
  credential sets; provnet installed from a wheelhouse built on the workstation
  (:mod:`deploys.servers.wheelhouse`) into ``/opt/provnet/venv``, reinstalled only when the
  wheelhouse's key changes (:mod:`deploys.servers.provnet_service`);
- with ``--data vc_sessions=FILE``: ``provnet vc watch FILE`` as ``provnet-vc-watch.service``,
  its Prometheus text read by node_exporter's textfile collector.

The server's provnet reads a copy of the inventory (``provnet_inventory_root``, which the
export gives every server) in ``/etc/provnet/inventory``; the secrets its credential sets
name are resolved on the workstation when the deploy runs and written only to
``/etc/provnet/provnet.env`` (``{env: ...}``, ``root:provnet 0640``) and
``/etc/provnet/secrets.yaml`` (``{secret: ...}``, ``provnet 0600``, as provnet requires of a
secrets file), never in a unit or on a command line.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from io import BytesIO, StringIO
from pathlib import Path, PurePosixPath
from typing import Any

from pyinfra.api.deploy import deploy
from pyinfra.api.operation import OperationMeta
from pyinfra.context import host
from pyinfra.facts.files import FindFiles
from pyinfra.facts.server import Command
from pyinfra.operations import apt, files, server, systemd
from pyinfra.operations.util import any_changed

from deploys.errors import ServerDeployError
from deploys.servers import firewall
from deploys.servers.base import ServerDeploy, run_as_deploy_file
from deploys.servers.baseline import FileSpec, ensure_service, put_file
from deploys.servers.hostdata import ServerData, server_data
from deploys.servers.levels import Threshold, thresholds
from deploys.servers.provnet_service import (
    ENV_FILE,
    EXPORTER_UNIT,
    INVENTORY_TAR,
    OPT,
    OWN_TEXTFILE,
    PYTHON_COMMAND,
    SECRETS_FILE,
    SESSIONS_FILE,
    STAMP_COMMAND,
    TEXTFILE_LINK,
    USER,
    VC_UNIT,
    WHEELHOUSE_TAR,
    Secrets,
    check_python,
    env_file,
    exporter_listen,
    exporter_port,
    exporter_unit,
    install_command,
    install_needed,
    inventory_tar,
    required_credentials,
    secrets_yaml,
    split_secrets,
    unpack_inventory_command,
    vc_unit,
    wanted_credentials,
)
from deploys.servers.wheelhouse import (
    Wheelhouse,
    ensure_wheelhouse,
    given_wheelhouse,
    python_version,
)
from inventory.errors import SecretUnavailable
from inventory.masking import secret_references
from inventory.model import SecretRef
from inventory.secrets import SecretStore
from inventory.validate import load_valid

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
APP_PACKAGES = ("python3-venv",)
SESSIONS_DATA_KEY = "vc_sessions"
WHEELHOUSE_DATA_KEY = "provnet_wheelhouse"
APP_ROLES = ("provnet-exporter.service", "provnet-vc-watch.service", "vc-sessions")

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
    exporter: str = ""  # where provnet's exporter listens (with Prometheus only)
    sessions: str = ""  # the vc watch sessions file's text

    @property
    def prometheus(self) -> bool:
        return bool(self.generated)

    @property
    def app(self) -> bool:
        """provnet itself runs here (its exporter, vc watch)."""
        return bool(self.exporter or self.sessions)


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


def read_sessions(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MonitoringRefused(f"{SESSIONS_DATA_KEY} {path}: {exc}") from None


def decide(server: ServerData, generated: dict[str, str], sessions: str = "") -> Monitoring:
    """What the deploy sets on ``server`` with the ``generated`` files (or none) and the
    ``vc watch`` sessions file's text (or none)."""
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
        exporter=(
            exporter_listen(generated["prometheus.yml"], server.addresses) if generated else ""
        ),
        sessions=sessions,
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
    if m.exporter:
        ports.append(exporter_port(m.exporter))
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
    if m.exporter:
        found["provnet-exporter.service"] = FileSpec(
            f"/etc/systemd/system/{EXPORTER_UNIT}", exporter_unit(m.exporter)
        )
    if m.sessions:
        found["provnet-vc-watch.service"] = FileSpec(f"/etc/systemd/system/{VC_UNIT}", vc_unit())
        found["vc-sessions"] = FileSpec(SESSIONS_FILE, m.sessions, "640")
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


def app_secrets(root: Path, vc_watch: bool) -> Secrets:
    """The values of the secrets the server's provnet needs, resolved here and now (the
    workstation's environment and secrets file). An SNMP set that cannot be resolved refuses
    the host; another (the endpoints' logins ``vc watch`` uses) is left out, and ``vc watch``
    there reports the endpoints that need it as failing, by name."""
    inv = load_valid(root)
    store = SecretStore.from_environment(root)
    kinds = {name: credential.kind for name, credential in inv.settings.credentials.items()}

    def resolve(ref: SecretRef, name: str) -> str | None:
        try:
            return store.resolve(ref, name).reveal()
        except SecretUnavailable:
            if required_credentials(kinds[name.split(".")[0]]):
                raise
            return None

    wanted = [
        (name, ref)
        for name, ref in secret_references(inv)
        if wanted_credentials(kinds[name.split(".")[0]], vc_watch)
    ]
    return split_secrets(wanted, resolve)


def _wheelhouse() -> Wheelhouse:
    given: Any = host.data.get(WHEELHOUSE_DATA_KEY)
    return given_wheelhouse(str(given), python_version()) if given else ensure_wheelhouse()


def _secret_file(path: str, text: str, owner: str, group: str, mode: str) -> OperationMeta:
    """A file of provnet's under ``/etc/provnet`` (made before). Of one holding secrets,
    ``provnet servers`` masks every secret of the inventory in the diff it shows."""
    return files.put(
        name=f"file {path}",
        src=StringIO(text),
        dest=path,
        user=owner,
        group=group,
        mode=mode,
        create_remote_dir=False,  # pyinfra would chown /etc/provnet to the file's owner
    )


def provnet_app(m: Monitoring) -> None:
    """provnet installed from the wheelhouse, its inventory copy and secrets, its services."""
    root: Any = host.data.get("provnet_inventory_root")
    if not root:
        raise MonitoringRefused(
            f"host {m.name}: no provnet_inventory_root: the server's provnet needs the "
            "inventory (give it with --data provnet_inventory_root=DIR)"
        )
    wheelhouse = _wheelhouse()
    check_python(str(host.get_fact(Command, PYTHON_COMMAND) or ""), wheelhouse.python)
    secrets = app_secrets(Path(str(root)), bool(m.sessions))
    server.group(name=f"group {USER}", group=USER, system=True)
    server.user(
        name=f"user {USER}", user=USER, group=USER, system=True, shell="/usr/sbin/nologin",
        home="/var/lib/provnet", ensure_home=False,
    )  # fmt: skip
    files.directory(name=f"dir {OPT}", path=OPT, user="root", group="root", mode="755")
    files.directory(
        name="dir /etc/provnet", path="/etc/provnet", user="root", group=USER, mode="750"
    )
    uploaded = files.put(
        name=f"file {WHEELHOUSE_TAR}",
        src=str(wheelhouse.path),
        dest=WHEELHOUSE_TAR,
        mode="644",
        create_remote_dir=False,
    )
    stamp = str(host.get_fact(Command, STAMP_COMMAND) or "")
    installed = []
    if install_needed(stamp, wheelhouse.key):
        installed.append(
            server.shell(
                name=f"provnet installed ({wheelhouse.key})",
                commands=[install_command(wheelhouse.key)],
            )
        )
    inventory = files.put(
        name=f"file {INVENTORY_TAR}", src=BytesIO(inventory_tar(Path(str(root)))),
        dest=INVENTORY_TAR, mode="600", create_remote_dir=False,
    )  # fmt: skip
    unpacked = server.shell(
        name="inventory unpacked", commands=[unpack_inventory_command()], _if=any_changed(inventory)
    )
    env = _secret_file(ENV_FILE, env_file(secrets), "root", USER, "640")
    secret_file = _secret_file(SECRETS_FILE, secrets_yaml(secrets), USER, USER, "600")
    planned = plan_files(m)
    units = [
        put_file(planned[role])
        for role in ("provnet-exporter.service", "provnet-vc-watch.service")
        if role in planned
    ]
    sessions = _secret_file(SESSIONS_FILE, m.sessions, "root", USER, "640") if m.sessions else None
    systemd.daemon_reload(name="systemd daemon-reload", _if=any_changed(*units))
    common = [uploaded, *installed, inventory, unpacked, env, secret_file, *units]
    if m.exporter:
        ensure_service(EXPORTER_UNIT, *common)
    if m.sessions:
        files.link(name=f"link {TEXTFILE_LINK}", path=TEXTFILE_LINK, target=OWN_TEXTFILE)
        # Not kept running: the watch exits once its sessions are past; enabled, it runs at
        # boot, and a changed sessions file or install restarts it.
        systemd.service(name=f"{VC_UNIT} enabled", service=VC_UNIT, running=None, enabled=True)
        systemd.service(
            name=f"{VC_UNIT} restarted", service=VC_UNIT, restarted=True,
            _if=any_changed(*common, *([sessions] if sessions else [])),
        )  # fmt: skip


@deploy("monitoring")
def monitoring() -> None:
    """node_exporter here; Prometheus and Alertmanager when ``prometheus_dir`` is given;
    provnet's exporter with Prometheus; ``vc watch`` when ``vc_sessions`` is given."""
    directory: Any = host.data.get(PROMETHEUS_DATA_KEY)
    generated = read_generated(str(directory)) if directory else {}
    sessions_file: Any = host.data.get(SESSIONS_DATA_KEY)
    sessions = read_sessions(str(sessions_file)) if sessions_file else ""
    m = decide(server_data(host.name, host.data.get), generated, sessions)
    packages = [
        *NODE_PACKAGES,
        *(SERVER_PACKAGES if m.prometheus else ()),
        *(APP_PACKAGES if m.app else ()),
    ]
    apt.packages(name="packages", packages=packages, update=True, cache_time=3600)
    planned = plan_files(m)
    firewall.install(planned["nftables"])
    ensure_service("prometheus-node-exporter")
    if m.app:
        provnet_app(m)
    if m.prometheus:
        for sub in GENERATED_DIRS:
            files.directory(name=f"dir {CONFIG_DIR}/{sub}", path=f"{CONFIG_DIR}/{sub}")
        put = {
            role: put_file(spec)
            for role, spec in planned.items()
            if role not in ("nftables", *APP_ROLES)
        }
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
