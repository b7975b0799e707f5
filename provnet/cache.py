"""Where provnet keeps what it builds once and reuses (the twin's Debian image, the
wheelhouse a server deploy installs provnet from): outside the repository, keyed by its
inputs."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$PROVNET_CACHE`` or ``/var/cache/provnet`` (root) or ``~/.cache/provnet``."""
    configured = os.environ.get("PROVNET_CACHE")
    if configured:
        return Path(configured)
    if os.geteuid() == 0:
        return Path("/var/cache/provnet")
    return Path.home() / ".cache" / "provnet"
