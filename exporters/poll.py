"""Reachability and uptime of devices over SNMP (v2c or v3), concurrently, with pysnmp.

This is the simple poller the demo and the twin's tests use; the fast engine of
the multi-target exporter comes with the exporter itself. A device that does not
answer is a result (``reachable=False`` with the reason), never an exception.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pysnmp.hlapi.v3arch import asyncio as snmp

from inventory.loader import Inventory
from inventory.model import SnmpV2cCredential, SnmpV3Credential
from inventory.resolve import DeviceView
from inventory.secrets import SecretStore

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"

AUTH_PROTOCOLS = {
    "MD5": snmp.usmHMACMD5AuthProtocol,
    "SHA": snmp.usmHMACSHAAuthProtocol,
    "SHA224": snmp.usmHMAC128SHA224AuthProtocol,
    "SHA256": snmp.usmHMAC192SHA256AuthProtocol,
    "SHA384": snmp.usmHMAC256SHA384AuthProtocol,
    "SHA512": snmp.usmHMAC384SHA512AuthProtocol,
}
PRIV_PROTOCOLS = {
    "DES": snmp.usmDESPrivProtocol,
    "AES": snmp.usmAesCfb128Protocol,
    "AES192": snmp.usmAesBlumenthalCfb192Protocol,
    "AES256": snmp.usmAesBlumenthalCfb256Protocol,
}


@dataclass(frozen=True)
class PollTarget:
    name: str
    host: str
    port: int
    auth: Any  # pysnmp CommunityData or UsmUserData; holds secrets, never printed

    def __repr__(self) -> str:
        return f"PollTarget({self.name!r}, {self.host}:{self.port})"


@dataclass(frozen=True)
class PollResult:
    name: str
    reachable: bool
    uptime_seconds: float | None = None
    sys_name: str | None = None
    rtt_seconds: float | None = None
    error: str = ""


def snmp_auth(inv: Inventory, view: DeviceView, store: SecretStore) -> Any:
    """pysnmp authentication data for a device's SNMP credential set, resolved now."""
    name = view.snmp_credentials or ""
    credential = inv.settings.credentials.get(name)
    if isinstance(credential, SnmpV2cCredential):
        community = store.resolve(credential.community, f"{name}.community").reveal()
        return snmp.CommunityData(community, mpModel=1)
    if isinstance(credential, SnmpV3Credential):
        auth_key = store.resolve(credential.auth_password, f"{name}.auth_password").reveal()
        priv_key = None
        priv_protocol = snmp.usmNoPrivProtocol
        if credential.security_level == "authPriv" and credential.priv_password is not None:
            priv_key = store.resolve(credential.priv_password, f"{name}.priv_password").reveal()
            priv_protocol = PRIV_PROTOCOLS[credential.priv_protocol or "AES"]
        return snmp.UsmUserData(
            credential.username,
            authKey=auth_key,
            privKey=priv_key,
            authProtocol=AUTH_PROTOCOLS[credential.auth_protocol],
            privProtocol=priv_protocol,
        )
    return None


def targets_for(
    inv: Inventory, views: Sequence[DeviceView], store: SecretStore
) -> list[PollTarget]:
    return [
        PollTarget(v.name, v.host, v.snmp_port, snmp_auth(inv, v, store))
        for v in views
        if v.snmp_credentials
    ]


async def _poll_one(
    engine: Any, target: PollTarget, timeout: float, retries: int, gate: asyncio.Semaphore
) -> PollResult:
    async with gate:
        started = time.perf_counter()
        try:
            transport = await snmp.UdpTransportTarget.create(
                (target.host, target.port), timeout=timeout, retries=retries
            )
            error_indication, error_status, _, var_binds = await snmp.get_cmd(
                engine,
                target.auth,
                transport,
                snmp.ContextData(),
                snmp.ObjectType(snmp.ObjectIdentity(SYS_UPTIME)),
                snmp.ObjectType(snmp.ObjectIdentity(SYS_NAME)),
            )
        except Exception as exc:
            return PollResult(target.name, False, error=type(exc).__name__)
        rtt = time.perf_counter() - started
        if error_indication or error_status:
            return PollResult(target.name, False, error=str(error_indication or error_status))
        values = {str(oid): value for oid, value in var_binds}
        uptime = values.get(SYS_UPTIME)
        name = values.get(SYS_NAME)
        return PollResult(
            target.name,
            True,
            uptime_seconds=int(uptime) / 100 if uptime is not None else None,
            sys_name=str(name) if name is not None else None,
            rtt_seconds=rtt,
        )


async def poll(
    targets: Sequence[PollTarget], timeout: float = 1.0, retries: int = 0, concurrency: int = 64
) -> list[PollResult]:
    """Poll every target once; results in the order of ``targets``."""
    engine = snmp.SnmpEngine()
    gate = asyncio.Semaphore(concurrency)
    try:
        return list(
            await asyncio.gather(*(_poll_one(engine, t, timeout, retries, gate) for t in targets))
        )
    finally:
        engine.close_dispatcher()
