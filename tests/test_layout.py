"""The rooms are the layout: imports run one way (see ../shared/DESIGN.md and README's layout).

ground (provnet: root error, console helpers, plugin discovery) < platforms < inventory
< deploys, exporters, checks, lab < the face (cli: the console script and the demo).
A room imports only rooms below it; deploys, exporters and checks never import one
another; no product room imports the twin (lab); nothing imports the face.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RANK = {
    "provnet": 0,
    "platforms": 1,
    "inventory": 2,
    "deploys": 3,
    "exporters": 3,
    "checks": 3,
    "lab": 3,
    "cli": 4,
}
PEERS_APART = frozenset({"deploys", "exporters", "checks"})


def product_modules() -> list[Path]:
    return sorted(p for room in RANK for p in (ROOT / room).rglob("*.py"))


def imported_rooms(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every import in ``path`` that names a room."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        found += [(node.lineno, n.split(".")[0]) for n in names if n.split(".")[0] in RANK]
    return found


def violation(room: str, target: str) -> str | None:
    """Why ``room`` may not import ``target`` (None when it may)."""
    if target == room:
        return None
    if target == "cli":
        return "nothing imports the face (cli)"
    if target == "lab" and room != "cli":
        return "product code never imports the twin (lab)"
    if room in PEERS_APART and target in PEERS_APART:
        return "deploys, exporters and checks never import one another"
    if RANK[target] >= RANK[room]:
        return f"{room} (rank {RANK[room]}) may only import rooms below it"
    return None


def layout_violations() -> list[str]:
    problems = []
    for path in product_modules():
        room = path.relative_to(ROOT).parts[0]
        for line, target in imported_rooms(path):
            why = violation(room, target)
            if why:
                problems.append(f"{path.relative_to(ROOT)}:{line}: imports {target}: {why}")
    return problems


def test_imports_run_one_way() -> None:
    assert layout_violations() == []


@pytest.mark.parametrize(
    ("room", "target", "allowed"),
    [
        ("inventory", "provnet", True),
        ("inventory", "platforms", True),
        ("platforms", "inventory", False),
        ("provnet", "inventory", False),
        ("deploys", "exporters", False),
        ("checks", "deploys", False),
        ("exporters", "lab", False),
        ("lab", "inventory", True),
        ("cli", "lab", True),
        ("lab", "cli", False),
        ("deploys", "cli", False),
    ],
)
def test_the_rule_itself(room: str, target: str, allowed: bool) -> None:
    assert (violation(room, target) is None) is allowed


def test_the_checker_sees_an_import_that_runs_back_up(tmp_path: Path) -> None:
    """Checked on a module that imports the face, as inventory/errors.py once did through
    the package that held both the root error and the console script."""
    module = tmp_path / "errors.py"
    module.write_text(
        "from cli import build_app\n\ndef later():\n    import deploys.network\n",
        encoding="utf-8",
    )
    found = imported_rooms(module)
    assert found == [(1, "cli"), (4, "deploys")]
    assert [violation("inventory", target) for _, target in found] == [
        "nothing imports the face (cli)",
        "inventory (rank 2) may only import rooms below it",
    ]
