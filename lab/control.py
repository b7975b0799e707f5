"""``provnet lab up|status|fault|down``: the twin daemon's life, from the command line.

Everything the twin leaves on the machine lives in one state directory
(``$PROVNET_LAB_DIR``, default ``/tmp/provnet-lab-UID``): the daemon's pid file,
log and control socket, the SSH host key, the lab secrets file (mode 0600) and the
overlay inventory. ``down`` removes all of it, also after a crash.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml_rs

from inventory.resolve import iter_devices
from inventory.select import select_devices
from inventory.source import load_yaml
from inventory.validate import load_valid
from lab.errors import LabAlreadyUp, LabError, LabNotUp, LabStartFailed
from lab.twin import (
    DEFAULT_BASE,
    TwinSpec,
    expand_to_sites,
    overlay_documents,
    plan_twin,
    secrets_file_values,
    spec_to_json,
)

ENV_LAB_DIR = "PROVNET_LAB_DIR"
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 15.0


CONTROL = "control.sock"
PIDFILE = "daemon.pid"
READY = "ready"


def default_state_dir() -> Path:
    if env := os.environ.get(ENV_LAB_DIR):
        return Path(env)
    return Path("/tmp") / f"provnet-lab-{os.getuid()}"


@dataclass(frozen=True)
class UpResult:
    state_dir: Path
    overlay: Path
    secrets_file: Path
    devices: int
    seconds: float

    def environment(self) -> dict[str, str]:
        """What to export so that every provnet command runs against the twin."""
        return {
            "PROVNET_INVENTORY": str(self.overlay),
            "PROVNET_SECRETS_FILE": str(self.secrets_file),
        }


def _pid(state_dir: Path) -> int | None:
    try:
        return int((state_dir / PIDFILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """Whether ``pid`` is our twin daemon (not another process that reused the number)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"lab.daemon" in cmdline


def is_up(state_dir: Path) -> bool:
    pid = _pid(state_dir)
    return pid is not None and _alive(pid)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def _inventory_documents(root: Path) -> dict[str, Any]:
    documents = {}
    for path in [
        root / "province.yaml",
        *sorted(root.glob("sites/*.y*ml")),
        *sorted(root.glob("communes/*.y*ml")),
    ]:
        documents[str(path.relative_to(root))] = load_yaml(path.read_text(encoding="utf-8"))
    return documents


def write_overlay(root: Path, spec: TwinSpec, target: Path) -> None:
    documents = overlay_documents(_inventory_documents(root), spec, servers={})
    for relative, document in documents.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = str(yaml_rs.dumps(document)).removeprefix("---\n")
        path.write_text(text, encoding="utf-8")


def lab_up(
    inventory: Path | None,
    limits: list[str],
    state_dir: Path | None = None,
    base: ipaddress.IPv4Address = DEFAULT_BASE,
) -> UpResult:
    """Plan the twin, write its files, start the daemon and wait until it serves."""
    started = time.monotonic()
    state_dir = state_dir or default_state_dir()
    if is_up(state_dir):
        raise LabAlreadyUp(f"the twin is already up ({state_dir}); run 'provnet lab down' first")
    cleanup(state_dir)
    inv = load_valid(inventory)
    everything = list(iter_devices(inv))
    chosen = expand_to_sites(everything, select_devices(everything, limits))
    spec = plan_twin(inv, chosen, base)
    state_dir.mkdir(parents=True, mode=0o700)
    _write_private(state_dir / "twin.json", spec_to_json(spec))
    secrets_file = state_dir / "secrets.yaml"
    _write_private(secrets_file, str(yaml_rs.dumps(secrets_file_values(spec))))
    overlay = state_dir / "inventory"
    write_overlay(inv.root, spec, overlay)
    log = (state_dir / "daemon.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "lab.daemon", str(state_dir)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    log.close()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not (state_dir / READY).exists():
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                process.kill()
                process.wait(5)
            tail = (state_dir / "daemon.log").read_text(errors="replace")[-2000:]
            cleanup(state_dir)
            raise LabStartFailed(f"the twin daemon did not start: {tail.strip()}")
        time.sleep(0.05)
    return UpResult(state_dir, overlay, secrets_file, len(spec.devices), time.monotonic() - started)


def request(state_dir: Path, payload: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    if not is_up(state_dir):
        raise LabNotUp(f"the twin is not up ({state_dir}); start it with 'provnet lab up'")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(state_dir / CONTROL))
        sock.sendall(json.dumps(payload).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    answer: dict[str, Any] = json.loads(data or b"{}")
    if not answer.get("ok"):
        raise LabError(answer.get("error", "the twin did not answer"))
    return answer


def lab_down(state_dir: Path | None = None) -> bool:
    """Stop the daemon (politely, then by its PID) and remove every file. True if it ran."""
    state_dir = state_dir or default_state_dir()
    pid = _pid(state_dir)
    was_up = pid is not None and _alive(pid)
    if was_up and pid is not None:
        try:
            request(state_dir, {"op": "stop"}, timeout=STOP_TIMEOUT_S)
        except (OSError, LabError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    cleanup(state_dir)
    return was_up


def cleanup(state_dir: Path) -> None:
    """Remove what a previous twin left, if its daemon is gone (a crash, a kill -9)."""
    if state_dir.exists() and not is_up(state_dir):
        shutil.rmtree(state_dir, ignore_errors=True)
