"""The readiness verdicts as data: each case under data/vc/<case>/ is an endpoint's status
output (what the cisco_tp platform parses) and what was measured (case.yaml), with the
verdict and findings expected. Adding a case is adding a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from checks.vc.judge import by_commune, judge
from checks.vc.model import (
    Finding,
    Observation,
    SipStats,
    Thresholds,
    TrialCall,
    Verdict,
    reasons,
)
from platforms import network_platform
from platforms.vc import VcPlatform

DATA = Path(__file__).parent / "data" / "vc"
CASES = sorted(p for p in DATA.iterdir() if p.is_dir())


def observe(case: Path) -> Observation:
    doc: dict[str, Any] = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    vc = network_platform("cisco_tp")
    assert isinstance(vc, VcPlatform)
    fields: dict[str, Any] = {"device": "vc1", "platform": "cisco_tp", "commune_code": "14758"}
    fields |= {"commune_name": "Phường Hàm Rồng", "site": "s", "host": "127.0.0.9"}
    fields |= {"expected_registrar": None, **doc["observation"]}
    fields["missing"] = tuple(fields.get("missing", ()))
    text = (case / "status.txt").read_text(encoding="utf-8")
    status = None
    if fields.get("session_error") is None:
        status = vc.endpoint_status({c: text for c in vc.readiness_commands})
    sip = SipStats(doc["sip"]["sent"], tuple(ms / 1000 for ms in doc["sip"]["rtts_ms"]))
    call = TrialCall(**doc["test_call"]) if "test_call" in doc else None
    return Observation(**fields, status=status, sip=sip, unmute=vc.unmute_command, test_call=call)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Path) -> None:
    expected = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))["expected"]
    obs = observe(case)
    result = judge(obs, Thresholds())
    assert result.verdict is Verdict(expected["verdict"])
    assert [f.code for f in result.findings] == expected["findings"]
    if "text_vi" in expected:
        assert [f.text("vi") for f in result.findings] == expected["text_vi"]
    if "text_en" in expected:
        assert [f.text("en") for f in result.findings] == expected["text_en"]
    if "calls" in expected:
        assert obs.status is not None and obs.status.calls == expected["calls"]


def test_every_reason_has_both_languages_and_an_action_that_formats() -> None:
    for code, reason in reasons().items():
        names = {"error", "sent", "loss_pct", "max_pct", "delay_ms", "max_ms", "jitter_ms"}
        names |= {"status", "reason", "device", "registrar", "expected", "level"}
        names |= {"description", "unmute", "offset_s", "max_s", "what", "platform", "number"}
        finding = Finding(code, dict.fromkeys(names, "x"))
        assert finding.text("vi") and finding.action("vi"), code
        assert finding.text("en") and finding.action("en"), code
        assert reason.vi != reason.en and reason.do_vi != reason.do_en, code


def test_a_commune_is_as_ready_as_its_worst_endpoint() -> None:
    ready = judge(observe(DATA / "ready"), Thresholds())
    muted = judge(observe(DATA / "in-call"), Thresholds())
    communes = by_commune([ready, muted])
    assert [(c.code, c.verdict) for c in communes] == [("14758", Verdict.DEGRADED)]


def test_thresholds_are_parameters() -> None:
    obs = observe(DATA / "jitter-and-loss")
    loose = Thresholds(loss_pct=25, jitter_ms=15)
    assert judge(obs, loose).findings == ()
    strict = Thresholds(one_way_delay_ms=20)
    assert "sip_delay" in [f.code for f in judge(obs, strict).findings]
