"""The non-increasing OID check of a walk's answers (gosnmp's rule), the ``tcp://`` and
``udp://`` target prefixes, and the SNMPv3 context a request asks for."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exporters.snmp.config import Auth
from exporters.snmp.engine import (
    BadContext,
    NonIncreasingOid,
    Target,
    V3Context,
    needs_pysnmp,
    not_after,
    oid_arcs,
)

arc = st.sampled_from([0, 1, 2, 9, 10, 11, 99, 100, 123, 4294967295])
oid = st.lists(arc, min_size=2, max_size=7).map(lambda arcs: ".".join(map(str, arcs)))


@given(oid, st.lists(oid, min_size=1, max_size=4))
def test_not_after_agrees_with_arc_by_arc_order(request: str, keys: list[str]) -> None:
    after = all(oid_arcs(key) > oid_arcs(request) for key in keys)
    if after:
        not_after(request, keys, "t")
    else:
        with pytest.raises(NonIncreasingOid):
            not_after(request, keys, "t")


@pytest.mark.parametrize(
    ("request_oid", "keys", "ok"),
    [
        ("1.3.6.1.2.1.2.2.1.2.9", ["1.3.6.1.2.1.2.2.1.2.10", "1.3.6.1.2.1.2.2.1.3.1"], True),
        ("1.3.6.1.2.1.2.2.1.2.9", ["1.3.6.1.2.1.2.2.1.2.10", "1.3.6.1.2.1.2.2.1.2.9"], False),
        ("1.3.6.1.2.1.2.2.1.2.9", ["1.3.6.1.2.1.2.2.1.2.9.1"], True),  # a longer OID is after
        ("1.3.6.1.2.1.2.2.1.2.10", ["1.3.6.1.2.1.2.2.1.2.9"], False),  # 9 < 10 (not as text)
        ("1.3.6.1.2.1.2.2.1.3.1", ["1.3.6.1.2.1.2.2.1.2.5"], False),  # another column, before
    ],
)
def test_not_after_cases(request_oid: str, keys: list[str], ok: bool) -> None:
    if ok:
        not_after(request_oid, keys, "t")
    else:
        with pytest.raises(NonIncreasingOid):
            not_after(request_oid, keys, "t")


@pytest.mark.parametrize(
    ("text", "target", "shown"),
    [
        ("tcp://10.0.0.1", Target("10.0.0.1", 161, "tcp"), "tcp://10.0.0.1:161"),
        ("tcp://[::1]:1161", Target("::1", 1161, "tcp"), "tcp://[::1]:1161"),
        ("udp://10.0.0.1:1161", Target("10.0.0.1", 1161), "10.0.0.1:1161"),
        ("router-7", Target("router-7"), "router-7:161"),
    ],
)
def test_target_prefixes(text: str, target: Target, shown: str) -> None:
    assert Target.parse(text) == target
    assert str(target) == shown


def test_the_context_asked_for() -> None:
    v3 = Auth("v3", version=3, username="u", context_name="vrf-red")
    assert V3Context.asked(v3, "", "") == V3Context("vrf-red")
    assert V3Context.asked(v3, "vrf-blue", "80000002") == V3Context("vrf-blue", b"\x80\0\0\x02")
    assert V3Context.asked(Auth("v3", version=3, username="u"), "", "") == V3Context()
    assert V3Context.asked(Auth("v2"), "vrf-blue", "zz") == V3Context()  # no v2c context
    with pytest.raises(BadContext, match="not a hexadecimal"):
        V3Context.asked(v3, "", "8000zz")
    assert not needs_pysnmp(Target("h"), V3Context())
    assert needs_pysnmp(Target("h"), V3Context("vrf-red"))
    assert needs_pysnmp(Target("h", 161, "tcp"), V3Context())
