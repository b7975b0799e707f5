"""An audit as one document (the JSON report, schema ``docs/audit-report.schema.json``),
from which every other format is rendered: table, JUnit XML, SARIF, HTML, metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from checks.engine import Audit, Result, Score, collector_paused, scores
from checks.model import Control, Parameter
from checks.ruleset import RuleSet, dump_basis

SCHEMA_VERSION = "1.1"
SCHEMA_ID = "https://provnet.invalid/schemas/audit-report-1.json"


def remediation_command(control: Control, device: str) -> str | None:
    """The provnet command that fixes a failure of ``control`` on ``device``, if one does."""
    change = control.remediation.change
    return f"provnet net plan {change} --limit {device}" if change else None


def _result(result: Result, control: Control) -> dict[str, Any]:
    waiver = result.waiver
    return {
        "control": result.control,
        "device": result.device,
        "site": result.site,
        "commune_code": result.commune_code,
        "commune_name": result.commune_name,
        "profile": result.profile,
        "status": result.status,
        "outcome": result.outcome,
        "message": result.message,
        "file": result.file,
        "evidence": [e.as_dict() for e in result.evidence],
        "waiver": (
            None
            if waiver is None
            else {
                "justification": waiver.justification,
                "approver": waiver.approver,
                "expiration_date": str(waiver.expiration_date) if waiver.expiration_date else None,
                "expired": result.waiver_expired,
            }
        ),
        "remediation_command": (
            remediation_command(control, result.device)
            if result.status == "failed" and control.kind == "config"
            else None
        ),
    }


def _score(score: Score) -> dict[str, Any]:
    return {
        "passed": score.passed,
        "failed": score.failed,
        "waived": score.waived,
        "error": score.error,
        "skipped": score.skipped,
        "score_before_waivers": score.before,
        "score_after_waivers": score.after,
    }


def _parameter(p: Parameter) -> dict[str, Any]:
    return {
        "value": p.value,
        "unit": p.unit,
        "status": p.status,
        "basis": [b.model_dump(mode="json") for b in p.basis],
        "note": p.note.model_dump() if p.note else None,
    }


def _control(rules: RuleSet, control: Control) -> dict[str, Any]:
    return {
        "title": control.title.model_dump(),
        "rationale": control.rationale.model_dump(),
        "severity": control.severity,
        "legal_basis": dump_basis(rules, control),
        "parameters": control.parameters,
        "remediation": {
            "text": control.remediation.text.model_dump(),
            "change": control.remediation.change,
        },
    }


def _key(result: dict[str, Any]) -> tuple[str, str]:
    return result["control"], result["device"]


def compare(previous: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    """What is new, fixed and still failing since ``previous`` (a report of this schema)."""
    was = {_key(r) for r in previous.get("results", []) if r.get("outcome") == "failed"}
    now = {_key(r) for r in results if r["outcome"] == "failed"}
    passed = {_key(r) for r in results if r["outcome"] == "passed"}

    def listed(keys: set[tuple[str, str]]) -> list[dict[str, str]]:
        return [{"control": c, "device": d} for c, d in sorted(keys)]

    return {
        "generated_at": previous.get("generated_at"),
        "commit": previous.get("source", {}).get("commit"),
        "new": listed(now - was),
        "fixed": listed(was & passed),
        "still_failing": listed(now & was),
    }


def document(
    audit: Audit,
    rules: RuleSet,
    *,
    baseline: dict[str, Any] | None = None,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    controls = {r.control for r in audit.results}
    by_id = {c.id: c for c in rules.controls}
    with collector_paused():
        results = [_result(r, by_id[r.control]) for r in audit.results]
    by = scores(audit.results)
    total = by["province"].get("", Score())
    return {
        "$schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "provnet", "command": "provnet audit"},
        "generated_at": (generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "date": str(audit.today),
        "regime": audit.regime,
        "source": audit.source,
        "profiles": {
            name: {
                "title": p.profile.title.model_dump(),
                "regime": p.profile.regime,
                "level": p.profile.level,
                "note": p.profile.note.model_dump() if p.profile.note else None,
                "parameters": {k: _parameter(v) for k, v in sorted(p.parameters.items())},
            }
            for name, p in sorted(audit.profiles.items())
        },
        "controls": {c.id: _control(rules, c) for c in rules.controls if c.id in controls},
        "summary": {**_score(total), "exit_code": audit.exit_code},
        "scores": {
            "province": _score(total),
            "communes": {k: _score(v) for k, v in sorted(by["commune"].items()) if k},
            "sites": {k: _score(v) for k, v in sorted(by["site"].items())},
        },
        "results": results,
        "waivers": {
            "applied": sum(r.waived for r in audit.results),
            "expired": sum(r.waiver_expired for r in audit.results),
            "unmatched": [
                {
                    "index": w.index,
                    "control": w.waiver.control,
                    "devices": w.waiver.devices,
                    "justification": w.waiver.justification,
                }
                for w in audit.unmatched_waivers
            ],
        },
        "excluded": [{"device": d, "reason": why} for d, why in audit.excluded],
        "baseline": compare(baseline, results) if baseline is not None else None,
    }
