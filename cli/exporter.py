"""`provnet exporter ...`: the SNMP/probe exporter and the Prometheus side."""

from __future__ import annotations

import enum
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from cli.inventory import load_selected
from exporters.prometheus_config import (
    DEFAULT_EXPORTER,
    RUNBOOK_BASE,
    ConfigOptions,
    Shard,
    ShardBy,
    check_duration,
    check_host_port,
    check_runbook_base,
    check_timing,
    generate,
    write_config,
)
from provnet.console import InventoryOption, LimitOption, exits_cleanly, out

app = typer.Typer(
    help="Exporter cho Prometheus (Prometheus exporter): serve, prometheus-config.",
    no_args_is_help=True,
)


@app.command("prometheus-config")
@exits_cleanly
def prometheus_config_command(
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Thư mục đích (output directory).")
    ] = Path("prometheus"),
    inventory: InventoryOption = None,
    limit: LimitOption = None,
    exporter: Annotated[
        str, typer.Option(help="Địa chỉ exporter HOST:PORT (the exporter Prometheus scrapes).")
    ] = DEFAULT_EXPORTER,
    alertmanager: Annotated[
        str | None, typer.Option(help="Alertmanager HOST:PORT (mặc định: không gửi cảnh báo).")
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(help="Phân mảnh I/N (shard I of N servers, I from 0), ví dụ 0/2."),
    ] = None,
    shard_by: Annotated[
        ShardBy, typer.Option(help="Khoá phân mảnh (shard key): commune hoặc address.")
    ] = ShardBy.COMMUNE,
    scrape_interval: Annotated[str, typer.Option(help="Chu kỳ thu thập (scrape interval).")] = (
        "60s"
    ),
    scrape_timeout: Annotated[str, typer.Option(help="Thời hạn thu thập (scrape timeout).")] = (
        "30s"
    ),
    runbook_base: Annotated[
        str, typer.Option(help="URL gốc của docs/runbooks (base URL of the runbooks).")
    ] = RUNBOOK_BASE,
) -> None:
    """Sinh cấu hình Prometheus từ inventory (generate prometheus.yml, file_sd, rules)."""
    options = ConfigOptions(
        exporter=check_host_port(exporter, "--exporter"),
        alertmanager=check_host_port(alertmanager, "--alertmanager") if alertmanager else None,
        shard=Shard.parse(shard) if shard is not None else None,
        shard_by=shard_by,
        scrape_interval=check_duration(scrape_interval, "--scrape-interval"),
        scrape_timeout=check_duration(scrape_timeout, "--scrape-timeout"),
        runbook_base=check_runbook_base(runbook_base),
    )
    check_timing(options.scrape_interval, options.scrape_timeout)
    inv, devices = load_selected(inventory, limit)
    options = replace(options, external_labels={"province_code": inv.settings.province.code})
    generated = generate(devices, options)
    write_config(generated, out_dir)
    counts = ", ".join(f"{job}: {n}" for job, n in generated.targets.items())
    where = f" (shard {options.shard.index}/{options.shard.count})" if options.shard else ""
    out.print(
        f"Đã ghi (written) {out_dir / 'prometheus.yml'}{where}: {len(devices)} thiết bị "
        f"(devices) → mục tiêu (targets) {counts}"
    )


class LogLevel(enum.StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


@app.command("serve")
@exits_cleanly
def serve_command(
    listen: Annotated[
        str,
        typer.Option(
            "--listen",
            "--web.listen-address",
            help="Địa chỉ lắng nghe HOST:PORT (listen address).",
        ),
    ] = "127.0.0.1:9116",
    config: Annotated[
        list[Path] | None,
        typer.Option(
            "--config",
            "--config.file",
            help="Tệp module và auth (modules and auths): snmp.yml của snmp_exporter "
            "(cả hai định dạng) hoặc tệp của provnet; nhiều lần thì gộp theo thứ tự (given "
            "several times, merged in order). Không có: chỉ module có sẵn (built-in).",
        ),
    ] = None,
    inventory: InventoryOption = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Số tiến trình (worker processes), chung cổng SO_REUSEPORT.")
    ] = 1,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Số lần thu thập đồng thời tối đa (concurrent scrapes).")
    ] = 256,
    log_level: Annotated[
        LogLevel,
        typer.Option(
            help="Mức nhật ký (log level): info ghi mỗi module thất bại, warning thì không "
            "(failed modules are logged at info).",
            case_sensitive=False,
        ),
    ] = LogLevel.info,
    always_200: Annotated[
        bool,
        typer.Option(
            "--always-200",
            help="Luôn trả HTTP 200, kể cả khi không module nào lấy được dữ liệu (always answer "
            "200; by default such a scrape is a 500, as with snmp_exporter, so up is 0).",
        ),
    ] = False,
) -> None:
    """Chạy exporter SNMP đa mục tiêu (serve the multi-target SNMP exporter): /snmp, /probe."""
    from exporters.process import run, split_listen
    from exporters.registry import build_registry

    host, port = split_listen(listen)
    registry = build_registry(config, inventory)
    out.print(
        f"exporter: http://{listen}/ — {len(registry.module_names())} module SNMP, "
        f"{len(registry.probes)} module thăm dò (probes), {len(registry.auth_names())} auth"
    )
    run(
        registry,
        host,
        port,
        workers=workers,
        concurrency=concurrency,
        log_level=log_level.value.upper(),
        always_200=always_200,
        load=(lambda: build_registry(config, inventory)) if config or inventory else None,
    )
