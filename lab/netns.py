"""Linux servers of the province twin: real sshd processes in network namespaces.

Each host gets its own network namespace ``{prefix}-{n}``, a veth pair (root side
``{short}h{n}``, namespace side ``eth0``) carrying a dedicated link network (an IPv4
/30 and optionally an IPv6 /64: root side first address, namespace side second), its
own UTS namespace (so ``hostname`` answers the host's name) and an OpenSSH ``sshd``
listening only on the namespace addresses. The hosts share the machine's filesystem.

Network rule: the only addresses configured are on the veth pairs this module makes,
private IPv4 or ULA IPv6 ranges that overlap nothing already on the machine; the
namespaces get no default route, so nothing inside them reaches anywhere else.

Needs root; :func:`root_available` says whether this machine can do it, and why not.

    twin = NetnsTwin()
    running = twin.start(plan_hosts(["dc-web", "dc-db"]), prefix="pv", state_dir=Path("/tmp/pv"))
    ...  # ssh root@running[0].address -i twin.key_path, or twin.write_inventory(...)
    twin.stop()
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
    ip_network,
)
from pathlib import Path

from lab.errors import LabError

__all__ = [
    "DEFAULT_IPV4_BASE",
    "DEFAULT_IPV6_BASE",
    "LinuxHost",
    "NetnsError",
    "NetnsTwin",
    "RunningHost",
    "cleanup_stale",
    "plan_hosts",
    "root_available",
]

DEFAULT_IPV4_BASE = IPv4Network("10.250.0.0/16")
DEFAULT_IPV6_BASE = IPv6Network("fd00:70:76::/48")
SSHD = "/usr/sbin/sshd"
PRIVSEP_DIR = Path("/run/sshd")
CMD_TIMEOUT = 15.0
MANIFEST = "twin.json"
CLIENT_KEY = "id_ed25519"

_IFNAMSIZ = 15
_PREFIX_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
_HOSTNAME_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_IPV6_ULA = IPv6Network("fc00::/7")
# Run as `sh -c _SSHD_SH NAME SSHD CONFIG` in a fresh UTS namespace: name the host, become sshd.
_SSHD_SH = 'hostname "$0" && exec "$1" -D -e -f "$2"'


class NetnsError(LabError, RuntimeError):
    """A twin host could not be set up or torn down; the message names host and command."""


@dataclass(frozen=True)
class LinuxHost:
    """A twin server: its name and the namespace-side addresses of its link networks."""

    name: str
    ipv4: IPv4Interface
    ipv6: IPv6Interface | None = None


@dataclass(frozen=True)
class RunningHost:
    """A started twin server: where to reach its sshd, and what was made for it."""

    name: str
    address: IPv4Address
    port: int
    pid: int
    netns: str
    address6: IPv6Address | None = None
    veth: str = ""


# --------------------------------------------------------------------------- addressing


def plan_hosts(
    names: Iterable[str],
    *,
    ipv4_base: IPv4Network = DEFAULT_IPV4_BASE,
    ipv6_base: IPv6Network | None = DEFAULT_IPV6_BASE,
    first: int = 0,
) -> list[LinuxHost]:
    """Hosts with one /30 (and /64) link each, taken in order from the bases at ``first``.

    >>> [(h.ipv4, h.ipv6) for h in plan_hosts(["a"], first=1)]
    [(IPv4Interface('10.250.0.6/30'), IPv6Interface('fd00:70:76:1::2/64'))]
    """
    hosts: list[LinuxHost] = []
    for index, name in enumerate(names, start=first):
        if ipv4_base.prefixlen > 30 or index >= 2 ** (30 - ipv4_base.prefixlen):
            raise NetnsError(f"host {name}: link #{index} does not fit in {ipv4_base}")
        v4_net = int(ipv4_base.network_address) + 4 * index
        ipv4 = IPv4Interface((IPv4Address(v4_net + 2), 30))
        ipv6: IPv6Interface | None = None
        if ipv6_base is not None:
            if ipv6_base.prefixlen > 64 or index >= 2 ** (64 - ipv6_base.prefixlen):
                raise NetnsError(f"host {name}: link #{index} does not fit in {ipv6_base}")
            v6_net = int(ipv6_base.network_address) + (index << 64)
            ipv6 = IPv6Interface((IPv6Address(v6_net + 2), 64))
        hosts.append(LinuxHost(name, ipv4, ipv6))
    return hosts


def _root_side(iface: IPv4Interface | IPv6Interface, host: str) -> IPv4Interface | IPv6Interface:
    """The root-namespace end of a host's link: the first other usable address."""
    network = iface.network
    if network.num_addresses < 2:
        raise NetnsError(f"host {host}: link network {network} has no room for two ends")
    candidates = [network.network_address + 1, network.network_address + 2]
    if network.prefixlen == network.max_prefixlen - 1:  # /31, /127: both addresses
        candidates = [network.network_address, network.network_address + 1]
    for address in candidates:
        if address != iface.ip:
            return type(iface)(f"{address}/{network.prefixlen}")
    raise NetnsError(f"host {host}: no root-side address in {network}")  # pragma: no cover


def _check_plan(hosts: Sequence[LinuxHost]) -> None:
    """Refuse names and ranges that could reach, or shadow, anything but our own links."""
    seen_names: set[str] = set()
    networks: list[tuple[str, IPv4Network | IPv6Network]] = []
    for host in hosts:
        if not _HOSTNAME_RE.fullmatch(host.name):
            raise NetnsError(f"host {host.name!r}: not a valid hostname")
        if host.name in seen_names:
            raise NetnsError(f"host {host.name}: listed twice")
        seen_names.add(host.name)
        v4 = host.ipv4
        if not v4.ip.is_private or v4.ip.is_loopback or v4.ip.is_unspecified:
            raise NetnsError(f"host {host.name}: {v4} is not a private IPv4 address")
        if v4.ip in (v4.network.network_address, v4.network.broadcast_address) and (
            v4.network.prefixlen < 31
        ):
            raise NetnsError(f"host {host.name}: {v4} is a network or broadcast address")
        networks.append((host.name, v4.network))
        if host.ipv6 is not None:
            v6 = host.ipv6
            if v6.ip not in _IPV6_ULA:
                raise NetnsError(f"host {host.name}: {v6} is not a unique-local (fc00::/7) address")
            if v6.ip == v6.network.network_address and v6.network.prefixlen < 127:
                raise NetnsError(f"host {host.name}: {v6} is the subnet-router anycast address")
            networks.append((host.name, v6.network))
    for i, (name_a, net_a) in enumerate(networks):
        for name_b, net_b in networks[i + 1 :]:
            if net_a.version == net_b.version and net_a.overlaps(net_b):
                raise NetnsError(
                    f"hosts {name_a} and {name_b}: link networks {net_a} and {net_b} overlap"
                )


def _machine_networks() -> list[tuple[str, IPv4Network | IPv6Network]]:
    """Every network already on the machine (root-namespace addresses and routes)."""
    found: list[tuple[str, IPv4Network | IPv6Network]] = []
    addrs = json.loads(_run(["ip", "-j", "addr", "show"]).stdout or "[]")
    for link in addrs:
        for info in link.get("addr_info", []):
            with contextlib.suppress(KeyError, ValueError):
                net = ip_network(f"{info['local']}/{info['prefixlen']}", strict=False)
                found.append(
                    (f"address {info['local']}/{info['prefixlen']} on {link['ifname']}", net)
                )
    for family in ("-4", "-6"):
        routes = json.loads(_run(["ip", "-j", family, "route", "show"]).stdout or "[]")
        for route in routes:
            dst = route.get("dst", "default")
            if dst == "default":
                continue
            with contextlib.suppress(ValueError):
                found.append(
                    (f"route {dst} dev {route.get('dev', '?')}", ip_network(dst, strict=False))
                )
    return found


def _check_free(hosts: Sequence[LinuxHost]) -> None:
    existing = _machine_networks()
    for host in hosts:
        mine: list[IPv4Network | IPv6Network] = [host.ipv4.network]
        if host.ipv6 is not None:
            mine.append(host.ipv6.network)
        for net in mine:
            for what, other in existing:
                if other.version == net.version and other.overlaps(net):
                    raise NetnsError(
                        f"host {host.name}: link network {net} overlaps {what} already on this "
                        "machine; pick another base range (or clean up a stale twin)"
                    )


# --------------------------------------------------------------------------- commands


def _run(
    cmd: Sequence[str],
    *,
    host: str | None = None,
    timeout: float = CMD_TIMEOUT,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure raise a NetnsError naming the host and the command."""
    where = f"host {host}: " if host else ""
    shown = " ".join(cmd)
    try:
        proc = subprocess.run(
            list(cmd), capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise NetnsError(f"{where}`{shown}`: {cmd[0]} not found") from exc
    except subprocess.TimeoutExpired as exc:
        raise NetnsError(f"{where}`{shown}` did not finish within {timeout:g}s") from exc
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip() or "no output"
        raise NetnsError(f"{where}`{shown}` failed (exit {proc.returncode}): {detail}")
    return proc


def root_available() -> tuple[bool, str]:
    """Whether this process can run twin hosts, and a reason (for a skip message) if not."""
    if os.geteuid() != 0:
        return False, "network namespaces need root (run the twin's Linux hosts as uid 0)"
    for tool in ("ip", "ssh-keygen", "unshare", "hostname"):
        if shutil.which(tool) is None:
            return False, f"`{tool}` not found (apt-get install iproute2 openssh-server)"
    if not os.access(SSHD, os.X_OK):
        return False, f"{SSHD} not found (apt-get install openssh-server)"
    probe = f"provnet-probe-{os.getpid()}"
    try:
        _run(["ip", "netns", "add", probe], timeout=10)
    except NetnsError as exc:
        return False, f"cannot create a network namespace: {exc}"
    try:
        _run(["ip", "netns", "del", probe], timeout=10)
    except NetnsError as exc:  # pragma: no cover - the add just worked
        return False, f"cannot delete a network namespace: {exc}"
    return True, "root, iproute2 and sshd available"


def _short(prefix: str) -> str:
    """The root-side veth stem: the prefix if ``{stem}h{n}`` fits IFNAMSIZ, else a hash."""
    if re.fullmatch(r"[A-Za-z0-9]{1,10}", prefix):
        return prefix
    digest = hashlib.sha1(prefix.encode()).hexdigest()[:6]
    stem = re.sub(r"[^A-Za-z0-9]", "", prefix)[:4]
    return f"{stem}{digest}"


def _check_prefix(prefix: str) -> None:
    if not _PREFIX_RE.fullmatch(prefix):
        raise NetnsError(
            f"prefix {prefix!r}: use 1-40 letters, digits, '_', '.', '-' (starting alphanumeric)"
        )


def _alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rpartition(")")[2].split()
    return bool(state) and state[0] not in ("Z", "X")


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _kill(pids: Iterable[int], *, grace: float = 5.0) -> None:
    """SIGTERM, wait up to ``grace`` seconds, then SIGKILL whatever is left."""
    targets = [pid for pid in set(pids) if pid > 1 and pid != os.getpid()]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in targets:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            targets = [pid for pid in targets if _alive(pid)]
            if not targets:
                return
            time.sleep(0.05)


def _keygen(path: Path, comment: str, host: str | None) -> None:
    """A fresh ed25519 key pair without passphrase at ``path`` and ``path.pub``."""
    path.unlink(missing_ok=True)
    path.with_suffix(".pub").unlink(missing_ok=True)
    cmd = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)]
    _run(cmd, host=host)


def _ns_exec(netns: str) -> list[str]:
    return ["ip", "netns", "exec", netns]


def _netns_list() -> list[str]:
    out = _run(["ip", "netns", "list"]).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _netns_pids(netns: str) -> list[int]:
    proc = _run(["ip", "netns", "pids", netns], check=False)
    return [int(tok) for tok in proc.stdout.split() if tok.isdigit()]


def _quote(path: Path) -> str:
    text = str(path)
    if '"' in text or "\n" in text:
        raise NetnsError(f"state path {text!r}: contains a quote or newline")
    return f'"{text}"'


def _sshd_pid_file_pids(state_dir: Path) -> list[int]:
    """PIDs from sshd pid files under ``state_dir`` whose process is still our sshd."""
    pids: list[int] = []
    for pid_file in state_dir.glob("*/sshd.pid"):
        with contextlib.suppress(OSError, ValueError):
            pid = int(pid_file.read_text().split()[0])
            config = str(pid_file.parent / "sshd_config")
            cmd = " ".join(_cmdline(pid))  # sshd rewrites its title but keeps the -f path
            if _alive(pid) and "sshd" in cmd and config in cmd:
                pids.append(pid)
    return pids


def _teardown_netns(netns: str, host: str, errors: list[str]) -> None:
    """Kill everything inside ``netns`` (it is ours), then delete its veth pair and itself.

    The pair is deleted from inside the namespace (``eth0``), which removes the root-side
    end at once and can never touch another namespace's link.
    """
    try:
        if netns in _netns_list():
            _kill(_netns_pids(netns))
            if (
                _run(
                    [*_ns_exec(netns), "ip", "link", "show", "dev", "eth0"], check=False
                ).returncode
                == 0
            ):
                _run([*_ns_exec(netns), "ip", "link", "del", "dev", "eth0"], host=host)
            _run(["ip", "netns", "del", netns], host=host)
    except NetnsError as exc:
        errors.append(str(exc))


def cleanup_stale(prefix: str, state_dir: Path) -> list[str]:
    """Remove what a crashed twin with this prefix left behind; return what was removed.

    Kills sshd processes whose pid files (and config) are in ``state_dir`` and every
    process inside namespaces named ``{prefix}-{n}``; deletes those namespaces and their
    root-side veths ``{short}h{n}``; deletes the state files. Safe to call any time.
    """
    _check_prefix(prefix)
    state_dir = Path(state_dir)
    removed: list[str] = []
    errors: list[str] = []
    stale_pids = _sshd_pid_file_pids(state_dir) if state_dir.is_dir() else []
    if stale_pids:
        _kill(stale_pids)
        removed += [f"sshd pid {pid}" for pid in stale_pids]
    ns_re = re.compile(rf"{re.escape(prefix)}-(\d+)")
    short = _short(prefix)
    for netns in _netns_list():
        match = ns_re.fullmatch(netns)
        if match:
            _teardown_netns(netns, netns, errors)
            removed.append(f"netns {netns}")
    veth_re = re.compile(rf"{re.escape(short)}h\d+")
    links = json.loads(_run(["ip", "-j", "link", "show"]).stdout or "[]")
    for link in links:
        name = str(link.get("ifname", ""))
        # A root-side end whose peer is in no other namespace is a leftover of ours.
        if veth_re.fullmatch(name) and "link_netnsid" not in link:
            try:
                _run(["ip", "link", "del", "dev", name])
                removed.append(f"veth {name}")
            except NetnsError as exc:
                errors.append(str(exc))
    if state_dir.is_dir():
        _remove_state(state_dir)
    if errors:
        raise NetnsError("cleanup of stale twin " + prefix + " incomplete: " + "; ".join(errors))
    return removed


def _remove_state(state_dir: Path) -> None:
    """Delete the files a twin writes in ``state_dir`` (and the directory, if then empty)."""
    manifest = state_dir / MANIFEST
    names: list[str] = []
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        names = [str(h["name"]) for h in json.loads(manifest.read_text())["hosts"]]
    names += [p.parent.name for p in state_dir.glob("*/sshd_config")]
    for name in set(names):
        if _HOSTNAME_RE.fullmatch(name):
            shutil.rmtree(state_dir / name, ignore_errors=True)
    for fname in (MANIFEST, CLIENT_KEY, CLIENT_KEY + ".pub", "authorized_keys", "known_hosts"):
        (state_dir / fname).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        state_dir.rmdir()


# --------------------------------------------------------------------------- the twin


@dataclass
class _Started:
    host: LinuxHost
    netns: str
    veth: str
    dir: Path
    proc: subprocess.Popen[bytes] | None = None
    owned: bool = False  # the namespace is ours (we added it), so we may delete it


class NetnsTwin:
    """Starts and stops the twin's Linux hosts. One ``start`` per object; ``stop`` is idempotent."""

    def __init__(self) -> None:
        self.prefix = ""
        self.state_dir = Path()
        self.username = "root"
        self.password: str | None = None
        self._started: list[_Started] = []
        self._running: list[RunningHost] = []
        self._port = 22
        self._active = False

    # ---- public paths

    @property
    def key_path(self) -> Path:
        """The private key (ed25519, no passphrase) authorized on every host."""
        return self.state_dir / CLIENT_KEY

    @property
    def known_hosts(self) -> Path:
        """A known_hosts file with every host's key under its IPv4 and IPv6 address."""
        return self.state_dir / "known_hosts"

    @property
    def hosts(self) -> list[RunningHost]:
        return list(self._running)

    # ---- lifecycle

    def start(
        self,
        hosts: Sequence[LinuxHost],
        *,
        prefix: str,
        state_dir: Path,
        username: str = "root",
        password: str | None = None,
        authorized_key: str | None = None,
        port: int = 22,
        timeout: float = 15.0,
    ) -> list[RunningHost]:
        """Create the namespaces, links and sshds; return once every sshd answers.

        ``password`` only turns password authentication on for the account's existing
        system password (the twin never changes accounts); the generated key at
        :attr:`key_path` and ``authorized_key`` (an extra public key line) always work.
        On any failure everything made so far is torn down before the error is raised.
        """
        if self._active or self._started:
            raise NetnsError(f"twin {self.prefix}: already started; stop() it first")
        _check_prefix(prefix)
        if not hosts:
            raise NetnsError(f"twin {prefix}: no hosts to start")
        if not 0 < port < 65536:
            raise NetnsError(f"twin {prefix}: bad port {port}")
        try:
            pwd.getpwnam(username)
        except KeyError as exc:
            raise NetnsError(f"twin {prefix}: user {username!r} does not exist here") from exc
        if authorized_key is not None and "\n" in authorized_key.strip():
            raise NetnsError(f"twin {prefix}: authorized_key must be a single public key line")
        _check_plan(hosts)
        ok, reason = root_available()
        if not ok:
            raise NetnsError(f"twin {prefix}: {reason}")
        _check_free(hosts)

        if (Path(state_dir) / MANIFEST).exists():
            raise NetnsError(
                f"twin {prefix}: {state_dir} already holds a twin ({MANIFEST}); stop it or "
                f"call lab.netns.cleanup_stale({prefix!r}, state_dir)"
            )
        self.prefix = prefix
        self.state_dir = Path(state_dir).resolve()
        self.username = username
        self.password = password
        self._port = port
        self._active = True
        try:
            self._prepare_state(authorized_key)
            short = _short(prefix)
            for n, host in enumerate(hosts):
                started = _Started(
                    host, f"{prefix}-{n}", f"{short}h{n}", self.state_dir / host.name
                )
                self._started.append(started)
                self._write_manifest()
                self._make_link(started)
                self._start_sshd(started)
            self._write_known_hosts()
            self._write_manifest()
            deadline = time.monotonic() + timeout
            for started in self._started:
                self._running.append(self._wait_ready(started, deadline))
        except BaseException:
            with contextlib.suppress(NetnsError):
                self.stop()
            raise
        return list(self._running)

    def stop(self) -> None:
        """Kill our sshds, delete our veths and namespaces and state files. Idempotent."""
        if not self._active:
            return
        errors: list[str] = []
        for started in reversed(self._started):
            proc = started.proc
            if proc is not None and proc.poll() is None:
                _kill([proc.pid])
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
            if started.owned:
                _teardown_netns(started.netns, started.host.name, errors)
        if self.state_dir.is_dir():
            _remove_state(self.state_dir)
        self._started.clear()
        self._running.clear()
        self._active = False
        if errors:
            raise NetnsError(f"twin {self.prefix}: stop incomplete: " + "; ".join(errors))

    def __enter__(self) -> NetnsTwin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- pyinfra

    def pyinfra_data(self) -> dict[str, object]:
        """Connection data for pyinfra (key auth, strict host keys from :attr:`known_hosts`)."""
        data: dict[str, object] = {
            "ssh_user": self.username,
            "ssh_port": self._port,
            "ssh_key": str(self.key_path),
            "ssh_known_hosts_file": str(self.known_hosts),
            "ssh_strict_host_key_checking": "yes",
            "ssh_allow_agent": False,
            "ssh_look_for_keys": False,
        }
        if self.password is not None:
            data["ssh_password"] = self.password
        return data

    def write_inventory(self, path: Path, *, ipv6: bool = False) -> Path:
        """Write a pyinfra inventory file (``hosts = [(name, data), ...]``) for the hosts."""
        entries: list[tuple[str, dict[str, object]]] = []
        for running in self._running:
            address: IPv4Address | IPv6Address = running.address
            if ipv6:
                if running.address6 is None:
                    raise NetnsError(f"host {running.name}: has no IPv6 address")
                address = running.address6
            entries.append((running.name, {"ssh_hostname": str(address), **self.pyinfra_data()}))
        path = Path(path)
        path.write_text(
            '"""pyinfra inventory of the twin\'s Linux hosts (written by lab.netns)."""\n\n'
            f"hosts = {entries!r}\n"
        )
        return path

    # ---- internals

    def _prepare_state(self, authorized_key: str | None) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
        key = self.key_path
        _keygen(key, f"provnet-twin-{self.prefix}", None)
        lines = [key.with_suffix(".pub").read_text().strip()]
        if authorized_key:
            lines.append(authorized_key.strip())
        (self.state_dir / "authorized_keys").write_text("\n".join(lines) + "\n")

    def _write_manifest(self) -> None:
        manifest = {
            "prefix": self.prefix,
            "short": _short(self.prefix),
            "hosts": [
                {
                    "name": s.host.name,
                    "netns": s.netns,
                    "veth": s.veth,
                    "pid": s.proc.pid if s.proc else None,
                }
                for s in self._started
            ],
        }
        (self.state_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")

    def _make_link(self, s: _Started) -> None:
        name, ns, veth = s.host.name, s.netns, s.veth
        if len(veth) > _IFNAMSIZ:  # pragma: no cover - _short keeps it short
            raise NetnsError(f"host {name}: interface name {veth!r} longer than {_IFNAMSIZ}")
        if ns in _netns_list():
            raise NetnsError(
                f"host {name}: namespace {ns} already exists (a crashed run? "
                f"call lab.netns.cleanup_stale({self.prefix!r}, state_dir))"
            )
        nsx = _ns_exec(ns)
        v4_root = _root_side(s.host.ipv4, name)
        cmds: list[list[str]] = [
            ["ip", "netns", "add", ns],
            ["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns],
            [*nsx, "ip", "link", "set", "lo", "up"],
            ["ip", "addr", "add", str(v4_root), "dev", veth],
            [*nsx, "ip", "addr", "add", str(s.host.ipv4), "dev", "eth0"],
        ]
        if s.host.ipv6 is not None:
            v6_root = _root_side(s.host.ipv6, name)
            cmds += [
                [*nsx, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0"],
                [*nsx, "sysctl", "-q", "-w", "net.ipv6.conf.eth0.disable_ipv6=0"],
                ["ip", "-6", "addr", "add", str(v6_root), "dev", veth, "nodad"],
                [*nsx, "ip", "-6", "addr", "add", str(s.host.ipv6), "dev", "eth0", "nodad"],
            ]
        cmds += [
            ["ip", "link", "set", veth, "up"],
            [*nsx, "ip", "link", "set", "eth0", "up"],
        ]
        _run(cmds[0], host=name)
        s.owned = True
        for cmd in cmds[1:]:
            _run(cmd, host=name)

    def _start_sshd(self, s: _Started) -> None:
        name = s.host.name
        s.dir.mkdir(parents=True, exist_ok=True)
        host_key = s.dir / "ssh_host_ed25519_key"
        _keygen(host_key, name, name)
        root_login = "no"
        if self.username == "root":
            root_login = "yes" if self.password is not None else "prohibit-password"
        listen = [f"ListenAddress {s.host.ipv4.ip}"]
        if s.host.ipv6 is not None:
            listen.append(f"ListenAddress {s.host.ipv6.ip}")
        config = s.dir / "sshd_config"
        config.write_text(
            "\n".join(
                [
                    f"# provnet twin host {name} in netns {s.netns} (generated by lab.netns)",
                    f"Port {self._port}",
                    "AddressFamily any",
                    *listen,
                    f"HostKey {_quote(host_key)}",
                    f"PidFile {_quote(s.dir / 'sshd.pid')}",
                    f"AuthorizedKeysFile {_quote(self.state_dir / 'authorized_keys')}",
                    f"AllowUsers {self.username}",
                    f"PermitRootLogin {root_login}",
                    "PubkeyAuthentication yes",
                    f"PasswordAuthentication {'yes' if self.password is not None else 'no'}",
                    "KbdInteractiveAuthentication no",
                    "PermitEmptyPasswords no",
                    "UsePAM no",
                    "StrictModes no",
                    "UseDNS no",
                    "PrintMotd no",
                    "X11Forwarding no",
                    "AllowAgentForwarding no",
                    "AllowTcpForwarding no",
                    "MaxStartups 64:30:128",
                    "MaxSessions 32",
                    "Subsystem sftp internal-sftp",
                    "",
                ]
            )
        )
        _run([SSHD, "-t", "-f", str(config)], host=name)
        sh = ["unshare", "--uts", "--", "/bin/sh", "-c", _SSHD_SH]
        log = (s.dir / "sshd.log").open("wb")
        try:
            # ip netns exec, unshare and sh each exec the next: the Popen pid is sshd's.
            s.proc = subprocess.Popen(
                [*_ns_exec(s.netns), *sh, name, SSHD, str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise NetnsError(f"host {name}: cannot start sshd in {s.netns}: {exc}") from exc
        finally:
            log.close()

    def _write_known_hosts(self) -> None:
        lines: list[str] = []
        for s in self._started:
            key_type, key_b64 = (s.dir / "ssh_host_ed25519_key.pub").read_text().split()[:2]
            addrs = [str(s.host.ipv4.ip)] + ([str(s.host.ipv6.ip)] if s.host.ipv6 else [])
            if self._port != 22:
                addrs = [f"[{a}]:{self._port}" for a in addrs]
            lines.append(f"{','.join(addrs)} {key_type} {key_b64}")
        self.known_hosts.write_text("\n".join(lines) + "\n")

    def _wait_ready(self, s: _Started, deadline: float) -> RunningHost:
        name = s.host.name
        assert s.proc is not None
        targets: list[IPv4Address | IPv6Address] = [s.host.ipv4.ip]
        if s.host.ipv6 is not None:
            targets.append(s.host.ipv6.ip)
        for address in targets:
            last = "no attempt"
            while True:
                code = s.proc.poll()
                if code is not None:
                    raise NetnsError(
                        f"host {name}: sshd in {s.netns} exited with {code}: {self._log_tail(s)}"
                    )
                try:
                    with socket.create_connection((str(address), self._port), timeout=1) as conn:
                        conn.settimeout(2)
                        if conn.recv(64).startswith(b"SSH-"):
                            break
                        last = "no SSH banner"
                except OSError as exc:
                    last = str(exc)
                if time.monotonic() > deadline:
                    raise NetnsError(
                        f"host {name}: sshd on [{address}]:{self._port} not accepting "
                        f"connections in time ({last}): {self._log_tail(s)}"
                    )
                time.sleep(0.05)
        return RunningHost(
            name=name,
            address=s.host.ipv4.ip,
            port=self._port,
            pid=s.proc.pid,
            netns=s.netns,
            address6=s.host.ipv6.ip if s.host.ipv6 else None,
            veth=s.veth,
        )

    @staticmethod
    def _log_tail(s: _Started) -> str:
        try:
            text = (s.dir / "sshd.log").read_text(errors="replace").strip()
        except OSError:
            return "no sshd log"
        return " | ".join(text.splitlines()[-5:]) or "sshd log empty"
