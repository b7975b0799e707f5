"""What the twin tests of the server deploys share: running ``provnet servers`` as a person
does, commands inside a twin server, the baseline as the base every other deploy builds on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import TwinServers

PROVNET = str(Path(sys.executable).with_name("provnet"))
CANARY = "canary-Vx7-twin-servers-secret"


def env(inventory: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PROVNET_SSH_PASSWORD": CANARY,
        "PROVNET_INVENTORY": str(inventory),
        "COLUMNS": "220",
    }


def start(args: list[str], cwd: Path, inventory: Path) -> subprocess.Popen[str]:
    """``provnet servers ARGS`` in its own process (gevent-patched, as pyinfra's CLI is)."""
    return subprocess.Popen(
        [PROVNET, "servers", *args],
        cwd=cwd,
        env=env(inventory),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 600) -> tuple[int, str]:
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
    return proc.returncode, output


def run(args: list[str], cwd: Path, inventory: Path) -> tuple[int, str]:
    return finish(start(args, cwd, inventory))


def inside(twin: TwinServers, name: str, command: str, check: bool = True) -> str:
    done = twin.servers.run(name, ["sh", "-c", command], timeout=60)
    assert done.returncode == 0 or not check, f"{name}: {command}: {done.stderr}"
    return done.stdout


def files(twin: TwinServers, name: str, watched: tuple[str, ...]) -> str:
    """sha256 of every file under ``watched`` on a server (a dry run must change none)."""
    listed = " ".join(watched)
    return inside(
        twin, name, f"find {listed} -type f 2>/dev/null | sort | xargs -r sha256sum", check=False
    )


def ensure_baseline(twin: TwinServers, cwd: Path, inventory: Path, names: list[str]) -> None:
    """The baseline on ``names`` (the other deploys add to its firewall and use its package
    mirror): applied here unless an earlier test of this session did it."""
    missing = [
        n
        for n in names
        if twin.servers.run(n, ["nft", "list", "table", "inet", "provnet"]).returncode
    ]
    if missing:
        code, output = run(
            ["deploy", "baseline", "-y", "--limit", ",".join(missing)], cwd, inventory
        )
        assert code == 0, output
