"""Cisco TelePresence / RoomOS video-conference endpoints (xAPI over SSH)."""

from platforms.base import PlatformInfo
from platforms.netplatform import TpPlatform

PLATFORM = PlatformInfo(
    name="cisco_tp",
    vendor="Cisco",
    os_name="RoomOS",
    roles=frozenset({"vc_endpoint"}),
    sys_object_id="1.3.6.1.4.1.5596.150.6.4.1",
    description="Cisco TelePresence / RoomOS video-conference endpoints (xAPI over SSH).",
    default_interfaces={"lan": "Ethernet1"},
)

NETWORK = TpPlatform()
