"""Huawei VRP simulator (`huawei_vrp`, also Netmiko's `huawei`): AR routers, S switches.

``grammar.py`` the command tables, ``show.py`` the display output (pure functions of the
device), ``handlers.py`` the configuration commands that are more than a line,
``session.py`` one login (views, prompts, user-view commands), ``model.py`` the first
configuration, ``device.py`` the box.
"""

from lab.device.base import DeviceKind
from lab.device.huawei_vrp.device import VrpDevice
from lab.device.huawei_vrp.session import VrpSession

DEVICE = DeviceKind(
    VrpDevice, names=("huawei_vrp", "huawei"), ssh_server_version="HUAWEI-1.5", local_users=True
)

__all__ = ["DEVICE", "VrpDevice", "VrpSession"]
