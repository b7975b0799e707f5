"""The Prometheus text exposition (format 0.0.4) of metric families, written by hand: no
registry per request.

Families of the same name are merged (all samples of a name must be contiguous); a series
(name and label set) met twice keeps its first value, and a family whose type differs from
the first one of its name is dropped: colliding series are never fatal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar, cast

from exporters.module import MetricFamily, Sample

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
T = TypeVar("T")
_EXPOSED_TYPE = {"gauge": "gauge", "counter": "counter", "untyped": "untyped", "info": "gauge"}


def escape_label(value: str) -> str:
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return value


def escape_help(text: str) -> str:
    if "\\" in text or "\n" in text:
        return text.replace("\\", "\\\\").replace("\n", "\\n")
    return text


def format_value(value: float) -> str:
    if isinstance(value, int):  # probes may hand in ints (and bools)
        return str(int(value))
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


def _label_text(labels: tuple[tuple[str, str], ...]) -> str:
    return ",".join(f'{k}="{escape_label(v)}"' for k, v in labels)


@dataclass
class Dedup:
    """How many series were dropped as duplicates (first wins) or for a type clash."""

    duplicates: int = 0
    type_clashes: int = 0


def _header_name(family: MetricFamily, samples: list[Sample]) -> str:
    if family.type == "counter" and samples:
        total = family.name + "_total"
        if all(s.name == total for s in samples):
            return total
    return family.name


def header_text(name: str, type_: str, help_text: str) -> str:
    """The ``# HELP`` and ``# TYPE`` lines of a family."""
    exposed = _EXPOSED_TYPE.get(type_, "untyped")
    if help_text:
        return f"# HELP {name} {escape_help(help_text)}\n# TYPE {name} {exposed}\n"
    return f"# TYPE {name} {exposed}\n"


_HEADERS: dict[tuple[str, str, str], str] = {}
"""Header text by (name, type, help): a module's families have the same few every scrape."""
MAX_HEADERS = 20_000


def _header(name: str, type_: str, help_text: str) -> str:
    key = (name, type_, help_text)
    text = _HEADERS.get(key)
    if text is None:
        if len(_HEADERS) >= MAX_HEADERS:
            _HEADERS.clear()
        text = _HEADERS[key] = header_text(name, type_, help_text)
    return text


def number_text(value: float) -> str:
    """A sample's value as :func:`render` writes it."""
    if type(value) is float and value.is_integer() and -1e15 < value < 1e15:
        return str(int(value))
    return format_value(value)


def render(families: Iterable[MetricFamily], dedup: Dedup | None = None) -> str:
    """The exposition text of ``families``: grouped by name in first-seen order, duplicate
    series (name and label set in any order) removed, first wins."""
    return "".join(cast("list[str]", render_pieces(families, dedup)))


def render_pieces(
    families: Iterable[MetricFamily],
    dedup: Dedup | None = None,
    slots: Mapping[int, T] | None = None,
) -> list[str | T]:
    """:func:`render`'s text in pieces; the value of a sample whose id is in ``slots`` is
    left out and ``slots[id(sample)]`` put in its place (a template filled in later)."""
    stats = dedup if dedup is not None else Dedup()
    first: dict[str, MetricFamily] = {}
    kept: dict[str, list[Sample]] = {}
    lines: dict[str, list[str | T]] = {}
    seen: set[tuple[str, int]] = set()
    # The samples of a table row share one label tuple: each distinct tuple object is
    # rendered and sorted once (its entry holds it, so no id is reused while rendering);
    # a label set in any order is one number, its place in ``canonical``.
    by_object: dict[int, tuple[tuple[tuple[str, str], ...], str, int]] = {}
    canonical: dict[tuple[tuple[str, str], ...], int] = {}
    for family in families:
        name = family.name
        leader = first.get(name)
        if leader is None:
            first[name] = family
            samples = kept[name] = []
            out = lines[name] = []
        elif leader.type != family.type:
            stats.type_clashes += len(family.samples)
            continue
        else:
            samples = kept[name]
            out = lines[name]
        for sample in family.samples:
            sample_name, labels, value = sample
            known = by_object.get(id(labels))
            if known is None:
                ordered = tuple(sorted(labels)) if len(labels) > 1 else labels
                known = by_object[id(labels)] = (
                    labels,
                    _label_text(labels),
                    canonical.setdefault(ordered, len(canonical)),
                )
            key = (sample_name, known[2])
            if key in seen:
                stats.duplicates += 1
                continue
            seen.add(key)
            samples.append(sample)
            if slots is not None and id(sample) in slots:
                head = f"{sample_name}{{{known[1]}}} " if labels else f"{sample_name} "
                out += (head, slots[id(sample)], "\n")
                continue
            if type(value) is float and value.is_integer() and -1e15 < value < 1e15:
                number = str(int(value))
            else:
                number = format_value(value)
            if labels:
                out.append(f"{sample_name}{{{known[1]}}} {number}\n")
            else:
                out.append(f"{sample_name} {number}\n")
    parts: list[str | T] = []
    for name, family in first.items():
        samples = kept[name]
        if samples:
            parts.append(_header(_header_name(family, samples), family.type, family.help))
            parts += lines[name]
    return parts
