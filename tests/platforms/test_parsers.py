"""Show/display parsers for post-checks, on outputs captured from the twin (data/show/)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from platforms.parsers import (
    command,
    global_ipv6,
    interface_status,
    ipv6_by_interface,
    sip_registration,
    tp_ipv6,
)

SHOW = Path(__file__).parent / "data" / "show"


def _read(name: str) -> str:
    return (SHOW / name).read_text(encoding="utf-8")


def test_ios_ipv6_brief() -> None:
    text = _read("ios_show_ipv6_interface_brief.txt")
    found = ipv6_by_interface(text, "cisco_ios")
    assert set(found) == {"GigabitEthernet0/0/0", "GigabitEthernet0/0/1", "Loopback0"}
    assert global_ipv6(text, "cisco_ios", "GigabitEthernet0/0/0") == [
        ipaddress.IPv6Address("2001:db8:10::1")
    ]
    assert any(a.is_link_local for a in found["GigabitEthernet0/0/0"])
    assert global_ipv6(text, "cisco_ios", "GigabitEthernet0/0/1") == []
    assert global_ipv6(text, "cisco_ios", "Tunnel9") == []


def test_vrp_ipv6_brief() -> None:
    text = _read("vrp_display_ipv6_interface_brief.txt")
    assert global_ipv6(text, "huawei_vrp", "GigabitEthernet0/0/0") == [
        ipaddress.IPv6Address("2001:db8:10::1")
    ]
    assert global_ipv6(text, "huawei_vrp", "GigabitEthernet0/0/1") == []


def test_interface_status_ios_and_vrp() -> None:
    ios = interface_status(_read("ios_show_ip_interface_brief.txt"), "cisco_ios")
    vrp = interface_status(_read("vrp_display_interface_brief.txt"), "huawei_vrp")
    for found, loop in ((ios, "Loopback0"), (vrp, "LoopBack0")):
        assert found["GigabitEthernet0/0/0"].admin_up and found["GigabitEthernet0/0/0"].oper_up
        down = found["GigabitEthernet0/0/1"]
        assert not down.admin_up and not down.oper_up
        assert found[loop].oper_up
        assert len(found) == 3


def test_sip_registration() -> None:
    ok = sip_registration(_read("tp_xstatus_sip_registration.txt"))
    assert ok.registered and ok.uri == "sip:vc1@thanhhoa.gov.vn" and ok.reason == ""
    failed = sip_registration(_read("tp_xstatus_sip_registration_failed.txt"))
    assert not failed.registered
    assert (failed.status, failed.reason) == ("Failed", "No proxy configured")
    assert sip_registration("").status == "Unknown"


def test_tp_ipv6_and_commands() -> None:
    text = '*s Network 1 IPv6 Address: "2001:db8:5::3"\n*s Network 1 IPv6 Gateway: ""\n** end\n'
    assert tp_ipv6(text) == [ipaddress.IPv6Address("2001:db8:5::3")]
    assert tp_ipv6('*s Network 1 IPv6 Address: ""\n') == []
    assert command("ipv6_brief", "huawei_vrp") == "display ipv6 interface brief"
    assert command("sip_registration", "cisco_tp") == "xStatus SIP Registration"
