"""The twin servers' Debian image and the package mirror beside it, built once and cached.

One ``mmdebstrap`` run makes both: the root file system of a fresh provincial server
(minbase + systemd + openssh-server + what such a server has) and every ``.deb`` that image
and the server deploys need, indexed as a flat apt repository the twin serves to its
servers (a provincial data centre cut off from the Internet has such a mirror). Both live
in a cache outside the repository, in a directory named by the recipe's hash: a changed
recipe builds anew, an unchanged one costs nothing.

    python -m lab.image          # build if missing, print where
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from lab.errors import LabError
from provnet.cache import cache_root

__all__ = ["RECIPE", "Image", "ImageError", "Recipe", "cache_root", "ensure_image", "find_image"]


class ImageError(LabError, RuntimeError):
    """The image could not be built or found; the message says what to do."""


@dataclass(frozen=True)
class Recipe:
    """What the image and its mirror are made of; its hash names the cache entry."""

    suite: str
    archive: str
    packages: tuple[str, ...]
    """In the image: a fresh provincial server."""
    mirrored: tuple[str, ...]
    """Only in the mirror: what the server deploys install."""

    def key(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True) + MAKE_VERSION
        return hashlib.sha256(text.encode()).hexdigest()[:16]


MAKE_VERSION = "3"
"""Bump when :func:`_build` changes what it makes from the same recipe."""

RECIPE = Recipe(
    suite="bookworm",
    archive="http://deb.debian.org/debian",
    packages=(
        "systemd",
        "systemd-sysv",
        "dbus",
        "openssh-server",
        "iproute2",
        "ifupdown",
        "iputils-ping",
        "procps",
        "sudo",
        "python3",
        "less",
        "netbase",
        "ca-certificates",
        "apt-utils",
    ),
    mirrored=(
        "chrony",
        "rsyslog",
        "rsyslog-relp",
        "logrotate",
        "nftables",
        "unattended-upgrades",
        "libpam-modules",
        "prometheus-node-exporter",
        "prometheus",
        "prometheus-alertmanager",
        "bind9",
        "bind9-dnsutils",
        "nginx",
        "curl",
        "python3-venv",
    ),
)


@dataclass(frozen=True)
class Image:
    """A built image: the root file system (read-only lower layer) and the flat mirror."""

    root: Path
    mirror: Path
    key: str


def find_image(recipe: Recipe = RECIPE) -> Image | None:
    """The cached image of ``recipe``, if it was built completely."""
    entry = cache_root() / "images" / recipe.key()
    if not (entry / "complete").exists():
        return None
    return Image(entry / "rootfs", entry / "mirror", recipe.key())


def ensure_image(recipe: Recipe = RECIPE, *, log: Path | None = None) -> Image:
    """The cached image of ``recipe``, built first if missing (root; a minute or two)."""
    found = find_image(recipe)
    if found is not None:
        return found
    if os.geteuid() != 0:
        raise ImageError("building the twin servers' image needs root (mmdebstrap --mode=root)")
    if shutil.which("mmdebstrap") is None or shutil.which("dpkg-scanpackages") is None:
        raise ImageError(
            "mmdebstrap or dpkg-scanpackages not found: apt-get install mmdebstrap dpkg-dev"
        )
    images = cache_root() / "images"
    images.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{recipe.key()}-", dir=images))
    building.chmod(0o755)
    try:
        _build(recipe, building, log or building / "build.log")
        (building / "complete").write_text(json.dumps(asdict(recipe), indent=1) + "\n")
        entry = images / recipe.key()
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(entry)  # an incomplete build of the same recipe
        building.rename(entry)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    # Older recipes' images (each hundreds of MB), once a day old: another checkout with
    # another recipe (a branch, a parallel worktree) may still boot its own meanwhile.
    for stale in images.iterdir():
        if stale.name != recipe.key() and not stale.name.startswith(".") and _unused(stale):
            shutil.rmtree(stale, ignore_errors=True)
    built = find_image(recipe)
    assert built is not None
    return built


STALE_AFTER_SECONDS = 24 * 3600


def _unused(image: Path) -> bool:
    """``image`` was built (or changed) more than :data:`STALE_AFTER_SECONDS` ago."""
    newest = max((p.stat().st_mtime for p in (image, *image.iterdir())), default=0.0)
    return time.time() - newest > STALE_AFTER_SECONDS


def _build(recipe: Recipe, into: Path, log: Path) -> None:
    rootfs, mirror = into / "rootfs", into / "mirror"
    mirror.mkdir()
    archives = "/var/cache/apt/archives"
    hooks = [
        # Every .deb of the image and of the deploys' packages (with their dependencies,
        # resolved against this very image) goes to the mirror.
        f'--customize-hook=chroot "$1" apt-get install --download-only -y -qq '
        f"--no-install-recommends {' '.join(recipe.mirrored)}",
        f"--customize-hook=sync-out {archives} {mirror}",
        f'--customize-hook=rm -f "$1"{archives}/*.deb',
        # Each server gets its own host keys when it is made; none is shared through the image.
        '--customize-hook=rm -f "$1"/etc/ssh/ssh_host_*',
        '--customize-hook=rm -f "$1"/etc/machine-id "$1"/var/lib/dbus/machine-id',
        '--customize-hook=touch "$1"/etc/machine-id',
    ]
    command = [
        "mmdebstrap",
        "--variant=minbase",
        "--mode=root",
        "--format=directory",
        "--skip=download/empty",
        f"--include={','.join(recipe.packages)}",
        *hooks,
        recipe.suite,
        str(rootfs),
        recipe.archive,
    ]
    with log.open("wb") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-5:])
        raise ImageError(f"mmdebstrap failed (exit {done.returncode}): {tail}")
    for partial in mirror.glob("partial"):
        shutil.rmtree(partial, ignore_errors=True)
    (mirror / "lock").unlink(missing_ok=True)
    index = subprocess.run(
        ["dpkg-scanpackages", "--multiversion", "."],
        cwd=mirror,
        capture_output=True,
        check=False,
    )
    if index.returncode != 0:
        raise ImageError(f"dpkg-scanpackages failed: {index.stderr.decode(errors='replace')}")
    (mirror / "Packages").write_bytes(index.stdout)


def main() -> None:
    try:
        image = ensure_image()
    except ImageError as exc:
        print(f"provnet: {exc}", file=sys.stderr)
        sys.exit(2)
    print(f"{image.root} ({image.key}); mirror {image.mirror}")


if __name__ == "__main__":
    main()
