"""Sustained: a real Prometheus scrapes 20,000 SNMP targets every 60 s through the exporter.

    python -m bench sustained [-- --minutes 5 --targets 20000 --dead-share 0.1
                                  --module if_mib --exporter both|provnet|snmp_exporter]

Inside a network namespace made for the run: one net-snmp ``snmpd`` on 0.0.0.0:161 answers
for the live targets (127.1.x.y), the dead ones (127.200.x.y:1161) hit a UDP socket that is
bound but never answers, so they time out as a dead router does. The exporter (provnet's,
then Debian's snmp_exporter 0.21 as the peer, each in a namespace of its own) and
Prometheus 2.42 (temporary storage, file_sd of every target, the multi-target relabelling,
``scrape_interval`` 60 s; the exporter's and its own /metrics every 5 s) run on 127.0.0.1
there. After ``--minutes`` rounds, the samples of ``up`` (and ``provnet_snmp_up``) are read
from Prometheus's HTTP API: for each round, the share of live targets whose k-th scrape
succeeded (and, for comparison, by wall-clock minute). The exporter's RSS is sampled every
2 s. Goal: >= 99.9 % of live targets every round, RSS <= 200 MB."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import snmpbench as sb

EXPORTERS = ("provnet", "snmp_exporter")
EXPORTER_LISTEN = "127.0.0.1:9117"
PROMETHEUS_LISTEN = "127.0.0.1:9090"
DEAD_PORT = 1161
JOB = "provnet_snmp"
SELF_INTERVAL = 5
"""Seconds between Prometheus's scrapes of the exporter's and its own /metrics."""
ROUND_FIGURES = {  # per round, from Prometheus's scrapes of the exporter and of itself
    "exporter CPU": 'rate(process_cpu_seconds_total{job="exporter"}[{w}])',
    "Prometheus CPU": 'rate(process_cpu_seconds_total{job="prometheus"}[{w}])',
    "series created": 'increase(prometheus_tsdb_head_series_created_total{job="prometheus"}[{w}])',
    "samples/s stored": "sum(rate(prometheus_tsdb_head_samples_appended_total"
    '{job="prometheus"}[{w}]))',
    "loop lag p99 s": "histogram_quantile(0.99, sum by (le) "
    "(increase(provnet_snmp_event_loop_lag_seconds_bucket[{w}])))",
    "loop lag > 0.5 s": "sum(increase(provnet_snmp_event_loop_lag_seconds_count[{w}])) - "
    'sum(increase(provnet_snmp_event_loop_lag_seconds_bucket{le="0.5"}[{w}]))',
    "gen2 GCs": 'increase(python_gc_collections_total{job="exporter",generation="2"}[{w}])',
    "in flight max": "max_over_time(provnet_snmp_inflight[{w}])",
    "abandoned": "sum(increase(provnet_snmp_abandoned_requests_total[{w}]))",
    "busy": 'sum(increase(provnet_snmp_errors_total{kind="busy"}[{w}]))',
}
NET_COUNTERS = {
    "Udp.RcvbufErrors": "UDP datagrams dropped by a full receive buffer (snmpd's or the "
    "exporter's)",
    "TcpExt.ListenOverflows": "connections a full accept queue refused",
    "Tcp.RetransSegs": "TCP segments retransmitted",
    "Tcp.PassiveOpens": "TCP connections accepted (Prometheus reuses its connections: far "
    "fewer than scrapes)",
}
KEEP_METRICS = "provnet_snmp_.*|snmp_scrape_.*|sysUpTime"
DEAD_HOLDER = (  # reads and drops what it gets, so only the agent's drops are counted
    "import socket, time\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    "s.bind(('0.0.0.0', {port}))\n"
    "s.settimeout(1.0)\n"
    "end = time.monotonic() + {seconds}\n"
    "while time.monotonic() < end:\n"
    "    try:\n"
    "        s.recv(65536)\n"
    "    except OSError:\n"
    "        pass\n"
)


# -- decisions --------------------------------------------------------------------------------


def file_sd(live: Sequence[str], dead: Sequence[str]) -> list[dict[str, Any]]:
    return [
        {"targets": list(live), "labels": {"liveness": "live"}},
        {"targets": list(dead), "labels": {"liveness": "dead"}},
    ]


def prometheus_config(
    targets_file: Path, module: str, exporter: str, interval: int, timeout: int
) -> dict[str, Any]:
    """snmp_exporter's documented multi-target relabelling; only a few device series kept
    (the exporter still does the full work, Prometheus stores less). The exporter's and
    Prometheus's own /metrics are scraped every :data:`SELF_INTERVAL` s, as in production."""
    own = [
        {
            "job_name": name,
            "scrape_interval": f"{SELF_INTERVAL}s",
            "scrape_timeout": f"{SELF_INTERVAL}s",
            "static_configs": [{"targets": [address]}],
        }
        for name, address in (("exporter", exporter), ("prometheus", PROMETHEUS_LISTEN))
    ]
    return {
        "global": {"scrape_interval": f"{interval}s", "scrape_timeout": f"{timeout}s"},
        "scrape_configs": [
            {
                "job_name": JOB,
                "metrics_path": "/snmp",
                "params": {"module": [module]},
                "file_sd_configs": [{"files": [str(targets_file)]}],
                "relabel_configs": [
                    {"source_labels": ["__address__"], "target_label": "__param_target"},
                    {"source_labels": ["__param_target"], "target_label": "instance"},
                    {"target_label": "__address__", "replacement": exporter},
                ],
                "metric_relabel_configs": [
                    {"source_labels": ["__name__"], "regex": KEEP_METRICS, "action": "keep"}
                ],
            },
            *own,
        ],
    }


def by_instance(matrix: Sequence[Mapping[str, Any]]) -> dict[str, dict[float, float]]:
    """``{instance: {timestamp: value}}`` of a range-vector result."""
    return {
        series["metric"].get("instance", ""): {float(t): float(v) for t, v in series["values"]}
        for series in matrix
    }


def first_timestamp(samples: Mapping[str, Mapping[float, float]]) -> float:
    return min((t for values in samples.values() for t in values), default=0.0)


def _rounds_with(
    up: Mapping[str, Mapping[float, float]],
    targets: Sequence[str],
    start: float,
    interval: float,
    rounds: int,
    counts: Callable[[str, float, float], bool],
) -> list[int]:
    """Per round k (``[start + k*interval, start + (k+1)*interval)``), how many ``targets``
    have a sample there that ``counts(target, timestamp, value)``."""
    found: list[set[str]] = [set() for _ in range(rounds)]
    for target in targets:
        for timestamp, value in up.get(target, {}).items():
            k = int((timestamp - start) // interval)
            if 0 <= k < rounds and counts(target, timestamp, value):
                found[k].add(target)
    return [len(done) for done in found]


def rounds_ok(
    up: Mapping[str, Mapping[float, float]],
    success: Mapping[str, Mapping[float, float]] | None,
    targets: Sequence[str],
    start: float,
    interval: float,
    rounds: int,
) -> list[int]:
    """Per round (one scrape of each target), how many ``targets`` were scraped with ``up``
    1 and, when ``success`` is given, that metric 1 in the same scrape (same timestamp).
    No scrape in a round: a failure."""

    def ok(target: str, timestamp: float, value: float) -> bool:
        return value == 1 and (success is None or success.get(target, {}).get(timestamp) == 1)

    return _rounds_with(up, targets, start, interval, rounds, ok)


def rounds_unscraped(
    up: Mapping[str, Mapping[float, float]],
    targets: Sequence[str],
    start: float,
    interval: float,
    rounds: int,
) -> list[int]:
    """Per round, how many ``targets`` Prometheus did not scrape at all in its window (so a
    miss can be told from a failed scrape)."""
    seen = _rounds_with(up, targets, start, interval, rounds, lambda *_: True)
    return [len(targets) - count for count in seen]


@dataclass(frozen=True)
class Scheduled:
    """Per k: the k-th scrape of each target (its first scrape, then one ``interval`` apart,
    whenever in the minute Prometheus placed that target)."""

    ok: list[int]
    missing: list[int]


def scheduled_rounds(
    up: Mapping[str, Mapping[float, float]],
    success: Mapping[str, Mapping[float, float]] | None,
    targets: Sequence[str],
    interval: float,
    rounds: int,
) -> Scheduled:
    """Prometheus gives each target a fixed offset in the interval and starts its scrape
    loops over several seconds, so a target whose offset had passed when its loop started is
    first scraped a minute later: counted by wall-clock minute it looks unscraped. Here the
    k-th scrape of a target is the one within half an interval of ``first + k * interval``;
    none there (a skipped scrape) or a never-scraped target is a failure, as is ``up`` 0 or,
    when ``success`` is given, that metric not 1 in the same scrape."""
    ok, missing = [0] * rounds, [0] * rounds
    for target in targets:
        samples = up.get(target, {})
        if not samples:
            missing = [m + 1 for m in missing]
            continue
        first = min(samples)
        slots: dict[int, float] = {}
        for timestamp in sorted(samples):
            k = round((timestamp - first) / interval)
            if 0 <= k < rounds:
                slots.setdefault(k, timestamp)
        for k in range(rounds):
            if k not in slots:
                missing[k] += 1
            elif samples[slots[k]] == 1 and (
                success is None or success.get(target, {}).get(slots[k]) == 1
            ):
                ok[k] += 1
    return Scheduled(ok, missing)


@dataclass
class Samples:
    rss: list[float] = field(default_factory=list)
    prometheus_rss: list[float] = field(default_factory=list)
    cpu_start: float = 0.0
    cpu_end: float = 0.0
    snmpd_cpu_start: float = 0.0
    snmpd_cpu_end: float = 0.0
    prometheus_cpu: float = 0.0
    machine_busy: float = 0.0


# -- I/O ---------------------------------------------------------------------------------------


def query(ns: sb.Namespace, expr: str, at: float | None = None) -> list[dict[str, Any]]:
    params = {"query": expr} | ({"time": f"{at:.3f}"} if at is not None else {})
    url = f"http://{PROMETHEUS_LISTEN}/api/v1/query?{urllib.parse.urlencode(params)}"
    code, body = ns.http_get(url, timeout=120)
    if code != 200:
        raise RuntimeError(f"Prometheus query {expr!r}: HTTP {code}: {body[:200]}")
    result: list[dict[str, Any]] = json.loads(body)["data"]["result"]
    return result


def start_exporter(
    ns: sb.Namespace, kind: str, config: Path, args: argparse.Namespace
) -> subprocess.Popen[bytes]:
    if kind == "snmp_exporter":
        argv = sb.snmp_exporter_argv(config, EXPORTER_LISTEN)
    else:
        argv = sb.provnet_argv(config, EXPORTER_LISTEN, args.workers, args.concurrency)
    process = ns.start(argv, ns.workdir / f"{kind}.log")
    ns.wait_http(f"http://{EXPORTER_LISTEN}/metrics", process)
    return process


def start_prometheus(ns: sb.Namespace, config: dict[str, Any]) -> subprocess.Popen[bytes]:
    path = ns.workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    argv = [
        sb.PROMETHEUS,
        f"--config.file={path}",
        f"--storage.tsdb.path={ns.workdir / 'tsdb'}",
        f"--web.listen-address={PROMETHEUS_LISTEN}",
        "--log.level=warn",
    ]
    process = ns.start(argv, ns.workdir / "prometheus.log")
    ns.wait_http(f"http://{PROMETHEUS_LISTEN}/-/ready", process, seconds=60)
    return process


def watch(
    seconds: float, exporter_pid: int, prometheus_pid: int, snmpd_pid: int, samples: Samples
) -> None:
    """Sample RSS every 2 s for ``seconds``, with a progress bar."""
    samples.cpu_start = sb.cpu_seconds(sb.process_tree(exporter_pid))
    samples.snmpd_cpu_start = sb.cpu_seconds([snmpd_pid])
    prometheus_start = sb.cpu_seconds([prometheus_pid])
    machine_start = sb.machine_jiffies()
    end = time.monotonic() + seconds
    with Progress(transient=True) as progress:
        task = progress.add_task("Prometheus đang thu thập (scraping)", total=seconds)
        while (left := end - time.monotonic()) > 0:
            tree = sb.process_tree(exporter_pid)
            if not tree or not sb.alive(exporter_pid):
                raise RuntimeError("the exporter died during the run")
            samples.rss.append(sb.rss_mib(tree))
            samples.prometheus_rss.append(sb.rss_mib([prometheus_pid]))
            progress.update(task, completed=seconds - left)
            time.sleep(min(2.0, left))
    samples.cpu_end = sb.cpu_seconds(sb.process_tree(exporter_pid))
    samples.snmpd_cpu_end = sb.cpu_seconds([snmpd_pid])
    samples.prometheus_cpu = sb.cpu_seconds([prometheus_pid]) - prometheus_start
    samples.machine_busy = sb.busy_share(machine_start, sb.machine_jiffies())


# -- main ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=5, help="scrape rounds measured")
    parser.add_argument("--targets", type=int, default=20000)
    parser.add_argument("--dead-share", type=float, default=0.1)
    parser.add_argument("--module", default="if_mib", help="bench snmp.yml module")
    parser.add_argument(
        "--exporter",
        choices=("both", *EXPORTERS),
        default="both",
        help="provnet, the peer, or both one after the other (default)",
    )
    parser.add_argument("--workers", type=int, default=None, help="provnet --workers")
    parser.add_argument("--concurrency", type=int, default=None, help="provnet --concurrency")
    parser.add_argument("--interval", type=int, default=60, help="scrape_interval, s")
    parser.add_argument("--scrape-timeout", type=int, default=10, help="scrape_timeout, s")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    kinds = list(EXPORTERS) if args.exporter == "both" else [args.exporter]
    why = sb.require_root_tools()
    if why is None and "provnet" in kinds:
        why = sb.provnet_available()
    for needed in (sb.PROMETHEUS, *([sb.SNMP_EXPORTER] if "snmp_exporter" in kinds else [])):
        if why is None and not Path(needed).exists():
            why = f"{needed} not installed"
    if why:
        print(f"bench sustained: not run: {why}")
        return 1
    creds = sb.Secrets.fresh()
    outcomes: list[Outcome] = []
    for kind in kinds:
        with sb.workdir(f"provnet-bench-sustained-{kind}-", args.keep) as workdir:
            outcome = measure(args, kind, creds, workdir)
            report(args, outcome)
            if args.keep:
                print(f"work directory kept: {workdir}")
        outcomes.append(outcome)
    if len(outcomes) > 1:
        side_by_side(outcomes)
    return 1 if any(o.leaks for o in outcomes) else 0


def round_figures(
    ns: sb.Namespace, start: float, interval: int, rounds: int
) -> dict[str, list[float | None]]:
    """:data:`ROUND_FIGURES` over each wall-clock round ``[start + k*interval, +interval)``."""
    window = f"{interval}s"
    figures: dict[str, list[float | None]] = {}
    for name, expr in ROUND_FIGURES.items():
        values: list[float | None] = []
        for k in range(rounds):
            result = query(ns, expr.replace("{w}", window), start + (k + 1) * interval)
            values.append(float(result[0]["value"][1]) if result else None)
        figures[name] = values
    return figures


def scalar(ns: sb.Namespace, expr: str, at: float) -> float:
    result = query(ns, expr, at)
    return float(result[0]["value"][1]) if result else float("nan")


@dataclass
class Outcome:
    """What one sustained run of one exporter measured."""

    exporter: str
    live: int
    dead: int
    watched: float
    scheduled: Scheduled
    minute_ok: list[int]
    unscraped: list[int]
    dead_up: list[int]
    figures: dict[str, list[float | None]]
    live_p99: float
    samples_scraped: float
    """Samples in a live target's answer (``scrape_samples_scraped``), on average."""
    head_series: float
    dead_max: float
    samples: Samples
    net: dict[str, int]
    error_kinds: dict[str, float]
    load: str
    leaks: list[Path]
    success_metric: str | None

    @property
    def worst(self) -> float:
        return min(self.scheduled.ok, default=0) / self.live

    @property
    def worst_minute(self) -> float:
        return min(self.minute_ok, default=0) / self.live

    @property
    def cpu_share(self) -> float:
        return (self.samples.cpu_end - self.samples.cpu_start) / self.watched

    @property
    def rss_max(self) -> float:
        return max(self.samples.rss, default=0.0)


def measure(args: argparse.Namespace, kind: str, creds: sb.Secrets, workdir: Path) -> Outcome:
    dead_count = round(args.targets * args.dead_share)
    live = sb.hosts("127.1.0.1", args.targets - dead_count)
    dead = [f"{h}:{DEAD_PORT}" for h in sb.hosts("127.200.0.1", dead_count)]
    watch_seconds = (args.minutes + 1) * args.interval + args.scrape_timeout
    rounds = args.minutes
    samples = Samples()
    with sb.terminate_as_interrupt(), sb.Namespace("sus", workdir) as ns:
        config = workdir / "snmp.yml"
        sb.write_snmp_yml(config, creds)
        snmpd = sb.start_snmpd(ns, creds)
        net_before = sb.net_counters(ns)
        holder = DEAD_HOLDER.format(port=DEAD_PORT, seconds=int(watch_seconds + 600))
        ns.start([sys.executable, "-c", holder], workdir / "dead-holder.log")
        exporter = start_exporter(ns, kind, config, args)
        # A directory of its own: Prometheus watches the file's directory and reads the
        # whole file again on any change there (a log line written beside it was enough
        # to take a quarter of its CPU re-reading 20,000 targets).
        targets_file = workdir / "file_sd" / "targets.json"
        targets_file.parent.mkdir()
        targets_file.write_text(json.dumps(file_sd(live, dead)))
        prom_config = prometheus_config(
            targets_file, args.module + "_v2c", EXPORTER_LISTEN, args.interval, args.scrape_timeout
        )
        prometheus = start_prometheus(ns, prom_config)
        started = time.time()
        watch(watch_seconds, exporter.pid, prometheus.pid, snmpd.pid, samples)
        at = time.time()
        load_after = sb.load_note()
        window = f"{int(at - started) + 5}s"
        up = query(ns, f'up{{job="{JOB}"}}[{window}]', at)
        success_metric = "provnet_snmp_up" if kind == "provnet" else None
        success = (
            query(ns, f'{success_metric}{{job="{JOB}"}}[{window}]', at) if success_metric else []
        )
        live_duration = 'max_over_time(scrape_duration_seconds{liveness="live"}[' + window + "])"
        p99 = scalar(ns, f"quantile(0.99, {live_duration})", at)
        dead_max = scalar(
            ns, f'max(max_over_time(scrape_duration_seconds{{liveness="dead"}}[{window}]))', at
        )
        scraped = scalar(
            ns, f'avg(avg_over_time(scrape_samples_scraped{{liveness="live"}}[{window}]))', at
        )
        head_series = scalar(ns, 'prometheus_tsdb_head_series{job="prometheus"}', at)
        up_map, success_map = by_instance(up), by_instance(success)
        start = first_timestamp(up_map)
        figures = round_figures(ns, start, args.interval, rounds)
        leaks = sb.leaked(creds, list(workdir.glob("*.log")))
        net_after = sb.net_counters(ns)
        kinds: dict[str, float] = {}
        if kind == "provnet":
            _, own = ns.http_get(f"http://{EXPORTER_LISTEN}/metrics")
            kinds = sb.error_kinds(own)
    return Outcome(
        exporter=kind,
        live=len(live),
        dead=len(dead),
        watched=watch_seconds,
        scheduled=scheduled_rounds(
            up_map, success_map if success_metric else None, live, args.interval, rounds
        ),
        minute_ok=rounds_ok(up_map, None, live, start, args.interval, rounds),
        unscraped=rounds_unscraped(up_map, live, start, args.interval, rounds),
        dead_up=rounds_ok(up_map, None, dead, start, args.interval, rounds),
        figures=figures,
        live_p99=p99,
        samples_scraped=scraped,
        head_series=head_series,
        dead_max=dead_max,
        samples=samples,
        net={k: net_after.get(k, 0) - net_before.get(k, 0) for k in NET_COUNTERS},
        error_kinds=kinds,
        load=load_after,
        leaks=leaks,
        success_metric=success_metric,
    )


def report(args: argparse.Namespace, o: Outcome) -> None:
    print(
        f"{o.exporter}, module {args.module}: {o.live} live + {o.dead} dead targets, "
        f"scrape_interval {args.interval} s, scrape_timeout {args.scrape_timeout} s, "
        f"{o.watched:.0f} s watched"
    )
    ok_name = f"up==1{' and ' + o.success_metric + '==1' if o.success_metric else ''}"
    print(
        f"Per scrape of each live target (k-th = its first + k x {args.interval} s), "
        f"{ok_name}; and by wall-clock minute from the first sample:"
    )
    print(
        f"{'k':>3} {'live ok':>8} {'share':>8} {'skipped':>8} {'dead up':>8} | "
        f"{'minute up==1':>12} {'share':>8} {'unscraped':>9}"
    )
    for k in range(args.minutes):
        print(
            f"{k + 1:>3} {o.scheduled.ok[k]:>8} {o.scheduled.ok[k] / o.live:>8.3%} "
            f"{o.scheduled.missing[k]:>8} {o.dead_up[k]:>8} | {o.minute_ok[k]:>12} "
            f"{o.minute_ok[k] / o.live:>8.3%} {o.unscraped[k]:>9}"
        )
    print("Per wall-clock minute, from Prometheus's scrapes of the exporter and of itself:")
    print(f"{'minute':>6} " + " ".join(f"{name:>16}" for name in o.figures))
    for k in range(args.minutes):
        cells = [o.figures[name][k] for name in o.figures]
        print(f"{k + 1:>6} " + " ".join(f"{'-' if v is None else f'{v:.3g}':>16}" for v in cells))
    samples = o.samples
    snmpd_cpu = samples.snmpd_cpu_end - samples.snmpd_cpu_start
    print(
        f"scrape duration: live p99 of per-target max {o.live_p99:.2f} s, "
        f"dead max {o.dead_max:.2f} s; {o.samples_scraped:.0f} samples in a live target's "
        f"answer; Prometheus head series {o.head_series:.0f}"
    )
    print(
        f"exporter RSS: max {o.rss_max:.1f} MiB, "
        f"last {samples.rss[-1] if samples.rss else 0:.1f} MiB; "
        f"exporter CPU {o.cpu_share * o.watched:.1f} s ({o.cpu_share:.0%} of a core); "
        f"snmpd CPU {snmpd_cpu / o.watched:.0%}; "
        f"Prometheus RSS max {max(samples.prometheus_rss, default=0):.0f} MiB, "
        f"CPU {samples.prometheus_cpu / o.watched:.0%}"
    )
    for counter, meaning in NET_COUNTERS.items():
        print(f"namespace {counter}: {o.net[counter]} ({meaning})")
    if o.exporter == "provnet":
        print(f"exporter: failed module scrapes by kind {o.error_kinds or '{}'} (dead: 10%)")
    print(
        f"machine: {samples.machine_busy:.0%} of both cpus busy during the run (all processes; "
        f"shared machine), {o.load}"
    )
    print(
        f"goal: every scrape round >= 99.9 % of live targets: worst {o.worst:.3%} "
        f"({'met' if o.worst >= 0.999 else 'NOT met'}); RSS <= 200 MB: "
        f"{'met' if o.rss_max * 1024 * 1024 <= 200e6 else 'NOT met'}"
    )
    print(f"secrets canary: {len(o.leaks)} log file(s) contain a community or v3 password\n")


def side_by_side(outcomes: Sequence[Outcome]) -> None:
    print("Side by side (same harness, one after the other on this machine):")
    rows: dict[str, Callable[[Outcome], str]] = {
        "worst round, per target's scrape": lambda o: f"{o.worst:.3%}",
        "worst wall-clock minute": lambda o: f"{o.worst_minute:.3%}",
        "exporter RSS max, MiB": lambda o: f"{o.rss_max:.0f}",
        "exporter CPU, share of a core": lambda o: f"{o.cpu_share:.0%}",
        "Prometheus CPU, share of a core": lambda o: f"{o.samples.prometheus_cpu / o.watched:.0%}",
        "live scrape p99 of max, s": lambda o: f"{o.live_p99:.2f}",
        "samples in a live answer": lambda o: f"{o.samples_scraped:.0f}",
        "Prometheus head series": lambda o: f"{o.head_series:.0f}",
        "machine busy": lambda o: f"{o.samples.machine_busy:.0%}",
    }
    print(f"{'':34}" + "".join(f"{o.exporter:>16}" for o in outcomes))
    for name, cell in rows.items():
        print(f"{name:34}" + "".join(f"{cell(o):>16}" for o in outcomes))


if __name__ == "__main__":
    sys.exit(main())
