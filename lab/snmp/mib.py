"""The MIB view of one ``DeviceState``.

Which OIDs exist depends only on the state's structure (interfaces, addresses, platform), so
the sorted OID list is built once per ``state.generation`` and GETNEXT is a bisect. Values are
read from the state when a request asks for them: uptime, counters, admin and oper status,
descriptions, names and speeds may change without a ``touch()``. Each instance's whole varbind
is encoded once and kept: a fixed value for the structure's life, a ``Keyed`` one until the
state attribute it is made of changes (read on every request, compared, re-encoded only then),
and only a ``Getter`` (counters, uptime) is encoded on every request.

Objects served: SNMPv2-MIB system group, SNMP-FRAMEWORK-MIB snmpEngine group, SNMP-USER-
BASED-SM-MIB usmStats, IF-MIB ifNumber/ifTable/ifXTable, IP-MIB ipAddrTable (IPv4) and
ipAddressTable (IPv4 and IPv6), HOST-RESOURCES-MIB hrSystemUptime on Linux hosts.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

from lab.state import DeviceState, InterfaceState, is_server_platform

from .ber import (
    COUNTER32,
    COUNTER64,
    END_OF_MIB_VIEW,
    GAUGE32,
    IP_ADDRESS,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    OCTET_STRING,
    TIMETICKS,
    Oid,
    decode_oid,
    encode_integer,
    encode_oid,
    encode_unsigned,
    parse_oid,
    tlv,
    varbind_tlv,
)

Getter = Callable[[float], bytes]
"""Encoded value element of an object instance at time ``now`` (one that changes all the
time: counters, uptime)."""


@dataclass(frozen=True, slots=True)
class Keyed:
    """A value made of state that changes now and then (a description, an oper status):
    ``encode(key())`` is redone only when ``key()`` differs from the last request's."""

    key: Callable[[], Hashable]
    encode: Callable[[Any], bytes]


Source = bytes | Keyed | Getter
"""How an instance's value is had: fixed for the structure's life (the encoded element),
keyed, or read at each request."""

VarbindAt = Callable[[float], bytes]

MAX_MESSAGE_SIZE = 65507  # the largest UDP payload over IPv4

_U32 = 0xFFFFFFFF

# OID prefixes.
SYSTEM = (1, 3, 6, 1, 2, 1, 1)
IF_NUMBER = (1, 3, 6, 1, 2, 1, 2, 1)
IF_ENTRY = (1, 3, 6, 1, 2, 1, 2, 2, 1)
IP_AD_ENT = (1, 3, 6, 1, 2, 1, 4, 20, 1)
IP_ADDRESS_PREFIX_ORIGIN = (1, 3, 6, 1, 2, 1, 4, 32, 1, 5)
IP_ADDRESS_ENTRY = (1, 3, 6, 1, 2, 1, 4, 34, 1)
HR_SYSTEM_UPTIME = (1, 3, 6, 1, 2, 1, 25, 1, 1)
IF_X_ENTRY = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1)
SNMP_ENGINE = (1, 3, 6, 1, 6, 3, 10, 2, 1)
USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)

# IANAifType values.
IF_TYPE_OTHER = 1
IF_TYPE_ETHERNET = 6
IF_TYPE_LOOPBACK = 24
IF_TYPE_TUNNEL = 131
IF_TYPE_L3VLAN = 136
IF_TYPE_LAG = 161

_IF_TYPE_PREFIXES: tuple[tuple[str, int], ...] = (
    ("loopback", IF_TYPE_LOOPBACK),
    ("lo", IF_TYPE_LOOPBACK),
    ("vlan", IF_TYPE_L3VLAN),
    ("bvi", IF_TYPE_L3VLAN),
    ("irb", IF_TYPE_L3VLAN),
    ("tunnel", IF_TYPE_TUNNEL),
    ("port-channel", IF_TYPE_LAG),
    ("bond", IF_TYPE_LAG),
    ("null", IF_TYPE_OTHER),
)


@dataclass
class UsmStats:
    """usmStats counters of one engine (SNMP-USER-BASED-SM-MIB), also sent in Reports."""

    unsupported_sec_levels: int = 0
    not_in_time_windows: int = 0
    unknown_user_names: int = 0
    unknown_engine_ids: int = 0
    wrong_digests: int = 0
    decryption_errors: int = 0


# ---------------------------------------------------------------------------------------------
# Value encoders
# ---------------------------------------------------------------------------------------------


def _octets(text: str) -> bytes:
    return tlv(OCTET_STRING, text.encode("utf-8"))


def _timeticks(seconds: float) -> bytes:
    """TimeTicks (hundredths of a second), wrapping at 2^32 like a real agent (497 days)."""
    return encode_unsigned(int(max(0.0, seconds) * 100) & _U32, TIMETICKS)


def _integer(value: int) -> bytes:
    return encode_integer(value)


@lru_cache(maxsize=1024)
def _oid_value(text: str) -> bytes:
    return encode_oid(parse_oid(text))


def _attribute(obj: object, name: str, encode: Callable[[Any], bytes]) -> Keyed:
    """The attribute ``name`` of ``obj`` (read when asked), encoded by ``encode``."""
    return Keyed(partial(getattr, obj, name), encode)


def _keyed_varbind(oid_tlv: bytes, source: Keyed) -> VarbindAt:
    key, encode = source.key, source.encode
    last_key: Hashable = _NEVER
    last = b""

    def varbind(now: float) -> bytes:
        nonlocal last_key, last
        current = key()
        if current != last_key:
            last = varbind_tlv(oid_tlv, encode(current))
            last_key = current
        return last

    return varbind


def _read_varbind(oid_tlv: bytes, getter: Getter) -> VarbindAt:
    return lambda now: varbind_tlv(oid_tlv, getter(now))


_NEVER = object()


def _counter_attribute(stats: UsmStats, attribute: str) -> Getter:
    def getter(now: float) -> bytes:
        return encode_unsigned(int(getattr(stats, attribute)) & _U32, COUNTER32)

    return getter


def _if_speed(mbps: int) -> bytes:
    """ifSpeed: bits/s, Gauge32 saturated (ifHighSpeed tells the rest)."""
    return encode_unsigned(min(mbps * 1_000_000, _U32), GAUGE32)


def _if_high_speed(mbps: int) -> bytes:
    return encode_unsigned(min(mbps, _U32), GAUGE32)


def _status(up: bool) -> bytes:
    """ifAdminStatus / ifOperStatus: up(1) or down(2)."""
    return _integer(1 if up else 2)


def _mac_value(mac: str) -> bytes:
    return tlv(OCTET_STRING, _mac_octets(mac))


def _mac_octets(mac: str) -> bytes:
    digits = "".join(ch for ch in mac if ch not in ":.-")
    try:
        return bytes.fromhex(digits)
    except ValueError:
        return b""


def if_type(name: str) -> int:
    lowered = name.lower()
    for prefix, value in _IF_TYPE_PREFIXES:
        if lowered.startswith(prefix):
            return value
    return IF_TYPE_ETHERNET


# ---------------------------------------------------------------------------------------------
# The structure: sorted instances, built once per generation
# ---------------------------------------------------------------------------------------------


@dataclass
class _Builder:
    instances: list[tuple[Oid, Source]] = field(default_factory=list)
    objects: set[Oid] = field(default_factory=set)

    def scalar(self, oid: Oid, source: Source) -> None:
        self.objects.add(oid)
        self.instances.append(((*oid, 0), source))

    def column(self, entry: Oid, column: int, index: Oid, source: Source) -> None:
        self.instances.append(((*entry, column, *index), source))

    def columns(self, entry: Oid, numbers: tuple[int, ...]) -> None:
        """Declare a table's columns: a GET under them says noSuchInstance, not noSuchObject."""
        self.objects.update((*entry, n) for n in numbers)


class MibStructure:
    """An immutable snapshot: sorted instance OIDs with their encodings; per instance either
    the whole varbind, fixed (``fixed[i]``), or how to have it at ``now`` (``varbinds[i]``)."""

    __slots__ = ("_objects", "by_raw", "fixed", "generation", "oid_tlvs", "oids", "varbinds")

    def __init__(self, generation: int, builder: _Builder) -> None:
        builder.instances.sort(key=lambda item: item[0])
        self.generation = generation
        self.oids: list[Oid] = [oid for oid, _ in builder.instances]
        self.oid_tlvs: list[bytes] = [encode_oid(oid) for oid in self.oids]
        self.fixed: list[bytes | None] = []
        self.varbinds: list[VarbindAt | None] = []
        for oid_tlv, (_, source) in zip(self.oid_tlvs, builder.instances, strict=True):
            if isinstance(source, bytes):
                self.fixed.append(varbind_tlv(oid_tlv, source))
                self.varbinds.append(None)
            else:
                self.fixed.append(None)
                self.varbinds.append(
                    _keyed_varbind(oid_tlv, source)
                    if isinstance(source, Keyed)
                    else _read_varbind(oid_tlv, source)
                )
        # Raw OID content octets (what a request carries) -> position: GET is one dict lookup.
        self.by_raw: dict[bytes, int] = {_content(t): i for i, t in enumerate(self.oid_tlvs)}
        self._objects = frozenset(builder.objects)

    def __len__(self) -> int:
        return len(self.oids)

    def get(self, raw_oid: bytes, now: float) -> bytes:
        """Varbind for a GET of the OID whose content octets are ``raw_oid``."""
        i = self.by_raw.get(raw_oid)
        if i is not None:
            return self.varbind_at(i, now)
        oid = decode_oid(raw_oid)
        j = bisect_left(self.oids, oid)
        if j < len(self.oids) and self.oids[j] == oid:  # a non-minimal encoding of a known OID
            return self.varbind_at(j, now)
        tag = NO_SUCH_INSTANCE if self._is_object_or_under(oid) else NO_SUCH_OBJECT
        return varbind_tlv(tlv(0x06, raw_oid), bytes((tag, 0)))

    def next_index(self, raw_oid: bytes) -> int:
        """Position of the first instance after ``raw_oid`` (may be ``len(self)``)."""
        i = self.by_raw.get(raw_oid)
        if i is not None:
            return i + 1
        return bisect_right(self.oids, decode_oid(raw_oid))

    def varbind_at(self, i: int, now: float) -> bytes:
        fixed = self.fixed[i]
        if fixed is not None:
            return fixed
        return self.varbinds[i](now)  # type: ignore[misc]  # None only where fixed is set

    def oid_at(self, i: int) -> Oid:
        return self.oids[i]

    def _is_object_or_under(self, oid: Oid) -> bool:
        return any(oid[:n] in self._objects for n in range(len(oid), 0, -1))


def end_of_view(raw_oid: bytes) -> bytes:
    return varbind_tlv(tlv(0x06, raw_oid), bytes((END_OF_MIB_VIEW, 0)))


def _content(element: bytes) -> bytes:
    """Content octets of one encoded element."""
    first = element[1]
    return element[2 + (first & 0x7F if first & 0x80 else 0) :]


# ---------------------------------------------------------------------------------------------
# The view
# ---------------------------------------------------------------------------------------------


class MibView:
    """What one simulated device answers. ``structure()`` is cheap when nothing changed."""

    def __init__(
        self, state: DeviceState, engine_id: bytes, usm_stats: UsmStats | None = None
    ) -> None:
        self.state = state
        self.engine_id = engine_id
        self.usm_stats = usm_stats if usm_stats is not None else UsmStats()
        self._structure: MibStructure | None = None

    def structure(self) -> MibStructure:
        current = self._structure
        generation = self.state.generation
        if current is None or current.generation != generation:
            current = self._structure = MibStructure(generation, self._build())
        return current

    def _build(self) -> _Builder:
        builder = _Builder()
        self._system(builder)
        self._interfaces(builder)
        self._ip_addresses(builder)
        if is_server_platform(self.state.platform):
            builder.scalar(HR_SYSTEM_UPTIME, self._uptime)
        self._engine(builder)
        return builder

    # -- SNMPv2-MIB system group ---------------------------------------------------------------

    def _uptime(self, now: float) -> bytes:
        return _timeticks(self.state.uptime_seconds(now))

    def _system(self, b: _Builder) -> None:
        state = self.state
        services = 72 if is_server_platform(state.platform) else 6
        b.scalar(
            (*SYSTEM, 1),
            Keyed(lambda: state.sys_descr or f"provnet twin {state.platform}", _octets),
        )
        b.scalar((*SYSTEM, 2), _attribute(state, "sys_object_id", _oid_value))
        b.scalar((*SYSTEM, 3), self._uptime)
        b.scalar((*SYSTEM, 4), _attribute(state, "sys_contact", _octets))
        b.scalar((*SYSTEM, 5), _attribute(state, "hostname", _octets))
        b.scalar((*SYSTEM, 6), _attribute(state, "sys_location", _octets))
        b.scalar((*SYSTEM, 7), _integer(services))

    # -- IF-MIB --------------------------------------------------------------------------------

    def _interfaces(self, b: _Builder) -> None:
        by_index: dict[int, InterfaceState] = {}
        for interface in self.state.interfaces.values():
            by_index.setdefault(interface.if_index, interface)
        b.scalar(IF_NUMBER, _integer(len(by_index)))
        b.columns(IF_ENTRY, (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 16, 19, 20))
        b.columns(IF_X_ENTRY, (1, 6, 10, 15, 18))
        for if_index in sorted(by_index):
            self._if_entry(b, by_index[if_index])
            self._if_x_entry(b, by_index[if_index])

    def _if_entry(self, b: _Builder, interface: InterfaceState) -> None:
        state = self.state
        index = (interface.if_index,)
        kind = if_type(interface.name)
        mtu = 65536 if kind == IF_TYPE_LOOPBACK else 1500
        zero = encode_unsigned(0, COUNTER32)
        static = {
            1: _integer(interface.if_index),
            2: _octets(interface.name),
            3: _integer(kind),
            4: _integer(mtu),
            13: zero,
            14: zero,
            19: zero,
            20: zero,
        }
        for column, value in static.items():
            b.column(IF_ENTRY, column, index, value)
        b.column(IF_ENTRY, 5, index, _attribute(interface, "speed_mbps", _if_speed))
        b.column(IF_ENTRY, 6, index, _attribute(interface, "mac", _mac_value))
        b.column(IF_ENTRY, 7, index, _attribute(interface, "admin_up", _status))
        b.column(IF_ENTRY, 8, index, _attribute(interface, "oper_up", _status))
        b.column(
            IF_ENTRY,
            9,
            index,
            Keyed(lambda: interface.last_change - state.booted_at, _timeticks),
        )
        b.column(
            IF_ENTRY,
            10,
            index,
            lambda now: encode_unsigned(interface.octets(now)[0] & _U32, COUNTER32),
        )
        b.column(
            IF_ENTRY,
            16,
            index,
            lambda now: encode_unsigned(interface.octets(now)[1] & _U32, COUNTER32),
        )

    def _if_x_entry(self, b: _Builder, interface: InterfaceState) -> None:
        index = (interface.if_index,)
        b.column(IF_X_ENTRY, 1, index, _octets(interface.name))
        b.column(
            IF_X_ENTRY, 6, index, lambda now: encode_unsigned(interface.octets(now)[0], COUNTER64)
        )
        b.column(
            IF_X_ENTRY, 10, index, lambda now: encode_unsigned(interface.octets(now)[1], COUNTER64)
        )
        b.column(IF_X_ENTRY, 15, index, _attribute(interface, "speed_mbps", _if_high_speed))
        b.column(IF_X_ENTRY, 18, index, _attribute(interface, "description", _octets))

    # -- IP-MIB --------------------------------------------------------------------------------

    def _ip_addresses(self, b: _Builder) -> None:
        b.columns(IP_AD_ENT, (1, 2, 3, 4, 5))
        b.columns(IP_ADDRESS_ENTRY, (3, 4, 5, 6, 7, 10, 11))
        seen_v4: set[ipaddress.IPv4Address] = set()
        seen: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
        for interface in sorted(self.state.interfaces.values(), key=lambda i: i.if_index):
            addresses: list[ipaddress.IPv4Interface | ipaddress.IPv6Interface] = [
                *interface.ipv4,
                *interface.ipv6,
            ]
            for address in addresses:
                if address.ip in seen:
                    continue
                seen.add(address.ip)
                self._ip_address_entry(b, interface.if_index, address)
                if isinstance(address, ipaddress.IPv4Interface) and address.ip not in seen_v4:
                    seen_v4.add(address.ip)
                    self._ip_ad_ent(b, interface.if_index, address)

    @staticmethod
    def _ip_ad_ent(b: _Builder, if_index: int, address: ipaddress.IPv4Interface) -> None:
        index = tuple(address.ip.packed)
        values = {
            1: tlv(IP_ADDRESS, address.ip.packed),
            2: _integer(if_index),
            3: tlv(IP_ADDRESS, address.netmask.packed),
            4: _integer(1),
            5: _integer(65535),
        }
        for column, value in values.items():
            b.column(IP_AD_ENT, column, index, value)

    @staticmethod
    def _ip_address_entry(
        b: _Builder, if_index: int, address: ipaddress.IPv4Interface | ipaddress.IPv6Interface
    ) -> None:
        """ipAddressEntry indexed by ipAddressAddrType.length.octets (InetAddress, not IMPLIED)."""
        packed = address.ip.packed
        addr_type = 1 if address.version == 4 else 2
        index = (addr_type, len(packed), *packed)
        network = address.network
        prefix = (
            *IP_ADDRESS_PREFIX_ORIGIN,
            if_index,
            addr_type,
            len(packed),
            *network.network_address.packed,
            network.prefixlen,
        )
        link_local = address.version == 6 and address.ip.is_link_local
        values = {
            3: _integer(if_index),
            4: _integer(1),  # unicast
            5: encode_oid(prefix),
            6: _integer(5 if link_local else 2),  # linklayer / manual
            7: _integer(1),  # preferred
            10: _integer(1),  # active
            11: _integer(2),  # volatile
        }
        for column, value in values.items():
            b.column(IP_ADDRESS_ENTRY, column, index, value)

    # -- SNMP-FRAMEWORK-MIB, SNMP-USER-BASED-SM-MIB -------------------------------------------

    def _engine(self, b: _Builder) -> None:
        state = self.state
        stats = self.usm_stats
        b.scalar((*SNMP_ENGINE, 1), tlv(OCTET_STRING, self.engine_id))
        b.scalar((*SNMP_ENGINE, 2), Keyed(lambda: min(state.boots, 2**31 - 1), _integer))
        b.scalar((*SNMP_ENGINE, 3), lambda now: _integer(engine_time(state, now)))
        b.scalar((*SNMP_ENGINE, 4), _integer(MAX_MESSAGE_SIZE))
        counters = (
            "unsupported_sec_levels",
            "not_in_time_windows",
            "unknown_user_names",
            "unknown_engine_ids",
            "wrong_digests",
            "decryption_errors",
        )
        for number, attribute in enumerate(counters, start=1):
            b.scalar((*USM_STATS, number), _counter_attribute(stats, attribute))


def engine_time(state: DeviceState, now: float) -> int:
    """snmpEngineTime: whole seconds since the last boot, capped as RFC 3414 2.2.1 says."""
    return min(int(state.uptime_seconds(now)), 2**31 - 1)
