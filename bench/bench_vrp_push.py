"""Fixed overhead of a configuration push: provnet's sessions against Netmiko's stock drivers.

    .venv/bin/python -m bench vrp_push [-- --rounds 5 --stock-rounds 2]

Starts its own twin (127.75.0.0, two communes: Huawei VRP, Cisco IOS / IOS XE), then on
the same device, side by side, with the connection already open (connect excluded):

- a 4-line push + leaving configuration mode: Netmiko's stock ``huawei_vrp`` driver
  (``send_config_set``), provnet's :class:`~platforms.huawei_vrp.session.FastHuaweiSSH`
  (``send_config_set``, same call) and provnet's session ``push`` (which also checks every
  line for errors); the same for ``cisco_ios``;
- the disconnect.

Target: the VRP push overhead under 1 s (the stock driver waits ~9 s for silences).
Traffic goes to 127.0.0.0/8 only; rounds are bounded.
"""

from __future__ import annotations

import argparse
import ipaddress
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from netmiko import BaseConnection

from inventory.export import netmiko_connect_params
from inventory.loader import example_inventory_path
from inventory.resolve import iter_devices
from inventory.secrets import SecretStore
from inventory.validate import load_valid
from lab.control import lab_down, lab_up
from platforms import network_platform
from platforms.connection import open_netmiko, stock_connect
from platforms.huawei_vrp.session import FastHuaweiSSH
from platforms.network import ConnectParams

EXAMPLE = example_inventory_path()
BASE = ipaddress.IPv4Address("127.75.0.0")
LIMIT = ["commune=14845", "commune=14758"]
MAX_SECONDS = 240.0  # the whole benchmark stops starting rounds after this


def vrp_lines(i: int) -> list[str]:
    return [
        f"ntp-service unicast-server 10.38.0.{100 + i}",
        f"info-center loghost 10.38.1.{100 + i}",
        "interface LoopBack7",
        f"description provnet-bench-{i}",
    ]


def ios_lines(i: int) -> list[str]:
    return [
        f"ntp server 10.38.0.{100 + i}",
        f"logging host 10.38.1.{100 + i}",
        "interface Loopback7",
        f"description provnet-bench-{i}",
    ]


T = TypeVar("T")


def device_params(overlay: Path, secrets_file: Path) -> dict[str, ConnectParams]:
    inv = load_valid(overlay)
    store = SecretStore({}, secrets_file)
    found: dict[str, ConnectParams] = {}
    for view in iter_devices(inv):
        if view.platform in ("huawei_vrp", "cisco_ios") and view.platform not in found:
            p = netmiko_connect_params(inv, view, store)
            found[view.platform] = ConnectParams(
                p["host"], p["port"], p["username"], p.get("password", ""), p.get("secret", "")
            )
    return found


def enabled(conn: BaseConnection) -> BaseConnection:
    conn.enable()
    return conn


def measure(
    name: str,
    rounds: int,
    connect: Callable[[], T],
    push: Callable[[T, int], object],
    close: Callable[[T], object],
    deadline: float,
) -> dict[str, list[float]]:
    """Connect (timed apart), push ``rounds`` times on one session, disconnect; in seconds."""
    out: dict[str, list[float]] = {"connect": [], "push": [], "disconnect": []}
    for r in range(rounds):
        if time.monotonic() > deadline:
            print(f"  {name}: time budget spent after {r} rounds")
            break
        t = time.perf_counter()
        conn = connect()
        out["connect"].append(time.perf_counter() - t)
        t = time.perf_counter()
        push(conn, r)
        out["push"].append(time.perf_counter() - t)
        t = time.perf_counter()
        close(conn)
        out["disconnect"].append(time.perf_counter() - t)
    return out


def median(values: Sequence[float]) -> str:
    return f"{statistics.median(values):7.3f}" if values else "    n/a"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stock-rounds", type=int, default=2)
    args = parser.parse_args(argv)
    deadline = time.monotonic() + MAX_SECONDS
    with tempfile.TemporaryDirectory(prefix="provnet-bench-push-") as tmp:
        state = Path(tmp) / "state"
        up = lab_up(EXAMPLE, LIMIT, state, BASE)
        try:
            params = device_params(up.overlay, up.secrets_file)
            vrp, ios = params["huawei_vrp"], params["cisco_ios"]
            vrp_net, ios_net = network_platform("huawei_vrp"), network_platform("cisco_ios")
            results = {
                "VRP  netmiko stock huawei_vrp (send_config_set)": measure(
                    "stock vrp",
                    args.stock_rounds,
                    lambda: stock_connect("huawei_vrp", vrp),
                    lambda c, r: c.send_config_set(vrp_lines(r)),
                    lambda c: c.disconnect(),
                    deadline,
                ),
                "VRP  provnet FastHuaweiSSH (send_config_set)": measure(
                    "fast vrp",
                    args.rounds,
                    lambda: open_netmiko(FastHuaweiSSH, "huawei_vrp", vrp),
                    lambda c, r: c.send_config_set(vrp_lines(r)),
                    lambda c: c.disconnect(),
                    deadline,
                ),
                "VRP  provnet session.push (checked lines)": measure(
                    "provnet vrp",
                    args.rounds,
                    lambda: vrp_net.connect(vrp),
                    lambda s, r: s.push(vrp_lines(r)),
                    lambda s: s.close(),
                    deadline,
                ),
                "IOS  netmiko stock cisco_ios (send_config_set)": measure(
                    "stock ios",
                    args.rounds,
                    lambda: enabled(stock_connect("cisco_ios", ios)),
                    lambda c, r: c.send_config_set(ios_lines(r)),
                    lambda c: c.disconnect(),
                    deadline,
                ),
                "IOS  provnet session.push (checked lines)": measure(
                    "provnet ios",
                    args.rounds,
                    lambda: ios_net.connect(ios),
                    lambda s, r: s.push(ios_lines(r)),
                    lambda s: s.close(),
                    deadline,
                ),
            }
        finally:
            lab_down(state)
    print("4-line push + leave configuration mode, connect excluded (median seconds)")
    print(f"{'':50} {'push':>7} {'disconn':>7} {'connect':>7}  rounds")
    for label, r in results.items():
        print(
            f"{label:50} {median(r['push'])} {median(r['disconnect'])} "
            f"{median(r['connect'])}  {len(r['push'])}"
        )
    stock = results["VRP  netmiko stock huawei_vrp (send_config_set)"]["push"]
    ours = results["VRP  provnet session.push (checked lines)"]["push"]
    if stock and ours:
        ratio = statistics.median(stock) / statistics.median(ours)
        verdict = "OK" if statistics.median(ours) < 1.0 else "OVER TARGET"
        print(f"VRP push: provnet {ratio:.0f}x faster than stock; target < 1 s: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
