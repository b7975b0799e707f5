"""JUnit XML as GitLab and Jenkins read it: one ``testsuite`` per control (``classname``
is the control, which GitLab shows as the suite), one ``testcase`` per control and device;
a failure carries its evidence, a waived failure is ``skipped`` with its justification."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from checks.report.table import evidence_line
from checks.report.words import word


def _case(suite: ET.Element, r: dict[str, Any], title: str, lang: str) -> None:
    case = ET.SubElement(
        suite, "testcase", name=f"{r['control']} {r['device']}", classname=r["control"], time="0"
    )
    lines = [evidence_line(e, r["file"], lang) for e in r["evidence"] if e["kind"] != "matched"]
    if r["message"]:
        lines.append(r["message"])
    if r["remediation_command"]:
        lines.append(f"{word('remediation', lang)}: {r['remediation_command']}")
    outcome = r["outcome"]
    if outcome == "failed":
        failure = ET.SubElement(case, "failure", type=r["control"], message=title)
        failure.text = "\n".join(lines)
    elif outcome == "error":
        error = ET.SubElement(case, "error", type=r["control"], message=r["message"])
        error.text = "\n".join(lines)
    elif outcome == "waived":
        waiver = r["waiver"]
        ET.SubElement(
            case,
            "skipped",
            message=f"{word('waived', lang)}: {waiver['justification']} ({waiver['approver']})",
        )
    elif outcome == "skipped":
        ET.SubElement(case, "skipped", message=r["message"])


def render(doc: dict[str, Any], lang: str) -> str:
    root = ET.Element("testsuites", name="provnet audit")
    by_control: dict[str, list[dict[str, Any]]] = {}
    for r in doc["results"]:
        by_control.setdefault(r["control"], []).append(r)
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for control, results in by_control.items():
        title = doc["controls"][control]["title"][lang]
        counts = {
            "tests": len(results),
            "failures": sum(r["outcome"] == "failed" for r in results),
            "errors": sum(r["outcome"] == "error" for r in results),
            "skipped": sum(r["outcome"] in ("waived", "skipped") for r in results),
        }
        attributes = {"name": f"{control} {title}", "timestamp": doc["generated_at"], "time": "0"}
        attributes.update({k: str(v) for k, v in counts.items()})
        suite = ET.SubElement(root, "testsuite", attributes)
        for r in results:
            _case(suite, r, title, lang)
        for key in totals:
            totals[key] += counts[key]
    root.attrib.update({k: str(v) for k, v in totals.items()})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
