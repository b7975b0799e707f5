"""Templates -> intents: ``platforms/templates/<platform>/<change>.j2`` rendered with Jinja2.

Undefined variables are errors (``StrictUndefined``), never empty strings; the rendered
fragment is read by :func:`platforms.config.parse_intent` (``@owns``/``@once``). A secret
placeholder (``<secret:SET.FIELD>``) outside an ``@once`` line is an error of the
template: it would be compared with what the device shows (a hash) on every plan.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from platforms.base import PlatformError
from platforms.cisco_ios.syntax import IOS
from platforms.config import IntentError, Syntax, parse_intent
from platforms.huawei_vrp.syntax import VRP
from platforms.network import SECRET_PLACEHOLDER, Intent

TEMPLATES = Path(__file__).resolve().parent / "templates"

SYNTAX: dict[str, Syntax] = {
    "cisco_ios": IOS,
    "cisco_xe": IOS,
    "huawei_vrp": VRP,
    "cisco_tp": IOS,  # flat `xConfiguration ...` lines; `!` starts a comment
}


class TemplateError(PlatformError, ValueError):
    """A template that is missing, does not render, or renders an unreadable intent."""


@cache
def _environment(root: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # configuration text, not HTML
    )


def _line_of(exc: BaseException, filename: str) -> int | None:
    """The template line an exception was raised from (Jinja2 rewrites tracebacks)."""
    lineno = getattr(exc, "lineno", None)
    if isinstance(lineno, int):
        return lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(filename):
            return frame.lineno
    return None


def template_path(platform: str, change: str, root: Path = TEMPLATES) -> Path:
    return root / platform / f"{change}.j2"


def render_text(
    platform: str, change: str, context: Mapping[str, Any], root: Path = TEMPLATES
) -> str:
    """The rendered fragment of ``<platform>/<change>.j2``."""
    name = f"{platform}/{change}.j2"
    where = template_path(platform, change, root)
    try:
        template = _environment(root).get_template(name)
    except jinja2.TemplateNotFound:
        raise TemplateError(
            f"{where}: không có mẫu (no template) for change '{change}' on platform '{platform}'"
        ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{where}:{exc.lineno}: {exc.message}") from None
    try:
        return template.render(**context)
    except (jinja2.TemplateError, TypeError, ValueError, KeyError, AttributeError) as exc:
        line = _line_of(exc, name)
        at = f"{where}:{line}" if line else str(where)
        raise TemplateError(f"{at}: {type(exc).__name__}: {exc}") from None


def check_placeholders(intent: Intent, where: str) -> None:
    """A secret placeholder may only be on an ``@once`` line."""
    for block in intent.blocks:
        for line in (*block.context, *block.lines):
            if SECRET_PLACEHOLDER.search(line):
                raise TemplateError(
                    f"{where}: bí mật ngoài dòng @once (secret placeholder outside an @once "
                    f"line) in {' / '.join(block.context) or 'global'}: "
                    f"{SECRET_PLACEHOLDER.sub('<secret:…>', line)}"
                )


def render_intent(
    platform: str, change: str, context: Mapping[str, Any], root: Path = TEMPLATES
) -> Intent:
    """Render ``<platform>/<change>.j2`` with ``context`` and read it as an :class:`Intent`.

    Raises :class:`TemplateError` naming the template file (and line when known).
    """
    syntax = SYNTAX.get(platform)
    if syntax is None:
        raise TemplateError(f"no configuration syntax for platform '{platform}'")
    text = render_text(platform, change, context, root)
    where = str(template_path(platform, change, root))
    try:
        intent = parse_intent(text, syntax)
    except IntentError as exc:
        raise TemplateError(f"{where}: {exc}") from None
    check_placeholders(intent, where)
    return intent
