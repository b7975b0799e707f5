"""Rules as data: every control's cases (``data/<control>/<case>/``: a configuration, a
server's command outputs or Prometheus's answers in, findings out) decided by the engine
(configurations on the platform's own tree); every control has a passing and a failing
case on every configuration syntax it covers (servers and Prometheus count as one each);
the rules files validate, and a broken one is refused naming its file and line.

Prometheus's answers come from the case file here (:class:`CaseMetrics`, data, not a
server): the engine's decision is what is tested; a real Prometheus answers the same
queries in test_audit_sources.py."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

import pytest

from checks.config import ConfigView, DeviceFacts
from checks.engine import (
    ServerOutputs,
    interfaces_of,
    judge,
    judge_prometheus,
    judge_server,
    parameter_values,
)
from checks.errors import RuleFileError, SourceError
from checks.model import Control
from checks.ruleset import RULES_DIR, load_rules
from inventory.source import load_yaml
from platforms import get_platform, network_platform
from platforms.config import parse

DATA = Path(__file__).resolve().parent / "data"
# data/<CONTROL-ID>/<case>/ (other checks keep their cases beside: data/vc/, data/sessions/)
CONTROL_DIR = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
CASES = sorted(
    p.parent for p in DATA.glob("*/*/case.yaml") if CONTROL_DIR.match(p.parent.parent.name)
)
RULES = load_rules()
DEFAULT_PROFILE = "level3"
DEFAULT_FACTS: dict[str, Any] = {
    "ntp_servers": ["10.38.224.1"],
    "syslog_servers": ["10.38.226.10"],
    "management_prefixes": ["10.38.128.0/18", "2001:db8:2600::/40"],
}


def _case(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = load_yaml((path / "case.yaml").read_text(encoding="utf-8"))
    return data


class CaseMetrics:
    """Prometheus's answers as a case file gives them (``samples``: query -> samples)."""

    url = "http://prometheus.case"

    def __init__(self, spec: dict[str, Any]) -> None:
        self.samples: dict[str, list[dict[str, Any]]] = spec.get("samples", {})
        self.days: float | None = spec.get("retention_days")

    def query(self, expr: str) -> list[tuple[dict[str, str], float]]:
        return [(s["labels"], float(s["value"])) for s in self.samples.get(expr, [])]

    def retention_days(self) -> float:
        if self.days is None:
            raise SourceError(f"{self.url}: no retention")
        return self.days


def _facts(spec: dict[str, Any]) -> DeviceFacts:
    facts_spec = {**DEFAULT_FACTS, **spec.get("facts", {})}
    platform = spec.get("platform", "linux")
    return DeviceFacts(
        tuple(facts_spec["ntp_servers"]),
        tuple(facts_spec["syslog_servers"]),
        interfaces_of(get_platform(platform).default_interfaces, spec.get("data", {})),
        tuple(ipaddress.ip_network(p) for p in facts_spec["management_prefixes"]),
    )


def _judge(control: Control, case: Path, spec: dict[str, Any]) -> tuple[str, list[Any], str]:
    params = parameter_values(RULES.resolve(spec.get("profile", DEFAULT_PROFILE)))
    if control.kind == "prometheus":
        return judge_prometheus(control, CaseMetrics(spec), params)
    if control.kind == "server":
        read = ServerOutputs("ssh://case", spec.get("outputs", {}), spec.get("errors", {}))
        return judge_server(control, read, params, _facts(spec))
    syntax = network_platform(spec["platform"]).syntax
    tree = parse((case / "running.cfg").read_text(encoding="utf-8"), syntax)
    return judge(control, syntax, ConfigView(tree, _facts(spec), syntax.acl), params)


def _kind(control: Control, spec: dict[str, Any]) -> str:
    """What a case covers: a configuration syntax, ``server`` or ``prometheus``."""
    if control.kind != "config":
        return control.kind
    return network_platform(spec["platform"]).syntax.name


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_case(case: Path) -> None:
    spec = _case(case)
    control = RULES.control(case.parent.name)
    status, evidence, message = _judge(control, case, spec)
    expect = spec["expect"]
    found = sorted((e.kind, e.line, e.text) for e in evidence if e.failing)
    wanted = sorted((f["kind"], f.get("line", 0), f["text"]) for f in expect["findings"])
    assert (status, found) == (expect["status"], wanted), message
    if "matched" in expect:
        assert sorted(e.line for e in evidence if e.kind == "matched") == expect["matched"]


def test_every_control_passes_and_fails_on_every_syntax_it_covers() -> None:
    covered: dict[tuple[str, str], set[str]] = {}
    for case in CASES:
        spec = _case(case)
        control = RULES.control(case.parent.name)
        covered.setdefault((control.id, _kind(control, spec)), set()).add(spec["expect"]["status"])
    missing = [
        (control.id, kind)
        for control in RULES.controls
        for kind in (control.config if control.kind == "config" else [control.kind])
        if not {"passed", "failed"} <= covered.get((control.id, kind), set())
    ]
    assert not missing, f"controls without a passing and a failing case: {missing}"
    assert {c.parent.name for c in CASES} <= {c.id for c in RULES.controls}


def test_every_remediation_names_a_change_provnet_ships() -> None:
    changes = Path(__file__).resolve().parents[2] / "deploys" / "network" / "changes"
    named = {c.remediation.change for c in RULES.controls if c.remediation.change}
    assert named and all((changes / name / "__init__.py").is_file() for name in named)


def test_every_parameter_says_whether_it_is_confirmed_and_on_what_basis() -> None:
    for name in RULES.profiles:
        profile = RULES.resolve(name)
        assert profile.parameters, name
        for pname, parameter in profile.parameters.items():
            assert parameter.basis, (name, pname)
    # What legal-basis.md confirms at clause level is marked so; the rest is not.
    level3 = RULES.resolve("level3").parameters
    assert level3["monitoring_retention_days"].value == 30
    assert level3["monitoring_retention_days"].status == "confirmed"
    assert level3["log_retention_days"].status == "to_confirm"
    assert all(
        p.status == "to_confirm" for p in RULES.resolve("law2025-level2").parameters.values()
    )
    assert RULES.profiles["level3"].level == 3
    assert RULES.documents["circular-27-2017"].superseded_by is not None
    cited = {b.document for c in RULES.controls for b in c.legal_basis}
    assert "circular-27-2017" not in cited  # out of date: replaced by QĐ 33/2025


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("controls:\n  - id: NET-X-01\n    title: {vi: a}\n", ":3:", "title.en"),
        ("controls: [\n", ":", "YAML"),
        (
            "controls:\n  - id: bad id\n",
            ":2:",
            "controls.0.id",
        ),
    ],
)
def test_a_broken_rules_file_is_refused_naming_file_and_line(
    tmp_path: Path, text: str, where: str, words: str
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        load_rules([*sorted(RULES_DIR.glob("*.yaml")), broken])
    message = str(info.value)
    assert str(broken) + where in message and words in message


def test_a_control_twice_or_an_unknown_document_is_refused(tmp_path: Path) -> None:
    network = (RULES_DIR / "network.yaml").read_text(encoding="utf-8")
    twice = tmp_path / "twice.yaml"
    twice.write_text(network, encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"\.yaml:\d+:\d+: control NET-MGMT-01 is also in /"):
        load_rules([*sorted(RULES_DIR.glob("*.yaml")), twice])
    unknown = tmp_path / "network.yaml"
    unknown.write_text(network.replace("document: qd-38-2021", "document: qd-38-2099"))
    with pytest.raises(RuleFileError, match="unknown document 'qd-38-2099'"):
        load_rules([RULES_DIR / "legal.yaml", RULES_DIR / "profiles.yaml", unknown])
