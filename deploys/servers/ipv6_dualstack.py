"""``ipv6_dualstack``: the server's IPv6 from the address plan, IPv4 untouched throughout.

- address and default route: the host's ``mgmt.ipv6`` in its /64 (the plan gives each
  purpose a /64; ``data.ipv6_prefix_length`` says otherwise), the gateway at the subnet's
  first address, where the plan puts the site's router (``data.ipv6_gateway`` says
  otherwise), on the interface that carries the management IPv4 (``data.interface``);
- persisted the way the image configures its network, ifupdown: an ``inet6 static`` stanza
  of its own in ``/etc/network/interfaces.d/`` (the IPv4 stanza, wherever it is, is left
  alone), applied live with ``ip -6`` commands and never by ``ifdown``/``ifup``, which would
  take IPv4 down with it;
- sysctl for a server with a static address: no router advertisements, no SLAAC or
  temporary addresses, no redirects, no source routing, no forwarding;
- the IPv6 half of the host firewall, in the baseline's table: a reverse-path check (the
  kernel's ``rp_filter`` is IPv4-only) and no type-0 routing header (RFC 5095).

Every decision is a pure function of the host's data and what ``ip -j`` says; the fixtures
under ``tests/deploys/data/servers/ipv6_dualstack/`` pin them.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from pyinfra.api.deploy import deploy
from pyinfra.context import host
from pyinfra.facts.server import Command, Sysctl
from pyinfra.operations import files, server

from deploys.errors import ServerDeployError
from deploys.servers import firewall
from deploys.servers.base import ServerDeploy, run_as_deploy_file
from deploys.servers.baseline import FileSpec, put_file
from deploys.servers.hostdata import ServerData, server_data

NAME = "ipv6_dualstack"
HEADER = firewall.header(NAME)
ADDRESSES = "ip -j addr show"
DEFAULT_ROUTES = "ip -j -6 route show default"
# Every ``iface`` line of ifupdown's files, with its file: an IPv6 stanza found elsewhere
# would configure the interface twice.
STANZAS = (
    "grep -Hs '^[[:space:]]*iface[[:space:]]' /etc/network/interfaces "
    "/etc/network/interfaces.d/* || true"
)
SSH_CONNECTION = 'printf "%s" "${SSH_CONNECTION:-}"'
IFUPDOWN_FILE = "/etc/network/interfaces.d/provnet-ipv6"
SYSCTL_FILE = "/etc/sysctl.d/60-provnet-ipv6.conf"
NFT_NAME = "10-provnet-ipv6"


class DualStackRefused(ServerDeployError, ValueError):
    """The host's data or state would leave its IPv6 wrong or cut the deploy; nothing is
    changed on it."""


# --- decisions (pure) ------------------------------------------------------------------------


@dataclass(frozen=True)
class DualStack:
    name: str
    interface: str
    address: ipaddress.IPv6Interface
    gateway: ipaddress.IPv6Address


@dataclass(frozen=True)
class Facts:
    """What the deploy reads on the host, as the commands print it."""

    addresses: str  # ip -j addr show
    routes: str  # ip -j -6 route show default
    stanzas: str = ""  # grep of ifupdown's iface lines
    ssh_connection: str = ""


def _links(addresses: str, where: str) -> list[dict[str, Any]]:
    try:
        links = json.loads(addresses or "[]")
    except ValueError:
        raise DualStackRefused(f"{where}: `{ADDRESSES}` did not print JSON") from None
    if not isinstance(links, list):
        raise DualStackRefused(f"{where}: `{ADDRESSES}` did not print a list")
    return [link for link in links if isinstance(link, dict)]


def _local(links: list[dict[str, Any]], family: str, scope: str | None = None) -> dict[str, str]:
    """address -> interface, for one family (``inet``/``inet6``) and scope."""
    found: dict[str, str] = {}
    for link in links:
        for info in link.get("addr_info", []):
            if info.get("family") == family and scope in (None, info.get("scope")):
                found[f"{info['local']}/{info['prefixlen']}"] = str(link.get("ifname", ""))
    return found


def _interface(server: ServerData, links: list[dict[str, Any]], where: str) -> str:
    wanted = server.provnet_data.get("interface")
    names = [str(link.get("ifname", "")) for link in links]
    if wanted is not None:
        if wanted not in names:
            raise DualStackRefused(f"{where}: data.interface {wanted!r} is not on the host")
        return str(wanted)
    for address in (server.provnet_mgmt_ipv4, server.provnet_mgmt_ipv6):
        for family in ("inet", "inet6"):
            for local, ifname in _local(links, family).items():
                if address is not None and local.split("/")[0] == str(address):
                    return ifname
    raise DualStackRefused(
        f"{where}: no interface carries the management address "
        f"{server.provnet_mgmt_ipv4 or server.provnet_mgmt_ipv6}; set data.interface"
    )


def decide(server: ServerData, facts: Facts) -> DualStack:
    """The host's IPv6 as the plan gives it; :class:`DualStackRefused` when the plan gives
    none, the gateway does not fit, or the host's state would make it unsafe."""
    where = f"host {server.name}"
    if server.provnet_mgmt_ipv6 is None:
        raise DualStackRefused(f"{where}: no IPv6 address in the address plan (mgmt.ipv6)")
    data = server.provnet_data
    length = data.get("ipv6_prefix_length", 64)
    if not isinstance(length, int) or not 1 <= length <= 128:
        raise DualStackRefused(f"{where}: data.ipv6_prefix_length must be 1..128")
    address = ipaddress.IPv6Interface(f"{server.provnet_mgmt_ipv6}/{length}")
    try:
        gateway = ipaddress.IPv6Address(
            data.get("ipv6_gateway") or address.network.network_address + 1
        )
    except ValueError:
        raise DualStackRefused(f"{where}: data.ipv6_gateway is not an IPv6 address") from None
    if gateway not in address.network or gateway == address.ip:
        raise DualStackRefused(
            f"{where}: gateway {gateway} is not another address of {address.network}"
        )
    links = _links(facts.addresses, where)
    interface = _interface(server, links, where)
    problem = _conflicts(interface, facts.stanzas) or _lockout(facts.ssh_connection, address)
    if problem:
        raise DualStackRefused(f"{where}: {problem}")
    return DualStack(server.name, interface, address, gateway)


def _conflicts(interface: str, stanzas: str) -> str | None:
    """An IPv6 stanza for ``interface`` in another ifupdown file than the deploy's."""
    for line in stanzas.splitlines():
        path, _, text = line.partition(":")
        words = text.split()
        if path != IFUPDOWN_FILE and words[1:3] == [interface, "inet6"]:
            return (
                f"{path} already configures IPv6 on {interface} ({text.strip()}): remove that "
                "stanza, the address plan is the one place for it"
            )
    return None


def _lockout(ssh_connection: str, address: ipaddress.IPv6Interface) -> str | None:
    """The deploy would remove the IPv6 address its own SSH connection arrives at."""
    words = ssh_connection.split()
    if len(words) < 3:
        return None
    try:
        local = ipaddress.ip_address(words[2].split("%")[0])
    except ValueError:
        return None
    if isinstance(local, ipaddress.IPv6Address) and not local.is_link_local and local != address.ip:
        return (
            f"this deploy arrives at {local}, which the plan does not give the host "
            f"({address.ip}): connect over IPv4 or the planned address"
        )
    return None


def live_commands(d: DualStack, facts: Facts) -> list[str]:
    """``ip -6`` commands that bring the running host to the plan (none when it is there):
    the address added first, stale global addresses removed last; the default route
    replaced, other default routes deleted. Nothing touches IPv4."""
    links = _links(facts.addresses, f"host {d.name}")
    present = {
        ipaddress.IPv6Interface(a)
        for a, ifname in _local(links, "inet6", "global").items()
        if ifname == d.interface
    }
    commands: list[str] = []
    if d.address not in present:
        commands.append(f"ip -6 addr add {d.address} dev {d.interface}")
    try:
        routes = json.loads(facts.routes or "[]")
    except ValueError:
        raise DualStackRefused(f"host {d.name}: `{DEFAULT_ROUTES}` did not print JSON") from None
    ours = [r for r in routes if r.get("gateway") == str(d.gateway) and r.get("dev") == d.interface]
    others = [r for r in routes if r not in ours]
    if len(ours) != 1 or others:
        commands.append(f"ip -6 route replace default via {d.gateway} dev {d.interface}")
    commands += [
        f"ip -6 route del default via {r['gateway']} dev {r['dev']}"
        for r in others
        if r.get("gateway") and r.get("dev")
    ]
    commands += [
        f"ip -6 addr del {stale} dev {d.interface}" for stale in sorted(present - {d.address})
    ]
    return commands


def sysctls(d: DualStack) -> dict[str, int]:
    """A server with a static address: it takes nothing from router advertisements, makes no
    SLAAC or temporary address, follows no redirect or source route, forwards nothing."""
    values: dict[str, int] = {
        "net.ipv6.conf.all.disable_ipv6": 0,
        "net.ipv6.conf.default.disable_ipv6": 0,
        f"net.ipv6.conf.{d.interface}.disable_ipv6": 0,
        "net.ipv6.conf.all.forwarding": 0,
    }
    for key, value in (
        ("accept_ra", 0),
        ("autoconf", 0),
        ("use_tempaddr", 0),
        ("accept_redirects", 0),
        ("accept_source_route", 0),
    ):
        for scope in ("all", "default", d.interface):
            values[f"net.ipv6.conf.{scope}.{key}"] = value
    return values


def sysctl_commands(d: DualStack, current: dict[str, Any]) -> list[str]:
    """One ``sysctl -w`` for the values the running kernel does not have yet."""
    wrong = [f"{k}={v}" for k, v in sysctls(d).items() if current.get(k) != v]
    return [f"sysctl -q -w {' '.join(wrong)}"] if wrong else []


def sysctl_conf(d: DualStack) -> str:
    lines = [f"# {HEADER}", "# A server with a static IPv6 address (deploy ipv6_dualstack)."]
    lines += [f"{key} = {value}" for key, value in sysctls(d).items()]
    return "\n".join(lines) + "\n"


def ifupdown_stanza(d: DualStack) -> str:
    """ifupdown's ``inet6 static`` for the interface: what ``networking.service`` sets at
    boot; the interface's IPv4 stanza (if any) stays where it is."""
    return (
        f"# {HEADER}\n# IPv6 of {d.interface} from the address plan.\n"
        f"auto {d.interface}\n"
        f"iface {d.interface} inet6 static\n"
        f"\taddress {d.address}\n"
        f"\tgateway {d.gateway}\n"
        "\taccept_ra 0\n"
        "\tautoconf 0\n"
        "\tprivext 0\n"
    )


def nft_ipv6(d: DualStack) -> FileSpec:
    return firewall.snippet(
        NAME,
        NFT_NAME,
        "The IPv6 half of the host firewall: reverse-path check (rp_filter is IPv4-only), "
        "no type-0 routing header (RFC 5095).",
        [
            f"table {firewall.TABLE} {{",
            "\tchain ipv6_guard {",
            "\t\ttype filter hook prerouting priority raw; policy accept;",
            "\t\tip6 saddr != :: fib saddr . iif oif missing drop",
            "\t\trt type 0 drop",
            "\t}",
            "}",
        ],
    )


def plan_files(d: DualStack) -> dict[str, FileSpec]:
    """Every file the deploy writes, by role."""
    return {
        "sysctl": FileSpec(SYSCTL_FILE, sysctl_conf(d)),
        "ifupdown": FileSpec(IFUPDOWN_FILE, ifupdown_stanza(d)),
        "nftables": nft_ipv6(d),
    }


# --- the deploy (I/O through pyinfra) --------------------------------------------------------


def read_facts() -> Facts:
    def command(text: str) -> str:
        return str(host.get_fact(Command, text, _sudo=False) or "")

    return Facts(
        addresses=command(ADDRESSES),
        routes=command(DEFAULT_ROUTES),
        stanzas=command(STANZAS),
        ssh_connection=command(SSH_CONNECTION),
    )


@deploy(NAME)
def ipv6_dualstack() -> None:
    """Give this host its planned IPv6 address and route, live and persisted."""
    facts = read_facts()
    d = decide(server_data(host.name, host.data.get), facts)
    planned = plan_files(d)
    current = host.get_fact(Sysctl, keys=list(sysctls(d)), _sudo=False) or {}
    if tuned := sysctl_commands(d, current):
        server.shell(name="sysctl IPv6", commands=tuned)
    put_file(planned["sysctl"])
    commands = live_commands(d, facts)
    if commands:
        server.shell(name=f"IPv6 of {d.interface}", commands=commands)
    files.directory(name="dir /etc/network/interfaces.d", path="/etc/network/interfaces.d")
    put_file(planned["ifupdown"])
    firewall.install(planned["nftables"])


DEPLOY = ServerDeploy(
    name=NAME,
    function=ipv6_dualstack,
    title_vi="IPv6 song song IPv4: địa chỉ và tuyến mặc định theo quy hoạch, sysctl, tường lửa",
    title_en="Dual stack: IPv6 address and default route from the plan, sysctl, firewall",
)

run_as_deploy_file(__file__, ipv6_dualstack)
