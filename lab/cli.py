"""``provnet demo`` and ``provnet lab``: the province twin from the command line."""

from __future__ import annotations

from inventory.cli import show, stats, validate
from provnet.console import InventoryOption, out


def demo(inventory: InventoryOption = None) -> None:
    """Chạy thử trên tỉnh mẫu (demo on the example province): validate, stats, a commune."""
    out.rule("provnet demo — 1/3 kiểm tra inventory (validate)")
    validate(None, inventory)
    out.rule("2/3 thống kê (stats)")
    stats(inventory, None)
    out.rule("3/3 một xã (one commune)")
    show(inventory, ["commune=*Hàm Rồng*"], tree=True)
