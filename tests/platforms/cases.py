"""The platforms' test data, walked: ``data/<platform>/`` for every platform found.

Each platform's folder may hold (adding a case is adding a file):

- ``running.txt``: a running configuration; ``commands/*.yaml``: ``{name, intent, expected,
  running?}`` cases (the commands that take ``running`` - default ``running.txt`` - to the
  rendered template fragment ``intent``);
- ``show/<case>.txt`` + ``show/<case>.json``: a show output and ``{command, getter, args?,
  expected, golden}``: what the platform's ``getter`` reads from it (``golden``: the twin
  device of ``twin.yaml`` prints the same);
- ``session.yaml``: what the session tests do with the platform's device in the twin.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from lab.device import make_device
from lab.state import DeviceState
from platforms import network_platforms
from platforms.network import NetworkPlatform

DATA = Path(__file__).resolve().parent / "data"


def platforms_with_data() -> list[str]:
    return sorted(p.name for p in DATA.iterdir() if p.is_dir())


def running_of(platform: str) -> str:
    return (DATA / platform / "running.txt").read_text(encoding="utf-8")


def session_data(platform: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((DATA / platform / "session.yaml").read_text("utf-8"))
    return doc


@dataclass(frozen=True)
class CommandsCase:
    platform: str
    name: str
    running: str
    intent: str
    expected: list[str]


def command_cases() -> list[Any]:
    found = []
    for platform in sorted(network_platforms()):
        for path in sorted((DATA / platform / "commands").glob("*.yaml")):
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            running = doc["running"] if "running" in doc else running_of(platform)
            case = CommandsCase(platform, doc["name"], running, doc["intent"], doc["expected"])
            found.append(pytest.param(case, id=f"{platform}/{path.stem}"))
    return found


@dataclass(frozen=True)
class ShowCase:
    platform: str
    name: str
    output: str
    command: str
    getter: str
    args: dict[str, str]
    expected: Any
    golden: bool


def show_cases(*, golden: bool = False) -> list[Any]:
    found = []
    for platform in sorted(network_platforms()):
        for path in sorted((DATA / platform / "show").glob("*.json")):
            doc = json.loads(path.read_text(encoding="utf-8"))
            if golden and not doc["golden"]:
                continue
            output = path.with_suffix(".txt").read_text(encoding="utf-8")
            case = ShowCase(
                platform,
                path.stem,
                output,
                doc["command"],
                doc["getter"],
                doc.get("args", {}),
                doc["expected"],
                doc["golden"],
            )
            found.append(pytest.param(case, id=f"{platform}/{path.stem}"))
    return found


# Which of the platform's commands each getter reads.
GETTER_COMMAND = {
    "ipv6_interfaces": "ipv6_command",
    "interface_status": "interfaces_command",
    "sip_registration": "sip_registration_command",
}


def read(net: NetworkPlatform, getter: str, output: str, args: dict[str, str]) -> Any:
    """What ``getter`` of ``net`` reads from ``output``, as the JSON of the case holds it."""
    found = getattr(net, getter)(output, **args)
    if getter == "ipv6_interfaces":
        return {name: [str(a) for a in addrs] for name, addrs in found.items()}
    if getter == "interface_status":
        return {name: {"admin_up": s.admin_up, "oper_up": s.oper_up} for name, s in found.items()}
    if getter == "sip_registration":
        return {
            "status": found.status,
            "reason": found.reason,
            "uri": found.uri,
            "registered": found.registered,
        }
    raise AssertionError(f"no JSON form for getter {getter}")


def twin_device_output(platform: str, command: str) -> str:
    """``command``'s output on the twin device ``data/<platform>/twin.yaml`` describes."""
    spec = yaml.safe_load((DATA / platform / "twin.yaml").read_text(encoding="utf-8"))
    state = DeviceState(name="r1", platform=platform, hostname="R1")
    for interface in spec["interfaces"]:
        state.add_interface(
            interface["name"],
            admin_up=interface.get("admin_up", True),
            ipv4=[ipaddress.IPv4Interface(a) for a in interface.get("ipv4", [])],
            ipv6=[ipaddress.IPv6Interface(a) for a in interface.get("ipv6", [])],
            ipv6_enabled=interface.get("ipv6_enabled", False),
        )
    device = make_device(state)
    session = device.open_session(privileged=True)
    for line in spec.get("typed") or []:
        session.handle(line)
    return device.exec_command(command)
