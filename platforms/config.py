"""Configuration text as a tree, and the commands that take it to an intent (pure).

IOS and VRP print their configuration as indented text: a top-level line opens a section
(``interface ...``, ``line vty 0 4``, ``aaa``) whose children are indented under it.
:func:`parse` reads that text into :class:`Node` trees (separators ``!``/``#``, headers
and the ``end``/``return`` terminator dropped; IOS banners kept as one line),
:func:`parse_intent` reads a rendered template fragment with its ``@owns REGEX``
directives into an :class:`~platforms.network.Intent`, and :func:`commands` computes the
configuration commands (with ``no``/``undo`` for owned lines that are not intended) that
take a running configuration to the intent. Nothing here does I/O.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from platforms.base import PlatformError
from platforms.network import Block, Intent

BANNER_DELIMITER = "^C"
OWNS = "@owns "
ONCE = "@once "

Negator = Callable[[str], str]


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(slots=True)  # not frozen: 4 times cheaper to make, and an audit makes many
class AclEntry:
    """A ``permit`` line of an access list and the source it permits (None: any source, or
    one no prefix can describe, such as a non-contiguous wildcard)."""

    node: Node
    source: Network | None


# (configuration tree, ACL name or number, IP version 4 or 6) -> the ACL's header line (None
# when the configuration has no such ACL) and its permit entries
AclReader = Callable[[Sequence["Node"], str, int], tuple["Node | None", list[AclEntry]]]


@lru_cache(maxsize=4096)
@lru_cache(maxsize=4096)  # a province's devices repeat the same ACL lines
def wildcard_network(address: str, wildcard: str = "0.0.0.0") -> ipaddress.IPv4Network | None:
    """``10.38.128.0 0.0.63.255`` -> ``10.38.128.0/18``; None for a non-contiguous wildcard
    (or text that is not an address)."""
    try:
        mask = int(ipaddress.IPv4Address(wildcard)) ^ 0xFFFFFFFF
        length = bin(mask).count("1")
        network = ipaddress.IPv4Network(f"{address}/{length}", strict=False)
    except ValueError:
        return None
    return network if int(network.netmask) == mask else None


@lru_cache(maxsize=4096)
def ipv6_network(text: str, length: str | None = None) -> ipaddress.IPv6Network | None:
    """``2001:db8::/40`` (or VRP's ``2001:db8:: 40``) -> the network; None when not one."""
    try:
        return ipaddress.IPv6Network(f"{text}/{length}" if length else text, strict=False)
    except ValueError:
        return None


@dataclass(frozen=True)
class Syntax:
    """How one OS lays out its configuration and words its commands.

    ``keys`` are regexes of single-valued settings: a line that matches one is replaced
    in place by an intended line with the same key (``hostname``, a primary
    ``ip address``, ``exec-timeout``), so it is never negated first.
    """

    name: str
    separator: str  # "!" or "#"
    terminator: str  # "end" or "return"
    exit_command: str  # leaves one context level: "exit" / "quit"
    negate: Negator = field(repr=False)
    headers: tuple[str, ...] = ()  # regexes of leading lines that are not configuration
    banners: bool = False  # IOS: `banner motd ^C ... ^C` (possibly multi-line) is one line
    vrp_indent: bool = False  # VRP: global leaf commands are printed with one leading space
    keys: tuple[re.Pattern[str], ...] = field(default=(), repr=False)
    # (trigger, cleared): adding a line that matches ``trigger`` makes the device drop the
    # lines of that context that match ``cleared`` (binding an interface to a VRF drops its
    # addresses), so those count as absent and intended ones are sent again after it.
    resets: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = field(default=(), repr=False)
    # the sources an access list permits (an audit checks them against the management
    # prefixes); None: provnet cannot read this OS's access lists
    acl: AclReader | None = field(default=None, repr=False)


@dataclass(slots=True)  # an audit makes a million of them
class Node:
    """One configuration line and the lines indented under it."""

    text: str
    children: list[Node] = field(default_factory=list)
    # 1-based line of the parsed text where this line was printed (0: not from a text);
    # evidence for an auditor, never compared.
    line: int = field(default=0, compare=False)

    def child(self, text: str) -> Node | None:
        wanted = normalize(text)
        for node in self.children:
            if normalize(node.text) == wanted:
                return node
        return None


# -- text -> tree ----------------------------------------------------------------------
def lines_of(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def parse(text: str, syntax: Syntax, *, directives: bool = False) -> list[Node]:
    """Top-level nodes of configuration ``text`` (as a device prints it).

    ``directives`` keeps ``@owns`` lines (template fragments) and skips comment lines.
    """
    lines = [ln.rstrip() for ln in lines_of(text)]
    first = 0  # lines dropped from the top, so that every node keeps its line number
    headers = _headers(syntax.headers)
    while lines and (not lines[0].strip() or any(h.match(lines[0].strip()) for h in headers)):
        lines.pop(0)
        first += 1
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and lines[-1].strip() == syntax.terminator:
        lines.pop()
    root = Node("")
    top = root.children
    # the open sections: their depths and nodes, the root (depth -1) first
    depths: list[int] = [-1]
    nodes: list[Node] = [root]
    last_top_leaf = True  # VRP: a depth-1 line after a separator or a leaf is global
    separator, banners, vrp_indent = syntax.separator, syntax.banners, syntax.vrp_indent
    i = 0
    count = len(lines)
    directive = separator + " "
    while i < count:
        raw = lines[i]
        i += 1
        text_ = raw.lstrip(" ")
        if not text_:  # blank (every line was right-stripped: no line is all spaces)
            continue
        depth = len(raw) - len(text_)
        if text_[0].isspace():  # a tab or the like after the indentation
            text_ = text_.lstrip()
        if text_ == separator or (directives and text_.startswith(directive)):
            del depths[1:], nodes[1:]
            last_top_leaf = True
            continue
        if banners and depth == 0 and text_.startswith("banner "):
            start = i
            node, i = _banner(text_, lines, i)
            node.line = first + start
            top.append(node)
            del depths[1:], nodes[1:]
            last_top_leaf = True
            continue
        if vrp_indent and depth == 1 and last_top_leaf:
            top.append(Node(text_, [], first + i))
            del depths[1:], nodes[1:]
            continue
        while depths[-1] >= depth:
            depths.pop()
            nodes.pop()
        parent = nodes[-1]
        node = Node(text_, [], first + i)
        parent.children.append(node)
        depths.append(depth)
        nodes.append(node)
        if parent is root:
            last_top_leaf = False
    return root.children


@lru_cache(maxsize=64)
def _headers(headers: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """``headers`` compiled once per syntax (not looked up in re's cache for each line)."""
    return tuple(map(re.compile, headers))


def _banner(text: str, lines: list[str], i: int) -> tuple[Node, int]:
    """``banner motd ^C...^C`` possibly spanning lines, kept as one line."""
    head, _, rest = text.partition(BANNER_DELIMITER)
    body = rest
    while BANNER_DELIMITER not in body and i < len(lines):
        body += "\n" + lines[i]
        i += 1
    body = body.split(BANNER_DELIMITER, 1)[0]
    return Node(f"{head.strip()} {BANNER_DELIMITER}{body}{BANNER_DELIMITER}"), i


def render(nodes: Sequence[Node], syntax: Syntax) -> str:
    """Configuration text for ``nodes``: sections between separators, terminator last."""
    out: list[str] = []
    for node in nodes:
        if node.children:
            out.append(node.text)
            out += _render_children(node.children, 1)
        else:
            out.append((" " if syntax.vrp_indent else "") + node.text)
        out.append(syntax.separator)
    out.append(syntax.terminator)
    return "\n".join(out) + "\n"


def _render_children(nodes: Sequence[Node], depth: int) -> list[str]:
    out: list[str] = []
    for node in nodes:
        out.append(" " * depth + node.text)
        out += _render_children(node.children, depth + 1)
    return out


def sections(text: str, syntax: Syntax) -> dict[str, list[str]]:
    """Top-level line -> its child lines (deeper levels indented by one space a level)."""
    found: dict[str, list[str]] = {}
    for node in parse(text, syntax):
        found.setdefault(node.text, []).extend(
            line[1:] for line in _render_children(node.children, 1)
        )
    return found


def from_sections(found: dict[str, list[str]], syntax: Syntax) -> list[Node]:
    """The inverse of :func:`sections` (for round-trip checks)."""
    text = "\n".join(
        "\n".join([head, *(" " + c for c in children), syntax.separator])
        for head, children in found.items()
    )
    return parse(text, syntax)


# -- comparison ---------------------------------------------------------------------
def _canonical_word(word: str) -> str:
    if ":" in word and any(c.isdigit() for c in word):
        addr, slash, length = word.partition("/")
        try:
            canon = str(ipaddress.IPv6Address(addr)).upper()
        except ValueError:
            return word
        return f"{canon}/{length}" if slash else canon
    return word


_PREFIX_LENGTH = re.compile(r"^(ip address|ip route-static) (\S+) (\d{1,2})(?= |$)")


def normalize(line: str) -> str:
    """A line as compared: single spaces, IPv6 addresses in the devices' canonical form,
    VRP prefix lengths as the dotted masks VRP prints (``ip address 10.0.0.1 24``)."""
    if BANNER_DELIMITER in line:
        return line.strip()
    text = " ".join(_canonical_word(w) for w in line.split())
    m = _PREFIX_LENGTH.match(text)
    if m and int(m.group(3)) <= 32:
        mask = ipaddress.IPv4Network(f"0.0.0.0/{m.group(3)}").netmask
        text = f"{m.group(1)} {m.group(2)} {mask}{text[m.end() :]}"
    return text


def key_of(line: str, syntax: Syntax) -> str | None:
    """The single-valued setting ``line`` sets (see :class:`Syntax`), or None."""
    text = normalize(line)
    for pattern in syntax.keys:
        m = pattern.search(text)
        if m:
            return pattern.pattern + "\0" + "\0".join(g or "" for g in m.groups())
    return None


# -- template fragment -> intent ----------------------------------------------------------
def parse_intent(fragment: str, syntax: Syntax) -> Intent:
    """Blocks of a rendered template fragment; ``@owns REGEX`` lines become ``owns``.

    Comment lines (the separator, blank lines) are skipped; a section with children
    becomes a block under its context; global lines (and global ``@owns``) written before
    the first section are one block with context ``()`` placed first, those written after
    a section one more ``()`` block placed last (they may need a section first: IOS
    ``ip route vrf X`` needs ``vrf definition X``).
    """
    nodes = parse(fragment, syntax, directives=True)
    first = next((i for i, n in enumerate(nodes) if n.children), len(nodes))
    blocks: list[Block] = []
    for node in nodes:
        if node.children:
            _section_blocks(node, (), blocks)
    top = _block((), nodes[:first])
    if top.lines or top.owns or top.once:
        blocks.insert(0, top)
    late = _block((), [n for n in nodes[first:] if not n.children])
    if late.lines or late.owns or late.once:
        blocks.append(late)
    return Intent(tuple(blocks))


class IntentError(PlatformError, ValueError):
    """A template fragment that cannot be read (a bad ``@owns``/``@once``)."""


def _pattern(text: str, directive: str) -> str:
    pattern = text[len(directive) :].strip()
    try:
        re.compile(pattern)
    except re.error as exc:
        raise IntentError(f"{directive.strip()} {pattern!r}: {exc}") from None
    return pattern


def _block(context: tuple[str, ...], nodes: list[Node]) -> Block:
    """The leaves, ``@owns`` and ``@once`` lines among ``nodes`` (one context level)."""
    lines: list[str] = []
    owns: list[str] = []
    once: list[tuple[str, str]] = []
    guard: str | None = None
    for node in nodes:
        if guard is not None:
            if node.children or node.text.startswith(("@owns", "@once")):
                raise IntentError(f"@once {guard!r} must be followed by one line")
            once.append((guard, node.text))
            guard = None
        elif node.text.startswith(OWNS):
            owns.append(_pattern(node.text, OWNS))
        elif node.text.startswith(ONCE):
            guard = _pattern(node.text, ONCE)
        elif node.text.startswith("@"):
            raise IntentError(f"unknown directive {node.text.split()[0]!r}")
        elif not node.children:
            lines.append(node.text)
    if guard is not None:
        raise IntentError(f"@once {guard!r} must be followed by one line")
    return Block(context, tuple(lines), tuple(owns), tuple(once))


def _section_blocks(node: Node, parent: tuple[str, ...], out: list[Block]) -> None:
    context = (*parent, node.text)
    out.append(_block(context, node.children))
    for child in node.children:
        if child.children:
            _section_blocks(child, context, out)


# -- the diff -----------------------------------------------------------------------------
@dataclass
class _Want:
    lines: list[str] = field(default_factory=list)
    owns: list[str] = field(default_factory=list)
    once: list[tuple[str, str]] = field(default_factory=list)
    late: list[str] = field(default_factory=list)  # global lines pushed after the sections


def _merge(intent: Intent) -> dict[tuple[str, ...], _Want]:
    """Blocks grouped by context; the first block of a context keeps its place."""
    merged: dict[tuple[str, ...], _Want] = {}
    sections = False
    for block in intent.blocks:
        want = merged.setdefault(block.context, _Want())
        if not block.context and sections:
            want.late += [ln for ln in block.lines if ln not in want.lines]
        sections = sections or bool(block.context)
        want.lines += [ln for ln in block.lines if ln not in want.lines]
        want.owns += [o for o in block.owns if o not in want.owns]
        want.once += [o for o in block.once if o not in want.once]
    return merged


def _child_headers(context: tuple[str, ...], contexts: Iterable[tuple[str, ...]]) -> set[str]:
    """Section lines directly under ``context`` that a deeper block of the intent enters."""
    depth = len(context)
    return {c[depth] for c in contexts if len(c) > depth and c[:depth] == context}


def _existing(nodes: list[Node], context: tuple[str, ...]) -> list[Node] | None:
    level = nodes
    for text in context:
        found = Node("", level).child(text)
        if found is None:
            return None
        level = found.children
    return level


def commands(running: str, intent: Intent, syntax: Syntax) -> list[str]:
    """The commands that take ``running`` to ``intent``; ``[]`` when already there.

    Per context (in intent order): enter it, push each ``@once`` line whose guard matches
    no existing line, add the intended lines that are missing (in intent order), negate
    the owned lines that are not intended (in reverse running order, skipping a line an
    added line replaces in place), leave it. Global lines of a ``()`` block that follows a
    section are pushed after the sections.
    """
    tree = parse(running, syntax)
    merged = _merge(intent)
    out: list[str] = []
    late: list[str] = []
    order = list(merged)
    for index, (context, want) in enumerate(merged.items()):
        body = _context_commands(tree, context, want, merged, syntax)
        if want.late and any(order[index + 1 :]):  # sections come after: push these last
            late = [c for c in body if c in want.late]
            body = [c for c in body if c not in want.late]
        if not body and (not context or _existing(tree, context) is not None):
            continue
        if not body and any(len(c) > len(context) and c[: len(context)] == context for c in merged):
            continue  # a deeper context creates this section on its way in
        out += list(context)
        out += body
        out += [syntax.exit_command] * len(context)
    return out + late


def _context_commands(
    tree: list[Node],
    context: tuple[str, ...],
    want: _Want,
    merged: dict[tuple[str, ...], _Want],
    syntax: Syntax,
) -> list[str]:
    existing = _after_resets(_existing(tree, context) or [], want.lines, syntax)
    have = {normalize(n.text) for n in existing}
    headers = _child_headers(context, merged)
    adds = [ln for ln in want.lines if ln not in headers and normalize(ln) not in have]
    guards = [re.compile(g) for g, _ in want.once]
    once = [
        line for guard, line in want.once if not any(re.search(guard, n.text) for n in existing)
    ]
    wanted_norm = {normalize(ln) for ln in [*want.lines, *headers]}
    added_keys = {k for k in (key_of(ln, syntax) for ln in adds) if k is not None}
    owned = [re.compile(o) for o in want.owns]
    removals: list[str] = []
    for node in reversed(existing):
        text = normalize(node.text)
        if text in wanted_norm or not any(p.search(node.text) for p in owned):
            continue
        if any(g.search(node.text) for g in guards):
            continue  # an @once line: never compared, owned or removed
        key = key_of(node.text, syntax)
        if key is not None and key in added_keys:
            continue  # the intended line replaces it in place
        removals.append(syntax.negate(node.text))
    return once + adds + _dedupe(removals)


def _after_resets(existing: list[Node], lines: list[str], syntax: Syntax) -> list[Node]:
    """``existing`` as the device will hold it once the intended lines that reset others
    (see :attr:`Syntax.resets`) are added."""
    have = {normalize(n.text) for n in existing}
    adding = [normalize(ln) for ln in lines if normalize(ln) not in have]
    cleared = [c for t, c in syntax.resets if any(t.search(ln) for ln in adding)]
    return [n for n in existing if not any(c.search(n.text) for c in cleared)]


def _dedupe(removals: Iterable[str]) -> list[str]:
    """Drop repeated negations and those a shorter one already covers (`no username X`)."""
    kept: list[str] = []
    for cmd in removals:
        if any(cmd == k or cmd.startswith(k + " ") for k in kept):
            continue
        kept = [k for k in kept if not k.startswith(cmd + " ")]
        kept.append(cmd)
    return kept


# -- negation (each platform's syntax gives its own special forms) -------------------------
def negate(line: str, word: str, negations: tuple[tuple[re.Pattern[str], str], ...]) -> str:
    """The command that removes ``line``: the first matching special form, else ``word``
    before it; a line that already starts with ``word`` is undone by dropping it."""
    text = line.strip()
    if text.startswith(word + " "):
        return text[len(word) + 1 :]
    for pattern, replacement in negations:
        m = pattern.search(text)
        if m:
            return m.expand(replacement)
    return f"{word} {text}"
