"""The terminal report: scores per commune, then every finding with its evidence."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from checks.report.words import percent, word

STYLE = {"passed": "green", "failed": "red", "waived": "yellow", "error": "magenta"}


def evidence_line(e: dict[str, Any], file: str, lang: str) -> str:
    """``14758/.../rtr1.cfg:8: Dòng bị cấm: transport input telnet ssh`` (one line)."""
    place = f"{file}:{e['line']}" if e["line"] else file
    where = f" [{e['section']}]" if e["section"] else ""
    detail = f" ({e['detail']})" if e["detail"] and e["kind"] == "out_of_bounds" else ""
    return f"{place}: {word(e['kind'], lang)}: {e['text']}{where}{detail}"


def source_text(source: dict[str, str]) -> str:
    """``backups /srv/backups commit 1a2b3c4d5e6f · servers ssh · Prometheus http://...``"""
    if source["kind"] == "backups":
        text = (
            f"backups {source.get('repository', '')} commit {source.get('commit', '')[:12] or '—'}"
        )
    else:
        text = f"{source['kind']} (credentials {source.get('credentials', 'inventory')})"
    if source.get("servers"):
        text += f" · servers {source['servers']}"
    if source.get("prometheus"):
        text += f" · Prometheus {source['prometheus']}"
    return text


def _per_control(doc: dict[str, Any], console: Console, lang: str) -> None:
    """One row per control: its outcomes and the provnet change that fixes it."""
    table = Table(title=word("summary_controls", lang))
    for key in ("control", "passed", "failed", "waived", "error", "remediation"):
        table.add_column(word(key, lang), justify="right" if key in STYLE else "left")
    counts: dict[str, dict[str, int]] = {}
    for r in doc["results"]:
        counts.setdefault(r["control"], {}).setdefault(r["outcome"], 0)
        counts[r["control"]][r["outcome"]] += 1
    for control, seen in counts.items():
        change = doc["controls"][control]["remediation"]["change"]
        fix = f"provnet net plan {change}" if change and seen.get("failed") else ""
        title = doc["controls"][control]["title"][lang]
        table.add_row(
            escape(f"{control} {title}"),
            *(str(seen.get(k, 0)) for k in ("passed", "failed", "waived", "error")),
            escape(fix),
        )
    console.print(table)


def render(doc: dict[str, Any], console: Console, lang: str, *, summary: bool = False) -> None:
    console.print(
        f"[bold]{word('title', lang)}[/bold] — {word('source', lang)}: "
        f"{escape(source_text(doc['source']))}"
    )
    communes = Table(title=word("summary_communes", lang))
    for key in ("commune", "passed", "failed", "waived", "error", "score_before", "score_after"):
        communes.add_column(word(key, lang), justify="left" if key == "commune" else "right")
    names = {r["commune_code"]: r["commune_name"] for r in doc["results"]}
    rows = [(f"{names.get(code, '')} ({code})", s) for code, s in doc["scores"]["communes"].items()]
    rows.append((word("province", lang), doc["scores"]["province"]))
    for name, s in rows:
        communes.add_row(
            escape(name),
            str(s["passed"]),
            str(s["failed"]),
            str(s["waived"]),
            str(s["error"]),
            percent(s["score_before_waivers"]),
            percent(s["score_after_waivers"]),
        )
    console.print(communes)
    if summary:
        _per_control(doc, console, lang)
    else:
        console.rule(word("findings", lang))
    for r in doc["results"] if not summary else ():
        if r["outcome"] == "passed":
            continue
        control = doc["controls"][r["control"]]
        style = STYLE.get(r["outcome"], "")
        console.print(
            f"[{style}]{word(r['outcome'], lang)}[/{style}] [bold]{r['control']}[/bold] "
            f"{escape(r['device'])} — {escape(control['title'][lang])}"
        )
        lines = [evidence_line(e, r["file"], lang) for e in r["evidence"] if e["kind"] != "matched"]
        if r["message"]:
            lines.append(r["message"])
        if r["waiver"]:
            expired = r["waiver"]["expired"]
            label = word("waiver_expired" if expired else "waiver", lang)
            lines.append(
                f"{label}: {r['waiver']['justification']} ({r['waiver']['approver']}, "
                f"{r['waiver']['expiration_date'] or '∞'})"
            )
        if r["remediation_command"] and r["outcome"] == "failed":
            lines.append(f"{word('remediation', lang)}: {r['remediation_command']}")
        for line in lines:
            console.print(f"    {escape(line)}")
    for w in doc["waivers"]["unmatched"]:
        what = f"{word('unmatched_waivers', lang)}: {w['control']} {escape(w['devices'])}"
        console.print(f"[yellow]{what}[/yellow]")
    baseline = doc.get("baseline")
    if baseline:
        console.print(
            f"{word('baseline', lang)}: {word('new', lang)} {len(baseline['new'])}, "
            f"{word('fixed', lang)} {len(baseline['fixed'])}, "
            f"{word('still_failing', lang)} {len(baseline['still_failing'])}"
        )
    s = doc["summary"]
    failing = s["failed"] - s["waived"]
    console.print(
        f"{word('passed', lang)} {s['passed']}, {word('failed', lang)} {failing}, "
        f"{word('waived', lang)} {s['waived']}, {word('error', lang)} {s['error']}, "
        f"{word('skipped', lang)} {s['skipped']} — {word('score_after', lang)} "
        f"{percent(s['score_after_waivers'])}"
    )
