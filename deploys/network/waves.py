"""Rollout in waves and the failure threshold: ``--waves canary,10%,rest``, ``--max-failures``.

Pure decisions. A wave is ``canary`` (one device), ``N`` (N devices), ``P%`` (P percent of
all devices, rounded up, at least one) or ``rest`` (everything left). Devices are taken in
the plan's order; a wave that finds no device left is dropped. Devices that no wave covers
(no ``rest``) are put in a last wave, so no device is silently left out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from deploys.errors import NetworkChangeError

T = TypeVar("T")

DEFAULT_WAVES = "canary,10%,rest"


class BadRollout(NetworkChangeError, ValueError):
    """A --waves or --max-failures value that cannot be understood."""


@dataclass(frozen=True)
class WaveSpec:
    kind: str  # "count", "percent", "rest"
    value: int = 0

    def size(self, total: int, left: int) -> int:
        if self.kind == "rest":
            return left
        if self.kind == "percent":
            return min(left, max(1, math.ceil(total * self.value / 100)))
        return min(left, self.value)


def parse_waves(text: str) -> list[WaveSpec]:
    """``"canary,10%,rest"`` -> ``[count 1, percent 10, rest]``; raises :class:`BadRollout`."""
    specs: list[WaveSpec] = []
    for raw in text.split(","):
        item = raw.strip().lower()
        if item == "canary":
            specs.append(WaveSpec("count", 1))
        elif item == "rest":
            specs.append(WaveSpec("rest"))
        elif m := re.fullmatch(r"(\d+)%", item):
            if not 0 < int(m.group(1)) <= 100:
                raise BadRollout(f"--waves: '{raw.strip()}' must be between 1% and 100%")
            specs.append(WaveSpec("percent", int(m.group(1))))
        elif item.isdigit() and int(item) > 0:
            specs.append(WaveSpec("count", int(item)))
        else:
            raise BadRollout(
                f"--waves: cannot read '{raw.strip()}' in '{text}' "
                "(expected canary, N, P% or rest, comma-separated)"
            )
    return specs


def split_waves(items: Sequence[T], specs: Sequence[WaveSpec]) -> list[list[T]]:
    """``items`` cut into waves following ``specs``; every item lands in exactly one wave."""
    waves: list[list[T]] = []
    position = 0
    for spec in specs:
        size = spec.size(len(items), len(items) - position)
        if size > 0:
            waves.append(list(items[position : position + size]))
            position += size
    if position < len(items):
        waves.append(list(items[position:]))
    return waves


@dataclass(frozen=True)
class Threshold:
    """Stop the rollout when failures exceed ``count``, or ``percent`` of devices attempted."""

    count: int | None = None
    percent: float | None = None

    def exceeded(self, failed: int, attempted: int) -> bool:
        if self.count is not None:
            return failed > self.count
        assert self.percent is not None
        return attempted > 0 and failed * 100 > self.percent * attempted

    def describe(self) -> str:
        return f"{self.count}" if self.count is not None else f"{self.percent:g}%"


def parse_max_failures(text: str) -> Threshold:
    """``"0"``, ``"3"`` or ``"5%"`` -> :class:`Threshold`; raises :class:`BadRollout`."""
    item = text.strip()
    if item.isdigit():
        return Threshold(count=int(item))
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)%", item):
        percent = float(m.group(1))
        if percent <= 100:
            return Threshold(percent=percent)
    raise BadRollout(f"--max-failures: cannot read '{text}' (expected N or P%, e.g. 0, 3, 5%)")
