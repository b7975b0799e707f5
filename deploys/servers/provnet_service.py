"""provnet itself on a server: installed from a wheelhouse into its own venv, run by a system
user as hardened systemd services (the exporter; ``vc watch``), reading an inventory copy
and, apart, the secrets its credentials name.

Decisions only (file contents, whether to reinstall, where the exporter listens); the
``monitoring`` deploy does the I/O.
"""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from deploys.errors import ServerDeployError
from inventory.model import SecretRef

USER = "provnet"
OPT = "/opt/provnet"
VENV = f"{OPT}/venv"
WHEELHOUSE_TAR = f"{OPT}/wheelhouse.tar"
STAMP = f"{VENV}/provnet-wheelhouse"
ETC = "/etc/provnet"
INVENTORY_TAR = f"{OPT}/inventory.tar"
INVENTORY_DIR = f"{ETC}/inventory"
ENV_FILE = f"{ETC}/provnet.env"
SECRETS_FILE = f"{ETC}/secrets.yaml"
SESSIONS_FILE = f"{ETC}/vc-sessions.yaml"
STATE_DIR = "/var/lib/provnet"
# Debian's prometheus-node-exporter reads *.prom there (--collector.textfile.directory).
TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"
VC_TEXTFILE = "provnet_vc.prom"
# vc watch writes its textfile in its own state directory (node_exporter's directory is not
# the provnet user's to write); a link there lets node_exporter read it.
OWN_TEXTFILE = f"{STATE_DIR}/textfile/{VC_TEXTFILE}"
TEXTFILE_LINK = f"{TEXTFILE_DIR}/{VC_TEXTFILE}"
EXPORTER_UNIT = "provnet-exporter.service"
VC_UNIT = "provnet-vc-watch.service"
EXPORTER_JOB = "provnet_exporter"
STAMP_COMMAND = f"cat {STAMP} 2>/dev/null || true"
PYTHON_COMMAND = "python3 -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])' || true"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
HEADER = "Managed by provnet (deploy monitoring): edit the inventory, not this file."
SNMP_KINDS = ("snmp_v2c", "snmp_v3")


class ServiceRefused(ServerDeployError, ValueError):
    """provnet cannot be set up on this host as asked; nothing is changed."""


@dataclass(frozen=True)
class Secrets:
    """Resolved values the server's copy of provnet needs: ``{env: NAME}`` references go to
    its environment file, ``{secret: NAME}`` ones to its secrets file (name -> value)."""

    env: dict[str, str]
    files: dict[str, str]


def exporter_listen(prometheus_yml: str, addresses: Iterable[str]) -> str:
    """Where the exporter listens: the address the generated configuration scrapes it at
    (``--exporter`` of ``provnet exporter prometheus-config``), which must be this host's."""
    try:
        document = yaml.safe_load(prometheus_yml) or {}
        job = next(j for j in document["scrape_configs"] if j["job_name"] == EXPORTER_JOB)
        target = str(job["static_configs"][0]["targets"][0])
    except (yaml.YAMLError, KeyError, IndexError, TypeError, StopIteration):
        raise ServiceRefused(
            f"prometheus.yml: no {EXPORTER_JOB} job with a target: regenerate it with "
            "`provnet exporter prometheus-config`"
        ) from None
    host, _, port = target.rpartition(":")
    host = host.strip("[]")
    if host not in LOOPBACK and host not in set(addresses):
        raise ServiceRefused(
            f"prometheus.yml scrapes the exporter at {target}, not an address of this host "
            f"({', '.join(sorted(addresses)) or 'none'}): run `provnet exporter "
            "prometheus-config --exporter ADDRESS:PORT` with this server's address"
        )
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def exporter_port(listen: str) -> int:
    return int(listen.rpartition(":")[2])


def check_python(found: str, wanted: str) -> None:
    """The server's python3 must run the wheelhouse's wheels (built for ``wanted``)."""
    if found.strip() != wanted:
        raise ServiceRefused(
            f"python3 on the server is {found.strip() or 'missing'}, the wheelhouse is for "
            f"Python {wanted}: build it with Python {wanted} (the server's)"
        )


def install_needed(stamp: str, key: str) -> bool:
    """Reinstall when the venv was installed from another wheelhouse (or none)."""
    return stamp.strip() != key


def install_command(key: str) -> str:
    """A fresh venv from the uploaded wheelhouse only (no index), stamped with its key."""
    wheels = f"{OPT}/wheels"
    return (
        f"set -e; rm -rf {VENV} {wheels}; mkdir -p {wheels}; "
        f"tar -xf {WHEELHOUSE_TAR} -C {wheels}; python3 -m venv {VENV}; "
        f"{VENV}/bin/pip install -q --disable-pip-version-check --no-index "
        f"--find-links {wheels} provnet; echo {key} > {STAMP}; rm -rf {wheels}"
    )


def unpack_inventory_command() -> str:
    return (
        f"set -e; rm -rf {INVENTORY_DIR}.new; mkdir -p {INVENTORY_DIR}.new; "
        f"tar -xf {INVENTORY_TAR} -C {INVENTORY_DIR}.new; "
        f"chown -R root:{USER} {INVENTORY_DIR}.new; chmod -R u=rwX,g=rX,o= {INVENTORY_DIR}.new; "
        f"rm -rf {INVENTORY_DIR}; mv {INVENTORY_DIR}.new {INVENTORY_DIR}"
    )


def inventory_tar(root: Path) -> bytes:
    """The inventory directory as a tar with fixed metadata: the same files give the same
    bytes, so an unchanged inventory is not uploaded again."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        # Directories too: an empty communes/ (a twin of sites only) is still the inventory's.
        walked = list(os.walk(root, followlinks=True))
        found = [Path(d) for d, _, _ in walked] + [Path(d) / f for d, _, fs in walked for f in fs]
        for path in sorted(found):
            relative = path.relative_to(root)
            if not relative.parts or any(
                part.startswith(".") or part == "__pycache__" for part in relative.parts
            ):
                continue
            info = tarfile.TarInfo(relative.as_posix())
            info.mtime = 0
            if path.is_dir():
                info.type, info.mode = tarfile.DIRTYPE, 0o750
                tar.addfile(info)
                continue
            data = path.read_bytes()
            info.size, info.mode = len(data), 0o640
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def split_secrets(
    references: Iterable[tuple[str, SecretRef]], resolve: Callable[[SecretRef, str], str | None]
) -> Secrets:
    """The values of ``references`` (``set.field``, the reference), by where the server's
    provnet will look them up; one that ``resolve`` gives None for is left out."""
    env: dict[str, str] = {}
    files: dict[str, str] = {}
    for name, ref in references:
        value = resolve(ref, name)
        if value is None:
            continue
        if ref.env:
            env[ref.env] = value
        elif ref.secret:
            files[ref.secret] = value
    return Secrets(env, files)


def required_credentials(kind: str) -> bool:
    """Without these the exporter cannot run its job."""
    return kind in SNMP_KINDS


def wanted_credentials(kind: str, vc_watch: bool) -> bool:
    """The exporter needs the SNMP credential sets; ``vc watch`` logs in to endpoints too."""
    return vc_watch or kind in SNMP_KINDS


def env_file(secrets: Secrets) -> str:
    """systemd's EnvironmentFile syntax: one ``NAME="value"`` a line, ``\\`` and ``"``
    escaped."""
    lines = [f"# {HEADER}"]
    for name, value in sorted(secrets.env.items()):
        if "\n" in value or "\r" in value:
            raise ServiceRefused(f"secret {name}: a line break cannot go in an environment file")
        quoted = value.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'{name}="{quoted}"')
    return "\n".join(lines) + "\n"


def secrets_yaml(secrets: Secrets) -> str:
    return f"# {HEADER}\n" + yaml.safe_dump(dict(sorted(secrets.files.items())), sort_keys=True)


HARDENING = """NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
CapabilityBoundingSet=
AmbientCapabilities="""


def _unit(description: str, exec_start: str, extra: str = "", umask: str = "0027") -> str:
    return (
        f"# {HEADER}\n[Unit]\nDescription={description}\nWants=network-online.target\n"
        f"After=network-online.target\n\n[Service]\nUser={USER}\nGroup={USER}\n"
        f"EnvironmentFile={ENV_FILE}\nEnvironment=PROVNET_SECRETS_FILE={SECRETS_FILE}\n"
        f"Environment=PROVNET_INVENTORY={INVENTORY_DIR}\nEnvironment=PYTHONDONTWRITEBYTECODE=1\n"
        f"StateDirectory=provnet\nWorkingDirectory={STATE_DIR}\n"
        f"ExecStart={exec_start}\n{extra}{HARDENING}\nUMask={umask}\n\n"
        "[Install]\nWantedBy=multi-user.target\n"
    )


def exporter_unit(listen: str) -> str:
    return _unit(
        "provnet SNMP and probe exporter (multi-target)",
        f"{VENV}/bin/provnet exporter serve --listen {listen} --inventory {INVENTORY_DIR}",
        "Restart=on-failure\nRestartSec=5\n",
    )


def vc_unit() -> str:
    """``vc watch`` as a service: it sleeps until each session's T-60 and T-15 checks and
    exits when no session has one left; a new sessions file (this deploy) restarts it."""
    return _unit(
        "provnet video-conference readiness watch (T-60, T-15)",
        f"{VENV}/bin/provnet vc watch {SESSIONS_FILE} --out-dir {STATE_DIR}/vc "
        f"--inventory {INVENTORY_DIR} --textfile {OWN_TEXTFILE}",
        "StateDirectory=provnet/vc provnet/textfile\nRestart=on-failure\nRestartSec=60\n",
        umask="0022",  # node_exporter (its own user) reads the textfile; it holds no secret
    )
