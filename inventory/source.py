"""YAML reading, fast, and able to say where each value was written (file:line:column).

Documents are parsed by ``yaml_rs`` (YAML 1.2, duplicate keys refused), about
twenty times faster than PyYAML, which matters for 3,321 commune files. Positions
are needed only to report a problem, so they come from a second, slower parse
with PyYAML's C scanner, done lazily and only for files that have a problem:
mappings and sequences are then built as ``dict`` and ``list`` subclasses that
carry the position of every key and item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
import yaml_rs

from inventory.errors import InventoryError

Mark = tuple[int, int]  # 1-based line, column


@dataclass(frozen=True)
class Location:
    file: Path
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class MarkedDict(dict[Any, Any]):
    mark: Mark = (1, 1)
    key_marks: dict[Any, Mark]
    value_marks: dict[Any, Mark]


class MarkedList(list[Any]):
    mark: Mark = (1, 1)
    item_marks: list[Mark]


class YamlSyntaxError(InventoryError, ValueError):
    """A YAML file that does not parse; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def _mark(node: yaml.Node) -> Mark:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Loader(yaml.CSafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> MarkedDict:
    loader.flatten_mapping(node)
    result = MarkedDict()
    result.mark = _mark(node)
    result.key_marks = {}
    result.value_marks = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise YamlSyntaxError("a mapping key must be a plain value", *_mark(key_node)) from None
        if key in result:
            first = result.key_marks[key]
            raise YamlSyntaxError(
                f"duplicate key '{key}' (first written at line {first[0]})", *_mark(key_node)
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_marks[key] = _mark(key_node)
        result.value_marks[key] = _mark(value_node)
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> MarkedList:
    result = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
    result.mark = _mark(node)
    result.item_marks = [_mark(child) for child in node.value]
    return result


_LEADING_ZERO = re.compile(r"^0\d+$")


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int | str:
    text = str(node.value)
    if _LEADING_ZERO.match(text.replace("_", "")):
        return text
    return int(loader.construct_yaml_int(node))


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


_RS_POSITION = re.compile(r"line (\d+), column (\d+)")


def load_yaml(text: str) -> Any:
    """Parse one YAML document fast; raise :class:`YamlSyntaxError` with a position."""
    # A byte-order mark (Notepad's "UTF-8 with BOM") is not content: YAML allows it at
    # the start and PyYAML skips it, but yaml_rs would make it part of the first key.
    text = text.removeprefix("\ufeff")
    try:
        return yaml_rs.loads(text)
    except yaml_rs.YAMLDecodeError as exc:
        message = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        detail = str(exc).splitlines()[-1].strip() if "\n" in str(exc) else ""
    except (ValueError, TypeError, RecursionError) as exc:
        raise YamlSyntaxError(f"YAML value: {type(exc).__name__}", 1, 1) from None
    parse_marked_yaml(text)  # PyYAML words it better and always has a position
    found = _RS_POSITION.search(message)
    line, column = (int(found[1]), int(found[2])) if found else (1, 1)
    text_out = f"YAML syntax: {detail}" if detail else f"YAML: {message}"
    raise YamlSyntaxError(text_out, line, column)


def parse_marked_yaml(text: str) -> Any:
    """Parse one YAML document keeping positions; raise :class:`YamlSyntaxError`."""
    try:
        return yaml.load(text, Loader=_Loader)
    except YamlSyntaxError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlSyntaxError(f"YAML syntax: {problem}", line, column) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"YAML: {exc}", 1, 1) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise YamlSyntaxError(f"YAML value: {type(exc).__name__}", 1, 1) from None


@lru_cache(maxsize=32)
def _marked_document(file: Path, mtime_ns: int) -> Any:
    try:
        return parse_marked_yaml(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YamlSyntaxError):
        return None


@dataclass(frozen=True)
class Node:
    """A file and the path to one value inside it; positions are looked up on demand."""

    file: Path
    path: tuple[str | int, ...] = ()
    marked: Any = field(default=None, compare=False, repr=False)

    def child(self, *path: str | int) -> Node:
        return Node(self.file, self.path + path, self.marked)

    def _document(self) -> Any:
        if self.marked is not None:
            return self.marked
        try:
            return _marked_document(self.file, self.file.stat().st_mtime_ns)
        except OSError:
            return None

    def locate(self, *path: str | int) -> Location:
        """Position of the deepest part of ``self.path + path`` that exists."""
        document = self._document()
        line, column = getattr(document, "mark", (1, 1))
        current: Any = document
        for step in self.path + path:
            if isinstance(current, MarkedDict) and step in current:
                line, column = current.key_marks[step]
                current = current[step]
            elif (
                isinstance(current, MarkedList)
                and isinstance(step, int)
                and (0 <= step < len(current))
            ):
                line, column = current.item_marks[step]
                current = current[step]
            else:
                break
        return Location(self.file, line, column)
