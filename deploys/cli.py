"""`provnet net ...`: network changes (backup, plan, apply, resume)."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Thay đổi cấu hình mạng (network changes): backup, plan, apply.",
    no_args_is_help=True,
)
