"""How a walk's GETBULK max-repetitions follows the subtree's size at its last walk."""

from __future__ import annotations

import pytest

from exporters.snmp.config import WalkParams
from exporters.snmp.engine import WalkShape
from exporters.snmp.scrape import repetitions_for, walk_repetitions


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


@pytest.mark.parametrize(
    ("params", "shape", "expected"),
    [
        (WalkParams(max_repetitions=25), None, 25),  # nothing known: the module's own
        (WalkParams(max_repetitions=25), WalkShape(400, 40), 25),  # 25 x 40 B fit
        (WalkParams(max_repetitions=25), WalkShape(400, 300), 13),  # 4,000 B / 300 B
        (WalkParams(max_repetitions=0), WalkShape(400, 300), 0),  # GETNEXT stays GETNEXT
        (WalkParams(walk_repetitions=50), None, 50),
        (WalkParams(walk_repetitions=50), WalkShape(156, 40), 79),  # by count, as before
        (WalkParams(walk_repetitions=50), WalkShape(156, 100), 40),  # 157 in 4 of 40 B
        (WalkParams(walk_repetitions=50), WalkShape(10, 5000), 1),  # one varbind at least
    ],
)
def test_repetitions_never_ask_for_a_reply_longer_than_the_budget(
    params: WalkParams, shape: WalkShape | None, expected: int
) -> None:
    reps = repetitions_for(params, shape, budget=4000)
    assert reps == expected
    if shape is not None and reps > 1:
        assert reps * shape.varbind_bytes <= 4000
