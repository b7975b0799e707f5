"""`provnet audit`: compliance checks with evidence, for an auditor (see docs/audit.md).

Exit codes as InSpec's: 0 every control passed (waived failures included), 100 at least
one control failed, 101 none failed but some were skipped or errored, 2 bad input (a bad
profile, rules, waiver or baseline file: named with its line, nothing else done).
"""

from __future__ import annotations

import io
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from checks.engine import ConfigSource, FactSource, Plan, run_audit
from checks.errors import SourceError
from checks.report import document, html, junit, metrics, sarif
from checks.report import table as table_report
from checks.ruleset import load_rules
from checks.sources.backups import BackupRepository
from checks.sources.prometheus import PrometheusApi
from checks.waivers import load_waivers
from cli.inventory import load_selected
from inventory.loader import Inventory
from inventory.masking import Redactor, secret_values
from inventory.model import SshCredential
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


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    JUNIT = "junit"
    SARIF = "sarif"
    HTML = "html"


class Lang(StrEnum):
    VI = "vi"
    EN = "en"


class Source(StrEnum):
    BACKUPS = "backups"
    LIVE = "live"


def _readers(
    inv: Inventory,
    source: Source,
    repo: Path,
    commit: str,
    credentials: str | None,
    known_hosts: Path | None,
    no_host_key_check: bool,
    concurrency: int,
) -> tuple[ConfigSource, FactSource | None]:
    """Where configurations come from, and the servers' source (live only)."""
    if source is Source.BACKUPS:
        return BackupRepository(repo, commit), None
    if credentials is not None and not isinstance(
        inv.settings.credentials.get(credentials), SshCredential
    ):
        known = ", ".join(sorted(inv.settings.credentials))
        raise SourceError(
            f"--credentials {credentials}: no SSH credential set of that name ({known})"
        )
    # pyinfra (gevent) and Netmiko are loaded only for a live audit
    from checks.sources.live import LiveDevices
    from checks.sources.servers import ServerFacts

    store = SecretStore.from_environment(inv.root)
    store.check()  # a broken secrets file is named once, before any device is touched
    hosts = resolve_known_hosts(known_hosts, inv.root, no_host_key_check)
    redactor = Redactor(secret_values(inv, store))
    live = LiveDevices(inv, store, redactor, hosts, credentials, concurrency=concurrency)
    return live, ServerFacts(inv, store, redactor, hosts)


def _baseline(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{path}: not a provnet audit report: {exc}") from None
    if not isinstance(data, dict) or "schema_version" not in data or "results" not in data:
        raise SourceError(f"{path}: not a provnet audit report (no schema_version/results)")
    return data


def _render(doc: dict[str, Any], fmt: Format, lang: str) -> str:
    if fmt is Format.JSON:
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if fmt is Format.SARIF:
        return json.dumps(sarif.render(doc, lang), ensure_ascii=False, indent=2) + "\n"
    if fmt is Format.JUNIT:
        return junit.render(doc, lang)
    if fmt is Format.HTML:
        return html.render(doc, lang)
    buffer = io.StringIO()
    table_report.render(doc, Console(file=buffer, width=160, highlight=False), lang)
    return buffer.getvalue()


@exits_cleanly
def command(
    inventory: InventoryOption = None,
    limit: LimitOption = None,
    profile: Annotated[
        str | None,
        typer.Option(
            help="Hồ sơ (profile), ví dụ level3. Mặc định: theo cấp độ của từng điểm "
            "(default: each site's security level in --regime).",
            show_default=False,
        ),
    ] = None,
    regime: Annotated[
        str, typer.Option(help="Chế độ pháp lý (regime): current, law2025.")
    ] = "current",
    source: Annotated[
        Source,
        typer.Option(
            help="Nguồn (source): backups (kho git của net backup, không chạm thiết bị) hoặc "
            "live (cấu hình đang chạy qua SSH, và máy chủ qua SSH)."
        ),
    ] = Source.BACKUPS,
    credentials: Annotated[
        str | None,
        typer.Option(
            help="live: bộ thông tin đăng nhập chỉ đọc trong inventory (read-only credential "
            "set); mặc định audit_credentials của từng thiết bị, không có thì ssh_credentials.",
            show_default=False,
        ),
    ] = None,
    known_hosts: KnownHostsOption = None,
    no_host_key_check: NoHostKeyCheckOption = False,
    concurrency: Annotated[
        int, typer.Option(min=1, max=200, help="live: số thiết bị đọc cùng lúc.")
    ] = 20,
    prometheus: Annotated[
        str | None,
        typer.Option(
            help="URL của Prometheus cho các kiểm soát độ phủ và lưu trữ giám sát "
            "(coverage controls), ví dụ http://127.0.0.1:9090.",
            show_default=False,
        ),
    ] = None,
    repo: Annotated[
        Path, typer.Option("--repo", help="Kho git sao lưu (backup repository).")
    ] = Path("backups"),
    commit: Annotated[str, typer.Option(help="Commit được kiểm tra (commit to read).")] = "HEAD",
    fmt: Annotated[
        Format, typer.Option("--format", "-f", help="Định dạng báo cáo (report format).")
    ] = Format.TABLE,
    lang: Annotated[Lang, typer.Option(help="Ngôn ngữ (language): vi, en.")] = Lang.VI,
    waivers: Annotated[
        Path | None, typer.Option(help="Tệp miễn trừ (waiver file, YAML).", show_default=False)
    ] = None,
    out_file: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Ghi báo cáo vào tệp (write the report to FILE)."),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(help="Báo cáo JSON lần trước (previous JSON report).", show_default=False),
    ] = None,
    summary: Annotated[
        bool,
        typer.Option(
            "--summary",
            help="Bảng: chỉ tổng hợp theo xã và theo kiểm soát, không liệt kê từng phát hiện "
            "(table: summaries only).",
        ),
    ] = False,
    metrics_out: Annotated[
        Path | None,
        typer.Option(
            help="Ghi điểm cho textfile collector của node_exporter (Prometheus text format).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Kiểm tra tuân thủ (compliance audit): kiểm soát, chứng cứ, điểm, miễn trừ."""
    rules = load_rules()
    plan = Plan(rules, regime, profile)
    rules.check_regime(regime)  # bad names are refused before anything runs
    if profile is not None:
        rules.resolve(profile)
    waiver_list = load_waivers(waivers, rules) if waivers else []
    previous = _baseline(baseline)
    inv, devices = load_selected(inventory, limit)
    reader, servers = _readers(
        inv, source, repo, commit, credentials, known_hosts, no_host_key_check, concurrency
    )
    metrics_api = PrometheusApi(prometheus) if prometheus else None
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        disable=len(devices) < 50,
    )
    with progress:
        task = progress.add_task("Kiểm tra (audit)", total=len(devices))
        audit = run_audit(
            plan,
            inv,
            devices,
            reader,
            servers=servers,
            metrics=metrics_api,
            waivers=waiver_list,
            progress=lambda n: progress.advance(task, n),
        )
    doc = document(audit, rules, baseline=previous)
    text = _render(doc, fmt, lang.value)
    if metrics_out is not None:
        metrics.write(doc, inv.settings.province.name, metrics_out)
    if out_file is not None:
        out_file.write_text(text, encoding="utf-8")
        if fmt is not Format.TABLE:
            table_report.render(doc, out, lang.value, summary=summary)
        out.print(f"→ {out_file}")
    elif fmt is Format.TABLE:
        table_report.render(doc, out, lang.value, summary=summary)
    else:
        out.file.write(text)
    raise typer.Exit(audit.exit_code)
