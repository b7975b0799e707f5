"""Devices as every other room sees them: inheritance applied, context attached.

Precedence, as Nornir and Ansible users expect: device > site > groups (in the
order listed, device groups before site groups) > defaults. ``data`` mappings are
merged key by key with the same precedence.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from inventory.loader import Inventory
from inventory.model import (
    AptMirror,
    Commune,
    Device,
    ManagedBy,
    ProvinceInfo,
    Role,
    Settings,
    Site,
    SyslogForward,
)

DEFAULT_SSH_PORT = 22
DEFAULT_SNMP_PORT = 161


@dataclass(frozen=True)
class DeviceView:
    """One device with everything it inherits resolved. Holds credential names, never secrets."""

    name: str
    role: Role
    platform: str
    managed_by: ManagedBy
    ssh_credentials: str | None
    snmp_credentials: str | None
    mgmt_ipv4: ipaddress.IPv4Address | None
    mgmt_ipv6: ipaddress.IPv6Address | None
    ssh_port: int
    snmp_port: int
    groups: tuple[str, ...]
    data: dict[str, Any]
    province: ProvinceInfo
    commune: Commune | None
    site: Site
    device: Device
    apt_mirror: AptMirror | None = None
    syslog_forward: SyslogForward | None = None
    audit_credentials: str | None = None

    @property
    def monitor_only(self) -> bool:
        """Telco-managed: the province may monitor it, never configure it."""
        return self.managed_by is ManagedBy.TELCO

    @property
    def host(self) -> str:
        """The management address to connect to, IPv4 first."""
        address = self.mgmt_ipv4 or self.mgmt_ipv6
        return str(address)

    @property
    def commune_code(self) -> str:
        return self.commune.code if self.commune else ""

    @property
    def commune_name(self) -> str:
        return self.commune.name if self.commune else ""


def _chain(inventory: Inventory, site: Site, device: Device) -> tuple[list[Settings], list[str]]:
    groups = inventory.settings.groups
    group_names = list(dict.fromkeys([*device.groups, *site.groups]))
    chain: list[Settings] = [device, site]
    chain.extend(groups[name] for name in group_names if name in groups)
    chain.append(inventory.settings.defaults)
    return chain, group_names


def _first(chain: list[Settings], attribute: str) -> Any:
    for layer in chain:
        value = getattr(layer, attribute)
        if value is not None:
            return value
    return None


def merged_data(chain: list[Settings]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for layer in reversed(chain):
        data.update(layer.data)
    return data


def resolve_device(
    inventory: Inventory, commune: Commune | None, site: Site, device: Device
) -> DeviceView:
    chain, group_names = _chain(inventory, site, device)
    ssh_port = device.mgmt.port or _first(chain, "ssh_port") or DEFAULT_SSH_PORT
    return DeviceView(
        name=device.name,
        role=device.role,
        platform=_first(chain, "platform") or "",
        managed_by=_first(chain, "managed_by") or ManagedBy.PROVINCE,
        ssh_credentials=_first(chain, "ssh_credentials"),
        snmp_credentials=_first(chain, "snmp_credentials"),
        mgmt_ipv4=device.mgmt.ipv4,
        mgmt_ipv6=device.mgmt.ipv6,
        ssh_port=ssh_port,
        snmp_port=_first(chain, "snmp_port") or DEFAULT_SNMP_PORT,
        groups=tuple(group_names),
        data=merged_data(chain),
        province=inventory.settings.province,
        commune=commune,
        site=site,
        device=device,
        apt_mirror=_first(chain, "apt_mirror"),
        syslog_forward=_first(chain, "syslog_forward"),
        audit_credentials=_first(chain, "audit_credentials"),
    )


def iter_devices(inventory: Inventory) -> Iterator[DeviceView]:
    for commune, site in inventory.sites():
        for device in site.devices:
            yield resolve_device(inventory, commune, site, device)
