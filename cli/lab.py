"""``provnet lab``: bring the province twin up, look at it, break it, bring it down."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from lab.control import default_state_dir, lab_down, lab_up, request, servers_status
from lab.image import find_image
from lab.twin import DEFAULT_BASE, FAULTS
from provnet.console import InventoryOption, LimitOption, exits_cleanly, out

app = typer.Typer(
    help="Bản sao số của tỉnh (the province twin): thiết bị mô phỏng có trạng thái.",
    no_args_is_help=True,
)

StateDirOption = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        envvar="PROVNET_LAB_DIR",
        help="Thư mục trạng thái của twin (default /tmp/provnet-lab-UID).",
        show_default=False,
    ),
]


def _loopback(text: str) -> ipaddress.IPv4Address:
    """``--base``: an IPv4 address in 127.0.0.0/8, the only range the twin may use."""
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError:
        raise typer.BadParameter(f"'{text}' is not an IPv4 address", param_hint="--base") from None
    if not address.is_loopback:
        raise typer.BadParameter(
            f"{address} is not in 127.0.0.0/8: the twin listens on loopback only",
            param_hint="--base",
        )
    return address


@app.command()
@exits_cleanly
def up(
    inventory: InventoryOption = None,
    limit: LimitOption = None,
    state_dir: StateDirOption = None,
    base: Annotated[
        str, typer.Option(help="First loopback address of the twin's devices (127.x.y.z).")
    ] = str(DEFAULT_BASE),
) -> None:
    """Khởi động twin (start the twin) và ghi inventory overlay trỏ vào nó."""
    if os.geteuid() == 0 and find_image() is None:  # lab up checks the rest itself
        out.print(
            "Tạo image Debian cho máy chủ của twin, một lần, khoảng 2 phút (building the twin "
            "servers' Debian image once, about 2 minutes; ./dev setup does it beforehand)"
        )
    result = lab_up(inventory, limit or [], state_dir, _loopback(base))
    out.print(
        f"Twin đã chạy (up): {result.devices} thiết bị trong {result.seconds:.1f} s — "
        f"{result.state_dir}"
    )
    if result.note:
        out.print(result.note)
    if result.known_hosts:
        out.print(f"Khoá SSH của thiết bị (device host keys): {result.known_hosts}")
    out.print("Để mọi lệnh provnet chạy trên twin (to run every command against the twin):")
    for key, value in result.environment().items():
        out.print(f"  export {key}={value}")


@app.command()
@exits_cleanly
def status(state_dir: StateDirOption = None) -> None:
    """Trạng thái từng thiết bị mô phỏng (status of every simulated device)."""
    answer = request(state_dir or default_state_dir(), {"op": "status"})
    table = Table(title=f"Twin: {len(answer['devices'])} thiết bị")
    for column in ("Thiết bị", "Platform", "Địa chỉ", "Xã", "Uptime (s)", "Sự cố (faults)"):
        table.add_column(column)
    for row in answer["devices"]:
        faults = [
            name
            for name, active in (
                ("down", row["down"]),
                (f"slow {row['slow_ms']}ms", row["slow_ms"]),
                ("drop-snmp", row["drop_snmp"]),
                ("garbage-snmp", row.get("garbage_snmp", False)),
                (
                    f"drop-session-after {row.get('drop_session_after')}",
                    row.get("drop_session_after") is not None,
                ),
                ("unregistered", row.get("unregistered", False)),
                ("camera-off", row.get("camera_off", False)),
                ("mic-muted", row.get("mic_muted", False)),
                (f"clock-skew {row.get('clock_skew_s', 0):g}s", row.get("clock_skew_s", 0)),
                (f"media-loss {row.get('media_loss_pct', 0):g}%", row.get("media_loss_pct", 0)),
            )
            if active
        ] + [f"link-down {i}" for i in row["interfaces_down"]]
        table.add_row(
            row["name"],
            row["platform"],
            row["host"],
            row["commune_code"],
            str(row["uptime_s"]),
            ", ".join(faults) or "-",
        )
    out.print(table)
    servers = servers_status(state_dir or default_state_dir())
    if servers:
        table = Table(title=f"Twin: {len(servers)} máy chủ Debian (Debian servers)")
        for column in ("Máy chủ", "IPv4", "IPv6", "systemd", "RSS (MiB)"):
            table.add_column(column)
        for row in servers:
            table.add_row(*row)
        out.print(table)


@app.command()
@exits_cleanly
def fault(
    device: Annotated[str, typer.Argument(help="Tên thiết bị (device name).")],
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(FAULTS)}.")],
    argument: Annotated[
        str,
        typer.Argument(
            help="MS for slow, IFACE for link-down/up, N for drop-session-after, "
            "SECONDS for clock-skew, PERCENT for media-loss."
        ),
    ] = "",
    state_dir: StateDirOption = None,
) -> None:
    """Gây sự cố (inject a fault): down|up|reboot|slow MS|link-down IFACE|drop-snmp|
    garbage-snmp (SNMP trả rác, random bytes)|restore-snmp|
    drop-session-after N (cắt phiên SSH sau N dòng cấu hình, one-shot); điểm cầu (VC):
    unregistered|camera-off|mic-muted|clock-skew SECONDS|media-loss PERCENT ('up' gỡ hết)."""
    answer = request(
        state_dir or default_state_dir(),
        {"op": "fault", "device": device, "kind": kind, "argument": argument},
    )
    out.print(f"Đã gây sự cố (fault injected): {answer['done']}")


@app.command()
@exits_cleanly
def down(state_dir: StateDirOption = None) -> None:
    """Dừng twin và xoá mọi thứ nó để lại (stop the twin, remove everything it left)."""
    was_up = lab_down(state_dir)
    out.print("Twin đã dừng (down)." if was_up else "Twin không chạy; đã dọn dẹp (cleaned up).")
