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

from checks.engine import Plan, run_audit
from checks.errors import SourceError
from checks.report import document, html, junit, metrics, sarif
from checks.report import table as table_report
from checks.ruleset import load_rules
from checks.sources.backups import BackupRepository
from checks.waivers import load_waivers
from cli.inventory import load_selected
from provnet.console import InventoryOption, LimitOption, err, exits_cleanly, out


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
        Source, typer.Option(help="Nguồn cấu hình (source): backups (kho git của net backup).")
    ] = Source.BACKUPS,
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
    reader = BackupRepository(repo, commit)
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
            table_report.render(doc, out, lang.value)
        out.print(f"→ {out_file}")
    elif fmt is Format.TABLE:
        table_report.render(doc, out, lang.value)
    else:
        out.file.write(text)
    raise typer.Exit(audit.exit_code)
