"""`provnet ansible run PLAYBOOK`: existing Ansible playbooks against provnet's inventory,
through ansible-runner (see deploys/ansible/runner.py and docs/ansible.md).

Exit codes: 0 every host ok; 1 a task failed on a host; 4 a host unreachable (none failed);
3 Ansible failed before any host ran; 2 bad input (unknown playbook, bad -e, Ansible or a
collection not installed: the message says how to install it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from cli.inventory import load_selected
from deploys.ansible.runner import (
    AnsibleError,
    PlaybookResult,
    build_inventory,
    check_installed,
    exit_code,
    parse_extra_vars,
    run_playbook,
)
from deploys.network.journal import Journal
from inventory.masking import Redactor, secret_values
from inventory.secrets import SecretStore
from platforms.known_hosts import resolve_known_hosts
from provnet.console import InventoryOption, LimitOption, exits_cleanly, out

app = typer.Typer(
    help="Chạy playbook Ansible có sẵn (run existing Ansible playbooks) qua ansible-runner.",
    no_args_is_help=True,
)

SHIPPED = Path(__file__).resolve().parent.parent / "deploys" / "ansible"


def resolve_playbook(name: str) -> Path:
    """A path, or the name of a playbook shipped in deploys/ansible/ (``baseline``)."""
    given = Path(name)
    for candidate in (given, SHIPPED / name, SHIPPED / f"{name}.yml"):
        if candidate.is_file():
            return candidate
    shipped = ", ".join(sorted(p.stem for p in SHIPPED.glob("*.yml")))
    raise AnsibleError(f"playbook {name}: no such file (shipped: {shipped})")


class _LiveView:
    """One line per host: what it is doing now and its counts so far."""

    def __init__(self) -> None:
        self.play = ""
        self.task = ""
        self.hosts: dict[str, dict[str, Any]] = {}

    def update(self, event: Mapping[str, Any]) -> None:
        kind = str(event.get("event"))
        data = event.get("event_data") or {}
        if kind == "playbook_on_play_start":
            self.play = str(data.get("play", ""))
        elif kind == "playbook_on_task_start":
            self.task = str(data.get("task", ""))
        elif kind.startswith("runner_on_") and data.get("host"):
            row = self.hosts.setdefault(
                str(data["host"]),
                {"ok": 0, "changed": 0, "failed": 0, "unreachable": 0, "skipped": 0, "now": ""},
            )
            status = kind.removeprefix("runner_on_")
            if status == "start":
                row["now"] = str(data.get("task", ""))
                return
            if status == "ok" and (data.get("res") or {}).get("changed"):
                status = "changed"
            if status in row:
                row[status] += 1

    def render(self) -> Table:
        table = Table(title=f"{self.play} · {self.task}", title_justify="left")
        for column in ("Máy (host)", "ok", "changed", "failed", "unreachable", "đang (now)"):
            table.add_column(column)
        for host, row in sorted(self.hosts.items()):
            table.add_row(
                host,
                str(row["ok"]),
                str(row["changed"]),
                Text(str(row["failed"]), style="red" if row["failed"] else ""),
                Text(str(row["unreachable"]), style="yellow" if row["unreachable"] else ""),
                row["now"],
            )
        return table


def _print_result(result: PlaybookResult) -> None:
    table = Table(title="Tổng kết (recap)")
    columns = ("ok", "changed", "failures", "unreachable", "skipped", "rescued", "ignored")
    table.add_column("Máy (host)")
    for column in columns:
        table.add_column(column, justify="right")
    for host in result.hosts:
        table.add_row(host.host, *(str(getattr(host, column)) for column in columns))
    out.print(table)
    for failure in result.failed:
        kind = "không tới được (unreachable)" if failure.unreachable else "lỗi (failed)"
        out.print(
            f"[red]{kind}[/red] {escape(failure.host)}: {escape(failure.task)} "
            f"({escape(failure.task_path)}): {escape(failure.message)}"
        )
    if result.error:
        out.print(f"[red]Ansible:[/red] {escape(result.error)}")
    if result.artifacts is not None:
        out.print(f"Artifacts: {result.artifacts}")


@app.command()
@exits_cleanly
def run(
    playbook: Annotated[
        str, typer.Argument(help="Playbook (đường dẫn hoặc tên có sẵn: baseline).")
    ],
    inventory: InventoryOption = None,
    limit: LimitOption = None,
    check: Annotated[
        bool, typer.Option("--check", help="Chạy thử (dry run), không đổi gì.")
    ] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Hiện khác biệt (show differences).")
    ] = False,
    extra_vars: Annotated[
        list[str] | None, typer.Option("--extra-vars", "-e", help="Biến KEY=VALUE.")
    ] = None,
    forks: Annotated[int, typer.Option("--forks", min=1, help="Số máy song song.")] = 5,
    artifacts: Annotated[
        Path | None,
        typer.Option("--artifacts", help="Thư mục artifacts (mặc định ~/.cache/provnet)."),
    ] = None,
    journal: Annotated[
        Path | None, typer.Option("--journal", help="Tệp journal (JSON lines).")
    ] = None,
    known_hosts: Annotated[
        Path | None, typer.Option("--known-hosts", help="Tệp known_hosts (host keys).")
    ] = None,
) -> None:
    """Chạy playbook với inventory của provnet (run a playbook on provnet's inventory)."""
    path = resolve_playbook(playbook)
    extra = parse_extra_vars(extra_vars or [])
    check_installed(path)
    inv, views = load_selected(inventory, limit)
    if not views:
        raise AnsibleError(f"--limit {' '.join(limit or [])}: no device selected")
    store = SecretStore.from_environment(inv.root)
    store.check()
    ansible_inventory, environment = build_inventory(inv, views, store)
    known = resolve_known_hosts(known_hosts, inv.root, False)
    redactor = Redactor(secret_values(inv, store))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    journal_path = journal or Path("journals") / f"ansible-{path.stem}-{stamp}.jsonl"
    view = _LiveView()
    out.print(f"Ansible: {path} trên (on) {len(views)} máy; journal {journal_path}")
    with Journal(journal_path) as log, Live(view.render(), console=out, transient=True) as live:

        def on_event(event: Mapping[str, Any]) -> None:
            view.update(event)
            live.update(view.render())

        result = run_playbook(
            path,
            ansible_inventory,
            environment,
            redactor=redactor,
            journal=log,
            on_event=on_event,
            limit=None,
            check=check,
            diff=diff,
            extra_vars=extra,
            forks=forks,
            artifacts=artifacts,
            known_hosts=Path(known) if known else None,
        )
    _print_result(result)
    code = exit_code(result)
    if code:
        raise typer.Exit(code)
