"""Benchmark of the inventory: scaffold, load and validate all 34 provinces (3,321 communes).

    python -m bench inventory [-- --repeat 3 --no-disk --no-cli]
    python bench/bench_inventory.py [--repeat 3]

Each phase is timed apart: scaffold (write YAML), load (parse and schema-check) and validate
(cross-checks), over every province in a temporary directory, on /dev/shm (tmpfs) when it
exists and on the ordinary temporary directory (disk). The target is the whole cycle under
3 s on 2 cores. ``provnet inventory validate`` of the example province is also timed as a
subprocess, as an engineer runs it. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: python bench/bench_inventory.py
    sys.path.insert(0, str(REPO))

from inventory.loader import example_inventory_path, load_inventory  # noqa: E402
from inventory.official import provinces  # noqa: E402
from inventory.scaffold import scaffold  # noqa: E402
from inventory.validate import validate  # noqa: E402

TARGET_SECONDS = 3.0
TARGET_CORES = 2
EXAMPLE = example_inventory_path()


@dataclass
class Cycle:
    """One scaffold + load + validate of every province, in one directory."""

    label: str
    filesystem: str
    scaffold: float = 0.0
    load: float = 0.0
    validate: float = 0.0
    provinces: int = 0
    communes: int = 0
    files: int = 0
    errors: int = 0
    warnings: int = 0
    slowest: list[tuple[float, str]] = field(default_factory=list)

    @property
    def total(self) -> float:
        return self.scaffold + self.load + self.validate


def filesystem_of(path: Path) -> str:
    """The file-system type of ``path``, from /proc/mounts (longest matching mount point)."""
    best, kind = "", "unknown"
    try:
        lines = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return kind
    resolved = str(path.resolve())
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ")
        inside = resolved == mount or resolved.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) > len(best):
            best, kind = mount, parts[2]
    return kind


def cycle(label: str, parent: Path) -> Cycle:
    table = provinces()
    with tempfile.TemporaryDirectory(prefix="provnet-bench-", dir=parent) as tmp:
        root = Path(tmp)
        result = Cycle(label, filesystem_of(root))
        started = time.perf_counter()
        for code, province in table.items():
            result.files += scaffold(province, root / code)
        result.scaffold = time.perf_counter() - started

        loaded = []
        started = time.perf_counter()
        for code in table:
            begun = time.perf_counter()
            outcome = load_inventory(root / code)
            loaded.append((code, outcome, time.perf_counter() - begun))
        result.load = time.perf_counter() - started

        started = time.perf_counter()
        for code, outcome, load_seconds in loaded:
            begun = time.perf_counter()
            problems = list(outcome.problems)
            if outcome.inventory is not None:
                problems.extend(validate(outcome.inventory))
                result.communes += len(outcome.inventory.communes)
            result.slowest.append((load_seconds + time.perf_counter() - begun, code))
            result.errors += sum(p.is_error for p in problems)
            result.warnings += sum(not p.is_error for p in problems)
            result.provinces += 1
        result.validate = time.perf_counter() - started
        result.slowest.sort(reverse=True)
    return result


def best_of(cycles: list[Cycle]) -> Cycle:
    return min(cycles, key=lambda c: c.total)


@dataclass
class CliTiming:
    label: str
    seconds: list[float]
    exit_code: int
    peak_rss_mib: float
    detail: str = ""


def time_command(label: str, command: list[str], runs: int) -> CliTiming:
    seconds: list[float] = []
    code, rss, detail = 0, 0.0, ""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    for _ in range(runs):
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.perf_counter()
            process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=REPO)
            _, status, usage = os.wait4(process.pid, 0)
            seconds.append(time.perf_counter() - started)
            process.returncode = code = os.waitstatus_to_exitcode(status)
            rss = max(rss, usage.ru_maxrss / 1024)
            out.seek(0)
            err.seek(0)
            text = (out.read() + err.read()).decode("utf-8", "replace").strip()
            detail = text.splitlines()[-1] if text else ""
    return CliTiming(label, seconds, code, rss, detail)


def provnet_command() -> list[str]:
    script = Path(sys.executable).parent / "provnet"
    if script.is_file():
        return [str(script)]
    found = shutil.which("provnet")
    if found:
        return [found]
    return [sys.executable, "-c", "from cli import main; main()"]


def cores() -> str:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 0
    return f"{usable} usable of {os.cpu_count()}"


def verdict(seconds: float) -> str:
    return f"{'OK' if seconds < TARGET_SECONDS else 'OVER'} ({seconds / TARGET_SECONDS:.0%})"


def print_cycles(cycles: list[Cycle], repeat: int) -> None:
    header = f"{'phase':<10} " + " ".join(f"{c.label:>22}" for c in cycles) + f" {'target':>10}"
    print(header)
    print("-" * len(header))
    for phase in ("scaffold", "load", "validate", "total"):
        cells = " ".join(f"{getattr(c, phase):>20.3f} s" for c in cycles)
        target = f"< {TARGET_SECONDS:.1f} s" if phase == "total" else ""
        print(f"{phase:<10} {cells} {target:>10}")
    verdicts = " ".join(f"{verdict(c.total):>22}" for c in cycles)
    print(f"{'vs target':<10} {verdicts}")
    rates = " ".join(f"{c.communes / c.total:>12,.0f} communes/s" for c in cycles)
    print(f"{'rate':<10} {rates}")
    for c in cycles:
        print(
            f"{c.label}: {c.provinces} provinces, {c.communes} communes, {c.files} files, "
            f"{c.errors} errors, {c.warnings} warnings; slowest load+validate: "
            + ", ".join(f"{code} {s * 1000:.0f} ms" for s, code in c.slowest[:3])
        )
    if repeat > 1:
        print(f"(best of {repeat} cycles per file system)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="cycles per file system (best)")
    parser.add_argument("--no-disk", action="store_true", help="only /dev/shm (when present)")
    parser.add_argument("--no-cli", action="store_true", help="skip the subprocess timing")
    parser.add_argument("--cli-runs", type=int, default=3)
    args = parser.parse_args(argv)

    print(
        f"python {sys.version.split()[0]}, cores {cores()} (target: < {TARGET_SECONDS:.0f} s "
        f"on {TARGET_CORES} cores; one process, one core used)"
    )
    started = time.perf_counter()
    table = provinces()
    official = time.perf_counter() - started
    print(
        f"official list: {len(table)} provinces, "
        f"{sum(len(p.communes) for p in table.values())} communes, read in {official:.3f} s"
    )

    places: list[tuple[str, Path]] = []
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        places.append(("/dev/shm", shm))
    disk = Path(tempfile.gettempdir())
    if not places or not args.no_disk:
        places.append((str(disk), disk))

    cycles = []
    for label, parent in places:
        runs = [cycle(label, parent) for _ in range(max(1, args.repeat))]
        chosen = best_of(runs)
        chosen.label = f"{label} ({chosen.filesystem})"
        cycles.append(chosen)
    print_cycles(cycles, args.repeat)

    if not args.no_cli:
        command = provnet_command()
        timings = [
            time_command(
                "provnet inventory validate (example)",
                [*command, "inventory", "validate", str(EXAMPLE)],
                args.cli_runs,
            ),
            time_command(
                "python -c 'import cli' (startup)",
                [sys.executable, "-c", "import cli"],
                args.cli_runs,
            ),
        ]
        print(f"subprocess timings ({args.cli_runs} runs each; example: {EXAMPLE})")
        for t in timings:
            print(
                f"  {t.label:<42} best {min(t.seconds):.3f} s, median "
                f"{statistics.median(t.seconds):.3f} s, exit {t.exit_code}, "
                f"peak RSS {t.peak_rss_mib:.0f} MiB"
            )
            if t.detail and (t.exit_code != 0 or "validate" in t.label):
                print(f"    {t.detail}")

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
