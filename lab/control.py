"""``provnet lab up|status|fault|down``: the twin daemon's life, from the command line.

Everything the twin leaves on the machine lives in one state directory
(``$PROVNET_LAB_DIR``, default ``/tmp/provnet-lab-UID``): the daemon's pid file,
log and control socket, the SSH host key, the lab secrets file (mode 0600) and the
overlay inventory. ``down`` removes all of it, also after a crash.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml_rs

from inventory.model import SiteKind
from inventory.resolve import DeviceView, iter_devices
from inventory.select import select_devices
from inventory.source import load_yaml
from inventory.validate import load_valid
from lab.device.server import load_or_create_host_key
from lab.errors import BadStateDir, LabAlreadyUp, LabError, LabNotUp, LabStartFailed
from lab.image import ImageError, ensure_image
from lab.netns import (
    CLIENT_KEY,
    MIRROR_PORT,
    NetnsError,
    ServersView,
    cleanup_stale,
    plan_hosts,
    root_available,
)
from lab.state import SERVER_ROLE, is_server_platform
from lab.twin import (
    DEFAULT_BASE,
    LAB_LINUX_CREDENTIALS,
    ServersOverlay,
    TwinSpec,
    device_prefixes,
    expand_to_sites,
    overlay_documents,
    plan_twin,
    secrets_file_values,
    server_networks,
    spec_to_json,
)

ENV_LAB_DIR = "PROVNET_LAB_DIR"
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 15.0


CONTROL = "control.sock"
PIDFILE = "daemon.pid"
READY = "ready"
SERVERS = "servers.json"
HOST_KEY = "ssh_host_key"
KNOWN_HOSTS = "known_hosts"
NETNS_DIR = "netns"


def default_state_dir() -> Path:
    if env := os.environ.get(ENV_LAB_DIR):
        return Path(env)
    return Path("/tmp") / f"provnet-lab-{os.getuid()}"


@dataclass(frozen=True)
class UpResult:
    state_dir: Path
    overlay: Path
    secrets_file: Path
    devices: int
    seconds: float
    note: str = ""
    # SSH host keys of every simulated device (``[host]:port key``), in the overlay
    # inventory, where `provnet net` looks for it by default.
    known_hosts: Path | None = None

    def environment(self) -> dict[str, str]:
        """What to export so that every provnet command runs against the twin."""
        return {
            "PROVNET_INVENTORY": str(self.overlay),
            "PROVNET_SECRETS_FILE": str(self.secrets_file),
        }


def _pid(state_dir: Path) -> int | None:
    try:
        return int((state_dir / PIDFILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """Whether ``pid`` is our twin daemon (not another process that reused the number)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"lab.daemon" in cmdline


def is_up(state_dir: Path) -> bool:
    pid = _pid(state_dir)
    return pid is not None and _alive(pid)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _inventory_documents(root: Path) -> dict[str, Any]:
    documents = {}
    for path in [
        root / "province.yaml",
        *sorted(root.glob("sites/*.y*ml")),
        *sorted(root.glob("communes/*.y*ml")),
    ]:
        documents[str(path.relative_to(root))] = load_yaml(path.read_text(encoding="utf-8"))
    return documents


def write_overlay(
    root: Path, spec: TwinSpec, target: Path, servers: ServersOverlay | None = None
) -> None:
    documents = overlay_documents(_inventory_documents(root), spec, servers)
    (target / "communes").mkdir(parents=True, exist_ok=True)  # a twin of sites only has none
    for relative, document in documents.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = str(yaml_rs.dumps(document)).removeprefix("---\n")
        path.write_text(text, encoding="utf-8")


def lab_up(
    inventory: Path | None,
    limits: list[str],
    state_dir: Path | None = None,
    base: ipaddress.IPv4Address = DEFAULT_BASE,
) -> UpResult:
    """Plan the twin, write its files, start the daemon and wait until it serves."""
    started = time.monotonic()
    state_dir = state_dir or default_state_dir()
    if (state_dir.exists() or state_dir.is_symlink()) and not state_dir.is_dir():
        raise BadStateDir(f"--state-dir {state_dir}: exists and is not a directory")
    if is_up(state_dir):
        raise LabAlreadyUp(f"the twin is already up ({state_dir}); run 'provnet lab down' first")
    cleanup(state_dir)
    inv = load_valid(inventory)
    everything = list(iter_devices(inv))
    chosen = expand_to_sites(everything, select_devices(everything, limits))
    spec = plan_twin(inv, chosen, base)
    state_dir.mkdir(parents=True, mode=0o700)
    _write_private(state_dir / "twin.json", spec_to_json(spec))
    secrets_file = state_dir / "secrets.yaml"
    _write_private(secrets_file, str(yaml_rs.dumps(secrets_file_values(spec))))
    servers, note = _plan_servers(chosen, state_dir, base, spec)
    overlay = state_dir / "inventory"
    write_overlay(inv.root, spec, overlay, servers)
    known_hosts = overlay / KNOWN_HOSTS
    known_hosts.write_text(known_hosts_text(spec, state_dir / HOST_KEY), encoding="utf-8")
    log = (state_dir / "daemon.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "lab.daemon", str(state_dir)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    log.close()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not (state_dir / READY).exists():
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                process.kill()
                process.wait(5)
            tail = (state_dir / "daemon.log").read_text(errors="replace")[-2000:]
            cleanup(state_dir)
            raise LabStartFailed(f"the twin daemon did not start: {tail.strip()}")
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    return UpResult(
        state_dir,
        overlay,
        secrets_file,
        len(spec.devices) + len(servers.fields),
        elapsed,
        note,
        known_hosts,
    )


def known_hosts_text(spec: TwinSpec, host_key_path: Path) -> str:
    """known_hosts lines for every simulated device; creates the twin's host key if missing
    (the daemon serves that same key)."""
    key = load_or_create_host_key(host_key_path)
    kind, blob = key.export_public_key("openssh").decode().split()[:2]
    # Every simulated device serves the same key: one line, its hosts comma-separated (an
    # SSH client parses the whole file on every connection; 700 lines cost 700 key parses).
    hosts = ",".join(f"[{d.host}]:{d.ssh_port}" for d in spec.devices)
    return f"{hosts} {kind} {blob}\n" if hosts else ""


def netns_prefix(state_dir: Path) -> str:
    """Namespace names of one twin: ``pvl<hash of its state dir>-N``."""
    return "pvl" + hashlib.sha1(str(state_dir.resolve()).encode()).hexdigest()[:6]


def _plan_servers(
    chosen: list[DeviceView], state_dir: Path, base: ipaddress.IPv4Address, spec: TwinSpec
) -> tuple[ServersOverlay, str]:
    """Linux servers as Debian systems on the twin LAN, when root; else a note why not.

    The overlay points each at its twin address, the lab's key, the twin's package mirror
    (a flat repository), keeps chrony from setting the clock this machine shares with it
    (``ntp_set_clock: false``), adds the twin LAN to the management prefixes and makes the
    twin servers of the SOC's sites (kind ``soc``) the province's syslog servers."""
    servers = [
        v
        for v in chosen
        if v.role.value == SERVER_ROLE and is_server_platform(v.platform) and not v.monitor_only
    ]
    if not servers:
        return ServersOverlay(), ""
    available, reason = root_available()
    skipped = f"{len(servers)} máy chủ Linux bỏ qua (Linux servers skipped)"
    if not available:
        return ServersOverlay(), f"{skipped}: {reason}"
    try:
        image = ensure_image()
    except ImageError as exc:
        return ServersOverlay(), f"{skipped}: {exc}"
    ipv4_lan, ipv6_lan = server_networks(base)
    hosts = plan_hosts([v.name for v in servers], ipv4_lan=ipv4_lan, ipv6_lan=ipv6_lan)
    netns_dir = state_dir / NETNS_DIR
    mirror = f"http://{ipv4_lan.network_address + 1}:{MIRROR_PORT}/"
    plan = {
        "prefix": netns_prefix(state_dir),
        "apt_mirror": mirror,
        "image": {"root": str(image.root), "mirror": str(image.mirror), "key": image.key},
        "device_prefixes": [str(p) for p in device_prefixes(spec)],
        "hosts": [
            {"name": h.name, "ipv4": str(h.ipv4), "ipv6": str(h.ipv6) if h.ipv6 else None}
            for h in hosts
        ],
    }
    (state_dir / SERVERS).write_text(json.dumps(plan), encoding="utf-8")
    flat_mirror: dict[str, Any] = {
        "url": mirror,
        "suite": "./",
        "security_suite": None,
        "components": [],
        "trusted": True,
    }
    fields = {
        h.name: {
            "mgmt": {"ipv4": str(h.ipv4.ip), **({"ipv6": str(h.ipv6.ip)} if h.ipv6 else {})},
            "ssh_credentials": LAB_LINUX_CREDENTIALS,
            "apt_mirror": flat_mirror,
            "data": {"ntp_set_clock": False},
        }
        for h in hosts
    }
    credentials = {
        LAB_LINUX_CREDENTIALS: {
            "kind": "ssh",
            "username": "root",
            "private_key_file": str(netns_dir / CLIENT_KEY),
        }
    }
    soc = {v.name for v in servers if v.site.kind is SiteKind.SOC}
    collectors = tuple(str(h.ipv4.ip) for h in hosts if h.name in soc)
    lan = (str(ipv4_lan), str(ipv6_lan))
    return ServersOverlay(fields, credentials, lan, collectors), ""


def servers_status(state_dir: Path) -> list[tuple[str, str, str, str, str]]:
    """One row per booted server of the twin: name, addresses, what its systemd says, RSS."""
    if not (state_dir / NETNS_DIR / "twin.json").exists():
        return []
    view = ServersView.read(state_dir / NETNS_DIR)
    rows = []
    for host in view.hosts:
        try:
            state = view.run(host.name, ["systemctl", "is-system-running"], timeout=10)
            said = state.stdout.strip() or "?"
        except NetnsError as exc:
            said = str(exc)
        rows.append(
            (
                host.name,
                str(host.address),
                str(host.address6 or "-"),
                said,
                f"{view.rss_bytes(host.name) / 2**20:.0f}",
            )
        )
    return rows


def request(state_dir: Path, payload: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    if not is_up(state_dir):
        raise LabNotUp(f"the twin is not up ({state_dir}); start it with 'provnet lab up'")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(state_dir / CONTROL))
        sock.sendall(json.dumps(payload).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    answer: dict[str, Any] = json.loads(data or b"{}")
    if not answer.get("ok"):
        raise LabError(answer.get("error", "the twin did not answer"))
    return answer


def lab_down(state_dir: Path | None = None) -> bool:
    """Stop the daemon (politely, then by its PID) and remove every file. True if it ran."""
    state_dir = state_dir or default_state_dir()
    pid = _pid(state_dir)
    was_up = pid is not None and _alive(pid)
    if was_up and pid is not None:
        try:
            request(state_dir, {"op": "stop"}, timeout=STOP_TIMEOUT_S)
        except (OSError, LabError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    cleanup(state_dir)
    return was_up


def cleanup(state_dir: Path) -> None:
    """Remove what a previous twin left, if its daemon is gone (a crash, a kill -9)."""
    if not state_dir.exists() or is_up(state_dir):
        return
    if (state_dir / SERVERS).exists():
        cleanup_stale(netns_prefix(state_dir), state_dir / NETNS_DIR)
    shutil.rmtree(state_dir, ignore_errors=True)
