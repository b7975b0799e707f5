"""The seal of a plan: an HMAC-SHA256 over its content, with a key kept outside any
repository, so that ``net apply`` runs only what ``net plan`` wrote.

A plan is a file people pass around and can open in an editor; a command edited into it
(``do reload``, a line with an embedded newline, a banner carrying a secret placeholder)
would otherwise be pushed as written. ``net plan`` seals the plan with the key in
``$PROVNET_PLAN_KEY`` (a file; default ``~/.config/provnet/plan.key``, made on first use,
mode 0600); ``net apply`` refuses a plan whose seal does not match, before any device is
touched. The key never leaves the machine and never appears in a plan, a journal or a log.
Python's ``hmac`` is the well-kept library here; nothing of our own does cryptography.
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat
from hashlib import sha256
from pathlib import Path

from deploys.errors import NetworkChangeError

ENV_PLAN_KEY = "PROVNET_PLAN_KEY"
KEY_BYTES = 32


class PlanKeyUnavailable(NetworkChangeError, PermissionError):
    """The plan key cannot be read, made, or is readable by others."""


def plan_key_path() -> Path:
    configured = os.environ.get(ENV_PLAN_KEY)
    return Path(configured) if configured else Path.home() / ".config" / "provnet" / "plan.key"


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made by another `net plan` at the same moment
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_bytes(KEY_BYTES))


def plan_key(*, create: bool) -> bytes:
    """The key that seals plans; made when ``create`` and missing."""
    path = plan_key_path()
    try:
        if create and not path.exists():
            _create(path)
        mode = path.stat().st_mode
        key = path.read_bytes()
    except OSError as exc:
        hint = "" if create else "; a plan can be applied only where it was planned"
        raise PlanKeyUnavailable(
            f"{path}: cannot read the plan key: {exc.strerror}{hint}"
        ) from None
    if mode & 0o077:
        raise PlanKeyUnavailable(
            f"{path}: the plan key may be read by others "
            f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path}"
        )
    if len(key) < KEY_BYTES:
        raise PlanKeyUnavailable(f"{path}: the plan key is shorter than {KEY_BYTES} bytes")
    return key


def seal_of(content: bytes, key: bytes) -> str:
    """``hmac-sha256:<hex>`` of ``content``."""
    return "hmac-sha256:" + hmac.new(key, content, sha256).hexdigest()


def seal_matches(content: bytes, key: bytes, seal: str) -> bool:
    return hmac.compare_digest(seal_of(content, key), seal)
