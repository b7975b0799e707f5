"""The server ``baseline`` to the same N twin servers: provnet (pyinfra) vs the Ansible role.

``.venv/bin/python -m bench baseline_ansible [-- --servers 50 --forks 50]`` (root; the twin's
image is built first if missing, which is not timed).

Each side gets a freshly booted set of the same N servers (same names and addresses; Debian
12 with systemd, real sshd) and deploys the baseline twice: from scratch (installs chrony,
rsyslog, nftables and unattended-upgrades from the twin's mirror, writes the files, restarts
the services), then again with nothing to change.

- provnet: the deploy as ``provnet servers deploy baseline -y`` runs it (pyinfra's API,
  paramiko, every server at once);
- Ansible: ``deploys/ansible/baseline.yml`` (the role) through ansible-runner as
  ``provnet ansible run`` runs it, at ``--forks`` (default 50, not Ansible's default 5), with
  Ansible's own speed settings on (pipelining, interpreter named, ControlPersist).

Every run is its own process in its own cpuacct cgroup: the wall time is the process's (as
``time provnet ...`` shows it) and the controller's CPU time counts everything the run
started (Ansible's forks, ssh clients and their ControlPersist masters); the servers' own CPU
is not counted. Printed side by side with the ratio and the load average before each run
(the machine may be shared). After the Ansible side, provnet's deploy is run dry on the same
servers: the operations it would still change measure how far the role is from the deploy.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Any

LAN4 = IPv4Network("10.197.0.0/24")
LAN6 = IPv6Network("fd00:70:197::/64")
CGROUP_ROOT = Path("/sys/fs/cgroup/cpuacct")
RUN_TIMEOUT_S = 1500
GOALS = {"from scratch": 2.0, "again": 3.0}


@dataclass(frozen=True)
class Run:
    side: str
    label: str
    wall: float
    cpu: float
    load: float
    outcome: dict[str, Any]


def _load() -> float:
    return os.getloadavg()[0]


class _Cpu:
    """CPU seconds of a child and everything it starts: a cpuacct cgroup where there is one,
    else the waited-for children's rusage (which misses daemonised ssh masters)."""

    def __init__(self, name: str) -> None:
        self.group = CGROUP_ROOT / name
        self.cgroup = False
        try:
            self.group.mkdir()
            self.cgroup = True
        except OSError:
            pass
        self.before = resource.getrusage(resource.RUSAGE_CHILDREN)

    def enter(self) -> None:  # in the child, before exec
        if self.cgroup:
            (self.group / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self) -> float:
        if self.cgroup:
            return int((self.group / "cpuacct.usage").read_text()) / 1e9
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime - self.before.ru_utime) + (after.ru_stime - self.before.ru_stime)

    def close(self) -> None:
        """End what the run left in its cgroup (ssh ControlPersist masters), then remove it."""
        if not self.cgroup:
            return
        for _ in range(50):
            pids = [int(p) for p in (self.group / "cgroup.procs").read_text().split()]
            if not pids:
                break
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            time.sleep(0.1)
        with contextlib.suppress(OSError):
            self.group.rmdir()


def run_side(side: str, hosts_file: Path, label: str, forks: int, workdir: Path) -> Run:
    load = _load()
    cpu = _Cpu(f"provnet-bench-{os.getpid()}-{side}-{label.replace(' ', '-')}")
    argv = [sys.executable, "-m", "bench.baseline_side", side, str(hosts_file)]
    argv += ["--forks", str(forks), "--artifacts", str(workdir / "artifacts")]
    env = {**os.environ, "HOME": str(workdir / "home"), "ANSIBLE_NOCOLOR": "1"}
    try:
        started = time.perf_counter()
        done = subprocess.run(
            argv,
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            preexec_fn=cpu.enter,
            check=False,
        )
        wall = time.perf_counter() - started
        seconds = cpu.seconds()
    finally:
        cpu.close()
    lines = done.stdout.strip().splitlines()
    try:
        outcome = json.loads(lines[-1])
    except (IndexError, ValueError):
        outcome = {"ok": False, "errors": [(done.stderr or done.stdout).strip()[-800:]]}
    return Run(side, label, wall, seconds, load, outcome)


def _shown(outcome: dict[str, Any]) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in sorted(outcome.get("counts", {}).items()))
    text = f"{counts}; {outcome.get('changes', '?')} changes"
    errors = outcome.get("errors") or []
    return text + (f"; errors: {' | '.join(errors)}" if errors else "")


def main(argv: Sequence[str] = ()) -> None:
    from lab.image import ensure_image
    from lab.netns import NetnsTwin, plan_hosts, root_available

    parser = argparse.ArgumentParser(prog="bench baseline_ansible")
    parser.add_argument("--servers", type=int, default=50)
    parser.add_argument("--forks", type=int, default=50)
    parser.add_argument("--sides", default="provnet,ansible")
    args = parser.parse_args(argv)
    available, reason = root_available()
    if not available:
        raise SystemExit(f"bench baseline_ansible: {reason}")
    image = ensure_image()
    names = [f"bench-bl{n:02d}" for n in range(args.servers)]
    runs: list[Run] = []
    residue: dict[str, Any] = {}
    for side in args.sides.split(","):
        with tempfile.TemporaryDirectory(prefix=f"provnet-bench-bl-{side}-") as tmp:
            workdir = Path(tmp)
            (workdir / "home").mkdir()
            twin = NetnsTwin()
            try:
                boot = time.perf_counter()
                running = twin.start(
                    plan_hosts(names, ipv4_lan=LAN4, ipv6_lan=LAN6),
                    prefix="pvbbl",
                    state_dir=workdir / "state",
                    image=image,
                    timeout=300,
                )
                print(
                    f"{side}: {len(running)} servers booted in {time.perf_counter() - boot:.0f} s",
                    flush=True,
                )
                hosts_file = workdir / "hosts.json"
                hosts_file.write_text(
                    json.dumps(
                        {
                            "user": twin.username,
                            "key": str(twin.key_path),
                            "known_hosts": str(twin.known_hosts),
                            "mirror_url": twin.mirror_url,
                            "lan4": str(LAN4),
                            "lan6": str(LAN6),
                            "hosts": [{"name": h.name, "address": str(h.address)} for h in running],
                        }
                    ),
                    encoding="utf-8",
                )
                for label in ("from scratch", "again"):
                    run = run_side(side, hosts_file, label, args.forks, workdir)
                    runs.append(run)
                    print(
                        f"  {side} {label}: {run.wall:.1f} s wall, {run.cpu:.1f} s CPU "
                        f"(load {run.load:.1f}) — {_shown(run.outcome)}",
                        flush=True,
                    )
                if side == "ansible":
                    residue = run_side(
                        "provnet-dry", hosts_file, "after", args.forks, workdir
                    ).outcome
            finally:
                twin.stop()
    _print(args, runs, residue)
    if any(not r.outcome.get("ok") for r in runs):
        raise SystemExit(1)


def _print(args: argparse.Namespace, runs: list[Run], residue: dict[str, Any]) -> None:
    by = {(r.side, r.label): r for r in runs}
    print(
        f"\nbaseline to {args.servers} twin servers (Debian 12, systemd); Ansible at "
        f"--forks {args.forks}, pipelining on:"
    )
    print(
        f"  {'run':>12}  {'provnet wall':>12} {'CPU':>7}   {'Ansible wall':>12} {'CPU':>7}"
        f"   {'ratio wall':>10} {'ratio CPU':>9}  goal"
    )
    for label, goal in GOALS.items():
        p, a = by.get(("provnet", label)), by.get(("ansible", label))
        if p is None or a is None:
            continue
        ratio, ratio_cpu = a.wall / p.wall, a.cpu / max(p.cpu, 1e-9)
        verdict = "met" if ratio >= goal else "NOT met"
        print(
            f"  {label:>12}  {p.wall:10.1f} s {p.cpu:5.1f} s   {a.wall:10.1f} s {a.cpu:5.1f} s"
            f"   {ratio:9.1f}x {ratio_cpu:8.1f}x  >= {goal:.0f}x {verdict}"
        )
    print(
        "  load average (1 min) before each run: "
        + ", ".join(f"{r.side} {r.label} {r.load:.1f}" for r in runs)
    )
    if residue:
        print(f"  provnet's deploy, dry, after the Ansible role: {_shown(residue)}")
