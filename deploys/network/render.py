"""Templates -> intents: a change's ``<platform>.j2`` rendered with Jinja2, read as an Intent.

Generic: it renders the template file it is given (its folder is the Jinja2 search path, so
``{% include "cisco_ios.j2" %}`` reaches a sibling) and reads the text with the
:class:`~platforms.config.Syntax` it is given; which change and platform that is, is the
caller's business (:func:`deploys.network.context.render`).

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

from deploys.errors import NetworkChangeError
from platforms import network_platform
from platforms.config import IntentError, Syntax, parse_intent
from platforms.network import SECRET_PLACEHOLDER, Intent


class TemplateError(NetworkChangeError, ValueError):
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


def _line_of(exc: BaseException, template: Path) -> int | None:
    """The template line an exception was raised from (Jinja2 rewrites tracebacks)."""
    lineno = getattr(exc, "lineno", None)
    if isinstance(lineno, int):
        return lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == str(template):
            return frame.lineno
    return None


def template_platforms(folder: Path) -> frozenset[str]:
    """The platforms a change supports: one template ``<platform>.j2`` each in its folder."""
    return frozenset(path.stem for path in folder.glob("*.j2"))


def template_for(folder: Path, platform: str) -> Path:
    """The template of ``platform`` in a change's ``folder``; a TemplateError when it has none."""
    template = folder.resolve() / f"{platform}.j2"
    if not template.is_file():
        raise TemplateError(
            f"{template}: không có mẫu (no template) for change '{folder.name}' on platform "
            f"'{platform}'"
        )
    return template


def platform_syntax(platform: str) -> Syntax:
    """How ``platform``'s configuration text reads (indentation, negation, comments)."""
    return network_platform(platform).syntax


def render_text(template: Path, context: Mapping[str, Any]) -> str:
    """The text of the Jinja2 ``template`` file rendered with ``context``.

    Raises :class:`TemplateError` naming the template file (and line when known).
    """
    template = template.resolve()
    try:
        loaded = _environment(template.parent).get_template(template.name)
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"{template}: không có mẫu (no template) {exc.name}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{template}:{exc.lineno}: {exc.message}") from None
    try:
        return loaded.render(**context)
    except (jinja2.TemplateError, TypeError, ValueError, KeyError, AttributeError) as exc:
        line = _line_of(exc, template)
        at = f"{template}:{line}" if line else str(template)
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


def render_intent(template: Path, context: Mapping[str, Any], syntax: Syntax) -> Intent:
    """Render ``template`` with ``context`` and read it with ``syntax`` as an :class:`Intent`.

    Raises :class:`TemplateError` naming the template file (and line when known).
    """
    text = render_text(template, context)
    where = str(template.resolve())
    try:
        intent = parse_intent(text, syntax)
    except IntentError as exc:
        raise TemplateError(f"{where}: {exc}") from None
    check_placeholders(intent, where)
    return intent
