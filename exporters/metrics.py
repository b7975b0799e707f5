"""The exporter's own metrics (``GET /metrics``): scrapes, SNMP packets, the event loop's
lag, configuration reloads; prometheus_client, multi-process aware with ``--workers``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from exporters.render import Dedup
from exporters.snmp.scrape import ScrapeResult


class SelfMetrics:
    """The exporter's own metrics (prometheus_client; multi-process aware with --workers)."""

    def __init__(self, multiprocess_dir: str | None = None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry()
        self._scrape_children: dict[tuple[str, bool], Any] = {}
        self._pending: dict[tuple[str, bool], int] = {}
        """Module scrapes by (module, success) not yet handed to prometheus_client."""
        self._packets = [0] * 5
        """Packets sent, received, retried, discoveries, duplicates: the same, pending."""
        self._inflight = 0
        self._filled = 0
        """Module scrapes filled into a kept text, not yet handed to prometheus_client."""
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
        self.filled = Counter(
            "provnet_snmp_kept_text_fills",
            "Module scrapes whose series were filled into the text kept from the target's "
            "last scrape (same OIDs and labels: not collected and rendered again).",
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
        self.refused = Gauge(
            "provnet_snmp_config_module_refused",
            "1 for each module of the configuration that could not be read (the others serve;"
            " the log and the landing page say why).",
            ["module"],
            registry=registry,
            multiprocess_mode="livemax",
        )
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

    def show_refused(self, refused: Iterable[str]) -> None:
        """The refused modules of the configuration in use."""
        self.refused.clear()
        for name in refused:
            self.refused.labels(name).set(1)

    def scrape_started(self) -> None:
        self._inflight += 1
        if self.multiprocess_dir:
            self.inflight.inc()

    def scrape_ended(self) -> None:
        self._inflight -= 1
        if self.multiprocess_dir:
            self.inflight.dec()

    def observe(self, result: ScrapeResult, dedup: Dedup) -> None:
        """Count one scrape. Called for every scrape, so counts are added up here and handed
        to prometheus_client (a lock per add, with --workers an mmap write) when /metrics is
        read; with --workers at once, since another worker may answer /metrics."""
        pending = self._pending
        for module in result.modules:
            key = (module.name, module.success)
            pending[key] = pending.get(key, 0) + 1
            if module.success:
                self.walk.observe(module.walk_seconds)
                self._filled += module.filled
            else:
                self.errors.labels(module.error_kind or "unknown").inc()
        counters = result.counters
        self.duration.observe(result.seconds)
        self._packets[0] += counters.packets_sent
        self._packets[1] += counters.packets_received
        self._packets[2] += counters.retries
        self._packets[3] += counters.discoveries
        self._packets[4] += dedup.duplicates + dedup.type_clashes
        if self.multiprocess_dir or len(pending) >= 4096:
            self.flush()

    def flush(self) -> None:
        """Hand the counts added up since the last flush to prometheus_client."""
        children = self._scrape_children
        for key, count in self._pending.items():
            child = children.get(key)
            if child is None:
                if len(children) >= 4096:
                    children.clear()
                name, success = key
                child = children[key] = self.scrapes.labels(
                    name, "success" if success else "failure"
                )
            child.inc(count)
        self._pending.clear()
        counters = (self.sent, self.received, self.retries, self.discoveries, self.duplicates)
        for counter, value in zip(counters, self._packets, strict=True):
            if value:
                counter.inc(value)
        self._packets = [0] * len(counters)
        if self._filled:
            self.filled.inc(self._filled)
            self._filled = 0
        if not self.multiprocess_dir:
            self.inflight.set(self._inflight)

    def exposition(self) -> bytes:
        from prometheus_client import CollectorRegistry, generate_latest

        self.flush()

        if self.multiprocess_dir:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)
