"""The ``baseline`` server deploy to N twin servers: from scratch, then again (nothing to change).

``.venv/bin/python -m bench servers_deploy [-- --servers N]`` (root; the twin's image is built
first if missing, which is not timed).

Printed: wall time and this process's CPU time of each run (connect, facts, operations; the
first run installs chrony, rsyslog, nftables and unattended-upgrades from the twin's mirror),
and how many servers changed. The same deploy with the Ansible role, side by side:
``python -m bench baseline_ansible``. The process is patched with gevent first, as pyinfra's
CLI and ``provnet servers`` are.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Any

LAN4 = IPv4Network("10.196.0.0/24")
LAN6 = IPv6Network("fd00:70:196::/64")


def main(argv: Sequence[str] = ()) -> None:
    from gevent import monkey  # type: ignore[import-untyped]

    monkey.patch_all()

    from deploys.servers.base import get_deploy
    from deploys.servers.run import Runner, build_inventory
    from inventory.export import PyinfraHost
    from inventory.masking import Redactor
    from inventory.secrets import SecretStore
    from lab.image import ensure_image
    from lab.netns import NetnsTwin, plan_hosts, root_available

    parser = argparse.ArgumentParser(prog="bench servers_deploy")
    parser.add_argument("--servers", type=int, default=50)
    args = parser.parse_args(argv)
    available, reason = root_available()
    if not available:
        raise SystemExit(f"bench servers_deploy: {reason}")
    image = ensure_image()
    baseline = get_deploy("baseline")
    twin = NetnsTwin()
    with tempfile.TemporaryDirectory(prefix="provnet-bench-deploy-") as workdir:
        try:
            running = twin.start(
                plan_hosts(
                    [f"bench-dep{n:02d}" for n in range(args.servers)],
                    ipv4_lan=LAN4,
                    ipv6_lan=LAN6,
                ),
                prefix="pvbdep",
                state_dir=Path(workdir) / "state",
                image=image,
                timeout=300,
            )
            data: dict[str, Any] = {
                **twin.pyinfra_data(),
                "provnet_security_level": 3,
                "provnet_ntp_servers": ["10.38.224.1"],
                "provnet_syslog_servers": [],
                "provnet_management_prefixes": [str(LAN4), str(LAN6)],
                "provnet_apt_mirror": {
                    "url": twin.mirror_url,
                    "suite": "./",
                    "security_suite": None,
                    "components": [],
                    "trusted": True,
                },
                "provnet_data": {"ntp_set_clock": False},
            }
            hosts = [
                PyinfraHost(
                    h.name,
                    {"ssh_hostname": str(h.address), "provnet_mgmt_ipv4": str(h.address), **data},
                    None,
                    ("server",),
                )
                for h in running
            ]
            runs = []
            for label in ("from scratch", "again"):
                inventory, _ = build_inventory(
                    hosts, SecretStore({}), str(twin.known_hosts), Redactor({})
                )
                runner = Runner(baseline, inventory, Redactor({}))
                wall, cpu = time.perf_counter(), time.process_time()
                runner.connect()
                runner.prepare()
                runner.execute()
                runner.disconnect()
                counts = runner.report().counts()
                runs.append((label, time.perf_counter() - wall, time.process_time() - cpu, counts))
        finally:
            twin.stop()
    print(f"baseline to {args.servers} twin servers (Debian 12, systemd), provnet servers:")
    for label, wall, cpu, counts in runs:
        shown = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
        print(f"  {label:>12}: {wall:6.1f} s wall, {cpu:6.1f} s CPU (this process) — {shown}")
    if any(counts.get("failed") or counts.get("unreachable") for *_, counts in runs):
        raise SystemExit(1)
