"""Configuration trees and the diff (platforms/config.py), from data fixtures.

Every fixture case is also applied with the twin's own CLI engine (lab/device, pure, no
socket): after the expected commands run, the diff must be empty (idempotency), and the
device must have refused none of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lab.device.base import TreeDevice
from lab.device.cisco_ios import IosDevice
from lab.device.huawei_vrp import VrpDevice
from lab.state import DeviceState
from platforms.config import (
    IOS,
    VRP,
    IntentError,
    Syntax,
    commands,
    from_sections,
    negate_ios,
    negate_vrp,
    parse,
    parse_intent,
    render,
    sections,
)
from platforms.network import Block, Intent

DATA = Path(__file__).parent / "data"
SECRET = "Canary-Secret-9f3b"


def _cases(name: str) -> list[Any]:
    doc = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    return [pytest.param(case, id=case["name"]) for case in doc["cases"]]


@pytest.mark.parametrize("case", _cases("commands_ios.yaml"))
def test_ios_commands_from_fixture(case: dict[str, Any]) -> None:
    intent = parse_intent(case["intent"], IOS)
    assert commands(case["running"], intent, IOS) == case["expected"]


@pytest.mark.parametrize("case", _cases("commands_vrp.yaml"))
def test_vrp_commands_from_fixture(case: dict[str, Any]) -> None:
    intent = parse_intent(case["intent"], VRP)
    assert commands(case["running"], intent, VRP) == case["expected"]


def _device(platform: str, running: str) -> TreeDevice:
    state = DeviceState(name="r1", platform=platform, hostname="R1")
    if platform == "huawei_vrp":
        return VrpDevice(state, running)
    return IosDevice(state, running)


def _apply(device: TreeDevice, cmds: list[str], enter: str, leave: str) -> list[str]:
    """Run ``cmds`` in the twin's CLI engine; the lines it refused (IOS `%`, VRP `Error:`)."""
    session = device.open_session(privileged=True)
    refused = []
    for line in [enter, *(c.replace("<secret:ssh-netops.password>", SECRET) for c in cmds)]:
        out = session.handle(line).output
        if any(ln.startswith(("%", "Error:")) for ln in out.splitlines()):
            refused.append(f"{line}: {out.strip()}")
    session.handle(leave)
    return refused


@pytest.mark.parametrize(
    ("fixture", "platform", "syntax", "enter", "leave"),
    [
        ("commands_ios.yaml", "cisco_ios", IOS, "configure terminal", "end"),
        ("commands_vrp.yaml", "huawei_vrp", VRP, "system-view", "return"),
    ],
)
def test_expected_commands_are_accepted_and_converge(
    fixture: str, platform: str, syntax: Syntax, enter: str, leave: str
) -> None:
    for param in _cases(fixture):
        case = param.values[0]
        device = _device(platform, case["running"])
        intent = parse_intent(case["intent"], syntax)
        cmds = commands(device.running_config(), intent, syntax)
        assert _apply(device, cmds, enter, leave) == [], case["name"]
        assert commands(device.running_config(), intent, syntax) == [], case["name"]
        assert SECRET not in device.running_config()  # the twin stores a hash, as devices do


def test_sections_of_ios_running_config() -> None:
    text = (DATA / "commands_ios.yaml").read_text(encoding="utf-8")
    running = yaml.safe_load(text)["base"]
    found = sections(running, IOS)
    assert found["hostname R1"] == []
    assert found["interface GigabitEthernet0/0/0"] == [
        "description WAN",
        "ip address 10.0.0.1 255.255.255.252",
        "ipv6 address 2001:DB8:1::1/64",
        "ipv6 enable",
    ]
    assert found["line vty 0 4"] == ["login local", "transport input telnet ssh"]
    assert "banner motd ^COld banner^C" in found
    assert not any(k.startswith(("Building", "Current", "!", "end")) for k in found)


def test_sections_of_vrp_running_config_tell_global_leaves_from_children() -> None:
    running = yaml.safe_load((DATA / "commands_vrp.yaml").read_text(encoding="utf-8"))["base"]
    found = sections(running, VRP)
    assert found["sysname R1"] == []
    assert found["ntp-service unicast-server 10.1.1.9"] == []
    assert found["aaa"][:2] == [
        "authentication-scheme default",
        "local-user admin password irreversible-cipher %^%#abc%^%#",
    ]
    assert found["snmp-agent"] == []  # a leaf, not the parent of the community lines
    assert "snmp-agent community write private" in found
    assert found["user-interface vty 0 4"] == [
        "authentication-mode aaa",
        "protocol inbound all",
        "acl 2001 inbound",
        "acl ipv6 3001 inbound",
    ]


@pytest.mark.parametrize("syntax", [IOS, VRP], ids=["ios", "vrp"])
def test_sections_round_trip(syntax: Syntax) -> None:
    fixture = "commands_ios.yaml" if syntax is IOS else "commands_vrp.yaml"
    running = yaml.safe_load((DATA / fixture).read_text(encoding="utf-8"))["base"]
    found = sections(running, syntax)
    again = render(from_sections(found, syntax), syntax)
    assert sections(again, syntax) == found
    assert parse(again, syntax) == parse(running, syntax)


def test_multi_line_ios_banner_is_one_line() -> None:
    running = (
        "!\nhostname R1\nbanner motd ^C\nLine one\nLine two\n^C\n!\nline vty 0 4\n login\nend\n"
    )
    found = sections(running, IOS)
    assert found["banner motd ^C\nLine one\nLine two\n^C"] == []
    assert found["line vty 0 4"] == ["login"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("username old privilege 15 secret 9 $9$x", "no username old"),
        ("banner motd ^Chello^C", "no banner motd"),
        ("no ip http server", "ip http server"),
        ("snmp-server community public RO 99", "no snmp-server community public"),
        ("snmp-server user u1 g1 v3", "no snmp-server user u1 g1 v3"),
        ("snmp-server group g1 v3 priv read V", "no snmp-server group g1 v3 priv"),
        (
            "ip address 10.0.0.1 255.255.255.0 secondary",
            "no ip address 10.0.0.1 255.255.255.0 secondary",
        ),
        ("ntp server 10.1.1.1 prefer", "no ntp server 10.1.1.1"),
        ("logging host 10.2.2.2 transport udp port 514", "no logging host 10.2.2.2"),
    ],
)
def test_ios_negations(line: str, expected: str) -> None:
    assert negate_ios(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ip address 10.0.0.1 255.255.255.0", "undo ip address 10.0.0.1 255.255.255.0"),
        (
            "ntp-service unicast-server 10.1.1.1 preference",
            "undo ntp-service unicast-server 10.1.1.1",
        ),
        ("info-center loghost 10.2.2.2 channel 2", "undo info-center loghost 10.2.2.2"),
        (
            "snmp-agent community read cipher %^%#x%^%# acl 2000",
            "undo snmp-agent community read cipher %^%#x%^%#",
        ),
        ("snmp-agent usm-user v3 mon group g1", "undo snmp-agent usm-user v3 mon"),
        ("snmp-agent group v3 g1 privacy read-view v", "undo snmp-agent group v3 g1 privacy"),
        ("local-user bob password irreversible-cipher $1c$x$", "undo local-user bob"),
        ("rule 5 permit source 10.0.0.0 0.0.0.255", "undo rule 5"),
        ("undo info-center enable", "info-center enable"),
        ("telnet server enable", "undo telnet server enable"),
        ("acl 2000 inbound", "undo acl inbound"),
        ("acl ipv6 3001 outbound", "undo acl ipv6 outbound"),
        ('header login information "Authorized only"', "undo header login"),
    ],
)
def test_vrp_negations(line: str, expected: str) -> None:
    assert negate_vrp(line) == expected


def test_intent_blocks_and_directives() -> None:
    intent = parse_intent(
        "hostname R1\n@owns ^ntp server\nntp server 10.1.1.1\n!\n"
        "interface Gi0/0\n @owns ^ipv6 address\n @once ^ipv6 enable\n ipv6 enable\n"
        " ipv6 address 2001:db8::1/64\n",
        IOS,
    )
    assert intent.blocks == (
        Block((), ("hostname R1", "ntp server 10.1.1.1"), ("^ntp server",)),
        Block(
            ("interface Gi0/0",),
            ("ipv6 address 2001:db8::1/64",),
            ("^ipv6 address",),
            (("^ipv6 enable", "ipv6 enable"),),
        ),
    )


@pytest.mark.parametrize(
    "fragment",
    ["@owns ^ntp (\nntp server 1.1.1.1\n", "@once ^x\n", "@frobnicate x\n", "@once ^a\n@owns b\n"],
)
def test_bad_directives_are_errors(fragment: str) -> None:
    with pytest.raises(IntentError):
        parse_intent(fragment, IOS)


def test_blocks_keep_intent_order_and_owned_sections_protect_intended_ones() -> None:
    running = "!\nhostname R1\n!\ninterface Loopback6\n no ip address\n!\nend\n"
    intent = Intent(
        (
            Block(("interface Loopback5",), ("ip address 10.255.0.5 255.255.255.255",)),
            Block((), ("ntp source Loopback5",), (r"^interface Loopback",)),
        )
    )
    assert commands(running, intent, IOS) == [
        "interface Loopback5",
        "ip address 10.255.0.5 255.255.255.255",
        "exit",
        "ntp source Loopback5",
        "no interface Loopback6",
    ]
