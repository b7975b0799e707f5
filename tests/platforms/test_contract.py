"""The shared contract of a network platform (platforms/network.py), run against every
platform discovery finds (``NETWORK`` of ``platforms/<platform>/``), as NAPALM's shared
getter suite is: first on the test data of ``data/<platform>/`` (walked, see cases.py:
adding a case is adding a file), then on a twin of our own (devices are changed here, so
the session twin is not used)."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.control import request
from lab.device import make_device
from lab.state import DeviceState
from platforms import UnknownPlatform, network_platform, network_platforms
from platforms.config import parse_intent
from platforms.network import (
    ConfigSession,
    DeviceError,
    Intent,
    NetworkPlatform,
    PipelinedSession,
)
from tests.platforms.cases import (
    GETTER_COMMAND,
    CommandsCase,
    ShowCase,
    command_cases,
    platforms_with_data,
    read,
    session_data,
    show_cases,
    twin_device_output,
)
from tests.platforms.twin import TwinDevices, own_twin, worker_base

PLATFORMS = sorted(network_platforms())
CANARY = "Canary-7Qx-secret"
SECRET = "Canary-Secret-9f3b"


def test_every_changeable_platform_is_found_and_has_test_data() -> None:
    assert PLATFORMS == ["cisco_ios", "cisco_tp", "cisco_xe", "huawei_vrp"]
    for name in PLATFORMS:
        assert network_platform(name).name == name
        assert isinstance(network_platform(name), NetworkPlatform)
        assert network_platform(name).syntax is not None
    assert platforms_with_data() == PLATFORMS
    with pytest.raises(UnknownPlatform, match="linux"):
        network_platform("linux")


# -- data: running + intent -> commands ----------------------------------------------------
@pytest.mark.parametrize("case", command_cases())
def test_commands_from_data(case: CommandsCase) -> None:
    net = network_platform(case.platform)
    intent = parse_intent(case.intent, net.syntax)
    assert net.commands(case.running, intent) == case.expected, case.name


def _apply(platform: str, running: str, cmds: list[str]) -> tuple[list[str], str]:
    """Run ``cmds`` in the twin's CLI engine (pure, no socket): the lines it refused and
    the running configuration after."""
    data = session_data(platform)
    device = make_device(DeviceState(name="r1", platform=platform, hostname="R1"), running)
    session = device.open_session(privileged=True)
    refused = []
    for line in [data["enter_config"], *(re.sub(r"<secret:[^>]+>", SECRET, c) for c in cmds)]:
        out = session.handle(line).output
        if any(re.search(data["refused_line"], ln) for ln in out.splitlines()):
            refused.append(f"{line}: {out.strip()}")
    session.handle(data["leave_config"])
    return refused, device.running_config()


@pytest.mark.parametrize(
    "case", [c for c in command_cases() if "enter_config" in session_data(c.values[0].platform)]
)
def test_expected_commands_are_accepted_and_converge(case: CommandsCase) -> None:
    """Every case's commands, applied with the twin's own CLI engine, are all accepted and
    leave nothing to do (the twin's parser is the independent oracle)."""
    net = network_platform(case.platform)
    intent = parse_intent(case.intent, net.syntax)
    running = make_device(
        DeviceState(name="r1", platform=case.platform, hostname="R1"), case.running
    ).running_config()
    refused, after = _apply(case.platform, case.running, net.commands(running, intent))
    assert refused == [], case.name
    assert net.commands(after, intent) == [], case.name
    assert SECRET not in after  # the twin stores a hash, as devices do


# -- data: show output -> what the post-checks read ------------------------------------------
@pytest.mark.parametrize("case", show_cases())
def test_show_output_parsed_from_data(case: ShowCase) -> None:
    net = network_platform(case.platform)
    assert getattr(net, GETTER_COMMAND[case.getter]) == case.command
    assert read(net, case.getter, case.output, case.args) == case.expected


@pytest.mark.parametrize(
    "case", [c for c in show_cases() if c.values[0].getter == "ipv6_interfaces"]
)
def test_ipv6_addresses_are_the_global_ones(case: ShowCase) -> None:
    net = network_platform(case.platform)
    for interface, shown in case.expected.items():
        wanted = [ipaddress.IPv6Address(a) for a in shown]
        assert net.ipv6_addresses(case.output, interface) == [
            a for a in wanted if not a.is_link_local
        ]
    if net.ipv6_where("Tunnel9") == "Tunnel9":  # per interface: an absent one has none
        assert net.ipv6_addresses(case.output, "Tunnel9") == []


@pytest.mark.parametrize("case", show_cases(golden=True))
def test_twin_prints_what_the_parser_fixture_holds(case: ShowCase) -> None:
    """Golden: the twin's device (data/<platform>/twin.yaml), asked the same command, gives
    output the platform's parser reads exactly as the stored fixture; a drift between the
    simulator and the parser fixtures fails here."""
    net = network_platform(case.platform)
    output = twin_device_output(case.platform, case.command)
    assert read(net, case.getter, output, case.args) == read(
        net, case.getter, case.output, case.args
    )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_command_the_platform_declares_is_checked_against_the_twin(platform: str) -> None:
    net = network_platform(platform)
    golden = {
        c.values[0].command for c in show_cases(golden=True) if c.values[0].platform == platform
    }
    declared = {getattr(net, attribute, "") for attribute in GETTER_COMMAND.values()} - {""}
    assert declared <= golden, f"{platform}: add a golden show case for {declared - golden}"
    assert twin_device_output(platform, net.liveness_command).strip()


# -- on the twin -------------------------------------------------------------------------
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


def _fragment(platform: str) -> str:
    return str(session_data(platform)["intent"])


def _intent(platform: str, fragment: str | None = None) -> Intent:
    return parse_intent(fragment or _fragment(platform), network_platform(platform).syntax)


def _changed(platform: str, ip4: str, ip6: str, ip_loop: str, user: str) -> Intent:
    """The platform's intent with other values (to push something, then roll it back)."""
    changed = _fragment(platform).replace("10.38.0.123", ip4).replace("::9/", ip6)
    changed = changed.replace("10.255.9.9", ip_loop).replace("contract@", user)
    return _intent(platform, changed)


def test_running_config_and_sections(session: ConfigSession, platform: str) -> None:
    net: NetworkPlatform = network_platform(platform)
    data = session_data(platform)
    running = session.running_config()
    found = net.sections(running)
    assert found, running[:200]
    lines = {head for head in found} | {c for children in found.values() for c in children}
    assert any(k.startswith(data["section_prefix"]) for k in found)
    if data["every_line_in_a_section"]:
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
    changed = _changed(platform, "10.38.0.124", "::8/", "10.255.9.8", "rolled@")
    session.push(net.commands(before, changed))
    assert session.running_config() != before
    session.rollback(name)
    assert session.running_config() == before


def test_save(session: ConfigSession, platform: str) -> None:
    session.save()
    startup = session_data(platform).get("startup_command")
    if startup is None:
        return  # endpoints store every change at once; nothing else to see
    net = network_platform(platform)
    assert net.sections(session.show(startup)) == net.sections(session.running_config())


def test_refused_command_raises_with_device_text_and_session_stays_usable(
    session: ConfigSession, platform: str
) -> None:
    net = network_platform(platform)
    data = session_data(platform)
    with pytest.raises(DeviceError) as caught:
        session.push([data["bad_command"], *net.commands("", _intent(platform))])
    assert data["refusal_text"] in caught.value.output
    assert data["bad_command"].split()[0] in str(caught.value)
    # Stopped at the first error, left configuration mode, and still answers.
    assert net.sections(session.running_config())
    assert session.show(net.liveness_command)


def test_no_secret_in_device_errors(devices: TwinDevices, platform: str) -> None:
    params = devices.params[devices.first(platform)]
    net = network_platform(platform)
    wrong = dataclasses.replace(params, password=CANARY)
    with pytest.raises(DeviceError) as caught:
        net.connect(wrong)
    assert CANARY not in str(caught.value) and CANARY not in caught.value.output
    session = net.connect(params)
    try:
        bad = f"{session_data(platform)['bad_command']} {CANARY}"
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
@pytest.mark.parametrize("platform", [p for p in PLATFORMS if "enter_config" in session_data(p)])
def test_dropped_session_fails_fast_and_rollback_restores(
    devices: TwinDevices, platform: str
) -> None:
    name = devices.first(platform)
    net = network_platform(platform)
    first = net.connect(devices.params[name])
    before = first.running_config()
    checkpoint = first.checkpoint()
    todo = net.commands(before, _changed(platform, "10.38.0.125", "::7/", "10.255.9.7", "dropped@"))
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


def test_xapi_commands_written_together_are_each_answered_as_alone(devices: TwinDevices) -> None:
    """RoomOS's xAPI answers commands written at once in turn, each answer framed: the
    readiness check's one round trip gives every command what it gets alone, a refused
    and an unknown command in the middle included (digits masked: the clock moves; echo
    and blank lines aside: asked alone, a command's echo can stay in its output)."""
    net = network_platform("cisco_tp")
    session = net.connect(devices.params[devices.first("cisco_tp")])
    try:
        assert isinstance(session, PipelinedSession)
        commands = [
            *net.readiness_commands[:3],
            "xStatus NoSuchThing",
            "show version",
            *net.readiness_commands[3:],
        ]
        alone = {c: session.show(c) for c in commands}
        together = session.show_many(commands)
        assert list(together) == commands

        def masked(command: str, text: str) -> list[str]:
            lines = text.replace("\r", "").split("\n")
            return [re.sub(r"\d", "0", ln) for ln in lines if ln.strip() not in ("", command)]

        assert {c: masked(c, t) for c, t in together.items()} == {
            c: masked(c, t) for c, t in alone.items()
        }
        assert "(status=Error)" in together["xStatus NoSuchThing"]
        assert "** end" not in together["xStatus NoSuchThing"]
        assert not together["show version"].strip()  # its answer is its closing line
        assert "*s SIP Registration 1 Status" in together[net.readiness_commands[0]]
        assert session.show(net.liveness_command)  # still in step afterwards
    finally:
        session.close()
