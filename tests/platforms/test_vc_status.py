"""The cisco_tp platform reads what the twin's endpoint shows, fault by fault: the parsers
(platforms/cisco_tp/status.py) and the simulator (lab/device/cisco_tp/show.py) agree on
every status the readiness check reads, without a network."""

from __future__ import annotations

import time

import pytest

from lab.device import CliSession, make_device
from lab.state import DeviceState
from lab.twin import vc_fault
from platforms import network_platform
from platforms.vc import CAMERA, DISPLAY, MICROPHONE, EndpointStatus, VcPlatform


def say(session: CliSession, line: str) -> str:
    return session.handle(line).output


def _platform() -> VcPlatform:
    net = network_platform("cisco_tp")
    assert isinstance(net, VcPlatform)
    return net


def _read(state: DeviceState, *typed: str) -> tuple[EndpointStatus, dict[str, str]]:
    device = make_device(state)
    session = device.open_session(privileged=True)
    for line in typed:
        say(session, line)
    vc = _platform()
    outputs = {c: say(session, c) for c in vc.readiness_commands}
    return vc.endpoint_status(outputs), outputs


def _state() -> DeviceState:
    state = DeviceState(name="vc1", platform="cisco_tp", hostname="vc1")
    state.add_interface("eth0")
    return state


REGISTER = (
    'xConfiguration SIP URI: "vc1@sip.tinh.gov.vn"',
    'xConfiguration SIP Proxy 1 Address: "sip.tinh.gov.vn"',
)


def test_a_configured_endpoint_reads_ready() -> None:
    status, outputs = _read(_state(), *REGISTER)
    assert status.registration.registered and status.registrar == "sip.tinh.gov.vn"
    assert {(p.kind, p.connected) for p in status.peripherals} == {
        (CAMERA, True),
        (MICROPHONE, True),
        (DISPLAY, True),
    }
    assert status.microphones_muted is False and status.diagnostics == () and status.calls == 0
    assert status.clock is not None and abs(status.clock.timestamp() - time.time()) < 2
    assert all("ERROR" not in text for text in outputs.values())  # empty nodes answer OK


@pytest.mark.parametrize(
    ("fault", "argument", "changed"),
    [
        ("unregistered", "", "registration"),
        ("camera-off", "", "camera"),
        ("mic-muted", "", "mute"),
        ("clock-skew", "-120", "clock"),
    ],
)
def test_each_fault_changes_exactly_what_it_breaks(fault: str, argument: str, changed: str) -> None:
    state = _state()
    vc_fault(state, fault, argument)
    status, _ = _read(state, *REGISTER)
    seen = {
        "registration": not status.registration.registered,
        "camera": not any(p.connected for p in status.peripherals if p.kind == CAMERA),
        "mute": bool(status.microphones_muted),
        "clock": status.clock is None or abs(status.clock.timestamp() - time.time()) > 100,
    }
    assert {k for k, broken in seen.items() if broken} == {changed}


def test_a_call_shows_its_media_and_loses_the_faults_share() -> None:
    state = _state()
    vc_fault(state, "media-loss", "10")
    device = make_device(state)
    session = device.open_session(privileged=True)
    vc = _platform()
    call_id = vc.dialled_call(say(session, vc.dial_command("8000")))
    assert call_id == "1"
    calls = vc.calls({c: say(session, c) for c in vc.call_commands})
    assert [(c.call_id, c.connected, c.number) for c in calls] == [("1", True, "8000")]
    assert {(m.direction, m.kind) for m in calls[0].channels} == {
        ("incoming", "audio"),
        ("outgoing", "audio"),
        ("incoming", "video"),
    }
    assert "OK" in say(session, vc.hangup_command(call_id))
    assert vc.calls({c: say(session, c) for c in vc.call_commands}) == []
    assert "Mute: On" not in say(session, "xStatus Audio")
    say(session, "xCommand Audio Microphones Mute")
    assert "Mute: On" in say(session, "xStatus Audio")
    say(session, vc.unmute_command)
    assert "Mute: Off" in say(session, "xStatus Audio")
