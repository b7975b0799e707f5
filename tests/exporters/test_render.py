"""The text exposition: merged families, first-wins de-duplication, escaping, counters."""

from __future__ import annotations

from typing import Literal

from exporters.module import MetricFamily, Sample
from exporters.render import Dedup, render


def test_colliding_series_first_wins_and_type_clash_is_dropped() -> None:
    first = MetricFamily(
        "ifOperStatus", "gauge", "oper", [Sample("ifOperStatus", (("ifIndex", "1"),), 1)]
    )
    again = MetricFamily(
        "ifOperStatus",
        "gauge",
        "oper again",
        [
            Sample("ifOperStatus", (("ifIndex", "1"),), 2),
            Sample("ifOperStatus", (("ifIndex", "2"),), 2),
        ],
    )
    clash = MetricFamily(
        "ifOperStatus", "counter", "", [Sample("ifOperStatus", (("ifIndex", "3"),), 3)]
    )
    dedup = Dedup()
    text = render([first, again, clash], dedup)
    assert text == (
        "# HELP ifOperStatus oper\n"
        "# TYPE ifOperStatus gauge\n"
        'ifOperStatus{ifIndex="1"} 1\n'
        'ifOperStatus{ifIndex="2"} 2\n'
    )
    assert (dedup.duplicates, dedup.type_clashes) == (1, 1)


def test_label_order_does_not_hide_a_duplicate() -> None:
    family = MetricFamily("x", "gauge", "")
    family.add(1, a="1", b="2")
    family.add(2, b="2", a="1")
    assert render([family]).count("\nx{") + render([family]).startswith("x{") == 1


def test_escaping_and_values() -> None:
    family = MetricFamily("x", "gauge", "line one\nback\\slash")
    family.samples += [
        Sample("x", (("v", 'say "hi"\\\n'),), 0.25),
        Sample("x", (("v", "b"),), float("nan")),
        Sample("x", (("v", "c"),), float("-inf")),
        Sample("x", (("v", "d"),), 1e20),
    ]
    assert render([family]).splitlines() == [
        "# HELP x line one\\nback\\\\slash",
        "# TYPE x gauge",
        'x{v="say \\"hi\\"\\\\\\n"} 0.25',
        'x{v="b"} NaN',
        'x{v="c"} -Inf',
        'x{v="d"} 1e+20',
    ]


def test_counter_family_with_total_samples_is_typed_by_its_total_name() -> None:
    boots = MetricFamily("provnet_device_boots", "counter", "Reboots.")
    boots.add(3)
    assert render([boots]) == (
        "# HELP provnet_device_boots_total Reboots.\n"
        "# TYPE provnet_device_boots_total counter\n"
        "provnet_device_boots_total 3\n"
    )


def test_empty_family_is_not_written() -> None:
    assert render([MetricFamily("x", "gauge", "nothing")]) == ""


def test_headers_follow_each_scrapes_own_help_and_type() -> None:
    """Header text is remembered between scrapes; a family of the same name with another
    help or type (another module, a reloaded config) still gets its own header."""
    texts = []
    cases: list[tuple[str, Literal["gauge", "counter"]]] = [
        ("first", "gauge"),
        ("second", "gauge"),
        ("first", "counter"),
    ]
    for help_text, type_ in cases:
        family = MetricFamily("m", type_, help_text)
        family.add(1)
        texts.append(render([family]))
    assert texts[0].startswith("# HELP m first\n# TYPE m gauge\n")
    assert texts[1].startswith("# HELP m second\n# TYPE m gauge\n")
    assert texts[2].startswith("# HELP m_total first\n# TYPE m_total counter\n")
