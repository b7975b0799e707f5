"""Reachability and uptime of devices over SNMP (v2c or v3), concurrently.

The simple poller the demo and the twin's tests use, on the exporter's engine (gufo-snmp,
see :mod:`exporters.snmp.engine`). A device that does not answer is a result
(``reachable=False`` with the reason), never an exception.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from exporters.modules.system import SYS_NAME
from exporters.snmp.config import Auth
from exporters.snmp.credentials import auth_from_credential
from exporters.snmp.engine import Client, Counters, SessionPool, Target, error_kind
from exporters.snmp.series import value_as_string
from inventory.loader import Inventory
from inventory.resolve import DeviceView
from inventory.secrets import SecretStore
from platforms.snmp import SYS_UPTIME


@dataclass(frozen=True)
class PollTarget:
    name: str
    host: str
    port: int
    auth: Auth | None  # holds secrets (masked when printed)

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


def snmp_auth(inv: Inventory, view: DeviceView, store: SecretStore) -> Auth | None:
    """The device's SNMP credential set as an exporter auth, secrets resolved now."""
    name = view.snmp_credentials or ""
    credential = inv.settings.credentials.get(name)
    if credential is None:
        return None
    try:
        return auth_from_credential(name, credential, store)
    except LookupError:
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
    target: PollTarget, timeout: float, retries: int, gate: asyncio.Semaphore, pool: SessionPool
) -> PollResult:
    if target.auth is None:
        return PollResult(target.name, False, error="no SNMP credential")
    async with gate:
        started = time.perf_counter()
        client = Client(
            Target(target.host, target.port), target.auth, pool, Counters(), timeout, retries
        )
        try:
            values = await client.get([SYS_UPTIME, SYS_NAME], per_pdu=2)
        except Exception as exc:
            return PollResult(target.name, False, error=error_kind(exc))
        finally:
            client.close()
        rtt = time.perf_counter() - started
        uptime = values.get(SYS_UPTIME)
        name = values.get(SYS_NAME)
        return PollResult(
            target.name,
            True,
            uptime_seconds=uptime / 100 if isinstance(uptime, int) else None,
            sys_name=value_as_string(name, "DisplayString") if name is not None else None,
            rtt_seconds=rtt,
        )


async def poll(
    targets: Sequence[PollTarget], timeout: float = 1.0, retries: int = 0, concurrency: int = 64
) -> list[PollResult]:
    """Poll every target once; results in the order of ``targets``."""
    gate = asyncio.Semaphore(concurrency)
    pool = SessionPool()
    return list(
        await asyncio.gather(*(_poll_one(t, timeout, retries, gate, pool) for t in targets))
    )
