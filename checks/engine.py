"""The audit engine: devices x controls -> results with evidence, waivers, scores (generic).

Which controls apply to a device is decided from the inventory (role, who manages it, site
kind, security level); the parameters come from a profile (``--profile``, or the profile
of the site's security level in the chosen regime); the configuration from a source
(:mod:`checks.sources`). A device the source cannot read gets an ``error`` result for
every control that needed its configuration, never a pass. Nothing here prints.
"""

from __future__ import annotations

import fnmatch
import gc
import ipaddress
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from operator import attrgetter
from typing import Any, Literal, Protocol

from checks.config import (
    FAILING,
    Compiled,
    ConfigView,
    DeviceFacts,
    Evidence,
    compiled,
    evaluate,
    evaluate_compiled,
    output_tree,
)
from checks.errors import SourceError
from checks.model import ConfigCheck, Control, QueryBound, Waiver
from checks.ruleset import ResolvedProfile, RuleSet
from inventory.loader import Inventory
from inventory.model import IPAddress
from inventory.resolve import DeviceView
from inventory.syslog import parse_syslog_target
from platforms import get_platform, network_platforms
from platforms.config import Network, Syntax, parse

Status = Literal["passed", "failed", "error", "skipped"]
# The province's shared infrastructure is level 3 (Decree 85/2016 art. 9.3): its coverage
# controls are judged under that level's profile unless --profile names another.
PROVINCE_LEVEL = 3
# InSpec's exit codes: all passed, a control failed, none failed but some skipped or errored.
EXIT_PASSED, EXIT_FAILED, EXIT_SKIPPED = 0, 100, 101


@dataclass(frozen=True)
class ConfigText:
    file: str  # where the auditor finds it (path in the backup repository)
    text: str


@dataclass(frozen=True)
class Unreadable:
    reason: str


class ConfigSource(Protocol):
    """Where configurations come from (a backup repository at one commit, the devices)."""

    def describe(self) -> dict[str, str]:
        """What the report names as its source: ``{"kind": "backups", "commit": ...}``."""
        ...

    def configs(self, devices: Sequence[DeviceView]) -> Mapping[str, ConfigText | Unreadable]:
        """Device name -> its configuration, or why it could not be read."""
        ...


@dataclass(frozen=True)
class ServerOutputs:
    file: str  # where the outputs were read (``ssh://host:port``)
    outputs: Mapping[str, str]  # command -> its output
    errors: Mapping[str, str] = field(default_factory=dict)  # command -> why it failed


class FactSource(Protocol):
    """Servers' state: read-only commands' outputs over SSH (pyinfra's facts)."""

    def outputs(
        self, servers: Sequence[DeviceView], commands: Sequence[str]
    ) -> Mapping[str, ServerOutputs | Unreadable]:
        """Server name -> the commands' outputs, or why the server could not be read."""
        ...


class MetricSource(Protocol):
    """Prometheus's HTTP API; every method raises ``SourceError`` when it cannot answer."""

    url: str

    def query(self, expr: str) -> list[tuple[dict[str, str], float]]: ...

    def retention_days(self) -> float: ...


@dataclass
class WaiverUse:
    waiver: Waiver
    index: int  # position in the waiver file (for the report)
    matched: int = 0


@dataclass(slots=True)
class Result:
    control: str
    device: str
    site: str
    commune_code: str  # "" for province-level sites
    commune_name: str
    profile: str
    status: Status
    evidence: list[Evidence] = field(default_factory=list)
    message: str = ""  # why an error or a skip
    file: str = ""
    waived: bool = False
    waiver: Waiver | None = None
    waiver_expired: bool = False

    @property
    def outcome(self) -> str:
        """The status after waivers: a failure under a valid waiver is ``waived``."""
        return "waived" if self.waived else self.status

    @property
    def findings(self) -> list[Evidence]:
        return [e for e in self.evidence if e.failing]


@dataclass
class Audit:
    results: list[Result]
    source: dict[str, str]
    profiles: dict[str, ResolvedProfile]  # used, by name
    regime: str
    excluded: list[tuple[str, str]]  # (device, why): not audited at all
    waivers: list[WaiverUse] = field(default_factory=list)
    today: date = field(default_factory=date.today)

    @property
    def exit_code(self) -> int:
        outcomes = {r.outcome for r in self.results}
        if "failed" in outcomes:
            return EXIT_FAILED
        if outcomes & {"error", "skipped"}:
            return EXIT_SKIPPED
        return EXIT_PASSED

    @property
    def unmatched_waivers(self) -> list[WaiverUse]:
        return [w for w in self.waivers if w.matched == 0]


# -- what applies -------------------------------------------------------------------------
def applies(control: Control, device: DeviceView) -> bool:
    scope = control.applies_to
    return (
        (scope.roles is None or device.role in scope.roles)
        and device.managed_by in scope.managed_by
        and (scope.site_kinds is None or device.site.kind in scope.site_kinds)
        and (scope.levels is None or device.site.security_level in scope.levels)
    )


def interfaces_of(defaults: Mapping[str, str], data: Mapping[str, Any]) -> dict[str, str]:
    """Interface purpose -> name: the platform's defaults, ``data.wan_interface`` (with
    ``data.wan_vlan``, a sub-interface) and ``data.lan_interface`` over them."""
    interfaces = dict(defaults)
    wan = data.get("wan_interface") or interfaces.get("wan")
    vlan = data.get("wan_vlan")
    if wan is not None:
        interfaces["wan"] = f"{wan}.{vlan}" if vlan else str(wan)
    if data.get("lan_interface"):
        interfaces["lan"] = str(data["lan_interface"])
    return interfaces


def device_facts(inventory: Inventory, device: DeviceView) -> DeviceFacts:
    """The inventory values configuration checks compare against."""
    defaults = get_platform(device.platform).interfaces_for(device.role.value)
    settings = inventory.settings
    return DeviceFacts(
        tuple(settings.ntp_servers),
        _syslog_targets(settings.syslog_servers, device),
        interfaces_of(defaults, device.data),
        management_prefixes(inventory),
    )


def _syslog_targets(targets: Iterable[str], device: DeviceView) -> tuple[str, ...]:
    """The syslog targets ``device`` should send to, as the baseline reads them: not itself
    (the SOC collector does not forward to itself: a target whose host is written as one of
    its management addresses prints)."""
    own = (device.mgmt_ipv4, device.mgmt_ipv6)
    out: list[str] = []
    for target in targets:
        if target not in _TARGETS:  # read once per process; a bad entry names the device
            host = parse_syslog_target(target, f"{device.name}: syslog_servers").host
            _TARGETS[target] = _host_address(host)
        # compared as addresses, not as printed: printing an IPv6 address costs more than
        # the rest of a device's facts
        address = _TARGETS[target]
        if address is None or address not in own:
            out.append(target)
    return tuple(out)


_TARGETS: dict[str, IPAddress | None] = {}  # syslog target -> the address its host prints


def _host_address(host: str) -> IPAddress | None:
    """The address ``host`` is the printed form of (None: a name, or an address written
    otherwise, which ``str()`` of no address equals)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return address if str(address) == host else None


INTERFACE_DATA = ("wan_interface", "wan_vlan", "lan_interface")  # what interfaces_of reads


def management_prefixes(inventory: Inventory) -> tuple[Network, ...]:
    return tuple(inventory.settings.management_prefixes)


def syntax_of(device: DeviceView) -> Syntax | None:
    platform = network_platforms().get(device.platform)
    return platform.syntax if platform is not None else None


def is_server(device: DeviceView) -> bool:
    """A host whose state is read as pyinfra reads it (not a network device's config)."""
    return device.platform is not None and get_platform(device.platform).pyinfra_target


# -- one control on one configuration (pure) -----------------------------------------------
def config_checks(control: Control, syntax: Syntax) -> tuple[Compiled, ...] | None:
    """``control``'s checks for ``syntax``, compiled (None: it has no rule for it)."""
    checks = control.config.get(syntax.name)
    return None if checks is None else tuple(map(compiled, checks))


def judge(
    control: Control,
    syntax: Syntax,
    view: ConfigView,
    params: Mapping[str, int | str],
) -> tuple[Status, list[Evidence], str]:
    """``control`` on one configuration (``view``: parsed once, shared by its controls)."""
    return judge_checks(config_checks(control, syntax), syntax, view, params)


def judge_checks(
    checks: Sequence[Compiled] | None,
    syntax: Syntax,
    view: ConfigView,
    params: Mapping[str, int | str],
) -> tuple[Status, list[Evidence], str]:
    """:func:`judge` with the control's checks compiled by the caller (once per run)."""
    if checks is None:
        return "skipped", [], f"no rule for configuration syntax '{syntax.name}'"
    evidence = evaluate_compiled(checks, view, params)
    for found in evidence:
        if found.kind in FAILING:
            return "failed", evidence, ""
    return "passed", evidence, ""


def judge_server(
    control: Control,
    read: ServerOutputs,
    params: Mapping[str, int | str],
    facts: DeviceFacts,
) -> tuple[Status, list[Evidence], str]:
    """A server control on the outputs of its commands (the lines numbered as printed)."""
    evidence: list[Evidence] = []
    for check in control.server:
        if check.command in read.errors:
            return "error", evidence, f"$ {check.command}: {read.errors[check.command]}"
        view = ConfigView(output_tree(read.outputs.get(check.command, "")), facts)
        found = evaluate([ConfigCheck(require=check.require, forbid=check.forbid)], view, params)
        evidence += [replace(e, section=f"$ {check.command}") for e in found]
    return ("failed" if any(e.failing for e in evidence) else "passed"), evidence, ""


def _bound(
    bound: float | str | QueryBound | None,
    params: Mapping[str, int | str],
    metrics: MetricSource,
) -> tuple[float, str] | None:
    if bound is None:
        return None
    if isinstance(bound, QueryBound):
        samples = metrics.query(bound.query)
        if not samples:
            raise SourceError(f"{metrics.url}: no sample for {bound.query}")
        return samples[0][1], bound.query
    if isinstance(bound, str):
        return float(params[bound]), f"{bound} {params[bound]}"
    return float(bound), f"{bound:g}"


def _sample_evidence(
    name: str,
    value: float,
    least: tuple[float, str] | None,
    most: tuple[float, str] | None,
    where: str,
) -> Evidence:
    text = f"{name} = {value:g}"
    if least is not None and value < least[0]:
        return Evidence("out_of_bounds", text, 0, where, f"{value:g} < {least[1]}")
    if most is not None and value > most[0]:
        return Evidence("out_of_bounds", text, 0, where, f"{value:g} > {most[1]}")
    return Evidence("matched", text, 0, where)


def judge_prometheus(
    control: Control, metrics: MetricSource, params: Mapping[str, int | str]
) -> tuple[Status, list[Evidence], str]:
    """A coverage control on Prometheus's answers; no sample or no answer is an error."""
    evidence: list[Evidence] = []
    try:
        for check in control.prometheus:
            least = _bound(check.at_least, params, metrics)
            most = _bound(check.at_most, params, metrics)
            if check.status == "retention_days":
                days = metrics.retention_days()
                where = f"{metrics.url}/api/v1/status/runtimeinfo"
                evidence.append(
                    _sample_evidence("storageRetention (days)", days, least, most, where)
                )
                continue
            assert check.query is not None
            samples = metrics.query(check.query)
            if not samples:
                return "error", evidence, f"{metrics.url}: no sample for {check.query}"
            for labels, value in samples:
                name = labels.get(check.label, "") if check.label else ""
                evidence.append(
                    _sample_evidence(name or check.query, value, least, most, check.query)
                )
    except SourceError as exc:
        return "error", evidence, str(exc)
    return ("failed" if any(e.failing for e in evidence) else "passed"), evidence, ""


def missing_parameters(control: Control, profile: ResolvedProfile) -> list[str]:
    return [p for p in control.parameters if p not in profile.parameters]


def parameter_values(profile: ResolvedProfile) -> dict[str, int | str]:
    return {name: p.value for name, p in profile.parameters.items()}


# -- the run ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """What an audit runs: the selected devices under their profiles."""

    rules: RuleSet
    regime: str
    profile: str | None  # None: each site's security level in ``regime``


def choose_profile(plan: Plan, device: DeviceView) -> ResolvedProfile | None:
    if plan.profile is not None:
        return plan.rules.resolve(plan.profile)
    return plan.rules.for_level(plan.regime, device.site.security_level)


def _result(device: DeviceView, control: Control, profile: str, status: Status) -> Result:
    return Result(
        control=control.id,
        device=device.name,
        site=device.site.id,
        commune_code=device.commune_code,
        commune_name=device.commune_name,
        profile=profile,
        status=status,
    )


def device_controls(rules: RuleSet, device: DeviceView) -> list[Control]:
    """The controls that judge ``device``: its configuration's, or a server's state."""
    kind = "server" if is_server(device) else "config"
    return [c for c in rules.controls if c.kind == kind and applies(c, device)]


class Prepared:
    """What depends only on the plan (rule set, profiles) and a device's traits, worked out
    once per run and not once per device: which controls apply, the profile and its values,
    the parameters a profile lacks."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._controls: dict[tuple[object, ...], list[Control]] = {}
        self._profiles: dict[int, ResolvedProfile | None] = {}
        self._params: dict[str, dict[str, int | str]] = {}
        self._missing: dict[tuple[str, str], list[str]] = {}
        self._facts: dict[tuple[object, ...], DeviceFacts] = {}
        self._checks: dict[tuple[str, str], tuple[Compiled, ...] | None] = {}

    def controls(self, device: DeviceView) -> list[Control]:
        site = device.site
        key = (device.role, device.managed_by, site.kind, site.security_level, device.platform)
        found = self._controls.get(key)
        if found is None:
            found = self._controls[key] = device_controls(self.plan.rules, device)
        return found

    def profile(self, device: DeviceView) -> ResolvedProfile | None:
        level = device.site.security_level
        if level not in self._profiles:
            self._profiles[level] = choose_profile(self.plan, device)
        return self._profiles[level]

    def params(self, profile: ResolvedProfile) -> dict[str, int | str]:
        found = self._params.get(profile.name)
        if found is None:
            found = self._params[profile.name] = parameter_values(profile)
        return found

    def facts(self, inventory: Inventory, device: DeviceView) -> DeviceFacts:
        """:func:`device_facts`, shared by the devices it is the same for."""
        data = device.data
        key = (
            device.platform,
            device.role,
            *(str(data.get(k)) for k in INTERFACE_DATA),
            _syslog_targets(inventory.settings.syslog_servers, device),
        )
        found = self._facts.get(key)
        if found is None:
            found = self._facts[key] = device_facts(inventory, device)
        return found

    def checks(self, control: Control, syntax: Syntax) -> tuple[Compiled, ...] | None:
        key = (control.id, syntax.name)
        if key not in self._checks:
            self._checks[key] = config_checks(control, syntax)
        return self._checks[key]

    def missing(self, control: Control, profile: ResolvedProfile) -> list[str]:
        key = (control.id, profile.name)
        found = self._missing.get(key)
        if found is None:
            found = self._missing[key] = missing_parameters(control, profile)
        return found


def audit_device(
    plan: Plan,
    inventory: Inventory,
    device: DeviceView,
    config: ConfigText | ServerOutputs | Unreadable | None,
    profiles: dict[str, ResolvedProfile],
    prepared: Prepared | None = None,
) -> list[Result]:
    prepared = prepared or Prepared(plan)
    controls = prepared.controls(device)
    if not controls:
        return []
    profile = prepared.profile(device)
    name = profile.name if profile else ""
    if profile is None:
        reason = f"no profile for security level {device.site.security_level} in {plan.regime}"
        return [_error(device, c, name, reason) for c in controls]
    profiles[profile.name] = profile
    syntax = syntax_of(device)
    facts = prepared.facts(inventory, device)
    view = None
    if syntax is not None and isinstance(config, ConfigText):
        view = ConfigView(parse(config.text, syntax), facts, syntax.acl)
    params = prepared.params(profile)
    out: list[Result] = []
    site, commune_code, commune_name = device.site.id, device.commune_code, device.commune_name
    for control in controls:
        result = Result(control.id, device.name, site, commune_code, commune_name, name, "skipped")
        missing = prepared.missing(control, profile)
        if missing:
            result.message = f"profile {name} does not set {', '.join(missing)}"
        elif isinstance(config, ServerOutputs):
            result.file = config.file
            result.status, result.evidence, result.message = judge_server(
                control, config, params, facts
            )
        elif syntax is None and not is_server(device):
            result.message = f"provnet cannot read {device.platform} configurations"
        elif not isinstance(config, ConfigText) or syntax is None:
            result.status = "error"  # a server with nothing read also lands here
            result.message = (
                config.reason if isinstance(config, Unreadable) else "nothing from the source"
            )
        else:
            assert view is not None
            result.file = config.file
            result.status, result.evidence, result.message = judge_checks(
                prepared.checks(control, syntax), syntax, view, params
            )
        out.append(result)
    return out


def _error(device: DeviceView, control: Control, profile: str, reason: str) -> Result:
    result = _result(device, control, profile, "error")
    result.message = reason
    return result


def audit_coverage(
    plan: Plan, inventory: Inventory, metrics: MetricSource, profiles: dict[str, ResolvedProfile]
) -> list[Result]:
    """The province's coverage controls, one result each, from Prometheus."""
    controls = [c for c in plan.rules.controls if c.kind == "prometheus"]
    if not controls:
        return []
    profile = (
        plan.rules.resolve(plan.profile)
        if plan.profile is not None
        else plan.rules.for_level(plan.regime, PROVINCE_LEVEL)
    )
    name = profile.name if profile else ""
    subject = inventory.settings.province.codename
    out: list[Result] = []
    for control in controls:
        result = Result(control.id, subject, "", "", "", name, "skipped", file=metrics.url)
        if profile is None:
            result.status = "error"
            result.message = f"no profile for level {PROVINCE_LEVEL} in {plan.regime}"
        elif missing := missing_parameters(control, profile):
            result.message = f"profile {name} does not set {', '.join(missing)}"
        else:
            profiles[profile.name] = profile
            result.status, result.evidence, result.message = judge_prometheus(
                control, metrics, parameter_values(profile)
            )
        out.append(result)
    return out


def run_audit(
    plan: Plan,
    inventory: Inventory,
    devices: Sequence[DeviceView],
    source: ConfigSource,
    *,
    servers: FactSource | None = None,
    metrics: MetricSource | None = None,
    waivers: Sequence[Waiver] = (),
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> Audit:
    """Every applicable control on every device of ``devices``, waivers applied.

    Servers are audited only with a ``servers`` source (else listed as excluded), the
    province's coverage only with a ``metrics`` source (Prometheus)."""
    excluded = [(d.name, "telco") for d in devices if d.monitor_only]
    prepared = Prepared(plan)
    wanted = [d for d in devices if prepared.controls(d)]
    networked = [d for d in wanted if not is_server(d)]
    hosts = [d for d in wanted if is_server(d)]
    read: dict[str, ConfigText | ServerOutputs | Unreadable] = dict(source.configs(networked))
    described = source.describe()
    if servers is None:
        excluded += [(d.name, "server: --source live") for d in hosts]
        hosts = []
    elif hosts:
        commands = sorted({k.command for c in plan.rules.controls for k in c.server})
        read.update(servers.outputs(hosts, commands))
        described = {**described, "servers": "ssh"}
    profiles: dict[str, ResolvedProfile] = {}
    results: list[Result] = []
    with collector_paused():
        for device in [*networked, *hosts]:
            results += audit_device(
                plan, inventory, device, read.get(device.name), profiles, prepared
            )
            if progress:
                progress(1)
    if metrics is not None:
        results += audit_coverage(plan, inventory, metrics, profiles)
        described = {**described, "prometheus": metrics.url}
    audit = Audit(results, described, profiles, plan.regime, excluded)
    audit.today = today or date.today()
    audit.waivers = apply_waivers(audit.results, waivers, audit.today)
    return audit


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while the audit builds its trees, results and
    evidence: a hundred objects a configuration, none in a cycle (reference counting frees
    them), which made the collector run every few devices and walk the whole heap (the
    inventory, the rule set) now and then: 5% of an audit. Cycles made meanwhile wait for
    its next pass."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# -- waivers --------------------------------------------------------------------------------
def apply_waivers(
    results: Iterable[Result], waivers: Sequence[Waiver], today: date
) -> list[WaiverUse]:
    """Mark failures a waiver covers (first matching waiver wins); count every waiver's
    matches so that one matching nothing can be listed. A waiver expires at 00:00 on its
    ``expiration_date``: from that day the failure counts again, and says so."""
    uses = [WaiverUse(w, i) for i, w in enumerate(waivers)]
    for result in results:
        for use in uses:
            waiver = use.waiver
            if waiver.control != result.control or not fnmatch.fnmatchcase(
                result.device, waiver.devices
            ):
                continue
            use.matched += 1
            if result.status == "failed" and result.waiver is None:
                result.waiver = waiver
                expired = waiver.expiration_date is not None and today >= waiver.expiration_date
                result.waiver_expired = expired
                result.waived = not expired
    return uses


# -- scores ---------------------------------------------------------------------------------
@dataclass
class Score:
    passed: int = 0
    failed: int = 0  # before waivers: every failure
    waived: int = 0
    error: int = 0
    skipped: int = 0

    def add(self, result: Result) -> None:
        self.count(result.status, result.waived)

    def count(self, status: Status, waived: bool, times: int = 1) -> None:
        """``times`` results of ``status`` (``waived``: failures a waiver covers)."""
        if status == "passed":
            self.passed += times
        elif status == "failed":
            self.failed += times
            self.waived += times * waived
        elif status == "error":
            self.error += times
        else:
            self.skipped += times

    @property
    def before(self) -> float | None:
        """passed / (passed + failed + error); not applicable and skipped left out."""
        total = self.passed + self.failed + self.error
        return self.passed / total if total else None

    @property
    def after(self) -> float | None:
        """The same with waived failures counted apart (out of the ratio)."""
        total = self.passed + self.failed - self.waived + self.error
        return self.passed / total if total else None


def scores(results: Iterable[Result]) -> dict[str, dict[str, Score]]:
    """Scores by ``province`` (key ``""``), ``commune`` (code; province-level sites under
    ``""``) and ``site``."""
    out: dict[str, dict[str, Score]] = {"province": {}, "commune": {}, "site": {}}
    # counted first (in C) by what a score depends on: a province has 100,000 results
    counted = Counter(map(attrgetter("commune_code", "site", "status", "waived"), results))
    for (commune, site, status, waived), times in counted.items():
        for level, key in (("province", ""), ("commune", commune), ("site", site)):
            out[level].setdefault(key, Score()).count(status, waived, times)
    return out
