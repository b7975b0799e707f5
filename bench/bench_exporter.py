"""provnet's SNMP exporter side by side with Debian's prometheus-snmp-exporter 0.21.

    python -m bench exporter [-- --devices 1000 --passes 3 --parallel 50 --modules if_mib]

Inside a network namespace made for the run: one net-snmp ``snmpd`` on 0.0.0.0:161 stands
in for ``--devices`` devices (127.1.0.1 ...), both exporters read the same pre-0.23
``snmp.yml`` (bench/data/snmp.yml, v2c module NAME_v2c and v3 authPriv SHA/AES module NAME_v3)
and listen on 127.0.0.1; the load is ``curl --parallel --parallel-max 50`` over one URL per
device, a warm-up pass then ``--passes`` measured passes, for each exporter in turn.
Figures: targets/s, CPU seconds per 1,000 targets (utime+stime of the exporter's process
tree from /proc), and of snmpd and curl (the load, which shares the machine), RSS (peak and
after), snmpd's CPU share, HTTP status counts, device series per scrape, a diff of the
series both return for the same devices, and the ratios provnet / snmp_exporter.

Two row sets: ``shared`` (every process anywhere on the 2 CPUs: a saturated machine runs
about 1 / (exporter + snmpd + curl CPU per target) targets/s, so the load generator's own
cost caps the ratio; the bench prints that cap) and ``pinned`` (each exporter alone on CPU
0, GOMAXPROCS=1 for snmp_exporter; snmpd and curl on CPU 1), where targets/s measures the
exporter. Goals: targets/s >= 1.2x and CPU per target <= 1.5x (the floor); issue 18's goal
is CPU per target <= 0.5x (2x on a saturated machine).
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import snmpbench as sb

SNMP_EXPORTER_LISTEN = "127.0.0.1:9116"
PEER = "snmp_exporter 0.21"
PROVNET_LISTEN = "127.0.0.1:9117"
# Values that move between two scrapes a few milliseconds apart.
VOLATILE = ("sysUpTime", "hrSystemUptime", "snmpEngineTime", "ifHCInOctets", "ifHCOutOctets")


@dataclass
class Exporter:
    label: str
    listen: str
    pid: int | None  # None: not running (placeholder row)
    why_not: str = ""
    process: subprocess.Popen[bytes] | None = None


EXPORTER_CPU = "0"
LOAD_CPU = "1"
"""The pinned row set: each exporter alone on CPU 0, snmpd and curl on CPU 1."""


@dataclass
class Result:
    exporter: str
    run: str
    targets: int = 0
    ok: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    snmpd_cpu: float = 0.0
    curl_cpu: float = 0.0
    rss_after: float = 0.0
    rss_peak: float = 0.0
    codes: Counter[str] = field(default_factory=Counter)
    series: Counter[int] = field(default_factory=Counter)
    machine_busy: list[float] = field(default_factory=list)
    repeat: int = 1
    """How many times a measured pass asked for each device."""

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_1000(self) -> float:
        return self.cpu / self.ok * 1000 if self.ok else float("nan")

    @property
    def snmpd_per_1000(self) -> float:
        return self.snmpd_cpu / self.ok * 1000 if self.ok else float("nan")

    @property
    def curl_per_1000(self) -> float:
        return self.curl_cpu / self.ok * 1000 if self.ok else float("nan")

    @property
    def snmpd_share(self) -> float:
        return self.snmpd_cpu / self.seconds if self.seconds else 0.0


def urls(listen: str, targets: Sequence[str], module: str) -> list[str]:
    return [f"http://{listen}/snmp?target={t}&module={module}" for t in targets]


def measure_pass(
    ns: sb.Namespace,
    exporter: Exporter,
    snmpd_pid: int,
    wanted: Sequence[str],
    args: argparse.Namespace,
    outdir: Path,
    result: Result,
    load_cpus: str | None = None,
) -> None:
    """One measured pass of ``wanted`` URLs, added to ``result``."""
    assert exporter.pid is not None
    tree = sb.process_tree(exporter.pid)
    cpu0, snmpd0 = sb.cpu_seconds(tree), sb.cpu_seconds([snmpd_pid])
    machine0 = sb.machine_jiffies()
    done = sb.curl_pass(
        ns, wanted, outdir, args.parallel, args.max_time, args.max_seconds, load_cpus
    )
    tree = sb.process_tree(exporter.pid)
    result.seconds += done.seconds
    result.cpu += sb.cpu_seconds(tree) - cpu0
    result.snmpd_cpu += sb.cpu_seconds([snmpd_pid]) - snmpd0
    result.curl_cpu += done.cpu
    result.machine_busy.append(sb.busy_share(machine0, sb.machine_jiffies()))
    result.targets += len(wanted)
    result.codes.update(done.codes)
    result.ok = result.codes.get("200", 0)
    result.series.update(sb.series_counts(done.outputs))
    result.rss_after = sb.rss_mib(tree)
    result.rss_peak = max(result.rss_peak, sb.peak_rss_mib(tree))


def measure_run(
    ns: sb.Namespace,
    exporters: Sequence[Exporter],
    snmpd_pid: int,
    label: str,
    module: str,
    targets: Sequence[str],
    args: argparse.Namespace,
    workdir: Path,
    load_cpus: str | None = None,
) -> list[Result]:
    """A warm-up pass per exporter, then measured passes alternating between exporters
    (A B, B A, ...) so a change of background load on the machine hits both alike."""
    running = [e for e in exporters if e.pid is not None]
    results = [Result(e.label, label) for e in running]
    rates = []
    for exporter in running:
        out = workdir / f"{exporter.label.split()[0]}-{module}{'-pinned' if load_cpus else ''}"
        wanted = urls(exporter.listen, targets, module)
        warm = sb.curl_pass(
            ns, wanted, out / "warm", args.parallel, args.max_time, args.max_seconds, load_cpus
        )
        rates.append(len(wanted) / warm.seconds if warm.seconds else 0.0)
    repeat = passes_repeat(min(rates, default=0.0), len(targets), args.pass_seconds)
    for result in results:
        result.repeat = repeat
    for n in range(args.passes):
        order = list(zip(running, results, strict=True))
        for exporter, result in order if n % 2 == 0 else order[::-1]:
            out = workdir / f"{exporter.label.split()[0]}-{module}{'-pinned' if load_cpus else ''}"
            wanted = urls(exporter.listen, targets, module) * repeat
            measure_pass(ns, exporter, snmpd_pid, wanted, args, out / f"pass{n}", result, load_cpus)
    return results


def passes_repeat(slowest_rate: float, devices: int, pass_seconds: float) -> int:
    """How many times a measured pass asks for every device, so that it lasts about
    ``pass_seconds`` for the slower exporter: a pass of a fast module over 1,000 devices
    takes a few hundred ms, and curl's start and its 50 connections are then part of the
    figure (each exporter in turn asks for each device ``repeat`` times, alike)."""
    if slowest_rate <= 0 or devices <= 0:
        return 1
    return max(1, math.ceil(pass_seconds * slowest_rate / devices))


def compare(
    ns: sb.Namespace, peer: Exporter, ours: Exporter, module: str, targets: Sequence[str]
) -> sb.SeriesDiff:
    """Scrape the same devices from both exporters, back to back; diff the series."""
    total = sb.SeriesDiff()
    for target in targets:
        _, peer_text = ns.http_get(urls(peer.listen, [target], module)[0])
        _, our_text = ns.http_get(urls(ours.listen, [target], module)[0])
        total.merge(
            sb.diff_series(
                sb.device_series(sb.parse_exposition(peer_text)),
                sb.device_series(sb.parse_exposition(our_text)),
                VOLATILE,
            )
        )
    return total


def start_exporters(
    ns: sb.Namespace, config: Path, args: argparse.Namespace, cpus: str | None = None
) -> tuple[Exporter, Exporter]:
    """Both exporters; ``cpus``: each pinned there (snmp_exporter with GOMAXPROCS=1)."""
    logs = ns.workdir
    peer_argv = sb.pinned(sb.snmp_exporter_argv(config, SNMP_EXPORTER_LISTEN), cpus)
    go_env = {"GOMAXPROCS": "1"} if cpus else None
    peer_process = ns.start(peer_argv, logs / "snmp_exporter.log", go_env)
    ns.wait_http(f"http://{SNMP_EXPORTER_LISTEN}/metrics", peer_process)
    peer = Exporter(PEER, SNMP_EXPORTER_LISTEN, peer_process.pid, process=peer_process)
    why_not = None if args.no_provnet is False else "--no-provnet"
    why_not = why_not or sb.provnet_available()
    if why_not:
        return peer, Exporter("provnet", PROVNET_LISTEN, None, why_not)
    ours_process = ns.start(
        sb.pinned(sb.provnet_argv(config, PROVNET_LISTEN, args.workers, args.concurrency), cpus),
        logs / "provnet.log",
    )
    ns.wait_http(f"http://{PROVNET_LISTEN}/metrics", ours_process)
    return peer, Exporter("provnet", PROVNET_LISTEN, ours_process.pid, process=ours_process)


def stop_exporters(ns: sb.Namespace, exporters: Sequence[Exporter]) -> None:
    for exporter in exporters:
        if exporter.process is not None:
            ns.stop(exporter.process)


def print_results(results: Sequence[Result], placeholder: Exporter) -> None:
    head = f"{'run':25} {'exporter':20} {'x':>2} {'ok/targets':>12} {'s':>7} {'targets/s':>10}"
    head += f" {'CPU s/1000':>10} {'snmpd':>6} {'curl':>6} {'RSS MiB':>8} {'peak':>7}"
    head += f" {'snmpd CPU':>9} {'machine':>7}  HTTP codes"
    print(head)
    for r in results:
        line = f"{r.run:25} {r.exporter:20} {r.repeat:>2} {f'{r.ok}/{r.targets}':>12}"
        line += f" {r.seconds:>7.2f}"
        line += f" {r.rate:>10,.0f} {r.cpu_per_1000:>10.3f} {r.snmpd_per_1000:>6.3f}"
        line += f" {r.curl_per_1000:>6.3f} {r.rss_after:>8.1f}"
        busy = max(r.machine_busy, default=0.0)
        line += f" {r.rss_peak:>7.1f} {r.snmpd_share:>9.0%} {busy:>7.0%}  {dict(r.codes)}"
        print(line)
        if placeholder.pid is None:
            print(f"{r.run:25} {'provnet':20} {'-':>12}  (placeholder: {placeholder.why_not})")
    print("device series per scrape (series: scrapes):")
    for r in results:
        print(f"  {r.run:25} {r.exporter:20} {dict(sorted(r.series.items()))}")


def pairs(results: Sequence[Result]) -> dict[str, tuple[Result, Result]]:
    """(snmp_exporter, provnet) results of each run that has both."""
    by_run: dict[str, dict[str, Result]] = {}
    for r in results:
        by_run.setdefault(r.run, {})[r.exporter] = r
    return {
        run: (pair[PEER], pair["provnet"])
        for run, pair in by_run.items()
        if PEER in pair and "provnet" in pair and pair[PEER].rate and pair["provnet"].ok
    }


def print_ratios(results: Sequence[Result]) -> bool:
    """Ratios provnet / snmp_exporter per run; True when every floor goal is met."""
    met = True
    for run, (peer, ours) in pairs(results).items():
        speed = ours.rate / peer.rate
        cpu = ours.cpu_per_1000 / peer.cpu_per_1000 if peer.cpu_per_1000 else float("inf")
        ok = speed >= 1.2 and cpu <= 1.5 and ours.ok == ours.targets
        met = met and ok
        print(
            f"  {run:25} targets/s {speed:.2f}x (goal >= 1.2x), CPU/target {cpu:.2f}x "
            f"(goal <= 1.5x; issue 18: <= 0.5x {'met' if cpu <= 0.5 else 'NOT met'}), "
            f"all 200: {ours.ok == ours.targets} -> {'met' if ok else 'NOT met'}"
        )
    return met


@dataclass(frozen=True)
class Limit:
    """What a saturated shared machine allows: targets/s goes as 1 / (CPU per target of
    the exporter + snmpd + curl), all sharing the same CPUs."""

    expected: float
    """provnet / snmp_exporter targets/s the CPU figures predict."""
    ceiling: float
    """The same ratio if provnet's exporter took no CPU at all: snmpd and curl remain."""
    load_share: float
    """Share of provnet's row's CPU per target that snmpd and curl took."""


def limit(peer: Result, ours: Result) -> Limit:
    peer_total = peer.cpu_per_1000 + peer.snmpd_per_1000 + peer.curl_per_1000
    ours_load = ours.snmpd_per_1000 + ours.curl_per_1000
    ours_total = ours.cpu_per_1000 + ours_load
    return Limit(
        peer_total / ours_total if ours_total else float("inf"),
        peer_total / ours_load if ours_load else float("inf"),
        ours_load / ours_total if ours_total else 0.0,
    )


def pinned_bound(result: Result) -> str:
    """Which CPU a pinned row's targets/s is bound by: the exporter's, or the load's
    (snmpd and curl), whichever spent more per target."""
    load = result.snmpd_per_1000 + result.curl_per_1000
    return "exporter" if result.cpu_per_1000 >= load else "snmpd+curl"


def print_limits(results: Sequence[Result]) -> None:
    for run, (peer, ours) in pairs(results).items():
        if run.startswith("pinned"):
            print(
                f"  {run:25} CPU {EXPORTER_CPU} (exporter) / CPU {LOAD_CPU} (snmpd+curl) "
                f"ms/target: snmp_exporter {peer.cpu_per_1000:.3f} / "
                f"{peer.snmpd_per_1000 + peer.curl_per_1000:.3f} (bound by "
                f"{pinned_bound(peer)}), provnet {ours.cpu_per_1000:.3f} / "
                f"{ours.snmpd_per_1000 + ours.curl_per_1000:.3f} (bound by {pinned_bound(ours)})"
            )
            continue
        bound = limit(peer, ours)
        print(
            f"  {run:25} CPU ms/target exporter+snmpd+curl: snmp_exporter "
            f"{peer.cpu_per_1000:.3f}+{peer.snmpd_per_1000:.3f}+{peer.curl_per_1000:.3f}, "
            f"provnet {ours.cpu_per_1000:.3f}+{ours.snmpd_per_1000:.3f}+"
            f"{ours.curl_per_1000:.3f}; snmpd+curl {bound.load_share:.0%} of provnet's row; "
            f"predicted {bound.expected:.2f}x, at most {bound.ceiling:.2f}x with a free exporter"
            + (" (2x impossible here)" if bound.ceiling < 2 else "")
        )


def print_diff(module: str, diff: sb.SeriesDiff, targets: int) -> None:
    print(
        f"  {module:12} {targets} devices: {diff.same} series in both, "
        f"{len(diff.only_peer)} only snmp_exporter, {len(diff.only_ours)} only provnet, "
        f"{len(diff.values_differ)} with other values (volatile ones not compared)"
    )
    for title, keys in (
        ("only snmp_exporter", diff.only_peer),
        ("only provnet", diff.only_ours),
        ("other values", diff.values_differ),
    ):
        for key in sorted(set(keys))[:5]:
            print(f"      {title}: {sb.show_series(key)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=3, help="measured passes per run")
    parser.add_argument("--parallel", type=int, default=50, help="curl --parallel-max")
    parser.add_argument("--modules", default="if_mib,system", help="comma-separated")
    parser.add_argument("--workers", type=int, default=None, help="provnet --workers")
    parser.add_argument("--concurrency", type=int, default=None, help="provnet --concurrency")
    parser.add_argument(
        "--pass-seconds",
        type=float,
        default=3.0,
        help="a measured pass asks for each device as many times as makes it last about this",
    )
    parser.add_argument("--max-time", type=float, default=30, help="per request, s")
    parser.add_argument("--max-seconds", type=float, default=300, help="per pass, s")
    parser.add_argument("--diff-devices", type=int, default=5)
    parser.add_argument("--no-provnet", action="store_true", help="snmp_exporter only")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument(
        "--rows",
        default="shared,pinned",
        help="row sets: shared (all on both CPUs), pinned (exporter on CPU 0, load on CPU 1)",
    )
    args = parser.parse_args(argv)
    why = sb.require_root_tools()
    if why:
        print(f"bench exporter: skipped: {why}")
        return 1

    creds = sb.Secrets.fresh()
    with sb.workdir("provnet-bench-exporter-", args.keep) as workdir:
        return run(args, creds, workdir)


def run(args: argparse.Namespace, creds: sb.Secrets, workdir: Path) -> int:
    targets = sb.hosts("127.1.0.1", args.devices)
    results: list[Result] = []
    diffs: list[tuple[str, sb.SeriesDiff]] = []
    with sb.terminate_as_interrupt(), sb.Namespace("exp", workdir) as ns:
        config = workdir / "snmp.yml"
        modules = sb.write_snmp_yml(config, creds)
        wanted = [m for m in args.modules.split(",") if m]
        unknown = sorted(set(wanted) - set(modules))
        if unknown:
            print(f"unknown module(s) {unknown}; {config.name} has {modules}")
            return 2
        snmpd = sb.start_snmpd(ns, creds)
        rows = [r for r in args.rows.split(",") if r]
        if not rows or set(rows) - {"shared", "pinned"}:
            print(f"--rows {args.rows}: expected shared, pinned or both")
            return 2
        load_before = sb.load_note()
        started = time.perf_counter()
        for row in rows:
            cpus = EXPORTER_CPU if row == "pinned" else None
            load_cpus = LOAD_CPU if row == "pinned" else None
            os.sched_setaffinity(
                snmpd.pid, {int(LOAD_CPU)} if load_cpus else os.sched_getaffinity(0)
            )
            peer, ours = start_exporters(ns, config, args, cpus)
            for module in wanted:
                for version, name in (("v2c", module + "_v2c"), ("v3 authPriv", module + "_v3")):
                    label = f"{'pinned ' if cpus else ''}{version} {module}"
                    results += measure_run(
                        ns, (peer, ours), snmpd.pid, label, name, targets, args, workdir, load_cpus
                    )
                    if ours.pid is not None and not cpus:
                        sample = targets[: args.diff_devices]
                        diffs.append((name, compare(ns, peer, ours, name, sample)))
            stop_exporters(ns, (peer, ours))
        elapsed = time.perf_counter() - started
        load_after = sb.load_note()
        logs = [workdir / "snmp_exporter.log", workdir / "provnet.log"]
        bodies = list(workdir.glob("*/*/*.prom"))
        leaks = sb.leaked(creds, [*logs, *bodies])

    print(
        f"devices: {args.devices} ({targets[0]} .. {targets[-1]}) on one net-snmp snmpd, "
        f"namespace {ns.name} (removed); curl --parallel-max {args.parallel}; "
        f"{args.passes} measured passes after a warm-up; cpus 2; {elapsed:.0f} s of load"
    )
    print(
        f"  rows: {', '.join(rows)}; pinned = each exporter alone on CPU {EXPORTER_CPU} "
        f"(snmp_exporter GOMAXPROCS=1), snmpd and curl on CPU {LOAD_CPU}"
    )
    print(f"machine: before {load_before}; after {load_after}")
    print(
        f"  'x' = times a measured pass asks for each device (a pass lasts about "
        f"{args.pass_seconds:.0f} s for the slower exporter, so curl's start counts little)"
    )
    print("  'machine' = share of both cpus busy during a pass (max), all processes included;")
    print("  this machine is shared with other work: compare rows of the same run only")
    print("  'snmpd', 'curl' = their CPU s/1000 targets (the load, on the same machine)")
    print_results(results, ours)
    if ours.pid is None:
        print(f"provnet: not measured ({ours.why_not}); ratios need both exporters")
        met = False
    else:
        print("series diff (same snmp.yml, same devices, device series only):")
        for name, diff in diffs:
            print_diff(name, diff, args.diff_devices)
        print("ratios provnet / snmp_exporter:")
        met = print_ratios(results)
        print("what limits each row (shared: the load takes its part of the same CPUs;")
        print("  pinned: targets/s measures the exporter only where its CPU is the busier one):")
        print_limits(results)
    print(
        f"secrets canary: {len(leaks)} of {len(logs) + len(bodies)} scrape bodies/logs "
        "contain a community or v3 password" + (f": {leaks[:3]}" if leaks else "")
    )
    if args.keep:
        print(f"work directory kept: {workdir}")
    print(f"goals: {'met' if met else 'not met'}")
    return 1 if any(r.ok == 0 for r in results) or leaks else 0


if __name__ == "__main__":
    sys.exit(main())
