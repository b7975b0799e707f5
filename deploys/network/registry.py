"""The network changes provnet ships: every module of this package that defines ``CHANGE``.

Adding a change is adding one module (and its templates under platforms/templates/).
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from functools import cache

import deploys.network as package
from deploys.network.base import Change
from deploys.network.context import ChangeError


class UnknownChange(ChangeError, LookupError):
    pass


@cache
def changes() -> dict[str, Change]:
    found: dict[str, Change] = {}
    for module in pkgutil.iter_modules(package.__path__):
        if module.ispkg:
            continue
        loaded = importlib.import_module(f"{package.__name__}.{module.name}")
        change = getattr(loaded, "CHANGE", None)
        if change is not None and isinstance(getattr(change, "name", None), str):
            found[change.name] = change
    return dict(sorted(found.items()))


def get_change(name: str) -> Change:
    try:
        return changes()[name]
    except KeyError:
        close = difflib.get_close_matches(name, changes(), n=3)
        hint = f"; có phải (did you mean) {', '.join(close)}?" if close else ""
        raise UnknownChange(
            f"không có thay đổi '{name}' (unknown change '{name}'){hint} "
            f"(known: {', '.join(changes())})"
        ) from None
