"""Cross-reference checks over a loaded inventory. Pure: takes models, returns problems."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from inventory.addressing import (
    PROVINCE_SITE_SLOTS,
    IPNetwork,
    PlanError,
    allocate,
    find_overlaps,
    next_free_index,
)
from inventory.errors import InventoryInvalid, Problem, Severity
from inventory.loader import Inventory, LoadResult, load_inventory
from inventory.model import (
    AddressPlan,
    Role,
    Settings,
    Site,
    SiteKind,
    SnmpV2cCredential,
    SnmpV3Credential,
    SshCredential,
)
from inventory.official import DATA_VERSION, communes_by_code, provinces
from inventory.resolve import DeviceView, iter_devices
from platforms import registry

Check = Callable[[Inventory], Iterable[Problem]]


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean '{close[0]}'?" if close else ""


def check_official_codes(inv: Inventory) -> Iterable[Problem]:
    info = inv.settings.province
    official = provinces().get(info.code)
    if official is None:
        yield Problem(
            inv.where(inv.settings, "province", "code"),
            f"province code {info.code} is not one of the 34 official codes",
            f"official list from vietnam-provinces, data {DATA_VERSION}",
        )
        return
    if info.name not in {official.name, official.short_name}:
        yield Problem(
            inv.where(inv.settings, "province", "name"),
            f"province {info.code} is officially named '{official.short_name}'",
            severity=Severity.WARNING,
        )
    for commune in inv.communes:
        found = communes_by_code().get(commune.code)
        if found is None or found[0].code != info.code:
            elsewhere = f" (it belongs to {found[0].short_name})" if found else ""
            yield Problem(
                inv.where(commune, "code"),
                f"commune code {commune.code} is not a commune of {official.short_name}{elsewhere}",
                "use the 5-digit code in force since 1 July 2025; keep old codes under legacy",
            )
            continue
        _, off = found
        if commune.name != off.name:
            yield Problem(
                inv.where(commune, "name"),
                f"commune {commune.code} is officially named '{off.name}'",
                severity=Severity.WARNING,
            )
        if commune.type.value != off.type:
            yield Problem(
                inv.where(commune, "type"),
                f"commune {commune.code} is officially a '{off.type}', not '{commune.type}'",
            )


def _duplicates(
    inv: Inventory, items: Iterable[tuple[str, object, tuple[str | int, ...]]], what: str
) -> Iterable[Problem]:
    first_seen: dict[str, tuple[object, tuple[str | int, ...]]] = {}
    for key, obj, path in items:
        if key in first_seen:
            first_obj, first_path = first_seen[key]
            yield Problem(
                inv.where(obj, *path),
                f"duplicate {what} '{key}'",
                f"first at {inv.where(first_obj, *first_path)}",
            )
        else:
            first_seen[key] = (obj, path)


def check_duplicates(inv: Inventory) -> Iterable[Problem]:
    yield from _duplicates(inv, ((c.code, c, ("code",)) for c in inv.communes), "commune code")
    yield from _duplicates(inv, ((s.id, s, ("id",)) for _, s in inv.sites()), "site id")
    devices = [d for _, s in inv.sites() for d in s.devices]
    yield from _duplicates(inv, ((d.name, d, ("name",)) for d in devices), "device name")
    yield from _duplicates(
        inv,
        (
            (f"{addr}:{port}", view.device, ("mgmt",))
            for view in iter_devices(inv)
            for addr, port in _endpoints(view)
        ),
        "management address",
    )


def _endpoints(view: DeviceView) -> list[tuple[str, int]]:
    return [(str(a), view.ssh_port) for a in (view.mgmt_ipv4, view.mgmt_ipv6) if a is not None]


def _layers(inv: Inventory) -> Iterable[tuple[str, Settings, tuple[str | int, ...]]]:
    """Every place a setting can be written: (label, layer, path of the layer in its file)."""
    yield "defaults", inv.settings.defaults, ("defaults",)
    for name, group in inv.settings.groups.items():
        yield f"group {name}", group, ("groups", name)
    for _, site in inv.sites():
        yield f"site {site.id}", site, ()
        for device in site.devices:
            yield f"device {device.name}", device, ()


def _owner(inv: Inventory, layer: Settings) -> object:
    """The object whose node locates ``layer`` (groups and defaults live in province.yaml)."""
    return layer if inv.node(layer) is not None else inv.settings


def check_references(inv: Inventory) -> Iterable[Problem]:
    """Names written anywhere (platform, credential sets, groups) must exist, where written."""
    platforms = registry()
    credentials = inv.settings.credentials
    groups = inv.settings.groups
    for label, layer, path in _layers(inv):
        owner = _owner(inv, layer)
        if layer.platform is not None and layer.platform not in platforms:
            yield Problem(
                inv.where(owner, *path, "platform"),
                f"{label}: unknown platform '{layer.platform}'",
                _suggest(layer.platform, platforms)
                or f"known platforms: {', '.join(sorted(platforms))}",
            )
        for attr, kinds, kind_label in (
            ("ssh_credentials", (SshCredential,), "SSH"),
            ("audit_credentials", (SshCredential,), "SSH"),
            ("snmp_credentials", (SnmpV2cCredential, SnmpV3Credential), "SNMP"),
        ):
            name = getattr(layer, attr)
            if name is None:
                continue
            if name not in credentials:
                yield Problem(
                    inv.where(owner, *path, attr),
                    f"{label}: unknown {kind_label} credential set '{name}'",
                    _suggest(name, credentials) or "define it under credentials in province.yaml",
                )
            elif not isinstance(credentials[name], kinds):
                yield Problem(
                    inv.where(owner, *path, attr),
                    f"{label}: credential set '{name}' is of kind {credentials[name].kind}, "
                    f"not {kind_label}",
                )
        for i, group in enumerate(getattr(layer, "groups", []) if path == () else []):
            if group not in groups:
                yield Problem(
                    inv.where(owner, "groups", i),
                    f"{label}: unknown group '{group}'",
                    _suggest(group, groups) or "define it under groups in province.yaml",
                )


def check_devices_complete(inv: Inventory) -> Iterable[Problem]:
    """After inheritance every device has a platform fit for its role and its credential sets."""
    platforms = registry()
    for view in iter_devices(inv):
        device = view.device
        if not view.platform:
            yield Problem(
                inv.where(device, "name"),
                f"device {device.name} has no platform (not on the device, its site, "
                "its groups or the defaults)",
                f"known platforms: {', '.join(sorted(platforms))}",
            )
        elif view.platform in platforms and view.role.value not in platforms[view.platform].roles:
            yield Problem(
                inv.where(device, "role"),
                f"device {device.name}: platform {view.platform} does not serve role {view.role}",
                f"it serves {', '.join(sorted(platforms[view.platform].roles))}",
                Severity.WARNING,
            )
        if view.ssh_credentials is None:
            yield Problem(
                inv.where(device, "name"),
                f"device {device.name} has no SSH credential set",
                "set ssh_credentials on the device, its site, a group or the defaults",
            )
        if view.snmp_credentials is None and view.role is not Role.SERVER:
            yield Problem(
                inv.where(device, "name"),
                f"device {device.name} has no SNMP credential set",
                "set snmp_credentials on the device, its site, a group or the defaults",
            )


def check_commune_offices(inv: Inventory) -> Iterable[Problem]:
    for commune, site in inv.sites():
        if site.kind is not SiteKind.COMMUNE_OFFICE:
            continue
        if commune is None:
            yield Problem(
                inv.where(site, "kind"),
                f"site {site.id} is a commune office but is not under a commune",
                "move it to the commune's file in communes/",
            )
        roles = {d.role for d in site.devices}
        for role, what in ((Role.WAN_ROUTER, "WAN router"), (Role.VC_ENDPOINT, "VC endpoint")):
            if role not in roles:
                yield Problem(
                    inv.where(site, "devices") if site.devices else inv.where(site, "id"),
                    f"commune office {site.id} has no {what} ({role})",
                    "every commune office connects to the level-II network and takes part "
                    "in video conferences",
                )
        if not any(c.kind == "level2_uplink" for c in site.circuits):
            yield Problem(
                inv.where(site, "id"),
                f"commune office {site.id} has no level2_uplink circuit",
                "add its level-II uplink under circuits",
                Severity.WARNING,
            )


def check_address_plan(inv: Inventory) -> Iterable[Problem]:
    plan = inv.settings.address_plan
    blocks = []
    index_owner: dict[int, str] = {}
    placed = list(inv.sites())
    sites = [s for _, s in placed]
    first_free = {id(s): PROVINCE_SITE_SLOTS if commune is not None else 0 for commune, s in placed}
    used = [s.plan_index for s in sites if s.plan_index is not None]
    owner_of: dict[str, Site] = {}
    for site in sites:
        owner_of[site.id] = site
        if site.plan_index is not None:
            if site.plan_index in index_owner:
                yield Problem(
                    inv.where(site, "plan_index"),
                    f"site {site.id}: plan_index {site.plan_index} is already used by site "
                    f"{index_owner[site.plan_index]}",
                    f"the next free index is {next_free_index(used, first_free[id(site)])}",
                )
                continue
            index_owner[site.plan_index] = site.id
        elif site.addressing.ipv6 is None and not site.addressing.ipv4 and site.devices:
            yield Problem(
                inv.where(site, "id"),
                f"site {site.id} has no plan_index and no explicit addressing",
                f"add 'plan_index: {next_free_index(used, first_free[id(site)])}' "
                "(the next free index)",
            )
        try:
            allocation = allocate(plan, site.plan_index, site.addressing)
        except PlanError as exc:
            yield Problem(inv.where(site, "plan_index"), f"site {site.id}: {exc}")
            continue
        for name, net in allocation.blocks():
            overridden = site.plan_index is None or _is_override(site, name)
            if overridden and not _inside_plan(plan, net):
                yield Problem(
                    inv.where(site, "addressing"),
                    f"site {site.id}: override {name} {net} lies outside the province's supernets",
                    severity=Severity.WARNING,
                )
            blocks.append((site.id, name, net))
    for overlap in find_overlaps(blocks):
        first, second = overlap.first, overlap.second
        # Report at the override when there is one: that is the line to fix.
        if _is_override(owner_of[first[0]], first[1]) and not _is_override(
            owner_of[second[0]], second[1]
        ):
            first, second = second, first
        site = owner_of[second[0]]
        path = ("addressing",) if _is_override(site, second[1]) else ("plan_index",)
        yield Problem(
            inv.where(site, *path),
            f"site {second[0]}: {second[1]} {second[2]} overlaps {first[1]} {first[2]} "
            f"of site {first[0]}",
            "fix the override or the plan_index",
        )


def _is_override(site: Site, block_name: str) -> bool:
    if block_name == "ipv6":
        return site.addressing.ipv6 is not None
    return block_name.removeprefix("ipv4.") in site.addressing.ipv4


def _inside_plan(plan: AddressPlan, net: IPNetwork) -> bool:
    supernets: list[IPNetwork] = [plan.ipv6.supernet, *(p.supernet for p in plan.ipv4.values())]
    return any(
        (isinstance(net, IPv6Network) and isinstance(s, IPv6Network) and net.subnet_of(s))
        or (isinstance(net, IPv4Network) and isinstance(s, IPv4Network) and net.subnet_of(s))
        for s in supernets
    )


SECRET_KEY = re.compile(
    r"(?i)(?:^|_)(?:pass(?:word|phrase)?|secret|community|psk|private_?key|token|api_?key"
    r"|auth_key|priv_key)$"
)


def _secret_looking(data: object, path: tuple[str | int, ...]) -> Iterable[tuple[str | int, ...]]:
    """Paths under ``data`` whose key names a secret and whose value is written out."""
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*path, str(key))
            if SECRET_KEY.search(str(key)) and isinstance(value, str | int) and str(value):
                yield here
            else:
                yield from _secret_looking(value, here)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _secret_looking(value, (*path, i))


def check_data_secrets(inv: Inventory) -> Iterable[Problem]:
    """No secret written under ``data:`` (it would reach plans, exports and git history)."""
    for label, layer, path in _layers(inv):
        for found in _secret_looking(layer.data, ("data",)):
            yield Problem(
                inv.where(_owner(inv, layer), *path, *found),
                f"{label}: {'.'.join(str(p) for p in found)} looks like a secret written in "
                "the inventory",
                "secrets live in a credential set as {env: VARIABLE} or {secret: NAME}",
            )


def check_management_addresses(inv: Inventory) -> Iterable[Problem]:
    """Management addresses a device can be reached at: not link-local, inside the plan."""
    plan = inv.settings.address_plan
    for _, site in inv.sites():
        for device in site.devices:
            for family, address in (("ipv4", device.mgmt.ipv4), ("ipv6", device.mgmt.ipv6)):
                if address is None:
                    continue
                where = inv.where(device, "mgmt", family)
                if address.is_link_local:
                    yield Problem(
                        where,
                        f"device {device.name}: management address {address} is link-local; "
                        "it cannot be reached from the data centre",
                        severity=Severity.WARNING,
                    )
                elif not _inside_plan(plan, ip_network(address)):
                    yield Problem(
                        where,
                        f"device {device.name}: management address {address} lies outside "
                        "the province's address plan",
                        "a device of another province, or a typo?",
                        Severity.WARNING,
                    )


CHECKS: tuple[Check, ...] = (
    check_official_codes,
    check_duplicates,
    check_references,
    check_devices_complete,
    check_commune_offices,
    check_address_plan,
    check_data_secrets,
    check_management_addresses,
)


def validate(inv: Inventory) -> list[Problem]:
    problems: list[Problem] = []
    for check in CHECKS:
        problems.extend(check(inv))
    return problems


def load_and_validate(path: Path | str | None = None) -> tuple[Inventory | None, list[Problem]]:
    """Load, schema-check and cross-check; returns every problem found."""
    result: LoadResult = load_inventory(path)
    problems = list(result.problems)
    if result.inventory is not None:
        problems.extend(validate(result.inventory))
    return result.inventory, problems


def load_valid(path: Path | str | None = None) -> Inventory:
    """The inventory, or :class:`InventoryInvalid` with every error. Warnings are kept."""
    inventory, problems = load_and_validate(path)
    if inventory is None or any(p.is_error for p in problems):
        raise InventoryInvalid(problems)
    return inventory
