"""The twin's read-only account (the inventory's ``audit_credentials``), engine by engine:
the twin provisions it in the device's own configuration at level 1, with what that level
needs to read the configuration, and a session signed in as it behaves as the real box
does for such a user (refusals worded as the box words them)."""

from __future__ import annotations

import ipaddress

import pytest

from lab.device import make_device
from lab.device.base import CliSession, SimDevice
from lab.state import DeviceState

CANARY = "canary-ro-7f3a9c"  # the read-only password: never in a configuration or an output
IOS_INVALID = "% Invalid input detected at '^' marker."
VRP_UNRECOGNIZED = "Error: Unrecognized command found at '^' position."
FIRST_PORT = {"cisco_ios": "GigabitEthernet0/0", "cisco_xe": "GigabitEthernet0/0/0"}


def _device(platform: str) -> SimDevice:
    state = DeviceState(name="r1", platform=platform, hostname="R1")
    port = FIRST_PORT.get(platform, "GigabitEthernet0/0/0")
    state.add_interface(port, ipv4=[ipaddress.IPv4Interface("10.0.12.1/24")])
    state.readers = (("audit", CANARY),)
    return make_device(state)


def _reader(device: SimDevice) -> CliSession:
    session = device.open_session()
    session.sign_in("audit")
    return session


def _as_admin(device: SimDevice, *lines: str) -> None:
    session = device.open_session(privileged=True)
    for line in lines:
        assert "Invalid" not in session.handle(line).output, line


@pytest.mark.parametrize("platform", ["cisco_ios", "cisco_xe"])
def test_ios_reader_is_privilege_1_and_reads_the_whole_configuration_as_a_file(
    platform: str,
) -> None:
    device = _device(platform)
    running = device.running_config()
    assert "username audit privilege 1 secret 9 $9$" in running
    assert "file privilege 1" in running.splitlines()
    session = _reader(device)
    assert session.prompt == "R1>"
    assert session.handle("show privilege").output == "Current privilege level is 1\n"
    assert session.handle("more system:running-config").output == running
    # the user EXEC level refuses configuration mode and `show running-config` (level 15)
    for line in ("configure terminal", "show running-config"):
        reply = session.handle(line)
        assert IOS_INVALID in reply.output and reply.prompt == "R1>", line
    assert session.handle("enable").output == "% No password set\n"
    assert CANARY not in running


def test_ios_show_running_config_lowered_to_level_1_shows_a_blank_configuration() -> None:
    """Cisco's note on privilege levels: `show running-config` shows only the lines the user
    may configure, so `privilege exec level 1 show running-config` gives level 1 nothing;
    and without `file privilege 1` the file is refused."""
    device = _device("cisco_ios")
    _as_admin(
        device,
        "configure terminal",
        "privilege exec level 1 show running-config",
        "no file privilege 1",
        "end",
    )
    session = _reader(device)
    blank = session.handle("show running-config").output
    assert blank.startswith("Building configuration...") and "hostname" not in blank
    assert blank.rstrip().endswith("end")
    assert session.handle("more system:running-config").output == (
        "%Error opening system:running-config (Permission denied)\n"
    )


def test_vrp_reader_is_level_1_with_display_current_configuration_lowered() -> None:
    device = _device("huawei_vrp")
    running = device.running_config()
    lines = running.splitlines()
    assert " local-user audit privilege level 1" in lines
    assert " command-privilege level 1 view shell display current-configuration" in lines
    session = _reader(device)
    assert session.handle("display current-configuration").output == running
    reply = session.handle("system-view")
    assert VRP_UNRECOGNIZED in reply.output and reply.prompt == "<R1>"
    assert VRP_UNRECOGNIZED in session.handle("save").output
    assert CANARY not in running

    _as_admin(
        device,
        "system-view",
        "undo command-privilege view shell display current-configuration",
        "return",
    )
    # back at its default level (3, management): unknown to a monitor-level user
    assert VRP_UNRECOGNIZED in _reader(device).handle("display current-configuration").output
    assert "display current-configuration" not in device.running_config()


@pytest.mark.parametrize("platform", ["cisco_ios", "huawei_vrp"])
def test_a_login_the_configuration_does_not_name_keeps_the_sessions_level(
    platform: str,
) -> None:
    device = _device(platform)
    session = device.open_session(privileged=True)
    session.sign_in("netops")  # the change account: not a local user of the twin's config
    config = "configure terminal" if platform == "cisco_ios" else "system-view"
    assert "Enter" in session.handle(config).output


NEW_PASSWORD = "canary-made-by-apply-51d0"
MADE = {
    "cisco_ios": (
        ["configure terminal", f"username viewer privilege 1 secret 0 {NEW_PASSWORD}", "end"],
        ["configure terminal", "no username viewer", "end"],
    ),
    "cisco_xe": (
        ["configure terminal", f"username viewer privilege 1 secret {NEW_PASSWORD}", "end"],
        ["configure terminal", "no username viewer", "end"],
    ),
    "huawei_vrp": (
        [
            "system-view",
            "aaa",
            f"local-user viewer password irreversible-cipher {NEW_PASSWORD}",
            "local-user viewer privilege level 1",
            "return",
        ],
        ["system-view", "aaa", "undo local-user viewer", "return"],
    ),
}


@pytest.mark.parametrize("platform", sorted(MADE))
def test_a_user_made_by_configuration_logs_in_with_its_password_until_removed(
    platform: str,
) -> None:
    """Logins are checked against the device's own configuration, as `login local` does:
    a user added by configuration (``net apply`` of hardening) logs in with the password it
    was given (the configuration holding only a hash of it), a wrong one is refused, and a
    removed user no longer logs in; the provisioned reader is checked the same way."""
    device = _device(platform)
    assert device.accepts_login("audit", CANARY)
    assert not device.accepts_login("viewer", NEW_PASSWORD)
    made, removed = MADE[platform]
    _as_admin(device, *made)
    running = device.running_config()
    assert NEW_PASSWORD not in running and "viewer" in running
    assert device.accepts_login("viewer", NEW_PASSWORD)
    assert not device.accepts_login("viewer", NEW_PASSWORD + "x")
    assert not device.accepts_login("audit", NEW_PASSWORD)
    session = device.open_session()
    session.sign_in("viewer")
    config = "system-view" if platform == "huawei_vrp" else "configure terminal"
    refusal = VRP_UNRECOGNIZED if platform == "huawei_vrp" else IOS_INVALID
    assert refusal in session.handle(config).output
    _as_admin(device, *removed)
    assert not device.accepts_login("viewer", NEW_PASSWORD)
