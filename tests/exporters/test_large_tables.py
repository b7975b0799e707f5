"""Tables whose GETBULK replies would outgrow what the SNMP library decodes (gufo-snmp reads
a reply into 4,080 bytes), against net-snmp's snmpd serving a table of long strings (the
lines of a file, through ``extend``): every scrape of several in a row gives the whole
table; the first recovers within the scrape, the next ones ask for replies that fit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from exporters.snmp.config import Auth, Index, Metric, Module, WalkParams
from exporters.snmp.engine import SessionPool, Target
from exporters.snmp.scrape import ScrapeResult, scrape
from inventory.secrets import Secret
from tests.exporters.snmpd import Snmpd, snmpd_binary

pytestmark = pytest.mark.skipif(snmpd_binary() is None, reason="net-snmp snmpd not installed")

HOST = "127.64.0.1"  # this module's loopback addresses: 127.64.0.0/24
COMMUNITY = "large-table-test"
LINES = [f"line {n:04d} " + "x" * (90 + n * 37 % 160) for n in range(1, 401)]
OUT_LINE = "1.3.6.1.4.1.8072.1.3.2.4.1.2"  # NET-SNMP-EXTEND-MIB nsExtendOutLine
TOKEN = "long"
TOKEN_ARCS = ".".join(str(b) for b in [len(TOKEN), *TOKEN.encode()])
METRIC = Metric(
    "nsExtendOutLine",
    OUT_LINE,
    "DisplayString",
    indexes=(Index("nsExtendToken", "DisplayString"), Index("nsExtendLineIndex", "Integer32")),
)


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpd]:
    directory = tmp_path_factory.mktemp("snmpd")
    lines = directory / "lines.txt"
    lines.write_text("".join(line + "\n" for line in LINES))
    extend = f"extend {TOKEN} /bin/cat {lines}"
    with Snmpd(directory, host=HOST, community=COMMUNITY, extra=(extend,)) as daemon:
        yield daemon


def three_scrapes(snmpd: Snmpd, module: Module) -> list[ScrapeResult]:
    pool = SessionPool()
    auth = Auth("v2", community=Secret(COMMUNITY))

    async def main() -> list[ScrapeResult]:
        return [
            await scrape(
                Target.parse(snmpd.target), auth, [(module, None)], {}, pool, time.monotonic() + 10
            )
            for _ in range(3)
        ]

    return asyncio.run(main())


def lines_of(scraped: ScrapeResult) -> list[str]:
    (result,) = scraped.modules
    assert result.success, result.error_kind
    (family,) = result.families
    by_index = {dict(s.labels)["nsExtendLineIndex"]: dict(s.labels) for s in family.samples}
    return [by_index[str(n)]["nsExtendOutLine"] for n in range(1, len(by_index) + 1)]


@pytest.mark.parametrize(
    "params",
    [
        WalkParams(max_repetitions=50),  # set by the module: kept, but bounded by bytes
        WalkParams(walk_repetitions=50),  # the default: learnt from the table's size
    ],
    ids=["module-max-repetitions", "learnt-repetitions"],
)
def test_a_table_of_long_strings_is_whole_on_every_scrape(snmpd: Snmpd, params: WalkParams) -> None:
    module = Module("extend", walk=(OUT_LINE,), metrics=(METRIC,), params=params)
    results = three_scrapes(snmpd, module)  # a fresh pool: the first scrape knows nothing
    for result in results:
        assert lines_of(result) == LINES
    first, *later = results
    # 50 of these lines are ~7 KB: the first scrape's first reply could not be decoded
    # and the walk started again with fewer repetitions, in the same scrape
    assert first.counters.retries >= 1
    for result in later:  # then every request asks for what fits in one decodable reply
        assert result.counters.retries == 0
        assert result.counters.packets_sent < 2 * len(LINES) * 200 // 4000


def test_a_get_of_long_values_is_split_until_the_replies_fit(snmpd: Snmpd) -> None:
    oids = tuple(f"{OUT_LINE}.{TOKEN_ARCS}.{n}" for n in range(1, 41))
    module = Module("get", get=oids, metrics=(METRIC,), params=WalkParams(max_repetitions=40))
    for result in three_scrapes(snmpd, module):
        assert lines_of(result) == LINES[:40]
        assert result.counters.retries >= 1
