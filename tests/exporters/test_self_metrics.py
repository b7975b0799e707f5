"""The exporter's own counters are added up per scrape and handed to prometheus_client when
/metrics is read: what /metrics says is every scrape so far, and the scrapes in flight now."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from exporters.metrics import SelfMetrics
from exporters.render import Dedup
from exporters.snmp.engine import Counters
from exporters.snmp.scrape import ModuleResult, ScrapeResult


def samples(metrics: SelfMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = metrics.exposition().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(success: bool) -> ScrapeResult:
    module = ModuleResult("if_mib", success=success, error_kind="" if success else "timeout")
    return ScrapeResult("10.0.0.1:161", [module], Counters(3, 2, 1, 40, 1), 0.01, success)


def test_counts_of_every_scrape_are_read_at_metrics_time() -> None:
    metrics = SelfMetrics()
    for success in (True, True, False):
        metrics.scrape_started()
        metrics.observe(scrape(success), Dedup(duplicates=2))
        metrics.scrape_ended()
    metrics.scrape_started()  # one still in flight
    read = samples(metrics)
    assert read[("provnet_snmp_scrapes_total", (("module", "if_mib"), ("result", "success")))] == 2
    assert read[("provnet_snmp_scrapes_total", (("module", "if_mib"), ("result", "failure")))] == 1
    assert read[("provnet_snmp_packets_sent_total", ())] == 9
    assert read[("provnet_snmp_packets_received_total", ())] == 6
    assert read[("provnet_snmp_retries_total", ())] == 3
    assert read[("provnet_snmp_v3_discoveries_total", ())] == 3
    assert read[("provnet_snmp_duplicate_series_total", ())] == 6
    assert read[("provnet_snmp_errors_total", (("kind", "timeout"),))] == 1
    assert read[("provnet_snmp_inflight", ())] == 1
    assert read[("provnet_snmp_scrape_duration_seconds_count", ())] == 3
    metrics.scrape_ended()
    metrics.observe(scrape(True), Dedup())
    read = samples(metrics)  # read again: nothing counted twice
    assert read[("provnet_snmp_scrapes_total", (("module", "if_mib"), ("result", "success")))] == 3
    assert read[("provnet_snmp_packets_sent_total", ())] == 12
    assert read[("provnet_snmp_inflight", ())] == 0
