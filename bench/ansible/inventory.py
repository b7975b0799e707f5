"""What the Ansible side runs on: inventory, extra vars and ``ios_config`` blocks, as data.

Pure functions (no I/O): the twin's devices and the change's commands in, the documents
ansible-runner reads out. The inventory holds no secret: ``ansible_password`` and
``ansible_become_password`` are Jinja references to the extra var
``provnet_bench_credentials`` (credential set -> field -> value), which only the 0600
``env/extravars`` file of a temporary private data directory holds.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inventory.addressing import allocate
from inventory.export import ansible_hostvars, needs_enable
from inventory.loader import Inventory
from inventory.resolve import DeviceView
from platforms import get_platform

IOS_PLATFORMS = frozenset({"cisco_ios", "cisco_xe"})
CREDENTIALS_VAR = "provnet_bench_credentials"
BLOCKS_VAR = "provnet_blocks"
GROUP = "bench"
# Host numbers on each /64, as the twin numbers IPv4 (lab/twin.py interfaces_for).
WAN_HOST = 2
WAN_GATEWAY = 1
LAN_HOST = {"wan_router": 1, "firewall": 3, "core_switch": 2, "access_switch": 2}


@dataclass(frozen=True)
class ConfigBlock:
    """Lines under one context: ``parents=()`` for global configuration."""

    parents: tuple[str, ...]
    lines: tuple[str, ...]


def changeable(view: DeviceView) -> bool:
    """A device this benchmark may change: Cisco IOS / IOS XE, managed by the province."""
    return view.platform in IOS_PLATFORMS and not view.monitor_only


def context_prefixes(contexts: Iterable[Sequence[str]]) -> set[tuple[str, ...]]:
    """Every non-empty prefix of every intent context: the lines that open a context."""
    return {tuple(c[:i]) for c in contexts for i in range(1, len(c) + 1)}


def blocks_from_commands(
    commands: Sequence[str], contexts: Iterable[Sequence[str]], exit_command: str = "exit"
) -> tuple[ConfigBlock, ...]:
    """A plan's flat command list (context lines, body, one ``exit`` per level) grouped for
    ``ios_config`` as ``parents`` + ``lines``; ``contexts`` are the intent's block contexts.

    A context entered and left with nothing inside (``vrf definition V`` / ``address-family
    ipv6``) becomes a line under its parent, as an Ansible user would write it. Example:
    ``["ipv6 unicast-routing", "interface Gi0/0", "ipv6 address 2001:db8::2/64", "exit"]``
    with contexts ``[(), ("interface Gi0/0",)]`` gives ``((), ("ipv6 unicast-routing",))``
    and ``(("interface Gi0/0",), ("ipv6 address 2001:db8::2/64",))``.
    """
    openers = context_prefixes(contexts)
    rows: list[tuple[tuple[str, ...], str]] = []
    stack: list[str] = []
    emptied: list[bool] = []  # per open level: nothing emitted inside it yet
    for raw in commands:
        line = raw.strip()
        if not line:
            continue
        if line == exit_command and stack:
            if emptied.pop():
                rows.append((tuple(stack[:-1]), stack[-1]))
                if emptied:
                    emptied[-1] = False
            stack.pop()
        elif (*stack, line) in openers:
            stack.append(line)
            emptied.append(True)
        else:
            rows.append((tuple(stack), line))
            emptied = [False] * len(emptied)
    blocks: list[ConfigBlock] = []
    for parents, line in rows:
        if blocks and blocks[-1].parents == parents:
            blocks[-1] = ConfigBlock(parents, (*blocks[-1].lines, line))
        else:
            blocks.append(ConfigBlock(parents, (line,)))
    return tuple(blocks)


def commands_from_blocks(blocks: Iterable[ConfigBlock]) -> list[str]:
    """The same blocks as one configuration-mode command list (Netmiko ``send_config_set``)."""
    out: list[str] = []
    for block in blocks:
        out.extend(block.parents)
        out.extend(block.lines)
        out.extend(["exit"] * len(block.parents))
    return out


def _host(subnet: ipaddress.IPv6Network, number: int) -> str:
    return f"{subnet.network_address + number}/{subnet.prefixlen}"


def interim_blocks(inv: Inventory, view: DeviceView) -> tuple[ConfigBlock, ...]:
    """The IPv6 migration rendered here from the address plan, until provnet's plan exists:
    IPv6 routing on, the WAN and LAN /64 addresses, a default route to the WAN gateway."""
    allocation = allocate(inv.settings.address_plan, view.site.plan_index, view.site.addressing)
    names = get_platform(view.platform).interfaces_for(view.role.value)
    subnets = allocation.ipv6_subnets
    blocks = [ConfigBlock((), ("ipv6 unicast-routing",))]
    if "wan" in names and "wan" in subnets:
        wan = _host(subnets["wan"], WAN_HOST)
        blocks.append(ConfigBlock((f"interface {names['wan']}",), (f"ipv6 address {wan}",)))
    if "lan" in names and "lan" in subnets:
        lan = _host(subnets["lan"], LAN_HOST.get(view.role.value, 3))
        blocks.append(ConfigBlock((f"interface {names['lan']}",), (f"ipv6 address {lan}",)))
    if "wan" in subnets:
        gateway = subnets["wan"].network_address + WAN_GATEWAY
        blocks.append(ConfigBlock((), (f"ipv6 route ::/0 {gateway}",)))
    return tuple(blocks)


def _reference(credential: str, field: str) -> str:
    return f"{{{{ {CREDENTIALS_VAR}[{credential!r}][{field!r}] }}}}"


def host_vars(
    inv: Inventory, view: DeviceView, blocks: Sequence[ConfigBlock], ssh_type: str
) -> dict[str, Any]:
    """provnet's own Ansible export of the device, plus references to the extra-var secrets
    (enable through ``become``), the lab's relaxed host-key checking and the blocks."""
    hostvars = ansible_hostvars(inv, view)
    credential = view.ssh_credentials or ""
    hostvars |= {
        "ansible_password": _reference(credential, "password"),
        "ansible_network_cli_ssh_type": ssh_type,
        "ansible_host_key_checking": False,
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        BLOCKS_VAR: [{"parents": list(b.parents), "lines": list(b.lines)} for b in blocks],
    }
    if needs_enable(view.platform):
        hostvars |= {
            "ansible_become": True,
            "ansible_become_method": "enable",
            "ansible_become_password": _reference(credential, "enable_secret"),
        }
    return hostvars


def ansible_inventory(
    inv: Inventory,
    targets: Mapping[str, tuple[DeviceView, Sequence[ConfigBlock]]],
    ssh_type: str = "libssh",
) -> dict[str, Any]:
    """A YAML/JSON inventory with every target in group ``bench``."""
    hosts = {
        name: host_vars(inv, view, blocks, ssh_type) for name, (view, blocks) in targets.items()
    }
    return {"all": {"children": {GROUP: {"hosts": hosts}}}}


def extravars(credentials: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """The one place the lab passwords go: ``{provnet_bench_credentials: {set: {field: v}}}``."""
    return {CREDENTIALS_VAR: {name: dict(fields) for name, fields in credentials.items()}}
