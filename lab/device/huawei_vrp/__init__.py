"""Huawei VRP simulator (`huawei_vrp`, also answering to Netmiko's `huawei`)."""

from lab.device.base import DeviceKind
from lab.device.huawei_vrp.session import VrpDevice, VrpSession

DEVICE = DeviceKind(VrpDevice, names=("huawei_vrp", "huawei"), ssh_server_version="HUAWEI-1.5")

__all__ = ["DEVICE", "VrpDevice", "VrpSession"]
