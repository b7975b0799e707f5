"""Cisco TelePresence / RoomOS endpoints (`cisco_tp`): the xAPI shell over SSH, pure.

What Netmiko's ``cisco_tp`` driver expects: a login banner ending in ``OK`` (its
``session_preparation`` reads whatever arrives), no prompt, every answer framed by
``** end`` then ``OK`` (or ``ERROR``), and ``Command not recognized.`` for anything
that is not an x-command. ``xConfiguration`` paths come from ``SCHEMA``: a path the
table does not know, or a value outside its domain, is refused as the endpoint does.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from lab.device.base import CliSession, Reply, SimDevice, eui64_link_local
from lab.state import DeviceState, InterfaceState

SOFTWARE = "ce9.15.3.17"
RELEASE = "Cisco Codec Release ce 9.15.3.17 4a5af0c2f39 2022-07-05"


@dataclass(frozen=True)
class Setting:
    path: str  # canonical spelling, e.g. "SIP Proxy 1 Address"
    kind: str  # "string", "int:MIN:MAX", or "A|B|C" (enumeration)
    default: str


SCHEMA: list[Setting] = [
    Setting("Conference AutoAnswer Mode", "Off|On", "Off"),
    Setting("Conference DefaultCall Protocol", "Auto|H320|H323|Sip|Spark", "Sip"),
    Setting("Conference DefaultCall Rate", "int:64:6000", "6000"),
    Setting("H323 Mode", "Off|On", "Off"),
    Setting("H323 Gatekeeper Address", "string", ""),
    Setting("H323 H323Alias ID", "string", ""),
    Setting("H323 H323Alias E164", "string", ""),
    Setting("Network 1 IPStack", "Dual|IPv4|IPv6", "Dual"),
    Setting("Network 1 IPv4 Assignment", "DHCP|Static", "DHCP"),
    Setting("Network 1 IPv4 Address", "string", ""),
    Setting("Network 1 IPv4 SubnetMask", "string", ""),
    Setting("Network 1 IPv4 Gateway", "string", ""),
    Setting("Network 1 IPv6 Assignment", "Autoconf|DHCPv6|Static", "Autoconf"),
    Setting("Network 1 IPv6 Address", "string", ""),
    Setting("Network 1 IPv6 Gateway", "string", ""),
    Setting("Network 1 DNS Domain Name", "string", ""),
    Setting("Network 1 DNS Server 1 Address", "string", ""),
    Setting("Network 1 DNS Server 2 Address", "string", ""),
    Setting("NetworkServices HTTP Mode", "Off|HTTP+HTTPS|HTTPS", "HTTPS"),
    Setting("NetworkServices HTTPS VerifyServerCertificate", "Off|On", "Off"),
    Setting("NetworkServices NTP Mode", "Auto|Manual|Off", "Auto"),
    Setting("NetworkServices NTP Server 1 Address", "string", ""),
    Setting("NetworkServices NTP Server 2 Address", "string", ""),
    Setting("NetworkServices SNMP Mode", "Off|ReadOnly|ReadWrite", "Off"),
    Setting("NetworkServices SNMP CommunityName", "string", ""),
    Setting("NetworkServices SNMP SystemContact", "string", ""),
    Setting("NetworkServices SNMP SystemLocation", "string", ""),
    Setting("NetworkServices SSH Mode", "Off|On", "On"),
    Setting("NetworkServices Telnet Mode", "Off|On", "Off"),
    Setting("NetworkServices Syslog Mode", "Off|On", "Off"),
    Setting("Logging External Mode", "Off|On", "Off"),
    Setting("Logging External Server Address", "string", ""),
    Setting("SIP DefaultTransport", "Auto|TCP|Tls|UDP", "Auto"),
    Setting("SIP DisplayName", "string", ""),
    Setting("SIP Proxy 1 Address", "string", ""),
    Setting("SIP Proxy 2 Address", "string", ""),
    Setting("SIP URI", "string", ""),
    Setting("SIP Authentication UserName", "string", ""),
    Setting("SIP Authentication Password", "string", ""),
    Setting("Security Session InactivityTimeout", "int:0:10000", "0"),
    Setting("SystemUnit Name", "string", ""),
    Setting("Time Zone", "string", "Asia/Ho_Chi_Minh"),
    Setting("UserInterface Language", "English|Vietnamese", "English"),
]
BY_PATH = {s.path.lower(): s for s in SCHEMA}
SECRET_PATHS = {"sip authentication password"}
# The brief's shorthand; the endpoint itself only knows IPStack + IPv6 Assignment.
MODE_ALIAS = "network 1 ipv6 mode"


def _quote(setting: Setting, value: str) -> str:
    if setting.kind == "string":
        return f'"{value}"'
    return value


def _validate(setting: Setting, raw: str) -> str | None:
    value = raw.strip()
    if value.startswith('"'):
        value = value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:]
    if setting.kind == "string":
        return value
    if setting.kind.startswith("int:"):
        _, low, high = setting.kind.split(":")
        if value.isdigit() and int(low) <= int(value) <= int(high):
            return str(int(value))
        return None
    for choice in setting.kind.split("|"):
        if choice.lower() == value.lower():
            return choice
    return None


class TpDevice(SimDevice):
    """A VC endpoint: configuration is the xConfiguration tree; it persists by itself."""

    platform = "cisco_tp"

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
        self.calls: list[str] = []
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
                    value = _validate(BY_PATH[m.group(1).lower()], m.group(2))
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
            out.append(f"*c xConfiguration {s.path}: {_quote(s, value)}")
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

    def registration(self) -> tuple[str, str]:
        if not self.values["sip uri"]:
            return "Inactive", ""
        if not self.values["sip proxy 1 address"]:
            return "Failed", "No proxy configured"
        return "Registered", ""

    def status_lines(self) -> list[str]:
        state = self.state
        iface = self.network_interface()
        status, reason = self.registration()
        uri = self.values["sip uri"]
        ipv4 = iface.ipv4[0] if iface.ipv4 else None
        ipv6 = str(iface.ipv6[0].ip) if iface.ipv6 else ""
        link_local = str(eui64_link_local(iface.mac)) if iface.ipv6_enabled else ""
        mac = iface.mac.upper()
        lines = [
            f'*s Network 1 DNS Domain Name: "{self.values["network 1 dns domain name"]}"',
            f'*s Network 1 DNS Server 1 Address: "{self.values["network 1 dns server 1 address"]}"',
            f'*s Network 1 Ethernet MacAddress: "{mac}"',
            f'*s Network 1 Ethernet Speed: "{iface.speed_mbps}full"',
            f'*s Network 1 IPv4 Address: "{ipv4.ip if ipv4 else ""}"',
            f'*s Network 1 IPv4 Gateway: "{self.values["network 1 ipv4 gateway"]}"',
            f'*s Network 1 IPv4 SubnetMask: "{ipv4.netmask if ipv4 else ""}"',
            f'*s Network 1 IPv6 Address: "{ipv6}"',
            f'*s Network 1 IPv6 Gateway: "{self.values["network 1 ipv6 gateway"]}"',
            f'*s Network 1 IPv6 LinkLocalAddress: "{link_local}"',
            f'*s SIP Proxy 1 Address: "{self.values["sip proxy 1 address"]}"',
            f"*s SIP Proxy 1 Status: {'Active' if status == 'Registered' else 'Off'}",
            f'*s SIP Registration 1 Reason: "{reason}"',
            f"*s SIP Registration 1 Status: {status}",
            f'*s SIP Registration 1 URI: "{uri}"',
            f'*s SystemUnit Hardware Module SerialNumber: "{state.serial or "FTT0000000"}"',
            '*s SystemUnit ProductId: "Cisco Webex Room Kit"',
            f'*s SystemUnit Software Version: "{SOFTWARE}"',
            f"*s SystemUnit Uptime: {int(state.uptime_seconds())}",
        ]
        for i, number in enumerate(self.calls, 1):
            lines += [
                f"*s Call {i} CallType: Video",
                f'*s Call {i} RemoteNumber: "{number}"',
                f"*s Call {i} Status: Connected",
            ]
        return [ln for ln in lines if ln]


class TpSession(CliSession):
    device: TpDevice

    def __init__(self, device: TpDevice, *, privileged: bool = False) -> None:
        super().__init__(device, privileged=privileged)
        self.terminal_length = 0  # the xAPI shell never pages

    @property
    def prompt(self) -> str:
        return ""  # the xAPI shell has no prompt; answers end in OK / ERROR

    def login(self) -> Reply:
        self.device.check_reboot()
        return Reply(self.device.login_banner(), "")

    def execute(self, line: str) -> Reply:
        text = line.strip()
        if not text:
            return Reply("", "")
        word, _, rest = text.partition(" ")
        low = word.lower()
        if low == "xconfiguration":
            return self.xconfiguration(rest.strip())
        if low == "xstatus":
            return self.xstatus(rest.strip())
        if low == "xcommand":
            return self.xcommand(rest.strip())
        if low in ("bye", "exit"):
            return Reply("", "", close=True)
        if low == "echo":
            return Reply("OK\n", "")
        return Reply("Command not recognized.\n", "")

    @staticmethod
    def ok(lines: list[str]) -> Reply:
        return Reply("\n".join([*lines, "** end", "", "OK"]) + "\n", "")

    @staticmethod
    def fail(kind: str, reason: str, xpath: str) -> Reply:
        return Reply(
            "\n".join(
                [
                    f"*r {kind} (status=Error): ",
                    f"    Reason: {reason}",
                    f"    XPath: {xpath}",
                    "** end",
                    "",
                    "ERROR",
                ]
            )
            + "\n",
            "",
        )

    def xconfiguration(self, rest: str) -> Reply:
        dev = self.device
        if ":" not in rest:
            path = " ".join(rest.split())
            lines = dev.listing(path)
            if path and not lines:
                return self.fail(
                    "Configuration",
                    "No match on address expression.",
                    "Configuration/" + path.replace(" ", "/"),
                )
            return self.ok(lines)
        path, _, raw = rest.partition(":")
        key = " ".join(path.split()).lower()
        xpath = "Configuration/" + "/".join(path.split())
        if key == MODE_ALIAS:
            choice = raw.strip().strip('"').lower()
            if choice == "off":
                dev.values["network 1 ipstack"] = "IPv4"
            elif choice in ("static", "autoconf", "dhcpv6"):
                dev.values["network 1 ipstack"] = "Dual"
                dev.values["network 1 ipv6 assignment"] = {
                    "static": "Static",
                    "autoconf": "Autoconf",
                    "dhcpv6": "DHCPv6",
                }[choice]
            else:
                return self.fail("Configuration", "Invalid value", xpath)
            dev.sync_state()
            return self.ok([])
        setting = BY_PATH.get(key)
        if setting is None:
            return self.fail("Configuration", "No match on address expression.", xpath)
        value = _validate(setting, raw)
        if value is None:
            return self.fail("Configuration", "Invalid value", xpath)
        if key.endswith("address") and value and key.startswith("network 1 ipv"):
            try:
                ipaddress.ip_interface(value)
            except ValueError:
                return self.fail("Configuration", "Invalid value", xpath)
        dev.values[key] = value
        dev.sync_state()
        return self.ok([])

    def xstatus(self, rest: str) -> Reply:
        path = " ".join(rest.split())
        lines = self.device.status_lines()
        if path:
            pattern = re.compile(
                r"^\*s " + r"(?: \d+)? ".join(re.escape(w) for w in path.split()) + r"\b", re.I
            )
            lines = [ln for ln in lines if pattern.match(ln)]
            if not lines:
                return self.fail(
                    "Status", "No match on Path argument", "Status/" + path.replace(" ", "/")
                )
        return self.ok(lines)

    def xcommand(self, rest: str) -> Reply:
        dev = self.device
        low = " ".join(rest.split()).lower()
        if low.startswith("dial"):
            m = re.search(r"number:\s*\"?([^\"]+)\"?", rest, re.I)
            if not m:
                return self.fail(
                    "DialResult", "Missing or invalid parameter(s): Number", "Command/Dial"
                )
            dev.calls.append(m.group(1).strip())
            n = len(dev.calls)
            return self.ok(
                ["*r DialResult (status=OK): ", f"    CallId: {n}", f"    ConferenceId: {n}"]
            )
        if low.startswith("call disconnect"):
            if not dev.calls:
                return self.fail(
                    "CallDisconnectResult", "No active call", "Command/Call/Disconnect"
                )
            dev.calls.pop()
            return self.ok(["*r CallDisconnectResult (status=OK): "])
        if low.startswith("systemunit boot"):
            dev.reload()
            return Reply("*r SystemUnitBootResult (status=OK): \n** end\n\nOK\n", "", close=True)
        if low.startswith("standby"):
            return self.ok(["*r StandbyActivateResult (status=OK): "])
        return self.fail("Result", "Unknown command", "Command/" + "/".join(rest.split()[:3]))
