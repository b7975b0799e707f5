"""What the twin tests of the server deploys share: a twin of a few Debian servers of their
own (a module's, on its own loopback base and LAN), ``provnet servers`` run as a person runs
it, commands and file digests from inside a server. Root only, as the twin servers are."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from lab.control import NETNS_DIR, lab_down, lab_up
from lab.netns import ServersView, root_available
from tests.conftest import EXAMPLE, TwinServers

PROVNET = str(Path(sys.executable).with_name("provnet"))
CANARY = "canary-Qm4-server-deploys-secret"


@contextmanager
def own_twin_servers(state_dir: Path, limits: Sequence[str], offset: int) -> Iterator[TwinServers]:
    """The example province's servers ``limits`` select, booted on 127.(offset+worker).0.0
    (their LAN 10.(offset+worker).0.0/24), stopped after."""
    available, reason = root_available()
    if not available:
        import pytest

        pytest.skip(f"twin servers need root: {reason}")
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    base = ipaddress.IPv4Address(f"127.{offset + worker}.0.0")
    result = lab_up(EXAMPLE, list(limits), state_dir, base)
    try:
        yield TwinServers(result, ServersView.read(state_dir / NETNS_DIR))
    finally:
        lab_down(state_dir)


def provnet_servers(
    args: Sequence[str],
    cwd: Path,
    twin: TwinServers,
    timeout: float = 600,
    env: dict[str, str] | None = None,
) -> tuple[int, str]:
    """``provnet servers ARGS`` in its own process against the twin's overlay (``env``: more
    variables)."""
    env = {
        **os.environ,
        "PROVNET_SSH_PASSWORD": CANARY,
        "PROVNET_INVENTORY": str(twin.up.overlay),
        "COLUMNS": "220",
        **(env or {}),
    }
    done = subprocess.run(
        [PROVNET, "servers", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def inside(twin: TwinServers, name: str, command: str, timeout: float = 60) -> str:
    """``command`` (sh) inside server ``name``; its output, failing the test when it fails."""
    done = twin.servers.run(name, ["sh", "-c", command], timeout=timeout)
    assert done.returncode == 0, f"{name}: {command}: {done.stdout}{done.stderr}"
    return done.stdout


def digests(twin: TwinServers, name: str, paths: Sequence[str]) -> str:
    """sha256 of every file under ``paths`` inside server ``name`` (absent paths skipped)."""
    found = f"find {' '.join(paths)} -type f 2>/dev/null | sort | xargs -r sha256sum"
    return inside(twin, name, found)
