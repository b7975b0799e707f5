"""The inventory schema: province -> commune -> site -> device, as people write it in YAML.

These models are validated once, at load. Fields a device may inherit
(``platform``, credentials, ``managed_by``, ports, ``data``) are optional here and
resolved later by :mod:`inventory.resolve` in the order device > site > groups > defaults.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    field_validator,
    model_validator,
)

from inventory.syslog import TRANSPORT_PORTS, Transport, parse_syslog_target

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=63)]
ProvinceCode = Annotated[str, Field(pattern=r"^\d{2}$")]
CommuneCode = Annotated[str, Field(pattern=r"^\d{5}$")]
Port = Annotated[int, Field(ge=1, le=65535)]


def _syslog_server(entry: str) -> str:
    parse_syslog_target(entry)
    return entry


SyslogServer = Annotated[str, AfterValidator(_syslog_server)]


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently drop a setting."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(StrEnum):
    WAN_ROUTER = "wan_router"
    ACCESS_SWITCH = "access_switch"
    CORE_SWITCH = "core_switch"
    FIREWALL = "firewall"
    VC_ENDPOINT = "vc_endpoint"
    SERVER = "server"


class ManagedBy(StrEnum):
    PROVINCE = "province"
    TELCO = "telco"


class CommuneType(StrEnum):
    XA = "xã"
    PHUONG = "phường"
    DAC_KHU = "đặc khu"


class SiteKind(StrEnum):
    COMMUNE_OFFICE = "commune_office"
    DEPARTMENT = "department"
    DATA_CENTRE = "data_centre"
    IOC = "ioc"
    SOC = "soc"
    AGENCY = "agency"


# --- secrets -----------------------------------------------------------------


class SecretRef(Strict):
    """Where a secret lives: an environment variable or a key of the secrets file.

    The inventory never holds the secret itself, only this reference.
    """

    env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    secret: str | None = Field(default=None, pattern=NAME_PATTERN)

    @model_validator(mode="before")
    @classmethod
    def refuse_inline(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            # The value itself is never echoed: it may be the secret.
            raise ValueError(
                "a secret is written inline; write {env: VARIABLE} or {secret: NAME} "
                "and keep the value in the environment or the secrets file"
            )
        return value

    @model_validator(mode="after")
    def exactly_one_source(self) -> SecretRef:
        if (self.env is None) == (self.secret is None):
            raise ValueError("a secret reference names exactly one of 'env' or 'secret'")
        return self

    def describe(self) -> str:
        return f"env:{self.env}" if self.env else f"secret:{self.secret}"


class SshCredential(Strict):
    kind: Literal["ssh"]
    username: str
    password: SecretRef | None = None
    enable_secret: SecretRef | None = None
    private_key_file: str | None = None
    # A read-only account (IOS privilege 1, VRP level 1): sessions never ask for `enable`
    # and read the configuration the way such a user may (IOS `more system:running-config`).
    read_only: bool = False


class SnmpV2cCredential(Strict):
    kind: Literal["snmp_v2c"]
    community: SecretRef


class SnmpV3Credential(Strict):
    kind: Literal["snmp_v3"]
    username: str
    security_level: Literal["authPriv", "authNoPriv"] = "authPriv"
    auth_protocol: Literal["SHA", "SHA224", "SHA256", "SHA384", "SHA512", "MD5"] = "SHA"
    auth_password: SecretRef
    priv_protocol: Literal["AES", "AES192", "AES256", "DES"] | None = "AES"
    priv_password: SecretRef | None = None

    @model_validator(mode="after")
    def priv_when_auth_priv(self) -> SnmpV3Credential:
        if self.security_level == "authPriv" and (
            self.priv_password is None or self.priv_protocol is None
        ):
            raise ValueError("authPriv needs priv_protocol and priv_password")
        return self


Credential = Annotated[
    SshCredential | SnmpV2cCredential | SnmpV3Credential, Field(discriminator="kind")
]

# --- addressing --------------------------------------------------------------


class Ipv6Plan(Strict):
    supernet: ipaddress.IPv6Network
    site_prefix_length: int = Field(default=56, ge=1, le=64)
    # purpose -> index of its /64 inside the site's prefix
    subnets: dict[Name, int] = Field(
        default_factory=lambda: {"loopback": 0, "mgmt": 1, "wan": 2, "lan": 3, "vc": 4}
    )

    @model_validator(mode="after")
    def fits(self) -> Ipv6Plan:
        if self.site_prefix_length <= self.supernet.prefixlen:
            raise ValueError(
                f"site_prefix_length /{self.site_prefix_length} must be longer than the "
                f"supernet /{self.supernet.prefixlen}"
            )
        room = 1 << (64 - self.site_prefix_length)
        for purpose, index in self.subnets.items():
            if not 0 <= index < room:
                raise ValueError(f"subnet '{purpose}' index {index} is outside 0..{room - 1}")
        if len(set(self.subnets.values())) != len(self.subnets):
            raise ValueError("two purposes share one /64 index")
        return self


class Ipv4Pool(Strict):
    supernet: ipaddress.IPv4Network
    prefix_length: int = Field(ge=8, le=32)

    @model_validator(mode="after")
    def fits(self) -> Ipv4Pool:
        if self.prefix_length < self.supernet.prefixlen:
            raise ValueError(
                f"prefix_length /{self.prefix_length} is shorter than the supernet "
                f"/{self.supernet.prefixlen}"
            )
        return self

    @property
    def slots(self) -> int:
        return 1 << (self.prefix_length - self.supernet.prefixlen)


class AddressPlan(Strict):
    """The province's supernets; each site's blocks follow from its ``plan_index`` alone."""

    ipv6: Ipv6Plan
    ipv4: dict[Name, Ipv4Pool] = Field(default_factory=dict)


class SiteAddressing(Strict):
    """Explicit per-site overrides of the plan, checked for overlap with everything else."""

    ipv6: ipaddress.IPv6Network | None = None
    ipv4: dict[Name, ipaddress.IPv4Network] = Field(default_factory=dict)


# --- package mirror ----------------------------------------------------------


class AptMirror(Strict):
    """The Debian package mirror a site's servers use (a data centre cut off from the
    Internet has its own). ``apt_mirror: http://mirror.example/debian`` is short for
    ``{url: ...}``. A flat repository (``Packages`` at the top) has ``suite: ./`` and no
    components; ``trusted: true`` accepts an unsigned local repository."""

    url: HttpUrl
    suite: str = Field(default="bookworm", pattern=r"^[A-Za-z0-9./_-]+$")
    security_suite: str | None = Field(default="bookworm-security", pattern=r"^[A-Za-z0-9._-]+$")
    components: list[Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]] = Field(
        default_factory=lambda: ["main"]
    )
    trusted: bool = False

    @model_validator(mode="before")
    @classmethod
    def url_alone(cls, value: Any) -> Any:
        return {"url": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def flat_has_no_components(self) -> AptMirror:
        if self.suite.endswith("/") and self.components:
            raise ValueError(
                f"a flat repository (suite '{self.suite}') has no components; write components: []"
            )
        if not self.suite.endswith("/") and not self.components:
            raise ValueError(f"suite '{self.suite}' needs components (e.g. [main])")
        return self


# --- log forwarding ----------------------------------------------------------


class SyslogForward(Strict):
    """How a server forwards its logs to the province's ``syslog_servers`` (inherited like
    ``apt_mirror``; network devices ignore it). ``syslog_forward: relp`` is short for
    ``{transport: relp}``. ``tcp``: plain syslog, octet-counted; ``relp``: rsyslog's reliable
    protocol (the collector's ``data.syslog_relp_port``); ``tls``: syslog over TLS (RFC 5425),
    the collector's certificate checked against ``ca_file`` (a CA certificate already on the
    server, put there by the province's PKI) and its name against ``peer_name`` (default: the
    syslog server as written). A port in a ``syslog_servers`` entry wins over ``port``, which
    wins over the transport's usual port (514, 2514, 6514)."""

    transport: Transport = "tcp"
    port: Port | None = None
    ca_file: Annotated[str, Field(pattern=r"^/[^\s\"]+$")] | None = None
    peer_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9*][A-Za-z0-9.*:-]*$")] | None = None

    @model_validator(mode="before")
    @classmethod
    def transport_alone(cls, value: Any) -> Any:
        return {"transport": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def tls_has_its_ca(self) -> SyslogForward:
        if self.transport == "tls" and self.ca_file is None:
            raise ValueError("transport tls needs ca_file (the CA certificate on the server)")
        if self.transport != "tls" and (self.ca_file or self.peer_name):
            raise ValueError(f"ca_file and peer_name are for transport tls, not {self.transport}")
        return self

    @property
    def default_port(self) -> int:
        return self.port or TRANSPORT_PORTS[self.transport]


# --- inheritance -------------------------------------------------------------


class Settings(Strict):
    """What a device may inherit from its site, its groups and the defaults."""

    platform: str | None = None
    managed_by: ManagedBy | None = None
    ssh_credentials: Name | None = None
    snmp_credentials: Name | None = None
    # the read-only SSH account `provnet audit --source live` reads configurations with
    audit_credentials: Name | None = None
    ssh_port: Port | None = None
    snmp_port: Port | None = None
    apt_mirror: AptMirror | None = None
    syslog_forward: SyslogForward | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class Group(Settings):
    description: str = ""


# --- the tree ----------------------------------------------------------------


def _packed(value: Any, family: socket.AddressFamily, kind: type[IPAddress]) -> Any:
    """An address read by the C library's ``inet_pton`` (4 to 6 times faster than
    ``ipaddress``, which reads each device's addresses); what ``inet_pton`` refuses is left
    as written to pydantic's own validator, which reads it or refuses it with its message.
    ``inet_pton`` accepts no text that ``ipaddress`` refuses or reads otherwise."""
    if isinstance(value, str):
        try:
            return kind(socket.inet_pton(family, value))
        except OSError:
            pass
    return value


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPv4Address = Annotated[
    ipaddress.IPv4Address,
    BeforeValidator(lambda v: _packed(v, socket.AF_INET, ipaddress.IPv4Address)),
]
IPv6Address = Annotated[
    ipaddress.IPv6Address,
    BeforeValidator(lambda v: _packed(v, socket.AF_INET6, ipaddress.IPv6Address)),
]


class Management(Strict):
    ipv4: IPv4Address | None = None
    ipv6: IPv6Address | None = None
    port: Port | None = None

    @model_validator(mode="after")
    def has_an_address(self) -> Management:
        if self.ipv4 is None and self.ipv6 is None:
            raise ValueError("a management address needs ipv4, ipv6 or both")
        return self


class Device(Settings):
    name: Name
    role: Role
    mgmt: Management
    groups: list[Name] = Field(default_factory=list)
    description: str = ""


class Circuit(Strict):
    name: Name
    kind: Literal["level2_uplink", "internet", "leased_line"] = "level2_uplink"
    operator: Literal["telco", "province"]
    provider: str = "VNPT"
    bandwidth_mbps: int = Field(gt=0)
    addressing: Literal["public", "private"]
    vrf: Name
    circuit_id: str | None = None


class Site(Settings):
    id: Name
    kind: SiteKind
    name: str = ""
    security_level: int = Field(ge=1, le=5)
    plan_index: int | None = Field(default=None, ge=0)
    addressing: SiteAddressing = Field(default_factory=SiteAddressing)
    circuits: list[Circuit] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    groups: list[Name] = Field(default_factory=list)


class Legacy(Strict):
    """Pre-1 July 2025 identifiers; kept for old documents, never a replacement for the code."""

    district: str | None = None
    district_code: Annotated[str, Field(pattern=r"^\d{3}$")] | None = None
    commune_codes: list[CommuneCode] = Field(default_factory=list)
    commune_names: list[str] = Field(default_factory=list)


class Commune(Strict):
    code: CommuneCode
    name: str = Field(min_length=1)
    type: CommuneType
    legacy: Legacy | None = None
    sites: list[Site] = Field(default_factory=list)

    @field_validator("code", mode="before")
    @classmethod
    def code_as_text(cls, value: Any) -> Any:
        # YAML reads 14755 as an int; a leading zero would read as octal-looking text.
        return f"{value:05d}" if isinstance(value, int) else value


class ProvinceInfo(Strict):
    code: ProvinceCode
    name: str = Field(min_length=1)
    codename: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]

    @field_validator("code", mode="before")
    @classmethod
    def code_as_text(cls, value: Any) -> Any:
        return f"{value:02d}" if isinstance(value, int) else value


class ProvinceFile(Strict):
    """``province.yaml``: the province, its plan, credential sets, defaults and groups."""

    province: ProvinceInfo
    address_plan: AddressPlan
    credentials: dict[Name, Credential] = Field(default_factory=dict)
    defaults: Settings = Field(default_factory=Settings)
    groups: dict[Name, Group] = Field(default_factory=dict)
    ntp_servers: list[str] = Field(default_factory=list)
    syslog_servers: list[SyslogServer] = Field(default_factory=list)
    management_prefixes: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = Field(
        default_factory=list
    )


class SitesFile(Strict):
    """``sites/*.yaml``: province-level sites (data centre, departments, IOC, SOC)."""

    sites: list[Site]


def natural_key(text: str) -> tuple[Any, ...]:
    """Sort ``r2`` before ``r10``."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))
