"""The one console script, ``provnet``; each room brings its own sub-commands.

A command loads only its own room (``provnet exporter serve`` never imports the SSH and
device stacks of ``net`` and ``lab``): start-up time and the exporter's resident memory
stay its own. ``provnet --help`` and an unknown command load them all.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import typer

ROOMS: dict[str, str] = {
    "inventory": "inventory.cli",
    "lab": "lab.cli",
    "exporter": "exporters.cli",
    "net": "deploys.cli",
}
"""Sub-command name: the module whose ``app`` (a Typer) it is."""


def build_app(only: str | None = None) -> typer.Typer:
    """The ``provnet`` command with every room, or with ``only`` that one."""
    root = typer.Typer(
        help="provnet: hạ tầng như mã và giám sát cho mạng TSLCD cấp II của tỉnh "
        "(infrastructure as code and telemetry for the province's level-II network).",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
    root.callback()(_group)  # a group even with one command: ``provnet demo``, not ``provnet``
    for name, module in ROOMS.items():
        if only is None or only == name:
            root.add_typer(importlib.import_module(module).app, name=name)
    if only is None or only == "demo":
        from provnet.demo import demo

        root.command("demo")(demo)
    return root


def _group() -> None:
    pass


def requested_room(argv: Sequence[str]) -> str | None:
    """The sub-command ``argv`` names, when it is a known one (options come after it)."""
    if argv and (argv[0] in ROOMS or argv[0] == "demo"):
        return argv[0]
    return None


def __getattr__(name: str) -> typer.Typer:
    if name == "app":  # ``from provnet.cli import app``: the whole command
        return build_app()
    raise AttributeError(name)


def main() -> None:
    build_app(requested_room(sys.argv[1:]))()
