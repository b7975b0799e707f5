"""The shared contract of a network platform, run against every implementation on a twin
of our own (devices are changed here, so the session twin is not used)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.control import request
from platforms import UnknownPlatform, network_platform
from platforms.config import IOS, VRP, parse_intent
from platforms.network import ConfigSession, DeviceError, Intent, NetworkPlatform
from tests.platforms.twin import TwinDevices, own_twin, worker_base

PLATFORMS = ["cisco_xe", "cisco_ios", "huawei_vrp", "cisco_tp"]
CANARY = "Canary-7Qx-secret"

INTENTS = {
    "cisco_ios": (
        "@owns ^ntp server\nntp server 10.38.0.123\n!\n"
        "interface Loopback9\n @owns ^ipv6 address\n ipv6 address 2001:db8:99::9/128\n",
        IOS,
    ),
    "huawei_vrp": (
        "#\n @owns ^ntp-service unicast-server\n ntp-service unicast-server 10.38.0.123\n#\n"
        "interface LoopBack9\n ip address 10.255.9.9 255.255.255.255\n",
        VRP,
    ),
    "cisco_tp": ('xConfiguration SIP URI: "sip:contract@thanhhoa.gov.vn"\n', IOS),
}
INTENTS["cisco_xe"] = INTENTS["cisco_ios"]
BAD = {
    "cisco_ios": "ip frobnicate now",
    "cisco_xe": "ip frobnicate now",
    "huawei_vrp": "frobnicate now",
    "cisco_tp": "xConfiguration Frobnicate Mode: On",
}
DEVICE_TEXT = {
    "cisco_ios": "% Invalid input",
    "cisco_xe": "% Invalid input",
    "huawei_vrp": "Error: Unrecognized command",
    "cisco_tp": "status=Error",
}
STARTUP = {
    "cisco_ios": "show startup-config",
    "cisco_xe": "show startup-config",
    "huawei_vrp": "display saved-configuration",
}


@pytest.fixture(scope="module")
def devices(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwinDevices]:
    state = tmp_path_factory.mktemp("platforms-twin") / "state"
    with own_twin(state, worker_base(70)) as twin:
        yield twin


@pytest.fixture(params=PLATFORMS)
def platform(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def session(devices: TwinDevices, platform: str) -> Iterator[ConfigSession]:
    s = network_platform(platform).connect(devices.params[devices.first(platform)])
    try:
        yield s
    finally:
        s.close()


def _intent(platform: str) -> Intent:
    fragment, syntax = INTENTS[platform]
    return parse_intent(fragment, syntax)


def test_every_changeable_platform_is_found() -> None:
    for name in PLATFORMS:
        assert network_platform(name).name == name
    with pytest.raises(UnknownPlatform, match="linux"):
        network_platform("linux")


def test_running_config_and_sections(session: ConfigSession, platform: str) -> None:
    net: NetworkPlatform = network_platform(platform)
    running = session.running_config()
    found = net.sections(running)
    assert found, running[:200]
    lines = {head for head in found} | {c for children in found.values() for c in children}
    if platform == "cisco_tp":
        assert "xConfiguration SIP DefaultTransport: Auto" in lines
    else:
        host = "hostname" if platform.startswith("cisco") else "sysname"
        assert any(k.startswith(host + " th-") for k in found)
        # Every configuration line the device printed is in a section.
        skip = ("!", "#", "end", "return", "Building", "Current configuration", "[V")
        for raw in running.splitlines():
            text = raw.strip()
            if text and not text.startswith(skip) and "^C" not in text:
                assert text in lines, text


def test_push_then_nothing_left_to_do(session: ConfigSession, platform: str) -> None:
    net = network_platform(platform)
    intent = _intent(platform)
    todo = net.commands(session.running_config(), intent)
    if todo:
        session.push(todo)
    assert net.commands(session.running_config(), intent) == []


def test_checkpoint_push_rollback_restores_byte_for_byte(
    session: ConfigSession, platform: str
) -> None:
    net = network_platform(platform)
    before = session.running_config()
    name = session.checkpoint()
    fragment, syntax = INTENTS[platform]
    changed = fragment.replace("10.38.0.123", "10.38.0.124").replace("::9/", "::8/")
    changed = changed.replace("10.255.9.9", "10.255.9.8").replace("contract@", "rolled@")
    session.push(net.commands(before, parse_intent(changed, syntax)))
    assert session.running_config() != before
    session.rollback(name)
    assert session.running_config() == before


def test_save(session: ConfigSession, platform: str) -> None:
    session.save()
    if platform == "cisco_tp":
        return  # endpoints store every change at once; nothing else to see
    net = network_platform(platform)
    startup = session.show(STARTUP[platform])
    assert net.sections(startup) == net.sections(session.running_config())


def test_refused_command_raises_with_device_text_and_session_stays_usable(
    session: ConfigSession, platform: str
) -> None:
    net = network_platform(platform)
    intent = _intent(platform)
    with pytest.raises(DeviceError) as caught:
        session.push([BAD[platform], *net.commands("", intent)])
    assert DEVICE_TEXT[platform] in caught.value.output
    assert BAD[platform].split()[0] in str(caught.value)
    # Stopped at the first error, left configuration mode, and still answers.
    running = session.running_config()
    assert net.sections(running)
    if platform != "cisco_tp":
        assert session.show("show clock" if platform != "huawei_vrp" else "display clock")


def test_no_secret_in_device_errors(devices: TwinDevices, platform: str) -> None:
    params = devices.params[devices.first(platform)]
    net = network_platform(platform)
    wrong = dataclasses.replace(params, password=CANARY)
    with pytest.raises(DeviceError) as caught:
        net.connect(wrong)
    assert CANARY not in str(caught.value) and CANARY not in caught.value.output
    session = net.connect(params)
    try:
        bad = f"{BAD[platform]} {CANARY}"
        with pytest.raises(DeviceError) as refused:
            session.push([bad], secrets=[CANARY])
        text = f"{refused.value} {refused.value.output}"
        assert CANARY not in text
        assert params.password not in text
    finally:
        session.close()


def test_host_key_checked(devices: TwinDevices, tmp_path: Path, platform: str) -> None:
    params = devices.params[devices.first(platform)]
    net = network_platform(platform)
    other = tmp_path / "known_hosts"
    # A known key for another host only: this device's key is unknown -> refused.
    other.write_text(
        devices.known_hosts.read_text().splitlines()[0].replace(params.host, "127.0.0.254") + "\n"
    )
    with pytest.raises(DeviceError, match="cannot connect"):
        net.connect(dataclasses.replace(params, known_hosts=str(other)))
    with pytest.raises(DeviceError, match="known-hosts file missing"):
        net.connect(dataclasses.replace(params, known_hosts=str(tmp_path / "absent")))


# The twin drops a session after N lines in configuration mode; endpoints have none.
@pytest.mark.parametrize("platform", ["cisco_xe", "cisco_ios", "huawei_vrp"])
def test_dropped_session_fails_fast_and_rollback_restores(
    devices: TwinDevices, platform: str
) -> None:
    name = devices.first(platform)
    net = network_platform(platform)
    first = net.connect(devices.params[name])
    before = first.running_config()
    checkpoint = first.checkpoint()
    fragment, syntax = INTENTS[platform]
    changed = fragment.replace("10.38.0.123", "10.38.0.125").replace("::9/", "::7/")
    changed = changed.replace("10.255.9.9", "10.255.9.7").replace("contract@", "dropped@")
    todo = net.commands(before, parse_intent(changed, syntax))
    request(
        devices.up.state_dir,
        {"op": "fault", "device": name, "kind": "drop-session-after", "argument": "1"},
    )
    started = time.monotonic()
    with pytest.raises(DeviceError, match=r"closed the session|session broke"):
        first.push([*todo, *todo])
    assert time.monotonic() - started < first_timeout(first)  # not a read timeout
    first.close()
    second = net.connect(devices.params[name])
    try:
        second.rollback(checkpoint)
        assert second.running_config() == before
    finally:
        second.close()


def first_timeout(session: ConfigSession) -> float:
    return float(getattr(session, "read_timeout", 60.0))
