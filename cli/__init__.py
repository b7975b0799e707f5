"""The face: the one console script, ``provnet``; one module of sub-commands per room.

Every module of this package is a sub-command named after it (``cli/net.py`` is
``provnet net``): a module defining ``app`` (a Typer) is a group of commands, one defining
``command`` (a function) is a single command (``provnet demo``). This package imports
every room and is imported by none.

A command loads only its own module (``provnet exporter serve`` never imports the SSH and
device stacks of ``net`` and ``lab``): start-up time and the exporter's resident memory
stay its own. ``provnet --help`` and an unknown command load them all.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import typer

from provnet.discover import module_names

HELP = (
    "provnet: hạ tầng như mã và giám sát cho mạng TSLCD cấp II của tỉnh "
    "(infrastructure as code and telemetry for the province's level-II network)."
)


def rooms() -> list[str]:
    """The sub-command names: the modules of this package (none imported)."""
    return module_names(__name__)


def build_app(only: str | None = None) -> typer.Typer:
    """The ``provnet`` command with every sub-command, or with ``only`` that one."""
    root = typer.Typer(help=HELP, no_args_is_help=True, pretty_exceptions_enable=False)
    root.callback()(_group)  # a group even with one command: ``provnet demo``, not ``provnet``
    for name in rooms():
        if only is not None and only != name:
            continue
        module = importlib.import_module(f"{__name__}.{name}")
        group = getattr(module, "app", None)
        if isinstance(group, typer.Typer):
            root.add_typer(group, name=name)
        else:
            root.command(name)(module.command)
    return root


def _group() -> None:
    pass


def requested_room(argv: Sequence[str]) -> str | None:
    """The sub-command ``argv`` names, when it is a known one (options come after it)."""
    if argv and argv[0] in rooms():
        return argv[0]
    return None


def __getattr__(name: str) -> typer.Typer:
    if name == "app":  # ``from cli import app``: the whole command
        return build_app()
    raise AttributeError(name)


# Rooms that drive pyinfra: like pyinfra's own CLI, the process is patched with gevent before
# anything else is imported, so that pyinfra's greenlets reach every server at once. Never
# done on import (``build_app`` in a test process must not patch the test runner).
GEVENT_ROOMS = frozenset({"servers"})


def main() -> None:
    room = requested_room(sys.argv[1:])
    if room in GEVENT_ROOMS:
        from gevent import monkey  # type: ignore[import-untyped]

        monkey.patch_all()
    build_app(room)()
