"""Post-checks of the network changes: run after a push, each says pass or fail with what
it saw (never a secret).

- :class:`Ipv6Address`: the planned IPv6 address is on the WAN (router) or LAN interface,
  read from the device with the command its platform names (``show ipv6 interface brief``);
- :class:`SshReachable`: management still works: a fresh SSH session logs in;
- :class:`SnmpAnswers`: SNMP still answers a GET of sysUpTime with the device's credential
  set (v3 or v2c);
- :class:`SipRegistered`: a VC endpoint is registered to its SIP registrar.

What to run and how to read it is the platform's (:class:`~platforms.network.NetworkPlatform`);
the verdicts are pure, so fixtures test them; the I/O is in ``run``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from pathlib import Path

from gufo.snmp import User
from gufo.snmp.sync.client import SnmpSession

from deploys.network.base import CheckContext, CheckResult
from deploys.network.context import lan, wan
from inventory.errors import SecretUnavailable
from inventory.export import connect_params
from inventory.model import Role, SnmpV2cCredential, SnmpV3Credential
from inventory.secrets import SecretStore
from platforms import network_platform
from platforms.network import ConfigSession, ConnectParams, DeviceError, SipPlatform
from platforms.snmp import AUTH_KEYS, PRIV_KEYS, SYS_UPTIME
from provnet.errors import NOT_CONTAINED

SNMP_TIMEOUT_S = 3.0
SSH_TIMEOUT_S = 15.0


# -- decisions ------------------------------------------------------------------------
def expected_ipv6(context: CheckContext) -> tuple[str, ipaddress.IPv6Address]:
    """Where the change put the device's IPv6 address: (interface, address)."""
    device = context.device
    if device.role is Role.WAN_ROUTER:
        uplink = wan(context.inventory, device)
        return uplink.interface, uplink.ipv6.ip
    segment = lan(context.inventory, device)
    return segment.interface, segment.ipv6.ip


# -- the checks ----------------------------------------------------------------------------
class Ipv6Address:
    name = "ipv6-address"

    def run(self, session: ConfigSession, context: CheckContext) -> CheckResult:
        interface, address = expected_ipv6(context)
        platform = context.device.platform
        try:
            output = session.show(network_platform(platform).ipv6_command)
        except DeviceError as exc:
            return CheckResult(self.name, False, str(exc))
        return ipv6_verdict(self.name, platform, output, interface, address)


def ipv6_verdict(
    name: str, platform: str, output: str, interface: str, address: ipaddress.IPv6Address
) -> CheckResult:
    """Pass when ``address`` is among the global addresses ``output`` shows on ``interface``."""
    net = network_platform(platform)
    seen = net.ipv6_addresses(output, interface)
    where = net.ipv6_where(interface)
    shown = ", ".join(str(a) for a in seen) or "-"
    return CheckResult(name, address in seen, f"{where}: {shown} (cần/expected {address})")


def _store(context: CheckContext) -> SecretStore:
    store = SecretStore.from_environment(context.inventory.root)
    if context.secrets_file is not None:
        store.secrets_file = Path(context.secrets_file)
    return store


Connector = Callable[[str, ConnectParams], ConfigSession]


def _network_connect(platform: str, params: ConnectParams) -> ConfigSession:
    return network_platform(platform).connect(params)


class SshReachable:
    """A fresh SSH session logs in and answers: the change did not lock management out."""

    name = "ssh-reachable"

    def __init__(
        self, connect: Connector = _network_connect, timeout: float = SSH_TIMEOUT_S
    ) -> None:
        self.connect = connect
        self.timeout = timeout

    def run(self, session: ConfigSession, context: CheckContext) -> CheckResult:
        device = context.device
        try:
            params = connect_params(
                context.inventory, device, _store(context), context.known_hosts, self.timeout
            )
        except SecretUnavailable as exc:
            return CheckResult(self.name, False, str(exc))
        try:
            probe = network_platform(device.platform).liveness_command
            fresh = self.connect(device.platform, params)
            try:
                output = fresh.show(probe)
            finally:
                fresh.close()
        except (DeviceError, OSError, TimeoutError) as exc:
            return CheckResult(self.name, False, f"{device.host}:{device.ssh_port}: {exc}")
        except NOT_CONTAINED:
            raise
        except BaseException as exc:
            return CheckResult(
                self.name, False, f"{device.host}:{device.ssh_port}: {type(exc).__name__}"
            )
        return CheckResult(
            self.name, bool(output.strip()), f"{device.host}:{device.ssh_port}: {probe}"
        )


class SnmpAnswers:
    """sysUpTime.0 answers with the device's SNMP credential set."""

    name = "snmp-answers"

    def __init__(self, timeout: float = SNMP_TIMEOUT_S) -> None:
        self.timeout = timeout

    def run(self, session: ConfigSession, context: CheckContext) -> CheckResult:
        device = context.device
        where = f"{device.host}:{device.snmp_port}"
        name = device.snmp_credentials
        credential = context.inventory.settings.credentials.get(name) if name else None
        try:
            uptime = snmp_uptime(
                device.host, device.snmp_port, credential, _store(context), name, self.timeout
            )
        except SecretUnavailable as exc:
            return CheckResult(self.name, False, str(exc))
        except NOT_CONTAINED:
            raise
        except BaseException as exc:
            return CheckResult(self.name, False, f"{where}: {type(exc).__name__}")
        return CheckResult(self.name, True, f"{where}: sysUpTime {uptime}")


def snmp_uptime(
    host: str,
    port: int,
    credential: object,
    store: SecretStore,
    name: str | None,
    timeout: float = SNMP_TIMEOUT_S,
) -> int:
    """sysUpTime.0 (hundredths of a second) over SNMP v3 or v2c; raises on no answer."""
    purpose = f"credential set {name}"
    if isinstance(credential, SnmpV3Credential):
        user = v3_user(credential, store, purpose)
        with SnmpSession(addr=host, port=port, user=user, timeout=timeout) as snmp:
            value = snmp.get(SYS_UPTIME)
    elif isinstance(credential, SnmpV2cCredential):
        community = store.resolve(credential.community, purpose).reveal()
        with SnmpSession(addr=host, port=port, community=community, timeout=timeout) as snmp:
            value = snmp.get(SYS_UPTIME)
    else:
        raise SecretUnavailable(f"no SNMP credential set ({name or 'none'})")
    if not isinstance(value, int):
        raise TypeError("sysUpTime is not a number")
    return value


def v3_user(credential: SnmpV3Credential, store: SecretStore, purpose: str) -> User:
    auth_kind = AUTH_KEYS[credential.auth_protocol]
    auth = auth_kind(store.resolve(credential.auth_password, purpose).reveal().encode())
    priv = None
    if credential.security_level == "authPriv" and credential.priv_password is not None:
        priv_kind, _ = PRIV_KEYS[credential.priv_protocol or "AES"]
        priv = priv_kind(store.resolve(credential.priv_password, purpose).reveal().encode())
    return User(credential.username, auth_key=auth, priv_key=priv)


class SipRegistered:
    """A VC endpoint reports ``SIP Registration 1 Status: Registered``."""

    name = "sip-registered"
    path = "SIP Registration 1 Status"

    def run(self, session: ConfigSession, context: CheckContext) -> CheckResult:
        platform = context.device.platform
        net = sip_platform(platform)
        if net is None:
            return CheckResult(self.name, False, no_sip(platform))
        try:
            output = session.show(net.sip_registration_command)
        except DeviceError as exc:
            return CheckResult(self.name, False, str(exc))
        return sip_verdict(self.name, output, platform)


def sip_platform(platform: str) -> SipPlatform | None:
    """The platform, when its devices register to SIP."""
    net = network_platform(platform)
    return net if isinstance(net, SipPlatform) else None


def no_sip(platform: str) -> str:
    return f"nền tảng {platform} không đăng ký SIP (platform {platform} does not register to SIP)"


def sip_verdict(name: str, output: str, platform: str = "cisco_tp") -> CheckResult:
    """Pass when ``output`` (of the platform's SIP registration command) says registered."""
    net = sip_platform(platform)
    if net is None:
        return CheckResult(name, False, no_sip(platform))
    registration = net.sip_registration(output)
    detail = f"SIP Registration 1 Status: {registration.status}"
    if registration.reason:
        detail += f" ({registration.reason})"
    return CheckResult(name, registration.registered, detail)
