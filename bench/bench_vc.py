"""`provnet vc check` of every VC endpoint of the example province (167) on the twin.

Prints the wall time of the command (start-up included) without test calls (target:
under 10 s on 2 cores) and with a 10 s test call on every endpoint at concurrency 50,
with the CPU seconds of provnet's process and of the twin's daemon (less noisy than wall
time on a shared machine) and the load average when it started.
No peer: no other tool checks a province's mixed fleet of endpoints for a session.
The twin runs at 127.233.0.0; its endpoints are registered first (as the vc_endpoint
change leaves them), which is not timed.
"""

from __future__ import annotations

import ipaddress
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from inventory.export import netmiko_connect_params
from inventory.loader import example_inventory_path
from inventory.resolve import DeviceView, iter_devices
from inventory.secrets import SecretStore
from inventory.validate import load_valid
from lab.control import PIDFILE, lab_down, lab_up
from platforms import network_platform
from platforms.network import ConnectParams

EXAMPLE = example_inventory_path()
BASE = ipaddress.IPv4Address("127.233.0.0")
REGISTRAR = "sip.thanhhoa.gov.vn"


def register(view: DeviceView, params: ConnectParams) -> None:
    session = network_platform(view.platform).connect(params)
    try:
        session.push(
            [
                f'xConfiguration SIP URI: "{view.name}@{REGISTRAR}"',
                f'xConfiguration SIP Proxy 1 Address: "{REGISTRAR}"',
            ]
        )
    finally:
        session.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(env: dict[str, str], twin: int, *args: str) -> tuple[float, dict[str, object], int, str]:
    load = os.getloadavg()[0]
    provnet_before, twin_before = children_cpu(), cpu_seconds(twin)
    started = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "provnet"), "vc", "check", "-f", "json", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=600,
    )
    elapsed = time.perf_counter() - started
    cpu = (
        f"CPU {children_cpu() - provnet_before:.2f} s provnet + "
        f"{cpu_seconds(twin) - twin_before:.2f} s twin, load {load:.1f}"
    )
    if done.returncode not in (0, 100, 101):
        raise SystemExit(done.stderr)
    return elapsed, json.loads(done.stdout), done.returncode, cpu


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="provnet-bench-vc-") as workdir:
        state_dir = Path(workdir) / "lab"
        try:
            up = lab_up(EXAMPLE, ["role=vc_endpoint"], state_dir, BASE)
            inv = load_valid(up.overlay)
            store = SecretStore({}, up.secrets_file)
            views = [v for v in iter_devices(inv) if v.role.value == "vc_endpoint"]
            with ThreadPoolExecutor(16) as pool:
                jobs = []
                for view in views:
                    raw = netmiko_connect_params(inv, view, store)
                    params = ConnectParams(
                        str(raw["host"]),
                        int(raw["port"]),
                        str(raw["username"]),
                        str(raw.get("password", "")),
                        known_hosts=None,
                    )
                    jobs.append(pool.submit(register, view, params))
                for job in jobs:
                    job.result()
            env = {
                **os.environ,
                "PROVNET_INVENTORY": str(up.overlay),
                "PROVNET_SECRETS_FILE": str(up.secrets_file),
                "COLUMNS": "200",
            }
            twin = int((state_dir / PIDFILE).read_text(encoding="utf-8"))
            elapsed, report, code, cpu = run(env, twin)
            print(
                f"provnet vc check, {len(views)} endpoints, no test call: {elapsed:.2f} s wall "
                f"(target < 10 s), {cpu}; {report['communes_ready']}/"
                f"{report['communes_total']} communes ready, exit {code}; peer: none"
            )
            elapsed, report, code, cpu = run(
                env, twin, "--test-call", "8000", "--call-seconds", "10", "--concurrency", "50"
            )
            print(
                f"provnet vc check --test-call (10 s calls, concurrency 50): {elapsed:.2f} s "
                f"wall, {cpu}; {report['communes_ready']}/{report['communes_total']} communes "
                f"ready, exit {code}"
            )
        finally:
            lab_down(state_dir)


if __name__ == "__main__":
    main()
