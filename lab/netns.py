"""Linux servers of the province twin: real Debian systems booted with systemd as PID 1.

Each server is a copy-on-write overlay of one cached Debian image (``lab.image``: its own
upper layer under the state directory, so fifty servers cost one image), booted in its own
network, PID, mount, UTS, IPC and cgroup namespaces with ``/lib/systemd/systemd`` as PID 1;
sshd is the image's own ``ssh.service``. The servers share one twin LAN: a bridge
``{short}br`` in this machine's namespace holding the LAN's first address (the servers'
gateway, where the twin serves its Debian package mirror), and one veth per server
(``{short}h{n}`` here, ``eth0`` inside) with the server's IPv4 and IPv6 addresses of the
plan. Servers reach one another, the gateway and the blocks of this machine's loopback where
the twin's network devices answer (routed to the gateway, ``route_localnet`` on the bridge
and the servers' ``eth0`` only, so a server's exporter scrapes the twin's devices); nothing
else (no default route, and this machine forwards nothing).

What lives outside the servers is named by the twin's prefix, so a crashed twin can be
cleaned up from its prefix and state directory alone (:func:`cleanup_stale`): namespaces
``{prefix}-{n}``, veths, the bridge, cgroups ``provnet/{prefix}-{n}``. The overlay mounts
live only in each server's mount namespace and go with it.

Needs root; :func:`root_available` says whether this machine can do it, and why not.

    twin = NetnsTwin()
    running = twin.start(plan_hosts(["dc-web", "dc-db"]), prefix="pv", state_dir=Path("/tmp/pv"),
                         image=ensure_image())
    twin.run("dc-web", ["systemctl", "is-system-running"])
    twin.stop()
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import threading
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
from typing import Any

from lab.errors import LabError
from lab.image import Image

__all__ = [
    "DEFAULT_IPV4_LAN",
    "DEFAULT_IPV6_LAN",
    "MIRROR_PORT",
    "LinuxHost",
    "NetnsError",
    "NetnsTwin",
    "RunningHost",
    "ServersView",
    "cleanup_stale",
    "plan_hosts",
    "root_available",
    "run_in",
]

DEFAULT_IPV4_LAN = IPv4Network("10.250.0.0/24")
DEFAULT_IPV6_LAN = IPv6Network("fd00:70:76::/64")
_IPV6_ULA = IPv6Network("fc00::/7")
MIRROR_PORT = 3142
"""Where the gateway serves the package mirror (apt-cacher-ng's port, as mirrors often are)."""
CMD_TIMEOUT = 15.0
MANIFEST = "twin.json"
CLIENT_KEY = "id_ed25519"
CGROUP_PARENT = "provnet"

_IFNAMSIZ = 15
_PREFIX_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
_HOSTNAME_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")


class NetnsError(LabError, RuntimeError):
    """A twin server could not be set up or torn down; the message names server and command."""


@dataclass(frozen=True)
class LinuxHost:
    """A twin server: its name and its addresses on the twin LAN."""

    name: str
    ipv4: IPv4Interface
    ipv6: IPv6Interface | None = None


@dataclass(frozen=True)
class RunningHost:
    """A booted twin server: where to reach its sshd, and what was made for it."""

    name: str
    address: IPv4Address
    port: int
    pid: int
    """PID 1 of the server (its systemd), as this machine sees it."""
    netns: str
    address6: IPv6Address | None = None
    veth: str = ""


# --------------------------------------------------------------------------- addressing


def plan_hosts(
    names: Iterable[str],
    *,
    ipv4_lan: IPv4Network = DEFAULT_IPV4_LAN,
    ipv6_lan: IPv6Network | None = DEFAULT_IPV6_LAN,
) -> list[LinuxHost]:
    """Servers on one LAN: the first address is the gateway, servers take the next ones.

    >>> [(h.ipv4, h.ipv6) for h in plan_hosts(["a", "b"])][1]
    (IPv4Interface('10.250.0.3/24'), IPv6Interface('fd00:70:76::3/64'))
    """
    hosts: list[LinuxHost] = []
    for index, name in enumerate(names):
        if index + 3 > ipv4_lan.num_addresses:
            raise NetnsError(f"host {name}: server #{index + 1} does not fit in {ipv4_lan}")
        ipv4 = IPv4Interface((ipv4_lan.network_address + index + 2, ipv4_lan.prefixlen))
        ipv6 = None
        if ipv6_lan is not None:
            ipv6 = IPv6Interface((ipv6_lan.network_address + index + 2, ipv6_lan.prefixlen))
        hosts.append(LinuxHost(name, ipv4, ipv6))
    return hosts


def gateway(iface: IPv4Interface | IPv6Interface) -> IPv4Interface | IPv6Interface:
    """The LAN's first address (this machine's end: the bridge)."""
    return type(iface)((iface.network.network_address + 1, iface.network.prefixlen))


_LOOPBACK = IPv4Network("127.0.0.0/8")
SERVERS_OWN_LOOPBACK = IPv4Network("127.0.0.0/24")
"""A twin server's own loopback (its services listen on 127.0.0.1): never routed out."""


def _check_device_prefixes(prefix: str, blocks: Sequence[IPv4Network]) -> None:
    """The servers may reach this machine's loopback (the twin's devices), nothing else."""
    for block in blocks:
        if not block.subnet_of(_LOOPBACK) or block.overlaps(SERVERS_OWN_LOOPBACK):
            raise NetnsError(
                f"twin {prefix}: device prefix {block} is not this machine's loopback outside "
                f"{SERVERS_OWN_LOOPBACK} (the servers' own)"
            )


def _check_plan(hosts: Sequence[LinuxHost]) -> None:
    """Refuse names and addresses that could reach, or shadow, anything but the twin LAN."""
    seen_names: set[str] = set()
    seen_addresses: set[IPv4Address | IPv6Address] = set()
    lans: set[IPv4Network | IPv6Network] = set()
    for host in hosts:
        if not _HOSTNAME_RE.fullmatch(host.name):
            raise NetnsError(f"host {host.name!r}: not a valid hostname")
        if host.name in seen_names:
            raise NetnsError(f"host {host.name}: listed twice")
        seen_names.add(host.name)
        v4 = host.ipv4
        if not v4.ip.is_private or v4.ip.is_loopback or v4.ip.is_unspecified:
            raise NetnsError(f"host {host.name}: {v4} is not a private IPv4 address")
        if v4.network.prefixlen > 29:
            raise NetnsError(f"host {host.name}: LAN {v4.network} is too small (/29 at most)")
        reserved = (v4.network.network_address, v4.network.broadcast_address, gateway(v4).ip)
        if v4.ip in reserved:
            raise NetnsError(f"host {host.name}: {v4} is the LAN's network, broadcast or gateway")
        addresses: list[IPv4Address | IPv6Address] = [v4.ip]
        lans.add(v4.network)
        if host.ipv6 is not None:
            v6 = host.ipv6
            if v6.ip not in _IPV6_ULA:
                raise NetnsError(f"host {host.name}: {v6} is not a unique-local (fc00::/7) address")
            if v6.ip in (v6.network.network_address, gateway(v6).ip):
                raise NetnsError(f"host {host.name}: {v6} is the LAN's anycast or gateway address")
            addresses.append(v6.ip)
            lans.add(v6.network)
        for address in addresses:
            if address in seen_addresses:
                raise NetnsError(f"host {host.name}: address {address} given twice")
            seen_addresses.add(address)
    if len([lan for lan in lans if lan.version == 4]) > 1 or len(lans) > 2:
        shown = ", ".join(sorted(str(lan) for lan in lans))
        raise NetnsError(f"twin servers must share one LAN per family, not {shown}")


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
    lans = {host.ipv4.network for host in hosts} | {h.ipv6.network for h in hosts if h.ipv6}
    for what, other in _machine_networks():
        for lan in lans:
            if other.version == lan.version and other.overlaps(lan):
                raise NetnsError(
                    f"twin LAN {lan} overlaps {what} already on this machine; pick another "
                    "range (or clean up a stale twin)"
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
    """Whether this process can run twin servers, and a reason (for a skip message) if not."""
    if os.geteuid() != 0:
        return False, "twin servers need root (namespaces, mounts; run as uid 0)"
    for tool in ("ip", "ssh-keygen", "unshare", "nsenter", "chroot"):
        if shutil.which(tool) is None:
            return False, f"`{tool}` not found (apt-get install iproute2 openssh-client util-linux)"
    if _cgroup_roots() is None:
        return False, "no cgroup hierarchy for systemd under /sys/fs/cgroup"
    probe = f"provnet-probe-{os.getpid()}"
    try:
        _run(["ip", "netns", "add", probe], timeout=10)
    except NetnsError as exc:
        return False, f"cannot create a network namespace: {exc}"
    try:
        _run(["ip", "netns", "del", probe], timeout=10)
    except NetnsError as exc:  # pragma: no cover - the add just worked
        return False, f"cannot delete a network namespace: {exc}"
    return True, "root, namespaces and cgroups available"


@functools.cache
def _cgroup_roots() -> tuple[Path, ...] | None:
    """The hierarchies a server's systemd needs: the unified one and, on a hybrid host,
    the named ``systemd`` one; None when neither is mounted."""
    base = Path("/sys/fs/cgroup")
    if (base / "cgroup.controllers").exists():  # a unified-only host
        return (base,)
    hybrid = (base / "unified", base / "systemd")
    if all((root / "cgroup.procs").exists() for root in hybrid):
        return hybrid
    return None


INOTIFY_LIMIT = Path("/proc/sys/fs/inotify/max_user_instances")
INOTIFY_PER_SERVER = 8
"""inotify instances a booted server holds (systemd, journald, logind, dbus: about 5)."""


def raise_inotify_limit(servers: int) -> str:
    """Raise ``fs.inotify.max_user_instances`` so ``servers`` more systemds can start (each
    server's processes are root's, and root's limit is shared: Debian's 128 stops the 24th
    server); never lowers it. Returns what was done, for the operator, or ''."""
    try:
        current = int(INOTIFY_LIMIT.read_text())
    except (OSError, ValueError):
        return ""
    wanted = 128 + INOTIFY_PER_SERVER * servers
    if current >= wanted:
        return ""
    try:
        INOTIFY_LIMIT.write_text(f"{wanted}\n")
    except OSError as exc:
        raise NetnsError(
            f"{servers} servers need fs.inotify.max_user_instances >= {wanted} (now {current}): "
            f"{exc}; run: sysctl -w fs.inotify.max_user_instances={wanted}"
        ) from exc
    return f"fs.inotify.max_user_instances {current} -> {wanted}"


def _short(prefix: str) -> str:
    """The stem of interface names: the prefix if ``{stem}h{n}`` fits IFNAMSIZ, else a hash."""
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


def _kill(pids: Iterable[int], *, grace: float = 5.0) -> None:
    """SIGKILL and wait: a server's processes are PID 1 of their namespace and its children,
    which die with it; nothing there needs to flush anything to this machine."""
    targets = [pid for pid in set(pids) if pid > 1 and pid != os.getpid()]
    for pid in targets:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + grace
    while targets and time.monotonic() < deadline:
        targets = [pid for pid in targets if _alive(pid)]
        time.sleep(0.02)


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


def _remove_cgroups(name: str) -> None:
    """Remove the cgroup ``provnet/{name}`` and what the server's systemd made below it."""
    roots = _cgroup_roots() or ()
    for root in roots:
        top = root / CGROUP_PARENT / name
        if not top.is_dir():
            continue
        below = sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
        for directory in [*below, top]:
            with contextlib.suppress(OSError):
                directory.rmdir()


def _teardown_netns(netns: str, host: str, errors: list[str]) -> None:
    """Kill everything inside ``netns`` (it is ours), then delete its veth and itself.

    The pair is deleted from inside the namespace (``eth0``), which removes this machine's
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
        _remove_cgroups(netns)
    except NetnsError as exc:
        errors.append(str(exc))


def _delete_link(name: str, errors: list[str]) -> bool:
    if _run(["ip", "link", "show", "dev", name], check=False).returncode != 0:
        return False
    try:
        _run(["ip", "link", "del", "dev", name])
    except NetnsError as exc:
        errors.append(str(exc))
    return True


def cleanup_stale(prefix: str, state_dir: Path) -> list[str]:
    """Remove what a crashed twin with this prefix left behind; return what was removed.

    Kills every process inside namespaces named ``{prefix}-{n}`` (each server's whole
    process tree lives there), deletes those namespaces, their veths ``{short}h{n}``, the
    bridge ``{short}br``, the cgroups, and the state directory. Safe to call any time.
    """
    _check_prefix(prefix)
    state_dir = Path(state_dir)
    removed: list[str] = []
    errors: list[str] = []
    ns_re = re.compile(rf"{re.escape(prefix)}-(\d+)")
    short = _short(prefix)
    for netns in _netns_list():
        if ns_re.fullmatch(netns):
            _teardown_netns(netns, netns, errors)
            removed.append(f"netns {netns}")
    veth_re = re.compile(rf"{re.escape(short)}h\d+")
    links = json.loads(_run(["ip", "-j", "link", "show"]).stdout or "[]")
    for link in links:
        name = str(link.get("ifname", ""))
        # An end whose peer is in no other namespace is a leftover of ours.
        if veth_re.fullmatch(name) and "link_netnsid" not in link and _delete_link(name, errors):
            removed.append(f"veth {name}")
    if _delete_link(f"{short}br", errors):
        removed.append(f"bridge {short}br")
    for root in _cgroup_roots() or ():
        for group in (root / CGROUP_PARENT).glob(f"{prefix}-*"):
            if ns_re.fullmatch(group.name):
                _remove_cgroups(group.name)
    if state_dir.is_dir():
        _remove_state(state_dir)
    if errors:
        raise NetnsError("cleanup of stale twin " + prefix + " incomplete: " + "; ".join(errors))
    return removed


def _remove_state(state_dir: Path) -> None:
    """Delete what a twin writes in ``state_dir`` (and the directory, if then empty)."""
    manifest = state_dir / MANIFEST
    names: list[str] = []
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        names = [str(h["name"]) for h in json.loads(manifest.read_text())["hosts"]]
    names += [p.parent.name for p in state_dir.glob("*/upper")]
    for name in set(names):
        if _HOSTNAME_RE.fullmatch(name):
            shutil.rmtree(state_dir / name, ignore_errors=True)
    for fname in (MANIFEST, CLIENT_KEY, CLIENT_KEY + ".pub", "known_hosts"):
        (state_dir / fname).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        state_dir.rmdir()


# --------------------------------------------------------------------------- booting


def boot_script(root: Path, image: Path, upper: Path, work: Path) -> str:
    """What runs as PID 1 of the server's new namespaces before it becomes systemd: the
    overlay, the kernel file systems a container's systemd expects, then ``exec`` systemd.
    All these mounts belong to the server's mount namespace and vanish with it."""
    r = shlex.quote(str(root))
    lines = [
        "set -e",
        "mount --make-rprivate /",
        f"mount -t overlay overlay -o lowerdir={shlex.quote(str(image))},"
        f"upperdir={shlex.quote(str(upper))},workdir={shlex.quote(str(work))} {r}",
        f"mount -t proc proc {r}/proc",
        f"mount -t sysfs -o ro sysfs {r}/sys",
        f"mount -t tmpfs -o mode=755 tmpfs {r}/sys/fs/cgroup",
    ]
    roots = _cgroup_roots() or ()
    if len(roots) == 1:
        lines.append(f"mount -t cgroup2 cgroup2 {r}/sys/fs/cgroup")
    else:
        lines += [
            f"mkdir -p {r}/sys/fs/cgroup/unified {r}/sys/fs/cgroup/systemd",
            f"mount -t cgroup2 cgroup2 {r}/sys/fs/cgroup/unified",
            f"mount -t cgroup -o none,name=systemd cgroup {r}/sys/fs/cgroup/systemd",
        ]
    lines += [
        f"mount -t tmpfs -o mode=755 tmpfs {r}/dev",
        *(f"touch {r}/dev/{d} && mount --bind /dev/{d} {r}/dev/{d}" for d in _DEVICES),
        f"mkdir -p {r}/dev/pts {r}/dev/shm",
        f"mount -t devpts -o newinstance,ptmxmode=0666 devpts {r}/dev/pts",
        f"ln -sf pts/ptmx {r}/dev/ptmx",
        f"mount -t tmpfs tmpfs {r}/dev/shm",
        f"mount -t tmpfs -o mode=755 tmpfs {r}/run",
        f"mount -t tmpfs tmpfs {r}/tmp",
        f"exec chroot {r} /usr/bin/env -i container=provnet-twin /lib/systemd/systemd --system",
    ]
    return "\n".join(lines)


TWIN_SERVICE_DROP_IN = (
    "# provnet twin: the server is chrooted, where user namespaces cannot be made.\n"
    "[Service]\nPrivateUsers=no\n"
)


def _join_cgroups(name: str) -> str:
    """Shell lines that put the shell into the server's own cgroups (made beforehand)."""
    return "; ".join(
        f"echo $$ > {shlex.quote(str(root / CGROUP_PARENT / name / 'cgroup.procs'))}"
        for root in _cgroup_roots() or ()
    )


def run_in(
    name: str, init: int, argv: Sequence[str], *, timeout: float = 30.0, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run a command inside the server whose PID 1 is ``init``, as root, in its namespaces
    and its root directory, with a clean environment."""
    command = [
        "nsenter", "-t", str(init), "-m", "-u", "-i", "-n", "-p", "-C", "-r", "-w",
        "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
        *argv,
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise NetnsError(f"host {name}: `{' '.join(argv)}` took over {timeout:g}s") from exc
    if check and done.returncode != 0:
        detail = (done.stderr or done.stdout).strip() or "no output"
        raise NetnsError(f"host {name}: `{' '.join(argv)}` exit {done.returncode}: {detail}")
    return done


class _TwinFiles:
    """The files of a twin's state directory that clients use."""

    state_dir: Path

    @property
    def key_path(self) -> Path:
        """The private key (ed25519, no passphrase) authorized for root on every server."""
        return self.state_dir / CLIENT_KEY

    @property
    def known_hosts(self) -> Path:
        """A known_hosts file with every server's key under its IPv4 and IPv6 address."""
        return self.state_dir / "known_hosts"


@dataclass(frozen=True)
class ServersView(_TwinFiles):
    """A running twin's servers seen from its state directory (by another process than the
    one that booted them, e.g. a test beside ``provnet lab up``'s daemon)."""

    state_dir: Path
    hosts: tuple[RunningHost, ...]
    mirror_url: str

    @classmethod
    def read(cls, state_dir: Path) -> ServersView:
        try:
            manifest = json.loads((state_dir / MANIFEST).read_text())
            hosts = tuple(
                RunningHost(
                    name=h["name"],
                    address=IPv4Address(h["ipv4"]),
                    port=22,
                    pid=int(h["pid"]),
                    netns=h["netns"],
                    address6=IPv6Address(h["ipv6"]) if h.get("ipv6") else None,
                    veth=h["veth"],
                )
                for h in manifest["hosts"]
            )
            return cls(state_dir, hosts, str(manifest["mirror_url"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise NetnsError(f"{state_dir}: no running twin servers ({exc})") from exc

    def run(
        self, name: str, argv: Sequence[str], *, timeout: float = 30.0, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside server ``name`` (see :func:`run_in`)."""
        host = next((h for h in self.hosts if h.name == name), None)
        if host is None:
            raise NetnsError(f"host {name}: not a server of the twin in {self.state_dir}")
        return run_in(name, host.pid, argv, timeout=timeout, check=check)

    def rss_bytes(self, name: str) -> int:
        host = next(h for h in self.hosts if h.name == name)
        return netns_rss(host.netns)


def netns_rss(netns: str) -> int:
    """Resident memory of every process in ``netns`` (a server's whole tree); pages shared
    between servers (the image's) count in each."""
    total = 0
    for pid in _netns_pids(netns):
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def _hosts_file(hosts: Sequence[LinuxHost]) -> str:
    """``/etc/hosts`` of every server: the servers know one another by name."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    for host in hosts:
        lines.append(f"{host.ipv4.ip}\t{host.name}")
        if host.ipv6 is not None:
            lines.append(f"{host.ipv6.ip}\t{host.name}")
    return "\n".join(lines) + "\n"


class _Mirror(http.server.ThreadingHTTPServer):
    daemon_threads = True


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


# --------------------------------------------------------------------------- the twin


@dataclass
class _Started:
    host: LinuxHost
    netns: str
    veth: str
    dir: Path
    proc: subprocess.Popen[bytes] | None = None
    init: int = 0  # the server's PID 1 (systemd), as this machine sees it
    owned: bool = False  # the namespace is ours (we added it), so we may delete it


class NetnsTwin(_TwinFiles):
    """Boots and stops the twin's Debian servers. One ``start`` per object; ``stop`` is
    idempotent."""

    def __init__(self) -> None:
        self.prefix = ""
        self.state_dir = Path()
        self.username = "root"
        self._started: list[_Started] = []
        self._running: list[RunningHost] = []
        self._mirror: _Mirror | None = None
        self._bridge = ""
        self._gateway: IPv4Address | None = None
        self._device_prefixes: tuple[IPv4Network, ...] = ()
        self._authorized_keys = ""
        self._hosts_file = ""
        self.notes: list[str] = []
        """What the twin changed on this machine besides its own objects (a sysctl raised)."""
        self._active = False

    # ---- public paths

    @property
    def hosts(self) -> list[RunningHost]:
        return list(self._running)

    @property
    def mirror_url(self) -> str:
        """The Debian package mirror the servers reach (a flat repository: ``deb URL ./``)."""
        return f"http://{self._gateway}:{MIRROR_PORT}/"

    # ---- lifecycle

    def start(
        self,
        hosts: Sequence[LinuxHost],
        *,
        prefix: str,
        state_dir: Path,
        image: Image,
        authorized_key: str | None = None,
        timeout: float = 60.0,
        device_prefixes: Sequence[IPv4Network] = (),
    ) -> list[RunningHost]:
        """Make the LAN, boot every server, serve the mirror; return once every sshd answers.

        ``device_prefixes``: blocks of this machine's loopback (the twin's network devices)
        each server routes to its gateway, so software on a server reaches those devices;
        only 127.0.0.0/8 outside the servers' own 127.0.0.0/24 is accepted.
        On any failure everything made so far is torn down before the error is raised.
        """
        if self._active or self._started:
            raise NetnsError(f"twin {self.prefix}: already started; stop() it first")
        _check_prefix(prefix)
        if not hosts:
            raise NetnsError(f"twin {prefix}: no hosts to start")
        if authorized_key is not None and "\n" in authorized_key.strip():
            raise NetnsError(f"twin {prefix}: authorized_key must be a single public key line")
        _check_plan(hosts)
        _check_device_prefixes(prefix, device_prefixes)
        self._device_prefixes = tuple(device_prefixes)
        if not (image.root / "lib/systemd/systemd").exists():
            raise NetnsError(f"twin {prefix}: {image.root} is not a built image")
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
        self.notes = [note for note in [raise_inotify_limit(len(hosts))] if note]
        self._active = True
        try:
            self._prepare_state(authorized_key)
            self._hosts_file = _hosts_file(hosts)
            short = _short(prefix)
            self._make_bridge(short, hosts[0])
            for n, host in enumerate(hosts):
                started = _Started(
                    host, f"{prefix}-{n}", f"{short}h{n}", self.state_dir / host.name
                )
                self._started.append(started)
                self._write_manifest()
                self._make_link(started)
                self._prepare_root(started)
                self._boot(started, image)
            self._write_known_hosts()
            self._serve_mirror(image)
            deadline = time.monotonic() + timeout
            for started in self._started:
                self._running.append(self._wait_ready(started, deadline))
            self._write_manifest()
        except BaseException:
            with contextlib.suppress(NetnsError):
                self.stop()
            raise
        return list(self._running)

    def stop(self) -> None:
        """Kill the servers, delete veths, bridge, namespaces, cgroups, state. Idempotent."""
        if not self._active:
            return
        errors: list[str] = []
        if self._mirror is not None:
            self._mirror.shutdown()
            self._mirror.server_close()
            self._mirror = None
        for started in reversed(self._started):
            if started.init:
                _kill([started.init])
            proc = started.proc
            if proc is not None:
                if proc.poll() is None:
                    _kill([proc.pid])
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
            if started.owned:
                _teardown_netns(started.netns, started.host.name, errors)
        if self._bridge:
            _delete_link(self._bridge, errors)
            self._bridge = ""
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

    # ---- inside a server

    def run(
        self, name: str, argv: Sequence[str], *, timeout: float = 30.0, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside server ``name`` (all its namespaces and its root), as root."""
        started = next((s for s in self._started if s.host.name == name and s.init), None)
        if started is None:
            raise NetnsError(f"host {name}: not a running server of twin {self.prefix}")
        return run_in(name, started.init, argv, timeout=timeout, check=check)

    def rss_bytes(self, name: str) -> int:
        """Resident memory of every process of server ``name`` (see :func:`netns_rss`)."""
        started = next(s for s in self._started if s.host.name == name)
        return netns_rss(started.netns)

    # ---- pyinfra

    def pyinfra_data(self) -> dict[str, object]:
        """Connection data for pyinfra (key auth, strict host keys from :attr:`known_hosts`)."""
        return {
            "ssh_user": self.username,
            "ssh_port": 22,
            "ssh_key": str(self.key_path),
            "ssh_known_hosts_file": str(self.known_hosts),
            "ssh_strict_host_key_checking": "yes",
            "ssh_allow_agent": False,
            "ssh_look_for_keys": False,
        }

    def write_inventory(self, path: Path, *, ipv6: bool = False) -> Path:
        """Write a pyinfra inventory file (``hosts = [(name, data), ...]``) for the servers."""
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
            '"""pyinfra inventory of the twin\'s Linux servers (written by lab.netns)."""\n\n'
            f"hosts = {entries!r}\n"
        )
        return path

    # ---- internals

    def _prepare_state(self, authorized_key: str | None) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        _keygen(self.key_path, f"provnet-twin-{self.prefix}", None)
        lines = [self.key_path.with_suffix(".pub").read_text().strip()]
        if authorized_key:
            lines.append(authorized_key.strip())
        self._authorized_keys = "\n".join(lines) + "\n"

    def _write_manifest(self) -> None:
        manifest = {
            "prefix": self.prefix,
            "short": _short(self.prefix),
            "bridge": self._bridge,
            "mirror_url": self.mirror_url,
            "hosts": [
                {
                    "name": s.host.name,
                    "netns": s.netns,
                    "veth": s.veth,
                    "pid": s.init or None,
                    "ipv4": str(s.host.ipv4.ip),
                    "ipv6": str(s.host.ipv6.ip) if s.host.ipv6 else None,
                }
                for s in self._started
            ],
        }
        (self.state_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")

    def _make_bridge(self, short: str, first: LinuxHost) -> None:
        bridge = f"{short}br"
        if _run(["ip", "link", "show", "dev", bridge], check=False).returncode == 0:
            raise NetnsError(
                f"twin {self.prefix}: bridge {bridge} already exists (a crashed run? "
                f"call lab.netns.cleanup_stale({self.prefix!r}, state_dir))"
            )
        _run(["ip", "link", "add", bridge, "type", "bridge"])
        self._bridge = bridge
        gw4 = gateway(first.ipv4)
        self._gateway = first.ipv4.network.network_address + 1
        cmds = [["ip", "addr", "add", str(gw4), "dev", bridge]]
        if first.ipv6 is not None:
            cmds.append(
                ["ip", "-6", "addr", "add", str(gateway(first.ipv6)), "dev", bridge, "nodad"]
            )
        cmds.append(["ip", "link", "set", bridge, "up"])
        for cmd in cmds:
            _run(cmd)
        if self._device_prefixes:
            # The servers' packets to the devices' loopback addresses arrive on the bridge:
            # accepted there, and answered back through it, on this bridge only.
            Path(f"/proc/sys/net/ipv4/conf/{bridge}/route_localnet").write_text("1\n")

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
        cmds: list[list[str]] = [
            ["ip", "netns", "add", ns],
            ["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns],
            ["ip", "link", "set", veth, "master", self._bridge],
            [*nsx, "ip", "link", "set", "lo", "up"],
            [*nsx, "ip", "addr", "add", str(s.host.ipv4), "dev", "eth0"],
        ]
        if s.host.ipv6 is not None:
            cmds += [
                [*nsx, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=0"],
                [*nsx, "sysctl", "-q", "-w", "net.ipv6.conf.eth0.disable_ipv6=0"],
                [*nsx, "ip", "-6", "addr", "add", str(s.host.ipv6), "dev", "eth0", "nodad"],
            ]
        cmds += [["ip", "link", "set", veth, "up"], [*nsx, "ip", "link", "set", "eth0", "up"]]
        if self._device_prefixes:
            # In the server's local table, more specific than its own 127.0.0.0/8: these
            # loopback blocks are the twin's devices, reached through the gateway.
            cmds.append([*nsx, "sysctl", "-q", "-w", "net.ipv4.conf.eth0.route_localnet=1"])
            via = ("via", str(self._gateway), "dev", "eth0", "table", "local")
            cmds += [
                [*nsx, "ip", "route", "add", str(block), *via] for block in self._device_prefixes
            ]
        _run(cmds[0], host=name)
        s.owned = True
        for cmd in cmds[1:]:
            _run(cmd, host=name)

    def _prepare_root(self, s: _Started) -> None:
        """The server's own files, written into its upper layer before it boots."""
        name = s.host.name
        upper = s.dir / "upper"
        for directory in (upper / "etc/ssh", upper / "root/.ssh", s.dir / "work", s.dir / "root"):
            directory.mkdir(parents=True, exist_ok=True)
        (upper / "root/.ssh").chmod(0o700)
        keys = upper / "root/.ssh/authorized_keys"
        keys.write_text(self._authorized_keys)
        keys.chmod(0o600)
        _keygen(upper / "etc/ssh/ssh_host_ed25519_key", f"root@{name}", name)
        (upper / "etc/hostname").write_text(name + "\n")
        (upper / "etc/hosts").write_text(self._hosts_file)
        machine_id = hashlib.sha256(f"{self.prefix}/{name}".encode()).hexdigest()[:32]
        (upper / "etc/machine-id").write_text(machine_id + "\n")
        # A chrooted process may not create a user namespace (unshare(2): EPERM), so a unit
        # with PrivateUsers=yes (Debian's prometheus) would fail at step USER here only.
        drop_in = upper / "etc/systemd/system/service.d"
        drop_in.mkdir(parents=True, exist_ok=True)
        (drop_in / "provnet-twin.conf").write_text(TWIN_SERVICE_DROP_IN)

    def _boot(self, s: _Started, image: Image) -> None:
        name = s.host.name
        for root in _cgroup_roots() or ():
            (root / CGROUP_PARENT / s.netns).mkdir(parents=True, exist_ok=True)
        inner = boot_script(s.dir / "root", image.root, s.dir / "upper", s.dir / "work")
        # nsenter, not `ip netns exec`: that one mounts a fresh /sys, hiding the cgroups.
        outer = (
            f"set -e; {_join_cgroups(s.netns)}; exec nsenter --net=/run/netns/{s.netns} "
            f"unshare --cgroup --fork --pid --mount --uts --ipc sh -c {shlex.quote(inner)}"
        )
        log = (s.dir / "boot.log").open("wb")
        try:
            s.proc = subprocess.Popen(
                ["sh", "-c", outer],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise NetnsError(f"host {name}: cannot boot in {s.netns}: {exc}") from exc
        finally:
            log.close()

    def _serve_mirror(self, image: Image) -> None:
        handler = functools.partial(_QuietFiles, directory=str(image.mirror))
        try:
            self._mirror = _Mirror((str(self._gateway), MIRROR_PORT), handler)
        except OSError as exc:
            raise NetnsError(
                f"twin {self.prefix}: mirror on {self._gateway}:{MIRROR_PORT}: {exc}"
            ) from exc
        threading.Thread(target=self._mirror.serve_forever, daemon=True).start()

    def _write_known_hosts(self) -> None:
        lines: list[str] = []
        for s in self._started:
            public = s.dir / "upper/etc/ssh/ssh_host_ed25519_key.pub"
            key_type, key_b64 = public.read_text().split()[:2]
            addrs = [str(s.host.ipv4.ip)] + ([str(s.host.ipv6.ip)] if s.host.ipv6 else [])
            lines.append(f"{','.join(addrs)} {key_type} {key_b64}")
        self.known_hosts.write_text("\n".join(lines) + "\n")

    def _init_pid(self, s: _Started) -> int:
        """The server's PID 1: the only child of ``unshare`` (which the Popen pid became)."""
        assert s.proc is not None
        with contextlib.suppress(OSError, ValueError):
            children = Path(f"/proc/{s.proc.pid}/task/{s.proc.pid}/children").read_text().split()
            if children:
                return int(children[0])
        return 0

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
                        f"host {name}: the server in {s.netns} stopped (exit {code}): "
                        f"{self._log_tail(s)}"
                    )
                if not s.init:
                    s.init = self._init_pid(s)
                try:
                    with socket.create_connection((str(address), 22), timeout=1) as conn:
                        conn.settimeout(2)
                        if conn.recv(64).startswith(b"SSH-"):
                            break
                        last = "no SSH banner"
                except OSError as exc:
                    last = str(exc)
                if time.monotonic() > deadline:
                    raise NetnsError(
                        f"host {name}: sshd on [{address}]:22 not accepting connections in "
                        f"time ({last}): {self._log_tail(s)}"
                    )
                time.sleep(0.1)
        return RunningHost(
            name=name,
            address=s.host.ipv4.ip,
            port=22,
            pid=s.init,
            netns=s.netns,
            address6=s.host.ipv6.ip if s.host.ipv6 else None,
            veth=s.veth,
        )

    @staticmethod
    def _log_tail(s: _Started) -> str:
        try:
            text = (s.dir / "boot.log").read_text(errors="replace").strip()
        except OSError:
            return "no boot log"
        return " | ".join(text.splitlines()[-5:]) or "boot log empty"
