"""Twin servers: boot N Debian systems (systemd PID 1, sshd) from the cached image.

``.venv/bin/python -m bench servers [-- --servers N]`` (root; the image is built first if
missing, which is not timed).

Printed: the time until every server's sshd answers on IPv4 and IPv6, the time until every
systemd says ``running`` (and how many did not), resident memory per server (every process
of the server; pages shared between servers count in each), the disk of the servers' upper
layers against the one image, and the time to stop them all. Target (issue: server
deploys): 50 servers in under 60 s. No peer: nothing else boots systemd servers here
(systemd-nspawn needs systemd on the host, Docker has no engine on this machine).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path

from lab.image import ensure_image
from lab.netns import NetnsTwin, plan_hosts, root_available

LAN4 = IPv4Network("10.197.0.0/24")
LAN6 = IPv6Network("fd00:70:197::/64")


def _disk_mib(path: Path) -> float:
    done = subprocess.run(["du", "-sm", str(path)], capture_output=True, text=True, check=False)
    return float(done.stdout.split()[0]) if done.stdout else float("nan")


def main(argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(prog="bench servers")
    parser.add_argument("--servers", type=int, default=50)
    args = parser.parse_args(argv)
    available, reason = root_available()
    if not available:
        raise SystemExit(f"bench servers: {reason}")
    image = ensure_image()
    names = [f"bench-srv{n:02d}" for n in range(args.servers)]
    twin = NetnsTwin()
    with tempfile.TemporaryDirectory(prefix="provnet-bench-servers-") as workdir:
        state_dir = Path(workdir) / "state"
        started = time.perf_counter()
        try:
            hosts = twin.start(
                plan_hosts(names, ipv4_lan=LAN4, ipv6_lan=LAN6),
                prefix="pvbench",
                state_dir=state_dir,
                image=image,
                timeout=300,
            )
            ssh_ready = time.perf_counter() - started

            def state(name: str) -> str:
                wait = ["systemctl", "is-system-running", "--wait"]
                return twin.run(name, wait, timeout=300).stdout.strip()

            with ThreadPoolExecutor(max_workers=8) as pool:
                states = list(pool.map(state, [h.name for h in hosts]))
            running = time.perf_counter() - started
            rss = sorted(twin.rss_bytes(h.name) / 2**20 for h in hosts)
            upper = _disk_mib(state_dir)
        finally:
            stopping = time.perf_counter()
            twin.stop()
            stopped = time.perf_counter() - stopping
    not_running = len(states) - states.count("running")
    print(f"servers: {len(hosts)} booted from one image ({_disk_mib(image.root):.0f} MiB)")
    print(f"  sshd answering (IPv4 + IPv6): {ssh_ready:.1f} s (target < 60 s for 50)")
    print(f"  systemd 'running' everywhere: {running:.1f} s; not running: {not_running}")
    print(
        f"  RSS per server: median {rss[len(rss) // 2]:.1f} MiB, max {rss[-1]:.1f} MiB "
        f"(systemd, journald, logind, dbus, sshd)"
    )
    print(f"  upper layers after boot: {upper:.0f} MiB in all (mostly each journal's first file)")
    print(f"  stop (everything removed): {stopped:.1f} s")
    if not_running:
        raise SystemExit(1)
