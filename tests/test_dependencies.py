"""The dependencies match the imports: what pyproject.toml declares (base and every extra:
the development environment has them all) and what those need is exactly what
requirements.lock pins, nothing more."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    return [Requirement(r) for r in [*project["dependencies"], *extras]]


def closure(requirements: list[Requirement]) -> set[str]:
    """The declared packages and, through their installed metadata, all they require."""
    seen: set[str] = set()
    todo = [(r, frozenset(r.extras)) for r in requirements]
    while todo:
        requirement, extras = todo.pop()
        name = canonical(requirement.name)
        if name in seen and not extras:
            continue
        seen.add(name)
        for text in metadata.requires(requirement.name) or []:
            needed = Requirement(text)
            wanted = needed.marker is None or any(
                needed.marker.evaluate({**default_environment(), "extra": extra})
                for extra in ["", *extras]
            )
            if wanted:
                todo.append((needed, frozenset(needed.extras)))
    return seen


def pinned() -> set[str]:
    lines = (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    return {canonical(line.split("==")[0]) for line in lines if "==" in line}


def test_the_lock_pins_exactly_what_the_declared_dependencies_need() -> None:
    needed = closure(declared()) - {"pip", "setuptools"}
    assert sorted(needed - pinned()) == [], "needed but not pinned"
    assert sorted(pinned() - needed - {"setuptools"}) == [], "pinned but needed by nothing"


def test_paramiko_is_declared_as_the_product_imports_it() -> None:
    assert "paramiko" in {canonical(r.name) for r in declared()}
