"""``--metrics-out FILE``: the audit's scores and failed controls in Prometheus's text format
for node_exporter's textfile collector (written atomically, as that collector needs), so
that a rule and an alert (exporters/rules/provnet_audit.yml) watch compliance between
audits."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, write_to_textfile


def registry_of(doc: dict[str, Any], province: str) -> CollectorRegistry:
    registry = CollectorRegistry()
    ratio = Gauge(
        "provnet_audit_compliance_ratio",
        "Compliance score after waivers: passed / (passed + unwaived failed + error).",
        ["province", "scope", "commune", "commune_code"],
        registry=registry,
    )
    before = Gauge(
        "provnet_audit_compliance_before_waivers_ratio",
        "Compliance score before waivers: passed / (passed + failed + error).",
        ["province", "scope", "commune", "commune_code"],
        registry=registry,
    )
    results = Gauge(
        "provnet_audit_results",
        "Results of the last audit by control and outcome (passed, failed, waived, error, "
        "skipped).",
        ["province", "control", "outcome"],
        registry=registry,
    )
    last = Gauge(
        "provnet_audit_last_run_timestamp_seconds",
        "When the last audit ran (Unix time).",
        ["province"],
        registry=registry,
    )
    names = {r["commune_code"]: r["commune_name"] for r in doc["results"]}
    scopes = [("province", "", doc["scores"]["province"])]
    scopes += [("commune", code, s) for code, s in doc["scores"]["communes"].items()]
    for scope, code, score in scopes:
        labels = (province, scope, names.get(code, ""), code)
        if score["score_after_waivers"] is not None:
            ratio.labels(*labels).set(score["score_after_waivers"])
        if score["score_before_waivers"] is not None:
            before.labels(*labels).set(score["score_before_waivers"])
    counts: dict[tuple[str, str], int] = {
        (c, o): 0
        for c in doc["controls"]
        for o in ("passed", "failed", "waived", "error", "skipped")
    }
    for r in doc["results"]:
        counts[r["control"], r["outcome"]] += 1
    for (control, outcome), n in counts.items():
        results.labels(province, control, outcome).set(n)
    last.labels(province).set(datetime.fromisoformat(doc["generated_at"]).timestamp())
    return registry


def write(doc: dict[str, Any], province: str, path: Path) -> None:
    write_to_textfile(str(path), registry_of(doc, province))
