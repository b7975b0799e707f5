"""The twin's device kinds are found, not listed, and every command table action has code."""

from __future__ import annotations

import importlib

import pytest

from lab.device import DEVICE_KINDS, PLATFORMS, make_device, ssh_server_version
from lab.device.cisco_ios.session import IosSession
from lab.device.huawei_vrp.session import VrpSession
from lab.state import DeviceState


def test_every_platform_name_the_twin_serves_is_found() -> None:
    assert set(PLATFORMS) == {"cisco_ios", "cisco_xe", "huawei_vrp", "huawei", "cisco_tp"}
    assert PLATFORMS["huawei"] is PLATFORMS["huawei_vrp"]
    for name, kind in DEVICE_KINDS.items():
        assert name in kind.names
        device = make_device(DeviceState(name="r1", platform=name, hostname="R1"))
        assert device.platform == kind.names[0]


def test_ssh_server_versions_are_the_packages_data() -> None:
    assert ssh_server_version("cisco_ios") == ssh_server_version("cisco_xe") == "Cisco-1.25"
    assert ssh_server_version("huawei_vrp") == ssh_server_version("huawei") == "HUAWEI-1.5"
    assert ssh_server_version("cisco_tp") == ssh_server_version("juniper_junos") == ""


@pytest.mark.parametrize(
    ("package", "session", "exec_specs", "config_specs", "exec_actions"),
    [
        ("cisco_ios", IosSession, "EXEC_SPECS", "CONFIG_SPECS", ("do", "end", "exit")),
        ("huawei_vrp", VrpSession, "USER_SPECS", "VIEW_SPECS", ()),
    ],
)
def test_every_action_of_the_command_tables_has_a_handler(
    package: str,
    session: type[object],
    exec_specs: str,
    config_specs: str,
    exec_actions: tuple[str, ...],
) -> None:
    grammar = importlib.import_module(f"lab.device.{package}.grammar")
    handlers = importlib.import_module(f"lab.device.{package}.handlers").HANDLERS
    exec_only = getattr(grammar, "EXEC_ACTIONS", set())
    for spec in getattr(grammar, exec_specs):
        assert hasattr(session, "x_" + spec.action), spec
    for specs in getattr(grammar, config_specs).values():
        for spec in specs:
            if spec.action in exec_only:
                assert hasattr(session, "x_" + spec.action), spec
            elif spec.action != "set":
                assert spec.action in handlers, spec
    assert set(exec_actions) <= set(handlers)
