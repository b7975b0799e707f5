"""Thresholds, what was observed of one endpoint, findings and verdicts (data only)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Literal

import yaml

from platforms.vc import EndpointStatus, MediaChannel

Lang = Literal["vi", "en"]


class Verdict(StrEnum):
    READY = "ready"
    DEGRADED = "degraded"
    NOT_READY = "not_ready"

    @property
    def rank(self) -> int:
        return ORDER.index(self)

    def label(self, lang: Lang) -> str:
        return LABELS[self][lang]


ORDER = (Verdict.READY, Verdict.DEGRADED, Verdict.NOT_READY)
LABELS: dict[Verdict, dict[Lang, str]] = {
    Verdict.READY: {"vi": "sẵn sàng", "en": "ready"},
    Verdict.DEGRADED: {"vi": "hạn chế", "en": "degraded"},
    Verdict.NOT_READY: {"vi": "chưa sẵn sàng", "en": "not ready"},
}


def worst(verdicts: list[Verdict]) -> Verdict:
    return max(verdicts, key=lambda v: v.rank, default=Verdict.READY)


@dataclass(frozen=True)
class Thresholds:
    """Limits of a ready endpoint. Defaults: one-way delay 150 ms, jitter 10 ms, loss 1 %
    (ITU-T G.114 and Cisco's and Polycom's video deployment guides); the clock bound is
    provnet's (SIP digest and TLS tolerate minutes; logs and recordings need seconds)."""

    one_way_delay_ms: float = 150.0
    jitter_ms: float = 10.0
    loss_pct: float = 1.0
    clock_offset_s: float = 5.0
    probes: int = 5
    # Each probe is one request, never retransmitted (a retransmission would hide a loss);
    # an answer later than this counts as lost.
    probe_timeout_s: float = 1.0
    probe_interval_s: float = 0.05


@dataclass(frozen=True)
class SipStats:
    """SIP OPTIONS probes sent one after another: how many, and the answered ones' RTTs."""

    sent: int
    rtts: tuple[float, ...]  # seconds, in the order answered

    @property
    def loss_pct(self) -> float:
        return 100.0 * (self.sent - len(self.rtts)) / self.sent if self.sent else 0.0

    @property
    def one_way_ms(self) -> float:
        return 1000 * statistics.fmean(self.rtts) / 2 if self.rtts else 0.0

    @property
    def jitter_ms(self) -> float:
        """RFC 3550's interarrival jitter estimator over consecutive round trips
        (J += (|D| - J) / 16): what endpoints report, and a lone spike does not dominate."""
        jitter = 0.0
        for a, b in zip(self.rtts, self.rtts[1:], strict=False):
            jitter += (abs(b - a) - jitter) / 16
        return 1000 * jitter


@dataclass(frozen=True)
class TrialCall:
    number: str
    connected: bool
    error: str = ""
    channels: tuple[MediaChannel, ...] = ()
    skipped_in_call: bool = False


@dataclass(frozen=True)
class Observation:
    """Everything gathered about one endpoint; ``judge`` turns it into findings."""

    device: str
    platform: str
    commune_code: str
    commune_name: str
    site: str
    host: str
    expected_registrar: str | None
    checkable: bool = True
    session_error: str | None = None
    status: EndpointStatus | None = None
    missing: tuple[str, ...] = ()  # status commands the endpoint did not answer
    clock_offset_s: float | None = None
    sip: SipStats = SipStats(0, ())
    unmute: str = ""
    test_call: TrialCall | None = None


@dataclass(frozen=True)
class Reason:
    """A finding's words and what to do, from reasons.yaml."""

    check: str
    severity: Verdict
    vi: str
    en: str
    do_vi: str
    do_en: str


@cache
def reasons() -> dict[str, Reason]:
    text = resources.files("checks.vc").joinpath("reasons.yaml").read_text(encoding="utf-8")
    return {
        code: Reason(d["check"], Verdict(d["severity"]), d["vi"], d["en"], d["do_vi"], d["do_en"])
        for code, d in yaml.safe_load(text).items()
    }


@dataclass(frozen=True)
class Finding:
    code: str  # a key of reasons.yaml
    values: dict[str, str] = field(default_factory=dict)

    @property
    def reason(self) -> Reason:
        return reasons()[self.code]

    @property
    def check(self) -> str:
        return self.reason.check

    @property
    def severity(self) -> Verdict:
        return self.reason.severity

    def text(self, lang: Lang) -> str:
        return (self.reason.vi if lang == "vi" else self.reason.en).format_map(self.values)

    def action(self, lang: Lang) -> str:
        return (self.reason.do_vi if lang == "vi" else self.reason.do_en).format_map(self.values)


@dataclass(frozen=True)
class EndpointResult:
    observation: Observation
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> Verdict:
        return worst([f.severity for f in self.findings])


@dataclass(frozen=True)
class CommuneResult:
    code: str
    name: str
    endpoints: tuple[EndpointResult, ...]

    @property
    def verdict(self) -> Verdict:
        return worst([e.verdict for e in self.endpoints])


@dataclass(frozen=True)
class Report:
    """One run: every commune's result, for one session (``title``) or a selection."""

    title: str
    checked_at: float  # Unix time
    communes: tuple[CommuneResult, ...]
    session_start: float | None = None

    @property
    def ready(self) -> int:
        return sum(c.verdict is Verdict.READY for c in self.communes)

    @property
    def verdict(self) -> Verdict:
        return worst([c.verdict for c in self.communes])
