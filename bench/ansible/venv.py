"""A separate virtual environment for Ansible, created once and reused.

The benchmark must not add Ansible's hundreds of megabytes (or its pins) to provnet's own
venv, so it builds ``~/.cache/provnet-bench/ansible-venv`` (``$PROVNET_BENCH_CACHE``
overrides the parent directory) with the packages below, and writes a marker holding the
requirement list; a venv whose marker matches is reused as it is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# PyPI's community package bundles cisco.ios and ansible.netcommon; pip picks the newest
# release whose ansible-core supports this Python (3.11: ansible 12 / ansible-core 2.19).
REQUIREMENTS: tuple[str, ...] = (
    "ansible>=10,<13",
    "ansible-runner>=2.4,<3",
    "paramiko>=3",
    "ansible-pylibssh>=1.2",
)
MARKER = "provnet-bench.json"
CREATE_TIMEOUT_S = 120.0
INSTALL_TIMEOUT_S = 900.0
ENV_CACHE = "PROVNET_BENCH_CACHE"


class VenvError(RuntimeError):
    """The Ansible venv could not be created; the message says which step and why."""


@dataclass(frozen=True)
class AnsibleVenv:
    path: Path
    installed_now: bool
    install_seconds: float  # 0.0 when reused
    size_bytes: int
    versions: dict[str, str]

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def bin_dir(self) -> Path:
        return self.path / "bin"


def default_path() -> Path:
    parent = os.environ.get(ENV_CACHE) or str(Path.home() / ".cache" / "provnet-bench")
    return Path(parent) / "ansible-venv"


def marker_matches(marker_text: str | None, requirements: tuple[str, ...]) -> bool:
    """Whether a venv's marker says it was built from exactly ``requirements``."""
    if not marker_text:
        return False
    try:
        data = json.loads(marker_text)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("requirements") == list(requirements)


def tree_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            file = Path(root) / name
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def _run(argv: list[str], timeout: float, step: str) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise VenvError(f"{step}: no answer within {timeout:.0f} s") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip()[-1500:]
        raise VenvError(f"{step} failed (exit {done.returncode}): {tail}")
    return done.stdout


VERSIONS_CODE = """
import json
from importlib.metadata import version
names = ["ansible", "ansible-core", "ansible-runner", "paramiko", "ansible-pylibssh"]
out = {}
for n in names:
    try:
        out[n] = version(n)
    except Exception:
        out[n] = "-"
print(json.dumps(out))
"""


def installed_versions(python: Path) -> dict[str, str]:
    out = _run([str(python), "-I", "-c", VERSIONS_CODE], 60, "reading installed versions")
    data: dict[str, str] = json.loads(out.strip().splitlines()[-1])
    return data


def ensure(path: Path | None = None, requirements: tuple[str, ...] = REQUIREMENTS) -> AnsibleVenv:
    """The Ansible venv at ``path``: reused when its marker matches, else (re)built."""
    path = path or default_path()
    marker = path / MARKER
    text = marker.read_text(encoding="utf-8") if marker.exists() else None
    python = path / "bin" / "python"
    if marker_matches(text, requirements) and python.exists():
        return AnsibleVenv(path, False, 0.0, tree_size(path), installed_versions(python))
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "venv", "--clear", str(path)], CREATE_TIMEOUT_S, "python -m venv")
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run([*pip, *requirements], INSTALL_TIMEOUT_S, "pip install " + " ".join(requirements))
    seconds = time.perf_counter() - started
    marker.write_text(json.dumps({"requirements": list(requirements)}), encoding="utf-8")
    return AnsibleVenv(path, True, seconds, tree_size(path), installed_versions(python))
