"""The running twin: SSH, SNMP and SIP for every simulated device on one event loop.

:class:`TwinRuntime` is used in-process by the tests and by the twin daemon
(``python -m lab.daemon``) that ``provnet lab up`` starts in the background.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab.device import DEVICE_KINDS, SimDevice, make_device
from lab.device.server import SshEndpoint, SshTwinServer
from lab.errors import BadFault, LabError, UnknownTwinDevice
from lab.sip import SipResponder
from lab.snmp import SnmpAgent, SnmpEndpoint, V3User
from lab.state import DeviceState
from lab.twin import FAULTS, TWIN_SIP_PORT, VC_FAULTS, TwinDevice, TwinSpec, vc_fault


class TwinRuntime:
    """Starts and stops the simulators of a :class:`TwinSpec`; applies faults."""

    def __init__(self, spec: TwinSpec, host_key_path: Path) -> None:
        self.spec = spec
        self.host_key_path = host_key_path
        self.states: dict[str, DeviceState] = {d.name: d.new_state() for d in spec.devices}
        self.devices: dict[str, SimDevice] = {}
        self.snmp = SnmpAgent()
        self.ssh = SshTwinServer()
        self.sip = SipResponder()

    def _secret(self, credential: str | None, secret_field: str) -> str | None:
        if credential is None:
            return None
        return self.spec.lab_secrets.get(credential, {}).get(secret_field)

    def _snmp_endpoint(self, twin: TwinDevice, state: DeviceState) -> SnmpEndpoint:
        kinds = self.spec.credential_kinds.get(twin.snmp_credentials or "", {})
        communities: tuple[str, ...] = ()
        users: tuple[V3User, ...] = ()
        if kinds.get("kind") == "snmp_v2c":
            community = self._secret(twin.snmp_credentials, "community")
            communities = (community,) if community else ()
        elif kinds.get("kind") == "snmp_v3":
            users = (
                V3User(
                    name=kinds["username"],
                    auth_protocol=kinds["auth_protocol"],
                    auth_password=self._secret(twin.snmp_credentials, "auth_password") or "",
                    priv_protocol=kinds["priv_protocol"] or None,
                    priv_password=self._secret(twin.snmp_credentials, "priv_password"),
                ),
            )
        return SnmpEndpoint(twin.host, twin.snmp_port, state, communities, users)

    def _readers(self, twin: TwinDevice) -> tuple[tuple[str, str], ...]:
        """The read-only account of ``twin`` (its ``audit_credentials``), on a kind of device
        that has local users with levels; its password from the lab secrets. It is
        provisioned in the device's configuration, which its logins are checked against."""
        kind = DEVICE_KINDS.get(twin.platform)
        kinds = self.spec.credential_kinds.get(twin.audit_credentials or "", {})
        password = self._secret(twin.audit_credentials, "password")
        if kind is None or not kind.local_users or "username" not in kinds or not password:
            return ()
        return ((kinds["username"], password),)

    def _ssh_endpoint(self, twin: TwinDevice, device: SimDevice) -> SshEndpoint:
        kinds = self.spec.credential_kinds.get(twin.ssh_credentials or "", {})
        return SshEndpoint(
            host=twin.host,
            port=twin.ssh_port,
            device=device,
            username=kinds.get("username", "admin"),
            password=self._secret(twin.ssh_credentials, "password") or "",
            enable_secret=self._secret(twin.ssh_credentials, "enable_secret"),
        )

    async def start(self) -> None:
        endpoints = [self._snmp_endpoint(t, self.states[t.name]) for t in self.spec.devices]
        for twin, endpoint in zip(self.spec.devices, endpoints, strict=True):
            state = self.states[twin.name]
            # Provisioned with the inventory's SNMP access; the simulator's configuration
            # manages it from then on (a community added over SSH answers at once).
            state.snmp_communities = frozenset(endpoint.communities)
            state.snmp_users = endpoint.users
            state.readers = self._readers(twin)
            self.devices[twin.name] = make_device(state)
        await self.snmp.start(endpoints)
        await self.ssh.start(
            [self._ssh_endpoint(t, self.devices[t.name]) for t in self.spec.devices],
            self.host_key_path,
        )
        await self.sip.start(
            [
                (t.host, TWIN_SIP_PORT, self.states[t.name])
                for t in self.spec.devices
                if t.role == "vc_endpoint"
            ]
        )

    async def stop(self) -> None:
        await self.sip.stop()
        await self.ssh.stop()
        await self.snmp.stop()

    def state(self, name: str) -> DeviceState:
        try:
            return self.states[name]
        except KeyError:
            raise UnknownTwinDevice(f"no device '{name}' in the twin") from None

    def fault(self, name: str, kind: str, argument: str = "") -> str:
        """Apply a fault; returns what was done, in words."""
        state = self.state(name)
        if kind == "down":
            state.faults.down = True
        elif kind == "up":
            state.faults.down = False
            state.faults.slow_ms = 0
            state.faults.drop_session_after = None
            vc_fault(state, "up", "")
        elif kind == "reboot":
            state.reboot()
        elif kind == "slow":
            if not argument.isdigit():
                raise BadFault(f"slow needs a delay in milliseconds, got '{argument}'")
            state.faults.slow_ms = int(argument)
        elif kind in ("link-down", "link-up"):
            interface = state.interfaces.get(argument)
            if interface is None:
                known = ", ".join(state.interfaces)
                raise BadFault(f"{name} has no interface '{argument}' (it has {known})")
            interface.set_oper(link_up=kind == "link-up")
            state.touch()
        elif kind == "drop-snmp":
            state.faults.drop_snmp = True
        elif kind == "garbage-snmp":
            state.faults.garbage_snmp = True
        elif kind == "restore-snmp":
            state.faults.drop_snmp = False
            state.faults.garbage_snmp = False
        elif kind == "drop-session-after":
            if not argument.isdigit() or int(argument) < 1:
                raise BadFault(
                    f"drop-session-after needs a number of configuration lines, got '{argument}'"
                )
            state.faults.drop_session_after = int(argument)
        elif kind in VC_FAULTS:
            vc_fault(state, kind, argument)
        else:
            raise BadFault(f"unknown fault '{kind}' (known: {', '.join(FAULTS)})")
        return f"{name}: {kind} {argument}".strip()

    def status(self) -> list[dict[str, Any]]:
        rows = []
        for twin in self.spec.devices:
            state = self.states[twin.name]
            rows.append(
                {
                    "name": twin.name,
                    "platform": twin.platform,
                    "host": twin.host,
                    "commune_code": twin.commune_code,
                    "down": state.faults.down,
                    "slow_ms": state.faults.slow_ms,
                    "drop_snmp": state.faults.drop_snmp,
                    "garbage_snmp": state.faults.garbage_snmp,
                    "drop_session_after": state.faults.drop_session_after,
                    "unregistered": state.faults.unregistered,
                    "camera_off": state.faults.camera_off,
                    "mic_muted": state.faults.mic_muted,
                    "clock_skew_s": state.faults.clock_skew_s,
                    "media_loss_pct": state.faults.media_loss_pct,
                    "uptime_s": round(state.uptime_seconds()),
                    "interfaces_down": [i.name for i in state.interfaces.values() if not i.oper_up],
                }
            )
        return rows


async def handle_control(runtime: TwinRuntime, request: dict[str, Any]) -> dict[str, Any]:
    """One control request (from ``provnet lab status|fault|down``) to its answer."""
    op = request.get("op")
    try:
        if op == "status":
            return {"ok": True, "devices": runtime.status()}
        if op == "fault":
            done = runtime.fault(
                str(request.get("device", "")),
                str(request.get("kind", "")),
                str(request.get("argument", "")),
            )
            return {"ok": True, "done": done}
        if op == "ping":
            return {"ok": True}
    except LabError as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": False, "error": f"unknown operation '{op}'"}
