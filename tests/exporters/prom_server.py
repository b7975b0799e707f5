"""A real Prometheus (Debian's /usr/bin/prometheus) for tests: started on 127.0.0.1 at a
free port with its own data directory, stopped by PID."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
READY_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get_json(url: str, timeout: float = 10.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def query(base: str, expr: str, at: float | None = None) -> dict[str, Any]:
    """``/api/v1/query``: the whole answer (status, data or error), never raising on 4xx."""
    params = {"query": expr} | ({"time": f"{at:.3f}"} if at is not None else {})
    url = f"{base}/api/v1/query?{urllib.parse.urlencode(params)}"
    try:
        return dict(get_json(url))
    except urllib.error.HTTPError as exc:
        return dict(json.loads(exc.read()))


def _ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/-/ready", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def running_prometheus(config: Path, data_dir: Path, extra: Sequence[str] = ()) -> Iterator[str]:
    """Start Prometheus on ``config``; yield its base URL once ready; stop it by PID."""
    port = free_port()
    log = (data_dir.parent / f"prometheus-{port}.log").open("wb")
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={data_dir}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
            *extra,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not _ready(base):
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                text = (data_dir.parent / f"prometheus-{port}.log").read_text(errors="replace")
                raise RuntimeError(f"prometheus did not become ready:\n{text[-3000:]}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
