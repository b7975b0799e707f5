"""The network changes provnet ships: every folder of ``deploys/network/changes/`` whose
``__init__.py`` defines ``CHANGE``, in an order that honours what each declares in ``after``.

Adding a change is adding one folder (the change and its templates) and its test data;
no list here to edit.
"""

from __future__ import annotations

import difflib
import heapq
from collections.abc import Mapping
from functools import cache
from graphlib import CycleError, TopologicalSorter

from deploys.network.base import Change
from deploys.network.context import ChangeError
from provnet.discover import discover

PACKAGE = "deploys.network.changes"


class UnknownChange(ChangeError, LookupError):
    pass


class ChangeRegistryError(ChangeError, ValueError):
    """The shipped changes do not fit together: a folder whose ``CHANGE`` has another name,
    an ``after`` naming no known change, or ``after`` constraints that make a cycle."""


def in_order(found: Mapping[str, Change]) -> dict[str, Change]:
    """``found`` (by name) ordered so that every change comes after those in its ``after``;
    among changes free to go, the first by name goes first (the order is the same on every
    machine)."""
    for name, change in found.items():
        unknown = sorted(set(change.after) - set(found))
        if unknown:
            raise ChangeRegistryError(
                f"thay đổi {name}: after {', '.join(unknown)} không tồn tại "
                f"(change {name} comes after unknown change(s): {', '.join(unknown)}; "
                f"known: {', '.join(sorted(found))})"
            )
    sorter = TopologicalSorter({name: change.after for name, change in found.items()})
    try:
        sorter.prepare()
    except CycleError as exc:
        cycle = " -> ".join(str(name) for name in exc.args[1])
        raise ChangeRegistryError(
            f"thứ tự các thay đổi có vòng lặp (the changes' 'after' make a cycle): {cycle}"
        ) from None
    ready = list(sorter.get_ready())
    heapq.heapify(ready)
    ordered: dict[str, Change] = {}
    while ready:
        name = heapq.heappop(ready)
        ordered[name] = found[name]
        sorter.done(name)
        for freed in sorter.get_ready():
            heapq.heappush(ready, freed)
    return ordered


@cache
def changes() -> dict[str, Change]:
    """Every shipped change by name, in the order they are applied to a new site."""
    found = discover(PACKAGE, "CHANGE", Change)  # type: ignore[type-abstract]
    for folder, change in found.items():
        if change.name != folder:
            raise ChangeRegistryError(
                f"{PACKAGE}.{folder}: CHANGE.name is '{change.name}', not the folder's name"
            )
    return in_order(found)


def get_change(name: str) -> Change:
    try:
        return changes()[name]
    except KeyError:
        close = difflib.get_close_matches(name, changes(), n=3)
        hint = f"; có phải (did you mean) {', '.join(close)}?" if close else ""
        raise UnknownChange(
            f"không có thay đổi '{name}' (unknown change '{name}'){hint} "
            f"(known: {', '.join(sorted(changes()))})"
        ) from None
