"""Recording and alerting rules: promtool checks them, unit-tests every rule, and the rules
keep the conventions (names, bounded labels, Vietnamese-first annotations, runbooks)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml_rs

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "exporters" / "rules"
RULE_TESTS = RULES / "tests"
RUNBOOKS = ROOT / "docs" / "runbooks"
RUNBOOK_BASE = "https://provnet.invalid/"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
# Labels commune- and province-level aggregations may keep: all bounded by the inventory
# (and session, bounded by the session file of `provnet vc watch`).
AGGREGATION_LABELS = {"province", "commune", "commune_code", "session"}
VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]")

needs_promtool = pytest.mark.skipif(
    not Path(PROMTOOL).exists(), reason="promtool is not installed (./dev installs it)"
)


def load(path: Path) -> Any:
    return yaml_rs.loads(path.read_text(encoding="utf-8"))


def rules() -> list[dict[str, Any]]:
    return [
        rule
        for path in sorted(RULES.glob("*.yml"))
        for group in load(path)["groups"]
        for rule in group["rules"]
    ]


def rule_id(rule: dict[str, Any]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A rule is its name plus its static labels (rules may share a name)."""
    name = rule.get("record") or rule["alert"]
    labels = {k: v for k, v in rule.get("labels", {}).items() if k != "severity"}
    return name, tuple(sorted(labels.items()))


def parse_series(text: str) -> tuple[str, dict[str, str]]:
    match = re.fullmatch(r"\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*", text)
    assert match, text
    return match[1], dict(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))


def rules_under_test() -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    """Every (name, labels) a unit test asserts: a recording rule's name in an expected
    sample, an alert's name with at least one expected firing alert."""
    found: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for path in sorted(RULE_TESTS.glob("*.yml")):
        for test in load(path)["tests"]:
            for case in test.get("promql_expr_test", []):
                for sample in case.get("exp_samples", []):
                    name, labels = parse_series(sample["labels"])
                    for rule in rules():
                        if rule.get("record") == name and all(
                            labels.get(k) == v for k, v in rule_id(rule)[1]
                        ):
                            found.add(rule_id(rule))
            for case in test.get("alert_rule_test", []):
                for alert in case.get("exp_alerts", []):
                    labels = alert["exp_labels"]
                    for rule in rules():
                        if rule.get("alert") == case["alertname"] and all(
                            str(labels.get(k)) == v for k, v in rule_id(rule)[1]
                        ):
                            found.add(rule_id(rule))
    return found


@needs_promtool
def test_promtool_accepts_the_rule_files() -> None:
    files = sorted(str(p) for p in RULES.glob("*.yml"))
    result = subprocess.run(
        [PROMTOOL, "check", "rules", *files], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(files) >= 2


@needs_promtool
def test_promtool_unit_tests_pass() -> None:
    files = sorted(str(p.name) for p in RULE_TESTS.glob("*.yml"))
    result = subprocess.run(
        [PROMTOOL, "test", "rules", *files],
        capture_output=True,
        text=True,
        check=False,
        cwd=RULE_TESTS,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files)


def test_every_rule_has_a_unit_test() -> None:
    missing = {rule_id(rule) for rule in rules()} - rules_under_test()
    assert not missing, f"rules without a promtool unit test: {sorted(missing)}"


def test_every_alert_has_a_test_where_it_stays_silent() -> None:
    silent = {
        case["alertname"]
        for path in RULE_TESTS.glob("*.yml")
        for test in load(path)["tests"]
        for case in test.get("alert_rule_test", [])
        if not case.get("exp_alerts")
    }
    alerts = {rule["alert"] for rule in rules() if "alert" in rule}
    assert alerts - silent == set()


def test_recording_rule_names_follow_level_metric_operations() -> None:
    for rule in rules():
        if "record" in rule:
            assert re.fullmatch(
                r"(device|commune|province|session|global):provnet_[a-z0-9_]+:[a-z0-9_]+",
                rule["record"],
            ), rule["record"]


def test_aggregations_keep_only_bounded_labels() -> None:
    for rule in rules():
        for clause in re.findall(r"\bby\s*\(([^)]*)\)", rule["expr"]):
            labels = {label.strip() for label in clause.split(",") if label.strip()}
            assert labels <= AGGREGATION_LABELS, (rule.get("record") or rule["alert"], labels)


def test_every_alert_has_severity_bilingual_text_and_a_runbook() -> None:
    alerts = [rule for rule in rules() if "alert" in rule]
    assert {a["alert"] for a in alerts} >= {
        "ProvnetCommuneOffline",
        "ProvnetCommuneIpv6Lost",
        "ProvnetVcEndpointDown",
        "ProvnetDeviceRebooted",
        "ProvnetDeviceDown",
        "ProvnetProvinceCoverageLow",
    }
    for alert in alerts:
        assert alert["labels"]["severity"] in {"critical", "warning", "info"}
        for key in ("summary", "description"):
            text = alert["annotations"][key]
            # Vietnamese first, English after in parentheses
            english = re.search(r"\([A-Za-z][^()]*\)\s*$", text.strip())
            assert english, (alert["alert"], key)
            assert VIETNAMESE.search(text[: english.start()]), (alert["alert"], key)
        url = alert["annotations"]["runbook_url"]
        assert url == f"{RUNBOOK_BASE}docs/runbooks/{alert['alert']}.md"
        runbook = ROOT / url.removeprefix(RUNBOOK_BASE)
        assert runbook.is_file(), runbook


def test_runbooks_are_vietnamese_first_then_english() -> None:
    for rule in rules():
        if "alert" not in rule:
            continue
        text = (RUNBOOKS / f"{rule['alert']}.md").read_text(encoding="utf-8")
        english = text.find("## English")
        assert english > 0, rule["alert"]
        vietnamese = text[:english]
        for heading in ("Ý nghĩa", "Kiểm tra", "Khắc phục"):
            assert heading in vietnamese, (rule["alert"], heading)
        for heading in ("What it means", "How to check", "How to fix"):
            assert heading in text[english:], (rule["alert"], heading)
