"""``provnet net backup``: running configurations into a git repository, secrets masked.

One file per device at ``<commune code>/<site id>/<device>.cfg`` (province-level sites
under ``province/<site id>/``), one commit per run whose message says how many files
changed and which; nothing changed, no commit. A device that cannot be read is reported
and the others go on. Telco-managed devices are not logged in to (monitor only).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from deploys.errors import NetworkChangeError
from deploys.network.targets import Backend, read_running
from inventory.masking import Redactor
from inventory.resolve import DeviceView
from platforms import network_platforms
from provnet.errors import NOT_CONTAINED

GIT_IDENTITY = ("-c", "user.name=provnet backup", "-c", "user.email=provnet-backup@localhost")


class BackupRepoError(NetworkChangeError, OSError):
    pass


@dataclass(frozen=True)
class BackupResult:
    device: str
    path: str  # relative to the repository
    ok: bool
    error: str = ""
    skipped: str = ""


@dataclass
class BackupReport:
    results: list[BackupResult] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # relative paths
    commit: str | None = None

    @property
    def failed(self) -> list[BackupResult]:
        return [r for r in self.results if not r.ok and not r.skipped]


def backup_path(device: DeviceView) -> PurePosixPath:
    """``14758/th-14758-ubnd/th-14758-rtr1.cfg``; ``province/th-dc/th-dc-core1.cfg``."""
    top = device.commune_code or "province"
    return PurePosixPath(top) / device.site.id / f"{device.name}.cfg"


def commit_message(changed: Sequence[str], total: int) -> str:
    """A summary line and the list of changed files."""
    head = f"backup: {len(changed)} of {total} device configurations changed"
    return head + "\n\n" + "\n".join(f"- {path}" for path in changed) + "\n"


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *GIT_IDENTITY, "-C", str(repo), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise BackupRepoError(f"{repo}: git {args[0]} failed: {done.stderr.strip()[:300]}")
    return done.stdout


def ensure_repo(repo: Path) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    if not (repo / ".git").exists():
        _git(repo, "init", "-q")


def _read(backend: Backend, device: DeviceView, redactor: Redactor) -> tuple[str | None, str]:
    """(masked configuration, "") or (None, error text)."""
    try:
        running = read_running(backend, device)
    except NOT_CONTAINED:
        raise
    except BaseException as exc:
        return None, redactor.clean(f"{type(exc).__name__}: {exc}")[:500]
    text = redactor.clean(running)
    return (text if text.endswith("\n") else text + "\n"), ""


def run_backup(
    backend: Backend,
    devices: Sequence[DeviceView],
    repo: Path,
    redactor: Redactor,
    *,
    concurrency: int = 20,
    progress: Callable[[BackupResult], None] | None = None,
) -> BackupReport:
    """Back up ``devices`` into ``repo`` (created if missing); commit when anything changed."""
    ensure_repo(repo)
    report = BackupReport()
    readable: list[DeviceView] = []
    for device in devices:
        path = str(backup_path(device))
        if device.monitor_only:
            report.results.append(BackupResult(device.name, path, False, skipped="telco"))
        elif device.platform not in network_platforms():
            # A Linux server's state is its deploys' (provnet servers), not a running config.
            skipped = f"{device.platform}: not a network device"
            report.results.append(BackupResult(device.name, path, False, skipped=skipped))
        else:
            readable.append(device)

    def one(device: DeviceView) -> BackupResult:
        path = backup_path(device)
        text, error = _read(backend, device, redactor)
        if text is None:
            result = BackupResult(device.name, str(path), False, error=error)
        else:
            target = repo / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                target.write_text(text, encoding="utf-8")
            result = BackupResult(device.name, str(path), True)
        if progress:
            progress(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        report.results.extend(pool.map(one, readable))
    written = [r.path for r in report.results if r.ok]
    if written:
        _git(repo, "add", "--", *written)
        status = _git(repo, "status", "--porcelain", "--", *written)
        report.changed = sorted(line[3:] for line in status.splitlines() if line.strip())
    if report.changed:
        _git(repo, "commit", "-q", "-m", commit_message(report.changed, len(written)))
        report.commit = _git(repo, "rev-parse", "HEAD").strip()
    return report
