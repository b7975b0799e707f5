"""The text kept per target (exporters/snmp/template.py) against collect + render, on every
``data/series`` case: filled with new PDUs it is exactly what collecting and rendering them
gives, or it refuses (None) and the scrape collects again. Never a stale label."""

from __future__ import annotations

import gc
import json
import tracemalloc
from pathlib import Path

import pytest

from exporters.render import Dedup, render
from exporters.snmp.config import Module, read_config
from exporters.snmp.engine import Counters
from exporters.snmp.scrape import ModuleResult, ScrapeResult, module_series, module_texts
from exporters.snmp.series import Pdus, Slot, Value, collect
from exporters.snmp.template import MAX_MISSES, ModuleText, Templates, build
from tests.exporters.test_snmp_series import CASES, decode, module_of


def case_of(path: Path) -> tuple[Module, dict[str, Value]]:
    case = json.loads(path.read_text(encoding="utf-8"))
    return module_of(case), {oid: decode(value) for oid, value in case["pdus"].items()}


def template_of(module: Module, pdus: Pdus) -> ModuleText:
    trace: dict[int, Slot] = {}
    return build(module, pdus, collect(module, pdus, trace), trace)


def moved(value: Value, step: int) -> Value:
    """Another value of the same type."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value + step
    if isinstance(value, float):
        return value + step / 4
    if isinstance(value, bytes):
        return value + b"\x01" if step % 2 else value[:-1] or b"x"
    return value + str(step % 10)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_a_kept_text_is_what_collect_and_render_give(path: Path) -> None:
    module, pdus = case_of(path)
    template = template_of(module, pdus)
    assert template.fill(pdus) == render(collect(module, pdus))
    # every number moved at once (counters and gauges between two scrapes): either the same
    # text as collecting again, or refused when a label would change
    for step in (1, 7, 1 << 53):
        numbers = {oid: moved(v, step) if isinstance(v, int) else v for oid, v in pdus.items()}
        filled = template.fill(numbers)
        assert filled is None or filled == render(collect(module, numbers))
    # one PDU changed at a time, whatever its type
    for oid in pdus:
        other = {**pdus, oid: moved(pdus[oid], 3)}
        filled = template.fill(other)
        assert filled is None or filled == render(collect(module, other)), oid


def test_numbers_fill_in_and_labels_refuse() -> None:
    module, pdus = case_of(next(p for p in CASES if p.stem == "if_mib_lookups"))
    template = template_of(module, pdus)
    counters = [o for o, v in pdus.items() if isinstance(v, int) and o.startswith("1.3.6.1.2.1.31")]
    names = [o for o, v in pdus.items() if isinstance(v, bytes)]
    assert counters and names
    assert template.fill({**pdus, counters[0]: 123456789}) is not None  # a counter moved
    assert template.fill({**pdus, names[0]: b"renamed"}) is None  # a label changed
    assert template.fill({k: v for k, v in pdus.items() if k != counters[0]}) is None
    assert template.fill({**pdus, "1.3.6.1.2.1.31.1.1.1.6.99": 5}) is None  # a new OID


def test_the_store_keeps_forgets_and_gives_up_on_changing_labels() -> None:
    module, pdus = case_of(next(p for p in CASES if p.stem == "if_mib_lookups"))
    names = [o for o, v in pdus.items() if isinstance(v, bytes)]
    store = Templates()
    assert store.fill("t", module, pdus) is None and store.wanted("t", module)
    store.keep("t", template_of(module, pdus))
    kept = store.fill("t", module, pdus)
    assert kept is not None and kept[0] == render(collect(module, pdus))
    assert store.fill("other", module, pdus) is None  # per target
    # a label that changes every scrape: after MAX_MISSES texts, the module is not kept
    for n in range(MAX_MISSES):
        changed = {**pdus, names[0]: f"name {n}".encode()}
        assert store.fill("t", module, changed) is None
        assert store.wanted("t", module)
        store.keep("t", template_of(module, changed))
    assert not store.wanted("t", module) and store.fill("t", module, pdus) is None
    store.clear()
    assert len(store) == 0 and store.wanted("t", module)
    full = Templates(max_bytes=1)
    full.keep("a", template_of(module, pdus))
    assert not full.wanted("b", module)  # no room: b is collected every time, not kept


TWO = """
modules:
  one:
    walk: [1.3.6.1.2.1.2.2.1.10]
    metrics:
    - {name: ifInOctets, oid: 1.3.6.1.2.1.2.2.1.10, type: counter,
       indexes: [{labelname: ifIndex, type: gauge}]}
  two:
    walk: [1.3.6.1.2.1.2.2.1.10, 1.3.6.1.2.1.2.2.1.16]
    metrics:
    - {name: ifInOctets, oid: 1.3.6.1.2.1.2.2.1.10, type: counter,
       indexes: [{labelname: ifIndex, type: gauge}]}
    - {name: ifOutOctets, oid: 1.3.6.1.2.1.2.2.1.16, type: counter,
       indexes: [{labelname: ifIndex, type: gauge}]}
"""


def test_modules_sharing_a_name_are_rendered_together_as_before() -> None:
    """``module=one,two`` where both have ifInOctets: one family, duplicates dropped, just
    as rendering every module's families together does."""
    config = read_config(TWO, "two.yml")
    pdus: dict[str, Value] = {"1.3.6.1.2.1.2.2.1.10.1": 10, "1.3.6.1.2.1.2.2.1.16.1": 20}
    store = Templates()
    expected = render([f for name in ("one", "two") for f in collect(config.modules[name], pdus)])
    for _ in range(2):  # the first scrape keeps the texts, the second fills them
        modules = []
        for name in ("one", "two"):
            result = ModuleResult(name, success=True)
            module_series(result, "t", config.modules[name], pdus, store)
            assert result.text
            modules.append(result)
        scrape = ScrapeResult("t", modules, Counters(), 0.0, True)
        texts = module_texts(scrape)
        assert texts == ""  # turned back into families
        dedup = Dedup()
        assert render([f for m in modules for f in m.families], dedup) == expected
        assert dedup.duplicates == 1


def test_modules_with_their_own_names_are_joined_as_text() -> None:
    config = read_config(TWO, "two.yml")
    pdus: dict[str, Value] = {"1.3.6.1.2.1.2.2.1.10.1": 10}
    store = Templates()
    result = ModuleResult("one", success=True)
    module_series(result, "t", config.modules["one"], pdus, store)
    texts = module_texts(ScrapeResult("t", [result], Counters(), 0.0, True))
    assert texts == render(collect(config.modules["one"], pdus))


def _fresh(value: Value) -> Value:
    """An equal value in an object of its own, as each scrape's decoding makes."""
    if isinstance(value, bytes):
        return bytes(bytearray(value))
    if isinstance(value, str):
        return "".join(list(value))
    if isinstance(value, float):
        return float(repr(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return int(str(value))
    return value


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_a_kept_text_s_estimated_size_is_what_it_holds(path: Path) -> None:
    """The store's bound in bytes bounds memory: the estimated size of 100 targets' texts
    is within 30 % of what tracemalloc counts them holding once the scrapes' PDUs are gone."""
    module, pdus = case_of(path)
    template_of(module, pdus)  # caches warmed: counted once per process, not per text
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        scrapes = [{oid: _fresh(v) for oid, v in pdus.items()} for _ in range(100)]
        kept = [template_of(module, p) for p in scrapes]
        del scrapes
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    estimated = sum(text.size for text in kept)
    assert 0.7 <= held / estimated <= 1.3, (held, estimated)
