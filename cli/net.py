"""`provnet net ...`: network changes (backup, plan, apply, resume).

Exit codes: 0 everything done; 1 some devices failed (rolled back, stale, unreachable);
2 bad input (the message names the file, device or option; nothing applied).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from cli.inventory import load_selected
from deploys.errors import NetworkChangeError
from deploys.network.apply import (
    DeviceJob,
    DeviceResult,
    RolloutOptions,
    RolloutReport,
    apply_device,
    check_placeholders,
    check_rendered,
    check_targets,
    rollout,
)
from deploys.network.backup import BackupReport, BackupResult, run_backup
from deploys.network.base import Change, CheckContext
from deploys.network.journal import BadJournal, Journal, Outcome, read_journal, resume_state
from deploys.network.plan import (
    DevicePlan,
    Plan,
    Status,
    check_plan,
    load_plan,
    make_plan,
    plan_sha256,
    verify_seal,
    write_plan,
)
from deploys.network.registry import get_change
from deploys.network.seal import plan_key
from deploys.network.targets import InventoryBackend
from deploys.network.waves import DEFAULT_WAVES, parse_max_failures, parse_waves
from inventory.loader import Inventory
from inventory.masking import Redactor, secret_values
from inventory.resolve import DeviceView, iter_devices
from inventory.secrets import ENV_SECRETS_FILE, SecretStore
from inventory.validate import load_valid
from platforms.known_hosts import resolve_known_hosts
from provnet.console import (
    InventoryOption,
    KnownHostsOption,
    LimitOption,
    NoHostKeyCheckOption,
    err,
    exits_cleanly,
    out,
    progress_bar,
)

app = typer.Typer(
    help="Thay đổi cấu hình mạng (network changes): backup, plan, apply.",
    no_args_is_help=True,
)

EXIT_FAILED = 1


class Cancelled(NetworkChangeError):
    """The engineer answered no: nothing applied."""


SummaryOption = Annotated[
    bool,
    typer.Option(
        "--summary",
        help="Chỉ in tổng kết theo kết quả, cùng các thiết bị cần xem (summary: counts by "
        "result, plus the devices needing attention).",
    ),
]

ConcurrencyOption = Annotated[
    int, typer.Option("--concurrency", "-c", min=1, max=500, help="Số thiết bị song song.")
]


def _backend(
    inv: Inventory, known_hosts: Path | None, no_check: bool
) -> tuple[InventoryBackend, Redactor]:
    store = SecretStore.from_environment(inv.root)
    store.check()  # a broken secrets file is named once, before any device is touched
    known = resolve_known_hosts(known_hosts, inv.root, no_check)
    return InventoryBackend(inv, store, known), Redactor(secret_values(inv, store))


# --- backup ---------------------------------------------------------------------------------


@app.command()
@exits_cleanly
def backup(
    inventory: InventoryOption = None,
    limit: LimitOption = None,
    repo: Annotated[
        Path, typer.Option("--repo", help="Kho git chứa bản sao lưu (git repository).")
    ] = Path("backups"),
    known_hosts: KnownHostsOption = None,
    no_host_key_check: NoHostKeyCheckOption = False,
    concurrency: ConcurrencyOption = 20,
) -> None:
    """Sao lưu cấu hình đang chạy vào kho git (back up running configurations), che bí mật."""
    inv, devices = load_selected(inventory, limit)
    backend, redactor = _backend(inv, known_hosts, no_host_key_check)
    with progress_bar(len(devices), "Sao lưu (backup)") as progress:

        def advance(_: BackupResult) -> None:
            progress.advance(progress.task_ids[0])

        report = run_backup(
            backend, devices, repo, redactor, concurrency=concurrency, progress=advance
        )
    _print_backup(report, repo)
    if report.failed:
        raise typer.Exit(EXIT_FAILED)


def _print_backup(report: BackupReport, repo: Path) -> None:
    saved = sum(r.ok for r in report.results)
    skipped = [r for r in report.results if r.skipped]
    for result in report.failed:
        err.print(f"[red]{escape(result.device)}: {escape(result.error)}[/red]")
    for result in skipped:
        out.print(f"[yellow]{escape(result.device)}: bỏ qua (skipped): {result.skipped}[/yellow]")
    commit = f"commit {report.commit[:12]}" if report.commit else "không commit (no commit)"
    out.print(
        f"Sao lưu (backup): {saved} thiết bị, {len(report.changed)} thay đổi (changed), "
        f"{len(report.failed)} lỗi (failed), {len(skipped)} bỏ qua (skipped) — {repo}: {commit}"
    )


# --- plan -----------------------------------------------------------------------------------


@app.command()
@exits_cleanly
def plan(
    change_name: Annotated[
        str, typer.Argument(help="Tên thay đổi (change), ví dụ ipv6_migration.")
    ],
    inventory: InventoryOption = None,
    limit: LimitOption = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Tệp plan (JSON). Mặc định CHANGE.plan.json.")
    ] = None,
    known_hosts: KnownHostsOption = None,
    no_host_key_check: NoHostKeyCheckOption = False,
    concurrency: ConcurrencyOption = 20,
    diff: Annotated[bool, typer.Option("--diff/--no-diff", help="In diff từng thiết bị.")] = True,
    keep_errors: Annotated[
        bool,
        typer.Option(
            "--keep-errors",
            help="Vẫn ghi plan khi có thiết bị lỗi (write the plan even with devices in error).",
        ),
    ] = False,
    summary: SummaryOption = False,
) -> None:
    """Lập kế hoạch thay đổi (plan a change): lệnh từng thiết bị, diff, hash cấu hình.

    A device in error (bad inventory data: exit 2; unreachable: exit 1) means no plan file
    is written, unless --keep-errors."""
    change = get_change(change_name)
    inv, devices = load_selected(inventory, limit)
    backend, redactor = _backend(inv, known_hosts, no_host_key_check)
    with progress_bar(len(devices), f"Lập plan (plan) {change.name}") as progress:

        def advance(_: DevicePlan) -> None:
            progress.advance(progress.task_ids[0])

        result = make_plan(
            backend,
            change,
            inv,
            devices,
            redactor,
            limits=limit or [],
            concurrency=concurrency,
            progress=advance,
        )
    path = out_file or Path(f"{change.name}.plan.json")
    errors = [d for d in result.devices if d.status is Status.ERROR]
    written = not errors or keep_errors
    if written:
        write_plan(result, path, plan_key(create=True))
    _print_plan(result, path if written else None, diff, summary)
    if errors:
        if not written:
            err.print(
                f"[red]{len(errors)} thiết bị lỗi: không ghi plan (devices in error: no plan "
                "written; fix them, or pass --keep-errors).[/red]"
            )
        raise typer.Exit(2 if any(d.bad_data for d in errors) else EXIT_FAILED)


_STATUS_STYLE = {
    Status.CHANGE: "cyan",
    Status.NO_CHANGE: "green",
    Status.REFUSED: "yellow",
    Status.SKIPPED: "dim",
    Status.ERROR: "red",
}


def _print_plan(result: Plan, path: Path | None, diff: bool, summary: bool) -> None:
    if diff:
        for entry in result.to_change():
            out.rule(escape(entry.device))
            out.print(Syntax(entry.diff, "diff", theme="ansi_dark", background_color="default"))
    title = f"Plan {result.change}: {len(result.devices)} thiết bị (devices)"
    shown = result.devices
    if summary:
        columns = ("Kết quả (status)", "Platform", "Lý do (reason)")
        out.print(_count_table(title, columns, plan_groups(result.devices)))
        shown = [d for d in result.devices if d.status is Status.ERROR]
    if shown:
        table = Table(title=None if summary else title)
        for column in (
            "Thiết bị",
            "Platform",
            "Kết quả (status)",
            "Lệnh (commands)",
            "Lý do (reason)",
        ):
            table.add_column(column)
        for entry in shown:
            style = _STATUS_STYLE[entry.status]
            table.add_row(
                entry.device,
                entry.platform,
                f"[{style}]{entry.status.value}[/{style}]",
                str(len(entry.commands)),
                escape(entry.reason),
            )
        out.print(table)
    counts = ", ".join(f"{k}: {v}" for k, v in result.counts().items() if v)
    if path is None:
        out.print(f"Plan không được ghi (plan not written) — {counts}")
    else:
        out.print(f"Đã ghi plan (plan written): {path} — {counts}")


def plan_groups(devices: Sequence[DevicePlan]) -> Counter[tuple[str, ...]]:
    """Devices counted by (status, platform, reason): a whole province's plan in a few rows."""
    return Counter((d.status.value, d.platform, escape(d.reason)) for d in devices)


def _count_table(title: str, columns: tuple[str, ...], groups: Counter[tuple[str, ...]]) -> Table:
    table = Table(title=title)
    for column in (*columns, "Số thiết bị (devices)"):
        table.add_column(column)
    for key, count in sorted(groups.items()):
        table.add_row(*key, str(count))
    return table


# --- apply ----------------------------------------------------------------------------------


def _journal_path(plan_file: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return plan_file.with_name(f"{plan_file.stem}.{stamp}.journal.jsonl")


@dataclass(frozen=True)
class _Targets:
    plan_path: Path
    plan: Plan
    names: list[str]  # devices to apply
    journal: Path
    resuming: bool
    restore: dict[str, str] = field(default_factory=dict)  # cut mid-push: its checkpoint


def _targets(plan_file: Path | None, resume: Path | None, journal: Path | None) -> _Targets:
    if (plan_file is None) == (resume is None):
        raise NetworkChangeError("give either PLAN or --resume JOURNAL (exactly one)")
    if resume is not None:
        state = resume_state(resume, read_journal(resume))
        loaded = load_plan(state.plan)
        if plan_sha256(state.plan) != state.plan_sha256:
            raise BadJournal(
                f"{resume}: the plan {state.plan} changed since this journal ran; "
                "plan again and apply the new plan"
            )
        wanted = set(state.to_retry())
        names = [d.device for d in loaded.to_change() if d.device in wanted]
        return _Targets(state.plan, loaded, names, journal or resume, True, state.checkpoints)
    assert plan_file is not None
    loaded = load_plan(plan_file)
    target = journal or _journal_path(plan_file)
    if target.exists() and target.stat().st_size > 0:
        raise BadJournal(f"{target}: the journal exists already; use --resume {target}")
    return _Targets(plan_file, loaded, [d.device for d in loaded.to_change()], target, False)


@app.command()
@exits_cleanly
def apply(
    plan_file: Annotated[Path | None, typer.Argument(help="Tệp plan (JSON).")] = None,
    resume: Annotated[
        Path | None,
        typer.Option("--resume", help="Chạy lại thiết bị lỗi/chưa chạy của journal này."),
    ] = None,
    waves: Annotated[
        str, typer.Option("--waves", help="Các đợt (waves): canary, N, P%, rest.")
    ] = DEFAULT_WAVES,
    max_failures: Annotated[
        str, typer.Option("--max-failures", help="Dừng khi số lỗi vượt N hoặc P% sau một đợt.")
    ] = "0",
    concurrency: ConcurrencyOption = 10,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Không hỏi xác nhận.")] = False,
    journal: Annotated[
        Path | None, typer.Option("--journal", help="Tệp journal (JSON lines).")
    ] = None,
    inventory: InventoryOption = None,
    known_hosts: KnownHostsOption = None,
    no_host_key_check: NoHostKeyCheckOption = False,
    summary: SummaryOption = False,
) -> None:
    """Áp dụng đúng plan (apply exactly the plan) theo đợt; lỗi thì tự rollback."""
    options = RolloutOptions(parse_waves(waves), parse_max_failures(max_failures), concurrency)
    targets = _targets(plan_file, resume, journal)
    path, loaded, names, journal_path = (
        targets.plan_path,
        targets.plan,
        targets.names,
        targets.journal,
    )
    verify_seal(loaded, plan_key(create=False), path)
    check_plan(loaded, path)
    change = get_change(loaded.change)
    inv = load_valid(inventory if inventory is not None else Path(loaded.inventory))
    views = {v.name: v for v in iter_devices(inv)}
    check_targets(loaded, names, views)
    backend, redactor = _backend(inv, known_hosts, no_host_key_check)
    check_rendered(loaded, names, change, inv, views, redactor)
    check_placeholders(loaded, names, inv, redactor)
    if not names:
        out.print("Không có thiết bị nào cần áp dụng (nothing to apply).")
        return
    out.print(
        f"Áp dụng (apply) {loaded.change} lên {len(names)} thiết bị; đợt (waves) {waves}; "
        f"dừng khi lỗi > {options.threshold.describe()}; journal {journal_path}"
    )
    if not yes and not typer.confirm("Tiếp tục? (continue?)", default=False):
        raise Cancelled("đã huỷ (cancelled): nothing applied")
    jobs = [
        _job(loaded, name, views[name], inv, backend, targets.restore.get(name)) for name in names
    ]
    report = _run(jobs, options, backend, change, redactor, journal_path, path, targets.resuming)
    _print_apply(report, journal_path, summary)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def _job(
    loaded: Plan,
    name: str,
    view: DeviceView,
    inv: Inventory,
    backend: InventoryBackend,
    restore: str | None,
) -> DeviceJob:
    entry = loaded.device(name)
    assert entry is not None
    known = backend.known_hosts_for(view)
    context = CheckContext(inv, view, os.environ.get(ENV_SECRETS_FILE), known)
    return DeviceJob(entry, view, context, restore)


def _run(
    jobs: Sequence[DeviceJob],
    options: RolloutOptions,
    backend: InventoryBackend,
    change: Change,
    redactor: Redactor,
    journal_path: Path,
    plan_path: Path,
    resuming: bool,
) -> RolloutReport:
    with Journal(journal_path) as journal:
        journal.write(
            "run",
            plan=str(plan_path.resolve()),
            plan_sha256=plan_sha256(plan_path),
            change=change.name,
            waves=[f"{w.kind}:{w.value}" for w in options.waves],
            max_failures=options.threshold.describe(),
            resume=resuming,
            devices=[job.entry.device for job in jobs],
        )
        with progress_bar(len(jobs), f"Áp dụng (apply) {change.name}") as progress:

            def advance(result: DeviceResult) -> None:
                progress.advance(progress.task_ids[0])

            def wave(number: int, size: int) -> None:
                progress.update(
                    progress.task_ids[0],
                    description=f"Áp dụng (apply) {change.name}: đợt (wave) {number}, {size}",
                )

            return rollout(
                jobs,
                options,
                lambda job: apply_device(job, backend, change, redactor, journal),
                journal,
                on_result=advance,
                on_wave=wave,
            )


_OUTCOME_STYLE = {
    Outcome.APPLIED: "green",
    Outcome.ROLLED_BACK: "yellow",
    Outcome.ROLLBACK_FAILED: "bold red",
    Outcome.FAILED: "red",
    Outcome.STALE: "red",
    Outcome.REFUSED: "red",
    Outcome.NOT_STARTED: "dim",
}


def apply_groups(results: Sequence[DeviceResult]) -> Counter[tuple[str, ...]]:
    """Devices counted by (wave, outcome)."""
    return Counter((str(r.wave or "-"), r.outcome.value) for r in results)


def _print_apply(report: RolloutReport, journal_path: Path, summary: bool) -> None:
    title = "Kết quả áp dụng (apply results)"
    shown = report.results
    if summary:
        groups = apply_groups(report.results)
        out.print(_count_table(title, ("Đợt (wave)", "Kết quả (outcome)"), groups))
        quiet = {Outcome.APPLIED, Outcome.NOT_STARTED}
        shown = [r for r in report.results if r.outcome not in quiet]
    if shown:
        table = Table(title=None if summary else title)
        for column in ("Thiết bị", "Đợt (wave)", "Kết quả (outcome)", "Giây (s)", "Lỗi (error)"):
            table.add_column(column)
        for result in shown:
            style = _OUTCOME_STYLE[result.outcome]
            table.add_row(
                result.device,
                str(result.wave or "-"),
                f"[{style}]{result.outcome.value}[/{style}]",
                f"{result.seconds:.1f}",
                escape(result.error),
            )
        out.print(table)
    if report.halted_after_wave is not None:
        err.print(
            f"[red]Dừng sau đợt (halted after wave) {report.halted_after_wave}: "
            "quá ngưỡng lỗi (failure threshold exceeded)[/red]"
        )
    counts = ", ".join(f"{k}: {v}" for k, v in report.counts().items() if v)
    out.print(f"{counts} — journal {journal_path}")
    if not report.ok:
        out.print(
            f"Chạy lại phần lỗi (retry the failed): provnet net apply --resume {journal_path}"
        )
