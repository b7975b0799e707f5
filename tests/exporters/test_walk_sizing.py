"""How a walk's GETBULK max-repetitions follows the subtree's size at its last walk."""

from __future__ import annotations

import pytest

from exporters.snmp.scrape import walk_repetitions


def test_without_a_known_size_the_default() -> None:
    assert walk_repetitions(50, None) == 50


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, 1),  # an empty subtree: one varbind shows its end
        (6, 7),  # the subtree and the varbind past it, in one packet
        (99, 100),
        (100, 51),  # 101 varbinds in two packets of 51, not 100 + 1
        (156, 79),  # ifTable of 7 interfaces: 2 packets, 1 varbind past the table
        (133, 67),
    ],
)
def test_a_known_size_is_read_in_the_fewest_even_packets(size: int, expected: int) -> None:
    reps = walk_repetitions(50, size, cap=100)
    assert reps == expected
    packets = -(-(size + 1) // reps)
    assert reps <= 100
    assert packets * reps - (size + 1) < packets  # reads less than one varbind per packet past
