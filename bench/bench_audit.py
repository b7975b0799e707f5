"""Benchmark of `provnet audit --source backups`: 10,000 device configurations audited offline.

    python -m bench audit [-- --devices 10000 --violations 0.1 --workers 2]
    python bench/bench_audit.py --devices 2000

Provinces are scaffolded from the official list (every other one with Huawei VRP routers and
switches instead of Cisco IOS) until they hold ``--devices`` network devices the controls
apply to; each gets a compliant configuration (this module's own generator, from the
inventory's NTP and syslog servers and the platform's WAN interface), a seeded share of them
one violation each (known control), and the whole lot is committed into one backup
repository per province, as `provnet net backup` lays it out. Timed: the audit itself, from
the repositories (git read, parse, every control, waivers, scores) to the JSON document,
per province as `provnet audit` runs it (the rule set loaded once per worker, as one run
loads it once); inventory loading is timed apart, the largest provinces go first so that the
workers finish together, and the wall time is broken down (pool start, git, waiting for a
CPU, the tail, shutdown). Every finding is checked to be exactly the seeded ones. Target:
under 5 s on 2 cores for 10,000.

No peer is run: no other compliance tool (Batfish, InSpec, hier_config's compliance) is
installed on this machine; the figure is provnet's alone.
"""

from __future__ import annotations

import argparse
import functools
import ipaddress
import itertools
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: python bench/bench_audit.py
    sys.path.insert(0, str(REPO))

from checks.config import DeviceFacts  # noqa: E402
from checks.engine import (  # noqa: E402
    ConfigText,
    Plan,
    Unreadable,
    device_controls,
    device_facts,
    is_server,
    run_audit,
)
from checks.report import document  # noqa: E402
from checks.ruleset import RuleSet, load_rules  # noqa: E402
from checks.sources.backups import BackupRepository  # noqa: E402
from inventory.loader import Inventory, load_inventory  # noqa: E402
from inventory.official import provinces  # noqa: E402
from inventory.resolve import DeviceView, iter_devices  # noqa: E402
from inventory.scaffold import ScaffoldOptions, scaffold  # noqa: E402
from platforms import network_platforms  # noqa: E402
from platforms.config import Network  # noqa: E402

TARGET_SECONDS = 5.0
TARGET_CORES = 2
GIT = ("git", "-c", "user.name=bench", "-c", "user.email=bench@localhost")
VRP = ScaffoldOptions(router_platform="huawei_vrp", switch_platform="huawei_vrp")

# syntax -> (control, old line, new line): one seeded violation each
VIOLATIONS: dict[str, list[tuple[str, str, str]]] = {
    "ios": [
        ("NET-MGMT-01", " transport input ssh\n!\nend", " transport input telnet ssh\n!\nend"),
        ("NET-SNMP-01", "snmp-server view", "snmp-server community ******** RO\nsnmp-server view"),
        ("NET-LOGIN-01", "attempts 5 within", "attempts 20 within"),
        ("NET-SECRET-01", "secret 9 ********\n!", "password 7 ********\n!"),
        ("NET-ACL-01", " deny any log\n", " permit any\n deny any log\n"),
    ],
    "vrp": [
        (
            "NET-MGMT-01",
            " stelnet server enable\n",
            " telnet server enable\n stelnet server enable\n",
        ),
        ("NET-TIMEOUT-01", " idle-timeout 10 0\n acl 2001", " idle-timeout 60 0\n acl 2001"),
        ("NET-LOG-01", " info-center loghost", " info-center logbuffer"),
        (
            "NET-AAA-01",
            "vty 16 20\n authentication-mode aaa",
            "vty 16 20\n authentication-mode password",
        ),
    ],
}


def ios_config(name: str, wan: str, ntp: Sequence[str], syslog: Sequence[str]) -> str:
    vty = (
        " access-class PROVNET-MGMT in vrf-also\n ipv6 access-class PROVNET-MGMT6 in\n"
        " exec-timeout 10 0\n login local\n transport input ssh\n"
    )
    return (
        "Building configuration...\n\n!\nversion 15.7\n!\n"
        f"hostname {name}\n!\nenable secret 9 ********\n"
        "username netops privilege 15 secret 9 ********\n!\nipv6 unicast-routing\n!\n"
        f"interface {wan}\n description TSLCD cap II\n ip address 10.0.0.2 255.255.255.252\n"
        " ipv6 address 2001:DB8:2600:2::2/64\n!\n"
        "ip ssh version 2\nlogin block-for 300 attempts 5 within 120\n!\n"
        + "".join(f"ntp server {s}\n" for s in ntp)
        + "".join(f"logging host {s}\n" for s in syslog)
        + "!\nsnmp-server view PROVNET-RO iso included\n"
        "snmp-server group PROVNET-RO v3 priv read PROVNET-RO\n!\n"
        "banner login ^CCANH BAO: He thong cua co quan nha nuoc^C\n!\n"
        f"line con 0\nline vty 0 4\n{vty}line vty 5 15\n{vty}!\nend\n"
    )


def vrp_config(name: str, wan: str, ntp: Sequence[str], syslog: Sequence[str]) -> str:
    vty = (
        " authentication-mode aaa\n protocol inbound ssh\n idle-timeout 10 0\n"
        " acl 2001 inbound\n acl ipv6 2001 inbound\n"
    )
    return (
        f'#\n sysname {name}\n#\n header login information "CANH BAO"\n#\n'
        + "".join(f" info-center loghost {s}\n" for s in syslog)
        + "#\n"
        + "".join(f" ntp-service unicast-server {s}\n" for s in ntp)
        + "#\n snmp-agent\n snmp-agent sys-info version v3\n"
        " snmp-agent mib-view included PROVNET-RO iso\n"
        " snmp-agent group v3 PROVNET-RO privacy read-view PROVNET-RO\n#\n"
        " stelnet server enable\n#\naaa\n"
        " local-user netops password irreversible-cipher ********\n"
        " local-user netops state block fail-times 5 interval 5\n#\n"
        f"interface {wan}\n ipv6 enable\n ip address 10.0.0.2 255.255.255.252\n"
        " ipv6 address 2001:DB8:2600:2::2/64\n#\n"
        f"user-interface vty 0 4\n{vty}#\nuser-interface vty 16 20\n{vty}#\nreturn\n"
    )


GENERATORS = {"ios": ios_config, "vrp": vrp_config}


def _wildcard(prefix: Network) -> str:
    return str(ipaddress.IPv4Address(int(prefix.hostmask)))


def ios_acls(prefixes: Sequence[Network]) -> str:
    """The vty ACLs from the management prefixes, as hardening writes them."""
    v4 = [p for p in prefixes if p.version == 4]
    v6 = [p for p in prefixes if p.version == 6]
    return (
        "ip access-list standard PROVNET-MGMT\n"
        + "".join(f" permit {p.network_address} {_wildcard(p)}\n" for p in v4)
        + " deny any log\nipv6 access-list PROVNET-MGMT6\n"
        + "".join(f" permit ipv6 {p} any\n" for p in v6)
        + " deny ipv6 any any log\n"
    )


def vrp_acls(prefixes: Sequence[Network]) -> str:
    v4 = [p for p in prefixes if p.version == 4]
    v6 = [p for p in prefixes if p.version == 6]
    return (
        "acl number 2001\n"
        + "".join(
            f" rule {5 * i} permit source {p.network_address} {_wildcard(p)}\n"
            for i, p in enumerate(v4, 1)
        )
        + " rule 1000 deny\n#\nacl ipv6 number 2001\n"
        + "".join(f" rule {5 * i} permit source {p}\n" for i, p in enumerate(v6, 1))
        + " rule 1000 deny\n#\n"
    )


ACLS = {"ios": ios_acls, "vrp": vrp_acls}
VTY = {"ios": "line con 0\n", "vrp": "user-interface vty 0 4\n"}  # the ACLs go before


def configuration(syntax: str, name: str, uplink: str, facts: DeviceFacts) -> str:
    """A compliant configuration of ``syntax``, its vty ACLs from the management prefixes."""
    text = GENERATORS[syntax](name, uplink, facts.ntp_servers, facts.syslog_servers)
    before = VTY[syntax]
    return text.replace(before, ACLS[syntax](facts.management_prefixes) + before, 1)


@dataclass
class Province:
    root: Path
    repo: Path
    devices: int
    expected: set[tuple[str, str]]


def _git(repo: Path, *args: str) -> None:
    subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True)


def audited(inv: Inventory, rules: RuleSet) -> list[DeviceView]:
    """The network devices the configuration controls judge (servers need --source live)."""
    return [d for d in iter_devices(inv) if device_controls(rules, d) and not is_server(d)]


def build(index: int, code: str, work: Path, share: float, seed: int) -> Province:
    """Scaffold one province, write its backup repository; the expected failures."""
    rules = load_rules()
    root = work / f"p{index}-{code}"
    vrp = (index + index // len(provinces())) % 2
    scaffold(provinces()[code], root, VRP if vrp else ScaffoldOptions())
    inv = load_inventory(root).inventory
    repo = work / f"backups-{index}-{code}"
    repo.mkdir()
    _git(repo, "init", "-q")
    rng = random.Random(seed + index)
    expected: set[tuple[str, str]] = set()
    devices = audited(inv, rules)
    for device in devices:
        syntax = network_platforms()[device.platform].syntax.name
        facts = device_facts(inv, device)
        uplink = facts.interfaces.get("wan") or facts.interfaces["lan"]  # a switch: its VLAN
        text = configuration(syntax, device.name, uplink, facts)
        if rng.random() < share:
            control, old, new = rng.choice(VIOLATIONS[syntax])
            assert old in text, (syntax, control)
            text = text.replace(old, new, 1)
            expected.add((control, device.name))
        path = repo / (device.commune_code or "province") / device.site.id / f"{device.name}.cfg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "backup")
    return Province(root, repo, len(devices), expected)


@functools.cache
def _rules() -> RuleSet:
    """The rule set, loaded once per worker as one `provnet audit` run loads it once."""
    return load_rules()


@dataclass
class Run:
    """One province audited in a worker: CPU seconds (the figure that does not depend on
    what else the machine runs) and where its wall time went."""

    load: float  # CPU: inventory load
    audit: float  # CPU: the audit proper (git read, parse, controls, scores, JSON document)
    failed: set[tuple[str, str]]
    results: int
    start: float  # perf_counter (CLOCK_MONOTONIC: comparable between the processes)
    end: float
    git_wall: float  # reading the repository (git processes, waited for)
    git_cpu: float  # the git processes' own CPU (not in ``audit``)
    worker: int


class TimedSource:
    """A configuration source whose reading is timed (wall, and its children's CPU)."""

    def __init__(self, source: BackupRepository) -> None:
        self.source = source
        self.wall = 0.0
        self.cpu = 0.0

    def describe(self) -> dict[str, str]:
        return self.source.describe()

    def configs(self, devices: Sequence[DeviceView]) -> Mapping[str, ConfigText | Unreadable]:
        started, before = time.perf_counter(), os.times()
        try:
            return self.source.configs(devices)
        finally:
            after = os.times()
            self.wall += time.perf_counter() - started
            self.cpu += (after.children_user - before.children_user) + (
                after.children_system - before.children_system
            )


def audit_one(root: Path, repo: Path) -> Run:
    """One province as `provnet audit --source backups` audits it (the rule set loaded once
    per worker, as one run loads it once)."""
    start = time.perf_counter()
    started = time.process_time()
    rules = _rules()
    inv = load_inventory(root).inventory
    devices = list(iter_devices(inv))
    loaded = time.process_time()
    before = os.times()
    source = TimedSource(BackupRepository(repo))
    after = os.times()
    result = run_audit(Plan(rules, "current", None), inv, devices, source)
    document(result, rules)
    done = time.process_time()
    failed = {(r.control, r.device) for r in result.results if r.status != "passed"}
    rev_parse = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return Run(
        loaded - started,
        done - loaded,
        failed,
        len(result.results),
        start,
        time.perf_counter(),
        source.wall,
        source.cpu + rev_parse,
        os.getpid(),
    )


def wall_structure(runs: Sequence[Run], wall_start: float, wall_end: float) -> list[str]:
    """Where the wall time went besides the workers' CPU: the pool's start, the time a
    worker was busy but not on a CPU (git processes waited for, other load), the tail
    (one worker done, the other still at work) and the pool's shutdown."""
    workers: dict[int, list[Run]] = {}
    for run in runs:
        workers.setdefault(run.worker, []).append(run)
    first = min(r.start for r in runs)
    last = max(r.end for r in runs)
    ends = [max(r.end for r in rs) for rs in workers.values()]
    busy = sum(r.end - r.start for r in runs)
    cpu = sum(r.load + r.audit for r in runs)
    git_wall = sum(r.git_wall for r in runs)
    git_cpu = sum(r.git_cpu for r in runs)
    n = len(workers)
    return [
        f"{'wall: pool start (s)':28}{first - wall_start:>14.2f}   (to the first province)",
        f"{'wall: git read (s)':28}{git_wall / n:>14.2f}   "
        f"(per worker; git's own CPU {git_cpu:.2f} s in all)",
        f"{'wall: busy, not CPU (s)':28}{(busy - cpu - git_wall) / n:>14.2f}   "
        "(per worker, besides git: waiting for a CPU)",
        f"{'wall: tail (s)':28}{max(ends) - min(ends):>14.2f}   (one worker done, one at work)",
        f"{'wall: pool shutdown (s)':28}{wall_end - last:>14.2f}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--violations", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=TARGET_CORES)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="bench-audit-", dir=base) as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        built: list[Province] = []
        # 34 provinces hold about 6,800 network devices: past them, the same provinces again
        # with the other vendor (each province is its own inventory and repository)
        for index, code in enumerate(itertools.cycle(sorted(provinces()))):
            if sum(p.devices for p in built) >= args.devices:
                break
            built.append(build(index, code, work, args.violations, args.seed))
        total = sum(p.devices for p in built)
        print(
            f"prepared {len(built)} provinces, {total} configurations "
            f"({sum(len(p.expected) for p in built)} seeded violations) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        # the largest provinces first, so that the workers finish together
        order = sorted(range(len(built)), key=lambda i: -built[i].devices)
        wall = time.perf_counter()
        with ProcessPoolExecutor(max_workers=max(1, args.workers)) as pool:
            done = pool.map(
                audit_one, [built[i].root for i in order], [built[i].repo for i in order]
            )
            by_index = dict(zip(order, done, strict=True))
        ended = time.perf_counter()
        elapsed = ended - wall
        runs = [by_index[i] for i in range(len(built))]
    load = sum(r.load for r in runs)
    audit_cpu = sum(r.audit for r in runs)
    results = sum(r.results for r in runs)
    exact = all(r.failed == p.expected for r, p in zip(runs, built, strict=True))
    per_config = audit_cpu / total * 1e6 if total else 0.0
    print(f"{'':28}{'provnet':>14}")
    print(f"{'configurations':28}{total:>14}")
    print(f"{'results (control x device)':28}{results:>14}")
    target = f"target < {TARGET_SECONDS} s on {TARGET_CORES} cores"
    print(f"{'audit, wall (s)':28}{elapsed:>14.2f}   {target}")
    print(f"{'CPU: inventory load (s)':28}{load:>14.2f}   (summed over workers)")
    print(f"{'CPU: audit proper (s)':28}{audit_cpu:>14.2f}   ({per_config:.0f} us a configuration)")
    cores = max(1, min(args.workers, os.cpu_count() or 1))
    ideal = (load + audit_cpu) / cores
    print(f"{'CPU / workers (s)':28}{ideal:>14.2f}   (the wall time on an otherwise idle machine)")
    for line in wall_structure(runs, wall, ended):
        print(line)
    # per 10,000 configurations, from CPU seconds (steadier than the wall on a shared machine)
    per_10k = ideal * 10_000 / total if total else 0.0
    met = "met" if per_10k < TARGET_SECONDS else "NOT met"
    print(f"{'per 10,000, CPU / cores (s)':28}{per_10k:>14.2f}   {target}: {met}")
    wall_10k = elapsed * 10_000 / total if total else 0.0
    wall_met = "met" if wall_10k < TARGET_SECONDS else "NOT met"
    print(f"{'per 10,000, wall (s)':28}{wall_10k:>14.2f}   {wall_met} at this load")
    print(f"{'load average (1 min)':28}{os.getloadavg()[0]:>14.1f}")
    print(f"{'findings exact':28}{'yes' if exact else 'NO':>14}")
    print(f"{'workers':28}{args.workers:>14}   cores: {os.cpu_count()}")
    print("peer: none installed (Batfish, InSpec, hier_config compliance): provnet's figure only")
    return 0 if exact else 1


if __name__ == "__main__":
    raise SystemExit(main())
