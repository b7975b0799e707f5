"""Fixtures shared by every suite."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "inventory" / "fixtures"
EXAMPLE = Path(__file__).resolve().parent.parent / "lab" / "province" / "thanh_hoa"


@pytest.fixture
def example_inventory() -> Path:
    """The example province shipped in lab/province (read-only: copy before editing)."""
    return EXAMPLE


@pytest.fixture
def make_inventory(tmp_path: Path) -> Callable[[str], Path]:
    """A copy of the small base inventory with a fixture case's files laid over it."""

    def build(case: str = "") -> Path:
        target = tmp_path / (case or "base")
        shutil.copytree(FIXTURES / "base", target)
        if case:
            shutil.copytree(FIXTURES / case, target, dirs_exist_ok=True)
            (target / "expected.yaml").unlink(missing_ok=True)
        return target

    return build
