"""Huawei VRP simulator (being split into files by concern)."""

from lab.device.huawei_vrp.session import VrpDevice, VrpSession

__all__ = ["VrpDevice", "VrpSession"]
