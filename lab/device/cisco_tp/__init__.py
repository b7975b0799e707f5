"""Cisco TelePresence / RoomOS endpoint simulator (`cisco_tp`)."""

from lab.device.base import DeviceKind
from lab.device.cisco_tp.device import TpDevice, TpSession

DEVICE = DeviceKind(TpDevice, names=("cisco_tp",))

__all__ = ["DEVICE", "TpDevice", "TpSession"]
