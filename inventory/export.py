"""The inventory as other tools read it: Prometheus file_sd, Ansible, pyinfra, Netmiko.

Pure functions: they take resolved devices and return data (or, for pyinfra, the
text of a Python file); the CLI serialises and writes. No export ever holds a
secret. Passwords appear only as *references* that the consuming tool resolves at
run time: ``{{ lookup('env', NAME) }}`` for Ansible, ``os.environ.get(NAME)`` for
pyinfra, ``env:NAME`` strings for Netmiko. The one function that returns real
secrets is :func:`netmiko_connect_params`, for a connection about to be made.

A ``{secret: NAME}`` reference (the secrets file) cannot be expressed as a
reference these tools understand without copying the secret, so such hosts get no
password in Ansible and pyinfra exports, only ``provnet_secret_ref: secret:NAME``;
run them with ``--ask-pass`` (Ansible), SSH keys, or switch the credential to an
``{env: NAME}`` reference.

Group names shared by the Ansible and pyinfra exports (valid in both):

==========================  ===============================================
``wan_router``, ``server``  the device role, as written
``platform_<name>``         Netmiko device_type (``platform_cisco_ios``)
``commune_<code>``          the commune (``commune_14758``)
``province_level``          devices at province-level sites (DC, IOC, SOC)
``kind_<site kind>``        ``kind_commune_office``, ``kind_data_centre``, ...
``group_<inventory group>`` inventory groups, ``-`` and ``.`` made ``_``
``telco_managed``           telco-managed: monitor, never configure
``province_managed``        everything the province may configure
==========================  ===============================================
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from inventory.errors import SecretUnavailable
from inventory.loader import Inventory
from inventory.model import AddressPlan, SecretRef, SshCredential, natural_key
from inventory.resolve import DEFAULT_SNMP_PORT, DeviceView, iter_devices
from inventory.secrets import SecretStore
from platforms import PlatformInfo, registry
from platforms.network import ConnectParams


def _platform(name: str) -> PlatformInfo | None:
    """What the platforms know about ``name`` (None for a name they do not know)."""
    return registry().get(name)


def needs_enable(platform: str) -> bool:
    """Privileged mode is entered with ``enable`` and the enable secret (IOS)."""
    info = _platform(platform)
    return info is not None and info.needs_enable


def pyinfra_platforms() -> tuple[str, ...]:
    """The platforms pyinfra changes (Linux servers)."""
    return tuple(sorted(name for name, info in registry().items() if info.pyinfra_target))


# --- shared ------------------------------------------------------------------


def ssh_credential(inv: Inventory, view: DeviceView) -> SshCredential | None:
    """The device's SSH credential set, or ``None`` when it has none (or it is not SSH)."""
    if view.ssh_credentials is None:
        return None
    credential = inv.settings.credentials.get(view.ssh_credentials)
    return credential if isinstance(credential, SshCredential) else None


def _identifier(text: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", text.lower())


def group_names(view: DeviceView) -> list[str]:
    """The export groups of one device (see the module docstring), most general first."""
    names = [
        _identifier(view.role.value),
        f"platform_{_identifier(view.platform or 'unknown')}",
        f"commune_{view.commune_code}" if view.commune else "province_level",
        f"kind_{_identifier(view.site.kind.value)}",
        *(f"group_{_identifier(group)}" for group in view.groups),
        "telco_managed" if view.monitor_only else "province_managed",
    ]
    return list(dict.fromkeys(names))


def _members(named: Iterable[tuple[str, Iterable[str]]]) -> dict[str, list[str]]:
    """Group name -> member names from ``(member, its groups)`` pairs, groups in natural order."""
    groups: dict[str, list[str]] = {}
    for member, names in named:
        for name in names:
            groups.setdefault(name, []).append(member)
    return {name: groups[name] for name in sorted(groups, key=natural_key)}


def _grouped(devices: Sequence[DeviceView]) -> dict[str, list[str]]:
    return _members((view.name, group_names(view)) for view in devices)


def provnet_vars(view: DeviceView) -> dict[str, Any]:
    """Bounded facts about a device, prefixed ``provnet_``, for playbooks and deploys."""
    return {
        "provnet_province": view.province.name,
        "provnet_province_code": view.province.code,
        "provnet_commune_code": view.commune_code,
        "provnet_commune": view.commune_name,
        "provnet_site": view.site.id,
        "provnet_site_kind": view.site.kind.value,
        "provnet_role": view.role.value,
        "provnet_platform": view.platform,
        "provnet_managed_by": view.managed_by.value,
        "provnet_monitor_only": view.monitor_only,
    }


# --- Prometheus file_sd ------------------------------------------------------


def scrape_target(view: DeviceView) -> str:
    """IPv4 if the device has one, else ``[IPv6]``; ``:port`` when SNMP is not on 161."""
    host = str(view.mgmt_ipv4) if view.mgmt_ipv4 else f"[{view.mgmt_ipv6}]"
    return host if view.snmp_port == DEFAULT_SNMP_PORT else f"{host}:{view.snmp_port}"


def file_sd(devices: Iterable[DeviceView]) -> list[dict[str, Any]]:
    """Prometheus file_sd target groups, one per device, labels bounded to names and codes.

    Example::

        [{"targets": ["10.38.129.1"],
          "labels": {"province": "Thanh Hóa", "province_code": "38",
                     "commune": "Phường Hàm Rồng", "commune_code": "14758",
                     "site": "th-14758-ubnd", "site_kind": "commune_office",
                     "role": "wan_router", "platform": "cisco_ios",
                     "device": "th-14758-rtr1", "managed_by": "province"}}]

    Province-level devices (data centre, IOC, SOC) carry ``commune=""`` and
    ``commune_code=""``. Prometheus drops empty labels, so they simply have no
    commune label: ``{commune_code!=""}`` selects commune devices and
    ``{commune_code=""}`` the province-level ones, and commune-level aggregations
    (``sum by (commune_code)``) put the province level in one ``""`` bucket.
    """
    return [
        {
            "targets": [scrape_target(view)],
            "labels": {
                "province": view.province.name,
                "province_code": view.province.code,
                "commune": view.commune_name,
                "commune_code": view.commune_code,
                "site": view.site.id,
                "site_kind": view.site.kind.value,
                "role": view.role.value,
                "platform": view.platform,
                "device": view.name,
                "managed_by": view.managed_by.value,
            },
        }
        for view in devices
    ]


# --- Ansible -------------------------------------------------------------------


def ansible_lookup(ref: SecretRef) -> str | None:
    """A Jinja lookup of the environment variable behind ``ref``; ``None`` for a file secret."""
    return f"{{{{ lookup('env', '{ref.env}') }}}}" if ref.env else None


def _ansible_connection(platform: str) -> dict[str, Any]:
    info = _platform(platform)
    if info is None or not info.ansible_connection:
        # e.g. cisco_tp (RoomOS): no Ansible collection; playbooks decide on provnet_platform.
        return {}
    found = {"ansible_connection": info.ansible_connection}
    if info.ansible_network_os:
        found["ansible_network_os"] = info.ansible_network_os
    return found


def _ansible_secret(
    ref: SecretRef | None, var: str, ref_var: str, extra: dict[str, Any]
) -> dict[str, Any]:
    if ref is None:
        return {}
    lookup = ansible_lookup(ref)
    return {var: lookup, **extra} if lookup else {ref_var: ref.describe()}


def _ansible_credentials(inv: Inventory, view: DeviceView) -> dict[str, Any]:
    credential = ssh_credential(inv, view)
    if credential is None:
        return {}
    hostvars: dict[str, Any] = {"ansible_user": credential.username}
    if credential.private_key_file:
        hostvars["ansible_ssh_private_key_file"] = credential.private_key_file
    hostvars |= _ansible_secret(credential.password, "ansible_password", "provnet_secret_ref", {})
    if needs_enable(view.platform):
        become = {"ansible_become": True, "ansible_become_method": "enable"}
        hostvars |= _ansible_secret(
            credential.enable_secret,
            "ansible_become_password",
            "provnet_enable_secret_ref",
            become,
        )
    return hostvars


def ansible_hostvars(inv: Inventory, view: DeviceView) -> dict[str, Any]:
    """Connection variables (secrets only as env lookups) plus the ``provnet_*`` facts; a
    server (a platform pyinfra deploys to) also gets what the server deploys read
    (:func:`server_vars`), so the Ansible baseline role reads the same data as pyinfra's."""
    info = _platform(view.platform)
    return {
        "ansible_host": view.host,
        "ansible_port": view.ssh_port,
        **_ansible_connection(view.platform),
        **_ansible_credentials(inv, view),
        **provnet_vars(view),
        **(server_vars(inv, view) if info is not None and info.pyinfra_target else {}),
    }


def ansible(inv: Inventory, devices: Iterable[DeviceView]) -> dict[str, Any]:
    """An Ansible YAML inventory (``all: hosts: / children:``), ready for ``yaml`` or JSON.

    Host variables live under ``all.hosts``; groups (module docstring) list their
    hosts with no variables. Hosts whose password is a ``{secret: NAME}`` reference
    have no ``ansible_password`` but ``provnet_secret_ref: secret:NAME``: run them
    with ``--ask-pass`` or give the credential an ``{env: NAME}`` reference.
    Platforms without an Ansible collection (``cisco_tp``) get no
    ``ansible_connection``; playbooks can branch on ``provnet_platform``.
    """
    views = list(devices)
    children = {name: {"hosts": dict.fromkeys(hosts)} for name, hosts in _grouped(views).items()}
    hosts = {view.name: ansible_hostvars(inv, view) for view in views}
    return {"all": {"hosts": hosts, "children": children}}


# --- pyinfra -------------------------------------------------------------------


def plan_supernets(plan: AddressPlan) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Every supernet of the province's address plan (where its devices' addresses come
    from), IPv4 pools first, overlaps merged."""
    v4 = ipaddress.collapse_addresses(pool.supernet for pool in plan.ipv4.values())
    return [*v4, plan.ipv6.supernet]


def server_vars(inv: Inventory, view: DeviceView) -> dict[str, Any]:
    """What server deploys read about one host, prefixed ``provnet_``: the province's NTP and
    syslog servers (and how this host forwards to them), management prefixes and address plan
    supernets, the site's security level and package mirror, the host's management addresses
    and its inventory ``data`` (which holds no secret: validation refuses one there)."""
    settings = inv.settings
    mirror = view.apt_mirror
    return {
        "provnet_security_level": view.site.security_level,
        "provnet_ntp_servers": list(settings.ntp_servers),
        "provnet_syslog_servers": list(settings.syslog_servers),
        "provnet_syslog_forward": (
            view.syslog_forward.model_dump(mode="json") if view.syslog_forward else None
        ),
        "provnet_management_prefixes": [str(p) for p in settings.management_prefixes],
        "provnet_address_plan": [str(p) for p in plan_supernets(settings.address_plan)],
        "provnet_apt_mirror": mirror.model_dump(mode="json") if mirror else None,
        "provnet_mgmt_ipv4": str(view.mgmt_ipv4) if view.mgmt_ipv4 else None,
        "provnet_mgmt_ipv6": str(view.mgmt_ipv6) if view.mgmt_ipv6 else None,
        "provnet_data": dict(view.data),
        # Where the inventory is: a server deploy that runs provnet there uploads a copy.
        "provnet_inventory_root": str(inv.root) if inv.root else None,
    } | dns_vars(inv, view)


DNS_DATA_KEYS = ("dns_zone", "portal_name")
"""What a name server's zone is made of, besides names and addresses (see ``dns_ipv6``)."""


def dns_vars(inv: Inventory, view: DeviceView) -> dict[str, Any]:
    """For a name server (``data.dns_zone``): every device of the inventory with a management
    address, which its zone is generated from (``provnet_dns_hosts``); nothing for others."""
    if not view.data.get("dns_zone"):
        return {}
    hosts = [
        {
            "name": other.name,
            "ipv4": str(other.mgmt_ipv4) if other.mgmt_ipv4 else None,
            "ipv6": str(other.mgmt_ipv6) if other.mgmt_ipv6 else None,
            "data": {k: other.data[k] for k in DNS_DATA_KEYS if other.data.get(k)},
        }
        for other in iter_devices(inv)
    ]
    return {"provnet_dns_hosts": hosts}


@dataclass(frozen=True)
class PyinfraHost:
    """One pyinfra host: its name, plain data, and its password as a *reference* (resolved
    by whoever connects, at run time: an ``os.environ.get`` in the exported file, the secrets
    store in ``provnet servers``)."""

    name: str
    data: dict[str, Any]
    password: SecretRef | None
    groups: tuple[str, ...]


def _pyinfra_host_entry(inv: Inventory, view: DeviceView) -> PyinfraHost:
    data: dict[str, Any] = {"ssh_hostname": view.host, "ssh_port": view.ssh_port}
    credential = ssh_credential(inv, view)
    if credential is not None:
        data["ssh_user"] = credential.username
        if credential.private_key_file:
            data["ssh_key"] = credential.private_key_file
    password = credential.password if credential is not None else None
    data |= provnet_vars(view) | server_vars(inv, view)
    return PyinfraHost(view.name, data, password, tuple(group_names(view)))


def pyinfra_hosts(
    inv: Inventory,
    devices: Iterable[DeviceView],
    platforms: Sequence[str] | None = None,
) -> list[PyinfraHost]:
    """The hosts pyinfra changes among ``devices``: the ``platforms`` ones (by default those
    of :func:`pyinfra_platforms`: Linux servers), telco-managed ones left out."""
    chosen = pyinfra_platforms() if platforms is None else platforms
    return [
        _pyinfra_host_entry(inv, v) for v in devices if v.platform in chosen and not v.monitor_only
    ]


def host_data(host: PyinfraHost, password: str | None, known_hosts: str | None) -> dict[str, Any]:
    """pyinfra host data: the export's, the password (in memory only), host-key checking,
    and sudo for a user that is not root."""
    data = dict(host.data)
    if password is not None:
        data["ssh_password"] = password
    if known_hosts is not None:
        data["ssh_known_hosts_file"] = known_hosts
        data["ssh_strict_host_key_checking"] = "yes"
    else:
        data["ssh_strict_host_key_checking"] = "no"
    if data.get("ssh_user") not in (None, "root"):
        data["_sudo"] = True
        if password is not None:
            data["_sudo_password"] = password
    return data


def _pyinfra_data(host: PyinfraHost) -> list[tuple[str, str]]:
    """``(key, Python expression)`` pairs of one host's data."""
    data = [(key, repr(value)) for key, value in host.data.items()]
    if host.password is not None and host.password.env:
        data.insert(3, ("ssh_password", f"os.environ.get({host.password.env!r})"))
    elif host.password is not None:
        data.insert(3, ("provnet_secret_ref", repr(host.password.describe())))
    return data


def _pyinfra_host(host: PyinfraHost) -> str:
    lines = [f"    ({host.name!r}, {{"]
    lines += [f"        {key!r}: {expression}," for key, expression in _pyinfra_data(host)]
    lines.append("    }),")
    return "\n".join(lines)


def _pyinfra_header(inv: Inventory) -> str:
    province = inv.settings.province
    return (
        f'"""pyinfra inventory of {province.name} ({province.code}), generated by provnet.\n\n'
        "Do not edit: regenerate with provnet. No secret is written here: passwords are\n"
        "read from the environment when pyinfra loads this file; hosts whose credential\n"
        "is a secrets-file reference (provnet_secret_ref) need SSH keys.\n"
        '"""\n\n'
        "import os\n"
    )


def pyinfra(
    inv: Inventory,
    devices: Iterable[DeviceView],
    platforms: Sequence[str] | None = None,
) -> str:
    """The text of a pyinfra (v3) inventory file for the hosts of :func:`pyinfra_hosts`.

    Role groups (``server = [("th-dc-srv1", {...}), ...]``) carry each host's data:
    ``ssh_hostname``, ``ssh_port``, ``ssh_user``, ``ssh_key``, ``ssh_password``
    (as ``os.environ.get(NAME)``, never a value), the ``provnet_*`` facts and what server
    deploys read (:func:`server_vars`). Other groups (module docstring) list host names only.
    Telco-managed devices are left out: pyinfra only changes machines.
    """
    hosts = pyinfra_hosts(inv, devices, platforms)
    by_role: dict[str, list[PyinfraHost]] = {}
    for host in hosts:
        by_role.setdefault(host.groups[0], []).append(host)
    parts = [_pyinfra_header(inv)]
    for role, members in by_role.items():
        body = "\n".join(_pyinfra_host(host) for host in members)
        parts.append(f"{role} = [\n{body}\n]\n")
    for name, names in pyinfra_groups(hosts).items():
        if name not in by_role:
            parts.append(f"{name} = {names!r}\n")
    return "\n".join(parts)


def pyinfra_groups(hosts: Iterable[PyinfraHost]) -> dict[str, list[str]]:
    """Group name -> host names, groups in natural order (module docstring)."""
    return _members((host.name, host.groups) for host in hosts)


# --- Netmiko -------------------------------------------------------------------


def _describe(ref: SecretRef | None) -> str | None:
    return ref.describe() if ref else None


def _netmiko_entry(inv: Inventory, view: DeviceView) -> dict[str, Any]:
    credential = ssh_credential(inv, view)
    return {
        "name": view.name,
        "device_type": view.platform,
        "host": view.host,
        "port": view.ssh_port,
        "username": credential.username if credential else None,
        "password_ref": _describe(credential.password) if credential else None,
        "secret_ref": _describe(credential.enable_secret) if credential else None,
        "key_file": credential.private_key_file if credential else None,
        "monitor_only": view.monitor_only,
    }


def netmiko(inv: Inventory, devices: Iterable[DeviceView]) -> list[dict[str, Any]]:
    """Netmiko connection parameters without secrets; secrets as ``env:NAME``/``secret:NAME``.

    Example::

        [{"name": "th-14758-rtr1", "device_type": "cisco_ios", "host": "10.38.129.1",
          "port": 22, "username": "netops", "password_ref": "env:PROVNET_SSH_PASSWORD",
          "secret_ref": "env:PROVNET_ENABLE_SECRET", "key_file": None,
          "monitor_only": False}]
    """
    return [_netmiko_entry(inv, view) for view in devices]


def netmiko_connect_params(inv: Inventory, view: DeviceView, store: SecretStore) -> dict[str, Any]:
    """Parameters for ``ConnectHandler(**params)`` with the secrets resolved, at run time.

    Raises :class:`~inventory.errors.SecretUnavailable` when the device has no SSH
    credential set or a secret cannot be resolved; the error names the reference.
    """
    credential = ssh_credential(inv, view)
    if credential is None:
        raise SecretUnavailable(
            f"device {view.name} has no SSH credential set; set ssh_credentials on it, "
            "its site, one of its groups or the defaults"
        )
    purpose = f"{view.name}, credentials '{view.ssh_credentials}'"
    params: dict[str, Any] = {
        "device_type": view.platform,
        "host": view.host,
        "port": view.ssh_port,
        "username": credential.username,
    }
    if credential.password is not None:
        params["password"] = store.resolve(credential.password, purpose).reveal()
    if credential.enable_secret is not None:
        params["secret"] = store.resolve(credential.enable_secret, f"{purpose}, enable").reveal()
    if credential.private_key_file:
        params |= {"use_keys": True, "key_file": credential.private_key_file}
    return params


def connect_params(
    inv: Inventory,
    device: DeviceView,
    store: SecretStore,
    known_hosts: str | None,
    timeout: float = 20.0,
) -> ConnectParams:
    """Where and as whom to log in to ``device``, secrets resolved now (in memory only)."""
    params = netmiko_connect_params(inv, device, store)
    credential = ssh_credential(inv, device)
    return ConnectParams(
        host=str(params["host"]),
        port=int(params["port"]),
        username=str(params["username"]),
        password=str(params.get("password", "")),
        secret=str(params.get("secret", "")),
        known_hosts=known_hosts,
        timeout=timeout,
        read_only=credential is not None and credential.read_only,
    )
