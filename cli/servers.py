"""`provnet servers ...`: server deploys with pyinfra (deploy, facts).

Exit codes: 0 every host done (or nothing to do); 1 a host failed or was unreachable (the
others went on); 2 bad input (unknown deploy, bad --limit, no server selected, a broken
inventory or secrets file): nothing applied.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from cli.inventory import load_selected
from deploys.errors import ServerDeployError
from deploys.network.journal import Journal, Outcome
from deploys.servers.base import ServerDeploy, deploys, get_deploy
from deploys.servers.run import (
    HostFacts,
    HostReport,
    Runner,
    RunReport,
    Status,
    build_inventory,
    gather_facts,
)
from inventory import export
from inventory.export import PyinfraHost
from inventory.loader import Inventory
from inventory.masking import Redactor, secret_values
from inventory.secrets import SecretStore
from platforms.known_hosts import resolve_known_hosts
from provnet.console import (
    InventoryOption,
    KnownHostsOption,
    LimitOption,
    NoHostKeyCheckOption,
    exits_cleanly,
    out,
    progress_bar,
)

app = typer.Typer(
    help="Triển khai máy chủ với pyinfra (server deploys with pyinfra): deploy, facts.",
    no_args_is_help=True,
)

EXIT_FAILED = 1


class Lang(StrEnum):
    VI = "vi"
    EN = "en"


class NoServers(ServerDeployError, LookupError):
    pass


class BadData(ServerDeployError, ValueError):
    pass


def parse_data(pairs: list[str] | None) -> dict[str, str]:
    """``--data KEY=VALUE`` (pyinfra's flag): data given to every host of the run."""
    found: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise BadData(f"--data '{pair}': write KEY=VALUE (e.g. prometheus_dir=prometheus)")
        found[key.strip()] = value
    return found


class Cancelled(ServerDeployError):
    """The engineer answered no: nothing applied."""


# Vietnamese first; English with --lang en.
TEXT: dict[str, dict[Lang, str]] = {
    "host": {Lang.VI: "Máy chủ", Lang.EN: "Host"},
    "status": {Lang.VI: "Kết quả", Lang.EN: "Status"},
    "ops": {Lang.VI: "Thao tác", Lang.EN: "Operations"},
    "changes": {Lang.VI: "Thay đổi", Lang.EN: "Changes"},
    "error": {Lang.VI: "Lỗi", Lang.EN: "Error"},
    "plan": {Lang.VI: "Sẽ thay đổi", Lang.EN: "Would change"},
    "result": {Lang.VI: "Kết quả triển khai", Lang.EN: "Deploy results"},
    "continue": {Lang.VI: "Áp dụng? (apply?)", Lang.EN: "Apply?"},
    "nothing": {
        Lang.VI: "Không có gì cần thay đổi (nothing to change).",
        Lang.EN: "Nothing to change.",
    },
    "dry": {
        Lang.VI: "Chạy thử (--dry): không thay đổi gì (nothing changed).",
        Lang.EN: "Dry run (--dry): nothing changed.",
    },
    "applying": {Lang.VI: "Áp dụng", Lang.EN: "Applying"},
    "connecting": {Lang.VI: "Kết nối và đọc facts", Lang.EN: "Connecting and reading facts"},
    "os": {Lang.VI: "Hệ điều hành", Lang.EN: "OS"},
    "packages": {Lang.VI: "Gói", Lang.EN: "Packages"},
    "running": {Lang.VI: "Unit đang chạy", Lang.EN: "Running units"},
    "failed_units": {Lang.VI: "Unit lỗi", Lang.EN: "Failed units"},
    "facts": {Lang.VI: "Facts máy chủ", Lang.EN: "Server facts"},
    "journal": {Lang.VI: "Nhật ký (journal)", Lang.EN: "Journal"},
}


def t(key: str, lang: Lang) -> str:
    return TEXT[key][lang]


LangOption = Annotated[
    Lang, typer.Option("--lang", help="Ngôn ngữ (language): vi, en.", case_sensitive=False)
]

_STYLE = {
    Status.CHANGED: "cyan",
    Status.UNCHANGED: "green",
    Status.WOULD_CHANGE: "cyan",
    Status.NO_CHANGE: "green",
    Status.FAILED: "red",
    Status.UNREACHABLE: "red",
}
# The journal's device outcomes are the network changes' (deploys/network/journal.py).
_OUTCOME = {
    Status.CHANGED: Outcome.APPLIED,
    Status.UNCHANGED: Outcome.APPLIED,
    Status.FAILED: Outcome.FAILED,
    Status.UNREACHABLE: Outcome.FAILED,
    Status.WOULD_CHANGE: Outcome.NOT_STARTED,
    Status.NO_CHANGE: Outcome.NOT_STARTED,
}


def _hosts(inventory: Path | None, limit: list[str] | None) -> tuple[Inventory, list[PyinfraHost]]:
    inv, devices = load_selected(inventory, limit)
    hosts = export.pyinfra_hosts(inv, devices)
    if not hosts:
        raise NoServers(
            "không có máy chủ nào được chọn (no server selected): --limit chọn "
            f"{len(devices)} thiết bị, không có máy chủ Linux do tỉnh quản lý "
            "(none is a province-managed Linux server)"
        )
    return inv, hosts


def _secrets(inv: Inventory) -> tuple[SecretStore, Redactor]:
    store = SecretStore.from_environment(inv.root)
    store.check()  # a broken secrets file is named once, before any host is touched
    return store, Redactor(secret_values(inv, store))


def _print_plan(reports: list[HostReport], diff: bool, lang: Lang) -> None:
    if diff:
        for report in reports:
            if report.diff:
                out.rule(escape(report.name))
                out.print(
                    Syntax(report.diff, "diff", theme="ansi_dark", background_color="default")
                )
    _print_table(reports, t("plan", lang), lang)


def _print_table(reports: list[HostReport], title: str, lang: Lang) -> None:
    table = Table(title=title)
    for key in ("host", "status", "ops", "changes", "error"):
        table.add_column(t(key, lang))
    for report in reports:
        style = _STYLE[report.status]
        table.add_row(
            report.name,
            f"[{style}]{report.status.value}[/{style}]",
            str(report.operations),
            str(report.changes),
            escape(report.error),
        )
    out.print(table)


def _journal_path(deploy: ServerDeploy) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(f"servers-{deploy.name}.{stamp}.journal.jsonl")


def _journal_outcomes(journal: Journal, report: RunReport) -> None:
    for host in report.hosts:
        journal.write(
            "device",
            device=host.name,
            status=_OUTCOME[host.status].value,
            result=host.status.value,
            changes=host.changes,
            error=host.error,
        )
    journal.write("end", counts={k: v for k, v in report.counts().items() if v})


@app.command()
@exits_cleanly
def deploy(
    deploy_name: Annotated[
        str, typer.Argument(metavar="DEPLOY", help="Tên deploy (deploy name), ví dụ baseline.")
    ],
    inventory: InventoryOption = None,
    limit: LimitOption = None,
    dry: Annotated[
        bool, typer.Option("--dry", help="Chỉ liệt kê thay đổi (list changes, change nothing).")
    ] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="In diff từng tệp (show each file's diff).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Không hỏi xác nhận.")] = False,
    journal: Annotated[
        Path | None, typer.Option("--journal", help="Tệp journal (JSON lines).")
    ] = None,
    known_hosts: KnownHostsOption = None,
    no_host_key_check: NoHostKeyCheckOption = False,
    lang: LangOption = Lang.VI,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data", help="KEY=VALUE cho mọi máy chủ (data for every host), như pyinfra --data."
        ),
    ] = None,
) -> None:
    """Triển khai DEPLOY lên máy chủ (run a server deploy): liệt kê thay đổi, hỏi, áp dụng."""
    chosen = get_deploy(deploy_name)
    extra = parse_data(data)
    inv, hosts = _hosts(inventory, limit)
    store, redactor = _secrets(inv)
    known = resolve_known_hosts(known_hosts, inv.root, no_host_key_check)
    pyinfra_inventory, left_out = build_inventory(hosts, store, known, redactor, extra)
    runner = Runner(chosen, pyinfra_inventory, redactor, dry=dry, diff=True, left_out=left_out)
    try:
        _run(runner, chosen, dry, diff, yes, journal, lang)
    finally:
        runner.disconnect()


def _run(
    runner: Runner,
    chosen: ServerDeploy,
    dry: bool,
    diff: bool,
    yes: bool,
    journal: Path | None,
    lang: Lang,
) -> None:
    out.print(f"{chosen.name}: {chosen.title(lang)}")
    with progress_bar(len(runner.reports), t("connecting", lang)) as progress:
        runner.connect()
        runner.prepare(lambda _: progress.advance(progress.task_ids[0]))
    planned = runner.report()
    _print_plan(planned.hosts, diff or not yes, lang)
    to_change = [h for h in planned.hosts if h.status is Status.WOULD_CHANGE]
    if dry:
        out.print(t("dry", lang))
        if not planned.ok:
            raise typer.Exit(EXIT_FAILED)
        return
    if to_change and not yes and not typer.confirm(t("continue", lang), default=False):
        raise Cancelled("đã huỷ (cancelled): nothing applied")
    path = journal or _journal_path(chosen)
    with Journal(path) as log:
        log.write(
            "run",
            deploy=chosen.name,
            kind="servers",
            devices=[h.name for h in planned.hosts],
            dry=False,
        )
        for host in planned.hosts:
            if not host.status.ok:
                log.write("step", device=host.name, step="prepare", ok=False, error=host.error)
        if to_change:
            total = sum(h.operations for h in to_change)
            with progress_bar(total, f"{t('applying', lang)} {chosen.name}") as progress:
                runner.execute(lambda _: progress.advance(progress.task_ids[0]))
        else:
            if planned.ok:
                out.print(t("nothing", lang))
            runner.settle_unchanged()
        result = runner.report()
        _journal_outcomes(log, result)
    _print_table(result.hosts, t("result", lang), lang)
    counts = ", ".join(f"{k}: {v}" for k, v in result.counts().items() if v)
    out.print(f"{counts} — {t('journal', lang)} {path}")
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


@app.command()
@exits_cleanly
def facts(
    inventory: InventoryOption = None,
    limit: LimitOption = None,
    known_hosts: KnownHostsOption = None,
    no_host_key_check: NoHostKeyCheckOption = False,
    lang: LangOption = Lang.VI,
) -> None:
    """Những gì pyinfra thấy trên từng máy chủ (what pyinfra sees): OS, gói, dịch vụ."""
    inv, hosts = _hosts(inventory, limit)
    store, redactor = _secrets(inv)
    known = resolve_known_hosts(known_hosts, inv.root, no_host_key_check)
    pyinfra_inventory, left_out = build_inventory(hosts, store, known, redactor)
    with progress_bar(len(hosts), t("connecting", lang)):
        found = gather_facts(pyinfra_inventory, redactor)
    found += [HostFacts(name, error=why) for name, why in left_out.items()]
    _print_facts(found, lang)
    if any(f.error for f in found):
        raise typer.Exit(EXIT_FAILED)


def _print_facts(found: list[HostFacts], lang: Lang) -> None:
    table = Table(title=t("facts", lang))
    for key in ("host", "os", "packages", "running", "failed_units", "error"):
        table.add_column(t(key, lang))
    for f in found:
        table.add_row(
            f.name,
            escape(f.os),
            str(f.packages) if not f.error else "",
            str(f.running) if not f.error else "",
            escape(", ".join(f.failed_units)),
            f"[red]{escape(f.error)}[/red]" if f.error else "",
        )
    out.print(table)


@app.command("list")
@exits_cleanly
def list_deploys(lang: LangOption = Lang.VI) -> None:
    """Các deploy có sẵn (the deploys there are)."""
    for name, found in deploys().items():
        out.print(f"{name}: {found.title(lang)}")
