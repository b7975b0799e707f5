"""The scrape's own series written from a remembered template equal what the general
renderer writes of the same families, whatever the modules and their outcomes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from exporters.render import render
from exporters.snmp.engine import Counters
from exporters.snmp.scrape import ModuleResult, ScrapeResult, scrape_families, scrape_text

seconds = st.one_of(
    st.floats(min_value=0, max_value=1e4, allow_nan=False), st.sampled_from([0.0, 1.0, 2.5])
)
module = st.builds(
    ModuleResult,
    name=st.sampled_from(["if_mib", "system", "ip_mib", 'we"ird\\name', "sys_v3"]),
    success=st.booleans(),
    seconds=seconds,
    walk_seconds=seconds,
    pdus=st.integers(min_value=0, max_value=10**6),
    error_kind=st.sampled_from(["", "timeout", "deadline"]),
)
counters = st.builds(
    Counters,
    packets_sent=st.integers(0, 10**6),
    packets_received=st.integers(0, 10**6),
    retries=st.integers(0, 100),
    pdus=st.integers(0, 10**7),
)


@given(
    modules=st.lists(module, min_size=1, max_size=4),
    counters=counters,
    took=seconds,
    answered=st.booleans(),
)
def test_template_text_equals_rendered_families(
    modules: list[ModuleResult], counters: Counters, took: float, answered: bool
) -> None:
    result = ScrapeResult("127.0.0.1:161", modules, counters, took, answered)
    assert scrape_text(result) == render(scrape_families(result))
    assert scrape_text(result) == render(scrape_families(result))  # from the remembered shape
