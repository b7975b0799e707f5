"""Modules and auths: snmp_exporter's ``snmp.yml`` (both formats) and provnet's own file.

Three spellings are read by one loader:

* snmp_exporter >= 0.23: top-level ``auths:`` and ``modules:``;
* snmp_exporter < 0.23 (Debian's 0.21): top-level module names, each module carrying its
  own ``version``/``auth`` (its auth is registered under the module's name and used when a
  request names no ``auth``);
* provnet's file: the 0.23 format where a secret (``community``, ``password``,
  ``priv_password``) may be a reference ``{env: NAME}`` / ``{secret: NAME}`` and an auth may
  be ``{credential: NAME}``, an SNMP credential set of the inventory.

Semantics and defaults follow snmp_exporter's ``config/config.go``: walk parameters
``max_repetitions: 25``, ``retries: 3``, ``timeout: 5s``; auth ``version: 2``,
``community: public``. Unknown keys are refused (as its ``UnmarshalStrict``), with
``file:line``; a module that cannot be read is refused alone (:attr:`ExporterConfig.refused`)
and the others serve, so one module of a newer generator does not take the exporter down.
Secrets are held as :class:`inventory.secrets.Secret` and never printed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exporters.errors import ConfigError, UnknownName
from inventory.model import SecretRef
from inventory.secrets import Secret, SecretStore
from inventory.source import MarkedDict, MarkedList, YamlSyntaxError, parse_marked_yaml

INDEX_TYPES = frozenset(
    {
        "Integer32",
        "Integer",
        "gauge",
        "counter",
        "PhysAddress48",
        "OctetString",
        "DisplayString",
        "InetAddressIPv4",
        "InetAddressIPv6",
        "InetAddress",
        "InetAddressMissingSize",
        "LldpPortId",
        "EnumAsInfo",
    }
)
AUTH_PROTOCOLS = frozenset({"MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"})
PRIV_PROTOCOLS = frozenset({"DES", "AES", "AES192", "AES192C", "AES256", "AES256C"})
SECURITY_LEVELS = frozenset({"noAuthNoPriv", "authNoPriv", "authPriv"})

_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


# ---------------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Auth:
    """How to talk to a target. Secrets are :class:`Secret` (masked when printed)."""

    name: str
    version: int = 2
    community: Secret = field(default_factory=lambda: Secret("public"))
    security_level: str = "noAuthNoPriv"
    username: str = ""
    password: Secret | None = None
    auth_protocol: str = "MD5"
    priv_protocol: str = "DES"
    priv_password: Secret | None = None
    context_name: str = ""


@dataclass(frozen=True)
class WalkParams:
    max_repetitions: int = 25
    retries: int = 3
    timeout: float = 5.0
    walk_repetitions: int | None = None
    """GETBULK max-repetitions of walks; None: ``max_repetitions``. Set to
    :data:`WALK_REPETITIONS` when the module leaves ``max_repetitions`` to its default."""
    allow_nonincreasing_oids: bool = False
    """Let a walk go on when the agent answers an OID not after the last one (gosnmp's
    check, off for agents that need it); without it such a walk fails the module."""

    @property
    def bulk_repetitions(self) -> int:
        return self.max_repetitions if self.walk_repetitions is None else self.walk_repetitions


WALK_REPETITIONS = 50
"""Walk max-repetitions when a module does not set ``max_repetitions``: fewer, larger GETBULK
answers (an agent that finds one too big for its message size sends fewer varbinds, and the
walk goes on from there), so the agent and the exporter handle half the packets of a walk
at 25; the series are the same. GETs are still chunked by ``max_repetitions`` (25)."""


@dataclass(frozen=True)
class Index:
    labelname: str
    type: str
    fixed_size: int = 0
    implied: bool = False
    enum_values: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Lookup:
    labels: tuple[str, ...]
    labelname: str
    oid: str = ""
    type: str = ""
    enum_values: Mapping[int, str] = field(default_factory=dict)
    """For an ``EnumAsInfo`` lookup: the label is the name of the looked-up number."""
    display_hint: str = ""
    """RFC 2579 DISPLAY-HINT for an OctetString label value."""


@dataclass(frozen=True)
class RegexExtract:
    regex: re.Pattern[str]
    value: str = "$1"


@dataclass(frozen=True)
class Metric:
    name: str
    oid: str
    type: str
    help: str = ""
    indexes: tuple[Index, ...] = ()
    lookups: tuple[Lookup, ...] = ()
    regex_extracts: tuple[tuple[str, tuple[RegexExtract, ...]], ...] = ()
    enum_values: Mapping[int, str] = field(default_factory=dict)
    offset: float = 0.0
    scale: float = 0.0
    datetime_pattern: str = ""
    """strftime pattern of a ``ParseDateAndTime`` metric."""
    display_hint: str = ""
    """RFC 2579 DISPLAY-HINT for an OctetString value."""


@dataclass(frozen=True)
class DynamicFilter:
    """snmp_exporter's dynamic filter: walk ``oid``; the instances (last arc) whose value
    matches one of ``values`` (unanchored regexes) are the only ones read of ``targets``,
    by GET instead of a walk."""

    oid: str
    targets: tuple[str, ...]
    values: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Module:
    name: str
    walk: tuple[str, ...] = ()
    get: tuple[str, ...] = ()
    metrics: tuple[Metric, ...] = ()
    params: WalkParams = WalkParams()
    filters: tuple[DynamicFilter, ...] = ()
    auth: str | None = None
    """The pre-0.23 format's own auth, registered under the module's name."""


@dataclass
class ExporterConfig:
    auths: dict[str, Auth] = field(default_factory=dict)
    modules: dict[str, Module] = field(default_factory=dict)
    source: Path | None = None
    format: str = "builtin"
    refused: dict[str, str] = field(default_factory=dict)
    """Modules that could not be read, by name: why (``file:line: ...``, never a secret).
    The others serve; a request for a refused one is told why."""


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _At:
    """Where a value was written: ``file:line`` in errors."""

    file: str
    line: int

    def error(self, message: str) -> ConfigError:
        return ConfigError(f"{self.file}:{self.line}: {message}")


def _where(file: str, node: Any, key: Any = None) -> _At:
    if key is not None and isinstance(node, MarkedDict) and key in node.key_marks:
        return _At(file, node.key_marks[key][0])
    mark = getattr(node, "mark", (1, 1))
    return _At(file, mark[0])


def _item_at(file: str, items: Any, i: int) -> _At:
    if isinstance(items, MarkedList) and i < len(items.item_marks):
        return _At(file, items.item_marks[i][0])
    return _where(file, items)


def parse_duration(text: object) -> float:
    """A Go duration (``5s``, ``1m30s``, ``500ms``) or a number of seconds, in seconds."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str) or not text:
        raise ValueError("expected a duration such as 5s or 500ms")
    if text == "0":
        return 0.0
    position = 0
    total = 0.0
    for match in _DURATION.finditer(text):
        if match.start() != position:
            break
        total += float(match[1]) * _DURATION_UNITS[match[2]]
        position = match.end()
    if position != len(text):
        raise ValueError(f"'{text}' is not a duration such as 5s or 500ms")
    return total


class _Reader:
    """Turns one parsed (position-marked) document into the model."""

    def __init__(self, file: str, store: SecretStore | None, credentials: CredentialLookup):
        self.file = file
        self.store = store
        self.credentials = credentials

    # -- helpers ---------------------------------------------------------------------------

    def mapping(self, node: Any, what: str, at: _At) -> MarkedDict:
        if node is None:
            return MarkedDict()
        if not isinstance(node, dict):
            raise at.error(f"{what}: expected a mapping")
        return node if isinstance(node, MarkedDict) else MarkedDict(node)

    def strict(self, node: MarkedDict, allowed: frozenset[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                raise _where(self.file, node, key).error(
                    f"unknown field '{key}' in {what} (known: {', '.join(sorted(allowed))})"
                )

    def string(self, node: MarkedDict, key: str, what: str, default: str = "") -> str:
        value = node.get(key, default)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _where(self.file, node, key).error(f"{what}.{key}: expected a string")
        return str(value)

    def integer(self, node: MarkedDict, key: str, what: str, default: int) -> int:
        value = node.get(key, default)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise _where(self.file, node, key).error(f"{what}.{key}: expected an integer")
        return value

    def string_list(self, node: MarkedDict, key: str, what: str) -> tuple[str, ...]:
        value = node.get(key) or []
        if not isinstance(value, list):
            raise _where(self.file, node, key).error(f"{what}.{key}: expected a list")
        return tuple(str(item).lstrip(".") for item in value)

    def enum_values(self, node: MarkedDict, what: str) -> dict[int, str]:
        raw = node.get("enum_values") or {}
        if not isinstance(raw, dict):
            raise _where(self.file, node, "enum_values").error(f"{what}: expected a mapping")
        result: dict[int, str] = {}
        for key, value in raw.items():
            try:
                result[int(key)] = str(value)
            except (TypeError, ValueError):
                raise _where(self.file, raw, key).error(
                    f"{what}.enum_values: key '{key}' is not an integer"
                ) from None
        return result

    def secret(self, node: MarkedDict, key: str, what: str) -> Secret | None:
        value = node.get(key)
        if value is None or value == "":
            return None
        at = _where(self.file, node, key)
        if isinstance(value, dict):
            try:
                ref = SecretRef.model_validate(dict(value))
            except ValueError:
                raise at.error(
                    f"{what}.{key}: a secret reference is {{env: NAME}} or {{secret: NAME}}"
                ) from None
            if self.store is None:
                raise at.error(f"{what}.{key}: secret references need a secret store")
            try:
                return self.store.resolve(ref, f"{what}.{key}")
            except ConfigError:
                raise
            except Exception as exc:  # SecretUnavailable: names the reference, not a value
                raise at.error(str(exc)) from None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise at.error(f"{what}.{key}: expected a string or a secret reference")
        return Secret(str(value))

    # -- auths -----------------------------------------------------------------------------

    def auth(self, name: str, node: Any, at: _At) -> Auth:
        what = f"auth '{name}'"
        data = self.mapping(node, what, at)
        if "credential" in data:
            self.strict(data, frozenset({"credential"}), what)
            credential = self.string(data, "credential", what)
            try:
                return self.credentials(name, credential)
            except ConfigError:
                raise
            except LookupError as exc:
                raise _where(self.file, data, "credential").error(str(exc)) from None
        self.strict(
            data,
            frozenset(
                {
                    "community",
                    "security_level",
                    "username",
                    "password",
                    "auth_protocol",
                    "priv_protocol",
                    "priv_password",
                    "context_name",
                    "version",
                }
            ),
            what,
        )
        version = self.integer(data, "version", what, 2)
        auth = Auth(
            name=name,
            version=version,
            community=self.secret(data, "community", what) or Secret("public"),
            security_level=self.string(data, "security_level", what, "noAuthNoPriv"),
            username=self.string(data, "username", what),
            password=self.secret(data, "password", what),
            auth_protocol=self.string(data, "auth_protocol", what, "MD5"),
            priv_protocol=self.string(data, "priv_protocol", what, "DES"),
            priv_password=self.secret(data, "priv_password", what),
            context_name=self.string(data, "context_name", what),
        )
        problem = auth_problem(auth)
        if problem:
            raise at.error(f"{what}: {problem}")
        return auth

    # -- modules ---------------------------------------------------------------------------

    def walk_params(self, data: MarkedDict, what: str) -> WalkParams:
        timeout = 5.0
        if data.get("timeout") is not None:
            try:
                timeout = parse_duration(data["timeout"])
            except ValueError as exc:
                raise _where(self.file, data, "timeout").error(f"{what}.timeout: {exc}") from None
        repetitions = self.integer(data, "max_repetitions", what, 25)
        retries = self.integer(data, "retries", what, 3)
        if repetitions < 0 or retries < 0 or timeout <= 0:
            raise _where(self.file, data).error(
                f"{what}: max_repetitions and retries must be >= 0, timeout > 0"
            )
        walk = WALK_REPETITIONS if data.get("max_repetitions") is None else None
        if self.boolean(data, "use_unconnected_udp_socket", what):
            raise _where(self.file, data, "use_unconnected_udp_socket").error(
                f"{what}: use_unconnected_udp_socket: true is not supported (provnet's SNMP"
                " engine takes answers only from the address it asked); remove it, or scrape"
                " this module with snmp_exporter"
            )
        allow = self.boolean(data, "allow_nonincreasing_oids", what)
        return WalkParams(repetitions, retries, timeout, walk, allow)

    def boolean(self, node: MarkedDict, key: str, what: str) -> bool:
        value = node.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise _where(self.file, node, key).error(f"{what}.{key}: expected true or false")
        return value

    def module(self, name: str, node: Any, at: _At, legacy: bool) -> tuple[Module, Auth | None]:
        what = f"module '{name}'"
        data = self.mapping(node, what, at)
        allowed = {
            "walk",
            "get",
            "metrics",
            "max_repetitions",
            "retries",
            "timeout",
            "use_unconnected_udp_socket",
            "allow_nonincreasing_oids",
            "filters",
        }
        if legacy:
            allowed |= {"version", "auth"}
        self.strict(data, frozenset(allowed), what)
        metrics_node = data.get("metrics") or []
        if not isinstance(metrics_node, list):
            raise _where(self.file, data, "metrics").error(f"{what}.metrics: expected a list")
        metrics = tuple(
            self.metric(item, _item_at(self.file, metrics_node, i), what)
            for i, item in enumerate(metrics_node)
        )
        own_auth: Auth | None = None
        if legacy:
            auth_node = self.mapping(data.get("auth"), f"{what}.auth", at)
            merged = MarkedDict(auth_node)
            merged.key_marks = getattr(auth_node, "key_marks", {})
            merged.mark = getattr(auth_node, "mark", (at.line, 1))
            if "version" in data:
                merged["version"] = data["version"]
                merged.key_marks["version"] = data.key_marks.get("version", (at.line, 1))
            own_auth = self.auth(name, merged, at)
        module = Module(
            name=name,
            walk=self.string_list(data, "walk", what),
            get=self.string_list(data, "get", what),
            metrics=metrics,
            params=self.walk_params(data, what),
            auth=name if legacy else None,
            filters=self.filters(data, what),
        )
        return module, own_auth

    def filters(self, data: MarkedDict, what: str) -> tuple[DynamicFilter, ...]:
        node = data.get("filters") or []
        if not isinstance(node, list):
            raise _where(self.file, data, "filters").error(f"{what}.filters: expected a list")
        found = []
        for i, item in enumerate(node):
            at = _item_at(self.file, node, i)
            entry = self.mapping(item, f"{what}.filters", at)
            self.strict(entry, frozenset({"oid", "targets", "values"}), f"{what}.filters")
            oid = self.string(entry, "oid", what).lstrip(".")
            if not re.fullmatch(r"\d+(\.\d+)*", oid):
                raise at.error(f"{what}.filters: oid '{oid}' is not numeric")
            raw = entry.get("values") or []
            if not isinstance(raw, list):
                raise at.error(f"{what}.filters: values is a list")
            try:
                values = tuple(re.compile(go_regex(str(v))) for v in raw)
            except re.error as exc:
                raise at.error(f"{what}.filters: bad regex: {exc}") from None
            found.append(DynamicFilter(oid, self.string_list(entry, "targets", what), values))
        return tuple(found)

    def metric(self, node: Any, at: _At, module: str) -> Metric:
        data = self.mapping(node, f"{module}: metric", at)
        name = self.string(data, "name", "metric")
        what = f"{module}: metric '{name}'"
        self.strict(
            data,
            frozenset(
                {
                    "name",
                    "oid",
                    "type",
                    "help",
                    "indexes",
                    "lookups",
                    "regex_extracts",
                    "enum_values",
                    "offset",
                    "scale",
                    "datetime_pattern",
                    "display_hint",
                }
            ),
            what,
        )
        oid = self.string(data, "oid", what).lstrip(".")
        if not name or not oid:
            raise at.error(f"{what}: name and oid are required")
        if not re.fullmatch(r"\d+(\.\d+)*", oid):
            raise _where(self.file, data, "oid").error(f"{what}: oid '{oid}' is not numeric")
        indexes_node = data.get("indexes") or []
        lookups_node = data.get("lookups") or []
        if not isinstance(indexes_node, list) or not isinstance(lookups_node, list):
            raise at.error(f"{what}: indexes and lookups are lists")
        indexes = tuple(
            self.index(item, _item_at(self.file, indexes_node, i), what)
            for i, item in enumerate(indexes_node)
        )
        lookups = tuple(
            self.lookup(item, _item_at(self.file, lookups_node, i), what)
            for i, item in enumerate(lookups_node)
        )
        return Metric(
            name=name,
            oid=oid,
            type=self.string(data, "type", what),
            help=self.string(data, "help", what),
            indexes=indexes,
            lookups=lookups,
            regex_extracts=self.regex_extracts(data, what),
            enum_values=self.enum_values(data, what),
            offset=self.number(data, "offset", what),
            scale=self.number(data, "scale", what),
            datetime_pattern=self.string(data, "datetime_pattern", what),
            display_hint=self.string(data, "display_hint", what),
        )

    def number(self, data: MarkedDict, key: str, what: str) -> float:
        value = data.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _where(self.file, data, key).error(f"{what}.{key}: expected a number")
        return float(value)

    def index(self, node: Any, at: _At, what: str) -> Index:
        data = self.mapping(node, f"{what}: index", at)
        self.strict(
            data, frozenset({"labelname", "type", "fixed_size", "implied", "enum_values"}), what
        )
        kind = self.string(data, "type", what)
        if kind not in INDEX_TYPES:
            raise _where(self.file, data, "type").error(
                f"{what}: unknown index type '{kind}' (known: {', '.join(sorted(INDEX_TYPES))})"
            )
        return Index(
            labelname=self.string(data, "labelname", what),
            type=kind,
            fixed_size=self.integer(data, "fixed_size", what, 0),
            implied=bool(data.get("implied", False)),
            enum_values=self.enum_values(data, what),
        )

    def lookup(self, node: Any, at: _At, what: str) -> Lookup:
        data = self.mapping(node, f"{what}: lookup", at)
        self.strict(
            data,
            frozenset({"labels", "labelname", "oid", "type", "enum_values", "display_hint"}),
            what,
        )
        labels = data.get("labels") or []
        if not isinstance(labels, list):
            raise _where(self.file, data, "labels").error(f"{what}: lookup labels is a list")
        return Lookup(
            labels=tuple(str(label) for label in labels),
            labelname=self.string(data, "labelname", what),
            oid=self.string(data, "oid", what).lstrip("."),
            type=self.string(data, "type", what),
            enum_values=self.enum_values(data, what),
            display_hint=self.string(data, "display_hint", what),
        )

    def regex_extracts(
        self, data: MarkedDict, what: str
    ) -> tuple[tuple[str, tuple[RegexExtract, ...]], ...]:
        raw = data.get("regex_extracts") or {}
        if not isinstance(raw, dict):
            raise _where(self.file, data, "regex_extracts").error(f"{what}: expected a mapping")
        result = []
        for suffix, items in raw.items():
            at = _where(self.file, raw, suffix)
            if not isinstance(items, list):
                raise at.error(f"{what}.regex_extracts.{suffix}: expected a list")
            extracts = []
            for i, item in enumerate(items):
                item_at = _item_at(self.file, items, i)
                if not isinstance(item, dict) or "regex" not in item:
                    raise item_at.error(f"{what}.regex_extracts.{suffix}: needs regex and value")
                try:
                    # snmp_exporter anchors every regex: ^(?:...)$
                    pattern = re.compile(f"^(?:{go_regex(str(item['regex']))})$")
                except re.error as exc:
                    raise item_at.error(f"{what}: bad regex: {exc}") from None
                extracts.append(RegexExtract(pattern, str(item.get("value", "$1"))))
            result.append((str(suffix), tuple(extracts)))
        return tuple(result)


def go_regex(pattern: str) -> str:
    """Go RE2 spellings Python's ``re`` reads differently: named groups ``(?P<n>``
    are the same; ``\\z`` is ``\\Z``."""
    return pattern.replace("\\z", "\\Z")


def auth_problem(auth: Auth) -> str:
    """snmp_exporter's checks of an auth (config.go), or '' when it is usable."""
    if auth.version not in (1, 2, 3):
        return f"SNMP version must be 1, 2 or 3, got {auth.version}"
    if auth.version != 3:
        return ""
    if auth.security_level not in SECURITY_LEVELS:
        return "security level must be one of authPriv, authNoPriv or noAuthNoPriv"
    if auth.security_level == "authPriv":
        if auth.priv_password is None:
            return "priv password is missing, required for SNMPv3 with priv"
        if auth.priv_protocol not in PRIV_PROTOCOLS:
            return f"priv protocol must be one of {', '.join(sorted(PRIV_PROTOCOLS))}"
    if auth.security_level in ("authPriv", "authNoPriv"):
        if auth.password is None:
            return "auth password is missing, required for SNMPv3 with auth"
        if auth.auth_protocol not in AUTH_PROTOCOLS:
            return f"auth protocol must be one of {', '.join(sorted(AUTH_PROTOCOLS))}"
    if not auth.username:
        return "auth username is missing, required for SNMPv3"
    return ""


CredentialLookup = Callable[[str, str], Auth]
"""``(auth name, inventory credential name) -> Auth``; raises ``LookupError``
(:class:`UnknownName`)."""


def _no_credentials(name: str, credential: str) -> Auth:
    raise UnknownName(f"auth '{name}': credential '{credential}' needs --inventory")


def detect_format(document: Mapping[str, Any]) -> str:
    """``current`` (auths/modules), ``legacy`` (pre-0.23: modules at the top)."""
    if "modules" in document or "auths" in document:
        return "current"
    return "legacy"


def read_config(
    text: str,
    file: str,
    store: SecretStore | None = None,
    credentials: CredentialLookup = _no_credentials,
) -> ExporterConfig:
    """Parse a config document; raise :class:`ConfigError` naming ``file:line``."""
    try:
        document = parse_marked_yaml(text)
    except YamlSyntaxError as exc:
        raise ConfigError(f"{file}:{exc.line}: {exc}") from None
    if document is None:
        document = MarkedDict()
    if not isinstance(document, MarkedDict):
        raise ConfigError(f"{file}:1: expected a mapping of modules (and auths)")
    reader = _Reader(file, store, credentials)
    config = ExporterConfig(format=detect_format(document))
    if config.format == "current":
        reader.strict(document, frozenset({"auths", "modules", "version"}), "the file")
        auths = reader.mapping(document.get("auths"), "auths", _where(file, document, "auths"))
        for name, node in auths.items():
            config.auths[str(name)] = reader.auth(str(name), node, _where(file, auths, name))
        modules = reader.mapping(
            document.get("modules"), "modules", _where(file, document, "modules")
        )
        for name, node in modules.items():
            try:
                module, _ = reader.module(
                    str(name), node, _where(file, modules, name), legacy=False
                )
            except ConfigError as exc:
                config.refused[str(name)] = str(exc)
                continue
            config.modules[str(name)] = module
        return config
    for name, node in document.items():
        try:
            module, own = reader.module(str(name), node, _where(file, document, name), legacy=True)
        except ConfigError as exc:
            config.refused[str(name)] = str(exc)
            continue
        config.modules[str(name)] = module
        if own is not None:
            config.auths.setdefault(str(name), own)
    return config


def load_config(
    path: Path,
    store: SecretStore | None = None,
    credentials: CredentialLookup = _no_credentials,
) -> ExporterConfig:
    """Read a config file (any of the three spellings)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}:1: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}:1: not UTF-8 text (byte {exc.start})") from None
    config = read_config(text, str(path), store, credentials)
    config.source = path
    return config


def merge(base: ExporterConfig, override: ExporterConfig) -> ExporterConfig:
    """``override``'s modules and auths win over ``base``'s of the same name (a module it
    refused too)."""
    modules = {**base.modules, **override.modules}
    refused = {**base.refused, **override.refused}
    for name in override.modules:
        refused.pop(name, None)
    for name in override.refused:
        modules.pop(name, None)
    return ExporterConfig(
        auths={**base.auths, **override.auths},
        modules=modules,
        source=override.source,
        format=override.format,
        refused=refused,
    )


SHOWN_SECRET = "<secret>"


def config_document(
    config: ExporterConfig, auths: Mapping[str, Auth] | None = None
) -> dict[str, Any]:
    """The configuration in use as snmp_exporter's ``/config`` shows it: every auth (those
    of ``auths`` too, e.g. inventory credentials) and module, fields left at their default
    left out, every secret shown as ``<secret>``."""
    return {
        "auths": {name: _plain(auth) for name, auth in {**(auths or {}), **config.auths}.items()},
        "modules": {name: _plain(module) for name, module in config.modules.items()},
        **({"refused": dict(config.refused)} if config.refused else {}),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Secret):
        return SHOWN_SECRET
    if isinstance(value, re.Pattern):
        return value.pattern
    if isinstance(value, RegexExtract):  # as written: without the anchors added on reading
        return {
            "regex": value.regex.pattern.removeprefix("^(?:").removesuffix(")$"),
            "value": value.value,
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for item in dataclasses.fields(value):
            field_value = getattr(value, item.name)
            if item.name == "name" and isinstance(value, Auth | Module):
                continue  # the key it is shown under
            if not isinstance(field_value, Secret) and field_value == _default(item):
                continue
            if item.name == "regex_extracts":
                field_value = {suffix: list(extracts) for suffix, extracts in field_value}
            out[item.name] = _plain(field_value)
        if isinstance(value, Module):  # walk parameters sit in the module, as in the file
            params = out.pop("params", {})
            params.pop("walk_repetitions", None)
            out.update(params)
        return out
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


def _default(item: dataclasses.Field[Any]) -> Any:
    if item.default is not dataclasses.MISSING:
        return item.default
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return dataclasses.MISSING
