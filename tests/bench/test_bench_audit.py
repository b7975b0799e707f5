"""The audit benchmark on one province: every seeded violation found, nothing else (its
exactness check is what the 10,000-configuration figure rests on). Not a timing test."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from bench import bench_audit
from checks.config import DeviceFacts


@pytest.mark.slow
def test_one_province_audited_with_exactly_the_seeded_findings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert bench_audit.main(["--devices", "100", "--workers", "1", "--violations", "0.3"]) == 0
    printed = capsys.readouterr().out
    [exact] = [line for line in printed.splitlines() if line.startswith("findings exact")]
    assert exact.split() == ["findings", "exact", "yes"]
    seeded = int(printed.split("(")[1].split(" seeded")[0])
    assert seeded > 20


def test_the_seeded_violations_are_each_one_control() -> None:
    for syntax, edits in bench_audit.VIOLATIONS.items():
        facts = DeviceFacts(("10.1.224.1",), ("10.1.224.3",), {}, (IPv4Network("10.1.0.0/16"),))
        text = bench_audit.configuration(syntax, "r1", "GigabitEthernet0/0/0", facts)
        for _control, old, _new in edits:
            assert text.count(old) >= 1, (syntax, old)
