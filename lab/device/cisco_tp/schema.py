"""The endpoint's ``xConfiguration`` table: every path it knows, the domain of its value
and its default. A path the table does not know, or a value outside its domain, is
refused as the endpoint does. Data and its validation only.
"""

from __future__ import annotations

from dataclasses import dataclass


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


def quote(setting: Setting, value: str) -> str:
    if setting.kind == "string":
        return f'"{value}"'
    return value


def validate(setting: Setting, raw: str) -> str | None:
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
