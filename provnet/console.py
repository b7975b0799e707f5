"""Shared command-line plumbing: consoles, the error-to-exit-code rule, common options."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from provnet.errors import ProvnetError

P = ParamSpec("P")
R = TypeVar("R")


def _width(stream: object) -> int | None:
    """Rich's width where a person reads a terminal; a wide fixed one for pipes and logs."""
    isatty = getattr(stream, "isatty", None)
    if callable(isatty) and isatty():
        return None
    columns = os.environ.get("COLUMNS", "")
    return max(int(columns) if columns.isdigit() else 0, 160)


out = Console(highlight=False, soft_wrap=True, width=_width(sys.stdout))
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_width(sys.stderr))

InventoryOption = Annotated[
    Path | None,
    typer.Option(
        "--inventory",
        "-i",
        envvar="PROVNET_INVENTORY",
        help="Thư mục inventory (inventory directory). Mặc định: tỉnh mẫu "
        "(default: the example province).",
        show_default=False,
    ),
]
LimitOption = Annotated[
    list[str] | None,
    typer.Option(
        "--limit",
        "-l",
        help="Chọn thiết bị (select devices): device, site, commune (mã/tên), role, platform, "
        "group, glob; KEY=GLOB; lặp lại = hợp; '!' loại trừ.",
        show_default=False,
    ),
]

KnownHostsOption = Annotated[
    Path | None,
    typer.Option(
        "--known-hosts",
        help="Tệp known_hosts để kiểm tra khoá máy (host keys). Mặc định: known_hosts "
        "trong thư mục inventory, rồi ~/.ssh/known_hosts.",
        show_default=False,
    ),
]
NoHostKeyCheckOption = Annotated[
    bool,
    typer.Option(
        "--no-host-key-check",
        help="Không kiểm tra khoá máy (skip host-key checking): chỉ khi biết rõ lý do.",
    ),
]


@contextmanager
def progress_bar(total: int, title: str) -> Iterator[Progress]:
    """A rich progress bar on stderr with one task of ``total`` steps (none when 0)."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
        disable=total == 0,
    )
    with progress:
        progress.add_task(title, total=total)
        yield progress


def exits_cleanly(command: Callable[P, R]) -> Callable[P, R]:
    """A provnet error becomes its message on stderr and exit code 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except ProvnetError as exc:
            err.print(f"[red]Lỗi (error):[/red] {escape(str(exc))}")
            raise typer.Exit(exc.exit_code) from None

    return wrapper
