"""Cisco IOS simulator (`cisco_ios`): routers and Catalyst switches on the twin.

``grammar.py`` the command tables, ``show.py`` the show output (pure functions of the
device), ``handlers.py`` the configuration commands that are more than a line,
``session.py`` one login (modes, prompts, EXEC commands), ``device.py`` the box.
IOS-XE (``lab.device.cisco_xe``) is this package with another model and file system.
"""

from lab.device.base import DeviceKind
from lab.device.cisco_ios.device import IosDevice
from lab.device.cisco_ios.session import IosSession

DEVICE = DeviceKind(
    IosDevice, names=("cisco_ios",), ssh_server_version="Cisco-1.25", local_users=True
)

__all__ = ["DEVICE", "IosDevice", "IosSession"]
