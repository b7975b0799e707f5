"""`provnet exporter ...`: the SNMP/probe exporter and the Prometheus side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from provnet.console import InventoryOption, exits_cleanly, out

app = typer.Typer(
    help="Exporter cho Prometheus (Prometheus exporter): serve, prometheus-config.",
    no_args_is_help=True,
)


@app.command("serve")
@exits_cleanly
def serve_command(
    listen: Annotated[
        str, typer.Option(help="Địa chỉ lắng nghe HOST:PORT (listen address).")
    ] = "127.0.0.1:9116",
    config: Annotated[
        Path | None,
        typer.Option(
            help="Tệp module và auth (modules and auths): snmp.yml của snmp_exporter "
            "(cả hai định dạng) hoặc tệp của provnet. Không có: chỉ module có sẵn (built-in).",
        ),
    ] = None,
    inventory: InventoryOption = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Số tiến trình (worker processes), chung cổng SO_REUSEPORT.")
    ] = 1,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Số lần thu thập đồng thời tối đa (concurrent scrapes).")
    ] = 256,
) -> None:
    """Chạy exporter SNMP đa mục tiêu (serve the multi-target SNMP exporter): /snmp, /probe."""
    from exporters.server import build_registry, run, split_listen

    host, port = split_listen(listen)
    registry = build_registry(config, inventory)
    out.print(
        f"exporter: http://{listen}/ — {len(registry.module_names())} module SNMP, "
        f"{len(registry.probes)} module thăm dò (probes), {len(registry.auth_names())} auth"
    )
    run(registry, host, port, workers=workers, concurrency=concurrency)
