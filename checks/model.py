"""The schema of the rules files (``checks/rules/*.yaml``) and of a waiver file, validated
once at load (pydantic); see docs/audit.md for a walk through one control.

A rules file may hold any of: ``documents`` (the legal texts, each marked confirmed or to
confirm), ``regimes`` (the set of texts in force together), ``profiles`` (a security level
under a regime: named parameters, each with its value, its basis and its status) and
``controls``. A control says what it applies to, its legal basis, which profile parameters
it reads, its remediation and what to match: per configuration syntax (``ios``, ``vrp``:
what the platform's ``NETWORK.syntax.name`` answers, so IOS XE shares IOS's rules), a list
of section checks with required and forbidden lines.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from inventory.model import ManagedBy, Role, SiteKind

Status = Literal["confirmed", "to_confirm"]
Severity = Literal["low", "medium", "high", "critical"]
Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]*$", max_length=63)]
ControlId = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$", max_length=40)]
ParameterName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=63)]
# A bound is a number written in the rule, or the name of a profile parameter.
Bound = int | ParameterName
# Inventory lists a required line may be repeated for (one line per value).
InventoryList = Literal["ntp_servers", "syslog_servers"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """Vietnamese first, English beside it."""

    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


class Document(Strict):
    number: str = Field(min_length=1)  # "85/2016/NĐ-CP"
    title: Text
    effective_from: date | None = None
    effective_to: date | None = None
    superseded_by: Id | None = None
    status: Status  # whether its text was read at clause level
    note: str = ""


class Basis(Strict):
    """One legal ground of a control or a parameter: a document and its article/clause."""

    document: Id
    article: str | None = None
    status: Status
    says: Text | None = None


class Regime(Strict):
    title: Text
    documents: list[Id] = Field(min_length=1)
    effective_from: date | None = None
    status: Status


class Parameter(Strict):
    value: int | str
    unit: str = ""
    status: Status
    basis: list[Basis] = Field(default_factory=list)
    note: Text | None = None


class Profile(Strict):
    title: Text
    regime: Id
    level: int = Field(ge=1, le=5)
    extends: Id | None = None  # parameters of another profile, overridden here
    note: Text | None = None
    parameters: dict[ParameterName, Parameter] = Field(default_factory=dict)


class LineMatch(Strict):
    """A line under the scope: ``pattern`` is searched in each line as the device prints it.

    ``expect`` is the line as a person would write it (shown when it is missing); ``each``
    repeats a required line for every value of an inventory list, ``{value}`` in the
    pattern standing for the value (escaped); ``at_most``/``at_least`` bound the pattern's
    named groups (integers) by a number or a profile parameter.
    """

    pattern: re.Pattern[str]
    expect: str | None = None
    each: InventoryList | None = None
    at_most: dict[str, Bound] = Field(default_factory=dict)
    at_least: dict[str, Bound] = Field(default_factory=dict)
    # the line binds an access list (the pattern's group ``acl``) of this IP version, which
    # must permit sources inside the inventory's management_prefixes only
    acl: Literal[4, 6] | None = None

    @model_validator(mode="after")
    def _groups_exist(self) -> LineMatch:
        for group in [*self.at_most, *self.at_least, *(["acl"] if self.acl else [])]:
            if group not in self.pattern.groupindex:
                raise ValueError(f"bound on group '{group}' that the pattern does not name")
        if self.each is not None and "{value}" not in self.pattern.pattern:
            raise ValueError("'each' needs '{value}' in the pattern")
        return self


class LineChecks(Strict):
    """Required and forbidden lines (a plain string is a line's pattern)."""

    require: list[LineMatch] = Field(default_factory=list)
    forbid: list[LineMatch] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _short_lines(cls, value: object) -> object:
        """A line given as a plain string is its pattern."""
        if isinstance(value, dict):
            for key in ("require", "forbid"):
                if isinstance(value.get(key), list):
                    value = {
                        **value,
                        key: [{"pattern": v} if isinstance(v, str) else v for v in value[key]],
                    }
        return value

    @model_validator(mode="after")
    def _something_to_check(self) -> LineChecks:
        if not self.require and not self.forbid:
            raise ValueError("a check needs 'require' or 'forbid' lines")
        return self


class ConfigCheck(LineChecks):
    """Required and forbidden lines in one scope of a configuration.

    Scope: ``section`` is the path of section lines (regexes, outermost first) whose
    children are checked, every section matching it (``[]``: the global lines);
    ``anywhere`` checks every line at every depth; ``interface`` the section of the
    device's interface of that purpose (``data.wan_interface`` and ``data.wan_vlan`` of the
    inventory, else the platform's default interface). A required line must be in every
    section of the scope; a forbidden line in none. ``acl_sources`` (on a required line
    whose pattern names a group ``acl``) follows the ACL the line binds and checks that it
    permits sources inside the inventory's ``management_prefixes`` only.
    """

    section: list[re.Pattern[str]] = Field(default_factory=list)
    anywhere: bool = False
    interface: Literal["wan", "lan", "loopback"] | None = None

    @model_validator(mode="after")
    def _one_scope(self) -> ConfigCheck:
        if sum((self.anywhere, bool(self.section), self.interface is not None)) > 1:
            raise ValueError("'anywhere', 'section' and 'interface' exclude each other")
        return self


class ServerCheck(LineChecks):
    """Lines of a read-only command's output on a server (``sshd -T``, ``nft list
    ruleset``), read over SSH as pyinfra's ``Command`` fact; every output line is checked
    as a configuration's global lines are."""

    command: str = Field(min_length=1)


class QueryBound(Strict):
    """A bound read from Prometheus itself (the province's targets are recording rules)."""

    query: str = Field(min_length=1)


PrometheusBound = float | ParameterName | QueryBound


class PrometheusCheck(Strict):
    """A value from Prometheus's HTTP API and its bounds: ``query`` (an instant query;
    every sample is checked, named by its ``label``; no sample is an error, never a pass)
    or ``status: retention_days`` (the TSDB retention, ``/api/v1/status/runtimeinfo``)."""

    query: str | None = None
    status: Literal["retention_days"] | None = None
    label: str | None = None
    at_least: PrometheusBound | None = None
    at_most: PrometheusBound | None = None

    @model_validator(mode="after")
    def _one_value(self) -> PrometheusCheck:
        if (self.query is None) == (self.status is None):
            raise ValueError("a Prometheus check needs exactly one of 'query' and 'status'")
        if self.at_least is None and self.at_most is None:
            raise ValueError("a Prometheus check needs 'at_least' or 'at_most'")
        return self


class AppliesTo(Strict):
    roles: list[Role] | None = None  # None: every role
    managed_by: list[ManagedBy] = Field(default_factory=lambda: [ManagedBy.PROVINCE])
    site_kinds: list[SiteKind] | None = None
    levels: list[Annotated[int, Field(ge=1, le=5)]] | None = None


class Remediation(Strict):
    text: Text
    change: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")] | None = (
        None  # provnet net change that fixes it (by name)
    )


class Control(Strict):
    id: ControlId
    title: Text
    rationale: Text
    severity: Severity
    applies_to: AppliesTo = Field(default_factory=AppliesTo)
    legal_basis: list[Basis] = Field(min_length=1)
    parameters: list[ParameterName] = Field(default_factory=list)
    remediation: Remediation
    # what to match, one kind per control: configuration syntax name ("ios", "vrp") -> its
    # checks; a server's command output; values from Prometheus
    config: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], list[ConfigCheck]] = Field(
        default_factory=dict
    )
    server: list[ServerCheck] = Field(default_factory=list)
    prometheus: list[PrometheusCheck] = Field(default_factory=list)

    @property
    def kind(self) -> Literal["config", "server", "prometheus"]:
        return "server" if self.server else "prometheus" if self.prometheus else "config"

    @model_validator(mode="after")
    def _one_kind(self) -> Control:
        if sum(map(bool, (self.config, self.server, self.prometheus))) != 1:
            raise ValueError("a control matches exactly one of 'config', 'server', 'prometheus'")
        return self

    @model_validator(mode="after")
    def _bounds_are_declared(self) -> Control:
        lines = [*self.server, *(c for checks in self.config.values() for c in checks)]
        bounds: list[object] = [
            bound
            for check in lines
            for line in [*check.require, *check.forbid]
            for bound in [*line.at_most.values(), *line.at_least.values()]
        ]
        bounds += [b for p in self.prometheus for b in (p.at_least, p.at_most)]
        for bound in bounds:
            if isinstance(bound, str) and bound not in self.parameters:
                raise ValueError(f"bound '{bound}' is not among the control's parameters")
        return self


class RuleFile(Strict):
    """One rules file; top-level keys starting with ``x-`` only hold YAML anchors."""

    documents: dict[Id, Document] = Field(default_factory=dict)
    regimes: dict[Id, Regime] = Field(default_factory=dict)
    profiles: dict[Id, Profile] = Field(default_factory=dict)
    controls: list[Control] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _drop_anchors(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: v for k, v in value.items() if not str(k).startswith("x-")}
        return value


class Waiver(Strict):
    """As InSpec has them: a waived failure still runs, is reported as waived and does not
    fail the run; it expires at 00:00 on ``expiration_date`` (none: permanent)."""

    control: ControlId
    devices: str = Field(default="*", min_length=1)  # glob over device names
    justification: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    expiration_date: date | None = None


class WaiverFile(Strict):
    waivers: list[Waiver] = Field(default_factory=list)
