"""Gathering what the readiness check judges: per endpoint, in parallel, a management
session (status commands, optionally a test call) and SIP OPTIONS probes.

One endpoint's failure, whatever it sends back, is its finding; it never stops the others.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from checks.vc.judge import judge
from checks.vc.model import EndpointResult, Observation, SipStats, Thresholds, TrialCall
from inventory.export import connect_params
from inventory.loader import Inventory
from inventory.model import Role
from inventory.resolve import DeviceView
from inventory.secrets import SecretStore
from platforms import UnknownPlatform, network_platform
from platforms.connection import mask
from platforms.known_hosts import HostKeyFiles
from platforms.network import ConfigSession, ConnectParams, DeviceError, PipelinedSession
from platforms.sip import SIP_PORT, VcTarget, probe_endpoint
from platforms.vc import VcPlatform
from provnet.errors import NOT_CONTAINED, ProvnetError

OnDone = Callable[[EndpointResult], None]
SIP_CONCURRENCY = 256


@dataclass(frozen=True)
class CheckOptions:
    limits: Thresholds = field(default_factory=Thresholds)
    concurrency: int = 32
    ssh_timeout: float = 10.0
    known_hosts: str | None = None
    test_call: str | None = None  # number to dial; None: no test call
    call_seconds: float = 10.0
    sip_port: int = SIP_PORT


def vc_endpoints(views: Sequence[DeviceView]) -> list[DeviceView]:
    """The video-conference endpoints among ``views``."""
    return [v for v in views if v.role is Role.VC_ENDPOINT]


def vc_platform(name: str) -> VcPlatform | None:
    try:
        net = network_platform(name)
    except UnknownPlatform:
        return None
    return net if isinstance(net, VcPlatform) else None


def blank_observation(view: DeviceView) -> Observation:
    registrar = view.data.get("sip_registrar")
    return Observation(
        device=view.name,
        platform=view.platform,
        commune_code=view.commune_code,
        commune_name=view.commune_name,
        site=view.site.id,
        host=view.host,
        expected_registrar=str(registrar) if registrar else None,
    )


async def sip_stats(host: str, port: int, limits: Thresholds) -> SipStats:
    """``limits.probes`` OPTIONS one after another, each given ``probe_timeout_s``."""
    target = VcTarget(host, port, "udp")
    rtts: list[float] = []
    for number in range(limits.probes):
        if number:
            await asyncio.sleep(limits.probe_interval_s)
        deadline = time.monotonic() + limits.probe_timeout_s
        outcome = await probe_endpoint(target, deadline, retransmit=False)
        if outcome.rtt is not None:
            rtts.append(outcome.rtt)
    return SipStats(limits.probes, tuple(rtts))


def show_all(session: ConfigSession, commands: Sequence[str]) -> dict[str, str]:
    """Each command's output, in one round trip where the platform's session answers
    commands written together; a command not answered is missing."""
    if isinstance(session, PipelinedSession):
        return session.show_many(commands)
    outputs: dict[str, str] = {}
    for command in commands:
        try:
            outputs[command] = session.show(command)
        except DeviceError:
            continue
    return outputs


def _problem(exc: BaseException, secrets: Sequence[str]) -> str:
    """What went wrong, in words safe to print (provnet's errors carry no secret; anything
    else is named by its type, and masked all the same)."""
    text = str(exc) if isinstance(exc, ProvnetError) else type(exc).__name__
    return mask(text, [s for s in secrets if s]).strip() or type(exc).__name__


@dataclass
class Collector:
    """The blocking part, in a worker thread: one endpoint's management session."""

    inventory: Inventory
    store: SecretStore
    options: CheckOptions
    host_keys: HostKeyFiles | None

    def params(self, view: DeviceView) -> ConnectParams:
        keys = self.host_keys
        known = None if keys is None else keys.for_host(view.host, view.ssh_port)
        return connect_params(self.inventory, view, self.store, known, self.options.ssh_timeout)

    def collect(self, view: DeviceView, vc: VcPlatform, obs: Observation) -> Observation:
        secrets: list[str] = []
        try:
            params = self.params(view)
            secrets = [params.password, params.secret]
            session = network_platform(view.platform).connect(params)
        except NOT_CONTAINED:
            raise
        except BaseException as exc:
            return replace(obs, session_error=_problem(exc, secrets))
        try:
            return self.read(session, vc, obs)
        except NOT_CONTAINED:
            raise
        except BaseException as exc:
            return replace(obs, session_error=_problem(exc, secrets))
        finally:
            try:
                session.close()
            except NOT_CONTAINED:
                raise
            except BaseException:
                pass  # the endpoint hung up first: nothing left to close

    def read(self, session: ConfigSession, vc: VcPlatform, obs: Observation) -> Observation:
        before = time.time()
        outputs = show_all(session, vc.readiness_commands)
        after = time.time()
        missing = [c for c in vc.readiness_commands if c not in outputs]
        status = vc.endpoint_status(outputs)
        offset = None
        if status.clock is not None:
            # The endpoint shows whole seconds: its clock is, on average, half a second on.
            offset = status.clock.timestamp() + 0.5 - (before + after) / 2
        call = None
        if self.options.test_call is not None:
            call = self.test_call(session, vc, self.options.test_call, status.calls > 0)
        return replace(
            obs,
            status=status,
            missing=tuple(missing),
            clock_offset_s=offset,
            unmute=vc.unmute_command,
            test_call=call,
        )

    def test_call(
        self, session: ConfigSession, vc: VcPlatform, number: str, busy: bool
    ) -> TrialCall:
        """Dial, keep the call ``call_seconds``, read its media, hang up; never while the
        endpoint is already in a call."""
        if busy:
            return TrialCall(number, connected=False, skipped_in_call=True)
        answer = session.show(vc.dial_command(number))
        call_id = vc.dialled_call(answer)
        if not call_id:
            first = next((ln.strip() for ln in answer.splitlines() if "Reason" in ln), "")
            return TrialCall(number, connected=False, error=first or "dial refused")
        try:
            time.sleep(self.options.call_seconds)
            calls = vc.calls(show_all(session, vc.call_commands))
        finally:
            session.show(vc.hangup_command(call_id))
        call = next((c for c in calls if c.call_id == call_id), None)
        if call is None or not call.connected:
            return TrialCall(number, connected=False, error=call.status if call else "no call")
        return TrialCall(number, connected=True, channels=call.channels)


async def check_endpoints(
    inventory: Inventory,
    views: Sequence[DeviceView],
    store: SecretStore,
    options: CheckOptions,
    on_done: OnDone | None = None,
) -> list[EndpointResult]:
    """Every endpoint of ``views`` checked, ``options.concurrency`` at a time, in order."""
    host_keys = None if options.known_hosts is None else HostKeyFiles(Path(options.known_hosts))
    collector = Collector(inventory, store, options, host_keys)
    pool = ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="vc-check")
    gate = asyncio.Semaphore(options.concurrency)
    # A UDP socket per probing endpoint is cheap; dead endpoints wait out their timeouts
    # side by side rather than in batches.
    sip_gate = asyncio.Semaphore(max(options.concurrency, SIP_CONCURRENCY))
    loop = asyncio.get_running_loop()

    # SIP first, for every endpoint at once, while no SSH session runs: the handshakes'
    # cryptography (and the GIL it holds) would otherwise show up as network jitter.
    async def probe(view: DeviceView) -> SipStats:
        async with sip_gate:
            return await sip_stats(view.host, options.sip_port, options.limits)

    platforms = [vc_platform(v.platform) for v in views]
    sips = await asyncio.gather(
        *(probe(v) for v, vc in zip(views, platforms, strict=True) if vc is not None)
    )
    measured = iter(sips)

    async def one(view: DeviceView, vc: VcPlatform | None, sip: SipStats | None) -> EndpointResult:
        obs = blank_observation(view)
        if vc is None or sip is None:
            result = judge(replace(obs, checkable=False), options.limits)
        else:
            async with gate:
                obs = await loop.run_in_executor(pool, collector.collect, view, vc, obs)
            result = judge(replace(obs, sip=sip), options.limits)
        if on_done is not None:
            on_done(result)
        return result

    try:
        jobs = [
            one(view, vc, None if vc is None else next(measured))
            for view, vc in zip(views, platforms, strict=True)
        ]
        return list(await asyncio.gather(*jobs))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
