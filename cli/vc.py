"""``provnet vc``: are the communes' video-conference endpoints ready for a session?"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from checks.errors import BadCheckInput
from checks.vc.judge import by_commune
from checks.vc.model import EndpointResult, Lang, Report, Thresholds, Verdict
from checks.vc.report import (
    Format,
    as_data,
    as_html,
    as_json,
    earlier_reports,
    report_stem,
    summary_line,
    table,
    write_textfile,
)
from checks.vc.run import CheckOptions, check_endpoints, vc_endpoints
from checks.vc.session import Session, load_sessions
from checks.vc.watch import DEFAULT_OFFSETS_MIN, Due, Watch, due_runs, schedule
from cli.inventory import load_selected
from inventory.secrets import SecretStore
from platforms.known_hosts import resolve_known_hosts
from provnet.console import (
    InventoryOption,
    KnownHostsOption,
    LimitOption,
    NoHostKeyCheckOption,
    err,
    exits_cleanly,
    out,
)

app = typer.Typer(
    help="Truyền hình trực tuyến (video conference): điểm cầu của các xã sẵn sàng chưa.",
    no_args_is_help=True,
)

# InSpec's habit: 0 all passed, 100 a control failed, 101 only skipped (here: degraded).
EXIT_NOT_READY = 100
EXIT_DEGRADED = 101
EXIT_CODES = {Verdict.READY: 0, Verdict.DEGRADED: EXIT_DEGRADED, Verdict.NOT_READY: EXIT_NOT_READY}

LangOption = Annotated[str, typer.Option("--lang", help="Ngôn ngữ báo cáo: vi (mặc định) hoặc en.")]
DEFAULTS = Thresholds()


def _lang(text: str) -> Lang:
    if text not in ("vi", "en"):
        raise BadCheckInput(f"--lang: '{text}' is not vi or en")
    return "vi" if text == "vi" else "en"


def _format(text: str) -> Format:
    if text == "table":
        return "table"
    if text == "json":
        return "json"
    if text == "html":
        return "html"
    raise BadCheckInput(f"--format: '{text}' is not table, json or html")


@dataclass(frozen=True)
class HostKeys:
    explicit: Path | None = None
    disabled: bool = False


def run_check(
    inventory: Path | None,
    limit: list[str],
    options: CheckOptions,
    host_keys: HostKeys,
    title: str,
    session_start: float | None = None,
) -> Report:
    """Select the endpoints, check them with a progress bar, group them into a report."""
    inv, views = load_selected(inventory, limit)
    known = resolve_known_hosts(host_keys.explicit, inv.root, host_keys.disabled)
    options = replace(options, known_hosts=known)
    endpoints = vc_endpoints(views)
    if not endpoints:
        raise BadCheckInput(
            "không có điểm cầu nào được chọn (no VC endpoint selected): "
            f"--limit {' '.join(limit) or '(none)'}"
        )
    store = SecretStore.from_environment(inv.root)
    store.check()
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
    started = time.time()
    with progress:
        task = progress.add_task("Kiểm tra điểm cầu (checking endpoints)", total=len(endpoints))

        def done(_: EndpointResult) -> None:
            progress.advance(task)

        results = asyncio.run(check_endpoints(inv, endpoints, store, options, done))
    return Report(title, started, by_commune(results), session_start)


def pick_session(inventory: Path | None, path: Path, at: str | None) -> Session:
    """The session of ``path`` starting at ``at``, or the next one to start."""
    _, views = load_selected(inventory, [])
    sessions = load_sessions(path, views)
    if at is not None:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            raise BadCheckInput(f"--at: '{at}' is not an ISO-8601 time") from None
        if moment.tzinfo is None:
            raise BadCheckInput(f"--at: '{at}' has no timezone (+07:00)")
        for candidate in sessions:
            if candidate.start == moment.timestamp():
                return candidate
        raise BadCheckInput(f"{path}: no session starts at {at}")
    now = time.time()
    upcoming = [s for s in sessions if s.start > now] or sessions
    return min(upcoming, key=lambda s: abs(s.start - now))


def emit(report: Report, fmt: Format, lang: Lang, out_file: Path | None) -> None:
    if fmt == "table" and out_file is None:
        out.print(table(report, lang))
        return
    if fmt == "table":
        text = summary_line(report, lang) + "\n"
    else:
        text = as_json(report) if fmt == "json" else as_html(report, lang)
    if out_file is None:
        # Plain text, not through rich: rich wraps and scans every line of a document
        # (seconds for 167 endpoints' JSON).
        typer.echo(text, nl=False)
    else:
        out_file.write_text(text, encoding="utf-8")
        err.print(f"{summary_line(report, lang)} — {out_file}")


@app.command()
@exits_cleanly
def check(
    inventory: InventoryOption = None,
    limit: LimitOption = None,
    session: Annotated[
        Path | None,
        typer.Option(
            help="Tệp phiên họp (session file): các xã của phiên sắp tới.", metavar="FILE"
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(help="Phiên bắt đầu lúc (the session starting at) ISO-8601 TIME."),
    ] = None,
    mcu_call: Annotated[
        bool, typer.Option("--mcu-call", help="Gọi thử tới số MCU của phiên (test call).")
    ] = False,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table (mặc định), json hoặc html.")
    ] = "table",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Ghi báo cáo vào tệp (write the report).")
    ] = None,
    lang: LangOption = "vi",
    textfile: Annotated[
        Path | None,
        typer.Option(help="Ghi thêm số liệu Prometheus (node_exporter textfile collector)."),
    ] = None,
    test_call: Annotated[
        str | None,
        typer.Option(
            "--test-call",
            help="Gọi thử tới số này (MCU của tỉnh hoặc số loopback).",
            metavar="NUMBER",
        ),
    ] = None,
    call_seconds: Annotated[float, typer.Option(min=1, max=120)] = 10.0,
    probes: Annotated[
        int, typer.Option(min=1, max=100, help="Số gói SIP OPTIONS.")
    ] = DEFAULTS.probes,
    max_delay_ms: Annotated[float, typer.Option(min=1)] = DEFAULTS.one_way_delay_ms,
    max_jitter_ms: Annotated[float, typer.Option(min=0)] = DEFAULTS.jitter_ms,
    max_loss_pct: Annotated[float, typer.Option(min=0, max=100)] = DEFAULTS.loss_pct,
    max_clock_offset: Annotated[float, typer.Option(min=0)] = DEFAULTS.clock_offset_s,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, max=500)] = 32,
    ssh_timeout: Annotated[
        float, typer.Option(min=1, max=120, help="Giới hạn mở phiên SSH (session timeout, s).")
    ] = 10.0,
    known_hosts: KnownHostsOption = None,
    no_host_key_check: NoHostKeyCheckOption = False,
) -> None:
    """Kiểm tra điểm cầu sẵn sàng (check VC endpoints ready): SSH, đăng ký SIP, SIP OPTIONS,
    chẩn đoán, camera/micro/màn hình, tắt tiếng, đồng hồ; exit 0 sẵn sàng, 100 chưa sẵn
    sàng, 101 hạn chế, 2 đầu vào sai."""
    language, chosen = _lang(lang), _format(fmt)
    limits = Thresholds(
        one_way_delay_ms=max_delay_ms,
        jitter_ms=max_jitter_ms,
        loss_pct=max_loss_pct,
        clock_offset_s=max_clock_offset,
        probes=probes,
    )
    options = CheckOptions(
        limits=limits,
        concurrency=concurrency,
        ssh_timeout=ssh_timeout,
        test_call=test_call,
        call_seconds=call_seconds,
    )
    keys = HostKeys(known_hosts, no_host_key_check)
    title, chosen_limit, start = "provnet vc check", limit or [], None
    if session is not None:
        if limit:
            raise BadCheckInput("--session and --limit: choose one (chọn một)")
        picked = pick_session(inventory, session, at)
        title, chosen_limit, start = picked.title, list(picked.limits), picked.start
        if test_call is None and mcu_call:
            if picked.mcu is None:
                raise BadCheckInput(f"--mcu-call: {session}: '{picked.title}' has no mcu:")
            options = replace(options, test_call=picked.mcu)
    elif at is not None:
        raise BadCheckInput("--at needs --session FILE")
    report = run_check(inventory, chosen_limit, options, keys, title, start)
    emit(report, chosen, language, out_file)
    if textfile is not None:
        write_textfile([as_data(report)], textfile)
    raise typer.Exit(EXIT_CODES[report.verdict])


class SystemClock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@app.command()
@exits_cleanly
def watch(
    sessions_file: Annotated[Path, typer.Argument(help="Tệp phiên họp (session file).")],
    out_dir: Annotated[Path, typer.Option(help="Thư mục báo cáo (report directory).")],
    inventory: InventoryOption = None,
    textfile: Annotated[
        Path | None,
        typer.Option(help="Số liệu Prometheus cho node_exporter (textfile collector)."),
    ] = None,
    offsets: Annotated[
        str, typer.Option(help="Phút trước giờ họp (minutes before the start).")
    ] = ",".join(map(str, DEFAULT_OFFSETS_MIN)),
    once: Annotated[
        bool, typer.Option("--once", help="Chạy các lần đến hạn rồi thoát (systemd timer).")
    ] = False,
    lang: LangOption = "vi",
    known_hosts: KnownHostsOption = None,
    no_host_key_check: NoHostKeyCheckOption = False,
) -> None:
    """Theo dõi phiên họp (watch sessions): kiểm tra lúc T-60 và T-15 phút, ghi báo cáo
    và số liệu Prometheus."""
    language = _lang(lang)
    minutes = _offsets(offsets)
    _, views = load_selected(inventory, [])
    sessions = load_sessions(sessions_file, views)
    keys = HostKeys(known_hosts, no_host_key_check)
    # A restart, or a timer's next --once run, carries on from the reports already written.
    earlier = earlier_reports(out_dir, sessions)
    latest = earlier.documents

    def publish() -> None:
        if textfile is not None:
            plan = schedule(sessions, time.time(), minutes)
            write_textfile(list(latest.values()), textfile, plan)

    def check_now(due: Due) -> None:
        session = due.session
        report = run_check(
            inventory, list(session.limits), CheckOptions(), keys, session.title, session.start
        )
        latest[session.title] = as_data(report)
        stem = out_dir / report_stem(session.title, due.minutes_before)
        out_dir.mkdir(parents=True, exist_ok=True)
        stem.with_suffix(".json").write_text(as_json(report), encoding="utf-8")
        stem.with_suffix(".html").write_text(as_html(report, language), encoding="utf-8")
        publish()
        out.print(f"T-{due.minutes_before}: {summary_line(report, language)} — {stem}.json")

    publish()  # before any check: node_exporter reads the schedule, never a missing file
    if once:
        for due in due_runs(sessions, time.time(), earlier.done, minutes):
            check_now(due)
        return
    Watch(sessions, SystemClock(), check_now, minutes, earlier.done).run()


def _offsets(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise BadCheckInput(f"--offsets: '{text}' is not a list of minutes (60,15)") from None
    if not values or any(not 0 < v <= 24 * 60 for v in values):
        raise BadCheckInput(f"--offsets: '{text}': minutes between 1 and 1440")
    return values
