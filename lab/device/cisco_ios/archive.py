"""What IOS's configuration archive prints when it compares configurations. Pure.

``show archive config differences A B`` is a contextual diff: the lines only in B are
signed ``+``, those only in A ``-``, each under the unsigned section lines that hold it,
the sign written after the line's indentation (``interface Gi1/0/5`` / `` +description
x``). ``show archive config incremental-diffs FILE`` lists the lines of FILE that the
running configuration lacks, with their sections, as the commands a merge would apply.
Separators (``!``) and the terminator carry no configuration and are never compared.
Layout as printed by IOS 15.x and IOS-XE 16/17 (Cisco "Configuration Replace and
Configuration Rollback" guide; napalm's ios driver parses both).
"""

from __future__ import annotations

from lab.device.config import ConfigNode, Dialect

DIFF_HEADER = "!Contextual Config Diffs:"
INCREMENTAL_HEADER = "!List of Commands:"
NO_CHANGES = "!No changes were found"


def _key(node: ConfigNode, ignorecase: bool) -> str:
    text = node.text if node.banner is None else f"{node.text}\0{node.banner}"
    return text.lower() if ignorecase else text


def _lines(nodes: list[ConfigNode], dialect: Dialect) -> list[ConfigNode]:
    return [n for n in nodes if not n.is_separator(dialect) and n.text != dialect.terminator]


def _text(node: ConfigNode) -> str:
    if node.banner is None:
        return node.text
    return f"{node.text} ^C{node.banner}^C"


def _signed(node: ConfigNode, sign: str, depth: int, dialect: Dialect) -> list[str]:
    out = [" " * depth + sign + _text(node)]
    for child in _lines(node.children, dialect):
        out += _signed(child, sign, depth + 1, dialect)
    return out


def _contextual(
    before: list[ConfigNode], after: list[ConfigNode], depth: int, dialect: Dialect, ic: bool
) -> list[str]:
    old = {_key(n, ic): n for n in _lines(before, dialect)}
    new = {_key(n, ic): n for n in _lines(after, dialect)}
    out: list[str] = []
    for key, node in new.items():
        if key not in old:
            out += _signed(node, "+", depth, dialect)
            continue
        inner = _contextual(old[key].children, node.children, depth + 1, dialect, ic)
        if inner:
            out += [" " * depth + _text(node), *inner]
    for key, node in old.items():
        if key not in new:
            out += _signed(node, "-", depth, dialect)
    return out


def differences(
    before: list[ConfigNode], after: list[ConfigNode], dialect: Dialect, *, ignorecase: bool
) -> str:
    """``show archive config differences``: what turns ``before`` into ``after``."""
    lines = _contextual(before, after, 0, dialect, ignorecase)
    return "\n".join([DIFF_HEADER, *(lines or [NO_CHANGES])]) + "\n"


def _missing(
    running: list[ConfigNode],
    wanted: list[ConfigNode],
    depth: int,
    dialect: Dialect,
    ic: bool,
) -> list[str]:
    have = {_key(n, ic): n for n in _lines(running, dialect)}
    out: list[str] = []
    for node in _lines(wanted, dialect):
        found = have.get(_key(node, ic))
        if found is None:
            out += _signed(node, "", depth, dialect)
            continue
        inner = _missing(found.children, node.children, depth + 1, dialect, ic)
        if inner:
            out += [" " * depth + _text(node), *inner]
    return out


def incremental_diffs(
    running: list[ConfigNode], wanted: list[ConfigNode], dialect: Dialect, *, ignorecase: bool
) -> str:
    """``show archive config incremental-diffs``: the lines of ``wanted`` not running."""
    lines = _missing(running, wanted, 0, dialect, ignorecase)
    out = [INCREMENTAL_HEADER, *lines, dialect.terminator]
    if not lines:
        out.append(NO_CHANGES)
    return "\n".join(out) + "\n"
