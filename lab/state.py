"""What a simulated device is, shared by its SSH CLI and its SNMP agent.

The CLI (``lab/device/``) changes this state as configuration lines are applied;
the SNMP agent (``lab/snmp/``) reads it on every request. Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from platforms import UnknownPlatform, get_platform

if TYPE_CHECKING:
    from lab.snmp.usm import V3User

SERVER_ROLE = "server"


@cache
def is_server_platform(platform: str) -> bool:
    """Whether ``platform`` is a server's: its platform data serves the ``server`` role
    (Linux does). Such a device answers SNMP as a host (HOST-RESOURCES-MIB, sysServices 72)
    and runs in the twin as a real system, not as a simulated CLI."""
    try:
        return SERVER_ROLE in get_platform(platform).roles
    except UnknownPlatform:
        return False


@dataclass
class InterfaceState:
    name: str
    if_index: int
    description: str = ""
    admin_up: bool = True
    link_up: bool = True  # the physical link; `provnet lab fault DEV link-down IF` clears it
    speed_mbps: int = 1000
    mac: str = "00:00:5e:00:53:01"
    ipv4: list[ipaddress.IPv4Interface] = field(default_factory=list)
    ipv6: list[ipaddress.IPv6Interface] = field(default_factory=list)
    ipv6_enabled: bool = False
    # Octets advance at these rates (bytes/s) while the interface is up.
    in_rate: int = 125_000
    out_rate: int = 100_000
    in_octets_base: int = 0
    out_octets_base: int = 0
    counters_since: float = field(default_factory=time.time)
    last_change: float = field(default_factory=time.time)

    @property
    def oper_up(self) -> bool:
        return self.admin_up and self.link_up

    def octets(self, now: float | None = None) -> tuple[int, int]:
        """(in, out) 64-bit octet counters at ``now``; frozen while the interface is down."""
        if not self.oper_up:
            return self.in_octets_base, self.out_octets_base
        elapsed = max(0.0, (now if now is not None else time.time()) - self.counters_since)
        mask = (1 << 64) - 1
        return (
            (self.in_octets_base + int(elapsed * self.in_rate)) & mask,
            (self.out_octets_base + int(elapsed * self.out_rate)) & mask,
        )

    def set_oper(self, admin_up: bool | None = None, link_up: bool | None = None) -> None:
        """Change admin or link state, freezing or restarting the counters at the edge."""
        was_up = self.oper_up
        in_now, out_now = self.octets()
        if admin_up is not None:
            self.admin_up = admin_up
        if link_up is not None:
            self.link_up = link_up
        if was_up != self.oper_up:
            self.in_octets_base, self.out_octets_base = in_now, out_now
            self.counters_since = time.time()
            self.last_change = time.time()


@dataclass
class Faults:
    down: bool = False  # no answer at all, on any protocol
    slow_ms: int = 0  # every answer delayed
    drop_snmp: bool = False  # SSH answers, SNMP does not
    garbage_snmp: bool = False  # SNMP answers every request with random bytes
    # Configuration lines left before the SSH session is dropped (the line is applied, then
    # the connection is cut without an answer); fires once, then clears. None: off.
    drop_session_after: int | None = None
    # VC endpoints: what the readiness check reads (`provnet vc check`).
    unregistered: bool = False  # SIP registration fails (the registrar refuses it)
    camera_off: bool = False  # the camera is disconnected
    mic_muted: bool = False  # the microphones are muted (xCommand ... Unmute clears it)
    clock_skew_s: float = 0.0  # the endpoint's clock is this far ahead (behind if < 0)
    media_loss_pct: float = 0.0  # this share of SIP OPTIONS and of a call's media is lost
    media_seen: int = 0  # packets counted for media_loss_pct (spreads the losses evenly)

    def media_lost(self) -> bool:
        """Whether the next packet is lost: exactly ``media_loss_pct`` % of them, evenly
        spread (deterministic, so a test sees the same loss every run)."""
        before = int(self.media_seen * self.media_loss_pct / 100)
        self.media_seen += 1
        return int(self.media_seen * self.media_loss_pct / 100) > before

    def config_line_applied(self) -> bool:
        """Count one configuration line; True when the session must be dropped now."""
        if self.drop_session_after is None:
            return False
        self.drop_session_after -= 1
        if self.drop_session_after > 0:
            return False
        self.drop_session_after = None
        return True


@dataclass
class DeviceState:
    """One simulated device. ``platform`` is a Netmiko device_type name."""

    name: str
    platform: str
    hostname: str
    sys_descr: str = ""
    sys_object_id: str = "1.3.6.1.4.1.9.1.1"
    sys_location: str = ""
    sys_contact: str = ""
    serial: str = ""
    # The role the inventory gives the device (``wan_router``, ``access_switch`` ...): a
    # switch is simulated as a switch (switch ports, VLANs, spanning tree).
    role: str = ""
    # The first three octets of every interface MAC (the vendor's OUI; the simulator sets it)
    # and the device's block under it: the twin numbers devices by site and place in the site,
    # so no two share a MAC; 0 takes a block from the name.
    oui: str = "02:00:00"
    mac_block: int = 0
    # Who the SNMP agent answers, as the device's configuration says (the simulator keeps
    # them in step with `snmp-server community` / `snmp-server user` ...); None: the agent
    # endpoint's own communities and users, for a device whose configuration says nothing.
    snmp_communities: frozenset[str] | None = None
    snmp_users: tuple[V3User, ...] | None = None
    interfaces: dict[str, InterfaceState] = field(default_factory=dict)
    booted_at: float = field(default_factory=time.time)
    boots: int = 1  # snmpEngineBoots
    faults: Faults = field(default_factory=Faults)
    # Bumped by every change to interfaces or addresses, so readers can cache derived views.
    generation: int = 0
    # Read-only local users (name, password) the twin provisions from the lab secrets: the
    # initial configuration holds each at level 1 with what it needs to read the running
    # configuration (IOS `file privilege 1`, VRP `command-privilege level 1 ...`).
    readers: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def touch(self) -> None:
        self.generation += 1

    def uptime_seconds(self, now: float | None = None) -> float:
        return max(0.0, (now if now is not None else time.time()) - self.booted_at)

    def reboot(self) -> None:
        self.booted_at = time.time()
        self.boots += 1
        for interface in self.interfaces.values():
            interface.in_octets_base = interface.out_octets_base = 0
            interface.counters_since = self.booted_at
            interface.last_change = self.booted_at
        self.touch()

    def mac_for(self, if_index: int) -> str:
        """The MAC of interface ``if_index``: the OUI, then the device's block (two octets)
        and the index; distinct per interface and device, the same on every run."""
        block = self.mac_block or int.from_bytes(hashlib.sha256(self.name.encode()).digest()[:2])
        low = (block & 0xFFFF) << 8 | (if_index & 0xFF)
        return f"{self.oui}:{low >> 16:02x}:{low >> 8 & 0xFF:02x}:{low & 0xFF:02x}"

    def assign_macs(self, oui: str) -> None:
        """Give every interface a MAC under ``oui`` (as the device's vendor burns them in)."""
        self.oui = oui
        for interface in self.interfaces.values():
            interface.mac = self.mac_for(interface.if_index)

    def add_interface(self, name: str, **kwargs: object) -> InterfaceState:
        if name in self.interfaces:
            return self.interfaces[name]
        index = max((i.if_index for i in self.interfaces.values()), default=0) + 1
        kwargs.setdefault("mac", self.mac_for(index))
        interface = InterfaceState(name=name, if_index=index, **kwargs)  # type: ignore[arg-type]
        self.interfaces[name] = interface
        self.touch()
        return interface
