"""Cisco TelePresence ``xConfiguration`` settings as configuration (pure): every setting is a
section of its own, and the commands are the settings whose value differs."""

from __future__ import annotations

import re

from platforms.config import IntentError, lines_of
from platforms.network import Intent

_TP = re.compile(r"^(?:\*c )?xConfiguration (?P<path>[^:]+):\s?(?P<value>.*)$", re.IGNORECASE)


def tp_setting(line: str) -> tuple[str, str] | None:
    """``*c xConfiguration SIP URI: "x"`` -> ``("sip uri", "x")``; enumerations lower-case."""
    m = _TP.match(line.strip())
    if m is None:
        return None
    path = " ".join(m.group("path").split()).lower()
    value = m.group("value").strip()
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return path, value[1:-1]
    return path, value.lower()


def tp_sections(running: str) -> dict[str, list[str]]:
    """Every ``xConfiguration`` line of an endpoint is a section of its own."""
    return {
        line.strip().removeprefix("*c "): []
        for line in lines_of(running)
        if tp_setting(line) is not None
    }


def tp_commands(running: str, intent: Intent) -> list[str]:
    """The ``xConfiguration`` lines whose value differs from what the endpoint shows.

    Settings cannot be removed on an endpoint, so ``owns`` has nothing to do; an
    ``@once`` line is sent when no setting matches its guard.
    """
    have = dict(s for s in (tp_setting(ln) for ln in lines_of(running)) if s is not None)
    shown = [ln.strip().removeprefix("*c ") for ln in lines_of(running) if ln.strip()]
    out: list[str] = []
    for block in intent.blocks:
        for guard, line in block.once:
            if not any(re.search(guard, s) for s in shown):
                out.append(line)
        for line in block.lines:
            setting = tp_setting(line)
            if setting is None:
                raise IntentError(f"not an xConfiguration line: {line!r}")
            path, value = setting
            if have.get(path) != value and line not in out:
                out.append(line)
    return out
