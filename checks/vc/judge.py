"""An endpoint's observation -> its findings (pure: a data fixture tests every case)."""

from __future__ import annotations

from collections.abc import Iterable

from checks.vc.model import (
    CommuneResult,
    EndpointResult,
    Finding,
    Observation,
    SipStats,
    Thresholds,
    TrialCall,
)
from platforms.vc import CAMERA, DISPLAY, MICROPHONE, EndpointStatus

BAD_DIAGNOSTIC_LEVELS = frozenset({"critical", "error"})
PERIPHERALS = ((CAMERA, "camera_off"), (MICROPHONE, "microphone_off"), (DISPLAY, "display_off"))


def _fmt(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def sip_findings(sip: SipStats, limits: Thresholds) -> list[Finding]:
    if sip.sent and not sip.rtts:
        return [Finding("sip_no_answer", {"sent": str(sip.sent)})]
    found = []
    if sip.loss_pct > limits.loss_pct:
        found.append(
            Finding("sip_loss", {"loss_pct": _fmt(sip.loss_pct), "max_pct": _fmt(limits.loss_pct)})
        )
    if sip.one_way_ms > limits.one_way_delay_ms:
        found.append(
            Finding(
                "sip_delay",
                {"delay_ms": _fmt(sip.one_way_ms), "max_ms": _fmt(limits.one_way_delay_ms)},
            )
        )
    if sip.jitter_ms > limits.jitter_ms:
        found.append(
            Finding(
                "sip_jitter", {"jitter_ms": _fmt(sip.jitter_ms), "max_ms": _fmt(limits.jitter_ms)}
            )
        )
    return found


def status_findings(obs: Observation, status: EndpointStatus, limits: Thresholds) -> list[Finding]:
    found = [Finding("status_missing", {"what": what}) for what in obs.missing]
    registration = status.registration
    if not registration.registered:
        found.append(
            Finding(
                "unregistered",
                {
                    "status": registration.status,
                    "reason": registration.reason,
                    "device": obs.device,
                },
            )
        )
    elif obs.expected_registrar and status.registrar.lower() != obs.expected_registrar.lower():
        found.append(
            Finding(
                "wrong_registrar",
                {
                    "registrar": status.registrar or "?",
                    "expected": obs.expected_registrar,
                    "device": obs.device,
                },
            )
        )
    for message in status.diagnostics:
        if message.level.lower() in BAD_DIAGNOSTIC_LEVELS:
            found.append(
                Finding(
                    "diagnostics",
                    {"level": message.level, "description": message.description or message.kind},
                )
            )
    for kind, code in PERIPHERALS:
        if not any(p.kind == kind and p.connected for p in status.peripherals):
            found.append(Finding(code))
    if status.microphones_muted:
        found.append(Finding("mic_muted", {"unmute": obs.unmute}))
    if obs.clock_offset_s is not None and abs(obs.clock_offset_s) > limits.clock_offset_s:
        found.append(
            Finding(
                "clock_skew",
                {"offset_s": _fmt(obs.clock_offset_s), "max_s": _fmt(limits.clock_offset_s)},
            )
        )
    return found


def call_findings(call: TrialCall, limits: Thresholds) -> list[Finding]:
    if call.skipped_in_call:
        return [Finding("in_call")]
    if not call.connected:
        return [Finding("call_failed", {"number": call.number, "error": call.error or "-"})]
    packets = sum(c.packets for c in call.channels)
    lost = sum(c.lost for c in call.channels)
    found = []
    loss = 100.0 * lost / packets if packets else 0.0
    if loss > limits.loss_pct:
        found.append(
            Finding("call_loss", {"loss_pct": _fmt(loss), "max_pct": _fmt(limits.loss_pct)})
        )
    jitter = max((c.jitter_ms for c in call.channels), default=0.0)
    if jitter > limits.jitter_ms:
        found.append(
            Finding("call_jitter", {"jitter_ms": _fmt(jitter), "max_ms": _fmt(limits.jitter_ms)})
        )
    return found


def judge(obs: Observation, limits: Thresholds) -> EndpointResult:
    """The findings of one endpoint (none: ready)."""
    if not obs.checkable:
        return EndpointResult(obs, (Finding("not_checkable", {"platform": obs.platform}),))
    found = sip_findings(obs.sip, limits)
    if obs.session_error is not None:
        found.insert(0, Finding("unreachable", {"error": obs.session_error}))
    elif obs.status is not None:
        found += status_findings(obs, obs.status, limits)
    if obs.test_call is not None:
        found += call_findings(obs.test_call, limits)
    return EndpointResult(obs, tuple(found))


def by_commune(results: Iterable[EndpointResult]) -> tuple[CommuneResult, ...]:
    """Endpoints grouped by commune (province-level endpoints under their site), in order."""
    groups: dict[str, list[EndpointResult]] = {}
    names: dict[str, str] = {}
    for result in results:
        obs = result.observation
        key = obs.commune_code or obs.site
        groups.setdefault(key, []).append(result)
        names[key] = obs.commune_name or obs.site
    return tuple(CommuneResult(k, names[k], tuple(v)) for k, v in groups.items())
