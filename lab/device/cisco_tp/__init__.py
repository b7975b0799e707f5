"""Cisco TelePresence / RoomOS endpoint simulator (`cisco_tp`): the commune VC endpoints.

``schema.py`` the ``xConfiguration`` table, ``show.py`` the ``xStatus`` output (pure),
``session.py`` the xAPI shell, ``model.py`` its software, ``device.py`` the endpoint.
"""

from lab.device.base import DeviceKind
from lab.device.cisco_tp.device import TpDevice
from lab.device.cisco_tp.session import TpSession

DEVICE = DeviceKind(TpDevice, names=("cisco_tp",))

__all__ = ["DEVICE", "TpDevice", "TpSession"]
