"""The loader never crashes: whatever is written, it answers with located problems."""

from __future__ import annotations

import copy
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
import yaml_rs
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.errors import InventoryNotFound, Problem
from inventory.loader import load_inventory
from inventory.validate import load_and_validate
from tests.conftest import FIXTURES

BASE = FIXTURES / "base"
COMMUNE = Path("communes") / "14845-xa_muong_lat.yaml"
TARGETS = [Path("province.yaml"), COMMUNE, Path("sites") / "province.yaml"]
FUZZ = settings(max_examples=80, deadline=None)


@contextmanager
def base_copy() -> Iterator[Path]:
    """A fresh copy of the base fixture per example (hypothesis cannot use tmp_path)."""
    with tempfile.TemporaryDirectory(prefix="provnet-fuzz-") as tmp:
        root = Path(tmp) / "inv"
        shutil.copytree(BASE, root)
        yield root


def check(root: Path) -> list[Problem]:
    """Load and validate; every problem must point at a file of the inventory, line >= 1."""
    _, problems = load_and_validate(root)
    resolved = root.resolve()
    for problem in problems:
        where = problem.location
        assert where.file.resolve().is_relative_to(resolved), str(problem)
        assert where.file.is_file(), str(problem)
        assert where.line >= 1, str(problem)
        assert where.column >= 1, str(problem)
        assert problem.message, str(problem)
    return problems


# --- strategies ----------------------------------------------------------------

SCHEMA_WORDS = [
    "province", "code", "name", "codename", "address_plan", "ipv6", "ipv4", "supernet",
    "site_prefix_length", "prefix_length", "subnets", "credentials", "kind", "ssh",
    "snmp_v2c", "snmp_v3", "username", "password", "env", "secret", "defaults", "groups",
    "platform", "managed_by", "data", "sites", "id", "security_level", "plan_index",
    "addressing", "circuits", "devices", "role", "mgmt", "port", "type", "legacy",
    "14845", "xã", "telco", "wan_router", "commune_office", "2001:db8::/40", "10.38.0.0/17",
    "10.38.130.1", "cisco_ios", "vc-endpoints", "<<",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(SCHEMA_WORDS),
    st.text(max_size=12),
)
keys = st.one_of(st.sampled_from(SCHEMA_WORDS), st.text(max_size=8), st.integers(-3, 99))
structures = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)


def dump(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, default_flow_style=None)


def leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a document, containers included."""
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out.extend(leaf_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out.extend(leaf_paths(child, (*prefix, i)))
    return out


def mutate(document: Any, path: tuple[Any, ...], action: str, replacement: Any) -> Any:
    """``document`` with the value at ``path`` replaced, deleted or duplicated."""
    if not path:
        return replacement
    result = copy.deepcopy(document)
    parent = result
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "duplicate" and isinstance(parent, list):
        parent.insert(last, copy.deepcopy(parent[last]))
    else:
        parent[last] = replacement
    return result


# --- fuzz ------------------------------------------------------------------------


@FUZZ
@given(st.sampled_from(TARGETS), st.text(max_size=300))
def test_random_text(target: Path, text: str) -> None:
    with base_copy() as root:
        (root / target).write_text(text, encoding="utf-8", errors="surrogatepass")
        check(root)


@FUZZ
@given(st.sampled_from(TARGETS), st.data())
def test_byte_mutations_and_truncations(target: Path, data: st.DataObject) -> None:
    original = (BASE / target).read_bytes()
    size = len(original)
    edits = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(["flip", "insert", "delete"]),
                st.integers(0, size - 1),
                st.binary(min_size=1, max_size=4),
            ),
            min_size=1,
            max_size=6,
        ),
        label="edits",
    )
    mutated = bytearray(original)
    for action, position, payload in edits:
        position = min(position, max(len(mutated) - 1, 0))
        if action == "flip" and mutated:
            mutated[position] ^= payload[0] or 0x20
        elif action == "insert":
            mutated[position:position] = payload
        elif mutated:
            del mutated[position : position + len(payload)]
    cut = data.draw(st.one_of(st.none(), st.integers(0, len(mutated))), label="truncate at")
    if cut is not None:
        mutated = mutated[:cut]
    with base_copy() as root:
        (root / target).write_bytes(bytes(mutated))
        check(root)


@FUZZ
@given(st.sampled_from(TARGETS), structures)
def test_random_yaml_structures(target: Path, value: Any) -> None:
    with base_copy() as root:
        (root / target).write_text(dump(value), encoding="utf-8")
        problems = check(root)
        if not isinstance(value, dict):
            assert problems  # a file must hold a mapping


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(TARGETS), st.data())
def test_structured_mutations_of_valid_files(target: Path, data: st.DataObject) -> None:
    """Change one value of a valid file: reaches the cross-checks, not just the schema."""
    document = yaml_rs.loads((BASE / target).read_text(encoding="utf-8"))
    path = data.draw(st.sampled_from(leaf_paths(document)), label="path")
    action = data.draw(st.sampled_from(["replace", "delete", "duplicate"]), label="action")
    if not path:
        action = "replace"
    replacement = data.draw(structures, label="replacement")
    mutated = mutate(document, path, action, replacement)
    with base_copy() as root:
        (root / target).write_text(dump(mutated), encoding="utf-8")
        check(root)


# --- specific cases, including the ones the fuzz found -------------------------------


HOSTILE = {
    "empty": "",
    "comment only": "# nothing\n",
    "a list": "- a\n- b\n",
    "two documents": "code: '14845'\n---\nname: x\n",
    "tab indentation": "code: '14845'\nsites:\n\t- id: x\n",
    "deep nesting": "[" * 3000 + "]" * 3000,
    "deep mappings": "{a: " * 600 + "1" + "}" * 600,
    "alias bomb": "a: &a [x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c]\n",
    "self alias": "a: &a [*a]\n",
    "python tag": "code: !!python/object:os.system ['echo hi']\n",
    "binary": "code: !!binary aGVsbG8=\n",
    "huge int": "code: 1" + "0" * 400 + "\n",
    "non-string keys": "~: 1\n1.5: 2\n[a]: 3\n",
    "1 and true": "1: a\ntrue: b\n",
    "nul byte": "code: '14845\x00'\n",
    "top-level ssh key": "code: '14845'\nname: Xã Mường Lát\ntype: xã\nssh: 1\n",
    "top-level snmp_v3 key": "snmp_v3: {kind: snmp_v3}\n",
    "merge key": "a: &a {code: '14845'}\n<<: *a\n",
}


@pytest.mark.parametrize("target", TARGETS, ids=str)
@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_files(text: str, target: Path, tmp_path: Path) -> None:
    root = tmp_path / "inv"
    shutil.copytree(BASE, root)
    (root / target).write_text(text, encoding="utf-8")
    assert check(root)


def test_not_utf8(tmp_path: Path) -> None:
    root = tmp_path / "inv"
    shutil.copytree(BASE, root)
    (root / COMMUNE).write_bytes(b"name: X\xe3 M\xfd\xf4ng L\xe1t\n")  # Latin-1, not UTF-8
    problems = check(root)
    assert [p.message for p in problems] == ["not UTF-8 text (byte 7)"]


def test_a_key_called_ssh_is_named_not_a_crash(tmp_path: Path) -> None:
    """Regression: a key named like a credential kind (ssh, snmp_v2c, snmp_v3) crashed the
    loader at the top of a file (IndexError) and was misreported inside a credential set."""
    root = tmp_path / "inv"
    shutil.copytree(BASE, root)
    commune = root / COMMUNE
    commune.write_text(commune.read_text(encoding="utf-8") + "ssh: 1\n", encoding="utf-8")
    province = root / "province.yaml"
    text = province.read_text(encoding="utf-8")
    province.write_text(
        text.replace("    username: netops\n", "    username: netops\n    ssh: 22\n"),
        encoding="utf-8",
    )
    problems = check(root)
    got = {(p.location.file.name, p.location.line, p.message) for p in problems}
    assert got == {
        ("14845-xa_muong_lat.yaml", 21, "ssh: unknown key 'ssh'"),
        ("province.yaml", 17, "credentials.ssh-netops.ssh: unknown key 'ssh'"),
    }


def test_byte_order_mark_is_not_part_of_the_first_key(tmp_path: Path) -> None:
    """Regression: a file saved as "UTF-8 with BOM" (Notepad) read its first key as
    '\\ufeffcode': unknown key plus missing 'code'."""
    root = tmp_path / "inv"
    shutil.copytree(BASE, root)
    for target in TARGETS:
        text = (root / target).read_text(encoding="utf-8")
        (root / target).write_text(text, encoding="utf-8-sig")
    assert check(root) == []


def test_missing_province_file_is_the_only_exception(tmp_path: Path) -> None:
    root = tmp_path / "inv"
    shutil.copytree(BASE, root)
    (root / "province.yaml").unlink()
    with pytest.raises(InventoryNotFound, match=r"province\.yaml"):
        load_and_validate(root)
    (root / "province.yaml").mkdir()  # a directory is not the file either
    with pytest.raises(InventoryNotFound):
        load_inventory(root)
    with pytest.raises(InventoryNotFound):
        load_and_validate(tmp_path / "nowhere")


def test_unreadable_and_odd_entries(tmp_path: Path) -> None:
    root = tmp_path / "inv"
    shutil.copytree(BASE, root)
    (root / "communes" / "folder.yaml").mkdir()  # a directory named like a file: an error
    (root / "communes" / "notes.txt").write_text("not yaml: [", encoding="utf-8")  # not .yaml
    (root / "communes" / "dangling.yaml").symlink_to(tmp_path / "gone.yaml")
    _, problems = load_and_validate(root)
    assert sorted((p.location.file.name, p.is_error) for p in problems) == [
        ("dangling.yaml", True),
        ("folder.yaml", True),
    ]
