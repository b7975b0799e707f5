"""One scrape of one target: every requested SNMP module, each with its own success and
duration, within the request's deadline. A module that fails gives ``success 0`` and the
rest of the scrape stands; nothing here raises for a target's fault."""

from __future__ import annotations

import asyncio
import logging
import math
import operator
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from exporters.module import MetricFamily, Sample
from exporters.render import format_value, render
from exporters.snmp.builtin import Builtin
from exporters.snmp.config import Auth, DynamicFilter, Module, WalkParams
from exporters.snmp.engine import (
    NO_CONTEXT,
    Client,
    Counters,
    SessionPool,
    SnmpClient,
    Target,
    V3Context,
    WalkShape,
    bounded_repetitions,
    error_kind,
    needs_pysnmp,
)
from exporters.snmp.series import Pdus, Slot, Value, collect, value_as_string
from exporters.snmp.template import Templates, build
from provnet.errors import NOT_CONTAINED

log = logging.getLogger("provnet.exporter")


@dataclass
class ModuleResult:
    name: str
    families: list[MetricFamily] = field(default_factory=list)
    text: str = ""
    """The module's own series as text, filled into the text kept from an earlier scrape
    (:mod:`exporters.snmp.template`); ``families`` then holds only its derived ones."""
    text_names: frozenset[str] = frozenset()
    text_dedup: tuple[int, int] = (0, 0)
    """Duplicates and type clashes dropped from ``text``."""
    expand: Callable[[], list[MetricFamily]] | None = None
    """The families ``text`` was made of, collected again (when its names meet others')."""
    success: bool = False
    seconds: float = 0.0
    error_kind: str = ""
    walk_seconds: float = 0.0
    pdus: int = 0
    packets_sent: int = 0
    packets_retried: int = 0
    filled: bool = False
    """Whether ``text`` was filled into the text kept from the target's last scrape."""


@dataclass
class ScrapeResult:
    target: str
    modules: list[ModuleResult]
    counters: Counters
    seconds: float
    answered: bool


def _requests(module: Module, builtin: Builtin | None) -> tuple[list[str], list[str]]:
    """GET and walk OIDs of a module, plus what its built-in's derived metrics read."""
    gets = list(dict.fromkeys([*module.get, *(builtin.needs_get if builtin else ())]))
    walks = list(module.walk)
    if builtin is not None:
        covered = tuple(w + "." for w in walks)
        walks += [w for w in builtin.needs_walk if w not in walks and not w.startswith(covered)]
    return gets, walks


async def fetch(client: SnmpClient, module: Module, builtin: Builtin | None) -> dict[str, Value]:
    """Every PDU the module asks for (snmp_exporter's ScrapeTarget): GETs in PDUs of
    ``max_repetitions`` varbinds (1 for v1), each subtree by GETBULK; the GETs and the
    walks run side by side, up to the client's ``parallel`` requests at once."""
    params = module.params
    client.timeout = params.timeout
    client.retries = params.retries
    gets, walks = _requests(module, builtin)
    if module.filters:
        gets, walks = filtered_requests(
            gets, walks, module.filters, await _walk_filters(client, module)
        )
    per_pdu = 1 if client.auth.version == 1 else max(1, params.max_repetitions)
    pdus: dict[str, Value] = {}
    jobs: list[Coroutine[Any, Any, object]] = [
        _sized_walk(client, subtree, params, pdus) for subtree in walks
    ]
    if gets:
        jobs.insert(0, _get_into(client, gets, per_pdu, pdus))
    if len(jobs) == 1:
        await jobs[0]
    elif jobs:
        await _all(jobs)
    return pdus


MAX_LEARNED_REPETITIONS = 100
"""The most varbinds asked for in one GETBULK sized from an earlier walk."""


def walk_repetitions(
    default: int, last_size: int | None, cap: int = MAX_LEARNED_REPETITIONS
) -> int:
    """GETBULK max-repetitions for a walk whose last complete run gave ``last_size``
    varbinds: the fewest packets of ``cap`` at most that hold them and the one varbind
    past the subtree that ends the walk, spread evenly so the last packet reads little
    past the subtree (an agent's cost is per varbind, and past a table there may be an
    expensive one). ``default`` without a size. Any value walks the same varbinds."""
    if last_size is None or cap < 1:
        return default
    wanted = last_size + 1
    packets = -(-wanted // cap)
    return -(-wanted // packets)


def repetitions_for(
    params: WalkParams, shape: WalkShape | None, budget: int, cap: int = MAX_LEARNED_REPETITIONS
) -> int:
    """GETBULK max-repetitions of a walk whose last complete run had ``shape``: the module's
    ``max_repetitions`` (or, when it leaves it to the default, :func:`walk_repetitions`),
    never more than varbinds of the size seen fit in ``budget`` bytes of one reply. 0 (GETNEXT)
    stays 0."""
    if params.walk_repetitions is None:
        wanted = params.max_repetitions
        if wanted <= 0 or shape is None:
            return wanted
        return bounded_repetitions(wanted, shape.varbind_bytes, budget)
    if shape is None:
        return params.walk_repetitions
    cap = bounded_repetitions(cap, shape.varbind_bytes, budget)
    return walk_repetitions(params.walk_repetitions, shape.count, cap)


async def _sized_walk(
    client: SnmpClient, subtree: str, params: WalkParams, into: dict[str, Value]
) -> None:
    """A walk sized by the subtree's last walk on this target (a table seldom changes
    size between scrapes; when it does, the walk just takes another packet or reads a
    little further, and a reply too long to decode is asked for again in smaller ones)."""
    pool, target = client.pool, client.target
    shape = pool.walk_shape(target, subtree)
    repetitions = repetitions_for(params, shape, client.budget)
    shape = await client.walk(subtree, repetitions, into, params.allow_nonincreasing_oids)
    pool.remember_walk(target, subtree, shape)


def allowed_indices(dynamic: DynamicFilter, pdus: Pdus) -> list[str]:
    """The instances (last arc) of the filter's walk whose value, as text, matches one of
    its regexes (snmp_exporter's filterAllowedIndices)."""
    allowed = []
    for oid, value in pdus.items():
        text = value_as_string(value, "DisplayString")
        if any(regex.search(text) for regex in dynamic.values):
            allowed.append(oid.rpartition(".")[2])
    return allowed


def filtered_requests(
    gets: list[str],
    walks: list[str],
    filters: Sequence[DynamicFilter],
    walked: Mapping[str, Pdus | None],
) -> tuple[list[str], list[str]]:
    """GETs and walks once the dynamic filters are applied (snmp_exporter's ScrapeTarget):
    a filtered target is not walked; it is read by GET at the allowed instances only, those
    of every filter aiming at it (an AND). A filter whose walk failed (None) filters
    nothing."""
    allowed: dict[str, list[str]] = {}
    for dynamic in filters:
        pdus = walked.get(dynamic.oid)
        if pdus is None:
            continue
        indices = allowed_indices(dynamic, pdus)
        walks = [w for w in walks if w not in dynamic.targets]
        keep = set(indices)
        for target in dynamic.targets:
            if target in allowed:
                allowed[target] = [i for i in allowed[target] if i in keep]
            else:
                allowed[target] = indices
    for target, indices in allowed.items():
        gets = [g for g in gets if not g.startswith(target)]
        gets += [f"{target}.{index}" for index in indices]
    return gets, walks


async def _walk_filters(client: SnmpClient, module: Module) -> dict[str, Pdus | None]:
    """Each filter's OID walked (its varbinds are not series); None when the walk failed."""
    walked: dict[str, Pdus | None] = {}
    for dynamic in module.filters:
        pdus: dict[str, Value] = {}
        try:
            await client.walk(dynamic.oid, module.params.bulk_repetitions, pdus)
        except Exception as exc:  # snmp_exporter filters nothing then, and goes on
            log.info(
                "module %s on %s: filter walk of %s failed (%s), not filtering",
                module.name,
                client.target,
                dynamic.oid,
                error_kind(exc),
            )
            walked[dynamic.oid] = None
            continue
        walked[dynamic.oid] = pdus
    return walked


async def _get_into(
    client: SnmpClient, oids: list[str], per_pdu: int, into: dict[str, Value]
) -> None:
    into.update(await client.get(oids, per_pdu))


async def _all(jobs: Sequence[Coroutine[Any, Any, object]]) -> None:
    """Run every job; the first failure cancels the others and is raised."""
    try:
        async with asyncio.TaskGroup() as group:
            for job in jobs:
                group.create_task(job)
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None


def module_series(
    result: ModuleResult, target: str, module: Module, pdus: Pdus, templates: Templates | None
) -> None:
    """The module's own series into ``result``: as text from a kept template when ``pdus``
    fit it, else as families (and a template of them kept for the next scrape)."""
    if templates is None:
        result.families = collect(module, pdus)
        return
    kept = templates.fill(target, module, pdus)
    if kept is None:
        if not templates.wanted(target, module):
            result.families = collect(module, pdus)
            return
        trace: dict[int, Slot] = {}
        families = collect(module, pdus, trace)
        entry = build(module, pdus, families, trace)
        templates.keep(target, entry)
        text = entry.fill(pdus)
        if text is None:  # cannot happen: the text was made of these PDUs
            result.families = families
            return
    else:
        text, entry = kept
        result.filled = True
    result.text = text
    result.text_names = entry.names
    result.text_dedup = (entry.duplicates, entry.type_clashes)
    result.expand = lambda: collect(module, pdus)


async def scrape_module(
    client: SnmpClient,
    module: Module,
    builtin: Builtin | None,
    params: Mapping[str, str],
    templates: Templates | None = None,
) -> ModuleResult:
    result = ModuleResult(module.name)
    started = time.perf_counter()
    counters = client.counters
    before = counters.pdus
    sent_before, retried_before = counters.packets_sent, counters.retries
    try:
        pdus = await fetch(client, module, builtin)
        result.walk_seconds = time.perf_counter() - started
        module_series(result, str(client.target), module, pdus, templates)
        if builtin is not None:
            result.families.extend(builtin.derive(pdus, params))
        result.success = True
    except asyncio.CancelledError:
        raise
    except NOT_CONTAINED:
        raise
    except BaseException as exc:  # a native panic on a garbage reply too: a failed module
        result.error_kind = error_kind(exc)
        # The message names the target and module only; never the auth's values.
        log.info("module %s on %s failed: %s", module.name, client.target, result.error_kind)
    result.seconds = time.perf_counter() - started
    result.pdus = counters.pdus - before
    result.packets_sent = counters.packets_sent - sent_before
    result.packets_retried = counters.retries - retried_before
    return result


async def scrape(
    target: Target,
    auth: Auth,
    modules: Sequence[tuple[Module, Builtin | None]],
    params: Mapping[str, str],
    pool: SessionPool,
    deadline: float,
    parallel: int = 4,
    on_silence: Callable[[], None] | None = None,
    context: V3Context = NO_CONTEXT,
    templates: Templates | None = None,
) -> ScrapeResult:
    """Scrape ``modules`` one after the other, until ``deadline`` (``time.monotonic()``);
    a module cut by the deadline fails, earlier ones stand. Once a module found the target
    silent, the next ones are not tried (a dead target costs one module's timeout).
    ``on_silence`` is called once if a try times out before the target answered anything.
    A scrape in an SNMPv3 ``context`` or over TCP goes through pysnmp (:func:`needs_pysnmp`)."""
    started = time.perf_counter()
    counters = Counters()
    client: SnmpClient
    if needs_pysnmp(target, context):
        from exporters.snmp.pysnmp_client import PysnmpClient  # pysnmp loads in ~0.5 s

        client = PysnmpClient(
            target, auth, pool, counters, context, deadline=deadline, on_silence=on_silence
        )
    else:
        client = Client(
            target,
            auth,
            pool,
            counters,
            parallel=parallel,
            deadline=deadline,
            on_silence=on_silence,
        )
    results: list[ModuleResult] = []
    try:
        for module, builtin in modules:
            if deadline <= time.monotonic():
                results.append(ModuleResult(module.name, error_kind="deadline"))
                continue
            if results and not client.answered and results[-1].error_kind == "timeout":
                results.append(ModuleResult(module.name, error_kind="timeout"))
                continue
            # every request of the client ends by the deadline (no timer per module)
            result = await scrape_module(client, module, builtin, params, templates)
            if result.error_kind == "deadline":
                client.spoil()
            results.append(result)
    finally:
        client.close()
    return ScrapeResult(
        str(target), results, counters, time.perf_counter() - started, client.answered
    )


def module_texts(result: ScrapeResult) -> str:
    """The modules' series kept as text, in order; a module's text whose family names meet
    another's, or the scrape's own, is turned back into families (rendered together, so
    duplicates across modules are dropped as before)."""
    texts = [m for m in result.modules if m.text]
    if not texts:
        return ""
    names = {f.name for m in result.modules for f in m.families}
    names.update(META_NAMES)
    fits = True
    for module in texts:
        if not module.text_names.isdisjoint(names):
            fits = False
            break
        names.update(module.text_names)
    if fits:
        return "".join(m.text for m in texts)
    for module in texts:
        assert module.expand is not None
        module.families[:0] = module.expand()
        module.text, module.text_dedup, module.expand = "", (0, 0), None
    return ""


def scrape_families(result: ScrapeResult) -> list[MetricFamily]:
    """What a scrape says about itself, after the modules' series."""
    success = MetricFamily(
        "provnet_snmp_module_success", "gauge", "1 when the module was collected in full."
    )
    duration = MetricFamily(
        "provnet_snmp_module_duration_seconds", "gauge", "Time the module took (SNMP and series)."
    )
    legacy_walk = MetricFamily(
        "snmp_scrape_walk_duration_seconds", "gauge", "Time SNMP walk/bulkwalk took."
    )
    legacy_pdus = MetricFamily(
        "snmp_scrape_pdus_returned", "gauge", "PDUs returned from get, bulkget, and walk."
    )
    legacy_sent = MetricFamily(
        "snmp_scrape_packets_sent",
        "gauge",
        "Packets sent for get, bulkget, and walk; including retries.",
    )
    legacy_retried = MetricFamily(
        "snmp_scrape_packets_retried", "gauge", "Packets retried for get, bulkget, and walk."
    )
    legacy_duration = MetricFamily(
        "snmp_scrape_duration_seconds",
        "gauge",
        "Total SNMP time scrape took (walk and processing).",
    )
    for module in result.modules:
        labels = (("module", module.name),)
        success.samples.append(Sample(success.name, labels, 1.0 if module.success else 0.0))
        duration.samples.append(Sample(duration.name, labels, module.seconds))
        legacy_sent.samples.append(Sample(legacy_sent.name, labels, float(module.packets_sent)))
        legacy_retried.samples.append(
            Sample(legacy_retried.name, labels, float(module.packets_retried))
        )
        legacy_duration.samples.append(Sample(legacy_duration.name, labels, module.seconds))
        if module.success:
            legacy_walk.samples.append(Sample(legacy_walk.name, labels, module.walk_seconds))
            legacy_pdus.samples.append(Sample(legacy_pdus.name, labels, float(module.pdus)))
    counters = result.counters

    def scalar(name: str, help_text: str, value: float) -> MetricFamily:
        return MetricFamily(name, "gauge", help_text, [Sample(name, (), value)])

    return [
        success,
        duration,
        scalar(
            "provnet_snmp_up",
            "1 when the target answered anything in this scrape.",
            1.0 if result.answered else 0.0,
        ),
        scalar(
            "provnet_snmp_scrape_duration_seconds", "Time the whole scrape took.", result.seconds
        ),
        scalar(
            "provnet_snmp_pdus_returned",
            "PDUs returned by the target in this scrape.",
            float(counters.pdus),
        ),
        scalar(
            "provnet_snmp_packets_sent",
            "SNMP packets sent in this scrape, retries included.",
            float(counters.packets_sent),
        ),
        scalar(
            "provnet_snmp_packets_retried",
            "SNMP packets retried in this scrape.",
            float(counters.retries),
        ),
        legacy_walk,
        legacy_pdus,
        legacy_sent,
        legacy_retried,
        legacy_duration,
    ]


META_NAMES = frozenset(
    {
        "provnet_snmp_module_success",
        "provnet_snmp_module_duration_seconds",
        "provnet_snmp_up",
        "provnet_snmp_scrape_duration_seconds",
        "provnet_snmp_pdus_returned",
        "provnet_snmp_packets_sent",
        "provnet_snmp_packets_retried",
        "snmp_scrape_walk_duration_seconds",
        "snmp_scrape_pdus_returned",
        "snmp_scrape_packets_sent",
        "snmp_scrape_packets_retried",
        "snmp_scrape_duration_seconds",
    }
)
"""The names :func:`scrape_families` uses."""

_META_PREFIXES: dict[tuple[tuple[str, bool], ...], list[str]] = {}
MAX_META_SHAPES = 1024


def _seconds_text(value: float) -> str:
    """:func:`format_value` of a duration (a finite float, seldom a whole number)."""
    if value.__class__ is float and not value.is_integer() and abs(value) < math.inf:
        return repr(value)
    return format_value(value)


def _count_text(value: int) -> str:
    """:func:`format_value` of a count as a float (as the families hold it)."""
    return str(value) if 0 <= value < 10**15 else format_value(float(value))


def _meta_values(result: ScrapeResult) -> list[str]:
    """The values of :func:`scrape_families`' samples as text, in its order."""
    modules = result.modules
    counters = result.counters
    done = [m for m in modules if m.success]
    seconds = [_seconds_text(m.seconds) for m in modules]
    return [
        *["1" if m.success else "0" for m in modules],
        *seconds,
        "1" if result.answered else "0",
        _seconds_text(result.seconds),
        _count_text(counters.pdus),
        _count_text(counters.packets_sent),
        _count_text(counters.retries),
        *[_seconds_text(m.walk_seconds) for m in done],
        *[_count_text(m.pdus) for m in done],
        *[_count_text(m.packets_sent) for m in modules],
        *[_count_text(m.packets_retried) for m in modules],
        *seconds,
    ]


def scrape_text(result: ScrapeResult) -> str:
    """``render(scrape_families(result))`` from the text around its values, which depends
    only on the modules' names and successes and is built once for each such shape."""
    shape = tuple((m.name, m.success) for m in result.modules)
    prefixes = _META_PREFIXES.get(shape)
    if prefixes is None:
        if len({name for name, _ in shape}) < len(shape):  # the renderer drops repeats
            return render(scrape_families(result))
        if len(_META_PREFIXES) >= MAX_META_SHAPES:
            _META_PREFIXES.clear()
        prefixes = _META_PREFIXES[shape] = _prefixes(scrape_families(result))
    values = _meta_values(result)
    if len(values) != len(prefixes):
        raise ValueError("scrape_text: a template of another shape")
    return "".join(map(operator.add, prefixes, values)) + "\n"


def _prefixes(families: list[MetricFamily]) -> list[str]:
    """For each sample, the text before its value (its family's header before the first)."""
    out: list[str] = []
    for family in families:
        for n, sample in enumerate(family.samples):
            line = render([MetricFamily(family.name, family.type, family.help, [sample])])
            head, _, _ = line.rstrip("\n").rpartition(" ")
            if n:
                head = head.rpartition("\n")[2]
            out.append(("\n" if out else "") + head + " ")  # each line's end before the next
    return out
