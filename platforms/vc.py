"""What a video-conference endpoint reports about its readiness for a session, and the
contract a platform answers to be checked (``VcPlatform``, asked of ``NETWORK``).

Data only; each platform package parses its own status output into these (for Cisco
TelePresence/RoomOS: ``platforms/cisco_tp/status.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from platforms.parsers import SipRegistration

CAMERA = "camera"
MICROPHONE = "microphone"
DISPLAY = "display"


@dataclass(frozen=True)
class Diagnostic:
    """One diagnostics message: ``Diagnostic("Error", "SIPProfileRegistration", "...")``."""

    level: str  # Critical, Error, Warning, Info (as the endpoint spells it)
    kind: str
    description: str


@dataclass(frozen=True)
class Peripheral:
    """``Peripheral("camera", "Camera 1", connected=True)``."""

    kind: str  # CAMERA, MICROPHONE or DISPLAY
    name: str
    connected: bool


@dataclass(frozen=True)
class EndpointStatus:
    """What the endpoint says about itself before a session. Example::

        EndpointStatus(registration=SipRegistration("Registered", "", "vc1@tinh.gov.vn"),
                       registrar="sip.tinh.gov.vn", diagnostics=(),
                       peripherals=(Peripheral("camera", "Camera 1", True), ...),
                       microphones_muted=False,
                       clock=datetime(2026, 12, 4, 22, 0, tzinfo=UTC), calls=0)

    A part the endpoint did not answer is empty/None; the check says so, it never guesses.
    """

    registration: SipRegistration
    registrar: str
    diagnostics: tuple[Diagnostic, ...]
    peripherals: tuple[Peripheral, ...]
    microphones_muted: bool | None
    clock: datetime | None
    calls: int


@dataclass(frozen=True)
class MediaChannel:
    """One media channel of a call: ``MediaChannel("incoming", "audio", 500, 0, 2.0)``."""

    direction: str  # incoming / outgoing
    kind: str  # audio / video
    packets: int
    lost: int
    jitter_ms: float


@dataclass(frozen=True)
class CallStatus:
    """A call as the endpoint shows it: ``CallStatus("1", "Connected", "8000", (...))``."""

    call_id: str
    status: str
    number: str
    channels: tuple[MediaChannel, ...]

    @property
    def connected(self) -> bool:
        return self.status.lower() == "connected"


@runtime_checkable
class VcPlatform(Protocol):
    """A platform whose endpoints can be checked ready for a video conference."""

    @property
    def readiness_commands(self) -> tuple[str, ...]:
        """The status commands :meth:`endpoint_status` reads, in order:
        ``("xStatus SIP Registration", "xStatus SIP Proxy", ...)``."""
        ...

    def endpoint_status(self, outputs: Mapping[str, str]) -> EndpointStatus:
        """The endpoint's status from each readiness command's output (a command missing
        from ``outputs`` was not answered)."""
        ...

    def dial_command(self, number: str) -> str:
        """The command that places a call: ``'xCommand Dial Number: "8000"'``."""
        ...

    def dialled_call(self, output: str) -> str:
        """The call id in the dial command's answer (``""`` when the dial was refused)."""
        ...

    def calls(self, outputs: Mapping[str, str]) -> list[CallStatus]:
        """The calls in the outputs of ``call_commands``."""
        ...

    @property
    def call_commands(self) -> tuple[str, ...]:
        """What :meth:`calls` reads: ``("xStatus Call", "xStatus MediaChannels")``."""
        ...

    def hangup_command(self, call_id: str) -> str:
        """``"xCommand Call Disconnect CallId: 1"``."""
        ...

    @property
    def unmute_command(self) -> str:
        """What an operator types to unmute the microphones (for the advice given)."""
        ...
