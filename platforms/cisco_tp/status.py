"""Cisco TelePresence ``xStatus`` output -> data (pure)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from platforms.parsers import SipRegistration, ipv6_address, output_lines
from platforms.vc import (
    CAMERA,
    DISPLAY,
    MICROPHONE,
    CallStatus,
    Diagnostic,
    EndpointStatus,
    MediaChannel,
    Peripheral,
)

IPV6_COMMAND = "xStatus Network 1 IPv6"
SIP_REGISTRATION_COMMAND = "xStatus SIP Registration"
_STATUS = re.compile(r"^\*s (?P<path>.+?): ?(?P<value>.*)$")


def tp_status(output: str) -> dict[str, str]:
    """``*s Path: value`` lines of an xStatus answer -> path -> value (quotes removed)."""
    found: dict[str, str] = {}
    for line in output_lines(output):
        m = _STATUS.match(line.strip())
        if m:
            value = m.group("value").strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            found[m.group("path")] = value
    return found


def sip_registration(output: str) -> SipRegistration:
    """The first SIP registration of ``xStatus SIP Registration``."""
    status = tp_status(output)
    return SipRegistration(
        status.get("SIP Registration 1 Status", "Unknown"),
        status.get("SIP Registration 1 Reason", ""),
        status.get("SIP Registration 1 URI", ""),
    )


def tp_ipv6(output: str) -> list[ipaddress.IPv6Address]:
    """The endpoint's global IPv6 address from ``xStatus Network 1 IPv6``, if any."""
    value = tp_status(output).get("Network 1 IPv6 Address", "")
    addr = ipv6_address(value) if value else None
    return [addr] if addr is not None and not addr.is_link_local else []


# -- readiness for a session (platforms.vc.VcPlatform) -------------------------------------
REGISTRATION = SIP_REGISTRATION_COMMAND
PROXY = "xStatus SIP Proxy"
DIAGNOSTICS = "xStatus Diagnostics"
CAMERAS = "xStatus Cameras"
AUDIO = "xStatus Audio"
VIDEO_OUTPUT = "xStatus Video Output"
TIME = "xStatus Time"
CALL = "xStatus Call"
MEDIA = "xStatus MediaChannels"
READINESS_COMMANDS = (REGISTRATION, PROXY, DIAGNOSTICS, CAMERAS, AUDIO, VIDEO_OUTPUT, TIME, CALL)
CALL_COMMANDS = (CALL, MEDIA)
UNMUTE_COMMAND = "xCommand Audio Microphones Unmute"


def _numbered(status: Mapping[str, str], prefix: str) -> dict[str, dict[str, str]]:
    """``{"1": {"Connected": "True", ...}}`` for every ``PREFIX N Leaf: value`` path."""
    found: dict[str, dict[str, str]] = {}
    for path, value in status.items():
        if not path.startswith(prefix + " "):
            continue
        number, _, leaf = path[len(prefix) + 1 :].partition(" ")
        if number.isdigit() and leaf:
            found.setdefault(number, {})[leaf] = value
    return found


def _true(value: str) -> bool:
    return value.strip().lower() in ("true", "connected", "on", "yes")


def diagnostics(output: str) -> tuple[Diagnostic, ...]:
    """``*s Diagnostics Message N Level/Type/Description`` -> the messages."""
    messages = _numbered(tp_status(output), "Diagnostics Message")
    return tuple(
        Diagnostic(m.get("Level", ""), m.get("Type", ""), m.get("Description", ""))
        for _, m in sorted(messages.items(), key=lambda kv: int(kv[0]))
    )


def peripherals(outputs: Mapping[str, str]) -> tuple[Peripheral, ...]:
    """Cameras (``Cameras Camera N Connected``), microphones (``Audio Input Connectors
    Microphone N ConnectionStatus``) and displays (``Video Output Connector N Connected``)."""
    found: list[Peripheral] = []
    sources = (
        (CAMERAS, "Cameras Camera", "Connected", CAMERA, "Camera"),
        (AUDIO, "Audio Input Connectors Microphone", "ConnectionStatus", MICROPHONE, "Microphone"),
        (VIDEO_OUTPUT, "Video Output Connector", "Connected", DISPLAY, "Output Connector"),
    )
    for command, prefix, leaf, kind, label in sources:
        if command not in outputs:
            continue
        items = _numbered(tp_status(outputs[command]), prefix)
        for number, values in sorted(items.items(), key=lambda kv: int(kv[0])):
            if leaf in values:
                found.append(Peripheral(kind, f"{label} {number}", _true(values[leaf])))
    return tuple(found)


def microphones_muted(output: str) -> bool | None:
    value = tp_status(output).get("Audio Microphones Mute")
    return None if value is None else _true(value)


def system_time(output: str) -> datetime | None:
    """``*s Time SystemTime: "2026-12-04T22:21:37Z"`` -> an aware datetime."""
    value = tp_status(output).get("Time SystemTime", "")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def endpoint_status(outputs: Mapping[str, str]) -> EndpointStatus:
    proxy = tp_status(outputs.get(PROXY, "")).get("SIP Proxy 1 Address", "")
    calls = _numbered(tp_status(outputs.get(CALL, "")), "Call")
    return EndpointStatus(
        registration=sip_registration(outputs.get(REGISTRATION, "")),
        registrar=proxy,
        diagnostics=diagnostics(outputs.get(DIAGNOSTICS, "")),
        peripherals=peripherals(outputs),
        microphones_muted=microphones_muted(outputs[AUDIO]) if AUDIO in outputs else None,
        clock=system_time(outputs.get(TIME, "")),
        calls=len(calls),
    )


def dial_command(number: str) -> str:
    return f'xCommand Dial Number: "{number}"'


def dialled_call(output: str) -> str:
    """``*r DialResult (status=OK):`` then ``CallId: 3`` -> ``"3"``."""
    if "(status=OK)" not in output:
        return ""
    m = re.search(r"^\s*CallId:\s*(\d+)\s*$", output, re.M)
    return m.group(1) if m else ""


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


def calls(outputs: Mapping[str, str]) -> list[CallStatus]:
    """Calls (``Call N Status/RemoteNumber``) with their media channels (``MediaChannels
    Call N Channel M Direction/Type/Netstat Packets|Loss|Jitter``)."""
    status = tp_status(outputs.get(CALL, ""))
    media = tp_status(outputs.get(MEDIA, ""))
    found: list[CallStatus] = []
    for call_id, values in sorted(_numbered(status, "Call").items(), key=lambda kv: int(kv[0])):
        channels = _numbered(media, f"MediaChannels Call {call_id} Channel")
        found.append(
            CallStatus(
                call_id,
                values.get("Status", ""),
                values.get("RemoteNumber", ""),
                tuple(
                    MediaChannel(
                        c.get("Direction", "").lower(),
                        c.get("Type", "").lower(),
                        int(_number(c.get("Netstat Packets", "0"))),
                        int(_number(c.get("Netstat Loss", "0"))),
                        _number(c.get("Netstat Jitter", "0")),
                    )
                    for _, c in sorted(channels.items(), key=lambda kv: int(kv[0]))
                ),
            )
        )
    return found


def hangup_command(call_id: str) -> str:
    return f"xCommand Call Disconnect CallId: {call_id}"
