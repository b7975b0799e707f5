"""``provnet demo``: the main job on the example province, with nothing to configure.

Validates the inventory, brings up its twin, reads reachability and uptime of every
commune over SNMP, injects a fault and shows it, and tears everything down.
"""

from __future__ import annotations

import asyncio
import ipaddress
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from rich.table import Table

from exporters.poll import PollResult, poll, targets_for
from inventory.cli import stats, validate
from inventory.loader import Inventory
from inventory.resolve import DeviceView, iter_devices
from inventory.secrets import SecretStore
from inventory.validate import load_valid
from lab.control import UpResult, lab_down, lab_up, request
from provnet.console import InventoryOption, out

DEMO_BASE = "127.3.0.0"


def _poll_overlay(result: UpResult) -> tuple[Inventory, list[DeviceView], list[PollResult]]:
    inv = load_valid(result.overlay)
    views = [v for v in iter_devices(inv) if v.role.value != "server"]
    store = SecretStore({}, result.secrets_file)
    results = asyncio.run(poll(targets_for(inv, views, store), timeout=1.0, retries=0))
    return inv, views, results


def commune_table(
    views: Sequence[DeviceView], results: Sequence[PollResult], title: str, rows: int = 12
) -> Table:
    by_name = {r.name: r for r in results}
    table = Table(title=title)
    for column in ("Mã xã", "Xã/phường", "Router", "Uptime router", "Điểm cầu VC"):
        table.add_column(column)
    communes: dict[str, list[DeviceView]] = {}
    for view in views:
        if view.commune is not None:
            communes.setdefault(view.commune_code, []).append(view)
    for code, members in list(communes.items())[:rows]:
        router = next((by_name.get(v.name) for v in members if v.role.value == "wan_router"), None)
        vc = next((by_name.get(v.name) for v in members if v.role.value == "vc_endpoint"), None)
        table.add_row(
            code,
            members[0].commune_name,
            _state(router),
            f"{router.uptime_seconds:.0f} s" if router and router.uptime_seconds else "-",
            _state(vc),
        )
    return table


def _state(result: PollResult | None) -> str:
    if result is None:
        return "-"
    return "[green]trả lời (up)[/green]" if result.reachable else "[red]mất (down)[/red]"


def _summary(views: Sequence[DeviceView], results: Sequence[PollResult]) -> str:
    reachable = {r.name for r in results if r.reachable}
    communes = {v.commune_code for v in views if v.commune}
    connected = {
        v.commune_code for v in views if v.role.value == "wan_router" and v.name in reachable
    }
    return (
        f"{len(reachable)}/{len(results)} thiết bị trả lời SNMP (devices answer); "
        f"{len(connected & communes)}/{len(communes)} xã có router trả lời (communes connected)"
    )


def demo(inventory: InventoryOption = None) -> None:
    """Chạy thử trên tỉnh mẫu (demo on the example province): twin, SNMP, sự cố."""
    started = time.monotonic()
    out.rule("provnet demo — 1/5 inventory: kiểm tra và thống kê (validate, stats)")
    validate(None, inventory)
    stats(inventory, None)
    with tempfile.TemporaryDirectory(prefix="provnet-demo-") as workdir:
        state_dir = Path(workdir) / "lab"
        try:
            _run_twin(inventory, state_dir)
        finally:
            lab_down(state_dir)
            out.rule("5/5 dừng twin (teardown)")
            out.print("Twin đã dừng, không để lại tiến trình hay tệp nào (nothing left behind).")
    out.print(f"Demo xong trong {time.monotonic() - started:.1f} s.")


def _run_twin(inventory: Path | None, state_dir: Path) -> None:
    out.rule("2/5 khởi động twin của tỉnh (start the province twin)")
    result = lab_up(inventory, [], state_dir, ipaddress.IPv4Address(DEMO_BASE))
    out.print(f"{result.devices} thiết bị mô phỏng (SSH + SNMP) trong {result.seconds:.1f} s")
    if result.note:
        out.print(result.note)
    out.rule("3/5 khả năng kết nối và uptime theo xã, đọc qua SNMPv3 (reachability over SNMP)")
    _, views, results = _poll_overlay(result)
    out.print(commune_table(views, results, "Xã/phường (12 đầu tiên / first 12)"))
    out.print(_summary(views, results))
    out.rule("4/5 gây sự cố (inject faults): router một xã mất kết nối, một router khởi động lại")
    routers = [
        v for v in views if v.role.value == "wan_router" and v.commune and not v.monitor_only
    ]
    victim, rebooted = routers[0], routers[1]
    for device, kind in ((victim, "down"), (rebooted, "reboot")):
        done = request(state_dir, {"op": "fault", "device": device.name, "kind": kind})["done"]
        out.print(f"  {done}")
    _, views, after = _poll_overlay(result)
    out.print(commune_table(views, after, "Sau sự cố (after the faults)", rows=4))
    out.print(_summary(views, after))
