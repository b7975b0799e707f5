"""A vendor is one package: no product module outside ``platforms/`` and ``lab/device/``
branches on a platform name.

Forms caught (in the AST of every product module): a comparison (``==``, ``!=``, ``in``,
``not in``, ``match``/``case``, ``.startswith()``/``.endswith()``) with a known platform
name; a dict literal keyed by platform names; a set/frozenset/tuple/list literal of platform
names compared or assigned to a module constant. What the platform itself should answer
belongs on its ``PLATFORM``/``NETWORK`` (platforms/README.md). Defaults
(``router_platform: str = "cisco_ios"``) and data are not branches and pass.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from platforms import registry

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("provnet", "cli", "inventory", "platforms", "deploys", "exporters", "checks", "lab")
VENDOR_HOMES = ("platforms", "lab/device")

_COMPARISONS = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)
_COLLECTIONS = (ast.Set, ast.Tuple, ast.List)


def _names_in(node: ast.AST, names: frozenset[str]) -> bool:
    """``node`` is a platform name, or a literal collection (maybe wrapped in ``frozenset(...)``,
    ``set(...)``, ``tuple(...)``) holding one."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value in names
    if isinstance(node, _COLLECTIONS):
        return any(_names_in(e, names) for e in node.elts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        wraps = node.func.id in ("frozenset", "set", "tuple", "list")
        return wraps and any(_names_in(a, names) for a in node.args)
    return False


def _is_collection(node: ast.AST) -> bool:
    return isinstance(node, _COLLECTIONS) or (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("frozenset", "set", "tuple", "list")
    )


def vendor_branches(source: str, names: frozenset[str]) -> list[tuple[int, str]]:
    """(line, what) of every branch on a platform name in ``source``."""
    tree = ast.parse(source)
    hits: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(isinstance(op, _COMPARISONS) for op in node.ops) and any(
                _names_in(o, names) for o in operands
            ):
                hits.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Dict):
            if any(k is not None and _names_in(k, names) for k in node.keys):
                hits.append((node.lineno, "dict keyed by platform names"))
        elif isinstance(node, ast.MatchValue) and _names_in(node.value, names):
            hits.append((node.lineno, f"case {ast.unparse(node.value)}"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "endswith")
            and any(_names_in(a, names) for a in node.args)
        ):
            hits.append((node.lineno, ast.unparse(node)))
    for statement in tree.body:  # module constants
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign):
            targets, value = [statement.target], statement.value
        if value is not None and _is_collection(value) and _names_in(value, names):
            shown = "{...}"
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                shown = f"{value.func.id}({{...}})"
            for target in targets:
                hits.append((statement.lineno, f"{ast.unparse(target)} = {shown}"))
    return hits


def product_modules() -> list[Path]:
    found = []
    for room in PRODUCT:
        for path in sorted((ROOT / room).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if not any(relative.startswith(home + "/") for home in VENDOR_HOMES):
                found.append(path)
    return found


def platform_names() -> frozenset[str]:
    return frozenset(registry())


def test_no_product_module_outside_the_vendor_homes_branches_on_a_platform_name() -> None:
    names = platform_names()
    problems = [
        f"{path.relative_to(ROOT).as_posix()}:{line}: {what}"
        for path in product_modules()
        for line, what in vendor_branches(path.read_text(encoding="utf-8"), names)
    ]
    assert problems == [], "ask the platform (PLATFORM / NETWORK) instead:\n" + "\n".join(problems)


def test_the_platform_names_are_the_discovered_ones() -> None:
    assert {"cisco_ios", "cisco_xe", "huawei_vrp", "cisco_tp", "juniper_junos", "linux"} <= (
        platform_names()
    )


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ('def f(p):\n    if p == "huawei_vrp":\n        return 1\n', True),
        ('X = frozenset({"cisco_ios"})\n', True),
        ('if platform in ("cisco_ios", "cisco_xe"):\n    pass\n', True),
        ('if "linux" != kind:\n    pass\n', True),
        ('NETWORK_OS = {"cisco_ios": "cisco.ios.ios"}\n', True),
        ('PLATFORMS: tuple[str, ...] = ("linux",)\n', True),
        ('match p:\n    case "cisco_tp":\n        pass\n', True),
        ('if p.startswith("linux"):\n    pass\n', True),
        ('router_platform: str = "cisco_ios"\n', False),
        ('make("r1", "cisco_xe")\n', False),
        ('if p == "other":\n    pass\n', False),
        ('def f():\n    local = ["linux"]\n    return local\n', False),
    ],
)
def test_the_checker_catches_branches_and_passes_data(source: str, caught: bool) -> None:
    names = frozenset({"cisco_ios", "cisco_xe", "huawei_vrp", "cisco_tp", "linux"})
    assert bool(vendor_branches(source, names)) is caught


def test_the_checker_reads_a_file(tmp_path: Path) -> None:
    module = tmp_path / "branchy.py"
    module.write_text(
        'X = frozenset({"cisco_ios"})\n\n\ndef f(p: str) -> int:\n'
        '    if p == "huawei_vrp":\n        return 1\n    return 0\n',
        encoding="utf-8",
    )
    hits = vendor_branches(module.read_text(encoding="utf-8"), platform_names())
    assert hits == [(5, "p == 'huawei_vrp'"), (1, "X = frozenset({...})")]
