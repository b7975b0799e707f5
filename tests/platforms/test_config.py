"""Configuration trees, negations and template intents (platforms/config.py and each
platform's syntax), pure. The running + intent -> commands cases are data, walked by the
contract suite (test_contract.py)."""

from __future__ import annotations

import pytest

from platforms.cisco_ios.syntax import IOS, negate_ios
from platforms.config import (
    IntentError,
    Syntax,
    commands,
    from_sections,
    parse,
    parse_intent,
    render,
    sections,
)
from platforms.huawei_vrp.syntax import VRP, negate_vrp
from platforms.network import Block, Intent
from tests.platforms.cases import running_of


def test_sections_of_ios_running_config() -> None:
    found = sections(running_of("cisco_ios"), IOS)
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
    found = sections(running_of("huawei_vrp"), VRP)
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
    running = running_of("cisco_ios" if syntax is IOS else "huawei_vrp")
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
