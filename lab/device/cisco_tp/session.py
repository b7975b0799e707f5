"""Cisco TelePresence / RoomOS endpoints (`cisco_tp`): the xAPI shell over SSH, pure.

What Netmiko's ``cisco_tp`` driver expects: a login banner ending in ``OK`` (its
``session_preparation`` reads whatever arrives), no prompt, every answer framed by
``** end`` then ``OK`` (or ``ERROR``), and ``Command not recognized.`` for anything
that is not an x-command. ``xConfiguration`` paths come from ``SCHEMA``: a path the
table does not know, or a value outside its domain, is refused as the endpoint does.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING

from lab.device.base import CliSession, Reply
from lab.device.cisco_tp import show
from lab.device.cisco_tp.schema import BY_PATH, MODE_ALIAS, validate

if TYPE_CHECKING:
    from lab.device.cisco_tp.device import TpDevice


class TpSession(CliSession):
    device: TpDevice

    def __init__(self, device: TpDevice, *, privileged: bool = False) -> None:
        super().__init__(device, privileged=privileged)
        self.terminal_length = 0  # the xAPI shell never pages

    @property
    def prompt(self) -> str:
        return ""  # the xAPI shell has no prompt; answers end in OK / ERROR

    def login(self) -> Reply:
        self.device.check_reboot()
        return Reply(self.device.login_banner(), "")

    def execute(self, line: str) -> Reply:
        text = line.strip()
        if not text:
            return Reply("", "")
        word, _, rest = text.partition(" ")
        low = word.lower()
        if low == "xconfiguration":
            return self.xconfiguration(rest.strip())
        if low == "xstatus":
            return self.xstatus(rest.strip())
        if low == "xcommand":
            return self.xcommand(rest.strip())
        if low in ("bye", "exit"):
            return Reply("", "", close=True)
        if low == "echo":
            return Reply("OK\n", "")
        return Reply("Command not recognized.\n", "")

    @staticmethod
    def ok(lines: list[str]) -> Reply:
        return Reply("\n".join([*lines, "** end", "", "OK"]) + "\n", "")

    @staticmethod
    def fail(kind: str, reason: str, xpath: str) -> Reply:
        return Reply(
            "\n".join(
                [
                    f"*r {kind} (status=Error): ",
                    f"    Reason: {reason}",
                    f"    XPath: {xpath}",
                    "** end",
                    "",
                    "ERROR",
                ]
            )
            + "\n",
            "",
        )

    def xconfiguration(self, rest: str) -> Reply:
        dev = self.device
        if ":" not in rest:
            path = " ".join(rest.split())
            lines = dev.listing(path)
            if path and not lines:
                return self.fail(
                    "Configuration",
                    "No match on address expression.",
                    "Configuration/" + path.replace(" ", "/"),
                )
            return self.ok(lines)
        path, _, raw = rest.partition(":")
        key = " ".join(path.split()).lower()
        xpath = "Configuration/" + "/".join(path.split())
        if key == MODE_ALIAS:
            choice = raw.strip().strip('"').lower()
            if choice == "off":
                dev.values["network 1 ipstack"] = "IPv4"
            elif choice in ("static", "autoconf", "dhcpv6"):
                dev.values["network 1 ipstack"] = "Dual"
                dev.values["network 1 ipv6 assignment"] = {
                    "static": "Static",
                    "autoconf": "Autoconf",
                    "dhcpv6": "DHCPv6",
                }[choice]
            else:
                return self.fail("Configuration", "Invalid value", xpath)
            dev.sync_state()
            return self.ok([])
        setting = BY_PATH.get(key)
        if setting is None:
            return self.fail("Configuration", "No match on address expression.", xpath)
        value = validate(setting, raw)
        if value is None:
            return self.fail("Configuration", "Invalid value", xpath)
        if key.endswith("address") and value and key.startswith("network 1 ipv"):
            try:
                ipaddress.ip_interface(value)
            except ValueError:
                return self.fail("Configuration", "Invalid value", xpath)
        dev.values[key] = value
        dev.sync_state()
        return self.ok([])

    def xstatus(self, rest: str) -> Reply:
        path = " ".join(rest.split())
        lines = show.status_lines(self.device)
        if path:
            pattern = re.compile(
                r"^\*s " + r"(?: \d+)? ".join(re.escape(w) for w in path.split()) + r"\b", re.I
            )
            lines = [ln for ln in lines if pattern.match(ln)]
            if not lines and path.split()[0].lower() not in show.MAY_BE_EMPTY:
                return self.fail(
                    "Status", "No match on Path argument", "Status/" + path.replace(" ", "/")
                )
        return self.ok(lines)

    def xcommand(self, rest: str) -> Reply:
        dev = self.device
        low = " ".join(rest.split()).lower()
        if low.startswith("dial"):
            m = re.search(r"number:\s*\"?([^\"]+)\"?", rest, re.I)
            if not m:
                return self.fail(
                    "DialResult", "Missing or invalid parameter(s): Number", "Command/Dial"
                )
            n = dev.dial(m.group(1).strip())
            return self.ok(
                ["*r DialResult (status=OK): ", f"    CallId: {n}", f"    ConferenceId: {n}"]
            )
        if low.startswith("call disconnect"):
            wanted = re.search(r"callid:\s*(\d+)", low)
            call_id = int(wanted.group(1)) if wanted else max(dev.calls, default=0)
            if call_id not in dev.calls:
                return self.fail(
                    "CallDisconnectResult", "No active call", "Command/Call/Disconnect"
                )
            del dev.calls[call_id]
            return self.ok(["*r CallDisconnectResult (status=OK): "])
        if low.startswith("audio microphones unmute") or low.startswith("audio microphones mute"):
            dev.state.faults.mic_muted = low.startswith("audio microphones mute")
            return self.ok(["*r MicrophonesMuteResult (status=OK): "])
        if low.startswith("systemunit boot"):
            dev.reload()
            return Reply("*r SystemUnitBootResult (status=OK): \n** end\n\nOK\n", "", close=True)
        if low.startswith("standby"):
            return self.ok(["*r StandbyActivateResult (status=OK): "])
        return self.fail("Result", "Unknown command", "Command/" + "/".join(rest.split()[:3]))
