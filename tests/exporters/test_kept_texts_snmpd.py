"""Kept texts (exporters/snmp/template.py) as a user of the exporter meets them: provnet's
exporter process against net-snmp's snmpd, whose ``pass`` script serves a table read from
a file on every request, so the test changes the device between scrapes. An unchanged
scrape is filled into the kept text (the self metric counts it) and gives the new numbers;
a renamed row, a new row and a removed row show on the very next scrape; a table whose
labels change on every scrape stops being kept (rendered every scrape, as without)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.exporters.snmpd import Snmpd, snmpd_binary
from tests.exporters.test_exporter_snmpd import Exporter, start_exporter, stop_exporter

pytestmark = pytest.mark.skipif(snmpd_binary() is None, reason="net-snmp snmpd not installed")

HOST = "127.64.4.1"  # this module's loopback addresses: 127.64.4.0/24
COMMUNITY = "kept-texts-test"
BASE = "1.3.6.1.4.1.9996.1"  # .1.<row>: the row's name, .2.<row>: its value

# An agent's table read from a file ("row name value" lines) on every request: snmpd's
# `pass` protocol, GET (-g) and GETNEXT (-n)
SCRIPT = f"""#!{sys.executable}
import sys
mode, asked = sys.argv[1], sys.argv[2]
rows = [line.split() for line in open(sys.argv[0] + ".rows") if line.strip()]
column = [(1, row, "string", name) for row, name, _ in rows]
column += [(2, row, "integer", value) for row, _, value in rows]
varbinds = sorted(
    (tuple(int(a) for a in "{BASE}".split(".")) + (c, int(r)), kind, value)
    for c, r, kind, value in column
)
wanted = tuple(int(a) for a in asked.strip(".").split("."))
for oid, kind, value in varbinds:
    if (mode == "-g" and oid == wanted) or (mode == "-n" and oid > wanted):
        print("." + ".".join(map(str, oid)), kind, value, sep="\\n")
        break
"""

CONFIG = f"""\
auths:
  v2:
    version: 2
    community: {COMMUNITY}
modules:
  things:
    walk: [{BASE}]
    metrics:
    - name: thingValue
      oid: {BASE}.2
      type: gauge
      help: A row's value
      indexes: [{{labelname: thingIndex, type: gauge}}]
      lookups:
      - labels: [thingIndex]
        labelname: thingName
        oid: {BASE}.1
        type: DisplayString
"""


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The agent's target, and the file its table is read from (the device's state)."""
    directory = tmp_path_factory.mktemp("snmpd")
    script = directory / "table.py"
    script.write_text(SCRIPT)
    script.chmod(0o755)
    table = directory / "table.py.rows"
    table.write_text("1 alpha 10\n2 beta 20\n")
    with Snmpd(
        directory, host=HOST, community=COMMUNITY, extra=(f"pass .{BASE} {script}",)
    ) as daemon:
        yield daemon.target, table


@pytest.fixture(scope="module")
def exporter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exporter]:
    running = start_exporter(tmp_path_factory.mktemp("exporter"), host=HOST, config_text=CONFIG)
    try:
        yield running
    finally:
        stop_exporter(running)


def things(exporter: Exporter, target: str) -> dict[tuple[str, str], float]:
    """thingValue by (thingIndex, thingName) of one scrape, which must have succeeded."""
    body = exporter.get(f"/snmp?target={target}&module=things&auth=v2")
    assert re.search(r'^provnet_snmp_module_success\{module="things"\} 1$', body, re.M), body
    assert body.count("# TYPE thingValue gauge") == 1, body
    return {
        (row, name): float(value)
        for row, name, value in re.findall(
            r'^thingValue\{thingIndex="(\d+)",thingName="([^"]*)"\} (\S+)$', body, re.M
        )
    }


def fills(exporter: Exporter) -> float:
    found = re.search(r"^provnet_snmp_kept_text_fills_total (\S+)$", exporter.get("/metrics"), re.M)
    assert found, "provnet_snmp_kept_text_fills_total not among the exporter's own metrics"
    return float(found[1])


def test_kept_texts_give_new_numbers_and_never_old_labels(
    exporter: Exporter, agent: tuple[str, Path]
) -> None:
    target, rows = agent
    rows.write_text("1 alpha 10\n2 beta 20\n")
    assert things(exporter, target) == {("1", "alpha"): 10, ("2", "beta"): 20}
    filled = fills(exporter)
    states = [  # (the device's table, whether its scrape fits the text kept from the last)
        ("1 alpha 11\n2 beta 21\n", True),  # numbers only
        ("1 alpha 12\n2 gamma 22\n", False),  # a label changed
        ("1 alpha 13\n2 gamma 23\n", True),
        ("1 alpha 14\n2 gamma 24\n3 delta 30\n", False),  # a new row
        ("1 alpha 15\n2 gamma 25\n3 delta 31\n", True),
        ("1 alpha 16\n3 delta 32\n", False),  # a row gone
        ("1 alpha 17\n3 delta 33\n", True),
    ]
    for table, fits in states:
        rows.write_text(table)
        expected = {(r, name): float(v) for r, name, v in map(str.split, table.splitlines())}
        assert things(exporter, target) == expected, table
        filled += fits
        assert fills(exporter) == filled, table


def test_a_label_that_changes_every_scrape_is_no_longer_kept(
    exporter: Exporter, agent: tuple[str, Path]
) -> None:
    target, rows = agent
    for n in range(5):
        rows.write_text(f"1 name{n} {n}\n")
        assert things(exporter, target) == {("1", f"name{n}"): n}
    filled = fills(exporter)
    rows.write_text("1 name4 5\n")  # unchanged now, but the module stopped being kept
    assert things(exporter, target) == {("1", "name4"): 5}
    assert fills(exporter) == filled
