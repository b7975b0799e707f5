"""Command tables: which words a mode knows, matched the way network OSes match them.

A command is declared as a spec string, e.g. ``"ip address <IPV4> <MASK> [secondary]"``:
plain words are keywords (matched case-insensitively, any unique prefix accepted,
``sh run`` for ``show running-config``), ``<TYPE>`` is an argument checked by
``ARG_TYPES`` (or by a resolver the platform supplies, for interface names), and a
trailing ``[...]`` part is optional. ``<LINE>`` takes the rest of the line.

``match`` returns the canonical words (keywords spelt out in full) or a ``ParseError``
with the character position the device puts its ``^`` under.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

ArgCheck = Callable[[str], str | None]  # returns the canonical spelling, or None if invalid
IfResolver = Callable[[list[str]], tuple[str, int] | None]  # words -> (name, words used)


def _ipv4(word: str) -> str | None:
    if not re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", word):
        return None
    try:
        return str(ipaddress.IPv4Address(word))
    except ValueError:
        return None


def _mask(word: str) -> str | None:
    addr = _ipv4(word)
    if addr is None:
        return None
    bits = int(ipaddress.IPv4Address(addr))
    inverted = ~bits & 0xFFFFFFFF
    return addr if inverted & (inverted + 1) == 0 else None


def _masklen(word: str) -> str | None:
    """A dotted mask or a prefix length 0-32 (VRP accepts both); canonical: dotted."""
    if word.isdigit() and 0 <= int(word) <= 32:
        return str(ipaddress.IPv4Network(f"0.0.0.0/{word}").netmask)
    return _mask(word)


def _ipv6(word: str) -> str | None:
    if "/" in word or ":" not in word:
        return None
    try:
        return str(ipaddress.IPv6Address(word)).upper()
    except ValueError:
        return None


def _ipv6_prefix(word: str) -> str | None:
    addr, slash, length = word.partition("/")
    if not slash or not length.isdigit() or not 0 <= int(length) <= 128:
        return None
    canon = _ipv6(addr)
    return None if canon is None else f"{canon}/{int(length)}"


def _int(word: str) -> str | None:
    return str(int(word)) if word.isdigit() and len(word) < 11 else None


def _word(word: str) -> str | None:
    return word


ARG_TYPES: dict[str, ArgCheck] = {
    "WORD": _word,
    "INT": _int,
    "IPV4": _ipv4,
    "MASK": _mask,
    "MASKLEN": _masklen,
    "IPV6": _ipv6,
    "IPV6PFX": _ipv6_prefix,
}


@dataclass
class Spec:
    """One command of a mode, and what applying it means."""

    words: tuple[str, ...]
    action: str
    optional_from: int | None = None  # index of the first optional word
    # Configuration semantics (ignored for exec commands):
    key: int | None = None  # lines whose first `key` words match are replaced
    mode: str | None = None  # entering this line opens a sub-mode
    default_on: bool = False  # only the `no` form is shown (`no ip domain lookup`)
    explicit_no: bool = False  # absent means `no X` is shown (`no service pad`)
    canonical: str | None = None  # stored spelling for an alias (`ip domain-lookup`)
    no_min: int | None = None  # fewest words a bare negation needs (`no ip address`: 2)
    rank: int = 50  # order among the children of a section
    privileged: bool = True


@dataclass
class Match:
    spec: Spec
    words: list[str]  # canonical words, keywords expanded, arguments canonicalised
    args: list[str]
    positions: list[int]  # character offset of each input word
    partial: bool = False  # stopped where arguments begin (accepted for `no`/`undo`)

    @property
    def text(self) -> str:
        return " ".join(self.words)

    def negation_complete(self) -> bool:
        """Whether a `no`/`undo` that stopped early names enough to act on.

        ``no ip address`` and ``no ip route 0.0.0.0 0.0.0.0`` do (every line they start
        is removed); ``no ip route`` and ``no ntp server`` do not (incomplete).
        """
        if not self.partial:
            return True
        sp = self.spec
        need = sp.no_min
        if need is None and sp.key is not None:
            need = sp.key
        if need is None:
            need = len(sp.words)
            if sp.optional_from is not None:
                need = min(need, sp.optional_from)
            if need and sp.words[need - 1] == "<LINE>":
                need -= 1
        return len(self.words) >= need

    def canonical_words(self) -> list[str]:
        """The words as stored: an alias's keywords in their canonical spelling
        (``ip domain-lookup`` -> ``ip domain lookup``), then the arguments as typed."""
        if self.spec.canonical is None:
            return list(self.words)
        keywords = 0
        for word in self.spec.words:
            if word.startswith("<"):
                break
            keywords += 1
        return self.spec.canonical.split() + list(self.words[keywords:])


ErrorKind = Literal["invalid", "incomplete", "ambiguous"]


@dataclass
class ParseError:
    kind: ErrorKind
    position: int  # character offset in the line for the `^` marker
    word: str = ""


@dataclass
class _Node:
    keywords: dict[str, _Node] = field(default_factory=dict)
    args: list[tuple[str, _Node]] = field(default_factory=list)
    spec: Spec | None = None

    def arg(self, kind: str) -> _Node:
        for existing, node in self.args:
            if existing == kind:
                return node
        node = _Node()
        self.args.append((kind, node))
        return node


def tokenize(line: str) -> tuple[list[str], list[int]]:
    """Words and their character offsets; double quotes keep spaces inside one word."""
    words: list[str] = []
    positions: list[int] = []
    for m in re.finditer(r'"[^"]*"?|\S+', line):
        words.append(m.group(0))
        positions.append(m.start())
    return words, positions


class Grammar:
    """The commands of one mode, as a trie of keywords and typed arguments."""

    def __init__(self, specs: Sequence[Spec] = ()) -> None:
        self.root = _Node()
        self.specs: list[Spec] = []
        for spec in specs:
            self.add(spec)

    def add(self, spec: Spec) -> None:
        self.specs.append(spec)
        node = self.root
        for i, word in enumerate(spec.words):
            if spec.optional_from is not None and i == spec.optional_from and node.spec is None:
                node.spec = spec
            if word.startswith("<") and word.endswith(">"):
                node = node.arg(word[1:-1])
            else:
                node = node.keywords.setdefault(word.lower(), _Node())
        if node.spec is None:
            node.spec = spec

    def keywords(self) -> list[str]:
        return sorted(self.root.keywords)

    def match(
        self,
        line: str,
        *,
        resolve_if: IfResolver | None = None,
        partial: bool = False,
        offset: int = 0,
    ) -> Match | ParseError:
        """Match one input line.

        ``partial`` accepts a line that stops where arguments begin (the `no` form:
        ``no ip address``). ``offset`` is added to reported positions.
        """
        words, positions = tokenize(line)
        positions = [p + offset for p in positions]
        node = self.root
        canon: list[str] = []
        args: list[str] = []
        i = 0
        end = offset + len(line.rstrip())
        while i < len(words):
            word = words[i]
            low = word.lower()
            # LINE swallows the rest verbatim.
            line_child = next((n for k, n in node.args if k == "LINE"), None)
            if low in node.keywords:
                canon.append(low)
                node = node.keywords[low]
                i += 1
                continue
            candidates = [k for k in node.keywords if k.startswith(low)]
            if len(candidates) == 1 and not _numeric(word):
                canon.append(candidates[0])
                node = node.keywords[candidates[0]]
                i += 1
                continue
            taken = False
            for kind, child in node.args:
                if kind == "LINE":
                    continue
                if kind == "IFNAME":
                    resolved = resolve_if(words[i:]) if resolve_if else None
                    if resolved is None:
                        continue
                    name, used = resolved
                    canon.append(name)
                    args.append(name)
                    node = child
                    i += used
                    taken = True
                    break
                check = ARG_TYPES[kind](word)
                if check is not None:
                    canon.append(check)
                    args.append(check)
                    node = child
                    i += 1
                    taken = True
                    break
            if taken:
                continue
            if line_child is not None:
                rest = line[positions[i] - offset :].strip()
                canon.append(rest)
                args.append(rest)
                node = line_child
                i = len(words)
                break
            if len(candidates) > 1:
                return ParseError("ambiguous", positions[i], word)
            return ParseError("invalid", positions[i], word)
        if node.spec is None:
            if partial and canon:
                spec = _first_spec(node)
                if spec is not None:
                    return Match(spec, canon, args, positions, partial=True)
            return ParseError("incomplete", end, "")
        return Match(node.spec, canon, args, positions)

    def completions(self, line: str) -> list[str]:
        """Keywords (and argument kinds) that may follow ``line``; for `?` help."""
        words, _ = tokenize(line)
        trailing_space = line.endswith(" ") or not line
        node = self.root
        fixed = words if trailing_space else words[:-1]
        for word in fixed:
            low = word.lower()
            nxt = node.keywords.get(low)
            if nxt is None:
                cands = [k for k in node.keywords if k.startswith(low)]
                if len(cands) == 1:
                    nxt = node.keywords[cands[0]]
            if nxt is None:
                for kind, child in node.args:
                    if kind == "LINE":
                        return ["LINE"]
                    nxt = child
                    break
            if nxt is None:
                return []
            node = nxt
        out = [k for k in sorted(node.keywords)]
        if not trailing_space and words:
            out = [k for k in out if k.startswith(words[-1].lower())]
        else:
            out += [f"<{k}>" for k, _ in node.args]
            if node.spec is not None:
                out.append("<cr>")
        return out


def _numeric(word: str) -> bool:
    return bool(re.fullmatch(r"[\d./:]+", word))


def _first_spec(node: _Node) -> Spec | None:
    if node.spec is not None:
        return node.spec
    for _, child in node.args:
        found = _first_spec(child)
        if found is not None:
            return found
    for child in node.keywords.values():
        found = _first_spec(child)
        if found is not None:
            return found
    return None


def spec(text: str, action: str = "", **kwargs: object) -> Spec:
    """Build a Spec from ``"words <ARG> [optional words]"``."""
    optional_from: int | None = None
    words: list[str] = []
    for raw in text.split():
        if raw.startswith("["):
            if optional_from is None:
                optional_from = len(words)
            raw = raw[1:]
        raw = raw.rstrip("]")
        words.append(raw)
    return Spec(tuple(words), action or "set", optional_from, **kwargs)  # type: ignore[arg-type]
