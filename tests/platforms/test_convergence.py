"""Property: whatever two intents follow each other, the commands computed for each are
accepted by the twin's CLI engine (lab/device, pure) and leave nothing to do."""

from __future__ import annotations

import ipaddress

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.device import SimDevice, make_device
from lab.state import DeviceState
from platforms.cisco_ios.syntax import IOS
from platforms.config import Syntax, commands, parse_intent
from platforms.huawei_vrp.syntax import VRP

SERVERS = ["10.1.1.1", "10.1.1.2", "10.1.1.3"]
V6 = ["2001:db8:1::1/64", "2001:db8:2::1/64", "2001:DB8:3::1/64"]
V4 = [None, "10.9.9.1 255.255.255.0", "10.9.8.1 255.255.255.0"]


@st.composite
def ios_fragments(draw: st.DrawFn) -> str:
    lines = [f"hostname {draw(st.sampled_from(['R1', 'CORE1']))}", "@owns ^ntp server"]
    lines += [f"ntp server {s}" for s in draw(st.lists(st.sampled_from(SERVERS), unique=True))]
    lines += ["@owns ^logging host"]
    lines += [f"logging host {s}" for s in draw(st.lists(st.sampled_from(SERVERS), unique=True))]
    lines += ["interface GigabitEthernet0/0/1", " @owns ^ipv6 address", " @owns ^ip address"]
    address = draw(st.sampled_from(V4))
    lines += [f" ip address {address}"] if address else []
    lines += [f" ipv6 address {a}" for a in draw(st.lists(st.sampled_from(V6), unique=True))]
    lines += ["line vty 0 4", " @owns ^transport input", " @owns ^exec-timeout"]
    lines += [f" transport input {draw(st.sampled_from(['ssh', 'telnet ssh']))}"]
    if draw(st.booleans()):
        lines += [f" exec-timeout {draw(st.sampled_from(['5 0', '10 0']))}"]
    return "\n".join(lines) + "\n"


@st.composite
def vrp_fragments(draw: st.DrawFn) -> str:
    lines = [
        "#",
        f" sysname {draw(st.sampled_from(['R1', 'CORE1']))}",
        " ipv6",
    ]  # before ipv6 enable
    lines += [" @owns ^ntp-service unicast-server"]
    chosen = draw(st.lists(st.sampled_from(SERVERS), unique=True))
    lines += [f" ntp-service unicast-server {s}" for s in chosen]
    lines += [" @owns ^info-center loghost"]
    chosen = draw(st.lists(st.sampled_from(SERVERS), unique=True))
    lines += [f" info-center loghost {s}" for s in chosen]
    lines += ["#", "interface GigabitEthernet0/0/1", " @owns ^ipv6 address", " @owns ^ip address"]
    lines += [" ipv6 enable"]
    address = draw(st.sampled_from(V4))
    lines += [f" ip address {address}"] if address else []
    lines += [f" ipv6 address {a}" for a in draw(st.lists(st.sampled_from(V6), unique=True))]
    lines += ["#", "user-interface vty 0 4", " @owns ^protocol inbound", " @owns ^idle-timeout"]
    lines += [f" protocol inbound {draw(st.sampled_from(['ssh', 'all']))}"]
    if draw(st.booleans()):
        lines += [f" idle-timeout {draw(st.sampled_from(['5 0', '10 0']))}"]
    return "\n".join(lines) + "\n"


def _device(platform: str) -> SimDevice:
    state = DeviceState(name="r1", platform=platform, hostname="R1")
    wan = state.add_interface("GigabitEthernet0/0/0")
    wan.ipv4 = [ipaddress.IPv4Interface("10.0.0.1/30")]
    state.add_interface("GigabitEthernet0/0/1")
    return make_device(state)


def _converges(device: SimDevice, fragment: str, syntax: Syntax, enter: str, leave: str) -> None:
    intent = parse_intent(fragment, syntax)
    session = device.open_session(privileged=True)
    session.handle(enter)
    for command in commands(device.running_config(), intent, syntax):
        out = session.handle(command).output
        assert not any(ln.startswith(("%", "Error:")) for ln in out.splitlines()), (command, out)
    session.handle(leave)
    assert commands(device.running_config(), intent, syntax) == [], device.running_config()


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(first=ios_fragments(), second=ios_fragments())
def test_ios_any_intent_after_any_other_converges(first: str, second: str) -> None:
    device = _device("cisco_ios")
    for fragment in (first, second, first):
        _converges(device, fragment, IOS, "configure terminal", "end")


@FAST
@given(first=vrp_fragments(), second=vrp_fragments())
def test_vrp_any_intent_after_any_other_converges(first: str, second: str) -> None:
    device = _device("huawei_vrp")
    for fragment in (first, second, first):
        _converges(device, fragment, VRP, "system-view", "return")
