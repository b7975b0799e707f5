"""Scaffolding: every one of the 34 provinces comes out complete, official and valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from inventory.errors import UnknownProvince
from inventory.official import find_province, fold, provinces
from inventory.scaffold import (
    PROVINCE_SITE_SLOTS,
    ScaffoldOptions,
    ScaffoldTargetNotEmpty,
    commune_filename,
    scaffold,
)
from inventory.validate import load_and_validate

CODES = sorted(provinces())
runner = CliRunner()


def test_the_official_list_has_34_provinces_and_3321_communes() -> None:
    table = provinces()
    assert len(table) == 34
    assert sum(len(p.communes) for p in table.values()) == 3321
    codes = [c.code for p in table.values() for c in p.communes]
    assert len(set(codes)) == 3321
    assert all(len(code) == 5 and code.isdigit() for code in codes)
    assert all(len(code) == 2 and code.isdigit() for code in table)
    assert {c.type for p in table.values() for c in p.communes} == {"xã", "phường", "đặc khu"}


@pytest.mark.parametrize("code", CODES)
def test_every_province_scaffolds_and_validates_clean(code: str, tmp_path: Path) -> None:
    official = provinces()[code]
    root = tmp_path / official.codename
    written = scaffold(official, root)
    assert written == 2 + len(official.communes)
    assert len(list((root / "communes").glob("*.yaml"))) == len(official.communes)

    inventory, problems = load_and_validate(root)
    assert inventory is not None
    assert problems == [], [str(p) for p in problems[:5]]
    assert inventory.settings.province.code == code
    assert inventory.settings.province.name == official.short_name
    # Same communes, same codes, names and types as the official list, diacritics kept.
    assert [(c.code, c.name, c.type.value) for c in inventory.communes] == [
        (c.code, c.name, c.type) for c in official.communes
    ]
    indices = sorted(s.plan_index for _, s in inventory.sites() if s.plan_index is not None)
    assert indices == [
        0,
        1,
        2,
        *range(PROVINCE_SITE_SLOTS, PROVINCE_SITE_SLOTS + len(official.communes)),
    ]


def test_names_keep_their_diacritics_in_the_files(tmp_path: Path) -> None:
    official = find_province("thanh_hoa")
    scaffold(official, tmp_path / "th")
    province_text = (tmp_path / "th" / "province.yaml").read_text(encoding="utf-8")
    assert "name: Thanh Hóa" in province_text
    commune = next(c for c in official.communes if c.code == "14758")
    assert commune.name == "Phường Hàm Rồng"
    text = (tmp_path / "th" / "communes" / commune_filename(commune)).read_text(encoding="utf-8")
    assert "name: Phường Hàm Rồng" in text  # written as UTF-8, not escaped
    assert "type: phường" in text
    assert "\\u" not in text
    assert "\\x" not in text
    # File names are ASCII: safe on every file system and in git.
    assert all(p.name.isascii() for p in (tmp_path / "th" / "communes").iterdir())


def test_scaffold_is_deterministic(tmp_path: Path) -> None:
    official = find_province("46")  # Huế: the smallest, 40 communes
    scaffold(official, tmp_path / "a")
    scaffold(official, tmp_path / "b")
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.yaml"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.yaml"))
    assert files_a == files_b
    for rel in files_a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("38", "38"),
        ("8", "08"),
        ("08", "08"),
        ("1", "01"),
        ("thanh_hoa", "38"),
        ("thanh hoa", "38"),
        ("thanh-hoa", "38"),
        ("Thanh Hóa", "38"),
        ("THANH HÓA", "38"),
        ("  thanh hoa  ", "38"),
        ("Hồ Chí Minh", "79"),
        ("ho chi minh", "79"),
        ("Thành phố Hồ Chí Minh", "79"),
        ("ho_chi_minh", "79"),
        ("Đà Nẵng", "48"),
        ("da nang", "48"),
        ("Huế", "46"),
        ("Đắk Lắk", "66"),
        ("dak lak", "66"),
    ],
)
def test_find_province_accepts_code_codename_and_name(query: str, code: str) -> None:
    assert find_province(query).code == code


@pytest.mark.parametrize(
    "query",
    ["99", "0", "", "x", "thanh", "Hà Tây", "380"],
)
def test_find_province_refuses_the_unknown(query: str) -> None:
    with pytest.raises(UnknownProvince, match="34"):
        find_province(query)


@pytest.mark.parametrize("query", ["³", "²⁵", "½"])
def test_find_province_refuses_unicode_digits_as_unknown(query: str) -> None:
    """BUG (inventory/official.py, find_province): '³'.isdigit() is True but int('³') raises
    ValueError, which escapes as a traceback from the CLI instead of UnknownProvince."""
    with pytest.raises(UnknownProvince):
        find_province(query)


def test_every_province_is_found_by_each_of_its_names() -> None:
    for code, official in provinces().items():
        for query in (code, official.codename, official.name, official.short_name):
            assert find_province(query).code == code
        assert find_province(fold(official.short_name)).code == code


def test_scaffold_refuses_a_non_empty_directory_unless_forced(tmp_path: Path) -> None:
    official = find_province("46")
    target = tmp_path / "hue"
    target.mkdir()
    (target / "notes.txt").write_text("giữ lại (keep)\n", encoding="utf-8")
    with pytest.raises(ScaffoldTargetNotEmpty, match="not empty"):
        scaffold(official, target)
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]  # nothing written

    assert scaffold(official, target, ScaffoldOptions(force=True)) == 2 + len(official.communes)
    assert (target / "notes.txt").read_text(encoding="utf-8") == "giữ lại (keep)\n"
    _, problems = load_and_validate(target)
    assert problems == []
    # An existing empty directory is fine without force.
    (tmp_path / "empty").mkdir()
    scaffold(official, tmp_path / "empty")


def test_cli_scaffold_then_validate(tmp_path: Path) -> None:
    from cli import app  # imported here: a broken sibling room fails only this test

    out = tmp_path / "thanh_hoa"
    result = runner.invoke(
        app, ["inventory", "scaffold", "--province", "thanh_hoa", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "166" in result.output
    assert (out / "province.yaml").is_file()
    result = runner.invoke(app, ["inventory", "validate", str(out)])
    assert result.exit_code == 0, result.output
    assert "166 xã/phường (communes)" in result.output
    # A second scaffold into the same directory is refused, with exit code 2 and no traceback.
    result = runner.invoke(
        app, ["inventory", "scaffold", "--province", "thanh_hoa", "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "not empty" in result.output
    result = runner.invoke(
        app, ["inventory", "scaffold", "--province", "atlantis", "--out", str(out)]
    )
    assert result.exit_code == 2
