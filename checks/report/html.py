"""A self-contained HTML report (one file, no external resource, printable), Vietnamese
first (``--lang en`` for English): summaries per commune, site and control, every finding
with its evidence and remediation, waivers, and the legal basis of every control with
each parameter's value and whether it is confirmed. Jinja2 with autoescape: configuration
lines are shown as text, never as markup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from checks.report.table import source_text
from checks.report.words import basis_text, percent, word

TEMPLATE = "audit.html.j2"


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(Path(__file__).resolve().parent),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(doc: dict[str, Any], lang: str) -> str:
    per_control: dict[str, dict[str, int]] = {
        c: {"passed": 0, "failed": 0, "waived": 0, "error": 0, "skipped": 0}
        for c in doc["controls"]
    }
    for r in doc["results"]:
        per_control[r["control"]][r["outcome"]] += 1
    template = _environment().get_template(TEMPLATE)
    return template.render(
        doc=doc,
        lang=lang,
        w=lambda key: word(key, lang),
        pct=percent,
        source_text=source_text,
        basis=lambda b: basis_text(b, lang),
        communes={r["commune_code"]: r["commune_name"] for r in doc["results"]},
        per_control=per_control,
    )
