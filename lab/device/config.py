"""A running configuration as the device keeps it: top-level lines with indented children.

Text round-trips: ``ConfigTree.parse(tree.render()).render() == tree.render()``, which is
what makes ``configure replace`` and VRP rollback restore a configuration byte for byte.
Separators (``!`` on IOS, ``#`` on VRP) are kept as nodes, so the layout a device
printed is the layout it prints again. Nothing here does I/O.

This parser stays apart from ``platforms/config.py`` on purpose, even where the two look
alike: it is the twin's own, independent reading of a configuration, the oracle the
convergence tests (tests/platforms) check provnet's planner against. Sharing code with
the planner would let one bug hide in both. Do not merge them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

BANNER_DELIMITER = "^C"


@dataclass(frozen=True)
class Dialect:
    """How one OS lays out its configuration text."""

    separator: str  # "!" or "#"
    terminator: str  # "end" or "return"
    vrp_indent: bool = False  # VRP shows global leaf commands with one leading space
    banners: bool = False  # IOS: `banner motd ^C ... ^C` blocks kept verbatim


IOS_DIALECT = Dialect(separator="!", terminator="end", banners=True)
VRP_DIALECT = Dialect(separator="#", terminator="return", vrp_indent=True)


@dataclass(eq=False)
class ConfigNode:
    """One configuration line and the lines indented under it."""

    text: str
    children: list[ConfigNode] = field(default_factory=list)
    indented: bool = False  # VRP top-level leaf printed as " text"
    banner: str | None = None  # IOS banner body (between the ^C delimiters)

    @property
    def words(self) -> list[str]:
        return self.text.split()

    def is_separator(self, dialect: Dialect) -> bool:
        return self.text == dialect.separator

    def child(self, text: str) -> ConfigNode | None:
        for node in self.children:
            if node.text == text:
                return node
        return None

    def copy(self) -> ConfigNode:
        return ConfigNode(self.text, [c.copy() for c in self.children], self.indented, self.banner)

    def walk(self) -> Iterator[ConfigNode]:
        for node in self.children:
            yield node
            yield from node.walk()


def starts_with(words: list[str], prefix: list[str]) -> bool:
    """True when ``words`` begins with ``prefix`` (case-insensitive, whole words)."""
    if len(prefix) > len(words):
        return False
    return all(a.lower() == b.lower() for a, b in zip(words, prefix, strict=False))


class ConfigTree:
    """The configuration of one device: an ordered list of top-level nodes."""

    def __init__(self, dialect: Dialect, nodes: list[ConfigNode] | None = None) -> None:
        self.dialect = dialect
        self.root = ConfigNode("", nodes or [])

    @property
    def top(self) -> list[ConfigNode]:
        return self.root.children

    def copy(self) -> ConfigTree:
        return ConfigTree(self.dialect, [n.copy() for n in self.top])

    # -- text -----------------------------------------------------------------
    @classmethod
    def parse(cls, text: str, dialect: Dialect) -> ConfigTree:
        """Parse configuration text as the device prints it (header lines are skipped)."""
        tree = cls(dialect)
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        # Drop the `show running-config` header and the terminator.
        while lines and (
            not lines[0].strip()
            or lines[0].startswith("Building configuration")
            or lines[0].startswith("Current configuration")
            or lines[0].startswith("Using ")
        ):
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        if lines and lines[-1].strip() == dialect.terminator:
            lines.pop()
        stack: list[tuple[int, ConfigNode]] = [(-1, tree.root)]
        i = 0
        while i < len(lines):
            raw = lines[i].rstrip()
            i += 1
            if not raw.strip():
                continue
            depth = len(raw) - len(raw.lstrip(" "))
            text = raw.strip()
            if dialect.banners and depth == 0 and text.startswith("banner "):
                node, i = _parse_banner(text, lines, i)
                tree.top.append(node)
                stack = [(-1, tree.root)]
                continue
            if dialect.vrp_indent and depth == 1:
                last = tree.top[-1] if tree.top else None
                if last is None or last.indented or last.is_separator(dialect):
                    tree.top.append(ConfigNode(text, indented=True))
                    stack = [(-1, tree.root)]
                    continue
            while stack[-1][0] >= depth:
                stack.pop()
            parent = stack[-1][1]
            node = ConfigNode(text)
            parent.children.append(node)
            stack.append((depth, node))
        return tree

    def render(self) -> str:
        """The configuration text, terminator included, lines ending in ``\\n``."""
        out: list[str] = []
        for node in self.top:
            self._emit(node, 0, out)
        out.append(self.dialect.terminator)
        return "\n".join(out) + "\n"

    def render_nodes(self, nodes: list[ConfigNode]) -> list[str]:
        out: list[str] = []
        for node in nodes:
            self._emit(node, 0, out)
        return out

    def _emit(self, node: ConfigNode, depth: int, out: list[str]) -> None:
        if node.banner is not None:
            out.append(f"{node.text} {BANNER_DELIMITER}{node.banner}{BANNER_DELIMITER}")
            return
        pad = " " * depth
        if depth == 0 and node.indented:
            pad = " "
        out.append(pad + node.text)
        for child in node.children:
            self._emit(child, depth + 1, out)

    # -- queries --------------------------------------------------------------
    def sections(self, *prefix: str) -> list[ConfigNode]:
        """Top-level nodes whose words start with ``prefix``."""
        words = list(prefix)
        return [n for n in self.top if starts_with(n.words, words)]

    def find(self, text: str) -> ConfigNode | None:
        return self.root.child(text)

    def resolve(self, path: list[str]) -> ConfigNode | None:
        node: ConfigNode | None = self.root
        for text in path:
            if node is None:
                return None
            node = node.child(text)
        return node

    # -- edits ----------------------------------------------------------------
    def insert_top(
        self,
        node: ConfigNode,
        group: Callable[[ConfigNode], bool],
        before: Callable[[ConfigNode], bool],
    ) -> None:
        """Insert a new top-level node where the device would print it.

        After the last node of the same ``group`` if there is one; otherwise as a new
        block (between separators) just ahead of the first node matching ``before``,
        or at the end.
        """
        sep = self.dialect.separator
        top = self.top
        last = -1
        for i, existing in enumerate(top):
            if group(existing):
                last = i
        if last >= 0:
            if top[last].children or node.children or node.banner is not None:
                # A section: its block ends at the separator that follows it.
                j = last + 1
                if j < len(top) and top[j].text == sep:
                    top[j + 1 : j + 1] = [node, ConfigNode(sep)]
                else:
                    top[last + 1 : last + 1] = [ConfigNode(sep), node]
            else:
                top.insert(last + 1, node)
            return
        anchor = next((i for i, n in enumerate(top) if before(n)), len(top))
        # Put the new block right after the separator that precedes the anchor.
        if anchor > 0 and top[anchor - 1].text == sep:
            top[anchor:anchor] = [node, ConfigNode(sep)]
        else:
            top[anchor:anchor] = (
                [ConfigNode(sep), node, ConfigNode(sep)] if anchor else [node, ConfigNode(sep)]
            )

    def remove_top(self, node: ConfigNode) -> None:
        """Remove a top-level node and the separator it leaves doubled."""
        top = self.top
        i = next(k for k, n in enumerate(top) if n is node)
        del top[i]
        sep = self.dialect.separator
        if 0 < i < len(top) and top[i].text == sep and top[i - 1].text == sep:
            del top[i]
        elif i == 0 and top and top[0].text == sep and len(top) > 1 and top[1].text == sep:
            del top[0]


def _parse_banner(text: str, lines: list[str], i: int) -> tuple[ConfigNode, int]:
    """``banner motd ^C...^C`` possibly spanning lines; returns the node and next index."""
    head, _, rest = text.partition(BANNER_DELIMITER)
    head = head.strip()
    body = rest
    while BANNER_DELIMITER not in body and i < len(lines):
        body += "\n" + lines[i].rstrip("\r")
        i += 1
    body = body.split(BANNER_DELIMITER, 1)[0]
    return ConfigNode(head, banner=body), i
