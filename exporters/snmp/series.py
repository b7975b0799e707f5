"""PDUs to series, as snmp_exporter's ``collector.go`` does it, without any I/O.

``pdus`` maps a numeric OID (no leading dot) to the value gufo-snmp decoded: ``int`` for
INTEGER/Counter/Gauge/TimeTicks, ``bytes`` for OCTET STRING and Opaque (its content, see
:func:`opaque_float`), ``str`` for OBJECT IDENTIFIER and IpAddress, ``None`` for NULL. For
each PDU the shortest configured metric OID that prefixes it wins; the rest of the OID is
the index, turned into labels by ``indexes`` and ``lookups``. Names, label names and label
values are the ones snmp_exporter would give for the same module, so dashboards keep working.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from exporters.module import MetricFamily, MetricType, Sample
from exporters.snmp.config import Index, Metric, Module, RegexExtract
from exporters.snmp.display_hint import apply_display_hint

Value = None | str | bytes | int | float
Pdus = Mapping[str, Value]
_Labels = tuple[dict[str, str], tuple[tuple[str, str], ...]]
_Resolved = tuple[Metric, list[int], tuple[int, str]]

FLOAT64_MANTISSA = 1 << 53

COMBINED_TYPES: dict[str, dict[int, str]] = {
    "InetAddress": {1: "InetAddressIPv4", 2: "InetAddressIPv6"},
    "InetAddressMissingSize": {1: "InetAddressIPv4", 2: "InetAddressIPv6"},
    "LldpPortId": {
        1: "DisplayString",
        2: "DisplayString",
        3: "PhysAddress48",
        5: "DisplayString",
        7: "DisplayString",
    },
}
NUMERIC_TYPES = frozenset({"gauge", "counter", "Float", "Double"})


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


def pdu_number(value: Value) -> float:
    """gosnmp's numeric reading of a value; Counter64 wrapped at 2^53 as snmp_exporter's
    default ``--snmp.wrap-large-counters`` does."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int):
        return float(value % FLOAT64_MANTISSA if value >= FLOAT64_MANTISSA else value)
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        try:
            return float(int(value))
        except ValueError:
            return 0.0
    if isinstance(value, bytes):
        opaque = opaque_float(value)
        return 0.0 if opaque is None else opaque[0]
    return 0.0


def opaque_float(value: bytes) -> tuple[float, bool] | None:
    """An Opaque-wrapped float or double (net-snmp's extension, as in UCD ``laLoadFloat``:
    the Opaque's content is ``9F 78 04`` and a big-endian IEEE float, or ``9F 79 08`` and a
    double), with True for a float; None for any other bytes. gufo-snmp gives the Opaque's
    content as bytes; gosnmp decodes these two, and snmp_exporter reads them as numbers."""
    if len(value) == 7 and value.startswith(b"\x9f\x78\x04"):
        return struct.unpack(">f", value[3:])[0], True
    if len(value) == 11 and value.startswith(b"\x9f\x79\x08"):
        return struct.unpack(">d", value[3:])[0], False
    return None


def float32_text(value: float) -> str:
    """Go's ``strconv.FormatFloat(float64(v), 'f', -1, 32)``: the fewest digits that read
    back as the same float32."""
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if struct.unpack(">f", struct.pack(">f", float(text)))[0] == value:
            return go_float_text(float(text))
    return go_float_text(value)


def go_float_text(value: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'f', -1, 64)``: shortest digits, never an exponent."""
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text.removesuffix(".0") if text.endswith(".0") else text


def _split(oids: list[int], count: int) -> tuple[list[int], list[int]]:
    """Right-pad with zeros and split at ``count`` (some agents drop trailing zeros)."""
    head = oids[:count]
    if len(head) < count:
        head = head + [0] * (count - len(head))
    return head, oids[count:]


def index_as_string(
    oids: list[int],
    kind: str,
    fixed_size: int = 0,
    implied: bool = False,
    enum_values: Mapping[int, str] | None = None,
) -> tuple[str, list[int], list[int]]:
    """The label text of an index, the sub-OIDs it used and the ones left."""
    mapping = COMBINED_TYPES.get(kind)
    if mapping is not None:
        if kind == "InetAddressMissingSize":
            sub, rest = _split(oids, 1)
        else:
            sub, rest = _split(oids, 2)
        actual = mapping.get(sub[0])
        if actual is not None:
            text, inner, left = index_as_string(rest, actual, 0, False, enum_values)
            return text, sub + inner, left
        if kind == "InetAddressMissingSize":
            return index_as_string(oids, "OctetString", 0, True, enum_values)
        return index_as_string(oids, "OctetString", sub[1] + 2, False, enum_values)
    if kind in ("Integer32", "Integer", "gauge", "counter"):
        first, rest = _split(oids, 1)
        return str(first[0]), first, rest
    if kind == "PhysAddress48":
        sub, rest = _split(oids, 6)
        return ":".join(f"{o & 0xFF:02X}" for o in sub), sub, rest
    if kind in ("OctetString", "DisplayString"):
        used: list[int] = []
        length = len(oids) if implied else fixed_size
        rest = oids
        if length == 0:
            used, rest = _split(oids, 1)
            length = used[0]
        content, rest = _split(rest, length)
        used = used + content
        raw = bytes(o & 0xFF for o in content)
        if kind == "DisplayString":
            return raw.decode("utf-8", "replace"), used, rest
        return ("0x" + raw.hex().upper() if raw else ""), used, rest
    if kind == "InetAddressIPv4":
        sub, rest = _split(oids, 4)
        return ".".join(str(o) for o in sub), sub, rest
    if kind == "InetAddressIPv6":
        sub, rest = _split(oids, 16)
        pairs = [f"{sub[i] & 0xFF:02X}{sub[i + 1] & 0xFF:02X}" for i in range(0, 16, 2)]
        return ":".join(pairs), sub, rest
    if kind == "EnumAsInfo":
        sub, rest = _split(oids, 1)
        values = enum_values or {}
        return values.get(sub[0], str(sub[0])), sub, rest
    raise ValueError(f"unknown index type {kind}")


def value_as_string(value: Value, kind: str, display_hint: str = "") -> str:
    """A PDU value as label text (snmp_exporter's pduValueAsString); ``display_hint``
    formats an OctetString (or untyped) value (:func:`apply_display_hint`)."""
    if isinstance(value, bytes):
        opaque = opaque_float(value) if len(value) in (7, 11) else None
        if opaque is not None:
            number, single = opaque
            return float32_text(number) if single else go_float_text(number)
        if kind == "DisplayString":  # the fast path of the index form below
            return value.decode("utf-8", "replace")
        if display_hint and kind in ("", "OctetString"):
            hinted = apply_display_hint(display_hint, value)
            if hinted is not None:
                return hinted
        if kind not in _VALUE_INDEX_TYPES:
            kind = "OctetString"  # also "" and "Bits"; Go would panic on an unknown one
        if kind == "OctetString":
            return "0x" + value.hex().upper() if value else ""
        parts = list(value)
        if kind in ("OctetString", "DisplayString"):
            parts = [len(value), *parts]
        return index_as_string(parts, kind)[0]
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float_text(value)
    if isinstance(value, str):
        return value
    return ""


_VALUE_INDEX_TYPES = frozenset(
    {
        "OctetString",
        "DisplayString",
        "PhysAddress48",
        "InetAddressIPv4",
        "InetAddressIPv6",
        "Integer32",
        "Integer",
        "gauge",
        "counter",
        "EnumAsInfo",
    }
)


def date_and_time(value: Value) -> float | None:
    """An RFC 2579 DateAndTime (8 or 11 octets) as a Unix timestamp, as snmp_exporter's
    ``parseDateAndTime``: Go's ``time.Date`` normalises fields out of range (net-snmp's
    ``hrFSLastFullBackupDate`` is all zeros: year 0, month 0, day 0), so only a wrong length
    or time zone gives None."""
    if not isinstance(value, bytes) or len(value) not in (8, 11):
        return None
    offset = 0
    if len(value) == 11:
        sign, hours, minutes = chr(value[8]), value[9], value[10]
        if sign not in "+-" or hours > 24 or minutes > 60:  # Go's time.Parse("-0700") refuses
            return None
        offset = (hours * 3600 + minutes * 60) * (1 if sign == "+" else -1)
    year = int.from_bytes(value[0:2], "big")
    month0 = value[2] - 1
    year += month0 // 12
    days = _days_from_civil(year, month0 % 12 + 1) + value[3] - 1
    return float(days * 86400 + value[4] * 3600 + value[5] * 60 + value[6] - offset)


def _days_from_civil(year: int, month: int) -> int:
    """Days from 1970-01-01 to the first of ``month`` of ``year`` (proleptic Gregorian, any
    year, 0 and negative ones too: Python's datetime stops at year 1)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


_TIMESTAMP_TYPES = frozenset({"DateAndTime", "ParseDateAndTime", "NTPTimeStamp"})
NTP_EPOCH_OFFSET = 2_208_988_800
"""Seconds from 1900-01-01 (NTP's epoch) to 1970-01-01."""


def ntp_timestamp(value: Value) -> float | None:
    """An NTP timestamp (32-bit seconds since 1900, then a fraction) in Unix seconds."""
    if not isinstance(value, bytes) or len(value) < 8:
        return None
    return float(int.from_bytes(value[:4], "big") - NTP_EPOCH_OFFSET)


def parse_date_and_time(value: Value, pattern: str) -> float | None:
    """A date in text read with a strftime ``datetime_pattern`` (snmp_exporter's
    ``ParseDateAndTime``, timefmt-go); UTC unless the pattern reads a zone."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    try:
        stamp = dt.datetime.strptime(text, pattern)
    except ValueError:
        return None
    if stamp.tzinfo is not None:
        return float(int(stamp.timestamp()))
    return float(calendar.timegm(stamp.timetuple()))


def go_template(template: str) -> str:
    """Go's ``$1``/``${1}``/``$name`` expansion as a Python ``re`` template."""
    out: list[str] = []
    i = 0
    while i < len(template):
        ch = template[i]
        if ch != "$":
            out.append("\\\\" if ch == "\\" else ch)
            i += 1
            continue
        if template.startswith("$$", i):
            out.append("$")
            i += 2
            continue
        match = re.match(r"\$\{(\w+)\}|\$(\w+)", template[i:])
        if match is None:
            out.append("$")
            i += 1
            continue
        out.append(f"\\g<{match[1] or match[2]}>")
        i += match.end()
    return "".join(out)


def _expand(regex: re.Pattern[str], found: re.Match[str], template: str) -> str:
    try:
        return found.expand(go_template(template))
    except (IndexError, re.error):
        return ""  # Go expands an unknown group to nothing


# ---------------------------------------------------------------------------------------------
# The collector
# ---------------------------------------------------------------------------------------------


@dataclass
class _Families:
    """Families in first-seen order, one per name."""

    by_name: dict[str, MetricFamily] = field(default_factory=dict)

    def family(self, name: str, kind: MetricType, help_text: str) -> MetricFamily:
        family = self.by_name.get(name)
        if family is None:
            family = self.by_name[name] = MetricFamily(name, kind, help_text)
        return family

    def add(
        self,
        name: str,
        kind: MetricType,
        help_text: str,
        labels: Iterable[tuple[str, str]],
        value: float,
    ) -> None:
        self.family(name, kind, help_text).samples.append(
            Sample(name, tuple(sorted(labels)), value)
        )


@dataclass(frozen=True)
class MetricIndex:
    """A module's metrics by OID, for the shortest-prefix match of each PDU, and for each
    metric the key of its label recipe (metrics with the same indexes and lookups share
    labels, computed once per index)."""

    by_oid: dict[str, Metric]
    lengths: tuple[int, ...]
    recipe: dict[str, int]
    resolved: dict[str, _Resolved | None] = field(default_factory=dict)
    """What each OID met so far is: its metric, index arcs and label key (the same OIDs
    come back from every target and every scrape)."""
    static_labels: dict[tuple[int, str], _Labels] = field(default_factory=dict)
    """Labels of an index of a metric without lookups: a pure function of the index."""

    @classmethod
    def of(cls, module: Module) -> MetricIndex:
        by_oid: dict[str, Metric] = {}
        for metric in module.metrics:
            by_oid[metric.oid] = metric  # a later duplicate replaces, as in the Go tree
        lengths = sorted({oid.count(".") + 1 for oid in by_oid})
        recipes: dict[str, int] = {}
        recipe = {
            oid: recipes.setdefault(repr((m.indexes, m.lookups)), len(recipes))
            for oid, m in by_oid.items()
        }
        return cls(by_oid, tuple(lengths), recipe)

    def match_at(self, oid: str) -> tuple[Metric, int] | None:
        """The metric and where the index part of ``oid`` starts."""
        by_oid = self.by_oid
        end = -1  # the dot after the prefix of ``arcs`` arcs (-1: none yet)
        arcs = 0
        for length in self.lengths:
            while arcs < length:
                end = oid.find(".", end + 1)
                arcs += 1
                if end < 0:
                    if arcs < length:
                        return None
                    end = len(oid)
                    break
            metric = by_oid.get(oid[:end])
            if metric is not None:
                return metric, end + 1
            if end == len(oid):
                return None
        return None


_INDEX_CACHE: dict[int, tuple[Module, MetricIndex]] = {}
MAX_INDEXED = 4096


def metric_index(module: Module) -> MetricIndex:
    """Built once per module object (modules are immutable; the cache holds the module, so
    its id is not reused by another while the entry lives)."""
    cached = _INDEX_CACHE.get(id(module))
    if cached is None or cached[0] is not module:
        if len(_INDEX_CACHE) >= MAX_INDEXED:  # modules of configurations reloaded since
            _INDEX_CACHE.clear()
        cached = _INDEX_CACHE[id(module)] = (module, MetricIndex.of(module))
    return cached[1]


def _prev_oid(oid: str) -> str:
    head, _, last = oid.rpartition(".")
    return f"{head}.{int(last) - 1}"


def _oid_text(arcs: Iterable[int]) -> str:
    return ".".join(str(a) for a in arcs)


def index_labels(index_oids: list[int], metric: Metric, pdus: Pdus) -> dict[str, str]:
    """Labels from the index, then from lookups (snmp_exporter's indexesToLabels)."""
    labels: dict[str, str] = {}
    label_oids: dict[str, list[int]] = {}
    rest = index_oids
    for index in metric.indexes:
        text, used, rest = _index_text(rest, index)
        labels[index.labelname] = text
        label_oids[index.labelname] = used
    for lookup in metric.lookups:
        if not lookup.labels:
            labels.pop(lookup.labelname, None)
            continue
        suffix = ".".join(_oid_text(label_oids.get(label, [])) for label in lookup.labels)
        found = pdus.get(f"{lookup.oid}.{suffix}")
        if found is None and f"{lookup.oid}.{suffix}" not in pdus:
            labels[lookup.labelname] = ""
            continue
        kind = lookup.type
        mapping = COMBINED_TYPES.get(kind)
        if mapping is not None:
            previous = pdus.get(f"{_prev_oid(lookup.oid)}.{suffix}")
            if previous is not None:
                kind = mapping.get(int(pdu_number(previous)), kind)
            if kind in COMBINED_TYPES:
                kind = "OctetString"
        if kind == "EnumAsInfo" and lookup.enum_values:
            number = int(pdu_number(found))
            labels[lookup.labelname] = lookup.enum_values.get(number, str(number))
        else:
            labels[lookup.labelname] = value_as_string(found, kind, lookup.display_hint)
        label_oids[lookup.labelname] = [int(pdu_number(found))]
    return labels


def _index_text(oids: list[int], index: Index) -> tuple[str, list[int], list[int]]:
    return index_as_string(oids, index.type, index.fixed_size, index.implied, index.enum_values)


def _string_kind(metric: Metric, index_oids: list[int], pdus: Pdus) -> str:
    kind = metric.type
    mapping = COMBINED_TYPES.get(kind)
    if mapping is None:
        return kind
    previous = pdus.get(f"{_prev_oid(metric.oid)}.{_oid_text(index_oids)}")
    if previous is None:
        return "OctetString"
    return mapping.get(int(pdu_number(previous)), "OctetString")


def pdu_samples(
    families: _Families,
    index_oids: list[int],
    value: Value,
    metric: Metric,
    pdus: Pdus,
    labels: dict[str, str] | None = None,
    sorted_labels: tuple[tuple[str, str], ...] | None = None,
) -> None:
    """The samples of one PDU (snmp_exporter's pduToSamples). ``labels`` is not changed;
    ``sorted_labels``, when given, is ``labels`` as a sorted tuple."""
    if labels is None:
        labels = index_labels(index_oids, metric, pdus)
        sorted_labels = None
    kind = metric.type
    name = metric.name
    if kind in NUMERIC_TYPES:
        number = pdu_number(value)
        if metric.scale:
            number *= metric.scale
        if metric.offset:
            number += metric.offset
        metric_type: MetricType = "counter" if kind == "counter" else "gauge"
        if sorted_labels is None:
            families.add(name, metric_type, metric.help, labels.items(), number)
        else:
            family = families.family(name, metric_type, metric.help)
            family.samples.append(Sample(name, sorted_labels, number))
        return
    if kind in _TIMESTAMP_TYPES:
        if kind == "DateAndTime":
            stamp = date_and_time(value)
        elif kind == "ParseDateAndTime":
            stamp = parse_date_and_time(value, metric.datetime_pattern)
        else:
            stamp = ntp_timestamp(value)
        if stamp is not None:
            families.add(name, "gauge", metric.help, labels.items(), stamp)
        return
    if kind == "EnumAsInfo":
        state = metric.enum_values.get(int(pdu_number(value)), str(int(pdu_number(value))))
        families.add(
            f"{name}_info",
            "gauge",
            f"{metric.help} (EnumAsInfo)",
            [*labels.items(), (name, state)],
            1.0,
        )
        return
    if kind == "EnumAsStateSet":
        current = int(pdu_number(value))
        help_text = f"{metric.help} (EnumAsStateSet)"
        state = metric.enum_values.get(current, str(current))
        families.add(name, "gauge", help_text, [*labels.items(), (name, state)], 1.0)
        for number, other in metric.enum_values.items():
            if number != current:
                families.add(name, "gauge", help_text, [*labels.items(), (name, other)], 0.0)
        return
    if kind == "Bits":
        if not isinstance(value, bytes):
            return
        help_text = f"{metric.help} (Bits)"
        for bit, bit_name in metric.enum_values.items():
            on = bit < len(value) * 8 and bool(value[bit // 8] & (128 >> (bit % 8)))
            families.add(name, "gauge", help_text, [*labels.items(), (name, bit_name)], float(on))
        return
    # Some form of string: the value is a label named like the metric, the sample is 1.
    string_kind = _string_kind(metric, index_oids, pdus)
    text = value_as_string(value, string_kind, metric.display_hint)
    if metric.regex_extracts:
        _regex_samples(families, metric, text, labels)
        return
    if name not in labels:
        labels = {**labels, name: text}
    families.add(name, "gauge", metric.help, labels.items(), 1.0)


def _regex_samples(families: _Families, metric: Metric, text: str, labels: dict[str, str]) -> None:
    for suffix, extracts in metric.regex_extracts:
        for extract in extracts:
            number = _extract(extract, text)
            if number is None:
                continue
            families.add(
                metric.name + suffix,
                "gauge",
                f"{metric.help} (regex extracted)",
                labels.items(),
                number,
            )
            break


def _extract(extract: RegexExtract, text: str) -> float | None:
    found = extract.regex.search(text)
    if found is None:
        return None
    result = _expand(extract.regex, found, extract.value)
    try:
        return float(result.strip())
    except ValueError:
        return None


def _index_arcs(text: str) -> list[int]:
    return [int(a) for a in text.split(".")] if text else []


MAX_REMEMBERED = 50_000
"""OIDs (and index label sets) a module remembers before it starts over."""


def _resolve(index: MetricIndex, oid: str) -> _Resolved | None:
    found = index.match_at(oid)
    if found is None:
        return None
    metric, start = found
    suffix = oid[start:]
    return metric, _index_arcs(suffix), (index.recipe[metric.oid], suffix)


def collect(module: Module, pdus: Pdus, trace: dict[int, Slot] | None = None) -> list[MetricFamily]:
    """Every series a module's metrics make of ``pdus``. ``trace``, when given, gets for each
    sample whose value is a PDU's number (scaled and offset) that PDU, by the sample's id."""
    index = metric_index(module)
    families = _Families()
    labels_of: dict[tuple[int, str], _Labels] = {}
    resolved = index.resolved
    static_labels = index.static_labels
    if len(resolved) > MAX_REMEMBERED:
        resolved.clear()
    if len(static_labels) > MAX_REMEMBERED:
        static_labels.clear()
    for oid, value in pdus.items():
        if oid in resolved:
            found = resolved[oid]
        else:
            found = resolved[oid] = _resolve(index, oid)
        if found is None:
            continue
        metric, arcs, key = found
        if metric.lookups:
            known = labels_of.get(key)
            if known is None:
                labels = index_labels(arcs, metric, pdus)
                known = labels_of[key] = (labels, tuple(sorted(labels.items())))
        else:
            known = static_labels.get(key)
            if known is None:
                labels = index_labels(arcs, metric, pdus)
                known = static_labels[key] = (labels, tuple(sorted(labels.items())))
        pdu_samples(families, arcs, value, metric, pdus, *known)
        if trace is not None and metric.type in NUMERIC_TYPES:
            sample = families.by_name[metric.name].samples[-1]
            trace[id(sample)] = Slot(oid, metric.scale, metric.offset)
    return list(families.by_name.values())


class Slot(NamedTuple):
    """Where a sample's value comes from: a PDU's number, times ``scale`` plus ``offset``."""

    oid: str
    scale: float
    offset: float


def only_numbers(module: Module, oids: Iterable[str]) -> list[bool]:
    """For each OID, whether its PDU's value can only be the number of a series or nothing:
    it is of no metric or of a numeric one, and no label is read from it."""
    index = metric_index(module)
    sources = lookup_sources(module)
    flags = []
    resolved = index.resolved  # what collect just met
    for oid in oids:
        found = resolved[oid] if oid in resolved else _resolve(index, oid)
        numeric = found is None or found[0].type in NUMERIC_TYPES
        flags.append(numeric and not (sources and oid.startswith(sources)))
    return flags


def lookup_sources(module: Module) -> tuple[str, ...]:
    """OID prefixes (with the trailing dot) of the PDUs other PDUs' labels are read from:
    lookups, and the address-type column before a combined type (InetAddress...)."""
    prefixes: set[str] = set()
    for metric in module.metrics:
        if metric.type in COMBINED_TYPES:
            prefixes.add(_prev_oid(metric.oid) + ".")
        for lookup in metric.lookups:
            prefixes.add(lookup.oid + ".")
            if lookup.type in COMBINED_TYPES:
                prefixes.add(_prev_oid(lookup.oid) + ".")
    return tuple(sorted(prefixes))
