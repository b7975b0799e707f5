"""Cisco IOS-XE simulator (`cisco_xe`): ISR 4000, CSR1000v, Catalyst 9000 on the twin.

The IOS engine of ``lab.device.cisco_ios`` with the XE models, ``bootflash:`` and the
XE lines of a first configuration (``xe = True``).
"""

from lab.device.base import DeviceKind
from lab.device.cisco_ios.device import IosDevice


class IosXeDevice(IosDevice):
    """A Cisco IOS-XE box (ISR 4000, CSR1000v, Catalyst 9000)."""

    platform = "cisco_xe"
    xe = True


DEVICE = DeviceKind(
    IosXeDevice, names=("cisco_xe",), ssh_server_version="Cisco-1.25", local_users=True
)

__all__ = ["DEVICE", "IosXeDevice"]
