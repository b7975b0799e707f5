"""``provnet inventory``: validate, scaffold, show, stats, export."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import yaml_rs
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from inventory import export
from inventory.errors import InventoryInvalid, Problem
from inventory.loader import Inventory
from inventory.official import find_province
from inventory.resolve import DeviceView, iter_devices
from inventory.scaffold import ScaffoldOptions, scaffold
from inventory.select import select_devices
from inventory.validate import load_and_validate, load_valid
from provnet.console import InventoryOption, LimitOption, err, exits_cleanly, out

app = typer.Typer(
    help="Inventory: nguồn sự thật của tỉnh (the province's source of truth).",
    no_args_is_help=True,
)


def print_problems(problems: Sequence[Problem]) -> None:
    for problem in problems:
        colour = "red" if problem.is_error else "yellow"
        err.print(f"[{colour}]{escape(str(problem))}[/{colour}]")


def load_selected(
    inventory: Path | None, limit: Sequence[str] | None
) -> tuple[Inventory, list[DeviceView]]:
    """The valid inventory and the devices ``--limit`` selects (all when no limit)."""
    try:
        inv = load_valid(inventory)
    except InventoryInvalid as exc:
        print_problems(exc.problems)
        raise
    devices = list(iter_devices(inv))
    return inv, select_devices(devices, limit or [])


@app.command()
@exits_cleanly
def validate(
    path: Annotated[Path | None, typer.Argument(help="Thư mục inventory.")] = None,
    inventory: InventoryOption = None,
) -> None:
    """Kiểm tra inventory (validate): schema, mã xã chính thức, tham chiếu, địa chỉ."""
    inv, problems = load_and_validate(path or inventory)
    if inv is not None:
        problems += _change_data_problems(inv)
    print_problems(problems)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    if inv is None or errors:
        err.print(
            f"[red]Inventory không hợp lệ (invalid): {errors} lỗi (errors), "
            f"{warnings} cảnh báo (warnings); không làm gì thêm (nothing else done).[/red]"
        )
        raise typer.Exit(2)
    devices = sum(len(s.devices) for _, s in inv.sites())
    sites = sum(1 for _ in inv.sites())
    out.print(
        f"OK: {inv.settings.province.name} ({inv.settings.province.code}): "
        f"{len(inv.communes)} xã/phường (communes), {sites} điểm (sites), "
        f"{devices} thiết bị (devices), {warnings} cảnh báo (warnings) — {inv.root}"
    )


def _change_data_problems(inv: Inventory) -> list[Problem]:
    """What `net plan` would refuse in the devices' ``data`` (a VLAN out of range, a banner
    of several lines), reported now, at the device."""
    from deploys.network.context import ChangeDataError, change_data  # validate only

    found = []
    for view in iter_devices(inv):
        try:
            change_data(view)
        except ChangeDataError as exc:
            found.append(Problem(inv.where(view.device, "data"), str(exc)))
    return found


@app.command("scaffold")
@exits_cleanly
def scaffold_command(
    province: Annotated[
        str, typer.Option("--province", "-p", help="Mã (38), codename (thanh_hoa) hoặc tên.")
    ],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Thư mục đích (rỗng).")],
    router_platform: Annotated[str, typer.Option(help="Platform of commune WAN routers.")] = (
        "cisco_ios"
    ),
    force: Annotated[bool, typer.Option(help="Ghi đè thư mục không rỗng.")] = False,
) -> None:
    """Tạo inventory đầy đủ của một tỉnh từ danh mục chính thức (scaffold a province)."""
    official = find_province(province)
    count = scaffold(
        official, out_dir, ScaffoldOptions(router_platform=router_platform, force=force)
    )
    _, problems = load_and_validate(out_dir)
    print_problems(problems)
    out.print(
        f"Đã tạo (created) {count} tệp cho {official.short_name} ({official.code}): "
        f"{len(official.communes)} xã/phường → {out_dir}"
    )
    if any(p.is_error for p in problems):
        raise typer.Exit(2)


@app.command()
@exits_cleanly
def show(
    inventory: InventoryOption = None,
    limit: LimitOption = None,
    tree: Annotated[bool, typer.Option("--tree", help="Cây tỉnh → xã → điểm → thiết bị.")] = False,
) -> None:
    """Hiển thị thiết bị (show devices), dạng bảng hoặc cây."""
    inv, devices = load_selected(inventory, limit)
    if tree:
        out.print(_tree(inv, devices))
        return
    table = Table(title=f"{inv.settings.province.name}: {len(devices)} thiết bị (devices)")
    for column in ("Thiết bị", "Vai trò", "Platform", "Quản lý", "Địa chỉ", "Điểm", "Xã/phường"):
        table.add_column(column)
    for d in devices:
        table.add_row(
            d.name,
            d.role.value,
            d.platform,
            d.managed_by.value,
            d.host,
            d.site.id,
            f"{d.commune_code} {d.commune_name}".strip() or "(cấp tỉnh)",
        )
    out.print(table)


def _tree(inv: Inventory, devices: Sequence[DeviceView]) -> Tree:
    info = inv.settings.province
    root = Tree(f"[bold]{escape(info.name)}[/bold] ({info.code})")
    branches: dict[str, Tree] = {}
    sites: dict[str, Tree] = {}
    for d in devices:
        key = d.commune_code or "-"
        if key not in branches:
            label = (
                f"{d.commune_code} {d.commune_name}" if d.commune else "Cấp tỉnh (province level)"
            )
            branches[key] = root.add(escape(label))
        if d.site.id not in sites:
            sites[d.site.id] = branches[key].add(f"{escape(d.site.id)} [dim]{d.site.kind}[/dim]")
        flag = " [yellow](telco: chỉ giám sát)[/yellow]" if d.monitor_only else ""
        sites[d.site.id].add(f"{escape(d.name)} [dim]{d.role} {d.platform} {d.host}[/dim]{flag}")
    return root


@app.command()
@exits_cleanly
def stats(inventory: InventoryOption = None, limit: LimitOption = None) -> None:
    """Thống kê (stats): xã/phường, điểm, thiết bị theo vai trò, platform, đơn vị quản lý."""
    inv, devices = load_selected(inventory, limit)
    communes = {d.commune_code for d in devices if d.commune}
    sites = {d.site.id: d.site for d in devices}
    types = Counter(c.type.value for c in inv.communes if c.code in communes)
    table = Table(title=f"{inv.settings.province.name} ({inv.settings.province.code})")
    table.add_column("Mục (item)")
    table.add_column("Số lượng (count)", justify="right")
    table.add_row("Xã/phường/đặc khu (communes)", str(len(communes)))
    for kind, count in sorted(types.items()):
        table.add_row(f"  {kind}", str(count))
    table.add_row("Điểm (sites)", str(len(sites)))
    for kind, count in sorted(Counter(s.kind.value for s in sites.values()).items()):
        table.add_row(f"  {kind}", str(count))
    table.add_row("Thiết bị (devices)", str(len(devices)))
    for title, counter in (
        ("vai trò (role)", Counter(d.role.value for d in devices)),
        ("platform", Counter(d.platform for d in devices)),
        ("quản lý (managed by)", Counter(d.managed_by.value for d in devices)),
    ):
        for key, count in sorted(counter.items()):
            table.add_row(f"  {title}: {key}", str(count))
    out.print(table)


class ExportFormat(StrEnum):
    FILE_SD = "file_sd"
    ANSIBLE = "ansible"
    PYINFRA = "pyinfra"
    NETMIKO = "netmiko"


@app.command("export")
@exits_cleanly
def export_command(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="Định dạng xuất.")],
    inventory: InventoryOption = None,
    limit: LimitOption = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="Tệp đích; mặc định stdout.")
    ] = None,
) -> None:
    """Xuất inventory (export) cho Prometheus, Ansible, pyinfra, Netmiko. Không chứa bí mật."""
    inv, devices = load_selected(inventory, limit)
    text = render_export(fmt, inv, devices)
    if out_file is None:
        typer.echo(text, nl=False)
    else:
        out_file.write_text(text, encoding="utf-8")
        err.print(f"{len(devices)} thiết bị → {out_file}")


def render_export(fmt: ExportFormat, inv: Inventory, devices: Sequence[DeviceView]) -> str:
    if fmt is ExportFormat.FILE_SD:
        return json.dumps(export.file_sd(devices), ensure_ascii=False, indent=2) + "\n"
    if fmt is ExportFormat.ANSIBLE:
        return str(yaml_rs.dumps(export.ansible(inv, devices)))
    if fmt is ExportFormat.PYINFRA:
        return export.pyinfra(inv, devices)
    return json.dumps(export.netmiko(inv, devices), ensure_ascii=False, indent=2) + "\n"
