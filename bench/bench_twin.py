"""The whole twin as `provnet lab up` starts it: every device of the example province.

Prints the start time (SSH + SNMP + SIP for every router, switch and VC endpoint),
the daemon's resident memory, and one SNMP poll of every device through the overlay.
Targets (issue: the province twin): 500 devices under 10 s and under 1 GiB RSS.
"""

from __future__ import annotations

import asyncio
import ipaddress
import tempfile
import time
from pathlib import Path

from exporters.poll import poll, targets_for
from inventory.loader import example_inventory_path
from inventory.resolve import iter_devices
from inventory.secrets import SecretStore
from inventory.validate import load_valid
from lab.control import PIDFILE, lab_down, lab_up

EXAMPLE = example_inventory_path()
BASE = ipaddress.IPv4Address("127.90.0.0")


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="provnet-bench-twin-") as workdir:
        state_dir = Path(workdir) / "lab"
        try:
            result = lab_up(EXAMPLE, [], state_dir, BASE)
            pid = int((state_dir / PIDFILE).read_text())
            print(
                f"twin start: {result.devices} devices in {result.seconds:.2f} s "
                f"(target < 10 s); {result.note or 'Linux servers in namespaces'}"
            )
            print(f"daemon RSS after start: {_rss_mib(pid):.0f} MiB (target < 1024 MiB)")
            inv = load_valid(result.overlay)
            views = [v for v in iter_devices(inv) if v.role.value != "server"]
            targets = targets_for(inv, views, SecretStore({}, result.secrets_file))
            started = time.perf_counter()
            results = asyncio.run(poll(targets, timeout=2.0, retries=1))
            elapsed = time.perf_counter() - started
            answered = sum(r.reachable for r in results)
            print(
                f"SNMPv3 poll of every device with pysnmp (the demo's poller): "
                f"{answered}/{len(results)} answered in {elapsed:.2f} s "
                f"({len(results) / elapsed:,.0f} targets/s)"
            )
            print(f"daemon RSS after the poll: {_rss_mib(pid):.0f} MiB")
        finally:
            started = time.perf_counter()
            lab_down(state_dir)
            print(f"twin down: {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
