"""The same IOS change with provnet and with Ansible, against the same twin devices.

``.venv/bin/python -m bench ansible [-- --devices N --concurrency C --ssh-type libssh|paramiko
--interim]``

The change is the IPv6 migration of N Cisco IOS / IOS XE devices of the example province
(IPv6 routing on, WAN and LAN addresses from the plan, an IPv6 default route). Each side
gets a fresh twin (base 127.100.0.0, the same sites, so the same starting configuration):

- provnet: ``provnet net plan ipv6_migration --limit device=... --out PLAN`` +
  ``provnet net apply PLAN -y --concurrency C --journal J``, timed together (host keys
  checked against the twin's known_hosts, post-checks, save). Without the engine
  (``deploys/network/changes/ipv6_migration/`` and ``provnet net plan/apply``), or with
  ``--interim``: plain Netmiko ``send_config_set`` of commands rendered here from the address
  plan + ``write memory``, labelled INTERIM.
- Ansible: the plan's exact commands, regrouped as ``cisco.ios.ios_config`` blocks (lines +
  parents, then ``save_when: modified``), through ansible-runner with forks = C, from a
  separate venv (``bench/ansible/venv.py``; created once, reused); host-key checking off.

Printed: install time (or reuse) and size of the Ansible venv, the machine's load average
before each side, wall time of each side, per-device time (wall / devices, and each
device's own time from the apply journal or the runner's task durations), the ratio,
whether every intended line is present and both sides leave the same interface, ipv6,
line, router and vrf sections of ``show running-config``, and whether any lab secret
reached an artefact of either side (plan, journal, runner events, outputs). Exit code 0
only when both sides succeed, agree and leak nothing. Goal (issue 5): provnet at least 3x
faster.
"""

from __future__ import annotations

import argparse
import difflib
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from rich.markup import escape

from bench.ansible import venv as ansible_venv
from bench.ansible.inventory import (
    ConfigBlock,
    ansible_inventory,
    blocks_from_commands,
    changeable,
    commands_from_blocks,
    extravars,
    interim_blocks,
)
from inventory.export import netmiko_connect_params, ssh_credential
from inventory.loader import Inventory, example_inventory_path
from inventory.resolve import DeviceView, iter_devices
from inventory.secrets import SecretStore
from inventory.validate import load_valid
from lab.control import UpResult, lab_down, lab_up
from provnet.console import out

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = example_inventory_path()
HERE = Path(__file__).resolve().parent / "ansible"
PLAYBOOK = HERE / "playbook.yml"
RUNNER = HERE / "run_playbook.py"
PROVNET = ROOT / ".venv" / "bin" / "provnet"
BASE = ipaddress.IPv4Address("127.100.0.0")
CHANGE = "ipv6_migration"
MAX_DEVICES = 50
SIDE_TIMEOUT_S = 900
SSH_TIMEOUT_S = 30.0
GOAL = 3.0
SECRET_PLACEHOLDER = "<secret:"
# Not passed to children: provnet's import path must not leak into the Ansible venv.
ISOLATE = frozenset({"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"})
TOUCHED = ("interface ", "ipv6 ", "line ", "router ", "vrf ")


# --- decisions (no I/O) --------------------------------------------------------------


def choose_sites(views: Sequence[DeviceView], count: int) -> tuple[list[str], list[str]]:
    """Whole commune sites, in inventory order, until ``count`` changeable IOS devices are chosen.

    Returns (site ids, device names); the twin simulates whole sites, so the site list
    is what ``lab_up`` gets, and the device list what both sides change.
    """
    sites: list[str] = []
    devices: list[str] = []
    for view in views:
        if len(devices) >= count:
            break
        if not changeable(view) or view.commune is None:
            continue
        if view.site.id not in sites:
            sites.append(view.site.id)
        devices.append(view.name)
    return sites, devices


def site_limits(sites: Sequence[str]) -> list[str]:
    return [",".join(f"site={s}" for s in sites)]


def sections(running: str) -> dict[str, list[str]]:
    """``show running-config`` as top-level line -> child lines (``!`` and header dropped)."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for raw in running.splitlines():
        line = raw.rstrip()
        if not line or line.startswith(("!", "Building configuration", "Current configuration")):
            continue
        if line.startswith(" ") and current is not None:
            current.append(line.strip())
        elif not line.startswith(" "):
            current = out.setdefault(line, [])
    return out


def touched(running: str) -> list[str]:
    """The sections the IPv6 migration touches: interfaces, global ``ipv6`` lines, vty lines,
    routing processes and VRFs."""
    lines: list[str] = []
    for head, children in sections(running).items():
        if head.startswith(TOUCHED):
            lines.append(head)
            lines.extend(f" {c}" for c in children)
    return lines


def compare(left: Mapping[str, str], right: Mapping[str, str]) -> dict[str, list[str]]:
    """Per device whose touched sections differ: a unified diff (provnet -> Ansible)."""
    out: dict[str, list[str]] = {}
    for name in sorted(set(left) | set(right)):
        a, b = touched(left.get(name, "")), touched(right.get(name, ""))
        if a != b:
            out[name] = list(difflib.unified_diff(a, b, "provnet", "ansible", lineterm=""))
    return out


def applied(running: str, blocks: Iterable[ConfigBlock]) -> bool:
    """Whether every intended line is in the running configuration under its parent."""
    parsed = {
        head.casefold(): {c.casefold() for c in children}
        for head, children in sections(running).items()
    }
    for block in blocks:
        for line in block.lines:
            if block.parents:
                if line.casefold() not in parsed.get(block.parents[0].casefold(), set()):
                    return False
            elif line.casefold() not in parsed:
                return False
    return True


def ratio(provnet_s: float, ansible_s: float) -> float:
    """How many times faster provnet is (Ansible wall / provnet wall)."""
    return ansible_s / provnet_s if provnet_s > 0 else float("inf")


def leaked(texts: Iterable[tuple[str, str]], secrets: Iterable[str]) -> list[str]:
    """Names of the texts that hold any of ``secrets``."""
    values = [s for s in secrets if s]
    return [name for name, text in texts if any(v in text for v in values)]


# --- I/O --------------------------------------------------------------------------------


@dataclass
class SideResult:
    label: str
    wall_s: float
    per_device_s: dict[str, float] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    running: dict[str, str] = field(default_factory=dict)
    note: str = ""
    load: str = ""
    # (name, text) of every file and output the run left, scanned for the lab secrets
    artefacts: list[tuple[str, str]] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)


def _targets(up: UpResult, names: Sequence[str]) -> tuple[Inventory, list[DeviceView]]:
    inv = load_valid(up.overlay)
    wanted = set(names)
    return inv, [v for v in iter_devices(inv) if v.name in wanted]


def _store(up: UpResult) -> SecretStore:
    return SecretStore({}, up.secrets_file)


def _parallel(
    work: Callable[[DeviceView], Any], views: Sequence[DeviceView], concurrency: int
) -> dict[str, Any]:
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = list(pool.map(work, views))
    return {v.name: r for v, r in zip(views, results, strict=True)}


def _connect(inv: Inventory, view: DeviceView, store: SecretStore) -> Any:
    from netmiko import ConnectHandler

    params = netmiko_connect_params(inv, view, store)
    connection = ConnectHandler(**params, conn_timeout=SSH_TIMEOUT_S, timeout=SSH_TIMEOUT_S)
    connection.enable()
    return connection


def read_running(up: UpResult, names: Sequence[str], concurrency: int) -> dict[str, str]:
    """``show running-config`` of each device (``""`` for one that cannot be read)."""
    inv, views = _targets(up, names)
    store = _store(up)

    def one(view: DeviceView) -> str:
        try:
            connection = _connect(inv, view, store)
            try:
                return str(connection.send_command("show running-config", read_timeout=60))
            finally:
                connection.disconnect()
        except Exception:  # an unreadable device counts as not configured; the rest go on
            return ""

    return _parallel(one, views, concurrency)


def provnet_interim(
    up: UpResult, names: Sequence[str], blocks: Mapping[str, Sequence[ConfigBlock]], conc: int
) -> SideResult:
    """Until ``provnet net apply`` exists: Netmiko ``send_config_set`` + ``write memory``."""
    inv, views = _targets(up, names)
    store = _store(up)

    def one(view: DeviceView) -> tuple[float, str]:
        started = time.perf_counter()
        try:
            connection = _connect(inv, view, store)
            try:
                connection.send_config_set(commands_from_blocks(blocks[view.name]))
                connection.save_config()
            finally:
                connection.disconnect()
        except Exception as exc:  # one failing device never stops the others
            return time.perf_counter() - started, type(exc).__name__
        return time.perf_counter() - started, ""

    started = time.perf_counter()
    results = _parallel(one, views, conc)
    wall = time.perf_counter() - started
    return SideResult(
        "provnet (INTERIM: Netmiko send_config_set)",
        wall,
        {n: r[0] for n, r in results.items()},
        {n: r[1] for n, r in results.items() if r[1]},
    )


def engine_available() -> bool:
    """Whether provnet's network change engine (``net plan``/``net apply``) has landed."""
    if not (ROOT / "deploys" / "network" / f"{CHANGE}.py").exists():
        return False
    helps = [_run([str(PROVNET), "net", sub, "--help"], 60, {}) for sub in ("plan", "apply")]
    return all(done.returncode == 0 for done in helps)


def _run(
    argv: list[str], timeout: float, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """A child in its own process group; on timeout the group is killed (our own child's)."""
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**{k: v for k, v in os.environ.items() if k not in ISOLATE}, **env},
        start_new_session=True,
        cwd=ROOT,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate(timeout=30)
        return subprocess.CompletedProcess(argv, -9, out, err + f"\ntimeout after {timeout} s")
    return subprocess.CompletedProcess(argv, process.returncode, out, err)


class PlanMismatch(RuntimeError):
    """The plan cannot be replayed by Ansible as it is (a secret placeholder, a refusal)."""


def plan_blocks(plan: Mapping[str, Any]) -> dict[str, tuple[ConfigBlock, ...]]:
    """Per device to change, its plan's exact commands as ``ios_config`` blocks."""
    out: dict[str, tuple[ConfigBlock, ...]] = {}
    for entry in plan.get("devices", []):
        if entry.get("status") != "change":
            continue
        commands = [str(c) for c in entry.get("commands", [])]
        if any(SECRET_PLACEHOLDER in c for c in commands):
            raise PlanMismatch(f"{entry['device']}: the plan holds a secret placeholder")
        contexts = [tuple(b.get("context", [])) for b in entry.get("intent", [])]
        out[str(entry["device"])] = blocks_from_commands(commands, contexts)
    return out


def _seconds(ts: str) -> float:
    return datetime.fromisoformat(ts).timestamp()


def journal_devices(
    records: Iterable[Mapping[str, Any]],
) -> tuple[dict[str, float], dict[str, str]]:
    """From ``net apply``'s journal: per device, seconds from its first step to its outcome,
    and the devices whose outcome is not ``applied`` (with the outcome and error)."""
    first: dict[str, float] = {}
    seconds: dict[str, float] = {}
    failed: dict[str, str] = {}
    for record in records:
        device = record.get("device")
        if not device or "ts" not in record:
            continue
        at = _seconds(str(record["ts"]))
        first.setdefault(str(device), at)
        if record.get("event") == "device":
            seconds[str(device)] = at - first[str(device)]
            if record.get("status") != "applied":
                failed[str(device)] = f"{record.get('status')}: {record.get('error', '')}"
    return seconds, failed


def provnet_engine(
    up: UpResult, names: Sequence[str], conc: int, workdir: Path
) -> tuple[SideResult, dict[str, tuple[ConfigBlock, ...]]]:
    """``provnet net plan`` + ``provnet net apply`` as a user runs them (timed together)."""
    env = up.environment()
    plan_file = workdir / "plan.json"
    journal = workdir / "journal.jsonl"
    limit = ["--limit", ",".join(f"device={n}" for n in names)]
    plan_argv = [str(PROVNET), "net", "plan", CHANGE, *limit, "--out", str(plan_file)]
    apply_argv = [str(PROVNET), "net", "apply", str(plan_file), "-y"]
    apply_argv += ["--concurrency", str(conc), "--journal", str(journal)]
    started = time.perf_counter()
    plan = _run([*plan_argv, "--concurrency", str(conc), "--no-diff"], SIDE_TIMEOUT_S, env)
    plan_s = time.perf_counter() - started
    if plan.returncode != 0:
        raise RuntimeError(f"provnet net plan: exit {plan.returncode}: {plan.stderr[-1500:]}")
    apply = _run(apply_argv, SIDE_TIMEOUT_S, env)
    wall = time.perf_counter() - started
    blocks = plan_blocks(json.loads(plan_file.read_text(encoding="utf-8")))
    text = journal.read_text(encoding="utf-8") if journal.exists() else ""
    per_device, failed = journal_devices(json.loads(x) for x in text.splitlines() if x)
    if apply.returncode != 0 and not failed:
        failed["*"] = f"apply exit {apply.returncode}: {apply.stderr.strip()[-800:]}"
    result = SideResult(
        "provnet (net plan + net apply)",
        wall,
        per_device,
        failed,
        note=f"plan {plan_s:.1f} s, apply {wall - plan_s:.1f} s "
        f"({len(blocks)} devices to change in the plan)",
        artefacts=[
            *_artefacts(workdir, {plan_file, journal}),
            *(
                (f"net {n} {k}", t)
                for n, d in (("plan", plan), ("apply", apply))
                for k, t in (("stdout", d.stdout), ("stderr", d.stderr))
            ),
        ],
    )
    return result, blocks


def lab_credentials(up: UpResult, names: Sequence[str]) -> dict[str, dict[str, str]]:
    """The lab values of each SSH credential set the targets use (for the extra vars only)."""
    inv, views = _targets(up, names)
    store = _store(up)
    out: dict[str, dict[str, str]] = {}
    for view in views:
        credential = ssh_credential(inv, view)
        if credential is None or view.ssh_credentials in out:
            continue
        fields: dict[str, str] = {}
        if credential.password is not None:
            fields["password"] = store.resolve(credential.password).reveal()
        if credential.enable_secret is not None:
            fields["enable_secret"] = store.resolve(credential.enable_secret).reveal()
        out[str(view.ssh_credentials)] = fields
    return out


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _artefacts(root: Path, only: set[Path] | None = None) -> list[tuple[str, str]]:
    """(relative name, text) of the files under ``root`` (or only those of ``only``)."""
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and (only is None or path in only):
            out.append((str(path.relative_to(root)), path.read_text(errors="replace")))
    return out


def lab_secret_values(up: UpResult) -> list[str]:
    """Every value of the twin's lab secrets file (SSH, enable, SNMP): the canaries."""
    data = yaml.safe_load(up.secrets_file.read_text(encoding="utf-8")) or {}
    return [str(v) for v in data.values() if v]


def ansible_side(
    up: UpResult,
    names: Sequence[str],
    blocks: Mapping[str, Sequence[ConfigBlock]],
    conc: int,
    venv: ansible_venv.AnsibleVenv,
    ssh_type: str,
    workdir: Path,
) -> SideResult:
    """ios_config through ansible-runner. Its artefacts (inventory, playbook, runner
    artifacts and job events, the runner's output) exclude only ``env/extravars``, the one
    file meant to hold the lab passwords."""
    inv, views = _targets(up, names)
    credentials = lab_credentials(up, names)
    pdd = workdir / "ansible"
    targets = {v.name: (v, tuple(blocks.get(v.name, ()))) for v in views}
    (pdd / "inventory").mkdir(parents=True)
    (pdd / "project").mkdir()
    (pdd / "inventory" / "hosts.yml").write_text(
        yaml.safe_dump(ansible_inventory(inv, targets, ssh_type), allow_unicode=True)
    )
    shutil.copy(PLAYBOOK, pdd / "project" / "playbook.yml")
    extravars_file = pdd / "env" / "extravars"
    _write_private(extravars_file, json.dumps(extravars(credentials)))
    envvars = {
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_PERSISTENT_CONNECT_TIMEOUT": "60",
        "ANSIBLE_PERSISTENT_COMMAND_TIMEOUT": "60",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "False",
    }
    (pdd / "env" / "envvars").write_text(json.dumps(envvars))
    env = {"PATH": f"{venv.bin_dir}:{os.environ.get('PATH', '')}", "VIRTUAL_ENV": str(venv.path)}
    argv = [str(venv.python), "-I", str(RUNNER), str(pdd), "playbook.yml", str(conc)]
    started = time.perf_counter()
    done = _run([*argv, str(SIDE_TIMEOUT_S)], SIDE_TIMEOUT_S + 60, env)
    wall = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    summary: dict[str, Any] = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    hosts: dict[str, dict[str, Any]] = summary.get("hosts", {})
    failed = {
        h: str(e.get("error", "failed"))
        for h, e in hosts.items()
        if e["failed"] or e["unreachable"]
    }
    if not summary:
        failed["*"] = f"ansible-runner exit {done.returncode}: {done.stderr.strip()[-800:]}"
    files = {p for p in pdd.rglob("*") if p.is_file() and p != extravars_file}
    outputs = [("runner stdout", done.stdout), ("runner stderr", done.stderr)]
    return SideResult(
        f"Ansible (cisco.ios.ios_config, ansible-runner, {ssh_type})",
        wall,
        {h: float(e["seconds"]) for h, e in hosts.items()},
        failed,
        note=f"runner status {summary.get('status', '?')}, "
        f"in-runner {summary.get('seconds', 0):.1f} s",
        artefacts=[*_artefacts(pdd, files), *outputs],
    )


def _with_twin(
    sites: Sequence[str], workdir: Path, name: str, body: Callable[[UpResult], Any]
) -> Any:
    """A fresh twin of ``sites`` for one side, always stopped afterwards."""
    state = workdir / f"lab-{name}"
    try:
        with out.status(f"Khởi động twin (starting the twin) for {name}"):
            up = lab_up(EXAMPLE, site_limits(sites), state, BASE)
        return body(up)
    finally:
        lab_down(state)


def per_device_text(result: SideResult, count: int) -> str:
    amortised = result.wall_s / max(1, count)
    text = f"{amortised:.2f} s (wall / devices)"
    if result.per_device_s:
        values = sorted(result.per_device_s.values())
        mean = sum(values) / len(values)
        text += f"; {mean:.2f} s mean, {values[-1]:.2f} s max in each device's own run"
    return text


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} on {os.cpu_count()} cores"


def _print_side(result: SideResult, count: int) -> None:
    out.print(f"[bold]{escape(result.label)}[/]: {result.wall_s:.2f} s wall, {count} devices")
    out.print(f"  máy (machine) before the run: {result.load}")
    out.print(f"  mỗi thiết bị (per device): {per_device_text(result, count)}")
    if result.note:
        out.print(f"  {escape(result.note)}")
    for name, reason in sorted(result.failed.items()):
        out.print(f"  [red]LỖI (failed)[/] {escape(name)}: {escape(reason)}")


def _print_comparison(
    provnet: SideResult,
    ansible: SideResult,
    blocks: Mapping[str, Sequence[ConfigBlock]],
    names: Sequence[str],
) -> bool:
    times = ratio(provnet.wall_s, ansible.wall_s)
    verdict = "[green]đạt (met)[/]" if times >= GOAL else "[red]chưa đạt (not met)[/]"
    out.print(
        f"tỉ lệ (ratio) provnet/Ansible wall: {provnet.wall_s / ansible.wall_s:.3f}: provnet "
        f"{times:.1f}x faster; goal >= {GOAL:.0f}x: {verdict}"
    )
    done_p = sum(applied(provnet.running.get(n, ""), blocks.get(n, ())) for n in names)
    done_a = sum(applied(ansible.running.get(n, ""), blocks.get(n, ())) for n in names)
    out.print(
        f"đủ dòng mong muốn (intended lines present): provnet {done_p}/{len(names)}, "
        f"Ansible {done_a}/{len(names)}"
    )
    diffs = compare(provnet.running, ansible.running)
    if diffs:
        out.print(f"[red]KHÁC (differ)[/]: touched sections on {len(diffs)} devices:")
        for name, diff in list(diffs.items())[:3]:
            out.print(f"  {escape(name)} (provnet -> Ansible):")
            out.print(escape("\n".join(f"    {line}" for line in diff[:40])))
    else:
        out.print(
            f"giống nhau (identical): interface/ipv6/line/router/vrf sections of "
            f"show running-config on all {len(names)} devices"
        )
    complete = done_p == done_a == len(names)
    return complete and not diffs and not provnet.failed and not ansible.failed


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench ansible --", description=__doc__)
    parser.add_argument("--devices", type=int, default=30, help=f"1..{MAX_DEVICES} (30)")
    parser.add_argument("--concurrency", type=int, default=10, help="provnet and forks (10)")
    parser.add_argument("--ssh-type", choices=("libssh", "paramiko"), default="libssh")
    parser.add_argument(
        "--interim", action="store_true", help="Netmiko send_config_set instead of net apply"
    )
    args = parser.parse_args(list(argv))
    if not 1 <= args.devices <= MAX_DEVICES:
        parser.error(f"--devices must be 1..{MAX_DEVICES}")
    if not 1 <= args.concurrency <= MAX_DEVICES:
        parser.error(f"--concurrency must be 1..{MAX_DEVICES}")
    return args


def _venv() -> ansible_venv.AnsibleVenv:
    with out.status("Môi trường Ansible (Ansible venv): kiểm tra / cài đặt (check / install)"):
        venv = ansible_venv.ensure()
    how = f"installed in {venv.install_seconds:.0f} s" if venv.installed_now else "reused"
    versions = ", ".join(f"{k} {v}" for k, v in venv.versions.items())
    out.print(f"Ansible venv {venv.path} ({how}, {venv.size_bytes / 2**20:.0f} MiB): {versions}")
    return venv


def _finish(result: SideResult, up: UpResult, names: Sequence[str], conc: int) -> SideResult:
    """Read back what the side left on the twin and scan its artefacts for lab secrets."""
    result.running = read_running(up, names, conc)
    result.leaks = leaked(result.artefacts, lab_secret_values(up))
    return result


def _print_secrets(provnet: SideResult, ansible: SideResult, canary_live: bool) -> bool:
    scanned = f"{len(provnet.artefacts)} + {len(ansible.artefacts)} artefacts scanned"
    live = "detected in env/extravars" if canary_live else "NOT detected in env/extravars"
    out.print(
        f"bí mật lab (lab secrets) in provnet artefacts: {provnet.leaks or 'none'}; "
        f"in Ansible artefacts: {ansible.leaks or 'none'} ({scanned}; scanner live: {live})"
    )
    return canary_live and not provnet.leaks and not ansible.leaks


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    venv = _venv()
    sites, names = choose_sites(list(iter_devices(load_valid(EXAMPLE))), args.devices)
    engine = not args.interim and engine_available()
    out.print(
        f"{len(names)} thiết bị Cisco IOS/IOS XE (devices) in {len(sites)} commune sites, "
        f"concurrency/forks {args.concurrency}"
    )
    with tempfile.TemporaryDirectory(prefix="provnet-bench-ansible-") as tmp:
        workdir = Path(tmp)

        def provnet_run(up: UpResult) -> tuple[SideResult, dict[str, tuple[ConfigBlock, ...]]]:
            load = _load()
            with out.status("provnet: áp dụng (applying) the IPv6 migration"):
                if engine:
                    result, blocks = provnet_engine(up, names, args.concurrency, workdir)
                else:
                    inv, views = _targets(up, names)
                    blocks = {v.name: interim_blocks(inv, v) for v in views}
                    result = provnet_interim(up, names, blocks, args.concurrency)
                result.load = load
                return _finish(result, up, names, args.concurrency), blocks

        provnet, blocks = _with_twin(sites, workdir, "provnet", provnet_run)

        def ansible_run(up: UpResult) -> tuple[SideResult, bool]:
            load = _load()
            with out.status("Ansible: ios_config through ansible-runner"):
                result = ansible_side(
                    up, names, blocks, args.concurrency, venv, args.ssh_type, workdir
                )
                result.load = load
                extravars_text = (workdir / "ansible" / "env" / "extravars").read_text()
                canary_live = bool(leaked([("extravars", extravars_text)], lab_secret_values(up)))
                return _finish(result, up, names, args.concurrency), canary_live

        ansible, canary_live = _with_twin(sites, workdir, "ansible", ansible_run)
    _print_side(provnet, len(names))
    _print_side(ansible, len(names))
    same = _print_comparison(provnet, ansible, blocks, names)
    clean = _print_secrets(provnet, ansible, canary_live)
    return 0 if same and clean else 1
