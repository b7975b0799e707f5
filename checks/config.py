"""Configuration controls, decided on the configuration tree (pure, no I/O).

The configuration is read once by the platform's own parser (:func:`platforms.config.parse`
with ``NETWORK.syntax``), so a section is what the device means by one, banners and VRP's
indented global lines included. Each :class:`~checks.model.ConfigCheck` of a control
yields :class:`Evidence`: the lines that proved a requirement (``matched``) and every
violation (``missing``, ``forbidden``, ``out_of_bounds``, ``no_section``), with the file's
line number.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from checks.model import ConfigCheck, LineMatch
from platforms.config import AclReader, Network, Node, normalize

EvidenceKind = Literal["matched", "missing", "forbidden", "out_of_bounds", "no_section"]
FAILING: frozenset[str] = frozenset({"missing", "forbidden", "out_of_bounds", "no_section"})


@dataclass(frozen=True, slots=True)
class Evidence:
    """One line an auditor can find in the file (``line`` 1-based; 0: the line is absent
    and there is no section to point at)."""

    kind: EvidenceKind
    text: str  # the line as printed, or the expected line when missing
    line: int = 0
    section: str = ""  # the enclosing section lines, " > " between levels
    detail: str = ""  # what was compared: "minutes 30 > idle_timeout_minutes 10"

    @property
    def failing(self) -> bool:
        return self.kind in FAILING

    def as_dict(self) -> dict[str, str | int]:
        # by hand: dataclasses.asdict deep-copies, a third of a large audit's time
        return {
            "kind": self.kind,
            "text": self.text,
            "line": self.line,
            "section": self.section,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class DeviceFacts:
    """What a configuration check reads besides the configuration (from the inventory)."""

    ntp_servers: tuple[str, ...] = ()
    syslog_servers: tuple[str, ...] = ()
    interfaces: Mapping[str, str] = field(default_factory=dict)  # purpose -> interface name
    management_prefixes: tuple[Network, ...] = ()

    def values(self, name: str) -> tuple[str, ...]:
        found: tuple[str, ...] = getattr(self, name)
        return found


@dataclass(frozen=True, slots=True)
class Scope:
    header: tuple[Node, ...]  # the section lines leading here, () for the global level
    nodes: Sequence[Node]
    where: str = ""  # the header lines joined, as evidence names the section
    line: int = 0  # the line of the innermost header (0 for the global level)


def _scope(header: tuple[Node, ...], nodes: Sequence[Node]) -> Scope:
    where = " > ".join(n.text for n in header)
    return Scope(header, nodes, where, header[-1].line if header else 0)


def _flatten(
    nodes: Sequence[Node], header: tuple[Node, ...] = ()
) -> Iterator[tuple[Node, tuple[Node, ...]]]:
    for node in nodes:
        yield node, header
        if node.children:
            yield from _flatten(node.children, (*header, node))


def _joined(header: tuple[Node, ...]) -> str:
    return " > ".join(n.text for n in header)


_META = frozenset(".^$*+?{}[]\\|()")


@lru_cache(maxsize=4096)
def literal_prefix(pattern: re.Pattern[str]) -> str:
    """The text every match of an anchored ``pattern`` starts with (``""`` when unknown):
    a cheap ``startswith`` spares most regex searches."""
    source = pattern.pattern
    if not source.startswith("^"):
        return ""
    end = 1
    while end < len(source) and source[end] not in _META:
        end += 1
    if end < len(source) and source[end] in "*+?{":
        end -= 1  # the quantifier makes the last literal character optional
    return source[1:end]


def _sections(
    nodes: Sequence[Node], path: Sequence[re.Pattern[str]], header: tuple[Node, ...] = ()
) -> Iterator[Scope]:
    if not path:
        yield _scope(header, nodes)
        return
    prefix = literal_prefix(path[0])
    for node in nodes:
        if node.text.startswith(prefix) and path[0].search(node.text):
            yield from _sections(node.children, path[1:], (*header, node))


def scopes(check: ConfigCheck, tree: Sequence[Node], facts: DeviceFacts) -> tuple[list[Scope], str]:
    """The scopes ``check`` applies to, and how to name the section when there is none."""
    if check.interface is not None:
        name = facts.interfaces.get(check.interface)
        if name is None:
            return [], f"interface ({check.interface}: unknown)"
        wanted = normalize(f"interface {name}").lower()
        found = [
            _scope((n,), n.children)
            for n in tree
            if n.text[:10].lower() == "interface " and normalize(n.text).lower() == wanted
        ]
        return found, f"interface {name}"
    return list(_sections(tree, check.section)), " > ".join(p.pattern for p in check.section)


@lru_cache(maxsize=4096)
def _with_value(pattern: str, value: str) -> re.Pattern[str]:
    return re.compile(pattern.replace("{value}", re.escape(value)))


def _expanded(line: LineMatch, facts: DeviceFacts) -> list[tuple[re.Pattern[str], str]]:
    """(compiled pattern, expected text) for ``line``, once per value of its ``each``."""
    expect = line.expect or line.pattern.pattern
    if line.each is None:
        return [(line.pattern, expect)]
    return [
        (_with_value(line.pattern.pattern, v), expect.replace("{value}", v))
        for v in facts.values(line.each)
    ]


def _bound_value(bound: int | str, params: Mapping[str, int | str]) -> tuple[int, str]:
    if isinstance(bound, int):
        return bound, str(bound)
    return int(params[bound]), f"{bound} {params[bound]}"


def _out_of_bounds(
    match: re.Match[str], line: LineMatch, params: Mapping[str, int | str]
) -> str | None:
    """Why the matched line is outside its bounds (None when within)."""
    for group, bound in line.at_most.items():
        value = int(match[group])
        limit, named = _bound_value(bound, params)
        if value > limit:
            return f"{group} {value} > {named}"
    for group, bound in line.at_least.items():
        value = int(match[group])
        limit, named = _bound_value(bound, params)
        if value < limit:
            return f"{group} {value} < {named}"
    return None


def output_tree(text: str) -> list[Node]:
    """A command's output as top-level lines (numbered from 1, blank lines skipped), so
    that a server's state is checked as a configuration's global lines are."""
    return [Node(t.strip(), line=i) for i, t in enumerate(text.splitlines(), 1) if t.strip()]


def _inside(source: Network | None, prefixes: Sequence[Network]) -> bool:
    if source is None:
        return False
    if isinstance(source, ipaddress.IPv4Network):
        return any(isinstance(p, ipaddress.IPv4Network) and source.subnet_of(p) for p in prefixes)
    return any(isinstance(p, ipaddress.IPv6Network) and source.subnet_of(p) for p in prefixes)


def acl_evidence(
    tree: Sequence[Node],
    binding: Evidence,
    name: str,
    version: int,
    facts: DeviceFacts,
    acls: AclReader | None,
) -> Iterator[Evidence]:
    """Every permit of ACL ``name`` (bound by the line of ``binding``) whose source is
    outside the management prefixes, any source included; ``missing`` (at the binding
    line) when the configuration has no such ACL."""
    header, entries = acls(tree, name, version) if acls is not None else (None, [])
    if header is None:
        why = "no such ACL" if acls is not None else "provnet cannot read this OS's ACLs"
        yield Evidence("missing", f"ACL {name}", binding.line, binding.section, why)
        return
    prefixes = [p for p in facts.management_prefixes if p.version == version]
    where = header.text if header.children else ""
    allowed = ", ".join(map(str, prefixes)) or "none"
    for entry in entries:
        if not _inside(entry.source, prefixes):
            outside = "any" if entry.source is None else str(entry.source)
            detail = f"source {outside} outside management_prefixes ({allowed})"
            yield Evidence("forbidden", entry.node.text, entry.node.line, where, detail)


def _require(
    scope: Scope,
    line: LineMatch,
    params: Mapping[str, int | str],
    facts: DeviceFacts,
    tree: Sequence[Node] = (),
    acls: AclReader | None = None,
) -> Iterator[Evidence]:
    for pattern, expect in _expanded(line, facts):
        outside: Evidence | None = None
        matched: Evidence | None = None
        prefix = literal_prefix(pattern)
        for node in scope.nodes:
            if not node.text.startswith(prefix):
                continue
            m = pattern.search(node.text)
            if m is None:
                continue
            why = _out_of_bounds(m, line, params) if line.at_most or line.at_least else None
            if why is None:
                matched = Evidence("matched", node.text, node.line, scope.where)
                if line.acl is not None:
                    yield from acl_evidence(tree, matched, m["acl"], line.acl, facts, acls)
                break
            outside = outside or Evidence("out_of_bounds", node.text, node.line, scope.where, why)
        if matched is not None:
            yield matched
        elif outside is not None:
            yield outside
        else:
            yield Evidence("missing", expect, scope.line, scope.where)


def _forbid(scope: Scope, line: LineMatch) -> Iterator[Evidence]:
    prefix = literal_prefix(line.pattern)
    for node in scope.nodes:
        if node.text.startswith(prefix) and line.pattern.search(node.text):
            yield Evidence("forbidden", node.text, node.line, scope.where, line.pattern.pattern)


ScopeCache = dict[tuple[tuple[str, ...], str | None], tuple[list[Scope], str]]


def evaluate(
    checks: Sequence[ConfigCheck],
    tree: Sequence[Node],
    params: Mapping[str, int | str],
    facts: DeviceFacts,
    cache: ScopeCache | None = None,
    acls: AclReader | None = None,
) -> list[Evidence]:
    """Every piece of evidence ``checks`` find in the configuration ``tree``; ``cache``
    (one per device) keeps the scopes that several controls look into (the vty lines)."""
    found: list[Evidence] = []
    for check in checks:
        if check.anywhere:
            flat = list(_flatten(tree))
            for line in check.require:
                for pattern, expect in _expanded(line, facts):
                    hit = next(((n, h) for n, h in flat if pattern.search(n.text)), None)
                    found.append(
                        Evidence("matched", hit[0].text, hit[0].line, _joined(hit[1]))
                        if hit
                        else Evidence("missing", expect)
                    )
            for line in check.forbid:
                found += [
                    Evidence("forbidden", n.text, n.line, _joined(h), line.pattern.pattern)
                    for n, h in flat
                    if line.pattern.search(n.text)
                ]
            continue
        key = (tuple(p.pattern for p in check.section), check.interface)
        if cache is None or key not in cache:
            computed = scopes(check, tree, facts)
            if cache is None:
                where, name = computed
            else:
                cache[key] = computed
        if cache is not None:
            where, name = cache[key]
        if not where:
            if check.require:
                found.append(Evidence("no_section", name, 0, "", "section not found"))
            continue
        for scope in where:
            for line in check.require:
                found += _require(scope, line, params, facts, tree, acls)
            for line in check.forbid:
                found += _forbid(scope, line)
    return found
