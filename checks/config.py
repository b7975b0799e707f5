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
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Literal

from checks.model import ConfigCheck, LineMatch
from platforms.config import AclEntry, AclReader, Network, Node, normalize

EvidenceKind = Literal["matched", "missing", "forbidden", "out_of_bounds", "no_section"]
FAILING: frozenset[str] = frozenset({"missing", "forbidden", "out_of_bounds", "no_section"})


@dataclass(slots=True)  # not frozen: a frozen instance costs 4 times as much to create
class Evidence:
    """One line an auditor can find in the file (``line`` 1-based; 0: the line is absent
    and there is no section to point at). Never changed once made."""

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

    @cached_property
    def prefixes(self) -> dict[int, tuple[Network, ...]]:
        """The management prefixes by IP version."""
        return {v: tuple(p for p in self.management_prefixes if p.version == v) for v in (4, 6)}

    @cached_property
    def inside(self) -> dict[int, tuple[Network, bool]]:
        """An ACL source's id -> the source and whether it is within the management
        prefixes: the devices that share these facts repeat the same ACL lines, whose
        sources the platform's readers return as the same (cached) objects. By id, as
        hashing a network (in Python) cost more than the verdict's look-up; the source
        kept beside it, so its id is not reused."""
        return {}


Located = tuple[Node, tuple[Node, ...]]  # a line and the section lines leading to it


@dataclass(slots=True)  # not frozen, as Evidence
class Scope:
    header: tuple[Node, ...]  # the section lines leading here, () for the global level
    nodes: Sequence[Node]
    where: str = ""  # the header lines joined, as evidence names the section
    line: int = 0  # the line of the innermost header (0 for the global level)
    # first word -> the scope's lines starting with it, in order: a line pattern with a
    # literal first word looks at those lines only (one pass over the section, for all
    # controls, instead of one per pattern); None: a short section, read whole
    words: Mapping[str, Sequence[Node]] | None = None

    def lines(self, word: str | None) -> Sequence[Node]:
        """The lines that may start with ``word`` (None: any)."""
        if word is None or self.words is None:
            return self.nodes
        return self.words.get(word, ())


INDEXED = 12  # lines from which a section is indexed by first word


def _words(nodes: Sequence[Node]) -> dict[str, list[Node]] | None:
    if len(nodes) < INDEXED:
        return None
    words: defaultdict[str, list[Node]] = defaultdict(list)  # no list made per line
    for node in nodes:
        words[node.text.partition(" ")[0]].append(node)
    return words


def _scope(header: tuple[Node, ...], nodes: Sequence[Node]) -> Scope:
    where = " > ".join(n.text for n in header)
    return Scope(header, nodes, where, header[-1].line if header else 0, _words(nodes))


def _flatten(
    nodes: Sequence[Node],
    header: tuple[Node, ...],
    lines: list[Located],
    words: defaultdict[str, list[Located]],
) -> None:
    """Every line under ``nodes`` in the order printed, with its section lines, into
    ``lines`` and by first word into ``words``."""
    for node in nodes:
        item = (node, header)
        lines.append(item)
        words[node.text.partition(" ")[0]].append(item)
        if node.children:
            _flatten(node.children, (*header, node), lines, words)


def _joined(header: tuple[Node, ...]) -> str:
    return " > ".join(n.text for n in header)


_META = frozenset(".^$*+?{}[]\\|()")


def _top_level_alternation(source: str) -> bool:
    depth, escaped, klass = 0, False, False
    for char in source:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif klass:
            klass = char != "]"
        elif char == "[":
            klass = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False


@lru_cache(maxsize=4096)
def literal_prefix(pattern: re.Pattern[str]) -> str:
    """The text every match of an anchored ``pattern`` starts with (``""`` when unknown):
    a cheap ``startswith`` spares most regex searches."""
    source = pattern.pattern
    if not source.startswith("^") or _top_level_alternation(source):
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


ScopeKey = tuple[tuple[str, ...], str | None]


class ConfigView:
    """One configuration as every control reads it: parsed once (by the caller), each
    section found and indexed once, the whole tree flattened once, each ACL read once."""

    __slots__ = ("_acl", "_flat", "_scopes", "acls", "facts", "tree")

    def __init__(
        self, tree: Sequence[Node], facts: DeviceFacts, acls: AclReader | None = None
    ) -> None:
        self.tree = tree
        self.facts = facts
        self.acls = acls
        self._scopes: dict[ScopeKey, tuple[list[Scope], str]] = {}
        self._flat: tuple[list[Located], dict[str, list[Located]]] | None = None
        self._acl: dict[tuple[str, int], tuple[Node | None, list[AclEntry]]] = {}

    def scopes(self, check: Compiled) -> tuple[list[Scope], str]:
        found = self._scopes.get(check.key)
        if found is None:
            found = self._scopes[check.key] = scopes(check.check, self.tree, self.facts)
        return found

    def flat(self) -> tuple[list[Located], dict[str, list[Located]]]:
        """Every line at every depth with its section lines, and the same by first word."""
        if self._flat is None:
            lines: list[Located] = []
            words: defaultdict[str, list[Located]] = defaultdict(list)
            _flatten(self.tree, (), lines, words)
            self._flat = lines, words
        return self._flat

    def acl(self, name: str, version: int) -> tuple[Node | None, list[AclEntry]]:
        key = (name, version)
        found = self._acl.get(key)
        if found is None:
            reader = self.acls
            found = self._acl[key] = (
                reader(self.tree, name, version) if reader is not None else (None, [])
            )
        return found


@lru_cache(maxsize=4096)
def _with_value(pattern: str, value: str) -> re.Pattern[str]:
    return re.compile(pattern.replace("{value}", re.escape(value)))


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


def _inside(source: Network | None, prefixes: tuple[Network, ...]) -> bool:
    if source is None:
        return False
    if isinstance(source, ipaddress.IPv4Network):
        return any(isinstance(p, ipaddress.IPv4Network) and source.subnet_of(p) for p in prefixes)
    return any(isinstance(p, ipaddress.IPv6Network) and source.subnet_of(p) for p in prefixes)


def acl_evidence(
    view: ConfigView, binding: Evidence, name: str, version: int
) -> Iterator[Evidence]:
    """Every permit of ACL ``name`` (bound by the line of ``binding``) whose source is
    outside the management prefixes, any source included; ``missing`` (at the binding
    line) when the configuration has no such ACL."""
    header, entries = view.acl(name, version)
    if header is None:
        why = "no such ACL" if view.acls is not None else "provnet cannot read this OS's ACLs"
        yield Evidence("missing", f"ACL {name}", binding.line, binding.section, why)
        return
    facts = view.facts
    prefixes = facts.prefixes[version]
    known = facts.inside
    where = header.text if header.children else ""
    for entry in entries:
        source = entry.source
        inside = False
        if source is not None:
            verdict = known.get(id(source))
            if verdict is None or verdict[0] is not source:
                verdict = known[id(source)] = (source, _inside(source, prefixes))
            inside = verdict[1]
        if not inside:
            outside = "any" if entry.source is None else str(entry.source)
            allowed = ", ".join(map(str, prefixes)) or "none"
            detail = f"source {outside} outside management_prefixes ({allowed})"
            yield Evidence("forbidden", entry.node.text, entry.node.line, where, detail)


@dataclass(frozen=True, slots=True)
class Matcher:
    """A required or forbidden line's pattern, compiled once per rule set: its literal
    prefix and first word say which lines of a section it can match at all."""

    pattern: re.Pattern[str]
    prefix: str
    word: str | None  # None: any line (no literal first word)
    expect: str


@lru_cache(maxsize=4096)
def matcher(pattern: re.Pattern[str], expect: str) -> Matcher:
    prefix = literal_prefix(pattern)
    word, space, _ = prefix.partition(" ")
    return Matcher(pattern, prefix, word if space else None, expect)


@dataclass(frozen=True, slots=True)
class Compiled:
    """A :class:`ConfigCheck` ready to run: its scope's key and its lines' matchers (a line
    with ``each`` is expanded per device, from the inventory's values)."""

    check: ConfigCheck
    key: ScopeKey
    require: tuple[tuple[LineMatch, Matcher | None], ...]
    forbid: tuple[Matcher, ...]


_COMPILED: dict[int, Compiled] = {}


def compiled(check: ConfigCheck) -> Compiled:
    """``check`` compiled, once per rule set (the entry keeps the check, so its id stays
    its own while cached)."""
    found = _COMPILED.get(id(check))
    if found is not None and found.check is check:
        return found
    if len(_COMPILED) > 4096:
        _COMPILED.clear()
    found = _COMPILED[id(check)] = Compiled(
        check,
        (tuple(p.pattern for p in check.section), check.interface),
        tuple((line, None if line.each else _fixed(line)) for line in check.require),
        tuple(matcher(line.pattern, line.pattern.pattern) for line in check.forbid),
    )
    return found


def _fixed(line: LineMatch) -> Matcher:
    return matcher(line.pattern, line.expect or line.pattern.pattern)


def _matchers(line: LineMatch, fixed: Matcher | None, facts: DeviceFacts) -> Sequence[Matcher]:
    if fixed is not None:
        return (fixed,)
    assert line.each is not None
    expect = line.expect or line.pattern.pattern
    return [
        matcher(_with_value(line.pattern.pattern, v), expect.replace("{value}", v))
        for v in facts.values(line.each)
    ]


def _require(
    found: list[Evidence],
    scope: Scope,
    line: LineMatch,
    m: Matcher,
    params: Mapping[str, int | str],
    view: ConfigView,
) -> None:
    """The first line of ``scope`` that ``m`` matches within its bounds (``matched``, with
    the ACL it binds), else the first out of bounds, else ``missing``."""
    outside: Evidence | None = None
    bounded = bool(line.at_most or line.at_least)
    prefix, search = m.prefix, m.pattern.search
    for node in scope.lines(m.word):
        text = node.text
        if not text.startswith(prefix) or (hit := search(text)) is None:
            continue
        why = _out_of_bounds(hit, line, params) if bounded else None
        if why is None:
            matched = Evidence("matched", text, node.line, scope.where)
            if line.acl is not None:
                found += acl_evidence(view, matched, hit["acl"], line.acl)
            found.append(matched)
            return
        outside = outside or Evidence("out_of_bounds", text, node.line, scope.where, why)
    found.append(outside or Evidence("missing", m.expect, scope.line, scope.where))


def _forbid(found: list[Evidence], scope: Scope, m: Matcher) -> None:
    prefix, search = m.prefix, m.pattern.search
    for node in scope.lines(m.word):
        text = node.text
        if text.startswith(prefix) and search(text) is not None:
            found.append(Evidence("forbidden", text, node.line, scope.where, m.pattern.pattern))


def _flat_matches(
    lines: list[Located], words: dict[str, list[Located]], m: Matcher
) -> Iterator[Located]:
    prefix, search = m.prefix, m.pattern.search
    for item in lines if m.word is None else words.get(m.word, ()):
        if item[0].text.startswith(prefix) and search(item[0].text) is not None:
            yield item


def _anywhere(found: list[Evidence], check: Compiled, view: ConfigView) -> None:
    lines, words = view.flat()
    for line, fixed in check.require:
        for m in _matchers(line, fixed, view.facts):
            hit = next(_flat_matches(lines, words, m), None)
            found.append(
                Evidence("matched", hit[0].text, hit[0].line, _joined(hit[1]))
                if hit
                else Evidence("missing", m.expect)
            )
    for m in check.forbid:
        for node, header in _flat_matches(lines, words, m):
            found.append(
                Evidence("forbidden", node.text, node.line, _joined(header), m.pattern.pattern)
            )


def evaluate(
    checks: Sequence[ConfigCheck], view: ConfigView, params: Mapping[str, int | str]
) -> list[Evidence]:
    """Every piece of evidence ``checks`` find in the configuration of ``view`` (shared by
    all the controls of one device: sections, indexes and ACLs are read once)."""
    return evaluate_compiled([compiled(c) for c in checks], view, params)


def evaluate_compiled(
    checks: Sequence[Compiled], view: ConfigView, params: Mapping[str, int | str]
) -> list[Evidence]:
    """:func:`evaluate` with the checks compiled by the caller (once per run)."""
    found: list[Evidence] = []
    for check in checks:
        if check.check.anywhere:
            _anywhere(found, check, view)
            continue
        where, name = view.scopes(check)
        if not where:
            if check.require:
                found.append(Evidence("no_section", name, 0, "", "section not found"))
            continue
        for scope in where:
            for line, fixed in check.require:
                for m in _matchers(line, fixed, view.facts):
                    _require(found, scope, line, m, params, view)
            for m in check.forbid:
                _forbid(found, scope, m)
    return found
