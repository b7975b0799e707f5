"""What the changes' templates are rendered from: inventory data only, decided here (pure).

Every change builds its Jinja2 context from these functions, so that two changes that
touch the same thing (the WAN interface, the management ACL) render it the same way.

Conventions, all from the inventory:

- the WAN block of a site (IPv4 pool ``wan``, a /30) holds the provider edge (PE) at
  ``.1`` and our router (CPE) at ``.2``; the IPv6 ``wan`` /64 the same at ``::1``/``::2``;
- a device's host number on the LAN is the interface identifier of its management IPv6
  address (``...:1001::3`` -> 3), else a number by role; the router's is the gateway;
- ``data`` keys (device > site > groups > defaults) override any of it, validated by
  :class:`ChangeData`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from deploys.errors import NetworkChangeError
from deploys.network.render import platform_syntax, render_intent, template_for
from inventory.addressing import SiteAllocation, allocate
from inventory.loader import Inventory
from inventory.model import Role, SnmpV3Credential, SshCredential
from inventory.resolve import DeviceView, resolve_device
from platforms import get_platform, network_platform
from platforms.network import Intent, secret_placeholder

MGMT_ACL = "PROVNET-MGMT"
MGMT_ACL6 = "PROVNET-MGMT6"
VRP_MGMT_ACL = 2001
VRP_MGMT_ACL6 = 2001
SNMP_VIEW = "PROVNET-RO"
ROLE_HOST_NUMBER = {
    Role.WAN_ROUTER: 1,
    Role.CORE_SWITCH: 2,
    Role.ACCESS_SWITCH: 2,
    Role.FIREWALL: 4,
    Role.VC_ENDPOINT: 3,
}
# Vietnamese without diacritics: device banners are shown by terminals as bytes.
DEFAULT_BANNER = (
    "CANH BAO: He thong cua co quan nha nuoc, chi danh cho nguoi duoc phep. "
    "Moi truy cap deu duoc ghi lai. "
    "(WARNING: government system, authorised users only; all access is logged.)"
)


class ChangeError(NetworkChangeError):
    """Inventory data a change cannot render from."""


class ChangeDataError(ChangeError, ValueError):
    """A device's data (or credentials) do not fit what a change needs."""


class ChangeData(BaseModel):
    """The ``data`` keys the changes read; other keys are left to other rooms."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    wan_interface: str | None = None
    wan_vlan: int | None = Field(default=None, ge=1, le=4094)
    wan_ipv4: ipaddress.IPv4Interface | None = None
    wan_gateway_ipv4: ipaddress.IPv4Address | None = None
    wan_ipv6: ipaddress.IPv6Interface | None = None
    wan_gateway_ipv6: ipaddress.IPv6Address | None = None
    wan_routing: Literal["static", "ospf"] = "static"
    vrf: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
    ospf_process: int = Field(default=1, ge=1, le=65535)
    ospf_area: int = Field(default=0, ge=0)
    lan_interface: str | None = None
    lan_ipv6: ipaddress.IPv6Interface | None = None
    lan_in_vrf: bool = True
    login_banner: str = Field(default=DEFAULT_BANNER, min_length=1, max_length=400)
    exec_timeout_minutes: int = Field(default=10, ge=1, le=60)
    login_block_seconds: int = Field(default=300, ge=1, le=65535)
    login_attempts: int = Field(default=5, ge=1, le=10)
    login_within_seconds: int = Field(default=120, ge=1, le=65535)
    sip_registrar: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.:\[\]-]+$")
    sip_domain: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.-]+$")

    @field_validator("login_banner")
    @classmethod
    def _one_printable_line(cls, text: str) -> str:
        if any(c in text for c in '"^\n') or not text.isprintable():
            raise ValueError("must be one printable line without '\"' or '^'")
        return text


def change_data(device: DeviceView) -> ChangeData:
    """The device's ``data`` as the changes read it; :class:`ChangeDataError` names the
    device and every key that does not fit (``provnet inventory validate`` reports them
    too, so that nothing is first refused at plan time)."""
    try:
        return ChangeData.model_validate(device.data)
    except ValidationError as exc:
        problems = "; ".join(
            f"data.{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise ChangeDataError(f"device {device.name}: {problems}") from None


# -- addresses --------------------------------------------------------------------------
def v6(address: ipaddress.IPv6Address | ipaddress.IPv6Interface | ipaddress.IPv6Network) -> str:
    """IPv6 as IOS and VRP print it in their configuration: compressed, upper case."""
    return str(address).upper()


def wildcard(network: ipaddress.IPv4Network) -> str:
    return str(network.hostmask)


def allocation(inv: Inventory, device: DeviceView) -> SiteAllocation:
    try:
        return allocate(inv.settings.address_plan, device.site.plan_index, device.site.addressing)
    except ValueError as exc:
        raise ChangeDataError(f"device {device.name}, site {device.site.id}: {exc}") from None


def host_number(device: DeviceView) -> int:
    """The device's host number on its site's subnets (see the module docstring)."""
    if device.mgmt_ipv6 is not None:
        interface_id = int(device.mgmt_ipv6) & ((1 << 64) - 1)
        if 0 < interface_id < 1 << 16:
            return interface_id
    return ROLE_HOST_NUMBER.get(device.role, 5)


def router_host_number(inv: Inventory, device: DeviceView) -> int:
    """The host number of the site's WAN router: the LAN gateway."""
    for other in device.site.devices:
        if other.role is Role.WAN_ROUTER:
            return host_number(resolve_device(inv, device.commune, device.site, other))
    return ROLE_HOST_NUMBER[Role.WAN_ROUTER]


def _subnet_host(
    alloc: SiteAllocation, purpose: str, number: int, device: DeviceView
) -> ipaddress.IPv6Interface:
    if purpose not in alloc.ipv6_subnets:
        raise ChangeDataError(
            f"device {device.name}, site {device.site.id}: the address plan gives no IPv6 "
            f"'{purpose}' /64 (set plan_index or addressing.ipv6 on the site)"
        )
    return alloc.host(purpose, number)


def _ipv4_block(alloc: SiteAllocation, pool: str, device: DeviceView) -> ipaddress.IPv4Network:
    if pool not in alloc.ipv4:
        raise ChangeDataError(
            f"device {device.name}, site {device.site.id}: the address plan has no IPv4 "
            f"pool '{pool}' for this site"
        )
    return alloc.ipv4[pool]


@dataclass(frozen=True)
class Wan:
    """The level-II uplink of one router."""

    interface: str  # the (sub-)interface that carries the addresses
    parent: str | None  # the physical port when ``interface`` is a sub-interface
    vlan: int | None
    vrf: str
    description: str
    ipv4: ipaddress.IPv4Interface
    gateway_ipv4: ipaddress.IPv4Address
    ipv6: ipaddress.IPv6Interface
    gateway_ipv6: ipaddress.IPv6Address
    routing: str
    ospf_process: int
    ospf_area: int

    def context(self) -> dict[str, Any]:
        return {
            "interface": self.interface,
            "parent": self.parent,
            "vlan": self.vlan,
            "vrf": self.vrf,
            "description": self.description,
            "ipv4_address": str(self.ipv4.ip),
            "ipv4_mask": str(self.ipv4.netmask),
            "ipv4_prefixlen": self.ipv4.network.prefixlen,
            "ipv4_network": str(self.ipv4.network.network_address),
            "ipv4_wildcard": wildcard(self.ipv4.network),
            "gateway_ipv4": str(self.gateway_ipv4),
            "ipv6": v6(self.ipv6),
            "gateway_ipv6": v6(self.gateway_ipv6),
            "routing": self.routing,
            "ospf_process": self.ospf_process,
            "ospf_area": self.ospf_area,
            "ospf_area_dotted": str(ipaddress.IPv4Address(self.ospf_area)),
        }


def wan(inv: Inventory, device: DeviceView) -> Wan:
    data = change_data(device)
    alloc = allocation(inv, device)
    uplink = next((c for c in device.site.circuits if c.kind == "level2_uplink"), None)
    vrf = data.vrf or (uplink.vrf if uplink else None)
    if vrf is None:
        raise ChangeDataError(
            f"device {device.name}, site {device.site.id}: no level2_uplink circuit and no "
            "data.vrf: the level-II VRF is unknown"
        )
    platform = get_platform(device.platform)
    port = data.wan_interface or platform.interfaces_for(device.role.value).get("wan")
    if port is None:
        raise ChangeDataError(
            f"device {device.name}: platform {device.platform} has no default WAN interface; "
            "set data.wan_interface"
        )
    interface = f"{port}.{data.wan_vlan}" if data.wan_vlan else port
    if data.wan_ipv4 is not None:
        ipv4 = data.wan_ipv4
        gateway4 = data.wan_gateway_ipv4 or ipv4.network.network_address + 1
    else:
        block = _ipv4_block(alloc, "wan", device)
        ipv4 = ipaddress.IPv4Interface(f"{block.network_address + 2}/{block.prefixlen}")
        gateway4 = data.wan_gateway_ipv4 or block.network_address + 1
    if data.wan_ipv6 is not None:
        ipv6 = data.wan_ipv6
        gateway6 = data.wan_gateway_ipv6 or ipv6.network.network_address + 1
    else:
        ipv6 = _subnet_host(alloc, "wan", 2, device)
        gateway6 = data.wan_gateway_ipv6 or ipv6.network.network_address + 1
    description = (
        f"TSLCD cap II {uplink.provider} {uplink.bandwidth_mbps}M {vrf}"
        if uplink
        else f"TSLCD cap II {vrf}"
    )
    return Wan(
        interface=interface,
        parent=port if data.wan_vlan else None,
        vlan=data.wan_vlan,
        vrf=vrf,
        description=description,
        ipv4=ipv4,
        gateway_ipv4=gateway4,
        ipv6=ipv6,
        gateway_ipv6=gateway6,
        routing=data.wan_routing,
        ospf_process=data.ospf_process,
        ospf_area=data.ospf_area,
    )


@dataclass(frozen=True)
class Lan:
    interface: str
    ipv4: ipaddress.IPv4Interface | None
    ipv6: ipaddress.IPv6Interface
    gateway_ipv6: ipaddress.IPv6Address

    def context(self) -> dict[str, Any]:
        return {
            "interface": self.interface,
            "ipv4_address": str(self.ipv4.ip) if self.ipv4 else None,
            "ipv4_mask": str(self.ipv4.netmask) if self.ipv4 else None,
            "ipv4_network": str(self.ipv4.network.network_address) if self.ipv4 else None,
            "ipv4_wildcard": wildcard(self.ipv4.network) if self.ipv4 else None,
            "ipv6": v6(self.ipv6),
            "ipv6_address": v6(self.ipv6.ip),
            "ipv6_address_lower": str(self.ipv6.ip),
            "ipv6_prefixlen": self.ipv6.network.prefixlen,
            "gateway_ipv6": v6(self.gateway_ipv6),
            "gateway_ipv6_lower": str(self.gateway_ipv6),
        }


def lan(inv: Inventory, device: DeviceView) -> Lan:
    data = change_data(device)
    alloc = allocation(inv, device)
    defaults = get_platform(device.platform).interfaces_for(device.role.value)
    interface = data.lan_interface or defaults.get("lan")
    if interface is None:
        raise ChangeDataError(
            f"device {device.name}: platform {device.platform} has no default LAN interface; "
            "set data.lan_interface"
        )
    number = host_number(device)
    ipv4 = None
    if "lan" in alloc.ipv4:
        block = alloc.ipv4["lan"]
        ipv4 = ipaddress.IPv4Interface(f"{block.network_address + number}/{block.prefixlen}")
    ipv6 = data.lan_ipv6 or _subnet_host(alloc, "lan", number, device)
    gateway = ipv6.network.network_address + router_host_number(inv, device)
    return Lan(interface=interface, ipv4=ipv4, ipv6=ipv6, gateway_ipv6=gateway)


# -- management, credentials ------------------------------------------------------------
def management_acl(inv: Inventory) -> dict[str, Any]:
    v4 = [p for p in inv.settings.management_prefixes if isinstance(p, ipaddress.IPv4Network)]
    v6_ = [p for p in inv.settings.management_prefixes if isinstance(p, ipaddress.IPv6Network)]
    return {
        "name": MGMT_ACL,
        "name6": MGMT_ACL6,
        "number": VRP_MGMT_ACL,
        "number6": VRP_MGMT_ACL6,
        "ipv4": [{"network": str(p.network_address), "wildcard": wildcard(p)} for p in v4],
        "ipv6": [v6(p) for p in v6_],
    }


def ssh_user(inv: Inventory, device: DeviceView) -> dict[str, str]:
    name = device.ssh_credentials
    credential = inv.settings.credentials.get(name) if name else None
    if not isinstance(credential, SshCredential) or credential.password is None:
        raise ChangeDataError(
            f"device {device.name}: hardening needs an ssh credential set with a password "
            f"(ssh_credentials: {name or 'none'})"
        )
    assert name is not None
    return {"username": credential.username, "password": secret_placeholder(name, "password")}


@dataclass(frozen=True)
class AuditAccount:
    """The read-only account hardening makes for ``provnet audit --source live``: the user
    of the device's ``audit_credentials`` set (``user``: username and password
    placeholder), or None and why not (``note``, Vietnamese first)."""

    user: dict[str, str] | None
    note: str | None = None


def audit_account(inv: Inventory, device: DeviceView) -> AuditAccount:
    """The device's read-only account, when its ``audit_credentials`` name a ``read_only``
    ssh set with a password; else none, with the reason a plan shows. A set whose username
    is the one hardening configures at level 15 (``ssh_credentials``) is an error: making
    it read-only would lock provnet out of the device."""
    name = device.audit_credentials
    if name is None:
        return AuditAccount(
            None,
            "không tạo tài khoản chỉ đọc: thiết bị không có audit_credentials "
            "(no read-only account made: the device has no audit_credentials)",
        )
    credential = inv.settings.credentials.get(name)
    if not isinstance(credential, SshCredential) or not credential.read_only:
        return AuditAccount(
            None,
            f"không tạo tài khoản chỉ đọc: bộ {name} không có read_only: true "
            f"(no read-only account made: credential set {name} is not read_only)",
        )
    if credential.password is None:
        return AuditAccount(
            None,
            f"không tạo tài khoản chỉ đọc: bộ {name} không có password "
            f"(no read-only account made: credential set {name} has no password)",
        )
    admin = inv.settings.credentials.get(device.ssh_credentials or "")
    if isinstance(admin, SshCredential) and admin.username == credential.username:
        raise ChangeDataError(
            f"device {device.name}: audit_credentials {name} and ssh_credentials "
            f"{device.ssh_credentials} are the same user '{credential.username}': hardening "
            "would make provnet's own account read-only; give the audit account its own username"
        )
    return AuditAccount(
        {
            "username": credential.username,
            "pattern": re.escape(credential.username),  # for @once/@owns guards
            "password": secret_placeholder(name, "password"),
        }
    )


def snmp_user(inv: Inventory, device: DeviceView) -> dict[str, Any]:
    """The SNMPv3 user of the device's snmp credential set, protocols as the device's
    platform words them (``snmp_auth_keywords``); the keys are placeholders."""
    name = device.snmp_credentials
    credential = inv.settings.credentials.get(name) if name else None
    if not isinstance(credential, SnmpV3Credential):
        raise ChangeDataError(
            f"device {device.name}: hardening leaves no SNMP v1/v2c; it needs an snmp_v3 "
            f"credential set (snmp_credentials: {name or 'none'})"
        )
    assert name is not None
    net = network_platform(device.platform)
    auth = net.snmp_auth_keywords.get(credential.auth_protocol)
    priv = None
    if credential.security_level == "authPriv" and credential.priv_protocol is not None:
        priv = net.snmp_priv_keywords.get(credential.priv_protocol)
        if priv is None:
            raise ChangeDataError(
                f"device {device.name}: platform {device.platform} has no SNMPv3 privacy "
                f"protocol {credential.priv_protocol} (credential set {name})"
            )
    if auth is None:
        raise ChangeDataError(
            f"device {device.name}: platform {device.platform} has no SNMPv3 authentication "
            f"protocol {credential.auth_protocol} (credential set {name})"
        )
    return {
        "username": credential.username,
        "group": SNMP_VIEW,
        "view": SNMP_VIEW,
        "auth": auth,
        "priv": priv,
        "auth_key": secret_placeholder(name, "auth_password"),
        "priv_key": secret_placeholder(name, "priv_password") if priv else None,
    }


def device_context(inv: Inventory, device: DeviceView) -> dict[str, Any]:
    """What every template may use about the device and its province."""
    data = change_data(device)
    return {
        "device": {
            "name": device.name,
            "role": device.role.value,
            "platform": device.platform,
            "site": device.site.id,
            "site_name": device.site.name,
            "commune": device.commune_name,
        },
        "province": {
            "code": inv.settings.province.code,
            "name": inv.settings.province.name,
            "codename": inv.settings.province.codename,
        },
        "ntp_servers": list(inv.settings.ntp_servers),
        "syslog_servers": list(inv.settings.syslog_servers),
        "banner": data.login_banner,
        "exec_timeout": data.exec_timeout_minutes,
        "login_block": {
            "seconds": data.login_block_seconds,
            "attempts": data.login_attempts,
            "within": data.login_within_seconds,
            "minutes": max(1, data.login_block_seconds // 60),
        },
    }


def render(change: Path, platform: str, context: Mapping[str, Any]) -> Intent:
    """The template of ``platform`` in the change's folder ``change`` (``<platform>.j2``)
    rendered with ``context`` and read with the platform's configuration syntax."""
    return render_intent(template_for(change, platform), context, platform_syntax(platform))


NETWORK_ROLES = frozenset({Role.WAN_ROUTER, Role.CORE_SWITCH, Role.ACCESS_SWITCH, Role.FIREWALL})


def skip_for(device: DeviceView, roles: frozenset[Role], platforms: frozenset[str]) -> str | None:
    """Why a change made for ``roles`` on ``platforms`` does not apply to ``device``."""
    if device.role not in roles:
        wanted = ", ".join(sorted(r.value for r in roles))
        return (
            f"vai trò {device.role.value} không thuộc thay đổi này "
            f"(role {device.role.value} is not one of {wanted})"
        )
    if device.platform not in platforms:
        wanted = ", ".join(sorted(platforms))
        return (
            f"nền tảng {device.platform} không được hỗ trợ "
            f"(platform {device.platform} is not one of {wanted})"
        )
    return None
