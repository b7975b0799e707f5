"""``dns_ipv6``: the province's authoritative DNS (BIND 9), answering over IPv6 and IPv4.

A server is a name server when its inventory data names the zone it serves
(``data.dns_zone: thanhhoa.gov.vn``); on other servers this deploy does nothing. The zone is
generated from the inventory (``provnet_dns_hosts``, which the export gives a name server):

- every device with a management address: ``<device>`` A and AAAA;
- the zone's name servers (every device whose ``dns_zone`` is this zone): ``ns1``, ``ns2``,
  ... with A and AAAA, and the zone's NS records;
- a portal's name (``data.portal_name`` inside the zone): A and AAAA of its server.

BIND listens on every IPv4 and IPv6 address, answers only for its zones (no recursion, no
zone transfer), and the baseline's firewall lets DNS in (``/etc/nftables.d``). The serial
stays while the records stay, so a rerun changes nothing; it becomes ``YYYYMMDD00`` of the
day (or the old one + 1) when they change.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pyinfra.api.deploy import deploy
from pyinfra.context import host
from pyinfra.facts.server import Command
from pyinfra.operations import apt, files, server, systemd
from pyinfra.operations.util import any_changed

from deploys.errors import ServerDeployError
from deploys.servers import firewall
from deploys.servers.base import ServerDeploy, run_as_deploy_file
from deploys.servers.baseline import FileSpec, put_file
from deploys.servers.hostdata import ServerData, server_data

NAME = "dns_ipv6"
HEADER = firewall.header(NAME)
PACKAGES = ("bind9", "bind9-dnsutils")
ZONE_DIR = "/etc/bind/provnet"
TTL = 3600
# refresh, retry, expire, negative-caching TTL (RFC 1912 ranges)
SOA_TIMERS = (3600, 900, 1209600, 300)
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_SERIAL = re.compile(r"^\s*(\d+)\s*;\s*serial", re.MULTILINE)


class DnsRefused(ServerDeployError, ValueError):
    """The host's data cannot make a zone; nothing is changed on it."""


class DnsHost(BaseModel):
    """One device as the zone sees it (an entry of ``provnet_dns_hosts``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    ipv4: ipaddress.IPv4Address | None = None
    ipv6: ipaddress.IPv6Address | None = None
    data: dict[str, str] = {}


# --- decisions (pure) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    owner: str  # relative to the zone; "@" is the apex
    type: str
    value: str


@dataclass(frozen=True)
class Zone:
    name: str
    nameservers: tuple[str, ...]  # relative owners, ns1...
    records: tuple[Record, ...]

    @property
    def file(self) -> str:
        return f"{ZONE_DIR}/db.{self.name}"


def _zone_name(value: Any, where: str) -> str:
    text = str(value or "").strip().rstrip(".").lower()
    labels = text.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise DnsRefused(f"{where}: data.dns_zone {value!r} is not a DNS name")
    return text


def _address_records(owner: str, h: DnsHost) -> list[Record]:
    found = [Record(owner, "A", str(h.ipv4))] if h.ipv4 else []
    return found + ([Record(owner, "AAAA", str(h.ipv6))] if h.ipv6 else [])


def _relative(name: str, zone: str) -> str | None:
    """``name`` relative to ``zone`` ("@" for the apex), None when outside it."""
    name = name.strip().rstrip(".").lower()
    if name == zone:
        return "@"
    if name.endswith("." + zone):
        owner = name.removesuffix("." + zone)
        if all(_LABEL.fullmatch(label) for label in owner.split(".")):
            return owner
    return None


def decide(server: ServerData, raw_hosts: Any) -> Zone | None:
    """The zone this host serves, or None when it is not a name server."""
    where = f"host {server.name}"
    wanted = server.provnet_data.get("dns_zone")
    if not wanted:
        return None
    zone = _zone_name(wanted, where)
    if server.provnet_mgmt_ipv6 is None:
        raise DnsRefused(f"{where}: a name server answering over IPv6 needs mgmt.ipv6")
    try:
        hosts = [DnsHost.model_validate(h) for h in raw_hosts or []]
    except ValidationError as exc:
        raise DnsRefused(f"{where}: provnet_dns_hosts: {exc.errors()[0]['msg']}") from None
    if not hosts:
        raise DnsRefused(f"{where}: no provnet_dns_hosts (export the inventory again)")
    hosts.sort(key=lambda h: h.name)
    servers = [h for h in hosts if _same_zone(h, zone)]
    nameservers = tuple(f"ns{i}" for i in range(1, len(servers) + 1))
    records = [Record("@", "NS", f"{ns}.{zone}.") for ns in nameservers]
    for ns, h in zip(nameservers, servers, strict=True):
        records += _address_records(ns, h)
    for h in hosts:
        label = h.name.lower()
        if _LABEL.fullmatch(label):
            records += _address_records(label, h)
        portal = h.data.get("portal_name")
        owner = _relative(portal, zone) if portal else None
        if owner is not None:
            records += _address_records(owner, h)
    unique = tuple(dict.fromkeys(records))
    return Zone(zone, nameservers, unique)


def _same_zone(h: DnsHost, zone: str) -> bool:
    value = h.data.get("dns_zone", "")
    return value.strip().rstrip(".").lower() == zone


def zone_text(z: Zone, serial: int) -> str:
    refresh, retry, expire, negative = SOA_TIMERS
    width = max(len(r.owner) for r in z.records) if z.records else 1
    lines = [
        f"; {HEADER}",
        f"$ORIGIN {z.name}.",
        f"$TTL {TTL}",
        f"@\tIN\tSOA\t{z.nameservers[0]}.{z.name}. hostmaster.{z.name}. (",
        f"\t\t{serial} ; serial",
        f"\t\t{refresh} {retry} {expire} {negative} )",
    ]
    lines += [f"{r.owner.ljust(width)}\tIN\t{r.type}\t{r.value}" for r in z.records]
    return "\n".join(lines) + "\n"


def serial_for(z: Zone, current: str, today: date) -> int:
    """The serial the zone file keeps (unchanged records) or gets (records changed)."""
    found = _SERIAL.search(current)
    old = int(found.group(1)) if found else 0
    if found and zone_text(z, old) == current:
        return old
    return max(old + 1, int(today.strftime("%Y%m%d")) * 100)


def named_options() -> str:
    return (
        f"// {HEADER}\n"
        "// Authoritative only: every IPv4 and IPv6 address, no recursion, no transfer.\n"
        "options {\n"
        '\tdirectory "/var/cache/bind";\n'
        "\tlisten-on { any; };\n"
        "\tlisten-on-v6 { any; };\n"
        "\trecursion no;\n"
        "\tallow-query { any; };\n"
        "\tallow-transfer { none; };\n"
        "\tdnssec-validation no;\n"
        "\tminimal-responses yes;\n"
        '\tversion "none";\n'
        "};\n"
    )


def named_local(z: Zone) -> str:
    return (
        f"// {HEADER}\n"
        f'zone "{z.name}" {{\n\ttype primary;\n\tfile "{z.file}";\n'
        "\tallow-update { none; };\n};\n"
    )


def plan_files(z: Zone, serial: int) -> dict[str, FileSpec]:
    return {
        "named-options": FileSpec("/etc/bind/named.conf.options", named_options()),
        "named-local": FileSpec("/etc/bind/named.conf.local", named_local(z)),
        "zone": FileSpec(z.file, zone_text(z, serial)),
    }


def firewall_file() -> FileSpec:
    return firewall.accept_ports(
        NAME, "20-provnet-dns", "DNS: the province's zone, to anyone, both families.", "53",
        ("tcp", "udp"),
    )  # fmt: skip


# --- the deploy (I/O through pyinfra) --------------------------------------------------------


@deploy(NAME)
def dns_ipv6() -> None:
    """Serve the province's zone on this host, if the inventory makes it a name server."""
    z = decide(server_data(host.name, host.data.get), host.data.get("provnet_dns_hosts"))
    if z is None:
        host.noop(f"{host.name}: no data.dns_zone: not a name server")
        return
    current = str(host.get_fact(Command, f"cat {z.file} 2>/dev/null || true", _sudo=False) or "")
    planned = plan_files(z, serial_for(z, current + "\n" if current else "", date.today()))
    apt.packages(name="packages", packages=list(PACKAGES), update=True, cache_time=3600)
    files.directory(name=f"dir {ZONE_DIR}", path=ZONE_DIR, present=True)
    written = [put_file(spec) for spec in planned.values()]
    server.shell(
        name="check: named-checkconf -z",
        commands=["named-checkconf -z /etc/bind/named.conf"],
        _if=any_changed(*written),
    )
    systemd.service(name="named running", service="named", running=True, enabled=True)
    systemd.service(
        name="named reloaded", service="named", reloaded=True, _if=any_changed(*written)
    )
    firewall.install(firewall_file())


DEPLOY = ServerDeploy(
    name=NAME,
    function=dns_ipv6,
    title_vi="DNS có thẩm quyền của tỉnh (BIND 9): vùng sinh từ inventory, A và AAAA, trả lời "
    "qua IPv6 và IPv4",
    title_en="The province's authoritative DNS (BIND 9): zone from the inventory, A and AAAA, "
    "answering over IPv6 and IPv4",
)

run_as_deploy_file(__file__, dns_ipv6)
