"""Modules of snmp_exporter's own generated ``snmp.yml`` against net-snmp's snmpd: values
snmp_exporter reads as numbers (Opaque Float, UCD ``laLoadFloat``) and dynamic filters."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from exporters.module import MetricFamily
from exporters.snmp.config import Auth, DynamicFilter, Index, Metric, Module
from exporters.snmp.engine import SessionPool, Target
from exporters.snmp.scrape import filtered_requests, scrape
from inventory.secrets import Secret
from tests.exporters.snmpd import Snmpd, snmpd_binary
from tests.exporters.upstream import upstream_config

pytestmark = pytest.mark.skipif(snmpd_binary() is None, reason="net-snmp snmpd not installed")

HOST = "127.64.1.1"  # this module's loopback addresses: 127.64.1.0/24
COMMUNITY = "upstream-modules-test"
LA_NAMES = "1.3.6.1.4.1.2021.10.1.2"
LA_LOAD = "1.3.6.1.4.1.2021.10.1.3"


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpd]:
    with Snmpd(tmp_path_factory.mktemp("snmpd"), host=HOST, community=COMMUNITY) as daemon:
        yield daemon


def scrape_one(snmpd: Snmpd, module: Module) -> list[MetricFamily]:
    auth = Auth("v2", community=Secret(COMMUNITY))

    async def main() -> list[MetricFamily]:
        result = await scrape(
            Target.parse(snmpd.target),
            auth,
            [(module, None)],
            {},
            SessionPool(),
            time.monotonic() + 10,
        )
        (done,) = result.modules
        assert done.success, done.error_kind
        return done.families

    return asyncio.run(main())


def samples(families: list[MetricFamily], name: str) -> dict[str, float]:
    """A family's samples by their ``laNames`` label (the generated module drops laIndex)."""
    (family,) = [f for f in families if f.name == name]
    return {dict(s.labels)["laNames"]: s.value for s in family.samples}


def test_opaque_float_load_averages_are_numbers(snmpd: Snmpd) -> None:
    """UCD ``laLoadFloat`` is an Opaque-wrapped float: the same load as ``laLoadInt`` / 100
    (both read in one walk), never the 0 an unread Opaque gives."""
    module = upstream_config("v0.30.1").modules["ucd_la_table"]
    families = scrape_one(snmpd, module)
    floats = samples(families, "laLoadFloat")
    ints = samples(families, "laLoadInt")
    assert sorted(floats) == ["Load-1", "Load-15", "Load-5"]
    if not any(ints.values()):
        pytest.skip("the load average is 0 here: laLoadFloat 0 would prove nothing")
    for index, number in floats.items():
        assert abs(number - ints[index] / 100) <= 0.011, (index, number, ints[index])


def test_a_dynamic_filter_reads_only_the_matching_rows(snmpd: Snmpd) -> None:
    """snmp_exporter's ``filters``: walk laNames, read laLoad only where the name matches
    (by GET of that instance); the filter's own walk makes no series."""
    la_load = Metric("laLoad", LA_LOAD, "DisplayString", indexes=(Index("laIndex", "gauge"),))
    module = Module(
        "filtered",
        walk=(LA_LOAD,),
        metrics=(la_load,),
        filters=(DynamicFilter(LA_NAMES, (LA_LOAD,), (re.compile("-5$"),)),),
    )
    families = scrape_one(snmpd, module)
    (family,) = families
    assert [dict(s.labels)["laIndex"] for s in family.samples] == ["2"]
    unfiltered = scrape_one(snmpd, replace(module, filters=()))
    assert sorted(dict(s.labels)["laIndex"] for s in unfiltered[0].samples) == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("walked", "gets", "walks"),
    [
        # a failed filter walk filters nothing
        ({LA_NAMES: None}, ["1.3.6.1.2.1.1.5.0"], [LA_LOAD, "1.3.6.1.2.1.2"]),
        # no row matches: the target is neither walked nor read
        ({LA_NAMES: {f"{LA_NAMES}.1": b"Load-1"}}, ["1.3.6.1.2.1.1.5.0"], ["1.3.6.1.2.1.2"]),
        (
            {LA_NAMES: {f"{LA_NAMES}.1": b"Load-1", f"{LA_NAMES}.2": b"Load-5"}},
            ["1.3.6.1.2.1.1.5.0", f"{LA_LOAD}.2"],
            ["1.3.6.1.2.1.2"],
        ),
    ],
    ids=["failed-walk", "nothing-matches", "one-row"],
)
def test_filtered_requests(
    walked: dict[str, dict[str, bytes] | None], gets: list[str], walks: list[str]
) -> None:
    dynamic = DynamicFilter(LA_NAMES, (LA_LOAD,), (re.compile("-5$"),))
    got = filtered_requests(["1.3.6.1.2.1.1.5.0"], [LA_LOAD, "1.3.6.1.2.1.2"], [dynamic], walked)
    assert got == (gets, walks)
