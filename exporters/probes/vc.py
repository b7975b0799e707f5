"""``vc``: liveness and round-trip time of a video-conference endpoint by SIP OPTIONS.

``/probe?module=vc&target=HOST[:PORT]`` (port 5060 by default; ``transport=udp`` or
``tcp``) sends an RFC 3261 OPTIONS request ("SIP ping", the client is
``platforms/sip.py``, shared with the readiness check) and records whether and how fast
the endpoint answered. A dead endpoint is ``provnet_sip_up 0``, never an error.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import cast

from exporters.module import MetricFamily, ProbeTargets
from exporters.probes.common import ProbeParameterError, parse_host_port
from inventory.model import Role
from platforms.sip import SIP_PORT, SipOutcome, Transport, VcTarget, probe_endpoint


def parse_params(target: str, params: Mapping[str, str]) -> VcTarget:
    """The endpoint to probe; :class:`ProbeParameterError` naming the target when malformed."""
    host, port = parse_host_port(target, SIP_PORT)
    transport = params.get("transport", "udp").strip().lower() or "udp"
    if transport not in ("udp", "tcp"):
        raise ProbeParameterError(f"target '{target}': transport '{transport}' is not udp or tcp")
    return VcTarget(host, port, cast(Transport, transport))


def metric_families(outcome: SipOutcome, duration: float) -> list[MetricFamily]:
    """The probe's metrics; RTT and status code only when the endpoint answered."""
    up = MetricFamily(
        "provnet_sip_up", "gauge", "1 khi điểm cầu trả lời SIP OPTIONS (VC endpoint answers)."
    )
    up.add(1.0 if outcome.up else 0.0)
    families = [up]
    if outcome.rtt is not None:
        rtt = MetricFamily(
            "provnet_sip_rtt_seconds",
            "gauge",
            "Thời gian khứ hồi SIP OPTIONS (round-trip time of the answered OPTIONS).",
        )
        rtt.add(outcome.rtt)
        families.append(rtt)
    if outcome.status is not None:
        code = MetricFamily(
            "provnet_sip_status_code",
            "gauge",
            "Mã trạng thái SIP của phản hồi (SIP status code of the response).",
        )
        code.add(float(outcome.status))
        families.append(code)
    attempts = MetricFamily(
        "provnet_sip_requests_sent",
        "gauge",
        "Số yêu cầu OPTIONS đã gửi, kể cả gửi lại (OPTIONS requests sent incl. retries).",
    )
    attempts.add(float(outcome.attempts))
    families.append(attempts)
    spent = MetricFamily(
        "provnet_probe_duration_seconds", "gauge", "Thời gian thăm dò (probe duration)."
    )
    spent.add(duration)
    families.append(spent)
    return families


class VcModule:
    """The ``vc`` probe module (implements :class:`exporters.module.ProbeModule`)."""

    name = "vc"
    targets = ProbeTargets(order=0, roles=frozenset({Role.VC_ENDPOINT}), port=SIP_PORT)

    async def probe(
        self, target: str, params: Mapping[str, str], deadline: float
    ) -> list[MetricFamily]:
        started = time.monotonic()
        endpoint = parse_params(target, params)
        outcome = await probe_endpoint(endpoint, deadline)
        return metric_families(outcome, time.monotonic() - started)


MODULE = VcModule()
