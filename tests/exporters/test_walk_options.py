"""snmp_exporter's per-module walk options against net-snmp's snmpd, whose ``pass``
script stands for an agent that answers an OID before the one asked for:
``allow_nonincreasing_oids`` (and its absence), and ``use_unconnected_udp_socket``, which
provnet refuses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from exporters.snmp.config import Auth, Index, Metric, Module, WalkParams, read_config
from exporters.snmp.engine import SessionPool, Target
from exporters.snmp.scrape import ModuleResult, scrape
from inventory.secrets import Secret
from tests.exporters.snmpd import Snmpd, snmpd_binary

pytestmark = pytest.mark.skipif(snmpd_binary() is None, reason="net-snmp snmpd not installed")

HOST = "127.64.2.1"  # this module's loopback addresses: 127.64.2.0/24
COMMUNITY = "walk-options-test"
BASE = "1.3.6.1.4.1.9999"
# GETNEXT answers of a misbehaving agent: .1.2, then back to .1.1, then .2.1, then the end
SCRIPT = f"""#!/bin/sh
[ "$1" = "-n" ] || exit 0
case "$2" in
  .{BASE}) next=.{BASE}.1.2 ;;
  .{BASE}.1.2) next=.{BASE}.1.1 ;;
  .{BASE}.1.1) next=.{BASE}.2.1 ;;
  *) exit 0 ;;
esac
printf '%s\\ninteger\\n7\\n' "$next"
"""
BACK_IN_BATCH = "1.3.6.1.4.1.9998"
# An agent whose second GETBULK answer (after .1.3, at 2 repetitions) is .1.4 then .1.1: the
# answer's first varbind is after the request's OID, its second is not (gosnmp's check
# compares every varbind of an answer with the request's OID)
SCRIPT_IN_BATCH = f"""#!/bin/sh
[ "$1" = "-n" ] || exit 0
case "$2" in
  .{BACK_IN_BATCH}) next=.{BACK_IN_BATCH}.1.2 ;;
  .{BACK_IN_BATCH}.1.2) next=.{BACK_IN_BATCH}.1.3 ;;
  .{BACK_IN_BATCH}.1.3) next=.{BACK_IN_BATCH}.1.4 ;;
  .{BACK_IN_BATCH}.1.4) next=.{BACK_IN_BATCH}.1.1 ;;
  .{BACK_IN_BATCH}.1.1) next=.{BACK_IN_BATCH}.2.1 ;;
  *) exit 0 ;;
esac
printf '%s\\ninteger\\n7\\n' "$next"
"""


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpd]:
    directory = tmp_path_factory.mktemp("snmpd")
    script = directory / "backwards.sh"
    script.write_text(SCRIPT)
    in_batch = directory / "back-in-batch.sh"
    in_batch.write_text(SCRIPT_IN_BATCH)
    for path in (script, in_batch):
        path.chmod(0o755)
    passes = (f"pass .{BASE} {script}", f"pass .{BACK_IN_BATCH} {in_batch}")
    with Snmpd(directory, host=HOST, community=COMMUNITY, extra=passes) as daemon:
        yield daemon


def scrape_module(snmpd: Snmpd, params: WalkParams, base: str = BASE) -> ModuleResult:
    metric = Metric("thing", base, "gauge", indexes=(Index("a", "gauge"), Index("b", "gauge")))
    module = Module("backwards", walk=(base,), metrics=(metric,), params=params)
    auth = Auth("v2", community=Secret(COMMUNITY))

    async def main() -> ModuleResult:
        target = Target.parse(snmpd.target)
        deadline = time.monotonic() + 10
        result = await scrape(target, auth, [(module, None)], {}, SessionPool(), deadline)
        return result.modules[0]

    return asyncio.run(main())


@pytest.mark.parametrize("repetitions", [0, 1], ids=["getnext", "getbulk"])
def test_an_oid_that_goes_back_fails_the_module_as_gosnmp(snmpd: Snmpd, repetitions: int) -> None:
    result = scrape_module(snmpd, WalkParams(max_repetitions=repetitions, timeout=2, retries=0))
    assert not result.success
    assert result.error_kind == "snmp"


@pytest.mark.parametrize("repetitions", [0, 1], ids=["getnext", "getbulk"])
def test_allow_nonincreasing_oids_reads_the_walk_through(snmpd: Snmpd, repetitions: int) -> None:
    params = WalkParams(
        max_repetitions=repetitions, timeout=2, retries=0, allow_nonincreasing_oids=True
    )
    result = scrape_module(snmpd, params)
    assert result.success, result.error_kind
    (family,) = result.families
    assert sorted(dict(s.labels)["a"] + "." + dict(s.labels)["b"] for s in family.samples) == [
        "1.1",
        "1.2",
        "2.1",
    ]


@pytest.mark.parametrize("lenient", [False, True], ids=["checked", "allowed"])
def test_every_varbind_of_a_getbulk_answer_is_checked(snmpd: Snmpd, lenient: bool) -> None:
    """Not only an answer's first varbind: .1.1 after a request for what follows .1.3 fails
    the walk (as in snmp_exporter), unless the module allows non-increasing OIDs."""
    params = WalkParams(max_repetitions=2, timeout=2, retries=0, allow_nonincreasing_oids=lenient)
    result = scrape_module(snmpd, params, BACK_IN_BATCH)
    if not lenient:
        assert (result.success, result.error_kind) == (False, "snmp")
        return
    assert result.success, result.error_kind
    (family,) = result.families
    indexes = sorted(dict(s.labels)["a"] + "." + dict(s.labels)["b"] for s in family.samples)
    assert indexes == ["1.1", "1.2", "1.3", "1.4", "2.1"]


def test_the_options_are_read_from_the_file() -> None:
    text = (
        "modules:\n  lenient:\n    walk: [1.3.6]\n    allow_nonincreasing_oids: true\n"
        "  unconnected:\n    walk: [1.3.6]\n    use_unconnected_udp_socket: true\n"
    )
    config = read_config(text, "snmp.yml")
    assert config.modules["lenient"].params.allow_nonincreasing_oids
    assert "use_unconnected_udp_socket: true is not supported" in config.refused["unconnected"]
