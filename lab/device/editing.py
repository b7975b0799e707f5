"""Applying configuration lines to a ``ConfigTree`` the way IOS and VRP store them.

Shared by the platforms: where a new line goes (the device's own order of blocks and
of lines inside a section), which line a new one replaces (``key``), and what a
negation (``no``/``undo``) removes. The platform supplies the tables.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from lab.device.config import ConfigNode, ConfigTree, starts_with
from lab.device.grammar import Spec

RankTable = Sequence[tuple[str, int]]


def rank_of(table: RankTable, words: list[str], default: int | None = 45) -> int | None:
    """The rank of the longest prefix of ``words`` found in ``table`` (else ``default``)."""
    best, best_len = default, 0
    for prefix, rank in table:
        p = prefix.split()
        if len(p) > best_len and starts_with(words, p):
            best, best_len = rank, len(p)
    return best


class ConfigEditor:
    """Edits one device's configuration tree (looked up on each call: it may be replaced)."""

    def __init__(
        self,
        tree: Callable[[], ConfigTree],
        *,
        negation: str,
        top_rank: RankTable,
        child_rank: Mapping[str, RankTable],
        two_word_groups: Sequence[str] = (),
        indent_top_leaf: Callable[[list[str]], bool] | None = None,
    ) -> None:
        self._tree = tree
        self.negation = negation
        self.top_rank = top_rank
        self.child_rank = child_rank
        self.two_word_groups = set(two_word_groups)
        self.indent_top_leaf = indent_top_leaf

    @property
    def tree(self) -> ConfigTree:
        return self._tree()

    # -- placement -----------------------------------------------------------------
    def _group_key(self, words: list[str]) -> list[str]:
        w = words[1:] if words and words[0] == self.negation else words
        n = 2 if w and w[0] in self.two_word_groups else 1
        return [x.lower() for x in w[:n]]

    def insert_top(self, node: ConfigNode, *, leaf: bool = True) -> None:
        tree = self.tree
        words = node.words
        key = self._group_key(words)
        rank = rank_of(self.top_rank, words[1:] if words[0] == self.negation else words) or 0
        sep = tree.dialect.separator
        if leaf and self.indent_top_leaf is not None and not node.children:
            node.indented = self.indent_top_leaf(words)

        def group(other: ConfigNode) -> bool:
            return other.text != sep and self._group_key(other.words) == key

        def before(other: ConfigNode) -> bool:
            if other.text == sep:
                return False
            ow = other.words
            known = rank_of(self.top_rank, ow[1:] if ow[0] == self.negation else ow, None)
            return known is not None and known > rank

        tree.insert_top(node, group, before)

    def insert_child(
        self, parent: ConfigNode, node: ConfigNode, mode: str, *, leaf: bool = True
    ) -> None:
        if parent is self.tree.root:
            self.insert_top(node, leaf=leaf)
            return
        table = self.child_rank.get(mode)
        if table is None:
            parent.children.append(node)
            return
        rank = rank_of(table, node.words, 70) or 0
        for i, child in enumerate(parent.children):
            if (rank_of(table, child.words, 70) or 0) > rank:
                parent.children.insert(i, node)
                return
        parent.children.append(node)

    def remove(self, parent: ConfigNode, node: ConfigNode) -> None:
        if parent is self.tree.root:
            self.tree.remove_top(node)
        else:
            parent.children.remove(node)

    def resolve(self, path: list[str], mode_of: Callable[[int], str]) -> ConfigNode:
        """The node at ``path``, created if it went missing (another session removed it)."""
        node = self.tree.root
        for depth, text in enumerate(path):
            found = node.child(text)
            if found is None:
                found = ConfigNode(text)
                self.insert_child(node, found, mode_of(depth), leaf=False)
            node = found
        return node

    # -- lines -------------------------------------------------------------------------
    def section(
        self, parent: ConfigNode, text: str, mode: str, children: Sequence[str] = ()
    ) -> ConfigNode:
        """Get or create the section ``text`` under ``parent``."""
        node = parent.child(text)
        if node is None:
            node = ConfigNode(text, [ConfigNode(c) for c in children])
            self.insert_child(parent, node, mode, leaf=False)
        return node

    def set_leaf(
        self, words: list[str], sp: Spec, negate: bool, parent: ConfigNode, mode: str
    ) -> bool:
        """Apply one leaf line (or its negation); True if the configuration changed."""
        words = " ".join(words).split()  # a <LINE> argument holds several words
        text = " ".join(words)
        neg_text = f"{self.negation} {text}"
        if sp.default_on or sp.explicit_no:
            positive = parent.child(text)
            negative = parent.child(neg_text)
            if negate:
                if positive is not None:
                    positive.text = neg_text
                    return True
                if negative is None:
                    self.insert_child(parent, ConfigNode(neg_text), mode)
                    return True
                return False
            if negative is not None:
                if sp.explicit_no:
                    negative.text = text
                else:
                    self.remove(parent, negative)
                return True
            if sp.explicit_no and positive is None:
                self.insert_child(parent, ConfigNode(text), mode)
                return True
            return False
        sep = self.tree.dialect.separator
        if negate:
            doomed = [
                c
                for c in parent.children
                if c.text != sep and not c.children and starts_with(c.words, words)
            ]
            for child in doomed:
                self.remove(parent, child)
            return bool(doomed)
        for child in parent.children:
            same_key = (
                sp.key is not None
                and len(words) >= sp.key
                and len(child.words) >= sp.key
                and starts_with(child.words, words[: sp.key])
            )
            if same_key or child.text == text:
                changed = child.text != text
                child.text = text
                return changed
        self.insert_child(parent, ConfigNode(text), mode)
        return True

    def remove_section(self, parent: ConfigNode, text: str) -> bool:
        node = parent.child(text)
        if node is None:
            return False
        self.remove(parent, node)
        return True
