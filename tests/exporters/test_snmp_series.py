"""snmp_exporter's series semantics as data: PDU values in, expected series out (no I/O).

Each ``data/series/*.json`` names a module (from a config fixture, inline YAML, or a
built-in) and the PDUs an agent returned; the expected lines are what snmp_exporter's
collector.go gives for the same module (for built-ins: provnet's derived series).
A value is a JSON number (INTEGER, Counter, Gauge, TimeTicks), a string (an OCTET STRING's
UTF-8 text), ``{"hex": ...}`` (raw octets), ``{"oid": ...}``, ``{"ip": ...}`` or null.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from exporters.module import MetricFamily
from exporters.registry import load_builtins
from exporters.render import render
from exporters.snmp.config import Module, load_config, read_config
from exporters.snmp.display_hint import apply_display_hint
from exporters.snmp.series import Value, collect, value_as_string

DATA = Path(__file__).parent / "data"
CASES = sorted((DATA / "series").glob("*.json"))


def decode(value: Any) -> Value:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, dict):
        if "hex" in value:
            return bytes.fromhex(value["hex"])
        return str(value.get("oid") or value.get("ip"))
    assert value is None or isinstance(value, int | float)
    return value


def module_of(case: dict[str, Any]) -> Module:
    if "config" in case:
        return load_config(DATA / case["config"]).modules[case["module"]]
    if "module_yaml" in case:
        text = "modules:\n  inline:\n" + "".join(
            f"    {line}\n" for line in case["module_yaml"].splitlines()
        )
        return read_config(text, "inline.yml").modules["inline"]
    return load_builtins()[case["builtin"]].module


def series_lines(families: list[MetricFamily], names: list[str] | None) -> list[str]:
    lines = [line for line in render(families).splitlines() if not line.startswith("#")]
    if names:
        lines = [line for line in lines if re.split(r"[{ ]", line, maxsplit=1)[0] in names]
    return lines


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_series_case(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    pdus = {oid: decode(value) for oid, value in case["pdus"].items()}
    module = module_of(case)
    families = collect(module, pdus)
    if "builtin" in case:
        families += load_builtins()[case["builtin"]].derive(pdus, case.get("params", {}))
    assert sorted(series_lines(families, case.get("names"))) == sorted(case["expected"])


def test_every_case_was_found() -> None:
    assert len(CASES) >= 10


def test_counter_header_and_help_are_snmp_exporters() -> None:
    case = json.loads((DATA / "series" / "if_mib_lookups.json").read_text(encoding="utf-8"))
    pdus = {oid: decode(value) for oid, value in case["pdus"].items()}
    text = render(collect(module_of(case), pdus))
    assert "# TYPE ifHCInOctets counter\n" in text
    assert "# TYPE ifType_info gauge\n" in text
    assert "# HELP ifType_info The type of interface - 1.3.6.1.2.1.2.2.1.3 (EnumAsInfo)\n" in text


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (b"\x00\x1a\x2b\x3c\x4d\x5e", "PhysAddress48", "00:1A:2B:3C:4D:5E"),
        (b"\xc0\x00\x02\x01", "InetAddressIPv4", "192.0.2.1"),
        (b"ab", "OctetString", "0x6162"),
        (b"ab", "DisplayString", "ab"),
        (b"", "OctetString", ""),
        (b"", "DisplayString", ""),
        (b"caf\xc3\xa9 \xff", "DisplayString", "caf\u00e9 \ufffd"),
        (bytes(range(256)) * 2, "DisplayString", bytes(range(256)).decode("utf-8", "replace") * 2),
        (b"ab", "", "0x6162"),
        ("1.3.6.1.4.1.9", "DisplayString", "1.3.6.1.4.1.9"),
        (42, "DisplayString", "42"),
        (0.5, "DisplayString", "0.5"),
        (None, "DisplayString", ""),
    ],
)
def test_value_as_label_text(value: Value, kind: str, text: str) -> None:
    assert value_as_string(value, kind) == text


@pytest.mark.parametrize(
    ("hint", "data", "text"),
    [  # snmp_exporter's own examples (collector/display_hint.go), and the edges it handles
        ("1d.1d.1d.1d", bytes([192, 168, 1, 1]), "192.168.1.1"),
        ("1x:", bytes([0, 26, 43, 60, 77, 94]), "00:1A:2B:3C:4D:5E"),
        ("255a", b"Hello", "Hello"),
        ("2d-1d-1d,1d:1d:1d.1d", bytes([7, 234, 12, 4, 22, 30, 5, 0]), "2026-12-4,22:30:5.0"),
        ("*1x:/", bytes([2, 1, 2, 3, 4]), "01:02/04"),  # repeat count and terminator
        ("1o", bytes([8, 9]), "1011"),
        ("0a", b"x", None),  # consumes nothing: refused, not a loop
        ("9d", bytes(9), None),  # more than 8 octets as a number
        ("x", b"a", None),
    ],
)
def test_display_hint(hint: str, data: bytes, text: str | None) -> None:
    assert apply_display_hint(hint, data) == text
