"""The Prometheus text exposition (format 0.0.4) of metric families, written by hand: no
registry per request.

Families of the same name are merged (all samples of a name must be contiguous); a series
(name and label set) met twice keeps its first value, and a family whose type differs from
the first one of its name is dropped: colliding series are never fatal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from exporters.module import MetricFamily, Sample

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
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


def _series_lines(
    samples: list[Sample],
    label_texts: dict[int, tuple[tuple[tuple[str, str], ...], str]],
) -> list[str]:
    """One line per sample; ``label_texts`` remembers the text of each label tuple by its id
    (the metrics of a table row share one; the entry holds the tuple, so no id is reused)."""
    lines = []
    for sample in samples:
        value = sample.value
        if type(value) is float and value.is_integer() and -1e15 < value < 1e15:
            number = str(int(value))
        else:
            number = format_value(value)
        labels = sample.labels
        if labels:
            known = label_texts.get(id(labels))
            if known is None:
                known = label_texts[id(labels)] = (labels, _label_text(labels))
            lines.append(f"{sample.name}{{{known[1]}}} {number}\n")
        else:
            lines.append(f"{sample.name} {number}\n")
    return lines


@dataclass
class _Group:
    family: MetricFamily
    samples: list[Sample] = field(default_factory=list)


@dataclass
class Dedup:
    """How many series were dropped as duplicates (first wins) or for a type clash."""

    duplicates: int = 0
    type_clashes: int = 0


def merge(families: Iterable[MetricFamily], dedup: Dedup | None = None) -> list[_Group]:
    """Families grouped by name in first-seen order, duplicate series removed."""
    stats = dedup if dedup is not None else Dedup()
    groups: dict[str, _Group] = {}
    seen: set[tuple[str, int]] = set()
    # A series is its name and its label set in any order. The samples of a table row share
    # one label tuple object, so each distinct label set is sorted once and stands for itself
    # by the id of one canonical tuple (both dicts hold what they saw, so no id is reused).
    by_object: dict[int, tuple[tuple[tuple[str, str], ...], int]] = {}
    canonical: dict[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]] = {}
    for family in families:
        group = groups.get(family.name)
        if group is None:
            group = groups[family.name] = _Group(family)
        elif group.family.type != family.type:
            stats.type_clashes += len(family.samples)
            continue
        kept = group.samples
        for sample in family.samples:
            labels = sample.labels
            known = by_object.get(id(labels))
            if known is None:
                ordered = tuple(sorted(labels))
                known = by_object[id(labels)] = (labels, id(canonical.setdefault(ordered, ordered)))
            key = (sample.name, known[1])
            if key in seen:
                stats.duplicates += 1
                continue
            seen.add(key)
            kept.append(sample)
    return list(groups.values())


def _header_name(group: _Group) -> str:
    family = group.family
    if family.type == "counter" and group.samples:
        total = family.name + "_total"
        if all(s.name == total for s in group.samples):
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


def render(families: Iterable[MetricFamily], dedup: Dedup | None = None) -> str:
    """The exposition text of ``families``."""
    parts: list[str] = []
    label_texts: dict[int, tuple[tuple[tuple[str, str], ...], str]] = {}
    for group in merge(families, dedup):
        if not group.samples:
            continue
        family = group.family
        parts.append(_header(_header_name(group), family.type, family.help))
        parts.extend(_series_lines(group.samples, label_texts))
    return "".join(parts)
