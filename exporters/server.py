"""The exporter's HTTP endpoints, snmp_exporter's multi-target pattern (served by
:mod:`exporters.http`).

* ``GET /snmp?target=ADDR[:PORT]&module=NAME[,NAME...]&auth=NAME[&uplink=IF]``: a fresh
  SNMP collection of the target; every module reports ``provnet_snmp_module_success`` and
  ``provnet_snmp_module_duration_seconds``; the answer is HTTP 200 with what was collected
  even when the target or a module failed.
* ``GET /probe?module=NAME&target=...``: probe modules (``vc``, ``ipv6_service``).
* ``GET /metrics``: the exporter's own metrics; ``GET /``: a landing page (names only).

Each request's work is bounded by ``X-Prometheus-Scrape-Timeout-Seconds`` (minus a small
offset) and by a global cap of concurrent scrapes. Nothing is kept between requests except
idle SNMP sessions (``SessionPool``; a v3 one with its engine discovery done).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import html
import importlib
import logging
import os
import resource
import signal
import socket
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exporters.http import HttpServer, Request, Response
from exporters.module import MetricFamily, ProbeModule, Sample
from exporters.render import CONTENT_TYPE, Dedup, render
from exporters.snmp.builtin import Builtin, load_builtins
from exporters.snmp.config import Auth, ExporterConfig, Module
from exporters.snmp.engine import SessionPool, Target
from exporters.snmp.scrape import (
    META_NAMES,
    ScrapeResult,
    scrape,
    scrape_families,
    scrape_text,
)

log = logging.getLogger("provnet.exporter")

PROBE_MODULES = ("exporters.modules.vc", "exporters.probes.ipv6_service")
DEFAULT_AUTH = "public_v2"
DEFAULT_DEADLINE = 120.0
"""Seconds a request may take when Prometheus sends no scrape timeout."""
RESERVED_PARAMS = frozenset({"target", "module", "auth"})


class BadRequest(ValueError):
    """A request the exporter refuses (HTTP 400); the message names no secret."""


# ---------------------------------------------------------------------------------------------
# Self-metrics
# ---------------------------------------------------------------------------------------------


class SelfMetrics:
    """The exporter's own metrics (prometheus_client; multi-process aware with --workers)."""

    def __init__(self, multiprocess_dir: str | None = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry()
        registry = None if multiprocess_dir else self.registry
        buckets = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
        self.scrapes = Counter(
            "provnet_snmp_scrapes",
            "Module scrapes by result.",
            ["module", "result"],
            registry=registry,
        )
        self.duration = Histogram(
            "provnet_snmp_scrape_duration_seconds",
            "Duration of whole scrapes.",
            buckets=buckets,
            registry=registry,
        )
        self.walk = Histogram(
            "provnet_snmp_walk_duration_seconds",
            "Duration of the SNMP part of module scrapes.",
            buckets=buckets,
            registry=registry,
        )
        self.sent = Counter(
            "provnet_snmp_packets_sent", "SNMP packets sent, retries included.", registry=registry
        )
        self.received = Counter(
            "provnet_snmp_packets_received", "SNMP answers received.", registry=registry
        )
        self.retries = Counter("provnet_snmp_retries", "SNMP retries.", registry=registry)
        self.errors = Counter(
            "provnet_snmp_errors", "Failed module scrapes by kind.", ["kind"], registry=registry
        )
        self.discoveries = Counter(
            "provnet_snmp_v3_discoveries",
            "SNMPv3 engine discoveries (cache misses).",
            registry=registry,
        )
        self.duplicates = Counter(
            "provnet_snmp_duplicate_series",
            "Series dropped as duplicates (first wins).",
            registry=registry,
        )
        self.inflight = Gauge(
            "provnet_snmp_inflight",
            "Scrapes in progress.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.abandoned = Counter(
            "provnet_snmp_abandoned_requests",
            "Requests whose client went away before the answer (Prometheus's scrape timeout "
            "came first).",
            ["path"],
            registry=registry,
        )
        self.silent = Gauge(
            "provnet_snmp_silent_targets",
            "Targets that did not answer their last scrape (scraped under their own cap).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.reload_ok = Gauge(
            "provnet_snmp_config_last_reload_successful",
            "1 when the last configuration (re)load succeeded (SIGHUP or POST /-/reload).",
            registry=registry,
            multiprocess_mode="livemin",
        )
        self.reload_time = Gauge(
            "provnet_snmp_config_last_reload_success_timestamp_seconds",
            "When the configuration was last loaded successfully.",
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.reload_ok.set(1)
        self.reload_time.set_to_current_time()
        self.loop_lag = Histogram(
            "provnet_snmp_event_loop_lag_seconds",
            "How late the event loop ran a timer: time every request waited for the CPU.",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=registry,
        )
        if registry is not None:  # one process: its CPU, memory, open files, collections
            from prometheus_client import GCCollector, ProcessCollector

            ProcessCollector(registry=registry)
            GCCollector(registry=registry)

    def observe(self, result: ScrapeResult, dedup: Dedup) -> None:
        for module in result.modules:
            self.scrapes.labels(module.name, "success" if module.success else "failure").inc()
            if module.success:
                self.walk.observe(module.walk_seconds)
            else:
                self.errors.labels(module.error_kind or "unknown").inc()
        counters = result.counters
        self.duration.observe(result.seconds)
        self.sent.inc(counters.packets_sent)
        self.received.inc(counters.packets_received)
        self.retries.inc(counters.retries)
        self.discoveries.inc(counters.discoveries)
        if dedup.duplicates or dedup.type_clashes:
            self.duplicates.inc(dedup.duplicates + dedup.type_clashes)

    def exposition(self) -> bytes:
        from prometheus_client import CollectorRegistry, generate_latest

        if self.multiprocess_dir:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)


# ---------------------------------------------------------------------------------------------
# Request decisions (no I/O)
# ---------------------------------------------------------------------------------------------


def parse_modules(values: Sequence[str]) -> list[str]:
    """``module`` repeated and/or comma-separated, deduplicated in order (snmp_exporter)."""
    names: list[str] = []
    for value in values or ["if_mib"]:
        for name in value.split(","):
            if name and name not in names:
                names.append(name)
    if not names:
        raise BadRequest("'module' parameter must contain at least one module name")
    return names


def deadline_from(header: str | None, now: float, offset: float = 0.5) -> float:
    """The monotonic time this request's work must end: Prometheus's scrape timeout minus
    ``offset`` (at most 10% of it), or :data:`DEFAULT_DEADLINE` without the header."""
    if header:
        try:
            seconds = float(header)
        except ValueError:
            seconds = DEFAULT_DEADLINE
        if seconds > 0:
            return now + max(seconds - min(offset, seconds * 0.1), 0.01)
    return now + DEFAULT_DEADLINE


@dataclass
class Registry:
    """What the server knows by name: modules (file, built-in, probe) and auths."""

    config: ExporterConfig
    builtins: dict[str, Builtin] = field(default_factory=load_builtins)
    probes: dict[str, ProbeModule] = field(default_factory=dict)
    credentials: dict[str, Auth] = field(default_factory=dict)

    def snmp_module(self, name: str) -> tuple[Module, Builtin | None]:
        builtin = self.builtins.get(name)
        module = self.config.modules.get(name)
        if module is None and builtin is not None:
            module = builtin.module
        if module is None:
            raise BadRequest(f"Unknown module '{name}'")
        return module, builtin

    def auth_for(self, name: str | None, modules: Sequence[Module]) -> Auth:
        if name:
            auth = self.config.auths.get(name) or self.credentials.get(name)
            if auth is None:
                raise BadRequest(f"Unknown auth '{name}'")
            return auth
        for module in modules:
            if module.auth is not None and module.auth in self.config.auths:
                return self.config.auths[module.auth]
        auth = self.config.auths.get(DEFAULT_AUTH) or self.credentials.get(DEFAULT_AUTH)
        if auth is None:
            raise BadRequest(f"Unknown auth '{DEFAULT_AUTH}' (give auth=NAME)")
        return auth

    def module_names(self) -> list[str]:
        return sorted({*self.config.modules, *self.builtins})

    def auth_names(self) -> list[str]:
        return sorted({*self.config.auths, *self.credentials})


def load_probes(names: Sequence[str] = PROBE_MODULES) -> dict[str, ProbeModule]:
    """Probe modules present in this checkout (``MODULE`` of each), by name."""
    found: dict[str, ProbeModule] = {}
    for dotted in names:
        try:
            module = importlib.import_module(dotted)
        except ImportError as exc:
            if exc.name != dotted:
                log.warning("probe module %s not loaded: %s", dotted, type(exc).__name__)
            continue
        probe = getattr(module, "MODULE", None)
        if probe is not None and hasattr(probe, "probe"):
            found[str(probe.name)] = probe
    return found


# ---------------------------------------------------------------------------------------------
# Handlers
# ---------------------------------------------------------------------------------------------


class SilentTargets:
    """Targets whose last scrape got no answer at all, least recently seen dropped first.

    A silent target's scrape holds its slot until the deadline (every try times out), so
    silent targets take their slots from a cap of their own: however many devices are
    dead, the ones that answer are never kept waiting behind them."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._targets: OrderedDict[Target, None] = OrderedDict()

    def __contains__(self, target: Target) -> bool:
        return target in self._targets

    def __len__(self) -> int:
        return len(self._targets)

    def note(self, target: Target, result: ScrapeResult) -> None:
        """Remember the outcome: silent when nothing answered and a try timed out."""
        if result.answered:
            self._targets.pop(target, None)
        elif any(m.error_kind in ("timeout", "deadline") for m in result.modules):
            self.suspect(target)

    def suspect(self, target: Target) -> None:
        """Count ``target`` silent (until a scrape of it gets an answer)."""
        self._targets[target] = None
        self._targets.move_to_end(target)
        if len(self._targets) > self.limit:
            self._targets.popitem(last=False)


@dataclass
class Server:
    registry: Registry
    metrics: SelfMetrics
    concurrency: int = 256
    """Scrapes at once of targets that answered last time; as many again of silent ones.
    A scrape whose first try times out gives its slot back (and its target counts silent):
    it spent at least a try's timeout in the slot and ends by its deadline, so such scrapes
    number at most ``concurrency`` x deadline / timeout."""
    parallel: int = 4
    """Requests in flight at once to one target within one scrape."""
    pool: SessionPool = field(default_factory=SessionPool)
    gate: asyncio.Semaphore | None = None
    silent_gate: asyncio.Semaphore | None = None
    silent: SilentTargets = field(default_factory=SilentTargets)
    load: Callable[[], Registry] | None = None
    """Loads the configuration again (SIGHUP, POST /-/reload); None: nothing to reload."""
    tell_siblings: Callable[[], None] | None = None
    """With several workers: have the others reload too (a POST reaches one of them)."""

    def reload(self) -> str | None:
        """Load the configuration again and use it; on failure keep the one in use and
        return why (the file and line; never a secret)."""
        if self.load is None:
            return "nothing to reload: the exporter was started without a configuration"
        try:
            registry = self.load()
        except Exception as exc:  # any failure leaves the running configuration in place
            self.metrics.reload_ok.set(0)
            log.error("configuration not reloaded, the previous one stays: %s", exc)
            return str(exc)
        self.registry = registry
        self.pool.clear()  # an auth may have another community or other keys now
        self.metrics.reload_ok.set(1)
        self.metrics.reload_time.set_to_current_time()
        log.info("configuration reloaded: %d modules", len(registry.module_names()))
        return None

    def http(self) -> HttpServer:
        return HttpServer(
            {
                "/snmp": self.handle_snmp,
                "/probe": self.handle_probe,
                "/metrics": self.handle_metrics,
                "/-/healthy": self.handle_healthy,
                "/-/reload": self.handle_reload,
                "/": self.handle_landing,
            },
            on_abandoned=lambda request: self.metrics.abandoned.labels(request.path).inc(),
            writable=frozenset({"/-/reload"}),
        )

    def _gate(self, target: Target) -> asyncio.Semaphore:
        if target in self.silent:
            if self.silent_gate is None:
                self.silent_gate = asyncio.Semaphore(self.concurrency)
            return self.silent_gate
        if self.gate is None:
            self.gate = asyncio.Semaphore(self.concurrency)
        return self.gate

    async def handle_snmp(self, request: Request) -> Response:
        deadline = deadline_from(
            request.headers.get("x-prometheus-scrape-timeout-seconds"), time.monotonic()
        )
        try:
            targets = request.getall("target")
            if len(targets) != 1 or not targets[0]:
                raise BadRequest("'target' parameter must be specified once")
            target = Target.parse(targets[0])
            names = parse_modules(request.getall("module"))
            modules = [self.registry.snmp_module(n) for n in names]
            auths = request.getall("auth")
            if len(auths) > 1:
                raise BadRequest("'auth' parameter must only be specified once")
            auth = self.registry.auth_for(auths[0] if auths else None, [m for m, _ in modules])
        except (BadRequest, ValueError) as exc:
            return Response(f"{exc}\n".encode(), 400)
        params = extra_params(request)
        self.metrics.inflight.inc()
        try:
            result = await self._scrape(target, auth, modules, params, deadline)
        finally:
            self.metrics.inflight.dec()
        families: list[MetricFamily] = [f for m in result.modules for f in m.families]
        dedup = Dedup()
        if META_NAMES.isdisjoint([f.name for f in families]):
            body = render(families, dedup) + scrape_text(result)
        else:  # a module's metric is named like one of the scrape's own: de-duplicate all
            body = render(families + scrape_families(result), dedup)
        self.metrics.observe(result, dedup)
        return Response(body.encode(), content_type=CONTENT_TYPE)

    async def _scrape(
        self,
        target: Target,
        auth: Auth,
        modules: Sequence[tuple[Module, Builtin | None]],
        params: Mapping[str, str],
        deadline: float,
    ) -> ScrapeResult:
        gate = self._gate(target)
        started = time.perf_counter()
        try:
            if gate.locked():  # a free slot is taken at once, without arming a timer
                async with asyncio.timeout(max(deadline - time.monotonic(), 0.0)):
                    await gate.acquire()
            else:
                await gate.acquire()
        except TimeoutError:
            from exporters.snmp.engine import Counters
            from exporters.snmp.scrape import ModuleResult

            return ScrapeResult(
                str(target),
                [ModuleResult(m.name, error_kind="busy") for m, _ in modules],
                Counters(),
                time.perf_counter() - started,
                False,
            )
        held = True

        def give_back() -> None:
            """The target did not answer its first try: its retries wait for a dead device
            as often as not, so they stop holding a slot of the answering targets' cap."""
            nonlocal held
            if held and gate is self.gate:
                held = False
                gate.release()
                self.silent.suspect(target)
                self.metrics.silent.set(len(self.silent))

        try:
            result = await scrape(
                target, auth, modules, params, self.pool, deadline, self.parallel, give_back
            )
        finally:
            if held:
                gate.release()
        silent = len(self.silent)
        self.silent.note(target, result)
        if len(self.silent) != silent:
            self.metrics.silent.set(len(self.silent))
        return result

    async def handle_probe(self, request: Request) -> Response:
        deadline = deadline_from(
            request.headers.get("x-prometheus-scrape-timeout-seconds"), time.monotonic()
        )
        target = request.get("target")
        name = request.get("module")
        probe = self.registry.probes.get(name)
        if not target or probe is None:
            known = ", ".join(sorted(self.registry.probes)) or "none"
            text = f"need target and a probe module ({known}); got '{name}'\n"
            return Response(text.encode(), 400)
        params = extra_params(request)
        started = time.perf_counter()
        families: list[MetricFamily] = []
        success = 1.0
        try:
            async with asyncio.timeout(max(deadline - time.monotonic(), 0.0)):
                families = await probe.probe(target, params, deadline)
        except Exception as exc:  # a probe must not raise; if it does, it is a failure
            log.info("probe %s on %s failed: %s", name, target, type(exc).__name__)
            success = 0.0
        labels = (("module", name),)
        families.append(
            MetricFamily(
                "provnet_probe_module_success",
                "gauge",
                "0 when the probe module itself failed or ran out of time.",
                [Sample("provnet_probe_module_success", labels, success)],
            )
        )
        families.append(
            MetricFamily(
                "provnet_probe_duration_seconds",
                "gauge",
                "Time the probe took.",
                [Sample("provnet_probe_duration_seconds", labels, time.perf_counter() - started)],
            )
        )
        return Response(render(families).encode(), content_type=CONTENT_TYPE)

    async def handle_metrics(self, request: Request) -> Response:
        return Response(self.metrics.exposition(), content_type=CONTENT_TYPE)

    async def handle_healthy(self, request: Request) -> Response:
        return Response(b"Healthy\n")

    async def handle_reload(self, request: Request) -> Response:
        if request.method not in ("POST", "PUT"):
            return Response(b"POST or PUT to reload the configuration\n", 405)
        why = self.reload()
        if why is not None:
            return Response(f"failed to reload config: {why}\n".encode(), 500)
        if self.tell_siblings is not None:
            self.tell_siblings()
        return Response(b"OK\n")

    async def handle_landing(self, request: Request) -> Response:
        page = landing_page(self.registry).encode()
        return Response(page, content_type="text/html; charset=utf-8")


def extra_params(request: Request) -> dict[str, str]:
    """Query parameters besides target, module and auth (the first of each name)."""
    params: dict[str, str] = {}
    for key, value in request.query:
        if key not in RESERVED_PARAMS:
            params.setdefault(key, value)
    return params


def landing_page(registry: Registry) -> str:
    """Names only: modules, probes and auths; never an auth's values."""

    def items(names: Sequence[str]) -> str:
        return "".join(f"<li><code>{html.escape(n)}</code></li>" for n in names) or "<li>—</li>"

    source = registry.config.source
    where = html.escape(str(source)) if source else "chỉ module có sẵn (built-in only)"
    return (
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
        "<title>provnet exporter</title></head><body>"
        "<h1>provnet exporter</h1>"
        f"<p>Cấu hình (config): {where}</p>"
        "<form action='/snmp'>target <input name='target' value='127.0.0.1'> "
        "module <input name='module' value='system,if_mib'> "
        "auth <input name='auth'> <input type='submit' value='Thu thập (scrape)'></form>"
        f"<h2>Module SNMP (SNMP modules)</h2><ul>{items(registry.module_names())}</ul>"
        f"<h2>Module thăm dò (probe modules)</h2><ul>{items(sorted(registry.probes))}</ul>"
        f"<h2>Xác thực (auths)</h2><ul>{items(registry.auth_names())}</ul>"
        "<p><a href='/metrics'>/metrics</a></p></body></html>"
    )


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


def settle_heap() -> None:
    """Move what start-up built (config, modules, imports) out of the collector's sight and
    collect young objects less often: a scrape makes thousands of short-lived containers,
    and with the default threshold (700) the collector ran every few PDUs, each full pass
    walking the whole start-up heap again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def raise_file_limit() -> None:
    """Each scrape holds a UDP socket; lift the soft open-file limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


LISTEN_BACKLOG = 4096
"""Connections the kernel queues until the exporter accepts them (capped by
``net.core.somaxconn``): Prometheus opens one per scrape in flight, and each SYN a full
queue drops costs its scrape a second or more."""


def listen_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(LISTEN_BACKLOG)
    sock.setblocking(False)
    return sock


LAG_TICK = 0.1
"""Seconds between two measurements of the event loop's lag."""


async def watch_loop_lag(observe: Callable[[float], None], tick: float = LAG_TICK) -> None:
    """Sleep ``tick`` over and over and report how much later than asked each wake-up came."""
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time() + tick
        await asyncio.sleep(tick)
        observe(max(loop.time() - asked, 0.0))


async def serve(server: Server, sock: socket.socket, stop: asyncio.Event) -> None:
    http = server.http()
    listener = await asyncio.get_running_loop().create_server(
        http.protocol,
        sock=sock,
        backlog=LISTEN_BACKLOG,  # asyncio listens again, at 100 by default
    )
    lag = asyncio.create_task(watch_loop_lag(server.metrics.loop_lag.observe))
    try:
        await stop.wait()
    finally:
        lag.cancel()
        listener.close()
        await http.shutdown(timeout=2.0)


def run_worker(server: Server, host: str, port: int, reuse_port: bool) -> None:
    """Serve until SIGTERM/SIGINT."""
    try:
        import uvloop  # type: ignore[import-not-found,unused-ignore]

        uvloop.install()
    except ImportError:
        pass
    raise_file_limit()
    settle_heap()
    sock = listen_socket(host, port, reuse_port)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        loop.add_signal_handler(signal.SIGHUP, server.reload)
        await serve(server, sock, stop)

    asyncio.run(main())


def run(
    registry: Registry,
    host: str,
    port: int,
    workers: int = 1,
    concurrency: int = 256,
    multiprocess_dir: Path | None = None,
    log_level: str = "INFO",
    load: Callable[[], Registry] | None = None,
) -> None:
    """Serve with ``workers`` processes sharing the port (SO_REUSEPORT) when more than one;
    ``load`` reloads the configuration on SIGHUP (forwarded to every worker) and on
    ``POST /-/reload``."""
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if workers <= 1:
        server = Server(registry, SelfMetrics(), concurrency, load=load)
        run_worker(server, host, port, reuse_port=False)
        return
    if multiprocess_dir is None:
        import tempfile

        multiprocess_dir = Path(tempfile.mkdtemp(prefix="provnet-exporter-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(multiprocess_dir)
    children: list[int] = []
    parent = os.getpid()
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                from prometheus_client import values

                values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
                metrics = SelfMetrics(str(multiprocess_dir))
                server = Server(registry, metrics, concurrency, load=load)
                server.tell_siblings = lambda: os.kill(parent, signal.SIGHUP)  # forwards
                run_worker(server, host, port, reuse_port=True)
            except BaseException:  # a worker never returns into the parent's code
                log.exception("worker failed")
                code = 1
            os._exit(code)
        children.append(pid)

    def forward(signum: int, frame: Any) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    def forward_reload(signum: int, frame: Any) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGHUP)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGHUP, forward_reload)
    for child in children:
        while True:
            try:
                os.waitpid(child, 0)
                break
            except ChildProcessError:
                break
            except InterruptedError:
                continue
    import shutil

    shutil.rmtree(multiprocess_dir, ignore_errors=True)


def build_registry(config_file: Path | None, inventory_dir: Path | None) -> Registry:
    """Config file (any spelling), inventory credential sets, built-in and probe modules.
    Raises :class:`exporters.snmp.errors.ConfigError` (file:line) for a bad file."""
    from exporters.snmp.config import load_config
    from exporters.snmp.credentials import auth_from_credential, inventory_auths
    from inventory.secrets import SecretStore
    from inventory.validate import load_valid

    credentials: dict[str, Auth] = {}
    store = SecretStore.from_environment(inventory_dir)
    inventory_credentials: Mapping[str, object] = {}
    if inventory_dir is not None:
        inventory_credentials = load_valid(inventory_dir).settings.credentials
        credentials = inventory_auths(inventory_credentials, store)

    def lookup(name: str, credential: str) -> Auth:
        if credential not in inventory_credentials:
            raise LookupError(f"auth '{name}': no credential set '{credential}' in the inventory")
        found = auth_from_credential(name, inventory_credentials[credential], store)
        return found

    config = load_config(config_file, store, lookup) if config_file else ExporterConfig()
    return Registry(config=config, probes=load_probes(), credentials=credentials)


def split_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[V6]:PORT``; :class:`BadListen` otherwise."""
    from exporters.snmp.errors import ExporterError

    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not port.isdigit() or not host or not 0 < int(port) < 65536:
        raise ExporterError(f"--listen '{text}': expected HOST:PORT")
    return host, int(port)
