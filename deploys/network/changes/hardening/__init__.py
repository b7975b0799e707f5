"""Hardening of routers, switches and firewalls (Cisco IOS / IOS XE, Huawei VRP).

Hostname, login banner, NTP and syslog to the province's servers, SNMPv3 only (every
v1/v2c community removed), SSH v2 only from the management prefixes (IPv4 and IPv6 ACLs
on the vty lines), the local user of the device's SSH credential set, exec timeout and
login-failure blocking; and the read-only account of its ``audit_credentials`` (IOS
privilege 1 with ``file privilege 1``, VRP level 1 with ``display current-configuration``
lowered to it), which ``provnet audit --source live`` reads configurations with: a device
without such a set gets none, and its plan says why. Secrets stay placeholders until the
engine pushes (see docs/changes.md).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from deploys.network.base import PostCheck
from deploys.network.checks import SnmpAnswers, SshReachable
from deploys.network.context import (
    NETWORK_ROLES,
    audit_account,
    device_context,
    management_acl,
    render,
    skip_for,
    snmp_user,
    ssh_user,
)
from deploys.network.render import template_platforms
from inventory.loader import Inventory
from inventory.resolve import DeviceView
from platforms.network import Intent

# The change's own folder: one template per platform it supports (``<platform>.j2``).
FOLDER = Path(__file__).resolve().parent
PLATFORMS = template_platforms(FOLDER)


class Hardening:
    name = "hardening"
    description = (
        "Tăng cường an toàn thiết bị mạng: NTP, syslog, SNMPv3, SSH, ACL quản trị "
        "(network device hardening: NTP, syslog, SNMPv3, SSH, management ACL)"
    )
    # The order docs/changes.md gives for a new site: the device is connected and
    # addressed before its management access is narrowed to the management prefixes.
    after: tuple[str, ...] = ("level2_wan", "ipv6_migration")

    def skip_reason(self, device: DeviceView) -> str | None:
        return skip_for(device, NETWORK_ROLES, PLATFORMS)

    def context(self, inventory: Inventory, device: DeviceView) -> dict[str, Any]:
        return {
            **device_context(inventory, device),
            "snmp": snmp_user(inventory, device),
            "user": ssh_user(inventory, device),
            "audit": audit_account(inventory, device).user,
            "acl": management_acl(inventory),
        }

    def render(self, inventory: Inventory, device: DeviceView) -> Intent:
        intent = render(FOLDER, device.platform, self.context(inventory, device))
        note = audit_account(inventory, device).note
        return replace(intent, notes=(note,)) if note else intent

    def post_checks(self, device: DeviceView) -> list[PostCheck]:
        return [SshReachable(), SnmpAnswers()]


CHANGE = Hardening()
