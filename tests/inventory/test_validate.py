"""Validation: every broken fixture gives exactly its expected problems, located."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml_rs
from typer.testing import CliRunner

from cli import app
from inventory.errors import Severity
from inventory.validate import load_and_validate
from tests.conftest import FIXTURES

CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.yaml").is_file())
runner = CliRunner()


def test_base_fixture_is_valid(make_inventory: Callable[[str], Path]) -> None:
    inventory, problems = load_and_validate(make_inventory(""))
    assert inventory is not None
    assert problems == []


@pytest.mark.parametrize("case", CASES)
def test_broken_fixture_gives_its_expected_problems(
    case: str, make_inventory: Callable[[str], Path]
) -> None:
    root = make_inventory(case)
    expected = yaml_rs.loads((FIXTURES / case / "expected.yaml").read_text(encoding="utf-8"))
    _, problems = load_and_validate(root)
    got = [
        {
            "file": str(p.location.file.relative_to(root)),
            "line": p.location.line,
            "column": p.location.column,
            "severity": str(p.severity),
            "message": p.message,
        }
        for p in problems
    ]
    assert got == expected["problems"]
    assert any(p.severity is Severity.ERROR for p in problems)


@pytest.mark.parametrize("case", CASES)
def test_cli_exits_2_and_names_the_file_and_line(
    case: str, make_inventory: Callable[[str], Path]
) -> None:
    root = make_inventory(case)
    expected = yaml_rs.loads((FIXTURES / case / "expected.yaml").read_text(encoding="utf-8"))
    result = runner.invoke(app, ["inventory", "validate", str(root)])
    assert result.exit_code == 2
    first = expected["problems"][0]
    assert f"{root / first['file']}:{first['line']}:{first['column']}" in result.output


def test_inline_secret_is_refused_without_echoing_it(make_inventory: Callable[[str], Path]) -> None:
    root = make_inventory("inline_secret")
    _, problems = load_and_validate(root)
    result = runner.invoke(app, ["inventory", "validate", str(root)])
    assert result.exit_code == 2
    assert "canary-Hunter2-inline" not in result.output
    assert all("canary-Hunter2-inline" not in str(p) for p in problems)


def test_valid_inventory_prints_one_summary_line(make_inventory: Callable[[str], Path]) -> None:
    result = runner.invoke(app, ["inventory", "validate", str(make_inventory(""))])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "2 xã/phường (communes)" in lines[0]
    assert "6 thiết bị (devices)" in lines[0]


def test_missing_inventory_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["inventory", "validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "province.yaml" in result.output


def test_example_province_is_valid_and_realistic(example_inventory: Path) -> None:
    inventory, problems = load_and_validate(example_inventory)
    assert inventory is not None
    assert [p for p in problems if p.is_error] == []
    assert len(inventory.communes) == 166
    platforms = {d.platform for _, s in inventory.sites() for d in s.devices}
    assert {"cisco_ios", "cisco_xe", "huawei_vrp", "cisco_tp", "linux"} <= platforms
    groups = {g for _, s in inventory.sites() for d in s.devices for g in d.groups}
    assert "telco-cpe" in groups


def test_a_secret_under_data_is_refused_without_echoing_it(
    make_inventory: Callable[[str], Path],
) -> None:
    result = runner.invoke(app, ["inventory", "validate", str(make_inventory("secret_in_data"))])
    assert result.exit_code == 2
    assert "data.sip_password looks like a secret" in result.output
    assert "canary-7f3a9" not in result.output


def test_link_local_and_foreign_management_addresses_are_warnings(
    make_inventory: Callable[[str], Path],
) -> None:
    root = make_inventory("odd_mgmt_address")
    _, problems = load_and_validate(root)
    assert [(p.severity, p.location.line, p.message.split(": ", 1)[1]) for p in problems] == [
        (
            Severity.WARNING,
            16,
            "management address fe80::1 is link-local; it cannot be reached from the data centre",
        ),
        (
            Severity.WARNING,
            20,
            "management address 10.29.130.35 lies outside the province's address plan",
        ),
    ]
    result = runner.invoke(app, ["inventory", "validate", str(root)])
    assert result.exit_code == 0
    assert "2 cảnh báo (warnings)" in result.output


def test_validate_reports_what_net_plan_would_refuse_in_the_data(
    make_inventory: Callable[[str], Path],
) -> None:
    root = make_inventory("bad_change_data")
    result = runner.invoke(app, ["inventory", "validate", str(root)], env={"COLUMNS": "300"})
    assert result.exit_code == 2
    assert "device th-14845-rtr1: data.wan_vlan: Input should be less than or equal to 4094" in (
        result.output
    )
    assert "device th-14845-vc1: data.login_banner: must be one printable line" in result.output
    assert "communes/14845-xa_muong_lat.yaml:" in result.output
