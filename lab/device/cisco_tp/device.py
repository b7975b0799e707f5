"""Cisco TelePresence / RoomOS endpoints (`cisco_tp`): the endpoint, pure.

Its configuration is the ``xConfiguration`` tree of ``schema.py`` (values by path); it
persists by itself, and ``DeviceState`` follows it (name, addresses, IPv6 stack).
"""

from __future__ import annotations

import ipaddress
import re
import time
from dataclasses import dataclass

from lab.device.base import SimDevice
from lab.device.cisco_tp.model import RELEASE
from lab.device.cisco_tp.schema import BY_PATH, SCHEMA, SECRET_PATHS, quote, validate
from lab.device.cisco_tp.session import TpSession
from lab.state import DeviceState, InterfaceState


@dataclass(frozen=True)
class TwinCall:
    """A call the endpoint placed: media flows from ``started`` until it is hung up."""

    number: str
    started: float


class TpDevice(SimDevice):
    """A VC endpoint: configuration is the xConfiguration tree; it persists by itself."""

    platform = "cisco_tp"
    oui = "00:50:60"  # TANDBERG's, as the endpoints still carry

    def __init__(
        self,
        state: DeviceState,
        config_text: str | None = None,
        *,
        enable_secret: str | None = None,
    ) -> None:
        super().__init__(state, enable_secret=enable_secret)
        if not state.interfaces:
            state.add_interface("eth0")
        self.values: dict[str, str] = {s.path.lower(): s.default for s in SCHEMA}
        self.calls: dict[int, TwinCall] = {}
        self.last_call_id = 0
        iface = self.network_interface()
        self.values["systemunit name"] = state.hostname
        if iface.ipv4:
            self.values["network 1 ipv4 assignment"] = "Static"
            self.values["network 1 ipv4 address"] = str(iface.ipv4[0].ip)
            self.values["network 1 ipv4 subnetmask"] = str(iface.ipv4[0].netmask)
        if iface.ipv6:
            self.values["network 1 ipv6 assignment"] = "Static"
            self.values["network 1 ipv6 address"] = str(iface.ipv6[0])
        self.values["network 1 ipstack"] = "Dual" if iface.ipv6_enabled or iface.ipv6 else "IPv4"
        if config_text:
            for line in config_text.splitlines():
                m = re.match(r"\*c xConfiguration (.+?): (.*)$", line.strip())
                if m and m.group(1).lower() in BY_PATH:
                    value = validate(BY_PATH[m.group(1).lower()], m.group(2))
                    if value is not None:
                        self.values[m.group(1).lower()] = value
        self.sync_state()

    def network_interface(self) -> InterfaceState:
        return min(self.state.interfaces.values(), key=lambda i: i.if_index)

    def open_session(self, *, privileged: bool = False) -> TpSession:
        return TpSession(self, privileged=privileged)

    def login_banner(self) -> str:
        return (
            f"Welcome to {self.state.hostname}\n{RELEASE}\nSW Release Date: 2022-07-05\n"
            "*r Login successful\n\nOK\n"
        )

    def listing(self, prefix: str = "") -> list[str]:
        out = []
        for s in SCHEMA:
            if prefix and not (s.path.lower() + " ").startswith(prefix.lower() + " "):
                continue
            value = self.values[s.path.lower()]
            if s.path.lower() in SECRET_PATHS and value:
                value = "***"
            out.append(f"*c xConfiguration {s.path}: {quote(s, value)}")
        return out

    def running_config(self) -> str:
        return "\n".join(self.listing()) + "\n"

    def startup_config(self) -> str:
        return self.running_config()  # endpoints store every change at once

    def sync_state(self) -> None:
        state = self.state
        iface = self.network_interface()
        values = self.values
        changed = False
        name = values["systemunit name"]
        if name and name != state.hostname:
            state.hostname = name
            changed = True
        if values["network 1 ipv4 assignment"] == "Static":
            try:
                ipv4 = [
                    ipaddress.IPv4Interface(
                        f"{values['network 1 ipv4 address']}/{values['network 1 ipv4 subnetmask']}"
                    )
                ]
            except ValueError:
                ipv4 = iface.ipv4
            if ipv4 != iface.ipv4:
                iface.ipv4 = ipv4
                changed = True
        stack = values["network 1 ipstack"]
        enabled = stack in ("Dual", "IPv6")
        ipv6: list[ipaddress.IPv6Interface] = []
        if enabled and values["network 1 ipv6 assignment"] == "Static":
            raw = values["network 1 ipv6 address"]
            try:
                ipv6 = [ipaddress.IPv6Interface(raw if "/" in raw else f"{raw}/64")] if raw else []
            except ValueError:
                ipv6 = []
        if iface.ipv6_enabled != enabled or iface.ipv6 != ipv6:
            iface.ipv6_enabled = enabled
            iface.ipv6 = ipv6
            changed = True
        if changed:
            state.touch()

    def dial(self, number: str) -> int:
        self.last_call_id += 1
        self.calls[self.last_call_id] = TwinCall(number, time.time())
        return self.last_call_id

    def registration(self) -> tuple[str, str]:
        if self.state.faults.unregistered:
            return "Failed", "401 Unauthorized"
        if not self.values["sip uri"]:
            return "Inactive", ""
        if not self.values["sip proxy 1 address"]:
            return "Failed", "No proxy configured"
        return "Registered", ""
