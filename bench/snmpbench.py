"""Shared pieces of the exporter benchmarks (``bench_exporter``, ``bench_sustained``).

A :class:`Namespace` is a network namespace the benchmark creates (loopback up, a few veth
pairs so IF-MIB has interfaces to walk); every process runs inside it through
``ip netns exec`` and is tracked by PID, so the ``finally`` of the caller (or Ctrl-C) stops
each one and deletes the namespace. One net-snmp ``snmpd`` bound to ``0.0.0.0:161`` there
answers for every 127.x.y.z address. The secrets (community, v3 passwords) are fresh random
strings of each run, written only into the run's temporary directory; :func:`leaked` checks
that none shows up in what the exporters returned or logged.

Decisions (address plans, file rendering, exposition parsing, series diffs) are pure
functions; the I/O helpers around them are small.
"""

from __future__ import annotations

import contextlib
import copy
import ipaddress
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from types import FrameType
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "data"
SNMP_EXPORTER = "/usr/bin/prometheus-snmp-exporter"
PROMETHEUS = "/usr/bin/prometheus"
REPO = Path(__file__).resolve().parents[1]
PROVNET = REPO / ".venv" / "bin" / "provnet"
VETH_PAIRS = 3  # lo + 6 veth ends: 7 interfaces in IF-MIB
# Self-metrics of each exporter: not part of the series both must agree on.
SELF_METRIC_PREFIXES = ("snmp_scrape_", "provnet_", "go_", "process_", "promhttp_")


# -- secrets and files ------------------------------------------------------------------------


@dataclass(frozen=True)
class Secrets:
    """Fresh per run; referred to by field name, never printed."""

    community: str
    user: str
    auth_password: str
    priv_password: str

    @classmethod
    def fresh(cls) -> Secrets:
        return cls(
            community="c" + secrets.token_hex(8),
            user="bench",
            auth_password="a" + secrets.token_hex(10),
            priv_password="p" + secrets.token_hex(10),
        )

    def values(self) -> tuple[str, ...]:
        return (self.community, self.auth_password, self.priv_password)

    def __repr__(self) -> str:
        return "Secrets(<redacted>)"


def render_snmpd_conf(template: str, creds: Secrets) -> str:
    return Template(template).substitute(
        community=creds.community,
        user=creds.user,
        auth_password=creds.auth_password,
        priv_password=creds.priv_password,
    )


def v2c_auth(creds: Secrets) -> dict[str, Any]:
    return {"community": creds.community}


def v3_auth(creds: Secrets) -> dict[str, Any]:
    return {
        "username": creds.user,
        "security_level": "authPriv",
        "password": creds.auth_password,
        "auth_protocol": "SHA",
        "priv_protocol": "AES",
        "priv_password": creds.priv_password,
    }


def render_snmp_yml(modules: Mapping[str, Any], creds: Secrets) -> dict[str, Any]:
    """The pre-0.23 snmp.yml: each module as NAME_v2c and NAME_v3 (authPriv SHA/AES),
    ``version`` and ``auth`` after ``metrics`` as the 0.21 generator writes them. Neither
    name is one of provnet's built-in modules (``system``, ``if_mib``), whose derived series
    a file module of the same name keeps: both exporters do exactly the file's work."""
    out: dict[str, Any] = {}
    for name, body in modules.items():
        for suffix, version, auth in (("_v2c", 2, v2c_auth(creds)), ("_v3", 3, v3_auth(creds))):
            module = copy.deepcopy(dict(body))
            module.update({"version": version, "retries": 3, "timeout": "5s", "auth": auth})
            out[name + suffix] = module
    return out


def write_snmp_yml(path: Path, creds: Secrets) -> list[str]:
    """Write the bench snmp.yml; returns the module names (v2c ones first)."""
    modules = yaml.safe_load((DATA / "snmp.yml").read_text())
    rendered = render_snmp_yml(modules, creds)
    header = (
        "# WARNING: This file was auto-generated using snmp_exporter generator, "
        "manual changes will be lost.\n"
    )
    path.write_text(header + yaml.safe_dump(rendered, sort_keys=False, width=88))
    path.chmod(0o600)
    return list(modules)


def hosts(first: str, count: int) -> list[str]:
    """``count`` addresses from ``first`` on, skipping .0 and .255 of each /24."""
    out: list[str] = []
    address = int(ipaddress.IPv4Address(first))
    while len(out) < count:
        if address & 0xFF not in (0, 255):
            out.append(str(ipaddress.IPv4Address(address)))
        address += 1
    return out


def leaked(creds: Secrets, paths: Iterable[Path]) -> list[Path]:
    """Files (scrape bodies, logs) that contain any of the run's secrets."""
    needles = [v.encode() for v in creds.values()]
    return [p for p in paths if p.is_file() and any(n in p.read_bytes() for n in needles)]


# -- Prometheus text format -------------------------------------------------------------------

LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
Series = tuple[str, tuple[tuple[str, str], ...]]


def parse_exposition(text: str) -> dict[Series, str]:
    """``{(name, sorted labels): value}`` of a text-format scrape (comments skipped)."""
    out: dict[Series, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if "{" in line:
            name, _, rest = line.partition("{")
            labels_text, _, value_part = rest.rpartition("}")
            labels = tuple(sorted(LABEL.findall(labels_text)))
        else:
            name, _, value_part = line.partition(" ")
            labels = ()
        value = value_part.split()[0] if value_part.split() else ""
        out[(name.strip(), labels)] = value
    return out


def device_series(scrape: Mapping[Series, str]) -> dict[Series, str]:
    """The device's series: without either exporter's self-metrics."""
    return {k: v for k, v in scrape.items() if not k[0].startswith(SELF_METRIC_PREFIXES)}


@dataclass
class SeriesDiff:
    same: int = 0
    only_peer: list[Series] = field(default_factory=list)
    only_ours: list[Series] = field(default_factory=list)
    values_differ: list[Series] = field(default_factory=list)

    def merge(self, other: SeriesDiff) -> None:
        self.same += other.same
        self.only_peer += other.only_peer
        self.only_ours += other.only_ours
        self.values_differ += other.values_differ


def diff_series(
    peer: Mapping[Series, str], ours: Mapping[Series, str], volatile: Iterable[str] = ()
) -> SeriesDiff:
    """Series in both / only in one; values compared except for ``volatile`` names."""
    skip = set(volatile)
    result = SeriesDiff()
    for key in sorted(peer.keys() | ours.keys()):
        if key not in ours:
            result.only_peer.append(key)
        elif key not in peer:
            result.only_ours.append(key)
        else:
            result.same += 1
            if key[0] not in skip and not same_value(peer[key], ours[key]):
                result.values_differ.append(key)
    return result


def same_value(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return a == b


def show_series(key: Series) -> str:
    labels = ",".join(f'{k}="{v}"' for k, v in key[1])
    return f"{key[0]}{{{labels}}}"


# -- processes ---------------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def cpu_seconds_of(stat_after_comm: Sequence[str]) -> float:
    """utime + stime (fields 14 and 15 of /proc/PID/stat) in seconds."""
    return (int(stat_after_comm[11]) + int(stat_after_comm[12])) / CLK_TCK


def process_tree(pid: int) -> list[int]:
    """``pid`` and its living descendants (an exporter's worker processes)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


def cpu_seconds(pids: Iterable[int]) -> float:
    total = 0.0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            total += cpu_seconds_of(fields)
    return total


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU jiffies of the whole machine, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """Share of all the machine's CPUs busy between two :func:`machine_jiffies`."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


def load_note() -> str:
    """The machine's load average, for the figures' context (shared machine)."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) {five:.1f} (5 min) on {os.cpu_count()} cpus"


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mib(pids: Iterable[int]) -> float:
    return sum(_status_kib(p, "VmRSS") for p in pids) / 1024


def peak_rss_mib(pids: Iterable[int]) -> float:
    return sum(_status_kib(p, "VmHWM") for p in pids) / 1024


def alive(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def kill_pids(pids: Iterable[int], grace: float = 5.0) -> None:
    """SIGTERM, up to ``grace`` seconds, then SIGKILL; only the given PIDs."""
    targets = [p for p in set(pids) if p > 1 and p != os.getpid()]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in targets:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while targets and time.monotonic() < deadline:
            targets = [p for p in targets if alive(p)]
            time.sleep(0.05)
        if not targets:
            return


@contextlib.contextmanager
def workdir(prefix: str, keep: bool) -> Iterator[Path]:
    """A private temporary directory, removed at the end unless ``keep``."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt, so the caller's ``finally`` cleans up."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- the namespace -----------------------------------------------------------------------------


def require_root_tools() -> str | None:
    """Why the benchmark cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "curl", "snmpd", "snmpget"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return f"{tool} not installed"
    return None


class Namespace:
    """A network namespace of this benchmark; processes started in it are tracked."""

    def __init__(self, label: str, workdir: Path) -> None:
        self.name = f"provnet-bench-{label}-{os.getpid()}"
        self.workdir = workdir
        self.processes: list[subprocess.Popen[bytes]] = []
        self.created = False

    def __enter__(self) -> Namespace:
        subprocess.run(["ip", "netns", "add", self.name], check=True, timeout=30)
        self.created = True
        self.run(["ip", "link", "set", "lo", "up"])
        for n in range(VETH_PAIRS):
            self.run(["ip", "link", "add", f"wan{n}", "type", "veth", "peer", "name", f"lan{n}"])
            self.run(["ip", "link", "set", f"wan{n}", "up"])
            self.run(["ip", "link", "set", f"lan{n}", "up"])
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def exec_prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.name]

    def run(
        self, argv: Sequence[str], timeout: float = 60, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.exec_prefix(), *argv],
            check=check,
            timeout=timeout,
            capture_output=True,
            text=True,
        )

    def start(
        self, argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` in the namespace (``ip netns exec`` execs it: same PID)."""
        with log.open("ab") as out:
            process = subprocess.Popen(
                [*self.exec_prefix(), *argv],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        kill_pids(process_tree(process.pid))
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)

    def close(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                self.stop(process)
        if self.created:
            leftover = subprocess.run(
                ["ip", "netns", "pids", self.name], capture_output=True, text=True, timeout=30
            ).stdout.split()
            # Only processes inside our own namespace: ours (curl, helpers) by construction.
            kill_pids(int(p) for p in leftover if p.isdigit())
            subprocess.run(["ip", "netns", "del", self.name], check=False, timeout=30)
            self.created = False

    # -- helpers run inside -----------------------------------------------------------------

    def http_get(self, url: str, timeout: float = 30) -> tuple[int, str]:
        proc = self.run(
            ["curl", "-s", "-m", str(timeout), "-w", "\n%{http_code}", url],
            timeout=timeout + 10,
            check=False,
        )
        body, _, code = proc.stdout.rpartition("\n")
        return (int(code) if code.isdigit() else 0), body

    def wait_http(self, url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{url}: the server exited with code {process.returncode}")
            code, _ = self.http_get(url, timeout=2)
            if code == 200:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{url}: no answer within {seconds:.0f} s")


def start_snmpd(ns: Namespace, creds: Secrets) -> subprocess.Popen[bytes]:
    directory = ns.workdir / "snmpd"
    directory.mkdir(mode=0o700, exist_ok=True)
    config = directory / "snmpd.conf"
    config.write_text(render_snmpd_conf((DATA / "snmpd.conf.in").read_text(), creds))
    config.chmod(0o600)
    snmpd = shutil.which("snmpd") or "/usr/sbin/snmpd"
    argv = [snmpd, "-f", "-Lf", str(directory / "snmpd.log"), "-C", "-c", str(config)]
    argv += ["-p", str(directory / "snmpd.pid")]
    process = ns.start(
        argv, directory / "stdout.log", {"SNMP_PERSISTENT_DIR": str(directory), "MIBS": ""}
    )
    deadline = time.monotonic() + 20
    probe_argv = ["snmpget", "-v2c", "-c", creds.community, "-t", "0.5", "-r", "0", "-On"]
    probe_argv += ["127.0.0.1", "1.3.6.1.2.1.1.3.0"]
    while time.monotonic() < deadline:
        probe = ns.run(probe_argv, check=False)
        if probe.returncode == 0:
            return process
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"snmpd did not start; see {directory / 'snmpd.log'}")


def snmp_exporter_argv(config: Path, listen: str) -> list[str]:
    return [
        SNMP_EXPORTER,
        f"--config.file={config}",
        f"--web.listen-address={listen}",
        "--log.level=warn",
    ]


def provnet_argv(
    config: Path, listen: str, workers: int | None, concurrency: int | None = None
) -> list[str]:
    argv = [str(PROVNET), "exporter", "serve", "--listen", listen, "--config", str(config)]
    argv += ["--log-level", "warning"]  # as the peer's --log.level=warn
    argv += ["--workers", str(workers)] if workers else []
    return argv + (["--concurrency", str(concurrency)] if concurrency else [])


def provnet_available() -> str | None:
    """Why provnet's exporter cannot be benchmarked yet, or None."""
    if not (REPO / "exporters" / "server.py").exists():
        return "exporters/server.py not there yet (provnet's exporter not built)"
    help_text = subprocess.run(
        [str(PROVNET), "exporter", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    return None if "serve" in help_text else "`provnet exporter serve` not there yet"


# -- load -------------------------------------------------------------------------------------


@dataclass
class Pass:
    seconds: float
    codes: Counter[str]
    outputs: list[Path]
    cpu: float = 0.0
    """CPU seconds (user + system) curl itself took for the pass."""


def pinned(argv: Sequence[str], cpus: str | None) -> list[str]:
    """``argv`` run on the CPUs ``cpus`` (``taskset -c``; it execs, so the PID stays)."""
    return ["taskset", "-c", cpus, *argv] if cpus else list(argv)


def children_cpu() -> float:
    """CPU seconds of this process's waited-for children so far (curl among them)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def curl_config(urls: Sequence[str], outdir: Path) -> tuple[str, list[Path]]:
    """A curl ``-K`` file: one ``url``/``output`` pair per URL."""
    outputs = [outdir / f"{i:06d}.prom" for i in range(len(urls))]
    lines = [f'url = "{u}"\noutput = "{o}"\n' for u, o in zip(urls, outputs, strict=True)]
    return "".join(lines), outputs


def curl_pass(
    ns: Namespace,
    urls: Sequence[str],
    outdir: Path,
    parallel: int,
    max_time: float,
    max_seconds: float,
    cpus: str | None = None,
) -> Pass:
    """All ``urls`` with ``curl --parallel``; each transfer bounded by ``max_time``, the pass
    by ``max_seconds``. Status codes counted ("000" when the transfer failed); curl's CPU
    measured (``ip netns exec`` and ``taskset`` exec it, so it is the waited-for child).
    ``cpus``: pin curl to those CPUs."""
    outdir.mkdir(parents=True, exist_ok=True)
    config, outputs = curl_config(urls, outdir)
    config_path = outdir.with_suffix(".curl")
    config_path.write_text(config)
    argv = ["curl", "-s", "--parallel", "--parallel-max", str(parallel)]
    argv += ["--max-time", str(max_time), "-w", "%{http_code}\\n", "-K", str(config_path)]
    cpu = children_cpu()
    started = time.perf_counter()
    proc = ns.run(pinned(argv, cpus), timeout=max_seconds, check=False)
    seconds = time.perf_counter() - started
    cpu = children_cpu() - cpu
    codes = Counter(proc.stdout.split())
    missing = len(urls) - sum(codes.values())
    if missing > 0:
        codes["none"] += missing
    return Pass(seconds, codes, outputs, cpu)


def series_counts(paths: Iterable[Path]) -> Counter[int]:
    """How many scrapes returned how many device series."""
    counts: Counter[int] = Counter()
    for path in paths:
        text = path.read_text(errors="replace") if path.is_file() else ""
        counts[len(device_series(parse_exposition(text)))] += 1
    return counts


def net_counters(ns: Namespace) -> dict[str, int]:
    """The namespace's network counters as ``Section.Name`` (/proc/net/snmp and
    /proc/net/netstat), e.g. ``Udp.RcvbufErrors`` (datagrams an agent's full receive buffer
    dropped) or ``TcpExt.ListenOverflows`` (connections a full accept queue refused)."""
    text = ns.run(["cat", "/proc/net/snmp", "/proc/net/netstat"], check=False).stdout
    return parse_net_counters(text)


def parse_net_counters(text: str) -> dict[str, int]:
    """``Section: names`` then ``Section: values`` line pairs, as the kernel writes them."""
    counters: dict[str, int] = {}
    header: dict[str, list[str]] = {}
    for line in text.splitlines():
        section, _, rest = line.partition(":")
        fields = rest.split()
        if section not in header:
            header[section] = fields
            continue
        for name, value in zip(header.pop(section), fields, strict=False):
            if value.lstrip("-").isdigit():
                counters[f"{section}.{name}"] = int(value)
    return counters


def error_kinds(metrics_text: str) -> dict[str, float]:
    """``provnet_snmp_errors_total`` by kind, from the exporter's /metrics."""
    out: dict[str, float] = {}
    for line in metrics_text.splitlines():
        if line.startswith('provnet_snmp_errors_total{kind="'):
            kind = line.split('"')[1]
            out[kind] = float(line.rsplit(" ", 1)[1])
    return out
