"""provnet and its runtime dependencies as wheels, for a server that installs provnet from its
own files (no index: provincial servers reach no PyPI).

Built on the workstation from what its environment has installed: the closure of provnet's
base dependencies at their installed versions (``pip download`` of those pins, pip's cache
answering after ``./dev setup``) and a wheel of provnet's own source. One uncompressed tar
(wheels are compressed already), written with fixed metadata so the same inputs give the
same bytes, cached under ``provnet.cache.cache_root()/wheelhouse/<key>.tar``; the key is a
hash of the pins, the Python version and provnet's source, so a server reinstalls exactly
when one of them changed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from deploys.errors import ServerDeployError
from provnet.cache import cache_root

PROJECT = "provnet"
ROOT = Path(__file__).resolve().parents[2]
# What the provnet wheel is built from (pyproject.toml's packages and what it reads).
SOURCE_DIRS = ("provnet", "cli", "inventory", "platforms", "deploys", "exporters", "checks", "lab")
SOURCE_FILES = ("pyproject.toml", "README.md")
SKIPPED = ("__pycache__", ".pyc", ".mypy_cache")


class WheelhouseError(ServerDeployError, RuntimeError):
    """The wheelhouse cannot be built here; the message says what is missing."""


@dataclass(frozen=True)
class Wheelhouse:
    path: Path  # the tar of wheels
    key: str
    python: str  # "3.11": the servers' python3 must be this one (cp311 wheels)


def closure(
    roots: Iterable[str],
    requires: Callable[[str], list[str] | None],
    version: Callable[[str], str],
) -> dict[str, str]:
    """Every distribution ``roots`` need at run time (no extras), by canonical name -> its
    installed version. ``requires``/``version`` are importlib.metadata's."""
    found: dict[str, str] = {}
    todo = [Requirement(r) for r in roots]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        found[name] = version(requirement.name)
        for text in requires(requirement.name) or []:
            needed = Requirement(text)
            if needed.marker is None or needed.marker.evaluate({"extra": ""}):
                todo.append(needed)
    return found


def runtime_pins() -> dict[str, str]:
    """provnet's run-time closure as installed here, provnet itself left out."""
    roots = [r for r in metadata.requires(PROJECT) or [] if "extra ==" not in r.replace('"', "")]
    try:
        return closure(roots, metadata.requires, metadata.version)
    except metadata.PackageNotFoundError as exc:
        raise WheelhouseError(f"wheelhouse: {exc} is not installed here: run ./dev setup") from None


def _source_files(root: Path) -> list[Path]:
    found = [root / name for name in SOURCE_FILES]
    for directory in SOURCE_DIRS:
        found += [
            p
            for p in (root / directory).rglob("*")
            if p.is_file() and not any(s in p.as_posix() for s in SKIPPED)
        ]
    return sorted(found)


def source_digest(root: Path = ROOT) -> str:
    """A hash of provnet's source (paths and bytes)."""
    digest = hashlib.sha256()
    for path in _source_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def wheelhouse_key(pins: dict[str, str], source: str, python: str) -> str:
    text = json.dumps({"pins": pins, "source": source, "python": python}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def _pip(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-3:])
        raise WheelhouseError(f"wheelhouse: pip {args[0]} failed: {tail}")


def _deterministic(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "root", "root"
    info.mode = 0o644
    return info


def dependency_wheels(pins: dict[str, str]) -> Path:
    """The wheels of ``pins``, downloaded once into the cache (the slow part: pip asks the
    index for each); a change to provnet's source alone reuses them."""
    directory = cache_root() / "wheelhouse" / f"deps-{wheelhouse_key(pins, '', '')}"
    if (directory / "complete").is_file():
        return directory
    partial = directory.with_name(directory.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    _pip(
        ["download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(partial)]
        + [f"{name}=={version}" for name, version in sorted(pins.items())]
    )
    (partial / "complete").write_text("", encoding="utf-8")
    shutil.rmtree(directory, ignore_errors=True)
    partial.rename(directory)
    return directory


def _build(target: Path, pins: dict[str, str]) -> None:
    dependencies = dependency_wheels(pins)
    with tempfile.TemporaryDirectory(prefix="provnet-wheelhouse-") as temp:
        wheels, source = Path(temp) / "wheels", Path(temp) / "source"
        # A copy: building in the tree would leave build/ and *.egg-info there.
        source.mkdir()
        for path in _source_files(ROOT):
            copy = source / path.relative_to(ROOT)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)
        _pip(["wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(source)])
        partial = target.with_suffix(".partial")
        with tarfile.open(partial, "w", format=tarfile.GNU_FORMAT) as tar:
            for wheel in sorted([*dependencies.glob("*.whl"), *wheels.glob("*.whl")]):
                tar.add(wheel, arcname=wheel.name, filter=_deterministic)
        partial.replace(target)


@cache
def ensure_wheelhouse() -> Wheelhouse:
    """The wheelhouse of this environment, built once per set of inputs (a minute when pip's
    cache is cold), then read from the cache."""
    if not (ROOT / "pyproject.toml").is_file():
        raise WheelhouseError(
            f"wheelhouse: provnet's source is not at {ROOT} (an installed copy): give the "
            "deploy a built wheelhouse with --data provnet_wheelhouse=FILE.tar"
        )
    pins = runtime_pins()
    python = python_version()
    key = wheelhouse_key(pins, source_digest(), python)
    target = cache_root() / "wheelhouse" / f"{key}.tar"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        _build(target, pins)
        for stale in target.parent.glob("*.tar"):  # one wheelhouse of provnet kept
            if stale != target:
                stale.unlink(missing_ok=True)
    return Wheelhouse(target, key, python)


def given_wheelhouse(path: str, python: str) -> Wheelhouse:
    """A wheelhouse tar built elsewhere (``--data provnet_wheelhouse=FILE``), keyed by its
    bytes; its wheels must suit ``python``."""
    file = Path(path)
    if not file.is_file():
        raise WheelhouseError(f"provnet_wheelhouse {path}: no such file")
    key = hashlib.sha256(file.read_bytes()).hexdigest()[:20]
    return Wheelhouse(file, key, python)
