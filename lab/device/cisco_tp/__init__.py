"""Cisco TelePresence endpoint simulator (being split into files by concern)."""

from lab.device.cisco_tp.device import TpDevice, TpSession

__all__ = ["TpDevice", "TpSession"]
