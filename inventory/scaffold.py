"""A complete starting inventory for any of the 34 provinces, from the official list.

Every commune gets a commune office site with a WAN router, an access switch and
a VC endpoint; the province gets its data centre, IOC and SOC. Addresses follow
the plan from each site's ``plan_index``: province-level sites take 0..15,
communes follow in code order, so a commune added later takes the next free index
and nothing is renumbered.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml_rs

from inventory.addressing import PROVINCE_SITE_SLOTS, SiteAllocation, allocate
from inventory.errors import InventoryError
from inventory.model import AddressPlan
from inventory.official import OfficialCommune, OfficialProvince

DOC_IPV6 = ipaddress.IPv6Network("2001:db8::/32")


class ScaffoldTargetNotEmpty(InventoryError, FileExistsError):
    pass


class ScaffoldTargetUnwritable(InventoryError, PermissionError):
    pass


@dataclass(frozen=True)
class ScaffoldOptions:
    """What a scaffolded province is built with; the platforms are data (defaults), never
    decided elsewhere by name."""

    router_platform: str = "cisco_ios"  # commune WAN routers
    switch_platform: str = "cisco_ios"
    vc_platform: str = "cisco_tp"
    server_platform: str = "linux"
    dc_router_platform: str = "cisco_xe"  # the data centre's WAN router
    firewall_platform: str = "huawei_vrp"
    uplink_mbps: int = 200
    force: bool = False


def name_prefix(province: OfficialProvince) -> str:
    """``th`` for thanh_hoa, ``hcm`` for ho_chi_minh: short, ASCII, stable."""
    return "".join(part[0] for part in province.codename.split("_"))


def default_plan(province: OfficialProvince) -> dict[str, Any]:
    code = int(province.code)
    # The documentation prefix stands in until VNNIC's allocation is written here.
    v6 = ipaddress.IPv6Network((int(DOC_IPV6.network_address) | (code << 88), 40))
    return {
        "ipv6": {
            "supernet": str(v6),
            "site_prefix_length": 56,
            "subnets": {"loopback": 0, "mgmt": 1, "wan": 2, "lan": 3, "vc": 4},
        },
        "ipv4": {
            "lan": {"supernet": f"10.{code}.0.0/17", "prefix_length": 26},
            "mgmt": {"supernet": f"10.{code}.128.0/18", "prefix_length": 27},
            "wan": {"supernet": f"10.{code}.192.0/19", "prefix_length": 30},
            "loopback": {"supernet": f"10.{code}.224.0/19", "prefix_length": 32},
        },
    }


def province_document(province: OfficialProvince) -> dict[str, Any]:
    code = int(province.code)
    return {
        "province": {
            "code": province.code,
            "name": province.short_name,
            "codename": province.codename,
        },
        "address_plan": default_plan(province),
        "credentials": {
            "ssh-netops": {
                "kind": "ssh",
                "username": "netops",
                "password": {"env": "PROVNET_SSH_PASSWORD"},
                "enable_secret": {"env": "PROVNET_ENABLE_SECRET"},
            },
            "ssh-vc": {
                "kind": "ssh",
                "username": "admin",
                "password": {"env": "PROVNET_VC_PASSWORD"},
            },
            "ssh-audit": {
                "kind": "ssh",
                "username": "audit",
                "read_only": True,
                "password": {"env": "PROVNET_AUDIT_PASSWORD"},
            },
            "snmp-v3-ro": {
                "kind": "snmp_v3",
                "username": "provnet-ro",
                "auth_protocol": "SHA256",
                "auth_password": {"env": "PROVNET_SNMP_AUTH"},
                "priv_protocol": "AES",
                "priv_password": {"env": "PROVNET_SNMP_PRIV"},
            },
        },
        "defaults": {
            "managed_by": "province",
            "ssh_credentials": "ssh-netops",
            "snmp_credentials": "snmp-v3-ro",
            "audit_credentials": "ssh-audit",
        },
        "groups": {
            "vc-endpoints": {
                "description": "Điểm cầu truyền hình trực tuyến",
                "ssh_credentials": "ssh-vc",
            },
            "telco-cpe": {
                "description": "CPE do nhà mạng quản lý: chỉ giám sát, không cấu hình",
                "managed_by": "telco",
            },
        },
        "ntp_servers": [f"10.{code}.224.1", f"10.{code}.224.2"],
        "syslog_servers": [f"10.{code}.224.3"],
        "management_prefixes": [f"10.{code}.128.0/18", default_plan(province)["ipv6"]["supernet"]],
    }


def _device(
    name: str, role: str, platform: str, allocation: SiteAllocation, host: int, **extra: Any
) -> dict[str, Any]:
    mgmt4 = allocation.ipv4["mgmt"].network_address + host
    mgmt6 = allocation.ipv6_subnets["mgmt"].network_address + host
    device: dict[str, Any] = {"name": name, "role": role, "platform": platform}
    device.update(extra)
    device["mgmt"] = {"ipv4": str(mgmt4), "ipv6": str(mgmt6)}
    return device


def _uplink(mbps: int) -> dict[str, Any]:
    return {
        "name": "cap2-uplink",
        "kind": "level2_uplink",
        "operator": "telco",
        "provider": "VNPT",
        "bandwidth_mbps": mbps,
        "addressing": "private",
        "vrf": "TSLCD-CAP2",
    }


def commune_document(
    province: OfficialProvince,
    commune: OfficialCommune,
    index: int,
    plan: AddressPlan,
    options: ScaffoldOptions,
) -> dict[str, Any]:
    prefix = f"{name_prefix(province)}-{commune.code}"
    site = allocate(plan, index)
    return {
        "code": commune.code,
        "name": commune.name,
        "type": commune.type,
        "sites": [
            {
                "id": f"{prefix}-ubnd",
                "kind": "commune_office",
                "name": f"UBND {commune.name}",
                "security_level": 2,
                "plan_index": index,
                "circuits": [_uplink(options.uplink_mbps)],
                "devices": [
                    _device(f"{prefix}-rtr1", "wan_router", options.router_platform, site, 1),
                    _device(f"{prefix}-sw1", "access_switch", options.switch_platform, site, 2),
                    _device(
                        f"{prefix}-vc1",
                        "vc_endpoint",
                        options.vc_platform,
                        site,
                        3,
                        groups=["vc-endpoints"],
                    ),
                ],
            }
        ],
    }


def province_sites_document(
    province: OfficialProvince, plan: AddressPlan, options: ScaffoldOptions
) -> dict[str, Any]:
    p = name_prefix(province)
    dc, ioc, soc = (allocate(plan, index) for index in (0, 1, 2))
    servers = [
        _device(f"{p}-dc-srv{i}", "server", options.server_platform, dc, 10 + i)
        for i in range(1, 4)
    ]
    return {
        "sites": [
            {
                "id": f"{p}-dc",
                "kind": "data_centre",
                "name": f"Trung tâm tích hợp dữ liệu tỉnh {province.short_name}",
                "security_level": 3,
                "plan_index": 0,
                "circuits": [_uplink(1000)],
                "devices": [
                    _device(f"{p}-dc-rtr1", "wan_router", options.dc_router_platform, dc, 1),
                    _device(f"{p}-dc-core1", "core_switch", options.switch_platform, dc, 2),
                    _device(f"{p}-dc-fw1", "firewall", options.firewall_platform, dc, 3),
                    *servers,
                ],
            },
            {
                "id": f"{p}-ioc",
                "kind": "ioc",
                "name": f"Trung tâm điều hành thông minh (IOC) tỉnh {province.short_name}",
                "security_level": 3,
                "plan_index": 1,
                "circuits": [_uplink(500)],
                "devices": [
                    _device(f"{p}-ioc-rtr1", "wan_router", options.router_platform, ioc, 1),
                    _device(
                        f"{p}-ioc-vc1",
                        "vc_endpoint",
                        options.vc_platform,
                        ioc,
                        3,
                        groups=["vc-endpoints"],
                    ),
                ],
            },
            {
                "id": f"{p}-soc",
                "kind": "soc",
                "name": f"Trung tâm giám sát an toàn thông tin (SOC) tỉnh {province.short_name}",
                "security_level": 3,
                "plan_index": 2,
                "circuits": [_uplink(500)],
                "devices": [
                    _device(f"{p}-soc-log1", "server", options.server_platform, soc, 10),
                ],
            },
        ]
    }


def commune_filename(commune: OfficialCommune) -> str:
    return f"{commune.code}-{commune.codename}.yaml"


def dump(document: dict[str, Any]) -> str:
    return str(yaml_rs.dumps(document)).removeprefix("---\n")


def scaffold(province: OfficialProvince, out: Path, options: ScaffoldOptions | None = None) -> int:
    """Write the inventory of ``province`` under ``out``; returns the number of files written."""
    options = options or ScaffoldOptions()
    if (out.exists() or out.is_symlink()) and not out.is_dir():
        raise ScaffoldTargetNotEmpty(f"{out}: exists and is not a directory; choose a directory")
    if out.exists() and any(out.iterdir()) and not options.force:
        raise ScaffoldTargetNotEmpty(
            f"{out}: not empty; choose an empty directory or pass --force to overwrite"
        )
    province_doc = province_document(province)
    plan = AddressPlan.model_validate(province_doc["address_plan"])
    files = {
        Path("province.yaml"): _header(province) + dump(province_doc),
        Path("sites", "province.yaml"): dump(province_sites_document(province, plan, options)),
    }
    for offset, commune in enumerate(province.communes):
        document = commune_document(province, commune, PROVINCE_SITE_SLOTS + offset, plan, options)
        files[Path("communes", commune_filename(commune))] = dump(document)
    try:
        (out / "communes").mkdir(parents=True, exist_ok=True)
        (out / "sites").mkdir(exist_ok=True)
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        where = exc.filename or out
        raise ScaffoldTargetUnwritable(f"{where}: cannot write: {exc.strerror}") from None
    return len(files)


def _header(province: OfficialProvince) -> str:
    return (
        f"# Inventory of {province.short_name} ({province.code}), scaffolded by provnet.\n"
        "# Secrets are never written here: credentials name an environment variable\n"
        "# ({env: NAME}) or a key of the secrets file ($PROVNET_SECRETS_FILE).\n"
        "# The IPv6 supernet is a documentation prefix until VNNIC's allocation replaces it.\n"
    )
