"""A module's exposition text kept per target between scrapes, filled with new numbers.

Most scrapes of a target return the same OIDs, and the same values for every PDU a label is
made of (descriptions, names, states); only counters and gauges move. For such a scrape the
series are the last scrape's with other numbers, so collecting and rendering them again
(two thirds of the CPU of an ``if_mib`` scrape) is replaced by filling the numbers into the
text kept from last time. Whether a scrape is such a one is checked in full, never assumed:
the same set of OIDs, and the same value of every PDU that is not only a number of a series.
Anything else builds the text again. A module whose texts keep failing that check (a label
that changes every scrape) stops being kept. The texts are bounded in bytes (:data:`MAX_BYTES`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from exporters.module import MetricFamily
from exporters.render import Dedup, number_text, render_pieces
from exporters.snmp.config import Module
from exporters.snmp.series import Pdus, Slot, Value, only_numbers, pdu_number

MAX_BYTES = 12 * 1024 * 1024
"""Texts kept at most, by their estimated size (within about 25 % of what tracemalloc
counts; the sustained bench's RSS grew by about as much): about 600 targets of ``if_mib``
with 7 interfaces (about 20 KB each), a province's routers; targets past that are
collected and rendered every scrape. The sustained bench's exporter (20,000 targets) stays
under its 200 MB goal: 174 MiB without kept texts, 198 MiB with 24 MiB of them."""
STALE_AFTER = 600.0
"""Seconds after its last use a text may be dropped to make room."""
MAX_MISSES = 3
"""Scrapes in a row whose PDUs did not fit the text before the module stops being kept."""
_SLOT_BYTES = 112
"""A slot: its tuple and two floats."""
_ENTRY_BYTES = 600
"""A :class:`ModuleText` and its tuples and lists, empty, with its key in the store."""
_LIMIT = 10**15
"""Integers below this render as themselves (:func:`exporters.render.number_text`)."""


@dataclass(slots=True)
class ModuleText:
    """The text of one module's series on one target, less the numbers that PDUs give."""

    module: Module
    keys: tuple[str, ...]
    """The PDUs' OIDs, in the order of the scrape the text was made from."""
    fixed_positions: tuple[int, ...]
    """Positions in ``keys`` of the PDUs whose value is more than a number in the text."""
    fixed: tuple[Value, ...]
    head: str
    tails: list[str]
    """Text around the numbers: ``head``, number 0, ``tails[0]``, number 1, ``tails[1]``..."""
    slots: list[tuple[int, float, float]]
    """Each number's PDU position in ``keys``, scale and offset."""
    names: frozenset[str]
    """The families' names."""
    duplicates: int
    type_clashes: int
    size: int
    used: float = 0.0
    misses: int = 0

    def fill(self, pdus: Pdus) -> str | None:
        """The text with ``pdus``' numbers, or None if ``pdus`` do not fit it."""
        if len(pdus) != len(self.keys):
            return None
        try:
            values = list(map(pdus.__getitem__, self.keys))
        except KeyError:
            return None
        if tuple(map(values.__getitem__, self.fixed_positions)) != self.fixed:
            return None
        pieces = [self.head]
        for (position, scale, offset), part in zip(self.slots, self.tails, strict=True):
            value = values[position]
            if value.__class__ is int and not scale and not offset and -_LIMIT < value < _LIMIT:
                pieces += (str(value), part)
                continue
            number = pdu_number(value)
            if scale:
                number *= scale
            if offset:
                number += offset
            pieces += (number_text(number), part)
        return "".join(pieces)


def build(
    module: Module, pdus: Pdus, families: Sequence[MetricFamily], trace: dict[int, Slot]
) -> ModuleText:
    """The text of ``families`` (collected from ``pdus`` with ``trace``) as a template."""
    keys = tuple(map(sys.intern, pdus))  # most targets' texts hold the same OIDs: shared
    position = {key: n for n, key in enumerate(keys)}
    dedup = Dedup()
    pieces = render_pieces(families, dedup, trace)
    parts: list[str] = []
    slots: list[tuple[int, float, float]] = []
    run: list[str] = []
    for piece in pieces:
        if isinstance(piece, str):
            run.append(piece)
        else:
            parts.append("".join(run))
            run = []
            slots.append((position[piece.oid], piece.scale, piece.offset))
    parts.append("".join(run))
    free = only_numbers(module, keys)
    fixed_positions = tuple(n for n in range(len(keys)) if not free[n])
    values = list(pdus.values())
    fixed = tuple(values[n] for n in fixed_positions)
    size = (  # what the entry holds that no other target's entry shares (keys are interned)
        sum(map(sys.getsizeof, parts))
        + sum(map(sys.getsizeof, fixed))
        + _SLOT_BYTES * len(slots)
        + 8 * (len(parts) + len(keys) + 2 * len(fixed))
        + _ENTRY_BYTES
    )
    return ModuleText(
        module,
        keys,
        fixed_positions,
        fixed,
        parts[0],
        parts[1:],
        slots,
        frozenset(f.name for f in families if f.samples),
        dedup.duplicates,
        dedup.type_clashes,
        size,
    )


@dataclass
class Templates:
    """Module texts by (target, module), at most ``max_bytes`` of them."""

    max_bytes: int = MAX_BYTES
    _texts: dict[tuple[str, int], ModuleText | None] = field(default_factory=dict)
    """None: the module's texts kept failing on that target; it is not kept any more."""
    _bytes: int = 0
    _swept: float = 0.0

    def fill(self, target: str, module: Module, pdus: Pdus) -> tuple[str, ModuleText] | None:
        """The module's text for these PDUs from the one kept (and that), or None."""
        entry = self._texts.get((target, id(module)))
        if entry is None or entry.module is not module:
            return None
        text = entry.fill(pdus)
        if text is None:
            return None
        entry.used = time.monotonic()
        entry.misses = 0
        return text, entry

    def wanted(self, target: str, module: Module) -> bool:
        """Whether a text should be made of this scrape (and the PDUs traced for it)."""
        key = (target, id(module))
        if key in self._texts:
            entry = self._texts[key]
            return entry is not None and (entry.module is not module or entry.misses < MAX_MISSES)
        return self._bytes < self.max_bytes or self._sweep()

    def keep(self, target: str, entry: ModuleText) -> None:
        key = (target, id(entry.module))
        old = self._texts.get(key)
        misses = 0
        if old is not None:
            self._bytes -= old.size
            misses = old.misses + 1 if old.module is entry.module else 0
        if misses >= MAX_MISSES:
            self._texts[key] = None
            return
        entry.misses = misses
        entry.used = time.monotonic()
        self._texts[key] = entry
        self._bytes += entry.size

    def _sweep(self) -> bool:
        """Drop texts unused for :data:`STALE_AFTER` s (at most once a minute); True when
        there is room then."""
        now = time.monotonic()
        if now - self._swept < 60:
            return False
        self._swept = now
        for key, entry in list(self._texts.items()):
            if entry is None or now - entry.used > STALE_AFTER:
                del self._texts[key]
                if entry is not None:
                    self._bytes -= entry.size
        return self._bytes < self.max_bytes

    def clear(self) -> None:
        self._texts.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return sum(entry is not None for entry in self._texts.values())
