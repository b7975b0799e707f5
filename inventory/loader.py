"""Reading an inventory directory into validated models, with every problem located.

Layout of an inventory directory::

    province.yaml        province, address_plan, credentials, defaults, groups
    sites/*.yaml         province-level sites (data centre, departments, IOC, SOC)
    communes/*.yaml      one commune per file, with its sites and devices

Loading never stops at the first problem: every file is read and every schema
error is collected with its file:line:column, so one run shows them all.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from inventory.errors import InventoryNotFound, Problem
from inventory.model import Commune, ProvinceFile, Site, SitesFile, natural_key
from inventory.source import Location, Node, YamlSyntaxError, load_yaml

ENV_INVENTORY = "PROVNET_INVENTORY"
PROVINCE_FILE = "province.yaml"

M = TypeVar("M", bound=BaseModel)


EXAMPLE_PROVINCE = "thanh_hoa"


def example_inventory_path(name: str = EXAMPLE_PROVINCE) -> Path:
    """An example inventory this package ships (``inventory/examples/NAME``)."""
    return Path(str(resources.files("inventory") / "examples" / name))


def default_inventory_path() -> Path:
    """``$PROVNET_INVENTORY``, else the example province this package ships."""
    if env := os.environ.get(ENV_INVENTORY):
        return Path(env)
    return example_inventory_path()


@dataclass
class Inventory:
    """A loaded inventory: the models plus where each one was written."""

    root: Path
    settings: ProvinceFile
    communes: list[Commune]
    province_sites: list[Site]
    nodes: dict[int, Node] = field(default_factory=dict, repr=False)

    def node(self, obj: object) -> Node | None:
        return self.nodes.get(id(obj))

    def where(self, obj: object, *path: str | int) -> Location:
        node = self.node(obj)
        if node is None:
            return Location(self.root, 1, 1)
        return node.locate(*path)

    def sites(self) -> Iterator[tuple[Commune | None, Site]]:
        for site in self.province_sites:
            yield None, site
        for commune in self.communes:
            for site in commune.sites:
                yield commune, site


@dataclass
class LoadResult:
    inventory: Inventory | None
    problems: list[Problem]


_UNION_TAGS = frozenset({"ssh", "snmp_v2c", "snmp_v3"})


def _yaml_path(loc: tuple[int | str, ...], data: object) -> list[int | str]:
    """The YAML path of an error location: without the tag a discriminated union adds.

    A tag ("ssh", ...) is dropped only where it is the ``kind`` of the value reached so
    far, so that a key that happens to be called ``ssh`` is kept (and named).
    """
    path: list[int | str] = []
    current: object = data
    tagged: object = None  # the value whose tag was dropped: at most one tag per value
    for part in loc:
        if (
            isinstance(current, dict)
            and current is not tagged
            and part in _UNION_TAGS
            and current.get("kind") == part
        ):
            tagged = current
            continue
        path.append(part)
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        else:
            current = None
    return path


def _schema_problems(exc: ValidationError, node: Node, data: object = None) -> list[Problem]:
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = tuple(part for part in error["loc"] if not str(part).startswith("function-"))
        # Discriminated unions add the tag ("ssh", ...) to the path: it is not a YAML key.
        path = _yaml_path(loc, data)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown key '{path[-1] if path else '?'}'"
        elif error["type"] == "missing":
            message = f"missing required key '{path[-1] if path else '?'}'"
        where = ".".join(str(p) for p in path)
        problems.append(Problem(node.locate(*path), f"{where}: {message}" if where else message))
    return problems


def _read(path: Path, problems: list[Problem]) -> tuple[Node, object] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(Location(path, 1, 1), f"not UTF-8 text (byte {exc.start})"))
        return None
    except OSError as exc:
        problems.append(Problem(Location(path, 1, 1), f"cannot read: {exc.strerror}"))
        return None
    try:
        data = load_yaml(text)
    except YamlSyntaxError as exc:
        problems.append(Problem(Location(path, exc.line, exc.column), str(exc)))
        return None
    return Node(path), data


def _validate(
    model: type[M], read: tuple[Node, object] | None, problems: list[Problem]
) -> M | None:
    if read is None:
        return None
    node, data = read
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        problems.append(
            Problem(node.locate(), f"expected a mapping at the top of the file, found {kind}")
        )
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(_schema_problems(exc, node, data))
        return None


def load_model_file(path: Path, model: type[M]) -> tuple[M | None, Node, list[Problem]]:
    """Any YAML file people edit beside the inventory (a session file, ...) validated
    against ``model`` as the inventory's files are: every problem with file:line:column."""
    problems: list[Problem] = []
    read = _read(path, problems)
    return _validate(model, read, problems), Node(path), problems


def _index_site(nodes: dict[int, Node], site: Site, node: Node) -> None:
    nodes[id(site)] = node
    for i, device in enumerate(site.devices):
        nodes[id(device)] = node.child("devices", i)
    for i, circuit in enumerate(site.circuits):
        nodes[id(circuit)] = node.child("circuits", i)


def _not_a_file(path: Path) -> str | None:
    """Why ``path`` (named ``*.yaml``) cannot be read as a file of the inventory, or None.

    Decided from ``stat`` before anything opens it: opening a FIFO would wait forever.
    """
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link that loops (self-referencing)"
        if path.is_symlink():
            return f"a symbolic link that leads nowhere ({exc.strerror})"
        return f"cannot read: {exc.strerror}"
    if stat.S_ISREG(mode):
        return None
    kind = (
        "a directory"
        if stat.S_ISDIR(mode)
        else "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a device file"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    via = " (through a symbolic link)" if path.is_symlink() else ""
    return f"{kind}{via}, not a YAML file"


def _yaml_files(folder: Path, problems: list[Problem], *, required: bool) -> list[Path]:
    """The ``*.yaml``/``*.yml`` files of ``folder``, in natural order; every entry that is
    named so but cannot be read as a file is a problem with its path, never skipped."""
    if not folder.is_dir():
        if folder.exists() or folder.is_symlink():
            problems.append(Problem(Location(folder, 1, 1), "expected a directory"))
        elif required:
            problems.append(
                Problem(
                    Location(folder, 1, 1),
                    f"no {folder.name}/ directory",
                    "an inventory has one YAML file per commune in communes/",
                )
            )
        return []
    files = []
    for entry in folder.iterdir():
        if entry.suffix not in {".yaml", ".yml"}:
            continue
        problem = _not_a_file(entry)
        if problem is None:
            files.append(entry)
        else:
            problems.append(Problem(Location(entry, 1, 1), problem))
    return sorted(files, key=lambda p: natural_key(p.name))


def load_inventory(path: Path | str | None = None) -> LoadResult:
    """Load and schema-check an inventory; cross-references are checked by ``validate``."""
    root = Path(path) if path is not None else default_inventory_path()
    if root.is_file():
        root = root.parent
    province_path = root / PROVINCE_FILE
    if not province_path.is_file():
        raise InventoryNotFound(
            f"{province_path}: no {PROVINCE_FILE} here; point --inventory (or "
            f"${ENV_INVENTORY}) at an inventory directory, or create one with "
            "'provnet inventory scaffold'"
        )
    problems: list[Problem] = []
    nodes: dict[int, Node] = {}

    province_node = Node(province_path)
    settings = _validate(ProvinceFile, _read(province_path, problems), problems)

    province_sites: list[Site] = []
    for file in _yaml_files(root / "sites", problems, required=False):
        node = Node(file)
        sites_file = _validate(SitesFile, _read(file, problems), problems)
        if sites_file is not None:
            for i, site in enumerate(sites_file.sites):
                _index_site(nodes, site, node.child("sites", i))
            province_sites.extend(sites_file.sites)

    communes: list[Commune] = []
    for file in _yaml_files(root / "communes", problems, required=True):
        node = Node(file)
        commune = _validate(Commune, _read(file, problems), problems)
        if commune is not None:
            nodes[id(commune)] = node
            for i, site in enumerate(commune.sites):
                _index_site(nodes, site, node.child("sites", i))
            communes.append(commune)

    if settings is None:
        return LoadResult(None, problems)
    nodes[id(settings)] = province_node
    inventory = Inventory(root, settings, communes, province_sites, nodes)
    return LoadResult(inventory, problems)
