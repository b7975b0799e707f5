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
import html
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import NamedTuple

from exporters.errors import BadRequest
from exporters.http import HttpServer, Request, Response
from exporters.metrics import SelfMetrics
from exporters.module import MetricFamily, Sample
from exporters.probes.common import ProbeParameterError
from exporters.registry import Registry
from exporters.render import CONTENT_TYPE, Dedup, render
from exporters.snmp.builtin import Builtin
from exporters.snmp.config import Auth, Module
from exporters.snmp.engine import SessionPool, Target, V3Context
from exporters.snmp.scrape import (
    META_NAMES,
    ScrapeResult,
    module_texts,
    scrape,
    scrape_families,
    scrape_text,
)
from exporters.snmp.template import Templates

log = logging.getLogger("provnet.exporter")
DEFAULT_DEADLINE = 120.0
"""Seconds a request may take when Prometheus sends no scrape timeout."""
RESERVED_PARAMS = frozenset({"target", "module", "auth"})


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


class Asked(NamedTuple):
    """What a /snmp request asks for."""

    target: Target
    auth: Auth
    modules: list[tuple[Module, Builtin | None]]
    params: Mapping[str, str]
    context: V3Context


MAX_QUERIES = 8192
"""Queries of /snmp remembered read (the cache starts over when full)."""


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
    always_200: bool = False
    """Answer HTTP 200 even when no module got any data (provnet's former default); without
    it such a scrape is a 500, as with snmp_exporter, so Prometheus's ``up`` reads 0."""
    pool: SessionPool = field(default_factory=SessionPool)
    # Kept texts (exporters/snmp/template.py): an unchanged scrape's series are filled into
    # last scrape's text. The demo, scraping 507 twin devices every 5 s through an IPv6
    # migration, lost no scrape with them on or off (five runs each, one or both cores busy
    # elsewhere), its exporter spending 6-15 % less CPU with them; at most MAX_BYTES.
    templates: Templates = field(default_factory=Templates)
    gate: asyncio.Semaphore | None = None
    silent_gate: asyncio.Semaphore | None = None
    silent: SilentTargets = field(default_factory=SilentTargets)
    load: Callable[[], Registry] | None = None
    """Loads the configuration again (SIGHUP, POST /-/reload); None: nothing to reload."""
    tell_siblings: Callable[[], None] | None = None
    """With several workers: have the others reload too (a POST reaches one of them)."""
    _queries: dict[tuple[tuple[str, str], ...], Asked] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.metrics.show_refused(self.registry.config.refused)

    def wants_pysnmp(self) -> bool:
        """Whether an auth asks for an SNMPv3 context, which only pysnmp's scrapes have."""
        auths = (*self.registry.config.auths.values(), *self.registry.credentials.values())
        return any(auth.context_name for auth in auths)

    async def warm_pysnmp(self) -> None:
        """Import pysnmp and build its engine in a worker thread (1-3 s on a loaded machine),
        so the first scrape in a context does not pay for it inside its scrape timeout."""
        started = time.perf_counter()

        def build() -> tuple[ModuleType, object]:
            from exporters.snmp import pysnmp_client

            return pysnmp_client, pysnmp_client.warm_engine()

        try:
            module, engine = await asyncio.get_running_loop().run_in_executor(None, build)
        except Exception as exc:  # the scrapes that need it will say why; the rest serve
            log.warning("pysnmp could not be loaded ahead: %s", type(exc).__name__)
            return
        module.engine_pool().adopt(engine)
        log.info("pysnmp ready for SNMPv3 contexts in %.1f s", time.perf_counter() - started)

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
        self.metrics.show_refused(registry.config.refused)
        self.pool.clear()  # an auth may have another community or other keys now
        self.templates.clear()
        self._queries.clear()  # modules and auths by name: the new configuration's
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
                "/config": self.handle_config,
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

    def _asked(self, request: Request) -> Asked:
        """What a /snmp request asks for, read once per query (Prometheus asks the same
        URL of a target every scrape); :class:`BadRequest` or ValueError for a bad one."""
        asked = self._queries.get(request.query)
        if asked is not None:
            return asked
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
        words = [once(request, name) for name in ("snmp_context", "snmp_engineid")]
        context = V3Context.asked(auth, *words)
        asked = Asked(target, auth, modules, extra_params(request), context)
        if len(self._queries) >= MAX_QUERIES:
            self._queries.clear()
        self._queries[request.query] = asked
        return asked

    async def handle_snmp(self, request: Request) -> Response:
        deadline = deadline_from(
            request.headers.get("x-prometheus-scrape-timeout-seconds"), time.monotonic()
        )
        try:
            target, auth, modules, params, context = self._asked(request)
        except (BadRequest, ValueError) as exc:
            return Response(f"{exc}\n".encode(), 400)
        self.metrics.scrape_started()
        try:
            result = await self._scrape(target, auth, modules, params, deadline, context)
        finally:
            self.metrics.scrape_ended()
        if not self.always_200 and not any(m.success for m in result.modules):
            self.metrics.observe(result, Dedup())
            return Response(failure_text(result).encode(), 500)
        texts = module_texts(result)
        families: list[MetricFamily] = [f for m in result.modules for f in m.families]
        dedup = Dedup(
            sum(m.text_dedup[0] for m in result.modules),
            sum(m.text_dedup[1] for m in result.modules),
        )
        if META_NAMES.isdisjoint([f.name for f in families]):
            body = texts + render(families, dedup) + scrape_text(result)
        else:  # a module's metric is named like one of the scrape's own: de-duplicate all
            body = texts + render(families + scrape_families(result), dedup)
        self.metrics.observe(result, dedup)
        return Response(body.encode(), content_type=CONTENT_TYPE)

    async def _scrape(
        self,
        target: Target,
        auth: Auth,
        modules: Sequence[tuple[Module, Builtin | None]],
        params: Mapping[str, str],
        deadline: float,
        context: V3Context,
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
                target,
                auth,
                modules,
                params,
                self.pool,
                deadline,
                self.parallel,
                give_back,
                context,
                self.templates,
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
        except ProbeParameterError as exc:  # the request's fault, not the target's: 400
            return Response(f"{exc}\n".encode(), 400)
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

    async def handle_config(self, request: Request) -> Response:
        """The configuration in use (snmp_exporter's ``/config``), secrets as ``<secret>``."""
        import yaml_rs

        from exporters.snmp.config import config_document

        registry = self.registry
        document = config_document(registry.config, registry.credentials)
        return Response(yaml_rs.dumps(document).encode(), content_type="text/yaml; charset=utf-8")

    async def handle_landing(self, request: Request) -> Response:
        page = landing_page(self.registry).encode()
        return Response(page, content_type="text/html; charset=utf-8")


def failure_text(result: ScrapeResult) -> str:
    """The body of a scrape where no module got any data (snmp_exporter's 500 says why
    too); names the target, modules and kinds of failure only, never an auth's values."""
    lines = [f"module {m.name} on {result.target} failed: {m.error_kind}" for m in result.modules]
    return "An error has occurred while serving metrics:\n\n" + "\n".join(lines) + "\n"


def once(request: Request, name: str) -> str:
    """A parameter given at most once ('' when absent)."""
    values = request.getall(name)
    if len(values) > 1:
        raise BadRequest(f"'{name}' parameter must only be specified once")
    return values[0] if values else ""


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
    refused = (
        "".join(
            f"<li><code>{html.escape(name)}</code>: {html.escape(why)}</li>"
            for name, why in sorted(registry.config.refused.items())
        )
        or "<li>—</li>"
    )
    return (
        "<!doctype html><html lang='vi'><head><meta charset='utf-8'>"
        "<title>provnet exporter</title></head><body>"
        "<h1>provnet exporter</h1>"
        f"<p>Cấu hình (config): {where}</p>"
        "<form action='/snmp'>target <input name='target' value='127.0.0.1'> "
        "module <input name='module' value='system,if_mib'> "
        "auth <input name='auth'> <input type='submit' value='Thu thập (scrape)'></form>"
        f"<h2>Module SNMP (SNMP modules)</h2><ul>{items(registry.module_names())}</ul>"
        f"<h2>Module bị từ chối (refused modules)</h2><ul>{refused}</ul>"
        f"<h2>Module thăm dò (probe modules)</h2><ul>{items(sorted(registry.probes))}</ul>"
        f"<h2>Xác thực (auths)</h2><ul>{items(registry.auth_names())}</ul>"
        "<p><a href='/metrics'>/metrics</a> · <a href='/config'>/config</a></p></body></html>"
    )
