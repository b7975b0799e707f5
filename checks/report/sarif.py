"""SARIF 2.1.0: one rule per control (its legal basis in the rule's properties), one result
per failed or errored control on a device, located at the backup file and line of its
first piece of evidence; a waived failure carries an accepted external suppression."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from checks.report.table import evidence_line
from checks.report.words import basis_text, word

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}


def _rule(control_id: str, control: dict[str, Any], lang: str) -> dict[str, Any]:
    basis = "; ".join(basis_text(b, lang) for b in control["legal_basis"])
    return {
        "id": control_id,
        "name": control_id.replace("-", ""),
        "shortDescription": {"text": control["title"][lang]},
        "fullDescription": {"text": control["rationale"][lang]},
        "help": {
            "text": f"{control['remediation']['text'][lang]}\n{word('legal_basis', lang)}: {basis}"
        },
        "defaultConfiguration": {"level": LEVEL[control["severity"]]},
        "properties": {
            "severity": control["severity"],
            "legal_basis": control["legal_basis"],
            "tags": ["compliance", control["severity"]],
        },
    }


def _locations(r: dict[str, Any]) -> list[dict[str, Any]]:
    if not r["file"]:
        return []
    failing = [e for e in r["evidence"] if e["kind"] != "matched"]
    artifact = (
        {"uri": r["file"]} if "://" in r["file"] else {"uri": r["file"], "uriBaseId": "BACKUPS"}
    )
    location: dict[str, Any] = {"artifactLocation": artifact}
    line = next((e["line"] for e in failing if e["line"] > 0), 0)
    if line:
        location["region"] = {"startLine": line}
    return [
        {
            "physicalLocation": location,
            "logicalLocations": [{"name": r["device"], "kind": "device"}],
        }
    ]


def _result(r: dict[str, Any], index: int, lang: str) -> dict[str, Any]:
    lines = [evidence_line(e, r["file"], lang) for e in r["evidence"] if e["kind"] != "matched"]
    if r["message"]:
        lines.append(r["message"])
    result: dict[str, Any] = {
        "ruleId": r["control"],
        "ruleIndex": index,
        "kind": "fail",
        "level": "error",
        "message": {"text": f"{r['device']}: " + " | ".join(lines)},
        "locations": _locations(r),
        "properties": {
            "device": r["device"],
            "site": r["site"],
            "commune_code": r["commune_code"],
            "status": r["status"],
            "remediation_command": r["remediation_command"],
        },
    }
    if r["outcome"] == "waived":
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{r['waiver']['justification']} ({r['waiver']['approver']})",
            }
        ]
    return result


def render(doc: dict[str, Any], lang: str) -> dict[str, Any]:
    ids = list(doc["controls"])
    source = doc["source"]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "provnet audit",
                "rules": [_rule(i, doc["controls"][i], lang) for i in ids],
            }
        },
        "results": [
            _result(r, ids.index(r["control"]), lang)
            for r in doc["results"]
            if r["status"] in ("failed", "error")
        ],
        "invocations": [{"executionSuccessful": True, "exitCode": doc["summary"]["exit_code"]}],
        "properties": {"regime": doc["regime"], "profiles": sorted(doc["profiles"])},
    }
    if source.get("repository"):
        run["originalUriBaseIds"] = {"BACKUPS": {"uri": _file_uri(source["repository"])}}
    if source.get("commit"):
        run["versionControlProvenance"] = [
            {"repositoryUri": _file_uri(source["repository"]), "revisionId": source["commit"]}
        ]
    return {"version": "2.1.0", "$schema": SARIF_SCHEMA, "runs": [run]}


def _file_uri(path: str) -> str:
    return Path(path).resolve().as_uri() + "/"
