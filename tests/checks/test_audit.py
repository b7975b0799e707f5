"""`provnet audit --source backups` on a backup repository of the example province: the
commit it read, findings with evidence and the change that fixes them, waivers as InSpec
has them, scores per site/commune/province, the baseline, and InSpec's exit codes."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from cli import app
from inventory.resolve import DeviceView
from tests.checks.conftest import INVENTORY, LIMITS, Commit, backup_file, git

runner = CliRunner()
SW = "th-14758-sw1"  # Cisco IOS access switch of Hàm Rồng
XE = "th-14758-rtr1"  # Cisco IOS XE router
VRP = "th-14845-rtr1"  # Huawei VRP router of Mường Lát
TELCO = "th-14848-rtr1"  # telco-managed CPE
TELNET = (" transport input ssh\n!\nend", " transport input telnet ssh\n!\nend")


def audit(repo: Path, *args: str) -> Result:
    argv = ["audit", "--inventory", str(INVENTORY), "--repo", str(repo)]
    for limit in LIMITS:
        argv += ["--limit", limit]
    return runner.invoke(app, [*argv, *args], env={"COLUMNS": "200"})


def report(repo: Path, tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "audit.json"
    result = audit(repo, "--format", "json", "--out", str(out), *args)
    assert result.exit_code in (0, 100, 101), result.output
    doc: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result.exit_code, doc


def failed(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in doc["results"] if r["status"] == "failed"]


def line_of(repo: Path, path: str, text: str) -> int:
    lines = (repo / path).read_text(encoding="utf-8").splitlines()
    return [i + 1 for i, line in enumerate(lines) if line == text][-1]


def test_compliant_backups_pass_and_the_report_names_the_commit(
    backups: tuple[Path, Commit], devices: list[DeviceView], tmp_path: Path
) -> None:
    repo, commit = backups
    sha = commit({})
    code, doc = report(repo, tmp_path)
    assert code == 0 and failed(doc) == []
    assert doc["source"] == {"kind": "backups", "repository": str(repo), "commit": sha}
    audited = {r["device"] for r in doc["results"]}
    network = {d.name for d in devices if d.role.value != "vc_endpoint" and not d.monitor_only}
    assert audited == network and TELCO not in audited
    assert {"device": TELCO, "reason": "telco"} in doc["excluded"]
    # each site by its security level: communes are level 2 in the example province
    assert {r["profile"] for r in doc["results"]} == {"level2"}
    assert doc["summary"]["score_before_waivers"] == 1.0


def test_a_seeded_violation_is_exactly_one_finding_with_its_evidence_and_its_fix(
    backups: tuple[Path, Commit], devices: list[DeviceView], tmp_path: Path
) -> None:
    repo, commit = backups
    commit({SW: TELNET})
    code, doc = report(repo, tmp_path)
    assert code == 100
    [finding] = failed(doc)
    path = backup_file(next(d for d in devices if d.name == SW))
    assert (finding["control"], finding["device"], finding["file"]) == ("NET-MGMT-01", SW, path)
    bad = [e for e in finding["evidence"] if e["kind"] != "matched"]
    line = line_of(repo, path, " transport input telnet ssh")
    assert {(e["kind"], e["line"], e["text"]) for e in bad} == {
        ("forbidden", line, "transport input telnet ssh"),
        ("missing", line - 5, "transport input ssh"),  # under `line vty 5 15`
    }
    assert all(e["section"] == "line vty 5 15" for e in bad)
    assert finding["remediation_command"] == f"provnet net plan hardening --limit {SW}"
    commune = doc["scores"]["communes"]["14758"]
    assert commune["failed"] == 1 and commune["score_before_waivers"] < 1.0
    assert doc["scores"]["communes"]["14845"]["score_before_waivers"] == 1.0
    table = audit(repo)
    assert table.exit_code == 100
    assert f"{path}:{line}: Dòng bị cấm: transport input telnet ssh" in table.output
    assert "Forbidden line" in audit(repo, "--lang", "en").output


def test_vrp_and_ios_xe_are_judged_by_their_own_syntax(
    backups: tuple[Path, Commit], tmp_path: Path
) -> None:
    repo, commit = backups
    commit(
        {
            VRP: (" snmp-agent sys-info version v3\n", " snmp-agent sys-info version v2c v3\n"),
            XE: ("login block-for 300 attempts 5 ", "login block-for 300 attempts 9 "),
        }
    )
    code, doc = report(repo, tmp_path)
    assert code == 100
    assert {(r["control"], r["device"]) for r in failed(doc)} == {
        ("NET-SNMP-01", VRP),
        ("NET-LOGIN-01", XE),
    }
    login = next(r for r in failed(doc) if r["device"] == XE)
    [bound] = [e for e in login["evidence"] if e["kind"] == "out_of_bounds"]
    assert bound["detail"] == "attempts 9 > login_attempts_max 5"


def test_waivers_as_inspec_has_them(backups: tuple[Path, Commit], tmp_path: Path) -> None:
    repo, commit = backups
    commit({SW: TELNET})
    tomorrow, today = date.today() + timedelta(days=1), date.today()
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        f"  - {{control: NET-MGMT-01, devices: 'th-14758-*', justification: thay thiết bị,"
        f" approver: Sở KH&CN, expiration_date: {tomorrow}}}\n"
        "  - {control: NET-SNMP-01, devices: 'th-99999-*', justification: x, approver: y}\n",
        encoding="utf-8",
    )
    code, doc = report(repo, tmp_path, "--waivers", str(waivers))
    assert code == 0
    [waived] = failed(doc)
    assert waived["outcome"] == "waived" and waived["waiver"]["approver"] == "Sở KH&CN"
    assert doc["summary"]["waived"] == 1
    assert doc["summary"]["score_before_waivers"] < doc["summary"]["score_after_waivers"] == 1.0
    assert [(w["control"], w["devices"]) for w in doc["waivers"]["unmatched"]] == [
        ("NET-SNMP-01", "th-99999-*")
    ]

    waivers.write_text(
        waivers.read_text(encoding="utf-8").replace(str(tomorrow), str(today)), encoding="utf-8"
    )
    code, doc = report(repo, tmp_path, "--waivers", str(waivers))
    assert code == 100  # expires at 00:00 on its date: fails again, and says so
    [expired] = failed(doc)
    assert expired["outcome"] == "failed" and expired["waiver"]["expired"] is True
    assert doc["waivers"]["expired"] == 1


def test_bad_input_exits_2_naming_file_and_line_and_writes_nothing(
    backups: tuple[Path, Commit], tmp_path: Path
) -> None:
    repo, commit = backups
    commit({})
    out = tmp_path / "never.json"
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - control: NET-MGMT-01\n    justification: x\n    approver: y\n"
        "    expiration_date: soon\n",
        encoding="utf-8",
    )
    for args, words in (
        (["--waivers", str(waivers)], f"{waivers}:5:"),
        (["--profile", "level9"], "unknown profile 'level9'"),
        (["--regime", "old"], "unknown regime 'old'"),
        (["--baseline", str(waivers)], "not a provnet audit report"),
    ):
        result = audit(repo, "--out", str(out), *args)
        assert result.exit_code == 2, result.output
        assert words in result.output and "Traceback" not in result.output
        assert not out.exists()
    waivers.write_text(
        "waivers:\n  - {control: NET-NOPE-01, justification: x, approver: y}\n", encoding="utf-8"
    )
    result = audit(repo, "--waivers", str(waivers))
    assert result.exit_code == 2 and f"{waivers}:2:" in result.output


def test_an_unreadable_source_is_an_error_never_a_pass(
    backups: tuple[Path, Commit], tmp_path: Path
) -> None:
    repo, commit = backups
    commit({})
    (repo / "14845").rename(tmp_path / "gone")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "lost a commune")
    code, doc = report(repo, tmp_path)
    assert code == 101
    errors = {r["device"] for r in doc["results"] if r["status"] == "error"}
    assert errors == {VRP, "th-14845-sw1"}
    assert all("no backup of" in r["message"] for r in doc["results"] if r["status"] == "error")
    code, doc = report(tmp_path / "nowhere", tmp_path)
    assert code == 101 and {r["status"] for r in doc["results"]} == {"error"}


def test_an_older_commit_and_the_baseline(backups: tuple[Path, Commit], tmp_path: Path) -> None:
    repo, commit = backups
    first = commit({SW: TELNET})
    commit({VRP: (" stelnet server enable\n", " stelnet server enable\n telnet server enable\n")})
    code, old = report(repo, tmp_path, "--commit", first)
    assert code == 100 and old["source"]["commit"] == first
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps(old), encoding="utf-8")
    code, doc = report(repo, tmp_path, "--baseline", str(previous))
    assert doc["baseline"]["new"] == [{"control": "NET-MGMT-01", "device": VRP}]
    assert doc["baseline"]["fixed"] == [{"control": "NET-MGMT-01", "device": SW}]
    assert doc["baseline"]["still_failing"] == []
    assert doc["baseline"]["commit"] == first


def test_summary_lists_controls_and_their_fix_not_every_finding(
    backups: tuple[Path, Commit],
) -> None:
    repo, commit = backups
    commit({SW: TELNET, XE: TELNET})
    result = audit(repo, "--summary")
    assert result.exit_code == 100
    [row] = [line for line in result.stdout.splitlines() if "NET-MGMT-01" in line]
    cells = [c.strip() for c in row.split("│") if c.strip()]
    # passed, failed, waived, error, and the change that fixes it
    assert cells[-5:] == ["3", "2", "0", "0", "provnet net plan hardening"]
    assert "transport input telnet ssh" not in result.stdout  # no evidence lines
    full = audit(repo)
    assert "transport input telnet ssh" in full.stdout
