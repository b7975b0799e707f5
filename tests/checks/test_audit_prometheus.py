"""Coverage and monitoring retention from a real Prometheus (Debian's, started here on
127.0.0.1 and stopped by PID), as `provnet audit --prometheus URL` asks it.

Prometheus is fed as a province's would be after 30 days: the province's ratios as the
exporters' recording rules leave them, and 30 days of each commune's hourly availability,
written as OpenMetrics and backfilled with `promtool tsdb create-blocks-from openmetrics`.
It loads provnet's own recording rules (exporters/rules/provnet_recording.yml), so the
targets audited are the ones shipped there and the 30-day availability is computed by
provnet's rule. A Prometheus that does not answer is an error for every coverage control,
never a pass.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from lab.monitoring import PROMTOOL, fast_rules, free_port, running_prometheus, vector
from tests.checks.conftest import INVENTORY, LIMITS, Commit

RULES = Path(__file__).resolve().parents[2] / "exporters" / "rules" / "provnet_recording.yml"
COVERAGE = {"COV-CONNECTED-01", "COV-IPV6-01", "COV-VC-01", "COV-AVAIL-01", "MON-RETENTION-01"}
runner = CliRunner()
pytestmark = pytest.mark.slow


def _openmetrics(now: int) -> str:
    """The province's ratios over the last 10 minutes; each commune's hourly availability
    over 30 days (Mường Lát down half the time for two days: 96.7 %, under 99 %)."""
    lines: list[str] = []
    ratios = {"connected": 0.8, "ipv6_ready": 0.95, "vc_ready": 0.96}
    for name, value in ratios.items():
        metric = f"province:provnet_communes_{name}:ratio"
        lines.append(f"# TYPE {metric} gauge")
        lines += [
            f'{metric}{{province="Thanh Hóa"}} {value} {t}' for t in range(now - 600, now, 15)
        ]
    metric = "commune:provnet_availability:avg_1h"
    lines.append(f"# TYPE {metric} gauge")
    for t in range(now - 30 * 86_400 + 3600, now, 3600):
        down = now - 10 * 86_400 <= t < now - 8 * 86_400
        lines.append(f'{metric}{{commune="Hàm Rồng",commune_code="14758"}} 1 {t}')
        lines.append(
            f'{metric}{{commune="Mường Lát",commune_code="14845"}} {0.5 if down else 1} {t}'
        )
    return "\n".join([*lines, "# EOF", ""])


@pytest.fixture
def tsdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Written just before its test: the ratios' last samples must stay within Prometheus's
    5-minute lookback when the audit asks (a module-wide one went stale on a busy worker)."""
    root = tmp_path_factory.mktemp("audit-prometheus")
    source = root / "province.om"
    source.write_text(_openmetrics(int(time.time())), encoding="utf-8")
    data = root / "data"
    # one block for the 30 days (promtool's default is one per 2 hours: 360 blocks)
    backfill = ["tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=800h"]
    done = subprocess.run(
        [PROMTOOL, *backfill, str(source), str(data)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (root / "rules.yml").write_text(fast_rules(RULES.read_text(encoding="utf-8")), "utf-8")
    (root / "prometheus.yml").write_text(
        "global: {evaluation_interval: 1s}\nrule_files: [rules.yml]\n", encoding="utf-8"
    )
    return root


def _audit(repo: Path, prometheus: str) -> tuple[int, dict[str, Any]]:
    limits = [arg for limit in LIMITS for arg in ("--limit", limit)]
    result = runner.invoke(
        app,
        [
            *("audit", "--inventory", str(INVENTORY), *limits, "--repo", str(repo)),
            *("--prometheus", prometheus, "--format", "json"),
        ],
    )
    assert result.exit_code in (0, 100, 101), result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, doc


def _coverage(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["control"]: r for r in doc["results"] if r["control"] in COVERAGE}


def _wait_for(base: str, expr: str) -> None:
    """Until provnet's rules have been evaluated once (1 s interval)."""
    deadline = time.monotonic() + 30
    while not vector(base, expr):
        assert time.monotonic() < deadline, f"{expr}: never recorded"
        time.sleep(0.5)


def test_coverage_is_judged_against_the_targets_provnet_ships(
    tsdb: Path, backups: tuple[Path, Commit]
) -> None:
    repo, commit = backups
    commit({})
    extra = ["--storage.tsdb.retention.time=90d"]
    with running_prometheus(tsdb / "prometheus.yml", tsdb / "data", extra) as base:
        _wait_for(base, "commune:provnet_availability:avg_30d")
        _wait_for(base, f"count(global:provnet_coverage_target:ratio) == {len(COVERAGE) - 1}")
        code, doc = _audit(repo, base)
    results = _coverage(doc)
    why = {c: r.get("message") for c, r in results.items()}
    assert {c: r["status"] for c, r in results.items()} == {
        "COV-CONNECTED-01": "failed",  # 0.8 < 0.95
        "COV-IPV6-01": "passed",  # 0.95 >= 0.9
        "COV-VC-01": "passed",  # 0.96 >= 0.95
        "COV-AVAIL-01": "failed",  # Mường Lát
        "MON-RETENTION-01": "passed",  # 90 days >= 30 (level 3)
    }, why
    assert code == 100 and doc["source"]["prometheus"] == base
    connected = [e for e in results["COV-CONNECTED-01"]["evidence"] if e["kind"] != "matched"]
    assert [(e["text"], e["detail"]) for e in connected] == [
        ("Thanh Hóa = 0.8", '0.8 < global:provnet_coverage_target:ratio{coverage="connected"}')
    ]
    availability = results["COV-AVAIL-01"]["evidence"]
    assert [e["kind"] for e in availability if e["text"].startswith("Hàm Rồng")] == ["matched"]
    [low] = [e for e in availability if e["kind"] == "out_of_bounds"]
    assert low["text"] == "Mường Lát = 0.96662"  # 1 - 24/719 hourly averages
    assert low["detail"].endswith('{coverage="availability_30d"}')
    assert results["MON-RETENTION-01"]["profile"] == "level3"


def test_default_retention_fails_and_no_data_is_an_error(
    tmp_path: Path, tsdb: Path, backups: tuple[Path, Commit]
) -> None:
    repo, commit = backups
    commit({})
    with running_prometheus(tsdb / "prometheus.yml", tmp_path / "empty") as base:
        _wait_for(base, "global:provnet_coverage_target:ratio")
        code, doc = _audit(repo, base)
    results = _coverage(doc)
    retention = results.pop("MON-RETENTION-01")
    assert retention["status"] == "failed"
    assert [(e["text"], e["detail"]) for e in retention["evidence"]] == [
        ("storageRetention (days) = 15", "15 < monitoring_retention_days 30")
    ]
    # no series from the exporters: an error naming the query, never a pass
    assert {r["status"] for r in results.values()} == {"error"}
    assert all("no sample for" in r["message"] for r in results.values())
    assert code == 100


def test_a_prometheus_that_does_not_answer_is_an_error_never_a_pass(
    backups: tuple[Path, Commit],
) -> None:
    repo, commit = backups
    commit({})
    nobody = f"http://127.0.0.1:{free_port()}"
    code, doc = _audit(repo, nobody)
    results = _coverage(doc)
    assert set(results) == COVERAGE
    assert {r["status"] for r in results.values()} == {"error"}
    assert all(nobody in r["message"] for r in results.values())
    assert code == 101  # the network controls pass; nothing failed, some errored
