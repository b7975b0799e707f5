"""The report formats of one audit (a failure, a waived failure, an error, a baseline):
JSON against the published schema (docs/audit-report.schema.json), JUnit XML against
Jenkins' JUnit schema, SARIF 2.1.0 against a structural subset of its specification, the
HTML self-contained, escaped, Vietnamese first and looked at in headless Chromium, and the
metrics textfile as Prometheus parses it."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
from prometheus_client.parser import text_string_to_metric_families

from inventory.loader import Inventory
from inventory.resolve import DeviceView
from tests.checks.conftest import git, make_backups
from tests.checks.test_audit import SW, TELNET, VRP, audit

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path(__file__).resolve().parent / "schemas"
CHROMIUM = shutil.which("chromium")
XE = "th-14758-rtr1"
HOSTILE = 'transport input telnet <script>alert("x")</script>'  # shown as evidence


@pytest.fixture(scope="module")
def run(
    example: Inventory, selected: list[DeviceView], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """One audit with every kind of outcome; returns the paths of its reports."""
    tmp_path = tmp_path_factory.mktemp("reports")
    repo = tmp_path / "backups"
    commit = make_backups(repo, example, selected)
    first = commit({})
    previous = tmp_path / "previous.json"
    assert audit(repo, "--format", "json", "--out", str(previous)).exit_code == 0
    commit(
        {
            SW: TELNET,
            XE: (" transport input ssh\n!\nend", f" {HOSTILE}\n!\nend"),
        }
    )
    (repo / "14845" / "th-14845-ubnd" / f"{VRP}.cfg").unlink()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "lost one")
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - {control: NET-MGMT-01, devices: th-14758-rtr1, justification: thay router,"
        f" approver: Giám đốc TTDL, expiration_date: {date.today() + timedelta(days=30)}}}\n",
        encoding="utf-8",
    )
    paths: dict[str, Any] = {"first": first}
    for fmt in ("json", "junit", "sarif", "html"):
        out = tmp_path / f"audit.{fmt}"
        result = audit(
            repo,
            "--format",
            fmt,
            "--out",
            str(out),
            "--waivers",
            str(waivers),
            "--baseline",
            str(previous),
            "--metrics-out",
            str(tmp_path / "audit.prom"),
        )
        assert result.exit_code == 100, result.output
        paths[fmt] = out
    english = tmp_path / "audit.en.html"
    audit(
        repo, "--format", "html", "--lang", "en", "--out", str(english), "--waivers", str(waivers)
    )
    paths["html_en"] = english
    paths["prom"] = tmp_path / "audit.prom"
    return paths


def test_json_follows_the_published_schema(run: dict[str, Any]) -> None:
    schema = json.loads((ROOT / "docs" / "audit-report.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    doc = json.loads(run["json"].read_text(encoding="utf-8"))
    validator.validate(doc)
    outcomes = {(r["control"], r["device"]): r["outcome"] for r in doc["results"]}
    assert outcomes["NET-MGMT-01", SW] == "failed"
    assert outcomes["NET-MGMT-01", XE] == "waived"
    assert outcomes["NET-MGMT-01", VRP] == "error"
    assert doc["baseline"]["new"] == [{"control": "NET-MGMT-01", "device": SW}]
    assert doc["baseline"]["commit"] == run["first"]
    # the schema is not vacuous: a result without its evidence is refused
    del doc["results"][0]["evidence"]
    assert not validator.is_valid(doc)


def test_junit_is_valid_with_one_testcase_per_control_and_device(run: dict[str, Any]) -> None:
    schema = xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))
    schema.validate(str(run["junit"]))
    doc = json.loads(run["json"].read_text(encoding="utf-8"))
    tree = schema.to_dict(str(run["junit"]))
    cases = [c for suite in tree["testsuite"] for c in suite["testcase"]]
    assert len(cases) == len(doc["results"])
    assert {c["@classname"] for c in cases} == set(doc["controls"])
    failures = [c for c in cases if "failure" in c]
    assert [c["@name"] for c in failures] == [f"NET-MGMT-01 {SW}"]
    assert "transport input telnet ssh" in failures[0]["failure"][0]["$"]
    waived = next(c for c in cases if c["@name"] == f"NET-MGMT-01 {XE}")
    assert "thay router" in waived["skipped"][0]["@message"]
    assert int(tree["@failures"]) == 1 and int(tree["@errors"]) == sum(
        r["outcome"] == "error" for r in doc["results"]
    )


def test_sarif_is_2_1_0_with_locations_and_suppressions(run: dict[str, Any]) -> None:
    schema = json.loads((SCHEMAS / "sarif-2.1.0-subset.schema.json").read_text(encoding="utf-8"))
    sarif = json.loads(run["sarif"].read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(sarif)
    [sarif_run] = sarif["runs"]
    rules = [r["id"] for r in sarif_run["tool"]["driver"]["rules"]]
    for result in sarif_run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
    telnet = next(r for r in sarif_run["results"] if SW in r["message"]["text"])
    location = telnet["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == f"14758/th-14758-ubnd/{SW}.cfg"
    assert location["region"]["startLine"] >= 1 and "suppressions" not in telnet
    waived = next(r for r in sarif_run["results"] if XE in r["message"]["text"])
    assert waived["suppressions"][0]["status"] == "accepted"
    doc = json.loads(run["json"].read_text(encoding="utf-8"))
    assert sarif_run["versionControlProvenance"][0]["revisionId"] == doc["source"]["commit"]


def test_html_is_self_contained_escaped_and_vietnamese_first(run: dict[str, Any]) -> None:
    text = run["html"].read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and '<html lang="vi">' in text
    assert "Báo cáo kiểm tra tuân thủ" in text and "Căn cứ pháp lý" in text
    assert "<script" not in text and "&lt;script&gt;" in text  # a config line is text
    assert "src=" not in text and "http://" not in text and "@import" not in text
    assert "provnet net plan hardening --limit th-14758-sw1" in text
    assert "@media print" in text  # printable
    assert "TCVN 11930:2017" in text and "cần xác minh" in text
    english = run["html_en"].read_text(encoding="utf-8")
    assert '<html lang="en">' in english and "Compliance audit report" in english
    assert "to confirm" in english


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (./dev setup installs it)")
def test_a_browser_renders_the_html_report(run: dict[str, Any], tmp_path: Path) -> None:
    assert CHROMIUM is not None
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    url = run["html"].resolve().as_uri()
    shot = tmp_path / "report.png"
    subprocess.run(
        [*flags, "--window-size=1280,1600", f"--screenshot={shot}", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (1280, 1600)
    assert shot.stat().st_size > 30_000  # a blank page compresses to a few kilobytes
    dom = subprocess.run(
        [*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert "Báo cáo kiểm tra tuân thủ" in dom and "transport input telnet ssh" in dom


def test_metrics_textfile_parses_and_carries_the_scores(run: dict[str, Any]) -> None:
    doc = json.loads(run["json"].read_text(encoding="utf-8"))
    families = {
        f.name: f for f in text_string_to_metric_families(run["prom"].read_text(encoding="utf-8"))
    }
    ratio = {
        (s.labels["scope"], s.labels["commune_code"]): s.value
        for s in families["provnet_audit_compliance_ratio"].samples
    }
    assert ratio["province", ""] == pytest.approx(doc["scores"]["province"]["score_after_waivers"])
    assert ratio["commune", "14758"] < 1.0
    results = {
        (s.labels["control"], s.labels["outcome"]): s.value
        for s in families["provnet_audit_results"].samples
    }
    assert results["NET-MGMT-01", "failed"] == 1 and results["NET-MGMT-01", "waived"] == 1
    assert families["provnet_audit_last_run_timestamp_seconds"].samples[0].value > 0
