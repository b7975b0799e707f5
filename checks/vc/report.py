"""A readiness report as a table (rich), JSON, HTML (Jinja2, autoescaped) or Prometheus
text for node_exporter's textfile collector. Words come from the findings (vi or en)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rich.table import Table

from checks.vc.model import EndpointResult, Lang, Report, Verdict
from checks.vc.session import Session
from inventory.official import fold

if TYPE_CHECKING:
    import jinja2

Format = Literal["table", "json", "html"]
COLOURS = {Verdict.READY: "green", Verdict.DEGRADED: "yellow", Verdict.NOT_READY: "red"}
HEADERS: dict[Lang, tuple[str, ...]] = {
    "vi": ("Xã", "Điểm cầu", "Kết quả", "Lý do", "Việc cần làm"),
    "en": ("Commune", "Endpoint", "Verdict", "Reason", "What to do"),
}


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat()


def summary_line(report: Report, lang: Lang) -> str:
    total = len(report.communes)
    if lang == "vi":
        return (
            f"{report.title}: {report.ready}/{total} xã sẵn sàng — "
            f"{report.verdict.label('vi')} ({report.verdict.label('en')})"
        )
    return f"{report.title}: {report.ready}/{total} communes ready — {report.verdict.label('en')}"


def table(report: Report, lang: Lang) -> Table:
    grid = Table(title=summary_line(report, lang), show_lines=False)
    for header in HEADERS[lang]:
        grid.add_column(header)
    for commune in report.communes:
        for endpoint in commune.endpoints:
            colour = COLOURS[endpoint.verdict]
            grid.add_row(
                f"{commune.name} ({commune.code})",
                endpoint.observation.device,
                f"[{colour}]{endpoint.verdict.label(lang)}[/{colour}]",
                "\n".join(f.text(lang) for f in endpoint.findings) or "-",
                "\n".join(f.action(lang) for f in endpoint.findings) or "-",
            )
    return grid


def _endpoint(result: EndpointResult) -> dict[str, Any]:
    obs = result.observation
    sip = obs.sip
    return {
        "device": obs.device,
        "platform": obs.platform,
        "host": obs.host,
        "verdict": result.verdict.value,
        "findings": [
            {
                "code": f.code,
                "check": f.check,
                "severity": f.severity.value,
                "text": {"vi": f.text("vi"), "en": f.text("en")},
                "action": {"vi": f.action("vi"), "en": f.action("en")},
                "values": f.values,
            }
            for f in result.findings
        ],
        "measurements": {
            "sip_sent": sip.sent,
            "sip_answered": len(sip.rtts),
            "sip_loss_ratio": round(sip.loss_pct / 100, 4),
            "one_way_delay_seconds": round(sip.one_way_ms / 1000, 6),
            "jitter_seconds": round(sip.jitter_ms / 1000, 6),
            "clock_offset_seconds": None
            if obs.clock_offset_s is None
            else round(obs.clock_offset_s, 3),
        },
    }


def as_data(report: Report) -> dict[str, Any]:
    return {
        "title": report.title,
        "checked_at": _iso(report.checked_at),
        "session_start": _iso(report.session_start),
        "verdict": report.verdict.value,
        "communes_ready": report.ready,
        "communes_total": len(report.communes),
        "communes": [
            {
                "code": c.code,
                "name": c.name,
                "verdict": c.verdict.value,
                "endpoints": [_endpoint(e) for e in c.endpoints],
            }
            for c in report.communes
        ],
    }


def as_json(report: Report) -> str:
    return json.dumps(as_data(report), ensure_ascii=False, indent=1) + "\n"


@cache
def _templates() -> jinja2.Environment:
    """Jinja2 loaded for an HTML report only (a fifth of a check's start-up otherwise)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("checks.vc", "."),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def as_html(report: Report, lang: Lang) -> str:
    return (
        _templates()
        .get_template("report.html.j2")
        .render(
            report=report,
            lang=lang,
            other="en" if lang == "vi" else "vi",
            headers=HEADERS[lang],
            summary=summary_line(report, lang),
            checked_at=_iso(report.checked_at),
            session_start=_iso(report.session_start),
            colours={v: COLOURS[v] for v in Verdict},
        )
    )


def _stem_prefix(title: str) -> str:
    kept = "".join(c if c.isalnum() else "-" for c in fold(title).lower())
    return ("-".join(part for part in kept.split("-") if part)[:60] or "session") + "-T"


def report_stem(title: str, minutes_before: int) -> str:
    """The file name (without suffix) of a session's check at T-``minutes_before``."""
    return f"{_stem_prefix(title)}{minutes_before}"


def _timestamp(iso: object) -> float | None:
    if not isinstance(iso, str):
        return None
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return None


_VERDICTS = frozenset(v.value for v in Verdict)


def _usable(document: object) -> bool:
    """A report document holding what the textfile needs (a hand-edited one may not)."""
    if not isinstance(document, dict) or _timestamp(document.get("checked_at")) is None:
        return False
    communes = document.get("communes")
    return isinstance(communes, list) and all(
        isinstance(c, dict)
        and isinstance(c.get("code"), str)
        and isinstance(c.get("name"), str)
        and isinstance(c.get("endpoints"), list)
        and all(
            isinstance(e, dict)
            and isinstance(e.get("device"), str)
            and e.get("verdict") in _VERDICTS
            for e in c["endpoints"]
        )
        for c in communes
    )


@dataclass
class Earlier:
    """What earlier checks of the same sessions left in the report directory."""

    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # newest per title
    done: set[tuple[str, int]] = field(default_factory=set)  # (title, minutes before)


def earlier_reports(out_dir: Path, sessions: Sequence[Session]) -> Earlier:
    """The JSON reports already written for these very sessions (same title, same start),
    so that a restarted watch, or a timer's next ``--once`` run, neither checks again what
    is done nor drops from its textfile the results Prometheus still alerts on. A report of
    an earlier session with the same title (last week's meeting) does not count."""
    found = Earlier()
    for session in sessions:
        stem = _stem_prefix(session.title)
        for path in sorted(out_dir.glob(f"{stem}*.json")):
            minutes = path.stem.removeprefix(stem)
            try:
                document = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                continue  # unreadable or torn: not a result, the check runs again
            if not minutes.isdigit() or not _usable(document):
                continue
            start = _timestamp(document.get("session_start"))
            if document.get("title") != session.title or start is None:
                continue
            if abs(start - session.start) > 0.5:
                continue
            found.done.add((session.title, int(minutes)))
            newest = found.documents.get(session.title)
            checked = _timestamp(document.get("checked_at")) or 0.0
            if newest is None or checked > (_timestamp(newest.get("checked_at")) or 0.0):
                found.documents[session.title] = document
    return found


def write_textfile(
    documents: Sequence[Mapping[str, Any]],
    path: Path,
    schedule: Mapping[str, tuple[float, float | None]] | None = None,
) -> None:
    """Prometheus text for node_exporter's textfile collector (written atomically), from
    reports as :func:`as_data` gives them and, for ``vc watch``, each watched session's
    start and next check (title -> (start, next check or None))."""
    from prometheus_client import CollectorRegistry, Gauge, write_to_textfile  # --textfile only

    registry = CollectorRegistry()
    ready = Gauge(
        "provnet_vc_ready",
        "1 khi điểm cầu của xã sẵn sàng hoặc hạn chế, 0 khi chưa sẵn sàng "
        "(1: the commune's VC endpoint will join; 0: not ready).",
        ["session", "commune_code", "commune", "device"],
        registry=registry,
    )
    degraded = Gauge(
        "provnet_vc_degraded",
        "1 khi điểm cầu hạn chế (1 when the endpoint joins but is degraded).",
        ["session", "commune_code", "commune", "device"],
        registry=registry,
    )
    checked = Gauge(
        "provnet_vc_check_timestamp_seconds",
        "Thời điểm kiểm tra (when the readiness check ran, Unix time).",
        ["session"],
        registry=registry,
    )
    start = Gauge(
        "provnet_vc_session_start_timestamp_seconds",
        "Thời điểm bắt đầu phiên họp (when the session starts, Unix time).",
        ["session"],
        registry=registry,
    )
    upcoming = Gauge(
        "provnet_vc_next_check_timestamp_seconds",
        "Lần kiểm tra kế tiếp của vc watch (when vc watch's next check is due, Unix time).",
        ["session"],
        registry=registry,
    )
    for title, (starts, next_check) in (schedule or {}).items():
        start.labels(title).set(starts)
        if next_check is not None:
            upcoming.labels(title).set(next_check)
    for document in documents:
        title = document["title"]
        checked.labels(title).set(_timestamp(document["checked_at"]) or 0.0)
        session_start = _timestamp(document["session_start"])
        if session_start is not None:
            start.labels(title).set(session_start)
        for commune in document["communes"]:
            for endpoint in commune["endpoints"]:
                labels = (title, commune["code"], commune["name"], endpoint["device"])
                ready.labels(*labels).set(endpoint["verdict"] != Verdict.NOT_READY.value)
                degraded.labels(*labels).set(endpoint["verdict"] == Verdict.DEGRADED.value)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
