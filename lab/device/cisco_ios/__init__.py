"""Cisco IOS and IOS-XE simulators (being split into files by concern)."""

from lab.device.cisco_ios.session import IosDevice, IosSession, IosXeDevice

__all__ = ["IosDevice", "IosSession", "IosXeDevice"]
