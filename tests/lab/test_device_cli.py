"""The twin's device simulators: the CLI engines (pure) and Netmiko against the SSH server.

The first part drives the engines line by line (no sockets). The second starts one
``SshTwinServer`` on 127.0.x.y (ports picked by the kernel) in a background event loop
and talks to it with Netmiko's own ``ConnectHandler`` and the real device_type names.
"""

from __future__ import annotations

import asyncio
import ipaddress
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
import pytest
from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

from lab.device import SimDevice, UnknownPlatformError, make_device
from lab.device.cisco_ios import IosDevice, IosSession
from lab.device.cisco_tp import TpDevice
from lab.device.config import IOS_DIALECT, VRP_DIALECT, ConfigTree
from lab.device.huawei_vrp import VrpDevice, VrpSession
from lab.device.server import SshEndpoint, SshServerError, SshTwinServer
from lab.state import DeviceState

V4 = ipaddress.IPv4Interface
V6 = ipaddress.IPv6Interface


def ios_state(platform: str = "cisco_ios", hostname: str = "R1") -> DeviceState:
    state = DeviceState(name=hostname.lower(), platform=platform, hostname=hostname)
    if platform == "cisco_xe":
        state.add_interface("GigabitEthernet0/0/0", ipv4=[V4("10.0.12.1/24")])
        state.add_interface("GigabitEthernet0/0/1")
    else:
        state.add_interface("GigabitEthernet0/0", ipv4=[V4("10.0.12.1/24")])
        state.add_interface("GigabitEthernet0/1")
    state.add_interface("Loopback0", ipv4=[V4("1.1.1.1/32")])
    return state


def vrp_state(hostname: str = "R2") -> DeviceState:
    state = DeviceState(name=hostname.lower(), platform="huawei_vrp", hostname=hostname)
    state.add_interface("GigabitEthernet0/0/0", ipv4=[V4("10.0.12.2/24")])
    state.add_interface("GigabitEthernet0/0/1")
    state.add_interface("LoopBack0", ipv4=[V4("2.2.2.2/32")])
    return state


def tp_state(hostname: str = "VC1") -> DeviceState:
    state = DeviceState(name=hostname.lower(), platform="cisco_tp", hostname=hostname)
    state.add_interface("eth0", ipv4=[V4("10.0.5.10/24")])
    return state


def ios(secret: str | None = None, platform: str = "cisco_ios") -> tuple[IosDevice, IosSession]:
    device = make_device(ios_state(platform), enable_secret=secret)
    assert isinstance(device, IosDevice)
    return device, device.open_session()


def vrp() -> tuple[VrpDevice, VrpSession]:
    device = make_device(vrp_state())
    assert isinstance(device, VrpDevice)
    return device, device.open_session()


def feed(session: Any, *lines: str) -> str:
    """Run lines; the output of the last one."""
    out = ""
    for line in lines:
        out = session.run(line)
    return out


# -- IOS: modes and prompts ---------------------------------------------------------------
def test_ios_prompts_through_the_modes() -> None:
    _, s = ios()
    assert s.prompt == "R1#"
    assert s.run("configure terminal") == (
        "Enter configuration commands, one per line.  End with CNTL/Z.\nR1(config)#"
    )
    assert s.run("interface GigabitEthernet0/1") == "R1(config-if)#"
    assert s.run("exit") == "R1(config)#"
    assert s.run("line vty 0 4") == "R1(config-line)#"
    assert s.run("router ospf 1") == "R1(config-router)#"  # falls back to global mode
    assert s.run("interface Gi0/0.10") == "R1(config-subif)#"
    assert s.run("end") == "R1#"
    s.run("conf t")
    assert s.ctrl_z().mark == "^Z" and s.prompt == "R1#"
    assert s.run("disable") == "R1>"
    assert s.run("enable") == "% No password set\nR1>"
    assert s.handle("exit").close


def test_ios_enable_secret_asks_for_password_without_echo() -> None:
    device, s = ios(secret="Cisco123")
    assert s.prompt == "R1>"
    reply = s.handle("enable")
    assert reply.prompt == "Password: " and reply.echo is False
    assert s.handle("wrong").prompt == "Password: "
    assert s.run("Cisco123") == "R1#"
    assert "enable secret 9 $9$" in device.running_config()
    assert "Cisco123" not in device.running_config()
    _, s2 = ios(secret="x")
    s2.handle("enable")
    s2.handle("a")
    s2.handle("b")
    assert s2.run("c") == "% Bad secrets\n\nR1>"


def test_ios_abbreviations_and_errors_like_ios() -> None:
    _, s = ios()
    assert "Cisco IOS Software" in s.run("sh ver")
    assert s.run("show foo") == (
        " " * len("R1#show ") + "^\n% Invalid input detected at '^' marker.\n\nR1#"
    )
    assert s.run("show") == "% Incomplete command.\n\nR1#"
    assert s.run("show i") == '% Ambiguous command:  "show i"\n\nR1#'
    assert s.run("foo") == (
        'Translating "foo"\n% Unknown command or computer name, or '
        "unable to find computer address\nR1#"
    )
    s.run("conf t")
    assert s.run("ip addresss 1.2.3.4") == (
        " " * len("R1(config)#ip ") + "^\n% Invalid input detected at '^' marker.\n\nR1(config)#"
    )
    s.run("interface Gi0/1")
    # A mask that is not contiguous, or the subnet's own address: IOS's words (a 1841 on
    # 12.4 quoted in community.infosecinstitute.com/discussion/105972; connecteddots.online
    # /resources/cisco-reference/bad-mask-for-address).
    assert s.run("ip address 10.9.9.1 255.0.255.0") == (
        "Bad mask 0xFF00FF00 for address 10.9.9.1\nR1(config-if)#"
    )
    assert s.run("ip address 10.9.9.0 255.255.255.0") == (
        "% Bad mask /24 for address 10.9.9.0\nR1(config-if)#"
    )
    assert s.run("ip address") == "% Incomplete command.\n\nR1(config-if)#"
    assert s.run("interface GigabitEthernet0/9").endswith(
        "% Invalid input detected at '^' marker.\n\nR1(config-if)#"
    )


def test_ios_show_running_config_layout() -> None:
    device, s = ios()
    out = s.run("show running-config")
    head, _, body = out.partition("\n\n")
    assert head == "Building configuration..."
    count_line, _, rest = body.partition("\n")
    config = rest[: -len("R1#")]
    assert count_line == f"Current configuration : {len(config.encode())} bytes"
    assert config == device.running_config()
    assert config.startswith("!\nversion 15.7\n") and config.endswith("!\nend\n")
    assert "interface GigabitEthernet0/0\n ip address 10.0.12.1 255.255.255.0\n" in config
    assert "interface GigabitEthernet0/1\n no ip address\n" in config
    assert s.run("show running-config | include ^hostname") == "hostname R1\nR1#"


# -- IOS: configuration and state ---------------------------------------------------------
def test_ios_config_changes_follow_into_state() -> None:
    device, s = ios()
    state = device.state
    generation = state.generation
    feed(
        s,
        "conf t",
        "interface GigabitEthernet0/1",
        "description to commune",
        "ip address 10.1.1.1 255.255.255.0",
        "ipv6 address 2001:db8:1::1/64",
        "ipv6 enable",
    )
    iface = state.interfaces["GigabitEthernet0/1"]
    assert iface.ipv4 == [V4("10.1.1.1/24")]
    assert iface.ipv6 == [V6("2001:db8:1::1/64")] and iface.ipv6_enabled
    assert iface.description == "to commune"
    assert state.generation > generation
    s.run("shutdown")
    assert not iface.oper_up and not iface.admin_up
    s.run("no shutdown")
    assert iface.oper_up
    s.run("no ipv6 address 2001:db8:1::1/64")
    assert iface.ipv6 == []
    s.run("no ip address")
    assert iface.ipv4 == []
    section = device.config.find("interface GigabitEthernet0/1")
    assert section is not None
    assert [c.text for c in section.children] == [
        "description to commune",
        "no ip address",
        "duplex auto",
        "speed auto",
        "ipv6 enable",
    ]


def test_ios_interfaces_created_and_removed_by_config() -> None:
    device, s = ios()
    feed(s, "conf t", "interface Loopback1", "ip address 10.255.0.1 255.255.255.255")
    assert device.state.interfaces["Loopback1"].ipv4 == [V4("10.255.0.1/32")]
    text = device.running_config()
    assert (
        "interface Loopback0\n ip address 1.1.1.1 255.255.255.255\n!\n"
        "interface Loopback1\n ip address 10.255.0.1 255.255.255.255\n!\n" in text
    )
    assert s.run("no interface Loopback1") == "R1(config)#"
    assert "Loopback1" not in device.state.interfaces
    assert "Loopback1" not in device.running_config()
    assert s.run("no interface GigabitEthernet0/0") == (
        "% Removal of physical interfaces is not permitted\nR1(config)#"
    )


def test_ios_negation_and_mode_fallthrough() -> None:
    device, s = ios()
    feed(s, "conf t", "interface Gi0/1", "hostname EDGE-1")  # a global line from config-if
    assert s.prompt == "EDGE-1(config)#" and device.state.hostname == "EDGE-1"
    s.run("ip domain lookup")
    assert "no ip domain lookup" not in device.running_config()
    s.run("no ip domain-lookup")
    assert "\nno ip domain lookup\n" in device.running_config()
    s.run("ip http server")
    assert "\nip http server\n" not in device.running_config()
    s.run("no ip http server")
    feed(s, "ntp server 10.0.0.1", "ntp server 10.0.0.2 prefer", "logging host 10.0.0.9")
    s.run("no ntp server 10.0.0.2")
    text = device.running_config()
    assert "ntp server 10.0.0.1\n" in text and "10.0.0.2" not in text
    s.run("service password-encryption")
    assert "\nservice password-encryption\n" in device.running_config()
    s.run("no service password-encryption")
    assert "\nno service password-encryption\n" in device.running_config()
    assert s.run("no ip route") == "% Incomplete command.\n\nEDGE-1(config)#"
    assert s.run("no interface") == "% Incomplete command.\n\nEDGE-1(config)#"
    s.run("ip route 0.0.0.0 0.0.0.0 10.0.12.254")
    assert s.run("do show ip route | include S\\*") == (
        "S*    0.0.0.0/0 [1/0] via 10.0.12.254\nEDGE-1(config)#"
    )


def test_ios_routes_show_connected_local_and_static() -> None:
    _, s = ios()
    feed(
        s,
        "conf t",
        "ip route 192.168.1.0 255.255.255.0 10.0.12.2",
        "ip route 172.16.0.0 255.255.0.0 10.99.99.99",
        "ipv6 route 2001:db8:99::/48 Null0",
        "interface Gi0/0",
        "ipv6 address 2001:db8:12::1/64",
        "end",
    )
    out = s.run("show ip route")
    assert "Gateway of last resort is not set" in out
    assert "C        10.0.12.0/24 is directly connected, GigabitEthernet0/0" in out
    assert "L        10.0.12.1/32 is directly connected, GigabitEthernet0/0" in out
    assert "S     192.168.1.0/24 [1/0] via 10.0.12.2" in out  # classful /24: no header
    assert "172.16.0.0" not in out  # next hop unreachable: not installed
    v6 = s.run("show ipv6 route")
    assert "C   2001:DB8:12::/64 [0/0]\n     via GigabitEthernet0/0, directly connected" in v6
    assert "L   2001:DB8:12::1/128 [0/0]\n     via GigabitEthernet0/0, receive" in v6
    brief = s.run("show ip interface brief")
    assert brief.splitlines()[0] == (
        "Interface              IP-Address      OK? Method Status                Protocol"
    )
    assert "GigabitEthernet0/0     10.0.12.1       YES NVRAM  up                    up" in brief
    assert "GigabitEthernet0/0     [up/up]\n    FE80::" in s.run("show ipv6 interface brief")


def test_ios_save_dialogue_and_startup() -> None:
    device, s = ios()
    # The box was saved before it shipped: its startup-config is what it booted with.
    assert s.run("show startup-config") == (
        f"Using {len(device.running_config().encode())} out of 262136 bytes\n"
        f"{device.running_config()}R1#"
    )
    feed(s, "conf t", "ip domain name twin.example", "end")
    assert "ip domain name twin.example" not in device.startup_config()
    assert s.run("copy running-config startup-config") == (
        "Destination filename [startup-config]? "
    )
    assert s.run("") == "Building configuration...\n[OK]\nR1#"
    assert device.startup_config() == device.running_config()
    assert s.run("write memory") == "Building configuration...\n[OK]\nR1#"
    out = s.run("show startup-config")
    assert out.startswith(f"Using {len(device.startup_config().encode())} out of ")


def test_ios_configure_replace_restores_byte_for_byte() -> None:
    device, s = ios()
    feed(s, "conf t", "archive", "path flash:archive", "write-memory", "end", "write memory")
    saved = device.running_config()
    assert "flash:archive-1 <- Most Recent" in s.run("show archive")
    feed(
        s,
        "conf t",
        "interface Loopback7",
        "ipv6 address 2001:db8:7::1/64",
        "exit",
        "hostname CHANGED",
        "interface Gi0/0",
        "shutdown",
        "no ip address",
        "end",
    )
    assert device.state.hostname == "CHANGED"
    assert s.run("configure replace flash:archive-1").endswith("? [no]: ")
    assert s.run("yes") == "Total number of passes: 1\nRollback Done\n\nR1#"
    assert device.running_config() == saved
    assert "Loopback7" not in device.state.interfaces
    assert device.state.interfaces["GigabitEthernet0/0"].ipv4 == [V4("10.0.12.1/24")]
    assert device.state.interfaces["GigabitEthernet0/0"].oper_up
    feed(s, "conf t", "no ip cef", "end")
    assert s.run("configure replace nvram:startup-config force").startswith(
        "Total number of passes: 1"
    )
    assert device.running_config() == saved
    assert s.run("configure replace flash:nothing force") == (
        "%Error opening flash:nothing (No such file or directory)\nR1#"
    )


def test_ios_reload_loses_unsaved_changes() -> None:
    device, s = ios()
    s.run("write memory")
    feed(s, "conf t", "interface Loopback9", "end")
    boots = device.state.boots
    assert s.run("reload") == "System configuration has been modified. Save? [yes/no]: "
    assert s.run("no") == "Proceed with reload? [confirm]"
    assert s.handle("").close
    assert device.state.boots == boots + 1
    assert "Loopback9" not in device.running_config()
    assert "Loopback9" not in device.state.interfaces


def test_ios_xe_flavour() -> None:
    device, s = ios(platform="cisco_xe")
    out = s.run("show version")
    assert "Cisco IOS XE Software" in out and "IOS-XE" in out and "R1 uptime is" in out
    assert "\n negotiation auto\n" in device.running_config()
    assert device.running_config().startswith("!\nversion 17.3\n")


# -- Huawei VRP ---------------------------------------------------------------------------
def test_vrp_views_and_prompts() -> None:
    device, s = vrp()
    assert s.prompt == "<R2>"
    assert s.run("system-view") == "Enter system view, return user view with Ctrl+Z.\n[R2]"
    assert s.run("interface GigabitEthernet 0/0/1") == "[R2-GigabitEthernet0/0/1]"
    assert s.run("quit") == "[R2]"
    assert s.run("user-interface vty 0 4") == "[R2-ui-vty0-4]"
    assert s.run("aaa") == "[R2-aaa]"  # a system-view command from a sub-view
    assert s.run("return") == "<R2>"
    s.run("sys")
    s.run("int LoopBack1")
    assert s.ctrl_z().prompt == "<R2>"
    assert "Huawei Versatile Routing Platform" in s.run("display version")
    assert "VRP (R) software" in s.run("dis ver")
    assert s.run("screen-length 0 temporary").startswith("Info: The configuration takes")
    assert s.handle("quit").close
    assert device.running_config().startswith("[V200R010C00SPC600]\n#\n sysname R2\n#\n")
    assert device.running_config().endswith("#\nreturn\n")


def test_vrp_errors_like_vrp() -> None:
    _, s = vrp()
    assert s.run("dispaly version") == (
        "    ^\nError: Unrecognized command found at '^' position.\n<R2>"
    )
    assert s.run("display foo") == (
        " " * len("<R2>display ") + "^\nError: Unrecognized command found at '^' position.\n<R2>"
    )
    s.run("sys")
    assert s.run("ip route-static 10.0.0.0").startswith(
        " " * len("[R2]ip route-static 10.0.0.0") + "^\nError: Incomplete command"
    )
    assert s.run("undo interface").endswith(
        "Error: Incomplete command found at '^' position.\n[R2]"
    )
    assert s.run("undo interface GigabitEthernet0/0/0").endswith(
        "Error: Wrong parameter found at '^' position.\n[R2]"
    )


def test_vrp_config_and_state() -> None:
    device, s = vrp()
    iface = device.state.interfaces["GigabitEthernet0/0/1"]
    feed(
        s,
        "system-view",
        "ipv6",
        "interface GigabitEthernet0/0/1",
        "ip address 10.1.1.1 255.255.255.0",
        "ipv6 address 2001:db8:1::1/64",
    )
    assert iface.ipv4 == [V4("10.1.1.1/24")]
    assert iface.ipv6 == []  # VRP: inactive until `ipv6 enable`
    s.run("ipv6 enable")
    assert iface.ipv6 == [V6("2001:db8:1::1/64")] and iface.ipv6_enabled
    s.run("shutdown")
    assert not iface.oper_up
    s.run("undo shutdown")
    assert iface.oper_up
    section = device.config.find("interface GigabitEthernet0/0/1")
    assert section is not None
    assert [c.text for c in section.children] == [
        "ipv6 enable",
        "ip address 10.1.1.1 255.255.255.0",
        "ipv6 address 2001:DB8:1::1/64",
    ]
    feed(s, "quit", "interface LoopBack1", "ip address 10.255.0.2 32", "quit")
    assert device.state.interfaces["LoopBack1"].ipv4 == [V4("10.255.0.2/32")]
    s.run("undo interface LoopBack1")
    assert "LoopBack1" not in device.state.interfaces
    s.run("sysname EDGE-2")
    assert s.prompt == "[EDGE-2]" and device.state.hostname == "EDGE-2"
    feed(s, "ip route-static 0.0.0.0 0 10.0.12.1", "return")
    text = device.running_config()
    assert "\n ipv6\n#\n" in text
    assert "\nip route-static 0.0.0.0 0.0.0.0 10.0.12.1\n" in text
    out = s.run("display ip routing-table")
    assert "0.0.0.0/0  Static  60" in out
    assert "10.0.12.0/24  Direct  0" in out
    v6 = s.run("display ipv6 interface brief")
    assert "GigabitEthernet0/0/1" in v6 and "[IPv6 Address] 2001:DB8:1::1" in v6
    assert "PrefixLength : 64" in s.run("display ipv6 routing-table")


def test_vrp_save_dialogue_and_rollback_to_saved_file() -> None:
    device, s = vrp()
    assert s.run("save") == (
        "Warning: The current configuration will be written to the device. "
        "Are you sure to continue?[Y/N]:"
    )
    assert s.run("Y") == (
        "Now saving the current configuration to the slot 0.\n"
        "Info: Save the configuration successfully.\n<R2>"
    )
    saved = device.running_config()
    assert device.startup_config() == saved
    assert s.run("display saved-configuration") == saved + "<R2>"
    feed(
        s,
        "sys",
        "interface LoopBack5",
        "ip address 10.5.5.5 32",
        "quit",
        "interface GigabitEthernet0/0/0",
        "undo ip address",
        "return",
    )
    assert device.state.interfaces["GigabitEthernet0/0/0"].ipv4 == []
    assert s.run("rollback configuration to file vrpcfg.zip").endswith("[Y/N]:")
    assert s.run("y") == "Info: Succeeded in rolling back the configuration.\n<R2>"
    assert device.running_config() == saved
    assert "LoopBack5" not in device.state.interfaces
    assert device.state.interfaces["GigabitEthernet0/0/0"].ipv4 == [V4("10.0.12.2/24")]


# -- Cisco TelePresence -------------------------------------------------------------------
def test_tp_xapi_basics() -> None:
    device = make_device(tp_state())
    assert isinstance(device, TpDevice)
    s = device.open_session()
    assert device.login_banner().endswith("*r Login successful\n\nOK\n")
    assert s.run('xConfiguration SIP URI: "vc1@thanhhoa.gov.vn"') == "** end\n\nOK\n"
    out = s.run("xStatus SIP Registration")
    assert "*s SIP Registration 1 Status: Failed" in out
    s.run("xConfiguration SIP Proxy 1 Address: 10.0.0.5")
    assert "*s SIP Registration 1 Status: Registered" in s.run("xstatus sip registration")
    s.run("xConfiguration NetworkServices NTP Server 1 Address: 10.0.0.1")
    s.run("xConfiguration Network 1 IPv6 Mode: Static")
    s.run("xConfiguration Network 1 IPv6 Address: 2001:db8:5::10")
    iface = device.state.interfaces["eth0"]
    assert iface.ipv6 == [V6("2001:db8:5::10/64")] and iface.ipv6_enabled
    assert '*s Network 1 IPv6 Address: "2001:db8:5::10"' in s.run("xStatus Network")
    listing = s.run("xConfiguration")
    assert '*c xConfiguration NetworkServices NTP Server 1 Address: "10.0.0.1"' in listing
    assert "*c xConfiguration Network 1 IPv6 Assignment: Static" in listing
    assert listing.endswith("** end\n\nOK\n")
    assert s.run("xConfiguration Network 1 IPv6 Mode: Off") == "** end\n\nOK\n"
    assert iface.ipv6 == [] and not iface.ipv6_enabled
    assert s.run("xConfiguration SIP Foo: 1").endswith("** end\n\nERROR\n")
    assert s.run("xConfiguration SIP DefaultTransport: Pigeon").endswith("ERROR\n")
    assert s.run("show version") == "Command not recognized.\n"


# -- the configuration text itself -------------------------------------------------------
@pytest.mark.parametrize("platform", ["cisco_ios", "cisco_xe", "huawei_vrp"])
def test_config_text_round_trips(platform: str) -> None:
    device = make_device(vrp_state() if platform == "huawei_vrp" else ios_state(platform))
    assert isinstance(device, IosDevice | VrpDevice)
    text = device.running_config()
    dialect = VRP_DIALECT if platform == "huawei_vrp" else IOS_DIALECT
    assert ConfigTree.parse(text, dialect).render() == text
    again = make_device(DeviceState(name="x", platform=platform, hostname="x"), text)
    assert again.running_config() == text


def test_unknown_platform_is_refused() -> None:
    with pytest.raises(UnknownPlatformError, match="juniper_junos"):
        make_device(DeviceState(name="j1", platform="juniper_junos", hostname="J1"))


# -- over SSH, with Netmiko -------------------------------------------------------------------
@dataclass
class Twin:
    server: SshTwinServer
    loop: asyncio.AbstractEventLoop
    endpoints: dict[str, SshEndpoint]

    def params(self, name: str, **extra: Any) -> dict[str, Any]:
        ep = self.endpoints[name]
        host, port = self.server.address(ep)
        params: dict[str, Any] = {
            "device_type": ep.device.platform,
            "host": host,
            "port": port,
            "username": ep.username,
            "password": ep.password,
            "conn_timeout": 5,
        }
        if ep.enable_secret:
            params["secret"] = ep.enable_secret
        params.update(extra)
        return params

    def device(self, name: str) -> SimDevice:
        return self.endpoints[name].device


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    key = tmp_path_factory.mktemp("twin") / "ssh_host_ed25519_key"
    devices = {
        "ios": (make_device(ios_state("cisco_ios", "R1")), None),
        "xe": (make_device(ios_state("cisco_xe", "XE1")), "En4ble!"),
        "vrp": (make_device(vrp_state("R2")), None),
        "tp": (make_device(tp_state("VC1")), None),
        "down": (make_device(ios_state("cisco_ios", "DEAD")), None),
        "slow": (make_device(ios_state("cisco_ios", "SLOW")), None),
    }
    endpoints = {
        name: SshEndpoint(f"127.0.77.{i}", 0, device, "netops", f"pw-{name}", secret)
        for i, (name, (device, secret)) in enumerate(devices.items(), start=10)
    }
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = SshTwinServer()
    asyncio.run_coroutine_threadsafe(server.start(list(endpoints.values()), key), loop).result(10)
    assert key.exists() and key.stat().st_mode & 0o777 == 0o600
    try:
        yield Twin(server, loop, endpoints)
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_netmiko_cisco_ios(twin: Twin) -> None:
    device = twin.device("ios")
    with ConnectHandler(**twin.params("ios")) as conn:
        assert conn.find_prompt() == "R1#"
        conn.enable()
        version = conn.send_command("show version")
        assert isinstance(version, str)
        assert version.startswith("Cisco IOS Software") and "R1 uptime is" in version
        out = conn.send_config_set(
            [
                "interface Loopback10",
                "ipv6 address 2001:db8:10::1/64",
                "interface GigabitEthernet0/1",
                "shutdown",
            ]
        )
        assert "Invalid input" not in out
        saved = conn.save_config()
        assert "[OK]" in saved
        running = conn.send_command("show running-config")
        assert isinstance(running, str)
    assert "interface Loopback10\n no ip address\n ipv6 address 2001:DB8:10::1/64\n" in running
    assert device.startup_config() == device.running_config()
    state = device.state
    assert state.interfaces["Loopback10"].ipv6 == [V6("2001:db8:10::1/64")]
    assert state.interfaces["GigabitEthernet0/1"].oper_up is False


def test_netmiko_cisco_xe_with_enable_secret(twin: Twin) -> None:
    device = twin.device("xe")
    with ConnectHandler(**twin.params("xe")) as conn:
        assert conn.find_prompt() == "XE1>"
        conn.enable()
        assert conn.find_prompt() == "XE1#"
        version = conn.send_command("show version")
        assert isinstance(version, str) and "IOS-XE" in version
        conn.send_config_set(
            ["interface GigabitEthernet0/0/1", "ipv6 address 2001:db8:20::1/64", "ipv6 enable"]
        )
        conn.save_config()
    iface = device.state.interfaces["GigabitEthernet0/0/1"]
    assert iface.ipv6 == [V6("2001:db8:20::1/64")]
    assert "ipv6 address 2001:DB8:20::1/64" in device.startup_config()


def test_netmiko_huawei_vrp(twin: Twin) -> None:
    device = twin.device("vrp")
    with ConnectHandler(**twin.params("vrp")) as conn:
        assert conn.base_prompt == "R2"
        version = conn.send_command("display version")
        assert isinstance(version, str) and "VRP (R) software" in version
        started = time.monotonic()
        out = conn.send_config_set(
            [
                "ipv6",  # IPv6 on the box before any interface (VRP refuses it the other way)
                "interface GigabitEthernet0/0/1",
                "ipv6 enable",
                "ipv6 address 2001:db8:30::1/64",
                "shutdown",
            ]
        )
        elapsed = time.monotonic() - started
        print(f"\nnetmiko huawei_vrp send_config_set: {elapsed:.2f} s")
        assert "Error" not in out
        saved = conn.save_config()
        assert "Save the configuration successfully" in saved
        current = conn.send_command("display current-configuration")
        assert isinstance(current, str)
    assert "ipv6 address 2001:DB8:30::1/64" in current
    iface = device.state.interfaces["GigabitEthernet0/0/1"]
    assert iface.ipv6 == [V6("2001:db8:30::1/64")] and not iface.oper_up
    assert device.startup_config() == device.running_config()


def test_netmiko_cisco_tp(twin: Twin) -> None:
    device = twin.device("tp")
    # Netmiko 4.8's cisco_tp send_command waits for "\r\nOK\r\n" after it has turned
    # every "\r\n" into "\n", so its default pattern can never match: give one.
    done = r"\n(?:OK|ERROR|Command not recognized\.)\n"
    with ConnectHandler(**twin.params("tp")) as conn:
        out = conn.send_command("xStatus SIP Registration", expect_string=done)
        assert isinstance(out, str) and "*s SIP Registration 1 Status: Inactive" in out
        out = conn.send_config_set(
            [
                'xConfiguration SIP URI: "vc1@thanhhoa.gov.vn"',
                "xConfiguration SIP Proxy 1 Address: 10.0.0.5",
                "xConfiguration Network 1 IPv6 Mode: Static",
                "xConfiguration Network 1 IPv6 Address: 2001:db8:40::10",
            ],
            enter_config_mode=False,
            exit_config_mode=False,
        )
        assert "ERROR" not in out
        out = conn.send_command("xStatus SIP Registration", expect_string=done)
        assert isinstance(out, str) and "Status: Registered" in out
    assert device.state.interfaces["eth0"].ipv6 == [V6("2001:db8:40::10/64")]
    assert 'SIP URI: "vc1@thanhhoa.gov.vn"' in device.running_config()


def test_down_device_times_out_while_neighbour_answers(twin: Twin) -> None:
    twin.device("down").state.faults.down = True

    def dead() -> float:
        started = time.monotonic()
        with pytest.raises(NetmikoTimeoutException):
            ConnectHandler(**twin.params("down", conn_timeout=1, banner_timeout=1, auth_timeout=1))
        return time.monotonic() - started

    def alive() -> str:
        with ConnectHandler(**twin.params("ios")) as conn:
            out = conn.send_command("show clock")
        assert isinstance(out, str)
        return out

    with ThreadPoolExecutor(2) as pool:
        waited = pool.submit(dead)
        clock = pool.submit(alive)
        assert " UTC " in clock.result(10)
        assert 0.9 <= waited.result(10) < 5


def test_slow_device_delays_only_itself(twin: Twin) -> None:
    slow = twin.device("slow")
    with ConnectHandler(**twin.params("slow")) as conn:
        slow.state.faults.slow_ms = 400
        try:
            started = time.monotonic()
            out = conn.send_command("show clock")
            elapsed = time.monotonic() - started
        finally:
            slow.state.faults.slow_ms = 0
    assert isinstance(out, str) and " UTC " in out
    assert elapsed >= 0.4


def test_interactive_terminal_echo_pager_help_and_completion(twin: Twin) -> None:
    host, port = twin.server.address(twin.endpoints["ios"])
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        host,
        port=port,
        username="netops",
        password="pw-ios",
        look_for_keys=False,
        allow_agent=False,
        timeout=5,
    )
    channel = client.invoke_shell(width=80, height=24)
    channel.settimeout(5)

    def until(marker: str) -> str:
        text = ""
        deadline = time.monotonic() + 5
        while marker not in text and time.monotonic() < deadline:
            text += channel.recv(65536).decode()
        assert marker in text, text
        return text

    try:
        until("R1#")
        channel.send("show running-config\r")
        first = until(" --More-- ")
        assert first.startswith("show running-config\r\nBuilding configuration...\r\n")
        channel.send(" ")
        until(" --More-- ")
        channel.send("q")
        until("R1#")
        channel.send("show ip ?")
        assert until("R1#show ip ") == (
            "show ip ?\r\n  arp\r\n  interface\r\n  route\r\n\r\nR1#show ip "
        )
        channel.send("\x15sh\tclocx\x08k\r")
        echoed = until(" UTC ")
        assert "show clocx\b \bk\r\n*" in echoed  # Ctrl-U, Tab and backspace, echoed
        channel.send("conf t\rinterface Loopback77\r\x1a")
        assert until("^Z\r\nR1#").endswith("R1(config-if)#^Z\r\nR1#")
    finally:
        client.close()
    assert "Loopback77" in twin.device("ios").state.interfaces


def test_wrong_password_and_exec_request(twin: Twin) -> None:
    with pytest.raises(NetmikoAuthenticationException):
        ConnectHandler(**twin.params("ios", password="not-it"))
    host, port = twin.server.address(twin.endpoints["ios"])
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(
        host,
        port=port,
        username="netops",
        password="pw-ios",
        look_for_keys=False,
        allow_agent=False,
        timeout=5,
    )
    try:
        _, stdout, _ = client.exec_command("show ip interface brief", timeout=5)
        text = stdout.read().decode()
    finally:
        client.close()
    assert text.startswith("Interface              IP-Address")


def test_server_refuses_non_loopback_and_busy_ports(twin: Twin, tmp_path: Path) -> None:
    device = make_device(ios_state())
    taken = twin.server.address(twin.endpoints["ios"])

    async def attempt(endpoint: SshEndpoint) -> None:
        server = SshTwinServer()
        try:
            await server.start([endpoint], tmp_path / "key")
        finally:
            await server.stop()

    run: Callable[[SshEndpoint], None] = lambda ep: asyncio.run_coroutine_threadsafe(  # noqa: E731
        attempt(ep), twin.loop
    ).result(10)
    with pytest.raises(SshServerError, match="not a loopback address"):
        run(SshEndpoint("192.0.2.1", 22, device, "u", "secret-password"))
    with pytest.raises(SshServerError, match="cannot listen") as info:
        run(SshEndpoint(taken[0], taken[1], device, "u", "secret-password"))
    assert "secret-password" not in str(info.value)
