"""The province twin: what to simulate, where, with which lab credentials.

Decisions only, no I/O: from an inventory and a selection, :func:`plan_twin` gives
every simulated device a loopback address (127.x.y.z), its initial state (interfaces
and addresses from the address plan) and lab credentials; :func:`overlay_documents`
gives the inventory files that point every device at its simulator, so that every
other provnet command runs unchanged against the twin.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import secrets as random_secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from inventory.addressing import allocate
from inventory.loader import Inventory
from inventory.model import SnmpV2cCredential, SnmpV3Credential, SshCredential
from inventory.resolve import DeviceView
from lab.errors import BadFault, BadTwinAddress
from lab.netns import SERVERS_OWN_LOOPBACK
from lab.state import DeviceState
from platforms import get_platform

TWIN_SSH_PORT = 10022
TWIN_SNMP_PORT = 10161
TWIN_SIP_PORT = 5060
DEFAULT_BASE = ipaddress.IPv4Address("127.1.0.0")
FAULTS = (
    "down",
    "up",
    "reboot",
    "slow",
    "link-down",
    "link-up",
    "drop-snmp",
    "garbage-snmp",
    "restore-snmp",
    "drop-session-after",
    "unregistered",
    "camera-off",
    "mic-muted",
    "clock-skew",
    "media-loss",
)


VC_FAULTS = ("unregistered", "camera-off", "mic-muted", "clock-skew", "media-loss")


def _number(kind: str, argument: str, what: str, low: float, high: float) -> float:
    try:
        value = float(argument)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # also refuses nan
        raise BadFault(f"{kind} needs {what} between {low:g} and {high:g}, got '{argument}'")
    return value


def vc_fault(state: DeviceState, kind: str, argument: str) -> None:
    """Break what a VC endpoint's readiness check reads (``up`` mends all of it)."""
    faults = state.faults
    if kind == "up":
        faults.unregistered = faults.camera_off = faults.mic_muted = False
        faults.clock_skew_s = faults.media_loss_pct = 0.0
    elif kind == "unregistered":
        faults.unregistered = True
    elif kind == "camera-off":
        faults.camera_off = True
    elif kind == "mic-muted":
        faults.mic_muted = True
    elif kind == "clock-skew":
        faults.clock_skew_s = _number(kind, argument, "SECONDS", -86400, 86400)
    elif kind == "media-loss":
        faults.media_loss_pct = _number(kind, argument, "PERCENT", 0, 100)
        faults.media_seen = 0


@dataclass(frozen=True)
class TwinDevice:
    """One simulated device: where it answers and as whom."""

    name: str
    platform: str
    role: str
    host: str
    ssh_port: int
    snmp_port: int
    ssh_credentials: str | None
    snmp_credentials: str | None
    commune_code: str
    commune_name: str
    site: str
    monitor_only: bool
    mgmt_ipv4: str | None
    interfaces: tuple[dict[str, Any], ...] = ()
    mac_block: int = 0  # the device's block of interface MACs (site and place in the site)
    audit_credentials: str | None = None  # the read-only account the twin provisions

    def new_state(self) -> DeviceState:
        """A fresh state: the interfaces of the plan, up, with their IPv4 addresses."""
        platform = get_platform(self.platform)
        state = DeviceState(
            name=self.name,
            platform=self.platform,
            hostname=self.name,
            sys_descr=f"{platform.vendor} {platform.os_name} (provnet twin) {self.name}",
            sys_object_id=platform.sys_object_id,
            sys_location=f"{self.commune_name or 'cấp tỉnh'} / {self.site}",
            sys_contact="noc@provnet.invalid",
            role=self.role,
            mac_block=self.mac_block,
        )
        for spec in self.interfaces:
            interface = state.add_interface(spec["name"], description=spec.get("description", ""))
            interface.ipv4 = [ipaddress.IPv4Interface(a) for a in spec.get("ipv4", [])]
            interface.ipv6 = [ipaddress.IPv6Interface(a) for a in spec.get("ipv6", [])]
            interface.ipv6_enabled = bool(interface.ipv6)
        return state


@dataclass(frozen=True)
class TwinSpec:
    """Everything the twin daemon needs; serialisable to JSON."""

    devices: tuple[TwinDevice, ...]
    # credential set name -> field -> lab value (generated per `lab up`, kept in the state dir)
    lab_secrets: dict[str, dict[str, str]] = field(default_factory=dict)
    credential_kinds: dict[str, dict[str, str]] = field(default_factory=dict)

    def device(self, name: str) -> TwinDevice:
        for device in self.devices:
            if device.name == name:
                return device
        raise KeyError(name)


def loopback_address(base: ipaddress.IPv4Address, index: int) -> ipaddress.IPv4Address:
    """The ``index``-th usable address after ``base``, skipping .0 and .255 of each /24."""
    per_block = 254
    block, offset = divmod(index, per_block)
    address = base + block * 256 + offset + 1
    if address not in ipaddress.IPv4Network("127.0.0.0/8"):
        raise BadTwinAddress(
            f"--base {base}: the twin's device number {index + 1} does not fit in "
            "127.0.0.0/8; choose a lower --base"
        )
    return address


def interfaces_for(inv: Inventory, view: DeviceView) -> tuple[dict[str, Any], ...]:
    """The interfaces a device starts with, addressed from the plan: the site's WAN /30 and
    loopback /32 are its router's alone (one of each per site); every device takes its own
    host of the LAN. A switch's LAN interface is its VLAN interface (the platform says)."""
    names = get_platform(view.platform).interfaces_for(view.role.value)
    plan = inv.settings.address_plan
    try:
        allocation = allocate(plan, view.site.plan_index, view.site.addressing)
    except ValueError:
        return tuple({"name": n} for n in names.values())
    router = view.role.value == "wan_router"
    specs: list[dict[str, Any]] = []
    for purpose, name in names.items():
        spec: dict[str, Any] = {"name": name, "description": _description(purpose, view)}
        if purpose == "wan" and router and "wan" in allocation.ipv4:
            net = allocation.ipv4["wan"]
            spec["ipv4"] = [f"{net.network_address + 2}/{net.prefixlen}"]
        elif purpose == "lan" and "lan" in allocation.ipv4:
            net = allocation.ipv4["lan"]
            spec["ipv4"] = [f"{net.network_address + _host_number(view)}/{net.prefixlen}"]
        elif purpose == "loopback" and router and "loopback" in allocation.ipv4:
            spec["ipv4"] = [f"{allocation.ipv4['loopback'].network_address}/32"]
        elif purpose in ("wan", "loopback"):
            continue  # not this device's: the site's router holds it
        if view.role.value == "server" and view.mgmt_ipv6 is not None:
            spec["ipv6"] = [f"{view.mgmt_ipv6}/64"]
        specs.append(spec)
    return tuple(specs)


def mac_block(view: DeviceView) -> int:
    """A block of MACs no other device of the plan holds: the site's plan index and the
    device's place in its site (0: none, the device then takes one from its name)."""
    if view.site.plan_index is None:
        return 0
    place = next((i for i, d in enumerate(view.site.devices) if d.name == view.name), 0)
    return (view.site.plan_index * 16 + place + 1) & 0xFFFF


def _host_number(view: DeviceView) -> int:
    order = {"wan_router": 1, "firewall": 3, "core_switch": 2, "access_switch": 2}
    return order.get(view.role.value, 3)


def _description(purpose: str, view: DeviceView) -> str:
    if purpose == "wan":
        uplink = next((c for c in view.site.circuits if c.kind == "level2_uplink"), None)
        if uplink is not None:
            return f"TSLCD cap II {uplink.provider} {uplink.bandwidth_mbps}M {uplink.vrf}"
        return "WAN"
    return {"lan": "LAN", "loopback": "Router ID"}.get(purpose, purpose)


def lab_secrets_for(inv: Inventory, used: Iterable[str]) -> dict[str, dict[str, str]]:
    """Fresh random lab values for every secret field of the credential sets in use."""
    values: dict[str, dict[str, str]] = {}
    for name in sorted(set(used)):
        credential = inv.settings.credentials.get(name)
        if credential is None:
            continue
        fields = {
            "ssh": ("password", "enable_secret"),
            "snmp_v2c": ("community",),
            "snmp_v3": ("auth_password", "priv_password"),
        }[credential.kind]
        values[name] = {
            f: f"lab-{random_secrets.token_hex(8)}" for f in fields if getattr(credential, f, None)
        }
    return values


def credential_kinds(inv: Inventory, used: Iterable[str]) -> dict[str, dict[str, str]]:
    """The non-secret parts of each credential set in use (username, protocols)."""
    out: dict[str, dict[str, str]] = {}
    for name in sorted(set(used)):
        credential = inv.settings.credentials.get(name)
        if isinstance(credential, SshCredential):
            out[name] = {"kind": "ssh", "username": credential.username}
        elif isinstance(credential, SnmpV3Credential):
            out[name] = {
                "kind": "snmp_v3",
                "username": credential.username,
                "auth_protocol": credential.auth_protocol,
                "priv_protocol": credential.priv_protocol or "",
            }
        elif isinstance(credential, SnmpV2cCredential):
            out[name] = {"kind": "snmp_v2c"}
    return out


def expand_to_sites(
    all_devices: Sequence[DeviceView], chosen: Sequence[DeviceView]
) -> list[DeviceView]:
    """Every device of every site that has a chosen device: sites are simulated whole."""
    sites = {d.site.id for d in chosen}
    return [d for d in all_devices if d.site.id in sites]


def plan_twin(
    inv: Inventory,
    devices: Sequence[DeviceView],
    base: ipaddress.IPv4Address = DEFAULT_BASE,
    lab_secrets: dict[str, dict[str, str]] | None = None,
) -> TwinSpec:
    """Addresses, initial interfaces and lab credentials for ``devices`` (network and VC only).

    Linux servers are not in the spec: they run as real sshd in network namespaces
    (see ``lab.netns``) and only when provnet runs as root.
    """
    simulated = [d for d in devices if d.role.value != "server"]
    twins = tuple(
        TwinDevice(
            name=view.name,
            platform=view.platform,
            role=view.role.value,
            host=str(loopback_address(base, index)),
            ssh_port=TWIN_SSH_PORT,
            snmp_port=TWIN_SNMP_PORT,
            ssh_credentials=view.ssh_credentials,
            snmp_credentials=view.snmp_credentials,
            commune_code=view.commune_code,
            commune_name=view.commune_name,
            site=view.site.id,
            monitor_only=view.monitor_only,
            mgmt_ipv4=str(view.mgmt_ipv4) if view.mgmt_ipv4 else None,
            interfaces=interfaces_for(inv, view),
            mac_block=mac_block(view),
            audit_credentials=view.audit_credentials,
        )
        for index, view in enumerate(simulated)
    )
    used = [
        c for t in twins for c in (t.ssh_credentials, t.snmp_credentials, t.audit_credentials) if c
    ]
    return TwinSpec(
        devices=twins,
        lab_secrets=lab_secrets if lab_secrets is not None else lab_secrets_for(inv, used),
        credential_kinds=credential_kinds(inv, used),
    )


@dataclass(frozen=True)
class ServersOverlay:
    """What the overlay says of the twin's Debian servers: each server's fields (``mgmt``,
    ``ssh_credentials``, ``apt_mirror``, ``data`` merged into its own), the lab's credentials
    for them, the twin LAN as a management prefix (the servers are managed from it), and the
    twin SOC servers' addresses as the province's syslog servers (the servers' forwarding
    lands on the twin collector, never on the real one)."""

    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    credentials: dict[str, dict[str, Any]] = field(default_factory=dict)
    management_prefixes: tuple[str, ...] = ()
    syslog_servers: tuple[str, ...] = ()


def overlay_documents(
    inv_documents: dict[str, Any], spec: TwinSpec, servers: ServersOverlay | None = None
) -> dict[str, Any]:
    """Rewrite parsed inventory files (relative path -> document) to point at the twin.

    Devices not simulated are removed, so the overlay can never reach a real device;
    sites and communes left empty are removed too. Secret references point at the lab
    secrets file. ``servers`` points each Linux server at its twin (see :class:`ServersOverlay`).
    """
    servers = servers or ServersOverlay()
    twins = {d.name: d for d in spec.devices}
    out: dict[str, Any] = {}
    for path, document in inv_documents.items():
        if path == "province.yaml":
            out[path] = _overlay_province(document, spec, servers)
            continue
        sites = []
        for site in document.get("sites", []):
            kept = []
            for device in site.get("devices", []):
                if device["name"] in twins:
                    twin = twins[device["name"]]
                    device = {
                        **device,
                        "mgmt": {"ipv4": twin.host, "port": twin.ssh_port},
                        "snmp_port": twin.snmp_port,
                    }
                    kept.append(device)
                elif device["name"] in servers.fields:
                    fields = servers.fields[device["name"]]
                    data = {**device.get("data", {}), **fields.get("data", {})}
                    kept.append({**device, **fields, **({"data": data} if data else {})})
            if kept:
                sites.append({**site, "devices": kept})
        if sites:
            out[path] = {**document, "sites": sites}
    return out


def _overlay_province(
    document: dict[str, Any], spec: TwinSpec, servers: ServersOverlay
) -> dict[str, Any]:
    credentials = {}
    for name, credential in document.get("credentials", {}).items():
        rewritten = dict(credential)
        for secret_field in spec.lab_secrets.get(name, {}):
            rewritten[secret_field] = {"secret": f"{name}.{secret_field}"}
        credentials[name] = rewritten
    credentials.update(servers.credentials)
    prefixes = [*document.get("management_prefixes", []), *servers.management_prefixes]
    return {
        **document,
        "credentials": credentials,
        **({"management_prefixes": prefixes} if prefixes else {}),
        **({"syslog_servers": list(servers.syslog_servers)} if servers.syslog_servers else {}),
    }


def secrets_file_values(spec: TwinSpec) -> dict[str, str]:
    """The lab secrets file: ``credential.field: value``, referenced by the overlay."""
    return {
        f"{name}.{secret_field}": value
        for name, fields in spec.lab_secrets.items()
        for secret_field, value in fields.items()
    }


def spec_to_json(spec: TwinSpec) -> str:
    return json.dumps(dataclasses.asdict(spec), ensure_ascii=False, indent=1)


def spec_from_json(text: str) -> TwinSpec:
    data = json.loads(text)
    devices = tuple(
        TwinDevice(**{**d, "interfaces": tuple(d["interfaces"])}) for d in data["devices"]
    )
    return TwinSpec(devices, data["lab_secrets"], data["credential_kinds"])


LAB_LINUX_CREDENTIALS = "lab-linux-root"


def server_networks(
    base: ipaddress.IPv4Address,
) -> tuple[ipaddress.IPv4Network, ipaddress.IPv6Network]:
    """The twin servers' LAN (253 servers at most): 10.A.B.0/24 for the base 127.A.B.0, so
    twins on different bases (parallel test workers, the demo) never share one."""
    a, b = (int(base) >> 16) & 0xFF, (int(base) >> 8) & 0xFF
    return (
        ipaddress.IPv4Network(f"10.{a}.{b}.0/24"),
        ipaddress.IPv6Network(f"fd00:70:{a:x}:{b:x}00::/64"),
    )


def device_prefixes(spec: TwinSpec) -> list[ipaddress.IPv4Network]:
    """The /24 blocks of the devices' loopback addresses, which each twin server routes to
    its gateway (this machine), so a server's exporter or Ansible reaches the twin's devices
    as a monitoring server reaches the real ones. 127.0.0.0/24 stays the server's own."""
    blocks = {ipaddress.IPv4Network((d.host, 24), strict=False) for d in spec.devices}
    kept: list[ipaddress.IPv4Network] = []
    for block in ipaddress.collapse_addresses(blocks):
        if block.supernet_of(SERVERS_OWN_LOOPBACK):
            kept.extend(block.address_exclude(SERVERS_OWN_LOOPBACK))
        else:
            kept.append(block)
    return sorted(kept)
